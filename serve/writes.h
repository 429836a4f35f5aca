/*
 * writes: the endpoints of rebound serve that change the suppression
 * list, each a manual suppression recorded in the history with its
 * actor, and each forgetting the address's cached answers at once
 * (serve/lookup.h) so the writer's next lookup sees its write.
 *
 *   POST /v1/suppress    {"address", "reason", "until"?}: the bearer
 *   POST /v1/unsuppress  {"address", "reason"}           token's name is
 *                        the actor (the token's scope is checked by the
 *                        caller); an "until" that is not an ISO 8601
 *                        time: 400.
 *
 * RFC 8058 one-click: POST with the body List-Unsubscribe=One-Click at
 * /v1/unsubscribe/TOKEN is an unsubscribe event of the token's address
 * in its tenant (stream), stored and decided by the policy as one by
 * mail is (store.h rb_store_one_click): a suppression of class
 * unsubscribe, counted by `rebound report unsubscribes`; a repeated
 * valid POST (the same token) stores nothing more ("recorded": false).
 * GET changes nothing (mail scanners follow links): it says how to
 * confirm.
 * Forged, altered, expired or malformed tokens (serve/unsubscribe.h):
 * 403 / 410 / 400; no secret configured: 404.
 *
 * The database unreachable: 503, and nothing is claimed done.
 */
#ifndef RB_SERVE_WRITES_H
#define RB_SERVE_WRITES_H

#include <stdbool.h>
#include <stddef.h>

#include "serve/http.h"

struct rb_policy;	/* core/policy.h */

enum MHD_Result rb_writes_manual(struct MHD_Connection *c, struct rb_req *q,
				 bool add, const char *actor);
/* secret: the HMAC key of the tokens, or NULL (404); pol: the policy
 * that decides the unsubscribe (NULL: the built-in defaults) */
enum MHD_Result rb_writes_unsubscribe(struct MHD_Connection *c,
				      struct rb_req *q, const char *token,
				      const char *method, const char *secret,
				      size_t secret_len,
				      const struct rb_policy *pol);

#endif
