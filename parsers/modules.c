/*
 * The module table, in priority order.  Reports with a machine-readable
 * structure come first (ARF, then RFC 3464); MTA dialects that need to
 * see a mail before the generic DSN parser go above rfc3464; dialects of
 * plain-text bounces below it; auto-replies last, so that a bounce that
 * also says Auto-Submitted is never taken for a vacation message.
 */
#include "abuse.h"
#include "module.h"
#include "general.h"
#include "mta_provider.h"

const struct rb_module *const rb_modules[] = {
    &rb_mod_arf,
    /* complaint reports an abuse desk writes as plain text (no ARF
     * part; parsers/abuse.c): after arf, before every bounce reader,
     * because such a report may say a block is coming ("we may block
     * mail from this address") without being a delivery notice */
    &rb_mod_abuse_desk,
    /* provider: Amazon SES's own DSNs wrap the remote reply in a
     * summary of theirs; unwrapped before the generic DSN parser sees
     * them (parsers/mta_amazon.c, only DSNs from amazonses.com with the
     * "(delivery attempts: N)" wrapper) */
    &rb_mod_amazonses_dsn,
    /* classic templates: carrier templates whose DSN part carries no
     * Diagnostic-Code while the text names the reason (EZweb) */
    &rb_mod_mta_early,
    &rb_mod_rfc3464,
    /* a Sieve reject's disposition notification (parsers/dsn.c) */
    &rb_mod_mdn_reject,
    /* providers and commercial MTAs (mta_provider.h): plain-text and JSON bounces of providers and
     * commercial MTAs.  Below rfc3464 because a real delivery-status part
     * is always the better source when a provider sends one; above
     * rfc3834 because several of them (Google Groups, Gmail) mark their
     * bounces Auto-Submitted: auto-replied.  Among themselves the order
     * goes from the most specific evidence (a JSON notification, a
     * product banner) to the more generic templates. */
    &rb_mod_amazonses,
    &rb_mod_dragonfly,
    &rb_mod_googlegroups,
    &rb_mod_gmail,
    &rb_mod_yahoo,
    &rb_mod_office365,
    &rb_mod_exchange2003,
    &rb_mod_amazonworkmail,
    &rb_mod_notes,
    &rb_mod_domino,
    &rb_mod_zoho,
    /* cn: Chinese-language NDRs of providers that accepted first (QQ
     * 来自qq.com的退信, NetEase/Coremail 系统退信; parsers/mta_cn.c).
     * After the provider modules (their own banners are more specific),
     * before the generic text dialects. */
    &rb_mod_cn_ndr,
    /* classic templates: DSN field blocks in a body whose MIME structure is
     * broken (parsers/mta_dsntext.c) */
    &rb_mod_dsn_text,
    /* classic templates: plain-text templates of the classic MTAs and
     * appliances (parsers/mta_classic.c).  After the structured reports,
     * so a DSN part wins over its human-readable twin; before rfc3834,
     * because Exim and others mark bounces Auto-Submitted. */
    &rb_mod_mta_classic,
    /* a bounce carried inside a mail that names nobody by itself: an
     * attached delivery report, a forwarded bounce (parsers/mta_forward.c);
     * after every bounce parser, before rfc3834 */
    &rb_mod_forwarded,
    /* the general reader beneath the templates (parsers/general.c): a
     * delivery notice none of the above explained, read for its failed
     * recipients by their surroundings; before rfc3834, because a
     * failure notice that also carries auto-reply headers is a bounce
     * when it quotes a reply and says the delivery failed */
    &rb_mod_general,
    &rb_mod_rfc3834,
    /* a person's unsubscribe request sent to a List-Unsubscribe mailto:
     * address (parsers/unsubscribe.c); last: a bounce, a complaint or
     * an auto-reply that reaches the unsubscribe address is what it is,
     * never a request */
    &rb_mod_unsubscribe,
    NULL,
};
