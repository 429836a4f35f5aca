#include "text.h"

#include <ctype.h>
#include <stdint.h>
#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define RB_AVX2 1	/* 32-byte scans where the CPU has AVX2 (run time) */
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
				v = rb_arena_grow(a, v, n, &cap, sizeof(*v), 16);
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
#ifdef RB_AVX2
/* rb_memcasemem's 32-byte blocks from *ip while a whole block fits (nlen
 * >= 2); *ip is left at the first position not scanned. */
__attribute__((target("avx2"))) static const char *
casemem_avx2(const char *hay, size_t hlen, const char *needle, size_t nlen,
	     size_t *ip)
{
	const unsigned char *h = (const unsigned char *)hay;
	unsigned char c0 = ascii_lower((unsigned char)needle[0]);
	unsigned char c1 = ascii_lower((unsigned char)needle[1]);
	const __m256i v0 = _mm256_set1_epi8((char)c0);
	const __m256i v1 = _mm256_set1_epi8((char)c1);
	const __m256i m0 = _mm256_set1_epi8((char)(ascii_alpha(c0) ? 0x20 : 0));
	const __m256i m1 = _mm256_set1_epi8((char)(ascii_alpha(c1) ? 0x20 : 0));
	size_t last = hlen - nlen, i = *ip;
	/* loads h[i..i+32]: needs i + 33 <= hlen */
	for (; i + 33 <= hlen && i <= last; i += 32) {
		__m256i b0 = _mm256_loadu_si256((const __m256i *)(h + i));
		__m256i b1 = _mm256_loadu_si256((const __m256i *)(h + i + 1));
		__m256i eq = _mm256_and_si256(
		    _mm256_cmpeq_epi8(_mm256_or_si256(b0, m0), v0),
		    _mm256_cmpeq_epi8(_mm256_or_si256(b1, m1), v1));
		uint32_t mask = (uint32_t)_mm256_movemask_epi8(eq);
		while (mask != 0) {
			size_t pos = i + (size_t)__builtin_ctz(mask);
			if (pos > last) {
				*ip = pos;
				return NULL;
			}
			if (eq_ci(hay + pos + 2, needle + 2, nlen - 2)) {
				*ip = pos;
				return hay + pos;
			}
			mask &= mask - 1;
		}
	}
	*ip = i;
	return NULL;
}
#endif

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
#ifdef RB_AVX2
	if (hlen >= 64 && __builtin_cpu_supports("avx2")) {
		const char *p = casemem_avx2(hay, hlen, needle, nlen, &i);
		if (p != NULL || i > last)
			return p;
	}
#endif
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

/*
 * The scan keys every needle by its first L bytes (L = 3, or 2 when a
 * needle is that short), lower-cased: one SIMD pass over the
 * (lower-cased) text marks the positions where one of those keys starts,
 * and only there are the needles of that key compared in full.  Three
 * bytes, not two: common pairs ("th", "or", "--") would send most
 * positions of a text to the full comparison.
 */
struct scan {
	size_t np, L;
	uint32_t key[MAXPAIRS];		/* lower(c0) | lower(c1) << 8 ... */
	uint64_t needles[MAXPAIRS];	/* needles of key j: bit k for
					 * needle k (list order = bit order) */
};

/* The keys of the first *used needles (as many as one pass takes: at
 * most 64 needles of at most MAXPAIRS keys); false: a needle shorter
 * than two bytes.  Keys are found again through a small open-addressed
 * table: lists of dozens of phrases are set up for every short text. */
#define KEYSLOTS 64
static bool
scan_init_prefix(struct scan *sc, const char *const *needles, size_t count,
		 size_t *used)
{
	unsigned char slot[KEYSLOTS];	/* key index + 1, 0: free */
	size_t L = 3;
	if (count > 64)
		count = 64;
restart:
	memset(slot, 0, sizeof(slot));
	sc->np = 0;
	sc->L = L;
	*used = 0;
	size_t k = 0;
	const uint32_t keep = L == 3 ? 0xffffff : 0xffff;
	for (; k < count; k++) {
		const unsigned char *nd = (const unsigned char *)needles[k];
		uint32_t c0 = nd[0], c1 = c0 ? nd[1] : 0;
		if (c1 == 0)
			return false;
		uint32_t c2 = nd[2];
		if (L == 3 && c2 == 0) {
			L = 2;	/* a two-byte needle: two-byte keys */
			goto restart;
		}
		/* the three bytes lower-cased at once: 0x20 added to those
		 * in 'A'..'Z' (all below 0x80 here: no carry between) */
		uint32_t key = (c0 | c1 << 8 | c2 << 16) & keep;
		uint32_t low7 = key & 0x7f7f7f;
		uint32_t upper = ((low7 + 0x3f3f3f) ^ (low7 + 0x252525)) &
				 ~key & 0x808080;
		key |= upper >> 2;
		unsigned h = (key * 2654435761u) >> 26;
		size_t j;
		for (;;) {
			unsigned e = slot[h];
			if (e == 0) {
				j = sc->np;
				break;
			}
			if (sc->key[e - 1] == key) {
				j = e - 1;
				break;
			}
			h = (h + 1) & (KEYSLOTS - 1);
		}
		if (j == sc->np) {
			if (j == MAXPAIRS)
				break;
			sc->key[j] = key;
			sc->needles[j] = 0;
			sc->np++;
			slot[h] = (unsigned char)(j + 1);
		}
		sc->needles[j] |= (uint64_t)1 << k;
	}
	*used = k;
	return true;
}

/* false: a needle shorter than two bytes, or too many keys/needles */
static bool
scan_init(struct scan *sc, const char *const *needles, size_t count)
{
	size_t used;
	return scan_init_prefix(sc, needles, count, &used) && used == count;
}

/* The needles of the key at h[pos] (pos + L <= hlen), in list order. */
static bool
scan_at(const struct scan *sc, const unsigned char *h, size_t hlen,
	size_t pos, const char *const *needles, rb_casescan_fn fn, void *ctx)
{
	uint32_t key = 0;
	for (size_t b = 0; b < sc->L; b++)
		key |= (uint32_t)ascii_lower(h[pos + b]) << (8 * b);
	size_t j = 0;
	while (j < sc->np && sc->key[j] != key)
		j++;
	if (j == sc->np)
		return false;
	for (uint64_t m = sc->needles[j]; m != 0; m &= m - 1) {
		size_t k = (size_t)__builtin_ctzll(m);
		if (eq_ci_z(h + pos + sc->L, hlen - pos - sc->L,
			    needles[k] + sc->L) &&
		    fn(ctx, (const char *)h + pos, k))
			return true;
	}
	return false;
}

#ifdef __SSE2__
/* 16 bytes at p, ASCII lower-cased */
static inline __m128i
lower16(const unsigned char *p)
{
	__m128i b = _mm_loadu_si128((const __m128i *)p);
	/* 'A'..'Z' -> -128..-103 (signed), all else above */
	__m128i t = _mm_add_epi8(b, _mm_set1_epi8((char)(0x80 - 'A')));
	__m128i up = _mm_cmplt_epi8(t, _mm_set1_epi8((char)(0x80 + 26)));
	return _mm_or_si128(b, _mm_and_si128(up, _mm_set1_epi8(0x20)));
}

/* Bit p of the result: a key may start at h[at + p] (needs
 * at + L - 1 + 16 <= hlen). */
static inline unsigned
scan_block(const struct scan *sc, const unsigned char *h, size_t at,
	   const __m128i (*v)[3])
{
	__m128i l0 = lower16(h + at), l1 = lower16(h + at + 1);
	__m128i any = _mm_setzero_si128();
	if (sc->L == 3) {
		__m128i l2 = lower16(h + at + 2);
		for (size_t j = 0; j < sc->np; j++)
			any = _mm_or_si128(
			    any, _mm_and_si128(
				     _mm_and_si128(_mm_cmpeq_epi8(l0, v[j][0]),
						   _mm_cmpeq_epi8(l1, v[j][1])),
				     _mm_cmpeq_epi8(l2, v[j][2])));
	} else {
		for (size_t j = 0; j < sc->np; j++)
			any = _mm_or_si128(
			    any, _mm_and_si128(_mm_cmpeq_epi8(l0, v[j][0]),
					       _mm_cmpeq_epi8(l1, v[j][1])));
	}
	return (unsigned)_mm_movemask_epi8(any);
}
#endif

#ifdef RB_AVX2
__attribute__((target("avx2"))) static inline __m256i
lower32(const unsigned char *p)
{
	__m256i b = _mm256_loadu_si256((const __m256i *)p);
	__m256i t = _mm256_add_epi8(b, _mm256_set1_epi8((char)(0x80 - 'A')));
	__m256i up = _mm256_cmpgt_epi8(_mm256_set1_epi8((char)(0x80 + 26)), t);
	return _mm256_or_si256(b, _mm256_and_si256(up, _mm256_set1_epi8(0x20)));
}

/* The 32-byte blocks of rb_memcasemem_each from *ip while a whole block
 * fits; *ip is left at the first position not scanned.  Returns the
 * position fn stopped at, or NULL. */
__attribute__((target("avx2"))) static const char *
scan_avx2(const struct scan *sc, const unsigned char *h, size_t hlen,
	  size_t *ip, const char *const *needles, rb_casescan_fn fn, void *ctx)
{
	const size_t L = sc->L, span = 31 + L;
	__m256i v[MAXPAIRS][3];
	for (size_t j = 0; j < sc->np; j++)
		for (size_t b = 0; b < 3; b++)
			v[j][b] = _mm256_set1_epi8(
			    (char)((sc->key[j] >> (8 * b)) & 0xff));
	size_t i = *ip;
	for (; i + span <= hlen; i += 32) {
		__m256i l0 = lower32(h + i), l1 = lower32(h + i + 1);
		__m256i any = _mm256_setzero_si256();
		if (L == 3) {
			__m256i l2 = lower32(h + i + 2);
			for (size_t j = 0; j < sc->np; j++)
				any = _mm256_or_si256(
				    any,
				    _mm256_and_si256(
					_mm256_and_si256(
					    _mm256_cmpeq_epi8(l0, v[j][0]),
					    _mm256_cmpeq_epi8(l1, v[j][1])),
					_mm256_cmpeq_epi8(l2, v[j][2])));
		} else {
			for (size_t j = 0; j < sc->np; j++)
				any = _mm256_or_si256(
				    any,
				    _mm256_and_si256(_mm256_cmpeq_epi8(l0, v[j][0]),
						     _mm256_cmpeq_epi8(l1, v[j][1])));
		}
		uint32_t mask = (uint32_t)_mm256_movemask_epi8(any);
		while (mask != 0) {
			size_t pos = i + (size_t)__builtin_ctz(mask);
			mask &= mask - 1;
			if (scan_at(sc, h, hlen, pos, needles, fn, ctx)) {
				*ip = pos;
				return (const char *)h + pos;
			}
		}
	}
	*ip = i;
	return NULL;
}
#endif

/*
 * Lists too large for the SIMD keys (more than MAXPAIRS distinct keys,
 * more than 64 needles, or a needle of one byte): the needles hashed by
 * their first L bytes (L = the shortest needle, at most 3), lower-cased,
 * into chains in list order; a position of the text is looked up by the
 * hash of its own first L bytes, and only that chain's needles are
 * compared.  Same order of calls as trying every needle at every
 * position: by position, then list order.
 */
#define MANY_BITS 10
#define MANY_MAX 255	/* needles: chain links are bytes */

static const char *
scan_many(const unsigned char *h, size_t hlen, const char *const *needles,
	  size_t count, rb_casescan_fn fn, void *ctx)
{
	unsigned char head[1u << MANY_BITS];	/* needle + 1, 0: none */
	unsigned char next[MANY_MAX];
	size_t L = 3;
	for (size_t k = 0; k < count; k++) {
		size_t n = 0;
		while (n < L && needles[k][n])
			n++;
		if (n > 0 && n < L)
			L = n;
	}
	memset(head, 0, sizeof(head));
	/* pushed in reverse so each chain is in list order */
	for (size_t k = count; k-- > 0;) {
		const unsigned char *nd = (const unsigned char *)needles[k];
		if (nd[0] == 0)
			continue;	/* an empty needle matches nowhere */
		uint32_t key = 0;
		for (size_t b = 0; b < L; b++)
			key |= (uint32_t)ascii_lower(nd[b]) << (8 * b);
		uint32_t hh = (key * 2654435761u) >> (32 - MANY_BITS);
		next[k] = head[hh];
		head[hh] = (unsigned char)(k + 1);
	}
	/* the key of position i rolls: its first byte out, byte i + L - 1
	 * in at the top */
	const unsigned top = 8 * ((unsigned)L - 1);
	uint32_t key = 0;
	for (size_t b = 0; b + 1 < L && b < hlen; b++)
		key |= (uint32_t)ascii_lower(h[b]) << (8 * (b + 1));
	for (size_t i = 0; i + L <= hlen; i++) {
		key = (key >> 8) | (uint32_t)ascii_lower(h[i + L - 1]) << top;
		for (unsigned e = head[(key * 2654435761u) >> (32 - MANY_BITS)];
		     e != 0; e = next[e - 1])
			if (eq_ci_z(h + i, hlen - i, needles[e - 1]) &&
			    fn(ctx, (const char *)h + i, e - 1))
				return (const char *)h + i;
	}
	return NULL;
}

static const char *scan_run(const struct scan *scp, const unsigned char *h,
			    size_t hlen, const char *const *needles,
			    rb_casescan_fn fn, void *ctx);

const char *
rb_memcasemem_each(const char *hay, size_t hlen, const char *const *needles,
		   size_t count, rb_casescan_fn fn, void *ctx)
{
	const unsigned char *h = (const unsigned char *)hay;
	size_t i = 0;
	if (count == 0 || hlen == 0)
		return NULL;
	struct scan sc;
	if (!scan_init(&sc, needles, count)) {
		if (count <= MANY_MAX)
			return scan_many(h, hlen, needles, count, fn, ctx);
		for (; i < hlen; i++)
			if (try_at(h, hlen, i, needles, count, fn, ctx))
				return hay + i;
		return NULL;
	}
	return scan_run(&sc, h, hlen, needles, fn, ctx);
}

/* One SIMD pass of the needles keyed in sc over h. */
static const char *
scan_run(const struct scan *scp, const unsigned char *h, size_t hlen,
	 const char *const *needles, rb_casescan_fn fn, void *ctx)
{
	const char *hay = (const char *)h;
	size_t i = 0;
	const size_t L = scp->L;
#ifdef RB_AVX2
	if (hlen >= 64 && __builtin_cpu_supports("avx2")) {
		const char *p = scan_avx2(scp, h, hlen, &i, needles, fn, ctx);
		if (p != NULL)
			return p;
	}
#endif
#ifdef __SSE2__
	const size_t span = 15 + L;	/* bytes one block reads */
	if (hlen >= span) {
		__m128i v[MAXPAIRS][3];
		for (size_t j = 0; j < scp->np; j++)
			for (size_t b = 0; b < 3; b++)
				v[j][b] = _mm_set1_epi8(
				    (char)((scp->key[j] >> (8 * b)) & 0xff));
		for (;;) {
			/* the last block overlaps the one before: positions
			 * before i are masked off */
			size_t at = i + span <= hlen ? i : hlen - span;
			unsigned mask = scan_block(scp, h, at, v);
			mask &= ~0u << (i - at);
			while (mask != 0) {
				size_t pos = at + (size_t)__builtin_ctz(mask);
				mask &= mask - 1;
				if (scan_at(scp, h, hlen, pos, needles, fn, ctx))
					return hay + pos;
			}
			if (at + span >= hlen)
				return NULL;	/* no key fits after it */
			i = at + 16;
		}
	}
#endif
	for (; i + L <= hlen; i++)
		if (scan_at(scp, h, hlen, i, needles, fn, ctx))
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
rb_memcasemem_any(const char *hay, size_t hlen, const char *const *needles,
		  size_t count)
{
	/* as many needles a pass as its keys take: a pass costs about the
	 * same for one key as for MAXPAIRS */
	const unsigned char *h = (const unsigned char *)hay;
	size_t w;
	while (count > 0 && hlen > 0) {
		struct scan sc;
		size_t used;
		if (!scan_init_prefix(&sc, needles, count, &used) || used == 0)
			return rb_memcasemem_first(hay, hlen, needles, count,
						   NULL) != NULL;
		if (scan_run(&sc, h, hlen, needles, first_fn, &w) != NULL)
			return true;
		needles += used;
		count -= used;
	}
	return false;
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

#ifdef __SSE2__
/* rb_squeeze over the 16 bytes at b: the runs between blanks and NULs
 * are copied as they are.  Returns the new output length. */
static inline size_t
squeeze_block(char *out, size_t o, const unsigned char *b16, bool *sp)
{
	__m128i b = _mm_loadu_si128((const __m128i *)b16);
	__m128i t = _mm_sub_epi8(b, _mm_set1_epi8('\t'));
	__m128i sm = _mm_or_si128(
	    _mm_cmpeq_epi8(_mm_min_epu8(t, _mm_set1_epi8(4)), t),
	    _mm_or_si128(_mm_cmpeq_epi8(b, _mm_set1_epi8(' ')),
			 _mm_cmpeq_epi8(b, _mm_setzero_si128())));
	unsigned spec = (unsigned)_mm_movemask_epi8(sm);
	size_t pos = 0;
	while (pos < 16) {
		unsigned rest = spec >> pos;
		size_t k = rest ? pos + (size_t)__builtin_ctz(rest) : 16;
		if (k > pos) {
			if (*sp && o > 0)
				out[o++] = ' ';
			*sp = false;
			for (size_t q = pos; q < k; q++)
				out[o++] = (char)b16[q];
		}
		if (k == 16)
			break;
		if (b16[k] != 0)
			*sp = true;	/* a blank; NULs just go */
		pos = k + 1;
	}
	return o;
}
#endif

char *
rb_squeeze(struct rb_arena *a, const char *s, size_t n)
{
	char *out = rb_arena_alloc_raw(a, n + 1);
	size_t o = 0, i = 0;
	bool sp = true;	/* whitespace pending (drops leading whitespace) */
	/* leading blanks and NULs go (header values start with one): the
	 * first block can then take the fast path */
	while (i < n && (s[i] == 0 || ascii_space((unsigned char)s[i])))
		i++;
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
			/* tabs, line ends, NULs, runs: by hand */
			o = squeeze_block(out, o, (const unsigned char *)s + i,
					  &sp);
			i += 16;
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
rb_lower_n(char *dst, const char *src, size_t n)
{
	size_t i = 0;
#ifdef __SSE2__
	for (; i + 16 <= n; i += 16)
		_mm_storeu_si128((__m128i *)(dst + i),
				 lower16((const unsigned char *)src + i));
#endif
	for (; i < n; i++)
		dst[i] = (char)ascii_lower((unsigned char)src[i]);
}

void
rb_lower(char *s)
{
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}
