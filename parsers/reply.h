/*
 * reply: how a person's reply is written -- the prefixes of its subject
 * ("Re:", "AW:", "SV:", "回复:" ...), the lines that begin the quoted
 * conversation below the person's own text ("-----Original Message-----",
 * "On ... wrote:", "> ", Outlook's "From: / Sent:" block) -- and the
 * guard built on them: a person's reply that quotes a delivery notice
 * is not that notice.
 *
 * A person who got a bounce and answers about it ("Re: Undeliverable:
 * Invoice 2231", the NDR quoted below "-----Original Message-----")
 * sends a mail whose every line below the quote marker reads like the
 * template it quotes.  The guard is decided before any template reads
 * the mail (parse.c): such a mail is read only by the modules that read
 * a person's mail (auto-replies, unsubscribe requests), never as a
 * bounce, a delay or a complaint.
 *
 * Pure functions over the rb_mail view; no allocation.
 */
#ifndef RB_REPLY_H
#define RB_REPLY_H

#include <stdbool.h>
#include <stddef.h>

#include "mail.h"

/*
 * The reply or forward prefix at the start of s ("Re:", "RE :", "AW:",
 * "SV:", "Odp:", "Отв:", "回复：", "Re[2]:", "Fwd:", "WG:" ...): its
 * length, 0 when there is none.  *forward (may be NULL) tells a forward
 * prefix from a reply prefix.
 */
size_t rb_reply_prefix(const char *s, bool *forward);

/*
 * A line that begins a quoted conversation: "> ..." , a heading of the
 * quoted message ("-----Original Message-----", "-----Ursprüngliche
 * Nachricht-----", "---- 原始邮件 ----", "-------- Forwarded Message
 * --------"), an attribution ("On Mon, 3 Mar 2025, Bob wrote:", "Am ...
 * schrieb ...:").
 */
bool rb_reply_quote_line(const char *l, size_t n);

/*
 * The guard: the mail is a person's reply (a reply prefix at the start
 * of its subject, after list tags; a From that is no delivery system,
 * no-reply or bounce address; no null sender; no Auto-Submitted other
 * than "no"; no X-Failed-Recipients; no report structure) whose own text
 * ends at a quote marker (a quote line above, or Outlook's "From:" /
 * "Sent:" block) and says nothing of a failure itself (no line of it
 * starts with an SMTP reply code or an enhanced status code).  The
 * notice it carries is then only the one it quotes.
 */
bool rb_reply_quotes_notice(const struct rb_mail *m);

#endif
