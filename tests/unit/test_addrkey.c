/* address keys and SHA-256: table-driven */
#include <glib.h>

#include "core/addrkey.h"
#include "lib/sha256.h"
#include "t.h"

static const struct {
	const char *in, *want;
} cases[] = {
    {"User@Example.COM", "user@example.com"},
    {"  <Foo.Bar@Example.com>  ", "foo.bar@example.com"},
    {"a@b.example.", "a@b.example"},
    {"user@bücher.de", "user@xn--bcher-kva.de"},
    {"user@BÜCHER.de", "user@xn--bcher-kva.de"},
    {"user@xn--bcher-kva.de", "user@xn--bcher-kva.de"},
    {"用户@例子.广告", "用户@xn--fsqu00a.xn--4rr70v"},
    {"Ünïcode@example.com", "ünïcode@example.com"},
    /* the same letters decomposed (U + U+0308 ...): NFC */
    {"U\xcc\x88" "ni\xcc\x88" "code@example.com", "ünïcode@example.com"},
    /* full Unicode case folding, beyond Latin-1/Greek/Cyrillic */
    {"ՀԱՅ@example.com", "հայ@example.com"},		/* Armenian */
    {"ᏣᎳᎩ@example.com", "ꮳꮃꭹ@example.com"},		/* Cherokee */
    {"Straße@example.com", "strasse@example.com"},
    {"STRASSE@example.com", "strasse@example.com"},
    {"ΣΊΣΥΦΟΣ@example.com", "σίσυφοσ@example.com"},
    {"σίσυφος@example.com", "σίσυφοσ@example.com"},	/* final sigma */
    {"ǅemal@example.com", "ǆemal@example.com"},		/* titlecase */
    {"ＡＢＣ@example.com", "ａｂｃ@example.com"},	/* fullwidth */
    /* IDN: U-label and A-label meet; NFC, width and dots of UTS #46 */
    {"user@BU\xcc\x88" "CHER.de", "user@xn--bcher-kva.de"},
    {"user@XN--BCHER-KVA.DE", "user@xn--bcher-kva.de"},
    {"user@ｂüｃｈｅｒ．ｄｅ", "user@xn--bcher-kva.de"},
    {"用户@例子。广告", "用户@xn--fsqu00a.xn--4rr70v"},
    {"user@faß.de", "user@xn--fa-hia.de"},		/* IDNA 2008 */
    {"user@München.example.", "user@xn--mnchen-3ya.example"},
    /* hostile: each invalid UTF-8 byte becomes U+FFFD (keys are text) */
    {"Bad\xff\xfe@Example.COM", "bad\xef\xbf\xbd\xef\xbf\xbd@example.com"},
    {"Bad\xc3@Ünï.example", "bad\xef\xbf\xbd@xn--n-nga1b.example"},
    {"\"O'Brien; --\"@Example.com", "\"o'brien; --\"@example.com"},
    {"<>", ""},
    {"@", "@"},
    {"user@", "user@"},
    {"\"quoted local\"@example.com", "\"quoted local\"@example.com"},
    {"o'brien@example.com", "o'brien@example.com"},
    {"x'; DROP TABLE events;--@example.com",
     "x'; drop table events;--@example.com"},
    {"no-at-sign", "no-at-sign"},
    {"a@b@Example.org", "a@b@example.org"},
    {"пример@Пример.РФ", "пример@xn--e1afmkfd.xn--p1ai"},
};

int
main(void)
{
	char out[RB_ADDRKEY_MAX + 1];
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		rb_addr_key(cases[i].in, strlen(cases[i].in), out, sizeof(out),
			    NULL);
		T_STR(out, cases[i].want, "key of %s", cases[i].in);
	}
	T_OK(rb_addr_key("   ", 3, out, sizeof(out), NULL) == 0, "blank -> 0");
	/* a long non-ASCII local part is cut on a character boundary */
	char lp[4000] = "";
	for (int i = 0; i < 600; i++)
		strcat(lp, "Ü");
	strcat(lp, "@example.com");
	size_t kl = rb_addr_key(lp, strlen(lp), out, sizeof(out), NULL);
	T_OK(kl <= RB_ADDRKEY_MAX && g_utf8_validate(out, (gssize)kl, NULL),
	     "long UTF-8 key cut on a character boundary (%zu)", kl);
	/* a domain libidn2 refuses still gets a stable key */
	char dk1[RB_ADDRKEY_MAX + 1], dk2[RB_ADDRKEY_MAX + 1];
	const char *h1 = "a@\xd8\xa7\xd9\x84" "a1.example"; /* bidi: RTL + digit */
	rb_addr_key(h1, strlen(h1), dk1, sizeof(dk1), NULL);
	rb_addr_key(h1, strlen(h1), dk2, sizeof(dk2), NULL);
	T_OK(strcmp(dk1, dk2) == 0 && strncmp(dk1, "a@xn--", 6) == 0,
	     "refused IDN: stable key (%s)", dk1);
	/* a domain with a huge label, and one with many labels */
	char longd[3000] = "x@";
	for (int i = 0; i < 300; i++)
		strcat(longd, "ü");
	strcat(longd, ".example");
	kl = rb_addr_key(longd, strlen(longd), out, sizeof(out), NULL);
	T_OK(kl > 0 && kl <= RB_ADDRKEY_MAX && g_utf8_validate(out, -1, NULL),
	     "overlong IDN label: a key anyway");
	char small[8];
	size_t l = rb_addr_key("averylongaddress@example.com", 28, small,
			       sizeof(small), NULL);
	T_OK(l < sizeof(small) && small[l] == '\0', "cut to the buffer");

	unsigned char d[32];
	char hex[65];
	rb_sha256("abc", 3, d);
	rb_sha256_hex(d, hex);
	T_STR(hex,
	      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
	      "sha256(abc)");
	rb_sha256("", 0, d);
	rb_sha256_hex(d, hex);
	T_STR(hex,
	      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	      "sha256('')");
	const char *m =
	    "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	rb_sha256(m, strlen(m), d);
	rb_sha256_hex(d, hex);
	T_STR(hex,
	      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
	      "sha256(448 bits)");
	static char million[1000000];
	memset(million, 'a', sizeof(million));
	rb_sha256(million, sizeof(million), d);
	rb_sha256_hex(d, hex);
	T_STR(hex,
	      "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0",
	      "sha256(million a)");
	/* two blocks of padding: 56 bytes of message leave no room for the
	 * length in the first block */
	const char *m2 = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
			 "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
	rb_sha256(m2, strlen(m2), d);
	rb_sha256_hex(d, hex);
	T_STR(hex,
	      "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1",
	      "sha256(896 bits)");
	T_DONE();
}
