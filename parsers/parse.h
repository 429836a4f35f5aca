/*
 * parse: the parser's one entry point.  A pure function from the bytes of
 * one mail to events: no I/O, no globals (beyond gmime's one-time init,
 * rb_mail_global_init()), so it can be fuzzed and tested alone.
 *
 * Every mail yields at least one event.  A mail with nothing recognisable,
 * or one that exceeds a limit, yields one event of kind "unknown" (with
 * `error` set in the second case).  Events and their strings live in the
 * arena; `file` and `index` are left for the caller to fill in.
 */
#ifndef RB_PARSE_H
#define RB_PARSE_H

#include <stddef.h>

#include "lib/arena.h"
#include "core/event.h"
#include "limits.h"
#include "rules.h"

struct rb_parse_opts {
	struct rb_limits limits;
	const struct rb_rules *rules;	/* required */
	/* headers of the original that carry a campaign id, in order of
	 * preference; NULL-terminated; NULL means the built-in list */
	const char *const *campaign_headers;
	/* VERP: "bounces+user=example.com@sender.tld" -> separator '+',
	 * '=' for '@'.  0 disables VERP decoding. */
	char verp_separator;
};

/* Fill opts with the defaults (rules must still be set). */
void rb_parse_opts_default(struct rb_parse_opts *o);

/* Returns the number of events appended to out (>= 1). */
size_t rb_parse_message(struct rb_arena *a, const char *buf, size_t len,
			const struct rb_parse_opts *o, struct rb_events *out);

#endif
