#include "daemon/mover.h"
#include "lib/clock.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/signals.h"
#include "daemon/worker.h"
#include "lib/log.h"
#include "store/store.h"

/* The backlog at which the main thread waits for the mover (mq_push), so
 * also the largest group the mover takes.  The mover's smallest group,
 * batch_size, stays below it (the configuration allows at most 5,000):
 * a threshold above the bound would have the two threads wait for each
 * other. */
#define MOVE_GROUP_MAX 20000

static int mover_connect(struct mbx *b);

static int
same_action(const struct rb_pending *x, const struct rb_pending *y)
{
	return x->action == y->action &&
	       (x->dest == y->dest ||
		!strcmp(x->dest ? x->dest : "", y->dest ? y->dest : ""));
}

/* Merge two sorted UID lists into out (room for na + nb). */
static size_t
merge_uids(const uint32_t *a, size_t na, const uint32_t *b, size_t nb,
	   uint32_t *out)
{
	size_t i = 0, j = 0, k = 0;
	while (i < na || j < nb) {
		if (j == nb || (i < na && a[i] < b[j]))
			out[k++] = a[i++];
		else if (i == na || b[j] < a[i])
			out[k++] = b[j++];
		else {
			out[k++] = a[i++];
			j++;
		}
	}
	return k;
}

/*
 * Carry out server actions on c: one command per (action, destination)
 * with a UID set (split by rb_imap_* when the set text gets long).  The
 * actions come in UID order (batches in order, or imap_pending sorted).
 *
 * Every MOVE command costs the server work in proportion to the folder
 * (Dovecot resynchronises the maildir and rereads the destination's
 * UID list: measured about 0.3 CPU seconds per command at 50,000 mails),
 * and the command count is set by the length of the UID set text: with
 * bounces and junk interleaved, 16,000 UIDs for rebound/Processed make
 * 4,000 runs ("1:4,6:9,...", 48 KB, two commands).  So the groups that
 * take mail out of the folder go smallest first, and a later MOVE's set
 * also covers the UIDs already moved or deleted by this call when that
 * makes its text shorter ("1:20000", one command): those UIDs no longer
 * exist in the folder, the server skips them.  This only happens after
 * the earlier commands succeeded (the first failure stops the call), and
 * the set never covers a UID without a MOVE or DELETE action here: mail
 * left in place (unknown_action = leave, a flag, not fetched) is never
 * in it.  Flags are set first (the flagged mail stays).
 */
struct grp {
	size_t first, count;
};

/* The (action, destination) groups of p, flags first, then the rest by
 * ascending size; *sorted says whether p is in UID order. */
static struct grp *
group_actions(const struct rb_pending *p, size_t n, size_t *ngrp,
	      int *sorted)
{
	struct grp *g = NULL;
	size_t ng = 0, capg = 0;
	*sorted = 1;
	for (size_t i = 0; i < n; i++) {
		if (i > 0 && p[i].uid <= p[i - 1].uid)
			*sorted = 0;
		size_t j = 0;
		while (j < ng && !same_action(&p[g[j].first], &p[i]))
			j++;
		if (j == ng) {
			if (ng == capg) {
				capg = capg ? capg * 2 : 4;
				g = realloc(g, capg * sizeof *g);
				if (g == NULL)
					abort();
			}
			g[ng++] = (struct grp){i, 0};
		}
		g[j].count++;
	}
	/* a handful of groups: insertion sort */
	for (size_t i = 1; i < ng; i++) {
		struct grp x = g[i];
		int xf = p[x.first].action == RB_PENDING_FLAG;
		size_t j = i;
		while (j > 0) {
			int pf = p[g[j - 1].first].action == RB_PENDING_FLAG;
			if (pf > xf || (pf == xf && g[j - 1].count <= x.count))
				break;
			g[j] = g[j - 1];
			j--;
		}
		g[j] = x;
	}
	*ngrp = ng;
	return g;
}

int
server_actions(struct rb_imap *c, struct rb_pending *p, size_t n,
	       const char *qfolder, struct rb_imap_copyuid *placed)
{
	if (n == 0)
		return RB_IMAP_OK;
	uint32_t *uids = malloc(n * sizeof *uids);
	uint32_t *gone = malloc(n * sizeof *gone);
	uint32_t *wide = malloc(n * sizeof *wide);
	if (uids == NULL || gone == NULL || wide == NULL)
		abort();
	size_t ng, ngone = 0;
	int sorted;
	struct grp *g = group_actions(p, n, &ng, &sorted);
	int r = RB_IMAP_OK;
	for (size_t q = 0; q < ng && r == RB_IMAP_OK; q++) {
		const struct rb_pending *a = &p[g[q].first];
		size_t k = 0;
		for (size_t j = g[q].first; j < n; j++)
			if (same_action(&p[j], a))
				uids[k++] = p[j].uid;
		if (a->action == RB_PENDING_MOVE) {
			const uint32_t *set = uids;
			size_t nset = k;
			if (sorted && ngone > 0) {
				size_t nw = merge_uids(uids, k, gone, ngone, wide);
				if (rb_imap_set_text_len(wide, nw) <
				    rb_imap_set_text_len(uids, k)) {
					set = wide;
					nset = nw;
				}
			}
			int toq = placed && qfolder && a->dest &&
				!strcmp(a->dest, qfolder);
			r = rb_imap_move_map(c, set, nset, a->dest,
					     toq ? placed : NULL);
		} else if (a->action == RB_PENDING_FLAG) {
			r = rb_imap_flag(c, uids, k, a->dest);
		} else {
			r = rb_imap_delete(c, uids, k);
		}
		if (r == RB_IMAP_OK && sorted && a->action != RB_PENDING_FLAG) {
			/* gone from the folder now */
			ngone = merge_uids(uids, k, gone, ngone, wide);
			uint32_t *t = gone;
			gone = wide;
			wide = t;
		}
	}
	free(g);
	free(uids);
	free(gone);
	free(wide);
	return r;
}

/* Pending actions left by an interrupted pass: carry out, then forget. */
int
do_pending(struct mbx *b, struct rb_pending *p, size_t n)
{
	if (n == 0)
		return ST_OK;
	struct rb_imap_copyuid placed = {0};
	int r = server_actions(b->imap, p, n, b->m->quarantine_folder,
			       &placed);
	/* where quarantined mail landed: for `rebound quarantine`; a
	 * failure here loses only that (found again by a search) */
	if (placed.n &&
	    rb_mbstate_quarantine_placed(b->db, b->account, b->folder,
					 b->uidvalidity, placed.src,
					 placed.dst, placed.n,
					 placed.uidvalidity) != 0)
		rb_warn("%s: recording quarantine UIDs: %s", b->folder,
			rb_store_error(b->db));
	rb_imap_copyuid_free(&placed);
	if (r != RB_IMAP_OK)
		return imap_fail(b, r);
	uint32_t *all = malloc(n * sizeof *all);
	if (all == NULL)
		abort();
	for (size_t i = 0; i < n; i++)
		all[i] = p[i].uid;
	int rc = ST_OK;
	if (rb_mbstate_pending_done(b->db, b->account, b->folder, b->uidvalidity,
				    all, n) != 0)
		rc = db_fail(b, "forgetting done actions");
	free(all);
	return rc;
}

/* Add the mover's COPYUID answers to b->placed (under b->mu). */
static void
placed_add(struct mbx *b, const struct rb_imap_copyuid *m)
{
	struct rb_imap_copyuid *d = &b->placed;
	if (m->n == 0)
		return;
	if (d->n && d->uidvalidity != m->uidvalidity)
		d->n = 0;	/* the folder was recreated: the old are wrong */
	if (d->n + m->n > d->cap) {
		d->cap = (d->n + m->n) * 2;
		d->src = realloc(d->src, d->cap * sizeof *d->src);
		d->dst = realloc(d->dst, d->cap * sizeof *d->dst);
		if (d->src == NULL || d->dst == NULL)
			abort();
	}
	memcpy(d->src + d->n, m->src, m->n * sizeof *m->src);
	memcpy(d->dst + d->n, m->dst, m->n * sizeof *m->dst);
	d->n += m->n;
	d->uidvalidity = m->uidvalidity;
}

int
record_placed(struct mbx *b)
{
	pthread_mutex_lock(&b->mu);
	struct rb_imap_copyuid m = b->placed;
	memset(&b->placed, 0, sizeof b->placed);
	pthread_mutex_unlock(&b->mu);
	int rc = 0;
	if (m.n && b->db)
		rc = rb_mbstate_quarantine_placed(b->db, b->account, b->folder,
						  b->uidvalidity, m.src, m.dst,
						  m.n, m.uidvalidity);
	rb_imap_copyuid_free(&m);
	return rc;
}

void *
mover(void *arg)
{
	struct mbx *b = arg;
	/* connect and select here, while the fetcher already reads: the
	 * second connection's TLS, login and SELECT (0.7 s with 100,000
	 * mails in the folder) are off the pass's critical path.  Signals
	 * stay unblocked until then (a token command started by
	 * connect_with_secret inherits the mask; the handlers only set
	 * flags). */
	int cr = mover_connect(b);
	sig_block_all();
	size_t least = b->m->batch_size < MOVE_GROUP_MAX ? b->m->batch_size
							: MOVE_GROUP_MAX;
	struct rb_pending *p = NULL;
	pthread_mutex_lock(&b->mu);
	if (cr != ST_OK) {
		/* logged and closed by mover_connect; the pipeline stops */
		b->mover_st = cr;
		b->move_rc = RB_IMAP_TEMP;
		pthread_cond_broadcast(&b->cv);
	}
	for (;;) {
		/* everything committed so far, at least one batch (or the
		 * rest, at the end): while a MOVE runs the queue grows, so
		 * the groups grow by themselves where the server's commands
		 * are dear (Dovecot on maildir rescans the whole folder for
		 * each, 0.3-0.6 s with 100,000 mails in it, whatever it
		 * moves) and stay small where they are cheap (on mdbox a
		 * MOVE of one mail takes a few ms): few rescans there, and
		 * here a short queue, small buffers and little left to move
		 * after the last commit.  MOVE_GROUP_MAX bounds them. */
		while (!b->move_abort && b->move_rc == RB_IMAP_OK &&
		       !b->mq_closed && b->nmq < least)
			pthread_cond_wait(&b->cv, &b->mu);
		if (b->move_abort || b->move_rc != RB_IMAP_OK || b->nmq == 0)
			break;
		/* take the queue (its buffer is freed after the group:
		 * kept, two group-sized buffers would stay mapped) */
		p = b->mq;
		size_t n = b->nmq;
		b->mq = NULL;
		b->capmq = 0;
		b->nmq = 0;
		b->mover_busy = 1;
		pthread_mutex_unlock(&b->mu);
		double t0 = rb_clock_s(), c0 = cpu_s();
		struct rb_imap_copyuid placed = {0};
		int r = server_actions(b->imap2, p, n, b->m->quarantine_folder,
				       &placed);
		double t1 = rb_clock_s(), c1 = cpu_s();
		rb_debug("%s: %zu server actions in %.0f ms", b->folder, n,
			 (t1 - t0) * 1e3);
		pthread_mutex_lock(&b->mu);
		b->mover_busy = 0;
		placed_add(b, &placed);
		rb_imap_copyuid_free(&placed);
		b->move_wall += t1 - t0;
		b->move_cpu += c1 - c0;
		if (r != RB_IMAP_OK) {
			b->move_rc = r;
		} else {
			if (b->ndone + n > b->capdone) {
				b->capdone = (b->ndone + n) * 3 / 2;
				b->done = realloc(b->done,
						  b->capdone * sizeof *b->done);
				if (b->done == NULL)
					abort();
			}
			for (size_t i = 0; i < n; i++)
				b->done[b->ndone++] = p[i].uid;
			b->moved += n;
		}
		free(p);
		p = NULL;
		pthread_cond_broadcast(&b->cv);
	}
	pthread_mutex_unlock(&b->mu);
	free(p);
	return NULL;
}

/* Queue committed actions for the mover (main thread). */
void
mq_push(struct mbx *b, const struct rb_pending *p, size_t n)
{
	pthread_mutex_lock(&b->mu);
	/* a bounded backlog: when the mover falls behind, the pipeline
	 * waits for it (after COMMIT, holding nothing), so memory does not
	 * grow with the folder */
	while (b->nmq >= MOVE_GROUP_MAX && b->move_rc == RB_IMAP_OK &&
	       !b->move_abort)
		pthread_cond_wait(&b->cv, &b->mu);
	if (b->nmq + n > b->capmq) {
		b->capmq = (b->nmq + n) * 3 / 2;
		b->mq = realloc(b->mq, b->capmq * sizeof *b->mq);
		if (b->mq == NULL)
			abort();
	}
	/* n may be 0 (every mail of the batch left where it is), b->mq
	 * then possibly still NULL */
	if (n > 0)
		memcpy(b->mq + b->nmq, p, n * sizeof *p);
	b->nmq += n;
	pthread_cond_broadcast(&b->cv);
	pthread_mutex_unlock(&b->mu);
}

/* UIDs the mover has done (moved out of b->done; caller frees). */
uint32_t *
take_done(struct mbx *b, size_t *n)
{
	pthread_mutex_lock(&b->mu);
	uint32_t *d = b->done;
	*n = b->ndone;
	b->done = NULL;
	b->ndone = b->capdone = 0;
	pthread_mutex_unlock(&b->mu);
	return d;
}

/* The mover's connection, selected on the current folder. */
static int
mover_connect(struct mbx *b)
{
	int fresh = b->imap2 == NULL;
	if (fresh) {
		int r = connect_with_secret(b, &b->imap2);
		if (r == ST_PERM)
			return ST_PERM;
		if (r != RB_IMAP_OK)
			return imap_fail_on(b, &b->imap2, r);
	}
	uint32_t uv, un;
	int r = rb_imap_select(b->imap2, b->folder, &uv, &un);
	if (r == RB_IMAP_TEMP && !fresh) {
		/* kept since the last pass: the server may have closed it
		 * meanwhile (autologout); one new connection */
		rb_imap_close(b->imap2);
		b->imap2 = NULL;
		return mover_connect(b);
	}
	if (r != RB_IMAP_OK)
		return imap_fail_on(b, &b->imap2, r);
	if (uv != b->uidvalidity) {
		rb_warn("%s: UIDVALIDITY changed during the pass", b->folder);
		rb_imap_close(b->imap2);
		b->imap2 = NULL;
		return ST_IMAP;
	}
	return ST_OK;
}
