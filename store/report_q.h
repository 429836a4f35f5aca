/*
 * report_q: the queries behind `rebound report` and `rebound sent
 * import`.  It returns plain rows (strings and counts); reports/ turns
 * them into documents and never sees SQL.
 *
 * Columns are asked for by name (the raw event fields of reports/
 * report.c's key table: day, recipient_domain, sender_domain, campaign,
 * list_id, feedback_id, feedback_type, subject, reason, hard, status,
 * remote_mta, user_agent, reporting_mta, report_message_id, tenant,
 * stream); each name
 * maps to a fixed SQL expression here, so no text from the caller ever
 * becomes SQL.  report_message_id comes back as its domain only (a
 * Message-ID is unique per report: grouping by it would make one group
 * per event).  Days are UTC.
 *
 * Rows are handed to a callback; the values live until it returns.
 * Errors: -1 with rb_store_error(); an unknown column name is an error.
 */
#ifndef RB_REPORT_Q_H
#define RB_REPORT_Q_H

#include <stdbool.h>
#include <stddef.h>

#include "store.h"

#define RB_RQ_MAXCOLS 16

struct rb_rq_spec {
	const char *kind;	/* "complaint", "bounce" or "unsubscribe" */
	const char *from, *to;	/* inclusive days, YYYY-MM-DD (UTC) */
	/* complaints: also count auth-failure and not-spam reports, which
	 * are not complaints about the mail (docs/reports.md) */
	bool all_types;
	const char *const *cols;	/* names, see above */
	int ncols;
	/* only the events and sent counts of this tenant (NULL: every
	 * tenant, and those of no tenant) and of this stream of it (NULL:
	 * every stream); the caller checks the names (core/scope.h) */
	const char *tenant, *stream;
};

/* One group: vals[ncols] (NULL for SQL NULL), n events, of which sub are
 * inferred (complaints: not from an ARF report), hard (bounces) or by
 * one-click (unsubscribes: RFC 8058, not by mail). */
struct rb_rq_row {
	const char *const *vals;
	long long n, sub;
};

/* One day: complaints (same feedback-type rule as above), bounces and
 * unsubscribes. */
struct rb_rq_day {
	const char *day;
	long long complaints, bounces, unsubscribes;
};

/* One stored sent count ("" for parts not given; tenant "" is mail sent
 * for no tenant, stream "" for no stream of it). */
struct rb_rq_sent {
	const char *day, *sender_domain, *campaign, *list;
	const char *tenant, *stream;
	long long count;
};

int rb_rq_events(struct rb_store *s, const struct rb_rq_spec *q,
		 void (*fn)(void *arg, const struct rb_rq_row *row),
		 void *arg);
int rb_rq_daily(struct rb_store *s, const struct rb_rq_spec *q,
		void (*fn)(void *arg, const struct rb_rq_day *d), void *arg);
/* The sent counts of q's window, tenant and stream (cols unused). */
int rb_rq_sent(struct rb_store *s, const struct rb_rq_spec *q,
	       void (*fn)(void *arg, const struct rb_rq_sent *r), void *arg);

/*
 * Store sent counts: rows with the same key (day, tenant, stream, sender
 * domain, campaign, list) are summed within the call, and the sum REPLACES what
 * was stored for that key, so importing the same file twice changes
 * nothing.  One transaction.  *keys (may be NULL) gets the number of
 * distinct keys written.
 */
int rb_rq_sent_import(struct rb_store *s, const struct rb_rq_sent *rows,
		      size_t n, size_t *keys);

#endif
