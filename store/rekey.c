/*
 * rekey.c: `rebound db rekey` (rb_store_rekey in store.h; docs/store.md
 * "Re-keying").
 *
 * Pass 1 reads every stored address (events.recipient,
 * suppression_history.address, suppressions.address) with its stored
 * key through one cursor and keeps, in memory, only the rows whose key
 * rb_addr_key() now computes differently: (old key, address, new key,
 * new domain).  Those are rare, so memory follows the changes, not the
 * table sizes.
 *
 * Pass 2 takes the changes in batches of new keys, all the rows of one
 * new key in the same batch, one transaction per batch under the
 * writers' lock (so ingest never sees half a batch, and an interrupted
 * run leaves whole batches done and the rest as it was; running again
 * finishes, and a run with nothing left changes nothing).  In a batch:
 *  - events get the new key and domain, and those with a report
 *    Message-ID a new dedup key (the same SHA-256 as store/batch.c,
 *    computed by the server); two copies of one report that now have the
 *    same dedup key keep the older event, as ingest would have kept only
 *    the first: the other is deleted and what cited it cites the kept one;
 *  - history rows get the new key (migration 002 lets exactly this
 *    through the append-only trigger, in this transaction only);
 *  - suppressions: a row is (key, scope) (migration 020): per scope, a
 *    row whose new key is free in that scope is renamed; rows that now
 *    share a key in one scope keep one (the row already under the new
 *    key, else the oldest); rows of other scopes are never merged into
 *    it and keep their scope; and every address whose rows came from
 *    two or more keys is recomputed from all its events and manual
 *    actions by the same simulation as `policy replay`
 *    (rb_store_replay_keys, one simulation per scope), which is what
 *    ingest would have decided had the rows had one key from the start.
 */
#include <stdlib.h>
#include <string.h>

#include "core/addrkey.h"
#include "store_int.h"

#define FETCH 5000

struct chg {
	char *old, *addr, *key, *dom; /* dom NULL: no domain */
};

static int
cmp_chg(const void *a, const void *b)
{
	const struct chg *x = a, *y = b;
	int c = strcmp(x->key, y->key);
	if (c == 0)
		c = strcmp(x->old, y->old);
	if (c == 0)
		c = strcmp(x->addr, y->addr);
	return c;
}

static void
chg_clear(struct chg *x)
{
	free(x->old);
	free(x->addr);
	free(x->key);
	free(x->dom);
}

static void
chg_free(struct chg *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		chg_clear(&v[i]);
	free(v);
}

/* pass 1: the rows whose key changed, sorted and unique */
static int
scan(struct rb_store *s, struct chg **out, size_t *nout,
     struct rb_rekey_counts *c)
{
	struct chg *v = NULL;
	size_t n = 0, cap = 0;
	PGresult *r = NULL;
	if (rb_store_begin(s) != 0)
		return -1;
	if (rb_store_exec(
	        s,
	        "DECLARE rb_rk_scan NO SCROLL CURSOR FOR"
	        " SELECT 'e', addr_key, recipient FROM events"
	        " WHERE addr_key IS NOT NULL AND recipient IS NOT NULL"
	        " UNION ALL SELECT 'h', addr_key, address"
	        " FROM suppression_history"
	        " UNION ALL SELECT 's', addr_key, address FROM suppressions") !=
	    0)
		goto fail;
	for (;;) {
		r = rb_store_q(s, PGRES_TUPLES_OK, "FETCH 5000 FROM rb_rk_scan",
		               0, NULL);
		if (r == NULL)
			goto fail;
		int nt = PQntuples(r);
		if (nt == 0)
			break;
		for (int i = 0; i < nt; i++) {
			const char *old = PQgetvalue(r, i, 1);
			const char *addr = PQgetvalue(r, i, 2);
			char key[RB_ADDRKEY_MAX + 1];
			size_t doff = 0;
			size_t kl = rb_addr_key(addr, strlen(addr), key,
			                        sizeof(key), &doff);
			c->checked++;
			if (kl == 0 || strcmp(key, old) == 0)
				continue;
			switch (PQgetvalue(r, i, 0)[0]) {
			case 'e':
				c->events++;
				break;
			case 'h':
				c->history++;
				break;
			default:
				c->supps++;
				break;
			}
			if (n > 0 && strcmp(v[n - 1].old, old) == 0 &&
			    strcmp(v[n - 1].addr, addr) == 0)
				continue; /* the same as the last one */
			if (n == cap) {
				size_t nc = cap ? cap * 2 : 256;
				struct chg *nv = realloc(v, nc * sizeof(*nv));
				if (nv == NULL)
					goto oom;
				v = nv;
				cap = nc;
			}
			bool has_dom = doff > 0 && key[doff - 1] == '@';
			v[n].old = strdup(old);
			v[n].addr = strdup(addr);
			v[n].key = strdup(key);
			v[n].dom = has_dom ? strdup(key + doff) : NULL;
			n++;
			if (!v[n - 1].old || !v[n - 1].addr || !v[n - 1].key ||
			    (has_dom && !v[n - 1].dom))
				goto oom;
		}
		PQclear(r);
		r = NULL;
	}
	PQclear(r);
	r = NULL;
	if (rb_store_commit(s) != 0)
		goto fail;
	if (n > 1) {
		qsort(v, n, sizeof(*v), cmp_chg);
		size_t w = 1;
		for (size_t i = 1; i < n; i++) {
			if (cmp_chg(&v[w - 1], &v[i]) == 0) {
				chg_clear(&v[i]);
				continue;
			}
			v[w++] = v[i];
		}
		n = w;
	}
	*out = v;
	*nout = n;
	return 0;
oom:
	rb_store_fail(s, NULL, "out of memory");
fail:
	PQclear(r);
	rb_store_rollback(s);
	chg_free(v, n);
	return -1;
}

/* one statement; *rows (may be NULL) += rows it affected */
static int
run(struct rb_store *s, const char *sql, unsigned long *rows)
{
	PGresult *r = rb_store_q(s, PGRES_COMMAND_OK, sql, 0, NULL);
	if (r == NULL)
		return -1;
	if (rows)
		*rows += strtoul(PQcmdTuples(r), NULL, 10);
	PQclear(r);
	return 0;
}

/* The dedup key of store/batch.c (dedup_key(), reports with a
 * Message-ID): SHA-256 of "r" and the six parts, each NUL-terminated. */
#define DEDUP_SQL                                                              \
	"sha256('\\x7200'::bytea || convert_to(e.report_message_id, 'UTF8')"   \
	" || '\\x00'::bytea || convert_to(e.kind, 'UTF8') || '\\x00'::bytea"   \
	" || convert_to(m.new_key, 'UTF8') || '\\x00'::bytea"                  \
	" || convert_to(coalesce(e.status, ''), 'UTF8') || '\\x00'::bytea"     \
	" || convert_to(coalesce(e.feedback_type, ''), 'UTF8')"                \
	" || '\\x00'::bytea || convert_to(coalesce(e.reason, ''), 'UTF8')"     \
	" || '\\x00'::bytea)"

static const char *const batch_sql[] = {
    /* addresses whose rows come from two or more keys (the new key
     * counts when rows are already stored under it): merged, then
     * recomputed.  Before anything moves. */
    "CREATE TEMP TABLE rb_replay_keys ON COMMIT DROP AS"
    " SELECT new_key AS addr_key FROM ("
    "  SELECT new_key, old_key FROM rb_rk_map"
    "  UNION SELECT m.new_key, m.new_key FROM rb_rk_map m"
    "  WHERE EXISTS (SELECT 1 FROM events e WHERE e.addr_key = m.new_key)"
    "  OR EXISTS (SELECT 1 FROM suppressions x WHERE x.addr_key = m.new_key)"
    "  OR EXISTS (SELECT 1 FROM suppression_history h"
    "   WHERE h.addr_key = m.new_key)"
    " ) k GROUP BY new_key HAVING count(*) >= 2",
    /* events: new key, domain and dedup key */
    "CREATE TEMP TABLE rb_rk_ev ON COMMIT DROP AS"
    " SELECT e.id, m.new_key, m.new_domain,"
    " CASE WHEN coalesce(e.report_message_id, '') <> '' THEN " DEDUP_SQL
    " END AS dedup"
    " FROM events e JOIN rb_rk_map m"
    " ON e.addr_key = m.old_key AND e.recipient = m.address",
    /* copies of one report that now share a dedup key: the oldest stays */
    "CREATE TEMP TABLE rb_rk_dup ON COMMIT DROP AS"
    " SELECT id, keep FROM (SELECT id, min(id) OVER (PARTITION BY dedup)"
    "  AS keep FROM (SELECT id, dedup FROM rb_rk_ev WHERE dedup IS NOT NULL"
    "  UNION ALL SELECT e.id, e.dedup_key FROM events e"
    "  WHERE e.dedup_key IN (SELECT dedup FROM rb_rk_ev)"
    "  AND e.id NOT IN (SELECT id FROM rb_rk_ev)) x) y"
    " WHERE id <> keep",
};

/* what cited a removed copy cites the kept one (event_id has no index:
 * run only when there are copies) */
static const char *const repoint_sql[] = {
    "UPDATE suppressions s SET event_id = d.keep FROM rb_rk_dup d"
    " WHERE s.event_id = d.id",
    "UPDATE suppression_history h SET event_id = d.keep FROM rb_rk_dup d"
    " WHERE h.event_id = d.id",
    "DELETE FROM events WHERE id IN (SELECT id FROM rb_rk_dup)",
};

/* the first column of the first row of a query without parameters */
static int
count(struct rb_store *s, const char *sql, unsigned long *n)
{
	PGresult *r = rb_store_q(s, PGRES_TUPLES_OK, sql, 0, NULL);
	if (r == NULL)
		return -1;
	*n = strtoul(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	return 0;
}

static int
do_batch(struct rb_store *s, const struct rb_policy *pol, const struct chg *v,
         size_t n, FILE *out, struct rb_rekey_counts *c)
{
	struct rb_copybuf b = {0};
	unsigned long merged_keys = 0;
	for (size_t i = 0; i < n; i++) {
		rb_copy_str(&b, v[i].old);
		rb_copy_sep(&b);
		rb_copy_str(&b, v[i].addr);
		rb_copy_sep(&b);
		rb_copy_str(&b, v[i].key);
		rb_copy_sep(&b);
		rb_copy_str(&b, v[i].dom);
		rb_copy_eol(&b);
	}
	if (rb_store_begin(s) != 0) {
		rb_copy_free(&b);
		return -1;
	}
	int rc = -1;
	if (rb_store_exec(s, RB_WRITER_LOCK_SQL) != 0 ||
	    rb_store_exec(s, "SET LOCAL rebound.rekey = 'on'") != 0 ||
	    rb_store_exec(s, "CREATE TEMP TABLE rb_rk_map (old_key text,"
	                     " address text, new_key text, new_domain text)"
	                     " ON COMMIT DROP") != 0 ||
	    rb_store_copy_in(s, "COPY rb_rk_map FROM STDIN", &b) != 0)
		goto out;
	for (size_t i = 0; i < sizeof(batch_sql) / sizeof(*batch_sql); i++)
		if (run(s, batch_sql[i], NULL) != 0)
			goto out;
	unsigned long dups = 0;
	if (count(s, "SELECT count(*) FROM rb_rk_dup", &dups) != 0)
		goto out;
	for (size_t i = 0;
	     dups > 0 && i < sizeof(repoint_sql) / sizeof(*repoint_sql); i++)
		if (run(s, repoint_sql[i], NULL) != 0)
			goto out;
	c->events_merged += dups;
	if (run(s,
	        "UPDATE events e SET addr_key = t.new_key, domain ="
	        " t.new_domain, dedup_key = coalesce(t.dedup, e.dedup_key)"
	        " FROM rb_rk_ev t WHERE e.id = t.id",
	        &c->events_done) != 0 ||
	    run(s,
	        "UPDATE suppression_history h SET addr_key = m.new_key"
	        " FROM rb_rk_map m"
	        " WHERE h.addr_key = m.old_key AND h.address = m.address",
	        &c->history_done) != 0 ||
	    /* suppressions: per new key and scope, the row already there
	     * first, then the oldest; a row is (addr_key, scope) */
	    run(s,
	        "CREATE TEMP TABLE rb_rk_sup ON COMMIT DROP AS"
	        " SELECT s.addr_key AS old_key, s.scope, m.new_key,"
	        " coalesce(m.new_domain, '') AS new_domain,"
	        " row_number() OVER (PARTITION BY m.new_key, s.scope ORDER BY"
	        "  s.addr_key = m.new_key DESC, s.created_at,"
	        "  s.addr_key COLLATE \"C\") AS rn"
	        " FROM suppressions s JOIN (SELECT DISTINCT old_key, address,"
	        "  new_key, new_domain FROM rb_rk_map UNION SELECT DISTINCT"
	        "  new_key, NULL, new_key, new_domain FROM rb_rk_map) m"
	        " ON s.addr_key = m.old_key"
	        " AND (s.address = m.address OR m.address IS NULL)",
	        NULL) != 0 ||
	    run(s,
	        "DELETE FROM suppressions s USING rb_rk_sup r"
	        " WHERE r.rn > 1 AND s.addr_key = r.old_key"
	        " AND s.scope = r.scope",
	        &c->supps_merged) != 0 ||
	    run(s,
	        "UPDATE suppressions s SET addr_key = r.new_key, domain ="
	        " r.new_domain FROM rb_rk_sup r WHERE r.rn = 1"
	        " AND s.addr_key = r.old_key AND s.scope = r.scope"
	        " AND r.old_key <> r.new_key",
	        &c->supps_done) != 0)
		goto out;
	if (count(s, "SELECT count(*) FROM rb_replay_keys", &merged_keys) != 0)
		goto out;
	if (merged_keys > 0) {
		unsigned long ch = 0;
		if (rb_store_replay_keys(s, pol, "rekey merge", out, &ch) != 0)
			goto out;
		c->replayed += merged_keys;
		c->changes += ch;
	}
	if (rb_store_commit(s) != 0)
		goto out;
	c->batches++;
	rc = 0;
out:
	if (rc != 0)
		rb_store_rollback(s); /* keeps the error */
	rb_copy_free(&b);
	return rc;
}

int
rb_store_rekey(struct rb_store *s, const struct rb_policy *pol, size_t batch,
               bool dry_run, FILE *out, struct rb_rekey_counts *c)
{
	struct chg *v = NULL;
	size_t n = 0;
	memset(c, 0, sizeof(*c));
	if (rb_store_in_tx(s))
		return rb_store_fail(s, NULL,
		                     "rekey runs its own transactions");
	if (batch == 0)
		batch = 1000;
	if (scan(s, &v, &n, c) != 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (i == 0 || strcmp(v[i].key, v[i - 1].key) != 0)
			c->keys++;
	if (dry_run) {
		chg_free(v, n);
		return 0;
	}
	/* batches of up to `batch` new keys; a key never spans two */
	for (size_t i = 0; i < n;) {
		size_t j = i, keys = 0;
		while (j < n) {
			if (j == i || strcmp(v[j].key, v[j - 1].key) != 0) {
				if (keys == batch)
					break;
				keys++;
			}
			j++;
		}
		if (do_batch(s, pol, v + i, j - i, out, c) != 0) {
			chg_free(v, n);
			return -1;
		}
		i = j;
	}
	chg_free(v, n);
	return 0;
}
