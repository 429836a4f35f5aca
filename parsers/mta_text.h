/*
 * mta_text: the engine for plain-text bounce templates (qmail, Exim,
 * Sendmail's human part, Courier, OpenSMTPD, and the many appliance and
 * provider templates).  A dialect is data: how to recognise the template
 * (cheap substring evidence in From, Subject, headers and the first few
 * KB of the bounce text) and how to read it (where the report starts,
 * where the returned original starts, which labels introduce a
 * recipient).
 *
 * Reading is line based.  The report region runs from just after the
 * dialect's start marker (or the top of the bounce text) to the first
 * cut marker: the dialect's own, a common one ("------ This is a copy of
 * the message", "--- Below this line is a copy of the message." ...), or
 * a line that starts a header block ("Received:", "Return-Path:").  Only
 * addresses inside the region become recipients, so a quoted original
 * never yields a phantom recipient.
 *
 * A recipient line is either
 *   - address-led: optional bullet ("*", "-", ">>>"), optional SMTP reply
 *     and enhanced code, then the address (bare, <quoted> or "quoted"),
 *     then end of line, ':', '...', " [", " (" or " <";  or
 *   - labelled: one of the dialect's labels ("Recipient address:",
 *     "Could not be delivered to:" ...) followed by an address.
 * The diagnostic is the rest of that line plus the following lines up to
 * a blank line, a separator line or the next recipient line; when that is
 * empty it is the whole report region (templates that explain the failure
 * above the list of addresses).
 *
 * Dialect tables are static const data; nothing here allocates except in
 * the arena of the context.
 */
#ifndef RB_MTA_TEXT_H
#define RB_MTA_TEXT_H

#include <stdbool.h>

#include "module.h"

/* flags */
#define RB_TD_NO_ADDR_LINES 0x1	/* only labelled lines name recipients */
#define RB_TD_DELAY 0x2		/* the template is a delay warning */
#define RB_TD_REGION_DIAG 0x4	/* always use the whole region as diag */
#define RB_TD_NO_COMMON_CUT 0x8	/* do not cut at Received:/Return-Path: */
#define RB_TD_QUALIFY 0x20	/* a bare local part on its own line is
				 * qualified from the returned original's
				 * To/Cc/Received ("for local@domain") */
#define RB_TD_TRAILING_ADDR 0x10	/* "Some reason: addr" lines name a
					 * recipient; the text is the reason */
#define RB_TD_DIAG_ABOVE 0x80	/* transcript whose recipient line closes
				 * its group (Sendmail V5: ">>> CMD",
				 * "<<< reply", then "550 <addr>... text"):
				 * the "<<<" replies above it since the
				 * previous recipient are its diagnostic,
				 * the ">>>" above it its command */
#define RB_TD_BEFORE_DSN 0x100	/* the template's text says more than its
				 * DSN part (EZweb: no Diagnostic-Code, the
				 * reason is a sentence of the text): read
				 * before rfc3464 (rb_mod_mta_early) */
#define RB_TD_ADDR_COLON 0x200	/* an address-led line is "<addr>: text"
				 * or "<addr> (expanded from <x>): text"
				 * (Postfix): a bare address on a line is
				 * prose ("please contact <postmaster@x>") */
#define RB_TD_INOUT 0x400	/* Postfix's "In:"/"Out:" SMTP transcript:
				 * the first 4xx/5xx "Out:" reply is the
				 * diagnostic, the "In:" command above it
				 * the failed command */
#define RB_TD_EVIDENCE 0x800	/* the catch-all for unknown MTAs: an
				 * unlabelled "<addr>: text" line names a
				 * failed recipient only when a reply code
				 * or enhanced status says something failed
				 * (a postmaster's announcement lists
				 * addresses too) */
#define RB_TD_NAMELESS 0x1000	/* the template's notice about a message
				 * that failed as a whole (Exim: "A message
				 * that you sent was rejected by the local
				 * scanning code", "contained no recipient
				 * addresses"): when one of `labels` is in
				 * the region, one event with recipient
				 * NULL; labels name no address here */
#define RB_TD_EXIM_LINES 0x2000	/* Exim's list of failed addresses: a
				 * recipient line is the address alone, as
				 * Exim writes it (no <brackets>, no reply
				 * code or status before it), then end of
				 * line, ':', " <" or " ("; "<addr>... text"
				 * or "5.7.0 <addr>" is a wrapped reply and
				 * "  <addr>" the sender's line of "A
				 * message sent by" */
#define RB_TD_XFR 0x40	/* when the region names no address (Exim's
			 * "save to FILE" / "pipe to |cmd" deliveries),
			 * the bounce's own X-Failed-Recipients header
			 * names them; the region is the diagnostic */

struct rb_text_dialect {
	const char *name;	/* parser name in events */
	/*
	 * Detection: every non-NULL list must have one needle that is
	 * found (case-insensitive substring).  `header` needles are
	 * "Name" (present) or "Name: substring".  `body` is searched in
	 * the first RB_TD_SCAN bytes of the bounce text.  A dialect with no
	 * list at all never matches.
	 */
	const char *const *from;
	const char *const *subject;
	const char *const *header;
	const char *const *body;
	/* Reading. */
	const char *const *start;	/* region starts after this line */
	const char *const *cut;	/* region ends at this line */
	const char *const *labels;	/* label before an address */
	/* a heading line whose block (up to a blank line) is the remote
	 * server's reply for every recipient (m-FILTER "-------server
	 * message"), and one whose next line is the SMTP command */
	const char *const *diag_block;
	const char *const *cmd_block;
	unsigned flags;
};

#define RB_TD_SCAN 4096

/* The evidence, lower-cased once per mail (rb_td_view_init), so that
 * trying many dialects costs memmem calls on short strings. */
struct rb_td_view {
	const char *from;	/* From header, lower-case, or "" */
	size_t from_len;
	const char *subject;
	size_t subject_len;
	const char *body;	/* first RB_TD_SCAN bytes of the text */
	size_t body_len;
};

void rb_td_view_init(const struct rb_ctx *c, struct rb_td_view *v);
bool rb_text_dialect_detect(const struct rb_ctx *c,
			    const struct rb_td_view *v,
			    const struct rb_text_dialect *d);
/* Events added (>= 0). */
int rb_text_dialect_parse(struct rb_ctx *c, const struct rb_text_dialect *d);

#endif
