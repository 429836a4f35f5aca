/*
 * serve.c: the HTTP/JSON lookup service (see serve.h): set-up, routing
 * and authorisation; the endpoints are in serve/lookup.c,
 * serve/writes.c and serve/links.c, the connections in serve/dbpool.c, the answers kept
 * between lookups in serve/cache.c (kept true by serve/cache_feed.c).
 */
#include "serve.h"
#include "lib/clock.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "lib/file.h"
#include "lib/log.h"
#include "serve/cache.h"
#include "serve/cache_feed.h"
#include "serve/dbpool.h"
#include "serve/http.h"
#include "serve/links.h"
#include "serve/lookup.h"
#include "serve/metrics.h"
#include "serve/tokens.h"
#include "serve/writes.h"
#include "store/senders.h"

static const struct rb_serve_opts *opts;
static pthread_rwlock_t tok_lock = PTHREAD_RWLOCK_INITIALIZER;
static struct rb_tokens tokens;

/* the token of the request: false (nothing set) when none is valid */
static bool
authorise(struct MHD_Connection *c, char *name, size_t n,
	  enum rb_scope *scope, char tenant[65])
{
	tenant[0] = '\0';
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
		memcpy(tenant, t->tenant, sizeof(t->tenant));
	}
	pthread_rwlock_unlock(&tok_lock);
	return t != NULL;
}

static enum MHD_Result
send_metrics(struct MHD_Connection *c, struct rb_req *q)
{
	char *text = rb_metrics_text(rb_cache_entries());
	if (text == NULL)
		return MHD_NO;
	return rb_http_text(c, q, 200, text, "text/plain; version=0.0.4");
}

static enum rb_ep
route(const char *url, const char *method, bool *method_ok)
{
	bool get = !strcmp(method, "GET") || !strcmp(method, "HEAD");
	bool post = !strcmp(method, "POST");
	*method_ok = true;
	if (!strcmp(url, "/v1/check")) {
		*method_ok = get || post;
		return post ? RB_EP_BATCH : RB_EP_CHECK;
	}
	if (!strncmp(url, "/v1/unsubscribe/", 16)) {
		*method_ok = get || post;
		return RB_EP_UNSUBSCRIBE;
	}
	static const struct {
		const char *url;
		enum rb_ep ep;
		bool post;
	} t[] = {{"/v1/changes", RB_EP_CHANGES, false},
		 {"/v1/suppress", RB_EP_SUPPRESS, true},
		 {"/v1/unsuppress", RB_EP_UNSUPPRESS, true},
		 {"/v1/unsubscribe-links", RB_EP_UNSUB_LINKS, true},
		 {"/v1/health", RB_EP_HEALTH, false},
		 {"/v1/ready", RB_EP_READY, false},
		 {"/metrics", RB_EP_METRICS, false}};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (!strcmp(url, t[i].url)) {
			*method_ok = t[i].post ? post : get;
			return t[i].ep;
		}
	return RB_EP_OTHER;
}

static enum MHD_Result
handler(void *cls, struct MHD_Connection *c, const char *url,
	const char *method, const char *version, const char *upload,
	size_t *upload_size, void **con_cls)
{
	struct rb_req *q = *con_cls;
	if (q == NULL) {
		q = calloc(1, sizeof(*q));
		if (q == NULL)
			return MHD_NO;
		q->start = rb_clock_s();
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
	if (q->ep == RB_EP_OTHER)
		return rb_http_error(c, q, 404, "no such endpoint");
	if (!method_ok)
		return rb_http_error(c, q, 405, "method not allowed");
	if (q->too_large)
		return rb_http_error(c, q, 413, "request body too large");
	switch (q->ep) {
	case RB_EP_HEALTH: {
		json_t *o = json_object();
		json_object_set_new(o, "status", json_string("ok"));
		return rb_http_json(c, q, 200, o);
	}
	case RB_EP_READY: {
		struct rb_store *s = rb_dbpool_get();
		bool up = s != NULL && rb_store_ping(s);
		if (s != NULL && !up)
			rb_dbpool_failed();
		json_t *o = json_object();
		json_object_set_new(o, "status", json_string(up ? "ready"
								: "database "
								  "unavailable"));
		return rb_http_json(c, q, up ? 200 : 503, o);
	}
	case RB_EP_METRICS:
		return send_metrics(c, q);
	case RB_EP_UNSUBSCRIBE:
		/* the recipient's mail program: no bearer token, the signed
		 * token in the URL is the authority */
		return rb_writes_unsubscribe(c, q, url + 16, method,
					     opts->unsub_secret,
					     opts->unsub_secret_len,
					     opts->policy);
	default:
		break;
	}
	char name[65], bound[65];
	enum rb_scope scope;
	if (!authorise(c, name, sizeof(name), &scope, bound)) {
		rb_metrics_add(RB_M_AUTH_FAILURES, 1);
		return rb_http_error(c, q, 401, "a valid bearer token is required");
	}
	/* a token bound to a tenant: only where the tenant is enforced */
	if (bound[0] && q->ep != RB_EP_UNSUB_LINKS)
		return rb_http_error(c, q, 403, "this token is bound to a "
					     "tenant: only "
					     "/v1/unsubscribe-links");
	switch (q->ep) {
	case RB_EP_CHECK:
		return rb_lookup_check(c, q);
	case RB_EP_BATCH:
		return rb_lookup_batch(c, q);
	case RB_EP_CHANGES:
		return rb_lookup_changes(c, q);
	case RB_EP_SUPPRESS:
	case RB_EP_UNSUPPRESS:
		if (scope != RB_SCOPE_WRITE)
			return rb_http_error(c, q, 403, "this token may only read");
		return rb_writes_manual(c, q, q->ep == RB_EP_SUPPRESS, name);
	case RB_EP_UNSUB_LINKS: {
		/* makes rows of unsubscribe_ids: a write */
		if (scope != RB_SCOPE_WRITE)
			return rb_http_error(c, q, 403, "this token may only read");
		struct rb_links_conf lc = {opts->unsub_secret,
					   opts->unsub_secret_len,
					   opts->unsub_address, opts->unsub_url,
					   bound[0] ? bound : NULL};
		return rb_links_make(c, q, &lc);
	}
	default:
		return rb_http_error(c, q, 404, "no such endpoint");
	}
}

static void
completed(void *cls, struct MHD_Connection *c, void **con_cls,
	  enum MHD_RequestTerminationCode toe)
{
	struct rb_req *q = *con_cls;
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
	if (eff.cache_ttl == 0)
		eff.cache_ttl = RB_SERVE_DEFAULT_CACHE_TTL;
	opts = &eff;
	rb_dbpool_init(eff.db);
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
	if (rb_cache_init(eff.cache_entries, eff.cache_ttl) != 0 ||
	    rb_cache_feed_start(eff.db) != 0) {
		rb_err("serve: cannot set up the cache");
		rb_cache_free();
		free(cert);
		free(key);
		rb_tokens_free(&tokens);
		return 1;
	}
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
		rb_cache_feed_stop();
		rb_cache_free();
		free(cert);
		free(key);
		rb_tokens_free(&tokens);
		return 1;
	}
	rb_info("serve: listening on %s%s, %u threads, %zu token(s), "
		"cache of %zu answers",
		eff.listen, tls ? " (TLS)" : "", eff.threads, tokens.n,
		eff.cache_entries);
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
	rb_cache_feed_stop();
	rb_dbpool_close();
	rb_cache_free();
	if (cert) {
		memset(key, 0, keylen);
		free(key);
		free(cert);
	}
	rb_tokens_free(&tokens);
	rb_info("serve: stopped");
	return 0;
}
