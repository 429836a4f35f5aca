/*
 * mailhead: a few header fields of a raw mail (Message-ID, Subject, From)
 * for an operator's listing of quarantined mail, read without the MIME
 * parser (the mail may be one that crashes or hangs it).
 *
 * Only the header block is read, and only its first 64 KiB; folded lines
 * are unfolded; a value keeps at most 200 bytes (cut at a UTF-8
 * character boundary) with control characters and invalid UTF-8 bytes
 * replaced by '?'.  Encoded words (RFC 2047) are kept as they are.
 */
#ifndef RB_DAEMON_MAILHEAD_H
#define RB_DAEMON_MAILHEAD_H

#include <stddef.h>

#define RB_MAILHEAD_MAX 200

/* The value of the first field named name (case-insensitive) in out
 * (room for RB_MAILHEAD_MAX + 1 bytes); 0 when there is none or it is
 * empty. */
int rb_mailhead_get(const char *data, size_t len, const char *name,
		    char *out);

#endif
