/*
 * store.c: connection, sanitised errors, transactions, migrations, COPY
 * text escaping.  See store.h and store_int.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/policy.h"
#include "lib/testhook.h"
#include "lib/utf8.h"
#include "local.h"
#include "core/scope.h"
#include "core/tenant.h"
#include "store_int.h"

struct rb_store {
	PGconn *pg;
	char err[1024];
	char *secret;		/* password to redact (from conninfo/env) */
	bool tx;
	bool keep_raw;
	unsigned raw_days;
	const char *unsub_secret;	/* rb_store_unsubscribe_secret */
	size_t unsub_secret_len;
	struct rb_tenancy tenancy;	/* rb_store_tenancy */
	char tenancy_path[256];		/* its domains file, "" none */
	bool tenancy_loaded;
	char q_tenant[65], q_stream[65];	/* rb_store_set_scope; "" none */
	enum rb_tmp_state tmp;	/* the batch's temporary tables */
	struct rb_copybuf kept[RB_COPY_KEEP];	/* rb_copy_take/give */
	size_t nkept;
};

PGconn *
rb_store_pg(struct rb_store *s)
{
	return s->pg;
}

const char *
rb_store_error(const struct rb_store *s)
{
	return s->err[0] ? s->err : "no error";
}

bool
rb_store_in_tx(const struct rb_store *s)
{
	return s->tx;
}

void
rb_store_keep_raw(struct rb_store *s, bool keep, unsigned days)
{
	s->keep_raw = keep;
	s->raw_days = days;
}

void
rb_store_unsubscribe_secret(struct rb_store *s, const char *secret,
			    size_t len)
{
	s->unsub_secret = secret;
	s->unsub_secret_len = secret ? len : 0;
}

const char *
rb_store_unsub_secret(const struct rb_store *s, size_t *len)
{
	*len = s->unsub_secret_len;
	return s->unsub_secret;
}

const struct rb_tenancy *
rb_store_tenancy(struct rb_store *s, const struct rb_policy *pol)
{
	if (s->tenancy_loaded &&
	    strcmp(s->tenancy_path, pol->tenant_domains) == 0) {
		s->tenancy.pol = pol;
		return &s->tenancy;
	}
	if (s->tenancy_loaded)
		rb_tenancy_free(&s->tenancy);
	s->tenancy_loaded = false;
	char err[512];
	if (rb_tenancy_load(&s->tenancy, pol, err, sizeof(err)) != 0) {
		rb_store_fail(s, NULL, "%s", err);
		return NULL;
	}
	snprintf(s->tenancy_path, sizeof(s->tenancy_path), "%s",
		 pol->tenant_domains);
	s->tenancy_loaded = true;
	return &s->tenancy;
}

int
rb_store_set_scope(struct rb_store *s, const char *tenant, const char *stream)
{
	struct rb_scope_query q = {tenant, stream};
	char err[200];
	if (rb_scope_query_check(&q, err, sizeof(err)) != 0)
		return rb_store_fail(s, NULL, "%s", err);
	snprintf(s->q_tenant, sizeof(s->q_tenant), "%s", tenant ? tenant : "");
	snprintf(s->q_stream, sizeof(s->q_stream), "%s", stream ? stream : "");
	return 0;
}

const char *
rb_store_scope_tenant(const struct rb_store *s)
{
	return s->q_tenant[0] ? s->q_tenant : NULL;
}

const char *
rb_store_scope_stream(const struct rb_store *s)
{
	return s->q_stream[0] ? s->q_stream : NULL;
}

void
rb_store_write_scope(const struct rb_store *s, char *out)
{
	rb_scope_make(RB_SCOPE_STREAM, s->q_tenant, s->q_stream, out);
}

enum rb_tmp_state
rb_store_tmp(const struct rb_store *s)
{
	return s->tmp;
}

void
rb_store_tmp_set(struct rb_store *s, enum rb_tmp_state st)
{
	s->tmp = st;
}

/* End of a transaction: the tables exist from now on when it committed
 * (emptied by ON COMMIT DELETE ROWS).  After a rollback or a failed
 * COMMIT their state is unknown (created in it and gone again; or the
 * failure was that they are missing, as on a pooled connection that
 * changed server sessions): the next batch creates them IF NOT EXISTS. */
static void
tmp_tx_end(struct rb_store *s, bool committed)
{
	if (!committed)
		s->tmp = RB_TMP_NONE;
	else if (s->tmp == RB_TMP_CREATED || s->tmp == RB_TMP_USED)
		s->tmp = RB_TMP_READY;
}

bool
rb_store_raw_kept(const struct rb_store *s, unsigned *days)
{
	*days = s->raw_days;
	return s->keep_raw;
}

/* Replace every occurrence of secret in buf by "***". */
static void
redact(char *buf, size_t cap, const char *secret)
{
	if (secret == NULL || secret[0] == '\0')
		return;
	size_t sl = strlen(secret);
	char *p;
	while ((p = strstr(buf, secret)) != NULL) {
		size_t tail = strlen(p + sl);
		if ((size_t)(p - buf) + 3 + tail + 1 > cap)
			tail = cap - (size_t)(p - buf) - 4;
		memmove(p + 3, p + sl, tail);
		p[3 + tail] = '\0';
		memcpy(p, "***", 3);
	}
}

static void
set_err(struct rb_store *s, char *buf, size_t cap)
{
	redact(buf, cap, s->secret);
	redact(buf, cap, getenv("PGPASSWORD"));
	/* one line: libpq messages end in newlines */
	size_t l = strlen(buf);
	while (l > 0 && (buf[l - 1] == '\n' || buf[l - 1] == ' '))
		buf[--l] = '\0';
	for (char *p = buf; *p; p++)
		if (*p == '\n')
			*p = ' ';
}

int
rb_store_fail(struct rb_store *s, const PGresult *res, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(s->err, sizeof(s->err), fmt, ap);
	va_end(ap);
	const char *pm = NULL;
	if (res != NULL)
		pm = PQresultErrorMessage(res);
	if ((pm == NULL || pm[0] == '\0') && s->pg != NULL)
		pm = PQerrorMessage(s->pg);
	if (pm != NULL && pm[0] != '\0') {
		size_t l = strlen(s->err);
		snprintf(s->err + l, sizeof(s->err) - l, ": %s", pm);
	}
	set_err(s, s->err, sizeof(s->err));
	return -1;
}

/* The password a conninfo carries, if any (malloc'ed), for redaction. */
static char *
conninfo_secret(const char *conninfo, bool *bad)
{
	char *msg = NULL;
	char *secret = NULL;
	PQconninfoOption *o = PQconninfoParse(conninfo, &msg);
	*bad = o == NULL;
	if (msg)
		PQfreemem(msg);	/* may quote the string: never shown */
	if (o == NULL)
		return NULL;
	for (PQconninfoOption *p = o; p->keyword; p++)
		if (strcmp(p->keyword, "password") == 0 && p->val && p->val[0])
			secret = strdup(p->val);
	PQconninfoFree(o);
	return secret;
}

struct rb_store *
rb_store_open(const char *conninfo, char *err, size_t errlen)
{
	char *local = NULL;
	if (conninfo == NULL || conninfo[0] == '\0')
		conninfo = getenv("REBOUND_DB");
	if (conninfo == NULL || conninfo[0] == '\0') {
		local = rb_local_conninfo(err, errlen);
		if (local == NULL)
			return NULL;
		conninfo = local;
	}
	struct rb_store *s = calloc(1, sizeof(*s));
	if (s == NULL) {
		snprintf(err, errlen, "out of memory");
		free(local);
		return NULL;
	}
	bool bad;
	s->secret = conninfo_secret(conninfo, &bad);
	if (bad) {
		/* libpq's message may quote the string, which may hold a
		 * password: say only what is wrong in general */
		snprintf(err, errlen,
			 "invalid database connection string (libpq "
			 "key=value or postgresql:// URI expected)");
		free(local);
		free(s->secret);
		free(s);
		return NULL;
	}
	const char *kw[] = {"dbname", "fallback_application_name", NULL};
	const char *val[] = {conninfo, "rebound", NULL};
	s->pg = PQconnectdbParams(kw, val, 1);
	free(local);
	if (s->pg == NULL || PQstatus(s->pg) != CONNECTION_OK) {
		rb_store_fail(s, NULL, "cannot connect to the database");
		snprintf(err, errlen, "%s", s->err);
		rb_store_close(s);
		return NULL;
	}
	/* times cross the wire as UTC ISO 8601 */
	if (rb_store_exec(s, "SET TIME ZONE 'UTC'; SET client_encoding = "
			     "'UTF8'; SET DateStyle = 'ISO'; "
			     "SET client_min_messages = warning") != 0) {
		snprintf(err, errlen, "%s", s->err);
		rb_store_close(s);
		return NULL;
	}
	return s;
}

void
rb_store_close(struct rb_store *s)
{
	if (s == NULL)
		return;
	if (s->pg)
		PQfinish(s->pg);
	if (s->secret) {
		memset(s->secret, 0, strlen(s->secret));
		free(s->secret);
	}
	for (size_t i = 0; i < s->nkept; i++)
		rb_copy_free(&s->kept[i]);
	if (s->tenancy_loaded)
		rb_tenancy_free(&s->tenancy);
	free(s);
}

PGresult *
rb_store_q(struct rb_store *s, ExecStatusType want, const char *sql,
	   int nparams, const char *const *params)
{
	PGresult *r = PQexecParams(s->pg, sql, nparams, NULL, params, NULL,
				   NULL, 0);
	if (r == NULL || PQresultStatus(r) != want) {
		rb_store_fail(s, r, "query failed");
		PQclear(r);
		return NULL;
	}
	return r;
}

int
rb_store_exec(struct rb_store *s, const char *sql)
{
	PGresult *r = PQexec(s->pg, sql);
	ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		rb_store_fail(s, r, "statement failed");
		PQclear(r);
		return -1;
	}
	PQclear(r);
	return 0;
}

int
rb_store_begin(struct rb_store *s)
{
	if (s->tx)
		return rb_store_fail(s, NULL, "transaction already open");
	if (rb_store_exec(s, "BEGIN") != 0)
		return -1;
	s->tx = true;
	return 0;
}

int
rb_store_commit(struct rb_store *s)
{
	if (!s->tx)
		return rb_store_fail(s, NULL, "no transaction open");
	s->tx = false;
	PGresult *r = PQexec(s->pg, "COMMIT");
	/* COMMIT of an aborted transaction answers ROLLBACK: not a success */
	if (r == NULL || PQresultStatus(r) != PGRES_COMMAND_OK ||
	    strcmp(PQcmdStatus(r), "COMMIT") != 0) {
		rb_store_fail(s, r, "commit failed");
		PQclear(r);
		tmp_tx_end(s, false);
		return -1;
	}
	PQclear(r);
	tmp_tx_end(s, true);
	return 0;
}

int
rb_store_rollback(struct rb_store *s)
{
	s->tx = false;
	tmp_tx_end(s, false);
	if (s->pg == NULL || PQstatus(s->pg) != CONNECTION_OK)
		return 0;
	if (PQtransactionStatus(s->pg) == PQTRANS_IDLE)
		return 0;
	PGresult *r = PQexec(s->pg, "ROLLBACK");
	PQclear(r);
	return 0;
}

/* ---- COPY text format ---- */

static void
cb_grow(struct rb_copybuf *b, size_t more)
{
	if (b->n + more + 1 <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 65536;
	while (cap < b->n + more + 1)
		cap *= 2;
	char *p = realloc(b->p, cap);
	if (p == NULL)
		abort();	/* as the arena: OOM ends the process */
	b->p = p;
	b->cap = cap;
}

void
rb_copy_strn(struct rb_copybuf *b, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	cb_grow(b, n * 2 + 8);
	for (size_t i = 0; i < n;) {
		/* the common case first: a run of printable ASCII */
		size_t j = i;
		while (j < n && s[j] >= 0x20 && s[j] < 0x80 && s[j] != '\\')
			j++;
		if (j > i) {
			memcpy(b->p + b->n, s + i, j - i);
			b->n += j - i;
			i = j;
			if (i == n)
				break;
		}
		unsigned char c = s[i];
		if (c == 0)
			break;
		if (c >= 0x80) {
			uint32_t cp;
			size_t l = rb_utf8_decode(str + i, n - i, &cp);
			if (l == 0) {
				/* invalid UTF-8 would fail the whole COPY:
				 * U+FFFD instead */
				cb_grow(b, 3 + (n - i) * 2);
				memcpy(b->p + b->n, "\xef\xbf\xbd", 3);
				b->n += 3;
				i++;
				continue;
			}
			memcpy(b->p + b->n, s + i, l);
			b->n += l;
			i += l;
			continue;
		}
		switch (c) {
		case '\\':
			b->p[b->n++] = '\\';
			b->p[b->n++] = '\\';
			break;
		case '\t':
			b->p[b->n++] = '\\';
			b->p[b->n++] = 't';
			break;
		case '\n':
			b->p[b->n++] = '\\';
			b->p[b->n++] = 'n';
			break;
		case '\r':
			b->p[b->n++] = '\\';
			b->p[b->n++] = 'r';
			break;
		default:
			b->p[b->n++] = (char)c;
		}
		i++;
	}
}

void
rb_copy_str(struct rb_copybuf *b, const char *s)
{
	if (s == NULL) {
		rb_copy_raw(b, "\\N");
		return;
	}
	rb_copy_strn(b, s, strlen(s));
}

void
rb_copy_raw(struct rb_copybuf *b, const char *s)
{
	size_t l = strlen(s);
	cb_grow(b, l);
	memcpy(b->p + b->n, s, l);
	b->n += l;
}

void
rb_copy_bytea(struct rb_copybuf *b, const unsigned char *d, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	cb_grow(b, n * 2 + 4);
	b->p[b->n++] = '\\';
	b->p[b->n++] = '\\';
	b->p[b->n++] = 'x';
	for (size_t i = 0; i < n; i++) {
		b->p[b->n++] = hex[d[i] >> 4];
		b->p[b->n++] = hex[d[i] & 15];
	}
}

void
rb_days_add(long **days, size_t *n, size_t *cap, long day)
{
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 16;
		long *d = realloc(*days, c * sizeof(*d));
		if (d == NULL)
			abort();	/* as the arena: OOM ends the process */
		*days = d;
		*cap = c;
	}
	(*days)[(*n)++] = day;
}

void
rb_copy_time(struct rb_copybuf *b, time_t t)
{
	char iso[32];
	if (t == 0) {
		rb_copy_raw(b, "\\N");
		return;
	}
	rb_time_iso(t, iso, sizeof(iso));
	rb_copy_raw(b, iso);
}

void
rb_copy_long(struct rb_copybuf *b, long long v)
{
	char t[32];
	snprintf(t, sizeof(t), "%lld", v);
	rb_copy_raw(b, t);
}

void
rb_copy_sep(struct rb_copybuf *b)
{
	cb_grow(b, 1);
	b->p[b->n++] = '\t';
}

void
rb_copy_eol(struct rb_copybuf *b)
{
	cb_grow(b, 1);
	b->p[b->n++] = '\n';
}

void
rb_copy_free(struct rb_copybuf *b)
{
	free(b->p);
	b->p = NULL;
	b->n = b->cap = 0;
}

void
rb_copy_take(struct rb_store *s, struct rb_copybuf *b)
{
	if (s->nkept > 0) {
		*b = s->kept[--s->nkept];
		b->n = 0;
	} else {
		*b = (struct rb_copybuf){0};
	}
}

void
rb_copy_give(struct rb_store *s, struct rb_copybuf *b)
{
	if (b->p != NULL && b->cap <= (8u << 20) && s->nkept < RB_COPY_KEEP)
		s->kept[s->nkept++] = *b;
	else
		free(b->p);
	*b = (struct rb_copybuf){0};
}

int
rb_store_copy_in(struct rb_store *s, const char *copy_sql,
		 const struct rb_copybuf *b)
{
	PGresult *r = PQexec(s->pg, copy_sql);
	if (r == NULL || PQresultStatus(r) != PGRES_COPY_IN) {
		rb_store_fail(s, r, "COPY failed");
		PQclear(r);
		return -1;
	}
	PQclear(r);
	size_t off = 0;
	while (off < b->n) {
		size_t chunk = b->n - off > (1u << 20) ? (1u << 20) : b->n - off;
		if (PQputCopyData(s->pg, b->p + off, (int)chunk) != 1)
			return rb_store_fail(s, NULL, "COPY failed");
		off += chunk;
	}
	if (PQputCopyEnd(s->pg, NULL) != 1)
		return rb_store_fail(s, NULL, "COPY failed");
	int rc = 0;
	while ((r = PQgetResult(s->pg)) != NULL) {
		if (PQresultStatus(r) != PGRES_COMMAND_OK && rc == 0)
			rc = rb_store_fail(s, r, "COPY failed");
		PQclear(r);
	}
	return rc;
}

/* ---- migrations ---- */

/* Every rebound_* function's search_path is pinned to the catalog and
 * the schema the migrations run in, so an object a session puts earlier
 * in its path is never called in its place.  Run after every migration
 * run, so functions of later migrations are pinned too. */
static const char pin_search_paths[] =
    "DO $$ DECLARE f regprocedure; BEGIN "
    "FOR f IN SELECT p.oid::regprocedure FROM pg_proc p "
    "WHERE p.pronamespace = current_schema()::regnamespace "
    "AND p.proname LIKE 'rebound\\_%' LOOP "
    "EXECUTE format('ALTER FUNCTION %s SET search_path = pg_catalog, %I', "
    "f, current_schema()); END LOOP; END $$";

static const char schema_version_ddl[] =
    "CREATE TABLE IF NOT EXISTS schema_version ("
    " version integer PRIMARY KEY,"
    " name text NOT NULL,"
    " checksum text NOT NULL,"
    " applied_at timestamptz NOT NULL DEFAULT now())";

/* applied[i] for rb_migrations[i]; returns -1 on error */
static int
load_applied(struct rb_store *s, bool *applied)
{
	PGresult *r = rb_store_q(
	    s, PGRES_TUPLES_OK,
	    "SELECT version FROM schema_version ORDER BY version", 0, NULL);
	if (r == NULL)
		return -1;
	for (unsigned i = 0; i < rb_migrations_count; i++)
		applied[i] = false;
	for (int row = 0; row < PQntuples(r); row++) {
		int v = atoi(PQgetvalue(r, row, 0));
		for (unsigned i = 0; i < rb_migrations_count; i++)
			if (rb_migrations[i].version == v)
				applied[i] = true;
	}
	PQclear(r);
	return 0;
}

static bool
has_schema_table(struct rb_store *s, int *err)
{
	PGresult *r = rb_store_q(s, PGRES_TUPLES_OK,
				 "SELECT to_regclass('schema_version') IS NOT "
				 "NULL",
				 0, NULL);
	*err = r == NULL;
	bool yes = r && PQgetvalue(r, 0, 0)[0] == 't';
	PQclear(r);
	return yes;
}

int
rb_store_migrate(struct rb_store *s, int *applied_n)
{
	bool *applied = calloc(rb_migrations_count + 1, sizeof(bool));
	int n = 0;
	if (applied == NULL)
		return rb_store_fail(s, NULL, "out of memory");
	if (applied_n)
		*applied_n = 0;
	if (s->tx) {
		free(applied);
		return rb_store_fail(s, NULL, "migrate inside a transaction");
	}
	/* fast path: everything applied (one query, no lock, no DDL) */
	int e;
	if (has_schema_table(s, &e) && load_applied(s, applied) == 0) {
		bool all = true;
		for (unsigned i = 0; i < rb_migrations_count; i++)
			all &= applied[i];
		if (all) {
			free(applied);
			return 0;
		}
	}
	if (rb_store_begin(s) != 0) {
		free(applied);
		return -1;
	}
	/* one migrator at a time; the key is "rebo".  The key is an
	 * advisory one (the schema, and so any table to lock, may not exist
	 * yet), which any role can hold: wait a bounded time, then say so */
	if (rb_store_exec(s, "SET LOCAL lock_timeout = '60s'") != 0)
		goto fail;
	if (rb_store_exec(s, "SELECT pg_advisory_xact_lock(1919246959)") != 0) {
		rb_store_fail(s, NULL, "the migration lock (advisory key "
			      "1919246959) is held by another session for over "
			      "60 s: another rebound migrating, or a role holding "
			      "that key");
		goto fail;
	}
	if (rb_store_exec(s, "SET LOCAL lock_timeout = 0") != 0 ||
	    rb_store_exec(s, "SET LOCAL client_min_messages = warning") != 0 ||
	    rb_store_exec(s, schema_version_ddl) != 0 ||
	    load_applied(s, applied) != 0)
		goto fail;
	/* tests only: leave out a migration and the later ones (which may
	 * build on it), to make a database as an earlier version left it
	 * (tests/t_tenants.sh, tests/t_report_tenants.sh) */
	const char *skip = rb_test_hook("MIGRATION_SKIP");
	for (unsigned i = 0; i < rb_migrations_count; i++) {
		const struct rb_migration *m = &rb_migrations[i];
		if (applied[i] || (skip && m->version >= atoi(skip)))
			continue;
		PGresult *r = PQexec(s->pg, m->sql);
		if (r == NULL || PQresultStatus(r) != PGRES_COMMAND_OK) {
			rb_store_fail(s, r, "migration %03d_%s failed",
				      m->version, m->name);
			PQclear(r);
			goto fail;
		}
		PQclear(r);
		char v[16];
		snprintf(v, sizeof(v), "%d", m->version);
		const char *p[] = {v, m->name, m->sql};
		r = rb_store_q(s, PGRES_COMMAND_OK,
			       "INSERT INTO schema_version (version, name, "
			       "checksum) VALUES ($1, $2, md5($3))",
			       3, p);
		if (r == NULL)
			goto fail;
		PQclear(r);
		n++;
	}
	if (n > 0 && rb_store_exec(s, pin_search_paths) != 0)
		goto fail;
	free(applied);
	applied = NULL;
	if (rb_store_commit(s) != 0)
		return -1;
	if (applied_n)
		*applied_n = n;
	return 0;
fail:;
	free(applied);
	char keep[sizeof(s->err)];
	memcpy(keep, s->err, sizeof(keep));
	rb_store_rollback(s);
	memcpy(s->err, keep, sizeof(keep));
	return -1;
}

int
rb_store_print_status(struct rb_store *s, FILE *out)
{
	int e;
	bool have = has_schema_table(s, &e);
	if (e)
		return -1;
	PGresult *r = NULL;
	if (have) {
		r = rb_store_q(s, PGRES_TUPLES_OK,
			       "SELECT version, name, to_char(applied_at, "
			       "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), checksum "
			       "FROM schema_version ORDER BY version",
			       0, NULL);
		if (r == NULL)
			return -1;
	}
	unsigned pending = 0;
	fprintf(out, "server: %s %d, database %s\n", "PostgreSQL",
		PQserverVersion(s->pg), PQdb(s->pg));
	for (unsigned i = 0; i < rb_migrations_count; i++) {
		const struct rb_migration *m = &rb_migrations[i];
		const char *when = NULL;
		for (int row = 0; r && row < PQntuples(r); row++)
			if (atoi(PQgetvalue(r, row, 0)) == m->version)
				when = PQgetvalue(r, row, 2);
		if (when == NULL)
			pending++;
		fprintf(out, "%03d %-24s %s\n", m->version, m->name,
			when ? when : "pending");
	}
	for (int row = 0; r && row < PQntuples(r); row++) {
		int v = atoi(PQgetvalue(r, row, 0));
		bool known = false;
		for (unsigned i = 0; i < rb_migrations_count; i++)
			known |= rb_migrations[i].version == v;
		if (!known)
			fprintf(out, "%03d %-24s %s (not in this binary)\n", v,
				PQgetvalue(r, row, 1), PQgetvalue(r, row, 2));
	}
	fprintf(out, "%u pending\n", pending);
	PQclear(r);
	return 0;
}

int
rb_store_check_schema(struct rb_store *s)
{
	int e, rc = 0;
	if (!has_schema_table(s, &e)) {
		if (e)
			return -1;
		return rb_store_fail(s, NULL, "the database has no rebound "
					      "schema: run `rebound db "
					      "migrate`");
	}
	bool *applied = calloc(rb_migrations_count + 1, sizeof(bool));
	if (applied == NULL)
		return rb_store_fail(s, NULL, "out of memory");
	if (load_applied(s, applied) != 0) {
		free(applied);
		return -1;
	}
	for (unsigned i = 0; i < rb_migrations_count && rc == 0; i++)
		if (!applied[i])
			rc = rb_store_fail(
			    s, NULL,
			    "migration %03d_%s is pending: run `rebound db "
			    "migrate`",
			    rb_migrations[i].version, rb_migrations[i].name);
	free(applied);
	return rc;
}

/* ---- a conninfo as it may be shown ---- */

char *
rb_store_conninfo_shown(const char *conninfo)
{
	if (conninfo == NULL)
		return strdup("(built-in private cluster)");
	char *perr = NULL;
	PQconninfoOption *opt = PQconninfoParse(conninfo, &perr);
	/* libpq's message may quote the setting: never shown */
	PQfreemem(perr);
	if (opt == NULL)
		return strdup("(not shown: libpq cannot parse this setting)");
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	if (f == NULL)
		abort();
	const char *sep = "";
	for (PQconninfoOption *o = opt; o->keyword != NULL; o++) {
		if (o->val == NULL)
			continue;
		fprintf(f, "%s%s=", sep, o->keyword);
		sep = " ";
		/* the password, and every option libpq itself marks as one
		 * to hide ('*' in dispchar), is never written back */
		if (strcmp(o->keyword, "password") == 0 ||
		    (o->dispchar && o->dispchar[0] == '*')) {
			fputs("****", f);
			continue;
		}
		fputc('\'', f);
		for (const char *v = o->val; *v; v++) {
			if (*v == '\'' || *v == '\\')
				fputc('\\', f);
			fputc(*v, f);
		}
		fputc('\'', f);
	}
	PQconninfoFree(opt);
	if (fclose(f) != 0)
		abort();
	return out;
}
