/* text: field blocks (folding, blank lines, limits) and byte helpers. */
#include <ctype.h>
#include <stdlib.h>

#include "parsers/text.h"
#include "parsers/textline.h"
#include "t.h"

static const struct rb_limits deflim = RB_LIMITS_DEFAULT;

/* a block in, the fields out as "name=value|name=value", consumed bytes */
static const struct {
	const char *in;
	const char *want;
	long consumed;	/* -1: do not check */
} blocks[] = {
    {"A: 1\nB: 2\n", "A=1|B=2", 10},
    {"A: 1\n\nB: 2\n", "A=1", 6},
    {"\n\n  \nA: 1\n", "A=1", 10},	/* blank lines before the block */
    {"A: one\n two\n\tthree\nB: x\n", "A=one two three|B=x", -1},
    {"A: one\r\n two\r\nB: x\r\n\r\nC: y\r\n", "A=one two|B=x", 22},
    {"Name : spaced\n", "Name=spaced", -1},	/* space before colon */
    {"not a field\nA: 1\n", "A=1", -1},	/* garbage line skipped */
    {": no name\nA: 1\n", "A=1", -1},
    {"A:\nB:   \n", "A=|B=", -1},	/* empty values */
    {"A: 1\n \nB: 2\n", "A=1", -1},	/* whitespace-only line ends a block */
    {" leading continuation\nA: 1\n", "A=1", -1},
    {"A: x: y: z\n", "A=x: y: z", -1},
    {"Diagnostic-Code: smtp; 550 5.1.1\n    user unknown", 
     "Diagnostic-Code=smtp; 550 5.1.1 user unknown", -1},	/* no final LF */
    {"", "", 0},
    {"\n", "", 1},
    {"A\xff: 1\nB: 2\n", "B=2", -1},	/* 8-bit field name refused */
};

static const char *
join(struct rb_arena *a, const struct rb_fields *f)
{
	size_t cap = 1;
	for (size_t i = 0; i < f->n; i++)
		cap += strlen(f->v[i].name) + strlen(f->v[i].value) + 2;
	char *s = rb_arena_alloc(a, cap);
	for (size_t i = 0; i < f->n; i++) {
		if (i)
			strcat(s, "|");
		strcat(s, f->v[i].name);
		strcat(s, "=");
		strcat(s, f->v[i].value);
	}
	return s;
}

static void
test_blocks(void)
{
	for (size_t i = 0; i < sizeof(blocks) / sizeof(blocks[0]); i++) {
		struct rb_arena a;
		struct rb_fields f;
		size_t used = 0;
		rb_arena_init(&a);
		int rc = rb_fields_parse(&a, blocks[i].in, strlen(blocks[i].in),
					 &deflim, &f, &used);
		T_OK(rc == 0, "fields block %zu parses", i);
		T_STR(join(&a, &f), blocks[i].want, "fields block %zu content", i);
		if (blocks[i].consumed >= 0)
			T_OK((long)used == blocks[i].consumed,
			     "fields block %zu consumed %zu (want %ld)", i, used,
			     blocks[i].consumed);
		rb_arena_free(&a);
	}
}

static void
test_field_limits(void)
{
	struct rb_arena a;
	struct rb_fields f;
	struct rb_limits lim = RB_LIMITS_DEFAULT;
	rb_arena_init(&a);

	/* header count: at the limit passes, one more fails */
	lim.max_headers = 3;
	const char *three = "A: 1\nB: 2\nC: 3\n";
	const char *four = "A: 1\nB: 2\nC: 3\nD: 4\n";
	T_OK(rb_fields_parse(&a, three, strlen(three), &lim, &f, NULL) == 0 &&
		 f.n == 3,
	     "max_headers: 3 fields at limit 3 pass");
	T_OK(rb_fields_parse(&a, four, strlen(four), &lim, &f, NULL) < 0 &&
		 f.n == 3,
	     "max_headers: 4 fields at limit 3 fail, first 3 kept");

	/* value length (after the colon, folded, trimmed) */
	lim = deflim;
	lim.max_header = 10;
	const char *ten = "A: 0123456789\n";
	const char *eleven = "A: 0123456789a\n";
	const char *folded = "A: 01234\n 56789a\n";
	T_OK(rb_fields_parse(&a, ten, strlen(ten), &lim, &f, NULL) == 0,
	     "max_header: 10-byte value at limit 10 passes");
	T_OK(rb_fields_parse(&a, eleven, strlen(eleven), &lim, &f, NULL) < 0,
	     "max_header: 11-byte value at limit 10 fails");
	T_OK(rb_fields_parse(&a, folded, strlen(folded), &lim, &f, NULL) < 0,
	     "max_header: folded value over the limit fails");
	rb_arena_free(&a);
}

static void
test_get(void)
{
	struct rb_arena a;
	struct rb_fields f;
	rb_arena_init(&a);
	const char *t = "Final-Recipient: a\nfinal-recipient: b\nACTION: failed\n";
	rb_fields_parse(&a, t, strlen(t), &deflim, &f, NULL);
	T_STR(rb_fields_get(&f, "FINAL-RECIPIENT"), "a",
	      "fields_get is case-insensitive and returns the first");
	T_STR(rb_fields_get(&f, "action"), "failed", "fields_get action");
	T_STR(rb_fields_get(&f, "Status"), NULL, "fields_get missing is NULL");
	rb_arena_free(&a);
}

static const struct {
	const char *in, *want;
} squeezes[] = {
    {"  a  b\t\tc \r\n d ", "a b c d"},
    {"", ""},
    {"   ", ""},
    {"x", "x"},
};

static void
test_helpers(void)
{
	struct rb_arena a;
	rb_arena_init(&a);
	for (size_t i = 0; i < sizeof(squeezes) / sizeof(squeezes[0]); i++)
		T_STR(rb_squeeze(&a, squeezes[i].in, strlen(squeezes[i].in)),
		      squeezes[i].want, "squeeze %zu", i);
	const char *hay = "Hello World";
	T_OK(rb_memcasemem(hay, 11, "WORLD", 5) == hay + 6, "memcasemem found");
	T_OK(rb_memcasemem(hay, 11, "worlds", 6) == NULL, "memcasemem absent");
	T_OK(rb_memcasemem(hay, 5, "World", 5) == NULL,
	     "memcasemem respects the length");
	T_OK(rb_startswith_ci("Failed (x)", "failed"), "startswith_ci");
	T_OK(!rb_startswith_ci("fail", "failed"), "startswith_ci short");

	/* lines */
	const char *t = "a\r\nbb\n\nccc";
	size_t pos = 0, ll;
	const char *line;
	const char *want[] = {"a", "bb", "", "ccc"};
	int k = 0, ok = 1;
	while (rb_next_line(t, strlen(t), &pos, &line, &ll)) {
		if (k >= 4 || ll != strlen(want[k]) ||
		    memcmp(line, want[k], ll) != 0)
			ok = 0;
		k++;
	}
	T_OK(ok && k == 4, "next_line splits CRLF and LF lines");

	/* UTF-8 */
	T_OK(rb_utf8_valid("h\xc3\xa9llo", 6), "utf8 valid 2-byte");
	T_OK(rb_utf8_valid("\xe5\xb1\xb1", 3), "utf8 valid 3-byte");
	T_OK(!rb_utf8_valid("\xc3", 1), "utf8 truncated sequence invalid");
	T_OK(!rb_utf8_valid("\xc0\xaf", 2), "utf8 overlong invalid");
	T_OK(!rb_utf8_valid("\xed\xa0\x80", 3), "utf8 surrogate invalid");
	T_OK(!rb_utf8_valid("\xf4\x90\x80\x80", 4), "utf8 above U+10FFFF invalid");
	T_STR(rb_utf8_sanitize(&a, "a\xffz", 3), "a\xef\xbf\xbdz",
	      "sanitize replaces invalid bytes by U+FFFD");
	T_STR(rb_utf8_sanitize(&a, "ok", 2), "ok", "sanitize keeps valid text");
	char *s = rb_utf8_sanitize(&a, "a\0b", 3);
	T_OK(s[0] == 'a', "sanitize handles NUL bytes without crashing");
	T_STR(s, "a b", "sanitize turns a NUL into a space (text goes on)");
	T_STR(rb_utf8_sanitize(&a, "x\0\xff", 3), "x \xef\xbf\xbd",
	      "sanitize: NUL and invalid byte together");
	rb_arena_free(&a);
}

/* rb_memcasemem against a plain loop, on random texts over a small
 * alphabet (case pairs, punctuation that differs from a letter only in
 * bit 0x20, 8-bit bytes), every length around the 16-byte steps */
static const char *
naive_casemem(const char *h, size_t hl, const char *n, size_t nl)
{
	for (size_t i = 0; i + nl <= hl; i++) {
		size_t k = 0;
		while (k < nl && tolower((unsigned char)h[i + k]) ==
				     tolower((unsigned char)n[k]))
			k++;
		if (k == nl)
			return h + i;
	}
	return NULL;
}

/* the tests' pseudo-random sequence (an LCG: the same on every run) */
static unsigned
rnd(unsigned *seed)
{
	*seed = *seed * 1103515245u + 12345u;
	return *seed;
}

/* n bytes drawn from the first k bytes of alpha */
static void
rnd_fill(char *dst, size_t n, const char *alpha, size_t k, unsigned *seed)
{
	for (size_t i = 0; i < n; i++)
		dst[i] = alpha[(rnd(seed) >> 16) % k];
}

static void
test_memcasemem_random(void)
{
	static const char alpha[] = "aAbB@`[{ \xe9\xc9-_";
	unsigned seed = 12345;
	int bad = 0;
	for (int round = 0; round < 20000; round++) {
		char h[160], n[6];
		rnd(&seed);
		size_t hl = (seed >> 8) % 150, nl = 1 + (seed >> 20) % 5;
		rnd_fill(h, hl, alpha, sizeof(alpha) - 1, &seed);
		rnd_fill(n, nl, alpha, sizeof(alpha) - 1, &seed);
		if (rb_memcasemem(h, hl, n, nl) != naive_casemem(h, hl, n, nl))
			bad++;
	}
	T_OK(bad == 0, "rb_memcasemem agrees with a plain search (%d wrong)",
	     bad);
}

/* the one-pass search for many needles against one search per needle */
static void
test_memcasemem_many(void)
{
	static const char alpha[] = "aAbB@`-- ";
	unsigned seed = 777;
	int bad = 0;
	for (int round = 0; round < 5000; round++) {
		char h[120], nb[8][6];
		const char *nv[8];
		rnd(&seed);
		size_t hl = (seed >> 8) % 110, nn = 1 + (seed >> 20) % 8;
		rnd_fill(h, hl, alpha, sizeof(alpha) - 1, &seed);
		for (size_t k = 0; k < nn; k++) {
			size_t l = 1 + (rnd(&seed) >> 24) % 4;
			rnd_fill(nb[k], l, alpha, sizeof(alpha) - 1, &seed);
			nb[k][l] = '\0';
			nv[k] = nb[k];
		}
		const char *want = NULL;
		size_t wk = 0;
		for (size_t k = 0; k < nn; k++) {
			const char *p = naive_casemem(h, hl, nv[k], strlen(nv[k]));
			if (p != NULL && (want == NULL || p < want)) {
				want = p;
				wk = k;
			}
		}
		size_t gk = 99;
		const char *got = rb_memcasemem_first(h, hl, nv, nn, &gk);
		if (got != want || (got != NULL && gk != wk))
			bad++;
	}
	T_OK(bad == 0, "rb_memcasemem_first: earliest of many, first listed "
		       "on a tie (%d wrong)",
	     bad);
}

/* rb_memcasemem_each reports every occurrence of every needle, by
 * position and then list order: all hits against a plain enumeration,
 * with needles of 2 to 5 bytes (the SIMD keys are 2 or 3 bytes) and
 * texts around the 16-byte steps */
struct hits {
	size_t n;
	size_t pos[4096], k[4096];
	const char *base;
};

static bool
record_hit(void *ctx, const char *where, size_t k)
{
	struct hits *h = ctx;
	if (h->n < 4096) {
		h->pos[h->n] = (size_t)(where - h->base);
		h->k[h->n] = k;
		h->n++;
	}
	return false;
}

static void
test_memcasemem_each_all(void)
{
	static const char alpha[] = "aAzZ@`[{-\r\xe9\xc9 ";
	static struct hits got, want;
	unsigned seed = 99;
	int bad = 0;
	for (int round = 0; round < 5000; round++) {
		char h[160], nb[20][7];
		const char *nv[20];
		rnd(&seed);
		size_t hl = (seed >> 8) % 150, nn = 1 + (seed >> 20) % 20;
		rnd_fill(h, hl, alpha, sizeof(alpha) - 1, &seed);
		for (size_t k = 0; k < nn; k++) {
			size_t l = 2 + (rnd(&seed) >> 24) % 4;
			rnd_fill(nb[k], l, alpha, 4, &seed);
			nb[k][l] = '\0';
			nv[k] = nb[k];
		}
		want.n = 0;
		want.base = h;
		for (size_t i = 0; i < hl; i++)
			for (size_t k = 0; k < nn; k++)
				if (naive_casemem(h + i, hl - i, nv[k],
						  strlen(nv[k])) == h + i)
					record_hit(&want, h + i, k);
		got.n = 0;
		got.base = h;
		rb_memcasemem_each(h, hl, nv, nn, record_hit, &got);
		if (got.n != want.n ||
		    memcmp(got.pos, want.pos, want.n * sizeof(size_t)) != 0 ||
		    memcmp(got.k, want.k, want.n * sizeof(size_t)) != 0)
			bad++;
	}
	T_OK(bad == 0, "rb_memcasemem_each: every hit, in order (%d wrong)",
	     bad);
}

/* long lists (more keys than the SIMD scan takes, up to 200 needles of
 * 0 to 5 bytes): every hit, by position and then list order */
static void
test_memcasemem_each_long(void)
{
	static const char alpha[] = "aAzZbB@-\xe9 ";
	static struct hits got, want;
	unsigned seed = 4242;
	int bad = 0;
	for (int round = 0; round < 2000; round++) {
		char h[300], nb[200][7];
		const char *nv[200];
		rnd(&seed);
		size_t hl = (seed >> 8) % 290, nn = 17 + (seed >> 20) % 184;
		rnd_fill(h, hl, alpha, sizeof(alpha) - 1, &seed);
		for (size_t k = 0; k < nn; k++) {
			size_t l = (rnd(&seed) >> 24) % 6;
			if (round % 3 != 0 && l < 2)
				l += 2;
			rnd_fill(nb[k], l, alpha, sizeof(alpha) - 1, &seed);
			nb[k][l] = '\0';
			nv[k] = nb[k];
		}
		want.n = 0;
		want.base = h;
		for (size_t i = 0; i < hl; i++)
			for (size_t k = 0; k < nn; k++)
				if (nv[k][0] != '\0' &&
				    naive_casemem(h + i, hl - i, nv[k],
						  strlen(nv[k])) == h + i)
					record_hit(&want, h + i, k);
		got.n = 0;
		got.base = h;
		rb_memcasemem_each(h, hl, nv, nn, record_hit, &got);
		if (got.n != want.n ||
		    memcmp(got.pos, want.pos, want.n * sizeof(size_t)) != 0 ||
		    memcmp(got.k, want.k, want.n * sizeof(size_t)) != 0)
			bad++;
	}
	T_OK(bad == 0, "rb_memcasemem_each, long lists: every hit, in order "
		       "(%d wrong)",
	     bad);
}

/* rb_line_first_with (one scan) against a line-by-line search, with
 * CR, LF and CRLF in the texts and in some needles */
static void
test_line_first_with(void)
{
	static const char alpha[] = "aAb\r\n ";
	unsigned seed = 2026;
	int bad = 0;
	for (int round = 0; round < 20000; round++) {
		char h[80], nb[6][5];
		const char *nv[7];
		rnd(&seed);
		size_t hl = (seed >> 8) % 70, nn = 1 + (seed >> 20) % 6;
		rnd_fill(h, hl, alpha, sizeof(alpha) - 1, &seed);
		for (size_t k = 0; k < nn; k++) {
			size_t l = 1 + (rnd(&seed) >> 24) % 4;
			rnd_fill(nb[k], l, alpha,
				 round % 2 ? 3 : sizeof(alpha) - 1, &seed);
			nb[k][l] = '\0';
			nv[k] = nb[k];
		}
		nv[nn] = NULL;
		size_t from = hl ? (rnd(&seed) >> 16) % (hl + 1) : 0;
		size_t want = hl, wnext = 0, pos = from, ll;
		const char *line;
		while (rb_next_line(h, hl, &pos, &line, &ll))
			if (rb_line_has_any(line, ll, nv)) {
				want = (size_t)(line - h);
				wnext = pos;
				break;
			}
		size_t gnext = 0;
		size_t got = rb_line_first_with(h, hl, from, nv, &gnext);
		if (got != want || (got < hl && gnext != wnext))
			bad++;
	}
	T_OK(bad == 0, "rb_line_first_with = a line-by-line search (%d wrong)",
	     bad);
}

/* rb_lower_n (16 bytes at a time) against tolower() of the C locale,
 * every byte value, every length around the 16-byte steps */
static void
test_lower_n(void)
{
	char in[300], out[300];
	int bad = 0;
	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (char)(i * 7 + 3);
	for (size_t n = 0; n < 70; n++) {
		for (size_t off = 0; off + n <= sizeof(in); off += 37) {
			memset(out, 'x', sizeof(out));
			rb_lower_n(out, in + off, n);
			for (size_t i = 0; i < n; i++)
				if (out[i] != (char)tolower((unsigned char)in[off + i]))
					bad++;
			if (out[n] != 'x')
				bad++;
		}
	}
	T_OK(bad == 0, "rb_lower_n agrees with tolower (%d wrong)", bad);
}

/* rb_squeeze (16 bytes at a time where nothing changes) against a plain
 * loop, on random texts rich in blanks, line ends and NULs */
static void
test_squeeze_random(void)
{
	static const char alpha[] = "ab  \t\r\n\0\x01\xe9 c";
	struct rb_arena a;
	rb_arena_init(&a);
	unsigned seed = 4242;
	int bad = 0;
	for (int round = 0; round < 20000; round++) {
		char in[100], want[101];
		size_t n = (rnd(&seed) >> 8) % 90;
		for (size_t i = 0; i < n; i++) {
			/* mostly letters and single spaces, sometimes others */
			unsigned r = (rnd(&seed) >> 16) % 40;
			in[i] = r < 26 ? (char)('a' + r % 3)
			       : r < 34 ? ' '
					: alpha[r % (sizeof(alpha) - 1)];
		}
		size_t o = 0;
		int sp = 1;
		for (size_t i = 0; i < n; i++) {
			unsigned char c = (unsigned char)in[i];
			if (c == 0)
				continue;
			if (isspace(c)) {
				sp = 1;
				continue;
			}
			if (sp && o > 0)
				want[o++] = ' ';
			sp = 0;
			want[o++] = (char)c;
		}
		want[o] = '\0';
		if (strcmp(rb_squeeze(&a, in, n), want) != 0)
			bad++;
		rb_arena_reset(&a);
	}
	rb_arena_free(&a);
	T_OK(bad == 0, "rb_squeeze agrees with a plain loop (%d wrong)", bad);
}

int
main(void)
{
	test_blocks();
	test_field_limits();
	test_get();
	test_helpers();
	test_memcasemem_random();
	test_memcasemem_many();
	test_memcasemem_each_all();
	test_memcasemem_each_long();
	test_line_first_with();
	test_lower_n();
	test_squeeze_random();
	T_DONE();
}
