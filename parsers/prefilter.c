#include "prefilter.h"

#include <stdlib.h>
#include <string.h>

#define LITMAX 32	/* longer literals are cut: a prefix is still required */

/* A set of literals one of which must occur; ok == false: nothing known. */
struct lset {
	bool ok;
	size_t n;
	char v[RB_PREFILTER_MAXLIT][LITMAX];
	size_t l[RB_PREFILTER_MAXLIT];
};

/*
 * Several sets, all of which must be met: "account (?:is )?(?:disabled|
 * suspended)" needs "account " and one of "disabled", "suspended".  The
 * best set goes into the index; the others are checked for the rules the
 * index names, before their regex runs.  A set of an alternation takes
 * one set of each branch (each branch's j-th best), so every one of them
 * is still required.
 */
#define NCLAUSE 3
struct cnf {
	size_t n;	/* 0: nothing known */
	struct lset c[NCLAUSE];
};

struct rd {
	const char *p;
	bool bail;		/* a construct we do not read: give up */
	unsigned depth;
};

static unsigned char
lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
}

static size_t
score(const struct lset *s)
{
	size_t m = (size_t)-1;
	for (size_t i = 0; i < s->n; i++)
		if (s->l[i] < m)
			m = s->l[i];
	return m;
}

/* a better set than b: the longer shortest literal, then the fewer
 * alternatives */
static bool
better(const struct lset *a, const struct lset *b)
{
	size_t sa = score(a), sb = score(b);
	return sa > sb || (sa == sb && a->n < b->n);
}

/* *dst = *src, only the literals in use (a set is 2.5 KB) */
static void
copy_set(struct lset *dst, const struct lset *src)
{
	dst->ok = src->ok;
	dst->n = src->n;
	for (size_t i = 0; i < src->n; i++) {
		/* the whole slot: a fixed size copies inline */
		memcpy(dst->v[i], src->v[i], LITMAX);
		dst->l[i] = src->l[i];
	}
}

static void
copy_cnf(struct cnf *dst, const struct cnf *src)
{
	dst->n = src->n;
	for (size_t i = 0; i < src->n; i++)
		copy_set(&dst->c[i], &src->c[i]);
}

static size_t
find_lit(const struct lset *s, const char *v, size_t l)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->l[i] == l && memcmp(s->v[i], v, l) == 0)
			return i;
	return s->n;
}

static bool
same_set(const struct lset *a, const struct lset *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (find_lit(b, a->v[i], a->l[i]) == b->n)
			return false;
	return true;
}

/* add a required set to best, keeping the NCLAUSE best ones, the best
 * first (the earlier of equals) */
static void
consider(struct cnf *best, const struct lset *cand)
{
	if (!cand->ok)
		return;
	for (size_t i = 0; i < best->n; i++)
		if (same_set(&best->c[i], cand))
			return;
	size_t at;
	if (best->n < NCLAUSE) {
		at = best->n++;
	} else {
		at = NCLAUSE - 1;	/* the worst */
		if (!better(cand, &best->c[at]))
			return;
	}
	/* move the worse ones down, then put cand in its place */
	while (at > 0 && better(cand, &best->c[at - 1])) {
		copy_set(&best->c[at], &best->c[at - 1]);
		at--;
	}
	copy_set(&best->c[at], cand);
}

static void
flush(struct cnf *best, const char *run, size_t *rl)
{
	if (*rl >= RB_PREFILTER_MINLEN) {
		struct lset c;
		c.ok = true;
		c.n = 1;
		memcpy(c.v[0], run, *rl);
		c.l[0] = *rl;
		consider(best, &c);
	}
	*rl = 0;
}

enum item { IT_END, IT_LIT, IT_OTHER, IT_ZERO, IT_GROUP, IT_HIGH };

/*
 * The 8-bit marker: a literal that stands for "the text holds a byte of
 * 0x80 or more".  A letter outside ASCII that has case variants (Cyrillic,
 * Greek, accented Latin) cannot go into a literal, but every text it
 * matches caselessly holds a non-ASCII character: PCRE2 folds only U+212A
 * (to k) and U+017F (to s) across the ASCII boundary, and those two are
 * not read as the marker.  rb_trigrams_build() sets the marker's trigram
 * in the map of a text with such a byte, so the marker passes the usual
 * trigram test; a pure ASCII text skips the rule (unless another trigram
 * hashes to the same bit, which only costs a regex run).  Three
 * continuation bytes in a row occur in no valid UTF-8 text and in no
 * literal.
 */
static const char high_mark[RB_PREFILTER_MINLEN] = {'\x80', '\x80', '\x80'};
#define HIGH_MARK_W 0x808080u

static void parse_alt(struct rd *r, struct cnf *res);

/* Skip a {...} argument of \x, \p, \o, \N. */
static void
skip_braces(struct rd *r)
{
	if (*r->p != '{')
		return;
	const char *e = strchr(r->p, '}');
	if (e == NULL)
		r->bail = true;
	else
		r->p = e + 1;
}

/* [...] */
static void
skip_class(struct rd *r)
{
	r->p++;	/* '[' */
	if (*r->p == '^')
		r->p++;
	if (*r->p == ']')
		r->p++;
	for (;;) {
		char c = *r->p;
		if (c == '\0') {
			r->bail = true;
			return;
		}
		if (c == ']') {
			r->p++;
			return;
		}
		if (c == '\\') {
			char e = r->p[1];
			if (e == '\0' || e == 'Q' || e == 'E') {
				r->bail = true;
				return;
			}
			r->p += 2;
			if (e == 'x' || e == 'p' || e == 'P' || e == 'o' ||
			    e == 'N')
				skip_braces(r);
			continue;
		}
		if (c == '[' && r->p[1] == ':') {
			const char *e = strstr(r->p + 2, ":]");
			if (e == NULL) {
				r->bail = true;
				return;
			}
			r->p = e + 2;
			continue;
		}
		r->p++;
	}
}

/* A caseless code point: one without Unicode case variants (CJK,
 * kana, Hangul syllables), so its bytes can go into a literal. */
static bool
caseless_cp(unsigned cp)
{
	return (cp >= 0x3000 && cp <= 0x9fff) || (cp >= 0xac00 && cp <= 0xd7a3);
}

/* One item at r->p.  For IT_LIT, the bytes are in lit/llen; for
 * IT_GROUP the group's sets are in g. */
static enum item
parse_item(struct rd *r, char *lit, size_t *llen, struct cnf *g)
{
	unsigned char c = (unsigned char)*r->p;
	*llen = 0;
	if (c == '\0' || c == '|' || c == ')')
		return IT_END;
	if (c == '\\') {
		unsigned char e = (unsigned char)r->p[1];
		r->p += 2;
		if (e == '\0') {
			r->bail = true;
			return IT_END;
		}
		if (strchr("bBAzZGK", e))
			return IT_ZERO;
		if (strchr("dDwWsShHvVRXC", e))
			return IT_OTHER;
		if (e == 'p' || e == 'P') {
			if (*r->p == '{')
				skip_braces(r);
			else if (*r->p != '\0')
				r->p++;
			return IT_OTHER;
		}
		if (e == 'x') {
			if (*r->p == '{') {
				skip_braces(r);
			} else {
				for (int i = 0; i < 2 && strchr("0123456789abcdefABCDEF",
								*r->p) && *r->p;
				     i++)
					r->p++;
			}
			return IT_OTHER;
		}
		if (strchr("ntrfea", e))
			return IT_OTHER;
		if (e >= 0x80 || (e >= '0' && e <= '9') ||
		    (e >= 'a' && e <= 'z') || (e >= 'A' && e <= 'Z')) {
			/* backreferences, octal, \Q, \N, \c, \g, \k ...:
			 * not read */
			r->bail = true;
			return IT_END;
		}
		lit[0] = (char)lower(e);
		*llen = 1;
		return IT_LIT;
	}
	if (c == '.') {
		r->p++;
		return IT_OTHER;
	}
	if (c == '^' || c == '$') {
		r->p++;
		return IT_ZERO;
	}
	if (c == '[') {
		skip_class(r);
		return IT_OTHER;
	}
	if (c == '*' || c == '+' || c == '?' || c == '{') {
		r->bail = true;	/* quantifier with nothing before it */
		return IT_END;
	}
	if (c == '(') {
		bool zero = false;
		const char *q = r->p + 1;
		if (*q == '*') {
			r->bail = true;
			return IT_END;
		}
		if (*q == '?') {
			q++;
			if (*q == ':' || *q == '>' || *q == '|') {
				q++;
			} else if (*q == '=' || *q == '!') {
				q++;
				zero = true;
			} else if (*q == '<' && (q[1] == '=' || q[1] == '!')) {
				q += 2;
				zero = true;
			} else if (*q == '<' || *q == '\'' ||
				   (*q == 'P' && q[1] == '<')) {
				/* named group */
				char close = *q == '\'' ? '\'' : '>';
				const char *e = strchr(q, close);
				if (e == NULL) {
					r->bail = true;
					return IT_END;
				}
				q = e + 1;
			} else if (*q == '#') {
				const char *e = strchr(q, ')');
				if (e == NULL) {
					r->bail = true;
					return IT_END;
				}
				r->p = e + 1;
				return IT_ZERO;
			} else {
				/* option letters: (?i) (?-i) (?i:...) */
				const char *f = q;
				while ((*f >= 'a' && *f <= 'z') ||
				       (*f >= 'A' && *f <= 'Z') || *f == '-')
					f++;
				if (f == q || (*f != ')' && *f != ':')) {
					r->bail = true;	/* (?R), (?(..)), ... */
					return IT_END;
				}
				for (const char *k = q; k < f; k++)
					if (*k == 'x') {
						r->bail = true;
						return IT_END;
					}
				if (*f == ')') {
					r->p = f + 1;
					return IT_ZERO;
				}
				q = f + 1;
			}
		}
		if (++r->depth > 16) {
			r->bail = true;
			return IT_END;
		}
		r->p = q;
		parse_alt(r, g);
		r->depth--;
		if (r->bail || *r->p != ')') {
			r->bail = true;
			return IT_END;
		}
		r->p++;
		return zero ? IT_ZERO : IT_GROUP;
	}
	if (c >= 0x80) {
		size_t n = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 0;
		if (n == 0) {
			r->bail = true;
			return IT_END;
		}
		unsigned cp = c & (0x7f >> n);
		for (size_t i = 1; i < n; i++) {
			unsigned char cc = (unsigned char)r->p[i];
			if ((cc & 0xc0) != 0x80) {
				r->bail = true;
				return IT_END;
			}
			cp = (cp << 6) | (cc & 0x3f);
		}
		bool keep = caseless_cp(cp);
		if (keep) {
			memcpy(lit, r->p, n);
			*llen = n;
		}
		r->p += n;
		if (keep)
			return IT_LIT;
		/* U+212A and U+017F match ASCII k and s: no marker */
		return cp == 0x212a || cp == 0x17f ? IT_OTHER : IT_HIGH;
	}
	/* any other byte, including ']' '}' space '#': itself */
	lit[0] = (char)lower(c);
	*llen = 1;
	r->p++;
	return IT_LIT;
}

/* Quantifier after an item: *has set when there is one, *min its
 * minimum, *once when it is exactly {1}. */
static void
parse_quant(struct rd *r, bool *has, unsigned long *min, bool *once)
{
	*has = false;
	*min = 1;
	*once = false;
	char c = *r->p;
	if (c == '*' || c == '?') {
		*has = true;
		*min = 0;
		r->p++;
	} else if (c == '+') {
		*has = true;
		r->p++;
	} else if (c == '{') {
		const char *q = r->p + 1;
		char *e;
		if (*q < '0' || *q > '9') {
			r->bail = true;	/* a literal '{': not read */
			return;
		}
		unsigned long lo = strtoul(q, &e, 10);
		bool comma = false;
		if (*e == ',') {
			comma = true;
			e++;
			while (*e >= '0' && *e <= '9')
				e++;
		}
		if (*e != '}') {
			r->bail = true;
			return;
		}
		*has = true;
		*min = lo;
		*once = lo == 1 && !comma;
		r->p = e + 1;
	} else {
		return;
	}
	if (*r->p == '?' || *r->p == '+')
		r->p++;	/* lazy, possessive */
}

static void
parse_seq(struct rd *r, struct cnf *best)
{
	char run[LITMAX];
	size_t rl = 0;
	best->n = 0;
	struct cnf *g = malloc(sizeof(*g));
	if (g == NULL)
		abort();
	for (;;) {
		char lit[4];
		size_t ll;
		g->n = 0;
		enum item it = parse_item(r, lit, &ll, g);
		if (it == IT_END || r->bail)
			break;
		bool has, once;
		unsigned long min;
		parse_quant(r, &has, &min, &once);
		if (r->bail)
			break;
		bool optional = has && min == 0;
		switch (it) {
		case IT_LIT:
			if (optional) {
				flush(best, run, &rl);
				break;
			}
			if (rl + ll > LITMAX)
				flush(best, run, &rl);
			memcpy(run + rl, lit, ll);
			rl += ll;
			if (has && !once)
				flush(best, run, &rl);
			break;
		case IT_GROUP:
			flush(best, run, &rl);
			if (!optional)
				for (size_t i = 0; i < g->n; i++)
					consider(best, &g->c[i]);
			break;
		case IT_HIGH:
			flush(best, run, &rl);
			if (!optional) {
				size_t ml = sizeof(high_mark);
				memcpy(run, high_mark, ml);
				flush(best, run, &ml);
			}
			break;
		default:
			flush(best, run, &rl);
			break;
		}
	}
	flush(best, run, &rl);
	free(g);
}

/* a's literals and b's in out; false when they are too many */
static bool
set_union(struct lset *out, const struct lset *a, const struct lset *b)
{
	copy_set(out, a);
	for (size_t i = 0; i < b->n; i++) {
		if (find_lit(out, b->v[i], b->l[i]) < out->n)
			continue;
		if (out->n == RB_PREFILTER_MAXLIT)
			return false;
		memcpy(out->v[out->n], b->v[i], LITMAX);
		out->l[out->n] = b->l[i];
		out->n++;
	}
	return true;
}

static void
parse_alt(struct rd *r, struct cnf *res)
{
	parse_seq(r, res);
	if (r->bail || *r->p != '|')
		return;
	struct cnf *b = malloc(sizeof(*b)), *u = malloc(sizeof(*u));
	if (b == NULL || u == NULL)
		abort();
	while (!r->bail && *r->p == '|') {
		r->p++;
		parse_seq(r, b);
		if (res->n == 0 || b->n == 0) {
			res->n = 0;
			continue;	/* keep reading: the group must close */
		}
		/* set j: this branch's j-th best or one of the earlier
		 * branches' (their j-th best) */
		size_t m = res->n > b->n ? res->n : b->n;
		u->n = 0;
		for (size_t j = 0; j < m; j++) {
			struct lset *s = &u->c[u->n];
			if (!set_union(s, &res->c[j < res->n ? j : res->n - 1],
				       &b->c[j < b->n ? j : b->n - 1]))
				continue;
			bool dup = false;
			for (size_t k = 0; k < u->n && !dup; k++)
				dup = same_set(&u->c[k], s);
			if (!dup)
				u->n++;
		}
		copy_cnf(res, u);
	}
	free(u);
	free(b);
}

/* Sets into f: the best one, the others as its further sets. */
static void fill(struct rb_prefilter *f, struct lset *s);

static void
fill_cnf(struct rb_prefilter *f, struct cnf *c)
{
	/* the best set first (the one may_match tests first) */
	size_t b = 0;
	for (size_t i = 1; i < c->n; i++)
		if (better(&c->c[i], &c->c[b]))
			b = i;
	fill(f, &c->c[b]);
	if (c->n > 1) {
		struct rb_prefilter *more = calloc(c->n - 1, sizeof(*more));
		if (more == NULL)
			abort();
		for (size_t i = 0; i < c->n; i++)
			if (i != b)
				fill(&more[f->nmore++], &c->c[i]);
		f->more = more;
	}
}

#define MAXALT 64	/* branches of a top-level alternation */

/*
 * The branches of a pattern that is an alternation, at its top level or
 * as one group that is the whole pattern ("(?:a|b)"), each with its own
 * sets into f->alt.  Nothing when a branch has no literal (or there is
 * one branch only, or more than MAXALT).
 */
static void
extract_branches(const char *pattern, struct rb_prefilter *f)
{
	struct cnf *c = malloc(MAXALT * sizeof(*c));
	if (c == NULL)
		abort();
	for (int wrapped = 1; wrapped >= 0; wrapped--) {
		struct rd r = {.p = pattern};
		if (wrapped) {
			if (strncmp(pattern, "(?:", 3) != 0)
				continue;
			r.p += 3;
		}
		size_t n = 0;
		for (;;) {
			if (n == MAXALT) {
				r.bail = true;
				break;
			}
			parse_seq(&r, &c[n]);
			if (r.bail || c[n].n == 0) {
				r.bail = true;
				break;
			}
			n++;
			if (*r.p != '|')
				break;
			r.p++;
		}
		if (r.bail)
			continue;
		/* the whole pattern read: "(?:...)" then the end, or the end */
		if (wrapped ? (r.p[0] != ')' || r.p[1] != '\0') : *r.p != '\0')
			continue;
		if (n < 2)
			break;
		struct rb_prefilter *alt = calloc(n, sizeof(*alt));
		if (alt == NULL)
			abort();
		for (size_t i = 0; i < n; i++)
			fill_cnf(&alt[i], &c[i]);
		f->alt = alt;
		f->nalt = n;
		break;
	}
	free(c);
}

static uint16_t
tri_hash(uint32_t w)
{
	return (uint16_t)((w * 2654435761u) >> (32 - RB_TRIGRAM_BITS));
}

/* The program of f (see prefilter.h): words appended to v[*n..cap);
 * false when they do not fit. */
static bool
put_word(uint16_t *v, size_t *n, size_t cap, size_t w)
{
	if (*n >= cap || w > 0xffff)
		return false;
	v[(*n)++] = (uint16_t)w;
	return true;
}

static bool
put_set(uint16_t *v, size_t *n, size_t cap, const struct rb_prefilter *s)
{
	size_t at = *n;
	if (!put_word(v, n, cap, 0))
		return false;
	for (size_t i = 0; i < s->n; i++) {
		size_t m = s->len[i] - 2;
		if (!put_word(v, n, cap, m))
			return false;
		for (size_t k = 0; k < m; k++)
			if (!put_word(v, n, cap, s->tri[s->off[i] + k]))
				return false;
	}
	v[at] = (uint16_t)(*n - at - 1);
	return *n - at - 1 <= 0xffff;
}

/* f's further sets, as one set list headed by its length */
static bool
put_cnf(uint16_t *v, size_t *n, size_t cap, const struct rb_prefilter *f,
	bool first)
{
	size_t at = *n;
	if (!put_word(v, n, cap, 0))
		return false;
	if (first && !put_set(v, n, cap, f))
		return false;
	for (size_t i = 0; i < f->nmore; i++)
		if (!put_set(v, n, cap, &f->more[i]))
			return false;
	v[at] = (uint16_t)(*n - at - 1);
	return *n - at - 1 <= 0xffff;
}

#define PROG_MAX 32768	/* words; a larger program: no further checks */

static void
build_prog(struct rb_prefilter *f)
{
	if (f->nmore == 0 && f->nalt == 0)
		return;
	uint16_t *v = malloc(PROG_MAX * sizeof(*v));
	if (v == NULL)
		abort();
	size_t n = 0;
	bool ok = put_cnf(v, &n, PROG_MAX, f, false) &&
		  put_word(v, &n, PROG_MAX, f->nalt);
	for (size_t i = 0; ok && i < f->nalt; i++)
		ok = put_cnf(v, &n, PROG_MAX, &f->alt[i], true);
	if (!ok) {
		/* too large to check: the index's set alone decides */
		free(v);
		rb_prefilter_free_more(f);
		return;
	}
	uint16_t *p = realloc(v, n * sizeof(*v));
	f->prog = p != NULL ? p : v;
	f->nprog = n;
}

int
rb_prefilter_extract(const char *pattern, struct rb_prefilter *f)
{
	memset(f, 0, sizeof(*f));
	struct rd r = {.p = pattern};
	struct cnf *all = malloc(sizeof(*all));
	if (all == NULL)
		abort();
	parse_alt(&r, all);
	if (r.bail || *r.p != '\0' || all->n == 0) {
		free(all);
		return 0;
	}
	/* the best set first: it goes into the index */
	fill_cnf(f, all);
	free(all);
	extract_branches(pattern, f);
	build_prog(f);
	return 0;
}

/* Does a[0..la) contain b[0..lb) (short literals: a plain loop)? */
static bool
contains(const char *a, size_t la, const char *b, size_t lb)
{
	for (size_t p = 0; p + lb <= la; p++)
		if (a[p] == b[0] && memcmp(a + p, b, lb) == 0)
			return true;
	return false;
}

/* f from one set */
static void
fill(struct rb_prefilter *f, struct lset *s)
{
	/* a literal that contains another of the set adds nothing */
	for (size_t i = 0; i < s->n; i++) {
		for (size_t j = 0; j < s->n; j++) {
			if (i == j || s->l[j] > s->l[i] ||
			    (s->l[j] == s->l[i] && j > i) ||
			    !contains(s->v[i], s->l[i], s->v[j], s->l[j]))
				continue;
			s->n--;
			memmove(s->v[i], s->v[s->n], s->l[s->n]);
			s->l[i] = s->l[s->n];
			i--;
			break;
		}
	}
	size_t total = 0;
	for (size_t i = 0; i < s->n; i++)
		total += s->l[i] - 2;
	uint16_t *tri = malloc(total * sizeof(*tri));
	if (tri == NULL)
		abort();
	f->tri = tri;
	size_t o = 0;
	for (size_t i = 0; i < s->n; i++) {
		size_t l = s->l[i];
		char *lit = malloc(l + 1);
		if (lit == NULL)
			abort();
		memcpy(lit, s->v[i], l);
		lit[l] = '\0';
		f->off[i] = (uint16_t)o;
		uint32_t w = 0;
		for (size_t k = 0; k < l; k++) {
			w = ((w << 8) | (unsigned char)lit[k]) & 0xffffff;
			if (k >= 2)
				tri[o++] = tri_hash(w);
		}
		f->lit[i] = lit;
		f->len[i] = (uint8_t)l;
	}
	f->n = s->n;
}

void
rb_prefilter_free(struct rb_prefilter *f)
{
	if (f->baked) {
		memset(f, 0, sizeof(*f));
		return;
	}
	for (size_t i = 0; i < f->n; i++)
		free((char *)f->lit[i]);
	free((uint16_t *)f->tri);
	f->tri = NULL;
	f->n = 0;
	rb_prefilter_free_more(f);
}

void
rb_prefilter_free_more(struct rb_prefilter *f)
{
	if (f->baked) {
		f->more = f->alt = NULL;
		f->nmore = f->nalt = 0;
		f->prog = NULL;
		f->nprog = 0;
		return;
	}
	free((uint16_t *)f->prog);
	f->prog = NULL;
	f->nprog = 0;
	struct rb_prefilter *v = (struct rb_prefilter *)f->more;
	for (size_t i = 0; i < f->nmore; i++)
		rb_prefilter_free(&v[i]);
	free(v);
	f->more = NULL;
	f->nmore = 0;
	v = (struct rb_prefilter *)f->alt;
	for (size_t i = 0; i < f->nalt; i++)
		rb_prefilter_free(&v[i]);
	free(v);
	f->alt = NULL;
	f->nalt = 0;
}

void
rb_trigrams_build(struct rb_trigrams *t, const char *text, size_t len)
{
	memset(t->bits, 0, sizeof(t->bits));
	t->unsafe = false;
	const unsigned char *s = (const unsigned char *)text;
	uint32_t w = 0;
	unsigned char high = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = s[i];
		high |= c;
		w = ((w << 8) | lower(c)) & 0xffffff;
		/* U+212A (e2 84 aa) and U+017F (c5 bf) fold to k and s: seen
		 * at their last byte */
		if ((c & 0x80) && (w == 0xe284aa || (w & 0xffff) == 0xc5bf))
			t->unsafe = true;
		if (i < 2)
			continue;
		uint16_t h = tri_hash(w);
		t->bits[h >> 6] |= (uint64_t)1 << (h & 63);
	}
	if (high & 0x80) {
		uint16_t h = tri_hash(HIGH_MARK_W);
		t->bits[h >> 6] |= (uint64_t)1 << (h & 63);
	}
}

bool
rb_prefilter_may_match(const struct rb_prefilter *f,
		       const struct rb_trigrams *t)
{
	if (f->n == 0 || t->unsafe)
		return true;
	for (size_t i = 0; i < f->n; i++) {
		const uint16_t *h = f->tri + f->off[i];
		size_t k, m = f->len[i] - 2;
		for (k = 0; k < m; k++)
			if (!(t->bits[h[k] >> 6] & ((uint64_t)1 << (h[k] & 63))))
				break;
		if (k == m)
			return true;
	}
	return false;
}

/* Is one literal of the set at p (its length first) in t? */
static bool
set_met(const uint16_t *p, const uint64_t *bits)
{
	const uint16_t *end = p + 1 + p[0];
	for (p++; p < end; p += 1 + p[0]) {
		size_t k, m = p[0];
		for (k = 1; k <= m; k++)
			if (!(bits[p[k] >> 6] & ((uint64_t)1 << (p[k] & 63))))
				break;
		if (k > m)
			return true;
	}
	return false;
}

/* Every set of the list at p (its length first)? */
static bool
cnf_met(const uint16_t *p, const uint64_t *bits)
{
	const uint16_t *end = p + 1 + p[0];
	for (p++; p < end; p += 1 + p[0])
		if (!set_met(p, bits))
			return false;
	return true;
}

bool
rb_prefilter_may_match_more(const struct rb_prefilter *f,
			    const struct rb_trigrams *t)
{
	if (t->unsafe || f->prog == NULL)
		return true;
	const uint16_t *p = f->prog;
	if (!cnf_met(p, t->bits))
		return false;
	p += 1 + p[0];
	size_t nalt = *p++;
	if (nalt == 0)
		return true;
	for (size_t i = 0; i < nalt; i++, p += 1 + p[0])
		if (cnf_met(p, t->bits))
			return true;
	return false;
}

/* the least used trigram of literal k of f (the first of equals) */
static uint16_t
key_tri(const struct rb_prefilter *f, size_t k, const uint32_t *uses)
{
	const uint16_t *h = f->tri + f->off[k];
	uint16_t best = h[0];
	for (size_t q = 1; q + 2 < f->len[k]; q++)
		if (uses[h[q]] < uses[best])
			best = h[q];
	return best;
}

void
rb_prefilter_index_build(struct rb_prefilter_index *ix,
			 const struct rb_prefilter *const *sets, size_t n)
{
	const size_t nb = (size_t)1 << RB_TRIGRAM_BITS;
	memset(ix, 0, sizeof(*ix));
	ix->nsets = n;
	ix->nonempty = calloc(nb / 64, sizeof(*ix->nonempty));
	ix->rank = calloc(nb / 64, sizeof(*ix->rank));
	ix->always = malloc((n ? n : 1) * sizeof(*ix->always));
	/* every trigram's number of uses in all literals: a literal goes
	 * into the bucket of its least used trigram (any of its trigrams
	 * must be in a text it occurs in), so that the buckets of common
	 * trigrams ("the", "ser") stay short */
	uint32_t *uses = calloc(nb, sizeof(*uses));
	/* words of each bucket's entries, then their starts */
	uint32_t *words = calloc(nb + 1, sizeof(*words));
	if (ix->nonempty == NULL || ix->rank == NULL || ix->always == NULL ||
	    uses == NULL || words == NULL)
		abort();
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < sets[i]->n; k++)
			for (size_t q = 0; q + 2 < sets[i]->len[k]; q++)
				uses[sets[i]->tri[sets[i]->off[k] + q]]++;
	for (size_t i = 0; i < n; i++) {
		if (sets[i]->n == 0)
			ix->always[ix->nalways++] = (uint32_t)i;
		for (size_t k = 0; k < sets[i]->n; k++) {
			uint16_t h = key_tri(sets[i], k, uses);
			/* set, count, the other len - 3 trigrams */
			words[h] += 3 + (uint32_t)(sets[i]->len[k] - 3);
			ix->nonempty[h >> 6] |= (uint64_t)1 << (h & 63);
		}
	}
	size_t nne = 0;
	for (size_t w = 0; w < nb / 64; w++) {
		ix->rank[w] = (uint32_t)nne;
		nne += (size_t)__builtin_popcountll(ix->nonempty[w]);
	}
	ix->boff = malloc((nne + 1) * sizeof(*ix->boff));
	if (ix->boff == NULL)
		abort();
	uint32_t total = 0;
	for (size_t h = 0, r = 0; h < nb; h++) {
		uint32_t c = words[h];
		words[h] = total;	/* now: where the next entry goes */
		if (ix->nonempty[h >> 6] & ((uint64_t)1 << (h & 63)))
			ix->boff[r++] = total;
		total += c;
	}
	ix->boff[nne] = total;
	ix->pool = malloc((total ? total : 1) * sizeof(*ix->pool));
	if (ix->pool == NULL)
		abort();
	/* in set order within a bucket (any order would do) */
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < sets[i]->n; k++) {
			uint16_t h = key_tri(sets[i], k, uses);
			uint16_t *p = ix->pool + words[h];
			const uint16_t *t = sets[i]->tri + sets[i]->off[k];
			size_t m = sets[i]->len[k] - 2, o = 3;
			p[0] = (uint16_t)(i & 0xffff);
			p[1] = (uint16_t)(i >> 16);
			bool key_seen = false;
			for (size_t q = 0; q < m; q++) {
				if (t[q] == h && !key_seen) {
					key_seen = true;	/* in the text */
					continue;
				}
				p[o++] = t[q];
			}
			p[2] = (uint16_t)(o - 3);
			words[h] += (uint32_t)o;
		}
	free(words);
	free(uses);
}

void
rb_prefilter_index_free(struct rb_prefilter_index *ix)
{
	free(ix->pool);
	free(ix->boff);
	free(ix->rank);
	free(ix->nonempty);
	free(ix->always);
	memset(ix, 0, sizeof(*ix));
}

void
rb_prefilter_index_scan(const struct rb_prefilter_index *ix,
			const struct rb_trigrams *t, uint64_t *cand)
{
	size_t words = (ix->nsets + 63) / 64;
	if (t->unsafe) {
		memset(cand, 0xff, words * sizeof(*cand));
		return;
	}
	memset(cand, 0, words * sizeof(*cand));
	for (size_t i = 0; i < ix->nalways; i++)
		cand[ix->always[i] >> 6] |= (uint64_t)1 << (ix->always[i] & 63);
	/* the text's trigrams that key a literal: bits AND nonempty; each
	 * bucket's entries: the sets whose literal's trigrams are all in t */
	const size_t nw = ((size_t)1 << RB_TRIGRAM_BITS) / 64;
	const uint64_t *bits = t->bits;
	for (size_t w = 0; w < nw; w++) {
		uint64_t ne = ix->nonempty[w];
		uint64_t hits = bits[w] & ne;
		for (; hits != 0; hits &= hits - 1) {
			uint64_t below = (hits & -hits) - 1;
			size_t r = ix->rank[w] +
				   (size_t)__builtin_popcountll(ne & below);
			const uint16_t *p = ix->pool + ix->boff[r];
			const uint16_t *end = ix->pool + ix->boff[r + 1];
			for (; p < end; p += 3 + p[2]) {
				uint32_t set = (uint32_t)p[0] | (uint32_t)p[1] << 16;
				uint64_t bit = (uint64_t)1 << (set & 63);
				if (cand[set >> 6] & bit)
					continue;
				size_t k, m = p[2];
				for (k = 0; k < m; k++) {
					uint16_t h = p[3 + k];
					if (!(bits[h >> 6] & ((uint64_t)1 << (h & 63))))
						break;
				}
				if (k == m)
					cand[set >> 6] |= bit;
			}
		}
	}
}
