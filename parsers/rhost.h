/*
 * rhost: the remote MTA (the server that answered) of a failure, when the
 * report has no Remote-MTA field.  Senders' MTAs quote it in their text:
 *   Postfix  "host mx3.qq.com[203.0.113.1] said: 550 ..."
 *            "lost connection with mx2.qq.com[...] while ..."
 *            "conversation with X[...] timed out", "connect to X[...]:"
 *   Exim     "host mx3.qq.com [203.0.113.1]: 550 ..."
 *   Sendmail "... while talking to mx3.qq.com.:"
 * Host-scoped rules (etc/rules/15-cn.rules) need it: Chinese providers
 * reject in the SMTP dialogue and only the remote host says which
 * provider's wording applies.
 *
 * Pure text scanning, no allocation except the returned arena string.
 */
#ifndef RB_RHOST_H
#define RB_RHOST_H

#include <stddef.h>

#include "lib/arena.h"

/*
 * Host name (lower-case, no trailing dot) of the remote MTA quoted in
 * text, or NULL.  When recipient is not NULL and appears in text, only
 * the text from that recipient on (at most 2 KiB) is searched, so that
 * a report naming several recipients gives each its own host.
 */
const char *rb_remote_mta_find(struct rb_arena *a, const char *text,
			       size_t len, const char *recipient);

#endif
