/*
 * lure: is a mail that a parser module read as a failed delivery really a
 * lure dressed as one?  Phishing copies the look of a bounce ("退信通知",
 * "系统退信", "Undeliverable", a provider's logo) to get the reader onto
 * a web page; a notice that tells a mailbox's owner about that mailbox
 * (full, to be upgraded, held mail to release, a password to confirm) is
 * no bounce of the owner's address either.  Read as bounces, both would
 * suppress a live customer's address.
 *
 * A bounce carries delivery-system evidence: a delivery-status part, a
 * returned original, an X-Failed-Recipients field, or a reply code or
 * enhanced status for a failed recipient.  A mail without any of it is a
 * lure when its own text (not a quoted original) asks the reader to act
 * (sign in, verify, upgrade, release, restore ...; in English or
 * Chinese), or when every failed recipient it names is its own addressee
 * (the owner's mailbox, not someone the owner wrote to: a real bounce
 * goes back to the sender of the failed mail and names where it could
 * not go), unless the notice quotes below it, as text, a returned
 * original that its addressee sent (mail to one's own full mailbox),
 * links to no web page and does not ask the reader to act; or when it
 * attaches a program, an archive or a web page (.exe, .scr, .zip,
 * .html, .svg ...: the "returned message" of a virus or a phishing kit;
 * a delivery system returns a message part).  A reply code in the text
 * alone (a lure can copy one) does not save a mail that links to a web
 * page and asks the reader to sign in, verify, upgrade or release.  parse.c drops such a mail's bounce and
 * delay events: it comes out as kind unknown.  Pure functions over the
 * mail view.
 */
#ifndef RB_LURE_H
#define RB_LURE_H

#include <stdbool.h>
#include <stddef.h>

#include "core/event.h"
#include "mail.h"

/* Does the text carry an SMTP reply code where a reply starts ("550 ",
 * "550-5.1.1", "554 DT:SPM") or an enhanced status ("5.1.1", "#5.5.4")?
 * Stricter than rb_line_has_code: a phone number ("400-820-...") or a
 * size ("4.5 GB") is not one. */
bool rb_lure_reply_code(const char *s, size_t n);

/* Does the text ask its reader to act on a web page or an account, in
 * Chinese (点击...验证, 请立即登录, 升级容量, 释放邮件, 将被永久删除
 * ...) or English (rb_provider_phishy's lures)?  `link`: the mail links
 * to a web page, which makes a plain "click" / 点击 a call to act. */
bool rb_lure_asks(const char *s, size_t n, bool link);

/* Do the bounce and delay events ev[0..n) of mail m come from a lure
 * (see above) rather than from a delivery system? */
bool rb_lure_mail(const struct rb_mail *m, const struct rb_event *ev,
		  size_t n);

#endif
