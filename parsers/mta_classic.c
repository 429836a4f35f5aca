/*
 * mta_classic: the classic Unix MTAs and the plain-text templates of
 * appliances and providers, as data for the mta_text engine.
 *
 * Order matters: the first dialect whose evidence is all present reads
 * the mail.  Specific templates (a product's own X-header or wording)
 * come before the families they resemble (mxlogic and mailru look like
 * Exim; activehunter and bigfoot like Sendmail; x2 and x4 like qmail),
 * and the generic catch-all for unknown MTAs comes last.  Detection uses
 * only substring tests on From, Subject, a few headers and the first
 * RB_TD_SCAN bytes of the bounce text, so a mail that is none of these
 * costs a handful of memmem calls.
 */
#include <string.h>

#include "module.h"
#include "mta_text.h"

#define L(...) ((const char *const[]){__VA_ARGS__, NULL})

/* From of a delivery system (any of) */
#define DAEMON L("mailer-daemon", "postmaster", "mail delivery", "MAILER_DAEMON", "post_master")

static const struct rb_text_dialect dialects[] = {
    /* m-FILTER (Japanese appliance): "-------server message" blocks */
    {.name = "mfilter",
     .header = L("X-Mailer: m-FILTER"),
     .cut = L("-------original message", "-------original mail info"),
     .diag_block = L("-------server message"),
     .cmd_block = L("-------SMTP command")},
    /* Active!Hunter: Sendmail-like, ">>> addr <addr>" */
    {.name = "activehunter",
     .header = L("Content-Type: Active!Hunter"),
     .start = L("following addresses had")},
    /* Apache James: "RCPT TO: addr" in the message details */
    {.name = "apachejames",
     .body = L("Message details:"),
     .from = DAEMON,
     .labels = L("RCPT TO:"),
     .diag_block = L("Error message below:"),
     .flags = RB_TD_NO_ADDR_LINES | RB_TD_REGION_DIAG},
    {.name = "apachejames",
     .header = L("X-Mailer: JAMES"),
     .labels = L("RCPT TO:"),
     .diag_block = L("Error message below:"),
     .flags = RB_TD_NO_ADDR_LINES | RB_TD_REGION_DIAG},
    /* X6: "The following recipients returned permanent errors: addr." */
    {.name = "x6",
     .body = L("We had trouble delivering your message"),
     .labels = L("rejected recipient", "recipients returned permanent errors:",
		 "recipients returned temporary errors:",
		 "recipients returned errors:")},
    /* MailMarshal: the reason above "The following recipients were
     * affected:" */
    {.name = "mailmarshal",
     .body = L("The following recipients were affected"),
     .cut = L("Additional Information"),
     .flags = RB_TD_REGION_DIAG},
    /* Verizon MMSC: the only address is the summary's "To:" */
    {.name = "verizon",
     .from = L("vzwpix.com", "vtext.com", "MMSC"),
     .body = L("Message could not be delivered to mobile"),
     .labels = L("To:"),
     .flags = RB_TD_NO_ADDR_LINES | RB_TD_REGION_DIAG |
	      RB_TD_NO_COMMON_CUT},
    /* au by KDDI */
    {.name = "kddi",
     .body = L("Could not be delivered to:"),
     .labels = L("Could not be delivered to:"),
     .flags = RB_TD_NO_ADDR_LINES},
    /* EZweb (au): "<addr>" lines, the reason around them */
    {.name = "ezweb",
     .from = L("ezweb.ne.jp"),
     .flags = RB_TD_REGION_DIAG | RB_TD_BEFORE_DSN},
    /* fml mailing list manager */
    {.name = "fml",
     .header = L("X-MLServer: fml"),
     .cut = L("Original mail as follows"),
     .labels = L("not a member of this mailing list",
		 "Duplicated Message-ID in"),
     .flags = RB_TD_NO_ADDR_LINES | RB_TD_REGION_DIAG},
    /* Sun/Oracle Messaging Server (PMDF) */
    {.name = "messagingserver",
     .body = L("Your message cannot be delivered to the following",
	       "This report relates to a message you sent"),
     .labels = L("Recipient address:"),
     .flags = RB_TD_NO_ADDR_LINES},
    /* Ipswitch IMail Server */
    {.name = "imailserver",
     .header = L("X-Mailer: <SMTP32"),
     .flags = RB_TD_NO_ADDR_LINES | RB_TD_TRAILING_ADDR},
    /* MailFoundry */
    {.name = "mailfoundry",
     .subject = L("Message delivery has failed"),
     .body = L("Unable to deliver message to:"),
     .labels = L("Unable to deliver message to:"),
     .flags = RB_TD_NO_ADDR_LINES},
    /* Trend Micro InterScan */
    {.name = "trendmicro",
     .from = L("InterScan", "Trend Micro"),
     .labels = L("Unable to deliver message to", "could not be delivered to"),
     .flags = RB_TD_NO_ADDR_LINES},
    {.name = "trendmicro",
     .body = L("Message from InterScan"),
     .labels = L("Unable to deliver message to", "could not be delivered to"),
     .flags = RB_TD_NO_ADDR_LINES},
    /* X2, second template: "Delivery failed: addr" */
    {.name = "x2",
     .body = L("Your delivery to the following address has been failed",
	       "This Delivery Status Notification is sent from MTA"),
     .labels = L("Delivery failed:"),
     .flags = RB_TD_NO_ADDR_LINES},
    /* McAfee appliances, plain part */
    {.name = "mcafee",
     .body = L("--- The following addresses had delivery problems ---")},
    /* amavisd-new non-delivery reports */
    {.name = "amavis",
     .body = L("was generated by the program amavisd-new",
	       "The message WAS NOT relayed to")},
    /* MX Logic (Exim-based) */
    {.name = "mxlogic",
     .header = L("X-MX-Bounce", "X-MXL-NoteHash"),
     .start = L("following address failed", "following address(es) failed",
		"could not be delivered to one or more"),
     .flags = RB_TD_QUALIFY | RB_TD_XFR},
    /* 1&1 and GMX (Exim-derived wording) */
    {.name = "einsundeins",
     .from = L("kundenserver", "1and1", "ionos"),
     .body = L("This message was created automatically by mail delivery"),
     .start = L("following address failed", "following address"),
     .flags = RB_TD_QUALIFY | RB_TD_XFR},
    {.name = "gmx",
     .from = L("gmx."),
     .body = L("This message was created automatically by mail delivery"),
     .start = L("following address failed", "following address"),
     .flags = RB_TD_QUALIFY | RB_TD_XFR},
    /* Mail.ru: Russian then English, Exim underneath.  The Exim-based
     * templates share Exim's ways of naming a recipient: a bare local
     * part for a local alias, X-Failed-Recipients */
    {.name = "mailru",
     .from = L("mail.ru", "mail.ua", "inbox.ru", "list.ru", "bk.ru"),
     .body = L("This message was created automatically by mail delivery",
	       "Mail.Ru"),
     .flags = RB_TD_QUALIFY | RB_TD_XFR},
    /* Exim delay warnings */
    {.name = "exim",
     .subject = L("Warning: message"),
     .body = L("This message was created automatically by mail delivery"),
     .start = L("has not yet been delivered to all of its recipients",
		"following address(es) deferred",
		"following addresses have not yet been delivered"),
     .cut = L("No action is required on your part"),
     .flags = RB_TD_DELAY},
    /* Exim 3: "|---- Failed addresses follow: ----|" */
    {.name = "exim",
     .body = L("Failed addresses follow:"),
     .start = L("Failed addresses follow:"),
     .cut = L("Message text follows")},
    /* Exim's notice about header addresses it could not parse ("A
     * message that you sent contained one or more recipient addresses
     * that were incorrectly constructed"): each entry is the header text
     * as written, then ": " and the error, "  kijitora@example.com
     * <neko@example.net>: malformed address: <neko@example.net> may not
     * follow kijitora@example.com".  An entry always has its colon; a
     * line that is only an address is the error's text wrapped (the
     * address after "may not follow"), never another entry. */
    {.name = "exim",
     .from = DAEMON,
     .body = L("incorrectly constructed"),
     .start = L("incorrectly constructed"),
     .cut = L("This address has been ignored", "These addresses have been ignored",
	      "Reporting-MTA:"),
     .flags = RB_TD_ADDR_COLON},
    /* Exim */
    {.name = "exim",
     .body = L("This message was created automatically by mail delivery",
	       "could not be delivered to one or more of its",
	       "recipient addresses that were incorrectly constructed",
	       "This is a copy of your message"),
     .start = L("address(es) failed", "following address failed",
		"following addresses failed", "incorrectly constructed"),
     .labels = L("generated by"),
     .cut = L("Reporting-MTA:"),
     .flags = RB_TD_QUALIFY | RB_TD_XFR | RB_TD_EXIM_LINES},
    {.name = "exim",
     .header = L("X-Failed-Recipients"),
     .cut = L("Reporting-MTA:"),
     .flags = RB_TD_XFR | RB_TD_EXIM_LINES},
    /* Exim's notices about a message that failed as a whole (rejected by
     * the local scan or an ACL, no or too many recipients, too big, an
     * overlong header, recipient addresses that are not addresses at
     * all, a system failure): no address is named (a recipient null
     * event; VERP may name it).  moan.c writes these without the
     * "created automatically" line of deliver.c's bounces, under
     * "Subject: Mail failure - ..." */
    {.name = "exim",
     .from = DAEMON,
     .body = L("This message was created automatically by mail delivery",
	       "A message that you sent",
	       "while processing a message that you sent"),
     .labels = L("A message that you sent was rejected",
		 "A message that you sent contained no recipient",
		 "A message that you sent contained more recipients",
		 "A message that you sent has not been delivered to any",
		 "A message that you sent was longer than",
		 "A message that you sent contained a header",
		 "A message that you sent contained one or more recipient",
		 "A message that you sent contained a recipient address",
		 "A message that you sent using the -t",
		 "while processing a message that you sent",
		 "It was not delivered to any recipients"),
     .cut = L("Reporting-MTA:"),
     .flags = RB_TD_NO_ADDR_LINES | RB_TD_NAMELESS | RB_TD_REGION_DIAG},
    /* qmail and its descendants */
    {.name = "qmail",
     .body = L("This is the qmail-send program",
	       "I'm afraid I wasn't able to deliver your message",
	       "I'm not going to try again"),
     .start = L("I'm afraid I wasn't able to deliver",
		"This is a permanent error", "unable to deliver")},
    /* X2 (qmail-derived provider template) */
    {.name = "x2",
     .body = L("Unable to deliver message to the following address"),
     .start = L("Unable to deliver message to the following address")},
    /* X4 (qmail-derived) */
    {.name = "x4",
     .body = L("Your mail message to the following address",
	       "could not be delivered. This is a permanent error"),
     .start = L("could not be delivered", "permanent error")},
    /* Courier MTA */
    {.name = "courier",
     .body = L("running the Courier mail server", "Courier mail server"),
     .start = L("cannot be delivered:", "following recipients",
		"DELAYED MAIL", "UNDELIVERABLE MAIL")},
    /* OpenSMTPD's delay warning ("A message is delayed for more than 4h
     * for the following list of recipients") */
    {.name = "opensmtpd",
     .from = DAEMON,
     .body = L("A message is delayed for more than"),
     .start = L("A message is delayed for more than"),
     .cut = L("Please note that this is only a temporary failure",
	      "Below is a copy of the original message"),
     .flags = RB_TD_DELAY},
    /* OpenSMTPD's temporary failure report: the same list as its
     * bounce, then "Please note that this is only a temporary failure
     * report.  The message is kept in the queue for up to 4 days." */
    {.name = "opensmtpd",
     .body = L("this is only a temporary failure report"),
     .start = L("following list of recipients", "An error has occurred"),
     .cut = L("Please note that this is only a temporary failure",
	      "Below is a copy of the original message"),
     .flags = RB_TD_DELAY},
    /* OpenSMTPD */
    {.name = "opensmtpd",
     .body = L("This is the MAILER-DAEMON, please DO NOT REPLY",
	       "An error has occurred while attempting to deliver a message"),
     .start = L("following list of recipients", "An error has occurred")},
    /* X1 (Mail2000 style): "addr [reason]" */
    {.name = "x1",
     .body = L("---The following addresses had delivery errors---"),
     .start = L("---The following addresses had delivery errors---")},
    /* X3: DSN-worded text with a bulleted list */
    {.name = "x3",
     .from = L("Mail Delivery System"),
     .body = L("This is an automatically generated Delivery Status"),
     .start = L("Delivery to the following recipients")},
    /* Sendmail's warning ("transient non-fatal errors"): a delay, when
     * no DSN part said so */
    {.name = "sendmail",
     .body = L("----- The following addresses had transient non-fatal errors",
	       "The following addresses had transient non-fatal errors"),
     .start = L("following addresses had transient"),
     .cut = L("Reporting-MTA:", "Original message follows"),
     .flags = RB_TD_DELAY},
    /* Sendmail's human-readable part (the DSN part, when there is one,
     * was read by rfc3464 first) */
    {.name = "sendmail",
     .body = L("----- The following addresses had permanent fatal errors",
	       "The following addresses had permanent fatal errors",
	       "----- The following addresses had transient non-fatal errors"),
     .start = L("following addresses had"),
     .cut = L("Reporting-MTA:", "Original message follows")},
    /* Sendmail V5 and other transcript-only bounces */
    {.name = "v5sendmail",
     .body = L("----- Transcript of session follows -----"),
     .start = L("----- Transcript of session follows -----"),
     .flags = RB_TD_DIAG_ABOVE},
    /* Postfix's delay warning without a DSN part */
    {.name = "postfix",
     .body = L("THIS IS A WARNING ONLY"),
     .start = L("The Postfix program", "The mail system"),
     .flags = RB_TD_ADDR_COLON | RB_TD_DELAY},
    /* Postfix without a DSN part */
    {.name = "postfix",
     .body = L("This is the Postfix program", "This is the mail system at host",
	       "The Postfix program"),
     .start = L("The Postfix program", "The mail system"),
     .labels = L("In:  RCPT TO:", "In: RCPT TO:"),
     .flags = RB_TD_ADDR_COLON},
    /* Postfix's notice to the postmaster with the SMTP transcript */
    {.name = "postfix",
     .subject = L("Postfix SMTP server: errors from"),
     .body = L("Transcript of session follows"),
     .labels = L("In:  RCPT TO:", "In: RCPT TO:"),
     .flags = RB_TD_NO_ADDR_LINES | RB_TD_REGION_DIAG | RB_TD_INOUT},
    /* Unknown MTAs: a delivery system's notice that names recipients in
     * the usual ways, before the returned original */
    {.name = "textbounce",
     .from = DAEMON,
     .subject = L("undeliver", "returned mail", "failure", "failed",
		  "delivery status", "non-delivery", "not delivered",
		  "could not be delivered", "delivery problem", "bounce",
		  "rejected", "error",
		  /* localized subjects over an English body */
		  "unzustellbar", "nicht zugestellt", "fehlgeschlagen",
		  "non remis", "non distribu", "retourn", "chec de",
		  "non recapitabil", "no entregado", "no se pudo entregar",
		  "onbestelbaar", "niet bezorgd", "entregue",
		  "配信不能", "未配達", "退信"),
     .body = L("could not be delivered", "couldn't be delivered",
	       "was not delivered", "undeliverable", "unable to deliver",
	       "delivery failed", "failed permanently", "permanent error",
	       "following address", "following recipient", "did not reach"),
     .labels = L("following recipient:", "following recipients:",
		 "following address:", "following addresses:"),
     .flags = RB_TD_EVIDENCE},
};

static bool
detect(const struct rb_ctx *c)
{
	/* a parsed report structure belongs to the standard modules */
	if (c->m->feedback != NULL)
		return false;
	return c->m->body_len > 0;
}

static int
parse_dialects(struct rb_ctx *c, unsigned need)
{
	/* try every matching dialect in order: a template may match the
	 * evidence but name no recipient the way the dialect expects */
	struct rb_td_view v;
	rb_td_view_init(c, &v);
	for (size_t i = 0; i < sizeof(dialects) / sizeof(dialects[0]); i++) {
		if ((dialects[i].flags & need) != need)
			continue;
		if (!rb_text_dialect_detect(c, &v, &dialects[i]))
			continue;
		int n = rb_text_dialect_parse(c, &dialects[i]);
		if (n > 0 || c->error)
			return n;
	}
	return 0;
}

static int
parse(struct rb_ctx *c)
{
	return parse_dialects(c, 0);
}

/* the dialects whose text says more than their DSN part */
static bool
detect_early(const struct rb_ctx *c)
{
	return c->m->dsn != NULL && detect(c);
}

static int
parse_early(struct rb_ctx *c)
{
	return parse_dialects(c, RB_TD_BEFORE_DSN);
}

const struct rb_module rb_mod_mta_classic = {"mta-classic", detect, parse};
const struct rb_module rb_mod_mta_early = {"mta-early", detect_early,
					   parse_early};
