/*
 * senders: what the sender-facing services (rebound serve, rebound
 * watch) need from the store beyond store.h: the change log, read
 * through the readers' view rebound_suppression_changes so that the
 * read-only role can run them, and a cheap liveness probe.
 *
 * The change log is the history table: every addition, change,
 * extension, expiry and removal of a suppression, by increasing id.  A
 * consumer keeps the last id it handled (its cursor) and asks for what
 * came after; nothing is missed across restarts.
 */
#ifndef RB_SENDERS_H
#define RB_SENDERS_H

#include <stdbool.h>

#include "store.h"

struct rb_change {
	long long id;
	const char *at;		/* ISO 8601 UTC */
	const char *action;	/* added, changed, extended, expired, removed */
	const char *address;	/* as first stored */
	const char *addr_key;
	const char *class;	/* NULL for some removals */
	const char *reason;
	const char *expires_at;	/* NULL: never */
	const char *scope;	/* "" global, "TENANT", "TENANT/STREAM" */
};
/* Called per row (valid during the call); non-zero stops. */
typedef int (*rb_change_cb)(void *ctx, const struct rb_change *c);

/* Rows with id > after in the store's scope (rb_store_set_scope: a
 * tenant's consumer sees the global changes and its own), at most limit
 * (1..10000), in id order. *last
 * gets the id of the last row given (after when none). */
int rb_store_changes(struct rb_store *s, long long after, int limit,
		     rb_change_cb cb, void *ctx, long long *last);
/* The highest change id now (0 when none). */
int rb_store_changes_head(struct rb_store *s, long long *id);
/* One key (already rb_addr_key'ed) against the active list in the
 * store's scope (rb_store_set_scope), through a
 * statement prepared once per connection (the readers' view: owner and
 * rebound_reader alike).  *active, and for an active row its class,
 * reason, since and expiry (ISO 8601 or "" for never) copied into the
 * caller's buffers of 64 bytes each (cut). */
struct rb_active {
	bool active;
	char class[64], reason[64], since[64], expires_at[64];
	char scope[130];	/* "" global */
};
int rb_store_active(struct rb_store *s, const char *key, struct rb_active *a);

/* Is the connection usable?  One round trip (SELECT 1). */
bool rb_store_ping(struct rb_store *s);
/* LISTEN on the change channel (rebound_suppression). */
int rb_store_listen(struct rb_store *s);
/* Wait up to timeout_ms for notifications; 1 when at least one came
 * (all pending are consumed: their payload is only a hint to read the
 * log), 0 on timeout, -1 when the connection is lost. */
int rb_store_wait_notify(struct rb_store *s, int timeout_ms);

#endif
