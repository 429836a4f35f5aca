/*
 * module: the interface every parser module (standard formats and MTA
 * dialects) implements, and the ordered table of modules.
 *
 * detect() is cheap and decides whether the module applies to this mail;
 * parse() appends events (recipient, action, status, diagnostic, remote
 * and reporting MTA, kind ...) and returns how many.  Fields a module
 * leaves NULL are completed by the common post-processing in parse.c:
 * reason and hard (from rules and status), smtp_code, the `original`
 * identifiers, report_message_id, dates in ISO form.  Modules read only
 * the rb_mail view; they never touch gmime, files or globals.
 *
 * A module must never take a recipient from a quoted original message:
 * only the bounce's own report text names failed recipients.
 */
#ifndef RB_MODULE_H
#define RB_MODULE_H

#include <stdbool.h>

#include "core/event.h"
#include "mail.h"
#include "parse.h"

struct rb_ctx {
	struct rb_arena *a;
	const struct rb_parse_opts *opts;
	const struct rb_mail *m;
	struct rb_events *out;
	const char *error;	/* a module may report a limit here */
	unsigned depth;		/* 0, or 1 inside a carried bounce */
	bool finished;		/* the events were finished by
				 * rb_parse_view() with their own mail */
};

struct rb_module {
	const char *name;
	bool (*detect)(const struct rb_ctx *c);
	int (*parse)(struct rb_ctx *c);	/* events added, >= 0 */
};

/* The table, in priority order, terminated by NULL (modules.c). */
extern const struct rb_module *const rb_modules[];

/* Standard modules (parsers/dsn.c, arf.c, autoreply.c). */
extern const struct rb_module rb_mod_arf;
extern const struct rb_module rb_mod_rfc3464;
/* A disposition notification of a refusal: Sieve reject (dsn.c). */
extern const struct rb_module rb_mod_mdn_reject;
extern const struct rb_module rb_mod_rfc3834;
/* The mail's own header says it is an automatic reply (RFC 3834
 * Auto-Submitted: auto-replied, X-Autoreply and its kin, Precedence:
 * auto_reply; parsers/autoreply.c). */
bool rb_autoreply_headers(const struct rb_mail *m);
/* The mail's own words say it is an automatic reply: a subject marker
 * ("Automatic reply:", "自动回复"), or a text that says the person is
 * away, that it is an automatic reply or acknowledgement, or that asks
 * the sender to verify itself (parsers/autoreply.c).  A notice marked
 * auto-replied that says none of this is no one's reply. */
bool rb_autoreply_says(const struct rb_ctx *c);
/* Unsubscribe requests sent to a List-Unsubscribe mailto: address
 * (parsers/unsubscribe.c). */
extern const struct rb_module rb_mod_unsubscribe;
/* The unsubscribe token a mail carries: the +tag of an address it was
 * sent to (Delivered-To, X-Original-To, To, Cc), else one in a subject
 * that is an unsubscribe command; arena copy, or NULL.  *to gets the
 * address that carried it (NULL for the subject). */
const char *rb_unsub_mail_token(struct rb_arena *a, const struct rb_mail *m,
				const char **to);
/* Plain-text MTA dialects (parsers/mta_classic.c). */
extern const struct rb_module rb_mod_mta_classic;
/* Those of them read before rfc3464 (RB_TD_BEFORE_DSN). */
extern const struct rb_module rb_mod_mta_early;
/* DSN blocks found in plain text (parsers/mta_dsntext.c). */
extern const struct rb_module rb_mod_dsn_text;
/* Chinese-language provider NDRs (parsers/mta_cn.c). */
extern const struct rb_module rb_mod_cn_ndr;

/* Helpers shared by modules (parse.c). */
/* Strip a "type;" prefix such as "smtp;" "dns;" "X-Postfix;". */
const char *rb_strip_type(const char *v);
/* Find the SMTP command a failure happened at in text, or NULL. */
const char *rb_smtp_command_find(const char *text, size_t n);
/* The command a client line starts with ("RCPT TO:<...>", "ehlo x";
 * blanks skipped), as rebound names it ("RCPT", "EHLO"; BDAT and QUIT
 * count as DATA), or NULL: one verb table for every transcript. */
const char *rb_smtp_verb(const char *s, size_t n);
/* The paragraph of text that names rcpt (squeezed, arena), or NULL:
 * the human-readable explanation when a DSN gives no Diagnostic-Code. */
const char *rb_text_near(struct rb_arena *a, const char *text, size_t n,
			 const char *rcpt);
/* The SMTP command named in the paragraph of text that mentions rcpt
 * (Postfix "(in reply to RCPT TO command)", Sendmail transcripts). */
const char *rb_smtp_command_near(const char *text, size_t n,
				 const char *rcpt);
/* Parse DSN-shaped field blocks (rfc3464 and dialects that embed them);
 * returns the events added. */
int rb_dsn_parse_blocks(struct rb_ctx *c, const char *module,
			const char *text, size_t len);
/* Read a bounce carried inside this mail (an attached delivery report,
 * a forwarded bounce) as a mail of its own: the modules run on `inner`
 * and its events are finished with it (its original, its dates).  Only
 * one level deep.  Returns the events added (0 when it names nobody:
 * nothing is added then). */
int rb_parse_view(struct rb_ctx *c, const struct rb_mail *inner);
/* Forwarded and carried bounces (parsers/mta_forward.c). */
extern const struct rb_module rb_mod_forwarded;
/* Add an event for recipient with the module's name set. */
struct rb_event *rb_ctx_add(struct rb_ctx *c, const char *module,
			    const char *recipient);

#endif
