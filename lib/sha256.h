/*
 * sha256: FIPS 180-4 SHA-256, for message identity and event dedup keys
 * (not for secrets).  Incremental or one-shot (one-shot of larger data
 * through GnuTLS: hardware SHA where the CPU has it); no allocation.
 */
#ifndef RB_SHA256_H
#define RB_SHA256_H

#include <stddef.h>
#include <stdint.h>

struct rb_sha256 {
	uint32_t h[8];
	uint64_t len;		/* bytes hashed */
	unsigned char buf[64];
	size_t nbuf;
};

void rb_sha256_init(struct rb_sha256 *c);
void rb_sha256_update(struct rb_sha256 *c, const void *data, size_t n);
void rb_sha256_final(struct rb_sha256 *c, unsigned char out[32]);
void rb_sha256(const void *data, size_t n, unsigned char out[32]);
/* 64 hex digits + NUL */
void rb_sha256_hex(const unsigned char d[32], char out[65]);

#endif
