/* rules: loading (errors name file:line), matching, host scoping, regex
 * limits, the max_text cut on a UTF-8 boundary, and the built-in set. */
#include <stdlib.h>
#include <string.h>

#include "parsers/rules.h"
#include "t.h"

static const struct rb_limits deflim = RB_LIMITS_DEFAULT;

static const struct {
	const char *text;
	const char *error;	/* substring of the error; NULL: loads */
} loads[] = {
    {"rule a\nreason userunknown\nmatch x\nexample x\n", NULL},
    {"# comment\n\n  \nrule a\n  reason userunknown\n\tmatch x\nexample x\n",
     NULL},
    {"", NULL},
    {"rule a\nreason userunknown\nmatch user unknown\n", "t.rules:1: rule a "
     "needs reason, match and example"},
    {"rule a\nreason userunknown\nmatch x\nexample x\n\n"
     "rule b\nreason nosuchreason\nmatch y\nexample y\n",
     "t.rules:6: rule b: unknown reason 'nosuchreason'"},
    {"rule a\nreason userunknown\nmatch (unclosed\nexample x\n",
     "t.rules:1: rule a: bad pattern"},
    {"rule a\nreason userunknown\nhost [bad\nmatch x\nexample x\n",
     "t.rules:1: rule a: bad host pattern"},
    {"rule a\nreason expired\ndelay networkerror\nmatch x\nexample x\n",
     NULL},
    {"rule a\nreason expired\ndelay nosuch\nmatch x\nexample x\n",
     "t.rules:1: rule a: unknown delay reason 'nosuch'"},
    {"rule a\nreason networkerror\nvague yes\nmatch x\nexample x\n", NULL},
    {"rule a\nreason networkerror\nvague perhaps\n",
     "t.rules:3: vague must be yes or no"},
    {"reason userunknown\n", "t.rules:1: 'reason' outside a rule"},
    {"rule a\nreason\n", "t.rules:2: 'reason' needs a value"},
    {"rule a\nreason userunknown\nhard maybe\n",
     "t.rules:3: hard must be yes or no"},
    {"rule a\nreason userunknown\nfield header\n",
     "t.rules:3: unknown field 'header'"},
    {"rule a\nreason userunknown\nreason mailboxfull\n",
     "t.rules:3: unknown or repeated key 'reason'"},
    {"rule a\nreason userunknown\nmatchx y\n",
     "t.rules:3: unknown or repeated key 'matchx'"},
    /* the example must match its own pattern */
    {"rule a\nreason userunknown\nmatch user unknown\nexample mailbox full\n",
     "t.rules:1: rule a does not match its own example"},
    {"rule a\nreason userunknown\nmatch x\nexample x\n"
     "rule b\nreason mailboxfull\nmatch ^quota$\nexample over quota\n",
     "t.rules:5: rule b does not match its own example"},
};

static void
test_loading(void)
{
	for (size_t i = 0; i < sizeof(loads) / sizeof(loads[0]); i++) {
		char *err = NULL;
		struct rb_rules *r = rb_rules_load(loads[i].text,
						   strlen(loads[i].text),
						   "t.rules", &deflim, &err);
		if (loads[i].error == NULL) {
			T_OK(r != NULL && err == NULL, "rules %zu load", i);
			if (err)
				printf("#   error: %s\n", err);
		} else {
			T_OK(r == NULL && err != NULL &&
				 strstr(err, loads[i].error) != NULL,
			     "rules %zu rejected with [%s]", i, loads[i].error);
			if (err && !strstr(err, loads[i].error))
				printf("#   got: %s\n", err);
		}
		free(err);
		rb_rules_free(r);
	}
}

static struct rb_rules *
load(const char *text, const struct rb_limits *lim)
{
	char *err = NULL;
	struct rb_rules *r =
	    rb_rules_load(text, strlen(text), "t.rules", lim, &err);
	if (r == NULL) {
		printf("# load failed: %s\n", err);
		free(err);
	}
	return r;
}

static const char *
match_name(const struct rb_rules *r, enum rb_rule_field f, const char *text,
	   const char *host)
{
	const struct rb_rule *m = rb_rules_match(r, f, text, strlen(text), host);
	return m ? m->name : NULL;
}

static void
test_matching(void)
{
	struct rb_rules *r = load(
	    "rule google-disabled\nreason suspend\n"
	    "host (?:^|\\.)google\\.com$\nmatch account .* disabled\n"
	    "example The account is disabled\n"
	    "rule generic-disabled\nreason userunknown\n"
	    "match account .* disabled\nexample The account is disabled\n"
	    "rule vacation-subject\nreason vacation\nfield subject\n"
	    "match ^out of office\nexample Out of Office: hi\n",
	    &deflim);
	T_OK(r != NULL && r->n == 3, "three rules loaded");
	if (r == NULL)
		return;
	T_STR(match_name(r, RB_FIELD_DIAGNOSTIC, "your account is disabled",
			 "mx.google.com"),
	      "google-disabled", "host-scoped rule wins for its host");
	T_STR(match_name(r, RB_FIELD_DIAGNOSTIC, "your account is disabled",
			 "mx.example.com"),
	      "generic-disabled", "host-scoped rule skipped for other hosts");
	T_STR(match_name(r, RB_FIELD_DIAGNOSTIC, "your account is disabled",
			 NULL),
	      "generic-disabled", "host-scoped rule skipped without a host");
	T_STR(match_name(r, RB_FIELD_DIAGNOSTIC, "ACCOUNT X DISABLED", NULL),
	      "generic-disabled", "patterns are case-insensitive");
	T_STR(match_name(r, RB_FIELD_DIAGNOSTIC, "Out of office", NULL), NULL,
	      "subject rules do not apply to diagnostics");
	T_STR(match_name(r, RB_FIELD_SUBJECT, "Out of office: x", NULL),
	      "vacation-subject", "subject rule matches a subject");
	T_STR(match_name(r, RB_FIELD_DIAGNOSTIC, "", NULL), NULL,
	      "empty text never matches");
	T_OK(rb_rules_match(NULL, RB_FIELD_DIAGNOSTIC, "x", 1, NULL) == NULL,
	     "NULL rule set matches nothing");
	rb_rules_free(r);
}

static void
test_regex_limit(void)
{
	/* catastrophic backtracking: (a+)+$ against "aaaa...b".  With a
	 * small match limit the match gives up: counts as no match, fast. */
	struct rb_limits lim = RB_LIMITS_DEFAULT;
	lim.regex_match = 1000;
	struct rb_rules *r = load("rule evil\nreason userunknown\n"
				  "match ^(a|aa)+$\nexample aaaa\n"
				  "rule fallback\nreason mailboxfull\n"
				  "match b$\nexample ab\n",
				  &lim);
	T_OK(r != NULL, "rules with a backtracking pattern load");
	if (r == NULL)
		return;
	char text[64];
	memset(text, 'a', 40);
	text[40] = 'b';
	text[41] = '\0';
	T_OK(rb_rule_matches(r, &r->v[0], text, 41) == -1,
	     "match limit hit reports -1 (error), not a match");
	T_STR(match_name(r, RB_FIELD_DIAGNOSTIC, text, NULL), "fallback",
	      "a rule that hits the match limit counts as no match");
	text[40] = 'a';
	T_STR(match_name(r, RB_FIELD_DIAGNOSTIC, "aaaa", NULL), "evil",
	      "the same rule matches a short text within the limit");
	rb_rules_free(r);
}

static void
test_text_cut(void)
{
	struct rb_limits lim = RB_LIMITS_DEFAULT;
	lim.max_text = 6;
	/* "abcd" + "é" (2 bytes) fits in 6 bytes; "abcde" + "é" does not:
	 * the cut at byte 6 falls inside é and must move back to byte 5 */
	struct rb_rules *r = load("rule e-acute\nreason userunknown\n"
				  "match \xc3\xa9\nexample \xc3\xa9\n"
				  "rule tail\nreason mailboxfull\n"
				  "match xyz\nexample xyz\n",
				  &lim);
	T_OK(r != NULL, "rules load with a small max_text");
	if (r == NULL)
		return;
	T_STR(match_name(r, RB_FIELD_DIAGNOSTIC, "abcd\xc3\xa9", NULL), "e-acute",
	      "text at max_text is matched whole");
	T_STR(match_name(r, RB_FIELD_DIAGNOSTIC, "abcde\xc3\xa9", NULL), NULL,
	      "cut inside a UTF-8 character moves back to its start");
	T_STR(match_name(r, RB_FIELD_DIAGNOSTIC, "abc\xe5\xb1\xb1xyz", NULL), NULL,
	      "text beyond max_text is not seen");
	T_STR(match_name(r, RB_FIELD_DIAGNOSTIC, "\xe5\xb1\xb1\xe5\xb1\xb1\xe5\xb1\xb1", NULL), NULL,
	      "three 3-byte characters cut to two, no crash");
	rb_rules_free(r);
}

static void
test_builtin(void)
{
	char *err = NULL;
	struct rb_rules *r = rb_rules_default(&deflim, &err);
	T_OK(r != NULL && r->n > 10, "built-in rules load (%zu rules)",
	     r ? r->n : 0);
	if (err)
		printf("# %s\n", err);
	free(err);
	if (r == NULL)
		return;
	/* every example matches its own rule, and names are unique */
	int ok = 1;
	for (size_t i = 0; i < r->n; i++) {
		if (rb_rule_matches(r, &r->v[i], r->v[i].example,
				    strlen(r->v[i].example)) != 1)
			ok = 0;
		for (size_t j = i + 1; j < r->n; j++)
			if (strcmp(r->v[i].name, r->v[j].name) == 0) {
				printf("# duplicate rule name %s\n",
				       r->v[i].name);
				ok = 0;
			}
	}
	T_OK(ok, "built-in rules: examples match, names unique");
	/* "try again later" names no cause; a narrower rule's does */
	int vague = -1, narrow = -1;
	for (size_t i = 0; i < r->n; i++) {
		if (strcmp(r->v[i].name, "try-again-later") == 0)
			vague = r->v[i].vague;
		if (strcmp(r->v[i].name, "mailbox-full") == 0)
			narrow = r->v[i].vague;
	}
	T_OK(vague == 1 && narrow == 0,
	     "built-in: try-again-later is vague, mailbox-full is not");
	size_t n;
	const char *t = rb_rules_default_text(&n);
	T_OK(t != NULL && n > 0 && strstr(t, "rule ") != NULL,
	     "built-in rules text available");
	rb_rules_free(r);
}

/* The built-in rules compile on first use: every rule matches its
 * example through rb_rule_matches(), and rb_rules_check() compiles and
 * checks them all. */
static void
test_lazy(void)
{
	static const struct rb_limits lim = RB_LIMITS_DEFAULT;
	char *err = NULL;
	struct rb_rules *r = rb_rules_default(&lim, &err);
	T_OK(r != NULL && r->v[0].re == NULL,
	     "built-in rules are not compiled at load");
	if (r == NULL) {
		free(err);
		return;
	}
	size_t bad = 0;
	for (size_t i = 0; i < r->n; i++) {
		/* from the last: no help from an earlier rule's compile */
		const struct rb_rule *ru = &r->v[r->n - 1 - i];
		if (rb_rule_matches(r, ru, ru->example, strlen(ru->example)) !=
		    1)
			bad++;
	}
	T_OK(bad == 0, "compiled on first use: every example matches "
		       "(%zu misses)",
	     bad);
	T_OK(rb_rules_check(r, &err) == 0, "rb_rules_check: built-in rules");
	free(err);
	rb_rules_free(r);
	/* a loaded file is compiled (and checked) at load: check agrees */
	r = rb_rules_load("rule a\nreason userunknown\nmatch no such user\n"
			  "example 550 no such user\n",
			  strlen("rule a\nreason userunknown\nmatch no such "
				 "user\nexample 550 no such user\n"),
			  "t.rules", &lim, &err);
	T_OK(r != NULL && r->v[0].re != NULL, "a rules file compiles at load");
	T_OK(r != NULL && rb_rules_check(r, &err) == 0,
	     "rb_rules_check: a loaded file");
	free(err);
	rb_rules_free(r);
}

/* The build's compiled patterns (rules.h rb_rules_serialize) are those
 * of the built-in rules as they are now, and this PCRE2 reads them. */
extern const unsigned char rb_rules_pcre[];
extern const unsigned int rb_rules_pcre_len;

static void
test_embedded(void)
{
	static const struct rb_limits lim = RB_LIMITS_DEFAULT;
	char *err = NULL;
	struct rb_rules *r = rb_rules_default(&lim, &err);
	if (r == NULL) {
		T_OK(0, "built-in rules load: %s", err ? err : "?");
		free(err);
		return;
	}
	size_t len = 0;
	unsigned char *b = rb_rules_serialize(r, &len);
	T_OK(b != NULL && len > 0, "the built-in rules serialise");
	T_OK(b != NULL && len == rb_rules_pcre_len &&
		 memcmp(b, rb_rules_pcre, len) == 0,
	     "the binary embeds the built-in rules compiled as they are now "
	     "(%zu bytes, embedded %u)",
	     len, rb_rules_pcre_len);
	free(b);
	/* a rule's pattern from the embedded copy matches its example */
	const struct rb_rule *last = &r->v[r->n - 1];
	T_OK(rb_rule_matches(r, last, last->example, strlen(last->example)) ==
		 1,
	     "an embedded pattern matches its rule's example");
	rb_rules_free(r);
	/* a rules file is not the built-in set: serialised as it is */
	r = rb_rules_load("rule a\nreason userunknown\nhost x\\.example$\n"
			  "match no such user\nexample 550 no such user\n",
			  strlen("rule a\nreason userunknown\nhost "
				 "x\\.example$\nmatch no such user\nexample "
				 "550 no such user\n"),
			  "t.rules", &lim, &err);
	b = r != NULL ? rb_rules_serialize(r, &len) : NULL;
	T_OK(b != NULL && len > 0 && len != rb_rules_pcre_len,
	     "a rules file's two patterns serialise");
	free(b);
	free(err);
	rb_rules_free(r);
}

int
main(void)
{
	test_embedded();
	test_loading();
	test_matching();
	test_regex_limit();
	test_text_cut();
	test_builtin();
	test_lazy();
	T_DONE();
}
