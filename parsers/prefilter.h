/*
 * prefilter: a cheap necessary condition for a PCRE2 pattern, so that the
 * rules engine runs only the few regexes that can match a text.
 *
 * rb_prefilter_extract() reads a pattern (PCRE2 syntax, compiled
 * case-insensitive) and finds a set of literals of which at least one
 * must occur in any text the pattern matches: "user (?:unknown|not
 * found)" requires "user " (or "unknown" / "not found").  Only ASCII and
 * caseless CJK/Hangul characters go into a literal (other letters have
 * Unicode case variants); ASCII is folded to lower case.  Any construct
 * it does not fully understand ((?x), verbs, conditionals, recursion,
 * unusual escapes) makes it give up: a rule without a literal set simply
 * always runs.  Giving up is always safe, a wrong literal never is, so
 * the reader is deliberately conservative.
 *
 * rb_trigrams is a bitmap of the (lower-cased) byte trigrams of a text;
 * a literal whose trigrams are not all in it does not occur in the text.
 * False positives only cost a regex run.
 *
 * Caseless matching in PCRE2 with UTF also folds U+212A KELVIN SIGN to
 * 'k' and U+017F LONG S to 's': rb_trigrams_build() reports texts that
 * contain them, and the caller must then not use the prefilter.
 *
 * Memory: literals are malloc'ed (rb_prefilter_free), or constant data
 * when baked; the bitmap lives in the caller's struct.  No globals.
 */
#ifndef RB_PREFILTER_H
#define RB_PREFILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RB_PREFILTER_MAXLIT 64	/* alternatives in one literal set */
#define RB_PREFILTER_MINLEN 3	/* shorter literals are not worth it */
#define RB_TRIGRAM_BITS 13	/* 8192-bit map: 1 KiB, cheap to clear */

struct rb_prefilter {
	size_t n;		/* 0: no literal known, always run */
	const char *lit[RB_PREFILTER_MAXLIT];	/* lower-cased, NUL-terminated */
	uint8_t len[RB_PREFILTER_MAXLIT];	/* at most 32 */
	/* trigram hashes of all literals in one array (locality: a rule
	 * check touches one block): literal i's len[i] - 2 start at off[i] */
	const uint16_t *tri;
	uint16_t off[RB_PREFILTER_MAXLIT];
	/* further literal sets the text must meet as well (each with
	 * nmore == 0), checked after the index named the rule */
	const struct rb_prefilter *more;
	size_t nmore;
	/* a pattern that is an alternation of branches ("(?:a|b|c)"): each
	 * branch's sets (a set with its further sets), all of one branch of
	 * which the text must meet: "(?:mailbox (?:is )?full|quota (?:was
	 * )?exceeded)" needs "mailbox " and "full", or "quota " and
	 * "exceeded", where the sets above (one of "mailbox ", "quota ";
	 * one of "full", "exceeded") let "mailbox size exceeded" through.
	 * nalt == 0: not known */
	const struct rb_prefilter *alt;
	size_t nalt;
	/* the further sets and the branches' sets as one array of words,
	 * which rb_prefilter_may_match_more() reads front to back (a few
	 * cache lines, where the structs above are spread over many); NULL
	 * when there are none.  It holds a list of sets (the further sets),
	 * the number of branches, and a list of sets per branch (its first
	 * and further sets).  A list: its length in words, then its sets; a
	 * set: its length in words, then per literal the number of its
	 * trigrams and the trigrams */
	const uint16_t *prog;
	size_t nprog;
	/* true: all of it is constant data written by the build (the
	 * built-in rules' sets, scripts/gen-rules-pcre.c), which
	 * rb_prefilter_free() leaves alone; the further sets and branches
	 * are there only as prog (more and alt NULL) */
	bool baked;
};

/* Fill f from a pattern; f->n == 0 when no literal set was found.
 * Returns 0 (always succeeds; gives up into n == 0). */
int rb_prefilter_extract(const char *pattern, struct rb_prefilter *f);
void rb_prefilter_free(struct rb_prefilter *f);
/* Drop only the further sets (f->more, f->alt). */
void rb_prefilter_free_more(struct rb_prefilter *f);

struct rb_trigrams {
	uint64_t bits[(1u << RB_TRIGRAM_BITS) / 64];
	bool unsafe;		/* text holds U+212A or U+017F */
};

void rb_trigrams_build(struct rb_trigrams *t, const char *text, size_t len);
/* May the text contain one of f's literals?  true when f->n == 0.
 * Only the first set (the one the index holds). */
bool rb_prefilter_may_match(const struct rb_prefilter *f,
			    const struct rb_trigrams *t);
/* ... and one literal of every further set (f->more), and the sets of
 * one branch (f->alt)? */
bool rb_prefilter_may_match_more(const struct rb_prefilter *f,
				 const struct rb_trigrams *t);

/*
 * An index of many literal sets by one trigram of every literal (its
 * least used among all literals: short buckets for common trigrams), so
 * that one pass over a text's trigrams that key some literal marks the
 * sets that may match, instead of testing every set (a rule file has
 * hundreds).
 */
struct rb_prefilter_index {
	/* the entries of every bucket with any, bucket after bucket: the
	 * set (two words, low first), the number of the literal's other
	 * trigrams, those trigrams (a scan reads a bucket front to back) */
	uint16_t *pool;
	uint32_t *boff;		/* pool start of the k-th bucket with
				 * entries (k = its rank), and the end */
	uint32_t *rank;		/* buckets with entries before word w */
	uint32_t *always;	/* sets without literals */
	uint64_t *nonempty;	/* buckets with entries, one bit each: the
				 * scan visits the text's trigrams that are
				 * also here (bits AND nonempty), no others */
	size_t nalways, nsets;
};

/* Build over sets[0..n) (the index keeps what it needs of them). */
void rb_prefilter_index_build(struct rb_prefilter_index *ix,
			      const struct rb_prefilter *const *sets, size_t n);
void rb_prefilter_index_free(struct rb_prefilter_index *ix);
/* Set bit i of cand (n bits, cleared here) for every set i that may
 * match the text: exactly the sets rb_prefilter_may_match() accepts. */
void rb_prefilter_index_scan(const struct rb_prefilter_index *ix,
			     const struct rb_trigrams *t, uint64_t *cand);

#endif
