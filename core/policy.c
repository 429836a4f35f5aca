#include "policy.h"

#include <ctype.h>
#include <stddef.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/file.h"

#define DAY 86400L

/*
 * Default classes of bounce reasons (Sisimai's vocabulary).  The reasoning
 * is in docs/policy.md; in short: the address is dead -> hard; the
 * mailbox is temporarily unable -> soft; the receiver objects to the
 * SENDER (reputation, content, rate, our own configuration) -> none,
 * because suppressing the recipient would not fix it and would lose a
 * good address.
 */
static const struct {
	const char *name;
	enum rb_pclass cls;
} default_reasons[] = {
    {"userunknown", RB_PC_HARD},   {"hostunknown", RB_PC_HARD},
    {"hasmoved", RB_PC_HARD},	   {"notaccept", RB_PC_HARD},
    {"mailboxfull", RB_PC_SOFT},   {"expired", RB_PC_SOFT},
    {"networkerror", RB_PC_SOFT},  {"systemfull", RB_PC_SOFT},
    {"systemerror", RB_PC_SOFT},   {"suspend", RB_PC_SOFT},
    {"exceedlimit", RB_PC_SOFT},   {"filtered", RB_PC_SOFT},
    {"mailererror", RB_PC_SOFT},   {"blocked", RB_PC_NONE},
    {"spamdetected", RB_PC_NONE},  {"policyviolation", RB_PC_NONE},
    {"badreputation", RB_PC_NONE}, {"requireptr", RB_PC_NONE},
    {"authfailure", RB_PC_NONE},   {"contenterror", RB_PC_NONE},
    {"speeding", RB_PC_NONE},	   {"toomanyconn", RB_PC_NONE},
    {"securityerror", RB_PC_NONE}, {"virusdetected", RB_PC_NONE},
    {"notcompliantrfc", RB_PC_NONE}, {"mesgtoobig", RB_PC_NONE},
    {"norelaying", RB_PC_NONE},	   {"rejected", RB_PC_NONE},
    {"syntaxerror", RB_PC_NONE},   {"onhold", RB_PC_NONE},
    {"delivered", RB_PC_NONE},	   {"vacation", RB_PC_NONE},
    {"feedback", RB_PC_NONE},
};

/* ARF feedback types (RFC 5965), and rejected-by-recipient, inferred from
 * the Chinese providers' notices (etc/rules/15-cn.rules). */
static const struct {
	const char *name;
	enum rb_pclass cls;
} default_feedback[] = {
    {"abuse", RB_PC_COMPLAINT},
    {"fraud", RB_PC_COMPLAINT},
    {"virus", RB_PC_COMPLAINT},
    {"other", RB_PC_COMPLAINT},
    {"opt-out", RB_PC_COMPLAINT},
    {"rejected-by-recipient", RB_PC_COMPLAINT},
    /* inferred signals that are about the sender, not the address
     * (docs/cn.md): QQ "Mail content denied", NetEase HL:REP */
    {"content-denied", RB_PC_NONE},
    {"list-hygiene", RB_PC_NONE},
    {"not-spam", RB_PC_NONE},
    {"auth-failure", RB_PC_NONE},
};

static const char *const class_names[] = {
    [RB_PC_NONE] = "none",	   [RB_PC_SOFT] = "soft",
    [RB_PC_HARD] = "hard",	   [RB_PC_COMPLAINT] = "complaint",
    [RB_PC_MANUAL] = "manual",	   [RB_PC_UNSUBSCRIBE] = "unsubscribe",
};

const char *
rb_pclass_name(enum rb_pclass c)
{
	return (unsigned)c <= RB_PC_UNSUBSCRIBE ? class_names[c] : "none";
}

int
rb_pclass_parse(const char *s, enum rb_pclass *c)
{
	for (unsigned i = 0; i <= RB_PC_UNSUBSCRIBE; i++)
		if (strcmp(s, class_names[i]) == 0) {
			*c = (enum rb_pclass)i;
			return 0;
		}
	return -1;
}

/* set name's class (names compare case-insensitively, as lookups do);
 * NULL when the table is full */
static struct rb_policy_entry *
set_entry(struct rb_policy_entry *v, size_t *n, size_t cap, const char *name,
	  enum rb_pclass cls)
{
	for (size_t i = 0; i < *n; i++)
		if (strcasecmp(v[i].name, name) == 0) {
			v[i].cls = cls;
			return &v[i];
		}
	if (*n == cap)
		return NULL;
	memset(&v[*n], 0, sizeof(v[*n]));
	snprintf(v[*n].name, sizeof(v[*n].name), "%s", name);
	v[*n].cls = cls;
	return &v[(*n)++];
}

void
rb_policy_default(struct rb_policy *p)
{
	memset(p, 0, sizeof(*p));
	for (size_t i = 0; i < sizeof(default_reasons) / sizeof(*default_reasons);
	     i++)
		set_entry(p->reasons, &p->nreasons,
			  sizeof(p->reasons) / sizeof(*p->reasons),
			  default_reasons[i].name, default_reasons[i].cls);
	for (size_t i = 0;
	     i < sizeof(default_feedback) / sizeof(*default_feedback); i++)
		set_entry(p->feedback, &p->nfeedback,
			  sizeof(p->feedback) / sizeof(*p->feedback),
			  default_feedback[i].name, default_feedback[i].cls);
	p->unknown_hard = RB_PC_HARD;
	p->unknown_soft = RB_PC_SOFT;
	p->feedback_missing = RB_PC_COMPLAINT;
	p->feedback_other = RB_PC_COMPLAINT;
	p->soft_threshold = 3;
	p->soft_window = 14 * DAY;
	p->soft_expiry = 30 * DAY;
	p->hard_expiry = 0;
	p->complaint_expiry = 0;
	p->unsubscribe_expiry = 0;
	p->keep_raw = false;
	p->raw_retention = 90 * DAY;
	p->scope_hard = RB_SCOPE_GLOBAL;
	p->scope_soft = RB_SCOPE_GLOBAL;
	p->scope_complaint = RB_SCOPE_STREAM;
	p->scope_unsubscribe = RB_SCOPE_STREAM;
	snprintf(p->tenant_from, sizeof(p->tenant_from), "%s",
		 "verp, header, feedback-id, from-domain, mailbox");
	snprintf(p->tenant_header, sizeof(p->tenant_header), "X-Tenant");
	snprintf(p->stream_header, sizeof(p->stream_header), "X-Stream");
	p->feedback_id_tenant = 4;
	p->feedback_id_stream = 0;
	rb_policy_layer(p, "built-in defaults");
}

long
rb_duration_parse(const char *s)
{
	if (strcmp(s, "never") == 0 || strcmp(s, "forever") == 0)
		return 0;
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || v < 0)
		return -1;
	long mul = 1;
	switch (*end) {
	case '\0':
	case 's':
		mul = 1;
		break;
	case 'm':
		mul = 60;
		break;
	case 'h':
		mul = 3600;
		break;
	case 'd':
		mul = DAY;
		break;
	case 'w':
		mul = 7 * DAY;
		break;
	default:
		return -1;
	}
	if (*end && end[1] != '\0')
		return -1;
	if (v > 100L * 365 * DAY / mul)
		return -1;
	return v * mul;
}

static int
perr(char *err, size_t errlen, const char *name, int line, const char *what,
     const char *key)
{
	snprintf(err, errlen, "%s:%d: %s%s%s", name, line, what,
		 key ? ": " : "", key ? key : "");
	return -1;
}

static int
parse_bool(const char *v, bool *b)
{
	if (!strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "on") ||
	    !strcmp(v, "1"))
		*b = true;
	else if (!strcmp(v, "no") || !strcmp(v, "false") ||
		 !strcmp(v, "off") || !strcmp(v, "0"))
		*b = false;
	else
		return -1;
	return 0;
}

/* The keys with one value (reason.NAME / feedback.TYPE are the tables). */
enum stype { ST_UINT, ST_DURATION, ST_BOOL, ST_CLASS, ST_SCOPE, ST_STR };
#define P(f) offsetof(struct rb_policy, f)
#define S(f) sizeof(((struct rb_policy *)0)->f)
static const struct scalar {
	const char *name;
	enum stype type;
	size_t off;
	size_t len;	/* ST_STR: the buffer's size */
} scalars[] = {
    {"soft_threshold", ST_UINT, P(soft_threshold), 0},
    {"soft_window", ST_DURATION, P(soft_window), 0},
    {"soft_expiry", ST_DURATION, P(soft_expiry), 0},
    {"hard_expiry", ST_DURATION, P(hard_expiry), 0},
    {"complaint_expiry", ST_DURATION, P(complaint_expiry), 0},
    {"unsubscribe_expiry", ST_DURATION, P(unsubscribe_expiry), 0},
    {"keep_raw", ST_BOOL, P(keep_raw), 0},
    {"raw_retention", ST_DURATION, P(raw_retention), 0},
    {"reason.default_hard", ST_CLASS, P(unknown_hard), 0},
    {"reason.default_soft", ST_CLASS, P(unknown_soft), 0},
    /* printed after the reason table: */
    {"feedback.missing", ST_CLASS, P(feedback_missing), 0},
    {"feedback.default", ST_CLASS, P(feedback_other), 0},
    /* printed last: scopes and tenant attribution */
    {"scope.hard", ST_SCOPE, P(scope_hard), 0},
    {"scope.soft", ST_SCOPE, P(scope_soft), 0},
    {"scope.complaint", ST_SCOPE, P(scope_complaint), 0},
    {"scope.unsubscribe", ST_SCOPE, P(scope_unsubscribe), 0},
    {"tenant.from", ST_STR, P(tenant_from), S(tenant_from)},
    {"tenant.header", ST_STR, P(tenant_header), S(tenant_header)},
    {"tenant.stream_header", ST_STR, P(stream_header), S(stream_header)},
    {"tenant.feedback_id_field", ST_UINT, P(feedback_id_tenant), 0},
    {"tenant.feedback_id_stream_field", ST_UINT, P(feedback_id_stream), 0},
    {"tenant.verp", ST_STR, P(tenant_verp), S(tenant_verp)},
    {"tenant.domains", ST_STR, P(tenant_domains), S(tenant_domains)},
};
#undef S
#undef P
#define NSCALARS (sizeof(scalars) / sizeof(*scalars))
_Static_assert(NSCALARS == RB_POLICY_NSCALARS, "RB_POLICY_NSCALARS");
#define SCALAR_FEEDBACK 10	/* first of the feedback.* scalars */
#define SCALAR_SOFT_EXPIRY 2

int
rb_policy_layer(struct rb_policy *p, const char *name)
{
	if (p->nlayers >= RB_POLICY_MAXLAYERS) {
		return -1;
	}
	snprintf(p->layers[p->nlayers], sizeof(p->layers[0]), "%s", name);
	if (p->nlayers == 0)
		snprintf(p->source, sizeof(p->source), "%s", name);
	else {
		size_t l = strlen(p->source);
		snprintf(p->source + l, sizeof(p->source) - l, " + %s", name);
	}
	p->nlayers++;
	return 0;
}

/* tenant.from: a comma-separated list of the known methods */
static bool
tenant_from_ok(const char *v)
{
	static const char *const methods[] = {"verp", "header", "feedback-id",
					      "from-domain", "mailbox"};
	const char *p = v;
	while (*p) {
		while (*p == ' ' || *p == ',')
			p++;
		if (!*p)
			break;
		size_t n = strcspn(p, ", ");
		bool ok = false;
		for (size_t i = 0; i < sizeof(methods) / sizeof(*methods); i++)
			if (strlen(methods[i]) == n &&
			    !strncmp(p, methods[i], n))
				ok = true;
		if (!ok)
			return false;
		p += n;
	}
	return true;
}

enum rb_scope_level
rb_policy_scope(const struct rb_policy *p, enum rb_pclass c)
{
	switch (c) {
	case RB_PC_HARD:
		return p->scope_hard;
	case RB_PC_SOFT:
		return p->scope_soft;
	case RB_PC_COMPLAINT:
		return p->scope_complaint;
	case RB_PC_UNSUBSCRIBE:
		return p->scope_unsubscribe;
	default:
		return RB_SCOPE_GLOBAL;
	}
}

int
rb_policy_set(struct rb_policy *p, const char *k, const char *v,
	      const char *name, int line, char *err, size_t errlen)
{
	struct rb_policy_origin from = {
	    .layer = (unsigned char)(p->nlayers ? p->nlayers - 1 : 0),
	    .line = line};
	enum rb_pclass cls;
	for (size_t i = 0; i < NSCALARS; i++) {
		const struct scalar *s = &scalars[i];
		if (strcmp(k, s->name) != 0)
			continue;
		char *f = (char *)p + s->off;
		switch (s->type) {
		case ST_UINT: {
			char *end;
			errno = 0;
			long n = strtol(v, &end, 10);
			bool thr = strcmp(k, "soft_threshold") == 0;
			if (thr && (errno || end == v || *end || n < 1 ||
				    n > 60))
				return perr(err, errlen, name, line,
					    "soft_threshold must be 1..60",
					    NULL);
			if (!thr && (errno || end == v || *end || n < 0 ||
				     n > 16))
				return perr(err, errlen, name, line,
					    "a field number must be 0..16",
					    k);
			*(unsigned *)(void *)f = (unsigned)n;
			break;
		}
		case ST_DURATION: {
			long d = rb_duration_parse(v);
			if (d < 0)
				return perr(err, errlen, name, line,
					    "bad duration (e.g. 14d, 12h, "
					    "never)",
					    k);
			*(long *)(void *)f = d;
			break;
		}
		case ST_BOOL:
			if (parse_bool(v, (bool *)(void *)f) != 0)
				return perr(err, errlen, name, line,
					    "expected yes or no", k);
			break;
		case ST_CLASS:
			if (rb_pclass_parse(v, &cls) != 0 || cls >= RB_PC_MANUAL)
				return perr(err, errlen, name, line,
					    "class must be hard, soft, "
					    "complaint or none",
					    k);
			*(enum rb_pclass *)(void *)f = cls;
			break;
		case ST_SCOPE:
			if (rb_scope_level_parse(v, (enum rb_scope_level *)(
							void *)f) != 0)
				return perr(err, errlen, name, line,
					    "scope must be global, tenant or "
					    "stream",
					    k);
			break;
		case ST_STR:
			if (strlen(v) >= s->len)
				return perr(err, errlen, name, line,
					    "value too long", k);
			if (!strcmp(k, "tenant.from") && !tenant_from_ok(v))
				return perr(err, errlen, name, line,
					    "expected a list of verp, header, "
					    "feedback-id, from-domain, mailbox",
					    k);
			if (!strcmp(k, "tenant.verp") && v[0] &&
			    !strstr(v, "{tenant}"))
				return perr(err, errlen, name, line,
					    "the pattern needs {tenant}", k);
			memcpy(f, v, strlen(v) + 1);
			break;
		}
		p->scalar_from[i] = from;
		return 0;
	}
	bool r = !strncmp(k, "reason.", 7);
	if (!r && strncmp(k, "feedback.", 9) != 0)
		return perr(err, errlen, name, line, "unknown key", k);
	const char *nm = k + (r ? 7 : 9);
	if (*nm == '\0' || strlen(nm) >= 64)
		return perr(err, errlen, name, line, "bad name", k);
	if (rb_pclass_parse(v, &cls) != 0 || cls >= RB_PC_MANUAL)
		return perr(err, errlen, name, line,
			    "class must be hard, soft, complaint or none", k);
	struct rb_policy_entry *tab = r ? p->reasons : p->feedback;
	size_t *n = r ? &p->nreasons : &p->nfeedback;
	size_t cap = r ? sizeof(p->reasons) / sizeof(*p->reasons)
		       : sizeof(p->feedback) / sizeof(*p->feedback);
	struct rb_policy_entry *e = set_entry(tab, n, cap, nm, cls);
	if (e == NULL)
		return perr(err, errlen, name, line,
			    "too many names in this table", k);
	e->from = from;
	return 0;
}

int
rb_policy_check(const struct rb_policy *p, char *err, size_t errlen)
{
	if (p->soft_expiry == 0) {
		const struct rb_policy_origin *o =
		    &p->scalar_from[SCALAR_SOFT_EXPIRY];
		return perr(err, errlen, p->layers[o->layer], o->line,
			    "soft_expiry must be a duration (soft "
			    "suppressions expire)",
			    NULL);
	}
	return 0;
}

/* `key = value` lines, `#` comments, blank lines */
static int
parse_lines(struct rb_policy *p, const char *text, const char *name,
	    char *err, size_t errlen)
{
	int line = 0;
	const char *s = text;
	while (*s) {
		const char *e = strchr(s, '\n');
		size_t len = e ? (size_t)(e - s) : strlen(s);
		char buf[1024];
		line++;
		if (len >= sizeof(buf))
			return perr(err, errlen, name, line, "line too long",
				    NULL);
		memcpy(buf, s, len);
		buf[len] = '\0';
		s = e ? e + 1 : s + len;
		char *h = strchr(buf, '#');
		if (h)
			*h = '\0';
		char *k = buf;
		while (isspace((unsigned char)*k))
			k++;
		if (*k == '\0')
			continue;
		char *eq = strchr(k, '=');
		if (eq == NULL)
			return perr(err, errlen, name, line,
				    "expected key = value", NULL);
		char *v = eq + 1;
		*eq = '\0';
		for (char *t = eq - 1; t >= k && isspace((unsigned char)*t); t--)
			*t = '\0';
		while (isspace((unsigned char)*v))
			v++;
		for (char *t = v + strlen(v) - 1;
		     t >= v && isspace((unsigned char)*t); t--)
			*t = '\0';
		if (rb_policy_set(p, k, v, name, line, err, errlen) != 0)
			return -1;
	}
	return 0;
}

int
rb_policy_parse(struct rb_policy *p, const char *text, const char *name,
		char *err, size_t errlen)
{
	if (rb_policy_layer(p, name) != 0) {
		snprintf(err, errlen, "%s: too many policy layers", name);
		return -1;
	}
	if (parse_lines(p, text, name, err, errlen) != 0)
		return -1;
	return rb_policy_check(p, err, errlen);
}

int
rb_policy_file(struct rb_policy *p, const char *path, bool explicit,
	       char *err, size_t errlen)
{
	size_t len;
	char *text = rb_read_file(path, &len);
	if (text == NULL) {
		snprintf(err, errlen, "cannot read policy file %s: %s", path,
			 strerror(errno));
		return explicit || errno != ENOENT ? -1 : 0;
	}
	int rc = 0;
	if (strlen(text) != len) {
		snprintf(err, errlen, "%s: contains a NUL byte", path);
		rc = -1;
	} else if (rb_policy_layer(p, path) != 0) {
		snprintf(err, errlen, "%s: too many policy layers", path);
		rc = -1;
	} else {
		rc = parse_lines(p, text, path, err, errlen);
	}
	free(text);
	return rc;
}

int
rb_policy_load(struct rb_policy *p, const char *path, char *err,
	       size_t errlen)
{
	rb_policy_default(p);
	if (rb_policy_file(p, RB_POLICY_DEFAULT_PATH, false, err, errlen) != 0)
		return -1;
	const char *env = getenv("REBOUND_POLICY");
	if (env && env[0] && rb_policy_file(p, env, true, err, errlen) != 0)
		return -1;
	if (path && path[0] && rb_policy_file(p, path, true, err, errlen) != 0)
		return -1;
	return rb_policy_check(p, err, errlen);
}

static void
print_origin(const struct rb_policy *p, FILE *f,
	     const struct rb_policy_origin *o)
{
	if (o->layer == 0 || o->layer >= p->nlayers)
		fputc('\n', f);
	else if (o->line > 0)
		fprintf(f, "\t# %s:%d\n", p->layers[o->layer], o->line);
	else
		fprintf(f, "\t# %s\n", p->layers[o->layer]);
}

static void
print_scalar(const struct rb_policy *p, FILE *f, size_t i, bool changed_only)
{
	const struct scalar *s = &scalars[i];
	if (changed_only && p->scalar_from[i].layer == 0)
		return;
	const char *v = (const char *)p + s->off;
	fprintf(f, "%s = ", s->name);
	switch (s->type) {
	case ST_UINT:
		fprintf(f, "%u", *(const unsigned *)(const void *)v);
		break;
	case ST_DURATION: {
		long d = *(const long *)(const void *)v;
		if (d == 0)
			fputs("never", f);
		else if (d % DAY == 0)
			fprintf(f, "%ldd", d / DAY);
		else
			fprintf(f, "%lds", d);
		break;
	}
	case ST_BOOL:
		fputs(*(const bool *)(const void *)v ? "yes" : "no", f);
		break;
	case ST_CLASS:
		fputs(rb_pclass_name(*(const enum rb_pclass *)(const void *)v),
		      f);
		break;
	case ST_SCOPE:
		fputs(rb_scope_level_name(
			  *(const enum rb_scope_level *)(const void *)v),
		      f);
		break;
	case ST_STR:
		fputs(v, f);
		break;
	}
	print_origin(p, f, &p->scalar_from[i]);
}

static void
print_table(const struct rb_policy *p, FILE *f, const char *prefix,
	    const struct rb_policy_entry *v, size_t n, bool changed_only)
{
	for (size_t i = 0; i < n; i++) {
		if (changed_only && v[i].from.layer == 0)
			continue;
		fprintf(f, "%s%s = %s", prefix, v[i].name,
			rb_pclass_name(v[i].cls));
		print_origin(p, f, &v[i].from);
	}
}

void
rb_policy_print(const struct rb_policy *p, FILE *f, bool changed_only)
{
	if (!changed_only)
		fprintf(f, "# effective policy: %s\n", p->source);
	for (size_t i = 0; i < SCALAR_FEEDBACK; i++)
		print_scalar(p, f, i, changed_only);
	print_table(p, f, "reason.", p->reasons, p->nreasons, changed_only);
	for (size_t i = SCALAR_FEEDBACK; i < NSCALARS; i++)
		print_scalar(p, f, i, changed_only);
	print_table(p, f, "feedback.", p->feedback, p->nfeedback,
		    changed_only);
}
static const struct rb_policy_entry *
lookup(const struct rb_policy_entry *v, size_t n, const char *name)
{
	if (name == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (strcasecmp(v[i].name, name) == 0)
			return &v[i];
	return NULL;
}

enum rb_pclass
rb_policy_classify_cols(const struct rb_policy *p, const char *kind,
			const char *reason, int hard,
			const char *feedback_type, char *rule, size_t rulecap)
{
	enum rb_pclass c = RB_PC_NONE;
	const char *why = kind ? kind : "unknown";
	if (kind && strcmp(kind, "bounce") == 0) {
		const struct rb_policy_entry *e =
		    lookup(p->reasons, p->nreasons, reason);
		if (e != NULL) {
			c = e->cls;
			why = e->name;
		} else {
			c = hard == 1 ? p->unknown_hard : p->unknown_soft;
			why = reason && reason[0] ? reason : "undefined";
		}
	} else if (kind && strcmp(kind, "complaint") == 0) {
		if (feedback_type == NULL || feedback_type[0] == '\0') {
			c = p->feedback_missing;
			why = "missing-feedback-type";
		} else {
			const struct rb_policy_entry *e =
			    lookup(p->feedback, p->nfeedback, feedback_type);
			c = e ? e->cls : p->feedback_other;
			why = feedback_type;
		}
	} else if (kind && strcmp(kind, "unsubscribe") == 0) {
		c = RB_PC_UNSUBSCRIBE;
		why = "unsubscribe";
	}
	/* delay, delivered, autoreply, unknown: never */
	if (rule)
		snprintf(rule, rulecap, "%s:%s", rb_pclass_name(c), why);
	return c;
}

enum rb_pclass
rb_policy_classify(const struct rb_policy *p, const struct rb_event *e,
		   char *rule, size_t rulecap)
{
	return rb_policy_classify_cols(p, rb_kind_name(e->kind), e->reason,
				       e->hard, e->feedback_type, rule,
				       rulecap);
}

/* ---- time ---- */

int
rb_time_parse(const char *s, time_t *t)
{
	if (s == NULL)
		return -1;
	if (s[0] == '@') {
		char *end;
		long long v = strtoll(s + 1, &end, 10);
		if (*end || end == s + 1)
			return -1;
		*t = (time_t)v;
		return 0;
	}
	struct tm tm;
	memset(&tm, 0, sizeof(tm));
	int n = 0;
	if (sscanf(s, "%4d-%2d-%2d%*[T ]%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon,
		   &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6) {
		n = 0;
		if (sscanf(s, "%4d-%2d-%2d%n", &tm.tm_year, &tm.tm_mon,
			   &tm.tm_mday, &n) != 3 ||
		    s[n] != '\0')
			return -1;
	}
	if (tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 ||
	    tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 ||
	    tm.tm_sec > 60)
		return -1;
	const char *r = s + n;
	if (*r == '.')
		for (r++; isdigit((unsigned char)*r); r++)
			;
	long off = 0;
	if (*r == 'Z' || *r == 'z') {
		r++;
	} else if (*r == '+' || *r == '-') {
		int sign = *r == '-' ? -1 : 1;
		int hh = 0, mm = 0;
		r++;
		if (isdigit((unsigned char)r[0]) &&
		    isdigit((unsigned char)r[1])) {
			hh = (r[0] - '0') * 10 + (r[1] - '0');
			r += 2;
			if (*r == ':')
				r++;
			if (isdigit((unsigned char)r[0]) &&
			    isdigit((unsigned char)r[1])) {
				mm = (r[0] - '0') * 10 + (r[1] - '0');
				r += 2;
			}
		} else {
			return -1;
		}
		off = sign * (hh * 3600L + mm * 60L);
	}
	if (*r != '\0')
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	*t = timegm(&tm) - off;
	return 0;
}

void
rb_time_iso(time_t t, char *out, size_t n)
{
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

time_t
rb_now(void)
{
	const char *e = getenv("REBOUND_NOW");
	time_t t;
	if (e && e[0] && rb_time_parse(e, &t) == 0)
		return t;
	return time(NULL);
}

time_t
rb_event_time(const struct rb_event *e, time_t now)
{
	time_t t;
	if (e->arrival_date && rb_time_parse(e->arrival_date, &t) == 0 &&
	    t <= now && t > 0)
		return t;
	return now;
}

/* ---- decisions ---- */

bool
rb_pstate_active(const struct rb_pstate *s, time_t t)
{
	return s->exists && s->removed == 0 &&
	       (s->expires == 0 || s->expires > t);
}

static int
rank(enum rb_pclass c)
{
	switch (c) {
	case RB_PC_COMPLAINT:
	case RB_PC_UNSUBSCRIBE:	/* both: the person does not want it */
		return 4;
	case RB_PC_HARD:
		return 3;
	case RB_PC_MANUAL:
		return 2;
	case RB_PC_SOFT:
		return 1;
	default:
		return 0;
	}
}

static time_t
expiry(const struct rb_policy *p, enum rb_pclass c, time_t t)
{
	long d = c == RB_PC_SOFT	? p->soft_expiry
		 : c == RB_PC_HARD	? p->hard_expiry
		 : c == RB_PC_COMPLAINT ? p->complaint_expiry
		 : c == RB_PC_UNSUBSCRIBE ? p->unsubscribe_expiry
					: 0;
	return d ? t + d : 0;
}

enum rb_decision
rb_policy_decide(const struct rb_policy *p, struct rb_pstate *st,
		 enum rb_pclass cls, time_t t, const long *soft_days,
		 size_t ndays, bool *expired)
{
	*expired = false;
	if (cls == RB_PC_NONE || cls == RB_PC_MANUAL)
		return RB_DEC_NONE;
	/* evidence older than a manual removal does not undo it */
	if (st->exists && st->removed != 0 && t <= st->removed)
		return RB_DEC_NONE;
	/* soft evidence counts again only after a suppression ended */
	if (st->exists) {
		time_t end = st->removed ? st->removed
			     : (st->expires && st->expires <= t) ? st->expires
								 : 0;
		if (end > st->since)
			st->since = end;
	}
	if (cls == RB_PC_SOFT) {
		long today = (long)(t / DAY), first = (long)((t - p->soft_window) / DAY);
		long seen[64];
		size_t nseen = 0;
		for (size_t i = 0; i < ndays && nseen < 64; i++) {
			long d = soft_days[i];
			if (d > today || d <= first ||
			    (st->since && d <= (long)(st->since / DAY)))
				continue;
			bool dup = false;
			for (size_t j = 0; j < nseen; j++)
				dup |= seen[j] == d;
			if (!dup)
				seen[nseen++] = d;
		}
		if (nseen < p->soft_threshold)
			return RB_DEC_NONE;
	}
	bool active = rb_pstate_active(st, t);
	time_t exp = expiry(p, cls, t);
	if (active) {
		if (rank(cls) > rank(st->cls)) {
			st->cls = cls;
			st->expires = exp;
			st->updated = t;
			return RB_DEC_CHANGE;
		}
		if (cls == st->cls && st->expires != 0 &&
		    (exp == 0 || exp > st->expires)) {
			st->expires = exp;
			st->updated = t;
			return RB_DEC_EXTEND;
		}
		return RB_DEC_NONE;
	}
	/* not active: new, expired, or removed (by a person, earlier) */
	*expired = st->exists && st->removed == 0 && st->expires != 0 &&
		   st->expires <= t;
	st->exists = true;
	st->cls = cls;
	st->created = t;
	st->updated = t;
	st->expires = exp;
	st->removed = 0;
	return RB_DEC_ADD;
}
