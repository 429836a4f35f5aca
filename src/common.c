#include "common.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *
rb_read_stream(FILE *f, size_t *len)
{
	size_t cap = 65536, n = 0;
	char *buf = malloc(cap + 1);
	if (buf == NULL)
		return NULL;
	for (;;) {
		if (n == cap) {
			char *nb = realloc(buf, cap * 2 + 1);
			if (nb == NULL) {
				free(buf);
				errno = ENOMEM;
				return NULL;
			}
			buf = nb;
			cap *= 2;
		}
		size_t r = fread(buf + n, 1, cap - n, f);
		n += r;
		if (r == 0)
			break;
	}
	if (ferror(f)) {
		free(buf);
		errno = EIO;
		return NULL;
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

char *
rb_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	char *buf = rb_read_stream(f, len);
	int saved = errno;
	fclose(f);
	errno = saved;
	return buf;
}

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

void
rb_log(const char *level, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "rebound: %s: ", level);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
