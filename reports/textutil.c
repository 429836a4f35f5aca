/*
 * textutil: UTF-8 cleaning and display width, number formats.
 */
#include "textutil.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "lib/utf8.h"

/* One code point, an invalid byte as U+FFFD (length 1). */
static size_t
decode(const char *s, size_t n, uint32_t *cp)
{
	size_t l = rb_utf8_decode(s, n, cp);
	if (l == 0) {
		*cp = 0xfffd;
		l = 1;
	}
	return l;
}

struct range {
	unsigned lo, hi;
};

/* East Asian Wide and Fullwidth blocks (Unicode 15, grouped) */
static const struct range wide[] = {
    {0x1100, 0x115f},	{0x231a, 0x231b},   {0x2329, 0x232a},
    {0x23e9, 0x23ec},	{0x23f0, 0x23f0},   {0x23f3, 0x23f3},
    {0x25fd, 0x25fe},	{0x2614, 0x2615},   {0x2648, 0x2653},
    {0x267f, 0x267f},	{0x2693, 0x2693},   {0x26a1, 0x26a1},
    {0x26aa, 0x26ab},	{0x26bd, 0x26be},   {0x26c4, 0x26c5},
    {0x26ce, 0x26ce},	{0x26d4, 0x26d4},   {0x26ea, 0x26ea},
    {0x26f2, 0x26f3},	{0x26f5, 0x26f5},   {0x26fa, 0x26fa},
    {0x26fd, 0x26fd},	{0x2705, 0x2705},   {0x270a, 0x270b},
    {0x2728, 0x2728},	{0x274c, 0x274c},   {0x274e, 0x274e},
    {0x2753, 0x2755},	{0x2757, 0x2757},   {0x2795, 0x2797},
    {0x27b0, 0x27b0},	{0x27bf, 0x27bf},   {0x2b1b, 0x2b1c},
    {0x2b50, 0x2b50},	{0x2b55, 0x2b55},   {0x2e80, 0x303e},
    {0x3041, 0x33ff},	{0x3400, 0x4dbf},   {0x4e00, 0x9fff},
    {0xa000, 0xa4cf},	{0xa960, 0xa97f},   {0xac00, 0xd7a3},
    {0xf900, 0xfaff},	{0xfe10, 0xfe19},   {0xfe30, 0xfe6f},
    {0xff00, 0xff60},	{0xffe0, 0xffe6},   {0x16fe0, 0x16fe4},
    {0x17000, 0x18cff}, {0x1b000, 0x1b2ff}, {0x1f004, 0x1f004},
    {0x1f0cf, 0x1f0cf}, {0x1f18e, 0x1f18e}, {0x1f191, 0x1f19a},
    {0x1f200, 0x1f251}, {0x1f300, 0x1f64f}, {0x1f680, 0x1f6ff},
    {0x1f7e0, 0x1f7eb}, {0x1f90c, 0x1f9ff}, {0x1fa70, 0x1faff},
    {0x20000, 0x2fffd}, {0x30000, 0x3fffd},
};

/* combining marks and other zero-width code points */
static const struct range zero[] = {
    {0x0300, 0x036f}, {0x0483, 0x0489}, {0x0591, 0x05bd}, {0x0610, 0x061a},
    {0x064b, 0x065f}, {0x0e31, 0x0e31}, {0x0e34, 0x0e3a}, {0x0e47, 0x0e4e},
    {0x1ab0, 0x1aff}, {0x1dc0, 0x1dff}, {0x200b, 0x200f}, {0x202a, 0x202e},
    {0x2060, 0x2064}, {0x20d0, 0x20ff}, {0x302a, 0x302d}, {0x3099, 0x309a},
    {0xfe00, 0xfe0f}, {0xfe20, 0xfe2f}, {0xfeff, 0xfeff}, {0xe0100, 0xe01ef},
};

static int
in(const struct range *r, size_t n, unsigned cp)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (cp < r[mid].lo)
			hi = mid;
		else if (cp > r[mid].hi)
			lo = mid + 1;
		else
			return 1;
	}
	return 0;
}

int
rb_u8_cpwidth(unsigned cp)
{
	if (cp < 0x300)
		return 1;
	if (in(zero, sizeof zero / sizeof zero[0], cp))
		return 0;
	if (in(wide, sizeof wide / sizeof wide[0], cp))
		return 2;
	return 1;
}

size_t
rb_u8_width(const char *s)
{
	size_t w = 0, n = strlen(s);
	while (n > 0) {
		uint32_t cp;
		size_t l = decode(s, n, &cp);
		w += (size_t)rb_u8_cpwidth(cp);
		s += l;
		n -= l;
	}
	return w;
}

char *
rb_u8_clean(struct rb_arena *a, const char *s, int oneline, size_t maxwidth)
{
	if (s == NULL)
		s = "";
	size_t n = strlen(s);
	/* every input byte becomes at most 3 output bytes; + "…" + NUL */
	char *out = rb_arena_alloc(a, n * 3 + 8);
	size_t o = 0, w = 0;
	while (n > 0) {
		uint32_t cp;
		size_t l = decode(s, n, &cp);
		bool ws = cp == '\t' || cp == '\r' || cp == '\n';
		if (ws && oneline)
			cp = ' ';
		else if (ws)
			;
		else if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0))
			cp = 0xfffd;
		size_t cw = (size_t)rb_u8_cpwidth(cp);
		if (maxwidth > 0 && w + cw > maxwidth - 1) {
			/* room for the ellipsis only if more follows */
			size_t rest = rb_u8_width(s);
			if (w + rest > maxwidth) {
				o += rb_utf8_encode(0x2026, out + o);
				break;
			}
		}
		o += rb_utf8_encode(cp, out + o);
		w += cw;
		s += l;
		n -= l;
	}
	out[o] = '\0';
	return out;
}

void
rb_csv_field(FILE *out, const char *s)
{
	if (strpbrk(s, ",\"\r\n") == NULL && s[0] != ' ') {
		fputs(s, out);
		return;
	}
	fputc('"', out);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', out);
		fputc(*s, out);
	}
	fputc('"', out);
}

void
rb_html_escape(FILE *out, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		switch (s[i]) {
		case '&':
			fputs("&amp;", out);
			break;
		case '<':
			fputs("&lt;", out);
			break;
		case '>':
			fputs("&gt;", out);
			break;
		case '"':
			fputs("&quot;", out);
			break;
		case '\'':
			fputs("&#39;", out);
			break;
		default:
			fputc(s[i], out);
		}
	}
}

const char *
rb_fmt_count(long long n, char *buf)
{
	char tmp[32];
	int len = snprintf(tmp, sizeof tmp, "%lld", n < 0 ? -n : n);
	size_t o = 0;
	if (n < 0)
		buf[o++] = '-';
	for (int i = 0; i < len; i++) {
		if (i > 0 && (len - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = tmp[i];
	}
	buf[o] = '\0';
	return buf;
}

const char *
rb_fmt_rate(double rate, char *buf)
{
	if (rate < 0)
		snprintf(buf, 32, "-");
	else
		snprintf(buf, 32, "%.3f%%", rate * 100.0);
	return buf;
}
