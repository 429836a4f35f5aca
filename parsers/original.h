/*
 * original: recovery of the original message's identifiers (Message-ID,
 * From, To, Subject, Date) when a bounce quotes the returned message as
 * text in its own body instead of attaching it (qmail, Gmail, Yahoo,
 * Office 365 "Original message headers:", Notes, DragonFly ...).
 *
 * Only text *below* a marker that introduces the returned message (or a
 * header block that starts like one) is read, so the bounce's own header
 * fields can never be taken for the original's.  Nothing here yields a
 * recipient: the original's To is an identifier, not a failed address.
 *
 * Strings are arena copies; no I/O, no globals.
 */
#ifndef RB_ORIGINAL_H
#define RB_ORIGINAL_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/arena.h"
#include "core/event.h"
#include "limits.h"

/*
 * Find the line that introduces a quoted original in a bounce's text.
 * On success sets *marker to the offset where that line starts and
 * *after to the offset just past it, and returns true.
 */
bool rb_original_marker(const char *text, size_t len, size_t *marker,
			size_t *after);

/*
 * Fill the empty identifiers of o from the header block of a quoted
 * original in text; campaign from the first of campaign_headers present
 * (NULL-terminated, may be NULL).  Returns true when at least one
 * identifier was found.
 */
bool rb_original_recover(struct rb_arena *a, const struct rb_limits *lim,
			 const char *text, size_t len,
			 const char *const *campaign_headers,
			 struct rb_original *o);
/* The same, with text's marker already known (rb_original_marker()'s
 * result and *after; the mail's memo holds them). */
bool rb_original_recover_marked(struct rb_arena *a,
				const struct rb_limits *lim, const char *text,
				size_t len, bool marked, size_t after,
				const char *const *campaign_headers,
				struct rb_original *o);

#endif
