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
 *     failed recipient;
 *   - every address in that text is scored by its surroundings: a
 *     recipient label before it on its line ("Recipient:", "Failed
 *     recipient", "Undeliverable address", "Error-for", "[SMTP:",
 *     "dda:SMTP=", "your message to", "addressed to", their German,
 *     French, Spanish, Portuguese, Italian, Dutch and Chinese forms), the
 *     shape of its line (address-led, alone under a heading that names
 *     recipients or a failure, with or without a blank line between), a
 *     reply code or failure wording on its line or just below, an SMTP
 *     transcript's "RCPT TO:<addr>" answered by a 4xx/5xx reply;
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
 * Precision: a notice whose text asks the reader to act on a web page,
 * or that carries a link and no reply code, is not a bounce (phishing
 * dressed as one); nor is a quota or maintenance notice that states no
 * failed delivery.  A labelled recipient that is not an address (a bare
 * local part, a screen name) is reported as written, flagged
 * (recipient_as_written), unless the returned original's headers qualify
 * it unambiguously.
 */
#ifndef RB_GENERAL_H
#define RB_GENERAL_H

#include "module.h"

extern const struct rb_module rb_mod_general;

#endif
