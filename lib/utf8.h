/*
 * utf8: the one UTF-8 decoder, validation and repair.  Text from mail is
 * bytes in any state; everything rebound stores or prints is valid UTF-8.
 *
 * Valid means RFC 3629: sequences of one to four bytes, no overlong
 * forms, no surrogates (U+D800..U+DFFF), nothing above U+10FFFF.
 */
#ifndef RB_UTF8_H
#define RB_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"

/*
 * Decode one code point at s (n >= 1 bytes left): returns its length
 * (1 to 4) and sets *cp, or returns 0 (and leaves *cp alone) when the
 * bytes there do not start a valid sequence.  Inline: the store's COPY
 * escaping and the validator call it for every non-ASCII character.
 */
static inline size_t
rb_utf8_decode(const char *str, size_t n, uint32_t *cp)
{
	const unsigned char *s = (const unsigned char *)str;
	unsigned c = s[0];
	size_t len;
	uint32_t min;
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf)
		len = 2, min = 0x80;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3, min = 0x800;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4, min = 0x10000;
	else
		return 0;
	if (n < len)
		return 0;
	uint32_t v = c & (0x3fu >> (len - 1));
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		v = (v << 6) | (s[i] & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return len;
}

/* Write code point cp (at most U+10FFFF) as UTF-8 into out; returns the
 * number of bytes (1 to 4). */
size_t rb_utf8_encode(uint32_t cp, char out[4]);

/* Is the byte range valid UTF-8?  (ASCII runs checked 16 bytes at a time.) */
bool rb_utf8_valid(const char *s, size_t n);
/* Copy replacing invalid UTF-8 sequences by U+FFFD and NUL bytes by a
 * space (mail text never means a NUL: "=00" in quoted-printable would
 * otherwise end the string there); arena copy. */
char *rb_utf8_sanitize(struct rb_arena *a, const char *s, size_t n);
/*
 * Into a caller's buffer: invalid sequences and NUL bytes become U+FFFD
 * (cap = 3 * n + 1 always suffices; less cuts between characters).
 * Returns the length written, out NUL-terminated (cap > 0).
 */
size_t rb_utf8_clean(const char *in, size_t n, char *out, size_t cap);

#endif
