/*
 * addrkey: the one normalisation under which addresses are compared, in
 * the store, `query`, `filter`, `import` and the read-only view's
 * addr_key column (docs/store.md "Addresses").
 *
 * Key = trimmed, angle brackets removed, local part lower-cased, domain
 * lower-cased with a trailing dot dropped and every non-ASCII label
 * converted to its IDNA A-label ("xn--" + RFC 3492 Punycode), so that the
 * U-label and A-label forms of a domain give the same key.  Lower-casing
 * covers ASCII and the common alphabets (Latin-1/Extended-A, Greek,
 * Cyrillic); other scripts are compared as written.  Input that is not an
 * address (no '@') still gets a key (trimmed, ASCII lower-cased) so odd
 * entries can be stored and found verbatim.  No allocation.
 */
#ifndef RB_ADDRKEY_H
#define RB_ADDRKEY_H

#include <stddef.h>

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
