/*
 * watch: `rebound watch`, every new or changed suppression as JSON Lines
 * from a cursor (docs/senders.md "Push").
 *
 * The change log (store/senders.h) is read after the cursor, in order;
 * then the process LISTENs and reads again when a notification comes
 * (or every poll_s seconds, in case one was missed).  A notification
 * carries only an id, and only says "read the log": a forged one makes
 * the watcher read, never print anything the log does not hold.  With a
 * state file the last id handled is kept there (written after each
 * batch, atomically), so a consumer that restarts misses nothing.
 *
 * With a webhook each batch (a JSON array of the same objects, at most
 * batch rows) is POSTed; the cursor moves only after a 2xx answer;
 * failures are retried with backoff (1 s doubling to 5 min), forever.
 * The request carries X-Rebound-Signature: sha256=HEX, the HMAC-SHA256
 * of the body with the secret, and X-Rebound-Timestamp.
 */
#ifndef RB_WATCH_H
#define RB_WATCH_H

#include <stdbool.h>
#include <stdio.h>

struct rb_watch_opts {
	const char *db;		/* conninfo; NULL: $REBOUND_DB or built-in */
	long long after;	/* the cursor: changes with a larger id */
	bool from_now;		/* ignore after: start at the newest id */
	const char *state;	/* file keeping the cursor, or NULL */
	const char *webhook;	/* http:// or https:// URL, or NULL */
	const char *secret;	/* HMAC key for the webhook */
	bool insecure;		/* https without certificate checks */
	unsigned batch;		/* 0: 500 */
	unsigned poll_s;	/* 0: 30 */
	bool once;		/* stop when caught up */
	FILE *out;		/* JSON Lines when no webhook */
	const char *tenant;	/* the scope watched (rb_store_set_scope): */
	const char *stream;	/* NULL, every change */
};

/* Run until SIGTERM/SIGINT (or caught up, with once); exit status. */
int rb_watch_run(const struct rb_watch_opts *o);

#endif
