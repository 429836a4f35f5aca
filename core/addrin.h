/*
 * addrin: the address in what a person or a program handed us, for every
 * command and API that takes addresses (query, filter, suppress, import,
 * rebound serve, the SQL function rebound_addr_key).
 *
 * Accepted around the address, in this order:
 *  - a UTF-8 byte order mark (exports from Excel and WPS start with one);
 *  - surrounding white space: ASCII space, tab, CR, LF, FF, VT, U+00A0,
 *    U+3000 (ideographic space), U+200B and U+FEFF;
 *  - a display name and angle brackets: `"Carol" <carol@example.org>`,
 *    `Carol <carol@example.org>`, `<carol@example.org>` (the last <...>
 *    outside double quotes is the address; after the '>' only white
 *    space may follow);
 *  - a trailing RFC 5322 comment: `carol@example.org (Carol)`;
 *  - a `mailto:` prefix (any case), without a query part.
 * The address left must be LOCAL@DOMAIN: the last '@' splits it; the
 * local part is a quoted string ("...", any character but an unescaped
 * quote) or text without white space, control characters, '@' and the
 * specials ( ) < > [ ] , ; : \ "; the domain is a literal [...] or labels
 * of letters, digits, '-', '_' and non-ASCII characters separated by '.'
 * or the ideographic full stops U+3002, U+FF0E, U+FF61 (trailing dots
 * allowed, empty labels not), at most RB_ADDRIN_MAX bytes in all.
 *
 * Case, Unicode forms and IDN are not decided here: the key of the
 * address found is core/addrkey's.  The SQL function rebound_addr_key
 * (store/migrations/011_senders.sql) follows these same steps; a change
 * here is a change there (tests/t_senders_sql.sh compares the two).
 */
#ifndef RB_ADDRIN_H
#define RB_ADDRIN_H

#include <stddef.h>

#define RB_ADDRIN_MAX 320

enum rb_addrin_err {
	RB_ADDRIN_OK = 0,
	RB_ADDRIN_EMPTY,	/* nothing but white space */
	RB_ADDRIN_NO_AT,	/* no '@' */
	RB_ADDRIN_LOCAL,	/* empty or malformed local part */
	RB_ADDRIN_DOMAIN,	/* empty or malformed domain */
	RB_ADDRIN_BRACKETS,	/* unbalanced <...>, or text after '>' */
	RB_ADDRIN_LONG,		/* over RB_ADDRIN_MAX bytes */
};

/*
 * Find the address in the n bytes at in.  On success *addr and *len
 * give it (a range inside in) and RB_ADDRIN_OK is returned; otherwise
 * the reason.  Never allocates.
 */
enum rb_addrin_err rb_addr_input(const char *in, size_t n, const char **addr,
				 size_t *len);
/* A short English text for an error ("no '@'", ...). */
const char *rb_addrin_error(enum rb_addrin_err e);

#endif
