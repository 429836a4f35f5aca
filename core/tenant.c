/*
 * tenant.c: attribution of a mail to a tenant and stream (tenant.h).
 */
#include "tenant.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "scope.h"

static int
cmp_dom(const void *a, const void *b)
{
	return strcmp(((const struct rb_tenant_domain *)a)->domain,
		      ((const struct rb_tenant_domain *)b)->domain);
}

static int
domains_line(struct rb_tenancy *t, size_t *cap, char *line, const char *path,
	     int ln, char *err, size_t errlen)
{
	char *h = strchr(line, '#');
	if (h)
		*h = '\0';
	char *dom = strtok(line, " \t\r\n");
	if (dom == NULL)
		return 0;
	char *scope = strtok(NULL, " \t\r\n");
	char parsed[RB_SCOPE_MAX];
	if (scope == NULL || strtok(NULL, " \t\r\n") != NULL ||
	    rb_scope_parse(scope, parsed) != 0 || parsed[0] == '\0') {
		snprintf(err, errlen,
			 "%s:%d: expected \"domain tenant[/stream]\"", path, ln);
		return -1;
	}
	if (t->ndom == *cap) {
		size_t nc = *cap ? *cap * 2 : 64;
		void *v = realloc(t->dom, nc * sizeof(*t->dom));
		if (v == NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		t->dom = v;
		*cap = nc;
	}
	for (char *p = dom; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	size_t dl = strlen(dom);
	while (dl > 0 && dom[dl - 1] == '.')
		dom[--dl] = '\0';
	struct rb_tenant_domain *d = &t->dom[t->ndom++];
	char *slash = strchr(parsed, '/');
	if (slash)
		*slash = '\0';
	d->domain = strdup(dom);
	d->tenant = strdup(parsed);
	d->stream = slash ? strdup(slash + 1) : NULL;
	if (!d->domain || !d->tenant || (slash && !d->stream)) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

int
rb_tenancy_load(struct rb_tenancy *t, const struct rb_policy *pol, char *err,
		size_t errlen)
{
	memset(t, 0, sizeof(*t));
	t->pol = pol;
	if (pol->tenant_domains[0] == '\0')
		return 0;
	const char *path = pol->tenant_domains;
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		snprintf(err, errlen, "%s: %s (tenant.domains)", path,
			 strerror(errno));
		return -1;
	}
	char line[1024];
	size_t cap = 0;
	int ln = 0, rc = 0;
	while (rc == 0 && fgets(line, sizeof(line), f)) {
		ln++;
		rc = domains_line(t, &cap, line, path, ln, err, errlen);
	}
	fclose(f);
	if (rc != 0) {
		rb_tenancy_free(t);
		return -1;
	}
	qsort(t->dom, t->ndom, sizeof(*t->dom), cmp_dom);
	return 0;
}

void
rb_tenancy_free(struct rb_tenancy *t)
{
	for (size_t i = 0; i < t->ndom; i++) {
		free(t->dom[i].domain);
		free(t->dom[i].tenant);
		free(t->dom[i].stream);
	}
	free(t->dom);
	t->dom = NULL;
	t->ndom = 0;
}

/* ---- helpers ---- */

static bool
name_char(char c)
{
	return isalnum((unsigned char)c) || c == '.' || c == '_' || c == '-';
}

static void
set_name(char out[65], const char *s, size_t n)
{
	out[0] = '\0';
	if (n == 0 || n > 64)
		return;
	memcpy(out, s, n);
	out[n] = '\0';
	if (!rb_scope_name_ok(out))
		out[0] = '\0';
}

/* Match pattern p against s; {tenant} and {stream} capture names, *
 * anything.  Backtracking, both short (a pattern and an address). */
static bool
glob(const char *p, const char *s, struct rb_attribution *a)
{
	if (*p == '\0')
		return *s == '\0';
	if (*p == '*') {
		for (const char *q = s;; q++) {
			if (glob(p + 1, q, a))
				return true;
			if (*q == '\0')
				return false;
		}
	}
	bool is_t = !strncmp(p, "{tenant}", 8), is_s = !strncmp(p, "{stream}", 8);
	if (is_t || is_s) {
		size_t n = 0;
		while (name_char(s[n]) && n < 64)
			n++;
		for (; n >= 1; n--) {
			if (glob(p + 8, s + n, a)) {
				set_name(is_t ? a->tenant : a->stream, s, n);
				return true;
			}
		}
		return false;
	}
	if (*s == '\0' ||
	    tolower((unsigned char)*p) != tolower((unsigned char)*s))
		return false;
	return glob(p + 1, s + 1, a);
}

/* The end of the header block starting at p (the blank line), or end. */
static const char *
header_end(const char *p, const char *end)
{
	for (const char *q = p; q < end; q++) {
		if (*q != '\n')
			continue;
		if (q + 1 < end && q[1] == '\n')
			return q + 1;
		if (q + 2 < end && q[1] == '\r' && q[2] == '\n')
			return q + 1;
	}
	return end;
}

/* The value of header name at a line start in [p, end), unfolded to its
 * first line, trimmed, into out; NULL when absent. */
static const char *
find_header(const char *p, const char *end, const char *name, char *out,
	    size_t outlen)
{
	size_t nl = strlen(name);
	for (const char *q = p; q + nl + 1 < end; q++) {
		if (q != p && q[-1] != '\n')
			continue;
		if (strncasecmp(q, name, nl) != 0 || q[nl] != ':')
			continue;
		const char *v = q + nl + 1;
		while (v < end && (*v == ' ' || *v == '\t'))
			v++;
		size_t n = 0;
		while (v + n < end && v[n] != '\r' && v[n] != '\n')
			n++;
		while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
			n--;
		if (n >= outlen)
			n = outlen - 1;
		memcpy(out, v, n);
		out[n] = '\0';
		return out;
	}
	return NULL;
}

/* The address in a header value: inside <...> when there, else the
 * first word. */
static void
bare_address(const char *v, char *out, size_t outlen)
{
	const char *lt = strchr(v, '<'), *gt = lt ? strchr(lt, '>') : NULL;
	const char *s = v;
	size_t n;
	if (lt && gt) {
		s = lt + 1;
		n = (size_t)(gt - s);
	} else {
		while (*s == ' ')
			s++;
		n = strcspn(s, " ,;");
	}
	if (n >= outlen)
		n = outlen - 1;
	memcpy(out, s, n);
	out[n] = '\0';
}

static bool
by_verp(const struct rb_tenancy *t, const char *raw, size_t len,
	const struct rb_event *e, struct rb_attribution *a)
{
	const char *pat = t->pol->tenant_verp;
	if (pat[0] == '\0')
		return false;
	static const char *const hdrs[] = {"Delivered-To", "X-Original-To",
					   "To"};
	const char *end = raw + len, *top = header_end(raw, end);
	char v[512], addr[512];
	for (size_t i = 0; i <= sizeof(hdrs) / sizeof(*hdrs); i++) {
		const char *got;
		if (i < sizeof(hdrs) / sizeof(*hdrs))
			got = find_header(raw, top, hdrs[i], v, sizeof(v));
		else
			got = e->sender;
		if (got == NULL)
			continue;
		bare_address(got, addr, sizeof(addr));
		struct rb_attribution m;
		memset(&m, 0, sizeof(m));
		if (glob(pat, addr, &m) && m.tenant[0]) {
			memcpy(a->tenant, m.tenant, sizeof(a->tenant));
			memcpy(a->stream, m.stream, sizeof(a->stream));
			snprintf(a->from, sizeof(a->from), "verp %s%.120s",
				 i < 3 ? "" : "sender ", addr);
			return true;
		}
	}
	return false;
}

static bool
by_header(const struct rb_tenancy *t, const char *raw, size_t len,
	  struct rb_attribution *a)
{
	const char *end = raw + len, *body = header_end(raw, end);
	char v[256];
	if (t->pol->tenant_header[0] == '\0' ||
	    !find_header(body, end, t->pol->tenant_header, v, sizeof(v)))
		return false;
	set_name(a->tenant, v, strlen(v));
	if (a->tenant[0] == '\0') {
		snprintf(a->from, sizeof(a->from), "header %s: not a name",
			 t->pol->tenant_header);
		return false;
	}
	if (t->pol->stream_header[0] &&
	    find_header(body, end, t->pol->stream_header, v, sizeof(v)))
		set_name(a->stream, v, strlen(v));
	snprintf(a->from, sizeof(a->from), "header %s", t->pol->tenant_header);
	return true;
}

/* field n (1-based) of a colon-separated value into out */
static void
colon_field(const char *v, unsigned n, char out[65])
{
	out[0] = '\0';
	if (n == 0)
		return;
	const char *p = v;
	for (unsigned i = 1; i < n; i++) {
		p = strchr(p, ':');
		if (p == NULL)
			return;
		p++;
	}
	size_t l = strcspn(p, ":");
	while (l > 0 && (p[l - 1] == ' ' || p[l - 1] == '\t'))
		l--;
	while (l > 0 && (*p == ' ' || *p == '\t')) {
		p++;
		l--;
	}
	set_name(out, p, l);
}

static bool
by_feedback_id(const struct rb_tenancy *t, const struct rb_event *e,
	       struct rb_attribution *a)
{
	const char *v = e->original.feedback_id;
	if (v == NULL)
		return false;
	colon_field(v, t->pol->feedback_id_tenant, a->tenant);
	if (a->tenant[0] == '\0')
		return false;
	colon_field(v, t->pol->feedback_id_stream, a->stream);
	snprintf(a->from, sizeof(a->from), "feedback-id field %u of %.100s",
		 t->pol->feedback_id_tenant, v);
	return true;
}

static bool
by_from_domain(const struct rb_tenancy *t, const struct rb_event *e,
	       struct rb_attribution *a)
{
	const char *f = e->original.from;
	const char *at = f ? strrchr(f, '@') : NULL;
	if (t->ndom == 0 || at == NULL)
		return false;
	char dom[256];
	size_t n = strcspn(at + 1, "> \t");
	if (n == 0 || n >= sizeof(dom))
		return false;
	for (size_t i = 0; i < n; i++)
		dom[i] = (char)tolower((unsigned char)at[1 + i]);
	dom[n] = '\0';
	for (const char *d = dom; d && *d;) {
		struct rb_tenant_domain k = {.domain = (char *)d};
		const struct rb_tenant_domain *hit =
		    bsearch(&k, t->dom, t->ndom, sizeof(*t->dom), cmp_dom);
		if (hit) {
			snprintf(a->tenant, sizeof(a->tenant), "%s", hit->tenant);
			snprintf(a->stream, sizeof(a->stream), "%s",
				 hit->stream ? hit->stream : "");
			snprintf(a->from, sizeof(a->from),
				 "from-domain %.80s (%.80s)", d, dom);
			return true;
		}
		d = strchr(d, '.');
		if (d)
			d++;
	}
	return false;
}

static bool
by_mailbox(const char *mailbox_tenant, struct rb_attribution *a)
{
	if (mailbox_tenant == NULL || !rb_scope_name_ok(mailbox_tenant))
		return false;
	snprintf(a->tenant, sizeof(a->tenant), "%s", mailbox_tenant);
	snprintf(a->from, sizeof(a->from), "mailbox");
	return true;
}

void
rb_tenant_attribute(const struct rb_tenancy *t, const char *raw, size_t len,
		    const struct rb_event *e, const char *mailbox_tenant,
		    struct rb_attribution *a)
{
	memset(a, 0, sizeof(*a));
	snprintf(a->from, sizeof(a->from), "none");
	if (t == NULL || t->pol == NULL)
		return;
	const char *p = t->pol->tenant_from;
	char skipped[192] = "";
	while (*p) {
		while (*p == ' ' || *p == ',')
			p++;
		size_t n = strcspn(p, ", ");
		if (n == 0)
			break;
		bool ok = false;
		a->tenant[0] = a->stream[0] = '\0';
		if (n == 4 && !strncmp(p, "verp", 4))
			ok = raw && by_verp(t, raw, len, e, a);
		else if (n == 6 && !strncmp(p, "header", 6))
			ok = raw && by_header(t, raw, len, a);
		else if (n == 11 && !strncmp(p, "feedback-id", 11))
			ok = by_feedback_id(t, e, a);
		else if (n == 11 && !strncmp(p, "from-domain", 11))
			ok = by_from_domain(t, e, a);
		else if (n == 7 && !strncmp(p, "mailbox", 7))
			ok = by_mailbox(mailbox_tenant, a);
		if (ok)
			return;
		if (strstr(a->from, "not a name"))
			snprintf(skipped, sizeof(skipped), "%s", a->from);
		p += n;
	}
	a->tenant[0] = a->stream[0] = '\0';
	snprintf(a->from, sizeof(a->from), "none%s%.120s", skipped[0] ? "; " : "",
		 skipped);
}
