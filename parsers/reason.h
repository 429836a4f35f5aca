/*
 * reason: the reason vocabulary (Sisimai's, so results compare with
 * Sisimai's judgement of a corpus) and the classification of one failure from its
 * enhanced status, SMTP reply code and diagnostic text.
 *
 * Order: a host-scoped rule, then a product's own phrase (mta-*, rhost-*);
 * then a *specific* status code (x.1.1, x.2.2, x.4.7 ...) decides;
 * otherwise the first text rule that matches the diagnostic decides;
 * otherwise the status code's generic meaning; then SMTP 500-504 as
 * syntaxerror; otherwise "undefined"
 * ("onhold" when there is no failure evidence at all).
 */
#ifndef RB_REASON_H
#define RB_REASON_H

#include <stdbool.h>

#include "rules.h"

struct rb_classified {
	const char *reason;	/* never NULL */
	int hard;		/* 1/0 */
	const char *feedback;	/* a rule made it a complaint, else NULL */
	const char *subreason;	/* the rule's sub-reason, else NULL */
	const char *delay;	/* the rule's reason for a delay, else NULL */
	const char *rule;	/* rule name, "status", "smtp-code" or
				 * "default", for audit */
};

bool rb_reason_known(const char *reason);
/* Rate limit or quota (toomanyconn, speeding): the sender is being
 * throttled; never a statement about the address. */
bool rb_reason_is_throttle(const char *reason);
/* The classification came from a text rule (not from the status code's
 * generic meaning, the SMTP code or stage, or the undefined/onhold
 * default): the remote side's words name the cause. */
bool rb_reason_from_text(const struct rb_classified *c);
/* NULL-terminated list of every reason name. */
const char *const *rb_reason_all(void);
/*
 * Hard (1) or soft (0) for a failure reason: userunknown, hostunknown,
 * hasmoved and notaccept are hard when the failure is permanent (a 5.x.x
 * status, a 5xx reply when there is no status, or neither code); a 4.x.x
 * or 4xx failure and every other reason are soft.
 */
int rb_reason_hard(const char *reason, const char *status,
		   const char *smtp_code);

/*
 * smtp_command (RCPT, DATA ... or NULL when not known) refines the
 * decision: generic "user unknown" wording (rules named user-unknown*)
 * is userunknown at RCPT or with an x.1.0/x.1.1/x.1.3 status; after MAIL
 * it is the sender's (rejected); after DATA, or with no stage and no
 * such status, it is a filter's (filtered, soft).  An
 * x.1.1 status yields to wording that says the mailbox is full, relaying
 * was denied, the client was blocked or the sender rejected.  The whole
 * precedence is listed above classify() in reason.c.
 */
void rb_reason_classify(const struct rb_rules *rules, const char *status,
			const char *smtp_code, const char *diagnostic,
			const char *remote_mta, const char *smtp_command,
			struct rb_classified *out);

/* The first "NNN-" in s (a 4xx or 5xx reply code and a hyphen: a
 * reply that goes on at another line) that begins a word (after a blank,
 * '(' or '"', or at s), else NULL. */
const char *rb_reason_continued_reply(const char *s);

#endif
