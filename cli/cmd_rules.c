/*
 * rebound rules [--rules FILE] [--dump] [--check]
 * --check (default) loads the rules (built-in, or FILE in front of the
 * built-in ones), compiles every rule and matches it against its own
 * example (rb_rules_check), and prints a count; --dump prints the
 * built-in rules.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "parsers/rules.h"

int
cmd_rules(int argc, char **argv)
{
	static const struct option lo[] = {
	    {"rules", required_argument, NULL, 'r'},
	    {"dump", no_argument, NULL, 'd'},
	    {"check", no_argument, NULL, 'c'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *path = NULL;
	int dump = 0, c;
	while ((c = getopt_long(argc, argv, "r:dch", lo, NULL)) != -1) {
		switch (c) {
		case 'r':
			path = optarg;
			break;
		case 'd':
			dump = 1;
			break;
		case 'c':
			break;
		case 'h':
			puts("usage: rebound rules [--rules FILE] [--check | "
			     "--dump]");
			return 0;
		default:
			return 2;
		}
	}
	if (dump) {
		size_t n;
		const char *t = rb_rules_default_text(&n);
		fwrite(t, 1, n, stdout);
		return 0;
	}
	struct rb_limits lim = RB_LIMITS_DEFAULT;
	struct rb_rules *r = rb_load_rules(path, &lim);
	if (r == NULL)
		return 1;
	/* the built-in rules compile on first use: compile them all */
	char *cerr = NULL;
	if (rb_rules_check(r, &cerr) < 0) {
		fprintf(stderr, "rebound rules: %s\n", cerr);
		free(cerr);
		rb_rules_free(r);
		return 1;
	}
	if (path == NULL) {
		printf("%zu rules OK (built-in)\n", r->n);
	} else {
		char *err = NULL;
		struct rb_rules *d = rb_rules_default(&lim, &err);
		size_t builtin = d ? d->n : 0;
		printf("%zu rules OK (%s, in front of %zu built-in)\n",
		       r->n - builtin, path, builtin);
		rb_rules_free(d);
		free(err);
	}
	rb_rules_free(r);
	return 0;
}
