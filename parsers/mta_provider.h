/*
 * mta_provider: the provider / commercial-MTA dialect modules (Google, Yahoo,
 * Microsoft Exchange and Office 365, Amazon SES and WorkMail, Lotus
 * Notes/Domino, Zoho, DragonFly) and the small text helpers they share.
 *
 * Every module here follows the same shape: detect() looks only at cheap
 * evidence (From, Subject, a few X-headers, a fixed marker in the body,
 * all with memmem-style searches, no regex); parse() reads the bounce's
 * own text up to the point where the quoted original starts and never
 * takes a recipient from below that point.  Reason, hard, smtp_code and
 * status are left to the common post-processing (parse.c, rules) unless
 * the dialect states them itself.
 *
 * All strings returned live in the arena of the context.
 */
#ifndef RB_MTA_PROVIDER_H
#define RB_MTA_PROVIDER_H

#include <stdbool.h>
#include <stddef.h>

#include "module.h"

extern const struct rb_module rb_mod_amazonses;
extern const struct rb_module rb_mod_amazonses_dsn;
extern const struct rb_module rb_mod_amazonworkmail;
extern const struct rb_module rb_mod_dragonfly;
extern const struct rb_module rb_mod_exchange2003;
extern const struct rb_module rb_mod_office365;
extern const struct rb_module rb_mod_gmail;
extern const struct rb_module rb_mod_googlegroups;
extern const struct rb_module rb_mod_notes;
extern const struct rb_module rb_mod_domino;
extern const struct rb_module rb_mod_yahoo;
extern const struct rb_module rb_mod_zoho;

/*
 * Offset just past the line containing needle (case-insensitive), found
 * in text[from, len); (size_t)-1 when absent.
 */
size_t rb_provider_after_line(const char *text, size_t len, size_t from,
		       const char *needle);

/*
 * Join the lines starting at *pos up to (not including) the first blank
 * line or a line starting with one of stop (NULL-terminated list, may be
 * NULL), squeezing whitespace.  Leading blank lines are skipped.  *pos is
 * moved past what was consumed.  NULL when nothing was there.
 */
char *rb_provider_paragraph(struct rb_arena *a, const char *text, size_t len,
		     size_t *pos, const char *const *stop);

/* The first address in [s, s+n) (rb_addr_find), or NULL. */
char *rb_provider_addr(struct rb_arena *a, const char *s, size_t n);

/*
 * Does the bounce's own text read like phishing dressed as a delivery
 * notice ("release messages", "click here", "sign in", "incoming
 * messages ... failed")?  Real MTA templates never ask the reader to act
 * on a link; such mails must come out as kind unknown.
 */
bool rb_provider_phishy(const char *text, size_t len);
/* rb_provider_phishy() on the bounce's own text (not the quoted original: a
 * returned newsletter may well say "click here"). */
bool rb_provider_phishy_mail(const struct rb_mail *m);

/* Does any header of the bounce start with prefix (e.g. "X-SES-")? */
bool rb_provider_has_header_prefix(const struct rb_mail *m, const char *prefix);

#endif
