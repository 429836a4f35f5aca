/*
 * mailbox_state.c: the IMAP daemon's SQL (see mailbox_state.h and
 * migrations/100_imap.sql).  Lists of UIDs travel as one array parameter
 * ("{1,2,3}") so a batch costs one round trip.
 *
 * Every statement goes through struct qp: parameters are added in order
 * (text as is, numbers formatted into the struct's own buffers) and run
 * with one of three helpers, so no function repeats the libpq set-up.
 */
#include "mailbox_state.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

enum { QP_MAX = 12 };

/* The parameters of one statement (all sent as text).  Numbers live in
 * num[] and are pointed to only in run(): a struct qp may be copied. */
struct qp {
	const char *v[QP_MAX];	/* NULL for a number (or an SQL NULL) */
	char num[QP_MAX][24];	/* "" unless a number */
	char *owned;	/* one malloc'ed value (a UID array), freed by run */
	int n;
};

static void
qp_str(struct qp *q, const char *s)
{
	q->num[q->n][0] = '\0';
	q->v[q->n++] = s;
}

static void
qp_num(struct qp *q, unsigned long long u)
{
	snprintf(q->num[q->n], sizeof q->num[0], "%llu", u);
	q->v[q->n++] = NULL;
}

/* $1 account, $2 folder, $3 uidvalidity: the key of most statements. */
static struct qp
qp_folder(const char *account, const char *folder, uint32_t uidvalidity)
{
	struct qp q = {.n = 0};
	qp_str(&q, account);
	qp_str(&q, folder);
	qp_num(&q, uidvalidity);
	return q;
}

/* "{u1,u2,...}" as the next parameter. */
static void
qp_uids(struct qp *q, const uint32_t *u, size_t n)
{
	char *s = malloc(n * 11 + 3);
	if (s == NULL)
		abort();
	size_t o = 0;
	s[o++] = '{';
	for (size_t i = 0; i < n; i++)
		o += (size_t)sprintf(s + o, "%s%u", i ? "," : "", u[i]);
	s[o++] = '}';
	s[o] = '\0';
	q->owned = s;
	qp_str(q, s);
}

/* Run: the result (caller clears) or NULL on error. */
static PGresult *
run(struct rb_store *s, ExecStatusType want, const char *sql, struct qp *q)
{
	const char *v[QP_MAX];
	for (int i = 0; i < q->n; i++)
		v[i] = q->num[i][0] ? q->num[i] : q->v[i];
	PGresult *r = rb_store_q(s, want, sql, q->n, v);
	free(q->owned);
	q->owned = NULL;
	return r;
}

/* A statement without rows: 0 or -1. */
static int
run_cmd(struct rb_store *s, const char *sql, struct qp *q)
{
	PGresult *r = run(s, PGRES_COMMAND_OK, sql, q);
	if (r == NULL)
		return -1;
	PQclear(r);
	return 0;
}

/* A statement with RETURNING: 1 when it returned a row, 0 when not, -1
 * on error. */
static int
run_hit(struct rb_store *s, const char *sql, struct qp *q)
{
	PGresult *r = run(s, PGRES_TUPLES_OK, sql, q);
	if (r == NULL)
		return -1;
	int hit = PQntuples(r) > 0;
	PQclear(r);
	return hit;
}

static struct qp
qp_lease(const char *account, const char *holder, unsigned seconds)
{
	struct qp q = {.n = 0};
	qp_str(&q, account);
	qp_str(&q, holder);
	qp_num(&q, seconds);
	return q;
}

int
rb_mbstate_lease_acquire(struct rb_store *s, const char *account,
		         const char *holder, unsigned seconds)
{
	struct qp q = qp_lease(account, holder, seconds);
	return run_hit(
	    s,
	    "INSERT INTO imap_lease AS l (account, holder, expires_at) "
	    "VALUES ($1, $2, now() + $3::int * interval '1 second') "
	    "ON CONFLICT (account) DO UPDATE SET holder = EXCLUDED.holder, "
	    " expires_at = EXCLUDED.expires_at, acquired_at = CASE WHEN "
	    " l.holder = EXCLUDED.holder THEN l.acquired_at ELSE now() END "
	    "WHERE l.holder = EXCLUDED.holder OR l.expires_at < now() "
	    "RETURNING 1",
	    &q);
}

int
rb_mbstate_lease_check(struct rb_store *s, const char *account,
		       const char *holder, unsigned seconds)
{
	/* UPDATE takes the row lock: a concurrent take-over waits for our
	 * commit, and ours fails if the take-over happened first */
	struct qp q = qp_lease(account, holder, seconds);
	return run_hit(s,
		       "UPDATE imap_lease SET expires_at = now() + "
		       "$3::int * interval '1 second' "
		       "WHERE account = $1 AND holder = $2 RETURNING 1",
		       &q);
}

char *
rb_mbstate_lease_holder(struct rb_store *s, const char *account, int *err)
{
	struct qp q = {.n = 0};
	qp_str(&q, account);
	PGresult *r = run(s, PGRES_TUPLES_OK,
			  "SELECT holder FROM imap_lease WHERE account = $1",
			  &q);
	*err = r == NULL;
	if (r == NULL)
		return NULL;
	char *h = PQntuples(r) ? strdup(PQgetvalue(r, 0, 0)) : NULL;
	PQclear(r);
	return h;
}

int
rb_mbstate_lease_steal(struct rb_store *s, const char *account,
		       const char *old_holder, const char *holder,
		       unsigned seconds)
{
	struct qp q = qp_lease(account, holder, seconds);
	qp_str(&q, old_holder);
	return run_hit(s,
		       "UPDATE imap_lease SET holder = $2, acquired_at = "
		       "now(), expires_at = now() + $3::int * interval "
		       "'1 second' WHERE account = $1 AND holder = $4 "
		       "RETURNING 1",
		       &q);
}

int
rb_mbstate_lease_release(struct rb_store *s, const char *account,
		         const char *holder)
{
	struct qp q = {.n = 0};
	qp_str(&q, account);
	qp_str(&q, holder);
	return run_cmd(s,
		       "DELETE FROM imap_lease WHERE account = $1 AND "
		       "holder = $2",
		       &q);
}

int
rb_mbstate_cursor_get(struct rb_store *s, const char *account,
		      const char *folder, uint32_t *uidvalidity,
		      uint32_t *last_uid, int *found)
{
	struct qp q = {.n = 0};
	qp_str(&q, account);
	qp_str(&q, folder);
	PGresult *r = run(s, PGRES_TUPLES_OK,
			  "SELECT uidvalidity, last_uid FROM imap_cursor "
			  "WHERE account = $1 AND folder = $2",
			  &q);
	if (r == NULL)
		return -1;
	*found = PQntuples(r) > 0;
	*uidvalidity =
	    *found ? (uint32_t)strtoul(PQgetvalue(r, 0, 0), NULL, 10) : 0;
	*last_uid =
	    *found ? (uint32_t)strtoul(PQgetvalue(r, 0, 1), NULL, 10) : 0;
	PQclear(r);
	return 0;
}

int
rb_mbstate_cursor_reset(struct rb_store *s, const char *account,
		        const char *folder, uint32_t uidvalidity)
{
	static const char *const sql[] = {
	    "INSERT INTO imap_cursor (account, folder, uidvalidity, last_uid) "
	    "VALUES ($1, $2, $3, 0) ON CONFLICT (account, folder) DO UPDATE "
	    "SET uidvalidity = $3, last_uid = 0, updated_at = now()",
	    "DELETE FROM imap_pending_set WHERE account = $1 AND folder = $2 "
	    "AND uidvalidity <> $3",
	    "DELETE FROM imap_attempts WHERE account = $1 AND folder = $2 AND "
	    "uidvalidity <> $3",
	};
	for (size_t i = 0; i < 3; i++) {
		struct qp q = qp_folder(account, folder, uidvalidity);
		if (run_cmd(s, sql[i], &q) != 0)
			return -1;
	}
	return 0;
}

int
rb_mbstate_cursor_advance(struct rb_store *s, const char *account,
		          const char *folder, uint32_t uidvalidity,
		          uint32_t old_uid, uint32_t new_uid)
{
	struct qp q = qp_folder(account, folder, uidvalidity);
	qp_num(&q, old_uid);
	qp_num(&q, new_uid);
	return run_hit(s,
		       "UPDATE imap_cursor SET last_uid = $5, updated_at = "
		       "now() WHERE account = $1 AND folder = $2 AND "
		       "uidvalidity = $3 AND last_uid = $4 RETURNING 1",
		       &q);
}

static const char *const action_names[] = {"move", "flag", "delete"};

int
rb_mbstate_pending_add(struct rb_store *s, const char *account,
		       const char *folder, uint32_t uidvalidity,
		       const struct rb_pending *pe, size_t n)
{
	/* one row per (action, destination): a batch has two or three */
	bool *taken = calloc(n + 1, sizeof *taken);
	uint32_t *u = malloc((n + 1) * sizeof *u);
	if (taken == NULL || u == NULL)
		abort();
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		if (taken[i])
			continue;
		const char *d = pe[i].dest ? pe[i].dest : "";
		size_t k = 0;
		for (size_t j = i; j < n; j++) {
			if (taken[j] || pe[j].action != pe[i].action ||
			    strcmp(pe[j].dest ? pe[j].dest : "", d) != 0)
				continue;
			taken[j] = true;
			u[k++] = pe[j].uid;
		}
		struct qp q = qp_folder(account, folder, uidvalidity);
		qp_str(&q, action_names[pe[i].action]);
		qp_str(&q, pe[i].dest);
		qp_uids(&q, u, k);
		rc = run_cmd(s,
			     "INSERT INTO imap_pending_set (account, folder, "
			     "uidvalidity, action, dest, uids) VALUES ($1, $2, "
			     "$3, $4, $5, $6::bigint[])",
			     &q);
	}
	free(taken);
	free(u);
	return rc;
}

int
rb_mbstate_pending_list(struct rb_store *s, const char *account,
		        const char *folder, uint32_t uidvalidity,
		        struct rb_pending **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	struct qp q = qp_folder(account, folder, uidvalidity);
	PGresult *r = run(s, PGRES_TUPLES_OK,
			  /* a UID in two sets (a batch stored twice):
			   * the later set's action, as an upsert kept */
			  "SELECT DISTINCT ON (uid) uid, action, dest "
			  "FROM imap_pending_set, unnest(uids) AS uid "
			  "WHERE account = $1 AND folder = $2 AND "
			  "uidvalidity = $3 ORDER BY uid, id DESC",
			  &q);
	if (r == NULL)
		return -1;
	int rows = PQntuples(r);
	size_t strbytes = 0;
	for (int i = 0; i < rows; i++)
		strbytes += strlen(PQgetvalue(r, i, 2)) + 1;
	struct rb_pending *v =
	    malloc((size_t)rows * sizeof *v + strbytes + 1);
	if (v == NULL)
		abort();
	char *sp = (char *)(v + rows);
	for (int i = 0; i < rows; i++) {
		v[i].uid = (uint32_t)strtoul(PQgetvalue(r, i, 0), NULL, 10);
		const char *a = PQgetvalue(r, i, 1);
		v[i].action = !strcmp(a, "move")   ? RB_PENDING_MOVE
			      : !strcmp(a, "flag") ? RB_PENDING_FLAG
						   : RB_PENDING_DELETE;
		if (PQgetisnull(r, i, 2)) {
			v[i].dest = NULL;
		} else {
			strcpy(sp, PQgetvalue(r, i, 2));
			v[i].dest = sp;
			sp += strlen(sp) + 1;
		}
	}
	PQclear(r);
	*out = v;
	*n = (size_t)rows;
	return 0;
}

int
rb_mbstate_pending_done(struct rb_store *s, const char *account,
		        const char *folder, uint32_t uidvalidity,
		        const uint32_t *uids, size_t n)
{
	if (n == 0)
		return 0;
	struct qp q = qp_folder(account, folder, uidvalidity);
	qp_uids(&q, uids, n);
	/* every set of the folder without the done UIDs: `= ANY` of a
	 * constant array is a hash look-up (PostgreSQL 14+), so this is
	 * one probe per pending UID; sets left empty go, sets that lost
	 * some UIDs keep the rest, the others are not touched.  (It was a
	 * join of each set's UIDs with the unnested done list, which the
	 * planner ran as a nested loop rebuilding the done list's hash for
	 * every set: 0.7 s a call with 30,000 done UIDs against 60 sets.) */
	return run_cmd(
	    s,
	    "WITH s AS (SELECT p.id, cardinality(p.uids) AS n,"
	    " array(SELECT x.u FROM unnest(p.uids) AS x(u)"
	    " WHERE NOT (x.u = ANY ($4::bigint[]))) AS r"
	    " FROM imap_pending_set p WHERE p.account = $1"
	    " AND p.folder = $2 AND p.uidvalidity = $3),"
	    " del AS (DELETE FROM imap_pending_set p USING s"
	    " WHERE p.id = s.id AND cardinality(s.r) = 0)"
	    " UPDATE imap_pending_set p SET uids = s.r FROM s"
	    " WHERE p.id = s.id AND cardinality(s.r) BETWEEN 1 AND s.n - 1",
	    &q);
}

int
rb_mbstate_attempts_get(struct rb_store *s, const char *account,
		        const char *folder, uint32_t uidvalidity,
		        const uint32_t *uids, size_t n, unsigned *att)
{
	memset(att, 0, n * sizeof *att);
	if (n == 0)
		return 0;
	struct qp q = qp_folder(account, folder, uidvalidity);
	qp_uids(&q, uids, n);
	PGresult *r = run(s, PGRES_TUPLES_OK,
			  "SELECT uid, attempts FROM imap_attempts "
			  "WHERE account = $1 AND folder = $2 AND "
			  "uidvalidity = $3 AND uid = ANY ($4::bigint[])",
			  &q);
	if (r == NULL)
		return -1;
	for (int i = 0; i < PQntuples(r); i++) {
		uint32_t u = (uint32_t)strtoul(PQgetvalue(r, i, 0), NULL, 10);
		unsigned a = (unsigned)strtoul(PQgetvalue(r, i, 1), NULL, 10);
		for (size_t j = 0; j < n; j++)
			if (uids[j] == u)
				att[j] = a;
	}
	PQclear(r);
	return 0;
}

int
rb_mbstate_attempts_inc(struct rb_store *s, const char *account,
		        const char *folder, uint32_t uidvalidity, uint32_t uid,
		        const char *error)
{
	struct qp q = qp_folder(account, folder, uidvalidity);
	qp_num(&q, uid);
	qp_str(&q, error);
	return run_cmd(
	    s,
	    "INSERT INTO imap_attempts (account, folder, uidvalidity, uid, "
	    "attempts, last_error) VALUES ($1, $2, $3, $4, 1, $5) "
	    "ON CONFLICT (account, folder, uidvalidity, uid) DO UPDATE SET "
	    "attempts = imap_attempts.attempts + 1, last_error = $5, "
	    "updated_at = now()",
	    &q);
}

static void
sha_hex(const unsigned char *sha, char hex[67])
{
	hex[0] = '\\';
	hex[1] = 'x';
	for (int i = 0; i < 32; i++)
		sprintf(hex + 2 + 2 * i, "%02x", sha[i]);
}

int
rb_mbstate_quarantine_add(struct rb_store *s, const char *account,
		          const char *folder, uint32_t uidvalidity, uint32_t uid,
		          unsigned long long size, const unsigned char *sha256,
		          const char *reason, const struct rb_qmeta *meta)
{
	char hex[67];
	if (sha256)
		sha_hex(sha256, hex);
	static const struct rb_qmeta none;
	if (meta == NULL)
		meta = &none;
	struct qp q = qp_folder(account, folder, uidvalidity);
	qp_num(&q, uid);
	qp_num(&q, size);
	qp_str(&q, sha256 ? hex : NULL);
	qp_str(&q, reason);
	qp_str(&q, meta->qfolder);
	qp_str(&q, meta->message_id);
	qp_str(&q, meta->subject);
	qp_str(&q, meta->sender);
	return run_cmd(
	    s,
	    "INSERT INTO imap_quarantine (account, folder, uidvalidity, uid, "
	    "size, sha256, reason, qfolder, message_id, subject, sender) "
	    "VALUES ($1, $2, $3, $4, $5, $6::bytea, $7, $8, $9, $10, $11) "
	    "ON CONFLICT (account, folder, uidvalidity, uid) DO NOTHING",
	    &q);
}

int
rb_mbstate_quarantine_placed(struct rb_store *s, const char *account,
			     const char *folder, uint32_t uidvalidity,
			     const uint32_t *src, const uint32_t *dst, size_t n,
			     uint32_t dst_uidvalidity)
{
	if (n == 0)
		return 0;
	struct qp q = qp_folder(account, folder, uidvalidity);
	qp_uids(&q, src, n);
	char *srcs = q.owned;	/* qp_uids keeps one owned value */
	q.owned = NULL;
	qp_uids(&q, dst, n);
	qp_num(&q, dst_uidvalidity);
	int rc = run_cmd(
	    s,
	    "UPDATE imap_quarantine q SET quid = m.d, quidvalidity = $6 "
	    "FROM unnest($4::bigint[], $5::bigint[]) AS m(s, d) "
	    "WHERE q.account = $1 AND q.folder = $2 AND q.uidvalidity = $3 "
	    "AND q.uid = m.s AND q.state = 'quarantined'",
	    &q);
	free(srcs);
	return rc;
}

static char *
col(PGresult *r, int i, int c)
{
	if (PQgetisnull(r, i, c))
		return NULL;
	char *v = strdup(PQgetvalue(r, i, c));
	if (v == NULL)
		abort();
	return v;
}

static unsigned long long
num(PGresult *r, int i, int c)
{
	return strtoull(PQgetvalue(r, i, c), NULL, 10);
}

int
rb_mbstate_quarantine_list(struct rb_store *s, const struct rb_qfilter *f,
			   struct rb_quarantined **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	struct qp q = {.n = 0};
	qp_num(&q, (unsigned long long)(f->id > 0 ? f->id : 0));
	qp_str(&q, f->account);
	qp_str(&q, f->state);
	char days[24];
	snprintf(days, sizeof days, "%d", f->older_than_days);
	qp_str(&q, days);
	PGresult *r = run(
	    s, PGRES_TUPLES_OK,
	    "SELECT id, account, folder, qfolder, uidvalidity, uid, "
	    "quidvalidity, quid, size, encode(sha256, 'hex'), reason, "
	    "to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
	    "message_id, subject, sender, state, "
	    "to_char(state_at AT TIME ZONE 'UTC', "
	    "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), state_by, state_note "
	    "FROM imap_quarantine WHERE ($1::bigint = 0 OR id = $1) "
	    "AND ($2::text IS NULL OR account = $2) "
	    "AND ($3::text IS NULL OR state = $3) "
	    "AND ($4::int < 0 OR at <= now() - $4::int * interval '1 day') "
	    "ORDER BY id",
	    &q);
	if (r == NULL)
		return -1;
	int rows = PQntuples(r);
	struct rb_quarantined *v = calloc((size_t)rows + 1, sizeof *v);
	if (v == NULL)
		abort();
	for (int i = 0; i < rows; i++) {
		struct rb_quarantined *e = &v[i];
		e->id = (long long)num(r, i, 0);
		e->account = col(r, i, 1);
		e->folder = col(r, i, 2);
		e->qfolder = col(r, i, 3);
		e->uidvalidity = (uint32_t)num(r, i, 4);
		e->uid = (uint32_t)num(r, i, 5);
		e->have_quid = !PQgetisnull(r, i, 6) && !PQgetisnull(r, i, 7);
		e->quidvalidity = e->have_quid ? (uint32_t)num(r, i, 6) : 0;
		e->quid = e->have_quid ? (uint32_t)num(r, i, 7) : 0;
		e->size = (long long)num(r, i, 8);
		const char *h = PQgetvalue(r, i, 9);
		e->have_sha = !PQgetisnull(r, i, 9) && strlen(h) == 64;
		for (int k = 0; e->have_sha && k < 32; k++) {
			unsigned x;
			sscanf(h + 2 * k, "%2x", &x);
			e->sha256[k] = (unsigned char)x;
		}
		e->reason = col(r, i, 10);
		e->at = col(r, i, 11);
		e->message_id = col(r, i, 12);
		e->subject = col(r, i, 13);
		e->sender = col(r, i, 14);
		e->state = col(r, i, 15);
		e->state_at = col(r, i, 16);
		e->state_by = col(r, i, 17);
		e->state_note = col(r, i, 18);
	}
	PQclear(r);
	*out = v;
	*n = (size_t)rows;
	return 0;
}

void
rb_quarantined_free(struct rb_quarantined *v, size_t n)
{
	if (v == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		char *f[] = {v[i].account,    v[i].folder,     v[i].qfolder,
			     v[i].reason,     v[i].at,	       v[i].message_id,
			     v[i].subject,    v[i].sender,     v[i].state,
			     v[i].state_at,   v[i].state_by,   v[i].state_note};
		for (size_t k = 0; k < sizeof f / sizeof f[0]; k++)
			free(f[k]);
	}
	free(v);
}

int
rb_mbstate_quarantine_set_uid(struct rb_store *s, long long id,
			      uint32_t quidvalidity, uint32_t quid)
{
	struct qp q = {.n = 0};
	qp_num(&q, (unsigned long long)id);
	qp_num(&q, quidvalidity);
	qp_num(&q, quid);
	return run_cmd(s,
		       "UPDATE imap_quarantine SET quidvalidity = $2, quid = $3 "
		       "WHERE id = $1",
		       &q);
}

int
rb_mbstate_quarantine_state(struct rb_store *s, long long id,
			    const char *from, const char *to, const char *by,
			    const char *note)
{
	if (rb_store_begin(s) != 0)
		return -1;
	struct qp q = {.n = 0};
	qp_num(&q, (unsigned long long)id);
	qp_str(&q, from);
	qp_str(&q, to);
	qp_str(&q, by);
	qp_str(&q, note);
	int hit = run_hit(s,
			  "UPDATE imap_quarantine SET state = $3, state_at = "
			  "now(), state_by = $4, state_note = $5 "
			  "WHERE id = $1 AND state = $2 RETURNING 1",
			  &q);
	if (hit == 1 && !strcmp(to, "retried")) {
		static const char *const sql[] = {
		    "DELETE FROM imap_attempts a USING imap_quarantine q "
		    "WHERE q.id = $1 AND a.account = q.account AND "
		    "a.folder = q.folder AND a.uidvalidity = q.uidvalidity "
		    "AND a.uid = q.uid",
		    /* the stand-in stored for a mail not parsed (its one
		     * unknown event says why), or mail parsed to nothing
		     * known; a message with evidence stays */
		    "DELETE FROM messages m USING imap_quarantine q "
		    "WHERE q.id = $1 AND m.sha256 = q.sha256 AND "
		    "m.outcome IN ('error', 'unknown')",
		};
		for (size_t i = 0; i < 2 && hit == 1; i++) {
			struct qp d = {.n = 0};
			qp_num(&d, (unsigned long long)id);
			if (run_cmd(s, sql[i], &d) != 0)
				hit = -1;
		}
	}
	if (hit < 0) {
		rb_store_rollback(s);
		return -1;
	}
	if (rb_store_commit(s) != 0)
		return -1;
	return hit;
}
