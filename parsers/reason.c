#include "reason.h"

#include <ctype.h>
#include <stdbool.h>
#include <string.h>

#include "status.h"

static const char *const reasons[] = {
    "userunknown",   "hostunknown",	"mailboxfull",	 "filtered",
    "blocked",	     "rejected",	"policyviolation", "spamdetected",
    "securityerror", "suspend",		"expired",	 "networkerror",
    "systemerror",   "mesgtoobig",	"exceedlimit",	 "norelaying",
    "notaccept",     "hasmoved",	"toomanyconn",	 "speeding",
    "authfailure",   "badreputation",	"requireptr",	 "notcompliantrfc",
    "virusdetected", "contenterror",	"syntaxerror",	 "mailererror",
    "systemfull",    "onhold",		"undefined",	 "feedback",
    "vacation",	     "delivered",	NULL,
};

const char *const *
rb_reason_all(void)
{
	return reasons;
}

bool
rb_reason_is_throttle(const char *reason)
{
	return reason != NULL && (strcmp(reason, "toomanyconn") == 0 ||
				  strcmp(reason, "speeding") == 0);
}

bool
rb_reason_from_text(const struct rb_classified *c)
{
	if (c == NULL || c->rule == NULL || c->reason == NULL)
		return false;
	if (strcmp(c->rule, "status") == 0 || strcmp(c->rule, "default") == 0 ||
	    strcmp(c->rule, "smtp-code") == 0 ||
	    strncmp(c->rule, "command:", 8) == 0)
		return false;
	return strcmp(c->reason, "undefined") != 0 &&
	       strcmp(c->reason, "onhold") != 0;
}

bool
rb_reason_known(const char *reason)
{
	for (size_t i = 0; reasons[i]; i++)
		if (strcmp(reasons[i], reason) == 0)
			return true;
	return false;
}

/* The failure is transient by its own codes: a 4.x.x status, or a 4xx
 * reply when there is no status. */
static bool
transient(const char *status, const char *smtp_code)
{
	if (status != NULL && rb_status_valid(status))
		return status[0] == '4';
	return smtp_code != NULL && smtp_code[0] == '4';
}

int
rb_reason_hard(const char *reason, const char *status, const char *smtp_code)
{
	/* hard: the address itself is dead (userunknown, hasmoved), its
	 * domain does not exist (hostunknown) or accepts no mail (notaccept);
	 * and only when the failure is permanent: a server that answers
	 * 4.x.x / 4xx asks to be asked again, whatever it says */
	static const char *const dead[] = {"userunknown", "hostunknown",
					   "hasmoved", "notaccept", NULL};
	if (reason == NULL || transient(status, smtp_code))
		return 0;
	for (size_t i = 0; dead[i]; i++)
		if (strcmp(reason, dead[i]) == 0)
			return 1;
	return 0;
}

/* Reasons whose wording outranks an x.1.1 status (Sisimai does the same:
 * "5.1.1 ... mailbox full" is a full mailbox; a rate limit, a relay denial
 * or an unknown host under 5.1.1 is what the words say). */
static bool
outranks_user_unknown(const char *reason)
{
	static const char *const r[] = {"mailboxfull", "norelaying", "blocked",
					"hasmoved", "rejected", "suspend",
					"toomanyconn", "speeding", "hostunknown",
					NULL};
	for (size_t i = 0; r[i]; i++)
		if (strcmp(reason, r[i]) == 0)
			return true;
	return false;
}

/* x.1.0 (other address status), x.1.1 (bad destination mailbox) and
 * x.1.3 (bad mailbox address syntax), RFC 3463: the status itself says the
 * destination address was at fault. */
static bool
address_status(const char *status)
{
	if (status == NULL || !rb_status_valid(status))
		return false;
	const char *sd = status + 2;
	return strcmp(sd, "1.0") == 0 || strcmp(sd, "1.1") == 0 ||
	       strcmp(sd, "1.3") == 0;
}

/* Evidence that a "user unknown" came from a filter rather than from
 * the address lookup: the reply came after DATA (the server had taken
 * the recipient and refused the message).  Without a stage the wording
 * is taken at its word: the address is unknown.  Sisimai files the
 * no-stage case as filtered (soft); rebound does not, because a dead
 * address read as soft keeps being mailed.  docs/rules.md says what the
 * difference costs in agreement with Sisimai. */
static bool
filter_evidence(const char *smtp_command)
{
	return smtp_command != NULL && strcmp(smtp_command, "DATA") == 0;
}

/* The answer of rule r: its reason and what it carries with it. */
static void
take_rule(struct rb_classified *out, const struct rb_rule *r,
	  const char *status, const char *smtp_code)
{
	out->reason = r->reason;
	out->rule = r->name;
	out->feedback = r->feedback;
	out->subreason = r->subreason;
	out->delay = r->delay;
	out->hard = r->hard >= 0 ? r->hard
				 : rb_reason_hard(r->reason, status, smtp_code);
}

/* A reason the classifier derived from a rule's (a filter's "user
 * unknown", a transient "no such domain", the SMTP stage's meaning):
 * soft, and none of the rule's sub-reason or reason for a delay, which
 * were the rule's own. */
static void
derive(struct rb_classified *out, const char *reason, const char *rule)
{
	out->reason = reason;
	out->rule = rule;
	out->subreason = NULL;
	out->delay = NULL;
	out->hard = 0;
}

/* The stage of the SMTP session says what a vague rejection was about:
 * at connection or greeting time the client was refused (blocked); after
 * MAIL FROM the sender was (rejected). */
static void
by_command(const char *smtp_command, struct rb_classified *out)
{
	if (smtp_command == NULL)
		return;
	const char *r = out->reason;
	bool vague = strcmp(r, "undefined") == 0 || strcmp(r, "onhold") == 0;
	/* a 500-504 reply no rule explained, at connection or greeting
	 * time: the client was refused there, not a command's syntax */
	bool code_only = strcmp(out->rule, "smtp-code") == 0;
	if ((strcmp(smtp_command, "CONN") == 0 ||
	     strcmp(smtp_command, "HELO") == 0 ||
	     strcmp(smtp_command, "EHLO") == 0) &&
	    (vague || code_only || strcmp(r, "rejected") == 0))
		derive(out, "blocked", "command:connection");
	else if (strcmp(smtp_command, "MAIL") == 0 &&
		 (vague || strcmp(r, "hostunknown") == 0 ||
		  strcmp(r, "userunknown") == 0 || strcmp(r, "filtered") == 0))
		derive(out, "rejected", "command:mail");
}

static void classify(const struct rb_rules *rules, const char *status,
		     const char *smtp_code, const char *diagnostic,
		     const char *remote_mta, const char *smtp_command,
		     struct rb_classified *out);

/* Typographic quotes as ASCII: a provider's HTML notice, or a
 * windows-1252 text part (0x92), writes "doesn\u2019t", "couldn\u2019t",
 * \u201cquoted\u201d where its plain-text twin and the rules say "doesn't".
 * Into buf (NUL-terminated); NULL when there is nothing to replace or the
 * text does not fit (then it is matched as it is). */
static const char *
ascii_quotes(const char *s, char *buf, size_t cap)
{
	if (s == NULL || strstr(s, "\xe2\x80") == NULL)
		return NULL;
	size_t o = 0;
	bool any = false;
	for (const char *p = s; *p; p++) {
		if (o + 1 >= cap)
			return NULL;
		if ((unsigned char)p[0] == 0xe2 && (unsigned char)p[1] == 0x80 &&
		    (unsigned char)p[2] >= 0x98 && (unsigned char)p[2] <= 0x9d) {
			/* U+2018-U+201B single, U+201C-U+201D double */
			buf[o++] = (unsigned char)p[2] <= 0x9b ? '\'' : '"';
			p += 2;
			any = true;
			continue;
		}
		buf[o++] = *p;
	}
	buf[o] = '\0';
	return any ? buf : NULL;
}

const char *
rb_reason_continued_reply(const char *s)
{
	for (const char *p = s; (p = strpbrk(p, "45")) != NULL; p++)
		if ((p == s || p[-1] == ' ' || p[-1] == '(' || p[-1] == '"') &&
		    isdigit((unsigned char)p[1]) &&
		    isdigit((unsigned char)p[2]) && p[3] == '-')
			return p;
	return NULL;
}

/* The length of "NNN-" or "NNN " opening a reply line at s (4xx/5xx),
 * plus the enhanced status that follows it when it equals st (st_n
 * bytes, "5.2.2 "), else 0. */
static size_t
reply_prefix(const char *s, const char *code, const char *st, size_t st_n)
{
	if (strncmp(s, code, 3) != 0 || (s[3] != '-' && s[3] != ' '))
		return 0;
	size_t n = 4;
	if (st_n > 0 && strncmp(s + n, st, st_n) == 0)
		n += st_n;
	return n;
}

/* A multi-line SMTP reply quoted whole ("452-The mailbox of" / "452
 * 4.2.2 this recipient is full"), squeezed into one line, repeats its
 * reply code (and enhanced status) at every line: "... of 452 4.2.2 this
 * recipient ...".  The repeats split the server's sentence; into buf
 * without them, so that a rule sees the sentence whole.  NULL when the
 * text is no such reply or does not fit. */
static const char *
unwrap_reply(const char *s, char *buf, size_t cap)
{
	const char *p = rb_reason_continued_reply(s);
	if (p == NULL)
		return NULL;
	char code[4] = {p[0], p[1], p[2], '\0'};
	/* the enhanced status after the first code, with its blank */
	const char *st = p + 4;
	size_t st_n = 0;
	if ((st[0] == '4' || st[0] == '5') && st[1] == '.') {
		while (st[st_n] && st[st_n] != ' ' && st_n < 12)
			st_n++;
		if (st[st_n] == ' ')
			st_n++;
		else
			st_n = 0;
	}
	size_t o = 0;
	bool any = false;
	const char *q = s;
	while (*q) {
		if (o + 1 >= cap)
			return NULL;
		size_t skip = q > p && q[-1] == ' '
				  ? reply_prefix(q, code, st, st_n)
				  : 0;
		if (skip > 0 && q[skip] != '\0') {
			q += skip;
			any = true;
			continue;
		}
		buf[o++] = *q++;
	}
	buf[o] = '\0';
	return any ? buf : NULL;
}

void
rb_reason_classify(const struct rb_rules *rules, const char *status,
		   const char *smtp_code, const char *diagnostic,
		   const char *remote_mta, const char *smtp_command,
		   struct rb_classified *out)
{
	char qbuf[4096];
	const char *q = ascii_quotes(diagnostic, qbuf, sizeof(qbuf));
	if (q != NULL)
		diagnostic = q;
	char wbuf[4096];
	const char *w = diagnostic ? unwrap_reply(diagnostic, wbuf,
						  sizeof(wbuf))
				   : NULL;
	if (w != NULL)
		diagnostic = w;
	classify(rules, status, smtp_code, diagnostic, remote_mta,
		 smtp_command, out);
	if (strncmp(out->rule, "rhost-", 6) != 0 &&
	    strncmp(out->rule, "mta-", 4) != 0)
		by_command(smtp_command, out);
}

/*
 * The precedence, first that applies decides (docs/rules.md "Which rule
 * wins"):
 *   1. a rule scoped to the remote MTA's host (the provider's meaning);
 *   2. a product's or provider's own phrase (rules named mta-*, rhost-*);
 *   3. a specific status code (x.1.1, x.2.2, x.4.7, x.7.2x ...), except
 *      that x.1.1 yields to wording in outranks_user_unknown() and x.4.7
 *      to any rule that names a cause other than the network;
 *   4. the first text rule, in file order; "user unknown" wording is
 *      filtered after DATA (filter_evidence()), "no
 *      such domain" under a 4.x.x status is networkerror;
 *   5. the status code's generic meaning (x.4.4 transient: networkerror);
 *   6. SMTP 500-504: syntaxerror;
 *   7. undefined (failure evidence) or onhold (none).
 * Then the SMTP stage refines a vague answer (by_command()) unless 1 or 2
 * decided.  hard follows from the reason and the status class
 * (rb_reason_hard()) unless the rule says otherwise.
 */
static void
classify(const struct rb_rules *rules, const char *status,
		   const char *smtp_code, const char *diagnostic,
		   const char *remote_mta, const char *smtp_command,
		   struct rb_classified *out)
{
	const struct rb_status_info *si = rb_status_lookup(status);
	const struct rb_rule *r = NULL;
	out->feedback = NULL;
	out->subreason = NULL;
	out->delay = NULL;
	out->rule = NULL;
	out->reason = NULL;

	/* provider rules (scoped to the remote host) know what the provider
	 * meant by its code better than the code's generic meaning */
	if (diagnostic != NULL && *diagnostic) {
		/* one pass: the scoped rules' match, else (r) any rule's */
		const struct rb_rule *hr = rb_rules_match_both(
		    rules, RB_FIELD_DIAGNOSTIC, diagnostic, strlen(diagnostic),
		    remote_mta, &r);
		if (hr != NULL) {
			take_rule(out, hr, status, smtp_code);
			return;
		}
	}
	bool x11 = si != NULL && si->reason != NULL &&
		   strcmp(si->reason, "userunknown") == 0 && si->specific;

	/* a product's or provider's own phrase knows best */
	if (r != NULL && (strncmp(r->name, "mta-", 4) == 0 ||
			  strncmp(r->name, "rhost-", 6) == 0)) {
		take_rule(out, r, status, smtp_code);
		return;
	}
	/* x.4.7 says only that retrying ran out of time; the last reply's
	 * words, when a rule knows them, say why ("Mailbox Full") -- but a
	 * network or DNS failure on the last try ("connection timed out",
	 * "try again later") is why the queue expired, not another cause */
	bool expired = si != NULL && si->reason != NULL &&
		       strcmp(si->reason, "expired") == 0;
	bool names_cause = r != NULL && strcmp(r->reason, "networkerror") != 0;
	if (si != NULL && si->specific && si->reason != NULL &&
	    !(x11 && r != NULL && outranks_user_unknown(r->reason)) &&
	    !(expired && names_cause)) {
		out->reason = si->reason;
		out->rule = "status";
	}
	if (out->reason == NULL && r != NULL) {
		take_rule(out, r, status, smtp_code);
		/* generic "user unknown" wording is the address's unless a
		 * filter said it (after DATA):
		 * then a filter at the receiving side refused the message,
		 * and the address may well exist.  x.1.0/x.1.1/x.1.3 place
		 * it at the address whatever the stage */
		if (strcmp(r->reason, "userunknown") == 0 &&
		    strncmp(r->name, "user-unknown", 12) == 0 &&
		    !address_status(status) &&
		    filter_evidence(smtp_command)) {
			derive(out, "filtered", "user-unknown-after-data");
			return;
		}
		/* generic "no such domain" wording under a transient status
		 * (4.x.x, or a 4xx reply): the lookup failed this time
		 * (NXDOMAIN from a resolver that is retrying), the domain is
		 * not proven dead */
		if (strcmp(r->reason, "hostunknown") == 0 &&
		    transient(status, smtp_code)) {
			derive(out, "networkerror", "host-unknown-transient");
			return;
		}
		return;
	}
	if (out->reason == NULL && si != NULL && si->reason != NULL) {
		out->reason = si->reason;
		out->rule = "status";
		/* x.4.4 unable to route, under a transient status: the
		 * lookup failed this time, the domain is not proven dead */
		if (strcmp(si->reason, "hostunknown") == 0 &&
		    transient(status, smtp_code))
			out->reason = "networkerror";
	}
	/* RFC 5321 500-504: the command itself was refused */
	if (out->reason == NULL && smtp_code != NULL && smtp_code[0] == '5' &&
	    smtp_code[1] == '0' && smtp_code[2] >= '0' && smtp_code[2] <= '4') {
		out->reason = "syntaxerror";
		out->rule = "smtp-code";
	}
	if (out->reason == NULL) {
		bool evidence =
		    (status && (status[0] == '5' || status[0] == '4')) ||
		    (smtp_code && (smtp_code[0] == '5' || smtp_code[0] == '4')) ||
		    (diagnostic != NULL && *diagnostic);
		out->reason = evidence ? "undefined" : "onhold";
		out->rule = "default";
	}
	out->hard = rb_reason_hard(out->reason, status, smtp_code);
}
