/*
 * replay.c: `rebound policy replay` (rb_store_replay in store.h).
 *
 * Streams three server-side cursors ordered by address key (byte order,
 * COLLATE "C", so it agrees with strcmp): the events of each address,
 * the manual actions in the history (rows with an actor: suppress,
 * unsuppress, import), and the current suppression rows.  For each
 * address it replays events and manual actions in time order through
 * the same rb_policy_decide() that ingest uses, then compares the result
 * with the stored row at the policy clock's "now".  Memory stays flat:
 * one address at a time, cursors fetched 5,000 rows at a time.
 *
 * rb_store_replay_keys (store_int.h) runs the same over the keys listed in
 * the temporary table rb_replay_keys only, inside the caller's
 * transaction: `rebound db rekey` uses it to merge the rows of addresses
 * whose keys came together (store/rekey.c).
 *
 * One address may hold suppressions in several scopes (global, a tenant,
 * a stream: core/scope.h).  Each event lands in the scope its class has
 * under the policy being replayed (rb_scope_make on the event's stored
 * tenant and stream), each manual action in the scope it named; one
 * simulation runs per scope of the address, and each is compared with
 * the stored row of that scope.
 */
#include <stdlib.h>
#include <string.h>

#include "core/policy.h"
#include "core/scope.h"
#include "store_int.h"

#define DAY 86400L
#define FETCH 5000

struct cur {
	struct rb_store *s;
	const char *name;
	PGresult *r;
	int row, n;
	bool done;
};

static int
cur_fill(struct cur *c)
{
	if (c->done || c->row < c->n)
		return 0;
	PQclear(c->r);
	c->r = NULL;
	char sql[128];
	snprintf(sql, sizeof(sql), "FETCH %d FROM %s", FETCH, c->name);
	c->r = rb_store_q(c->s, PGRES_TUPLES_OK, sql, 0, NULL);
	if (c->r == NULL)
		return -1;
	c->n = PQntuples(c->r);
	c->row = 0;
	if (c->n == 0)
		c->done = true;
	return 0;
}

/* key of the current row, or NULL at the end */
static const char *
cur_key(struct cur *c)
{
	if (cur_fill(c) != 0 || c->done)
		return NULL;
	return PQgetvalue(c->r, c->row, 0);
}

static const char *
v(struct cur *c, int col)
{
	return PQgetisnull(c->r, c->row, col) ? NULL
					      : PQgetvalue(c->r, c->row, col);
}

static long long
ll(struct cur *c, int col)
{
	const char *s = v(c, col);
	return s ? strtoll(s, NULL, 10) : 0;
}

struct sim {
	char scope[RB_SCOPE_MAX];
	bool seen;		/* compared with the stored row */
	struct rb_pstate st;
	long long evidence;
	char rule[160];
	char reason[160];
	char actor[160];
	long *days;
	size_t ndays, capdays;
};

static const char *
rule_reason(const char *rule)
{
	const char *c = strchr(rule, ':');
	return c ? c + 1 : rule;
}

static void
hist_row(struct rb_copybuf *h, const char *key, const char *scope,
	 const char *addr, const char *action, const char *cls,
	 const char *reason, const char *rule, long long ev, time_t at,
	 time_t exp, const char *note)
{
	rb_copy_str(h, key);
	rb_copy_sep(h);
	rb_copy_str(h, addr);
	rb_copy_sep(h);
	rb_copy_raw(h, action);
	rb_copy_sep(h);
	rb_copy_str(h, cls);
	rb_copy_sep(h);
	rb_copy_str(h, reason);
	rb_copy_sep(h);
	rb_copy_str(h, rule);
	rb_copy_raw(h, "\t\\N\t");
	if (ev)
		rb_copy_long(h, ev);
	else
		rb_copy_raw(h, "\\N");
	rb_copy_sep(h);
	rb_copy_time(h, at);
	rb_copy_sep(h);
	rb_copy_time(h, exp);
	rb_copy_sep(h);
	rb_copy_str(h, note);
	rb_copy_sep(h);
	rb_copy_str(h, scope);
	rb_copy_eol(h);
}

/* One run of the replay: the cursors, what it will write, the counts. */
struct replay {
	struct rb_store *s;
	const struct rb_policy *pol;
	bool dry_run;
	const char *note;	/* history note, removed_by, remove_reason */
	FILE *out;
	time_t now;
	struct cur ev, man, cu;
	struct rb_copybuf cls;	/* re-classified events: id, class, rule */
	struct rb_copybuf sup;	/* suppression rows to upsert */
	struct rb_copybuf rm;	/* keys to mark removed */
	struct rb_copybuf hist;	/* history rows */
	struct sim *sims;	/* one per scope of the address */
	size_t nsims, capsims;
	unsigned long changes, reclass;
};

/* The address being replayed: its key, and the address and domain from
 * the first row that has them. */
struct target {
	char key[1100], addr[1100], dom[1100];
};

/* The three cursors, over every key or (only) those in rb_replay_keys. */
static int
declare_cursors(struct rb_store *s, bool only)
{
	/* the restriction is a constant of this file, never data */
	const char *lim =
	    only ? " AND addr_key IN (SELECT addr_key FROM rb_replay_keys)" : "";
	char q1[600], q2[600], q3[600];
	snprintf(q1, sizeof(q1),
		 "DECLARE rb_ev NO SCROLL CURSOR FOR SELECT addr_key,"
		 " recipient, domain, kind, reason,"
		 " CASE WHEN hard IS NULL THEN -1 WHEN hard THEN 1 ELSE 0 END,"
		 " feedback_type, extract(epoch FROM event_at)::bigint, id,"
		 " policy_class, policy_rule, tenant, stream, scope FROM events"
		 " WHERE addr_key IS NOT NULL%s"
		 " ORDER BY addr_key COLLATE \"C\", event_at, id",
		 lim);
	snprintf(q2, sizeof(q2),
		 "DECLARE rb_man NO SCROLL CURSOR FOR SELECT addr_key,"
		 " action, extract(epoch FROM at)::bigint, actor, reason,"
		 " coalesce(extract(epoch FROM expires_at)::bigint, 0),"
		 " address, rule, scope FROM suppression_history"
		 " WHERE actor IS NOT NULL AND action IN ('added', 'removed')%s"
		 " ORDER BY addr_key COLLATE \"C\", at, id",
		 lim);
	snprintf(q3, sizeof(q3),
		 "DECLARE rb_cur NO SCROLL CURSOR FOR SELECT addr_key,"
		 " class, coalesce(extract(epoch FROM expires_at)::bigint, 0),"
		 " coalesce(extract(epoch FROM removed_at)::bigint, 0),"
		 " address, domain, scope FROM suppressions WHERE true%s"
		 " ORDER BY addr_key COLLATE \"C\", scope COLLATE \"C\"",
		 lim);
	if (rb_store_exec(s, q1) != 0 || rb_store_exec(s, q2) != 0 ||
	    rb_store_exec(s, q3) != 0)
		return -1;
	return 0;
}

/* The smallest key under the three cursors into t->key: 1, or 0 when all
 * three are at their end, -1 on a failed fetch. */
static int
next_key(struct replay *rp, struct target *t)
{
	const char *ke = cur_key(&rp->ev), *km = cur_key(&rp->man),
		   *kc = cur_key(&rp->cu);
	if ((!rp->ev.done && ke == NULL && rp->ev.r == NULL) ||
	    (!rp->man.done && km == NULL && rp->man.r == NULL) ||
	    (!rp->cu.done && kc == NULL && rp->cu.r == NULL))
		return -1;
	if (!ke && !km && !kc)
		return 0;
	const char *k = ke;
	if (km && (!k || strcmp(km, k) < 0))
		k = km;
	if (kc && (!k || strcmp(kc, k) < 0))
		k = kc;
	snprintf(t->key, sizeof(t->key), "%s", k);
	t->addr[0] = t->dom[0] = '\0';
	return 1;
}

/* The simulation of scope for the address being replayed (made fresh
 * when new); NULL when out of memory. */
static struct sim *
sim_for(struct replay *rp, const char *scope)
{
	for (size_t i = 0; i < rp->nsims; i++)
		if (strcmp(rp->sims[i].scope, scope) == 0)
			return &rp->sims[i];
	if (rp->nsims == rp->capsims) {
		size_t nc = rp->capsims ? rp->capsims * 2 : 4;
		struct sim *v = realloc(rp->sims, nc * sizeof(*v));
		if (v == NULL)
			return NULL;
		memset(v + rp->capsims, 0, (nc - rp->capsims) * sizeof(*v));
		rp->sims = v;
		rp->capsims = nc;
	}
	struct sim *sm = &rp->sims[rp->nsims++];
	long *days = sm->days;
	size_t cap = sm->capdays;
	memset(sm, 0, sizeof(*sm));
	sm->days = days;
	sm->capdays = cap;
	snprintf(sm->scope, sizeof(sm->scope), "%s", scope);
	return sm;
}

/* The manual action under the man cursor, applied to the simulation. */
static void
sim_manual(struct replay *rp, struct cur *man, struct target *t)
{
	struct sim *sm = sim_for(rp, v(man, 8) ? v(man, 8) : "");
	if (sm == NULL)
		return;
	time_t at = (time_t)ll(man, 2);
	if (!t->addr[0])
		snprintf(t->addr, sizeof(t->addr), "%s", v(man, 6));
	if (strcmp(v(man, 1), "added") == 0 && !rb_pstate_active(&sm->st, at)) {
		sm->st.exists = true;
		sm->st.cls = RB_PC_MANUAL;
		sm->st.created = sm->st.updated = at;
		sm->st.expires = (time_t)ll(man, 5);
		sm->st.removed = 0;
		sm->evidence = 0;
		snprintf(sm->rule, sizeof(sm->rule), "%s",
			 v(man, 7) ? v(man, 7) : "manual");
		snprintf(sm->reason, sizeof(sm->reason), "%s",
			 v(man, 4) ? v(man, 4) : "");
		snprintf(sm->actor, sizeof(sm->actor), "%s", v(man, 3));
	} else if (strcmp(v(man, 1), "removed") == 0 && sm->st.exists) {
		sm->st.removed = at;
	}
}

/* The event under the ev cursor: classified by the policy (queued for
 * re-classification when that differs from the stored class or rule),
 * then decided on as ingest would. */
static void
sim_event(struct replay *rp, struct target *t)
{
	struct cur *ev = &rp->ev;
	char rule[160];
	int hard = (int)ll(ev, 5);
	enum rb_pclass c = rb_policy_classify_cols(
	    rp->pol, v(ev, 3), v(ev, 4), hard, v(ev, 6), rule, sizeof(rule));
	char scope[RB_SCOPE_MAX];
	rb_scope_make(rb_policy_scope(rp->pol, c), v(ev, 11), v(ev, 12),
		      scope);
	const char *oldc = v(ev, 9), *oldr = v(ev, 10), *olds = v(ev, 13);
	if (strcmp(oldc, rb_pclass_name(c)) != 0 || !oldr ||
	    strcmp(oldr, rule) != 0 || !olds || strcmp(olds, scope) != 0) {
		rp->reclass++;
		rb_copy_long(&rp->cls, ll(ev, 8));
		rb_copy_sep(&rp->cls);
		rb_copy_raw(&rp->cls, rb_pclass_name(c));
		rb_copy_sep(&rp->cls);
		rb_copy_str(&rp->cls, rule);
		rb_copy_sep(&rp->cls);
		rb_copy_str(&rp->cls, scope);
		rb_copy_eol(&rp->cls);
	}
	struct sim *sm = sim_for(rp, scope);
	if (sm == NULL)
		return;
	time_t at = (time_t)ll(ev, 7);
	if (!t->addr[0])
		snprintf(t->addr, sizeof(t->addr), "%s", v(ev, 1));
	if (!t->dom[0] && v(ev, 2))
		snprintf(t->dom, sizeof(t->dom), "%s", v(ev, 2));
	if (c == RB_PC_SOFT)
		rb_days_add(&sm->days, &sm->ndays, &sm->capdays,
			    (long)(at / DAY));
	bool expired;
	enum rb_decision d = rb_policy_decide(rp->pol, &sm->st, c, at,
					      sm->days, sm->ndays, &expired);
	if (d != RB_DEC_NONE) {
		sm->evidence = ll(ev, 8);
		snprintf(sm->rule, sizeof(sm->rule), "%s", rule);
		snprintf(sm->reason, sizeof(sm->reason), "%s",
			 rule_reason(rule));
		sm->actor[0] = '\0';
	}
}

/* Replay the events and manual actions of t->key in time order (manual
 * first on a tie) into rp->sm. */
static void
simulate(struct replay *rp, struct target *t)
{
	rp->nsims = 0;
	for (;;) {
		const char *a = cur_key(&rp->ev), *b = cur_key(&rp->man);
		bool ea = a && strcmp(a, t->key) == 0;
		bool mb = b && strcmp(b, t->key) == 0;
		if (!ea && !mb)
			break;
		if (mb && (!ea || ll(&rp->man, 2) <= ll(&rp->ev, 7))) {
			sim_manual(rp, &rp->man, t);
			rp->man.row++;
		} else {
			sim_event(rp, t);
			rp->ev.row++;
		}
	}
}

/* A stored suppression row of t->key. */
struct stored {
	bool active;
	char cls[32];
	time_t expires;
};
/* The suppression row the simulation wants for t, for the upsert. */
static void
queue_upsert(struct replay *rp, const struct target *t, const struct sim *sm,
	     const char *wcls)
{
	struct rb_copybuf *sup = &rp->sup;
	rb_copy_str(sup, t->key);
	rb_copy_sep(sup);
	rb_copy_str(sup, t->addr);
	rb_copy_sep(sup);
	rb_copy_str(sup, t->dom);
	rb_copy_sep(sup);
	rb_copy_raw(sup, wcls);
	rb_copy_sep(sup);
	rb_copy_str(sup, sm->reason);
	rb_copy_sep(sup);
	rb_copy_str(sup, sm->rule[0] ? sm->rule : "manual");
	rb_copy_sep(sup);
	rb_copy_str(sup, sm->actor[0] ? sm->actor : NULL);
	rb_copy_sep(sup);
	if (sm->evidence)
		rb_copy_long(sup, sm->evidence);
	else
		rb_copy_raw(sup, "\\N");
	rb_copy_sep(sup);
	rb_copy_time(sup, sm->st.created);
	rb_copy_sep(sup);
	rb_copy_time(sup, rp->now);
	rb_copy_sep(sup);
	rb_copy_time(sup, sm->st.expires);
	rb_copy_sep(sup);
	rb_copy_str(sup, sm->scope);
	rb_copy_eol(sup);
}

/* Compare the simulation with the stored row: print the difference and
 * (unless a dry run) queue the rows that make the store agree. */
static void
reconcile(struct replay *rp, const struct target *t, const struct sim *sm,
	  const struct stored *st)
{
	char sc[RB_SCOPE_MAX + 4] = "";
	if (sm->scope[0])
		snprintf(sc, sizeof(sc), " [%s]", sm->scope);
	bool want = rb_pstate_active(&sm->st, rp->now);
	const char *wcls = rb_pclass_name(sm->st.cls);
	char e1[32] = "never", e2[32] = "never";
	if (sm->st.expires)
		rb_time_iso(sm->st.expires, e1, sizeof(e1));
	if (st->expires)
		rb_time_iso(st->expires, e2, sizeof(e2));
	const char *what = NULL;
	if (want && !st->active)
		what = "add";
	else if (!want && st->active)
		what = "remove";
	else if (want && st->active &&
		 (strcmp(st->cls, wcls) != 0 || st->expires != sm->st.expires))
		what = "change";
	if (what == NULL)
		return;
	rp->changes++;
	if (!strcmp(what, "add"))
		fprintf(rp->out, "add %s%s: %s (%s) until %s, evidence event "
				 "%lld\n",
			t->addr, sc, wcls, sm->rule, e1, sm->evidence);
	else if (!strcmp(what, "remove"))
		fprintf(rp->out, "remove %s%s: was %s, not justified by the "
				 "policy\n",
			t->addr, sc, st->cls);
	else
		fprintf(rp->out, "change %s%s: %s until %s -> %s (%s) until "
				 "%s\n",
			t->addr, sc, st->cls, e2, wcls, sm->rule, e1);
	if (rp->dry_run)
		return;
	if (!strcmp(what, "remove")) {
		rb_copy_str(&rp->rm, t->key);
		rb_copy_sep(&rp->rm);
		rb_copy_str(&rp->rm, sm->scope);
		rb_copy_eol(&rp->rm);
		hist_row(&rp->hist, t->key, sm->scope, t->addr, "removed",
			 st->cls, rp->note, "policy", 0, rp->now, 0, rp->note);
		return;
	}
	queue_upsert(rp, t, sm, wcls);
	hist_row(&rp->hist, t->key, sm->scope, t->addr,
		 !strcmp(what, "add") ? "added" : "changed", wcls, sm->reason,
		 sm->rule, sm->evidence, rp->now, sm->st.expires, rp->note);
}

/* Every scope of t: each stored row under the cu cursor with the
 * simulation of its scope (an empty one when no event or action lands
 * there), then the simulations without a stored row. */
static void
reconcile_all(struct replay *rp, struct target *t)
{
	struct cur *cu = &rp->cu;
	for (;;) {
		const char *kk = cur_key(cu);
		if (!kk || strcmp(kk, t->key) != 0)
			break;
		struct stored st;
		memset(&st, 0, sizeof(st));
		snprintf(st.cls, sizeof(st.cls), "%s", v(cu, 1));
		st.expires = (time_t)ll(cu, 2);
		time_t rem = (time_t)ll(cu, 3);
		st.active =
		    rem == 0 && (st.expires == 0 || st.expires > rp->now);
		if (!t->addr[0])
			snprintf(t->addr, sizeof(t->addr), "%s", v(cu, 4));
		if (!t->dom[0] && v(cu, 5))
			snprintf(t->dom, sizeof(t->dom), "%s", v(cu, 5));
		struct sim *sm = sim_for(rp, v(cu, 6) ? v(cu, 6) : "");
		cu->row++;
		if (sm == NULL)
			continue;
		sm->seen = true;
		reconcile(rp, t, sm, &st);
	}
	for (size_t i = 0; i < rp->nsims; i++)
		if (!rp->sims[i].seen) {
			struct stored st;
			memset(&st, 0, sizeof(st));
			reconcile(rp, t, &rp->sims[i], &st);
		}
}

/* The events' new class, rule and scope. */
static int
write_reclass(struct replay *rp)
{
	struct rb_store *s = rp->s;
	if (rb_store_exec(s, "CREATE TEMP TABLE rb_tmp_cls (id bigint,"
			     " class text, rule text, scope text)"
			     " ON COMMIT DROP") != 0 ||
	    rb_store_copy_in(s, "COPY rb_tmp_cls FROM STDIN", &rp->cls) != 0 ||
	    rb_store_exec(s, "UPDATE events e SET policy_class ="
			     " t.class, policy_rule = t.rule, scope = t.scope"
			     " FROM rb_tmp_cls t WHERE e.id = t.id") != 0)
		return -1;
	return 0;
}

/* The queued suppression upserts, removals and history rows. */
static int
write_changes(struct replay *rp)
{
	struct rb_store *s = rp->s;
	if (rb_store_exec(
		s, "CREATE TEMP TABLE rb_tmp_rsup (addr_key text,"
		   " address text, domain text, class text, reason text,"
		   " rule text, actor text, event_id bigint,"
		   " created_at timestamptz, updated_at timestamptz,"
		   " expires_at timestamptz, scope text) ON COMMIT DROP;"
		   " CREATE TEMP TABLE rb_tmp_rm (addr_key text, scope text)"
		   " ON COMMIT DROP") != 0 ||
	    (rp->sup.n &&
	     rb_store_copy_in(s, "COPY rb_tmp_rsup FROM STDIN", &rp->sup) !=
		 0) ||
	    (rp->rm.n &&
	     rb_store_copy_in(s, "COPY rb_tmp_rm FROM STDIN", &rp->rm) != 0))
		return -1;
	char nows[32];
	snprintf(nows, sizeof(nows), "%lld", (long long)rp->now);
	const char *p[] = {nows, rp->note};
	PGresult *r = rb_store_q(
	    s, PGRES_COMMAND_OK,
	    "INSERT INTO suppressions (addr_key, address, domain, class,"
	    " reason, rule, actor, event_id, created_at, updated_at,"
	    " expires_at, scope) SELECT addr_key, address, domain, class,"
	    " reason, rule, actor, event_id, created_at, updated_at,"
	    " expires_at, scope FROM rb_tmp_rsup ON CONFLICT (addr_key, scope) DO"
	    " UPDATE SET class = EXCLUDED.class, reason ="
	    " EXCLUDED.reason, rule = EXCLUDED.rule, actor ="
	    " EXCLUDED.actor, event_id = EXCLUDED.event_id, created_at ="
	    " EXCLUDED.created_at, updated_at = EXCLUDED.updated_at,"
	    " expires_at = EXCLUDED.expires_at, removed_at = NULL,"
	    " removed_by = NULL, remove_reason = NULL"
	    " WHERE to_timestamp($1) IS NOT NULL",
	    1, p);
	if (r == NULL)
		return -1;
	PQclear(r);
	r = rb_store_q(s, PGRES_COMMAND_OK,
		       "UPDATE suppressions s SET removed_at ="
		       " to_timestamp($1), removed_by = $2,"
		       " remove_reason = $2, updated_at ="
		       " to_timestamp($1) FROM rb_tmp_rm t"
		       " WHERE s.addr_key = t.addr_key AND s.scope = t.scope",
		       2, p);
	if (r == NULL)
		return -1;
	PQclear(r);
	return rb_store_copy_in(s,
				"COPY suppression_history (addr_key,"
				" address, action, class, reason, rule,"
				" actor, event_id, at, expires_at, note,"
				" scope)"
				" FROM STDIN",
				&rp->hist);
}

/* only: restrict to the keys in rb_replay_keys; note: the history note,
 * removed_by and remove_reason of what it writes.  Inside a transaction
 * holding the writers' lock; on error the caller rolls back. */
static int
replay_tx(struct rb_store *s, const struct rb_policy *pol, bool dry_run,
	  bool only, const char *note, FILE *out, unsigned long *changes,
	  unsigned long *reclassified)
{
	struct replay rp;
	memset(&rp, 0, sizeof(rp));
	rp.s = s;
	rp.pol = pol;
	rp.dry_run = dry_run;
	rp.note = note;
	rp.out = out;
	rp.now = rb_now();
	rp.ev = (struct cur){s, "rb_ev", NULL, 0, 0, false};
	rp.man = (struct cur){s, "rb_man", NULL, 0, 0, false};
	rp.cu = (struct cur){s, "rb_cur", NULL, 0, 0, false};
	int rc = -1;
	*changes = 0;
	if (declare_cursors(s, only) != 0)
		goto out;
	for (;;) {
		struct target t;
		int more = next_key(&rp, &t);
		if (more < 0)
			goto out;
		if (more == 0)
			break;
		simulate(&rp, &t);
		reconcile_all(&rp, &t);
	}
	if (!dry_run && rp.reclass > 0 && write_reclass(&rp) != 0)
		goto out;
	if (!dry_run && rp.changes > 0 && write_changes(&rp) != 0)
		goto out;
	if (rb_store_exec(s, "CLOSE rb_ev; CLOSE rb_man; CLOSE rb_cur") != 0)
		goto out;
	*reclassified = rp.reclass;
	rc = 0;
out:
	*changes = rp.changes;
	PQclear(rp.ev.r);
	PQclear(rp.man.r);
	PQclear(rp.cu.r);
	for (size_t i = 0; i < rp.capsims; i++)
		free(rp.sims[i].days);
	free(rp.sims);
	rb_copy_free(&rp.cls);
	rb_copy_free(&rp.sup);
	rb_copy_free(&rp.rm);
	rb_copy_free(&rp.hist);
	return rc;
}

int
rb_store_replay(struct rb_store *s, const struct rb_policy *pol, bool dry_run,
		FILE *out, unsigned long *changes)
{
	unsigned long reclass = 0;
	*changes = 0;
	if (rb_store_in_tx(s))
		return rb_store_fail(s, NULL, "replay runs its own transaction");
	if (rb_store_begin(s) != 0)
		return -1;
	if (rb_store_exec(s, RB_WRITER_LOCK_SQL) != 0 ||
	    replay_tx(s, pol, dry_run, false, "policy replay", out, changes,
		      &reclass) != 0 ||
	    (dry_run ? rb_store_rollback(s) : rb_store_commit(s)) != 0) {
		rb_store_rollback(s); /* keeps the error */
		return -1;
	}
	fprintf(out, "%lu change(s)%s; %lu event(s) re-classified%s\n",
		*changes, dry_run ? " would be made" : " made", reclass,
		dry_run ? " (dry run)" : "");
	return 0;
}

int
rb_store_replay_keys(struct rb_store *s, const struct rb_policy *pol,
		     const char *note, FILE *out, unsigned long *changes)
{
	unsigned long reclass = 0;
	return replay_tx(s, pol, false, true, note, out, changes, &reclass);
}
