/*
 * verp: Variable Envelope Return Path decoding.  A sender that encodes the
 * recipient into the bounce address (bounces+user=example.com@sender.tld,
 * separator '+', '=' standing for '@') can tie a bounce to the send even
 * when the bounce itself names nobody.
 *
 * rb_verp_decode() is pure.  It returns the decoded address only when it
 * is plausible (one '@', non-empty local part, dotted domain of valid
 * characters) and never for an address that carries no encoded part.
 */
#ifndef RB_VERP_H
#define RB_VERP_H

#include "lib/arena.h"

struct rb_mail;

/*
 * "bounces+user=example.com@sender.tld" -> "user@example.com" (arena
 * copy, domain lower-cased), or NULL.  sep == 0 disables decoding.
 */
char *rb_verp_decode(struct rb_arena *a, const char *addr, char sep);

/*
 * The VERP-decoded envelope recipient of a bounce: the first of
 * X-Original-To, Delivered-To, Envelope-To, X-Envelope-To, To whose
 * address decodes; NULL when none does.
 */
char *rb_verp_of_mail(struct rb_arena *a, const struct rb_mail *m, char sep);

#endif
