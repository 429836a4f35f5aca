/*
 * imap_int: what the parts of the IMAP client share (ingest/imap.c:
 * connection, transport, login, SELECT, IDLE; imap_fetch.c: listing,
 * fetching, searching; imap_move.c: moves, flags, deletes).  Not for use
 * outside ingest/.
 */
#ifndef RB_IMAP_INT_H
#define RB_IMAP_INT_H

#include <gnutls/gnutls.h>
#include <libetpan/libetpan.h>
#include <stdint.h>

#include "imap.h"
#include "respscan.h"

/* The transport under libetpan: a socket, plus a verified TLS session
 * once the handshake is done (NULL before STARTTLS or with tls = none). */
struct transport {
	int fd;
	int timeout_ms;		/* silence allowed on the socket */
	gnutls_session_t tls;
	gnutls_certificate_credentials_t cred;
	long long deadline;	/* of the command in progress (monotonic
				 * ms), 0 none */
	unsigned deadline_s;	/* its length, for the message */
	const char *fail;	/* why the stream is dead: once set, every
				 * read and write fails */
	char failbuf[300];
	struct rb_respscan scan;
};

struct rb_imap {
	mailimap *imap;
	struct transport *tr;	/* ours; the libetpan stream reads and
				 * writes through it */
	const struct rb_mailbox_conf *m;
	char delim;		/* hierarchy delimiter, 0 until known */
	int has_move, has_uidplus, has_idle;
	char **created;		/* folders known to exist */
	size_t ncreated;
	char err[512];
};

/*
 * What one command may cost (respscan.h).  A response line outside
 * literals: 4 MiB (a UID SEARCH answer, one number per mail, may have
 * 64 MiB: 6 million mails).  A literal: max_size, and never more than
 * the RFC822.SIZE announced for its mail.  All the bytes of one answer:
 * 16 MiB, and for a body FETCH the sizes it asked for (the caller's byte
 * budget) plus 1 KiB per mail.  The deadline of a command: three times
 * the configured timeout, plus one second per 64 KiB of bodies asked for
 * (or the IDLE time).
 */
#define LINE_MAX_BYTES (4u << 20)
#define SEARCH_LINE_MAX_BYTES (64u << 20)
#define CMD_MAX_BYTES (16u << 20)
#define FETCH_SLACK_BYTES (1u << 20)
#define PER_MAIL_BYTES 1024u
#define MIN_RATE_BYTES 65536u

/* Limits and deadline of the next command (ann: the RFC822.SIZE announced
 * for the mails asked for, n of them). */
void rbi_cmd_limits(struct rb_imap *c, unsigned extra_s, uint64_t line_max,
		    uint64_t bytes_max, const struct rb_respscan_size *ann,
		    size_t n);
/* The usual limits for a command, plus extra seconds and bytes. */
void rbi_cmd_begin(struct rb_imap *c, unsigned extra_s, uint64_t extra_bytes);
/* Set the error text; returns code. */
int rbi_seterr(struct rb_imap *c, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A libetpan result r of command what -> RB_IMAP_TEMP (stream or parse
 * error: the connection is unusable) or RB_IMAP_PERM (NO/BAD), with the
 * error text set. */
int rbi_fail(struct rb_imap *c, int r, const char *what);
/* The whole UID set of n sorted UIDs (for FETCH, whose sets come from
 * bounded batches). */
struct mailimap_set *rbi_uid_set(const uint32_t *u, size_t n);

#endif
