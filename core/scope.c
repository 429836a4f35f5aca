/*
 * scope.c: scope names, levels and the readers' question (scope.h).
 */
#include "scope.h"

#include <stdio.h>
#include <string.h>

static const char *const level_names[] = {
    [RB_SCOPE_GLOBAL] = "global",
    [RB_SCOPE_TENANT] = "tenant",
    [RB_SCOPE_STREAM] = "stream",
};

const char *
rb_scope_level_name(enum rb_scope_level l)
{
	return (unsigned)l <= RB_SCOPE_STREAM ? level_names[l] : "global";
}

int
rb_scope_level_parse(const char *s, enum rb_scope_level *l)
{
	for (unsigned i = 0; i <= RB_SCOPE_STREAM; i++)
		if (strcmp(s, level_names[i]) == 0) {
			*l = (enum rb_scope_level)i;
			return 0;
		}
	return -1;
}

bool
rb_scope_name_ok(const char *name)
{
	size_t n = 0;
	if (name == NULL)
		return false;
	for (const char *p = name; *p; p++, n++) {
		char c = *p;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		      c == '-'))
			return false;
	}
	return n >= 1 && n <= 64;
}

void
rb_scope_make(enum rb_scope_level l, const char *tenant, const char *stream,
	      char *out)
{
	out[0] = '\0';
	if (l == RB_SCOPE_GLOBAL || !rb_scope_name_ok(tenant))
		return;
	if (l == RB_SCOPE_STREAM && rb_scope_name_ok(stream))
		snprintf(out, RB_SCOPE_MAX, "%s/%s", tenant, stream);
	else
		snprintf(out, RB_SCOPE_MAX, "%s", tenant);
}

int
rb_scope_parse(const char *s, char *out)
{
	char t[RB_SCOPE_MAX];
	out[0] = '\0';
	if (s == NULL || s[0] == '\0' || strcmp(s, "global") == 0)
		return 0;
	if (strlen(s) >= sizeof(t))
		return -1;
	memcpy(t, s, strlen(s) + 1);
	char *slash = strchr(t, '/');
	if (slash)
		*slash = '\0';
	if (!rb_scope_name_ok(t) || (slash && !rb_scope_name_ok(slash + 1)))
		return -1;
	memcpy(out, s, strlen(s) + 1);
	return 0;
}

int
rb_scope_query_check(const struct rb_scope_query *q, char *err, size_t errlen)
{
	if (q->tenant == NULL) {
		if (q->stream != NULL) {
			snprintf(err, errlen, "--stream needs --tenant");
			return -1;
		}
		return 0;
	}
	if (!rb_scope_name_ok(q->tenant)) {
		snprintf(err, errlen,
			 "not a tenant name: '%.80s' (1-64 of A-Z a-z 0-9 . _ -)",
			 q->tenant);
		return -1;
	}
	if (q->stream && !rb_scope_name_ok(q->stream)) {
		snprintf(err, errlen,
			 "not a stream name: '%.80s' (1-64 of A-Z a-z 0-9 . _ -)",
			 q->stream);
		return -1;
	}
	return 0;
}

bool
rb_scope_covers(const struct rb_scope_query *q, const char *scope)
{
	if (q->tenant == NULL || scope[0] == '\0')
		return true;
	size_t tl = strlen(q->tenant);
	if (strncmp(scope, q->tenant, tl) != 0)
		return false;
	if (scope[tl] == '\0')
		return true;
	if (scope[tl] != '/')
		return false;
	return q->stream == NULL || strcmp(scope + tl + 1, q->stream) == 0;
}
