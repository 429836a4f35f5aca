/*
 * gen-rules-pcre: the built-in rules' patterns compiled by PCRE2 at build
 * time (rb_rules_serialize), written as C for the binary to embed.  A
 * process then decodes them (a copy) instead of compiling each pattern
 * when it first runs; the JIT still happens in the process, on first use.
 * Linked with the rules code and an empty blob of its own.
 *
 *   gen-rules-pcre > build/gen/rules_pcre.c
 */
#include <stdio.h>
#include <stdlib.h>

#include "parsers/rules.h"

int
main(void)
{
	struct rb_limits lim = RB_LIMITS_DEFAULT;
	char *err = NULL;
	struct rb_rules *r = rb_rules_default(&lim, &err);
	if (r == NULL) {
		fprintf(stderr, "gen-rules-pcre: %s\n", err ? err : "no rules");
		return 1;
	}
	size_t len = 0;
	unsigned char *b = rb_rules_serialize(r, &len);
	if (b == NULL) {
		fprintf(stderr, "gen-rules-pcre: a pattern does not compile\n");
		return 1;
	}
	printf("/* generated from the rules in etc/rules by "
	       "scripts/gen-rules-pcre.c: do not edit */\n"
	       "/* aligned: PCRE2 reads the blob's header as words */\n"
	       "_Alignas(16) const unsigned char rb_rules_pcre[] = {");
	for (size_t i = 0; i < len; i++)
		printf("%s0x%02x,", i % 16 ? " " : "\n\t", b[i]);
	printf("\n};\nconst unsigned int rb_rules_pcre_len = %zu;\n", len);
	free(b);
	rb_rules_free(r);
	return ferror(stdout) ? 1 : 0;
}
