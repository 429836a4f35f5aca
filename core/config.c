#include "config.h"
#include "scope.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <sys/stat.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "addrin.h"
#include "lib/file.h"
#include "policy.h"
#include "unsubscribe.h"

enum ktype { K_STR, K_UINT, K_BOOL, K_ENUM, K_SIZE, K_LIST };
enum kscope { S_GLOBAL, S_MAILBOX };

struct key {
	const char *name;
	enum kscope scope;
	enum ktype type;
	size_t off;
	const char *const *names;	/* K_ENUM: value names, index = value */
	unsigned long long min, max;	/* K_UINT / K_SIZE bounds */
};

static const char *const tls_names[] = {"implicit", "starttls", "none", NULL};
static const char *const done_names[] = {"move", "flag", "delete", NULL};
static const char *const unknown_names[] = {"leave", "move", "quarantine",
					    NULL};
static const char *const json_names[] = {"text", "json", NULL};
static const char *const level_names[] = {"debug", "info", "warning", "error",
					  NULL};

#define G(f) offsetof(struct rb_config, f)
#define M(f) offsetof(struct rb_mailbox_conf, f)

/* Every key the file may contain. */
static const struct key keys[] = {
    {"db", S_GLOBAL, K_STR, G(db), NULL, 0, 0},
    {"log_level", S_GLOBAL, K_ENUM, G(log_level), level_names, 0, 0},
    {"log_format", S_GLOBAL, K_ENUM, G(log_json), json_names, 0, 0},
    {"metrics_listen", S_GLOBAL, K_STR, G(metrics_listen), NULL, 0, 0},
    {"metrics_file", S_GLOBAL, K_STR, G(metrics_file), NULL, 0, 0},
    {"lease_seconds", S_GLOBAL, K_UINT, G(lease_seconds), NULL, 5, 3600},
    {"parse_timeout", S_GLOBAL, K_UINT, G(parse_timeout), NULL, 1, 600},
    {"max_attempts", S_GLOBAL, K_UINT, G(max_attempts), NULL, 1, 100},
    {"shutdown_grace", S_GLOBAL, K_UINT, G(shutdown_grace), NULL, 1, 600},
    {"instance", S_GLOBAL, K_STR, G(instance), NULL, 0, 0},
    {"policy_file", S_GLOBAL, K_STR, G(policy_file), NULL, 0, 0},
    {"unsubscribe_secret_file", S_GLOBAL, K_STR, G(unsubscribe_secret_file),
     NULL, 0, 0},
    {"unsubscribe_address", S_GLOBAL, K_STR, G(unsubscribe_address), NULL, 0,
     0},
    {"host", S_MAILBOX, K_STR, M(host), NULL, 0, 0},
    {"port", S_MAILBOX, K_UINT, M(port), NULL, 1, 65535},
    {"tls", S_MAILBOX, K_ENUM, M(tls), tls_names, 0, 0},
    {"allow_plaintext", S_MAILBOX, K_BOOL, M(allow_plaintext), NULL, 0, 0},
    {"ca_file", S_MAILBOX, K_STR, M(ca_file), NULL, 0, 0},
    {"user", S_MAILBOX, K_STR, M(user), NULL, 0, 0},
    {"password_file", S_MAILBOX, K_STR, M(password_file), NULL, 0, 0},
    {"password_env", S_MAILBOX, K_STR, M(password_env), NULL, 0, 0},
    {"xoauth2_command", S_MAILBOX, K_STR, M(xoauth2_command), NULL, 0, 0},
    {"folders", S_MAILBOX, K_LIST, M(folders), NULL, 0, 0},
    {"on_processed", S_MAILBOX, K_ENUM, M(on_processed), done_names, 0, 0},
    {"processed_folder", S_MAILBOX, K_STR, M(processed_folder), NULL, 0, 0},
    {"processed_flag", S_MAILBOX, K_STR, M(processed_flag), NULL, 0, 0},
    {"quarantine_folder", S_MAILBOX, K_STR, M(quarantine_folder), NULL, 0,
     0},
    {"unknown_action", S_MAILBOX, K_ENUM, M(unknown_action), unknown_names, 0,
     0},
    {"unknown_folder", S_MAILBOX, K_STR, M(unknown_folder), NULL, 0, 0},
    {"batch_size", S_MAILBOX, K_UINT, M(batch_size), NULL, 1, 5000},
    {"poll_interval", S_MAILBOX, K_UINT, M(poll_interval), NULL, 1, 86400},
    {"max_size", S_MAILBOX, K_SIZE, M(max_size), NULL, 1024,
     1ULL << 30},
    {"idle", S_MAILBOX, K_BOOL, M(idle), NULL, 0, 0},
    {"timeout", S_MAILBOX, K_UINT, M(timeout), NULL, 1, 3600},
    {"tenant", S_MAILBOX, K_STR, M(tenant), NULL, 0, 0},
    {"unsubscribe", S_MAILBOX, K_BOOL, M(unsubscribe), NULL, 0, 0},
};

static int
fail(char **err_r, const char *name, int line, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	char *s = NULL;
	if (line > 0) {
		if (asprintf(&s, "%s:%d: %s", name, line, msg) < 0)
			s = NULL;
	} else if (asprintf(&s, "%s: %s", name, msg) < 0) {
		s = NULL;
	}
	*err_r = s ? s : strdup(msg);
	return -1;
}

static char *
xstrdup(const char *s)
{
	char *d = strdup(s);
	if (d == NULL)
		abort();
	return d;
}

static char *
trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' ||
			 s[n - 1] == '\r'))
		s[--n] = '\0';
	return s;
}

static void
mailbox_defaults(struct rb_mailbox_conf *m)
{
	memset(m, 0, sizeof *m);
	m->tls = RB_TLS_IMPLICIT;
	m->on_processed = RB_DONE_MOVE;
	m->unknown_action = RB_UNKNOWN_LEAVE;
	m->batch_size = 500;
	m->poll_interval = 60;
	m->max_size = 10ULL << 20;
	m->idle = 1;
	m->timeout = 60;
}

static void
free_list(char **v)
{
	if (v == NULL)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}

static char **
split_list(const char *s, size_t *n_r)
{
	size_t cap = 4, n = 0;
	char **v = calloc(cap + 1, sizeof *v);
	if (v == NULL)
		abort();
	char *copy = xstrdup(s), *save = NULL;
	for (char *t = strtok_r(copy, ",", &save); t;
	     t = strtok_r(NULL, ",", &save)) {
		t = trim(t);
		if (*t == '\0')
			continue;
		if (n == cap) {
			cap *= 2;
			v = realloc(v, (cap + 1) * sizeof *v);
			if (v == NULL)
				abort();
		}
		v[n++] = xstrdup(t);
		v[n] = NULL;
	}
	free(copy);
	*n_r = n;
	return v;
}

static int
parse_size(const char *v, unsigned long long *out)
{
	char *end;
	errno = 0;
	unsigned long long n = strtoull(v, &end, 10);
	if (errno || end == v || *v == '-')
		return -1;
	while (*end == ' ')
		end++;
	unsigned long long mul = 1;
	switch (toupper((unsigned char)*end)) {
	case '\0':
		break;
	case 'K':
		mul = 1ULL << 10;
		end++;
		break;
	case 'M':
		mul = 1ULL << 20;
		end++;
		break;
	case 'G':
		mul = 1ULL << 30;
		end++;
		break;
	default:
		return -1;
	}
	if (*end == 'B' || *end == 'b')
		end++;
	if (*end != '\0' || (n && mul > ~0ULL / n))
		return -1;
	*out = n * mul;
	return 0;
}

static int
set_key(const struct key *k, void *base, const char *v, const char *name,
	int line, char **err_r)
{
	char *p = (char *)base + k->off;
	switch (k->type) {
	case K_STR: {
		char **s = (char **)(void *)p;
		if (!strcmp(k->name, "tenant") && !rb_scope_name_ok(v))
			return fail(err_r, name, line,
				    "tenant: not a tenant name (1-64 of A-Z "
				    "a-z 0-9 . _ -): %s",
				    v);
		free(*s);
		*s = *v ? xstrdup(v) : NULL;
		return 0;
	}
	case K_LIST: {
		char ***l = (char ***)(void *)p;
		free_list(*l);
		size_t n;
		*l = split_list(v, &n);
		if (n == 0)
			return fail(err_r, name, line, "%s: empty list",
				    k->name);
		/* nfolders follows folders in the struct */
		*(size_t *)(void *)(p + sizeof(char **)) = n;
		return 0;
	}
	case K_BOOL: {
		int b;
		if (!strcasecmp(v, "yes") || !strcasecmp(v, "true") ||
		    !strcmp(v, "1") || !strcasecmp(v, "on"))
			b = 1;
		else if (!strcasecmp(v, "no") || !strcasecmp(v, "false") ||
			 !strcmp(v, "0") || !strcasecmp(v, "off"))
			b = 0;
		else
			return fail(err_r, name, line,
				    "%s: expected yes or no, got '%s'",
				    k->name, v);
		*(int *)(void *)p = b;
		return 0;
	}
	case K_UINT:
	case K_SIZE: {
		unsigned long long n;
		if (k->type == K_SIZE) {
			if (parse_size(v, &n) < 0)
				return fail(err_r, name, line,
					    "%s: expected a size such as "
					    "10M, got '%s'",
					    k->name, v);
		} else {
			char *end;
			errno = 0;
			n = strtoull(v, &end, 10);
			if (errno || end == v || *end || *v == '-')
				return fail(err_r, name, line,
					    "%s: expected a number, got '%s'",
					    k->name, v);
		}
		if (n < k->min || n > k->max)
			return fail(err_r, name, line,
				    "%s: %llu is out of range %llu..%llu",
				    k->name, n, k->min, k->max);
		if (k->type == K_SIZE)
			*(unsigned long long *)(void *)p = n;
		else if (!strcmp(k->name, "port"))
			*(int *)(void *)p = (int)n;
		else
			*(unsigned *)(void *)p = (unsigned)n;
		return 0;
	}
	case K_ENUM:
		for (int i = 0; k->names[i]; i++) {
			if (strcasecmp(v, k->names[i]) != 0)
				continue;
			if (!strcmp(k->name, "log_level")) {
				char **s = (char **)(void *)p;
				free(*s);
				*s = xstrdup(k->names[i]);
			} else {
				*(int *)(void *)p = i;
			}
			return 0;
		}
		{
			char opts[128] = "";
			for (int i = 0; k->names[i]; i++) {
				if (i)
					strcat(opts, "|");
				strcat(opts, k->names[i]);
			}
			return fail(err_r, name, line,
				    "%s: expected %s, got '%s'", k->name, opts,
				    v);
		}
	}
	return 0;
}

int
rb_host_is_loopback(const char *host)
{
	if (host == NULL)
		return 0;
	if (!strcasecmp(host, "localhost") || !strcmp(host, "::1") ||
	    !strcmp(host, "[::1]"))
		return 1;
	struct in_addr a;
	if (inet_pton(AF_INET, host, &a) == 1)
		return (ntohl(a.s_addr) >> 24) == 127;
	return 0;
}

const char *
rb_tls_mode_name(enum rb_tls_mode m)
{
	return tls_names[m];
}

/* Checks that need the whole section. */
static int
check_mailbox(struct rb_mailbox_conf *m, const char *name, unsigned flags,
	      char **err_r)
{
	if (m->host == NULL)
		return fail(err_r, name, m->line, "mailbox %s: host is not set",
			    m->name);
	if (m->user == NULL)
		return fail(err_r, name, m->line, "mailbox %s: user is not set",
			    m->name);
	if (m->tls == RB_TLS_NONE) {
		if (!m->allow_plaintext)
			return fail(err_r, name, m->line,
				    "mailbox %s: tls = none needs "
				    "allow_plaintext = yes",
				    m->name);
		if (!rb_host_is_loopback(m->host))
			return fail(err_r, name, m->line,
				    "mailbox %s: tls = none is only allowed "
				    "to a loopback host, not %s",
				    m->name, m->host);
	}
	if (m->port == 0)
		m->port = m->tls == RB_TLS_IMPLICIT ? 993 : 143;
	if (m->folders == NULL) {
		m->folders = calloc(2, sizeof *m->folders);
		if (m->folders == NULL)
			abort();
		m->folders[0] = xstrdup("INBOX");
		m->nfolders = 1;
	}
	if (m->processed_folder == NULL)
		m->processed_folder = xstrdup("rebound/Processed");
	if (m->processed_flag == NULL)
		m->processed_flag = xstrdup("$Rebound");
	if (m->quarantine_folder == NULL)
		m->quarantine_folder = xstrdup("rebound/Quarantine");
	if (m->unknown_folder == NULL)
		m->unknown_folder = xstrdup("rebound/Unknown");
	if (flags & RB_CONFIG_NO_SECRETS)
		return 0;
	if (m->ca_file && access(m->ca_file, R_OK) != 0)
		return fail(err_r, name, m->line,
			    "mailbox %s: cannot read ca_file %s: %s", m->name,
			    m->ca_file, strerror(errno));
	if (m->xoauth2_command == NULL) {
		char *e = NULL;
		char *s = rb_config_secret(m, &e);
		if (s == NULL) {
			int r = fail(err_r, name, m->line, "mailbox %s: %s",
				     m->name, e);
			free(e);
			return r;
		}
		explicit_bzero(s, strlen(s));
		free(s);
	}
	return 0;
}

/* 1 when k is a key of the suppression policy (it belongs in [policy]) */
static int
is_policy_key(const char *k)
{
	struct rb_policy *p = malloc(sizeof(*p));
	if (p == NULL)
		abort();
	char err[256];
	rb_policy_default(p);
	/* "none" is a valid value of every class key; other keys reject it
	 * with a message other than "unknown key" */
	int r = rb_policy_set(p, k, "none", "", 0, err, sizeof(err)) == 0 ||
		strstr(err, "unknown key") == NULL;
	free(p);
	return r;
}

static int
add_policy_kv(struct rb_config *c, const char *k, const char *v, int line)
{
	c->policy_kv = realloc(c->policy_kv,
			       (c->npolicy_kv + 1) * sizeof(*c->policy_kv));
	if (c->policy_kv == NULL)
		abort();
	struct rb_config_kv *kv = &c->policy_kv[c->npolicy_kv++];
	kv->key = xstrdup(k);
	kv->value = xstrdup(v);
	kv->line = line;
	return 0;
}

int
rb_config_policy(const struct rb_config *c, const char *cli_path,
		 struct rb_policy *p, char *err, size_t errlen)
{
	rb_policy_default(p);
	if (c && c->policy_file) {
		if (rb_policy_file(p, c->policy_file, true, err, errlen) != 0) {
			if (strncmp(err, "cannot read", 11) == 0) {
				char tmp[1024];
				snprintf(tmp, sizeof(tmp), "%s:%d: policy_file: %s",
					 c->path, c->policy_file_line, err);
				snprintf(err, errlen, "%s", tmp);
			}
			return -1;
		}
	} else if (rb_policy_file(p, RB_POLICY_DEFAULT_PATH, false, err,
				  errlen) != 0) {
		return -1;
	}
	if (c && c->npolicy_kv > 0) {
		if (rb_policy_layer(p, c->path) != 0) {
			snprintf(err, errlen, "too many policy layers");
			return -1;
		}
		for (size_t i = 0; i < c->npolicy_kv; i++)
			if (rb_policy_set(p, c->policy_kv[i].key,
					  c->policy_kv[i].value, c->path,
					  c->policy_kv[i].line, err,
					  errlen) != 0)
				return -1;
	}
	const char *env = getenv("REBOUND_POLICY");
	if (env && env[0] && rb_policy_file(p, env, true, err, errlen) != 0)
		return -1;
	if (cli_path && cli_path[0] &&
	    rb_policy_file(p, cli_path, true, err, errlen) != 0)
		return -1;
	return rb_policy_check(p, err, errlen);
}

/* The state of one configuration text being read. */
struct cfg_reader {
	struct rb_config *c;
	const char *name;		/* the file, for messages */
	int line;
	struct rb_mailbox_conf *cur;	/* the [mailbox NAME] being read */
	bool in_policy;			/* in the [policy] section */
	char **err_r;
};

/* A [mailbox NAME] header: the new mailbox becomes the current one. */
static int
read_mailbox_header(struct cfg_reader *r, char *sec)
{
	struct rb_config *c = r->c;
	if (strncmp(sec, "mailbox", 7) != 0 ||
	    (sec[7] != ' ' && sec[7] != '\t'))
		return fail(r->err_r, r->name, r->line,
			    "unknown section [%s] (expected "
			    "[mailbox NAME] or [policy])",
			    sec);
	char *mname = trim(sec + 7);
	if (*mname == '\0' || strpbrk(mname, " \t\"'"))
		return fail(r->err_r, r->name, r->line,
			    "bad mailbox name '%s'", mname);
	for (size_t i = 0; i < c->nmb; i++)
		if (!strcmp(c->mb[i].name, mname))
			return fail(r->err_r, r->name, r->line,
				    "mailbox %s defined twice "
				    "(first at line %d)",
				    mname, c->mb[i].line);
	c->mb = realloc(c->mb, (c->nmb + 1) * sizeof *c->mb);
	if (c->mb == NULL)
		abort();
	r->cur = &c->mb[c->nmb++];
	r->in_policy = false;
	mailbox_defaults(r->cur);
	r->cur->name = xstrdup(mname);
	r->cur->line = r->line;
	return 0;
}

/* A section header line "[...]". */
static int
read_section(struct cfg_reader *r, char *s)
{
	char *end = strchr(s, ']');
	if (end == NULL || end[1] != '\0')
		return fail(r->err_r, r->name, r->line,
			    "malformed section header");
	*end = '\0';
	char *sec = trim(s + 1);
	if (strcmp(sec, "policy") != 0)
		return read_mailbox_header(r, sec);
	if (r->c->policy_line)
		return fail(r->err_r, r->name, r->line,
			    "[policy] defined twice (first at line %d)",
			    r->c->policy_line);
	r->c->policy_line = r->line;
	r->in_policy = true;
	r->cur = NULL;
	return 0;
}

/* The value of "key = value" without a trailing comment (" # ...": quote
 * a value that must contain " #") and without its quotes. */
static char *
unquote_value(char *v)
{
	if (*v != '"') {
		for (char *h = v; (h = strchr(h, '#')) != NULL; h++)
			if (h > v && (h[-1] == ' ' || h[-1] == '\t')) {
				*h = '\0';
				v = trim(v);
				break;
			}
	}
	size_t vl = strlen(v);
	if (vl >= 2 && v[0] == '"' && v[vl - 1] == '"') {
		v[vl - 1] = '\0';
		v++;
	}
	return v;
}

static const struct key *
find_key(const char *k)
{
	const struct key *key = NULL;
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		if (!strcmp(keys[i].name, k))
			key = &keys[i];
	return key;
}

/* metrics_listen: HOST:PORT with a loopback host (what `run` can bind);
 * 0, or -1 when it is not. */
static int
check_listen(const char *v)
{
	const char *colon = strrchr(v, ':');
	if (colon == NULL || colon == v || colon[1] == '\0')
		return -1;
	char host[256];
	size_t hl = (size_t)(colon - v);
	if (hl >= sizeof host)
		return -1;
	memcpy(host, v, hl);
	host[hl] = '\0';
	char *end;
	errno = 0;
	unsigned long port = strtoul(colon + 1, &end, 10);
	if (errno || *end || port == 0 || port > 65535)
		return -1;
	return rb_host_is_loopback(host) ? 0 : -1;
}

/* A "key = value" line. */
static int
read_assignment(struct cfg_reader *r, char *s)
{
	char *eq = strchr(s, '=');
	if (eq == NULL)
		return fail(r->err_r, r->name, r->line,
			    "expected key = value");
	*eq = '\0';
	char *k = trim(s), *v = unquote_value(trim(eq + 1));
	const struct key *key = find_key(k);
	if (r->in_policy && (key == NULL || key->scope != S_GLOBAL)) {
		/* checked when the policy is put together, with this file
		 * and line */
		add_policy_kv(r->c, k, v, r->line);
		return 0;
	}
	if (key == NULL) {
		if (!strcmp(k, "password"))
			return fail(r->err_r, r->name, r->line,
				    "passwords are not accepted in the "
				    "file: use password_file or "
				    "password_env");
		if (is_policy_key(k))
			return fail(r->err_r, r->name, r->line,
				    "%s is a policy key: put it in the "
				    "[policy] section",
				    k);
		return fail(r->err_r, r->name, r->line, "unknown key '%s'", k);
	}
	if (key->scope == S_MAILBOX && r->cur == NULL)
		return fail(r->err_r, r->name, r->line,
			    "%s belongs in a [mailbox NAME] section", k);
	if (key->scope == S_GLOBAL && (r->cur != NULL || r->in_policy))
		return fail(r->err_r, r->name, r->line,
			    "%s is a global setting: put it before the "
			    "first section",
			    k);
	if (key->off == G(policy_file))
		r->c->policy_file_line = r->line;
	if (!strcmp(key->name, "metrics_listen") && check_listen(v) != 0)
		return fail(r->err_r, r->name, r->line,
			    "metrics_listen: expected a loopback HOST:PORT "
			    "(127.0.0.1:9465), not %s: the "
			    "metrics are served without authentication",
			    v);
	return set_key(key,
		       key->scope == S_GLOBAL ? (void *)r->c : (void *)r->cur,
		       v, r->name, r->line, r->err_r);
}

/* Read the lines of text (in buf, modified) into r->c. */
static int
read_lines(struct cfg_reader *r, char *buf)
{
	int rc = 0;
	/* strtok_r would skip empty lines and lose the count: split by hand */
	char *p = buf;
	while (p && *p && rc == 0) {
		char *nl = strchr(p, '\n');
		if (nl)
			*nl = '\0';
		r->line++;
		char *s = trim(p);
		p = nl ? nl + 1 : NULL;
		if (*s == '\0' || *s == '#' || *s == ';')
			continue;
		rc = *s == '[' ? read_section(r, s) : read_assignment(r, s);
	}
	return rc;
}

/* After the text: the mailboxes complete, $REBOUND_DB, the policy. */
static int
finish_config(struct rb_config *c, const char *name, unsigned flags,
	      char **err_r)
{
	for (size_t i = 0; i < c->nmb; i++)
		if (check_mailbox(&c->mb[i], name, flags, err_r) != 0)
			return -1;
	if (c->unsubscribe_address) {
		const char *a;
		size_t al;
		if (rb_addr_input(c->unsubscribe_address,
				  strlen(c->unsubscribe_address), &a,
				  &al) != RB_ADDRIN_OK ||
		    al != strlen(c->unsubscribe_address) ||
		    memchr(a, '+', al) != NULL)
			return fail(err_r, name, 0,
				    "unsubscribe_address: LOCAL@DOMAIN, "
				    "without '+' (the token is added as "
				    "+TOKEN)");
	}
	if (c->unsubscribe_secret_file && !(flags & RB_CONFIG_NO_SECRETS)) {
		char *e = NULL;
		c->unsubscribe_secret = rb_unsub_secret_read(
		    c->unsubscribe_secret_file, &c->unsubscribe_secret_len, &e);
		if (c->unsubscribe_secret == NULL) {
			int r = fail(err_r, name, 0, "unsubscribe_secret_file: %s",
				     e ? e : "cannot read");
			free(e);
			return r;
		}
	}
	const char *env = getenv("REBOUND_DB");
	if (env && *env) {
		free(c->db);
		c->db = xstrdup(env);
	}
	c->policy = malloc(sizeof(*c->policy));
	if (c->policy == NULL)
		abort();
	char perr[1024];
	if (rb_config_policy(c, NULL, c->policy, perr, sizeof(perr)) != 0) {
		*err_r = xstrdup(perr);
		return -1;
	}
	return 0;
}

static int
parse_text(const char *text, const char *name, struct rb_config *c,
	   unsigned flags, char **err_r)
{
	memset(c, 0, sizeof *c);
	c->path = xstrdup(name);
	c->log_level = xstrdup("info");
	c->lease_seconds = 30;
	c->parse_timeout = 10;
	c->max_attempts = 3;
	c->shutdown_grace = 30;
	*err_r = NULL;

	struct cfg_reader r = {.c = c, .name = name, .err_r = err_r};
	char *buf = xstrdup(text);
	int rc = read_lines(&r, buf);
	free(buf);
	if (rc == 0)
		rc = finish_config(c, name, flags, err_r);
	if (rc)
		rb_config_free(c);
	return rc;
}

int
rb_config_parse(const char *text, const char *name, struct rb_config *c,
		char **err_r)
{
	return parse_text(text, name, c, 0, err_r);
}

int
rb_config_load(const char *path, struct rb_config *c, char **err_r)
{
	return rb_config_load_flags(path, c, 0, err_r);
}

int
rb_config_load_flags(const char *path, struct rb_config *c, unsigned flags,
		     char **err_r)
{
	size_t len;
	char *text = rb_read_file(path, &len);
	if (text == NULL) {
		memset(c, 0, sizeof *c);
		return fail(err_r, path, 0, "cannot read: %s", strerror(errno));
	}
	if (strlen(text) != len) {
		free(text);
		memset(c, 0, sizeof *c);
		return fail(err_r, path, 0, "contains a NUL byte");
	}
	int r = parse_text(text, path, c, flags, err_r);
	free(text);
	return r;
}

void
rb_config_free(struct rb_config *c)
{
	for (size_t i = 0; i < c->nmb; i++) {
		struct rb_mailbox_conf *m = &c->mb[i];
		free(m->name);
		free(m->host);
		free(m->ca_file);
		free(m->user);
		free(m->password_file);
		free(m->password_env);
		free(m->xoauth2_command);
		free_list(m->folders);
		free(m->processed_folder);
		free(m->processed_flag);
		free(m->quarantine_folder);
		free(m->unknown_folder);
		free(m->tenant);
	}
	free(c->mb);
	free(c->path);
	free(c->db);
	free(c->log_level);
	free(c->metrics_listen);
	free(c->metrics_file);
	free(c->instance);
	free(c->policy_file);
	free(c->unsubscribe_secret_file);
	free(c->unsubscribe_address);
	if (c->unsubscribe_secret) {
		explicit_bzero(c->unsubscribe_secret, c->unsubscribe_secret_len);
		free(c->unsubscribe_secret);
	}
	for (size_t i = 0; i < c->npolicy_kv; i++) {
		free(c->policy_kv[i].key);
		free(c->policy_kv[i].value);
	}
	free(c->policy_kv);
	free(c->policy);
	memset(c, 0, sizeof *c);
}

static char *
env_name(const char *mailbox)
{
	char *s = NULL;
	if (asprintf(&s, "REBOUND_PASSWORD_%s", mailbox) < 0)
		abort();
	for (char *p = s + 17; *p; p++)
		*p = isalnum((unsigned char)*p) ? toupper((unsigned char)*p)
						 : '_';
	return s;
}

/* Output of a command, first line only (the token). */
static char *
run_command(const char *cmd, char **err_r)
{
	FILE *f = popen(cmd, "r");
	if (f == NULL) {
		*err_r = strdup("cannot run xoauth2_command");
		return NULL;
	}
	char buf[8192];
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	buf[n] = '\0';
	int st = pclose(f);
	if (st != 0 || n == 0) {
		explicit_bzero(buf, sizeof buf);
		*err_r = strdup("xoauth2_command failed or printed nothing");
		return NULL;
	}
	buf[strcspn(buf, "\r\n")] = '\0';
	char *s = xstrdup(buf);
	explicit_bzero(buf, sizeof buf);
	return s;
}

/* A secret file's bytes, refused (as ssh refuses a private key) when
 * every user may read it or anyone but its owner and group may write
 * it: a password readable by all is no longer a secret.  Group read is
 * allowed (root:rebound 0640).  Mode is checked on the open file, so a
 * rename between check and read cannot swap it. */
char *
rb_config_secret_file(const char *path, const char *what, size_t *len,
		      char **err_r)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		if (asprintf(err_r, "cannot read %s %s: %s", what, path,
			     strerror(errno)) < 0)
			*err_r = NULL;
		return NULL;
	}
	struct stat st;
	if (fstat(fileno(f), &st) != 0 ||
	    (st.st_mode & (S_IROTH | S_IWOTH | S_IWGRP)) != 0) {
		if (asprintf(err_r,
			     "%s %s may be read or written by other "
			     "users (mode %04o): chmod 600 (or 640 for a group) "
			     "it",
			     what, path, (unsigned)(st.st_mode & 07777)) < 0)
			*err_r = NULL;
		fclose(f);
		return NULL;
	}
	char *s = rb_read_stream(f, len);
	int e = errno;
	fclose(f);
	if (s == NULL && asprintf(err_r, "cannot read %s %s: %s", what,
				  path, strerror(e)) < 0)
		*err_r = NULL;
	return s;
}

char *
rb_config_secret(const struct rb_mailbox_conf *m, char **err_r)
{
	*err_r = NULL;
	if (m->xoauth2_command)
		return run_command(m->xoauth2_command, err_r);
	char *en = env_name(m->name);
	const char *v = getenv(en);
	free(en);
	if (v == NULL && m->password_env) {
		v = getenv(m->password_env);
		if (v == NULL) {
			if (asprintf(err_r,
				     "password_env: %s is not set in the "
				     "environment",
				     m->password_env) < 0)
				*err_r = NULL;
			return NULL;
		}
	}
	if (v)
		return xstrdup(v);
	if (m->password_file == NULL) {
		*err_r = strdup("no password: set password_file, password_env "
				"or xoauth2_command");
		return NULL;
	}
	size_t len;
	char *s = rb_config_secret_file(m->password_file, "password_file", &len, err_r);
	if (s == NULL)
		return NULL;
	s[strcspn(s, "\r\n")] = '\0';
	if (*s == '\0') {
		free(s);
		if (asprintf(err_r, "password_file %s is empty",
			     m->password_file) < 0)
			*err_r = NULL;
		return NULL;
	}
	return s;
}

void
rb_config_print(const struct rb_config *c, const char *db, FILE *f)
{
	fprintf(f, "# effective settings from %s (secrets masked)\n", c->path);
	fprintf(f, "db = %s%s\n", db,
		getenv("REBOUND_DB") && *getenv("REBOUND_DB")
		    ? "   # from REBOUND_DB"
		    : "");
	fprintf(f, "log_level = %s\nlog_format = %s\n", c->log_level,
		c->log_json ? "json" : "text");
	fprintf(f, "metrics_listen = %s\nmetrics_file = %s\n",
		c->metrics_listen ? c->metrics_listen : "",
		c->metrics_file ? c->metrics_file : "");
	fprintf(f, "lease_seconds = %u\nparse_timeout = %u\nmax_attempts = %u\n",
		c->lease_seconds, c->parse_timeout, c->max_attempts);
	fprintf(f, "shutdown_grace = %u\n", c->shutdown_grace);
	fprintf(f, "instance = %s\n", c->instance ? c->instance : "(host:pid)");
	if (c->policy_file)
		fprintf(f, "policy_file = %s\n", c->policy_file);
	else
		fprintf(f, "policy_file = %s   # default%s\n",
			RB_POLICY_DEFAULT_PATH,
			access(RB_POLICY_DEFAULT_PATH, F_OK) == 0
			    ? ""
			    : ", not present");
	if (c->unsubscribe_secret_file)
		fprintf(f, "unsubscribe_secret_file = %s\n",
			c->unsubscribe_secret_file);
	if (c->unsubscribe_address)
		fprintf(f, "unsubscribe_address = %s\n",
			c->unsubscribe_address);
	if (c->policy) {
		fprintf(f, "\n[policy]\n# where the effective policy differs "
			   "from the built-in defaults\n# (all of it: `rebound "
			   "policy show`)\n");
		rb_policy_print(c->policy, f, true);
	}
	for (size_t i = 0; i < c->nmb; i++) {
		const struct rb_mailbox_conf *m = &c->mb[i];
		fprintf(f, "\n[mailbox %s]\n", m->name);
		fprintf(f, "host = %s\nport = %d\ntls = %s\n", m->host, m->port,
			tls_names[m->tls]);
		if (m->tls == RB_TLS_NONE)
			fprintf(f, "allow_plaintext = yes\n");
		fprintf(f, "ca_file = %s\n",
			m->ca_file ? m->ca_file : "(system trust store)");
		fprintf(f, "user = %s\n", m->user);
		char *en = env_name(m->name);
		if (m->xoauth2_command)
			fprintf(f, "xoauth2_command = %s\n", m->xoauth2_command);
		else if (getenv(en))
			fprintf(f, "password = **** (from %s)\n", en);
		else if (m->password_env)
			fprintf(f, "password = **** (from $%s)\n",
				m->password_env);
		else
			fprintf(f, "password = **** (from file %s)\n",
				m->password_file);
		free(en);
		fprintf(f, "folders = ");
		for (size_t j = 0; j < m->nfolders; j++)
			fprintf(f, "%s%s", j ? ", " : "", m->folders[j]);
		fprintf(f, "\non_processed = %s\n", done_names[m->on_processed]);
		if (m->on_processed == RB_DONE_MOVE)
			fprintf(f, "processed_folder = %s\n",
				m->processed_folder);
		if (m->on_processed == RB_DONE_FLAG)
			fprintf(f, "processed_flag = %s\n", m->processed_flag);
		fprintf(f, "quarantine_folder = %s\n", m->quarantine_folder);
		fprintf(f, "unknown_action = %s\n",
			unknown_names[m->unknown_action]);
		if (m->unknown_action == RB_UNKNOWN_MOVE)
			fprintf(f, "unknown_folder = %s\n", m->unknown_folder);
		if (m->tenant)
			fprintf(f, "tenant = %s\n", m->tenant);
		if (m->unsubscribe)
			fprintf(f, "unsubscribe = yes\n");
		fprintf(f,
			"batch_size = %u\npoll_interval = %u\nmax_size = %llu\n"
			"idle = %s\ntimeout = %u\n",
			m->batch_size, m->poll_interval, m->max_size,
			m->idle ? "yes" : "no", m->timeout);
	}
}

const char *
rb_config_default_path(void)
{
	const char *e = getenv("REBOUND_CONFIG");
	return e && *e ? e : RB_CONFIG_DEFAULT_PATH;
}

int
rb_config_key(size_t i, struct rb_config_key *k)
{
	static const char *const type_names[] = {
	    [K_STR] = "text",  [K_UINT] = "number", [K_BOOL] = "yes|no",
	    [K_ENUM] = "choice", [K_SIZE] = "size",  [K_LIST] = "list",
	};
	if (i >= sizeof keys / sizeof keys[0])
		return -1;
	k->name = keys[i].name;
	k->mailbox = keys[i].scope == S_MAILBOX;
	k->type = type_names[keys[i].type];
	k->values = keys[i].names;
	k->min = keys[i].min;
	k->max = keys[i].max;
	return 0;
}
