#include "daemon/pipeline.h"
#include "lib/clock.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/batch.h"
#include "daemon/commit.h"
#include "daemon/mover.h"
#include "daemon/signals.h"
#include "daemon/worker.h"
#include "lib/log.h"
#include "lib/testhook.h"

/* A mail the server breaks the connection on, fetched alone, this many
 * times: quarantined without its body (a real Dovecot does this on every
 * try when a Maildir file is longer than the S= size in its name). */
#define FETCH_TRIES 2

/* A body FETCH of bt broke the connection: fetch one mail per command
 * next time; when that was already so, the first mail without a body is
 * the one the server cannot send. */
static void
fetch_broke(struct mbx *b, struct batch *bt, const struct rb_imap_item *want,
	    size_t nw, int careful)
{
	b->fetch_careful = 1;
	if (!careful)
		return;
	for (size_t i = 0; i < nw; i++) {
		const struct mail *ml = NULL;
		for (size_t j = 0; j < bt->n && ml == NULL; j++)
			if (bt->mails[j].uid == want[i].uid)
				ml = &bt->mails[j];
		if (ml == NULL || ml->data)
			continue;
		if (b->bad_uid == want[i].uid) {
			b->bad_count++;
		} else {
			b->bad_uid = want[i].uid;
			b->bad_count = 1;
		}
		rb_warn("%s UID %u: the connection broke while the server sent "
			"it (%u of %u tries)",
			b->folder, b->bad_uid, b->bad_count, FETCH_TRIES);
		return;
	}
}

/* List and fetch the next batch after `after` on b->imap; *out NULL when
 * there is no more mail. */
static int
fetch_batch(struct mbx *b, uint32_t after, struct batch **out)
{
	const struct rb_mailbox_conf *m = b->m;
	struct rb_imap_item *items = NULL;
	size_t n = 0;
	*out = NULL;
	double t0 = rb_clock_s(), c0 = cpu_s();
	int r = rb_imap_list(b->imap, after, m->batch_size, &items, &n);
	if (r != RB_IMAP_OK || n == 0) {
		free(items);
		return r;
	}
	/* bound the bytes of one batch (bodies are held until commit, and
	 * up to five batches are in the pipeline: 80 MiB at worst) */
	uint64_t budget = 16u << 20, bytes = 0;
	size_t keep = 0;
	while (keep < n) {
		uint64_t s = items[keep].size;
		if (s > m->max_size)
			s = (uint32_t)m->max_size;	/* its head only */
		if (keep > 0 && bytes + s > budget)
			break;
		bytes += s;
		keep++;
	}
	n = keep;
	struct batch *bt = calloc(1, sizeof *bt);
	if (bt == NULL)
		abort();
	rb_arena_init(&bt->arena);
	bt->mails = calloc(n, sizeof *bt->mails);
	bt->attempts = calloc(n, sizeof *bt->attempts);
	struct rb_imap_item *want = malloc(n * sizeof *want);
	struct rb_imap_item *big = malloc(n * sizeof *big);
	if (bt->mails == NULL || bt->attempts == NULL || want == NULL ||
	    big == NULL)
		abort();
	bt->n = n;
	size_t nw = 0, nb = 0;
	for (size_t i = 0; i < n; i++) {
		struct mail *ml = &bt->mails[i];
		ml->uid = items[i].uid;
		ml->size = items[i].size;
		ml->disp = DISP_NONE;
		/* a mail over max_size: its first max_size bytes, where a
		 * report's parts are (the attached original comes last);
		 * its events are stored, its raw bytes are not */
		if (ml->size > m->max_size)
			big[nb++] = items[i];
		else if (ml->uid == b->bad_uid && b->bad_count >= FETCH_TRIES)
			quarantine(b, bt, ml,
				   "the server broke the connection %u times "
				   "while sending it",
				   b->bad_count);
		else
			want[nw++] = items[i];
	}
	bt->last = items[n - 1].uid;
	free(items);
	int careful = b->fetch_careful;
	r = rb_imap_fetch(b->imap, want, nw, careful ? 1 : 16u << 20, on_body,
			  bt);
	if (r == RB_IMAP_TEMP)
		fetch_broke(b, bt, want, nw, careful);
	if (r == RB_IMAP_OK && nb > 0) {
		for (size_t i = 0; i < nb; i++)
			rb_info("%s UID %u: %llu bytes, over max_size (%llu): "
				"reading its first %llu bytes",
				b->folder, big[i].uid,
				(unsigned long long)big[i].size,
				m->max_size, m->max_size);
		r = rb_imap_fetch_head(b->imap, big, nb,
				       (uint32_t)m->max_size, 16u << 20,
				       on_body, bt);
	}
	free(want);
	free(big);
	if (r != RB_IMAP_OK) {
		batch_free(bt);
		return r;
	}
	b->fetch_careful = 0;
	bt->wall = rb_clock_s() - t0;
	bt->cpu = cpu_s() - c0;
	*out = bt;
	return RB_IMAP_OK;
}

static void *
fetcher(void *arg)
{
	struct mbx *b = arg;
	sig_block_all();
	uint32_t after = b->fetch_from;
	if (rb_test_hook("WORKER_STALL"))
		for (;;)	/* a read that never returns, never fails */
			pause();
	for (;;) {
		struct batch *bt = NULL;
		int r = RB_IMAP_OK;
		if (!stop_flag && !hup_flag)
			r = fetch_batch(b, after, &bt);
		pthread_mutex_lock(&b->mu);
		while (b->slot && !b->fetch_stop)
			pthread_cond_wait(&b->cv, &b->mu);
		if (b->fetch_stop || r != RB_IMAP_OK || bt == NULL) {
			b->fetch_rc = b->fetch_stop ? RB_IMAP_OK : r;
			b->fetch_done = 1;
			pthread_cond_broadcast(&b->cv);
			pthread_mutex_unlock(&b->mu);
			batch_free(bt);
			return NULL;
		}
		b->slot = bt;
		after = bt->last;
		pthread_cond_broadcast(&b->cv);
		pthread_mutex_unlock(&b->mu);
	}
}

/* A mail the parser failed on: count the attempt (committed at once, so
 * a crash of the whole daemon still counts it), retry alone up to the
 * limit, then quarantine it with an event that says why. */
static int
parse_failed(struct mbx *b, struct batch *bt, struct mail *ml,
	     const char *first_why)
{
	unsigned tries = bt->attempts[ml - bt->mails];
	char why[256];
	snprintf(why, sizeof why, "%s", first_why);
	for (;;) {
		b->mx.parser_failures++;
		tries++;
		rb_warn("%s UID %u: %s (attempt %u of %u)", b->folder,
			ml->uid, why, tries, b->cf->max_attempts);
		if (rb_mbstate_attempts_inc(b->db2, b->account, b->folder,
					    b->uidvalidity, ml->uid, why) != 0)
			return -1;
		struct rb_events ev;
		rb_events_init(&ev, &bt->arena);
		if (tries >= b->cf->max_attempts) {
			quarantine(b, bt, ml, "%s (%u attempts)", why, tries);
			struct rb_event *e = rb_events_add(&ev);
			e->kind = RB_KIND_UNKNOWN;
			e->parser = "daemon";
			e->error = rb_arena_printf(&bt->arena,
						   "quarantined: %s", why);
			ml->ev = ev.v;
			ml->nev = ev.n;
			return 0;
		}
		size_t n = rb_pworker_parse(b->pw, &bt->arena, ml->data,
					    ml->len, b->cf->parse_timeout, &ev,
					    why, sizeof why);
		if (n > 0) {
			ml->ev = ev.v;
			ml->nev = ev.n;
			return 0;
		}
	}
}

/* Parse every fetched mail of the batch. */
static int
parse_batch(struct mbx *b, struct batch *bt)
{
	size_t n = 0;
	for (size_t i = 0; i < bt->n; i++)
		n += bt->mails[i].data != NULL &&
		     bt->mails[i].disp != DISP_QUARANTINE;
	if (n == 0)
		return 0;
	enum { WHY = 200 };
	const char **bufs = malloc(n * sizeof *bufs);
	size_t *lens = malloc(n * sizeof *lens), *res = malloc(n * sizeof *res);
	struct mail **who = malloc(n * sizeof *who);
	struct rb_events *ev = malloc(n * sizeof *ev);
	char *why = calloc(n, WHY);
	if (!bufs || !lens || !res || !who || !ev || !why)
		abort();
	size_t k = 0;
	for (size_t i = 0; i < bt->n; i++) {
		struct mail *ml = &bt->mails[i];
		if (ml->data == NULL || ml->disp == DISP_QUARANTINE)
			continue;
		bufs[k] = ml->data;
		lens[k] = ml->len;
		who[k] = ml;
		rb_events_init(&ev[k], &bt->arena);
		k++;
	}
	rb_pworker_parse_many(b->pw, &bt->arena, bufs, lens, n,
			      b->cf->parse_timeout, ev, res, why, WHY);
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		if (res[i] > 0) {
			who[i]->ev = ev[i].v;
			who[i]->nev = ev[i].n;
		} else {
			rc = parse_failed(b, bt, who[i], why + i * WHY);
		}
		if (rc == 0)
			classify(b, bt, who[i]);
	}
	free(bufs);
	free(lens);
	free(res);
	free(who);
	free(ev);
	free(why);
	return rc;
}

/* Attempt counts, quarantine of mail the parser failed on too often,
 * parse (on db2: failures are counted at once, outside any batch). */
static int
prepare_batch(struct mbx *b, struct batch *bt)
{
	size_t n = bt->n;
	double t0 = rb_clock_s(), c0 = cpu_s();
	uint32_t *uids = malloc(n * sizeof *uids);
	if (uids == NULL)
		abort();
	for (size_t i = 0; i < n; i++)
		uids[i] = bt->mails[i].uid;
	int r = rb_mbstate_attempts_get(b->db2, b->account, b->folder,
				        b->uidvalidity, uids, n, bt->attempts);
	free(uids);
	if (r != 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		struct mail *ml = &bt->mails[i];
		if (ml->disp != DISP_QUARANTINE &&
		    bt->attempts[i] >= b->cf->max_attempts) {
			/* not parsed again, not stored: only recorded */
			free(ml->data);
			ml->data = NULL;
			quarantine(b, bt, ml,
				   "the parser failed on it %u times",
				   bt->attempts[i]);
		}
	}
	if (parse_batch(b, bt) != 0)
		return -1;
	bt->pwall = rb_clock_s() - t0;
	bt->pcpu = cpu_s() - c0;
	return 0;
}

static void *
parser(void *arg)
{
	struct mbx *b = arg;
	sig_block_all();
	for (;;) {
		pthread_mutex_lock(&b->mu);
		while (b->slot == NULL && !b->fetch_done && !b->parse_stop)
			pthread_cond_wait(&b->cv, &b->mu);
		struct batch *bt = b->parse_stop ? NULL : b->slot;
		if (bt)
			b->slot = NULL;
		pthread_cond_broadcast(&b->cv);
		pthread_mutex_unlock(&b->mu);
		int r = bt ? prepare_batch(b, bt) : 0;
		pthread_mutex_lock(&b->mu);
		while (bt && r == 0 && b->pslot && !b->parse_stop)
			pthread_cond_wait(&b->cv, &b->mu);
		if (bt == NULL || r != 0 || b->parse_stop) {
			b->parse_rc = r;
			b->parse_done = 1;
			pthread_cond_broadcast(&b->cv);
			pthread_mutex_unlock(&b->mu);
			batch_free(bt);
			return NULL;
		}
		b->pslot = bt;
		pthread_cond_broadcast(&b->cv);
		pthread_mutex_unlock(&b->mu);
	}
}

/* The hand-over fields, before the threads start. */
static void
pass_reset(struct mbx *b, uint32_t last)
{
	memset(&b->st, 0, sizeof b->st);
	b->move_wall = b->move_cpu = 0;
	b->moved = 0;
	b->mover_st = ST_OK;
	b->fetch_stop = 0;
	b->move_abort = 0;
	b->fetch_from = last;
	b->slot = b->pslot = NULL;
	b->fetch_done = 0;
	b->fetch_rc = RB_IMAP_OK;
	b->parse_stop = b->parse_done = b->parse_rc = 0;
	b->nmq = 0;
	b->mq_closed = 0;
	b->move_rc = RB_IMAP_OK;
	b->ndone = 0;
}

/* The main thread's stage: store each parsed batch until there is no
 * more, something failed, or a signal came. */
static int
store_stage(struct mbx *b, uint32_t *last)
{
	int rc = ST_OK;
	for (;;) {
		pthread_mutex_lock(&b->mu);
		while (b->pslot == NULL && !b->parse_done &&
		       b->move_rc == RB_IMAP_OK)
			pthread_cond_wait(&b->cv, &b->mu);
		struct batch *bt = b->move_rc == RB_IMAP_OK ? b->pslot : NULL;
		if (bt)
			b->pslot = NULL;
		pthread_cond_broadcast(&b->cv);
		pthread_mutex_unlock(&b->mu);
		if (bt == NULL)
			break;
		rc = store_batch(b, bt, last);
		batch_free(bt);
		/* SIGTERM/SIGHUP: the batch in hand is done; batches fetched
		 * or parsed ahead are dropped (read again next time) */
		if (rc || stop_flag || hup_flag)
			break;
	}
	return rc;
}

/* After the threads are joined: their failures (logged, connections
 * closed) folded into rc, the first one winning, and what the mover did
 * forgotten (a separate short transaction). */
static int
pass_results(struct mbx *b, int rc)
{
	int frc = b->fetch_rc, mrc = b->move_rc;
	if (b->parse_rc != 0) {
		rb_err("database: recording parser attempts: %s",
		      rb_store_error(b->db2));
		b->mx.db_errors++;
		rb_store_close(b->db2);
		b->db2 = NULL;
		if (rc == ST_OK)
			rc = ST_DB;
	}
	if (rc == ST_OK && frc != RB_IMAP_OK)
		rc = imap_fail(b, frc);
	else if (frc != RB_IMAP_OK)
		imap_fail(b, frc);
	if (b->mover_st != ST_OK) {
		if (rc == ST_OK)
			rc = b->mover_st;
	} else if (mrc != RB_IMAP_OK) {
		int r2 = imap_fail_on(b, &b->imap2, mrc);
		if (rc == ST_OK)
			rc = r2;
	}
	if (record_placed(b) != 0 && rc == ST_OK)
		rc = db_fail(b, "recording quarantine UIDs");
	size_t nd = 0;
	uint32_t *done = take_done(b, &nd);
	if (nd && b->db &&
	    rb_mbstate_pending_done(b->db, b->account, b->folder,
				    b->uidvalidity, done, nd) != 0 &&
	    rc == ST_OK)
		rc = db_fail(b, "forgetting done actions");
	free(done);
	return rc;
}

static void
pass_summary(const struct mbx *b, double t0)
{
	if (b->st.mails == 0)
		return;
	double t = rb_clock_s() - t0;
	const struct rb_log_num nums[] = {
	    {"mails", (double)b->st.mails, 0},
	    {"seconds", t, 1},
	    {"server_actions", (double)b->moved, 0},
	    {"fetch_seconds", b->st.wall[0], 1},
	    {"parse_seconds", b->st.wall[1], 1},
	    {"store_seconds", b->st.wall[2], 1},
	    {"server_seconds", b->move_wall, 1},
	};
	rb_logn(RB_LOG_INFO, nums, (int)(sizeof nums / sizeof nums[0]),
		"%s: pass of %lu mails in %.2f s (%.0f/s), %lu server "
		"actions (fetch %.0f ms, parse %.0f ms, store %.0f "
		"ms, server %.0f ms; cpu %.0f/%.0f/%.0f/%.0f ms)",
		b->folder, b->st.mails, t, b->st.mails / (t > 0 ? t : 1),
		b->moved, b->st.wall[0] * 1e3, b->st.wall[1] * 1e3,
		b->st.wall[2] * 1e3, b->move_wall * 1e3, b->st.cpu[0] * 1e3,
		b->st.cpu[1] * 1e3, b->st.cpu[2] * 1e3, b->move_cpu * 1e3);
}

int
run_pipeline(struct mbx *b, uint32_t *last)
{
	if (b->db2 == NULL) {
		char err[1024];
		b->db2 = rb_store_open(b->cf->db, err, sizeof err);
		if (b->db2 == NULL) {
			rb_err("database: %s", err);
			b->mx.db_errors++;
			return ST_DB;
		}
	}
	pass_reset(b, *last);
	double t0 = rb_clock_s();
	pthread_t ft, pt, mt;
	if (pthread_create(&mt, NULL, mover, b) != 0 ||
	    pthread_create(&pt, NULL, parser, b) != 0 ||
	    pthread_create(&ft, NULL, fetcher, b) != 0)
		abort();
	int rc = store_stage(b, last);
	/* stop the fetcher (already done unless something failed); the
	 * mover finishes what is committed, unless the database failed */
	pthread_mutex_lock(&b->mu);
	b->fetch_stop = 1;
	b->parse_stop = 1;
	b->mq_closed = 1;
	b->move_abort = rc != ST_OK;
	pthread_cond_broadcast(&b->cv);
	pthread_mutex_unlock(&b->mu);
	pthread_join(ft, NULL);
	pthread_join(pt, NULL);
	pthread_join(mt, NULL);
	batch_free(b->slot);
	batch_free(b->pslot);
	b->slot = b->pslot = NULL;
	free(b->mq);
	b->mq = NULL;
	b->nmq = b->capmq = 0;
	rc = pass_results(b, rc);
	pass_summary(b, t0);
	return rc;
}
