#include "daemon/commit.h"
#include "lib/clock.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon/batch.h"
#include "daemon/mailhead.h"
#include "daemon/mover.h"
#include "daemon/watchdog.h"
#include "daemon/worker.h"
#include "lib/log.h"
#include "lib/testhook.h"

/* What the transaction writes: the messages fetched (sm, room for
 * bt->n). */
static void
collect(const struct mbx *b, struct batch *bt, struct rb_store_msg *sm,
	size_t *nsm)
{
	*nsm = 0;
	for (size_t i = 0; i < bt->n; i++) {
		struct mail *ml = &bt->mails[i];
		if (ml->disp == DISP_NONE)
			continue;	/* gone from the server meanwhile */
		if (ml->data) {
			struct rb_store_msg *s = &sm[(*nsm)++];
			s->source = ml->ev[0].file;
			s->index = -1;
			s->data = ml->data;
			s->len = ml->len;
			s->size = ml->size;
			s->events = ml->ev;
			s->nevents = ml->nev;
			s->mailbox_tenant = b->m->tenant;
			s->mailbox_unsubscribe = b->m->unsubscribe != 0;
			s->known_r = &ml->stored_known;
		}
	}
}

/* The server actions of every mail with a disposition (pend, room for
 * bt->n), the stored mails' dispositions first made what the store
 * decided (refile): a mail that produced a stored unsubscribe is
 * processed, like a bounce. */
static void
actions(const struct mbx *b, struct batch *bt, struct rb_pending *pend,
	size_t *npend)
{
	*npend = 0;
	for (size_t i = 0; i < bt->n; i++) {
		struct mail *ml = &bt->mails[i];
		if (ml->disp == DISP_NONE)
			continue;	/* gone from the server meanwhile */
		if (ml->data)
			refile(ml);
		pend[*npend].uid = ml->uid;
		if (action_for(b->m, ml->disp, &pend[*npend]))
			(*npend)++;
	}
}

/* Inside the transaction, after the messages: quarantine records, the
 * server actions to do, and the actions the mover finished since the
 * last batch forgotten (lost with the transaction on a rollback: the
 * next pass repeats those actions, which are no-ops by then). */
static int
write_state(struct mbx *b, struct batch *bt, const struct rb_pending *pend,
	    size_t npend)
{
	for (size_t i = 0; i < bt->n; i++) {
		struct mail *ml = &bt->mails[i];
		/* unknown mail moved to the quarantine folder is recorded
		 * too: every mail there has its row */
		int unk = ml->disp == DISP_UNKNOWN &&
			  b->m->unknown_action == RB_UNKNOWN_QUARANTINE;
		if (ml->disp != DISP_QUARANTINE && !unk)
			continue;
		char mid[RB_MAILHEAD_MAX + 1], subj[RB_MAILHEAD_MAX + 1],
		    from[RB_MAILHEAD_MAX + 1];
		int fetched = ml->data != NULL;
		struct rb_qmeta meta = {
		    .qfolder = b->m->quarantine_folder,
		    .message_id = fetched && rb_mailhead_get(ml->data, ml->len,
							     "Message-ID", mid)
				      ? mid
				      : NULL,
		    .subject = fetched && rb_mailhead_get(ml->data, ml->len,
							  "Subject", subj)
				   ? subj
				   : NULL,
		    .sender = fetched && rb_mailhead_get(ml->data, ml->len,
							 "From", from)
				  ? from
				  : NULL,
		};
		if (rb_mbstate_quarantine_add(
			b->db, b->account, b->folder, b->uidvalidity, ml->uid,
			ml->size, ml->have_hash ? ml->sha : NULL,
			unk ? "nothing known (unknown_action = quarantine)"
			    : ml->why,
			&meta) != 0)
			return db_fail(b, "recording quarantine");
	}
	if (rb_mbstate_pending_add(b->db, b->account, b->folder,
				   b->uidvalidity, pend, npend) != 0)
		return db_fail(b, "recording server actions");
	if (record_placed(b) != 0)
		return db_fail(b, "recording quarantine UIDs");
	size_t ndone = 0;
	uint32_t *done = take_done(b, &ndone);
	int rc = ST_OK;
	if (ndone && rb_mbstate_pending_done(b->db, b->account, b->folder,
					     b->uidvalidity, done, ndone) != 0)
		rc = db_fail(b, "forgetting done actions");
	free(done);
	return rc;
}

/* The one transaction of a batch, from BEGIN to COMMIT. */
static int
transaction(struct mbx *b, struct batch *bt, const struct rb_store_msg *sm,
	    size_t nsm, struct rb_pending *pend, size_t *npend,
	    uint32_t last, struct rb_store_counts *cnt)
{
	if (rb_store_begin(b->db) != 0)
		return db_fail(b, "BEGIN");
	int held = rb_mbstate_lease_check(b->db, b->account, b->holder,
					  b->cf->lease_seconds);
	if (held < 0)
		return db_fail(b, "checking the lease");
	if (held == 0) {
		rb_store_rollback(b->db);
		rb_warn("lease lost to another instance: batch rolled back");
		b->lease_held = 0;
		return ST_LEASE;
	}
	/* the policy of the configuration (its [policy], policy_file,
	 * $REBOUND_POLICY), reloaded with it on SIGHUP */
	if (nsm &&
	    rb_store_write_batch(b->db, b->cf->policy, sm, nsm, cnt) != 0)
		return db_fail(b, "storing the batch");
	actions(b, bt, pend, npend);
	int rc = write_state(b, bt, pend, *npend);
	if (rc != ST_OK)
		return rc;
	int adv = rb_mbstate_cursor_advance(b->db, b->account, b->folder,
					    b->uidvalidity, last, bt->last);
	if (adv < 0)
		return db_fail(b, "advancing the cursor");
	if (adv == 0) {
		rb_store_rollback(b->db);
		rb_warn("cursor of %s moved under us (another instance?): "
			"batch rolled back",
			b->folder);
		return ST_LEASE;
	}
	if (rb_test_hook("CRASH_BEFORE_COMMIT"))
		abort();
	if (rb_store_commit(b->db) != 0)
		return db_fail(b, "COMMIT");
	return ST_OK;
}

/* A committed batch in the counters. */
static void
count(struct mbx *b, const struct batch *bt,
      const struct rb_store_counts *cnt)
{
	b->lease_renewed = time(NULL);
	b->mx.batches++;
	b->mx.messages_new += cnt->messages_new;
	b->mx.messages_dup += cnt->messages_dup;
	b->mx.supp_new += cnt->supp_new;
	for (int k = 0; k <= RB_KIND_LAST; k++)
		b->mx.events[k] += cnt->by_kind[k];
	for (size_t i = 0; i < bt->n; i++)
		b->mx.quarantined += bt->mails[i].disp == DISP_QUARANTINE;
}

int
store_batch(struct mbx *b, struct batch *bt, uint32_t *last)
{
	size_t n = bt->n;
	b->mx.fetched += bt->fetched;
	double t1 = rb_clock_s(), c1 = cpu_s();
	struct rb_store_msg *sm = calloc(n, sizeof *sm);
	struct rb_pending *pend = calloc(n, sizeof *pend);
	if (sm == NULL || pend == NULL)
		abort();
	size_t nsm, npend = 0;
	collect(b, bt, sm, &nsm);
	struct rb_store_counts cnt;
	memset(&cnt, 0, sizeof cnt);
	int rc = transaction(b, bt, sm, nsm, pend, &npend, *last, &cnt);
	if (rc != ST_OK)
		goto out;
	double t2 = rb_clock_s(), c2 = cpu_s();
	*last = bt->last;
	watchdog_beat();
	count(b, bt, &cnt);
	if (rb_test_hook("CRASH_AFTER_COMMIT"))
		abort();
	/* committed: only now may the server actions happen */
	mq_push(b, pend, npend);
	b->mx.batch_seconds_sum += bt->wall + bt->pwall + t2 - t1;
	b->mx.last_success = time(NULL);
	b->st.wall[0] += bt->wall;
	b->st.cpu[0] += bt->cpu;
	b->st.wall[1] += bt->pwall;
	b->st.cpu[1] += bt->pcpu;
	b->st.wall[2] += t2 - t1;
	b->st.cpu[2] += c2 - c1;
	b->st.mails += n;
	const struct rb_log_num nums[] = {
	    {"mails", (double)n, 0},
	    {"last_uid", bt->last, 0},
	    {"new", (double)cnt.messages_new, 0},
	    {"duplicate", (double)cnt.messages_dup, 0},
	    {"events", (double)cnt.events_new, 0},
	    {"suppressions", (double)cnt.supp_new, 0},
	    {"fetch_seconds", bt->wall, 1},
	    {"parse_seconds", bt->pwall, 1},
	    {"store_seconds", t2 - t1, 1},
	};
	rb_logn(RB_LOG_INFO, nums, (int)(sizeof nums / sizeof nums[0]),
		"%s: batch of %zu up to UID %u: %lu new, %lu duplicate, "
		"%lu events, %lu new suppressions "
		"(fetch %.0f ms, parse %.0f ms, store %.0f ms)",
		b->folder, n, bt->last, cnt.messages_new, cnt.messages_dup,
		cnt.events_new, cnt.supp_new, bt->wall * 1e3, bt->pwall * 1e3,
		(t2 - t1) * 1e3);
out:
	free(sm);
	free(pend);
	return rc;
}
