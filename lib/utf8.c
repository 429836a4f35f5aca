#include "utf8.h"

#include <stdint.h>
#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* Length of the run of ASCII bytes at s (16, then 8 at a time). */
static size_t
ascii_run(const unsigned char *s, size_t n)
{
	size_t i = 0;
#ifdef __SSE2__
	for (; i + 16 <= n; i += 16) {
		unsigned m = (unsigned)_mm_movemask_epi8(
		    _mm_loadu_si128((const __m128i *)(s + i)));
		if (m != 0)
			return i + (size_t)__builtin_ctz(m);
	}
#endif
	for (; i + 8 <= n; i += 8) {
		uint64_t w;
		memcpy(&w, s + i, 8);
		w &= 0x8080808080808080ull;
		if (w != 0) {
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
			return i + (size_t)__builtin_ctzll(w) / 8;
#else
			break;
#endif
		}
	}
	while (i < n && s[i] < 0x80)
		i++;
	return i;
}

bool
rb_utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	for (size_t i = 0; i < n;) {
		i += ascii_run(p + i, n - i);
		if (i >= n)
			break;
		uint32_t cp;
		size_t l = rb_utf8_decode(s + i, n - i, &cp);
		if (l == 0)
			return false;
		i += l;
	}
	return true;
}

char *
rb_utf8_sanitize(struct rb_arena *a, const char *s, size_t n)
{
	if (s == NULL || n == 0)
		return rb_arena_strdup(a, "");
	/* a NUL would end the C string and hide the rest of the text */
	bool nul = memchr(s, '\0', n) != NULL;
	if (!nul && rb_utf8_valid(s, n))
		return rb_arena_strndup(a, s, n);
	char *out = rb_arena_alloc_raw(a, n * 3 + 1);
	size_t o = 0;
	const unsigned char *p = (const unsigned char *)s;
	for (size_t i = 0; i < n;) {
		if (p[i] == 0) {
			out[o++] = ' ';
			i++;
			continue;
		}
		uint32_t cp;
		size_t l = rb_utf8_decode(s + i, n - i, &cp);
		if (l == 0) {
			memcpy(out + o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
		} else {
			memcpy(out + o, p + i, l);
			o += l;
			i += l;
		}
	}
	out[o] = '\0';
	return out;
}

size_t
rb_utf8_clean(const char *in, size_t n, char *out, size_t cap)
{
	size_t o = 0;
	if (cap == 0)
		return 0;
	for (size_t i = 0; i < n;) {
		uint32_t cp = 0;
		size_t l = rb_utf8_decode(in + i, n - i, &cp);
		const char *w = in + i;
		size_t wl = l;
		if (l == 0 || cp == 0) {
			w = "\xef\xbf\xbd";
			wl = 3;
			l = 1;
		}
		if (o + wl + 1 > cap)
			break;
		memcpy(out + o, w, wl);
		o += wl;
		i += l;
	}
	out[o] = '\0';
	return o;
}

size_t
rb_utf8_encode(uint32_t cp, char out[4])
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	} else if (cp < 0x800) {
		out[0] = (char)(0xc0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	} else if (cp < 0x10000) {
		out[0] = (char)(0xe0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}
