/* reason: classification order (specific status, then text rules, then
 * the status's generic meaning, then undefined/onhold) and hard/soft. */
#include <stdlib.h>
#include <string.h>

#include "parsers/reason.h"
#include "t.h"

static const struct {
	const char *status, *smtp, *diag, *host;
	const char *reason;
	int hard;
	const char *why;
} cases[] = {
    {"5.1.1", "550", "550 5.1.1 message content rejected", NULL,
     "userunknown", 1, "a specific status wins over the text"},
    {"5.1.1", "550", "550 5.1.1 no such domain", NULL, "hostunknown", 1,
     "x.1.1 yields to host-not-found wording"},
    {"5.1.1", "550", "550 5.1.1 rate limit exceeded for this recipient",
     NULL, "speeding", 0, "x.1.1 yields to rate-limit wording"},
    {NULL, "550", "550 la cuenta de correo no existe", NULL, "userunknown",
     1, "a localised verdict needs no SMTP stage"},
    {"4.4.1", NULL, "Envelope expired after 5 days", NULL, "expired", 0,
     "envelope expiry"},
    {"5.0.0", "550", "550 Client host rejected: Access denied", NULL,
     "blocked", 0, "Postfix's Client host rejected"},
    {NULL, "451", "451 4.3.0 No space left on device", NULL, "systemfull", 0,
     "a full disk is the system's, not the mailbox's"},
    {NULL, "421", "421 Temporary problem, in the queue too long; try again later",
     NULL, "expired", 0, "try again later yields to queue expiry"},
    {NULL, "550", "550 5.7.1 cox.net sender rejected AUP#CXDNS", NULL,
     "requireptr", 0, "a provider's code table"},
    {"5.1.1", "550", "550 5.1.1 mailbox full", NULL, "mailboxfull", 0,
     "x.1.1 yields to full-mailbox wording (as Sisimai)"},
    {"5.2.2", "552", "552 5.2.2 user unknown", NULL, "mailboxfull", 0,
     "x.2.2 is mailboxfull whatever the text; soft"},
    {"5.7.1", "554", "554 5.7.1 Relay access denied", NULL, "norelaying", 0,
     "a generic status lets the text decide"},
    {"5.7.1", "550", "550 5.7.1 go away", NULL, "rejected", 0,
     "generic status meaning when no rule matches"},
    {NULL, "550", "550 No such user here", NULL, "userunknown", 1,
     "no status, no SMTP stage: user-unknown wording is taken at its word"},
    {"5.1.0", "550", "550 5.1.0 No such user here", NULL, "userunknown", 1,
     "x.1.0 places user-unknown wording at the address"},
    {"5.1.3", "553", "553 5.1.3 invalid recipient", NULL, "userunknown", 1,
     "x.1.3 places user-unknown wording at the address"},
    {"5.2.1", "550", "550 5.2.1 Unknown user", NULL, "userunknown", 1,
     "x.2.1 without a stage: no evidence of a filter"},
    {"4.1.1", "450", "450 4.1.1 <a@example.org>: Recipient address "
     "rejected: User unknown in local recipient table", NULL,
     "userunknown", 0, "a 4xx user unknown is soft: the server asks again"},
    {"4.4.7", NULL, "Connection timed out; delivery time expired", NULL,
     "expired", 0, "x.4.7 does not yield to a network failure"},
    {NULL, "550", "550 Host unknown; but the message has been in the queue "
     "for 5 days", NULL, "hostunknown", 1, "host unknown before expiry"},
    {NULL, "451", "451 DNS lookup failure; message has been in the queue "
     "too long, try again later", NULL, "expired", 0,
     "a queue that expired before network wording"},
    {NULL, "550", "550 5.7.1 Client host rejected: cannot find your "
     "reverse hostname, [192.0.2.1]", NULL, "requireptr", 0,
     "Postfix reject_unknown_reverse_client_hostname"},
    {NULL, "554", "554 5.7.1 Client host rejected: Access denied", NULL,
     "blocked", 0, "Postfix client restriction, no text between"},
    {NULL, "554", "554 5.7.1 Client host mx.example.org[192.0.2.1] "
     "rejected by policy", NULL, "blocked", 0,
     "Postfix client restriction, host between"},
    {NULL, "450", "450 4.1.8 <a@example.invalid>: Sender address rejected: "
     "need fully-qualified address", NULL, "rejected", 0,
     "the sender's address"},
    {NULL, "452", "452 4.3.1 Insufficient disk space; try again later",
     NULL, "systemfull", 0, "the disk, not the mailbox"},
    {NULL, "452", "452 Insufficient system storage", NULL, "systemfull", 0,
     "insufficient system storage"},
    {NULL, "451", "451 Ratelimit exceeded for sender", NULL, "toomanyconn",
     0, "a rate limit"},
    {NULL, "553", "553 sorry, that domain isn't in my list of allowed "
     "rcpthosts (#5.7.1)", NULL, "norelaying", 0, "qmail's relay refusal"},
    {NULL, "550", "550 all relevant MX records point to non-existent hosts",
     NULL, "hostunknown", 1, "Exim's host not found"},
    {NULL, NULL, "Host or domain name not found. Name service error for "
     "name=example.org type=MX: Host not found, try again", NULL,
     "networkerror", 0, "Postfix's TRY_AGAIN is not a missing domain"},
    {NULL, "451", "451 4.4.0 DNS lookup failure: Host or domain name not "
     "found", NULL, "networkerror", 0, "no such domain under a 4xx reply"},
    {NULL, "450", "450 4.2.0 <a@example.org>: Recipient address rejected: "
     "Greylisted, see http://postgrey.schweikert.ch/help/example.org.html",
     NULL, "blocked", 0, "greylisting refuses the host for now"},
    {NULL, "421", "421 4.7.0 [GL01] Message from (192.0.2.1) temporarily "
     "deferred - 4.16.50", NULL, "badreputation", 0, "Yahoo's GL01"},
    {NULL, "550", "550 5.7.1 Mail appears to be unsolicited - report errors "
     "to postmaster", NULL, "spamdetected", 0, "unsolicited mail"},
    {NULL, "550", "550 Helo command rejected: Host not found", NULL,
     "blocked", 0, "the HELO name, not the recipient's domain"},
    {NULL, NULL, "Sorry, I wasn't able to establish an SMTP connection. "
     "(#4.4.1) I'm not going to try again; this message has been in the "
     "queue too long.", NULL, "networkerror", 0,
     "qmail's cause line wins over its expiry boilerplate"},
    {NULL, "550", "550 192.0.2.1 is not allowed to send mail from "
     "example.org. Please see http://www.openspf.org/Why?scope=mfrom;"
     "identity=a@example.org;ip=192.0.2.1", NULL, "authfailure", 0,
     "Exim's SPF ACL message"},
    {NULL, NULL, "This address no longer accepts mail.", NULL, "hasmoved", 1,
     "a closed address"},
    {NULL, "500", "500 (err.nosuchuser)", NULL, "userunknown", 1,
     "a no-such-user token beats the 500 reply's syntaxerror"},
    {NULL, "550", "550 SPF: 192.0.2.1 is not allowed to send mail from "
     "example.org. Please see http://www.openspf.net/Why?s=mfrom", NULL,
     "authfailure", 0, "policyd-spf's refusal"},
    {NULL, "550", "550 computer says no", NULL, "undefined", 0,
     "failure evidence but nothing known: undefined"},
    {NULL, NULL, NULL, NULL, "onhold", 0, "no evidence at all: onhold"},
    {NULL, NULL, "something odd happened", NULL, "undefined", 0,
     "a failure's text without codes or rules: undefined"},
    {"5.0.0", NULL, "550 Host unknown", NULL, "hostunknown", 1,
     "x.0.0 says nothing: text"},
    {"4.4.7", NULL, "delivery time expired", NULL, "expired", 0,
     "expired is soft"},
    {"5.1.6", NULL, NULL, NULL, "hasmoved", 1, "hasmoved is hard"},
    {"5.3.2", "554", NULL, NULL, "notaccept", 1, "notaccept 5xx is hard"},
    {"4.3.2", "421", NULL, NULL, "notaccept", 0, "notaccept 4xx is soft"},
    {"5.1.2", NULL, NULL, NULL, "hostunknown", 1, "hostunknown is hard"},
    {"5.7.1", NULL, "disabled for real", "mx.scoped.example", "suspend", 1,
     "a host-scoped rule with hard yes"},
    {"5.7.1", NULL, "disabled for real", "mx.other.example", "rejected", 0,
     "the host-scoped rule does not apply elsewhere"},
    {"5.7.1", NULL, "you are reported", NULL, "blocked", 0,
     "a rule can mark a complaint signal"},
    {"5.2.2", "552", "552 5.2.2 Почтовый ящик переполнен", NULL,
     "mailboxfull", 0, "a localised full mailbox (Russian)"},
    {NULL, "550", "550 존재하지 않는 사용자입니다", NULL, "userunknown", 1,
     "a localised unknown user (Korean)"},
    {NULL, "553", "553 Adresa odesílatele neexistuje", NULL, "rejected", 0,
     "the sender's address, not the recipient's (Czech)"},
    {NULL, "550", "550 Dirección remitente desconocida", NULL, "rejected", 0,
     "the sender's address, not the recipient's (Spanish)"},
    {"5.4.4", "550",
     "550 5.4.4 ROUTING.NoConnectorForAddressType; unable to route", NULL,
     "systemerror", 0, "Exchange's own routing, not an unknown domain"},
    {"5.2.3", "550",
     "550 5.2.3 RESOLVER.RST.RecipSizeLimit; message too large", NULL,
     "mesgtoobig", 0, "Exchange's size code outranks the 5.2.3 status"},
    {"5.7.1", "550", "550 5.7.1 RESOLVER.RST.NotAuthorized; not authorized",
     NULL, "rejected", 0, "a restricted group refuses the sender"},
    {"5.0.0", NULL, "Diagnostic: unrecognized-OR-name", NULL, "userunknown",
     1, "X.400's unrecognized O/R name"},
    {"5.1.1", "550", "550 5.1.1 Recipient unavailable", NULL, "userunknown",
     1, "English 'recipient unavailable' is not X.400's diagnostic"},
    {"5.0.0", "554", "554 IPBL1001 listed", "mx.west.cox.net", "blocked", 0,
     "Cox's IPBL code on Cox's host"},
    {"5.0.0", "554", "554 IPBL1001 listed here", "mx.other.example",
     "undefined", 0,
     "IPBL elsewhere is not Cox's code"},
    {NULL, "452", "452-A caixa de correio do destinatario 452 esta cheia",
     NULL, "mailboxfull", 0,
     "a multi-line reply's repeated code does not split the sentence"},
    {"5.2.0", "550", "550-5.2.0 Sorry, the recipient's 550-5.2.0 mailbox "
     "is 550 5.2.0 full", NULL, "mailboxfull", 0,
     "repeated code and enhanced status dropped"},
    {NULL, "552", "552 Mailbox size limit exceeded", NULL, "mailboxfull", 0,
     "the mailbox's size limit is not the message's"},
    {NULL, "450", "450 4.7.1 Daily sending quota exceeded", NULL,
     "toomanyconn", 0, "the sender's quota is not the mailbox's"},
    {NULL, "550", "550 The recipient does not accept mail from your address",
     NULL, "filtered", 0, "a recipient's refusal is not a null MX"},
    {"5.7.1", "554", "554 5.7.1 Relaying is blocked", NULL, "norelaying", 0,
     "relaying blocked is a relay refusal"},
    {"5.7.1", "554", "554 5.7.1 Message blocked due to organizational policy",
     NULL, "policyviolation", 0, "a policy refusal of the message"},
    {"4.4.7", NULL, "Deferred: Connection refused by mx.example.org.", NULL,
     "blocked", 0, "a host that kept refusing under x.4.7 (as Sisimai)"},
    {NULL, "550", "550 Recipient unknown", NULL, "userunknown", 1,
     "recipient unknown"},
    {NULL, "553", "553 Sender address unknown", NULL, "rejected", 0,
     "the sender's unknown address is not the recipient's"},
};

int
main(void)
{
	const char *extra =
	    "rule scoped\nreason suspend\nhard yes\nhost \\.scoped\\.example$\n"
	    "match disabled for real\nexample disabled for real\n"
	    "rule complaint\nreason blocked\nfeedback abuse\n"
	    "match you are reported\nexample you are reported\n";
	size_t dn;
	const char *def = rb_rules_default_text(&dn);
	size_t n = strlen(extra) + dn;
	char *all = malloc(n + 1);
	memcpy(all, extra, strlen(extra));
	memcpy(all + strlen(extra), def, dn);
	all[n] = '\0';
	struct rb_limits lim = RB_LIMITS_DEFAULT;
	char *err = NULL;
	struct rb_rules *r = rb_rules_load(all, n, "test", &lim, &err);
	T_OK(r != NULL, "rules load");
	if (r == NULL) {
		printf("# %s\n", err);
		return 1;
	}
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct rb_classified c;
		rb_reason_classify(r, cases[i].status, cases[i].smtp,
				   cases[i].diag, cases[i].host, NULL, &c);
		T_STR(c.reason, cases[i].reason, "%s", cases[i].why);
		T_OK(c.hard == cases[i].hard, "%s: hard=%d", cases[i].why,
		     cases[i].hard);
	}
	struct rb_classified c;
	rb_reason_classify(r, NULL, NULL, "you are reported", NULL, NULL, &c);
	T_STR(c.feedback, "abuse", "feedback rule sets the feedback type");
	/* the SMTP command refines "user unknown" */
	rb_reason_classify(r, "5.0.0", "550", "550 Unknown user x@example.jp",
			   NULL, "DATA", &c);
	T_STR(c.reason, "filtered", "user unknown after DATA is filtered");
	rb_reason_classify(r, "5.0.0", "550", "550 Unknown user x@example.jp",
			   NULL, "RCPT", &c);
	T_STR(c.reason, "userunknown", "user unknown at RCPT is userunknown");
	rb_reason_classify(r, "5.1.1", "550", "550 5.1.1 Unknown user",
			   NULL, "DATA", &c);
	T_STR(c.reason, "userunknown", "x.1.1 stays userunknown after DATA");
	rb_reason_classify(r, "5.2.1", "550", "550 5.2.1 invalid mailbox",
			   NULL, "RCPT", &c);
	T_STR(c.reason, "userunknown", "user unknown at RCPT, any status");
	T_OK(c.hard == 1, "userunknown at RCPT is hard");
	rb_reason_classify(r, "5.7.1", "550", "550 5.7.1 no such recipient",
			   NULL, NULL, &c);
	T_STR(c.reason, "userunknown",
	      "user unknown without a stage: no evidence of a filter");
	T_OK(c.hard == 1, "an unknown user with a 5xx is hard");
	T_OK(c.rule != NULL && strncmp(c.rule, "user-unknown", 12) == 0,
	     "audit names the user-unknown rule that matched");
	rb_reason_classify(r, "5.7.1", "550", "550 5.7.1 no such recipient",
			   NULL, "RCPT", &c);
	T_STR(c.reason, "userunknown", "x.7 user unknown at RCPT: the address");
	T_OK(c.hard == 1, "an unknown user is hard");
	rb_reason_classify(r, NULL, "550", "550 Unknown user x@example.jp",
			   NULL, "MAIL", &c);
	T_STR(c.reason, "rejected", "user unknown after MAIL is the sender's");
	rb_reason_classify(r, NULL, "502", "502 go away", NULL, "CONN", &c);
	T_STR(c.reason, "blocked",
	      "a 50x reply at connection time refuses the client");
	rb_reason_classify(r, NULL, "502", "502 go away", NULL, "RCPT", &c);
	T_STR(c.reason, "syntaxerror", "a 50x reply to a command is syntax");
	rb_reason_classify(r, NULL, NULL, "Invalid final delivery userid", NULL,
			   NULL, &c);
	T_STR(c.reason, "userunknown",
	      "a product's own verdict (mta- rule) needs no stage");
	rb_reason_classify(r, "5.0.0", "554",
			   "554 delivery error: dd This user doesn't have a "
			   "example.org account (a@example.org) [0]",
			   NULL, NULL, &c);
	T_STR(c.reason, "userunknown",
	      "Yahoo's sentence about another domain is generic wording");
	rb_reason_classify(r, "5.0.0", "554",
			   "554 delivery error: dd This user doesn't have a "
			   "example.org account (a@example.org) [0]",
			   NULL, "DATA", &c);
	T_STR(c.reason, "filtered",
	      "generic wording after DATA: a filter's");
	rb_reason_classify(r, "5.0.0", "554",
			   "554 delivery error: dd This user doesn't have a "
			   "yahoo.com account (a@yahoo.com) [0]",
			   NULL, NULL, &c);
	T_STR(c.reason, "userunknown", "Yahoo's verdict on a yahoo.com address");

	/* a delay keeps a reason only when a text rule named the cause */
	rb_reason_classify(r, "4.4.1", "421", "421 No route to host", NULL,
			   NULL, &c);
	T_OK(rb_reason_from_text(&c), "a network rule is the text's cause");
	rb_reason_classify(r, "4.4.1", "421", "421 please come back", NULL,
			   NULL, &c);
	T_OK(!rb_reason_from_text(&c),
	     "the status class alone is not the text's cause (%s)", c.rule);
	rb_reason_classify(r, NULL, "451", "451 something odd", NULL, NULL,
			   &c);
	T_OK(!rb_reason_from_text(&c), "undefined is not a cause");
	rb_reason_classify(r, NULL, NULL,
			   "Operation timed out while talking to mx.example",
			   NULL, NULL, &c);
	T_STR(c.reason, "expired", "BSD's ETIMEDOUT wording is expired too");

	/* "access denied" names no client address: the transaction's */
	rb_reason_classify(r, "5.7.1", "550", "550 5.7.1 Access denied", NULL,
			   "MAIL", &c);
	T_STR(c.reason, "rejected", "access denied at MAIL is rejected");
	rb_reason_classify(r, NULL, "554", "554 access denied", NULL, "CONN",
			   &c);
	T_STR(c.reason, "blocked", "access denied at connection is blocked");
	/* no-such-domain wording under a transient status */
	rb_reason_classify(r, "4.0.0", NULL,
			   "lookup of example.invalid: domain not found", NULL,
			   NULL, &c);
	T_STR(c.reason, "networkerror", "4.x.x no such domain: networkerror");
	T_OK(c.hard == 0, "a transient DNS failure is soft");
	rb_reason_classify(r, "5.0.0", NULL,
			   "lookup of example.invalid: domain not found", NULL,
			   NULL, &c);
	T_STR(c.reason, "hostunknown", "5.x.x no such domain: hostunknown");
	/* au/KDDI: an empty address in the reply is the customer's filter */
	rb_reason_classify(r, "5.0.0", "550", "550 : User unknown",
			   "mx1.ezweb.ne.jp", "RCPT", &c);
	T_STR(c.reason, "filtered", "KDDI '550 : User unknown' even at RCPT");
	rb_reason_classify(r, "5.0.0", "550", "550 <a@au.com>: User unknown",
			   "msmx.au.com", NULL, &c);
	T_STR(c.reason, "userunknown", "KDDI names the missing address");
	rb_reason_classify(r, "5.0.0", "550", "550 <a@example.org>: User "
			   "unknown", "mx.example.org", NULL, &c);
	T_STR(c.reason, "userunknown", "elsewhere the same reply is generic");
	rb_reason_classify(r, "5.0.0", "550",
			   "550 'a@example.org' is not a registered gateway "
			   "user", NULL, NULL, &c);
	T_STR(c.reason, "rejected", "a gateway's unregistered user: sender");
	/* status codes' generic meanings */
	rb_reason_classify(r, "4.4.4", "451", NULL, NULL, NULL, &c);
	T_STR(c.reason, "networkerror", "4.4.4 unable to route: transient");
	rb_reason_classify(r, "5.4.4", "550", NULL, NULL, NULL, &c);
	T_STR(c.reason, "hostunknown", "5.4.4 unable to route: hostunknown");
	rb_reason_classify(r, "5.1.0", "550", "550 5.1.0 go away", NULL, NULL,
			   &c);
	T_STR(c.reason, "userunknown", "x.1.0 alone: an address at fault");
	rb_reason_classify(r, "5.1.0", "550", "550 5.1.0 go away", NULL,
			   "MAIL", &c);
	T_STR(c.reason, "rejected", "x.1.0 at MAIL: the sender's address");
	rb_reason_classify(r, NULL, NULL,
			   "mail.local: unknown user: kijitora 554 "
			   "<kijitora@example.net>... Service unavailable",
			   NULL, NULL, &c);
	T_STR(c.reason, "userunknown",
	      "a local delivery agent's verdict needs no SMTP stage");
	rb_reason_classify(r, "5.2.0", NULL, NULL, NULL, NULL, &c);
	T_STR(c.reason, "filtered", "x.2.0 alone: the mailbox refused");
	rb_reason_classify(r, "5.1.10", "550", NULL, NULL, NULL, &c);
	T_STR(c.reason, "notaccept", "x.1.10 alone: null MX (RFC 7505)");
	T_OK(c.hard == 1, "a permanent null MX is hard");
	rb_reason_classify(r, "5.1.10", "550",
			   "550 5.1.10 RESOLVER.ADR.RecipientNotFound; not "
			   "found",
			   NULL, NULL, &c);
	T_STR(c.reason, "userunknown", "Microsoft's 5.1.10 is a missing user");
	/* x.4.7 yields to the words of the last reply */
	rb_reason_classify(r, "4.4.7", "450", "450 4.2.2 <a@example.org>... "
			   "Mailbox Full", NULL, NULL, &c);
	T_STR(c.reason, "mailboxfull", "x.4.7 with full-mailbox wording");
	rb_reason_classify(r, "4.4.7", NULL, "queue time ran out", NULL, NULL,
			   &c);
	T_STR(c.reason, "expired", "x.4.7 without known wording: expired");
	rb_reason_classify(r, "5.4.312", "550",
			   "550 5.4.312 Message expired, DNS query failed",
			   NULL, NULL, &c);
	T_STR(c.reason, "networkerror", "expired because DNS kept failing");

	/* the vocabulary */
	T_OK(rb_reason_known("userunknown") && rb_reason_known("feedback") &&
		 rb_reason_known("vacation") && rb_reason_known("delivered"),
	     "vocabulary has bounce and non-bounce reasons");
	T_OK(!rb_reason_known("UserUnknown") && !rb_reason_known(""),
	     "unknown names refused");
	size_t k = 0;
	for (const char *const *p = rb_reason_all(); *p; p++)
		k++;
	T_OK(k == 34, "34 reasons (%zu)", k);
	T_OK(rb_reason_hard(NULL, NULL, NULL) == 0, "hard(NULL) is soft");
	rb_rules_free(r);
	free(all);
	T_DONE();
}
