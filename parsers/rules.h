/*
 * rules: pattern rules as data.  A rules file is a list of blocks:
 *
 *   rule  gmail-account-disabled
 *   reason  suspend
 *   hard    no                      (optional; default: from the reason)
 *   field   diagnostic              (diagnostic|subject|body|from; default
 *                                    diagnostic)
 *   host    (?:^|\.)google\.com$    (optional: remote MTA must match)
 *   feedback rejected-by-recipient  (optional: the event becomes a
 *                                    complaint of this feedback type)
 *   subreason antispam:rate          (optional: the event's sub_reason,
 *                                    a provider's own verdict class)
 *   match   account that you tried to reach is disabled
 *   example 550-5.2.1 The email account that you tried to reach is disabled.
 *
 * Patterns are PCRE2, UTF-8, case-insensitive.  Every rule must carry an
 * example that its own pattern matches (checked when loading: a rules
 * file with a rule that does not match its example is rejected).  Rules
 * are tried in file order; the first match wins.
 *
 * Every match runs with match, depth and heap limits and on text capped at
 * max_text bytes; a match that hits a limit counts as no match.
 *
 * Speed: each pattern's required literals (prefilter.h) are checked
 * against the text's trigram map before PCRE2 runs (JIT-compiled where
 * the system allows it, the interpreter otherwise), and a host pattern
 * shared by several rules is matched once per call.
 *
 * A compiled rule set is immutable after loading (but for the JIT code
 * its patterns get on first use, which is thread-safe) and may be shared.
 */
#ifndef RB_RULES_H
#define RB_RULES_H

#include <stdbool.h>
#include <stddef.h>

#include "limits.h"
#include "prefilter.h"

enum rb_rule_field {
	RB_FIELD_DIAGNOSTIC = 0,
	RB_FIELD_SUBJECT,
	RB_FIELD_BODY,
	RB_FIELD_FROM,
	RB_FIELD_COUNT
};

struct rb_rule {
	char *name;
	char *reason;
	int hard;		/* 1, 0, or -1 for "from the reason" */
	enum rb_rule_field field;
	char *feedback;		/* NULL unless the rule makes a complaint */
	char *subreason;	/* NULL unless the rule names a sub-reason */
	char *delay;		/* the reason on a delay, NULL: reason */
	bool vague;		/* the wording names no cause ("try again
				 * later"): a reader looking for the text
				 * that explains a failure passes over it */
	char *pattern;
	char *host;		/* NULL: any host */
	char *example;
	int line;		/* where the rule starts in its file */
	void *re;		/* pcre2_code *; NULL in a lazily compiled
				 * set (the built-in rules) */
	void *host_re;		/* pcre2_code * or NULL (no host, or lazy) */
	struct rb_prefilter pf;	/* literals one of which the text needs */
	unsigned host_id;	/* index of the host pattern among distinct
				 * ones (their match is computed once per
				 * call), valid when host != NULL */
};

struct rb_rules {
	struct rb_rule *v;
	size_t n;
	struct rb_limits lim;
	void *mctx;		/* pcre2_match_context * with the limits */
	unsigned nhosts;	/* distinct host patterns */
	struct rb_prefilter_index *pindex;	/* all rules' literals */
	void *jit;		/* internal: which patterns are JIT-compiled
				 * (on first use; thread-safe) */
};

/*
 * Compile a rules text.  On error returns NULL and sets *error_r to a
 * malloc'ed message naming origin:line (caller frees).
 */
struct rb_rules *rb_rules_load(const char *text, size_t len,
			       const char *origin,
			       const struct rb_limits *lim, char **error_r);
/* The rules compiled into the binary (etc/rules/NN-name.rules).  Their
 * patterns are compiled when first matched, not here (a parse needs a
 * fraction of them; the tests check them all): rb_rules_check() compiles
 * and checks every one. */
struct rb_rules *rb_rules_default(const struct rb_limits *lim,
				  char **error_r);
/* Compile (when not yet) every pattern of r and match every rule's
 * example: 0, or -1 with a malloc'ed message in *error_r. */
int rb_rules_check(const struct rb_rules *r, char **error_r);
/* The built-in rules' patterns compiled, as one pcre2_serialize_encode()
 * blob (malloc'ed, *len bytes; NULL when one does not compile): every
 * slot's pattern, the rules' in order, each rule's pattern before its
 * host pattern.  The build embeds it (scripts/gen-rules-pcre.c), and
 * rb_rules_default() decodes it instead of compiling (a decode is a
 * copy; when the running PCRE2 cannot read it, or it is not of these
 * rules, patterns compile). */
unsigned char *rb_rules_serialize(const struct rb_rules *r, size_t *len);
/* What the build read of the built-in rules (scripts/gen-rules-pcre.c
 * writes them as constant data, in file order): a rule's texts and its
 * literal sets.  Loading takes a rule's sets from here instead of reading
 * its pattern when its texts are those of the next built-in rule (also
 * behind a file's rules, rb_load_rules), and rb_rules_default() decodes
 * the blob above only when every rule's texts are the build's (a binary
 * whose rules differ from its tables reads and compiles). */
struct rb_rule_baked {
	const char *pattern;
	const char *host;	/* NULL: none */
	const char *example;
	struct rb_prefilter pf;
};
/* The embedded default text (for `rebound rules --dump`). */
const char *rb_rules_default_text(size_t *len);
void rb_rules_free(struct rb_rules *r);

/*
 * First rule of this field matching text (and host, when the rule is
 * scoped to hosts).  NULL when none matches.
 */
const struct rb_rule *rb_rules_match(const struct rb_rules *r,
				     enum rb_rule_field field,
				     const char *text, size_t len,
				     const char *host);
/*
 * The same, trying only the rules scoped to hosts (provider rules); they
 * are consulted before the generic meaning of a status code.
 */
const struct rb_rule *rb_rules_match_scoped(const struct rb_rules *r,
					    enum rb_rule_field field,
					    const char *text, size_t len,
					    const char *host);
/*
 * Both in one pass over the text (one trigram map, one index scan): the
 * rb_rules_match_scoped() result is returned (NULL when host is NULL),
 * and only when it is NULL is *any set to the rb_rules_match() result
 * (else *any is NULL).
 */
const struct rb_rule *rb_rules_match_both(const struct rb_rules *r,
					  enum rb_rule_field field,
					  const char *text, size_t len,
					  const char *host,
					  const struct rb_rule **any);
/* Match one pattern of a rule against a text (tests, --check). 1/0/-1. */
int rb_rule_matches(const struct rb_rules *r, const struct rb_rule *rule,
		    const char *text, size_t len);

/* The rule set a command runs with: the built-in rules when path is
 * NULL, else the file's rules in front of the built-in ones (tried
 * first).  Logs the error and returns NULL. */
struct rb_rules *rb_load_rules(const char *path, const struct rb_limits *lim);

#endif
