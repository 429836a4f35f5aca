/*
 * Unsubscribe requests by mail: what the parser (parsers/unsubscribe.c)
 * takes for a request and what it leaves, the short token of the mailto:
 * address, and the decision with the secret when the event is stored
 * (rb_unsub_decide, core/unsubscribe.h).  The rows short tokens name
 * come from the database in the store; here from a table in memory, as
 * the look-up the store hands to the decision.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/unsubscribe.h"
#include "parsers/mail.h"
#include "parsers/parse.h"
#include "t.h"

static struct rb_rules *rules;
static const char secret[] = "unit-test-secret-0123456789";
#define NOW 1741780800	/* 2025-03-12T12:00:00Z */

static char got[512];

/* the stored subscriber scopes (unsubscribe_ids) for the look-up */
static const struct {
	unsigned long long id;
	const char *tenant, *stream, *address;
} rows[] = {
    {7, "acme", "news", "ann@example.org"},
    {8, "acme", "", "ann@example.org"},
    {RB_UNSUB_ID_MAX, "t", "s", "x@example.org"},
};

static bool
lookup(void *ctx, unsigned long long id, struct rb_unsub *u)
{
	(void)ctx;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		if (rows[i].id == id) {
			memset(u, 0, sizeof(*u));
			snprintf(u->tenant, sizeof(u->tenant), "%s",
				 rows[i].tenant);
			snprintf(u->stream, sizeof(u->stream), "%s",
				 rows[i].stream);
			snprintf(u->address, sizeof(u->address), "%s",
				 rows[i].address);
			return true;
		}
	return false;
}

/* "kind:recipient:token?" of the first event of mail */
static void
run(const char *mail, struct rb_arena *a, struct rb_events *ev)
{
	struct rb_parse_opts o;
	rb_parse_opts_default(&o);
	o.rules = rules;
	rb_arena_init(a);
	rb_events_init(ev, a);
	rb_parse_message(a, mail, strlen(mail), &o, ev);
	const struct rb_event *e = &ev->v[0];
	snprintf(got, sizeof(got), "%s:%s:%s", rb_kind_name(e->kind),
		 e->recipient ? e->recipient : "-",
		 e->unsubscribe_token ? "token" : "-");
}

static char tok[1024];	/* a valid token for ann@example.org, acme/news */

static const struct {
	const char *why;
	const char *head;	/* header lines before the blank line */
	const char *want;
} cases[] = {
    {"the token in the +tag of To", "To: unsubscribe+TOK@l.example\n"
     "Subject: hello\n", "unsubscribe:ann@example.org:token"},
    {"the token in the +tag of Delivered-To, any local part",
     "Delivered-To: optout+TOK@l.example\nTo: list@l.example\n",
     "unsubscribe:ann@example.org:token"},
    {"the +tag dropped: the token in an unsubscribe subject",
     "To: unsubscribe@l.example\nSubject: Re: unsubscribe TOK\n",
     "unsubscribe:ann@example.org:token"},
    {"a token in a subject that is no command, to another address: "
     "not a request",
     "To: support@l.example\nSubject: what is TOK?\n", "unknown:-:-"},
    {"no token, an unsubscribe address", "To: unsubscribe@l.example\n"
     "Subject: bye\n", "unsubscribe:ann@example.org:-"},
    {"no token, Mailman's -leave address", "To: news-leave@l.example\n",
     "unsubscribe:ann@example.org:-"},
    {"a word ending in leave is not -leave", "To: sleave@l.example\n",
     "unknown:-:-"},
    {"zh: 退订", "To: x@l.example\nSubject: 退订\n",
     "unsubscribe:ann@example.org:-"},
    {"zh: 取消订阅 after 回复:", "To: x@l.example\nSubject: 回复：取消订阅\n",
     "unsubscribe:ann@example.org:-"},
    {"zh-TW: 取消訂閱", "To: x@l.example\nSubject: 取消訂閱\n",
     "unsubscribe:ann@example.org:-"},
    {"de: Abbestellen", "To: x@l.example\nSubject: Abbestellen\n",
     "unsubscribe:ann@example.org:-"},
    {"fr: se désabonner", "To: x@l.example\nSubject: [news] se désabonner\n",
     "unsubscribe:ann@example.org:-"},
    {"es: darse de baja", "To: x@l.example\nSubject: darse de baja\n",
     "unsubscribe:ann@example.org:-"},
    {"ja: 配信停止", "To: x@l.example\nSubject: 配信停止\n",
     "unsubscribe:ann@example.org:-"},
    {"ko: 수신거부", "To: x@l.example\nSubject: 수신거부\n",
     "unsubscribe:ann@example.org:-"},
    {"a question about unsubscribing is no command",
     "To: x@l.example\nSubject: How do I unsubscribe?\n", "unknown:-:-"},
    {"a word that starts like a command is none",
     "To: x@l.example\nSubject: Unsubscribed users report\n", "unknown:-:-"},
    {"an auto-reply to the unsubscribe address (Auto-Submitted)",
     "To: unsubscribe+TOK@l.example\nAuto-Submitted: auto-replied\n"
     "Subject: Automatic reply: unsubscribe TOK\n",
     "autoreply:ann@example.org:-"},
    {"Auto-Submitted: auto-generated is not a request either",
     "To: unsubscribe+TOK@l.example\nAuto-Submitted: auto-generated\n"
     "Subject: unsubscribe TOK\n", "unknown:-:-"},
    {"X-Autoreply", "To: unsubscribe+TOK@l.example\nX-Autoreply: yes\n"
     "Subject: unsubscribe TOK\n", "autoreply:ann@example.org:-"},
    {"Precedence: bulk", "To: unsubscribe+TOK@l.example\n"
     "Precedence: bulk\nSubject: unsubscribe TOK\n", "unknown:-:-"},
    {"an empty Return-Path", "Return-Path: <>\n"
     "To: unsubscribe+TOK@l.example\nSubject: unsubscribe TOK\n",
     "unknown:-:-"},
    {"a vacation subject", "To: unsubscribe+TOK@l.example\n"
     "Subject: Out of Office: unsubscribe TOK\n",
     "autoreply:ann@example.org:-"},
    {"Auto-Submitted: no is a person", "To: unsubscribe+TOK@l.example\n"
     "Auto-Submitted: no\nSubject: unsubscribe\n",
     "unsubscribe:ann@example.org:token"},
    {"a token with a short MAC is no token",
     "To: unsubscribe+ab.cd@l.example\nSubject: hi\n", "unknown:-:-"},
};

/* cases[i] with TOK replaced by the token, From ann@example.org */
static void
mail_of(char *buf, size_t cap, const char *head)
{
	size_t n = (size_t)snprintf(buf, cap, "From: Ann <ann@example.org>\n"
						"Date: Wed, 12 Mar 2025 "
						"10:00:00 +0000\n");
	for (const char *p = head; *p && n + strlen(tok) + 2 < cap;) {
		if (!strncmp(p, "TOK", 3)) {
			n += (size_t)snprintf(buf + n, cap - n, "%s", tok);
			p += 3;
		} else {
			buf[n++] = *p++;
		}
	}
	snprintf(buf + n, cap - n, "\nPlease.\n");
}

static void
decide(const char *mail, bool marked, const char *mbt, const char *sec,
       const char *want_addr, const char *want_scope, const char *why)
{
	struct rb_arena a;
	struct rb_events ev;
	run(mail, &a, &ev);
	struct rb_unsub_decision d;
	bool r = rb_unsub_decide(&ev.v[0], mail, strlen(mail), sec,
				 sec ? strlen(sec) : 0, NOW, lookup, NULL,
				 marked, mbt, &d);
	char scope[200];
	snprintf(scope, sizeof(scope), "%s%s%s", d.tenant,
		 d.stream[0] ? "/" : "", d.stream);
	if (want_addr == NULL) {
		T_OK(!r || (d.kind == RB_KIND_UNKNOWN && d.address[0] == '\0'),
		     "%s: nobody (%s)", why, r ? d.note : "not a request");
	} else {
		T_OK(r && d.kind == RB_KIND_UNSUBSCRIBE, "%s: a request", why);
		T_STR(d.address, want_addr, "%s: address", why);
		T_STR(scope, want_scope, "%s: scope", why);
	}
	rb_arena_free(&a);
}

static enum rb_unsub_check
chk(const char *t, const char *sec, struct rb_unsub *u)
{
	return rb_unsub_check_any(sec, strlen(sec), t, NOW, lookup, NULL, u);
}

/* The short token of the mailto: local part. */
static void
short_tokens(void)
{
	struct rb_unsub u = {.tenant = "acme", .stream = "news",
			     .address = "ann@example.org",
			     .expires = NOW + 90 * 86400};
	char t[RB_UNSUB_SHORT_LEN + 1], t2[RB_UNSUB_SHORT_LEN + 1];
	T_OK(rb_unsub_short_token(secret, strlen(secret), 7, &u, t) == 0,
	     "short: a token");
	T_OK(strlen(t) == RB_UNSUB_SHORT_LEN &&
		 strspn(t, "abcdefghijklmnopqrstuvwxyz234567") == strlen(t),
	     "short: 32 characters of lower-case base32 (%s)", t);
	T_OK(strlen("unsubscribe+") + strlen(t) <= 64,
	     "short: unsubscribe+TOKEN fits the 64 octets of a local part");
	rb_unsub_short_token(secret, strlen(secret), 7, &u, t2);
	T_STR(t2, t, "short: the same inputs give the same token");
	unsigned long long id = 0;
	T_OK(rb_unsub_short_id(t, strlen(t), &id) && id == 7,
	     "short: the id it names");

	struct rb_unsub g;
	T_OK(chk(t, secret, &g) == RB_UNSUB_OK &&
		 !strcmp(g.address, "ann@example.org") &&
		 !strcmp(g.tenant, "acme") && !strcmp(g.stream, "news") &&
		 g.expires >= NOW + 90 * 86400 &&
		 g.expires < NOW + 91 * 86400,
	     "short: checks, with the row's scope and an expiry of the whole "
	     "day");
	char up[RB_UNSUB_SHORT_LEN + 1];
	for (size_t i = 0; i <= RB_UNSUB_SHORT_LEN; i++)
		up[i] = (char)(t[i] >= 'a' && t[i] <= 'z' ? t[i] - 32 : t[i]);
	T_OK(chk(up, secret, &g) == RB_UNSUB_OK,
	     "short: upper-cased (an MTA folded the local part) it checks");
	T_OK(chk(t, "another-secret-0123456789", &g) == RB_UNSUB_FORGED &&
		 g.address[0] == '\0',
	     "short: another secret: forged, nobody");
	/* each character altered: refused (forged, unknown id, not a token) */
	int refused = 0;
	for (size_t i = 0; i < RB_UNSUB_SHORT_LEN; i++) {
		char a[RB_UNSUB_SHORT_LEN + 1];
		memcpy(a, t, sizeof(a));
		a[i] = a[i] == 'q' ? 'r' : 'q';
		refused += chk(a, secret, &g) != RB_UNSUB_OK;
	}
	T_OK(refused == RB_UNSUB_SHORT_LEN,
	     "short: any one character altered is refused (%d of %d)",
	     refused, RB_UNSUB_SHORT_LEN);
	/* the same id with another row's fields: the MAC covers them */
	struct rb_unsub v = u;
	snprintf(v.stream, sizeof(v.stream), "%s", "");
	char tv[RB_UNSUB_SHORT_LEN + 1];
	rb_unsub_short_token(secret, strlen(secret), 7, &v, tv);
	T_OK(chk(tv, secret, &g) == RB_UNSUB_FORGED,
	     "short: signed for another scope than the row's: forged");
	rb_unsub_short_token(secret, strlen(secret), 9, &u, tv);
	T_OK(chk(tv, secret, &g) == RB_UNSUB_UNKNOWN_ID,
	     "short: an id of no row: refused");
	T_OK(rb_unsub_check_any(secret, strlen(secret), t, NOW, NULL, NULL,
				&g) == RB_UNSUB_UNKNOWN_ID,
	     "short: no look-up: refused");
	u.expires = NOW - 86400;
	rb_unsub_short_token(secret, strlen(secret), 7, &u, tv);
	T_OK(chk(tv, secret, &g) == RB_UNSUB_EXPIRED, "short: expired");
	u.expires = NOW + 86400;
	T_OK(rb_unsub_short_token(secret, strlen(secret), 0, &u, tv) != 0 &&
		 rb_unsub_short_token(secret, strlen(secret),
				      RB_UNSUB_ID_MAX + 1, &u, tv) != 0,
	     "short: ids 0 and over 40 bits are refused");
	struct rb_unsub w = {.tenant = "t", .stream = "s",
			     .address = "x@example.org",
			     .expires = NOW + 86400};
	T_OK(rb_unsub_short_token(secret, strlen(secret), RB_UNSUB_ID_MAX, &w,
				  tv) == 0 &&
		 chk(tv, secret, &g) == RB_UNSUB_OK,
	     "short: the largest id");
	T_OK(!rb_unsub_short_id("hello", 5, NULL) &&
		 !rb_unsub_short_id("abcdefghijklmnopqrstuvwxyzabcdef", 32,
				    NULL),
	     "short: words are no tokens");

	/* the parser finds it; the decision takes it */
	char mail[2048];
	/* the header before and after the token */
	const char *const heads[][2] = {
	    {"To: unsubscribe+", "@l.example\nSubject: hello\n"},
	    {"To: UNSUBSCRIBE+", "@L.EXAMPLE\n"},
	    {"To: unsubscribe@l.example\nSubject: Re: unsubscribe ", "\n"},
	    {"To: unsubscribe@l.example\nSubject: unsubscribe%20", "\n"},
	};
	const char *const why[] = {"in the +tag", "in an upper-cased +tag",
				   "in the subject", "after %20 in the subject"};
	for (size_t i = 0; i < sizeof(heads) / sizeof(heads[0]); i++) {
		snprintf(mail, sizeof(mail),
			 "From: bob@example.net\n%s%s%s\nPlease.\n",
			 heads[i][0], i == 1 ? up : t, heads[i][1]);
		struct rb_arena a;
		struct rb_events ev;
		run(mail, &a, &ev);
		T_STR(got, "unsubscribe:bob@example.net:token",
		      "short: the parser finds it %s", why[i]);
		rb_arena_free(&a);
		decide(mail, false, NULL, secret, "ann@example.org",
		       "acme/news", why[i]);
	}
	snprintf(mail, sizeof(mail),
		 "From: bob@example.net\nTo: unsubscribe+%s@l.example\n\nx\n",
		 tv);
	decide(mail, false, NULL, "another-secret-0123456789", NULL, NULL,
	       "short: another secret");
	decide(mail, true, "shop", "another-secret-0123456789",
	       "bob@example.net", "shop",
	       "short: another secret, marked mailbox: the From");
}

static struct rb_rules *
default_rules(void)
{
	static const struct rb_limits lim = RB_LIMITS_DEFAULT;
	char *why = NULL;
	struct rb_rules *r = rb_rules_default(&lim, &why);
	if (r == NULL)
		printf("not ok - the built-in rules: %s\n", why ? why : "?");
	return r;
}

int
main(void)
{
	rb_mail_global_init();
	if ((rules = default_rules()) == NULL)
		return 1;
	struct rb_unsub u = {.tenant = "acme", .stream = "news",
			     .address = "ann@example.org",
			     .expires = NOW + 86400};
	char *t = rb_unsub_token(secret, strlen(secret), &u);
	T_OK(t != NULL, "a token");
	snprintf(tok, sizeof(tok), "%s", t);
	free(t);

	char buf[8192];
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct rb_arena a;
		struct rb_events ev;
		mail_of(buf, sizeof(buf), cases[i].head);
		run(buf, &a, &ev);
		T_STR(got, cases[i].want, "%s", cases[i].why);
		rb_arena_free(&a);
	}

	/* the decision: a token for ann, sent from bob */
	char mail[8192];
	snprintf(mail, sizeof(mail),
		 "From: bob@example.net\nTo: unsubscribe+%s@l.example\n"
		 "Subject: unsubscribe\n\nx\n", tok);
	decide(mail, false, NULL, secret, "ann@example.org", "acme/news",
	       "a valid token");
	decide(mail, true, "shop", secret, "ann@example.org", "acme/news",
	       "a valid token in a marked mailbox");
	decide(mail, false, NULL, "another-secret-0123456789", NULL, NULL,
	       "another secret");
	decide(mail, true, "shop", "another-secret-0123456789",
	       "bob@example.net", "shop", "another secret, marked mailbox");
	decide(mail, false, NULL, NULL, NULL, NULL, "no secret");
	/* altered: one hex digit of the payload */
	char *p = strstr(mail, "+") + 3;
	*p = *p == '0' ? '1' : '0';
	decide(mail, false, NULL, secret, NULL, NULL, "an altered token");
	/* expired */
	u.expires = NOW - 1;
	t = rb_unsub_token(secret, strlen(secret), &u);
	snprintf(mail, sizeof(mail),
		 "From: bob@example.net\nTo: unsubscribe+%s@l.example\n\nx\n",
		 t);
	free(t);
	decide(mail, false, NULL, secret, NULL, NULL, "an expired token");
	/* no token */
	snprintf(mail, sizeof(mail),
		 "From: Bob <bob@example.net>\nTo: news-leave@l.example\n\nx\n");
	decide(mail, false, "shop", secret, NULL, NULL,
	       "no token, a bounce mailbox");
	decide(mail, true, "shop", secret, "bob@example.net", "shop",
	       "no token, a marked mailbox");
	/* any mail in a marked mailbox, but not an automatic one */
	snprintf(mail, sizeof(mail),
		 "From: Bob <bob@example.net>\nTo: lists@l.example\n"
		 "Subject: remove\n\nno more\n");
	decide(mail, true, "shop", secret, "bob@example.net", "shop",
	       "a plain mail in a marked mailbox");
	decide(mail, false, "shop", secret, NULL, NULL,
	       "a plain mail in a bounce mailbox");
	snprintf(mail, sizeof(mail),
		 "From: Bob <bob@example.net>\nTo: lists@l.example\n"
		 "Precedence: list\nSubject: digest\n\nno more\n");
	decide(mail, true, "shop", secret, NULL, NULL,
	       "a list mail in a marked mailbox");
	snprintf(mail, sizeof(mail),
		 "From: a@example.net, b@example.net\nTo: lists@l.example\n"
		 "Subject: remove\n\nno more\n");
	decide(mail, true, "shop", secret, NULL, NULL,
	       "two From addresses in a marked mailbox");
	short_tokens();
	rb_rules_free(rules);
	return t_failed ? 1 : 0;
}
