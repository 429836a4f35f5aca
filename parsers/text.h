/*
 * text: small byte-string helpers shared by the parsers, and the parser
 * for RFC 822-style field blocks ("Name: value" lines with folding), which
 * DSN and ARF report parts and mail headers all use.
 *
 * Nothing here allocates except into the arena passed in.  Inputs are
 * (pointer, length) pairs and need not be NUL-terminated.
 */
#ifndef RB_TEXT_H
#define RB_TEXT_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/arena.h"
#include "lib/utf8.h"
#include "limits.h"

struct rb_field {
	const char *name;	/* as written */
	const char *value;	/* unfolded, trimmed, NUL-terminated */
};

struct rb_fields {
	struct rb_field *v;
	size_t n;
};

/*
 * Parse one block of fields starting at text[0], stopping at the first
 * blank line or end of input.  *consumed is set to the bytes used
 * including the blank line.  Lines that are not fields are skipped.
 * Returns 0, or -1 when a limit (max_headers, max_header) was exceeded.
 */
int rb_fields_parse(struct rb_arena *a, const char *text, size_t len,
		    const struct rb_limits *lim, struct rb_fields *out,
		    size_t *consumed);
/* First value of a field by case-insensitive name, or NULL. */
const char *rb_fields_get(const struct rb_fields *f, const char *name);

/* Case-insensitive memmem; returns a pointer into hay or NULL. */
const char *rb_memcasemem(const char *hay, size_t hlen, const char *needle,
			  size_t nlen);
static inline const char *
rb_strcasestr_n(const char *hay, size_t hlen, const char *needle)
{
	size_t n = 0;
	while (needle[n])
		n++;
	return rb_memcasemem(hay, hlen, needle, n);
}
/*
 * Many needles in one pass: fn(ctx, where, index) is called for every
 * occurrence of needles[index] (ASCII case-insensitive), in order of
 * position and, at one position, of index, until it returns true; the
 * position it stopped at is returned (NULL: it never did).
 */
typedef bool (*rb_casescan_fn)(void *ctx, const char *where, size_t index);
const char *rb_memcasemem_each(const char *hay, size_t hlen,
			       const char *const *needles, size_t count,
			       rb_casescan_fn fn, void *ctx);
/* The earliest occurrence of any needle (the first listed wins a tie);
 * *which is its index. */
const char *rb_memcasemem_first(const char *hay, size_t hlen,
				const char *const *needles, size_t count,
				size_t *which);
/* Does any of needles occur in hay (ASCII case-insensitive)?  A few
 * passes over hay for the whole list, not one a needle. */
bool rb_memcasemem_any(const char *hay, size_t hlen,
		       const char *const *needles, size_t count);
bool rb_startswith_ci(const char *s, const char *prefix);
/* Trim ASCII whitespace in place at both ends (returns s moved forward). */
char *rb_trim(char *s);
/* Collapse runs of whitespace (incl. CR/LF) to one space; arena copy. */
char *rb_squeeze(struct rb_arena *a, const char *s, size_t n);
/* dst[0..n) = src[0..n) ASCII lower-cased (no NUL added; may be src). */
void rb_lower_n(char *dst, const char *src, size_t n);
/* ASCII lower-case in place. */
void rb_lower(char *s);
/*
 * Iterate over lines: *pos is the cursor; returns false at end.  The line
 * excludes the CR/LF terminator.
 */
bool rb_next_line(const char *text, size_t len, size_t *pos,
		  const char **line, size_t *llen);
#endif
