/*
 * lookup: the reading endpoints of rebound serve (docs/senders.md
 * "HTTP"), each answering one request that has passed authorisation:
 *
 *   GET /v1/check?address=A       one address: 200 with the answer, 422
 *                                 not an address (suppressed: true), 503
 *                                 when neither the cache (serve/cache.h)
 *                                 nor the database can answer
 *   POST /v1/check                {"addresses": [...]}, at most
 *                                 RB_SERVE_MAX_BATCH, one query
 *   GET /v1/changes?after&limit   the change log after a cursor
 *
 * All take tenant= and stream= (docs/tenants.md).  An error never reads
 * as "sendable".
 */
#ifndef RB_SERVE_LOOKUP_H
#define RB_SERVE_LOOKUP_H

#include "serve/http.h"

enum MHD_Result rb_lookup_check(struct MHD_Connection *c, struct rb_req *q);
enum MHD_Result rb_lookup_batch(struct MHD_Connection *c, struct rb_req *q);
enum MHD_Result rb_lookup_changes(struct MHD_Connection *c,
				  struct rb_req *q);

/* After this process changed address's suppressions: its cached answers
 * go at once, without waiting for the notification (the whole cache
 * when address cannot be read). */
void rb_lookup_forget(const char *address);

#endif
