/* supp_io: see supp_io.h. */
#include <getopt.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>

#include "store/store.h"
#include "core/addrin.h"
#include "core/addrkey.h"
#include "lib/arena.h"
#include "cli_store.h"
#include "commands.h"
#include "lib/log.h"
#include "core/policy.h"

#include "supp_io.h"

int
parse_fmt(const char *s, enum fmt *f, bool csv_ok)
{
	if (!strcmp(s, "text"))
		*f = FMT_TEXT;
	else if (!strcmp(s, "json"))
		*f = FMT_JSON;
	else if (csv_ok && !strcmp(s, "csv"))
		*f = FMT_CSV;
	else
		return -1;
	return 0;
}

json_t *
jstr(const char *s)
{
	if (s == NULL)
		return json_null();
	json_t *j = json_string(s);
	return j ? j : json_stringn_nocheck(s, strlen(s));
}

json_t *
supp_json(const struct rb_supp *p, const char *asked)
{
	json_t *o = json_object();
	json_object_set_new(o, "address", jstr(asked ? asked : p->address));
	json_object_set_new(o, "addr_key", jstr(p->addr_key));
	json_object_set_new(o, "suppressed", json_boolean(p->active));
	json_object_set_new(o, "class", jstr(p->found ? p->class : NULL));
	json_object_set_new(o, "reason", jstr(p->reason));
	json_object_set_new(o, "rule", jstr(p->rule));
	json_object_set_new(o, "actor", jstr(p->actor));
	json_object_set_new(o, "since", jstr(p->created_at));
	json_object_set_new(o, "until", jstr(p->expires_at));
	json_object_set_new(o, "removed_at", jstr(p->removed_at));
	json_object_set_new(o, "event_id", p->event_id
						 ? json_integer(p->event_id)
						 : json_null());
	json_object_set_new(o, "scope",
			    p->found ? jstr(p->scope[0] ? p->scope : "global")
				     : json_null());
	return o;
}

void
print_json(json_t *o)
{
	char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (s) {
		puts(s);
		free(s);
	}
	json_decref(o);
}

/* RFC 4180 field */
void
csv_field(FILE *f, const char *s, bool last)
{
	if (s == NULL)
		s = "";
	if (strpbrk(s, ",\"\r\n") != NULL) {
		fputc('"', f);
		for (; *s; s++) {
			if (*s == '"')
				fputc('"', f);
			fputc(*s, f);
		}
		fputc('"', f);
	} else {
		fputs(s, f);
	}
	fputc(last ? '\n' : ',', f);
}

/* Print what could not be read as an address: where, why, and the text
 * (at most 120 bytes, control characters shown as '?'). */
void
report_invalid(const char *what, unsigned long line, const char *text,
	       size_t n, enum rb_addrin_err e)
{
	char shown[121];
	size_t k = 0;
	for (size_t i = 0; i < n && k < sizeof(shown) - 1; i++) {
		unsigned char c = (unsigned char)text[i];
		if (c == '\n' || c == '\r')
			continue;
		shown[k++] = c < 0x20 || c == 0x7f ? '?' : (char)c;
	}
	shown[k] = '\0';
	if (line)
		fprintf(stderr, "rebound %s: line %lu: not an address (%s): %s\n",
			what, line, rb_addrin_error(e), shown);
	else
		fprintf(stderr, "rebound %s: not an address (%s): '%s'\n", what,
			rb_addrin_error(e), shown);
}

/* the address in arg as a NUL-terminated copy in buf; false (after
 * reporting it) when arg holds none */
bool
arg_address(const char *what, const char *arg, char *buf, size_t cap)
{
	const char *a;
	size_t n;
	enum rb_addrin_err e = rb_addr_input(arg, strlen(arg), &a, &n);
	if (e != RB_ADDRIN_OK || n >= cap) {
		report_invalid(what, 0, arg, strlen(arg),
			       e != RB_ADDRIN_OK ? e : RB_ADDRIN_LONG);
		return false;
	}
	memcpy(buf, a, n);
	buf[n] = '\0';
	return true;
}

/* the exit status of several answers: errors first, then what says
 * "do not send" most plainly */
int
worse(int a, int b)
{
	static const int rank[] = {[RB_EXIT_OK] = 0,	    [RB_EXIT_SUPPRESSED] = 1,
				   [RB_EXIT_INVALID] = 2,   [RB_EXIT_USAGE] = 3,
				   [RB_EXIT_ERROR] = 4,	    [RB_EXIT_NODB] = 5};
	return rank[a] >= rank[b] ? a : b;
}

bool
blank(const char *s, size_t n)
{
	const char *a;
	size_t l;
	return rb_addr_input(s, n, &a, &l) == RB_ADDRIN_EMPTY;
}

/* header words of address columns, for a header line without a
 * delimiter */
bool
header_word(const char *f, size_t n)
{
	static const char *const w[] = {"email", "e-mail", "mail", "address",
					"email address", "recipient", "to",
					"邮箱", "邮件地址", "电子邮件", "收件人",
					"地址", NULL};
	while (n > 0 && (*f == ' ' || *f == '\t'))
		f++, n--;
	if (n >= 3 && !memcmp(f, "\xef\xbb\xbf", 3))
		f += 3, n -= 3;
	while (n > 0 && (f[n - 1] == ' ' || f[n - 1] == '\r'))
		n--;
	for (int i = 0; w[i]; i++)
		if (strlen(w[i]) == n && strncasecmp(f, w[i], n) == 0)
			return true;
	return false;
}
