/*
 * Every rule of the built-in rule set matches its own example (the loader
 * checks that too), and -- the stronger property -- the example of every
 * diagnostic rule is classified by that rule under first-match order, so
 * no rule is silently shadowed by an earlier, broader one.  A rule whose
 * example an earlier rule of the SAME reason catches is harmless and
 * only reported as a note.
 */
#include <stdlib.h>
#include <string.h>

#include "parsers/rules.h"
#include "t.h"

int
main(void)
{
	struct rb_limits lim = RB_LIMITS_DEFAULT;
	char *err = NULL;
	struct rb_rules *r = rb_rules_default(&lim, &err);
	T_OK(r != NULL, "built-in rules load");
	if (r == NULL) {
		printf("# %s\n", err);
		free(err);
		return 1;
	}
	T_OK(r->n > 30, "more than 30 built-in rules (%zu)", r->n);
	size_t own = 0, reach = 0;
	for (size_t i = 0; i < r->n; i++) {
		const struct rb_rule *ru = &r->v[i];
		size_t el = strlen(ru->example);
		if (rb_rule_matches(r, ru, ru->example, el) == 1)
			own++;
		else
			printf("not ok - rule %s (line %d) misses its example\n",
			       ru->name, ru->line);
		if (ru->field != RB_FIELD_DIAGNOSTIC || ru->host != NULL) {
			reach++;
			continue;
		}
		const struct rb_rule *first = rb_rules_match(
		    r, RB_FIELD_DIAGNOSTIC, ru->example, el, NULL);
		if (first == ru || (first && strcmp(first->reason, ru->reason) == 0)) {
			reach++;
			if (first != ru)
				printf("# note: %s's example is caught first "
				       "by %s (same reason)\n",
				       ru->name, first->name);
		} else {
			printf("not ok - rule %s's example is classified %s by "
			       "earlier rule %s\n",
			       ru->name, first ? first->reason : "(none)",
			       first ? first->name : "(none)");
		}
	}
	T_OK(own == r->n, "every rule matches its own example (%zu/%zu)", own,
	     r->n);
	T_OK(reach == r->n,
	     "every rule's example reaches its reason in order (%zu/%zu)", reach,
	     r->n);
	rb_rules_free(r);
	T_DONE();
}
