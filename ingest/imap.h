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
 * Listing and fetching are in imap_fetch.h, moves, flags and deletes in
 * imap_move.h (both included here; ingest/imap_int.h is what the three
 * parts share).
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

#include "ingest/imap_fetch.h"
#include "ingest/imap_move.h"

#endif
