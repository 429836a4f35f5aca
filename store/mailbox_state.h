/*
 * mailbox_state: what the IMAP daemon keeps in PostgreSQL besides messages
 * and events (migration 100_imap.sql): per folder cursor (UIDVALIDITY,
 * last UID), the per-account lease, pending server actions, parser
 * attempt counts and quarantine records.
 *
 * "account" is the caller's stable name of a server account
 * (user@host:port).  Functions return 0 on success and -1 on a database
 * error (text in rb_store_error()); rb_mbstate_lease_* return 1 when the
 * lease is held, 0 when another holder has it.
 *
 * Functions marked TX must run inside rb_store_begin()...commit() (they
 * are part of a batch); the others run on their own (autocommit).
 */
#ifndef RB_MAILBOX_STATE_H
#define RB_MAILBOX_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

/* Take or renew the lease for seconds; 1 held, 0 held by another. */
int rb_mbstate_lease_acquire(struct rb_store *s, const char *account,
			     const char *holder, unsigned seconds);
/* TX: lock the lease row and check we still hold it (fencing: a batch
 * of a holder that lost its lease must not commit); renews it. */
int rb_mbstate_lease_check(struct rb_store *s, const char *account,
			   const char *holder, unsigned seconds);
/* The current holder (malloc'ed) or NULL when none / on error (*err). */
char *rb_mbstate_lease_holder(struct rb_store *s, const char *account,
			      int *err);
/* Take the lease from old_holder (known dead); 1 taken, 0 it changed. */
int rb_mbstate_lease_steal(struct rb_store *s, const char *account,
			   const char *old_holder, const char *holder,
			   unsigned seconds);
int rb_mbstate_lease_release(struct rb_store *s, const char *account,
			     const char *holder);

/* The cursor; *found 0 when the folder was never read. */
int rb_mbstate_cursor_get(struct rb_store *s, const char *account,
		          const char *folder, uint32_t *uidvalidity,
		          uint32_t *last_uid, int *found);
/* Start over under a new UIDVALIDITY (last_uid 0); drops pending actions
 * and attempt counts of the old one. */
int rb_mbstate_cursor_reset(struct rb_store *s, const char *account,
			    const char *folder, uint32_t uidvalidity);
/* TX: advance from old_uid to new_uid; returns 1 when done, 0 when the
 * cursor was not at old_uid any more (someone else advanced it). */
int rb_mbstate_cursor_advance(struct rb_store *s, const char *account,
			      const char *folder, uint32_t uidvalidity,
			      uint32_t old_uid, uint32_t new_uid);

enum rb_pending_action { RB_PENDING_MOVE, RB_PENDING_FLAG, RB_PENDING_DELETE };
struct rb_pending {
	uint32_t uid;
	enum rb_pending_action action;
	const char *dest;	/* folder or flag; NULL for delete */
};
/* TX: record server actions for a batch. */
int rb_mbstate_pending_add(struct rb_store *s, const char *account,
			   const char *folder, uint32_t uidvalidity,
			   const struct rb_pending *p, size_t n);
/* The pending actions of a folder (malloc'ed array, dest strings inside
 * the same allocation: one free()). */
int rb_mbstate_pending_list(struct rb_store *s, const char *account,
			    const char *folder, uint32_t uidvalidity,
			    struct rb_pending **out, size_t *n);
/* Forget actions that were carried out. */
int rb_mbstate_pending_done(struct rb_store *s, const char *account,
			    const char *folder, uint32_t uidvalidity,
			    const uint32_t *uids, size_t n);

/* Attempt counts for uids (att[i] = 0 when none). */
int rb_mbstate_attempts_get(struct rb_store *s, const char *account,
			    const char *folder, uint32_t uidvalidity,
			    const uint32_t *uids, size_t n, unsigned *att);
/* Record one more failure (autocommit, so it survives a crash). */
int rb_mbstate_attempts_inc(struct rb_store *s, const char *account,
			    const char *folder, uint32_t uidvalidity,
			    uint32_t uid, const char *error);

/* What is known of a quarantined mail besides its place and reason (any
 * field may be NULL). */
struct rb_qmeta {
	const char *qfolder;	/* the quarantine folder it goes to */
	const char *message_id, *subject, *sender;
};
/* TX: record a quarantined mail (sha256 may be NULL: not fetched). */
int rb_mbstate_quarantine_add(struct rb_store *s, const char *account,
			      const char *folder, uint32_t uidvalidity,
			      uint32_t uid, unsigned long long size,
			      const unsigned char *sha256, const char *reason,
			      const struct rb_qmeta *meta);

/* Where quarantined mail landed: src[i] of the folder is now dst[i] of
 * the quarantine folder (UIDVALIDITY dst_uidvalidity), from the server's
 * COPYUID.  Rows of other UIDs, or not quarantined any more, are left
 * alone; UIDs that are not quarantine records change nothing. */
int rb_mbstate_quarantine_placed(struct rb_store *s, const char *account,
				 const char *folder, uint32_t uidvalidity,
				 const uint32_t *src, const uint32_t *dst,
				 size_t n, uint32_t dst_uidvalidity);

/* One imap_quarantine row (strings NULL when unknown). */
struct rb_quarantined {
	long long id;
	char *account, *folder, *qfolder;
	uint32_t uidvalidity, uid;
	int have_quid;
	uint32_t quidvalidity, quid;
	long long size;
	int have_sha;
	unsigned char sha256[32];
	char *reason, *at, *message_id, *subject, *sender;
	char *state, *state_at, *state_by, *state_note;
};
/* Which rows rb_mbstate_quarantine_list returns: all when zero/NULL. */
struct rb_qfilter {
	long long id;		/* one row */
	const char *account;
	const char *state;	/* "quarantined", ... */
	int older_than_days;	/* quarantined at least this long ago; -1:
				 * any age */
};
/* Rows in id order; *out malloc'ed (free with rb_quarantined_free). */
int rb_mbstate_quarantine_list(struct rb_store *s, const struct rb_qfilter *f,
			       struct rb_quarantined **out, size_t *n);
void rb_quarantined_free(struct rb_quarantined *v, size_t n);
/* The UID found in the quarantine folder for a row that had none. */
int rb_mbstate_quarantine_set_uid(struct rb_store *s, long long id,
				  uint32_t quidvalidity, uint32_t quid);
/*
 * A row's new state (retried or dropped), with who and a note; 1 when
 * changed, 0 when the row was not in state `from` any more.  For
 * "retried", in the same transaction: the attempt counts of the mail's
 * old UID go, and so does the message stored for it when it holds no
 * evidence (outcome error or unknown, found by sha256), so that the mail
 * read again is stored with what the parser finds this time (a message
 * already stored would make it a duplicate whose events are not kept).
 */
int rb_mbstate_quarantine_state(struct rb_store *s, long long id,
				const char *from, const char *to,
				const char *by, const char *note);

#endif
