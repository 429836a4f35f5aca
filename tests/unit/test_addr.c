/* addr: normalisation of address fields and discovery in free text. */
#include "parsers/addr.h"
#include "parsers/textline.h"
#include "t.h"

static const struct {
	const char *in;
	const char *want;	/* NULL: no plausible address */
} norm[] = {
    /* address-type prefixes and brackets */
    {"rfc822; <Foo@Example.COM>", "Foo@example.com"},
    {"RFC822;user@EXAMPLE.jp", "user@example.jp"},
    {"rfc822 ; user@example.jp", "user@example.jp"},
    {"<user@example.com>", "user@example.com"},
    {"  user@example.com  ", "user@example.com"},
    {"user@example.com.", "user@example.com"},
    {"user@example.com>,", "user@example.com"},
    {"(user@example.com)", "user@example.com"},
    {"Name <user@example.com>", "user@example.com"},
    {"\"Quoted, Name\" <user@example.com>", "user@example.com"},
    {"John Smith user@example.com", "user@example.com"},
    /* quotes */
    {"\"user@example.com\"", "user@example.com"},
    {"'user@example.com'", "user@example.com"},
    {"\"john doe\"@example.com", "\"john doe\"@example.com"},
    {"o'brien@example.ie", "o'brien@example.ie"},
    /* local part kept as written, domain lower-cased */
    {"MiXeD.Case+tag@Sub.Example.ORG", "MiXeD.Case+tag@sub.example.org"},
    /* UTF-8 (RFC 6531) and IDN */
    {"utf-8; 山田@例え.JP", "山田@例え.jp"},
    {"rfc822; user@XN--R8JZ45G.JP", "user@xn--r8jz45g.jp"},
    {"Ünïcødé@bücher.example", "Ünïcødé@bücher.example"},
    /* address literals */
    {"postmaster@[192.0.2.1]", "postmaster@[192.0.2.1]"},
    {"postmaster@[IPv6:2001:db8::1]", "postmaster@[ipv6:2001:db8::1]"},
    /* SQL and shell metacharacters are not address characters */
    {"x'; DROP TABLE users;--@example.com", NULL},
    {"a;b@example.com", NULL},
    {"robert\"); DELETE FROM suppress;@example.com", NULL},
    {"user@exa;mple.com", NULL},
    {"user@example.com; DROP TABLE x", NULL},
    {"user@example.com\\", NULL},
    /* garbage */
    {"", NULL},
    {"@", NULL},
    {"user@", NULL},
    {"@example.com", NULL},
    {"user@localhost", NULL},
    {"user@.example.com", NULL},
    {"<>", NULL},
    {"MAILER-DAEMON", NULL},
    {"rfc822;", NULL},
    {"a@b@c", NULL},
    {"user@exa mple.com", NULL},
    {"x400; /C=JP/ADMD=xxx/PRMD=yyy/O=zz/S=neko/", NULL},
};

static const struct {
	const char *text;
	const char *want;
} finds[] = {
    {"Your message to <Bob@Example.ORG> failed", "Bob@example.org"},
    {"mail for bob@example.org could not be delivered", "bob@example.org"},
    {"first carol@example.org then <dave@example.org>", "dave@example.org"},
    {"nothing here at all", NULL},
    {"a @ sign alone", NULL},
    {"(to: user@example.com.)", "user@example.com"},
    {"<not an address> and x@y.example", "x@y.example"},
};

int
main(void)
{
	struct rb_arena a;
	rb_arena_init(&a);
	for (size_t i = 0; i < sizeof(norm) / sizeof(norm[0]); i++)
		T_STR(rb_addr_normalize(&a, norm[i].in, strlen(norm[i].in)),
		      norm[i].want, "normalize [%s]", norm[i].in);
	T_STR(rb_addr_normalize(&a, NULL, 0), NULL, "normalize NULL");
	/* length-bounded: the byte after n is not read */
	T_STR(rb_addr_normalize(&a, "user@example.comXYZ", 16),
	      "user@example.com", "normalize honours the length");
	for (size_t i = 0; i < sizeof(finds) / sizeof(finds[0]); i++)
		T_STR(rb_addr_find(&a, finds[i].text, strlen(finds[i].text)),
		      finds[i].want, "find in [%s]", finds[i].text);
	/* report fields: an address that does not parse whole is kept as
	 * written and flagged, never cut to the part after a quote,
	 * backslash, semicolon, TAB or NUL */
	static const struct {
		const char *in;
		const char *want;
		bool written;
	} fields[] = {
	    {"rfc822; <Foo@Example.COM>", "Foo@example.com", false},
	    {"rfc822;user@example.jp (comment)", "user@example.jp", false},
	    {"rfc822; Name <user@example.jp>", "user@example.jp", false},
	    {"rfc822; \"user@example.jp\"", "user@example.jp", false},
	    {"rfc822; user@example.jp.", "user@example.jp", false},
	    {"rfc822; user@example.jp>", "user@example.jp", false},
	    {"rfc822; \"a;b\"@example.jp", "\"a;b\"@example.jp", false},
	    {"rfc822; x\";--@example.com", "x\";--@example.com", true},
	    {"rfc822; x\\\";--@example.com", "x\\\";--@example.com", true},
	    {"rfc822; a;--@example.com", "a;--@example.com", true},
	    {"rfc822; tab\tbyte@example.com", "tab\tbyte@example.com", true},
	    {"rfc822; ctl\001byte@example.com", "ctl\xef\xbf\xbd" "byte@example.com", true},
	    {"rfc822; two words@example.com", "two words@example.com", true},
	    {"rfc822; kijitora", "kijitora", true},
	    {"rfc822; @relay.example:user@example.jp", "user@example.jp", false},
	    {"rfc822; |/usr/bin/procmail user@example.jp", "user@example.jp", false},
	    {"rfc822; @mx.example.org", NULL, false},
	    {"rfc822;   ", NULL, false},
	};
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		bool w = !fields[i].written;
		T_STR(rb_addr_field(&a, fields[i].in, strlen(fields[i].in), &w),
		      fields[i].want, "field [%s]", fields[i].in);
		T_OK(w == fields[i].written, "field [%s] as written: %d",
		     fields[i].in, (int)w);
	}
	/* NUL inside: the length is the field's, the part after it is not
	 * taken for the address */
	{
		const char nul[] = "rfc822; nul\0byte@example.com";
		bool w = false;
		char *r = rb_addr_field(&a, nul, sizeof(nul) - 1, &w);
		T_STR(r, "nul\xef\xbf\xbd" "byte@example.com", "field with NUL");
		T_OK(w, "field with NUL is as written");
	}
	/* an address at the start of a recipient line: domain literals and
	 * quoted local parts as Exim lists them */
	static const struct {
		const char *in, *want;	/* want NULL: no address there */
		size_t used;
	} at[] = {
	    {"x@[127.0.0.1]", "x@[127.0.0.1]", 13},
	    {"<x@[IPv6:2001:db8::1]>: text", "x@[IPv6:2001:db8::1]", 22},
	    {"\"john smith\"@test.ex", "\"john smith\"@test.ex", 20},
	    {"\"user@example.com\" text", "user@example.com", 18},
	    {"x@[127.0.0.1", NULL, 0},
	    {"x@[]", NULL, 0},
	    {"\"a\\\"b\"@example.org", "\"a\\\"b\"@example.org", 18},
	    /* an opening quote alone: the address after it */
	    {"\"unterminated@example.org", "unterminated@example.org", 25},
	    {"\"two\tcolumns\"@example.org", NULL, 0},
	};
	for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
		const char *as = NULL;
		size_t al = 0;
		size_t used = rb_line_addr_at(at[i].in, strlen(at[i].in), &as, &al);
		char *got = used ? rb_arena_strndup(&a, as, al) : NULL;
		T_STR(got, at[i].want, "line address [%s]", at[i].in);
		T_OK(used == at[i].used, "line address [%s] uses %zu", at[i].in,
		     used);
	}
	T_STR(rb_addr_find(&a, "failed: x@[192.0.2.1] said", 26), "x@[192.0.2.1]",
	      "find keeps a domain literal's bracket");
	T_STR(rb_addr_find(&a, "x@example.org] text", 19), "x@example.org",
	      "find drops a stray bracket");
	T_OK(rb_addr_plausible("a@b.c"), "plausible minimal");
	T_OK(!rb_addr_plausible("a@b"), "dotless domain not plausible");
	rb_arena_free(&a);
	T_DONE();
}
