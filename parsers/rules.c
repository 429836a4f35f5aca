#define PCRE2_CODE_UNIT_WIDTH 8
#include "rules.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcre2.h>
#include <pthread.h>
#include <stdatomic.h>

#include "reason.h"

/* lazy JIT state of a rule set (see jit_once), and the patterns of a
 * lazily compiled one (see lazy_code) */
struct lazy_jit {
	pthread_mutex_t mu;
	pcre2_code *_Atomic *code;	/* per slot, lazy sets only */
	atomic_uchar done[];	/* per slot: 0 not yet, 1 tried */
};


static char *
xstrndup(const char *s, size_t n)
{
	char *p = malloc(n + 1);
	if (p == NULL)
		abort();
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

static char *
fmt_error(const char *fmt, ...)
{
	va_list ap;
	char buf[512];
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return xstrndup(buf, strlen(buf));
}

static void
rule_free(struct rb_rule *r)
{
	free(r->name);
	free(r->reason);
	free(r->feedback);
	free(r->subreason);
	free(r->pattern);
	free(r->host);
	free(r->example);
	pcre2_code_free(r->re);
	pcre2_code_free(r->host_re);
	rb_prefilter_free(&r->pf);
}

void
rb_rules_free(struct rb_rules *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->n; i++)
		rule_free(&r->v[i]);
	free(r->v);
	pcre2_match_context_free(r->mctx);
	if (r->jit != NULL) {
		struct lazy_jit *lj = r->jit;
		if (lj->code != NULL) {
			for (size_t i = 0; i < 2 * r->n; i++)
				pcre2_code_free(atomic_load(&lj->code[i]));
			free(lj->code);
		}
		pthread_mutex_destroy(&lj->mu);
		free(lj);
	}
	if (r->pindex != NULL) {
		rb_prefilter_index_free(r->pindex);
		free(r->pindex);
	}
	free(r);
}

static pcre2_code *
compile(const char *pat, char **err)
{
	int ec;
	PCRE2_SIZE eo;
	pcre2_code *re = pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED,
				       PCRE2_CASELESS | PCRE2_UTF | PCRE2_UCP,
				       &ec, &eo, NULL);
	if (re == NULL) {
		PCRE2_UCHAR msg[256];
		pcre2_get_error_message(ec, msg, sizeof(msg));
		*err = fmt_error("%s at offset %zu", (char *)msg, (size_t)eo);
		return NULL;
	}
	return re;	/* JIT-compiled on first use (jit_once) */
}

/*
 * Lazy JIT: a pattern is JIT-compiled the first time a text is matched
 * against it, not at load time: the prefilter keeps most rules from ever
 * running, and compiling all of them cost more than a short parse run.
 * Slot 2i is rule i's pattern, 2i + 1 its host pattern.  The rule set
 * may be shared by threads: a slot's state is read with acquire, and the
 * compile happens under the mutex, so no thread matches a pattern while
 * another compiles it.  A failed JIT (W^X) leaves the interpreter.
 */
static void
jit_once(const struct rb_rules *r, pcre2_code *re, long slot)
{
	struct lazy_jit *lj = r->jit;
	if (lj == NULL || slot < 0 || (size_t)slot >= 2 * r->n ||
	    atomic_load_explicit(&lj->done[slot], memory_order_acquire))
		return;
	pthread_mutex_lock(&lj->mu);
	if (!atomic_load_explicit(&lj->done[slot], memory_order_relaxed)) {
		pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);	/* may fail */
		atomic_store_explicit(&lj->done[slot], 1,
				      memory_order_release);
	}
	pthread_mutex_unlock(&lj->mu);
}

/*
 * A lazily compiled rule set (the built-in rules: most of them never run
 * in a process, and they were checked when the binary was built) keeps
 * its patterns as text until a slot is first matched; then the pattern
 * is compiled and JIT-compiled under the mutex and published with
 * release (read with acquire), once.  NULL when it does not compile.
 */
static pcre2_code *
lazy_code(const struct rb_rules *r, long slot)
{
	struct lazy_jit *lj = r->jit;
	if (lj == NULL || lj->code == NULL || slot < 0 ||
	    (size_t)slot >= 2 * r->n)
		return NULL;
	pcre2_code *c =
	    atomic_load_explicit(&lj->code[slot], memory_order_acquire);
	if (c != NULL ||
	    atomic_load_explicit(&lj->done[slot], memory_order_acquire))
		return c;
	pthread_mutex_lock(&lj->mu);
	if (!atomic_load_explicit(&lj->done[slot], memory_order_relaxed)) {
		const struct rb_rule *rule = &r->v[slot / 2];
		const char *pat = slot % 2 ? rule->host : rule->pattern;
		char *err = NULL;
		c = pat != NULL ? compile(pat, &err) : NULL;
		free(err);
		if (c != NULL) {
			pcre2_jit_compile(c, PCRE2_JIT_COMPLETE); /* may fail */
			atomic_store_explicit(&lj->code[slot], c,
					      memory_order_release);
		}
		atomic_store_explicit(&lj->done[slot], 1,
				      memory_order_release);
	}
	pthread_mutex_unlock(&lj->mu);
	return atomic_load_explicit(&lj->code[slot], memory_order_acquire);
}

/* slot: the pattern's lazy-JIT slot, -1 for none (load-time checks);
 * re NULL: a lazily compiled set's pattern (lazy_code) */
static int
run(const struct rb_rules *r, pcre2_code *re, long slot, const char *text,
    size_t len)
{
	if (re == NULL) {
		re = lazy_code(r, slot);
		if (re == NULL)
			return -1;
	} else {
		jit_once(r, re, slot);
	}
	if (len > r->lim.max_text) {
		/* cut on a UTF-8 character boundary: PCRE2_NO_UTF_CHECK below
		 * relies on the text being valid UTF-8 (rb_mail sanitises) */
		len = r->lim.max_text;
		while (len > 0 && ((unsigned char)text[len] & 0xc0) == 0x80)
			len--;
	}
	/* one match block per thread, reused: a parse runs ~100 matches per
	 * mail and the rule set itself is shared and immutable */
	static _Thread_local pcre2_match_data *md;
	if (md == NULL && (md = pcre2_match_data_create(1, NULL)) == NULL)
		return -1;
	int rc = pcre2_match(re, (PCRE2_SPTR)text, len, 0, PCRE2_NO_UTF_CHECK,
			     md, r->mctx);
	if (rc >= 0)
		return 1;
	return rc == PCRE2_ERROR_NOMATCH ? 0 : -1;
}

static const char *const field_names[RB_FIELD_COUNT] = {
	[RB_FIELD_DIAGNOSTIC] = "diagnostic",
	[RB_FIELD_SUBJECT] = "subject",
	[RB_FIELD_BODY] = "body",
	[RB_FIELD_FROM] = "from",
};

static int
finish_rule(struct rb_rules *rs, struct rb_rule *r, const char *origin,
	    bool lazy, char **error_r)
{
	char *err = NULL;
	if (r->reason == NULL || r->pattern == NULL || r->example == NULL) {
		*error_r = fmt_error("%s:%d: rule %s needs reason, match and "
				     "example",
				     origin, r->line, r->name);
		return -1;
	}
	if (!rb_reason_known(r->reason)) {
		*error_r = fmt_error("%s:%d: rule %s: unknown reason '%s'",
				     origin, r->line, r->name, r->reason);
		return -1;
	}
	if (lazy)
		goto literals;	/* compiled on first use (lazy_code) */
	r->re = compile(r->pattern, &err);
	if (r->re == NULL) {
		*error_r = fmt_error("%s:%d: rule %s: bad pattern: %s", origin,
				     r->line, r->name, err);
		free(err);
		return -1;
	}
	if (r->host != NULL) {
		r->host_re = compile(r->host, &err);
		if (r->host_re == NULL) {
			*error_r =
			    fmt_error("%s:%d: rule %s: bad host pattern: %s",
				      origin, r->line, r->name, err);
			free(err);
			return -1;
		}
	}
	if (run(rs, r->re, -1, r->example, strlen(r->example)) != 1) {
		*error_r = fmt_error("%s:%d: rule %s does not match its own "
				     "example",
				     origin, r->line, r->name);
		return -1;
	}
literals:
	rb_prefilter_extract(r->pattern, &r->pf);
	if (r->pf.n > 0) {
		/* the example matches (checked above, or by the tests for
		 * the built-in rules), so it must pass the prefilter; if it
		 * does not, the literal reader misread the pattern: run the
		 * rule always rather than trust it */
		struct rb_trigrams *t = malloc(sizeof(*t));
		if (t == NULL)
			abort();
		rb_trigrams_build(t, r->example, strlen(r->example));
		if (!rb_prefilter_may_match(&r->pf, t))
			rb_prefilter_free(&r->pf);
		else if (!rb_prefilter_may_match_more(&r->pf, t))
			rb_prefilter_free_more(&r->pf);
		free(t);
	}
	if (r->host != NULL) {
		/* rules sharing a host pattern share its match */
		size_t i;
		for (i = 0; rs->v + i < r; i++)
			if (rs->v[i].host && strcmp(rs->v[i].host, r->host) == 0)
				break;
		r->host_id = rs->v + i < r ? rs->v[i].host_id : rs->nhosts++;
	}
	return 0;
}

static struct rb_rules *
load(const char *text, size_t len, const char *origin,
     const struct rb_limits *lim, bool lazy, char **error_r)
{
	struct rb_rules *rs = calloc(1, sizeof(*rs));
	size_t cap = 0;
	struct rb_rule *cur = NULL;
	size_t pos = 0;
	int lineno = 0;

	if (rs == NULL)
		abort();
	*error_r = NULL;
	rs->lim = *lim;
	rs->mctx = pcre2_match_context_create(NULL);
	pcre2_set_match_limit(rs->mctx, lim->regex_match);
	pcre2_set_depth_limit(rs->mctx, lim->regex_depth);
	pcre2_set_heap_limit(rs->mctx, lim->regex_heap);

	while (pos < len) {
		const char *line = text + pos;
		const char *nl = memchr(line, '\n', len - pos);
		size_t ll = nl ? (size_t)(nl - line) : len - pos;
		pos += ll + (nl ? 1 : 0);
		lineno++;
		while (ll > 0 && (line[ll - 1] == '\r' || line[ll - 1] == ' ' ||
				  line[ll - 1] == '\t'))
			ll--;
		size_t i = 0;
		while (i < ll && (line[i] == ' ' || line[i] == '\t'))
			i++;
		if (i == ll || line[i] == '#')
			continue;
		size_t ks = i;
		while (i < ll && line[i] != ' ' && line[i] != '\t')
			i++;
		char *key = xstrndup(line + ks, i - ks);
		while (i < ll && (line[i] == ' ' || line[i] == '\t'))
			i++;
		char *val = xstrndup(line + i, ll - i);

		if (strcmp(key, "rule") == 0) {
			if (cur && finish_rule(rs, cur, origin, lazy, error_r) < 0)
				goto fail_kv;
			if (rs->n == cap) {
				cap = cap ? cap * 2 : 64;
				rs->v = realloc(rs->v, cap * sizeof(*rs->v));
				if (rs->v == NULL)
					abort();
			}
			cur = &rs->v[rs->n++];
			memset(cur, 0, sizeof(*cur));
			cur->name = val;
			cur->hard = -1;
			cur->line = lineno;
			val = NULL;
		} else if (cur == NULL) {
			*error_r = fmt_error("%s:%d: '%s' outside a rule",
					     origin, lineno, key);
			goto fail_kv;
		} else if (val[0] == '\0') {
			*error_r = fmt_error("%s:%d: '%s' needs a value", origin,
					     lineno, key);
			goto fail_kv;
		} else if (strcmp(key, "reason") == 0 && !cur->reason) {
			cur->reason = val, val = NULL;
		} else if (strcmp(key, "match") == 0 && !cur->pattern) {
			cur->pattern = val, val = NULL;
		} else if (strcmp(key, "example") == 0 && !cur->example) {
			cur->example = val, val = NULL;
		} else if (strcmp(key, "host") == 0 && !cur->host) {
			cur->host = val, val = NULL;
		} else if (strcmp(key, "feedback") == 0 && !cur->feedback) {
			cur->feedback = val, val = NULL;
		} else if (strcmp(key, "subreason") == 0 && !cur->subreason) {
			cur->subreason = val, val = NULL;
		} else if (strcmp(key, "hard") == 0) {
			if (strcmp(val, "yes") == 0)
				cur->hard = 1;
			else if (strcmp(val, "no") == 0)
				cur->hard = 0;
			else {
				*error_r = fmt_error(
				    "%s:%d: hard must be yes or no", origin,
				    lineno);
				goto fail_kv;
			}
		} else if (strcmp(key, "field") == 0) {
			int f;
			for (f = 0; f < RB_FIELD_COUNT; f++)
				if (strcmp(val, field_names[f]) == 0)
					break;
			if (f == RB_FIELD_COUNT) {
				*error_r = fmt_error("%s:%d: unknown field '%s'",
						     origin, lineno, val);
				goto fail_kv;
			}
			cur->field = (enum rb_rule_field)f;
		} else {
			*error_r = fmt_error("%s:%d: unknown or repeated key "
					     "'%s'",
					     origin, lineno, key);
			goto fail_kv;
		}
		free(key);
		free(val);
		continue;
	fail_kv:
		free(key);
		free(val);
		rb_rules_free(rs);
		return NULL;
	}
	if (cur && finish_rule(rs, cur, origin, lazy, error_r) < 0) {
		rb_rules_free(rs);
		return NULL;
	}
	struct lazy_jit *lj =
	    calloc(1, sizeof(*lj) + 2 * (rs->n ? rs->n : 1) * sizeof(lj->done[0]));
	if (lj == NULL || pthread_mutex_init(&lj->mu, NULL) != 0)
		abort();
	if (lazy) {
		lj->code = calloc(2 * (rs->n ? rs->n : 1), sizeof(*lj->code));
		if (lj->code == NULL)
			abort();
	}
	rs->jit = lj;
	/* the rules' literals by trigram (rs->v no longer moves) */
	const struct rb_prefilter **sets =
	    malloc((rs->n ? rs->n : 1) * sizeof(*sets));
	rs->pindex = malloc(sizeof(*rs->pindex));
	if (sets == NULL || rs->pindex == NULL)
		abort();
	for (size_t i = 0; i < rs->n; i++)
		sets[i] = &rs->v[i].pf;
	rb_prefilter_index_build(rs->pindex, sets, rs->n);
	free(sets);
	return rs;
}

/* Per-thread state of one matching call: the trigram map of the text
 * (built on first need) and the host patterns' results. */
struct mstate {
	const struct rb_rules *r;
	const char *text;
	size_t len;
	const char *host;
	bool built;
	signed char hostres[64];	/* -1 unknown, 0 no, 1 yes */
};

static _Thread_local struct rb_trigrams tl_tri;

static bool
may_match(struct mstate *s, const struct rb_rule *rule)
{
	if (rule->pf.n == 0)
		return true;
	if (!s->built) {
		size_t n = s->len > s->r->lim.max_text ? s->r->lim.max_text
						       : s->len;
		rb_trigrams_build(&tl_tri, s->text, n);
		s->built = true;
	}
	return rb_prefilter_may_match(&rule->pf, &tl_tri) &&
	       rb_prefilter_may_match_more(&rule->pf, &tl_tri);
}

static bool
host_ok(struct mstate *s, const struct rb_rule *rule)
{
	if (rule->host == NULL)
		return true;
	if (s->host == NULL)
		return false;
	unsigned id = rule->host_id;
	if (id < sizeof(s->hostres) && s->hostres[id] >= 0)
		return s->hostres[id] == 1;
	bool ok = run(s->r, rule->host_re, 2 * (rule - s->r->v) + 1, s->host,
		      strlen(s->host)) == 1;
	if (id < sizeof(s->hostres))
		s->hostres[id] = ok ? 1 : 0;
	return ok;
}

/* candidate rules of the text in hand: one bit a rule */
#define MAXCAND 4096
static _Thread_local uint64_t tl_cand[MAXCAND / 64];

/* First rule of the field that matches, among the candidates of the
 * text (tl_cand, when indexed) or all rules; scoped: host rules only. */
static const struct rb_rule *
first_match(struct mstate *s, enum rb_rule_field field, bool indexed,
	    bool scoped)
{
	const struct rb_rules *r = s->r;
	if (indexed) {
		/* only the candidates' bits, in rule order */
		size_t words = (r->n + 63) / 64;
		for (size_t w = 0; w < words; w++) {
			for (uint64_t bits = tl_cand[w]; bits != 0;
			     bits &= bits - 1) {
				size_t i = w * 64 + (size_t)__builtin_ctzll(bits);
				const struct rb_rule *rule = &r->v[i];
				if (rule->field != field ||
				    (scoped && rule->host == NULL))
					continue;
				/* the index checked the first literal set */
				if (rule->pf.nmore > 0 &&
				    !rb_prefilter_may_match_more(&rule->pf,
								 &tl_tri))
					continue;
				if (host_ok(s, rule) &&
				    run(r, rule->re, 2 * (long)i, s->text,
					s->len) == 1)
					return rule;
			}
		}
		return NULL;
	}
	for (size_t i = 0; i < r->n; i++) {
		const struct rb_rule *rule = &r->v[i];
		if (rule->field != field || (scoped && rule->host == NULL))
			continue;
		if (!may_match(s, rule) || !host_ok(s, rule))
			continue;
		if (run(r, rule->re, 2 * (long)i, s->text, s->len) == 1)
			return rule;
	}
	return NULL;
}

/* The text's trigram map and candidate rules into tl_tri / tl_cand;
 * false when the rule set is not indexed (may_match per rule then). */
static bool
index_text(struct mstate *s)
{
	const struct rb_rules *r = s->r;
	if (r->pindex == NULL || r->n > MAXCAND)
		return false;
	size_t n = s->len > r->lim.max_text ? r->lim.max_text : s->len;
	rb_trigrams_build(&tl_tri, s->text, n);
	s->built = true;
	rb_prefilter_index_scan(r->pindex, &tl_tri, tl_cand);
	return true;
}

static const struct rb_rule *
match(const struct rb_rules *r, enum rb_rule_field field, const char *text,
      size_t len, const char *host, bool scoped)
{
	struct mstate s = {.r = r, .text = text, .len = len, .host = host};
	memset(s.hostres, -1, sizeof(s.hostres));
	bool indexed = index_text(&s);
	return first_match(&s, field, indexed, scoped);
}

const struct rb_rule *
rb_rules_match(const struct rb_rules *r, enum rb_rule_field field,
	       const char *text, size_t len, const char *host)
{
	if (r == NULL || text == NULL || len == 0)
		return NULL;
	return match(r, field, text, len, host, false);
}

const struct rb_rule *
rb_rules_match_scoped(const struct rb_rules *r, enum rb_rule_field field,
		      const char *text, size_t len, const char *host)
{
	if (r == NULL || text == NULL || len == 0 || host == NULL)
		return NULL;
	return match(r, field, text, len, host, true);
}

const struct rb_rule *
rb_rules_match_both(const struct rb_rules *r, enum rb_rule_field field,
		    const char *text, size_t len, const char *host,
		    const struct rb_rule **any)
{
	*any = NULL;
	if (r == NULL || text == NULL || len == 0)
		return NULL;
	struct mstate s = {.r = r, .text = text, .len = len, .host = host};
	memset(s.hostres, -1, sizeof(s.hostres));
	bool indexed = index_text(&s);
	const struct rb_rule *scoped =
	    host != NULL ? first_match(&s, field, indexed, true) : NULL;
	if (scoped == NULL)
		*any = first_match(&s, field, indexed, false);
	return scoped;
}

int
rb_rule_matches(const struct rb_rules *r, const struct rb_rule *rule,
		const char *text, size_t len)
{
	return run(r, rule->re, 2 * (rule - r->v), text, len);
}

/* generated from etc/rules/ by the Makefile */
extern const unsigned char rb_default_rules[];
extern const unsigned int rb_default_rules_len;

const char *
rb_rules_default_text(size_t *len)
{
	*len = rb_default_rules_len;
	return (const char *)rb_default_rules;
}

struct rb_rules *
rb_rules_load(const char *text, size_t len, const char *origin,
	      const struct rb_limits *lim, char **error_r)
{
	return load(text, len, origin, lim, false, error_r);
}

struct rb_rules *
rb_rules_default(const struct rb_limits *lim, char **error_r)
{
	return load((const char *)rb_default_rules, rb_default_rules_len,
		    "(built-in rules)", lim, true, error_r);
}

int
rb_rules_check(const struct rb_rules *r, char **error_r)
{
	*error_r = NULL;
	for (size_t i = 0; i < r->n; i++) {
		const struct rb_rule *rule = &r->v[i];
		if (rule->host != NULL &&
		    run(r, rule->host_re, 2 * (long)i + 1, "", 0) < 0) {
			*error_r = fmt_error("rule %s: bad host pattern",
					     rule->name);
			return -1;
		}
		if (run(r, rule->re, 2 * (long)i, rule->example,
			strlen(rule->example)) != 1) {
			*error_r = fmt_error("rule %s: bad pattern, or it does "
					     "not match its own example",
					     rule->name);
			return -1;
		}
	}
	return 0;
}
