/*
 * batch.c: rb_store_write_batch (store.h): messages, events, and the
 * policy's decisions for the new events, inside the caller's transaction.
 *
 * Round trips per batch: when some event carries a short unsubscribe
 * token, the rows those tokens name (1); lock + (once per session)
 * temporary tables + COPY of the messages (2), COPY of the events (2),
 * insert of messages and events (RETURNING what the policy needs), and
 * when some new event may suppress: read the state of the addresses
 * concerned, their soft days when some are soft, COPY the new states
 * (2), upsert + COPY of the history (2).
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/addrkey.h"
#include "core/policy.h"
#include "core/scope.h"
#include "core/tenant.h"
#include "core/unsubscribe.h"
#include "lib/log.h"
#include "lib/sha256.h"
#include "store_int.h"
#include "lib/testhook.h"

#define DAY 86400L

/* Created once per session, emptied by every COMMIT (ON COMMIT DELETE
 * ROWS truncates in place): a TRUNCATE per batch gave every table, its
 * TOAST table and TOAST index a new file and unlinked the old ones (about
 * 5 ms a batch), and the CREATE ... IF NOT EXISTS per batch cost three
 * catalog look-ups more.  See rb_store_tmp() for the states. */
static const char tmp_ddl[] =
    "CREATE TEMP TABLE IF NOT EXISTS rb_tmp_msg ("
    " ord integer, sha256 bytea, source text, mbox_index bigint,"
    " size bigint, outcome text, error text, nevents integer,"
    " raw bytea, raw_expires_at timestamptz) ON COMMIT DELETE ROWS;"
    "CREATE TEMP TABLE IF NOT EXISTS rb_tmp_ev ("
    " ord integer, msg_ord integer, dedup_key bytea, kind text,"
    " recipient text, addr_key text, domain text, sender text,"
    " reason text, hard boolean, status text, smtp_code text,"
    " action text, remote_mta text, feedback_type text, source_ip text,"
    " reported_domain text, campaign text, feedback_id text,"
    " list_id text, orig_message_id text, report_message_id text,"
    " parser text, arrival_date timestamptz, event_at timestamptz,"
    " policy_class text, policy_rule text, doc jsonb, tenant text,"
    " stream text, tenant_from text, scope text) ON COMMIT DELETE ROWS;"
    "CREATE TEMP TABLE IF NOT EXISTS rb_tmp_sup ("
    " addr_key text, address text, domain text, class text, reason text,"
    " rule text, event_id bigint, created_at timestamptz,"
    " updated_at timestamptz, expires_at timestamptz, scope text)"
    " ON COMMIT DELETE ROWS;";

/* a second batch in one transaction (the tables still hold the first's
 * rows), or tables of unknown state */
static const char tmp_empty[] =
    "DELETE FROM rb_tmp_msg; DELETE FROM rb_tmp_ev; DELETE FROM rb_tmp_sup";

/*
 * Messages and events in ONE statement (one round trip, no UPDATE of the
 * temporary table to carry the new message ids over): the messages not
 * stored before, then the events of exactly those.  The events' foreign
 * key to messages is checked at the end of the statement, when the new
 * messages are there.  Result rows: (ord, NULL...) for each new message,
 * (NULL, id, kind, addr_key, recipient, domain, policy_class,
 * policy_rule, event time, state key) for each new event.  The state
 * key is the address key, US (0x1f) and the scope the event's class
 * lands in: the policy decides per (address, scope).
 */
static const char ins_msg_ev[] =
    "WITH ins AS (INSERT INTO messages (sha256, source, mbox_index, size,"
    " outcome, error, nevents, stored_at, raw, raw_expires_at)"
    " SELECT sha256, source, mbox_index, size, outcome, error, nevents,"
    " to_timestamp($1), raw, raw_expires_at FROM rb_tmp_msg ORDER BY ord"
    " ON CONFLICT (sha256) DO NOTHING RETURNING id, sha256),"
    " nm AS (SELECT t.ord, ins.id FROM ins JOIN rb_tmp_msg t"
    " ON t.sha256 = ins.sha256),"
    " ev AS (INSERT INTO events (message_id, dedup_key, kind, recipient,"
    " addr_key, domain, sender, reason, hard, status, smtp_code, action,"
    " remote_mta, feedback_type, source_ip, reported_domain, campaign,"
    " feedback_id, list_id, orig_message_id, report_message_id, parser,"
    " arrival_date, event_at, policy_class, policy_rule, doc, tenant,"
    " stream, tenant_from, scope)"
    " SELECT nm.id, e.dedup_key, e.kind, e.recipient, e.addr_key,"
    " e.domain, e.sender, e.reason, e.hard, e.status, e.smtp_code,"
    " e.action, e.remote_mta, e.feedback_type, e.source_ip,"
    " e.reported_domain, e.campaign, e.feedback_id, e.list_id,"
    " e.orig_message_id, e.report_message_id, e.parser, e.arrival_date,"
    " e.event_at, e.policy_class, e.policy_rule, e.doc, e.tenant,"
    " e.stream, e.tenant_from, e.scope"
    " FROM rb_tmp_ev e JOIN nm ON nm.ord = e.msg_ord ORDER BY e.ord"
    " ON CONFLICT (dedup_key) DO NOTHING"
    " RETURNING id, kind, addr_key, recipient, domain, policy_class,"
    " policy_rule, extract(epoch FROM event_at)::bigint AS t, scope)"
    " SELECT ord, NULL::bigint, NULL, NULL, NULL, NULL, NULL, NULL,"
    " NULL::bigint, NULL FROM nm UNION ALL SELECT NULL, id, kind, addr_key,"
    " recipient, domain, policy_class, policy_rule, t,"
    " addr_key || chr(31) || scope FROM ev";

void
rb_pg_array_add(struct rb_copybuf *b, const char *s, bool first)
{
	size_t l = strlen(s);
	/* grow via rb_copy_raw on a small piece at a time */
	rb_copy_raw(b, first ? "\"" : ",\"");
	const char *p = s;
	while (l > 0) {
		size_t k = strcspn(p, "\"\\");
		if (k > 0) {
			char tmp[512];
			size_t take = k < sizeof(tmp) - 1 ? k : sizeof(tmp) - 1;
			memcpy(tmp, p, take);
			tmp[take] = '\0';
			rb_copy_raw(b, tmp);
			p += take;
			l -= take;
			continue;
		}
		rb_copy_raw(b, *p == '"' ? "\\\"" : "\\\\");
		p++;
		l--;
	}
	rb_copy_raw(b, "\"");
}

static void
dedup_key(const struct rb_event *e, const char *key,
	  const unsigned char msg_hash[32], size_t ordinal,
	  unsigned char out[32])
{
	/* the hashed bytes: "r\0" and the report's fields, each with its
	 * NUL; or "m\0", the message's digest and the event's ordinal */
	char stack[1024];
	char *buf = stack;
	size_t n = 0;
	if (e->report_message_id && e->report_message_id[0]) {
		const char *parts[] = {e->report_message_id,
				       rb_kind_name(e->kind),
				       key,
				       e->status,
				       e->feedback_type,
				       e->reason};
		enum { NPARTS = sizeof(parts) / sizeof(*parts) };
		size_t len[NPARTS], total = 2;
		for (size_t i = 0; i < NPARTS; i++) {
			len[i] = strlen(parts[i] ? parts[i] : "") + 1;
			total += len[i];
		}
		if (total > sizeof(stack) && (buf = malloc(total)) == NULL)
			abort();
		memcpy(buf, "r", 2);
		n = 2;
		for (size_t i = 0; i < NPARTS; i++) {
			memcpy(buf + n, parts[i] ? parts[i] : "", len[i]);
			n += len[i];
		}
	} else {
		memcpy(buf, "m", 2);
		memcpy(buf + 2, msg_hash, 32);
		n = 34 + (size_t)snprintf(buf + 34, sizeof(stack) - 34, "%zu",
					  ordinal);
	}
	rb_sha256(buf, n, out);
	if (buf != stack)
		free(buf);
}

/* ---- the policy step ---- */

/* key: the state key "ADDR_KEY\x1fSCOPE" (see ins_msg_ev) */
struct newev {
	long long id;
	char *key, *address, *domain;
	enum rb_pclass cls;
	char *rule;
	time_t t;
};

struct addrstate {
	char *key;
	struct rb_pstate st;
	long *days;
	size_t ndays, capdays;
};

static int
cmp_newev(const void *a, const void *b)
{
	const struct newev *x = a, *y = b;
	int c = strcmp(x->key, y->key);
	if (c)
		return c;
	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

static int
cmp_state(const void *a, const void *b)
{
	const struct addrstate *x = a, *y = b;
	return strcmp(x->key, y->key);
}

static struct addrstate *
find_state(struct addrstate *v, size_t n, const char *key)
{
	struct addrstate k = {.key = (char *)key};
	return bsearch(&k, v, n, sizeof(*v), cmp_state);
}

static const char *const action_names[] = {
    [RB_DEC_NONE] = NULL,
    [RB_DEC_ADD] = "added",
    [RB_DEC_CHANGE] = "changed",
    [RB_DEC_EXTEND] = "extended",
};

/* the reason part of a rule "hard:userunknown" */
static const char *
rule_reason(const char *rule)
{
	const char *c = strchr(rule, ':');
	return c ? c + 1 : rule;
}

/* The policy step of one batch: the new events sorted by key, the state
 * of each distinct key, and the COPY text it writes. */
struct pstep {
	struct rb_store *s;
	const struct rb_policy *pol;
	struct newev *ev;
	size_t nev;
	struct addrstate *st;	/* one per distinct key, sorted */
	size_t nst;
	size_t nsoft;		/* keys with a soft event */
	time_t tmin;		/* the earliest event */
	struct rb_copybuf arr;	/* the keys, a text[] literal */
	struct rb_copybuf soft;	/* the keys with a soft event, text[] */
	struct rb_copybuf sup;	/* rows for rb_tmp_sup */
	struct rb_copybuf hist;	/* rows for suppression_history */
};

/* ev is sorted by key: the distinct keys (arr, st), and those of them
 * with a soft event (soft, for the look-up of their soft days). */
static void
collect_keys(struct pstep *p)
{
	const char *softkeys_last = NULL;
	p->tmin = p->ev[0].t;
	rb_copy_raw(&p->arr, "{");
	rb_copy_raw(&p->soft, "{");
	for (size_t i = 0; i < p->nev; i++) {
		const struct newev *e = &p->ev[i];
		if (e->t < p->tmin)
			p->tmin = e->t;
		if (e->cls == RB_PC_SOFT &&
		    (softkeys_last == NULL || strcmp(softkeys_last, e->key) != 0)) {
			rb_pg_array_add(&p->soft, e->key, p->nsoft == 0);
			softkeys_last = e->key;
			p->nsoft++;
		}
		if (p->nst > 0 && strcmp(p->st[p->nst - 1].key, e->key) == 0)
			continue;
		p->st[p->nst].key = e->key;
		/* the address part of the state key */
		char *us = strchr(e->key, '\x1f');
		if (us)
			*us = '\0';
		rb_pg_array_add(&p->arr, e->key, p->nst == 0);
		if (us)
			*us = '\x1f';
		p->nst++;
	}
	rb_copy_raw(&p->arr, "}");
	p->arr.p[p->arr.n] = '\0';
}

/* The stored suppression rows of the keys. */
static int
load_states(struct pstep *p)
{
	const char *p1[] = {p->arr.p};
	PGresult *r = rb_store_q(
	    p->s, PGRES_TUPLES_OK,
	    "SELECT addr_key || chr(31) || scope, class,"
	    " extract(epoch FROM created_at)::bigint,"
	    " extract(epoch FROM updated_at)::bigint,"
	    " coalesce(extract(epoch FROM expires_at)::bigint, 0),"
	    " coalesce(extract(epoch FROM removed_at)::bigint, 0)"
	    " FROM suppressions WHERE addr_key = ANY($1::text[])",
	    1, p1);
	if (r == NULL)
		return -1;
	for (int i = 0; i < PQntuples(r); i++) {
		struct addrstate *a =
		    find_state(p->st, p->nst, PQgetvalue(r, i, 0));
		if (a == NULL)
			continue;
		a->st.exists = true;
		if (rb_pclass_parse(PQgetvalue(r, i, 1), &a->st.cls) != 0)
			a->st.cls = RB_PC_MANUAL;
		a->st.created = strtoll(PQgetvalue(r, i, 2), NULL, 10);
		a->st.updated = strtoll(PQgetvalue(r, i, 3), NULL, 10);
		a->st.expires = strtoll(PQgetvalue(r, i, 4), NULL, 10);
		a->st.removed = strtoll(PQgetvalue(r, i, 5), NULL, 10);
	}
	PQclear(r);
	return 0;
}

/*
 * The soft-bounce days of the addresses with a soft event in this batch
 * (only a soft decision looks at them), this batch's own events included:
 * one index probe of events_addr per address.  As `addr_key = ANY(array)
 * AND event_at > t` the planner took a bitmap scan of events_at instead,
 * reading every event of the window (all of them in the bench) per
 * batch: 97 ms a batch at 100,000 events, growing with the table.
 */
static int
load_soft_days(struct pstep *p)
{
	char since[32];
	rb_copy_raw(&p->soft, "}");
	p->soft.p[p->soft.n] = '\0';
	snprintf(since, sizeof(since), "%lld",
		 (long long)(p->tmin - p->pol->soft_window - DAY));
	const char *p2[] = {p->soft.p, since};
	PGresult *r = rb_store_q(p->s, PGRES_TUPLES_OK,
				 "SELECT k.sk, d.d FROM"
				 " unnest($1::text[]) AS k(sk),"
				 " LATERAL (SELECT DISTINCT floor(extract(epoch"
				 " FROM e.event_at) / 86400)::bigint AS d"
				 " FROM events e WHERE e.addr_key ="
				 " split_part(k.sk, chr(31), 1)"
				 " AND e.scope = split_part(k.sk, chr(31), 2)"
				 " AND e.event_at > to_timestamp($2)"
				 " AND e.policy_class = 'soft') AS d",
				 2, p2);
	if (r == NULL)
		return -1;
	for (int i = 0; i < PQntuples(r); i++) {
		struct addrstate *a =
		    find_state(p->st, p->nst, PQgetvalue(r, i, 0));
		if (a != NULL)
			rb_days_add(&a->days, &a->ndays, &a->capdays,
				    strtol(PQgetvalue(r, i, 1), NULL, 10));
	}
	PQclear(r);
	return 0;
}

/* The address key of a state key, then (scope_of) its scope. */
static void
copy_addr_of(struct rb_copybuf *b, const char *skey)
{
	const char *us = strchr(skey, '\x1f');
	rb_copy_strn(b, skey, us ? (size_t)(us - skey) : strlen(skey));
}

static const char *
scope_of(const char *skey)
{
	const char *us = strchr(skey, '\x1f');
	return us ? us + 1 : "";
}

/* History row: the suppression of a ended by expiry at old_exp. */
static void
hist_expired(struct rb_copybuf *h, const struct addrstate *a,
	     const struct newev *e, time_t old_exp)
{
	copy_addr_of(h, a->key);
	rb_copy_sep(h);
	rb_copy_str(h, e->address);
	rb_copy_raw(h, "\texpired\t\\N\t\\N\t\\N\t\\N\t\\N\t");
	rb_copy_time(h, old_exp);
	rb_copy_raw(h, "\t\\N\t\\N\t");
	rb_copy_str(h, scope_of(a->key));
	rb_copy_eol(h);
}

/* History row: decision d on a, taken on event e. */
static void
hist_decision(struct rb_copybuf *h, const struct rb_policy *pol,
	      const struct addrstate *a, const struct newev *e,
	      enum rb_decision d)
{
	copy_addr_of(h, a->key);
	rb_copy_sep(h);
	rb_copy_str(h, e->address);
	rb_copy_sep(h);
	rb_copy_raw(h, action_names[d]);
	rb_copy_sep(h);
	rb_copy_raw(h, rb_pclass_name(a->st.cls));
	rb_copy_sep(h);
	rb_copy_str(h, rule_reason(e->rule));
	rb_copy_sep(h);
	rb_copy_str(h, e->rule);
	rb_copy_raw(h, "\t\\N\t");
	rb_copy_long(h, e->id);
	rb_copy_sep(h);
	rb_copy_time(h, e->t);
	rb_copy_sep(h);
	rb_copy_time(h, a->st.expires);
	rb_copy_sep(h);
	if (e->cls == RB_PC_SOFT) {
		char note[96];
		snprintf(note, sizeof(note),
			 "soft bounces on %u+ days within %ldd",
			 pol->soft_threshold, pol->soft_window / DAY);
		rb_copy_str(h, note);
	} else {
		rb_copy_raw(h, "\\N");
	}
	rb_copy_sep(h);
	rb_copy_str(h, scope_of(a->key));
	rb_copy_eol(h);
}

/* Row for rb_tmp_sup: a's new state, e the address's first event, the
 * last decision taken on event evidence by rule. */
static void
sup_row(struct rb_copybuf *b, const struct addrstate *a,
	const struct newev *e, const char *rule, long long evidence)
{
	copy_addr_of(b, a->key);
	rb_copy_sep(b);
	rb_copy_str(b, e->address);
	rb_copy_sep(b);
	rb_copy_str(b, e->domain ? e->domain : "");
	rb_copy_sep(b);
	rb_copy_raw(b, rb_pclass_name(a->st.cls));
	rb_copy_sep(b);
	rb_copy_str(b, rule_reason(rule));
	rb_copy_sep(b);
	rb_copy_str(b, rule);
	rb_copy_sep(b);
	rb_copy_long(b, evidence);
	rb_copy_sep(b);
	rb_copy_time(b, a->st.created);
	rb_copy_sep(b);
	rb_copy_time(b, a->st.updated);
	rb_copy_sep(b);
	rb_copy_time(b, a->st.expires);
	rb_copy_sep(b);
	rb_copy_str(b, scope_of(a->key));
	rb_copy_eol(b);
}

/* Decide on the events ev[i..j) of one address in time order; queue the
 * history rows and, when the state changed, its suppression row.
 * Returns whether it changed. */
static bool
decide_address(struct pstep *p, size_t i, size_t j,
	       struct rb_store_counts *c)
{
	struct addrstate *a = find_state(p->st, p->nst, p->ev[i].key);
	long long evidence = 0;
	const char *rule = NULL;
	bool changed = false;
	for (size_t k = i; k < j; k++) {
		const struct newev *e = &p->ev[k];
		bool expired;
		time_t old_exp = a->st.expires;
		enum rb_decision d = rb_policy_decide(
		    p->pol, &a->st, e->cls, e->t, a->days, a->ndays, &expired);
		if (d == RB_DEC_NONE)
			continue;
		if (expired)
			hist_expired(&p->hist, a, e, old_exp);
		changed = true;
		evidence = e->id;
		rule = e->rule;
		hist_decision(&p->hist, p->pol, a, e, d);
		if (d == RB_DEC_ADD)
			c->supp_new++;
		else
			c->supp_changed++;
	}
	if (changed)
		sup_row(&p->sup, a, &p->ev[i], rule, evidence);
	return changed;
}

/* The new states and their history. */
static int
write_suppressions(struct pstep *p)
{
	/* the upsert and the history's COPY in one query string: one round
	 * trip less (a COPY costs two: its start, then the data and the
	 * result) */
	if (rb_store_copy_in(p->s, "COPY rb_tmp_sup FROM STDIN", &p->sup) !=
		0 ||
	    rb_store_copy_in(
		p->s,
		"INSERT INTO suppressions (addr_key, address, domain,"
		" class, reason, rule, event_id, created_at, updated_at,"
		" expires_at, scope) SELECT addr_key, address, domain, class,"
		" reason, rule, event_id, created_at, updated_at,"
		" expires_at, scope FROM rb_tmp_sup ON CONFLICT (addr_key, scope) DO"
		" UPDATE SET class = EXCLUDED.class, reason ="
		" EXCLUDED.reason, rule = EXCLUDED.rule, actor = NULL,"
		" event_id = EXCLUDED.event_id, created_at ="
		" EXCLUDED.created_at, updated_at = EXCLUDED.updated_at,"
		" expires_at = EXCLUDED.expires_at, removed_at = NULL,"
		" removed_by = NULL, remove_reason = NULL;"
		" COPY suppression_history (addr_key, address, action,"
		" class, reason, rule, actor, event_id, at, expires_at,"
		" note, scope) FROM STDIN",
		&p->hist) != 0)
		return -1;
	return 0;
}

static int
apply_policy(struct rb_store *s, const struct rb_policy *pol,
	     struct newev *ev, size_t nev, struct rb_store_counts *c)
{
	struct pstep p = {.s = s, .pol = pol, .ev = ev, .nev = nev};
	int rc = -1;

	qsort(ev, nev, sizeof(*ev), cmp_newev);
	p.st = calloc(nev, sizeof(*p.st));
	if (p.st == NULL)
		return rb_store_fail(s, NULL, "out of memory");
	rb_copy_take(s, &p.arr);
	rb_copy_take(s, &p.soft);
	rb_copy_take(s, &p.sup);
	rb_copy_take(s, &p.hist);
	collect_keys(&p);
	if (load_states(&p) != 0)
		goto out;
	if (p.nsoft > 0 && load_soft_days(&p) != 0)
		goto out;
	/* decide, address by address, event by event in time order */
	size_t nsup = 0;
	for (size_t i = 0; i < nev;) {
		size_t j = i;
		while (j < nev && strcmp(ev[j].key, ev[i].key) == 0)
			j++;
		if (decide_address(&p, i, j, c))
			nsup++;
		i = j;
	}
	if (nsup > 0 && write_suppressions(&p) != 0)
		goto out;
	rc = 0;
out:
	for (size_t i = 0; i < p.nst; i++)
		free(p.st[i].days);
	free(p.st);
	rb_copy_give(s, &p.hist);
	rb_copy_give(s, &p.sup);
	rb_copy_give(s, &p.soft);
	rb_copy_give(s, &p.arr);
	return rc;
}

/* ---- the batch ---- */

/* The decision on event k of message i (NULL: none, the event is stored
 * as parsed). */
#define DECISION(b, i, k)                                                      \
	((b)->dix[(b)->evoff[i] + (k)] >= 0                                    \
	     ? &(b)->ud[(b)->dix[(b)->evoff[i] + (k)]]                         \
	     : NULL)

/* hash set of 32-byte digests, for folding within a batch */
struct dset {
	unsigned char (*v)[32];
	bool *used;
	size_t cap;
};

static bool
dset_add(struct dset *d, const unsigned char k[32])
{
	size_t h;
	memcpy(&h, k, sizeof(h));
	for (size_t i = h % d->cap;; i = (i + 1) % d->cap) {
		if (!d->used[i]) {
			d->used[i] = true;
			memcpy(d->v[i], k, 32);
			return true;
		}
		if (memcmp(d->v[i], k, 32) == 0)
			return false;
	}
}

/* One batch being written: the messages' digests, which are copies, and
 * the COPY text of messages and events. */
struct batch {
	struct rb_store *s;
	const struct rb_policy *pol;
	const struct rb_store_msg *m;
	size_t n;
	time_t now;
	const struct rb_tenancy *tenancy;
	unsigned char (*mh)[32];	/* each message's SHA-256 */
	bool *skip;			/* a copy of an earlier one in the batch */
	bool *isnew;			/* inserted (not in the store already) */
	struct rb_copybuf mb, eb;	/* rows for rb_tmp_msg, rb_tmp_ev */
	/* the unsubscribe decisions, taken once per event (decide_unsub):
	 * message i's events are evoff[i].. in dix, the index of each one's
	 * decision in ud, or -1 */
	size_t *evoff;
	int *dix;
	struct rb_unsub_decision *ud;
	size_t nud;
	struct rb_unsub_rows rows;	/* of the short tokens' ids */
};

/* May rb_unsub_decide act on e (of a mail in a marked mailbox or not)? */
static bool
unsub_candidate(const struct rb_event *e, bool marked)
{
	return e->kind == RB_KIND_UNSUBSCRIBE ||
	       (marked && e->kind == RB_KIND_UNKNOWN && e->error == NULL);
}

/*
 * The unsubscribe decision on every event it may act on, once: the
 * message row (outcome) and the event row (copy_event) both use it, and
 * the caller learns from it how the mail is filed (known_r).  Short
 * tokens are checked against their rows, read in one query for the
 * batch (none when no event has one).
 */
static int
decide_unsub(struct batch *b, size_t nevtot)
{
	size_t slen;
	const char *secret = rb_store_unsub_secret(b->s, &slen);
	size_t ncand = 0, nids = 0;
	struct rb_copybuf ids;
	rb_copy_take(b->s, &ids);
	rb_copy_raw(&ids, "{");
	for (size_t i = 0, o = 0; i < b->n; i++) {
		const struct rb_store_msg *m = &b->m[i];
		b->evoff[i] = o;
		o += m->nevents;
		for (size_t k = 0; k < m->nevents; k++) {
			const struct rb_event *e = &m->events[k];
			unsigned long long id;
			if (!unsub_candidate(e, m->mailbox_unsubscribe))
				continue;
			ncand++;
			if (secret == NULL || e->kind != RB_KIND_UNSUBSCRIBE ||
			    e->unsubscribe_token == NULL ||
			    !rb_unsub_short_id(e->unsubscribe_token,
					       strlen(e->unsubscribe_token),
					       &id))
				continue;
			char num[32];
			snprintf(num, sizeof(num), "%s%llu", nids ? "," : "",
				 id);
			rb_copy_raw(&ids, num);
			nids++;
		}
	}
	rb_copy_raw(&ids, "}");
	ids.p[ids.n] = '\0';
	int rc = nids ? rb_store_unsub_rows(b->s, ids.p, &b->rows) : 0;
	rb_copy_give(b->s, &ids);
	if (rc != 0)
		return -1;
	b->dix = malloc((nevtot + 1) * sizeof(*b->dix));
	b->ud = calloc(ncand + 1, sizeof(*b->ud));
	if (b->dix == NULL || b->ud == NULL)
		return rb_store_fail(b->s, NULL, "out of memory");
	for (size_t i = 0; i < b->n; i++) {
		const struct rb_store_msg *m = &b->m[i];
		bool known = false;
		for (size_t k = 0; k < m->nevents; k++) {
			const struct rb_event *e = &m->events[k];
			int *x = &b->dix[b->evoff[i] + k];
			*x = -1;
			if (unsub_candidate(e, m->mailbox_unsubscribe) &&
			    rb_unsub_decide(e, m->data, m->len, secret, slen,
					    b->now, rb_store_unsub_lookup,
					    &b->rows, m->mailbox_unsubscribe,
					    m->mailbox_tenant, &b->ud[b->nud]))
				*x = (int)b->nud++;
			known |= (*x >= 0 ? b->ud[*x].kind : e->kind) !=
				 RB_KIND_UNKNOWN;
		}
		if (m->known_r)
			*m->known_r = known;
	}
	return 0;
}

/* The outcome of message i as stored. */
static const char *
outcome(const struct batch *b, size_t i)
{
	const struct rb_store_msg *m = &b->m[i];
	if (m->nevents != 1)
		return "events";
	const struct rb_unsub_decision *d = DECISION(b, i, 0);
	if (d)
		return d->kind == RB_KIND_UNKNOWN ? "unknown" : "events";
	if (m->events[0].kind == RB_KIND_UNKNOWN)
		return m->events[0].error ? "error" : "unknown";
	return "events";
}

/* rb_tmp_msg rows: each message hashed, copies within the batch folded. */
static void
copy_messages(struct batch *b, struct dset *ds, struct rb_store_counts *c)
{
	unsigned rawdays;
	bool keep_raw = rb_store_raw_kept(b->s, &rawdays);
	struct rb_copybuf *mb = &b->mb;
	for (size_t i = 0; i < b->n; i++) {
		const struct rb_store_msg *m = &b->m[i];
		rb_sha256(m->data, m->len, b->mh[i]);
		if (!dset_add(ds, b->mh[i])) {
			b->skip[i] = true;
			c->messages_dup++;
			continue;
		}
		rb_copy_long(mb, (long long)i);
		rb_copy_sep(mb);
		rb_copy_bytea(mb, b->mh[i], 32);
		rb_copy_sep(mb);
		rb_copy_str(mb, m->source ? m->source : "");
		rb_copy_sep(mb);
		if (m->index >= 0)
			rb_copy_long(mb, m->index);
		else
			rb_copy_raw(mb, "\\N");
		rb_copy_sep(mb);
		rb_copy_long(mb, (long long)m->size);
		rb_copy_sep(mb);
		rb_copy_raw(mb, outcome(b, i));
		rb_copy_sep(mb);
		rb_copy_str(mb, m->nevents ? m->events[0].error : NULL);
		rb_copy_sep(mb);
		rb_copy_long(mb, (long long)m->nevents);
		rb_copy_sep(mb);
		/* a mail read in part (over max_size) keeps no raw bytes */
		if (keep_raw && m->len == m->size)
			rb_copy_bytea(mb, (const unsigned char *)m->data,
				      m->len);
		else
			rb_copy_raw(mb, "\\N");
		rb_copy_sep(mb);
		rb_copy_time(mb,
			     keep_raw && rawdays ? b->now + rawdays * DAY : 0);
		rb_copy_eol(mb);
	}
}

/* One rb_tmp_ev row: event k of message i, ord its place in the batch. */
static void
copy_event(struct batch *b, size_t i, size_t k, size_t ord)
{
	const struct rb_store_msg *m = &b->m[i];
	struct rb_copybuf *eb = &b->eb;
	/* the event as stored: an unsubscribe request decided first */
	struct rb_event ec = m->events[k];
	const struct rb_event *e = &ec;
	const struct rb_unsub_decision *ud = DECISION(b, i, k);
	if (ud) {
		ec.kind = ud->kind;
		ec.recipient = ud->address[0] ? ud->address : NULL;
		ec.recipient_as_written = 0;
		if (ud->kind == RB_KIND_UNSUBSCRIBE) {
			ec.reason = "unsubscribe";
			ec.hard = -1;
			if (ec.parser == NULL)
				ec.parser = "unsubscribe";
		} else {
			ec.reason = NULL;
			ec.error = ud->note;
		}
		if (ud->note[0])
			rb_warn("%s: %s", m->source ? m->source : "mail",
				ud->note);
	}
	char key[RB_ADDRKEY_MAX + 1];
	size_t doff = 0, kl = 0;
	if (e->recipient)
		kl = rb_addr_key(e->recipient, strlen(e->recipient), key,
				 sizeof(key), &doff);
	/* A recipient with no domain (a bare local part or a display name,
	 * kept as the report wrote it) is stored with its event but keys
	 * nothing: no sender asks about it, and a suppression of it could
	 * not be exported and imported again. */
	if (kl > 0 && !(doff > 0 && key[doff - 1] == '@'))
		kl = 0;
	unsigned char dk[32];
	dedup_key(e, kl ? key : "", b->mh[i], k, dk);
	char rule[160];
	enum rb_pclass cls = rb_policy_classify(b->pol, e, rule, sizeof(rule));
	if (kl == 0)
		cls = RB_PC_NONE;
	time_t t = rb_event_time(e, b->now);
	time_t arr;
	ec.file = m->source;
	ec.index = m->index;
	char *doc = rb_event_to_json(&ec);

	rb_copy_long(eb, (long long)ord);
	rb_copy_sep(eb);
	rb_copy_long(eb, (long long)i);
	rb_copy_sep(eb);
	rb_copy_bytea(eb, dk, 32);
	rb_copy_sep(eb);
	rb_copy_raw(eb, rb_kind_name(e->kind));
	rb_copy_sep(eb);
	rb_copy_str(eb, e->recipient);
	rb_copy_sep(eb);
	rb_copy_str(eb, kl ? key : NULL);
	rb_copy_sep(eb);
	rb_copy_str(eb, kl && key[doff - (doff > 0)] == '@' ? key + doff
							     : NULL);
	const char *cols[] = {
	    e->sender,	       e->reason,
	};
	for (size_t q = 0; q < 2; q++) {
		rb_copy_sep(eb);
		rb_copy_str(eb, cols[q]);
	}
	rb_copy_sep(eb);
	rb_copy_raw(eb, e->hard < 0 ? "\\N" : e->hard ? "t" : "f");
	const char *cols2[] = {
	    e->status,		 e->smtp_code,
	    e->action,		 e->remote_mta,
	    e->feedback_type,	 e->source_ip,
	    e->reported_domain,	 e->original.campaign,
	    e->original.feedback_id, e->original.list_id,
	    e->original.message_id, e->report_message_id,
	    e->parser,
	};
	for (size_t q = 0; q < sizeof(cols2) / sizeof(*cols2); q++) {
		rb_copy_sep(eb);
		rb_copy_str(eb, cols2[q]);
	}
	rb_copy_sep(eb);
	rb_copy_time(eb, e->arrival_date &&
			     rb_time_parse(e->arrival_date, &arr) == 0
			 ? arr
			 : 0);
	rb_copy_sep(eb);
	rb_copy_time(eb, t);
	rb_copy_sep(eb);
	rb_copy_raw(eb, rb_pclass_name(cls));
	rb_copy_sep(eb);
	rb_copy_str(eb, rule);
	rb_copy_sep(eb);
	rb_copy_str(eb, doc);
	struct rb_attribution at;
	if (ud) {
		memcpy(at.tenant, ud->tenant, sizeof(at.tenant));
		memcpy(at.stream, ud->stream, sizeof(at.stream));
		memcpy(at.from, ud->from, sizeof(at.from));
	} else {
		rb_tenant_attribute(b->tenancy, m->data, m->len, e,
				    m->mailbox_tenant, &at);
	}
	char scope[RB_SCOPE_MAX];
	rb_scope_make(rb_policy_scope(b->pol, cls), at.tenant, at.stream,
		      scope);
	rb_copy_sep(eb);
	rb_copy_str(eb, at.tenant[0] ? at.tenant : NULL);
	rb_copy_sep(eb);
	rb_copy_str(eb, at.stream[0] ? at.stream : NULL);
	rb_copy_sep(eb);
	rb_copy_str(eb, at.from);
	rb_copy_sep(eb);
	rb_copy_str(eb, scope);
	rb_copy_eol(eb);
	free(doc);
}

/* rb_tmp_ev rows: the events of the messages that are not copies. */
static void
copy_events(struct batch *b)
{
	size_t ord = 0;
	for (size_t i = 0; i < b->n; i++) {
		if (b->skip[i])
			continue;
		for (size_t k = 0; k < b->m[i].nevents; k++)
			copy_event(b, i, k, ord++);
	}
}

/*
 * One query string (one round trip, plus the COPY's data): the writers'
 * lock, no JIT, the temporary tables, the messages' COPY; then the
 * events' COPY.  The lock is taken FIRST: the policy's
 * read-decide-write must not interleave with another batch deciding on
 * the same addresses, and taking it after our inserts could deadlock
 * with a batch waiting on our uncommitted unique keys.  No JIT
 * compilation: the batch's statements handle a thousand rows, but on a
 * table not yet analysed (a new or fast growing one) the planner's
 * default estimates pass jit_above_cost and compiling cost 10 ms a
 * statement (the soft-days look-up spent 950 of its 1,197 ms there over
 * 100 batches).
 */
static int
send_rows(struct batch *b)
{
	struct rb_store *s = b->s;
	enum rb_tmp_state ts = rb_store_tmp(s);
	char first[sizeof(tmp_ddl) + 256];
	snprintf(first, sizeof(first),
		 RB_WRITER_LOCK_SQL ";"
		 " SET LOCAL jit = off; %s%s COPY rb_tmp_msg FROM STDIN",
		 ts == RB_TMP_NONE ? tmp_ddl
		 : ts == RB_TMP_READY ? ""
				      : tmp_empty,
		 ts == RB_TMP_CREATED || ts == RB_TMP_USED ? ";" : "");
	rb_store_tmp_set(s, ts == RB_TMP_NONE || ts == RB_TMP_CREATED
				? RB_TMP_CREATED
				: RB_TMP_USED);
	if (rb_store_copy_in(s, first, &b->mb) != 0 ||
	    (b->eb.n > 0 &&
	     rb_store_copy_in(s, "COPY rb_tmp_ev FROM STDIN", &b->eb) != 0))
		return -1;
	return 0;
}

/* Count what the insert returned (r: a message's ordinal, or NULL and an
 * event's columns) and fill ev with the new events that the policy
 * classified.  Returns how many, or -1 when out of memory. */
static long
read_inserted(struct batch *b, PGresult *r, struct newev **evp,
	      struct rb_store_counts *c)
{
	size_t offered = 0, nnew = 0;
	int nrows = PQntuples(r), nevrows = 0;
	for (int i = 0; i < nrows; i++) {
		if (PQgetisnull(r, i, 0)) {
			nevrows++;
			continue;
		}
		long o = strtol(PQgetvalue(r, i, 0), NULL, 10);
		if (o >= 0 && (size_t)o < b->n && !b->isnew[o]) {
			b->isnew[o] = true;
			c->messages_new++;
			offered += b->m[o].nevents;
		}
	}
	for (size_t i = 0; i < b->n; i++)
		if (!b->skip[i] && !b->isnew[i])
			c->messages_dup++;
	c->events_new += (unsigned long)nevrows;
	c->events_dup += offered - (size_t)nevrows;
	struct newev *ev = calloc((size_t)nevrows + 1, sizeof(*ev));
	*evp = ev;
	if (ev == NULL)
		return -1;
	for (int i = 0; i < nrows; i++) {
		if (!PQgetisnull(r, i, 0))
			continue;
		enum rb_kind k;
		if (rb_kind_parse(PQgetvalue(r, i, 2), &k) == 0)
			c->by_kind[k]++;
		enum rb_pclass cls;
		if (PQgetisnull(r, i, 3) ||
		    rb_pclass_parse(PQgetvalue(r, i, 6), &cls) != 0 ||
		    cls == RB_PC_NONE)
			continue;
		struct newev *x = &ev[nnew++];
		x->id = strtoll(PQgetvalue(r, i, 1), NULL, 10);
		x->key = PQgetvalue(r, i, 9);
		x->address = PQgetvalue(r, i, 4);
		x->domain = PQgetvalue(r, i, 5);
		x->cls = cls;
		x->rule = PQgetvalue(r, i, 7);
		x->t = (time_t)strtoll(PQgetvalue(r, i, 8), NULL, 10);
	}
	return (long)nnew;
}

int
rb_store_write_batch(struct rb_store *s, const struct rb_policy *pol,
		     const struct rb_store_msg *m, size_t n,
		     struct rb_store_counts *c)
{
	struct rb_policy defpol;
	if (pol == NULL) {
		rb_policy_default(&defpol);
		pol = &defpol;
	}
	if (!rb_store_in_tx(s))
		return rb_store_fail(s, NULL,
				     "write_batch needs an open transaction");
	c->messages += n;
	if (n == 0)
		return 0;
	int rc = -1;
	const struct rb_tenancy *tn = rb_store_tenancy(s, pol);
	if (tn == NULL)
		return -1;
	struct batch b = {.s = s, .pol = pol, .m = m, .n = n, .now = rb_now(),
			  .tenancy = tn};
	size_t nevtot = 0;
	for (size_t i = 0; i < n; i++)
		nevtot += m[i].nevents;
	b.mh = malloc(n * 32);
	b.skip = calloc(n, sizeof(bool));
	b.isnew = calloc(n, sizeof(bool));
	b.evoff = calloc(n, sizeof(*b.evoff));
	struct dset ds = {.cap = (n + nevtot) * 2 + 1};
	ds.v = malloc(ds.cap * 32);
	ds.used = calloc(ds.cap, sizeof(bool));
	struct newev *ev = NULL;
	rb_copy_take(s, &b.mb);
	rb_copy_take(s, &b.eb);
	PGresult *r = NULL;
	if (!b.mh || !b.skip || !b.isnew || !b.evoff || !ds.v || !ds.used) {
		rb_store_fail(s, NULL, "out of memory");
		goto out;
	}
	if (decide_unsub(&b, nevtot) != 0)
		goto out;
	copy_messages(&b, &ds, c);
	copy_events(&b);
	if (send_rows(&b) != 0)
		goto out;
	char nows[32];
	snprintf(nows, sizeof(nows), "%lld", (long long)b.now);
	const char *p1[] = {nows};
	r = rb_store_q(s, PGRES_TUPLES_OK, ins_msg_ev, 1, p1);
	if (r == NULL)
		goto out;
	long nnew = read_inserted(&b, r, &ev, c);
	if (nnew < 0) {
		rb_store_fail(s, NULL, "out of memory");
		goto out;
	}
	/* tests only: hold the transaction open here so that a test can
	 * kill the connection mid-batch (tests/t_store_crash.sh) */
	const char *stall = rb_test_hook("STALL_BATCH");
	if (stall)
		sleep((unsigned)atoi(stall));
	/* ev points into r: keep r until apply_policy is done */
	if (nnew > 0 && apply_policy(s, pol, ev, (size_t)nnew, c) != 0)
		goto out;
	rc = 0;
out:
	PQclear(r);
	free(ev);
	free(b.mh);
	free(b.skip);
	free(b.isnew);
	free(b.evoff);
	free(b.dix);
	free(b.ud);
	free(b.rows.v);
	free(ds.v);
	free(ds.used);
	rb_copy_give(s, &b.eb);
	rb_copy_give(s, &b.mb);
	return rc;
}
