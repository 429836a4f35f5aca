/*
 * throttle_q: the store query behind `rebound report throttling`: failures
 * whose reason says the sender went too fast or used up a quota
 * (toomanyconn, speeding; docs/cn.md), and the other refusals of the
 * sender (the reputation, content and authentication families of
 * rb_reason_family), counted per UTC day, remote MTA, recipient domain
 * and reason.  The provider is derived from those by reports/
 * (reports/throttle.h), which never speaks SQL.
 *
 * Bounces, delays and inferred complaints count: a delay keeps the reason
 * its reply named (parsers/parse.c: "421 HL:ICC" is toomanyconn).
 */
#ifndef RB_THROTTLE_Q_H
#define RB_THROTTLE_Q_H

struct rb_store;

/* One group; strings live until the callback returns (may be NULL). */
typedef void (*rb_throttle_row_cb)(void *ctx, const char *day,
				   const char *remote_mta,
				   const char *recipient_domain,
				   const char *reason, long long n);

/*
 * Rows for event days in [from, to] (inclusive, YYYY-MM-DD, UTC), ordered
 * by day; only tenant's events when tenant is not NULL, and of those
 * only stream's when stream is not NULL (the caller checks the names,
 * core/scope.h).  0, or -1 with rb_store_error() set.
 */
int rb_store_throttling(struct rb_store *s, const char *from, const char *to,
			const char *tenant, const char *stream,
			rb_throttle_row_cb cb, void *ctx);

#endif
