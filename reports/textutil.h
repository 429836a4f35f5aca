/*
 * textutil: what the renderers need to print hostile strings and numbers:
 * UTF-8 cleaning (invalid bytes and control characters become U+FFFD, so
 * a value from a mail can never move a terminal's cursor or break a line
 * of CSV it was not quoted for), display width for terminals (East Asian
 * wide characters count two columns, combining marks none), and the
 * number formats shared by text and HTML.
 *
 * Returned strings live in the caller's arena.
 */
#ifndef RB_TEXTUTIL_H
#define RB_TEXTUTIL_H

#include <stddef.h>
#include <stdio.h>

#include "lib/arena.h"

/* Columns a code point takes on a terminal: 0, 1 or 2. */
int rb_u8_cpwidth(unsigned cp);
/* Columns of a (clean) UTF-8 string. */
size_t rb_u8_width(const char *s);
/*
 * A clean copy: invalid UTF-8, C0/C1 controls and DEL replaced by U+FFFD
 * (tab, CR and LF kept, or made spaces when oneline), cut to at most maxwidth
 * columns with a trailing "…" when maxwidth > 0.
 */
char *rb_u8_clean(struct rb_arena *a, const char *s, int oneline,
		  size_t maxwidth);

/* Write s to out as one CSV field (RFC 4180): quoted when it holds a
 * comma, quote, CR or LF, or starts with a space (which some readers
 * trim); quotes inside doubled. */
void rb_csv_field(FILE *out, const char *s);
/* Write the n bytes at s to out with HTML's special characters as
 * entities (& < > " '), safe in element text and quoted attributes. */
void rb_html_escape(FILE *out, const char *s, size_t n);

/* 1234567 -> "1,234,567" into buf (>= 32 bytes). */
const char *rb_fmt_count(long long n, char *buf);
/* 0.0025 -> "0.250%"; a negative rate (unknown) -> "-". buf >= 32. */
const char *rb_fmt_rate(double rate, char *buf);

#endif
