/* original: identifiers of a returned message quoted as text. */
#include "parsers/limits.h"
#include "parsers/original.h"
#include "t.h"

static const char *const campaign[] = {"X-Campaign-ID", NULL};

static const struct {
	const char *name;
	const char *text;
	int found;
	const char *mid, *from, *to, *subject, *date, *camp;
} cases[] = {
    {"gmail marker",
     "Delivery to the following recipient failed permanently:\n\n"
     "     a@example.net\n\n----- Original message -----\n\n"
     "Received: by 10.0.0.1 with SMTP id x;\n"
     "        Mon, 3 Jun 2024 01:02:01 -0700 (PDT)\n"
     "From: Sender <s@example.org>\nTo: a@example.net, b@example.net\n"
     "Subject: Hello\nMessage-ID: <m1@example.org>\n"
     "Date: Mon, 3 Jun 2024 10:02:00 +0200\nX-Campaign-ID: c-7\n\nbody\n",
     1, "m1@example.org", "s@example.org", "a@example.net", "Hello",
     "2024-06-03T08:02:00Z", "c-7"},
    {"qmail marker, folded subject",
     "<a@example.net>:\n550 no\n\n"
     "--- Below this line is a copy of the message.\n\n"
     "Return-Path: <s@example.org>\nMessage-Id: <q@example.org>\n"
     "Subject: a long\n subject\nFrom: s@example.org\n\nx\n",
     1, "q@example.org", "s@example.org", NULL, "a long subject", NULL,
     NULL},
    {"office 365 marker",
     "Diagnostic information for administrators:\n\n"
     "Original message headers:\n\nFrom: <s@example.org>\n"
     "Message-ID: <o@example.org>\n\n",
     1, "o@example.org", "s@example.org", NULL, NULL, NULL, NULL},
    {"headers without a marker (Zoho)",
     "a@example.co.jp Invalid Address, ERROR_CODE :550\n\n"
     "Received:from mail.zoho.com by mx.zohomail.com\n"
     "Message-ID:<z@zoho.example.com>\nSubject:Hi\n",
     1, "z@zoho.example.com", NULL, NULL, "Hi", NULL, NULL},
    {"marker but no header block",
     "----- Original message -----\n\nJust some text, no fields here.\n",
     0, NULL, NULL, NULL, NULL, NULL, NULL},
    {"no marker, no headers",
     "Your message could not be delivered.\nMessage-ID: <x@y.z> was it\n",
     0, NULL, NULL, NULL, NULL, NULL, NULL},
};

int
main(void)
{
	struct rb_arena a;
	struct rb_limits lim = RB_LIMITS_DEFAULT;
	rb_arena_init(&a);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct rb_original o = {0};
		int got = rb_original_recover(&a, &lim, cases[i].text,
					      strlen(cases[i].text), campaign,
					      &o);
		T_OK(got == cases[i].found, "%s: found", cases[i].name);
		T_STR(o.message_id, cases[i].mid, "%s: message_id",
		      cases[i].name);
		T_STR(o.from, cases[i].from, "%s: from", cases[i].name);
		T_STR(o.to, cases[i].to, "%s: to", cases[i].name);
		T_STR(o.subject, cases[i].subject, "%s: subject",
		      cases[i].name);
		T_STR(o.date, cases[i].date, "%s: date", cases[i].name);
		T_STR(o.campaign, cases[i].camp, "%s: campaign",
		      cases[i].name);
	}
	/* identifiers already known are not overwritten */
	struct rb_original o = {.message_id = "kept@example.org"};
	rb_original_recover(&a, &lim, cases[0].text, strlen(cases[0].text),
			    NULL, &o);
	T_STR(o.message_id, "kept@example.org", "known message_id kept");
	T_STR(o.subject, "Hello", "missing subject filled");
	size_t mk, after;
	T_OK(!rb_original_marker("", 0, &mk, &after), "empty text: no marker");
	rb_arena_free(&a);
	T_DONE();
}
