/*
 * limits: every bound that hostile input could otherwise inflate, in one
 * place.  The parser never trusts a size, count or depth that came from
 * the mail itself.  Exceeding a structural limit makes the whole mail an
 * event of kind "unknown" whose `error` names the limit; a regex limit
 * makes that one match fail (as no match).
 */
#ifndef RB_LIMITS_H
#define RB_LIMITS_H

#include <stddef.h>

struct rb_limits {
	size_t max_message;	/* bytes of the whole mail */
	unsigned max_depth;	/* MIME nesting, including message/rfc822 */
	unsigned max_parts;	/* MIME parts in total */
	size_t max_header;	/* bytes of one header field value */
	unsigned max_headers;	/* header fields in one header block */
	unsigned max_recipients;	/* recipients named by one report */
	size_t max_text;	/* bytes of text handed to pattern rules */
	unsigned regex_match;	/* PCRE2 match limit */
	unsigned regex_depth;	/* PCRE2 depth limit */
	unsigned regex_heap;	/* PCRE2 heap limit, KiB */
};

#define RB_LIMITS_DEFAULT                                                      \
	{                                                                      \
		.max_message = 32u << 20, .max_depth = 12, .max_parts = 200,   \
		.max_header = 64u << 10, .max_headers = 2000,                  \
		.max_recipients = 1000, .max_text = 256u << 10,                \
		.regex_match = 200000, .regex_depth = 2000,                    \
		.regex_heap = 4096,                                            \
	}

#endif
