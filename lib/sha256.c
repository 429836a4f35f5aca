#include "sha256.h"

#include <gnutls/crypto.h>
#include <stdlib.h>

void
rb_sha256(const void *data, size_t n, unsigned char out[32])
{
	/* fails only when GnuTLS lacks SHA-256 (a broken installation): a
	 * wrong digest would merge or split messages, so stop instead */
	if (gnutls_hash_fast(GNUTLS_DIG_SHA256, data, n, out) != 0)
		abort();
}

void
rb_sha256_hex(const unsigned char d[32], char out[65])
{
	static const char hex[] = "0123456789abcdef";
	for (int i = 0; i < 32; i++) {
		out[2 * i] = hex[d[i] >> 4];
		out[2 * i + 1] = hex[d[i] & 15];
	}
	out[64] = '\0';
}
