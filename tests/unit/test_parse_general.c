/*
 * The general reader (parsers/general.c) through rb_parse_message: which
 * addresses of a notice it takes, which it must never take, its limits,
 * and that a hostile notice costs no more than its size.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parsers/mail.h"
#include "parsers/parse.h"
#include "t.h"
#include "t_parse.h"

/* The recipients of a mail ("kind:recipient,..."), its parser, error. */
static struct t_parsed res;

static void
run(const char *mail)
{
	t_parse(mail, true, &res);
}

#define NOTICE                                                                 \
	"From: Mail Delivery System <MAILER-DAEMON@mx.example.com>\n"          \
	"To: news@sender.example.org\n"                                        \
	"Subject: Undelivered Mail\n"                                          \
	"MIME-Version: 1.0\n"                                                  \
	"Content-Type: text/plain; charset=us-ascii\n\n"

static const struct {
	const char *why;
	const char *body;
	const char *want;
} cases[] = {
    {"a labelled recipient with a reply code",
     "Delivery failed.\n\nIntended recipient: gone@example.net\n"
     "Remote reply: 550 5.1.1 unknown user\n",
     "bounce:gone@example.net"},
    {"the transcript shows which RCPT failed and which was accepted",
     "Transcript of the session:\n RCPT TO:<ok@example.net>\n 250 OK\n"
     " RCPT TO:<bad@example.net>\n 550 5.1.1 no such user\n",
     "bounce:bad@example.net"},
    {"a contact line and the notice's own addresses are not recipients",
     "Your message to lost@example.net could not be delivered:\n"
     "550 5.1.1 mailbox unavailable.\n\n"
     "Questions? Contact postmaster@mx.example.com or write to "
     "news@sender.example.org.\n",
     "bounce:lost@example.net"},
    {"a quoted original never names a failed recipient",
     "The following recipient could not be reached:\n\n"
     "  gone@example.net\n\n550 5.1.1 user unknown\n\n"
     "----- Original message -----\nFrom: news@sender.example.org\n"
     "To: gone@example.net, friend@example.org\nSubject: hi\n\n"
     "write to other@example.org\n",
     "bounce:gone@example.net"},
    {"'> '-quoted lines are not the notice's own text",
     "Delivery to the following recipient failed: 550 5.1.1 unknown user\n"
     "  gone@example.net\n\n> To: quoted@example.org\n> cc: "
     "alsoquoted@example.org\n",
     "bounce:gone@example.net"},
    {"an address 'expanded from' is the original recipient, not another",
     "The following recipient could not be reached:\n\n"
     "<final@example.net> (expanded from <alias@example.net>): 550 5.1.1 "
     "user unknown\n",
     "bounce:final@example.net"},
    {"a link and no reply code: not a bounce",
     "Your message to someone@example.net could not be delivered.\n"
     "See https://mail.example.com/undelivered to resend it.\n",
     "unknown:-"},
    {"a quota notice about the reader's own mailbox: not a bounce",
     "Your mailbox is almost full. Mail to you may soon be rejected.\n"
     "Delete old messages or contact helpdesk@example.com.\n",
     "unknown:-"},
    {"a list item that names no address: the recipient as written",
     "The message that you sent was undeliverable to the following:\n"
     "\tjsmith (user not found)\n\tgone@example.net (host not found)\n\n"
     "Possible causes:\n\tIncorrect user name\n\tUser has been deleted\n",
     "bounce:gone@example.net,bounce:jsmith"},
    {"Exchange's 'Name on <date>' items over blank lines; the folded "
     "lines are not items",
     "Your message\n\n  Subject: hi\n\n"
     "did not reach the following recipient(s):\n\n"
     "John Smith on 6/16/2025 8:00 AM\n"
     "            The recipient name is not recognized\n\n"
     "Mary Jones on 6/16/2025 8:00 AM\n"
     "            The recipient name is not recognized\n",
     "bounce:John Smith,bounce:Mary Jones"},
    {"a bare local part qualified from the notice's own To: summary",
     "Your message\n\n  To:      gone@example.net\n  Subject: hi\n\n"
     "did not reach the following recipient(s):\n\n"
     "gone on 6/16/2025 8:00 AM\n            The recipient name is not "
     "recognized\n",
     "bounce:gone@example.net"},
    {"a labelled address that does not parse: as written",
     "Your message could not be delivered.\n\n"
     "Failed recipient: gone@localhost\nReason: 550 5.1.2 host unknown\n",
     "bounce:gone@localhost"},
    {"a label line under the heading is no item",
     "The following recipient(s) could not be reached:\n\n"
     "\tRecipient: [SMTP:gone@example.net]\n"
     "\tReason: The mailbox could not be found.\n",
     "bounce:gone@example.net"},
    {"a localised qmail banner with no reply code",
     "Hallo. Dies ist das qmail-send Programm auf mx.example.com.\n"
     "Leider konnte Ihre Nachricht an die folgenden Empf\xc3\xa4nger nicht\n"
     "zugestellt werden. Dies ist ein permanenter Fehler.\n\n"
     "<niemand@example.net>:\nDieses Postfach existiert nicht.\n",
     "bounce:niemand@example.net"},
    {"the notice's summary of the reader's message names the one failed "
     "recipient",
     "Your message\n\n  To:      full@example.net\n  Subject: hi\n\n"
     "was not delivered: the recipient's mailbox is full.\n",
     "bounce:full@example.net"},
    {"a summary naming two addresses names no failed recipient",
     "Your message\n\n  To:      a@example.net, b@example.net\n"
     "  Subject: hi\n\nwas not delivered.\n",
     "bounce:-"},
    {"a header block not introduced as the reader's message names nobody",
     "Message details:\n\n  To:      a@example.net\n  Subject: hi\n\n"
     "was not delivered.\n",
     "unknown:-"},
    {"a sentence under 'the following reason:' is no recipient",
     "This Message was undeliverable due to the following reason:\n\n"
     "The user(s) account is temporarily over quota.\n\n"
     "<full@example.net>\n\nPlease reply to postmaster@mx.example.com\n"
     "if you feel this message to be in error.\n",
     "bounce:full@example.net"},
    {"a bare local part with its reason in a column",
     "Message not delivered to the following:\n\n"
     "         gone    Mailbox unknown or not accessible\n\n"
     "   ----- Unsent message follows -----\nFrom: news@sender.example.org\n"
     "Subject: hi\n\nhi\n",
     "bounce:gone"},
    {"a report listing user names is not a bounce for them",
     "Weekly report: undeliverable messages to the following users:\n\n"
     "\tjsmith\n\tmbrown\n\nTotal: 2\n",
     "unknown:-"},
    {"a notice with no failure wording and no code: not a bounce",
     "Here is the list of subscribers you asked for:\n\n"
     "a@example.net\nb@example.net\n",
     "unknown:-"},
};

int
main(void)
{
	struct rb_limits def = RB_LIMITS_DEFAULT;
	char *buf = malloc(1 << 20);
	if (buf == NULL)
		return 1;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(buf, 1 << 20, "%s%s", NOTICE, cases[i].body);
		run(buf);
		T_STR(res.got, cases[i].want, "%s", cases[i].why);
	}

	/* a notice listing more recipients than the limit: the limit's
	 * error, never a silently cut list */
	size_t n = (size_t)snprintf(buf, 1 << 20, "%s%s", NOTICE,
				    "The following recipients could not be "
				    "reached:\n\n");
	for (unsigned i = 0; i < def.max_recipients + 5; i++)
		n += (size_t)snprintf(buf + n, (1 << 20) - n,
				      "<u%u@example.net>: 550 5.1.1 unknown\n", i);
	run(buf);
	T_OK(strcmp(res.error, "too many recipients in one report") == 0,
	     "over the recipient limit: error (got '%s')", res.error);

	/* one line of many addresses: each is scored, the line's facts are
	 * worked out once (a quadratic reader would take minutes here) */
	n = (size_t)snprintf(buf, 1 << 20, "%s550 5.1.1 unknown user ", NOTICE);
	for (unsigned i = 0; i < 900 && n < (1 << 20) - 64; i++)
		n += (size_t)snprintf(buf + n, (1 << 20) - n,
				      "user <u%u@example.net> ", i);
	run(buf);
	T_OK(strncmp(res.got, "bounce:u0@example.net,", 22) == 0 &&
		 strcmp(res.parser, "general") == 0,
	     "a line of 900 labelled addresses is read (%.40s)", res.got);

	/* a long list of names is read whole (no cap below the region's) */
	n = (size_t)snprintf(buf, 1 << 20, "%sYour message was undeliverable "
			     "to the following:\n", NOTICE);
	for (unsigned i = 0; i < 300; i++)
		n += (size_t)snprintf(buf + n, (1 << 20) - n,
				      "\tu%u (user not found)\n", i);
	run(buf);
	T_OK(strstr(res.got, ",bounce:u299") != NULL && strlen(res.error) == 0,
	     "a list of 300 names is read whole (%.30s ... %s)", res.got, res.error);

	free(buf);
	t_rules_done();
	T_DONE();
}
