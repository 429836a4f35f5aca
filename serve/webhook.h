/*
 * webhook: one HTTP POST of a JSON body to a URL (http:// or https://,
 * certificates verified against the system's trust store unless
 * insecure), signed: X-Rebound-Timestamp: T (Unix seconds) and
 * X-Rebound-Signature: sha256=HEX, the HMAC-SHA256 with the secret of
 * "T." followed by the body (so a receiver can refuse old replays).
 * Connection: close; 10 s to connect, 30 s for the answer.
 */
#ifndef RB_WEBHOOK_H
#define RB_WEBHOOK_H

#include <stdbool.h>
#include <stddef.h>

/* The HTTP status of the answer, or -1 with the reason in err. */
int rb_webhook_post(const char *url, const char *body, size_t len,
		    const char *secret, bool insecure, char *err,
		    size_t errlen);
/* Is url an http:// or https:// URL this module can use? */
bool rb_webhook_url_ok(const char *url);

#endif
