/*
 * sent_csv: parse the sent-counts CSV (see sent_csv.h).
 */
#include "sent_csv.h"

#include <ctype.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/scope.h"
#include "reports/report.h"

#define MAX_FIELDS 16

enum col { C_DAY, C_SENDER, C_CAMPAIGN, C_LIST, C_COUNT, C_TENANT, C_STREAM,
	   C_N };

static const struct {
	const char *name;
	enum col col;
} names[] = {
    {"day", C_DAY},	      {"date", C_DAY},
    {"sender_domain", C_SENDER}, {"sender-domain", C_SENDER},
    {"domain", C_SENDER},     {"campaign", C_CAMPAIGN},
    {"list", C_LIST},	      {"list_id", C_LIST},
    {"list-id", C_LIST},      {"count", C_COUNT},
    {"sent", C_COUNT},	      {"tenant", C_TENANT},
    {"stream", C_STREAM},     {NULL, C_N},
};

/* One record into f[]; returns the number of fields, 0 at the end, -1
 * on a malformed record.  *p advances past the record. */
static int
record(struct rb_arena *a, const char **p, const char *end, char **f,
       const char **why)
{
	const char *s = *p;
	int n = 0;
	if (s >= end)
		return 0;
	for (;;) {
		char buf[RB_SENT_MAX_FIELD + 1];
		size_t l = 0;
		if (s < end && *s == '"') {
			s++;
			for (;;) {
				if (s >= end) {
					*why = "unterminated quote";
					return -1;
				}
				if (*s == '"') {
					if (s + 1 < end && s[1] == '"') {
						s++;
					} else {
						s++;
						break;
					}
				}
				if (l == RB_SENT_MAX_FIELD) {
					*why = "field too long";
					return -1;
				}
				buf[l++] = *s++;
			}
			if (s < end && *s != ',' && *s != '\n' && *s != '\r') {
				*why = "text after a closing quote";
				return -1;
			}
		} else {
			while (s < end && *s != ',' && *s != '\n' &&
			       *s != '\r') {
				if (*s == '"') {
					*why = "quote inside an unquoted field";
					return -1;
				}
				if (l == RB_SENT_MAX_FIELD) {
					*why = "field too long";
					return -1;
				}
				buf[l++] = *s++;
			}
		}
		if (n == MAX_FIELDS) {
			*why = "too many fields";
			return -1;
		}
		/* trim blanks around unquoted-looking values */
		size_t b = 0;
		while (b < l && (buf[b] == ' ' || buf[b] == '\t'))
			b++;
		while (l > b && (buf[l - 1] == ' ' || buf[l - 1] == '\t'))
			l--;
		f[n++] = rb_arena_strndup(a, buf + b, l - b);
		if (s < end && *s == ',') {
			s++;
			continue;
		}
		if (s < end && *s == '\r')
			s++;
		if (s < end && *s == '\n')
			s++;
		break;
	}
	*p = s;
	return n;
}

static bool
valid_day(const char *s)
{
	return strlen(s) == 10 && rb_day_diff(s, s) == 0;
}

static bool
parse_count(const char *s, long long *v)
{
	if (*s == '\0' || strlen(s) > 15)
		return false;
	for (const char *p = s; *p; p++)
		if (!isdigit((unsigned char)*p))
			return false;
	*v = atoll(s);
	return true;
}

long
rb_sent_csv_parse(struct rb_arena *a, const char *text, size_t len,
		  struct rb_rq_sent **rows, char *err, size_t errlen)
{
	const char *p = text, *end = text + len;
	int map[C_N];
	bool have_map = false;
	size_t cap = 0, n = 0;
	long line = 0;
	*rows = NULL;
	if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3;	/* a BOM from spreadsheet exports */
	for (;;) {
		char *f[MAX_FIELDS];
		const char *why = NULL;
		const char *start = p;
		line++;
		int nf = record(a, &p, end, f, &why);
		if (nf == 0)
			break;
		if (nf < 0) {
			snprintf(err, errlen, "line %ld: %s", line, why);
			return -1;
		}
		/* count physical lines inside quoted fields */
		for (const char *q = start; q < p - 1; q++)
			if (*q == '\n')
				line++;
		if (nf == 1 && f[0][0] == '\0')
			continue;
		if (f[0][0] == '#')
			continue;
		if (!have_map) {
			for (int c = 0; c < C_N; c++)
				map[c] = -1;
			if (!valid_day(f[0]) && f[0][0] >= '0' &&
			    f[0][0] <= '9') {
				/* no column name starts with a digit: a
				 * first line with a badly written day */
				snprintf(err, errlen,
					 "line %ld: bad day '%.20s' (want "
					 "YYYY-MM-DD)",
					 line, f[0]);
				return -1;
			}
			if (!valid_day(f[0])) {
				/* a header */
				for (int i = 0; i < nf; i++) {
					int k = 0;
					while (names[k].name &&
					       strcasecmp(names[k].name, f[i]))
						k++;
					if (names[k].name == NULL) {
						snprintf(err, errlen,
							 "line %ld: unknown "
							 "column '%.40s'",
							 line, f[i]);
						return -1;
					}
					map[names[k].col] = i;
				}
				if (map[C_DAY] < 0 || map[C_COUNT] < 0) {
					snprintf(err, errlen,
						 "line %ld: the header needs "
						 "day and count",
						 line);
					return -1;
				}
				have_map = true;
				continue;
			}
			if (nf == 2) {
				map[C_DAY] = 0;
				map[C_COUNT] = 1;
			} else if (nf == 5) {
				for (int c = C_DAY; c <= C_COUNT; c++)
					map[c] = c;
			} else {
				snprintf(err, errlen,
					 "line %ld: without a header a line "
					 "has 2 fields (day,count) or 5 "
					 "(day,sender_domain,campaign,list,"
					 "count)",
					 line);
				return -1;
			}
			have_map = true;
		}
		struct rb_rq_sent r = {0};
		const char *v[C_N];
		for (int c = 0; c < C_N; c++)
			v[c] = map[c] >= 0 && map[c] < nf ? f[map[c]] : "";
		if (!valid_day(v[C_DAY])) {
			snprintf(err, errlen, "line %ld: bad day '%.20s' "
					      "(want YYYY-MM-DD)",
				 line, v[C_DAY]);
			return -1;
		}
		if (!parse_count(v[C_COUNT], &r.count)) {
			snprintf(err, errlen, "line %ld: bad count '%.20s'",
				 line, v[C_COUNT]);
			return -1;
		}
		if (v[C_TENANT][0] && !rb_scope_name_ok(v[C_TENANT])) {
			snprintf(err, errlen, "line %ld: bad tenant '%.70s' "
					      "(1 to 64 of A-Z a-z 0-9 . _ -)",
				 line, v[C_TENANT]);
			return -1;
		}
		if (v[C_STREAM][0] && (!v[C_TENANT][0] ||
				       !rb_scope_name_ok(v[C_STREAM]))) {
			snprintf(err, errlen, "line %ld: bad stream '%.70s' "
					      "(a name, and only with a tenant)",
				 line, v[C_STREAM]);
			return -1;
		}
		r.day = v[C_DAY];
		r.tenant = v[C_TENANT];
		r.stream = v[C_STREAM];
		r.sender_domain = v[C_SENDER];
		r.campaign = v[C_CAMPAIGN];
		r.list = v[C_LIST];
		if (n == cap) {
			cap = cap ? cap * 2 : 256;
			struct rb_rq_sent *nr =
			    rb_arena_alloc(a, cap * sizeof *nr);
			if (n)
				memcpy(nr, *rows, n * sizeof *nr);
			*rows = nr;
		}
		(*rows)[n++] = r;
		if (n > LONG_MAX / 2) {
			snprintf(err, errlen, "too many lines");
			return -1;
		}
	}
	return (long)n;
}
