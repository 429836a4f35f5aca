/* policy: classification table, config parsing, the decision function */
#include <stdlib.h>
#include <string.h>

#include "core/policy.h"
#include "t.h"

#define DAY 86400L

static const struct {
	const char *kind, *reason, *ft;
	int hard;
	const char *want;
} cls[] = {
    {"bounce", "userunknown", NULL, 1, "hard:userunknown"},
    {"bounce", "hostunknown", NULL, 1, "hard:hostunknown"},
    {"bounce", "hasmoved", NULL, 1, "hard:hasmoved"},
    {"bounce", "mailboxfull", NULL, 0, "soft:mailboxfull"},
    {"bounce", "expired", NULL, 0, "soft:expired"},
    {"bounce", "blocked", NULL, 1, "none:blocked"},
    {"bounce", "spamdetected", NULL, 1, "none:spamdetected"},
    {"bounce", "badreputation", NULL, 1, "none:badreputation"},
    {"bounce", "requireptr", NULL, 1, "none:requireptr"},
    {"bounce", "toomanyconn", NULL, 0, "none:toomanyconn"},
    {"bounce", "undefined", NULL, 1, "hard:undefined"},
    {"bounce", "undefined", NULL, 0, "soft:undefined"},
    {"bounce", NULL, NULL, 1, "hard:undefined"},
    {"bounce", "UserUnknown", NULL, 1, "hard:userunknown"},
    {"complaint", "feedback", "abuse", -1, "complaint:abuse"},
    {"complaint", "feedback", "fraud", -1, "complaint:fraud"},
    {"complaint", "feedback", "virus", -1, "complaint:virus"},
    {"complaint", "feedback", "other", -1, "complaint:other"},
    {"complaint", "feedback", "opt-out", -1, "complaint:opt-out"},
    {"complaint", "feedback", "rejected-by-recipient", -1,
     "complaint:rejected-by-recipient"},
    {"complaint", "feedback", "not-spam", -1, "none:not-spam"},
    {"complaint", "feedback", "auth-failure", -1, "none:auth-failure"},
    {"complaint", "feedback", NULL, -1, "complaint:missing-feedback-type"},
    {"delay", "mailboxfull", NULL, 0, "none:delay"},
    {"delivered", "delivered", NULL, -1, "none:delivered"},
    {"autoreply", "vacation", NULL, -1, "none:autoreply"},
    {"unknown", NULL, NULL, -1, "none:unknown"},
};

int
main(void)
{
	struct rb_policy p;
	char rule[160], err[256];
	rb_policy_default(&p);
	for (size_t i = 0; i < sizeof(cls) / sizeof(cls[0]); i++) {
		rb_policy_classify_cols(&p, cls[i].kind, cls[i].reason,
					cls[i].hard, cls[i].ft, rule,
					sizeof(rule));
		T_STR(rule, cls[i].want, "classify %s/%s/%s", cls[i].kind,
		      cls[i].reason ? cls[i].reason : "-",
		      cls[i].ft ? cls[i].ft : "-");
	}

	/* configuration */
	T_OK(rb_policy_parse(&p,
			     "# comment\nsoft_threshold = 4\nsoft_window=3w\n"
			     "reason.blocked = hard  # really\n"
			     "feedback.not-spam = complaint\nhard_expiry = 365d\n",
			     "t.conf", err, sizeof(err)) == 0,
	     "parse a policy file (%s)", err);
	T_OK(p.soft_threshold == 4 && p.soft_window == 21 * DAY &&
		 p.hard_expiry == 365 * DAY,
	     "numbers and durations");
	rb_policy_classify_cols(&p, "bounce", "blocked", 1, NULL, rule,
				sizeof(rule));
	T_STR(rule, "hard:blocked", "override a reason");
	T_OK(rb_policy_parse(&p, "x = 1\n", "t.conf", err, sizeof(err)) != 0 &&
		 strstr(err, "t.conf:1") != NULL,
	     "unknown key names file:line (%s)", err);
	T_OK(rb_policy_parse(&p, "\nsoft_window = soon\n", "t.conf", err,
			     sizeof(err)) != 0 &&
		 strstr(err, "t.conf:2") != NULL,
	     "bad duration (%s)", err);
	T_OK(rb_policy_parse(&p, "reason.x = maybe\n", "t", err,
			     sizeof(err)) != 0,
	     "bad class");
	T_OK(rb_policy_parse(&p, "soft_expiry = never\n", "t", err,
			     sizeof(err)) != 0,
	     "soft suppressions must expire");
	T_OK(rb_duration_parse("90d") == 90 * DAY &&
		 rb_duration_parse("12h") == 43200 &&
		 rb_duration_parse("never") == 0 &&
		 rb_duration_parse("-1") < 0 && rb_duration_parse("5x") < 0,
	     "durations");

	/* time */
	time_t t;
	T_OK(rb_time_parse("2025-01-31T12:00:00Z", &t) == 0 && t == 1738324800,
	     "ISO 8601 Z");
	T_OK(rb_time_parse("2025-01-31T13:00:00+01:00", &t) == 0 &&
		 t == 1738324800,
	     "ISO 8601 offset");
	T_OK(rb_time_parse("@1738324800", &t) == 0 && t == 1738324800,
	     "@epoch");
	T_OK(rb_time_parse("yesterday", &t) != 0, "garbage time");

	/* decisions */
	rb_policy_default(&p);
	struct rb_pstate st = {0};
	bool exp;
	time_t t0 = 1735689600; /* 2025-01-01 */
	T_OK(rb_policy_decide(&p, &st, RB_PC_NONE, t0, NULL, 0, &exp) ==
		 RB_DEC_NONE,
	     "none never suppresses");
	T_OK(rb_policy_decide(&p, &st, RB_PC_HARD, t0, NULL, 0, &exp) ==
		     RB_DEC_ADD &&
		 st.cls == RB_PC_HARD && st.expires == 0,
	     "hard: added, never expires");
	T_OK(rb_policy_decide(&p, &st, RB_PC_HARD, t0 + DAY, NULL, 0, &exp) ==
		 RB_DEC_NONE,
	     "hard again: nothing");
	T_OK(rb_policy_decide(&p, &st, RB_PC_COMPLAINT, t0 + DAY, NULL, 0,
			      &exp) == RB_DEC_CHANGE &&
		 st.cls == RB_PC_COMPLAINT,
	     "complaint upgrades hard");
	T_OK(rb_policy_decide(&p, &st, RB_PC_SOFT, t0 + 2 * DAY, NULL, 0,
			      &exp) == RB_DEC_NONE,
	     "soft after complaint: nothing");

	/* soft: 3 distinct days within 14 */
	memset(&st, 0, sizeof(st));
	long days[] = {t0 / DAY, t0 / DAY, t0 / DAY + 1};
	T_OK(rb_policy_decide(&p, &st, RB_PC_SOFT, t0 + DAY, days, 3, &exp) ==
		 RB_DEC_NONE,
	     "two distinct soft days: nothing");
	long days3[] = {t0 / DAY, t0 / DAY + 1, t0 / DAY + 13};
	T_OK(rb_policy_decide(&p, &st, RB_PC_SOFT, t0 + 13 * DAY, days3, 3,
			      &exp) == RB_DEC_ADD &&
		 st.expires == t0 + 43 * DAY,
	     "three days within 14: soft for 30 days");
	long days4[] = {t0 / DAY, t0 / DAY + 1, t0 / DAY + 14};
	memset(&st, 0, sizeof(st));
	T_OK(rb_policy_decide(&p, &st, RB_PC_SOFT, t0 + 14 * DAY, days4, 3,
			      &exp) == RB_DEC_NONE,
	     "first day falls out of the window");
	long future[] = {t0 / DAY, t0 / DAY + 1, t0 / DAY + 5};
	T_OK(rb_policy_decide(&p, &st, RB_PC_SOFT, t0 + DAY, future, 3,
			      &exp) == RB_DEC_NONE,
	     "days after the event do not count");

	/* manual removal wins over older evidence, not newer */
	memset(&st, 0, sizeof(st));
	st.exists = true;
	st.cls = RB_PC_MANUAL;
	st.removed = t0 + 10 * DAY;
	T_OK(rb_policy_decide(&p, &st, RB_PC_HARD, t0 + 5 * DAY, NULL, 0,
			      &exp) == RB_DEC_NONE,
	     "older hard bounce does not undo an unsuppress");
	T_OK(rb_policy_decide(&p, &st, RB_PC_HARD, t0 + 11 * DAY, NULL, 0,
			      &exp) == RB_DEC_ADD &&
		 st.removed == 0,
	     "newer hard bounce suppresses again");
	/* expiry recorded */
	memset(&st, 0, sizeof(st));
	st.exists = true;
	st.cls = RB_PC_SOFT;
	st.expires = t0;
	T_OK(rb_policy_decide(&p, &st, RB_PC_HARD, t0 + DAY, NULL, 0, &exp) ==
		     RB_DEC_ADD &&
		 exp,
	     "re-adding after expiry reports the expiry");
	T_DONE();
}
