/*
 * serve.c: the HTTP/JSON lookup service (see serve.h).
 *
 * Each pool thread keeps one database connection (opened on first use,
 * dropped after an error and opened again, at most once a second per
 * thread, on a later request).  Requests are answered from the database
 * every time: a lookup is one indexed query, a batch one query over the
 * sorted keys (rb_store_match), so an answer is never older than the
 * last commit.
 */
#include "serve.h"
#include "core/scope.h"
#include "core/policy.h"
#include "core/unsubscribe.h"

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/addrin.h"
#include "core/addrkey.h"
#include "lib/file.h"
#include "lib/log.h"
#include "serve/jsonout.h"
#include "serve/tokens.h"
#include "store/senders.h"
#include "store/store.h"

/* ---- metrics ---- */

enum ep { EP_CHECK, EP_BATCH, EP_CHANGES, EP_SUPPRESS, EP_UNSUPPRESS,
	  EP_HEALTH, EP_READY, EP_METRICS, EP_UNSUBSCRIBE, EP_OTHER, EP_N };
static const char *const ep_name[EP_N] = {
    "check", "check_batch", "changes", "suppress", "unsuppress",
    "health", "ready", "metrics", "unsubscribe", "other"};
static const int codes[] = {200, 400, 401, 403, 404, 405, 410, 413, 422, 500, 503};
#define NCODES (sizeof(codes) / sizeof(codes[0]))
static const double buckets[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
				 0.05,	 0.1,	0.25,	0.5,   1.0};
#define NBUCKETS (sizeof(buckets) / sizeof(buckets[0]))

static struct {
	atomic_ulong requests[EP_N][NCODES];
	atomic_ulong hist[EP_N][NBUCKETS + 1];
	atomic_ullong micros[EP_N];	/* duration sum, microseconds */
	atomic_ulong addresses;		/* looked up, single and batch */
	atomic_ulong suppressed;	/* answered "suppressed" */
	atomic_ulong invalid;		/* not an address */
	atomic_ulong db_errors;
	atomic_ulong auth_failures;
} m;

/* ---- state ---- */

static const struct rb_serve_opts *opts;
static pthread_rwlock_t tok_lock = PTHREAD_RWLOCK_INITIALIZER;
static struct rb_tokens tokens;

/* every connection the threads opened, closed at shutdown */
static pthread_mutex_t conns_lock = PTHREAD_MUTEX_INITIALIZER;
static struct rb_store **conns;
static size_t nconns, capconns;

struct thread_db {
	struct rb_store *s;
	size_t slot;
	time_t retry_at;
};
static _Thread_local struct thread_db tdb = {NULL, (size_t)-1, 0};

static double
now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
conn_set(struct rb_store *s)
{
	pthread_mutex_lock(&conns_lock);
	if (tdb.slot == (size_t)-1) {
		if (nconns == capconns) {
			capconns = capconns ? capconns * 2 : 16;
			struct rb_store **v =
			    realloc(conns, capconns * sizeof(*v));
			if (v == NULL)
				abort();
			conns = v;
		}
		tdb.slot = nconns++;
	}
	conns[tdb.slot] = s;
	pthread_mutex_unlock(&conns_lock);
	tdb.s = s;
}

/* this thread's connection; NULL when the database cannot be reached */
static struct rb_store *
db(void)
{
	if (tdb.s != NULL)
		return tdb.s;
	time_t now = time(NULL);
	if (now < tdb.retry_at)
		return NULL;
	char err[512];
	struct rb_store *s = rb_store_open(opts->db, err, sizeof(err));
	if (s == NULL) {
		tdb.retry_at = now + 1;
		atomic_fetch_add(&m.db_errors, 1);
		rb_warn("serve: database: %s", err);
		return NULL;
	}
	conn_set(s);
	return s;
}

/* after a failed statement: keep the connection when it still answers */
static void
db_failed(void)
{
	atomic_fetch_add(&m.db_errors, 1);
	if (tdb.s != NULL && !rb_store_ping(tdb.s)) {
		rb_warn("serve: database: %s", rb_store_error(tdb.s));
		rb_store_close(tdb.s);
		conn_set(NULL);
		tdb.retry_at = time(NULL) + 1;
	}
}

/* ---- requests ---- */

struct req {
	double start;
	enum ep ep;
	char *body;
	size_t len, cap;
	bool too_large;
};

static enum MHD_Result
send_text(struct MHD_Connection *c, struct req *q, unsigned status,
	  char *text, const char *type)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(
	    strlen(text), text, MHD_RESPMEM_MUST_FREE);
	if (r == NULL) {
		free(text);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", type);
	MHD_add_response_header(r, "Cache-Control", "no-store");
	if (status == 401)
		MHD_add_response_header(r, "WWW-Authenticate",
					"Bearer realm=\"rebound\"");
	enum MHD_Result ok = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	size_t ci = NCODES;
	for (size_t i = 0; i < NCODES; i++)
		if ((unsigned)codes[i] == status)
			ci = i;
	if (ci < NCODES)
		atomic_fetch_add(&m.requests[q->ep][ci], 1);
	double d = now_s() - q->start;
	size_t b = 0;
	while (b < NBUCKETS && d > buckets[b])
		b++;
	atomic_fetch_add(&m.hist[q->ep][b], 1);
	atomic_fetch_add(&m.micros[q->ep], (unsigned long long)(d * 1e6));
	return ok;
}

static enum MHD_Result
send_json(struct MHD_Connection *c, struct req *q, unsigned status,
	  json_t *o)
{
	char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (s == NULL)
		return MHD_NO;
	size_t l = strlen(s);
	char *t = realloc(s, l + 2);
	if (t == NULL) {
		free(s);
		return MHD_NO;
	}
	t[l] = '\n';
	t[l + 1] = '\0';
	return send_text(c, q, status, t, "application/json");
}

static enum MHD_Result
send_error(struct MHD_Connection *c, struct req *q, unsigned status,
	   const char *msg)
{
	json_t *o = json_object();
	json_object_set_new(o, "error", json_string(msg));
	return send_json(c, q, status, o);
}

/* the token of the request; NULL after answering 401 */
static bool
authorise(struct MHD_Connection *c, char *name, size_t n,
	  enum rb_scope *scope)
{
	const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						    "Authorization");
	*scope = RB_SCOPE_NONE;
	if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0)
		return false;
	h += 7;
	while (*h == ' ')
		h++;
	pthread_rwlock_rdlock(&tok_lock);
	const struct rb_token *t = rb_tokens_find(&tokens, h, strlen(h));
	if (t != NULL) {
		snprintf(name, n, "%s", t->name);
		*scope = t->scope;
	}
	pthread_rwlock_unlock(&tok_lock);
	return t != NULL;
}

/* the answer for one address (not yet looked up: status by the caller) */
static json_t *
invalid_json(const char *given, enum rb_addrin_err e)
{
	json_t *o = json_object();
	char msg[128];
	snprintf(msg, sizeof(msg), "not an address: %s", rb_addrin_error(e));
	json_object_set_new(o, "address", rb_json_str(given));
	json_object_set_new(o, "status", json_string("invalid"));
	json_object_set_new(o, "suppressed", json_true());
	json_object_set_new(o, "error", json_string(msg));
	atomic_fetch_add(&m.invalid, 1);
	return o;
}

/*
 * The scope of a request (docs/tenants.md): tenant= and stream= in the
 * query string, or "tenant" and "stream" in a JSON body; none: every
 * scope.  Malformed: false after answering 400 (never "sendable").
 */
static bool
req_scope(struct MHD_Connection *c, struct req *q, json_t *body,
	  struct rb_scope_query *sq, enum MHD_Result *res)
{
	sq->tenant = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND,
						 "tenant");
	sq->stream = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND,
						 "stream");
	json_t *t = body ? json_object_get(body, "tenant") : NULL;
	json_t *st = body ? json_object_get(body, "stream") : NULL;
	char err[200];
	if ((t && !json_is_string(t)) || (st && !json_is_string(st))) {
		*res = send_error(c, q, 400,
				  "\"tenant\" and \"stream\": strings");
		return false;
	}
	if (t)
		sq->tenant = json_string_value(t);
	if (st)
		sq->stream = json_string_value(st);
	if (rb_scope_query_check(sq, err, sizeof(err)) != 0) {
		*res = send_error(c, q, 400, err);
		return false;
	}
	return true;
}

static enum MHD_Result
do_check(struct MHD_Connection *c, struct req *q)
{
	const char *given = MHD_lookup_connection_value(
	    c, MHD_GET_ARGUMENT_KIND, "address");
	if (given == NULL)
		return send_error(c, q, 400, "address= is required");
	struct rb_scope_query sq;
	enum MHD_Result sres;
	if (!req_scope(c, q, NULL, &sq, &sres))
		return sres;
	atomic_fetch_add(&m.addresses, 1);
	const char *a;
	size_t al;
	enum rb_addrin_err e = rb_addr_input(given, strlen(given), &a, &al);
	if (e != RB_ADDRIN_OK)
		return send_json(c, q, 422, invalid_json(given, e));
	char key[RB_ADDRKEY_MAX + 1];
	if (rb_addr_key(a, al, key, sizeof(key), NULL) == 0)
		return send_json(c, q, 422, invalid_json(given,
							 RB_ADDRIN_EMPTY));
	struct rb_store *s = db();
	if (s == NULL)
		return send_error(c, q, 503, "database unavailable");
	struct rb_active p;
	if (rb_store_set_scope(s, sq.tenant, sq.stream) != 0 ||
	    rb_store_active(s, key, &p) != 0) {
		db_failed();
		return send_error(c, q, 503, "database unavailable");
	}
	json_t *o = json_object();
	json_object_set_new(o, "address", rb_json_str(given));
	json_object_set_new(o, "addr_key", rb_json_str(key));
	json_object_set_new(o, "status", json_string(p.active ? "suppressed"
							       : "sendable"));
	json_object_set_new(o, "suppressed", json_boolean(p.active));
	if (p.active) {
		atomic_fetch_add(&m.suppressed, 1);
		json_object_set_new(o, "class", rb_json_str(p.class));
		json_object_set_new(o, "reason", rb_json_str(p.reason));
		json_object_set_new(o, "since", rb_json_str(p.since));
		json_object_set_new(o, "expires_at",
				    p.expires_at[0] ? rb_json_str(p.expires_at)
						    : json_null());
		json_object_set_new(o, "scope",
				    rb_json_str(p.scope[0] ? p.scope
							   : "global"));
	}
	return send_json(c, q, 200, o);
}

/* the JSON body; NULL after answering 400 */
static json_t *
body_json(struct MHD_Connection *c, struct req *q, enum MHD_Result *res)
{
	json_error_t je;
	json_t *b = q->body ? json_loadb(q->body, q->len, JSON_REJECT_DUPLICATES,
					 &je)
			    : NULL;
	if (b == NULL || !json_is_object(b)) {
		json_decref(b);
		*res = send_error(c, q, 400, "a JSON object is expected");
		return NULL;
	}
	return b;
}

static enum MHD_Result
do_batch(struct MHD_Connection *c, struct req *q)
{
	enum MHD_Result res;
	json_t *b = body_json(c, q, &res);
	if (b == NULL)
		return res;
	json_t *arr = json_object_get(b, "addresses");
	if (!json_is_array(arr)) {
		json_decref(b);
		return send_error(c, q, 400, "\"addresses\": an array");
	}
	struct rb_scope_query sq;
	if (!req_scope(c, q, b, &sq, &res)) {
		json_decref(b);
		return res;
	}
	size_t n = json_array_size(arr);
	if (n > RB_SERVE_MAX_BATCH) {
		json_decref(b);
		return send_error(c, q, 413, "at most 10000 addresses a "
					     "request");
	}
	char **keys = calloc(n ? n : 1, sizeof(char *));
	bool *hit = calloc(n ? n : 1, sizeof(bool));
	enum rb_addrin_err *err = calloc(n ? n : 1, sizeof(*err));
	char *kb = malloc((n ? n : 1) * (RB_ADDRKEY_MAX + 1));
	static char empty[] = "";
	if (!keys || !hit || !err || !kb)
		abort();
	size_t valid = 0;
	for (size_t i = 0; i < n; i++) {
		json_t *v = json_array_get(arr, i);
		keys[i] = empty;
		err[i] = RB_ADDRIN_EMPTY;
		if (!json_is_string(v))
			continue;
		const char *a;
		size_t al;
		err[i] = rb_addr_input(json_string_value(v),
				       json_string_length(v), &a, &al);
		if (err[i] != RB_ADDRIN_OK)
			continue;
		char *k = kb + i * (RB_ADDRKEY_MAX + 1);
		if (rb_addr_key(a, al, k, RB_ADDRKEY_MAX + 1, NULL) == 0) {
			err[i] = RB_ADDRIN_EMPTY;
			continue;
		}
		keys[i] = k;
		valid++;
	}
	atomic_fetch_add(&m.addresses, n);
	struct rb_store *s = valid ? db() : NULL;
	if (valid && s == NULL) {
		res = send_error(c, q, 503, "database unavailable");
		goto out;
	}
	if (valid && (rb_store_set_scope(s, sq.tenant, sq.stream) != 0 ||
		      rb_store_match(s, (const char *const *)keys, n, hit) !=
			  0)) {
		db_failed();
		res = send_error(c, q, 503, "database unavailable");
		goto out;
	}
	json_t *o = json_object(), *rs = json_array();
	size_t ns = 0, ni = 0;
	for (size_t i = 0; i < n; i++) {
		json_t *v = json_array_get(arr, i);
		if (err[i] != RB_ADDRIN_OK) {
			json_t *r = invalid_json(
			    json_is_string(v) ? json_string_value(v) : NULL,
			    err[i]);
			json_array_append_new(rs, r);
			ni++;
			continue;
		}
		json_t *r = json_object();
		json_object_set(r, "address", v);
		json_object_set_new(r, "addr_key", json_string(keys[i]));
		json_object_set_new(r, "status", json_string(hit[i]
								 ? "suppressed"
								 : "sendable"));
		json_object_set_new(r, "suppressed", json_boolean(hit[i]));
		json_array_append_new(rs, r);
		ns += hit[i];
	}
	atomic_fetch_add(&m.suppressed, ns);
	json_object_set_new(o, "count", json_integer((json_int_t)n));
	json_object_set_new(o, "suppressed", json_integer((json_int_t)ns));
	json_object_set_new(o, "invalid", json_integer((json_int_t)ni));
	json_object_set_new(o, "results", rs);
	res = send_json(c, q, 200, o);
out:
	free(keys);
	free(hit);
	free(err);
	free(kb);
	json_decref(b);
	return res;
}

static int
change_json(void *ctx, const struct rb_change *ch)
{
	json_array_append_new(ctx, rb_change_json(ch));
	return 0;
}

static bool
number_arg(struct MHD_Connection *c, const char *name, long long def,
	   long long lo, long long hi, long long *out)
{
	const char *v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND,
						    name);
	*out = def;
	if (v == NULL)
		return true;
	char *end;
	errno = 0;
	long long x = strtoll(v, &end, 10);
	if (errno || end == v || *end || x < lo || x > hi)
		return false;
	*out = x;
	return true;
}

static enum MHD_Result
do_changes(struct MHD_Connection *c, struct req *q)
{
	long long after, limit;
	if (!number_arg(c, "after", 0, 0, 9223372036854775807LL, &after) ||
	    !number_arg(c, "limit", 1000, 1, 10000, &limit))
		return send_error(c, q, 400, "after: an id (>= 0); limit: 1 "
					     "to 10000");
	struct rb_scope_query sq;
	enum MHD_Result sres;
	if (!req_scope(c, q, NULL, &sq, &sres))
		return sres;
	struct rb_store *s = db();
	if (s == NULL)
		return send_error(c, q, 503, "database unavailable");
	json_t *arr = json_array();
	long long last;
	if (rb_store_set_scope(s, sq.tenant, sq.stream) != 0 ||
	    rb_store_changes(s, after, (int)limit, change_json, arr, &last) !=
		0) {
		json_decref(arr);
		db_failed();
		return send_error(c, q, 503, "database unavailable");
	}
	json_t *o = json_object();
	json_object_set_new(o, "changes", arr);
	json_object_set_new(o, "next", json_integer(last));
	return send_json(c, q, 200, o);
}

static enum MHD_Result
do_manual(struct MHD_Connection *c, struct req *q, bool add,
	  const char *actor)
{
	enum MHD_Result res;
	json_t *b = body_json(c, q, &res);
	if (b == NULL)
		return res;
	const char *given = json_string_value(json_object_get(b, "address"));
	const char *reason = json_string_value(json_object_get(b, "reason"));
	json_t *u = json_object_get(b, "until");
	const char *until = json_string_value(u);
	if (given == NULL || reason == NULL || reason[0] == '\0' ||
	    (u != NULL && !json_is_null(u) && until == NULL) ||
	    (!add && u != NULL)) {
		json_decref(b);
		return send_error(c, q, 400,
				  add ? "\"address\" and \"reason\" are "
					"required; \"until\": an ISO 8601 time"
				      : "\"address\" and \"reason\" are "
					"required");
	}
	struct rb_scope_query sq;
	if (!req_scope(c, q, b, &sq, &res)) {
		json_decref(b);
		return res;
	}
	const char *a;
	size_t al;
	enum rb_addrin_err e = rb_addr_input(given, strlen(given), &a, &al);
	if (e != RB_ADDRIN_OK) {
		res = send_json(c, q, 422, invalid_json(given, e));
		json_decref(b);
		return res;
	}
	char addr[RB_ADDRIN_MAX + 1];
	memcpy(addr, a, al);
	addr[al] = '\0';
	struct rb_store *s = db();
	if (s == NULL) {
		json_decref(b);
		return send_error(c, q, 503, "database unavailable");
	}
	bool changed;
	int r = rb_store_set_scope(s, sq.tenant, sq.stream);
	if (r == 0)
		r = add ? rb_store_suppress(s, addr, reason, actor, until,
					    &changed)
			: rb_store_unsuppress(s, addr, reason, actor, &changed);
	if (r != 0) {
		char msg[600];
		snprintf(msg, sizeof(msg), "%s", rb_store_error(s));
		bool bad_time = strstr(msg, "bad expiry time") != NULL;
		if (!bad_time)
			db_failed();
		json_decref(b);
		return send_error(c, q, bad_time ? 400 : 503,
				  bad_time ? "\"until\": an ISO 8601 time"
					   : "database unavailable");
	}
	rb_info("serve: %s %s by %s: %s", add ? "suppress" : "unsuppress", addr,
		actor, changed ? "done" : "nothing to do");
	json_t *o = json_object();
	json_object_set_new(o, "address", rb_json_str(given));
	json_object_set_new(o, "changed", json_boolean(changed));
	json_object_set_new(o, "suppressed", json_boolean(add));
	json_object_set_new(o, "actor", rb_json_str(actor));
	if (sq.tenant)
		json_object_set_new(o, "tenant", rb_json_str(sq.tenant));
	if (sq.stream)
		json_object_set_new(o, "stream", rb_json_str(sq.stream));
	json_decref(b);
	return send_json(c, q, 200, o);
}

/*
 * RFC 8058 one-click: POST with the body List-Unsubscribe=One-Click at
 * /v1/unsubscribe/TOKEN suppresses the token's address in its tenant
 * (stream), as a manual suppression by "one-click" with the reason
 * "unsubscribe"; a repeated valid POST changes nothing.  GET changes
 * nothing (mail scanners follow links): it says how to confirm.
 * Forged, altered, expired or malformed tokens: 403 / 410 / 400.
 */
static enum MHD_Result
do_unsubscribe(struct MHD_Connection *c, struct req *q, const char *token,
	       const char *method)
{
	if (opts->unsub_secret == NULL)
		return send_error(c, q, 404, "one-click unsubscribes are not "
					     "configured (--unsubscribe-secret-file)");
	struct rb_unsub u;
	enum rb_unsub_check k = rb_unsub_check(
	    opts->unsub_secret, opts->unsub_secret_len, token, rb_now(), &u);
	if (k != RB_UNSUB_OK) {
		rb_warn("serve: one-click unsubscribe refused: %s",
			rb_unsub_check_name(k));
		return send_error(c, q,
				  k == RB_UNSUB_FORGED	  ? 403
				  : k == RB_UNSUB_EXPIRED ? 410
							  : 400,
				  rb_unsub_check_name(k));
	}
	if (strcmp(method, "POST") != 0) {
		json_t *o = json_object();
		json_object_set_new(o, "address", rb_json_str(u.address));
		json_object_set_new(o, "confirm",
				    json_string("POST List-Unsubscribe=One-Click"));
		return send_json(c, q, 200, o);
	}
	/* the body: List-Unsubscribe=One-Click among form fields */
	bool one_click = false;
	if (q->body) {
		const char *b = q->body, *end = q->body + q->len;
		while (b < end) {
			const char *amp = memchr(b, '&', (size_t)(end - b));
			size_t n = (size_t)((amp ? amp : end) - b);
			while (n > 0 && (b[n - 1] == '\r' || b[n - 1] == '\n'))
				n--;
			if (n == 26 && !memcmp(b, "List-Unsubscribe=One-Click", 26))
				one_click = true;
			b += n + 1;
			if (amp == NULL)
				break;
		}
	}
	if (!one_click)
		return send_error(c, q, 400, "the body must hold "
					     "List-Unsubscribe=One-Click");
	struct rb_store *s = db();
	if (s == NULL)
		return send_error(c, q, 503, "database unavailable");
	bool changed = false;
	if (rb_store_set_scope(s, u.tenant, u.stream[0] ? u.stream : NULL) !=
		0 ||
	    rb_store_suppress(s, u.address, "unsubscribe", "one-click", NULL,
			      &changed) != 0) {
		db_failed();
		return send_error(c, q, 503, "database unavailable");
	}
	rb_info("serve: one-click unsubscribe for tenant %s%s%s: %s", u.tenant,
		u.stream[0] ? " stream " : "", u.stream,
		changed ? "done" : "already");
	json_t *o = json_object();
	json_object_set_new(o, "unsubscribed", json_true());
	json_object_set_new(o, "changed", json_boolean(changed));
	json_object_set_new(o, "tenant", rb_json_str(u.tenant));
	if (u.stream[0])
		json_object_set_new(o, "stream", rb_json_str(u.stream));
	return send_json(c, q, 200, o);
}

static enum MHD_Result
do_metrics(struct MHD_Connection *c, struct req *q)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (f == NULL)
		return MHD_NO;
	fputs("# HELP rebound_http_requests_total HTTP requests answered.\n"
	      "# TYPE rebound_http_requests_total counter\n", f);
	for (int e = 0; e < EP_N; e++)
		for (size_t i = 0; i < NCODES; i++) {
			unsigned long v = atomic_load(&m.requests[e][i]);
			if (v)
				fprintf(f, "rebound_http_requests_total{endpoint"
					   "=\"%s\",code=\"%d\"} %lu\n",
					ep_name[e], codes[i], v);
		}
	fputs("# HELP rebound_http_request_duration_seconds Time to "
	      "answer.\n# TYPE rebound_http_request_duration_seconds "
	      "histogram\n", f);
	for (int e = 0; e < EP_N; e++) {
		unsigned long cum = 0;
		for (size_t b = 0; b <= NBUCKETS; b++) {
			cum += atomic_load(&m.hist[e][b]);
			if (b < NBUCKETS)
				fprintf(f, "rebound_http_request_duration_"
					   "seconds_bucket{endpoint=\"%s\","
					   "le=\"%g\"} %lu\n",
					ep_name[e], buckets[b], cum);
			else
				fprintf(f, "rebound_http_request_duration_"
					   "seconds_bucket{endpoint=\"%s\","
					   "le=\"+Inf\"} %lu\n",
					ep_name[e], cum);
		}
		fprintf(f, "rebound_http_request_duration_seconds_sum{endpoint"
			   "=\"%s\"} %.6f\n",
			ep_name[e], atomic_load(&m.micros[e]) / 1e6);
		fprintf(f, "rebound_http_request_duration_seconds_count{"
			   "endpoint=\"%s\"} %lu\n",
			ep_name[e], cum);
	}
	fprintf(f, "# HELP rebound_addresses_total Addresses looked up.\n"
		   "# TYPE rebound_addresses_total counter\n"
		   "rebound_addresses_total %lu\n"
		   "# HELP rebound_suppressed_total Answers \"suppressed\".\n"
		   "# TYPE rebound_suppressed_total counter\n"
		   "rebound_suppressed_total %lu\n"
		   "# HELP rebound_invalid_total Inputs that were not an "
		   "address.\n# TYPE rebound_invalid_total counter\n"
		   "rebound_invalid_total %lu\n"
		   "# HELP rebound_db_errors_total Database errors and failed "
		   "connections.\n# TYPE rebound_db_errors_total counter\n"
		   "rebound_db_errors_total %lu\n"
		   "# HELP rebound_auth_failures_total Requests without a "
		   "valid token.\n# TYPE rebound_auth_failures_total counter\n"
		   "rebound_auth_failures_total %lu\n",
		atomic_load(&m.addresses), atomic_load(&m.suppressed),
		atomic_load(&m.invalid), atomic_load(&m.db_errors),
		atomic_load(&m.auth_failures));
	fclose(f);
	return send_text(c, q, 200, buf, "text/plain; version=0.0.4");
}

static enum ep
route(const char *url, const char *method, bool *method_ok)
{
	bool get = !strcmp(method, "GET") || !strcmp(method, "HEAD");
	bool post = !strcmp(method, "POST");
	*method_ok = true;
	if (!strcmp(url, "/v1/check")) {
		*method_ok = get || post;
		return post ? EP_BATCH : EP_CHECK;
	}
	if (!strncmp(url, "/v1/unsubscribe/", 16)) {
		*method_ok = get || post;
		return EP_UNSUBSCRIBE;
	}
	static const struct {
		const char *url;
		enum ep ep;
		bool post;
	} t[] = {{"/v1/changes", EP_CHANGES, false},
		 {"/v1/suppress", EP_SUPPRESS, true},
		 {"/v1/unsuppress", EP_UNSUPPRESS, true},
		 {"/v1/health", EP_HEALTH, false},
		 {"/v1/ready", EP_READY, false},
		 {"/metrics", EP_METRICS, false}};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (!strcmp(url, t[i].url)) {
			*method_ok = t[i].post ? post : get;
			return t[i].ep;
		}
	return EP_OTHER;
}

static enum MHD_Result
handler(void *cls, struct MHD_Connection *c, const char *url,
	const char *method, const char *version, const char *upload,
	size_t *upload_size, void **con_cls)
{
	struct req *q = *con_cls;
	if (q == NULL) {
		q = calloc(1, sizeof(*q));
		if (q == NULL)
			return MHD_NO;
		q->start = now_s();
		*con_cls = q;
		return MHD_YES;
	}
	if (*upload_size > 0) {
		/* the body, up to the limit; the rest is read and dropped */
		if (!q->too_large && q->len + *upload_size > opts->max_body) {
			q->too_large = true;
			free(q->body);
			q->body = NULL;
		}
		if (!q->too_large) {
			if (q->len + *upload_size + 1 > q->cap) {
				size_t nc = (q->len + *upload_size + 1) * 2;
				if (nc > opts->max_body + 1)
					nc = opts->max_body + 1;
				char *nb = realloc(q->body, nc);
				if (nb == NULL)
					return MHD_NO;
				q->body = nb;
				q->cap = nc;
			}
			memcpy(q->body + q->len, upload, *upload_size);
			q->len += *upload_size;
		}
		*upload_size = 0;
		return MHD_YES;
	}
	bool method_ok;
	q->ep = route(url, method, &method_ok);
	if (q->ep == EP_OTHER)
		return send_error(c, q, 404, "no such endpoint");
	if (!method_ok)
		return send_error(c, q, 405, "method not allowed");
	if (q->too_large)
		return send_error(c, q, 413, "request body too large");
	switch (q->ep) {
	case EP_HEALTH: {
		json_t *o = json_object();
		json_object_set_new(o, "status", json_string("ok"));
		return send_json(c, q, 200, o);
	}
	case EP_READY: {
		struct rb_store *s = db();
		bool up = s != NULL && rb_store_ping(s);
		if (s != NULL && !up)
			db_failed();
		json_t *o = json_object();
		json_object_set_new(o, "status", json_string(up ? "ready"
								: "database "
								  "unavailable"));
		return send_json(c, q, up ? 200 : 503, o);
	}
	case EP_METRICS:
		return do_metrics(c, q);
	case EP_UNSUBSCRIBE:
		/* the recipient's mail program: no bearer token, the signed
		 * token in the URL is the authority */
		return do_unsubscribe(c, q, url + 16, method);
	default:
		break;
	}
	char name[65];
	enum rb_scope scope;
	if (!authorise(c, name, sizeof(name), &scope)) {
		atomic_fetch_add(&m.auth_failures, 1);
		return send_error(c, q, 401, "a valid bearer token is required");
	}
	switch (q->ep) {
	case EP_CHECK:
		return do_check(c, q);
	case EP_BATCH:
		return do_batch(c, q);
	case EP_CHANGES:
		return do_changes(c, q);
	case EP_SUPPRESS:
	case EP_UNSUPPRESS:
		if (scope != RB_SCOPE_WRITE)
			return send_error(c, q, 403, "this token may only read");
		return do_manual(c, q, q->ep == EP_SUPPRESS, name);
	default:
		return send_error(c, q, 404, "no such endpoint");
	}
}

static void
completed(void *cls, struct MHD_Connection *c, void **con_cls,
	  enum MHD_RequestTerminationCode toe)
{
	struct req *q = *con_cls;
	if (q) {
		free(q->body);
		free(q);
	}
	*con_cls = NULL;
}

/* ---- set-up ---- */

static bool
loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const void *)sa;
		return (ntohl(s4->sin_addr.s_addr) >> 24) == 127;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)sa;
		return IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr);
	}
	return false;
}

static int
parse_listen(const char *spec, struct sockaddr_storage *ss, socklen_t *sl)
{
	char host[256], port[16];
	const char *colon;
	if (spec[0] == '[') {
		const char *e = strchr(spec, ']');
		if (e == NULL || e[1] != ':')
			return -1;
		snprintf(host, sizeof(host), "%.*s", (int)(e - spec - 1),
			 spec + 1);
		colon = e + 1;
	} else {
		colon = strrchr(spec, ':');
		if (colon == NULL)
			return -1;
		snprintf(host, sizeof(host), "%.*s", (int)(colon - spec), spec);
	}
	snprintf(port, sizeof(port), "%s", colon + 1);
	struct addrinfo hints = {.ai_family = AF_UNSPEC,
				 .ai_socktype = SOCK_STREAM,
				 .ai_flags = AI_PASSIVE | AI_NUMERICSERV},
			*res;
	if (getaddrinfo(host[0] ? host : NULL, port, &hints, &res) != 0)
		return -1;
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*sl = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	char buf[512];
	vsnprintf(buf, sizeof(buf), fmt, ap);
	size_t l = strlen(buf);
	while (l > 0 && buf[l - 1] == '\n')
		buf[--l] = '\0';
	rb_warn("serve: %s", buf);
}

int
rb_serve_run(const struct rb_serve_opts *o)
{
	struct rb_serve_opts eff = *o;
	if (eff.listen == NULL)
		eff.listen = RB_SERVE_DEFAULT_LISTEN;
	if (eff.threads == 0)
		eff.threads = 4;
	if (eff.max_body == 0)
		eff.max_body = 4u << 20;
	opts = &eff;
	char err[512];
	if (eff.tokens == NULL) {
		rb_err("serve: --tokens FILE is required (make a token with "
		       "`rebound serve token NAME`)");
		return 2;
	}
	if (rb_tokens_load(eff.tokens, &tokens, err, sizeof(err)) != 0) {
		rb_err("serve: %s", err);
		return 2;
	}
	struct sockaddr_storage ss;
	socklen_t sl;
	if (parse_listen(eff.listen, &ss, &sl) != 0) {
		rb_err("serve: --listen %s: HOST:PORT or [IPv6]:PORT expected",
		       eff.listen);
		return 2;
	}
	bool tls = eff.tls_cert || eff.tls_key;
	if (tls && !(eff.tls_cert && eff.tls_key)) {
		rb_err("serve: --tls-cert and --tls-key go together");
		return 2;
	}
	if (!tls && !loopback((struct sockaddr *)&ss)) {
		rb_err("serve: listening on %s (not loopback) needs TLS: "
		       "--tls-cert FILE --tls-key FILE",
		       eff.listen);
		return 2;
	}
	char *cert = NULL, *key = NULL;
	size_t certlen = 0, keylen = 0;
	if (tls && ((cert = rb_read_file(eff.tls_cert, &certlen)) == NULL ||
		    (key = rb_read_file(eff.tls_key, &keylen)) == NULL)) {
		rb_err("serve: cannot read %s", cert ? eff.tls_key
						      : eff.tls_cert);
		free(cert);
		rb_tokens_free(&tokens);
		return 1;
	}
	/* SIGHUP/SIGTERM/SIGINT go to sigwait below, in no other thread */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	if (tls)
		flags |= MHD_USE_TLS;
	struct MHD_OptionItem tls_opts[] = {
	    {tls ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, 0, cert},
	    {tls ? MHD_OPTION_HTTPS_MEM_KEY : MHD_OPTION_END, 0, key},
	    {MHD_OPTION_END, 0, NULL}};
	struct MHD_Daemon *d = MHD_start_daemon(
	    flags, 0, NULL, NULL, handler, NULL, MHD_OPTION_EXTERNAL_LOGGER,
	    mhd_log, NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss, MHD_OPTION_THREAD_POOL_SIZE,
	    (unsigned)eff.threads, MHD_OPTION_CONNECTION_LIMIT, 1000u,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, 0u,
	    MHD_OPTION_CONNECTION_TIMEOUT, 30u,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)64 * 1024,
	    MHD_OPTION_NOTIFY_COMPLETED, completed, NULL, MHD_OPTION_ARRAY, tls_opts, MHD_OPTION_END);
	if (d == NULL) {
		rb_err("serve: cannot listen on %s", eff.listen);
		free(cert);
		free(key);
		rb_tokens_free(&tokens);
		return 1;
	}
	rb_info("serve: listening on %s%s, %u threads, %zu token(s)",
		eff.listen, tls ? " (TLS)" : "", eff.threads, tokens.n);
	fflush(stderr);
	for (;;) {
		int sig;
		if (sigwait(&set, &sig) != 0)
			continue;
		if (sig != SIGHUP)
			break;
		struct rb_tokens nt;
		if (rb_tokens_load(eff.tokens, &nt, err, sizeof(err)) != 0) {
			rb_warn("serve: tokens not reloaded: %s", err);
			continue;
		}
		pthread_rwlock_wrlock(&tok_lock);
		rb_tokens_free(&tokens);
		tokens = nt;
		pthread_rwlock_unlock(&tok_lock);
		rb_info("serve: tokens reloaded, %zu token(s)", tokens.n);
	}
	MHD_stop_daemon(d);
	pthread_mutex_lock(&conns_lock);
	for (size_t i = 0; i < nconns; i++)
		rb_store_close(conns[i]);
	free(conns);
	conns = NULL;
	nconns = capconns = 0;
	pthread_mutex_unlock(&conns_lock);
	if (cert) {
		memset(key, 0, keylen);
		free(key);
		free(cert);
	}
	rb_tokens_free(&tokens);
	rb_info("serve: stopped");
	return 0;
}
