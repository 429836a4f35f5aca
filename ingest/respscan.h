/*
 * respscan: the bytes an IMAP server sends, checked before the protocol
 * parser sees them.
 *
 * The parser (libetpan) keeps whatever a server sends: a response line
 * without an end, a literal of the size the server announces (up to
 * 4 GiB), numbers that do not fit 32 bits (RFC822.SIZE 2^32+500 is read
 * as 500).  The scanner follows the stream's structure (lines, and
 * literals announced as "{N}" or "~{N}" at the end of a line) and refuses,
 * as a protocol error, what no honest server sends for the command in
 * progress:
 *   - a line (outside literals) longer than line_max;
 *   - a literal longer than literal_max, or longer than the RFC822.SIZE
 *     the server announced for the mail it belongs to (the UID named
 *     before the literal in the same response);
 *   - more than bytes_max bytes in answer to one command;
 *   - a UID, RFC822.SIZE or literal size that is not a number of at most
 *     32 bits (UID) or 64 bits (sizes).
 * RFC822.SIZE values over 32 bits are kept (rb_respscan_size) so the
 * caller can see the real size, which the parser would have cut.
 *
 * Memory: a fixed state plus the list of such sizes seen during the
 * current command (bounded by bytes_max).
 */
#ifndef RB_RESPSCAN_H
#define RB_RESPSCAN_H

#include <stddef.h>
#include <stdint.h>

struct rb_respscan_size {
	uint32_t uid;
	uint64_t size;
};

struct rb_respscan {
	/* limits of the command in progress (rb_respscan_command) */
	uint64_t line_max, literal_max, bytes_max;
	const struct rb_respscan_size *announced;	/* sorted by UID */
	size_t nannounced;
	/* stream state */
	uint64_t literal_left;	/* bytes of a literal still to come */
	uint64_t line_len;	/* bytes of the current line so far */
	uint64_t bytes;		/* bytes since the command began */
	char head[2048];	/* the current response outside literals */
	size_t nhead;
	char tail[32];		/* the last bytes of the current line */
	size_t ntail;
	struct rb_respscan_size *big;	/* RFC822.SIZE over 32 bits */
	size_t nbig, capbig;
	char err[256];
};

void rb_respscan_init(struct rb_respscan *s);
void rb_respscan_free(struct rb_respscan *s);
/* A new command: its limits (0 = none) and, for a body FETCH, the sizes
 * the server announced for its UIDs (sorted by UID; must outlive the
 * command, NULL when none).  Forgets the sizes kept so far. */
void rb_respscan_command(struct rb_respscan *s, uint64_t line_max,
			 uint64_t literal_max, uint64_t bytes_max,
			 const struct rb_respscan_size *announced, size_t n);
/* Bytes received; 0 fine, -1 a protocol error (text in s->err; the
 * stream is then unusable). */
int rb_respscan_feed(struct rb_respscan *s, const char *buf, size_t n);
/* The RFC822.SIZE over 32 bits announced for uid during this command,
 * or 0 when none. */
uint64_t rb_respscan_size(const struct rb_respscan *s, uint32_t uid);

#endif
