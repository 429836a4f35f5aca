/* charset: conversions to UTF-8 of labelled text, the ISO 2022 shifts,
 * 8-bit bytes, NULs and unknown charsets, and plain ASCII, which an
 * ASCII-compatible charset leaves as it is. */
#include <stdlib.h>

#include "lib/arena.h"
#include "lib/utf8.h"
#include "parsers/charset.h"
#include "t.h"

static void
test_convert(void)
{
	struct rb_arena a;
	rb_arena_init(&a);
	size_t n;
	const char *s;
	const char jis[] = "\x1b$B$3$s$K$A$O\x1b(B neko";	/* こんにちは */
	s = rb_charset_convert(&a, "iso-2022-jp", jis, sizeof(jis) - 1, false,
			       &n);
	T_STR(s, "こんにちは neko", "ISO-2022-JP with its shifts");
	s = rb_charset_convert(&a, "ISO-2022-JP", "550 user unknown", 16,
			       false, &n);
	T_STR(s, "550 user unknown", "ISO-2022-JP, plain ASCII");
	T_OK(n == 16, "its length (%zu)", n);
	s = rb_charset_convert(&a, "iso-8859-1", "caf\xe9", 4, false, &n);
	T_STR(s, "café", "ISO-8859-1 with an 8-bit byte");
	s = rb_charset_convert(&a, "windows-1252", "\x93quoted\x94", 8, false,
			       &n);
	T_STR(s, "“quoted”", "windows-1252 quotes");
	s = rb_charset_convert(&a, "CP1252", "a\0b\tc", 5, false, &n);
	const char *want = rb_utf8_sanitize(&a, "a\0b\tc", 5);
	T_STR(s, want, "a NUL in plain ASCII: as the sanitiser has it");
	/* Shift_JIS is not ASCII-compatible: 0x5c is the yen sign */
	s = rb_charset_convert(&a, "SHIFT_JIS", "\\100", 4, false, &n);
	T_STR(s, "¥100", "Shift_JIS 0x5c goes through iconv");
	/* UTF-7's '+' starts a shift: not taken as ASCII */
	s = rb_charset_convert(&a, "UTF-7", "a+AGE-b", 7, false, &n);
	T_STR(s, "aab", "UTF-7 goes through iconv");
	T_OK(rb_charset_convert(&a, "x-no-such-charset", "abc", 3, false,
				&n) == NULL,
	     "an unknown charset: NULL");
	rb_arena_free(&a);
}

int
main(void)
{
	test_convert();
	T_DONE();
}
