/* verp: decoding of VERP bounce addresses and of a bounce's envelope. */
#include <stdlib.h>

#include "parsers/limits.h"
#include "parsers/mail.h"
#include "parsers/verp.h"
#include "t.h"

static const struct {
	const char *addr;
	char sep;
	const char *want;	/* NULL: not a (plausible) VERP address */
} cases[] = {
    {"bounces+user=example.com@sender.example", '+', "user@example.com"},
    {"bounces+User.Name=Example.COM@sender.example", '+',
     "User.Name@example.com"},
    {"bounce-jane=mail.example.org@lists.example", '-',
     "jane@mail.example.org"},
    /* the '=' for '@' is the last one; an '=' in the local part stays */
    {"b+a=b=example.net@s.example", '+', "a=b@example.net"},
    /* no separator, no encoded part, nothing before the separator */
    {"bounces@sender.example", '+', NULL},
    {"bounces+12345@sender.example", '+', NULL},
    {"+user=example.com@sender.example", '+', NULL},
    /* implausible results */
    {"bounces+user=localhost@sender.example", '+', NULL},
    {"bounces+=example.com@sender.example", '+', NULL},
    {"bounces+user=@sender.example", '+', NULL},
    {"bounces+user=exa;mple.com@sender.example", '+', NULL},
    /* disabled or nonsensical separators */
    {"bounces+user=example.com@sender.example", 0, NULL},
    {"bounces+user=example.com@sender.example", '=', NULL},
    {"no-at-sign", '+', NULL},
};

static const char mail_xot[] =
    "From: MAILER-DAEMON@mx.example.net\r\n"
    "X-Original-To: bounces+alice=example.org@news.example\r\n"
    "Delivered-To: postmaster@news.example\r\n"
    "To: bounces+wrong=example.com@news.example\r\n"
    "Subject: failure notice\r\n\r\nbody\r\n";
static const char mail_to[] =
    "From: MAILER-DAEMON@mx.example.net\r\n"
    "To: \"Bounces\" <bounces+bob=example.net@news.example>\r\n"
    "Subject: failure notice\r\n\r\nbody\r\n";
static const char mail_none[] =
    "From: MAILER-DAEMON@mx.example.net\r\n"
    "To: postmaster@news.example\r\n"
    "Subject: failure notice\r\n\r\nbody\r\n";

static const char *
of_mail(struct rb_arena *a, const char *raw, char sep)
{
	struct rb_limits lim = RB_LIMITS_DEFAULT;
	struct rb_mail m;
	if (rb_mail_load(a, raw, strlen(raw), &lim, &m) < 0)
		return "(load failed)";
	return rb_verp_of_mail(a, &m, sep);
}

int
main(void)
{
	struct rb_arena a;
	rb_arena_init(&a);
	rb_mail_global_init();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		T_STR(rb_verp_decode(&a, cases[i].addr, cases[i].sep),
		      cases[i].want, "decode [%s] sep '%c'", cases[i].addr,
		      cases[i].sep ? cases[i].sep : '0');
	T_STR(rb_verp_decode(&a, NULL, '+'), NULL, "decode NULL");
	T_STR(of_mail(&a, mail_xot, '+'), "alice@example.org",
	      "X-Original-To is preferred to To");
	T_STR(of_mail(&a, mail_to, '+'), "bob@example.net",
	      "To with a display name");
	T_STR(of_mail(&a, mail_none, '+'), NULL, "no VERP address: NULL");
	T_STR(of_mail(&a, mail_to, 0), NULL, "separator 0 disables");
	rb_arena_free(&a);
	T_DONE();
}
