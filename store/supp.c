/*
 * supp.c: the suppression list: lookup, manual suppress/unsuppress,
 * filter matching, listing, import, explain.  Times are the policy clock
 * (rb_now(), so tests can move it), passed as epoch parameters.
 */
#include <stdlib.h>
#include <string.h>

#include "core/addrkey.h"
#include "core/policy.h"
#include "core/scope.h"
#include "store_int.h"

#define ISO(c) "to_char(" c ", 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
/* the rb_supp columns; $1 is always "now" (epoch) */
#define SUPP_COLS                                                              \
	"address, addr_key, class, reason, rule, actor,"                       \
	" coalesce(event_id, 0), " ISO("created_at") ", " ISO("updated_at")     \
	", " ISO("expires_at") ", " ISO("removed_at") ","                       \
	" (removed_at IS NULL AND (expires_at IS NULL OR"                      \
	" expires_at > to_timestamp($1))), scope"
/* the same from the readers' view (active rows only, its own clock) */
#define VIEW_COLS                                                              \
	"address, addr_key, class, reason, NULL, NULL, 0, " ISO("since") ", "   \
	ISO("since") ", " ISO("expires_at") ", NULL, true, scope"
#define ACTIVE                                                                 \
	"(removed_at IS NULL AND (expires_at IS NULL OR expires_at > "         \
	"to_timestamp($1)))"

static void
now_param(char *buf, size_t n)
{
	snprintf(buf, n, "%lld", (long long)rb_now());
}

static char *
dup_or_null(const PGresult *r, int row, int col)
{
	if (PQgetisnull(r, row, col))
		return NULL;
	return strdup(PQgetvalue(r, row, col));
}

static void
fill(struct rb_supp *o, const PGresult *r, int row, bool copy)
{
	char *v[11];
	for (int c = 0; c < 11; c++)
		v[c] = copy ? dup_or_null(r, row, c)
		       : PQgetisnull(r, row, c)
			   ? NULL
			   : PQgetvalue(r, row, c);
	o->found = true;
	o->address = v[0];
	o->addr_key = v[1];
	o->class = v[2];
	o->reason = v[3];
	o->rule = v[4];
	o->actor = v[5];
	o->event_id = strtoll(PQgetvalue(r, row, 6), NULL, 10);
	if (copy)
		free(v[6]);
	o->created_at = v[7];
	o->updated_at = v[8];
	o->expires_at = v[9];
	o->removed_at = v[10];
	o->active = PQgetvalue(r, row, 11)[0] == 't';
	o->scope = copy ? strdup(PQgetvalue(r, row, 12))
			: PQgetvalue(r, row, 12);
}

void
rb_supp_free(struct rb_supp *p)
{
	free(p->address);
	free(p->addr_key);
	free(p->class);
	free(p->reason);
	free(p->rule);
	free(p->actor);
	free(p->created_at);
	free(p->updated_at);
	free(p->expires_at);
	free(p->removed_at);
	free(p->scope);
	memset(p, 0, sizeof(*p));
}

/* key and domain of an address; false when empty */
static bool
key_of(const char *address, char *key, size_t cap, const char **domain)
{
	size_t doff;
	size_t l = rb_addr_key(address, strlen(address), key, cap, &doff);
	if (l == 0)
		return false;
	*domain = doff < l ? key + doff : "";
	return true;
}

/*
 * May this connection read the table suppressions, or only the view
 * rebound_active_suppressions (a member of rebound_reader, such as a
 * user of the built-in database in the group "rebound")?  Asked once
 * per connection.
 */
static bool
reads_table(struct rb_store *s)
{
	static _Thread_local PGconn *asked;
	static _Thread_local bool answer;
	PGconn *pg = rb_store_pg(s);
	if (pg == asked)
		return answer;
	PGresult *r = PQexec(pg, "SELECT has_table_privilege('suppressions',"
				 " 'SELECT')");
	answer = !(r && PQresultStatus(r) == PGRES_TUPLES_OK &&
		   PQntuples(r) == 1 && PQgetvalue(r, 0, 0)[0] == 'f');
	PQclear(r);
	asked = pg;
	return answer;
}

int
rb_store_lookup(struct rb_store *s, const char *address, struct rb_supp *out)
{
	char key[RB_ADDRKEY_MAX + 1], now[32];
	const char *dom;
	memset(out, 0, sizeof(*out));
	if (!key_of(address, key, sizeof(key), &dom))
		return 0;
	now_param(now, sizeof(now));
	const char *p[] = {now, key, rb_store_scope_tenant(s),
			   rb_store_scope_stream(s)};
	/* the row that answers: an active one first, the widest scope
	 * first among those */
	PGresult *r =
	    reads_table(s)
		? rb_store_q(s, PGRES_TUPLES_OK,
			     "SELECT " SUPP_COLS
			     " FROM suppressions WHERE addr_key = $2 AND "
			     RB_SCOPE_COVERS("scope", "$3", "$4")
			     " ORDER BY 12 DESC, scope LIMIT 1",
			     4, p)
		: rb_store_q(s, PGRES_TUPLES_OK,
			     "SELECT " VIEW_COLS " FROM rebound_active_suppressions"
			     " WHERE addr_key = $2 AND $1::text IS NOT NULL AND "
			     RB_SCOPE_COVERS("scope", "$3", "$4")
			     " ORDER BY scope LIMIT 1",
			     4, p);
	if (r == NULL)
		return -1;
	if (PQntuples(r) == 1)
		fill(out, r, 0, true);
	else
		out->addr_key = strdup(key);
	PQclear(r);
	return 0;
}

/* Run one statement under the writers' lock (store/batch.c), in the
 * caller's transaction or a short one of its own. */
static PGresult *
locked_q(struct rb_store *s, const char *sql, int n, const char *const *p)
{
	bool own = !rb_store_in_tx(s);
	if (own && rb_store_begin(s) != 0)
		return NULL;
	PGresult *r = NULL;
	if (rb_store_exec(s, RB_WRITER_LOCK_SQL) == 0)
		r = rb_store_q(s, PGRES_COMMAND_OK, sql, n, p);
	if (own) {
		if (r != NULL && rb_store_commit(s) != 0) {
			PQclear(r);
			r = NULL;
		}
		if (r == NULL)
			rb_store_rollback(s); /* keeps the error */
	}
	return r;
}

int
rb_store_suppress(struct rb_store *s, const char *address, const char *reason,
		  const char *actor, const char *expires_iso, bool *changed)
{
	char key[RB_ADDRKEY_MAX + 1], now[32], exp[32] = "";
	const char *dom;
	if (changed)
		*changed = false;
	if (!key_of(address, key, sizeof(key), &dom))
		return rb_store_fail(s, NULL, "empty address");
	now_param(now, sizeof(now));
	if (expires_iso) {
		time_t t;
		if (rb_time_parse(expires_iso, &t) != 0)
			return rb_store_fail(s, NULL, "bad expiry time: %s",
					     expires_iso);
		snprintf(exp, sizeof(exp), "%lld", (long long)t);
	}
	/* the verbatim address is text too: invalid bytes as U+FFFD (as
	 * ingest and import store them) rather than a failed statement */
	size_t al = strlen(address);
	char *addr = malloc(al * 3 + 1);
	if (addr == NULL)
		return rb_store_fail(s, NULL, "out of memory");
	rb_utf8_clean(address, al, addr, al * 3 + 1);
	char scope[RB_SCOPE_MAX];
	rb_store_write_scope(s, scope);
	const char *p[] = {now, key, addr, dom,
			   reason ? reason : "manual", actor,
			   exp[0] ? exp : NULL, scope};
	PGresult *r = locked_q(
	    s,
	    "WITH up AS (INSERT INTO suppressions (addr_key, address, domain,"
	    " class, reason, rule, actor, created_at, updated_at, expires_at,"
	    " scope)"
	    " VALUES ($2, $3, $4, 'manual', $5, 'manual', $6, to_timestamp($1),"
	    " to_timestamp($1), to_timestamp($7::double precision), $8)"
	    " ON CONFLICT (addr_key, scope) DO UPDATE SET class = 'manual',"
	    " reason = EXCLUDED.reason, rule = 'manual', actor ="
	    " EXCLUDED.actor, event_id = NULL, created_at = EXCLUDED.created_at,"
	    " updated_at = EXCLUDED.updated_at, expires_at ="
	    " EXCLUDED.expires_at, removed_at = NULL, removed_by = NULL,"
	    " remove_reason = NULL"
	    " WHERE NOT (suppressions.removed_at IS NULL AND"
	    " (suppressions.expires_at IS NULL OR suppressions.expires_at >"
	    " to_timestamp($1)))"
	    " RETURNING addr_key, address, expires_at, scope)"
	    " INSERT INTO suppression_history (addr_key, address, action,"
	    " class, reason, rule, actor, at, expires_at, scope)"
	    " SELECT addr_key, address, 'added', 'manual', $5, 'manual', $6,"
	    " to_timestamp($1), expires_at, scope FROM up",
	    8, p);
	free(addr);
	if (r == NULL)
		return -1;
	if (changed)
		*changed = atoi(PQcmdTuples(r)) > 0;
	PQclear(r);
	return 0;
}

int
rb_store_unsuppress(struct rb_store *s, const char *address,
		    const char *reason, const char *actor, bool *changed)
{
	char key[RB_ADDRKEY_MAX + 1], now[32];
	const char *dom;
	if (changed)
		*changed = false;
	if (!key_of(address, key, sizeof(key), &dom))
		return rb_store_fail(s, NULL, "empty address");
	now_param(now, sizeof(now));
	char scope[RB_SCOPE_MAX];
	rb_store_write_scope(s, scope);
	const char *p[] = {now, key, actor, reason ? reason : "manual", scope};
	PGresult *r = locked_q(
	    s,
	    "WITH up AS (UPDATE suppressions SET removed_at = to_timestamp($1),"
	    " removed_by = $3, remove_reason = $4, updated_at ="
	    " to_timestamp($1) WHERE addr_key = $2 AND scope = $5 AND " ACTIVE
	    " RETURNING addr_key, address, class, scope)"
	    " INSERT INTO suppression_history (addr_key, address, action,"
	    " class, reason, rule, actor, at, scope)"
	    " SELECT addr_key, address, 'removed', class, $4, 'manual', $3,"
	    " to_timestamp($1), scope FROM up",
	    5, p);
	if (r == NULL)
		return -1;
	if (changed)
		*changed = atoi(PQcmdTuples(r)) > 0;
	PQclear(r);
	return 0;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int
rb_store_match(struct rb_store *s, const char *const *keys, size_t n,
	       bool *hit)
{
	struct rb_copybuf arr = {0};
	char now[32];
	for (size_t i = 0; i < n; i++)
		hit[i] = false;
	if (n == 0)
		return 0;
	rb_copy_raw(&arr, "{");
	for (size_t i = 0; i < n; i++)
		rb_pg_array_add(&arr, keys[i], i == 0);
	rb_copy_raw(&arr, "}");
	arr.p[arr.n] = '\0';
	now_param(now, sizeof(now));
	const char *p[] = {now, arr.p, rb_store_scope_tenant(s),
			   rb_store_scope_stream(s)};
	/* "= ANY(array)" is one index scan over the sorted keys; a join
	 * with unnest() probes the index once per key, ~20x slower */
	PGresult *r =
	    reads_table(s)
		? rb_store_q(s, PGRES_TUPLES_OK,
			     "SELECT DISTINCT addr_key FROM suppressions WHERE"
			     " addr_key = ANY($2::text[]) AND removed_at IS NULL"
			     " AND (expires_at IS NULL OR expires_at >"
			     " to_timestamp($1)) AND "
			     RB_SCOPE_COVERS("scope", "$3", "$4"),
			     4, p)
		: rb_store_q(s, PGRES_TUPLES_OK,
			     "SELECT DISTINCT addr_key FROM"
			     " rebound_active_suppressions"
			     " WHERE addr_key = ANY($2::text[]) AND $1::text IS"
			     " NOT NULL AND "
			     RB_SCOPE_COVERS("scope", "$3", "$4"),
			     4, p);
	rb_copy_free(&arr);
	if (r == NULL)
		return -1;
	int nr = PQntuples(r);
	if (nr > 0) {
		const char **found = malloc((size_t)nr * sizeof(*found));
		if (found == NULL) {
			PQclear(r);
			return rb_store_fail(s, NULL, "out of memory");
		}
		for (int i = 0; i < nr; i++)
			found[i] = PQgetvalue(r, i, 0);
		qsort(found, (size_t)nr, sizeof(*found), cmp_str);
		for (size_t i = 0; i < n; i++)
			hit[i] = bsearch(&keys[i], found, (size_t)nr,
					 sizeof(*found), cmp_str) != NULL;
		free(found);
	}
	PQclear(r);
	return 0;
}

long long
rb_store_active_estimate(struct rb_store *s)
{
	PGresult *r = rb_store_q(s, PGRES_TUPLES_OK,
				 "SELECT greatest(reltuples, 0)::bigint FROM"
				 " pg_class WHERE oid = 'suppressions'::regclass",
				 0, NULL);
	if (r == NULL)
		return -1;
	long long n = PQntuples(r) ? strtoll(PQgetvalue(r, 0, 0), NULL, 10)
				   : 0;
	PQclear(r);
	return n;
}

/* undo COPY text escaping in place; returns the new length */
static size_t
copy_unescape(char *p, size_t n)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		if (p[i] != '\\' || i + 1 == n) {
			p[o++] = p[i];
			continue;
		}
		char c = p[++i];
		switch (c) {
		case 'b': p[o++] = '\b'; break;
		case 'f': p[o++] = '\f'; break;
		case 'n': p[o++] = '\n'; break;
		case 'r': p[o++] = '\r'; break;
		case 't': p[o++] = '\t'; break;
		case 'v': p[o++] = '\v'; break;
		default: p[o++] = c;
		}
	}
	return o;
}

int
rb_store_active_keys(struct rb_store *s, rb_key_cb cb, void *ctx)
{
	PGconn *pg = rb_store_pg(s);
	char now[32], sql[1024];
	now_param(now, sizeof(now));
	/* COPY takes no parameters: the time is a number we formatted, the
	 * scope goes through two settings of the session, set with
	 * parameters ("" for none) */
	const char *sp[] = {rb_store_scope_tenant(s) ? rb_store_scope_tenant(s)
						      : "",
			    rb_store_scope_stream(s) ? rb_store_scope_stream(s)
						      : ""};
	PGresult *r = rb_store_q(s, PGRES_TUPLES_OK,
				 "SELECT set_config('rebound.q_tenant', $1,"
				 " false), set_config('rebound.q_stream', $2,"
				 " false)",
				 2, sp);
	if (r == NULL)
		return -1;
	PQclear(r);
#define QT "nullif(current_setting('rebound.q_tenant'), '')"
#define QS "nullif(current_setting('rebound.q_stream'), '')"
	if (reads_table(s))
		snprintf(sql, sizeof(sql),
			 "COPY (SELECT addr_key FROM suppressions WHERE"
			 " removed_at IS NULL AND (expires_at IS NULL OR"
			 " expires_at > to_timestamp(%s)) AND "
			 RB_SCOPE_COVERS("scope", QT, QS) ") TO STDOUT",
			 now);
	else
		snprintf(sql, sizeof(sql),
			 "COPY (SELECT addr_key FROM"
			 " rebound_active_suppressions WHERE "
			 RB_SCOPE_COVERS("scope", QT, QS) ") TO STDOUT");
#undef QT
#undef QS
	r = PQexec(pg, sql);
	if (r == NULL || PQresultStatus(r) != PGRES_COPY_OUT) {
		rb_store_fail(s, r, "COPY failed");
		PQclear(r);
		return -1;
	}
	PQclear(r);
	int rc = 0, len;
	char *buf;
	while ((len = PQgetCopyData(pg, &buf, 0)) > 0) {
		size_t l = (size_t)len;
		if (l > 0 && buf[l - 1] == '\n')
			l--;
		l = copy_unescape(buf, l);
		buf[l] = '\0';
		if (rc == 0 && cb(ctx, buf, l) != 0)
			rc = 1;
		PQfreemem(buf);
	}
	while ((r = PQgetResult(pg)) != NULL) {
		if (PQresultStatus(r) != PGRES_COMMAND_OK && rc == 0)
			rc = rb_store_fail(s, r, "COPY failed");
		PQclear(r);
	}
	if (len == -2 && rc == 0)
		rc = rb_store_fail(s, NULL, "COPY failed");
	return rc < 0 ? -1 : 0;
}

int
rb_store_list(struct rb_store *s, const struct rb_list_filter *f,
	      rb_supp_cb cb, void *ctx)
{
	char now[32], dom[RB_ADDRKEY_MAX + 1] = "", since[32] = "";
	now_param(now, sizeof(now));
	if (f->domain) {
		/* normalise the domain the way keys are */
		char tmp[RB_ADDRKEY_MAX + 2];
		snprintf(tmp, sizeof(tmp), "x@%s", f->domain);
		rb_addr_key(tmp, strlen(tmp), dom, sizeof(dom), NULL);
		memmove(dom, dom + 2, strlen(dom + 2) + 1);
	}
	if (f->since) {
		time_t t;
		if (rb_time_parse(f->since, &t) != 0)
			return rb_store_fail(s, NULL, "bad --since time: %s",
					     f->since);
		snprintf(since, sizeof(since), "%lld", (long long)t);
	}
	const char *state = f->state == RB_LIST_ACTIVE	 ? ACTIVE
			    : f->state == RB_LIST_INACTIVE ? "NOT " ACTIVE
							   : "true";
	char sql[2048];
	snprintf(sql, sizeof(sql),
		 "SELECT " SUPP_COLS " FROM suppressions WHERE %s"
		 " AND ($2::text IS NULL OR class = $2)"
		 " AND ($3::text IS NULL OR reason = $3)"
		 " AND ($4::text IS NULL OR domain = $4)"
		 " AND ($5::text IS NULL OR created_at >= "
		 "to_timestamp($5::double precision)) AND "
		 RB_SCOPE_COVERS("scope", "$6", "$7")
		 " ORDER BY addr_key, scope",
		 state);
	const char *p[] = {now, f->cls, f->reason, f->domain ? dom : NULL,
			   since[0] ? since : NULL, rb_store_scope_tenant(s),
			   rb_store_scope_stream(s)};
	if (!PQsendQueryParams(rb_store_pg(s), sql, 7, NULL, p, NULL, NULL,
			       0))
		return rb_store_fail(s, NULL, "list failed");
	PQsetSingleRowMode(rb_store_pg(s));
	int rc = 0;
	bool stop = false;
	PGresult *r;
	while ((r = PQgetResult(rb_store_pg(s))) != NULL) {
		ExecStatusType st = PQresultStatus(r);
		if (st == PGRES_SINGLE_TUPLE && !stop) {
			struct rb_supp row;
			fill(&row, r, 0, false);
			if (cb(ctx, &row) != 0)
				stop = true;
		} else if (st != PGRES_SINGLE_TUPLE && st != PGRES_TUPLES_OK &&
			   rc == 0) {
			rc = rb_store_fail(s, r, "list failed");
		}
		PQclear(r);
	}
	return rc;
}

int
rb_store_import(struct rb_store *s, const struct rb_import_row *rows,
		size_t n, const char *actor, unsigned long *added)
{
	struct rb_copybuf b = {0};
	char now[32];
	*added = 0;
	for (size_t i = 0; i < n; i++) {
		char key[RB_ADDRKEY_MAX + 1];
		const char *dom;
		if (rows[i].address == NULL ||
		    !key_of(rows[i].address, key, sizeof(key), &dom))
			continue;
		time_t t = 0;
		if (rows[i].expires && rows[i].expires[0] &&
		    rb_time_parse(rows[i].expires, &t) != 0) {
			rb_copy_free(&b);
			return rb_store_fail(s, NULL,
					     "bad expiry time for %s: %s",
					     rows[i].address, rows[i].expires);
		}
		char scope[RB_SCOPE_MAX];
		if (rows[i].scope && rows[i].scope[0]) {
			if (rb_scope_parse(rows[i].scope, scope) != 0) {
				rb_copy_free(&b);
				return rb_store_fail(s, NULL,
						     "bad scope for %s: %s",
						     rows[i].address,
						     rows[i].scope);
			}
		} else {
			rb_store_write_scope(s, scope);
		}
		rb_copy_str(&b, key);
		rb_copy_sep(&b);
		rb_copy_str(&b, rows[i].address);
		rb_copy_sep(&b);
		rb_copy_str(&b, dom);
		rb_copy_sep(&b);
		rb_copy_str(&b, rows[i].reason && rows[i].reason[0]
				    ? rows[i].reason
				    : "imported");
		rb_copy_sep(&b);
		if (t) {
			char iso[32];
			rb_time_iso(t, iso, sizeof(iso));
			rb_copy_raw(&b, iso);
		} else {
			rb_copy_raw(&b, "\\N");
		}
		rb_copy_sep(&b);
		rb_copy_str(&b, scope);
		rb_copy_eol(&b);
	}
	bool own = !rb_store_in_tx(s);
	int rc = -1;
	if (own && rb_store_begin(s) != 0)
		goto out;
	if (rb_store_exec(s, RB_WRITER_LOCK_SQL) != 0 ||
	    rb_store_exec(s, "CREATE TEMP TABLE IF NOT EXISTS rb_tmp_imp ("
			     " addr_key text, address text, domain text,"
			     " reason text, expires_at timestamptz, scope text);"
			     " TRUNCATE rb_tmp_imp") != 0)
		goto out;
	if (b.n > 0 &&
	    rb_store_copy_in(s, "COPY rb_tmp_imp FROM STDIN", &b) != 0)
		goto out;
	now_param(now, sizeof(now));
	const char *p[] = {now, actor};
	PGresult *r = rb_store_q(
	    s, PGRES_COMMAND_OK,
	    "WITH src AS (SELECT DISTINCT ON (addr_key, scope) * FROM"
	    " rb_tmp_imp ORDER BY addr_key, scope),"
	    " up AS (INSERT INTO suppressions (addr_key, address, domain,"
	    " class, reason, rule, actor, created_at, updated_at, expires_at,"
	    " scope)"
	    " SELECT addr_key, address, domain, 'manual', reason, 'import', $2,"
	    " to_timestamp($1), to_timestamp($1), expires_at, scope FROM src"
	    " ON CONFLICT (addr_key, scope) DO UPDATE SET class = 'manual', reason ="
	    " EXCLUDED.reason, rule = 'import', actor = EXCLUDED.actor,"
	    " event_id = NULL, created_at = EXCLUDED.created_at, updated_at ="
	    " EXCLUDED.updated_at, expires_at = EXCLUDED.expires_at,"
	    " removed_at = NULL, removed_by = NULL, remove_reason = NULL"
	    " WHERE NOT (suppressions.removed_at IS NULL AND"
	    " (suppressions.expires_at IS NULL OR suppressions.expires_at >"
	    " to_timestamp($1)))"
	    " RETURNING addr_key, address, reason, expires_at, scope)"
	    " INSERT INTO suppression_history (addr_key, address, action,"
	    " class, reason, rule, actor, at, expires_at, note, scope)"
	    " SELECT addr_key, address, 'added', 'manual', reason, 'import',"
	    " $2, to_timestamp($1), expires_at, 'import', scope FROM up",
	    2, p);
	if (r == NULL)
		goto out;
	*added = strtoul(PQcmdTuples(r), NULL, 10);
	PQclear(r);
	if (own && rb_store_commit(s) != 0)
		goto out;
	rc = 0;
out:
	if (rc != 0 && own)
		rb_store_rollback(s); /* keeps the error */
	rb_copy_free(&b);
	return rc;
}

/* a diagnostic excerpt: first 160 bytes, cut at a UTF-8 boundary */
static void
excerpt(FILE *out, const char *d)
{
	size_t l = strlen(d);
	if (l <= 160) {
		fprintf(out, "%s", d);
		return;
	}
	size_t k = 160;
	while (k > 0 && ((unsigned char)d[k] & 0xc0) == 0x80)
		k--;
	fprintf(out, "%.*s...", (int)k, d);
}

int
rb_store_event_brief(struct rb_store *s, long long id, char *buf, size_t n)
{
	char ids[32];
	snprintf(ids, sizeof(ids), "%lld", id);
	const char *p[] = {ids};
	buf[0] = '\0';
	PGresult *r = rb_store_q(
	    s, PGRES_TUPLES_OK,
	    "SELECT e.kind, coalesce(e.reason, ''), coalesce(e.status, ''),"
	    " coalesce(e.feedback_type, ''), " ISO("e.event_at") ", m.source,"
	    " left(coalesce(e.doc->>'diagnostic', ''), 200)"
	    " FROM events e JOIN messages m ON m.id = e.message_id"
	    " WHERE e.id = $1",
	    1, p);
	if (r == NULL)
		return -1;
	if (PQntuples(r) == 1)
		snprintf(buf, n, "%s %s%s%s%s%s at %s in %s%s%s",
			 PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 1),
			 PQgetvalue(r, 0, 2)[0] ? " " : "", PQgetvalue(r, 0, 2),
			 PQgetvalue(r, 0, 3)[0] ? " " : "", PQgetvalue(r, 0, 3),
			 PQgetvalue(r, 0, 4), PQgetvalue(r, 0, 5),
			 PQgetvalue(r, 0, 6)[0] ? ": " : "",
			 PQgetvalue(r, 0, 6));
	PQclear(r);
	return 0;
}

/*
 * explain's three reads.  A role that may not read the tables (a member
 * of rebound_reader) reads the same rows through the functions of
 * migration 012, which leave out an event's diagnostic and its mail's
 * source (NULL in those columns).
 */
#define EXPLAIN_HISTORY_COLS                                                   \
	"SELECT " ISO("h.at") ", h.action, h.class, h.reason, h.rule,"         \
	" h.actor, h.event_id, " ISO("h.expires_at") ", h.note, h.scope"
#define EXPLAIN_EVENT_COLS                                                     \
	"SELECT e.id, " ISO("e.event_at") ", e.kind, e.reason, e.status,"      \
	" e.smtp_code, e.feedback_type, e.policy_rule, e.parser, %s,"          \
	" %s, m.mbox_index, encode(m.sha256, 'hex'), e.remote_mta,"           \
	" e.recipient, e.tenant, e.stream, e.tenant_from, e.scope"

int
rb_store_explain(struct rb_store *s, const char *address, FILE *out)
{
	struct rb_supp sp;
	if (rb_store_lookup(s, address, &sp) != 0)
		return -1;
	const char *key = sp.addr_key ? sp.addr_key : "";
	bool table = reads_table(s);
	char now[32];
	now_param(now, sizeof(now));
	const char *p[] = {key};
	/* every scope's row, whatever the question: explain shows all */
	PGresult *rs = rb_store_q(
	    s, PGRES_TUPLES_OK,
	    table ? "SELECT " SUPP_COLS " FROM suppressions WHERE addr_key = $2"
		    " ORDER BY scope"
		  : "SELECT " SUPP_COLS " FROM rebound_explain_suppressions($2)"
		    " ORDER BY scope",
	    2, (const char *const[]){now, key});
	if (rs == NULL) {
		rb_supp_free(&sp);
		return -1;
	}
	if (sp.found || PQntuples(rs) > 0) {
		const char *t = rb_store_scope_tenant(s);
		fprintf(out, "%s: %s", sp.found ? sp.address
						: PQgetvalue(rs, 0, 0),
			sp.active ? "SUPPRESSED" : "not suppressed");
		if (t)
			fprintf(out, " for tenant %s%s%s", t,
				rb_store_scope_stream(s) ? " stream " : "",
				rb_store_scope_stream(s)
				    ? rb_store_scope_stream(s)
				    : "");
		fputc('\n', out);
	} else {
		fprintf(out, "%s: never suppressed\n", address);
	}
	for (int i = 0; i < PQntuples(rs); i++) {
		struct rb_supp row;
		fill(&row, rs, i, false);
		fprintf(out, "  scope %s: %s (class %s, reason %s, rule %s)\n",
			row.scope[0] ? row.scope : "global",
			row.active ? "SUPPRESSED" : "not suppressed",
			row.class, row.reason ? row.reason : "-",
			row.rule ? row.rule : "-");
		fprintf(out, "    since %s, until %s%s%s\n", row.created_at,
			row.expires_at ? row.expires_at : "never",
			row.removed_at ? ", removed " : "",
			row.removed_at ? row.removed_at : "");
	}
	bool found = sp.found || PQntuples(rs) > 0;
	PQclear(rs);
	PGresult *r = rb_store_q(
	    s, PGRES_TUPLES_OK,
	    table ? EXPLAIN_HISTORY_COLS " FROM suppression_history h"
		    " WHERE h.addr_key = $1 ORDER BY h.id"
		  : EXPLAIN_HISTORY_COLS " FROM rebound_explain_history($1) h"
		    " ORDER BY h.id",
	    1, p);
	if (r == NULL) {
		rb_supp_free(&sp);
		return -1;
	}
	if (PQntuples(r) > 0)
		fprintf(out, "history:\n");
	for (int i = 0; i < PQntuples(r); i++) {
		fprintf(out, "  %s %-8s", PQgetvalue(r, i, 0),
			PQgetvalue(r, i, 1));
		if (!PQgetisnull(r, i, 2))
			fprintf(out, " %s", PQgetvalue(r, i, 2));
		if (!PQgetisnull(r, i, 4))
			fprintf(out, " by rule %s", PQgetvalue(r, i, 4));
		if (!PQgetisnull(r, i, 5))
			fprintf(out, " by %s", PQgetvalue(r, i, 5));
		if (!PQgetisnull(r, i, 3) && PQgetisnull(r, i, 4))
			fprintf(out, " (%s)", PQgetvalue(r, i, 3));
		else if (!PQgetisnull(r, i, 3) && !PQgetisnull(r, i, 5))
			fprintf(out, " (%s)", PQgetvalue(r, i, 3));
		if (!PQgetisnull(r, i, 6))
			fprintf(out, " citing event %s", PQgetvalue(r, i, 6));
		if (!PQgetisnull(r, i, 7))
			fprintf(out, ", until %s", PQgetvalue(r, i, 7));
		if (!PQgetisnull(r, i, 8))
			fprintf(out, " [%s]", PQgetvalue(r, i, 8));
		if (PQgetvalue(r, i, 9)[0])
			fprintf(out, " in scope %s", PQgetvalue(r, i, 9));
		fputc('\n', out);
	}
	PQclear(r);
	char sql[1024];
	if (table)
		snprintf(sql, sizeof(sql),
			 EXPLAIN_EVENT_COLS
			 " FROM events e JOIN messages m ON m.id = e.message_id"
			 " WHERE e.addr_key = $1 ORDER BY e.event_at, e.id"
			 " LIMIT 200",
			 "e.doc->>'diagnostic'", "m.source");
	else
		snprintf(sql, sizeof(sql),
			 EXPLAIN_EVENT_COLS
			 " FROM rebound_explain_events($1) e, LATERAL (SELECT"
			 " e.mbox_index, e.sha256) m ORDER BY e.event_at, e.id",
			 "NULL", "NULL");
	r = rb_store_q(s, PGRES_TUPLES_OK, sql, 1, p);
	if (r == NULL) {
		rb_supp_free(&sp);
		return -1;
	}
	if (PQntuples(r) > 0)
		fprintf(out, "events:\n");
	for (int i = 0; i < PQntuples(r); i++) {
		fprintf(out, "  event %s at %s: %s", PQgetvalue(r, i, 0),
			PQgetvalue(r, i, 1), PQgetvalue(r, i, 2));
		for (int c = 3; c <= 6; c++)
			if (!PQgetisnull(r, i, c))
				fprintf(out, " %s", PQgetvalue(r, i, c));
		fprintf(out, " -> rule %s (parser %s)\n", PQgetvalue(r, i, 7),
			PQgetisnull(r, i, 8) ? "-" : PQgetvalue(r, i, 8));
		fprintf(out, "    mail: %s",
			table ? PQgetvalue(r, i, 10) : "(not shown to this role)");
		if (!PQgetisnull(r, i, 11))
			fprintf(out, " [mbox #%s]", PQgetvalue(r, i, 11));
		fprintf(out, " sha256 %.16s...\n", PQgetvalue(r, i, 12));
		if (!PQgetisnull(r, i, 13))
			fprintf(out, "    remote MTA: %s\n",
				PQgetvalue(r, i, 13));
		fprintf(out, "    tenant: %s%s%s (by %s), scope %s\n",
			PQgetisnull(r, i, 15) ? "none" : PQgetvalue(r, i, 15),
			PQgetisnull(r, i, 16) ? "" : ", stream ",
			PQgetisnull(r, i, 16) ? "" : PQgetvalue(r, i, 16),
			PQgetisnull(r, i, 17) ? "-" : PQgetvalue(r, i, 17),
			PQgetvalue(r, i, 18)[0] ? PQgetvalue(r, i, 18)
						: "global");
		if (!PQgetisnull(r, i, 9)) {
			fprintf(out, "    diagnostic: ");
			excerpt(out, PQgetvalue(r, i, 9));
			fputc('\n', out);
		}
	}
	if (!table && PQntuples(r) > 0)
		fprintf(out, "(the events' diagnostics are not shown to the "
			     "read-only role)\n");
	found = found || PQntuples(r) > 0;
	PQclear(r);
	rb_supp_free(&sp);
	return found ? 0 : 1;
}

int
rb_store_prune_raw(struct rb_store *s, unsigned long *cleared)
{
	char now[32];
	now_param(now, sizeof(now));
	const char *p[] = {now};
	PGresult *r = rb_store_q(s, PGRES_COMMAND_OK,
				 "UPDATE messages SET raw = NULL, raw_expires_at ="
				 " NULL WHERE raw IS NOT NULL AND raw_expires_at"
				 " <= to_timestamp($1)",
				 1, p);
	if (r == NULL)
		return -1;
	*cleared = strtoul(PQcmdTuples(r), NULL, 10);
	PQclear(r);
	return 0;
}
