/*
 * store: the PostgreSQL store, rebound's source of truth (docs/store.md).
 *
 * store/ is the only code that includes libpq-fe.h or speaks SQL; every
 * query is parameterised.  Other store/ modules (store/mailbox_state.c,
 * store/report_q.c, ...) reach the connection through store/store_int.h.
 *
 * Connection: rb_store_open() takes a libpq connection string or URI (TLS
 * options pass through to libpq).  NULL means $REBOUND_DB, and when that
 * is unset too the built-in private cluster under the state directory
 * (store/local.h), started and initialised on demand.  Passwords come
 * only from libpq's usual places (PGPASSWORD, ~/.pgpass, passfile=);
 * they never appear in any message this module produces: every error
 * text is passed through a redaction of the password before it is kept.
 *
 * Transactions: the caller controls them.  rb_store_write_batch() must be
 * called inside rb_store_begin() ... rb_store_commit() so that a caller
 * (the IMAP daemon) can put its own writes (its cursor) in the same
 * transaction; on any error the caller calls rb_store_rollback(), after
 * which nothing of the transaction is visible.  A lost connection inside
 * a transaction leaves nothing half-written (PostgreSQL aborts it).
 *
 * Errors: functions returning int return 0 on success and -1 on error;
 * the sanitised text is then in rb_store_error() until the next call.
 * Memory: the store owns itself; strings it returns live until the next
 * call on the same store unless said otherwise.
 */
#ifndef RB_STORE_H
#define RB_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include "core/event.h"

struct rb_store;
struct rb_policy;	/* core/policy.h */

/*
 * Open a connection.  conninfo NULL: $REBOUND_DB, else the built-in
 * cluster.  On failure returns NULL and writes a sanitised reason into
 * err (errlen bytes, always NUL-terminated).  Does not migrate.
 */
struct rb_store *rb_store_open(const char *conninfo, char *err,
			       size_t errlen);
void rb_store_close(struct rb_store *s);
/* The last error, sanitised (never contains a password).  Never NULL. */
const char *rb_store_error(const struct rb_store *s);

/*
 * Apply every embedded migration not yet recorded in schema_version, in
 * version order, in ONE transaction under an advisory lock (so two
 * processes migrating at once is safe).  *applied (may be NULL) gets the
 * number applied.  Must not be called inside a transaction.
 */
int rb_store_migrate(struct rb_store *s, int *applied);
/* Print the embedded migrations and which are applied (db status). */
int rb_store_print_status(struct rb_store *s, FILE *out);
/* 0 when the schema is fully migrated; -1 (with an error telling the
 * user to run `rebound db migrate`) when not. */
int rb_store_check_schema(struct rb_store *s);

int rb_store_begin(struct rb_store *s);
int rb_store_commit(struct rb_store *s);
/* Safe to call when no transaction is open or the connection is gone;
 * leaves rb_store_error() as it was. */
int rb_store_rollback(struct rb_store *s);
bool rb_store_in_tx(const struct rb_store *s);

/*
 * Raw message bytes: kept in messages.raw when keep is true, with
 * raw_expires_at = now + days (0 = never expires; `rebound db prune`
 * clears expired raw bytes).  Default: not kept.
 */
void rb_store_keep_raw(struct rb_store *s, bool keep, unsigned days);

/*
 * The secret that signs unsubscribe tokens (core/unsubscribe.h), kept by
 * pointer (the caller keeps it alive and wipes it); NULL: none, and a
 * token in a mail is refused ("no unsubscribe secret configured").
 */
void rb_store_unsubscribe_secret(struct rb_store *s, const char *secret,
				 size_t len);

/*
 * The id of the subscriber scope (tenant, stream: NULL or "" none,
 * address as given) that short unsubscribe tokens name (core/
 * unsubscribe.h; table unsubscribe_ids, docs/tenants.md): the row is
 * made on first use, and the same inputs give the same id.  0, or -1
 * (error recorded: no id, never a made-up one) when the database fails
 * or a name is not well formed.
 */
int rb_store_unsub_id(struct rb_store *s, const char *tenant,
		      const char *stream, const char *address,
		      unsigned long long *id);

/*
 * The ids of n subscriber scopes at once (u[i]: tenant, stream "" none,
 * address), into ids[i], as rb_store_unsub_id gives them one by one:
 * rows made when missing, the same inputs the same ids; one statement
 * (unnest of three arrays), in one round trip.  0, or -1 (error
 * recorded, no id kept) when the database fails or a name is not well
 * formed.
 */
struct rb_unsub;
int rb_store_unsub_ids(struct rb_store *s, size_t n, const struct rb_unsub *u,
		       unsigned long long *ids);

/* Clear raw bytes whose retention has passed; *cleared gets the count. */
int rb_store_prune_raw(struct rb_store *s, unsigned long *cleared);

/* One mail and what the parser made of it. */
struct rb_store_msg {
	/* file path as found, or "imap:MAILBOX;UIDVALIDITY=V;UID=U" (the
	 * IMAP URL form of RFC 5092 without the server part) */
	const char *source;
	long index;			/* 0-based mbox index, else -1 */
	const char *data;		/* raw bytes: SHA-256 is taken of these */
	size_t len;
	unsigned long long size;	/* real size (may be > len if truncated) */
	const struct rb_event *events;	/* rb_parse_message() output, >= 1 */
	size_t nevents;
	/* `tenant =` of the mailbox it arrived in (NULL: none) */
	const char *mailbox_tenant;
	/* the mailbox is marked `unsubscribe = yes`: a mail in it without
	 * a valid token unsubscribes its From (core/unsubscribe.h) */
	bool mailbox_unsubscribe;
	/* when not NULL, rb_store_write_batch sets it: does the mail, as
	 * stored (an unsubscribe request decided), hold an event of a known
	 * kind?  A request stored as an unsubscribe does; a refused one
	 * (stored as unknown) does not.  The daemon files the mail by it. */
	bool *known_r;
};

/* Counters; rb_store_write_batch() ADDS to them (zero them first). */
struct rb_store_counts {
	unsigned long messages;		/* messages offered */
	unsigned long messages_new;	/* stored now */
	unsigned long messages_dup;	/* same bytes already stored: skipped */
	unsigned long events_new;
	unsigned long events_dup;	/* same report from another copy */
	unsigned long by_kind[RB_KIND_LAST + 1];	/* new events */
	unsigned long supp_new;		/* new or re-instated suppressions */
	unsigned long supp_changed;	/* upgraded, or expiry extended */
};

/*
 * Store a batch of messages, their events, and the suppression decisions
 * the policy takes on the new events (with history rows and a NOTIFY
 * rebound_suppression per new suppression).  MUST be called inside an
 * open transaction; it does not commit.  Idempotent: messages are keyed
 * by the SHA-256 of their bytes, events by a dedup key (docs/store.md),
 * so storing the same input again changes nothing.  Fast: COPY into
 * temporary tables and set-based statements, a few round trips per
 * batch whatever its size (batches of 500-2000 messages are good).
 * pol NULL: the default policy.  Each event is attributed to a tenant
 * (core/tenant.h, under pol's tenant.* keys and the message's
 * mailbox_tenant) and its suppression lands in the scope its class has
 * under pol (scope.*).  An unsubscribe request (or, in an unsubscribe
 * mailbox, any mail) is decided first, once per event, by
 * rb_unsub_decide with the secret of rb_store_unsubscribe_secret and the
 * rows of unsubscribe_ids its short tokens name: the message's outcome,
 * the event stored and known_r follow the decision.
 */
int rb_store_write_batch(struct rb_store *s, const struct rb_policy *pol,
			 const struct rb_store_msg *m, size_t n,
			 struct rb_store_counts *c);

/*
 * An RFC 8058 one-click unsubscribe (`rebound serve`), stored as the
 * request it is, through rb_store_write_batch like one that came by
 * mail: a message (source "one-click", its bytes the POST naming token)
 * and its event of kind unsubscribe, parser "one-click", decided with
 * the store's secret (rb_store_unsubscribe_secret) into the token's
 * address, tenant and stream, and by pol into a suppression of class
 * unsubscribe where scope.unsubscribe lands it.  The same token again
 * is the same request: nothing more is stored.  Its own transaction.
 * *recorded: a new event was stored; *changed: the suppression list
 * changed.  No secret, or a token the store refuses (forged, expired,
 * malformed): -1 and nothing stored.
 */
int rb_store_one_click(struct rb_store *s, const struct rb_policy *pol,
		       const char *token, bool *recorded, bool *changed);

/* ---- suppression list (each call runs in its own transaction unless one
 * is open) ---- */

/*
 * The scope the calls below work in (docs/tenants.md): tenant NULL, every
 * scope for reads and the global one for manual writes; a tenant (and a
 * stream), reads see the global suppressions, the tenant's own and its
 * streams' (only the given stream's), and manual writes (suppress,
 * unsuppress, import) land in that tenant (stream).  Malformed names are
 * an error (-1) and leave the scope as it was.  Default: none.
 */
int rb_store_set_scope(struct rb_store *s, const char *tenant,
		       const char *stream);

/* Status of one address, for `query` and `explain`. */
struct rb_supp {
	bool found;		/* a row exists (active or not) */
	bool active;
	char *address;		/* as first stored (verbatim) */
	char *addr_key;		/* normalised key */
	char *class;		/* hard, complaint, soft, manual */
	char *reason;		/* bounce reason, feedback type or manual text */
	char *rule;		/* policy rule that decided, or "manual" */
	char *actor;		/* manual actions */
	long long event_id;	/* evidence, 0 when none */
	char *created_at;	/* ISO 8601 UTC */
	char *updated_at;
	char *expires_at;	/* NULL: never */
	char *removed_at;	/* NULL: not removed */
	char *scope;		/* "" global, "TENANT", "TENANT/STREAM" */
};
/* Look one address up (normalised first).  Fills *out (free with
 * rb_supp_free); found=false when the address was never suppressed. */
int rb_store_lookup(struct rb_store *s, const char *address,
		    struct rb_supp *out);
void rb_supp_free(struct rb_supp *p);

/* Manual suppress / unsuppress with a reason and an actor; recorded in
 * the history.  *changed (may be NULL) is false when nothing changed. */
int rb_store_suppress(struct rb_store *s, const char *address,
		      const char *reason, const char *actor,
		      const char *expires_iso, bool *changed);
int rb_store_unsuppress(struct rb_store *s, const char *address,
			const char *reason, const char *actor, bool *changed);

/*
 * filter: for n address keys (already normalised with rb_addr_key),
 * set hit[i] = true when that key is actively suppressed.  One round trip
 * per call; callers pass chunks of a few thousand.
 */
int rb_store_match(struct rb_store *s, const char *const *keys, size_t n,
		   bool *hit);

/* Estimated number of suppression rows (planner statistics; cheap). */
long long rb_store_active_estimate(struct rb_store *s);
/* Stream every actively suppressed key (COPY): cb gets a NUL-terminated
 * key valid during the call; non-zero from cb stops (rest is drained).
 * For bulk filtering: one pass over the list instead of lookups. */
typedef int (*rb_key_cb)(void *ctx, const char *key, size_t len);
int rb_store_active_keys(struct rb_store *s, rb_key_cb cb, void *ctx);

/* ---- listing, export/import, explain, replay ---- */

enum rb_list_state { RB_LIST_ACTIVE, RB_LIST_INACTIVE, RB_LIST_ALL };
struct rb_list_filter {
	const char *cls;	/* hard, complaint, soft, manual; NULL any */
	const char *reason;	/* exact reason; NULL any */
	const char *domain;	/* exact domain (normalised); NULL any */
	const char *since;	/* ISO 8601: created at or after; NULL any */
	enum rb_list_state state;
};
/* Called once per row (rows are only valid during the call); non-zero
 * stops the listing. */
typedef int (*rb_supp_cb)(void *ctx, const struct rb_supp *row);
/* Streams rows (single-row mode: flat memory on a million rows). */
int rb_store_list(struct rb_store *s, const struct rb_list_filter *f,
		  rb_supp_cb cb, void *ctx);

/* One import row: address (verbatim), reason (NULL: "imported"),
 * expires (ISO 8601 or NULL: never), scope. */
struct rb_import_row {
	const char *address, *reason, *expires;
	const char *scope;	/* "", NULL: the store's write scope
				 * (rb_store_set_scope); else as
				 * rb_scope_parse reads it */
};
/* Import as manual suppressions by actor, in the caller's transaction or
 * its own; addresses already actively suppressed are left alone.
 * *added gets how many were added. */
int rb_store_import(struct rb_store *s, const struct rb_import_row *rows,
		    size_t n, const char *actor, unsigned long *added);

/* One line describing event id (kind, reason, status, time, source,
 * diagnostic excerpt) into buf; "" when there is no such event. */
int rb_store_event_brief(struct rb_store *s, long long id, char *buf,
			 size_t n);

/* Print the evidence chain of one address (explain). 0 found, 1 no
 * record of the address, -1 error. */
int rb_store_explain(struct rb_store *s, const char *address, FILE *out);

/*
 * Recompute suppressions from the stored events (and the manual actions
 * in the history) under the policy; print each difference to out.  With
 * dry_run nothing changes; otherwise events are re-classified and the
 * suppressions updated, with history rows (note "policy replay"), in
 * one transaction.  *changes gets the number of differences.
 */
int rb_store_replay(struct rb_store *s, const struct rb_policy *pol,
		    bool dry_run, FILE *out, unsigned long *changes);

/*
 * `rebound db rekey`: recompute the address key of every stored row
 * (events, suppression_history, suppressions) with today's rb_addr_key,
 * merging rows whose new keys meet as ingest would have (docs/store.md
 * "Re-keying"; store/rekey.c).  Runs its own transactions: one to read,
 * then one per batch of up to `batch` new keys (0: 1000), each complete
 * or not at all; idempotent.  dry_run: only count.  The recomputation
 * of merged addresses prints its differences to out, as `policy replay`
 * does; pol is the policy for it.
 */
struct rb_rekey_counts {
	unsigned long checked;			/* rows read */
	unsigned long events, history, supps;	/* rows whose key changes */
	unsigned long keys;			/* their distinct new keys */
	unsigned long events_done, history_done, supps_done; /* re-keyed */
	unsigned long events_merged;	/* later copies of a report, removed */
	unsigned long supps_merged;	/* rows folded into another */
	unsigned long replayed;		/* addresses recomputed after a merge */
	unsigned long changes;		/* what those recomputations changed */
	unsigned long batches;		/* transactions committed */
};
int rb_store_rekey(struct rb_store *s, const struct rb_policy *pol,
		   size_t batch, bool dry_run, FILE *out,
		   struct rb_rekey_counts *c);

/* A database setting as it may be shown (config check, logs): NULL is
 * the built-in cluster; otherwise libpq parses it (every spelling it
 * accepts: key = 'value' with spaces, URIs, percent-encoded query keys)
 * and it is written back as key=value pairs with the password as ****.
 * A setting libpq cannot parse is not shown at all.  Malloc'ed. */
char *rb_store_conninfo_shown(const char *conninfo);

#endif
