/*
 * sha256: SHA-256 digests for message identity and event dedup keys (not
 * for secrets), computed by GnuTLS (nettle: the CPU's SHA instructions
 * where it has them).  No allocation.
 */
#ifndef RB_SHA256_H
#define RB_SHA256_H

#include <stddef.h>

/* The digest of n bytes at data into out. */
void rb_sha256(const void *data, size_t n, unsigned char out[32]);
/* 64 hex digits + NUL */
void rb_sha256_hex(const unsigned char d[32], char out[65]);

#endif
