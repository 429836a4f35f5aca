#include "addrkey.h"

#include <stdint.h>
#include <string.h>

/* decode one UTF-8 code point; returns bytes used, 0 if invalid */
static size_t
u8dec(const unsigned char *s, size_t n, uint32_t *cp)
{
	unsigned c = s[0];
	size_t l;
	uint32_t min;
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf)
		l = 2, min = 0x80;
	else if (c >= 0xe0 && c <= 0xef)
		l = 3, min = 0x800;
	else if (c >= 0xf0 && c <= 0xf4)
		l = 4, min = 0x10000;
	else
		return 0;
	if (l > n)
		return 0;
	uint32_t v = c & (0x3fu >> (l - 1));
	for (size_t i = 1; i < l; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		v = (v << 6) | (s[i] & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return l;
}

static size_t
u8enc(uint32_t cp, unsigned char *o)
{
	if (cp < 0x80) {
		o[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (unsigned char)(0xc0 | cp >> 6);
		o[1] = (unsigned char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (unsigned char)(0xe0 | cp >> 12);
		o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (unsigned char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (unsigned char)(0xf0 | cp >> 18);
	o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
	o[3] = (unsigned char)(0x80 | (cp & 0x3f));
	return 4;
}

/* simple lower-casing of the common alphabets */
static uint32_t
lower(uint32_t c)
{
	if (c >= 'A' && c <= 'Z')
		return c + 32;
	if (c < 0x80)
		return c;
	if (c >= 0xc0 && c <= 0xde && c != 0xd7)
		return c + 32;
	if (c >= 0x100 && c <= 0x137 && (c & 1) == 0)
		return c + 1;
	if (c >= 0x139 && c <= 0x148 && (c & 1) == 1)
		return c + 1;
	if (c >= 0x14a && c <= 0x177 && (c & 1) == 0)
		return c + 1;
	if (c >= 0x391 && c <= 0x3ab && c != 0x3a2)
		return c + 32;
	if (c >= 0x410 && c <= 0x42f)
		return c + 32;
	if (c >= 0x400 && c <= 0x40f)
		return c + 80;
	return c;
}

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
	if (n >= 2 && s[0] == '<' && s[n - 1] == '>')
		s++, n -= 2;
	size_t at = n;
	for (size_t i = n; i > 0; i--)
		if (s[i - 1] == '@') {
			at = i - 1;
			break;
		}
	size_t o = 0;
	/* local part (or the whole thing): lower-case */
	for (size_t i = 0; i < at && o + 5 < cap;) {
		uint32_t cp;
		size_t l = u8dec(s + i, at - i, &cp);
		if (l == 0) {	/* invalid byte: keep as is */
			out[o++] = (char)s[i++];
			continue;
		}
		o += u8enc(lower(cp), (unsigned char *)out + o);
		i += l;
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
	/* domain, label by label */
	for (size_t i = at + 1; i < dn;) {
		size_t j = i;
		int ascii = 1;
		while (j < dn && s[j] != '.') {
			if (s[j] >= 0x80)
				ascii = 0;
			j++;
		}
		if (ascii) {
			for (size_t k = i; k < j && o + 1 < cap; k++)
				out[o++] = (char)lower(s[k]);
		} else {
			uint32_t cps[256];
			size_t nc = 0, k = i;
			int ok = 1;
			while (k < j && nc < 256) {
				uint32_t cp;
				size_t l = u8dec(s + k, j - k, &cp);
				if (l == 0) {
					ok = 0;
					break;
				}
				cps[nc++] = lower(cp);
				k += l;
			}
			char lab[300];
			size_t ll = ok && k == j ? puny(cps, nc, lab, sizeof(lab))
						 : 0;
			if (ll > 0) {
				for (size_t m = 0; m < ll && o + 1 < cap; m++)
					out[o++] = lab[m];
			} else {	/* not encodable: as written */
				for (size_t m = i; m < j && o + 1 < cap; m++)
					out[o++] = (char)s[m];
			}
		}
		if (j < dn && o + 1 < cap)
			out[o++] = '.';
		i = j + 1;
	}
	out[o] = '\0';
	return o;
}
