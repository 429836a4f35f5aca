/*
 * unsubscribe: the signed tokens of unsubscribes, RFC 8058 one-click
 * (`rebound serve`) and RFC 2369 mailto: (a mail to the unsubscribe
 * address, parsers/unsubscribe.c), and the decision on such a mail
 * (docs/tenants.md "Unsubscribes").
 *
 * Two forms, both made only by the holder of the platform's secret, and
 * both refused when forged, altered (any changed byte) or expired;
 * comparing a MAC takes the same time whatever the bytes.
 *
 * The long (stateless) token, for the one-click URL: the tenant, the
 * stream (or list), the address and an expiry, and an HMAC-SHA256 of
 * them:
 *
 *     HEX(payload) "." HEX(mac)     payload = "1" TAB tenant TAB stream
 *                                             TAB address TAB expiry
 *
 * (hex: URL-safe as it stands).  It is about 150 characters.
 *
 * The short token, for the mailto: local part (RFC 5321 allows 64
 * octets there): 32 characters of lower-case base32 (RFC 4648 alphabet
 * a-z 2-7, read in any case: MTAs may fold local parts) of 20 bytes,
 *
 *     version 1 (1 byte) | id (5 bytes) | expiry day (2 bytes) |
 *     HMAC-SHA256 truncated to 96 bits (12 bytes)
 *
 * id names a stored subscriber scope (tenant, stream, address), one row
 * per scope that the store hands out (rb_store_unsub_id); the expiry
 * day counts UTC days since 1970 (the token expires at the start of that
 * day); the MAC is over "rebound-unsub-short" NUL, the first 8 bytes,
 * tenant NUL stream NUL address.  Checking needs the row of the id
 * (a look-up the caller supplies): without it nothing can be checked.
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
	RB_UNSUB_UNKNOWN_ID,	/* short: no stored subscriber has its id */
};
/* Check token at time now; on RB_UNSUB_OK *u holds its fields. */
enum rb_unsub_check rb_unsub_check(const char *secret, size_t slen,
				   const char *token, time_t now,
				   struct rb_unsub *u);
const char *rb_unsub_check_name(enum rb_unsub_check c);

/* ---- the short token ---- */

#define RB_UNSUB_SHORT_LEN 32
/* ids are 40 bits */
#define RB_UNSUB_ID_MAX 0xffffffffffULL

/* The short token for the stored scope id of u's tenant, stream and
 * address, expiring at u->expires rounded up to a whole UTC day, into
 * out; -1 when a field is not well formed (as rb_unsub_token), id is 0
 * or over RB_UNSUB_ID_MAX, or the expiry is out of range. */
int rb_unsub_short_token(const char *secret, size_t slen,
			 unsigned long long id, const struct rb_unsub *u,
			 char out[RB_UNSUB_SHORT_LEN + 1]);

/* Does s[0..n) (any case) have the short form?  *id (may be NULL) gets
 * the id it names.  Nothing is checked but the shape and the version. */
bool rb_unsub_short_id(const char *s, size_t n, unsigned long long *id);

/* The stored scope of id into u (tenant, stream, address); false when
 * there is none. */
typedef bool (*rb_unsub_lookup_fn)(void *ctx, unsigned long long id,
				   struct rb_unsub *u);

/* Check token, of either form, at time now; a short one with its row
 * from lookup (NULL: none known, RB_UNSUB_UNKNOWN_ID).  On RB_UNSUB_OK
 * *u holds its fields. */
enum rb_unsub_check rb_unsub_check_any(const char *secret, size_t slen,
				       const char *token, time_t now,
				       rb_unsub_lookup_fn lookup, void *ctx,
				       struct rb_unsub *u);

/* ---- the header values a sender puts in a mail ---- */

/* List-Unsubscribe-Post (RFC 8058), given beside a one-click URL. */
#define RB_UNSUB_POST_VALUE "List-Unsubscribe=One-Click"

/* Is mailto a mailto: unsubscribe address: LOCAL@DOMAIN, one address as
 * core/addrin.h takes it, without '+', '?', '%', '&', '"' (the token is
 * added as +TOKEN), LOCAL at most 64 - 1 - RB_UNSUB_SHORT_LEN octets
 * (31, so that LOCAL+TOKEN fits the 64 of RFC 5321)?  0, or -1 with why
 * in err. */
int rb_unsub_mailto_check(const char *mailto, char *err, size_t errlen);
/* Is url an http:// or https:// base of the one-click URL?  0 or -1
 * with why in err. */
int rb_unsub_url_check(const char *url, char *err, size_t errlen);

/*
 * The List-Unsubscribe value (RFC 2369) for u (its expiry included),
 * malloc'ed, both `rebound unsubscribe-link` and `rebound serve` write:
 *
 *   <mailto:LOCAL+SHORT@DOMAIN?subject=unsubscribe%20SHORT>   (mailto)
 *   <BASE/v1/unsubscribe/LONG>                               (url)
 *
 * joined by ", " when both are given (at least one is; the checks above
 * passed).  SHORT is the short token of the stored scope id (needed with
 * mailto), LONG the long token; BASE is url without trailing '/'.  NULL
 * when a token cannot be made (rb_unsub_token, rb_unsub_short_token) or
 * out of memory.  With url, List-Unsubscribe-Post is RB_UNSUB_POST_VALUE.
 */
char *rb_unsub_list_header(const char *secret, size_t slen,
			   const struct rb_unsub *u, unsigned long long id,
			   const char *mailto, const char *url);

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
 *  - a token that checks (secret, time now; a short token with its row
 *    from lookup, rb_unsub_check_any): the request is for the token's
 *    address, in the token's tenant and stream;
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
 * attribution.  Pure apart from the clock passed in and the look-up.
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
		     rb_unsub_lookup_fn lookup, void *lctx,
		     bool unsub_mailbox, const char *mailbox_tenant,
		     struct rb_unsub_decision *d);

#endif
