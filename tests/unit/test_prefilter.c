/* prefilter: the literals read from patterns (and the constructs it must
 * refuse to read), the trigram test, the Unicode case-fold escape hatch,
 * and that the rules engine gives the same answers with it. */
#include <stdlib.h>

#include "parsers/prefilter.h"
#include "parsers/rules.h"
#include "t.h"

/* the literal set as "a|b|c" (sorted as found), or "" for none */
static void
lits(const char *pattern, char *out, size_t cap)
{
	struct rb_prefilter f;
	rb_prefilter_extract(pattern, &f);
	out[0] = '\0';
	for (size_t i = 0; i < f.n; i++) {
		if (i)
			strncat(out, "|", cap - strlen(out) - 1);
		strncat(out, f.lit[i], cap - strlen(out) - 1);
	}
	rb_prefilter_free(&f);
}

static const struct {
	const char *pattern;
	const char *want;
} cases[] = {
    {"user unknown", "user unknown"},
    {"User Unknown", "user unknown"},	/* folded */
    {"\\buser\\b unknown", " unknown"},	/* \b breaks a run */
    {"(?:no such user|unknown user)", "no such user|unknown user"},
    {"account .* disabled", " disabled"},	/* the longer run */
    {"mail ?box full", "box full"},	/* optional char breaks */
    {"a+bcd", "bcd"},
    {"xy+z", ""},			/* "xy" too short, "z" too */
    {"abcd{2}e", "abcd"},
    {"abc{1}de", "abcde"},
    {"ab(?:cd)?ef", ""},		/* optional group, short runs */
    {"quota (?:exceeded|full)", "quota "},
    {"over (?:the storage|the disk) quota", "the storage|the disk"},
    {"(?:abc|de)", ""},		/* a branch without a literal */
    {"(?:abc|)", ""},			/* an empty branch */
    {"relay\\.example\\.com", "relay.example.com"},
    {"[abc]def", "def"},
    {"[]x]yzw", "yzw"},		/* ']' first in a class */
    {"[^\\]x]yzw", "yzw"},
    {"a\\d{3}bcd", "bcd"},
    {"(?i)hello", "hello"},
    {"(?-i:Hello) me", "hello"},
    {"(?=abc)xyz", "xyz"},		/* lookahead adds nothing */
    {"(?<!delivery )temporarily", "temporarily"},
    {"(?<name>abcd)", "abcd"},
    {"(?#comment)abcd", "abcd"},
    {"\\x{41}bcd", "bcd"},
    {"\\p{L}bcd", "bcd"},
    /* CJK has no case: kept; other non-ASCII letters are not */
    {"\xe9\xa2\x91\xe7\x8e\x87\xe8\xbf\x87\xe9\xab\x98",
     "\xe9\xa2\x91\xe7\x8e\x87\xe8\xbf\x87\xe9\xab\x98"},
    {"caf\xc3\xa9 noir", " noir"},
    /* a cased non-ASCII letter only: the 8-bit marker */
    {"\xd1\x81\xd0\xbf\xd0\xb0\xd0\xbc", "\x80\x80\x80"},
    {"(?:\xd1\x81\xd0\xbf\xd0\xb0\xd0\xbc|\xce\xb1" "bc)", "\x80\x80\x80"},
    {"(?:\xd1\x81\xd0\xbf\xd0\xb0\xd0\xbc|abc)", "\x80\x80\x80|abc"},
    {"\xd1\x81?ab", ""},			/* optional: no marker */
    /* U+212A and U+017F match ASCII k and s: no marker */
    {"\xe2\x84\xaa", ""},
    {"\xc5\xbf", ""},
    /* constructs it does not read: no literal (always run) */
    {"(?x) user unknown", ""},
    {"\\Quser\\E unknown", ""},
    {"(a)\\1bcd", ""},
    {"(*UTF)abcd", ""},
    {"(?(1)abc|def)", ""},
    {"ab{,3}cdef", ""},
    {"abc(", ""},
    {"abc[de", ""},
    {"", ""},
};

static void
test_extract(void)
{
	char got[512];
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		lits(cases[i].pattern, got, sizeof(got));
		T_STR(got, cases[i].want, "literals of /%s/", cases[i].pattern);
	}
	/* a set that grows past the cap is dropped, not cut */
	char big[2048] = "(?:";
	for (int i = 0; i < RB_PREFILTER_MAXLIT + 1; i++) {
		char w[32];
		snprintf(w, sizeof(w), "%sword%03d", i ? "|" : "", i);
		strcat(big, w);
	}
	strcat(big, ")");
	lits(big, got, sizeof(got));
	T_STR(got, "", "more alternatives than the cap: no literal");
	/* deep nesting gives up instead of recursing without bound */
	char deep[256] = "";
	for (int i = 0; i < 40; i++)
		strcat(deep, "(");
	strcat(deep, "abcd");
	for (int i = 0; i < 40; i++)
		strcat(deep, ")");
	lits(deep, got, sizeof(got));
	T_STR(got, "", "deep nesting: no literal");
}

static bool
may(const char *pattern, const char *text)
{
	struct rb_prefilter f;
	struct rb_trigrams *t = malloc(sizeof(*t));
	rb_prefilter_extract(pattern, &f);
	rb_trigrams_build(t, text, strlen(text));
	bool r = rb_prefilter_may_match(&f, t);
	rb_prefilter_free(&f);
	free(t);
	return r;
}

/* the indexed set and every further set */
static bool
more(const char *pattern, const char *text)
{
	struct rb_prefilter f;
	struct rb_trigrams *t = malloc(sizeof(*t));
	rb_prefilter_extract(pattern, &f);
	rb_trigrams_build(t, text, strlen(text));
	bool r = rb_prefilter_may_match(&f, t) &&
		 rb_prefilter_may_match_more(&f, t);
	rb_prefilter_free(&f);
	free(t);
	return r;
}

static void
test_trigrams(void)
{
	T_OK(may("user unknown", "550 USER UNKNOWN here"),
	     "literal found case-insensitively");
	T_OK(!may("user unknown", "550 mailbox full"), "absent literal rejects");
	T_OK(!may("user unknown", "us"), "text shorter than a trigram");
	T_OK(may("(?:no such user|unknown user)", "xx Unknown User"),
	     "any literal of the set suffices");
	T_OK(may(".*", ""), "a pattern without literals always passes");
	/* U+212A KELVIN SIGN matches k caselessly in PCRE2 (UTF): the
	 * prefilter must not reject such a text */
	T_OK(may("unknown", "un\xe2\x84\xaanown"), "Kelvin sign disables it");
	T_OK(may("mailbox is full", "mailbox i\xc5\xbf full"),
	     "long s disables it");
	T_OK(may("sss", "\xc5\xbf"), "a long s alone (2 bytes) disables it");
	T_OK(may("ssx", "\xc5\xbfsx"), "a long s at the start disables it");
	T_OK(may("kkk", "k\xe2\x84\xaa"), "a Kelvin sign at the end disables it");
	/* every required literal set is checked, not only the indexed one */
	T_OK(more("account (?:is )?(?:disabled|suspended)", "account disabled"),
	     "both sets met");
	T_OK(!more("account (?:is )?(?:disabled|suspended)", "account closed"),
	     "the second set (disabled|suspended) is missing");
	T_OK(!more("(?:mailbox (?:is )?full|quota (?:exceeded|full))",
		   "mailbox size limit"),
	     "alternation: each branch's second set is required too");
	T_OK(more("(?:mailbox (?:is )?full|quota (?:exceeded|full))",
		  "Quota Exceeded"),
	     "alternation: the other branch met");
	/* a pattern that is an alternation: one branch's sets, all of them
	 * (not one set of one branch and one of another) */
	T_OK(!more("(?:abcd.*efgh|ijkl.*mnop)", "abcd mnop"),
	     "branches: a literal of each of two branches is not a branch");
	T_OK(more("(?:abcd.*efgh|ijkl.*mnop)", "xx IJKL yy mnop"),
	     "branches: the second branch met");
	T_OK(!more("abcd.*efgh|ijkl.*mnop", "abcd mnop"),
	     "branches at the top level, without a group");
	T_OK(more("(?:abcd.*efgh|\\d+)", "zzz"),
	     "a branch without a literal: the pattern always runs");
	struct rb_prefilter f;
	rb_prefilter_extract("(?:abcd|efgh)ijkl", &f);
	T_OK(f.nalt == 0, "a group that is not the whole pattern: no branches");
	rb_prefilter_free(&f);
	rb_prefilter_extract("(?:abcd.*efgh|ijkl)", &f);
	T_OK(f.nalt == 2 && f.prog != NULL, "two branches, one check program");
	rb_prefilter_free(&f);
	/* "спам": any text with a non-ASCII byte may match, ASCII text not */
	T_OK(!may("\xd1\x81\xd0\xbf\xd0\xb0\xd0\xbc", "550 spam detected"),
	     "a Cyrillic pattern skips an ASCII text");
	T_OK(may("\xd1\x81\xd0\xbf\xd0\xb0\xd0\xbc", "550 \xd0\xa1\xd0\x9f\xd0\x90\xd0\x9c"),
	     "a Cyrillic pattern runs on a Cyrillic text");
	T_OK(may("\xd1\x81\xd0\xbf\xd0\xb0\xd0\xbc", "\xc3\xa9"),
	     "any non-ASCII byte lets it run, even in a 2-byte text");
}

/* the engine with and without prefilter: a rule set whose examples are
 * tried against each other's texts */
static void
test_engine(void)
{
	static const struct rb_limits lim = RB_LIMITS_DEFAULT;
	char *err = NULL;
	struct rb_rules *r = rb_rules_load(
	    "rule k\nreason userunknown\nmatch unknown user\n"
	    "example unknown user\n"
	    "rule full\nreason mailboxfull\nmatch mail ?box (?:is )?full\n"
	    "example mailbox full\n"
	    "rule host\nreason blocked\nhost \\.example\\.com$\n"
	    "match blocked\nexample blocked\n"
	    "rule host2\nreason rejected\nhost \\.example\\.com$\n"
	    "match rejected\nexample rejected\n",
	    strlen("rule k\nreason userunknown\nmatch unknown user\n"
		   "example unknown user\n"
		   "rule full\nreason mailboxfull\nmatch mail ?box (?:is "
		   ")?full\n"
		   "example mailbox full\n"
		   "rule host\nreason blocked\nhost \\.example\\.com$\n"
		   "match blocked\nexample blocked\n"
		   "rule host2\nreason rejected\nhost \\.example\\.com$\n"
		   "match rejected\nexample rejected\n"),
	    "t.rules", &lim, &err);
	T_OK(r != NULL, "rules load");
	if (r == NULL) {
		printf("# %s\n", err);
		free(err);
		return;
	}
	T_OK(r->nhosts == 1 && r->v[2].host_id == r->v[3].host_id,
	     "a repeated host pattern is one host");
	const struct rb_rule *m;
	m = rb_rules_match(r, RB_FIELD_DIAGNOSTIC, "UN\xe2\x84\xaaNOWN USER", 14,
			   NULL);
	T_STR(m ? m->name : NULL, "k", "Kelvin sign text still matches");
	m = rb_rules_match(r, RB_FIELD_DIAGNOSTIC, "Mail Box Is Full", 16, NULL);
	T_STR(m ? m->name : NULL, "full", "prefiltered rule matches");
	m = rb_rules_match(r, RB_FIELD_DIAGNOSTIC, "rejected", 8,
			   "mx.example.com");
	T_STR(m ? m->name : NULL, "host2", "second rule of a shared host");
	m = rb_rules_match(r, RB_FIELD_DIAGNOSTIC, "rejected", 8, "mx.other.org");
	T_STR(m ? m->name : NULL, NULL, "shared host that does not match");
	m = rb_rules_match_scoped(r, RB_FIELD_DIAGNOSTIC, "blocked", 7,
				  "a.example.com");
	T_STR(m ? m->name : NULL, "host", "scoped match");
	rb_rules_free(r);

	/* every built-in rule keeps a literal set its example passes */
	r = rb_rules_default(&lim, &err);
	T_OK(r != NULL, "built-in rules load");
	if (r == NULL) {
		free(err);
		return;
	}
	size_t with = 0;
	for (size_t i = 0; i < r->n; i++)
		with += r->v[i].pf.n > 0;
	printf("# %zu of %zu built-in rules have a literal prefilter\n", with,
	       r->n);
	T_OK(with * 10 >= r->n * 9, "most built-in rules are prefiltered");
	rb_rules_free(r);
}

/* the first-trigram index marks exactly the rules the per-rule test
 * accepts, over the built-in rules' examples, their halves and pairs */
static void
test_index(void)
{
	static const struct rb_limits lim = RB_LIMITS_DEFAULT;
	char *err = NULL;
	struct rb_rules *r = rb_rules_default(&lim, &err);
	if (r == NULL) {
		free(err);
		T_OK(0, "built-in rules load");
		return;
	}
	struct rb_trigrams *t = malloc(sizeof(*t));
	uint64_t *cand = calloc((r->n + 63) / 64 + 1, sizeof(*cand));
	int bad = 0, texts = 0;
	char buf[4096];
	for (size_t i = 0; i < r->n; i++) {
		for (int variant = 0; variant < 4; variant++) {
			const char *a = r->v[i].example;
			const char *b = r->v[(i * 7 + 3) % r->n].example;
			size_t al = strlen(a);
			if (variant == 0)
				snprintf(buf, sizeof(buf), "%s", a);
			else if (variant == 1)
				snprintf(buf, sizeof(buf), "%.*s", (int)(al / 2), a);
			else if (variant == 2)
				snprintf(buf, sizeof(buf), "%s %s", b, a + al / 3);
			else
				snprintf(buf, sizeof(buf), "x%sy", a + 1);
			rb_trigrams_build(t, buf, strlen(buf));
			rb_prefilter_index_scan(r->pindex, t, cand);
			for (size_t k = 0; k < r->n; k++) {
				bool want = rb_prefilter_may_match(&r->v[k].pf, t);
				bool got = (cand[k >> 6] >> (k & 63)) & 1;
				if (want != got)
					bad++;
			}
			texts++;
		}
	}
	T_OK(bad == 0, "index scan = per-rule prefilter on %d texts (%d wrong)",
	     texts, bad);
	free(cand);
	free(t);
	rb_rules_free(r);
}

static bool
same_set(const struct rb_prefilter *a, const struct rb_prefilter *b)
{
	if (a->n != b->n || a->nprog != b->nprog)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->lit[i], b->lit[i]) != 0 || a->len[i] != b->len[i] ||
		    a->off[i] != b->off[i])
			return false;
	size_t t = 0;
	for (size_t i = 0; i < a->n; i++)
		t += a->len[i] - 2;
	return (t == 0 || memcmp(a->tri, b->tri, t * sizeof(*a->tri)) == 0) &&
	       (a->nprog == 0 ||
		memcmp(a->prog, b->prog, a->nprog * sizeof(*a->prog)) == 0);
}

/* the built-in rules' sets come from the build (baked), and they are
 * what reading the patterns at run time gives; every example passes its
 * rule's sets, the branches' too; a file's rules in front of the
 * built-in ones are read, the built-in ones still baked */
static void
test_baked(void)
{
	static const struct rb_limits lim = RB_LIMITS_DEFAULT;
	char *err = NULL;
	struct rb_rules *d = rb_rules_default(&lim, &err);
	T_OK(d != NULL, "built-in rules load");
	if (d == NULL) {
		free(err);
		return;
	}
	size_t baked = 0, same = 0, pass = 0, alts = 0;
	struct rb_trigrams *t = malloc(sizeof(*t));
	for (size_t i = 0; i < d->n; i++) {
		const struct rb_prefilter *f = &d->v[i].pf;
		baked += f->baked;
		alts += f->nprog > 0;
		rb_trigrams_build(t, d->v[i].example, strlen(d->v[i].example));
		pass += rb_prefilter_may_match(f, t) &&
			rb_prefilter_may_match_more(f, t);
		/* as rules.c reads a pattern when nothing is baked */
		struct rb_prefilter g;
		rb_prefilter_extract(d->v[i].pattern, &g);
		if (!rb_prefilter_may_match(&g, t))
			rb_prefilter_free(&g);
		else if (!rb_prefilter_may_match_more(&g, t))
			rb_prefilter_free_more(&g);
		same += same_set(f, &g);
		rb_prefilter_free(&g);
	}
	printf("# %zu of %zu built-in rules check further sets or branches\n",
	       alts, d->n);
	T_OK(baked == d->n, "every built-in rule's sets are baked (%zu)", baked);
	T_OK(same == d->n, "baked sets = sets read at run time (%zu of %zu)",
	     same, d->n);
	T_OK(pass == d->n, "every example passes its sets (%zu of %zu)", pass,
	     d->n);
	free(t);

	size_t len;
	const char *def = rb_rules_default_text(&len);
	static const char mine[] = "rule mine\nreason userunknown\n"
				   "match (?:gone away|moved out)\n"
				   "example 550 gone away\n";
	char *all = malloc(sizeof(mine) + len);
	memcpy(all, mine, sizeof(mine) - 1);
	memcpy(all + sizeof(mine) - 1, def, len);
	struct rb_rules *r =
	    rb_rules_load(all, sizeof(mine) - 1 + len, "mine", &lim, &err);
	T_OK(r != NULL && r->n == d->n + 1, "a file in front of the built-in "
					    "rules loads");
	if (r != NULL) {
		size_t b = 0;
		for (size_t i = 1; i < r->n; i++)
			b += r->v[i].pf.baked && same_set(&r->v[i].pf, &d->v[i - 1].pf);
		T_OK(!r->v[0].pf.baked && r->v[0].pf.nalt == 2,
		     "the file's rule is read");
		T_OK(b == d->n, "the built-in rules behind it are baked (%zu)", b);
	}
	free(err);
	free(all);
	rb_rules_free(r);
	rb_rules_free(d);
}

int
main(void)
{
	test_extract();
	test_trigrams();
	test_engine();
	test_index();
	test_baked();
	T_DONE();
}
