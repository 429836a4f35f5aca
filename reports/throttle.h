/*
 * throttle: the throttling report (`rebound report throttling`): rate-limit
 * and quota rejections (reasons toomanyconn and speeding) per mailbox
 * provider and per day, so a sender sees when QQ or NetEase started
 * throttling (docs/cn.md).  The provider comes from the remote MTA, then
 * the recipient domain (reports/provider.h).
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
	long long n;		/* both */
};

/* Per provider over the window: when throttling started and peaked. */
struct rb_throttle_sum {
	const char *provider;
	const char *first, *last, *peak_day;
	long long n, peak;
	int days;		/* days with at least one */
};

struct rb_throttle {
	char from[11], to[11];
	struct rb_throttle_row *rows;
	size_t nrows;
	struct rb_throttle_sum *sums;	/* by total, descending */
	size_t nsums;
	long long total;
	struct rb_throttle_priv *priv;
};

/* For [from, to] (inclusive YYYY-MM-DD). */
struct rb_throttle *rb_throttle_new(const char *from, const char *to);
void rb_throttle_free(struct rb_throttle *t);
/* One group from the store (any argument but day may be NULL). */
void rb_throttle_add(struct rb_throttle *t, const char *day,
		     const char *remote_mta, const char *recipient_domain,
		     const char *reason, long long n);
/* Merge, sort (day, then provider), and sum per provider. */
void rb_throttle_finish(struct rb_throttle *t);
/* text, csv or json (html is rendered as text inside <pre>). */
int rb_throttle_render(const struct rb_throttle *t, enum rb_report_format f,
		       FILE *out);

#endif
