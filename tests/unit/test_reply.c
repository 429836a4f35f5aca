/*
 * A person's reply (parsers/reply.c): the subject prefixes clients write,
 * the lines that begin a quoted conversation, and the guard that keeps a
 * reply quoting a delivery notice from being read as that notice while
 * notices that only carry "Re:" further in, or come from a delivery
 * system, stay what they are.
 */
#include <stdio.h>
#include <string.h>

#include "parsers/mail.h"
#include "parsers/reply.h"
#include "t.h"

static bool
guard(const char *headers, const char *body)
{
	static char buf[8192];
	snprintf(buf, sizeof(buf),
		 "%sDate: Mon, 3 Mar 2025 10:00:00 +0000\n"
		 "MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n%s",
		 headers, body);
	struct rb_limits lim = RB_LIMITS_DEFAULT;
	struct rb_arena a;
	struct rb_mail m;
	rb_arena_init(&a);
	bool r = rb_mail_load(&a, buf, strlen(buf), &lim, &m) == 0 &&
		 rb_reply_quotes_notice(&m);
	rb_arena_free(&a);
	return r;
}

static const char ndr_quoted[] =
    "Can you check this address?\n\n"
    "-----Original Message-----\n"
    "From: Microsoft Outlook <postmaster@example.com>\n"
    "Sent: Monday, March 3, 2025 9:58 AM\n"
    "Subject: Undeliverable: Offer\n\n"
    "Delivery has failed to these recipients or groups:\n\n"
    "x@example.net\n"
    "Remote Server returned '550 5.1.1 User unknown'\n";

int
main(void)
{
	rb_mail_global_init();
	bool fwd;
	T_OK(rb_reply_prefix("Re: x", &fwd) == 3 && !fwd, "Re: is a reply");
	T_OK(rb_reply_prefix("RE : x", &fwd) == 4 && !fwd, "RE : (French) is a reply");
	T_OK(rb_reply_prefix("AW: x", &fwd) == 3 && !fwd, "AW: is a reply");
	T_OK(rb_reply_prefix("Re[2]: x", &fwd) == 6 && !fwd, "Re[2]: is a reply");
	T_OK(rb_reply_prefix("回复：x", &fwd) > 0 && !fwd, "回复： is a reply");
	T_OK(rb_reply_prefix("Fwd: x", &fwd) == 4 && fwd, "Fwd: is a forward");
	T_OK(rb_reply_prefix("WG: x", &fwd) == 3 && fwd, "WG: is a forward");
	T_OK(rb_reply_prefix("Undeliverable: Re: x", &fwd) == 0,
	     "a notice's subject is no reply");
	T_OK(rb_reply_prefix("Results of ...", &fwd) == 0, "Results is no reply");

	const char *q[] = {"-----Original Message-----",
			   "-----Ursprüngliche Nachricht-----",
			   "------------------ 原始邮件 ------------------",
			   "On Mon, 3 Mar 2025 at 10:00, Bob <b@example.com> wrote:",
			   "Le lun. 3 mars 2025 à 10:00, Bob a écrit :",
			   "> quoted", NULL};
	for (size_t i = 0; q[i]; i++)
		T_OK(rb_reply_quote_line(q[i], strlen(q[i])), "quote line: %s", q[i]);
	const char *nq[] = {"The original message was received at Mon, 3 Mar",
			    "Delivery has failed to these recipients", NULL};
	for (size_t i = 0; nq[i]; i++)
		T_OK(!rb_reply_quote_line(nq[i], strlen(nq[i])),
		     "no quote line: %s", nq[i]);

	T_OK(guard("From: Bob <bob@example.com>\nSubject: Re: Undeliverable: Offer\n",
		   ndr_quoted),
	     "a person's Re: quoting an NDR");
	T_OK(guard("From: Bob <bob@example.com>\nSubject: [team] AW: Unzustellbar: Offer\n",
		   ndr_quoted),
	     "a list-tagged AW: quoting an NDR");
	T_OK(!guard("From: Bob <bob@example.com>\nSubject: Fwd: Undeliverable: Offer\n",
		    ndr_quoted),
	     "a forward is the forwarded module's");
	T_OK(!guard("From: Mail Delivery System <MAILER-DAEMON@example.com>\n"
		    "Subject: Re: Offer\n",
		    ndr_quoted),
	     "a delivery system's Re: notice");
	T_OK(!guard("Return-Path: <>\nFrom: gw@example.com\nSubject: Re: Offer\n",
		    ndr_quoted),
	     "a null sender's Re: notice");
	T_OK(!guard("From: Bob <bob@example.com>\nAuto-Submitted: auto-replied\n"
		    "Subject: Re: Offer\n",
		    ndr_quoted),
	     "an Auto-Submitted Re: mail");
	T_OK(!guard("From: gw@example.com\nSubject: Re: Offer\n",
		    "550 5.1.1 <x@example.net>: user unknown\n"),
	     "no quote marker");
	T_OK(!guard("From: gw@example.com\nSubject: Re: Offer\n",
		    "Your message was not delivered.\n"
		    "550 5.1.1 <x@example.net>: user unknown\n\n"
		    "-----Original Message-----\nFrom: a@example.com\n"),
	     "its own text quotes a reply code above the original");
	T_OK(!guard("From: Bob <bob@example.com>\nSubject: Undeliverable: Re: Offer\n",
		    ndr_quoted),
	     "Re: after Undeliverable:");
	T_DONE();
}
