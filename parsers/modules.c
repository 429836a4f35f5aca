/*
 * The module table, in priority order.  Reports with a machine-readable
 * structure come first (ARF, then RFC 3464); MTA dialects that need to
 * see a mail before the generic DSN parser go above rfc3464; dialects of
 * plain-text bounces below it; auto-replies last, so that a bounce that
 * also says Auto-Submitted is never taken for a vacation message.
 */
#include "module.h"

const struct rb_module *const rb_modules[] = {
    &rb_mod_arf,
    &rb_mod_rfc3464,
    &rb_mod_rfc3834,
    NULL,
};
