/*
 * mover: the server actions (move, flag, delete) of committed batches.
 *
 * Only what has committed is carried out: the main thread queues the
 * actions of a batch after its COMMIT (mq_push), the mover thread carries
 * them out on its own connection (imap2) in groups, and the UIDs done are
 * forgotten from imap_pending in a later transaction (take_done).
 * Actions left pending by an interrupted pass are carried out first, on
 * the main connection (do_pending).  The UIDs quarantined mail gets in
 * the quarantine folder (UIDPLUS COPYUID) are recorded the same way as
 * the done UIDs, by the main thread (record_placed).  The queue is
 * bounded: when the mover falls behind, mq_push waits.
 */
#ifndef RB_DAEMON_MOVER_H
#define RB_DAEMON_MOVER_H

#include <stddef.h>
#include <stdint.h>

#include "ingest/imap.h"
#include "store/mailbox_state.h"

struct mbx;

/* The mover thread (arg: struct mbx *). */
void *mover(void *arg);
/* Queue committed actions for the mover (main thread). */
void mq_push(struct mbx *b, const struct rb_pending *p, size_t n);
/* UIDs the mover has done since the last call (caller frees). */
uint32_t *take_done(struct mbx *b, size_t *n);
/* Pending actions of an interrupted pass: carry out on b->imap, then
 * forget (main thread, between passes); ST_ code. */
int do_pending(struct mbx *b, struct rb_pending *p, size_t n);
/* Carry out n actions (in UID order) on c; an RB_IMAP_ code.  The
 * server's COPYUID answers of moves to qfolder (the quarantine folder)
 * are added to *placed (NULL: not wanted). */
int server_actions(struct rb_imap *c, struct rb_pending *p, size_t n,
		   const char *qfolder, struct rb_imap_copyuid *placed);
/* Record on b->db where the mover's quarantine moves landed
 * (imap_quarantine.quid; main thread, in the batch transaction or on
 * its own); 0 or -1 (database error). */
int record_placed(struct mbx *b);

#endif
