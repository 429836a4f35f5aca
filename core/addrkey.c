#include "addrkey.h"

#include <glib.h>
#include <idn2.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---- RFC 3492 Punycode (encoder) ---- */
enum { BASE = 36, TMIN = 1, TMAX = 26, SKEW = 38, DAMP = 700,
       IBIAS = 72, IN = 128 };

static char
digit(uint32_t d)
{
	return (char)(d < 26 ? 'a' + d : '0' + (d - 26));
}

static uint32_t
adapt(uint32_t delta, uint32_t npoints, int first)
{
	delta = first ? delta / DAMP : delta / 2;
	delta += delta / npoints;
	uint32_t k = 0;
	while (delta > ((BASE - TMIN) * TMAX) / 2) {
		delta /= BASE - TMIN;
		k += BASE;
	}
	return k + (BASE - TMIN + 1) * delta / (delta + SKEW);
}

/* encode cps[0..n) as "xn--..." into o (cap); returns length or 0 */
static size_t
puny(const uint32_t *cps, size_t n, char *o, size_t cap)
{
	size_t len = 0;
#define PUT(ch)                                                                \
	do {                                                                   \
		if (len + 1 >= cap)                                            \
			return 0;                                              \
		o[len++] = (ch);                                               \
	} while (0)
	PUT('x');
	PUT('n');
	PUT('-');
	PUT('-');
	uint32_t b = 0;
	for (size_t i = 0; i < n; i++)
		if (cps[i] < 0x80) {
			PUT((char)cps[i]);
			b++;
		}
	if (b > 0)
		PUT('-');
	uint32_t nn = IN, delta = 0, bias = IBIAS, h = b;
	while (h < n) {
		uint32_t m = UINT32_MAX;
		for (size_t i = 0; i < n; i++)
			if (cps[i] >= nn && cps[i] < m)
				m = cps[i];
		if ((uint64_t)(m - nn) * (h + 1) + delta > UINT32_MAX)
			return 0;
		delta += (m - nn) * (h + 1);
		nn = m;
		for (size_t i = 0; i < n; i++) {
			if (cps[i] < nn)
				delta++;
			if (cps[i] == nn) {
				uint32_t q = delta;
				for (uint32_t k = BASE;; k += BASE) {
					uint32_t t = k <= bias		? TMIN
						     : k >= bias + TMAX ? TMAX
									: k - bias;
					if (q < t)
						break;
					PUT(digit(t + (q - t) % (BASE - t)));
					q = (q - t) / (BASE - t);
				}
				PUT(digit(q));
				bias = adapt(delta, h + 1, h == b);
				delta = 0;
				h++;
			}
		}
		delta++;
		nn++;
	}
#undef PUT
	o[len] = '\0';
	return len;
}

static int
is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' ||
	       c == '\v';
}

static bool
is_ascii(const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] >= 0x80)
			return false;
	return true;
}

static bool
valid_utf8(const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		size_t l = rb_utf8_decode((const char *)s + i, n - i, &cp);
		if (l == 0 || cp == 0)
			return false;
		i += l;
	}
	return true;
}

/*
 * Unicode's canonical caseless match: NFC(casefold(NFD(s))), so that
 * "É" written precomposed or as E + U+0301, and "É"/"é", give the same
 * bytes.  Full case folding ("ß" -> "ss", final sigma -> sigma).  s must
 * be valid UTF-8; returns a g_malloc'ed string, or NULL.
 */
static char *
fold(const char *s, size_t n)
{
	char *d = g_utf8_normalize(s, (gssize)n, G_NORMALIZE_NFD);
	if (d == NULL)
		return NULL;
	char *f = g_utf8_casefold(d, -1);
	g_free(d);
	if (f == NULL)
		return NULL;
	char *c = g_utf8_normalize(f, -1, G_NORMALIZE_NFC);
	g_free(f);
	return c;
}

/* append n bytes to out (cap), never splitting a UTF-8 sequence */
static void
put(char *out, size_t cap, size_t *o, const char *s, size_t n)
{
	if (*o + 1 >= cap)
		return;
	if (*o + n + 1 > cap) {
		n = cap - 1 - *o;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	memcpy(out + *o, s, n);
	*o += n;
}

/* bytes as written, ASCII lower-cased */
static void
put_lower(char *out, size_t cap, size_t *o, const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n && *o + 1 < cap; i++)
		out[(*o)++] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32
								 : s[i]);
}

/* the label separators of UTS #46 besides '.': U+3002 ideographic full
 * stop, U+FF0E fullwidth full stop, U+FF61 halfwidth ideographic stop */
static size_t
dot_len(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	if (u[0] == '.')
		return 1;
	/* byte by byte: s is NUL-terminated, the NUL stops the match */
	if ((u[0] == 0xe3 && u[1] == 0x80 && u[2] == 0x82) ||
	    (u[0] == 0xef && u[1] == 0xbc && u[2] == 0x8e) ||
	    (u[0] == 0xef && u[1] == 0xbd && u[2] == 0xa1))
		return 3;
	return 0;
}

/*
 * A domain libidn2 refused (or one too long for it): fold it, then each
 * non-ASCII label to "xn--" + Punycode by hand, so it still gets one
 * stable key; a label that cannot be encoded stays folded.
 */
static void
domain_fallback(const char *d, size_t n, char *out, size_t cap, size_t *o)
{
	char *f = fold(d, n);
	if (f == NULL) {
		put_lower(out, cap, o, (const unsigned char *)d, n);
		return;
	}
	for (const char *p = f; *p;) {
		const char *q = p;
		while (*q && dot_len(q) == 0)
			q++;
		size_t ll = (size_t)(q - p);
		if (is_ascii((const unsigned char *)p, ll)) {
			put(out, cap, o, p, ll);
		} else {
			uint32_t cps[256];
			size_t nc = 0, k = 0;
			while (k < ll && nc < 256) {
				size_t l = rb_utf8_decode(p + k, ll - k,
							  &cps[nc]);
				if (l == 0)
					break;
				nc++;
				k += l;
			}
			char lab[300];
			size_t pl = k == ll ? puny(cps, nc, lab, sizeof(lab)) : 0;
			if (pl > 0)
				put(out, cap, o, lab, pl);
			else
				put(out, cap, o, p, ll);
		}
		if (*q == '\0')
			break;
		put(out, cap, o, ".", 1);
		p = q + dot_len(q);
	}
	g_free(f);
}

/* The domain (trailing dots already dropped). */
static void
domain_key(const unsigned char *d, size_t n, char *out, size_t cap, size_t *o)
{
	if (is_ascii(d, n)) {
		put_lower(out, cap, o, d, n);
		return;
	}
	/* UTS #46 non-transitional processing, IDNA 2008: mapping (case,
	 * width, the other dots), NFC, then A-labels; the A-label form of
	 * the same domain is already its ASCII lower-case */
	char *in = strndup((const char *)d, n), *a = NULL;
	if (in == NULL)
		abort();
	if (n <= 1024 &&
	    idn2_to_ascii_8z(in, &a, IDN2_NONTRANSITIONAL) == IDN2_OK) {
		size_t l = strlen(a);
		while (l > 0 && a[l - 1] == '.')
			l--;
		put_lower(out, cap, o, (const unsigned char *)a, l);
	} else {
		domain_fallback(in, n, out, cap, o);
	}
	idn2_free(a);
	free(in);
}

size_t
rb_addr_key(const char *in, size_t n, char *out, size_t cap,
	    size_t *domain_off)
{
	const unsigned char *s = (const unsigned char *)in;
	if (cap > RB_ADDRKEY_MAX + 1)
		cap = RB_ADDRKEY_MAX + 1;
	while (n > 0 && is_space(s[0]))
		s++, n--;
	while (n > 0 && is_space(s[n - 1]))
		n--;
	if (!is_ascii(s, n) && !valid_utf8(s, n)) {
		/* keys are text: invalid bytes become U+FFFD first, as the
		 * store does with every string (rb_copy_strn) */
		char *c = malloc(n * 3 + 1);
		if (c == NULL)
			abort();
		size_t cl = rb_utf8_clean((const char *)s, n, c, n * 3 + 1);
		size_t r = rb_addr_key(c, cl, out, cap, domain_off);
		free(c);
		return r;
	}
	if (n >= 2 && s[0] == '<' && s[n - 1] == '>')
		s++, n -= 2;
	size_t at = n;
	for (size_t i = n; i > 0; i--)
		if (s[i - 1] == '@') {
			at = i - 1;
			break;
		}
	size_t o = 0;
	/* local part (or the whole thing): case-folded */
	if (is_ascii(s, at)) {
		put_lower(out, cap, &o, s, at);
	} else {
		char *f = fold((const char *)s, at);
		if (f != NULL)
			put(out, cap, &o, f, strlen(f));
		else
			put_lower(out, cap, &o, s, at);
		g_free(f);
	}
	if (at == n) {
		out[o] = '\0';
		if (domain_off)
			*domain_off = o;
		return o;
	}
	if (o + 1 < cap)
		out[o++] = '@';
	if (domain_off)
		*domain_off = o;
	size_t dn = n;
	while (dn > at + 1 && s[dn - 1] == '.')
		dn--;
	domain_key(s + at + 1, dn - at - 1, out, cap, &o);
	out[o] = '\0';
	return o;
}
