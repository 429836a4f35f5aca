/*
 * serve: `rebound serve`, the HTTP/JSON lookup service for sending
 * applications (docs/senders.md "HTTP").  libmicrohttpd, a pool of
 * threads each with its own database connection (serve/dbpool.h).
 *
 *   GET  /v1/check?address=A     one address (200; 422 not an address)
 *   POST /v1/check               {"addresses": [...]}, at most 10,000
 *   GET  /v1/changes?after=ID&limit=N
 *                                the change log after a cursor
 *   POST /v1/suppress            {"address", "reason", "until"?}  (write)
 *   POST /v1/unsuppress          {"address", "reason"}            (write)
 *   POST /v1/unsubscribe-links   List-Unsubscribe header values, one or
 *                                {"links": [...]} <= 1,000 (write;
 *                                serve/links.h)
 *   POST /v1/unsubscribe/TOKEN   RFC 8058 one-click (no bearer token)
 *   GET  /v1/health              the process answers (no token)
 *   GET  /v1/ready               the database answers (no token; 503)
 *   GET  /metrics                Prometheus text format (no token)
 *
 * Every /v1/ request but health and ready needs "Authorization: Bearer
 * TOKEN" (serve/tokens.h); changes are recorded with the token's name
 * as the actor.  When the database cannot be reached the answer is 503,
 * never "not suppressed"; an answer's "suppressed" is true for anything
 * that is not an address.  Loopback by default; any other address needs
 * TLS (GnuTLS through libmicrohttpd).  Bodies over max_body bytes: 413.
 * Single lookups may be answered from serve/cache.h, never beyond what
 * the database said since (serve/cache_feed.h keeps it true).
 * SIGHUP reloads the tokens file; SIGTERM/SIGINT stop.
 */
#ifndef RB_SERVE_H
#define RB_SERVE_H

#include <stddef.h>

struct rb_policy;	/* core/policy.h */

struct rb_serve_opts {
	const char *db;		/* conninfo; NULL: $REBOUND_DB or built-in */
	const char *listen;	/* HOST:PORT, [V6]:PORT; default loopback */
	const char *tokens;	/* tokens file (required) */
	const char *tls_cert;	/* PEM files; both or neither */
	const char *tls_key;
	unsigned threads;	/* 0: 4 */
	size_t max_body;	/* 0: 4 MiB */
	/* the HMAC secret of one-click unsubscribe tokens (serve/unsubscribe.h);
	 * NULL: POST /v1/unsubscribe/TOKEN answers 404 */
	const char *unsub_secret;
	size_t unsub_secret_len;
	/* decides one-click unsubscribes as it does those by mail
	 * (store.h rb_store_one_click); NULL: the built-in defaults */
	const struct rb_policy *policy;
	/* the parts of POST /v1/unsubscribe-links (serve/links.h): the
	 * mailto: address LOCAL@DOMAIN and the one-click URL base; NULL:
	 * that part left out (both: 404) */
	const char *unsub_address;
	const char *unsub_url;
	/* the answers of single lookups kept (serve/cache.h): at most
	 * cache_entries (0: none), each at most cache_ttl seconds (0:
	 * RB_SERVE_DEFAULT_CACHE_TTL) */
	size_t cache_entries;
	unsigned cache_ttl;
};

#define RB_SERVE_DEFAULT_LISTEN "127.0.0.1:8089"
#define RB_SERVE_MAX_BATCH 10000
#define RB_SERVE_DEFAULT_CACHE_ENTRIES 250000
#define RB_SERVE_DEFAULT_CACHE_TTL 300

/* Run until SIGTERM/SIGINT; returns the exit status (0; 1 error; 2 bad
 * options, printed). */
int rb_serve_run(const struct rb_serve_opts *o);

#endif
