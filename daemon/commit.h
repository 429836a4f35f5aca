/*
 * commit: one batch in one transaction (main thread).
 *
 * Checks the lease is still ours, stores messages, events and
 * suppressions, records quarantined mail and the server actions to do,
 * forgets the actions the mover has done and advances the folder's
 * cursor, then commits; only then are the batch's server actions queued
 * for the mover.  A lease lost or a cursor moved under the batch rolls
 * it back (ST_LEASE).
 */
#ifndef RB_DAEMON_COMMIT_H
#define RB_DAEMON_COMMIT_H

#include <stdint.h>

struct mbx;
struct batch;

/* Store bt; *last is the cursor before it and, on ST_OK, after it. */
int store_batch(struct mbx *b, struct batch *bt, uint32_t *last);

#endif
