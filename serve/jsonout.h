/*
 * jsonout: the JSON values rebound serve and rebound watch both give, so
 * that a change reads the same from /v1/changes, watch's JSON Lines and
 * its webhook.
 */
#ifndef RB_JSONOUT_H
#define RB_JSONOUT_H

#include <jansson.h>

#include "store/senders.h"

/* A string, or null for NULL; text that is not valid UTF-8 as it is. */
json_t *rb_json_str(const char *s);
/* {"id", "at", "action", "address", "addr_key", "class", "reason",
 *  "expires_at", "suppressed"}: suppressed is what the change means for
 * sending (false after a removal or an expiry). */
json_t *rb_change_json(const struct rb_change *c);

#endif
