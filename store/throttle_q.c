#include "throttle_q.h"

#include <stdlib.h>

#include "store_int.h"

/* reasons that mean "too fast / over quota", never an address problem */
static const char *const reasons = "{toomanyconn,speeding}";

int
rb_store_throttling(struct rb_store *s, const char *from, const char *to,
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
	    " GROUP BY 1, 2, 3, 4"
	    " ORDER BY 1, 2, 3, 4";
	const char *p[3] = {from, to, reasons};
	PGresult *r = rb_store_q(s, PGRES_TUPLES_OK, sql, 3, p);
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
