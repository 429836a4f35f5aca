/*
 * abuse: complaint reports that ISPs' and mailbox providers' abuse desks
 * write as plain text (no ARF part): "We have received complaints from
 * our customers about unsolicited bulk e-mail originating from an IP
 * address in your network", SpamCop's "[ Offending message ]" reports,
 * and their translations.  Each is one event of kind complaint, reason
 * feedback: feedback_type abuse (fraud when it reports phishing or
 * fraud, virus when malware), source_ip from the report's own text, the
 * reported message's identifiers as the original (an attached message
 * part, X-ARF's evidence, before header lines in the text), and the
 * recipient
 * only when the reported message names exactly one (abuse desks usually
 * remove it; the event is then stored with no recipient and suppresses
 * nobody, like a redacted ARF report).
 *
 * Evidence needed, all of it: the report comes from an abuse desk (its
 * From names abuse or SpamCop) or its subject names a spam or abuse
 * complaint; its own text (above the reported message) speaks of spam,
 * unsolicited mail, abuse or complaints; and it points at something: a
 * reported message below, or an IP address.  Never a delivery system's
 * notice, a report structure (DSN, ARF), a text that asks the reader to
 * act on a web page, a desk's acknowledgement of a report someone sent
 * it ("Thank you for your report"), a desk's answer in a conversation
 * (a reply or forward prefix in the subject: a report starts a thread),
 * or an X-ARF report about something else than mail (a login attack, a
 * port scan: its Report-Type and Service say so).
 */
#ifndef RB_ABUSE_H
#define RB_ABUSE_H

#include "module.h"

extern const struct rb_module rb_mod_abuse_desk;

#endif
