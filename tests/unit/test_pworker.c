/*
 * The parser child's batch exchange (daemon/pworker.h): many mails written
 * with writev and read back in chunks must come back exactly as an
 * in-process parse gives them, whatever their sizes (empty, small, larger
 * than the pipe and than the child's read chunk), and a mail that crashes
 * the child is blamed alone: the mails before it keep their results and
 * the mails after it are parsed by a new child.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "parsers/parse.h"
#include "parsers/rules.h"
#include "daemon/pworker.h"
#include "t.h"

static const char dsn[] =
    "From: MAILER-DAEMON@mx.example.org\n"
    "To: app@sender.example.org\n"
    "Subject: Undelivered Mail Returned to Sender\n"
    "MIME-Version: 1.0\n"
    "Content-Type: multipart/report; report-type=delivery-status;"
    " boundary=\"b\"\n\n"
    "--b\nContent-Type: text/plain\n\nDelivery failed.%s\n\n"
    "--b\nContent-Type: message/delivery-status\n\n"
    "Reporting-MTA: dns; mx.example.org\n\n"
    "Final-Recipient: rfc822; user%d@example.com\n"
    "Action: failed\nStatus: 5.1.1\n"
    "Diagnostic-Code: smtp; 550 5.1.1 user unknown\n\n--b--\n";

#define N 300

/* mail i: every 7th is empty, every 50th carries `big` bytes of text */
static char *
make_mail(int i, size_t big, size_t *len)
{
	if (i % 7 == 3) {
		*len = 0;
		return strdup("");
	}
	size_t pad = i % 50 == 10 ? big : 0;
	char *fill = malloc(pad + 1);
	for (size_t k = 0; k < pad; k++)
		fill[k] = k % 70 == 69 ? '\n' : 'x';
	fill[pad] = '\0';
	size_t cap = sizeof(dsn) + pad + 32;
	char *m = malloc(cap);
	*len = (size_t)snprintf(m, cap, dsn, fill, i);
	free(fill);
	return m;
}

static int
same(const struct rb_events *a, const struct rb_events *b)
{
	if (a->n != b->n)
		return 0;
	for (size_t i = 0; i < a->n; i++)
		if (a->v[i].kind != b->v[i].kind ||
		    !t_streq(a->v[i].recipient, b->v[i].recipient) ||
		    !t_streq(a->v[i].status, b->v[i].status) ||
		    !t_streq(a->v[i].reason, b->v[i].reason))
			return 0;
	return 1;
}

int
main(void)
{
	signal(SIGPIPE, SIG_IGN);	/* as the daemon does */
	struct rb_limits lim = RB_LIMITS_DEFAULT;
	char *err = NULL;
	struct rb_rules *rules = rb_rules_default(&lim, &err);
	T_OK(rules != NULL, "built-in rules load");
	if (rules == NULL)
		return 1;
	struct rb_parse_opts o;
	rb_parse_opts_default(&o);
	o.rules = rules;

	char *bufs[N];
	size_t lens[N], res[N];
	struct rb_arena a;
	rb_arena_init(&a);
	struct rb_events ev[N];
	static char why[N][128];
	/* 300 KB mails: larger than a pipe (64 KB) and than the child's
	 * 256 KB read chunk */
	for (int i = 0; i < N; i++)
		bufs[i] = make_mail(i, 300u << 10, &lens[i]);

	struct rb_pworker *w = rb_pworker_new(&o);
	for (int i = 0; i < N; i++)
		rb_events_init(&ev[i], &a);
	rb_pworker_parse_many(w, &a, (const char *const *)bufs, lens, N, 30,
			      ev, res, &why[0][0], sizeof(why[0]));
	int ok = 1, bounces = 0;
	for (int i = 0; i < N && ok; i++) {
		struct rb_events want;
		rb_events_init(&want, &a);
		rb_parse_message(&a, bufs[i], lens[i], &o, &want);
		ok = res[i] == want.n && same(&ev[i], &want);
		if (!ok)
			printf("# mail %d: %zu events, want %zu\n", i, res[i],
			       want.n);
		bounces += ev[i].n > 0 && ev[i].v[0].kind == RB_KIND_BOUNCE;
	}
	T_OK(ok, "300 mails through the child equal the in-process parse");
	T_OK(bounces == N - (N + 3) / 7,
	     "every non-empty mail is a bounce (%d)", bounces);

	/* a crash in the middle: only that mail fails */
	setenv("REBOUND_TEST_PARSER_CRASH", "CRASH-HERE", 1);
	rb_pworker_free(w);	/* the next child reads the variable */
	w = rb_pworker_new(&o);
	free(bufs[120]);
	bufs[120] = make_mail(121, 0, &lens[120]);
	char *c = malloc(lens[120] + 18);
	memcpy(c, "X-Tag: CRASH-HERE\n", 18);
	memcpy(c + 18, bufs[120], lens[120]);
	free(bufs[120]);
	bufs[120] = c;
	lens[120] += 18;
	for (int i = 0; i < N; i++) {
		rb_events_init(&ev[i], &a);
		why[i][0] = '\0';
	}
	rb_pworker_parse_many(w, &a, (const char *const *)bufs, lens, N, 30,
			      ev, res, &why[0][0], sizeof(why[0]));
	int others = 1;
	for (int i = 0; i < N; i++)
		if (i != 120 && (res[i] == 0 || why[i][0] != '\0'))
			others = 0;
	T_OK(res[120] == 0, "the crashing mail has no result");
	T_OK(strstr(why[120], "signal") != NULL, "it is blamed: %s", why[120]);
	T_OK(others, "the 299 others are parsed, before and after it");

	rb_pworker_free(w);
	for (int i = 0; i < N; i++)
		free(bufs[i]);
	rb_arena_free(&a);
	rb_rules_free(rules);
	return t_failed != 0;
}
