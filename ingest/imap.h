/*
 * imap: one IMAP connection to one mailbox server (libetpan for the
 * protocol, GnuTLS for the transport).
 *
 * TLS is ours, not libetpan's: libetpan neither verifies certificates nor
 * sends SNI, so this module connects the socket, runs the GnuTLS
 * handshake itself (SNI for host names, chain verified against the
 * configured CA file or the system trust store, host name checked against
 * the certificate) and only then hands libetpan a stream that reads and
 * writes through the verified session.  With STARTTLS the same happens on
 * the plain socket right after the server's OK.  Credentials are never
 * sent before verification succeeded, and never over plaintext unless the
 * configuration explicitly allows it for a loopback host.
 *
 * Fetching never marks mail as read (BODY.PEEK[]); sizes are read first
 * (RFC822.SIZE) so oversized mail is never fetched; bodies are fetched in
 * sub-batches bounded by a byte budget (libetpan holds a whole FETCH
 * response in memory).
 *
 * Errors: functions return RB_IMAP_OK (0), RB_IMAP_TEMP (-1: network or
 * server trouble, worth retrying after a backoff) or RB_IMAP_PERM (-2: TLS
 * verification failed, authentication refused, folder missing: retrying
 * soon will not help).  The message is in rb_imap_error() (never contains
 * the secret).  After a TEMP error the connection is unusable: close it.
 */
#ifndef RB_IMAP_H
#define RB_IMAP_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"

#define RB_IMAP_OK 0
#define RB_IMAP_TEMP (-1)
#define RB_IMAP_PERM (-2)
/* rb_imap_select: the server refused the folder (it does not exist or
 * may not be selected); the connection is still usable */
#define RB_IMAP_NOFOLDER (-3)

struct rb_imap;

struct rb_imap_item {
	uint32_t uid;
	uint64_t size;		/* RFC822.SIZE (64 bits: a server may say
				 * more than 4 GiB) */
};

/* Connect, verify TLS, authenticate.  *out is set even on failure (close
 * it); secret is the password or the XOAUTH2 token. */
int rb_imap_connect(const struct rb_mailbox_conf *m, const char *secret,
		    struct rb_imap **out);
const char *rb_imap_error(const struct rb_imap *c);
void rb_imap_close(struct rb_imap *c);	/* LOGOUT when possible; NULL ok */

/* SELECT (read-write).  *uidvalidity and *uidnext from the response.
 * RB_IMAP_NOFOLDER when the server answers NO (the error names the
 * folder). */
int rb_imap_select(struct rb_imap *c, const char *folder,
		   uint32_t *uidvalidity, uint32_t *uidnext);

/*
 * Up to max mails with UID > after, in UID order, with their sizes.
 * *items is malloc'ed (caller frees), *n may be 0.
 */
int rb_imap_list(struct rb_imap *c, uint32_t after, size_t max,
		 struct rb_imap_item **items, size_t *n);

/* Called once per fetched mail; data valid during the call only.  A
 * non-zero return stops the fetch with RB_IMAP_TEMP. */
typedef int (*rb_imap_body_cb)(void *ctx, uint32_t uid, const char *data,
			       size_t len);
/* BODY.PEEK[] of the given mails (sorted by UID), at most budget bytes
 * (by RFC822.SIZE) per FETCH command.  UIDs the server no longer has are
 * silently absent. */
int rb_imap_fetch(struct rb_imap *c, const struct rb_imap_item *items,
		  size_t n, size_t budget, rb_imap_body_cb cb, void *ctx);

/* BODY.PEEK[]<0.bytes> of the given mails: the first bytes of each (a
 * mail over max_size: its report parts come first), at most budget bytes
 * per FETCH command. */
int rb_imap_fetch_head(struct rb_imap *c, const struct rb_imap_item *items,
		       size_t n, uint32_t bytes, size_t budget,
		       rb_imap_body_cb cb, void *ctx);

/* Move to folder (created when missing; '/' in the name is replaced by
 * the server's hierarchy delimiter): UID MOVE when offered, else UID COPY
 * + \Deleted + UID EXPUNGE (or EXPUNGE without UIDPLUS).  These three
 * send one command per UID set, split only when the set's text would
 * pass ~32 KB (servers cap command lines: Dovecot at 64 KB). */
int rb_imap_move(struct rb_imap *c, const uint32_t *uids, size_t n,
		 const char *folder);
/* Where moved mail landed, from the server's UIDPLUS answer (COPYUID of
 * UID MOVE or UID COPY): src[i] of the folder is dst[i] in the
 * destination, whose UIDVALIDITY is uidvalidity.  Mail the server named
 * no new UID for (no UIDPLUS, an answer that does not pair up) is not
 * in it.  Zero-initialise; free with rb_imap_copyuid_free. */
struct rb_imap_copyuid {
	uint32_t uidvalidity;
	uint32_t *src, *dst;
	size_t n, cap;
};
/* rb_imap_move, adding to *map (NULL: as rb_imap_move) what the server
 * said about each command's mails. */
int rb_imap_move_map(struct rb_imap *c, const uint32_t *uids, size_t n,
		     const char *folder, struct rb_imap_copyuid *map);
void rb_imap_copyuid_free(struct rb_imap_copyuid *map);
/* UID SEARCH HEADER field value in the selected folder: the UIDs
 * (malloc'ed, ascending, at most 1000). */
int rb_imap_search_header(struct rb_imap *c, const char *field,
			  const char *value, uint32_t **uids, size_t *n);
/* rb_imap_select of a folder named as rb_imap_move's destinations are
 * ('/' replaced by the server's delimiter). */
int rb_imap_select_dest(struct rb_imap *c, const char *folder,
			uint32_t *uidvalidity, uint32_t *uidnext);
/* 1 when the selected folder has a mail with this UID, 0 when not, or an
 * error code. */
int rb_imap_has_uid(struct rb_imap *c, uint32_t uid);
/* Length of the UID set text for sorted UIDs (consecutive runs written
 * as "a:b"), as the commands above would send it. */
size_t rb_imap_set_text_len(const uint32_t *uids, size_t n);
/* Add a flag (\Seen, \Flagged, \Answered or a keyword). */
int rb_imap_flag(struct rb_imap *c, const uint32_t *uids, size_t n,
		 const char *flag);
/* \Deleted + UID EXPUNGE. */
int rb_imap_delete(struct rb_imap *c, const uint32_t *uids, size_t n);

int rb_imap_has_idle(const struct rb_imap *c);
/*
 * IDLE for at most seconds, or until *stop becomes non-zero (checked at
 * least once a second).  Returns 1 when the server reported a change, 0
 * on timeout or stop, or an error code.
 */
int rb_imap_idle(struct rb_imap *c, unsigned seconds,
		 volatile sig_atomic_t *stop);
/*
 * IDLE on n connections at once (each with its own folder selected), for
 * at most seconds or until *stop: one connection per folder is how a
 * mailbox of several folders is watched.  Returns 1 when a server
 * reported a change, 0 on timeout or stop, or an error code (*failed:
 * the index of the connection that failed).
 */
int rb_imap_idle_many(struct rb_imap *const *c, size_t n, unsigned seconds,
		      volatile sig_atomic_t *stop, size_t *failed);
/* NOOP (keeps the connection alive, picks up EXISTS). */
int rb_imap_noop(struct rb_imap *c);

/* fn is called (in the reading thread) whenever a connection of this
 * process received bytes: a sign of life for a watchdog.  NULL: none. */
void rb_imap_progress_hook(void (*fn)(void));

#endif
