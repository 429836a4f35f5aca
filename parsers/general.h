/*
 * general: the general reader of delivery notices, beneath the templates.
 *
 * A mail no template or report structure explained, but which carries
 * delivery-system evidence (a daemon-like From, a bounce-like subject in
 * one of many languages, X-Failed-Recipients, a null sender together
 * with a reply code), is read for its failed recipients the way a person
 * reads an unknown notice:
 *
 *   - only the notice's own text counts: it ends where the returned
 *     original begins (a marker line, a header block at column 0,
 *     "> "-quoted lines are skipped), so a quoted original never names a
 *     failed recipient; its wording is read with white space squeezed
 *     (a line break inside a phrase does not hide it);
 *   - every address in that text is scored by its surroundings: a
 *     recipient label before it on its line ("Recipient:", "Failed
 *     recipient", "Undeliverable address", "Error-for", "[SMTP:",
 *     "dda:SMTP=", "your message to", "addressed to", their German,
 *     French, Spanish, Portuguese, Italian, Dutch and Chinese forms), the
 *     shape of its line (address-led, alone under a heading that names
 *     recipients or a failure, with or without a blank line between), a
 *     reply code or failure wording on its line or just below, an SMTP
 *     transcript's "RCPT TO:<addr>" answered by a 4xx/5xx reply (which
 *     outranks everything else);
 *   - and by exclusions: the notice's own From, To, Cc, Reply-To and
 *     Sender, the returned original's sender, contact lines ("please
 *     contact postmaster@..."), message identifiers, and a recipient
 *     the transcript shows accepted;
 *   - each address that scores enough becomes an event whose diagnostic
 *     is the text nearest to it that says why (its own line and the
 *     lines folded under it, else the closest line with a reply code,
 *     else the paragraph with the failure wording); reason and hard come
 *     from the same rules as every other parser (parse.c).
 *
 * Recipients that are not addresses: a strong label with a value that
 * is not one ("Recipient: jsmith (user not found)", "Failed recipient:
 * nobody@mailhost"), or an item of the list under a heading that says
 * the delivery failed (GroupWise's "jsmith (user not found)", Exchange
 * 5.5's "John Smith on <date>"), in a notice about the reader's own
 * message, is reported as written (recipient_as_written) unless it is
 * qualified unambiguously: the one address with that local part among
 * the returned original's To/Cc and the notice's own "To:" summary of
 * it, else the reporting system's own domain when every recipient the
 * original names is in it; a display name by the one "Name <addr>" there.
 * The notice's summary of the original ("Your message / To: x / ... /
 * was not delivered") names x only when nothing else names anyone, it
 * is introduced as the reader's message and followed by the failure,
 * and it holds exactly one address.
 *
 * Precision: a notice whose text asks the reader to act on a web page,
 * or that carries a link and no reply code, is not a bounce (phishing
 * dressed as one); nor is a quota or maintenance notice that states no
 * failed delivery.
 */
#ifndef RB_GENERAL_H
#define RB_GENERAL_H

#include "module.h"

extern const struct rb_module rb_mod_general;

/* The mail's From is a delivery system (mailer-daemon, postmaster, "Mail
 * Delivery System", a bounce address ...: the names the general reader
 * takes for delivery-system evidence). */
bool rb_general_daemon_sender(const struct rb_mail *m);

#endif
