/*
 * limits: every limit of parsers/limits.h, exceeded by exactly one (the
 * mail becomes one event of kind unknown with `error` set, never a crash)
 * and met exactly (the mail still parses).  The regex limit makes a
 * match fail as no match instead.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "parsers/mail.h"
#include "parsers/parse.h"
#include "t.h"

static struct rb_rules *rules;

/* growable string */
struct buf {
	char *s;
	size_t n, cap;
};

static void
add(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	for (;;) {
		va_start(ap, fmt);
		int k = vsnprintf(b->s + b->n, b->cap - b->n, fmt, ap);
		va_end(ap);
		if (b->s != NULL && (size_t)k < b->cap - b->n) {
			b->n += (size_t)k;
			return;
		}
		b->cap = (b->cap + (size_t)k + 1) * 2;
		b->s = realloc(b->s, b->cap);
		if (b->s == NULL)
			abort();
	}
}

/* A DSN naming nrcpt recipients, wrapped in `wrap` multipart/mixed
 * layers, with extra top-level headers and one extra header of a given
 * value length. */
static char *
dsn(unsigned nrcpt, unsigned wrap, unsigned extra_headers, size_t long_value,
    size_t *len)
{
	struct buf b = {0};
	add(&b, "From: MAILER-DAEMON@mx.example.net\n"
		"To: s@sender.example.org\n"
		"Subject: Undelivered Mail Returned to Sender\n");
	for (unsigned i = 0; i < extra_headers; i++)
		add(&b, "X-Extra-%u: %u\n", i, i);
	if (long_value > 0) {
		add(&b, "X-Long: ");
		for (size_t i = 0; i < long_value; i++)
			add(&b, "a");
		add(&b, "\n");
	}
	add(&b, "MIME-Version: 1.0\n");
	for (unsigned i = 0; i < wrap; i++)
		add(&b, "Content-Type: multipart/mixed; boundary=\"w%u\"\n\n"
			"--w%u\n", i, i);
	add(&b, "Content-Type: multipart/report; report-type=delivery-status; "
		"boundary=\"r\"\n\n"
		"--r\nContent-Type: text/plain\n\nFailed.\n\n"
		"--r\nContent-Type: message/delivery-status\n\n"
		"Reporting-MTA: dns; mx.example.net\n\n");
	for (unsigned i = 0; i < nrcpt; i++)
		add(&b, "Final-Recipient: rfc822; u%u@example.com\n"
			"Action: failed\nStatus: 5.1.1\n\n", i);
	add(&b, "--r\nContent-Type: text/rfc822-headers\n\n"
		"From: s@sender.example.org\nSubject: x\n\n--r--\n");
	for (unsigned i = wrap; i-- > 0;)
		add(&b, "\n--w%u--\n", i);
	*len = b.n;
	return b.s;
}

/* a one-recipient DSN with status 5.0.0 and this diagnostic */
static char *
dsn_diag(const char *diag, size_t *len)
{
	struct buf b = {0};
	add(&b, "From: MAILER-DAEMON@mx.example.net\n"
		"Subject: failure\nMIME-Version: 1.0\n"
		"Content-Type: multipart/report; report-type=delivery-status; "
		"boundary=\"r\"\n\n"
		"--r\nContent-Type: message/delivery-status\n\n"
		"Reporting-MTA: dns; mx.example.net\n\n"
		"Final-Recipient: rfc822; u@example.com\n"
		"Action: failed\nStatus: 5.0.0\nDiagnostic-Code: x-local; %s\n\n"
		"--r--\n", diag);
	*len = b.n;
	return b.s;
}

struct result {
	size_t n;
	enum rb_kind kind;
	const char *error;
	const char *reason;
};

static struct result
parse(const char *buf, size_t len, const struct rb_limits *lim)
{
	struct rb_parse_opts o;
	rb_parse_opts_default(&o);
	o.limits = *lim;
	o.rules = rules;
	struct rb_arena a;
	struct rb_events ev;
	rb_arena_init(&a);
	rb_events_init(&ev, &a);
	struct result r = {0};
	r.n = rb_parse_message(&a, buf, len, &o, &ev);
	r.kind = ev.v[0].kind;
	/* static strings: they outlive the arena */
	r.error = ev.v[0].error;
	static char reason[64];
	snprintf(reason, sizeof(reason), "%s",
		 ev.v[0].reason ? ev.v[0].reason : "");
	r.reason = reason;
	for (size_t i = 0; i < ev.n; i++)	/* serialisable */
		free(rb_event_to_json(&ev.v[i]));
	rb_arena_free(&a);
	return r;
}

static void
check(const char *what, const char *buf, size_t len, struct rb_limits lim,
      size_t want_events)
{
	struct result ok = parse(buf, len, &lim);
	T_OK(ok.n == want_events && ok.kind == RB_KIND_BOUNCE &&
		 ok.error == NULL,
	     "%s: at the limit the mail parses (%zu events)", what, ok.n);
}

static void
check_over(const char *what, const char *buf, size_t len,
	   struct rb_limits lim, const char *error)
{
	struct result r = parse(buf, len, &lim);
	T_OK(r.n == 1 && r.kind == RB_KIND_UNKNOWN && r.error != NULL &&
		 strcmp(r.error, error) == 0,
	     "%s: one over the limit gives unknown with error '%s' (got %s)",
	     what, error, r.error ? r.error : "none");
}

/* depth as the mail view counts it (without limits) */
static unsigned
depth_of(const char *buf, size_t len, unsigned *parts)
{
	struct rb_limits lim = RB_LIMITS_DEFAULT;
	struct rb_arena a;
	struct rb_mail m;
	rb_arena_init(&a);
	rb_mail_load(&a, buf, len, &lim, &m);
	unsigned d = m.depth;
	*parts = m.parts;
	rb_arena_free(&a);
	return d;
}

int
main(void)
{
	struct rb_limits def = RB_LIMITS_DEFAULT, lim;
	char *err = NULL;
	rb_mail_global_init();
	rules = rb_rules_default(&def, &err);
	if (rules == NULL) {
		printf("not ok - rules: %s\n", err);
		return 1;
	}
	size_t len;
	char *m;

	/* message size */
	m = dsn(2, 0, 0, 0, &len);
	lim = def;
	lim.max_message = len;
	check("max_message", m, len, lim, 2);
	lim.max_message = len - 1;
	check_over("max_message", m, len, lim, "message too large");
	free(m);

	/* MIME depth: multipart/report at depth 1 has parts at depth 2;
	 * each wrapping multipart/mixed adds one */
	m = dsn(1, 3, 0, 0, &len);
	unsigned parts;
	unsigned d = depth_of(m, len, &parts);
	T_OK(d == 5, "depth of a DSN in 3 wrappers is 5 (%u)", d);
	lim = def;
	lim.max_depth = d;
	check("max_depth", m, len, lim, 1);
	lim.max_depth = d - 1;
	check_over("max_depth", m, len, lim, "MIME nesting too deep");
	free(m);

	/* part count: multipart/report + 3 leaves = 4 */
	m = dsn(1, 0, 0, 0, &len);
	depth_of(m, len, &parts);
	T_OK(parts == 4, "a DSN has 4 MIME parts (%u)", parts);
	lim = def;
	lim.max_parts = parts;
	check("max_parts", m, len, lim, 1);
	lim.max_parts = parts - 1;
	check_over("max_parts", m, len, lim, "too many MIME parts");
	free(m);

	/* header value length (top-level header) */
	m = dsn(1, 0, 0, 300, &len);
	lim = def;
	lim.max_header = 300;
	check("max_header", m, len, lim, 1);
	lim.max_header = 299;
	check_over("max_header", m, len, lim, "header too long or too many");
	free(m);

	/* header count: 4 fixed top-level fields + 10 extra = 14; the DSN
	 * blocks have fewer */
	m = dsn(1, 0, 10, 0, &len);
	lim = def;
	lim.max_headers = 14;
	check("max_headers", m, len, lim, 1);
	lim.max_headers = 13;
	check_over("max_headers", m, len, lim, "header too long or too many");
	free(m);

	/* recipients per report */
	m = dsn(7, 0, 0, 0, &len);
	lim = def;
	lim.max_recipients = 7;
	check("max_recipients", m, len, lim, 7);
	lim.max_recipients = 6;
	check_over("max_recipients", m, len, lim,
		   "too many recipients in one report");
	free(m);

	/* the recipient limit holds for every module, not only the DSN
	 * parser: an Amazon SES JSON notification naming two recipients
	 * (this module used to truncate the list silently) */
	static const char ses[] =
	    "From: SES <no-reply@sns.amazonaws.com>\n"
	    "Subject: AWS Notification Message\n"
	    "Content-Type: text/plain\n\n"
	    "{\"notificationType\":\"Bounce\",\"bounce\":{\"bounceType\":"
	    "\"Permanent\",\"bouncedRecipients\":[{\"emailAddress\":"
	    "\"a@example.net\",\"status\":\"5.1.1\"},{\"emailAddress\":"
	    "\"b@example.net\",\"status\":\"5.1.1\"}]},\"mail\":{}}\n";
	lim = def;
	lim.max_recipients = 2;
	check("max_recipients (SES JSON)", ses, sizeof ses - 1, lim, 2);
	lim.max_recipients = 1;
	check_over("max_recipients (SES JSON)", ses, sizeof ses - 1, lim,
		   "too many recipients in one report");

	/* regex match limit: a rule that backtracks catastrophically on
	 * this diagnostic hits the limit; that counts as no match, so the
	 * next rule decides; no error, no crash, no hang */
	m = dsn_diag("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab", &len);
	lim = def;
	lim.regex_match = 5000;
	const char *evil = "rule evil\nreason mailboxfull\n"
			   "match ^(a|aa)+$\nexample aaaa\n"
			   "rule fallback\nreason filtered\nmatch b$\nexample ab\n";
	struct rb_rules *save = rules;
	rules = rb_rules_load(evil, strlen(evil), "t", &lim, &err);
	T_OK(rules != NULL, "backtracking rules load under a small limit");
	if (rules != NULL) {
		struct result r = parse(m, len, &lim);
		T_OK(r.n == 1 && r.kind == RB_KIND_BOUNCE && r.error == NULL &&
			 strcmp(r.reason, "filtered") == 0,
		     "regex_match: the limit hit is no match, the next rule "
		     "decides (reason %s)", r.reason);
		rb_rules_free(rules);
		/* within the limit the same rule matches */
		lim.regex_match = 100000000;
		rules = rb_rules_load(evil, strlen(evil), "t", &lim, &err);
		free(m);
		m = dsn_diag("aaaaaaaaaaaaaaaaaaaa", &len);
		r = parse(m, len, &lim);
		T_OK(r.kind == RB_KIND_BOUNCE && strcmp(r.reason, "mailboxfull") == 0,
		     "regex_match: within the limit the rule matches (%s)",
		     r.reason);
		rb_rules_free(rules);
	}
	rules = save;
	free(m);
	rb_rules_free(rules);
	T_DONE();
}
