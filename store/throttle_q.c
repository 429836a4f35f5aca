#include "throttle_q.h"

#include <stdlib.h>

#include <stdio.h>

#include "core/event.h"
#include "store_int.h"

/* The families of refusals of the sender (core/event.h): too fast or
 * over quota, the sender's reputation, the content, authentication.
 * Never the address's own state. */
static const char *const families[] = {"rate", "reputation", "content",
				       "authentication", NULL};

/* "{toomanyconn,speeding,...}": the reasons of those families */
static void
reason_array(char *buf, size_t size)
{
	size_t n = 0;
	buf[n++] = '{';
	for (size_t f = 0; families[f]; f++) {
		const char *const *r = rb_reason_family_reasons(families[f]);
		for (size_t i = 0; r && r[i]; i++) {
			int w = snprintf(buf + n, size - n, "%s%s",
					 n > 1 ? "," : "", r[i]);
			if (w > 0 && (size_t)w < size - n)
				n += (size_t)w;
		}
	}
	snprintf(buf + n, size - n, "}");
}

int
rb_store_throttling(struct rb_store *s, const char *from, const char *to,
		    const char *tenant, const char *stream,
		    rb_throttle_row_cb cb, void *ctx)
{
	static const char sql[] =
	    "SELECT to_char(event_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'),"
	    "       lower(remote_mta), lower(domain), reason, count(*)"
	    "  FROM events"
	    " WHERE kind IN ('bounce', 'delay', 'complaint')"
	    "   AND reason = ANY ($3::text[])"
	    "   AND event_at >= ($1::date)::timestamp AT TIME ZONE 'UTC'"
	    "   AND event_at < ($2::date + 1)::timestamp AT TIME ZONE 'UTC'"
	    "   AND ($4::text IS NULL OR tenant = $4)"
	    "   AND ($5::text IS NULL OR stream = $5)"
	    " GROUP BY 1, 2, 3, 4"
	    " ORDER BY 1, 2, 3, 4";
	char reasons[512];
	reason_array(reasons, sizeof(reasons));
	const char *p[5] = {from, to, reasons, tenant, stream};
	PGresult *r = rb_store_q(s, PGRES_TUPLES_OK, sql, 5, p);
	if (r == NULL)
		return -1;
	int n = PQntuples(r);
	for (int i = 0; i < n; i++) {
		const char *v[4];
		for (int k = 0; k < 4; k++)
			v[k] = PQgetisnull(r, i, k) ? NULL : PQgetvalue(r, i, k);
		cb(ctx, v[0], v[1], v[2], v[3],
		   strtoll(PQgetvalue(r, i, 4), NULL, 10));
	}
	PQclear(r);
	return 0;
}
