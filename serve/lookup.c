/*
 * lookup.c: the reading endpoints of rebound serve (see lookup.h).
 */
#include "lookup.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/addrkey.h"
#include "serve/cache.h"
#include "serve/dbpool.h"
#include "serve/jsonout.h"
#include "serve/serve.h"
#include "store/senders.h"

enum MHD_Result
rb_lookup_check(struct MHD_Connection *c, struct rb_req *q)
{
	const char *given = MHD_lookup_connection_value(
	    c, MHD_GET_ARGUMENT_KIND, "address");
	if (given == NULL)
		return rb_http_error(c, q, 400, "address= is required");
	struct rb_scope_query sq;
	enum MHD_Result sres;
	if (!rb_http_scope(c, q, NULL, &sq, &sres))
		return sres;
	rb_metrics_add(RB_M_ADDRESSES, 1);
	const char *a;
	size_t al;
	enum rb_addrin_err e = rb_addr_input(given, strlen(given), &a, &al);
	if (e != RB_ADDRIN_OK)
		return rb_http_json(c, q, 422, rb_http_invalid(given, e));
	char key[RB_ADDRKEY_MAX + 1];
	if (rb_addr_key(a, al, key, sizeof(key), NULL) == 0)
		return rb_http_json(c, q, 422, rb_http_invalid(given,
							 RB_ADDRIN_EMPTY));
	struct rb_active p;
	time_t now = time(NULL);
	if (rb_cache_get(key, sq.tenant, sq.stream, now, &p)) {
		rb_metrics_add(RB_M_CACHE_HITS, 1);
	} else {
		if (rb_cache_enabled())
			rb_metrics_add(RB_M_CACHE_MISSES, 1);
		uint64_t ticket = rb_cache_ticket();
		struct rb_store *s = rb_dbpool_get();
		if (s == NULL)
			return rb_http_error(c, q, 503, "database unavailable");
		if (rb_store_set_scope(s, sq.tenant, sq.stream) != 0 ||
		    rb_store_active(s, key, &p) != 0) {
			rb_dbpool_failed();
			return rb_http_error(c, q, 503, "database unavailable");
		}
		rb_cache_put(ticket, key, sq.tenant, sq.stream, &p, now);
	}
	json_t *o = json_object();
	json_object_set_new(o, "address", rb_json_str(given));
	json_object_set_new(o, "addr_key", rb_json_str(key));
	json_object_set_new(o, "status", json_string(p.active ? "suppressed"
							       : "sendable"));
	json_object_set_new(o, "suppressed", json_boolean(p.active));
	if (p.active) {
		rb_metrics_add(RB_M_SUPPRESSED, 1);
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
	return rb_http_json(c, q, 200, o);
}

enum MHD_Result
rb_lookup_batch(struct MHD_Connection *c, struct rb_req *q)
{
	enum MHD_Result res;
	json_t *b = rb_http_body_json(c, q, &res);
	if (b == NULL)
		return res;
	json_t *arr = json_object_get(b, "addresses");
	if (!json_is_array(arr)) {
		json_decref(b);
		return rb_http_error(c, q, 400, "\"addresses\": an array");
	}
	struct rb_scope_query sq;
	if (!rb_http_scope(c, q, b, &sq, &res)) {
		json_decref(b);
		return res;
	}
	size_t n = json_array_size(arr);
	if (n > RB_SERVE_MAX_BATCH) {
		json_decref(b);
		return rb_http_error(c, q, 413, "at most 10000 addresses a "
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
	rb_metrics_add(RB_M_ADDRESSES, n);
	struct rb_store *s = valid ? rb_dbpool_get() : NULL;
	if (valid && s == NULL) {
		res = rb_http_error(c, q, 503, "database unavailable");
		goto out;
	}
	if (valid && (rb_store_set_scope(s, sq.tenant, sq.stream) != 0 ||
		      rb_store_match(s, (const char *const *)keys, n, hit) !=
			  0)) {
		rb_dbpool_failed();
		res = rb_http_error(c, q, 503, "database unavailable");
		goto out;
	}
	json_t *o = json_object(), *rs = json_array();
	size_t ns = 0, ni = 0;
	for (size_t i = 0; i < n; i++) {
		json_t *v = json_array_get(arr, i);
		if (err[i] != RB_ADDRIN_OK) {
			json_t *r = rb_http_invalid(
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
	rb_metrics_add(RB_M_SUPPRESSED, ns);
	json_object_set_new(o, "count", json_integer((json_int_t)n));
	json_object_set_new(o, "suppressed", json_integer((json_int_t)ns));
	json_object_set_new(o, "invalid", json_integer((json_int_t)ni));
	json_object_set_new(o, "results", rs);
	res = rb_http_json(c, q, 200, o);
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

enum MHD_Result
rb_lookup_changes(struct MHD_Connection *c, struct rb_req *q)
{
	long long after, limit;
	if (!number_arg(c, "after", 0, 0, 9223372036854775807LL, &after) ||
	    !number_arg(c, "limit", 1000, 1, 10000, &limit))
		return rb_http_error(c, q, 400, "after: an id (>= 0); limit: 1 "
					     "to 10000");
	struct rb_scope_query sq;
	enum MHD_Result sres;
	if (!rb_http_scope(c, q, NULL, &sq, &sres))
		return sres;
	struct rb_store *s = rb_dbpool_get();
	if (s == NULL)
		return rb_http_error(c, q, 503, "database unavailable");
	json_t *arr = json_array();
	long long last;
	if (rb_store_set_scope(s, sq.tenant, sq.stream) != 0 ||
	    rb_store_changes(s, after, (int)limit, change_json, arr, &last) !=
		0) {
		json_decref(arr);
		rb_dbpool_failed();
		return rb_http_error(c, q, 503, "database unavailable");
	}
	json_t *o = json_object();
	json_object_set_new(o, "changes", arr);
	json_object_set_new(o, "next", json_integer(last));
	return rb_http_json(c, q, 200, o);
}

void
rb_lookup_forget(const char *address)
{
	const char *a;
	size_t al;
	char key[RB_ADDRKEY_MAX + 1];
	if (rb_addr_input(address, strlen(address), &a, &al) == RB_ADDRIN_OK &&
	    rb_addr_key(a, al, key, sizeof(key), NULL) != 0)
		rb_cache_forget(key);
	else
		rb_cache_drop();	/* cannot tell which: forget all */
}
