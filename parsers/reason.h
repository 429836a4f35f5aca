/*
 * reason: the reason vocabulary (Sisimai's, so results compare with
 * Sisimai's judgement of a corpus) and the classification of one failure from its
 * enhanced status, SMTP reply code and diagnostic text.
 *
 * Order: a *specific* status code (x.1.1, x.2.2, x.4.7 ...) decides;
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
 * Hard (1) or soft (0) for a failure reason, as Sisimai decides it:
 * userunknown, hostunknown, hasmoved are hard; notaccept is hard on a
 * permanent (5xx) failure; everything else is soft.
 */
int rb_reason_hard(const char *reason, const char *status,
		   const char *smtp_code);

/*
 * smtp_command (RCPT, DATA ... or NULL when not known) refines the
 * decision the way Sisimai makes it, so results compare: generic "user
 * unknown" wording (rules named user-unknown*) counts as userunknown
 * only when the status says x.1.0/x.1.1/x.1.3 or the rejection came at
 * RCPT time; after MAIL it is the sender's (rejected); after DATA or
 * with no stage known it is a filter's (filtered, soft).  An x.1.1
 * status yields to wording that says the mailbox is full, relaying was
 * denied, the client was blocked or the sender rejected.
 */
void rb_reason_classify(const struct rb_rules *rules, const char *status,
			const char *smtp_code, const char *diagnostic,
			const char *remote_mta, const char *smtp_command,
			struct rb_classified *out);

#endif
