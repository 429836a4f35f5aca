/*
 * status: RFC 3463 enhanced status codes and RFC 5321 reply codes.
 *
 * A table of the codes' meanings (subject.detail, class-independent), the
 * reason each implies, and whether that reason is specific enough to win
 * over the diagnostic text (x.1.1 says "no such user" whatever the text;
 * x.7.1 "not authorized" says little, so the text decides).
 */
#ifndef RB_STATUS_H
#define RB_STATUS_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/arena.h"

struct rb_status_info {
	const char *code;	/* "1.1": subject.detail */
	const char *meaning;	/* RFC 3463 / registry title */
	const char *reason;	/* implied reason, NULL if none */
	bool specific;		/* reason wins over text rules */
};

/* Look up "5.1.1" (any class).  NULL for unknown or malformed codes. */
const struct rb_status_info *rb_status_lookup(const char *status);
/* Is s a well-formed enhanced code "c.s.d" with c in 2,4,5? */
bool rb_status_valid(const char *s);
/*
 * Find an enhanced status code in free text ("550 5.1.1 <a@b>... User
 * unknown" -> "5.1.1"); arena copy or NULL.
 */
char *rb_status_find(struct rb_arena *a, const char *text, size_t n);
/* Find a 3-digit SMTP reply code at the start of a reply in text. */
char *rb_smtp_code_find(struct rb_arena *a, const char *text, size_t n);

/* The whole table, for docs and tests. */
const struct rb_status_info *rb_status_table(size_t *n);

#endif
