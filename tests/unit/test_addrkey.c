/* address keys and SHA-256: table-driven */
#include "../../src/addrkey.h"
#include "../../src/sha256.h"
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
	char big[1000];
	memset(big, 'a', sizeof(big));
	struct rb_sha256 c;
	rb_sha256_init(&c);
	for (int i = 0; i < 1000; i++)
		rb_sha256_update(&c, big, sizeof(big));
	rb_sha256_final(&c, d);
	rb_sha256_hex(d, hex);
	T_STR(hex,
	      "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0",
	      "sha256(million a)");
	T_DONE();
}
