/*
 * http: one request of rebound serve as the endpoints see it, and the
 * ways to answer it.  Every answer carries Cache-Control: no-store, is
 * counted in serve/metrics.h under the request's endpoint, and a 401
 * carries WWW-Authenticate: Bearer.  JSON answers are compact, keys in
 * insertion order, one line.  The helpers return libmicrohttpd's verdict
 * (MHD_NO when the answer could not even be queued: the connection is
 * then closed, never left without an answer).
 */
#ifndef RB_SERVE_HTTP_H
#define RB_SERVE_HTTP_H

#include <jansson.h>
#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/addrin.h"
#include "core/scope.h"
#include "serve/metrics.h"

struct rb_req {
	double start;		/* monotonic seconds at the first call */
	enum rb_ep ep;
	char *body;		/* the request body, up to the limit */
	size_t len, cap;
	bool too_large;		/* the body went over the limit */
};

/* text (malloc'ed, taken in every case) with its Content-Type. */
enum MHD_Result rb_http_text(struct MHD_Connection *c, struct rb_req *q,
			     unsigned status, char *text, const char *type);
/* o (its reference taken) as one line of JSON. */
enum MHD_Result rb_http_json(struct MHD_Connection *c, struct rb_req *q,
			     unsigned status, json_t *o);
/* {"error": msg} */
enum MHD_Result rb_http_error(struct MHD_Connection *c, struct rb_req *q,
			      unsigned status, const char *msg);

/* The body as a JSON object; NULL after answering 400. */
json_t *rb_http_body_json(struct MHD_Connection *c, struct rb_req *q,
			  enum MHD_Result *res);

/*
 * The scope of a request (docs/tenants.md): tenant= and stream= in the
 * query string, or "tenant" and "stream" in a JSON body (may be NULL);
 * none: every scope.  The strings live as long as the request and body.
 * Malformed: false after answering 400 (never "sendable").
 */
bool rb_http_scope(struct MHD_Connection *c, struct rb_req *q, json_t *body,
		   struct rb_scope_query *sq, enum MHD_Result *res);

/* The answer for something that is not an address: {"address",
 * "status": "invalid", "suppressed": true, "error"}; counted. */
json_t *rb_http_invalid(const char *given, enum rb_addrin_err e);

#endif
