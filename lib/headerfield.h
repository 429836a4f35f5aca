/*
 * headerfield: one field of a raw mail's own header block, read without
 * a MIME parser (for callers that must not, or need not, parse the
 * whole mail).
 *
 * Only the header block is read: the first empty line ends it.  The
 * first field of that name (case-insensitive) is unfolded: folding
 * line breaks and runs of spaces, tabs and CRs become one space, and
 * the value is trimmed.  Bytes are copied as they are (no charset
 * decoding, no encoded words decoded, nothing replaced); a caller that
 * shows the value sanitises it itself.
 */
#ifndef RB_LIB_HEADERFIELD_H
#define RB_LIB_HEADERFIELD_H

#include <stdbool.h>
#include <stddef.h>

/* The value in out (outlen > 0; a longer value is cut); false, out
 * empty, when the header block has no such field. */
bool rb_header_field(const char *raw, size_t len, const char *name,
		     char *out, size_t outlen);

#endif
