#include "status.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

static const struct rb_status_info table[] = {
    {"0.0", "Other undefined status", NULL, false},
    /* an address was at fault, the text does not say which way */
    {"1.0", "Other address status", "userunknown", false},
    {"1.1", "Bad destination mailbox address", "userunknown", true},
    {"1.2", "Bad destination system address", "hostunknown", true},
    {"1.3", "Bad destination mailbox address syntax", "userunknown", false},
    /* the address names no single mailbox: not proof that none exists */
    {"1.4", "Destination mailbox address ambiguous", "filtered", false},
    {"1.5", "Destination address valid", "delivered", false},
    {"1.6", "Destination mailbox has moved, no forwarding address",
     "hasmoved", true},
    {"1.7", "Bad sender's mailbox address syntax", "rejected", false},
    {"1.8", "Bad sender's system address", "rejected", false},
    {"1.9", "Message relayed to non-compliant mailer", "systemerror",
     false},
    /* RFC 7505: the domain publishes that it accepts no mail; not
     * decisive: Microsoft uses 5.1.10 for an unknown recipient */
    {"1.10", "Recipient address has null MX", "notaccept", false},
    /* the mailbox (not the address) refused, for no stated reason */
    {"2.0", "Other or undefined mailbox status", "filtered", false},
    {"2.1", "Mailbox disabled, not accepting messages", "suspend", false},
    {"2.2", "Mailbox full", "mailboxfull", true},
    {"2.3", "Message length exceeds administrative limit", "exceedlimit",
     true},
    {"2.4", "Mailing list expansion problem", "filtered", false},
    {"3.0", "Other or undefined mail system status", "systemerror", false},
    {"3.1", "Mail system full", "systemfull", true},
    {"3.2", "System not accepting network messages", "notaccept", false},
    {"3.3", "System not capable of selected features", "systemerror",
     false},
    {"3.4", "Message too big for system", "mesgtoobig", true},
    {"3.5", "System incorrectly configured", "systemerror", false},
    {"3.6", "Requested priority was changed", NULL, false},
    {"4.0", "Other or undefined network or routing status", "networkerror",
     false},
    {"4.1", "No answer from host", "networkerror", false},
    {"4.2", "Bad connection", "networkerror", false},
    {"4.3", "Directory server failure", "systemerror", false},
    {"4.4", "Unable to route", "hostunknown", false},
    {"4.5", "Mail system congestion", "toomanyconn", false},
    {"4.6", "Routing loop detected", "networkerror", false},
    {"4.7", "Delivery time expired", "expired", true},
    {"5.0", "Other or undefined protocol status", NULL, false},
    {"5.1", "Invalid command", "syntaxerror", false},
    {"5.2", "Syntax error", "syntaxerror", false},
    {"5.3", "Too many recipients", "toomanyconn", false},
    {"5.4", "Invalid command arguments", "syntaxerror", false},
    {"5.5", "Wrong protocol version", "systemerror", false},
    {"5.6", "Authentication exchange line is too long", "syntaxerror",
     false},
    {"6.0", "Other or undefined media error", "contenterror", false},
    {"6.1", "Media not supported", "contenterror", false},
    {"6.2", "Conversion required and prohibited", "contenterror", false},
    {"6.3", "Conversion required but not supported", "contenterror", false},
    {"6.4", "Conversion with loss performed", "contenterror", false},
    {"6.5", "Conversion failed", "contenterror", false},
    {"6.6", "Message content not available", "contenterror", false},
    {"6.7", "Non-ASCII addresses not permitted for that sender/recipient",
     "contenterror", false},
    {"6.8", "UTF-8 string reply is required, but not permitted by the client",
     "contenterror", false},
    {"6.9", "UTF-8 header message cannot be transferred", "contenterror",
     false},
    {"6.10", "Invalid UTF-8 in message", "contenterror", false},
    {"7.0", "Other or undefined security status", "securityerror", false},
    {"7.1", "Delivery not authorized, message refused", "rejected", false},
    {"7.2", "Mailing list expansion prohibited", "rejected", false},
    {"7.3", "Security conversion required but not possible",
     "securityerror", false},
    {"7.4", "Security features not supported", "securityerror", false},
    {"7.5", "Cryptographic failure", "securityerror", false},
    {"7.6", "Cryptographic algorithm not supported", "securityerror", false},
    {"7.7", "Message integrity failure", "securityerror", false},
    {"7.8", "Authentication credentials invalid", "securityerror", false},
    {"7.9", "Authentication mechanism is too weak", "securityerror", false},
    {"7.10", "Encryption needed", "securityerror", false},
    {"7.11", "Encryption required for requested authentication mechanism",
     "securityerror", false},
    {"7.12", "A password transition is needed", "securityerror", false},
    {"7.13", "User account disabled", "suspend", true},
    {"7.14", "Trust relationship required", "securityerror", false},
    {"7.15", "Priority level is too low", NULL, false},
    {"7.16", "Message is too big for the specified priority", "mesgtoobig",
     true},
    {"7.17", "Mailbox owner has changed", "hasmoved", true},
    {"7.18", "Domain owner has changed", "hasmoved", true},
    {"7.19", "RRVS test cannot be completed", NULL, false},
    {"7.20", "No passing DKIM signature found", "authfailure", true},
    {"7.21", "No acceptable DKIM signature found", "authfailure", true},
    {"7.22", "No valid author-matched DKIM signature found", "authfailure",
     true},
    {"7.23", "SPF validation failed", "authfailure", true},
    {"7.24", "SPF validation error", "authfailure", true},
    {"7.25", "Reverse DNS validation failed", "requireptr", true},
    {"7.26", "Multiple authentication checks failed", "authfailure", true},
    {"7.27", "Sender address has null MX", "notaccept", true},
    {"7.28", "Mail flood detected", "spamdetected", false},
    {"7.29", "ARC validation failure", "authfailure", true},
    {"7.30", "REQUIRETLS support required", "securityerror", true},
};

const struct rb_status_info *
rb_status_table(size_t *n)
{
	*n = sizeof(table) / sizeof(table[0]);
	return table;
}

/* length of a well-formed code at s, 0 if none */
static size_t
code_len(const char *s, size_t n)
{
	size_t i = 0;
	if (n < 5 || (s[0] != '2' && s[0] != '4' && s[0] != '5') || s[1] != '.')
		return 0;
	i = 2;
	size_t d = 0;
	while (i < n && isdigit((unsigned char)s[i]) && d < 3)
		i++, d++;
	if (d == 0 || i >= n || s[i] != '.')
		return 0;
	i++;
	d = 0;
	while (i < n && isdigit((unsigned char)s[i]) && d < 3)
		i++, d++;
	if (d == 0 || (i < n && isdigit((unsigned char)s[i])))
		return 0;
	return i;
}

bool
rb_status_valid(const char *s)
{
	size_t n = strlen(s);
	return n > 0 && code_len(s, n) == n;
}

const struct rb_status_info *
rb_status_lookup(const char *status)
{
	if (status == NULL || !rb_status_valid(status))
		return NULL;
	const char *sd = status + 2;
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (strcmp(table[i].code, sd) == 0)
			return &table[i];
	return NULL;
}

/* text[c] is ':' ending a label ("ERROR_CODE :5.1.1", "code:550"), not
 * part of a time, an IPv6 address or a port ("10:5", "::5", "host:25") */
static bool
label_colon(const char *text, size_t c)
{
	size_t j = c;
	while (j > 0 && text[j - 1] == ' ')
		j--;
	if (j == 0)
		return false;
	unsigned char p = (unsigned char)text[j - 1];
	return isalpha(p) || p == '_';
}

char *
rb_status_find(struct rb_arena *a, const char *text, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		/* "550-5.1.1": a multi-line reply's code, then the status */
		bool reply_dash = i >= 4 && text[i - 1] == '-' &&
				  isdigit((unsigned char)text[i - 2]) &&
				  isdigit((unsigned char)text[i - 3]) &&
				  isdigit((unsigned char)text[i - 4]) &&
				  (i == 4 || !isalnum((unsigned char)text[i - 5]));
		if (i > 0 && !reply_dash &&
		    (isalnum((unsigned char)text[i - 1]) ||
		     text[i - 1] == '.' || text[i - 1] == '/' ||
		     text[i - 1] == '-' ||
		     (text[i - 1] == ':' && !label_colon(text, i - 1))))
			continue;
		size_t l = code_len(text + i, n - i);
		if (l == 0)
			continue;
		/* not part of an IP address or version: 5.1.1.1 */
		if (i + l < n && (text[i + l] == '.' || text[i + l] == '-') &&
		    i + l + 1 < n && isdigit((unsigned char)text[i + l + 1]))
			continue;
		return rb_arena_strndup(a, text + i, l);
	}
	return NULL;
}

char *
rb_smtp_code_find(struct rb_arena *a, const char *text, size_t n)
{
	for (size_t i = 0; i + 3 <= n; i++) {
		if (i > 0 && (isalnum((unsigned char)text[i - 1]) ||
			      text[i - 1] == '.' || text[i - 1] == '-' ||
			      (text[i - 1] == ':' && !label_colon(text, i - 1)) ||
			      text[i - 1] == '/' || text[i - 1] == '#' ||
			      text[i - 1] == '['))
			continue;
		if (!(text[i] == '2' || text[i] == '4' || text[i] == '5'))
			continue;
		if (!isdigit((unsigned char)text[i + 1]) ||
		    !isdigit((unsigned char)text[i + 2]))
			continue;
		if (text[i + 1] > '5')
			continue;
		char next = i + 3 < n ? text[i + 3] : ' ';
		if (next != ' ' && next != '-' && next != '\t' &&
		    next != '\n' && next != '\r' && next != ')')
			continue;
		return rb_arena_strndup(a, text + i, 3);
	}
	return NULL;
}
