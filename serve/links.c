/*
 * links.c: the unsubscribe header values of rebound serve (see links.h).
 */
#include "links.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/policy.h"
#include "core/unsubscribe.h"
#include "lib/log.h"
#include "serve/dbpool.h"
#include "serve/jsonout.h"

/* a refused request: which item (index -1: the request itself) and why */
static enum MHD_Result
refuse(struct MHD_Connection *c, struct rb_req *q, long index,
       const char *given, const char *why)
{
	json_t *o = json_object();
	json_object_set_new(o, "error", json_string(why));
	if (index >= 0)
		json_object_set_new(o, "index", json_integer(index));
	if (given)
		json_object_set_new(o, "address", rb_json_str(given));
	return rb_http_json(c, q, 400, o);
}

/* item into u; NULL, or why it is refused (why[] or a constant) */
static const char *
item(json_t *it, struct rb_unsub *u, time_t now, char *why, size_t n)
{
	if (!json_is_object(it))
		return "an object {\"address\", \"tenant\", \"stream\"?, "
		       "\"days\"?} is expected";
	const char *k;
	json_t *v;
	json_object_foreach(it, k, v) {
		if (strcmp(k, "address") && strcmp(k, "tenant") &&
		    strcmp(k, "stream") && strcmp(k, "days")) {
			snprintf(why, n, "unknown field \"%.64s\"", k);
			return why;
		}
	}
	const char *given = json_string_value(json_object_get(it, "address"));
	json_t *t = json_object_get(it, "tenant");
	json_t *st = json_object_get(it, "stream");
	json_t *d = json_object_get(it, "days");
	if (given == NULL)
		return "\"address\": a string is required";
	if (!json_is_string(t))
		return "\"tenant\": a string is required";
	if (st && !json_is_null(st) && !json_is_string(st))
		return "\"stream\": a string";
	json_int_t days = 90;
	if (d) {
		if (!json_is_integer(d) || json_integer_value(d) < 1 ||
		    json_integer_value(d) > 3650)
			return "\"days\": an integer, 1 to 3650";
		days = json_integer_value(d);
	}
	struct rb_scope_query sq = {json_string_value(t),
				    json_string_value(st)};
	if (sq.stream && sq.stream[0] == '\0')
		sq.stream = NULL;
	if (rb_scope_query_check(&sq, why, n) != 0)
		return why;
	const char *a;
	size_t al;
	enum rb_addrin_err e = rb_addr_input(given, strlen(given), &a, &al);
	if (e != RB_ADDRIN_OK || al >= sizeof(u->address)) {
		snprintf(why, n, "not an address: %s",
			 e != RB_ADDRIN_OK ? rb_addrin_error(e) : "too long");
		return why;
	}
	memset(u, 0, sizeof(*u));
	memcpy(u->address, a, al);
	snprintf(u->tenant, sizeof(u->tenant), "%s", sq.tenant);
	snprintf(u->stream, sizeof(u->stream), "%s",
		 sq.stream ? sq.stream : "");
	u->expires = now + (time_t)days * 86400;
	return NULL;
}

static json_t *
link_json(const struct rb_unsub *u, char *value, bool post)
{
	json_t *o = json_object();
	json_object_set_new(o, "address", rb_json_str(u->address));
	json_object_set_new(o, "tenant", rb_json_str(u->tenant));
	if (u->stream[0])
		json_object_set_new(o, "stream", rb_json_str(u->stream));
	json_object_set_new(o, "list_unsubscribe", rb_json_str(value));
	if (post)
		json_object_set_new(o, "list_unsubscribe_post",
				    json_string(RB_UNSUB_POST_VALUE));
	return o;
}

enum MHD_Result
rb_links_make(struct MHD_Connection *c, struct rb_req *q,
	      const struct rb_links_conf *conf)
{
	if (conf->secret == NULL || (conf->mailto == NULL && conf->url == NULL))
		return rb_http_error(c, q, 404,
				     "unsubscribe links are not configured "
				     "(--unsubscribe-secret-file, and "
				     "--unsubscribe-address or "
				     "--unsubscribe-url)");
	enum MHD_Result res;
	json_t *b = rb_http_body_json(c, q, &res);
	if (b == NULL)
		return res;
	json_t *list = json_object_get(b, "links");
	bool batch = list != NULL;
	if (batch) {
		if (json_object_size(b) != 1 || !json_is_array(list) ||
		    json_array_size(list) == 0) {
			json_decref(b);
			return refuse(c, q, -1, NULL,
				      "{\"links\": [...]}: a non-empty array "
				      "and nothing else");
		}
		if (json_array_size(list) > RB_LINKS_MAX_BATCH) {
			json_decref(b);
			char m[80];
			snprintf(m, sizeof(m), "at most %d links a request",
				 RB_LINKS_MAX_BATCH);
			return refuse(c, q, -1, NULL, m);
		}
	}
	size_t n = batch ? json_array_size(list) : 1;
	struct rb_unsub *u = calloc(n, sizeof(*u));
	unsigned long long *ids = calloc(n, sizeof(*ids));
	if (u == NULL || ids == NULL) {
		free(u);
		free(ids);
		json_decref(b);
		return rb_http_error(c, q, 503, "out of memory");
	}
	time_t now = rb_now();
	for (size_t i = 0; i < n; i++) {
		json_t *it = batch ? json_array_get(list, i) : b;
		char why[256];
		const char *bad = item(it, &u[i], now, why, sizeof(why));
		if (bad != NULL) {
			res = refuse(c, q, batch ? (long)i : -1,
				     json_string_value(
					 json_object_get(it, "address")),
				     bad);
			free(u);
			free(ids);
			json_decref(b);
			return res;
		}
	}
	json_decref(b);
	for (size_t i = 0; conf->tenant && i < n; i++)
		if (strcmp(u[i].tenant, conf->tenant) != 0) {
			json_t *o = json_object();
			json_object_set_new(o, "error",
					    json_string("this token may only "
							"make links of its own "
							"tenant"));
			if (batch)
				json_object_set_new(o, "index",
						    json_integer((json_int_t)i));
			json_object_set_new(o, "tenant",
					    rb_json_str(u[i].tenant));
			free(u);
			free(ids);
			return rb_http_json(c, q, 403, o);
		}
	if (conf->mailto) {
		struct rb_store *s = rb_dbpool_get();
		if (s == NULL) {
			free(u);
			free(ids);
			return rb_http_error(c, q, 503, "database unavailable: "
						     "no link (the mailto: "
						     "token needs its row)");
		}
		if (rb_store_unsub_ids(s, n, u, ids) != 0) {
			rb_warn("serve: unsubscribe links: %s",
				rb_store_error(s));
			rb_dbpool_failed();
			free(u);
			free(ids);
			return rb_http_error(c, q, 503, "database unavailable: "
						     "no link (the mailto: "
						     "token needs its row)");
		}
	}
	json_t *out = batch ? json_array() : NULL, *one = NULL;
	for (size_t i = 0; i < n; i++) {
		char *v = rb_unsub_list_header(conf->secret, conf->secret_len,
					       &u[i], ids[i], conf->mailto,
					       conf->url);
		if (v == NULL) {
			/* the inputs were checked: only an id out of range
			 * or memory can fail here */
			json_decref(out);
			free(u);
			free(ids);
			return rb_http_error(c, q, 503, "cannot make a token");
		}
		json_t *o = link_json(&u[i], v, conf->url != NULL);
		free(v);
		if (batch)
			json_array_append_new(out, o);
		else
			one = o;
	}
	free(u);
	free(ids);
	if (batch) {
		one = json_object();
		json_object_set_new(one, "links", out);
	}
	return rb_http_json(c, q, 200, one);
}
