/*
 * charset: the charset labels gmime gets wrong in Chinese bounces, and
 * their decoding to UTF-8 with iconv.
 *
 *  - GB2312 / GBK / CP936 / x-gbk / EUC-CN ... are all decoded as
 *    GB18030, a strict superset: mail labelled gb2312 is very often GBK
 *    (WHATWG treats gb2312 as gbk), and a strict GB2312 decoder loses the
 *    characters outside it (gmime maps the label to GBK, which still
 *    loses the 4-byte GB18030 characters, and does not know x-gbk).
 *  - unicode-1-1-utf-7 (Microsoft's label, seen in Windows SMTP DSNs
 *    relaying QQ rejections) and its relatives are UTF-7.
 *
 * Every other label is left to gmime.  Output is always valid UTF-8:
 * undecodable bytes become U+FFFD.  Memory comes from the arena.
 */
#ifndef RB_CHARSET_H
#define RB_CHARSET_H

#include <stddef.h>

#include <stdbool.h>

#include "lib/arena.h"

/* The iconv name to use instead of gmime for this label, or NULL. */
const char *rb_charset_override(const char *label);
/*
 * Convert n bytes in iconv charset `from` to UTF-8 (NUL-terminated arena
 * string, length in *olen).  Never fails: bytes iconv rejects become
 * U+FFFD; if iconv does not know `from`, the input is sanitised as UTF-8.
 */
char *rb_charset_decode(struct rb_arena *a, const char *from, const char *in,
			size_t n, size_t *olen);
/*
 * The conversion under rb_charset_decode: bytes iconv rejects become
 * U+FFFD (replace) or are dropped (!replace, as gmime's decoding did for
 * labelled text parts).  NULL, and nothing allocated, when iconv does
 * not know `from`.
 */
char *rb_charset_convert(struct rb_arena *a, const char *from, const char *in,
			 size_t n, bool replace, size_t *olen);
/*
 * Decode the RFC 2047 encoded-words of a raw header value whose charset
 * rb_charset_override() claims (e.g. =?gb2312?B?...?=).  Returns NULL
 * when the value has no such word (the caller keeps gmime's decoding).
 */
char *rb_charset_header_decode(struct rb_arena *a, const char *raw);
/*
 * Adjacent RFC 2047 encoded words of one charset and encoding, separated
 * by blanks only, joined into one word, so that a multibyte character a
 * mailer split across two words (RFC 2047 forbids it; many do it)
 * decodes whole.  Returns v itself when there is nothing to join, else a
 * copy in the arena.
 */
char *rb_charset_join_words(struct rb_arena *a, char *v);

#endif
