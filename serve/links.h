/*
 * links: POST /v1/unsubscribe-links of rebound serve, the List-Unsubscribe
 * and List-Unsubscribe-Post header values a sending platform puts in its
 * mails (docs/senders.md "Unsubscribe links"), exactly as `rebound
 * unsubscribe-link` writes them (core/unsubscribe.h rb_unsub_list_header),
 * for one recipient or a batch of at most RB_LINKS_MAX_BATCH:
 *
 *   {"address", "tenant", "stream"?, "days"?}            one link
 *   {"links": [{"address", "tenant", "stream"?, "days"?}, ...]}
 *
 * answered with {"address", "tenant", "stream"?, "list_unsubscribe",
 * "list_unsubscribe_post"?} (one) or {"links": [...]} in the order given.
 * days: 1 to 3650, default 90.  The mailto: part's short tokens need
 * their rows of unsubscribe_ids: made or found for the whole batch in
 * one statement (the same inputs, the same ids).
 *
 * All or nothing: an item that is not well formed (not an address, a
 * tenant or stream name over the limits, an unknown field, days out of
 * range) refuses the whole request with 400 {"error", "index"?,
 * "address"?} naming the first bad item and why, and nothing is made.
 * A token bound to a tenant asking for another: 403, nothing made.
 * The database unreachable: 503, and no link (a short token without its
 * row could never be checked).  Not configured (no secret, or neither an
 * unsubscribe address nor a URL base): 404.
 */
#ifndef RB_SERVE_LINKS_H
#define RB_SERVE_LINKS_H

#include <stddef.h>

#include "serve/http.h"

#define RB_LINKS_MAX_BATCH 1000

struct rb_links_conf {
	const char *secret;	/* the HMAC key of the tokens; NULL: 404 */
	size_t secret_len;
	const char *mailto;	/* LOCAL@DOMAIN, NULL: no mailto: part */
	const char *url;	/* the one-click base, NULL: no URL part */
	/* the tenant the bearer token is bound to (serve/tokens.h), NULL
	 * every tenant: an item of another tenant refuses the request
	 * (403 {"error", "index"}) */
	const char *tenant;
};

enum MHD_Result rb_links_make(struct MHD_Connection *c, struct rb_req *q,
			      const struct rb_links_conf *conf);

#endif
