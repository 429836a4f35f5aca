/*
 * utf8: UTF-8 validation and repair.  Text from mail is bytes in any
 * state; everything rebound stores or prints is valid UTF-8.
 */
#ifndef RB_UTF8_H
#define RB_UTF8_H

#include <stdbool.h>
#include <stddef.h>

#include "arena.h"

/* Is the byte range valid UTF-8? */
bool rb_utf8_valid(const char *s, size_t n);
/* Copy replacing invalid UTF-8 sequences by U+FFFD and NUL bytes by a
 * space (mail text never means a NUL: "=00" in quoted-printable would
 * otherwise end the string there); arena copy. */
char *rb_utf8_sanitize(struct rb_arena *a, const char *s, size_t n);

#endif
