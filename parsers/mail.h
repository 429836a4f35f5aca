/*
 * mail: the one gmime user.  Turns raw bytes into a read-only view that
 * every parser module works on: the top-level headers, the human-readable
 * text of the bounce itself, the machine-readable report parts, and the
 * headers of the returned original message.
 *
 * The MIME structure comes from parsers/mime.c (a zero-copy scanner that
 * finds what gmime's parser found, without building its object tree);
 * only the parts the view needs are decoded, with gmime's base64,
 * quoted-printable, RFC 2047 and charset-name functions.
 *
 * All strings are UTF-8 (charsets converted, invalid bytes replaced),
 * NUL-terminated, and owned by the arena given to rb_mail_load().
 * Never re-serialises headers (gmime 3.2.13 can loop re-encoding hostile
 * Content-Type parameters).  Depth and part counts are enforced here.
 */
#ifndef RB_MAIL_H
#define RB_MAIL_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/arena.h"
#include "limits.h"
#include "text.h"

/* One text part of the bounce (not of a returned original). */
struct rb_text {
	const char *type;	/* "text/plain", lower-case */
	const char *text;	/* decoded, UTF-8; HTML converted to text */
	size_t len;
};

struct rb_mail {
	struct rb_fields hdr;	/* top-level header fields, unfolded */
	const char *subject;	/* RFC 2047-decoded */
	const char *from;	/* From, decoded display form */
	const char *from_addr;	/* normalised address of From */
	const char *to;
	const char *message_id;
	const char *date;
	const char *ctype;	/* top-level "multipart/report" lower-case */
	const char *report_type;	/* report-type parameter, lower-case */

	struct rb_text *texts;	/* text parts of the bounce, in order */
	size_t ntexts;
	const char *body;	/* all bounce text parts joined by "\n" */
	size_t body_len;
	/* links to web pages (<a href="http...">, <form action=...>) in the
	 * bounce's own HTML parts: the text above keeps none of them */
	unsigned web_links;
	/* attachments of the bounce itself (not inside a returned original)
	 * that run or open as a page: .exe, .scr, .zip, .html, .svg ...
	 * (by file name or type) */
	unsigned runnable_attachments;

	/* message/delivery-status or message/global-delivery-status */
	const char *dsn;
	size_t dsn_len;
	/* message/disposition-notification (RFC 8098), e.g. a Sieve
	 * reject (RFC 5429) */
	const char *mdn;
	size_t mdn_len;
	/* message/feedback-report (or a text/plain that looks like one) */
	const char *feedback;
	size_t feedback_len;

	/* the returned original: message/rfc822, message/global,
	 * text/rfc822-headers, or a message part gmime did not parse */
	bool has_orig;
	struct rb_fields orig;
	const char *orig_subject;	/* RFC 2047-decoded Subject of it */
	const char *orig_body;	/* text of the original, if any (bounded) */
	size_t orig_body_len;

	/* the returned message when it is itself a delivery report
	 * (multipart/report; report-type=delivery-status): a bounce carried
	 * inside another notice.  Its own `nested` is always NULL. */
	const struct rb_mail *nested;

	unsigned parts;		/* MIME parts seen */
	unsigned depth;		/* deepest nesting seen */
	const char *error;	/* limit exceeded: which, else NULL */

	/* facts about body that several readers need, worked out on first
	 * use (rb_mail_own_len); in the mail's arena, NULL in a view not
	 * made by rb_mail_load (they are then worked out on every call) */
	struct rb_mail_memo *memo;
};

/*
 * Parse raw bytes.  Returns 0, or -1 with m->error set when a limit was
 * exceeded (the view is then partial and must not name recipients).
 */
int rb_mail_load(struct rb_arena *a, const char *buf, size_t len,
		 const struct rb_limits *lim, struct rb_mail *m);

/*
 * Where the bounce's own text ends in body: the offset of the first line
 * that introduces a quoted original (rb_original_marker), or body_len.
 * With marker/after non-NULL, also that line's start and the offset just
 * past it (both body_len when there is none); returns whether there is
 * one.  Worked out once per mail.
 */
size_t rb_mail_own_len(const struct rb_mail *m);
bool rb_mail_original_marker(const struct rb_mail *m, size_t *marker,
			     size_t *after);

/* A top-level header value by case-insensitive name, or NULL. */
const char *rb_mail_header(const struct rb_mail *m, const char *name);
/* Decode RFC 2047 encoded words in a header value found as text (e.g. a
 * quoted original's Subject); arena copy, whitespace squeezed. */
const char *rb_mail_decode_text(struct rb_arena *a, const char *s);
/* Once per process, before any parse (calls g_mime_init). */
void rb_mail_global_init(void);

#endif
