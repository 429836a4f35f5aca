/* core/addrin: the address in what people write, and what is refused */
#include <string.h>

#include "core/addrin.h"
#include "t.h"

/* in, printable on one line */
static const char *
shown(const char *in)
{
	static char b[80];
	size_t i = 0;
	for (; in[i] && i < sizeof(b) - 1; i++)
		b[i] = (unsigned char)in[i] < 0x20 ? '?' : in[i];
	b[i] = '\0';
	return b;
}

static void
found(const char *in, const char *want)
{
	const char *a;
	size_t n;
	enum rb_addrin_err e = rb_addr_input(in, strlen(in), &a, &n);
	char got[400] = "";
	if (e == RB_ADDRIN_OK)
		snprintf(got, sizeof(got), "%.*s", (int)n, a);
	T_OK(e == RB_ADDRIN_OK && strcmp(got, want) == 0,
	     "'%s' holds '%s' (got '%s', %s)", shown(in), want, got,
	     rb_addrin_error(e));
}

static void
refused(const char *in, enum rb_addrin_err want)
{
	const char *a;
	size_t n;
	enum rb_addrin_err e = rb_addr_input(in, strlen(in), &a, &n);
	T_OK(e == want, "'%s' is not an address: %s (got %s)", shown(in),
	     rb_addrin_error(want), rb_addrin_error(e));
}

int
main(void)
{
	found("carol@example.org", "carol@example.org");
	found("\"Carol\" <carol@example.org>", "carol@example.org");
	found("Carol Smith <Carol@Example.ORG>", "Carol@Example.ORG");
	found("<carol@example.org>", "carol@example.org");
	found("\xef\xbb\xbf" "carol@example.org\r\n", "carol@example.org");
	found("\xc2\xa0 carol@example.org \xe3\x80\x80", "carol@example.org");
	found("carol@example.org (Carol)", "carol@example.org");
	found("MAILTO:carol@example.org", "carol@example.org");
	found("<mailto:carol@example.org>", "carol@example.org");
	found("\"Doe, John <boss>\" <john@example.com>", "john@example.com");
	found("\"a<b>c\"@example.com", "\"a<b>c\"@example.com");
	found("\"a b@c\"@example.com", "\"a b@c\"@example.com");
	found("用户@例子。广告", "用户@例子。广告");
	found("x@ｂüｃｈｅｒ．ｄｅ．", "x@ｂüｃｈｅｒ．ｄｅ．");
	found("x@example.com.", "x@example.com.");
	found("x@[192.0.2.1]", "x@[192.0.2.1]");
	found("a..b@docomo.ne.jp", "a..b@docomo.ne.jp");
	refused("", RB_ADDRIN_EMPTY);
	refused(" \t\r\n", RB_ADDRIN_EMPTY);
	refused("\xef\xbb\xbf", RB_ADDRIN_EMPTY);
	refused("not an address", RB_ADDRIN_NO_AT);
	refused("foo@@bar", RB_ADDRIN_LOCAL);
	refused("x@", RB_ADDRIN_DOMAIN);
	refused("@example.com", RB_ADDRIN_LOCAL);
	refused("a b@example.com", RB_ADDRIN_LOCAL);
	refused("carol@example.org,extra", RB_ADDRIN_DOMAIN);
	refused("x@ex..ample.com", RB_ADDRIN_DOMAIN);
	refused("x@exa mple.com", RB_ADDRIN_DOMAIN);
	refused("Carol <carol@example.org", RB_ADDRIN_BRACKETS);
	refused("carol@example.org>", RB_ADDRIN_BRACKETS);
	refused("<a@b.c> trailing", RB_ADDRIN_BRACKETS);
	refused("\"unterminated@example.com", RB_ADDRIN_LOCAL);
	refused("x@[1.2.3.4", RB_ADDRIN_DOMAIN);
	char big[400];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	big[10] = '@';
	refused(big, RB_ADDRIN_LONG);
	return t_failed ? 1 : 0;
}
