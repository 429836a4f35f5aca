/*
 * addr: e-mail address extraction and normalisation, the same everywhere
 * (parsers, store, filter): strip "rfc822;" and similar address-type
 * prefixes, angle brackets, comments and surrounding quotes of the whole
 * address; lower-case the domain; keep the local part as written (the
 * store compares it case-insensitively).  IDN domains stay in UTF-8.
 */
#ifndef RB_ADDR_H
#define RB_ADDR_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/arena.h"

/*
 * Normalise one address field value ("rfc822; <Foo@Example.COM>").
 * Returns an arena string, or NULL when no plausible address is there.
 */
char *rb_addr_normalize(struct rb_arena *a, const char *raw, size_t n);
/* Plausible addr-spec: one '@', non-empty local and dotted domain. */
bool rb_addr_plausible(const char *addr);
/*
 * Find the first address-looking token (local@domain) in free text,
 * preferring one in angle brackets.  Arena copy, normalised, or NULL.
 */
char *rb_addr_find(struct rb_arena *a, const char *text, size_t n);

#endif
