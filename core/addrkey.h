/*
 * addrkey: the one normalisation under which addresses are compared, in
 * the store, `query`, `filter`, `import` and the read-only view's
 * addr_key column (docs/store.md "Addresses").
 *
 * Key = trimmed, angle brackets removed, then:
 *  - local part (before the last '@'): Unicode canonical caseless form,
 *    NFC(casefold(NFD(x))) with glib (full case folding of every script:
 *    "Straße" and "STRASSE" meet, so do precomposed and decomposed
 *    accents); ASCII-only local parts are just lower-cased;
 *  - domain: trailing dots dropped, then ASCII lower-cased, or when it
 *    has non-ASCII characters UTS #46 non-transitional processing and
 *    IDNA 2008 A-labels with libidn2 (mapping of case, width and the
 *    ideographic full stops, NFC), so the U-label and A-label forms of a
 *    domain give the same key ("Bücher.DE", "xn--bcher-kva.de");
 *    a domain libidn2 refuses is folded and each non-ASCII label encoded
 *    with Punycode (RFC 3492) here, so it still has one stable key.
 * Input that is not valid UTF-8 has each invalid byte replaced by U+FFFD
 * first (as the store does with every string), so a key is always valid
 * UTF-8 text.  Input that is not an address (no '@') still gets a key
 * so odd entries can be stored and found.  Allocates only for non-ASCII
 * input (freed before returning).
 */
#ifndef RB_ADDRKEY_H
#define RB_ADDRKEY_H

#include <stddef.h>

#include "lib/utf8.h"	/* rb_utf8_clean, for keys of stored text */

/* Longest key produced; longer input is cut (never overflows out). */
#define RB_ADDRKEY_MAX 1024

/*
 * Write the key of the n bytes at in into out (cap bytes, NUL-terminated).
 * Returns the key length, or 0 when the input is empty after trimming.
 * *domain_off (may be NULL) gets the offset of the domain in out (after
 * '@'), or the length when there is no '@'.
 */
size_t rb_addr_key(const char *in, size_t n, char *out, size_t cap,
		   size_t *domain_off);

#endif
