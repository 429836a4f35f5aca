/*
 * notify: the change channel (LISTEN rebound_suppression, docs/store.md)
 * as a cache of answers needs it: which changes were notified, which
 * keys they touched, and whether the connection still answers, each
 * within a bounded time.
 *
 * A notification's payload is only {"id": N}, the id of the change in
 * rebound_suppression_changes; anyone who may connect may send one, so
 * an id is only a hint to read that change (a forged id names a change
 * that does not exist, or one that is really there).  A payload of any
 * other form, or a notification on another channel, is reported as
 * unknown: the caller then trusts nothing it holds.
 */
#ifndef RB_STORE_NOTIFY_H
#define RB_STORE_NOTIFY_H

#include <stdbool.h>
#include <stddef.h>

#include "store.h"

struct rb_notified {
	long long *ids;		/* the caller's array of max ids */
	size_t max;
	size_t n;		/* ids given */
	bool overflow;		/* more than max came: ids is incomplete */
	bool unknown;		/* a payload or channel not understood */
};

/*
 * Wait up to timeout_ms for notifications (LISTEN first: rb_store_listen
 * in store/senders.h), or until wake_fd (>= 0) is readable.  Every
 * notification pending is consumed into *nf.  Returns 1 when at least
 * one came, 0 on timeout or wake_fd, -1 when the connection is lost.
 */
int rb_store_notified(struct rb_store *s, int timeout_ms, int wake_fd,
		      struct rb_notified *nf);

/* The addr_key of each change among ids (n of them; ids of changes that
 * do not exist are skipped): cb per key, valid during the call.  Read
 * through the readers' view, so rebound_reader may run it.  0 or -1. */
int rb_store_change_keys(struct rb_store *s, const long long *ids, size_t n,
			 void (*cb)(void *ctx, const char *key), void *ctx);

/* Does the connection answer a SELECT 1 within timeout_ms?  Pending
 * notifications stay pending.  A connection that did not answer in time
 * is unusable afterwards: close it. */
bool rb_store_ping_within(struct rb_store *s, int timeout_ms);

#endif
