/*
 * throttle: the throttling report (`rebound report throttling`): rate-limit
 * and quota rejections (reasons toomanyconn and speeding) per mailbox
 * provider and per day, so a sender sees when QQ or NetEase started
 * throttling (docs/cn.md); beside them the provider's other refusals of
 * the sender by family (reputation, content, authentication:
 * rb_reason_family), so the sender sees which of the four to fix.  The
 * provider comes from the remote MTA, then the recipient domain
 * (reports/provider.h).  Refusals of the address (dead, full, suspended)
 * are not counted.
 *
 * reports/ never speaks SQL: the command feeds the store's rows
 * (store/throttle_q.h) in with rb_throttle_add.  A report owns all its
 * memory; strings passed in are copied.  Renderers return -1 when the
 * output stream fails.
 */
#ifndef RB_THROTTLE_H
#define RB_THROTTLE_H

#include <stdio.h>

#include "report.h"

struct rb_throttle;

/* One (day, provider) cell, after rb_throttle_finish. */
struct rb_throttle_row {
	const char *day;	/* YYYY-MM-DD */
	const char *provider;
	long long toomanyconn;	/* connection / frequency limits, quotas */
	long long speeding;	/* recipient-side receive limits */
	long long n;		/* both: the rate family */
	long long reputation;	/* IP, host, domain or sender refused */
	long long content;	/* content judged spam or malformed */
	long long authentication;	/* SPF/DKIM/DMARC, SMTP AUTH, TLS */
};

/* Per provider over the window: when throttling started and peaked (of
 * days with rate-limit rejections; NULL and 0 when there were none), and
 * the refusals of each family. */
struct rb_throttle_sum {
	const char *provider;
	const char *first, *last, *peak_day;
	long long n, peak;
	int days;		/* days with at least one rate rejection */
	long long reputation, content, authentication;
};

struct rb_throttle {
	char from[11], to[11];
	/* the events of one tenant (NULL: all) and one stream of it (NULL:
	 * all), as the caller chose them (rb_throttle_set_scope) */
	const char *tenant, *stream;
	struct rb_throttle_row *rows;
	size_t nrows;
	struct rb_throttle_sum *sums;	/* by rate rejections, then all
					 * refusals, descending */
	size_t nsums;
	long long total;	/* rate-limit rejections */
	long long reputation, content, authentication;	/* window totals */
	struct rb_throttle_priv *priv;
};

/* For [from, to] (inclusive YYYY-MM-DD). */
struct rb_throttle *rb_throttle_new(const char *from, const char *to);
void rb_throttle_free(struct rb_throttle *t);
/* Say that t holds only tenant's (and stream's) events (either may be
 * NULL); the strings are copied. */
void rb_throttle_set_scope(struct rb_throttle *t, const char *tenant,
			   const char *stream);
/* One group from the store (any argument but day may be NULL); reasons
 * outside the rate, reputation, content and authentication families are
 * ignored. */
void rb_throttle_add(struct rb_throttle *t, const char *day,
		     const char *remote_mta, const char *recipient_domain,
		     const char *reason, long long n);
/* Merge, sort (day, then provider), and sum per provider. */
void rb_throttle_finish(struct rb_throttle *t);
/* text, csv or json (html is rendered as text inside <pre>). */
int rb_throttle_render(const struct rb_throttle *t, enum rb_report_format f,
		       FILE *out);

#endif
