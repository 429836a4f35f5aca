/*
 * mime: a zero-copy MIME structure scanner.  One pass over the raw bytes
 * finds every entity's header block, content type, parameters and the
 * byte range of its (still transfer-encoded) content; nothing is decoded
 * here (parsers/mail.c decodes the few parts the mail view needs).
 *
 * The structure it finds is the one gmime 3.2 builds for the same bytes
 * (rebound used gmime's full parse before; the view must not change):
 *
 *  - Header blocks end at an empty line (CRLF or LF).  A line starting
 *    with SP/TAB continues the previous field (even if blank); a line
 *    without "name:" is skipped, except as the very first line of the
 *    mail, which makes the input "not a message" (root == NULL).  Field
 *    names may carry blanks before the colon, never inside.
 *  - Content-Type: the last one wins; "type/subtype" with blanks and
 *    (comments) tolerated; no subtype: application/octet-stream; none at
 *    all: text/plain (message/rfc822 inside multipart/digest).
 *    Parameters: quoted strings with backslash escapes, unquoted values
 *    up to ';' or a blank, RFC 2231 continuations and %-encoding.
 *  - Multiparts: a delimiter line is "--" boundary ["--"] followed only
 *    by blanks; every enclosing multipart's boundary is checked, the
 *    innermost first, so a parent's delimiter also ends a child.  The
 *    line end before a delimiter belongs to it.  Text before the first
 *    delimiter is the prologue (all of the content when no delimiter or
 *    no boundary parameter is there); a delimiter straight after a
 *    delimiter is no part; the content after the close delimiter is
 *    ignored.  A missing close delimiter ends the last part at the end
 *    of its parent (or of the input).
 *  - message/rfc822, message/global and message/news are parsed as a
 *    message (their child) unless transfer-encoded (base64, quoted-
 *    printable, uuencode): then they are leaves like message/partial.
 *    An empty one has no child.
 *
 * Limits (parsers/limits.h): max_depth and max_parts stop the scan and
 * set error ("MIME nesting too deep", "too many MIME parts") in the same
 * pre-order a walk of the tree would meet them; at most max_headers + 1
 * fields are kept per block (the caller sees that one too many).  Input
 * need not be NUL-terminated and may contain NUL bytes.
 *
 * Memory: the tree lives in the arena; every `const char *` with a
 * length points into the caller's buffer, which must outlive the tree.
 * Strings without a length (type, parameters) are NUL-terminated arena
 * copies.  No globals, no I/O.
 */
#ifndef RB_MIME_H
#define RB_MIME_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/arena.h"
#include "limits.h"

enum rb_mime_kind {
	RB_MIME_LEAF = 0,
	RB_MIME_MULTIPART,
	RB_MIME_MESSAGE,	/* message/rfc822 etc.: child is the message */
};

enum rb_mime_cte {
	RB_CTE_IDENTITY = 0,	/* 7bit, 8bit, binary, none or unknown */
	RB_CTE_BASE64,
	RB_CTE_QP,
	RB_CTE_UUENCODE,
};

struct rb_mime_field {
	const char *name;	/* as written, blanks before ':' removed */
	size_t name_len;
	const char *value;	/* raw: after ':' and blanks, folding kept, */
	size_t value_len;	/* up to the end of its last line (no EOL) */
};

struct rb_mime_part {
	enum rb_mime_kind kind;
	const char *type;	/* "text/plain", lower-case */
	const char *charset;	/* parameters as written, or NULL */
	const char *boundary;
	const char *report_type;
	enum rb_mime_cte cte;
	struct rb_mime_field *fields;	/* the entity's header block */
	size_t nfields;
	bool fields_cut;	/* other fields were dropped (limit) */
	const char *body;	/* content, still transfer-encoded */
	size_t body_len;	/* (for a multipart: its prologue) */
	unsigned depth;		/* 1 for the top entity */
	struct rb_mime_part *child;	/* first child */
	struct rb_mime_part *next;	/* next sibling */
};

struct rb_mime {
	struct rb_mime_part *root;	/* NULL: not a message */
	unsigned parts;		/* entities made (the last may be over) */
	unsigned depth;		/* deepest nesting seen */
	const char *error;	/* limit exceeded, else NULL */
};

/* Scan a message.  Returns 0, or -1 with out->error set when a limit was
 * exceeded (the tree is then partial). */
int rb_mime_parse(struct rb_arena *a, const char *buf, size_t len,
		  const struct rb_limits *lim, struct rb_mime *out);

/* The last field of this name (case-insensitive) in p's block, or NULL. */
const struct rb_mime_field *rb_mime_field(const struct rb_mime_part *p,
					  const char *name);

/* Parse a Content-Type value into p's type and parameters (exposed for
 * tests; rb_mime_parse does it for every entity). */
void rb_mime_content_type(struct rb_arena *a, const char *v, size_t n,
			  struct rb_mime_part *p);

#endif
