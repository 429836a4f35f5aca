#include "charset.h"

#include <errno.h>
#include <glib.h>
#include <iconv.h>
#include <string.h>
#include <strings.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "text.h"

static const struct {
	const char *label;	/* lower-case */
	const char *iconv;
} table[] = {
    {"gb2312", "GB18030"},	    {"gbk", "GB18030"},
    {"x-gbk", "GB18030"},	    {"cp936", "GB18030"},
    {"ms936", "GB18030"},	    {"windows-936", "GB18030"},
    {"euc-cn", "GB18030"},	    {"x-euc-cn", "GB18030"},
    {"csgb2312", "GB18030"},	    {"gb_2312-80", "GB18030"},
    {"gb_2312", "GB18030"},	    {"chinese", "GB18030"},
    {"iso-ir-58", "GB18030"},	    {"csiso58gb231280", "GB18030"},
    {"gb18030", "GB18030"},	    {"utf-7", "UTF-7"},
    {"unicode-1-1-utf-7", "UTF-7"}, {"unicode-2-0-utf-7", "UTF-7"},
    {"x-unicode-1-1-utf-7", "UTF-7"}, {"x-unicode-2-0-utf-7", "UTF-7"},
    {"csunicode11utf7", "UTF-7"},
};

const char *
rb_charset_override(const char *label)
{
	if (label == NULL)
		return NULL;
	while (*label == ' ' || *label == '"')
		label++;
	size_t n = strcspn(label, "\" ;");
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (strlen(table[i].label) == n &&
		    strncasecmp(label, table[i].label, n) == 0)
			return table[i].iconv;
	return NULL;
}

/*
 * Charsets that map the bytes 0x00-0x7f to the same code points, but for
 * the shifts of ISO 2022 (ESC, SO, SI), so that a text of such bytes only
 * converts to itself (checked against glibc's iconv for each: not so for
 * Shift_JIS, whose 0x5c and 0x7e are other characters, nor for HZ or
 * ISO-2022-CN).  Most text parts labelled other than UTF-8 are such
 * text, and iconv_open + iconv cost more than the rest of their reading.
 */
static bool
ascii_compatible(const char *cs)
{
	static const char *const prefix[] = {
	    "iso-8859-", "iso8859-", "cp125", "windows-125", "iso-2022-jp",
	    NULL};
	static const char *const name[] = {
	    "utf-8", "koi8-r", "koi8-u", "euc-jp", "euc-kr", "gb18030",
	    "big5", NULL};
	for (size_t i = 0; prefix[i]; i++)
		if (strncasecmp(cs, prefix[i], strlen(prefix[i])) == 0)
			return true;
	for (size_t i = 0; name[i]; i++)
		if (strcasecmp(cs, name[i]) == 0)
			return true;
	return false;
}

/* bytes 0x00-0x7f only, none of them ESC, SO or SI */
static bool
plain_ascii(const char *in, size_t n)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t i = 0;
#ifdef __SSE2__
	const __m128i esc = _mm_set1_epi8(0x1b), so = _mm_set1_epi8(0x0e),
		      lowbit = _mm_set1_epi8((char)0xfe);
	for (; i + 16 <= n; i += 16) {
		__m128i b = _mm_loadu_si128((const __m128i *)(s + i));
		__m128i bad = _mm_or_si128(
		    _mm_cmpeq_epi8(b, esc),
		    _mm_cmpeq_epi8(_mm_and_si128(b, lowbit), so));
		if (_mm_movemask_epi8(_mm_or_si128(b, bad)) != 0)
			return false;
	}
#endif
	for (; i < n; i++)
		if (s[i] >= 0x80 || s[i] == 0x1b || s[i] == 0x0e ||
		    s[i] == 0x0f)
			return false;
	return true;
}

char *
rb_charset_convert(struct rb_arena *a, const char *from, const char *in,
		   size_t n, bool replace, size_t *olen)
{
	if (ascii_compatible(from) && plain_ascii(in, n)) {
		/* what iconv would give back: the same bytes */
		char *s = rb_utf8_sanitize(a, in, n);
		*olen = strlen(s);
		return s;
	}
	iconv_t cd = iconv_open("UTF-8", from);
	if (cd == (iconv_t)-1)
		return NULL;
	/* no input byte becomes more than 4 bytes of UTF-8 (UTF-16 surrogate
	 * pairs: 4 in, 4 out; U+FFFD is 3 bytes for 1 bad byte; ISO-2022
	 * escapes produce nothing) */
	size_t cap = n * 4 + 16;
	char *out = rb_arena_alloc_raw(a, cap + 1);
	char *ip = (char *)in, *op = out;
	size_t il = n, ol = cap;
	while (il > 0) {
		if (iconv(cd, &ip, &il, &op, &ol) != (size_t)-1)
			break;
		if (errno == E2BIG || ol < 3)
			break;	/* cannot happen with cap; be safe */
		/* EILSEQ, or EINVAL at a truncated end: one byte goes */
		if (replace) {
			memcpy(op, "\xef\xbf\xbd", 3);
			op += 3;
			ol -= 3;
			iconv(cd, NULL, NULL, NULL, NULL);	/* reset shift state */
		}
		ip++;
		il--;
	}
	if (ol >= 8)
		iconv(cd, NULL, NULL, &op, &ol);	/* flush (UTF-7, ISO-2022) */
	iconv_close(cd);
	*op = '\0';
	/* iconv output is UTF-8 already; sanitise anyway (NULs) */
	char *s = rb_utf8_sanitize(a, out, (size_t)(op - out));
	*olen = strlen(s);
	return s;
}

char *
rb_charset_decode(struct rb_arena *a, const char *from, const char *in,
		  size_t n, size_t *olen)
{
	char *s = rb_charset_convert(a, from, in, n, true, olen);
	if (s == NULL) {
		s = rb_utf8_sanitize(a, in, n);
		*olen = strlen(s);
	}
	return s;
}

static int
b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* One RFC 2047 encoded word at s ("=?charset?B|Q?text?="): fills its
 * parts and returns its length, or 0. */
struct eword {
	const char *cs, *text;
	size_t cs_len, text_len;
	char enc;
};

static size_t
eword_at(const char *s, struct eword *w)
{
	if (s[0] != '=' || s[1] != '?')
		return 0;
	const char *cs = s + 2, *q = memchr(cs, '?', strnlen(cs, 65));
	if (q == NULL || q == cs || strchr("BbQq", q[1]) == NULL ||
	    q[1] == '\0' || q[2] != '?')
		return 0;
	/* a word is at most 75 characters (RFC 2047 2); looser mailers
	 * write longer ones, but never 4 KB: the bound keeps a hostile
	 * value of many "=?" and no "?=" linear */
	const char *text = q + 3;
	const char *end = memmem(text, strnlen(text, 4096), "?=", 2);
	if (end == NULL)
		return 0;
	for (const char *t = text; t < end; t++)
		if (*t == ' ' || *t == '\t' || *t == '?')
			return 0;
	w->cs = cs;
	w->cs_len = (size_t)(q - cs);
	w->enc = (char)(q[1] | 0x20);
	w->text = text;
	w->text_len = (size_t)(end - text);
	return (size_t)(end + 2 - s);
}

/*
 * Adjacent encoded words of one charset and encoding joined into one.
 * RFC 2047 wants each word to hold whole characters, but many mailers
 * split a multibyte character (GB2312, UTF-8, Shift_JIS) across two
 * words, and a decoder that takes each word alone then loses the text
 * from the split on.  B words are decoded, joined and encoded again; Q
 * words, byte-wise already, are joined as they are.  Returns v itself
 * when there is nothing to join.
 */
char *
rb_charset_join_words(struct rb_arena *a, char *v)
{
	const char *first = strstr(v, "=?");
	if (first == NULL || strstr(first + 2, "=?") == NULL)
		return v;	/* fewer than two words */
	GString *out = g_string_sized_new(strlen(v) + 8);
	const char *s = v;
	while (*s) {
		struct eword w;
		size_t l = eword_at(s, &w);
		if (l == 0) {
			g_string_append_c(out, *s++);
			continue;
		}
		/* w and the words of its charset and encoding right after
		 * it, separated by blanks only (which RFC 2047 drops) */
		GByteArray *bytes = g_byte_array_new();
		GString *q = g_string_new(NULL);
		const char *e = s;
		size_t nw = 0;
		for (;;) {
			const char *t = e;
			while (nw && (*t == ' ' || *t == '\t' || *t == '\r' ||
				      *t == '\n'))
				t++;
			struct eword x;
			size_t xl = eword_at(t, &x);
			if (xl == 0 || x.enc != w.enc || x.cs_len != w.cs_len ||
			    strncasecmp(x.cs, w.cs, w.cs_len) != 0)
				break;
			if (w.enc == 'b') {
				char *b64 = g_strndup(x.text, x.text_len);
				gsize bl = 0;
				guchar *raw = g_base64_decode(b64, &bl);
				g_byte_array_append(bytes, raw, (guint)bl);
				g_free(raw);
				g_free(b64);
			} else {
				g_string_append_len(q, x.text,
						    (gssize)x.text_len);
			}
			e = t + xl;
			nw++;
		}
		if (nw == 1) {
			g_string_append_len(out, s, (gssize)l);
		} else {
			gchar *text = w.enc == 'b'
					  ? g_base64_encode(bytes->data,
							    bytes->len)
					  : g_strdup(q->str);
			g_string_append_printf(out, "=?%.*s?%c?%s?=",
					       (int)w.cs_len, w.cs,
					       w.enc == 'b' ? 'B' : 'Q', text);
			g_free(text);
		}
		g_byte_array_free(bytes, TRUE);
		g_string_free(q, TRUE);
		s = e;
	}
	char *r = rb_arena_alloc(a, out->len + 1);
	memcpy(r, out->str, out->len + 1);
	g_string_free(out, TRUE);
	return r;
}

/* Decode the payload of one encoded word into out; returns bytes. */
static size_t
word_bytes(char enc, const char *p, size_t n, char *out)
{
	size_t k = 0;
	if (enc == 'b' || enc == 'B') {
		unsigned acc = 0;
		int bits = 0;
		for (size_t i = 0; i < n; i++) {
			int v = b64val((unsigned char)p[i]);
			if (v < 0)
				continue;	/* '=' padding, stray bytes */
			acc = (acc << 6) | (unsigned)v;
			bits += 6;
			if (bits >= 8) {
				bits -= 8;
				out[k++] = (char)((acc >> bits) & 0xff);
			}
		}
		return k;
	}
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '_') {
			out[k++] = ' ';
		} else if (p[i] == '=' && i + 2 < n &&
			   hexval((unsigned char)p[i + 1]) >= 0 &&
			   hexval((unsigned char)p[i + 2]) >= 0) {
			out[k++] = (char)(hexval((unsigned char)p[i + 1]) * 16 +
					  hexval((unsigned char)p[i + 2]));
			i += 2;
		} else {
			out[k++] = p[i];
		}
	}
	return k;
}

char *
rb_charset_header_decode(struct rb_arena *a, const char *raw)
{
	if (raw == NULL || strstr(raw, "=?") == NULL)
		return NULL;
	raw = rb_charset_join_words(a, (char *)raw);
	size_t n = strlen(raw);
	/* output: decoded text of words plus the literal text between */
	char *res = rb_arena_alloc_raw(a, n * 3 + 1);
	size_t rk = 0;
	bool claimed = false;
	const char *p = raw, *end = raw + n;
	const char *last_word_end = NULL;
	while (p < end) {
		const char *w = strstr(p, "=?");
		if (w == NULL)
			w = end;
		/* literal text before the word, dropped when it is only
		 * whitespace between two encoded words (RFC 2047 6.2) */
		const char *lit = p;
		size_t ll = (size_t)(w - p);
		bool only_ws = true;
		for (size_t i = 0; i < ll; i++)
			if (lit[i] != ' ' && lit[i] != '\t' && lit[i] != '\r' &&
			    lit[i] != '\n')
				only_ws = false;
		if (w == end) {
			memcpy(res + rk, lit, ll);
			rk += ll;
			break;
		}
		/* =?charset?enc?payload?= */
		const char *cs = w + 2;
		/* bounded like eword_at: a charset name within 64 bytes,
		 * a payload within 4 KB, so many "=?" stay linear */
		size_t span = (size_t)(end - cs);
		const char *q1 = memchr(cs, '?', span < 65 ? span : 65);
		const char *q2 = q1 && q1 + 2 < end && q1[2] == '?' ? q1 + 2 : NULL;
		const char *fin =
		    q2 ? memmem(q2 + 1, strnlen(q2 + 1, 4096), "?=", 2) : NULL;
		if (fin == NULL) {
			memcpy(res + rk, lit, ll + 2);
			rk += ll + 2;
			p = w + 2;
			continue;
		}
		if (!(only_ws && last_word_end == p)) {
			memcpy(res + rk, lit, ll);
			rk += ll;
		}
		char label[64];
		size_t cl = (size_t)(q1 - cs);
		if (cl >= sizeof(label))
			cl = sizeof(label) - 1;
		memcpy(label, cs, cl);
		label[cl] = '\0';
		char *star = strchr(label, '*');	/* RFC 2231 language */
		if (star)
			*star = '\0';
		const char *from = rb_charset_override(label);
		const char *pl = q2 + 1;
		size_t pn = (size_t)(fin - pl);
		char *bytes = rb_arena_alloc(a, pn + 1);
		size_t bn = word_bytes(q1[1], pl, pn, bytes);
		size_t dl;
		char *d;
		if (from != NULL) {
			claimed = true;
			d = rb_charset_decode(a, from, bytes, bn, &dl);
		} else {
			/* another charset in the same header */
			d = rb_charset_decode(a, label, bytes, bn, &dl);
		}
		if (rk + dl > n * 3)
			dl = n * 3 - rk;
		memcpy(res + rk, d, dl);
		rk += dl;
		p = fin + 2;
		last_word_end = p;
	}
	res[rk] = '\0';
	if (!claimed)
		return NULL;
	char *u = rb_utf8_sanitize(a, res, rk);
	return rb_squeeze(a, u, strlen(u));
}
