/*
 * unsubscribe: the signed tokens of RFC 8058 one-click unsubscribes
 * (docs/tenants.md "Unsubscribes").
 *
 * A token carries the tenant, the stream (or list), the address and an
 * expiry, and an HMAC-SHA256 of them with the platform's secret:
 *
 *     HEX(payload) "." HEX(mac)     payload = "1" TAB tenant TAB stream
 *                                             TAB address TAB expiry
 *
 * (hex: URL-safe as it stands, and a token fits in a URL.)  Anyone may
 * present a token; only the secret's holder can make one, so a forged
 * or altered token (any changed byte) and an expired one are refused.
 * Comparing the MAC takes the same time whatever the bytes.
 */
#ifndef RB_UNSUBSCRIBE_H
#define RB_UNSUBSCRIBE_H

#include <stddef.h>
#include <time.h>

struct rb_unsub {
	char tenant[65];
	char stream[65];	/* "" none */
	char address[321];
	time_t expires;
};

/* The token for u with the secret, malloc'ed; NULL when a field is not
 * well formed (tenant and stream names as in core/scope.h, an address
 * without tab or control bytes). */
char *rb_unsub_token(const char *secret, size_t slen, const struct rb_unsub *u);

enum rb_unsub_check {
	RB_UNSUB_OK = 0,
	RB_UNSUB_MALFORMED,	/* not a token at all */
	RB_UNSUB_FORGED,	/* the MAC does not match: forged or altered */
	RB_UNSUB_EXPIRED,
};
/* Check token at time now; on RB_UNSUB_OK *u holds its fields. */
enum rb_unsub_check rb_unsub_check(const char *secret, size_t slen,
				   const char *token, time_t now,
				   struct rb_unsub *u);
const char *rb_unsub_check_name(enum rb_unsub_check c);

/* The secret from a file (refused when other users may read it: see
 * rb_config_secret_file), without its trailing newline; at least 16
 * bytes.  Malloc'ed (wipe and free) or NULL with *err_r. */
char *rb_unsub_secret_read(const char *path, size_t *len, char **err_r);

#endif
