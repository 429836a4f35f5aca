/*
 * rules_file: the rule set a command runs with, built-in or from a file
 * in front of the built-in rules (see rb_load_rules in rules.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/file.h"
#include "lib/log.h"
#include "rules.h"

struct rb_rules *
rb_load_rules(const char *path, const struct rb_limits *lim)
{
	char *err = NULL;
	struct rb_rules *r;
	if (path == NULL) {
		r = rb_rules_default(lim, &err);
	} else {
		size_t len;
		char *text = rb_read_file(path, &len);
		if (text == NULL) {
			rb_err("cannot read rules file %s: %s", path,
			       strerror(errno));
			return NULL;
		}
		/* the file alone first: its errors name its own lines */
		r = rb_rules_load(text, len, path, lim, &err);
		if (r != NULL) {
			/* then in front of the built-in rules: the user's
			 * rules are tried first, the built-in ones still
			 * cover the rest */
			rb_rules_free(r);
			size_t dn;
			const char *def = rb_rules_default_text(&dn);
			char *all = malloc(len + 1 + dn + 1);
			if (all == NULL) {
				free(text);
				rb_err("out of memory");
				return NULL;
			}
			memcpy(all, text, len);
			all[len] = '\n';
			memcpy(all + len + 1, def, dn);
			all[len + 1 + dn] = '\0';
			r = rb_rules_load(all, len + 1 + dn, path, lim, &err);
			free(all);
		}
		free(text);
	}
	if (r == NULL) {
		rb_err("%s", err ? err : "cannot load rules");
		free(err);
	}
	return r;
}
