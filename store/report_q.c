/*
 * report_q: report queries and sent counts (see report_q.h).
 */
#include "report_q.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

/*
 * The only SQL a column name can turn into.  Reports read the daily
 * rollup (migration 201), never the events themselves: a month of a busy
 * sender is millions of events but thousands of rollup rows.
 */
static const struct {
	const char *name, *sql;
} columns[] = {
    {"day", "to_char(day, 'YYYY-MM-DD')"},
    {"recipient_domain", "domain"},
    {"sender_domain", "sender_domain"},
    {"campaign", "campaign"},
    {"list_id", "list_id"},
    {"feedback_id", "feedback_id"},
    {"feedback_type", "feedback_type"},
    {"subject", "subject"},
    {"reason", "reason"},
    {"hard", "hard::text"},
    {"status", "status"},
    {"remote_mta", "remote_mta"},
    {"user_agent", "user_agent"},
    {"reporting_mta", "reporting_mta"},
    {"report_message_id", "report_domain"},
    {"tenant", "tenant"},
    {"stream", "stream"},
    {NULL, NULL},
};

/* the window, the kind, and which complaints count */
#define WINDOW " day BETWEEN $1::date AND $2::date"
/* a tenant ($4) and a stream of it ($5); NULL: every one */
#define TENANT                                                                 \
	" AND ($4::text IS NULL OR tenant = $4)"                               \
	" AND ($5::text IS NULL OR stream = $5)"
#define COUNTED_COMPLAINT                                                      \
	"(kind = 'complaint' AND ($3 = 'all' OR coalesce(feedback_type, '')"   \
	" NOT IN ('auth-failure', 'not-spam')))"

struct sqlbuf {
	char s[4096];
	size_t n;
	bool overflow;
};

static void
add(struct sqlbuf *b, const char *t)
{
	size_t l = strlen(t);
	if (b->n + l + 1 > sizeof b->s) {
		b->overflow = true;
		return;
	}
	memcpy(b->s + b->n, t, l + 1);
	b->n += l;
}

int
rb_rq_events(struct rb_store *s, const struct rb_rq_spec *q,
	     void (*fn)(void *arg, const struct rb_rq_row *row), void *arg)
{
	bool complaints = strcmp(q->kind, "complaint") == 0;
	bool unsubs = strcmp(q->kind, "unsubscribe") == 0;
	if (!complaints && !unsubs && strcmp(q->kind, "bounce") != 0)
		return rb_store_fail(s, NULL, "report: unknown kind");
	if (q->ncols < 0 || q->ncols > RB_RQ_MAXCOLS)
		return rb_store_fail(s, NULL, "report: too many columns");
	struct sqlbuf b = {.n = 0};
	add(&b, "SELECT ");
	for (int i = 0; i < q->ncols; i++) {
		int c = 0;
		while (columns[c].name && strcmp(columns[c].name, q->cols[i]))
			c++;
		if (columns[c].name == NULL)
			return rb_store_fail(s, NULL,
					     "report: unknown column %s",
					     q->cols[i]);
		add(&b, columns[c].sql);
		add(&b, ", ");
	}
	add(&b, "sum(n), ");
	add(&b, complaints ? "coalesce(sum(n) FILTER (WHERE NOT arf), 0)"
		: unsubs   ? "coalesce(sum(n) FILTER (WHERE one_click), 0)"
			   : "coalesce(sum(n) FILTER (WHERE hard), 0)");
	add(&b, " FROM report_daily WHERE");
	add(&b, complaints ? " " COUNTED_COMPLAINT
		: unsubs   ? " kind = 'unsubscribe' AND $3 <> ''"
			   : " kind = 'bounce' AND $3 <> ''");
	add(&b, " AND" WINDOW TENANT);
	if (q->ncols > 0) {
		add(&b, " GROUP BY ");
		for (int i = 0; i < q->ncols; i++) {
			char num[16];
			snprintf(num, sizeof num, "%s%d", i ? ", " : "", i + 1);
			add(&b, num);
		}
	}
	if (b.overflow)
		return rb_store_fail(s, NULL, "report: query too long");

	const char *p[5] = {q->from, q->to, q->all_types ? "all" : "counted",
			    q->tenant, q->stream};
	PGresult *r = rb_store_q(s, PGRES_TUPLES_OK, b.s, 5, p);
	if (r == NULL)
		return -1;
	const char *vals[RB_RQ_MAXCOLS];
	int rows = PQntuples(r);
	for (int i = 0; i < rows; i++) {
		for (int c = 0; c < q->ncols; c++)
			vals[c] = PQgetisnull(r, i, c) ? NULL
						       : PQgetvalue(r, i, c);
		struct rb_rq_row row = {
		    .vals = vals,
		    .n = atoll(PQgetvalue(r, i, q->ncols)),
		    .sub = atoll(PQgetvalue(r, i, q->ncols + 1)),
		};
		fn(arg, &row);
	}
	PQclear(r);
	return 0;
}

int
rb_rq_daily(struct rb_store *s, const struct rb_rq_spec *q,
	    void (*fn)(void *arg, const struct rb_rq_day *d), void *arg)
{
	static const char sql[] =
	    "SELECT to_char(day, 'YYYY-MM-DD'),"
	    " coalesce(sum(n) FILTER (WHERE " COUNTED_COMPLAINT "), 0),"
	    " coalesce(sum(n) FILTER (WHERE kind = 'bounce'), 0),"
	    " coalesce(sum(n) FILTER (WHERE kind = 'unsubscribe'), 0)"
	    " FROM report_daily WHERE" WINDOW TENANT
	    " GROUP BY 1 ORDER BY 1";
	const char *p[5] = {q->from, q->to, q->all_types ? "all" : "counted",
			    q->tenant, q->stream};
	PGresult *r = rb_store_q(s, PGRES_TUPLES_OK, sql, 5, p);
	if (r == NULL)
		return -1;
	for (int i = 0; i < PQntuples(r); i++) {
		struct rb_rq_day d = {
		    .day = PQgetvalue(r, i, 0),
		    .complaints = atoll(PQgetvalue(r, i, 1)),
		    .bounces = atoll(PQgetvalue(r, i, 2)),
		    .unsubscribes = atoll(PQgetvalue(r, i, 3)),
		};
		fn(arg, &d);
	}
	PQclear(r);
	return 0;
}

int
rb_rq_sent(struct rb_store *s, const struct rb_rq_spec *q,
	   void (*fn)(void *arg, const struct rb_rq_sent *row), void *arg)
{
	static const char sql[] =
	    "SELECT to_char(day, 'YYYY-MM-DD'), sender_domain, campaign,"
	    " list_id, count, tenant, stream FROM sent"
	    " WHERE day BETWEEN $1::date AND $2::date"
	    " AND ($3::text IS NULL OR tenant = $3)"
	    " AND ($4::text IS NULL OR stream = $4)";
	/* no ORDER BY: the report does not need one, and sorting a busy
	 * sender's rows (days x campaigns) by their text took longer than
	 * the rest of the report */
	const char *p[4] = {q->from, q->to, q->tenant, q->stream};
	PGresult *r = rb_store_q(s, PGRES_TUPLES_OK, sql, 4, p);
	if (r == NULL)
		return -1;
	for (int i = 0; i < PQntuples(r); i++) {
		struct rb_rq_sent row = {
		    .day = PQgetvalue(r, i, 0),
		    .sender_domain = PQgetvalue(r, i, 1),
		    .campaign = PQgetvalue(r, i, 2),
		    .list = PQgetvalue(r, i, 3),
		    .count = atoll(PQgetvalue(r, i, 4)),
		    .tenant = PQgetvalue(r, i, 5),
		    .stream = PQgetvalue(r, i, 6),
		};
		fn(arg, &row);
	}
	PQclear(r);
	return 0;
}

int
rb_rq_sent_import(struct rb_store *s, const struct rb_rq_sent *rows, size_t n,
		  size_t *keys)
{
	bool own = !rb_store_in_tx(s);
	if (own && rb_store_begin(s) != 0)
		return -1;
	struct rb_copybuf b = {0};
	for (size_t i = 0; i < n; i++) {
		rb_copy_str(&b, rows[i].day);
		rb_copy_sep(&b);
		rb_copy_str(&b, rows[i].sender_domain ? rows[i].sender_domain
						      : "");
		rb_copy_sep(&b);
		rb_copy_str(&b, rows[i].campaign ? rows[i].campaign : "");
		rb_copy_sep(&b);
		rb_copy_str(&b, rows[i].list ? rows[i].list : "");
		rb_copy_sep(&b);
		rb_copy_str(&b, rows[i].tenant ? rows[i].tenant : "");
		rb_copy_sep(&b);
		rb_copy_str(&b, rows[i].stream ? rows[i].stream : "");
		rb_copy_sep(&b);
		rb_copy_long(&b, rows[i].count);
		rb_copy_eol(&b);
	}
	int rc = -1;
	PGresult *r = NULL;
	if (rb_store_exec(s, "CREATE TEMP TABLE rb_tmp_sent (day date, "
			     "sender_domain text, campaign text, list_id text, "
			     "tenant text, stream text, count bigint)"
			     " ON COMMIT DROP") != 0)
		goto out;
	if (n > 0 && rb_store_copy_in(s, "COPY rb_tmp_sent FROM STDIN", &b) != 0)
		goto out;
	/* fold duplicates first: an upsert cannot touch a row twice */
	r = rb_store_q(s, PGRES_TUPLES_OK,
		       "INSERT INTO sent AS t (day, tenant, stream,"
		       " sender_domain, campaign, list_id, count)"
		       " SELECT day, tenant, stream, lower(sender_domain),"
		       " campaign, list_id, sum(count) FROM rb_tmp_sent"
		       " GROUP BY day, tenant, stream, lower(sender_domain),"
		       " campaign, list_id"
		       " ON CONFLICT (day, tenant, stream, sender_domain,"
		       " campaign, list_id)"
		       " DO UPDATE SET count = EXCLUDED.count,"
		       " imported_at = CASE WHEN t.count = EXCLUDED.count"
		       " THEN t.imported_at ELSE now() END"
		       " RETURNING 1",
		       0, NULL);
	if (r == NULL)
		goto out;
	if (keys)
		*keys = (size_t)PQntuples(r);
	PQclear(r);
	rc = 0;
out:
	rb_copy_free(&b);
	if (own) {
		if (rc == 0)
			rc = rb_store_commit(s);
		else
			rb_store_rollback(s);
	}
	return rc;
}
