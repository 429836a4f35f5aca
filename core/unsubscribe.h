/*
 * unsubscribe: the signed tokens of unsubscribes, RFC 8058 one-click
 * (`rebound serve`) and RFC 2369 mailto: (a mail to the unsubscribe
 * address, parsers/unsubscribe.c), and the decision on such a mail
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

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "event.h"

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

/*
 * The decision on one parsed event of a mail that arrived in a mailbox
 * marked `unsubscribe = yes` (unsub_mailbox) or not, when it is stored.
 * Parsers only find the token (event kind unsubscribe, field
 * unsubscribe_token, recipient the mail's From); the secret is used here:
 *
 *  - a token that checks (secret, time now): the request is for the
 *    token's address, in the token's tenant and stream;
 *  - no token, or one refused (forged, altered, expired, not a token, no
 *    secret configured): in an unsubscribe mailbox the request is for
 *    the mail's From (the event's recipient), in the mailbox's tenant;
 *    elsewhere it is refused: kind unknown, no recipient, error says why;
 *  - an unknown event (without error) of a mail in an unsubscribe
 *    mailbox: every mail there is a request, for its From, unless the
 *    mail is automatic (Auto-Submitted other than "no", an empty
 *    Return-Path, Precedence bulk/junk/list/auto_reply, X-Autoreply,
 *    X-Autorespond, a multipart/report) or its From is not one address.
 *
 * Other events (bounces, complaints, auto-replies ...) are left as they
 * are (decided false).  raw[0..len) is the mail.  Returns true when d
 * holds a decision that replaces the event's kind, recipient and
 * attribution.  Pure apart from the clock passed in.
 */
struct rb_unsub_decision {
	enum rb_kind kind;	/* unsubscribe, or unknown when refused */
	char address[321];	/* who is unsubscribed; "" refused */
	char tenant[65];	/* "" none (global) */
	char stream[65];	/* "" none */
	char from[192];		/* how the tenant was found, for explain */
	/* why a token or the request was refused ("" none); the error of a
	 * refused request, a note beside a From request */
	char note[160];
};
bool rb_unsub_decide(const struct rb_event *e, const char *raw, size_t len,
		     const char *secret, size_t slen, time_t now,
		     bool unsub_mailbox, const char *mailbox_tenant,
		     struct rb_unsub_decision *d);

#endif
