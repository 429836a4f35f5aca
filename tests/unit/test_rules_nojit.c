/*
 * The rules without PCRE2's JIT, as under systemd's
 * MemoryDenyWriteExecute=yes (etc/systemd/rebound.service): the kernel's
 * equivalent (prctl PR_SET_MDWE, Linux >= 6.3) makes pcre2_jit_compile
 * fail; the rules must still load (the loader matches every example)
 * and classify, through the interpreter, without an error.  Skipped on
 * older kernels.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

#include "parsers/rules.h"
#include "t.h"

#ifndef PR_SET_MDWE
#define PR_SET_MDWE 65
#define PR_MDWE_REFUSE_EXEC_GAIN 1
#endif

int
main(void)
{
	if (prctl(PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN, 0L, 0L, 0L) != 0) {
		printf("ok - # SKIP no PR_SET_MDWE in this kernel\n");
		return 0;
	}
	int ec;
	PCRE2_SIZE eo;
	pcre2_code *re = pcre2_compile((PCRE2_SPTR) "user unknown",
				       PCRE2_ZERO_TERMINATED, 0, &ec, &eo, NULL);
	T_OK(re && pcre2_jit_compile(re, PCRE2_JIT_COMPLETE) != 0,
	     "PCRE2 JIT is refused under W^X (the test means something)");
	pcre2_code_free(re);
	struct rb_limits lim = RB_LIMITS_DEFAULT;
	char *err = NULL;
	struct rb_rules *r = rb_rules_default(&lim, &err);
	T_OK(r != NULL, "built-in rules load without JIT (W^X enforced)");
	if (r == NULL) {
		printf("# %s\n", err);
		free(err);
		return 1;
	}
	size_t own = 0;
	for (size_t i = 0; i < r->n; i++)
		own += rb_rule_matches(r, &r->v[i], r->v[i].example,
				       strlen(r->v[i].example)) == 1;
	T_OK(own == r->n, "every rule matches its example without JIT (%zu/%zu)",
	     own, r->n);
	static const char diag[] =
	    "550 5.1.1 <nobody@example.com>: Recipient address rejected: "
	    "User unknown in virtual mailbox table";
	const struct rb_rule *m =
	    rb_rules_match(r, RB_FIELD_DIAGNOSTIC, diag, sizeof diag - 1, NULL);
	T_OK(m != NULL && !strcmp(m->reason, "userunknown"),
	     "a diagnostic is classified without JIT (%s)",
	     m ? m->reason : "no match");
	rb_rules_free(r);
	return 0;
}
