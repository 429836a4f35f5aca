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
/*
 * A recipient field of a report (DSN Final-Recipient, Original-Recipient):
 * "[type;] addr-spec", the addr-spec optionally in angle brackets (with a
 * display name before them) or followed by a comment.  Returns the
 * normalised address, or, when the value is not an address that parses
 * whole (a quote, backslash or semicolon outside a quoted local part,
 * white space or a control character inside), the value as written
 * (type prefix and outer blanks removed, control characters other than
 * TAB as U+FFFD) with *as_written set: never a suffix of it.  A source
 * route ("@relay:user@domain") gives its address; a pipe or file
 * delivery ("|/usr/bin/procmail user@domain") the address it names.
 * NULL when the value is empty or names a host only ("@host").
 */
char *rb_addr_field(struct rb_arena *a, const char *raw, size_t n,
		    bool *as_written);
/* Plausible addr-spec: one '@', non-empty local and dotted domain. */
bool rb_addr_plausible(const char *addr);
/*
 * Find the first address-looking token (local@domain) in free text,
 * preferring one in angle brackets.  Arena copy, normalised, or NULL.
 */
char *rb_addr_find(struct rb_arena *a, const char *text, size_t n);

/*
 * The address a recipient was expanded or generated from, as MTAs write
 * it after the final one: Postfix "(expanded from <x>)", Exim
 * "(ultimately) generated from x".  Arena copy, normalised, or NULL.
 */
char *rb_addr_expanded_from(struct rb_arena *a, const char *text, size_t n);

#endif
