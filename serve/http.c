/*
 * http.c: answering a request of rebound serve (see http.h).
 */
#include "http.h"
#include "lib/clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "serve/jsonout.h"


enum MHD_Result
rb_http_text(struct MHD_Connection *c, struct rb_req *q, unsigned status,
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
	rb_metrics_answer(q->ep, status, rb_clock_s() - q->start);
	return ok;
}

enum MHD_Result
rb_http_json(struct MHD_Connection *c, struct rb_req *q, unsigned status,
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
	return rb_http_text(c, q, status, t, "application/json");
}

enum MHD_Result
rb_http_error(struct MHD_Connection *c, struct rb_req *q, unsigned status,
	      const char *msg)
{
	json_t *o = json_object();
	json_object_set_new(o, "error", json_string(msg));
	return rb_http_json(c, q, status, o);
}

json_t *
rb_http_body_json(struct MHD_Connection *c, struct rb_req *q,
		  enum MHD_Result *res)
{
	json_error_t je;
	json_t *b = q->body ? json_loadb(q->body, q->len,
					 JSON_REJECT_DUPLICATES, &je)
			    : NULL;
	if (b == NULL || !json_is_object(b)) {
		json_decref(b);
		*res = rb_http_error(c, q, 400, "a JSON object is expected");
		return NULL;
	}
	return b;
}

bool
rb_http_scope(struct MHD_Connection *c, struct rb_req *q, json_t *body,
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
		*res = rb_http_error(c, q, 400,
				     "\"tenant\" and \"stream\": strings");
		return false;
	}
	if (t)
		sq->tenant = json_string_value(t);
	if (st)
		sq->stream = json_string_value(st);
	if (rb_scope_query_check(sq, err, sizeof(err)) != 0) {
		*res = rb_http_error(c, q, 400, err);
		return false;
	}
	return true;
}

json_t *
rb_http_invalid(const char *given, enum rb_addrin_err e)
{
	json_t *o = json_object();
	char msg[128];
	snprintf(msg, sizeof(msg), "not an address: %s", rb_addrin_error(e));
	json_object_set_new(o, "address", rb_json_str(given));
	json_object_set_new(o, "status", json_string("invalid"));
	json_object_set_new(o, "suppressed", json_true());
	json_object_set_new(o, "error", json_string(msg));
	rb_metrics_add(RB_M_INVALID, 1);
	return o;
}
