#include "text.h"

#include <ctype.h>
#include <stdint.h>
#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

static unsigned char
ascii_lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
}

static bool
ascii_alpha(unsigned char c)
{
	c = ascii_lower(c);
	return c >= 'a' && c <= 'z';
}

bool
rb_next_line(const char *text, size_t len, size_t *pos, const char **line,
	     size_t *llen)
{
	size_t p = *pos;
	if (p >= len)
		return false;
	const char *s = text + p;
	const char *nl = memchr(s, '\n', len - p);
	size_t n = nl ? (size_t)(nl - s) : len - p;
	*pos = p + n + (nl ? 1 : 0);
	if (n > 0 && s[n - 1] == '\r')
		n--;
	*line = s;
	*llen = n;
	return true;
}

static bool
blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isspace((unsigned char)s[i]))
			return false;
	return true;
}

int
rb_fields_parse(struct rb_arena *a, const char *text, size_t len,
		const struct rb_limits *lim, struct rb_fields *out,
		size_t *consumed)
{
	size_t pos = 0, cap = 0, n = 0;
	struct rb_field *v = NULL;
	const char *line;
	size_t llen;
	/* current field being assembled: start of value in text, and the
	 * folded range [vstart, vend) */
	const char *name = NULL;
	size_t namelen = 0;
	const char *vstart = NULL, *vend = NULL;
	int rc = 0;

	out->v = NULL;
	out->n = 0;
	for (;;) {
		bool more = rb_next_line(text, len, &pos, &line, &llen);
		bool cont = more && llen > 0 &&
			    (line[0] == ' ' || line[0] == '\t') && name;
		if (cont && !blank(line, llen)) {
			vend = line + llen;
			if ((size_t)(vend - vstart) > lim->max_header)
				rc = -1;
			continue;
		}
		if (name != NULL) {
			if (n == lim->max_headers) {
				rc = -1;
			} else {
				if (n == cap) {
					size_t nc = cap ? cap * 2 : 16;
					struct rb_field *nv = rb_arena_alloc(
					    a, nc * sizeof(*nv));
					if (n)
						memcpy(nv, v, n * sizeof(*v));
					v = nv;
					cap = nc;
				}
				size_t vl = (size_t)(vend - vstart);
				if (vl > lim->max_header) {
					vl = lim->max_header;
					rc = -1;
				}
				v[n].name = rb_arena_strndup(a, name, namelen);
				v[n].value = rb_squeeze(a, vstart, vl);
				n++;
			}
			name = NULL;
		}
		if (!more)
			break;
		if (blank(line, llen)) {
			if (n > 0)
				break;
			/* blank lines before the block: skip */
			continue;
		}
		/* a field line: name ':' */
		const char *colon = memchr(line, ':', llen);
		if (colon == NULL || colon == line)
			continue;
		bool ok = true;
		for (const char *p = line; p < colon; p++)
			if (*p <= 32 || *p >= 127) {
				ok = false;
				break;
			}
		/* tolerate "Name :" with spaces before the colon */
		if (!ok) {
			const char *e = colon;
			while (e > line && (e[-1] == ' ' || e[-1] == '\t'))
				e--;
			ok = e > line;
			for (const char *p = line; ok && p < e; p++)
				if (*p <= 32 || *p >= 127)
					ok = false;
			if (!ok)
				continue;
			namelen = (size_t)(e - line);
		} else {
			namelen = (size_t)(colon - line);
		}
		name = line;
		vstart = colon + 1;
		vend = line + llen;
		/* the limit counts the value, not the space after the colon */
		while (vstart < vend && (*vstart == ' ' || *vstart == '\t'))
			vstart++;
	}
	out->v = v;
	out->n = n;
	if (consumed)
		*consumed = pos;
	return rc;
}

const char *
rb_fields_get(const struct rb_fields *f, const char *name)
{
	/* the first byte decides most comparisons without a call */
	unsigned char c = ascii_lower((unsigned char)name[0]);
	for (size_t i = 0; i < f->n; i++)
		if (ascii_lower((unsigned char)f->v[i].name[0]) == c &&
		    strcasecmp(f->v[i].name, name) == 0)
			return f->v[i].value;
	return NULL;
}

/* Does hay[0..n) equal needle[0..n) ignoring ASCII case? */
static bool
eq_ci(const char *hay, const char *needle, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (ascii_lower((unsigned char)hay[i]) !=
		    ascii_lower((unsigned char)needle[i]))
			return false;
	return true;
}

/*
 * Candidates are positions where the first two bytes of the needle match
 * (a letter compared with its 0x20 bit set, so both cases match and
 * nothing else does); with SSE2, 16 positions per step.  The rules run
 * dozens of fixed phrases over every bounce text, so this is hot.
 */
const char *
rb_memcasemem(const char *hay, size_t hlen, const char *needle, size_t nlen)
{
	if (nlen == 0)
		return hay;
	if (hlen < nlen)
		return NULL;
	const unsigned char *h = (const unsigned char *)hay;
	unsigned char c0 = ascii_lower((unsigned char)needle[0]);
	if (nlen == 1) {
		for (size_t i = 0; i < hlen; i++)
			if (ascii_lower(h[i]) == c0)
				return hay + i;
		return NULL;
	}
	unsigned char c1 = ascii_lower((unsigned char)needle[1]);
	unsigned char f0 = ascii_alpha(c0) ? 0x20 : 0;
	unsigned char f1 = ascii_alpha(c1) ? 0x20 : 0;
	size_t last = hlen - nlen;	/* last candidate position */
	size_t i = 0;
#ifdef __SSE2__
	const __m128i v0 = _mm_set1_epi8((char)c0), v1 = _mm_set1_epi8((char)c1);
	const __m128i m0 = _mm_set1_epi8((char)f0), m1 = _mm_set1_epi8((char)f1);
	/* loads h[i..i+16]: needs i + 17 <= hlen */
	for (; i + 17 <= hlen && i <= last; i += 16) {
		__m128i b0 = _mm_loadu_si128((const __m128i *)(h + i));
		__m128i b1 = _mm_loadu_si128((const __m128i *)(h + i + 1));
		__m128i eq = _mm_and_si128(
		    _mm_cmpeq_epi8(_mm_or_si128(b0, m0), v0),
		    _mm_cmpeq_epi8(_mm_or_si128(b1, m1), v1));
		unsigned mask = (unsigned)_mm_movemask_epi8(eq);
		while (mask != 0) {
			size_t pos = i + (size_t)__builtin_ctz(mask);
			if (pos > last)
				return NULL;
			if (eq_ci(hay + pos + 2, needle + 2, nlen - 2))
				return hay + pos;
			mask &= mask - 1;
		}
	}
#endif
	for (; i <= last; i++)
		if ((h[i] | f0) == c0 && (h[i + 1] | f1) == c1 &&
		    eq_ci(hay + i + 2, needle + 2, nlen - 2))
			return hay + i;
	return NULL;
}

#ifdef __SSE2__
/* the first-two-byte filter of one needle, as rb_memcasemem uses it */
struct pair {
	unsigned char c0, c1, f0, f1;
};

static struct pair
pair_of(const char *needle)
{
	struct pair p;
	p.c0 = ascii_lower((unsigned char)needle[0]);
	p.c1 = ascii_lower((unsigned char)needle[1]);
	p.f0 = ascii_alpha(p.c0) ? 0x20 : 0;
	p.f1 = ascii_alpha(p.c1) ? 0x20 : 0;
	return p;
}

#endif

#define MAXPAIRS 16

/* Does hay[0..rem) start with needle (to its NUL), ignoring ASCII case? */
static bool
eq_ci_z(const unsigned char *hay, size_t rem, const char *needle)
{
	for (size_t i = 0;; i++) {
		unsigned char c = (unsigned char)needle[i];
		if (c == 0)
			return true;
		if (i >= rem || ascii_lower(hay[i]) != ascii_lower(c))
			return false;
	}
}

/* Try every needle at pos (list order); true when fn stopped. */
static bool
try_at(const unsigned char *h, size_t hlen, size_t pos,
       const char *const *needles, size_t count, rb_casescan_fn fn, void *ctx)
{
	unsigned char a = ascii_lower(h[pos]);
	unsigned char b = pos + 1 < hlen ? ascii_lower(h[pos + 1]) : 0;
	for (size_t k = 0; k < count; k++) {
		const char *nd = needles[k];
		if (ascii_lower((unsigned char)nd[0]) != a || nd[0] == 0)
			continue;
		if (nd[1] != 0 &&
		    (ascii_lower((unsigned char)nd[1]) != b ||
		     !eq_ci_z(h + pos + 2, hlen - pos - 2, nd + 2)))
			continue;
		if (fn(ctx, (const char *)h + pos, k))
			return true;
	}
	return false;
}

const char *
rb_memcasemem_each(const char *hay, size_t hlen, const char *const *needles,
		   size_t count, rb_casescan_fn fn, void *ctx)
{
	const unsigned char *h = (const unsigned char *)hay;
	size_t i = 0;
	if (count == 0 || hlen == 0)
		return NULL;
#ifdef __SSE2__
	struct pair pairs[MAXPAIRS];
	size_t np = 0;
	bool simd = true;
	for (size_t k = 0; k < count && simd; k++) {
		if (needles[k][0] == 0 || needles[k][1] == 0) {
			simd = false;	/* a needle of one byte: no pair */
			break;
		}
		struct pair p = pair_of(needles[k]);
		size_t j;
		for (j = 0; j < np; j++)
			if (pairs[j].c0 == p.c0 && pairs[j].c1 == p.c1)
				break;
		if (j == np) {
			if (np == MAXPAIRS)
				simd = false;
			else
				pairs[np++] = p;
		}
	}
	/* the needles of each pair, in list order: a position matches one
	 * pair at most (pairs are distinct lower-case byte pairs) */
	unsigned char bucket[MAXPAIRS][64];
	size_t nb[MAXPAIRS] = {0};
	if (simd && count > 64)
		simd = false;
	for (size_t k = 0; simd && k < count; k++) {
		struct pair p = pair_of(needles[k]);
		for (size_t j = 0; j < np; j++)
			if (pairs[j].c0 == p.c0 && pairs[j].c1 == p.c1) {
				bucket[j][nb[j]++] = (unsigned char)k;
				break;
			}
	}
	if (simd) {
		__m128i v0[MAXPAIRS], v1[MAXPAIRS], m0[MAXPAIRS], m1[MAXPAIRS];
		for (size_t j = 0; j < np; j++) {
			v0[j] = _mm_set1_epi8((char)pairs[j].c0);
			v1[j] = _mm_set1_epi8((char)pairs[j].c1);
			m0[j] = _mm_set1_epi8((char)pairs[j].f0);
			m1[j] = _mm_set1_epi8((char)pairs[j].f1);
		}
		for (; i + 17 <= hlen; i += 16) {
			__m128i b0 = _mm_loadu_si128((const __m128i *)(h + i));
			__m128i b1 = _mm_loadu_si128((const __m128i *)(h + i + 1));
			__m128i any = _mm_setzero_si128();
			for (size_t j = 0; j < np; j++)
				any = _mm_or_si128(
				    any,
				    _mm_and_si128(
					_mm_cmpeq_epi8(_mm_or_si128(b0, m0[j]),
						       v0[j]),
					_mm_cmpeq_epi8(_mm_or_si128(b1, m1[j]),
						       v1[j])));
			unsigned mask = (unsigned)_mm_movemask_epi8(any);
			while (mask != 0) {
				size_t pos = i + (size_t)__builtin_ctz(mask);
				mask &= mask - 1;
				unsigned char a = ascii_lower(h[pos]);
				unsigned char b = ascii_lower(h[pos + 1]);
				size_t j = 0;
				while (j < np &&
				       (pairs[j].c0 != a || pairs[j].c1 != b))
					j++;
				for (size_t q = 0; j < np && q < nb[j]; q++) {
					size_t k = bucket[j][q];
					if (eq_ci_z(h + pos + 2, hlen - pos - 2,
						    needles[k] + 2) &&
					    fn(ctx, hay + pos, k))
						return hay + pos;
				}
			}
		}
	}
#endif
	for (; i < hlen; i++)
		if (try_at(h, hlen, i, needles, count, fn, ctx))
			return hay + i;
	return NULL;
}

static bool
first_fn(void *ctx, const char *pos, size_t which)
{
	(void)pos;
	*(size_t *)ctx = which;
	return true;
}

const char *
rb_memcasemem_first(const char *hay, size_t hlen, const char *const *needles,
		    size_t count, size_t *which)
{
	size_t w = 0;
	const char *p =
	    rb_memcasemem_each(hay, hlen, needles, count, first_fn, &w);
	if (which)
		*which = w;
	return p;
}

bool
rb_startswith_ci(const char *s, const char *prefix)
{
	return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

char *
rb_trim(char *s)
{
	while (*s && isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

/* isspace() in the C locale (the program never sets another) */
static bool
ascii_space(unsigned char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

/* One byte of rb_squeeze: NULs go, a whitespace run becomes one pending
 * space, written before the next other byte unless at the start.
 * Returns the new output length. */
static inline size_t
squeeze_byte(char *out, size_t o, unsigned char c, bool *sp)
{
	if (c == 0)
		return o;
	if (ascii_space(c)) {
		*sp = true;
		return o;
	}
	if (*sp && o > 0)
		out[o++] = ' ';
	*sp = false;
	out[o++] = (char)c;
	return o;
}

char *
rb_squeeze(struct rb_arena *a, const char *s, size_t n)
{
	char *out = rb_arena_alloc(a, n + 1);
	size_t o = 0, i = 0;
	bool sp = true;	/* whitespace pending (drops leading whitespace) */
#ifdef __SSE2__
	/* 16 bytes at a time while they need no change: no byte below 0x21
	 * but single plain spaces.  o <= i always, so a 16-byte store at o
	 * stays inside the n + 1 bytes. */
	const __m128i sp20 = _mm_set1_epi8(0x20);
	while (i + 16 <= n) {
		__m128i b = _mm_loadu_si128((const __m128i *)(s + i));
		unsigned le = (unsigned)_mm_movemask_epi8(
		    _mm_cmpeq_epi8(_mm_max_epu8(b, sp20), sp20));
		unsigned ms = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(b, sp20));
		if (le != ms || (ms & (ms >> 1)) != 0 ||
		    ((ms & 1) && (sp || o == 0))) {
			/* tabs, line ends, NULs, runs: this block by hand */
			for (size_t end = i + 16; i < end; i++)
				o = squeeze_byte(out, o, (unsigned char)s[i], &sp);
			continue;
		}
		if (sp && o > 0)
			out[o++] = ' ';
		_mm_storeu_si128((__m128i *)(out + o), b);
		o += 16;
		i += 16;
		sp = false;
		if (ms & 0x8000) {
			o--;	/* a final space is pending, like any other */
			sp = true;
		}
	}
#endif
	for (; i < n; i++)
		o = squeeze_byte(out, o, (unsigned char)s[i], &sp);
	out[o] = '\0';
	return out;
}

void
rb_lower(char *s)
{
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

static size_t
utf8_seq(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	size_t len;
	unsigned cp;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/* Length of the run of ASCII bytes at s (8 at a time). */
static size_t
ascii_run(const unsigned char *s, size_t n)
{
	size_t i = 0;
	while (i + 8 <= n) {
		uint64_t w;
		memcpy(&w, s + i, 8);
		if (w & 0x8080808080808080ull)
			break;
		i += 8;
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
		size_t l = utf8_seq(p + i, n - i);
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
	char *out = rb_arena_alloc(a, n * 3 + 1);
	size_t o = 0;
	const unsigned char *p = (const unsigned char *)s;
	for (size_t i = 0; i < n;) {
		if (p[i] == 0) {
			out[o++] = ' ';
			i++;
			continue;
		}
		size_t l = utf8_seq(p + i, n - i);
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
