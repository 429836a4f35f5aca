/*
 * writes.c: the endpoints of rebound serve that change the list (see
 * writes.h).
 */
#include "writes.h"

#include <stdio.h>
#include <string.h>

#include "core/policy.h"
#include "lib/log.h"
#include "serve/dbpool.h"
#include "serve/jsonout.h"
#include "serve/lookup.h"
#include "core/unsubscribe.h"

enum MHD_Result
rb_writes_manual(struct MHD_Connection *c, struct rb_req *q, bool add,
	  const char *actor)
{
	enum MHD_Result res;
	json_t *b = rb_http_body_json(c, q, &res);
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
		return rb_http_error(c, q, 400,
				  add ? "\"address\" and \"reason\" are "
					"required; \"until\": an ISO 8601 time"
				      : "\"address\" and \"reason\" are "
					"required");
	}
	struct rb_scope_query sq;
	if (!rb_http_scope(c, q, b, &sq, &res)) {
		json_decref(b);
		return res;
	}
	const char *a;
	size_t al;
	enum rb_addrin_err e = rb_addr_input(given, strlen(given), &a, &al);
	if (e != RB_ADDRIN_OK) {
		res = rb_http_json(c, q, 422, rb_http_invalid(given, e));
		json_decref(b);
		return res;
	}
	char addr[RB_ADDRIN_MAX + 1];
	memcpy(addr, a, al);
	addr[al] = '\0';
	struct rb_store *s = rb_dbpool_get();
	if (s == NULL) {
		json_decref(b);
		return rb_http_error(c, q, 503, "database unavailable");
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
			rb_dbpool_failed();
		json_decref(b);
		return rb_http_error(c, q, bad_time ? 400 : 503,
				  bad_time ? "\"until\": an ISO 8601 time"
					   : "database unavailable");
	}
	rb_lookup_forget(addr);
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
	return rb_http_json(c, q, 200, o);
}

enum MHD_Result
rb_writes_unsubscribe(struct MHD_Connection *c, struct rb_req *q,
		      const char *token, const char *method, const char *secret,
		      size_t secret_len, const struct rb_policy *pol)
{
	if (secret == NULL)
		return rb_http_error(c, q, 404, "one-click unsubscribes are not "
					     "configured (--unsubscribe-secret-file)");
	struct rb_unsub u;
	enum rb_unsub_check k = rb_unsub_check(
	    secret, secret_len, token, rb_now(), &u);
	if (k != RB_UNSUB_OK) {
		rb_warn("serve: one-click unsubscribe refused: %s",
			rb_unsub_check_name(k));
		return rb_http_error(c, q,
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
		return rb_http_json(c, q, 200, o);
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
		return rb_http_error(c, q, 400, "the body must hold "
					     "List-Unsubscribe=One-Click");
	struct rb_store *s = rb_dbpool_get();
	if (s == NULL)
		return rb_http_error(c, q, 503, "database unavailable");
	/* an unsubscribe event, stored and decided as one by mail */
	bool recorded = false, changed = false;
	rb_store_unsubscribe_secret(s, secret, secret_len);
	int r = rb_store_one_click(s, pol, token, &recorded, &changed);
	rb_store_unsubscribe_secret(s, NULL, 0);
	if (r != 0) {
		rb_warn("serve: one-click unsubscribe not stored: %s",
			rb_store_error(s));
		rb_dbpool_failed();
		return rb_http_error(c, q, 503, "database unavailable");
	}
	rb_lookup_forget(u.address);
	rb_info("serve: one-click unsubscribe for tenant %s%s%s: %s", u.tenant,
		u.stream[0] ? " stream " : "", u.stream,
		recorded ? "recorded" : "already recorded");
	json_t *o = json_object();
	json_object_set_new(o, "unsubscribed", json_true());
	json_object_set_new(o, "changed", json_boolean(changed));
	json_object_set_new(o, "recorded", json_boolean(recorded));
	json_object_set_new(o, "tenant", rb_json_str(u.tenant));
	if (u.stream[0])
		json_object_set_new(o, "stream", rb_json_str(u.stream));
	return rb_http_json(c, q, 200, o);
}
