/*
 * gen-rules-pcre: the built-in rules' patterns compiled by PCRE2 at build
 * time (rb_rules_serialize), written as C for the binary to embed.  A
 * process then decodes them (a copy) instead of compiling each pattern
 * when it first runs; the JIT still happens in the process, on first use.
 * With them, every rule's texts and the literal sets the prefilter read
 * from its pattern (struct rb_rule_baked), so that a process need not
 * read the patterns either; it uses both only when the texts are its
 * rules' own.  Linked with the rules code and an empty table of its own.
 *
 *   gen-rules-pcre > build/gen/rules_pcre.c
 */
#include <stdio.h>
#include <stdlib.h>

#include "parsers/rules.h"

/* s as a C string literal (octal escapes: a hex escape would run on) */
static void
put_str(const char *s)
{
	if (s == NULL) {
		fputs("NULL", stdout);
		return;
	}
	putchar('"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p < 0x20 || *p >= 0x7f || *p == '"' || *p == '\\' ||
		    *p == '?')
			printf("\\%03o", *p);
		else
			putchar(*p);
	}
	putchar('"');
}

/* f's initializer, its arrays named NAME_...: its first set, and its
 * further sets and branches only as the program that checks them (the
 * structs of those are for reading patterns; a match reads the program) */
static void
put_init(const struct rb_prefilter *f, const char *name)
{
	printf("{.n = %zu, .lit = {", f->n);
	for (size_t i = 0; i < f->n; i++) {
		put_str(f->lit[i]);
		putchar(',');
	}
	printf("}, .len = {");
	for (size_t i = 0; i < f->n; i++)
		printf("%u,", (unsigned)f->len[i]);
	printf("}, .off = {");
	for (size_t i = 0; i < f->n; i++)
		printf("%u,", (unsigned)f->off[i]);
	printf("}, .tri = %s%s, .nprog = %zu, .prog = %s%s, .baked = true}",
	       f->n ? name : "NULL", f->n ? "_tri" : "", f->nprog,
	       f->nprog ? name : "NULL", f->nprog ? "_prog" : "");
}

/* the constant arrays f's initializer points to, named NAME_... */
static void
put_arrays(const struct rb_prefilter *f, const char *name)
{
	if (f->n > 0) {
		size_t t = 0;
		for (size_t i = 0; i < f->n; i++)
			t += f->len[i] - 2;
		printf("static const uint16_t %s_tri[] = {", name);
		for (size_t i = 0; i < t; i++)
			printf("%u,", f->tri[i]);
		printf("};\n");
	}
	if (f->nprog > 0) {
		printf("static const uint16_t %s_prog[] = {", name);
		for (size_t i = 0; i < f->nprog; i++)
			printf("%u,", f->prog[i]);
		printf("};\n");
	}
}

static void
put_baked(const struct rb_rules *r)
{
	char name[64];
	printf("\n#include <stddef.h>\n#include \"parsers/rules.h\"\n\n");
	for (size_t i = 0; i < r->n; i++) {
		snprintf(name, sizeof(name), "pf%zu", i);
		put_arrays(&r->v[i].pf, name);
	}
	printf("const struct rb_rule_baked rb_rules_baked[] = {\n");
	for (size_t i = 0; i < r->n; i++) {
		const struct rb_rule *u = &r->v[i];
		snprintf(name, sizeof(name), "pf%zu", i);
		printf("\t{");
		put_str(u->pattern);
		printf(",\n\t ");
		put_str(u->host);
		printf(",\n\t ");
		put_str(u->example);
		printf(",\n\t ");
		put_init(&u->pf, name);
		printf("},\n");
	}
	printf("};\nconst unsigned int rb_rules_baked_n = %zu;\n", r->n);
}

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
	put_baked(r);
	free(b);
	rb_rules_free(r);
	return ferror(stdout) ? 1 : 0;
}
