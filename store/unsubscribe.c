/*
 * unsubscribe.c: the subscriber scopes that short unsubscribe tokens
 * name (rb_store_unsub_id in store.h; rb_store_unsub_rows in
 * store_int.h), table unsubscribe_ids (migration 022).
 */
#include <stdlib.h>
#include <string.h>

#include "core/scope.h"
#include "store_int.h"

/*
 * The row of the scope, made when missing: a look-up first, so that a
 * link written again does not take a value of the identity sequence
 * (an INSERT ... ON CONFLICT takes one even when the row is there, and
 * ids are 40 bits).  Two writers making the same row at once: one
 * inserts, the other's insert does nothing and returns no row, and it
 * reads the row again.
 */
static const char upsert_sql[] =
    "WITH old AS (SELECT id FROM unsubscribe_ids WHERE tenant = $1"
    " AND stream = $2 AND address = $3),"
    " new AS (INSERT INTO unsubscribe_ids (tenant, stream, address)"
    " SELECT $1, $2, $3 WHERE NOT EXISTS (SELECT 1 FROM old)"
    " ON CONFLICT (tenant, stream, address) DO NOTHING RETURNING id)"
    " SELECT id FROM old UNION ALL SELECT id FROM new";

int
rb_store_unsub_id(struct rb_store *s, const char *tenant, const char *stream,
		  const char *address, unsigned long long *id)
{
	*id = 0;
	if (tenant == NULL || !rb_scope_name_ok(tenant) ||
	    (stream && stream[0] && !rb_scope_name_ok(stream)) ||
	    address == NULL || address[0] == '\0')
		return rb_store_fail(s, NULL, "unsubscribe id: a tenant, "
					      "a well formed stream and an "
					      "address are needed");
	const char *p[] = {tenant, stream ? stream : "", address};
	for (int attempt = 0; attempt < 3; attempt++) {
		PGresult *r = rb_store_q(s, PGRES_TUPLES_OK, upsert_sql, 3, p);
		if (r == NULL)
			return -1;
		if (PQntuples(r) == 1) {
			*id = strtoull(PQgetvalue(r, 0, 0), NULL, 10);
			PQclear(r);
			return *id ? 0 : rb_store_fail(s, NULL,
						       "unsubscribe id: 0");
		}
		PQclear(r);
	}
	return rb_store_fail(s, NULL, "unsubscribe id: the row of %s could not "
				      "be made or read",
			     tenant);
}

/*
 * The batch form: the inputs numbered (WITH ORDINALITY), the missing
 * rows inserted (DISTINCT: a scope twice in a batch is one row), each
 * input's id from the rows there before the statement or from those it
 * inserted.  A row another writer made at the same moment is in
 * neither: its id is NULL, and the statement runs again.
 */
static const char upsert_many_sql[] =
    "WITH inp AS (SELECT * FROM unnest($1::text[], $2::text[], $3::text[])"
    " WITH ORDINALITY AS i(tenant, stream, address, n)),"
    " new AS (INSERT INTO unsubscribe_ids (tenant, stream, address)"
    " SELECT DISTINCT i.tenant, i.stream, i.address FROM inp i"
    " WHERE NOT EXISTS (SELECT 1 FROM unsubscribe_ids o WHERE"
    " o.tenant = i.tenant AND o.stream = i.stream AND o.address = i.address)"
    " ON CONFLICT (tenant, stream, address) DO NOTHING"
    " RETURNING id, tenant, stream, address)"
    " SELECT coalesce(o.id, w.id) FROM inp i"
    " LEFT JOIN unsubscribe_ids o ON o.tenant = i.tenant AND"
    " o.stream = i.stream AND o.address = i.address"
    " LEFT JOIN new w ON w.tenant = i.tenant AND w.stream = i.stream AND"
    " w.address = i.address ORDER BY i.n";

int
rb_store_unsub_ids(struct rb_store *s, size_t n, const struct rb_unsub *u,
		   unsigned long long *ids)
{
	if (n == 0)
		return 0;
	struct rb_copybuf arr[3];
	memset(arr, 0, sizeof(arr));
	for (size_t i = 0; i < n; i++) {
		ids[i] = 0;
		if (!rb_scope_name_ok(u[i].tenant) ||
		    (u[i].stream[0] && !rb_scope_name_ok(u[i].stream)) ||
		    u[i].address[0] == '\0') {
			for (int k = 0; k < 3; k++)
				rb_copy_free(&arr[k]);
			return rb_store_fail(s, NULL, "unsubscribe ids: a "
						      "tenant, a well formed "
						      "stream and an address "
						      "are needed");
		}
		rb_pg_array_add(&arr[0], u[i].tenant, i == 0);
		rb_pg_array_add(&arr[1], u[i].stream, i == 0);
		rb_pg_array_add(&arr[2], u[i].address, i == 0);
	}
	char *lit[3];
	for (int k = 0; k < 3; k++) {
		size_t l = arr[k].n;
		lit[k] = malloc(l + 3);
		if (lit[k] != NULL) {
			lit[k][0] = '{';
			memcpy(lit[k] + 1, arr[k].p, l);
			lit[k][l + 1] = '}';
			lit[k][l + 2] = '\0';
		}
		rb_copy_free(&arr[k]);
	}
	int rc = -1;
	if (lit[0] == NULL || lit[1] == NULL || lit[2] == NULL) {
		rb_store_fail(s, NULL, "out of memory");
		goto out;
	}
	const char *p[] = {lit[0], lit[1], lit[2]};
	for (int attempt = 0; attempt < 3 && rc != 0; attempt++) {
		PGresult *r = rb_store_q(s, PGRES_TUPLES_OK, upsert_many_sql, 3,
					 p);
		if (r == NULL)
			goto out;
		bool all = PQntuples(r) == (int)n;
		for (size_t i = 0; all && i < n; i++) {
			if (PQgetisnull(r, (int)i, 0)) {
				all = false;
				break;
			}
			ids[i] = strtoull(PQgetvalue(r, (int)i, 0), NULL, 10);
			all = ids[i] != 0;
		}
		PQclear(r);
		if (all)
			rc = 0;
	}
	if (rc != 0) {
		for (size_t i = 0; i < n; i++)
			ids[i] = 0;
		rb_store_fail(s, NULL, "unsubscribe ids: the rows could not "
				       "be made or read");
	}
out:
	for (int k = 0; k < 3; k++)
		free(lit[k]);
	return rc;
}

static int
cmp_row(const void *a, const void *b)
{
	const struct rb_unsub_row *x = a, *y = b;
	return x->id < y->id ? -1 : x->id > y->id;
}

int
rb_store_unsub_rows(struct rb_store *s, const char *ids,
		    struct rb_unsub_rows *out)
{
	memset(out, 0, sizeof(*out));
	const char *p[] = {ids};
	PGresult *r = rb_store_q(s, PGRES_TUPLES_OK,
				 "SELECT id, tenant, stream, address FROM"
				 " unsubscribe_ids WHERE id = ANY($1::bigint[])",
				 1, p);
	if (r == NULL)
		return -1;
	int n = PQntuples(r);
	out->v = calloc((size_t)n + 1, sizeof(*out->v));
	if (out->v == NULL) {
		PQclear(r);
		return rb_store_fail(s, NULL, "out of memory");
	}
	for (int i = 0; i < n; i++) {
		struct rb_unsub_row *w = &out->v[out->n];
		const char *t = PQgetvalue(r, i, 1), *st = PQgetvalue(r, i, 2),
			   *a = PQgetvalue(r, i, 3);
		/* a row that could not have been signed is no row */
		if (strlen(t) >= sizeof(w->u.tenant) ||
		    strlen(st) >= sizeof(w->u.stream) ||
		    strlen(a) >= sizeof(w->u.address))
			continue;
		w->id = strtoull(PQgetvalue(r, i, 0), NULL, 10);
		memcpy(w->u.tenant, t, strlen(t) + 1);
		memcpy(w->u.stream, st, strlen(st) + 1);
		memcpy(w->u.address, a, strlen(a) + 1);
		out->n++;
	}
	PQclear(r);
	qsort(out->v, out->n, sizeof(*out->v), cmp_row);
	return 0;
}

bool
rb_store_unsub_lookup(void *ctx, unsigned long long id, struct rb_unsub *u)
{
	const struct rb_unsub_rows *rows = ctx;
	if (rows == NULL || rows->n == 0)
		return false;
	struct rb_unsub_row k = {.id = id};
	const struct rb_unsub_row *w =
	    bsearch(&k, rows->v, rows->n, sizeof(*rows->v), cmp_row);
	if (w == NULL)
		return false;
	*u = w->u;
	return true;
}
