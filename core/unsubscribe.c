/*
 * unsubscribe.c: the signed unsubscribe tokens (unsubscribe.h).
 */
#include "unsubscribe.h"
#include "lib/headerfield.h"

#include <gnutls/crypto.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/addrin.h"
#include "core/config.h"
#include "core/scope.h"

static void
hex(const unsigned char *d, size_t n, char *out)
{
	static const char h[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = h[d[i] >> 4];
		out[2 * i + 1] = h[d[i] & 15];
	}
	out[2 * n] = '\0';
}

static int
unhex(const char *s, size_t n, unsigned char *out)
{
	if (n % 2)
		return -1;
	for (size_t i = 0; i < n; i += 2) {
		int v = 0;
		for (int k = 0; k < 2; k++) {
			char c = s[i + k];
			v <<= 4;
			if (c >= '0' && c <= '9')
				v |= c - '0';
			else if (c >= 'a' && c <= 'f')
				v |= c - 'a' + 10;
			else if (c >= 'A' && c <= 'F')
				v |= c - 'A' + 10;
			else
				return -1;
		}
		out[i / 2] = (unsigned char)v;
	}
	return 0;
}

static int
mac(const char *secret, size_t slen, const void *p, size_t n,
    unsigned char out[32])
{
	return gnutls_hmac_fast(GNUTLS_MAC_SHA256, secret, slen, p, n, out) == 0
		   ? 0
		   : -1;
}

static bool
address_ok(const char *a)
{
	size_t n = strlen(a);
	if (n == 0 || n > 320 || strchr(a, '@') == NULL)
		return false;
	for (const char *p = a; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return false;
	return true;
}

char *
rb_unsub_token(const char *secret, size_t slen, const struct rb_unsub *u)
{
	if (!rb_scope_name_ok(u->tenant) ||
	    (u->stream[0] && !rb_scope_name_ok(u->stream)) ||
	    !address_ok(u->address) || slen == 0)
		return NULL;
	char payload[600];
	int n = snprintf(payload, sizeof(payload), "1\t%s\t%s\t%s\t%lld",
			 u->tenant, u->stream, u->address,
			 (long long)u->expires);
	if (n < 0 || (size_t)n >= sizeof(payload))
		return NULL;
	unsigned char m[32];
	if (mac(secret, slen, payload, (size_t)n, m) != 0)
		return NULL;
	char *t = malloc((size_t)n * 2 + 1 + 64 + 1);
	if (t == NULL)
		return NULL;
	hex((const unsigned char *)payload, (size_t)n, t);
	t[2 * n] = '.';
	hex(m, 32, t + 2 * n + 1);
	return t;
}

enum rb_unsub_check
rb_unsub_check(const char *secret, size_t slen, const char *token, time_t now,
	       struct rb_unsub *u)
{
	memset(u, 0, sizeof(*u));
	const char *dot = token ? strchr(token, '.') : NULL;
	if (dot == NULL || strlen(dot + 1) != 64)
		return RB_UNSUB_MALFORMED;
	size_t hl = (size_t)(dot - token);
	unsigned char payload[600], given[32], want[32];
	if (hl == 0 || hl / 2 >= sizeof(payload) ||
	    unhex(token, hl, payload) != 0 || unhex(dot + 1, 64, given) != 0)
		return RB_UNSUB_MALFORMED;
	size_t n = hl / 2;
	payload[n] = '\0';
	if (mac(secret, slen, payload, n, want) != 0)
		return RB_UNSUB_FORGED;
	unsigned char diff = 0;
	for (size_t i = 0; i < 32; i++)
		diff |= (unsigned char)(given[i] ^ want[i]);
	if (diff != 0)
		return RB_UNSUB_FORGED;
	/* signed by us: the fields are as rb_unsub_token wrote them */
	char *f[5];
	char *p = (char *)payload;
	for (int i = 0; i < 5; i++) {
		f[i] = p;
		p = strchr(p, '\t');
		if (p == NULL && i < 4)
			return RB_UNSUB_MALFORMED;
		if (p)
			*p++ = '\0';
	}
	if (strcmp(f[0], "1") != 0 || strlen(f[1]) > 64 || strlen(f[2]) > 64 ||
	    strlen(f[3]) > 320)
		return RB_UNSUB_MALFORMED;
	snprintf(u->tenant, sizeof(u->tenant), "%s", f[1]);
	snprintf(u->stream, sizeof(u->stream), "%s", f[2]);
	snprintf(u->address, sizeof(u->address), "%s", f[3]);
	u->expires = (time_t)strtoll(f[4], NULL, 10);
	if (u->expires <= now)
		return RB_UNSUB_EXPIRED;
	return RB_UNSUB_OK;
}

/* ---- the short token ---- */

#define DAY 86400
#define SHORT_BYTES 20
#define SHORT_SIGNED 8		/* version, id, expiry day */
#define SHORT_MAC 12

static const char b32[] = "abcdefghijklmnopqrstuvwxyz234567";

static int
b32val(char c)
{
	if (c >= 'a' && c <= 'z')
		return c - 'a';
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= '2' && c <= '7')
		return c - '2' + 26;
	return -1;
}

/* 20 bytes <-> 32 characters (160 bits: no padding) */
static void
b32enc(const unsigned char in[SHORT_BYTES], char out[RB_UNSUB_SHORT_LEN + 1])
{
	unsigned acc = 0, bits = 0;
	size_t o = 0;
	for (size_t i = 0; i < SHORT_BYTES; i++) {
		acc = (acc << 8) | in[i];
		bits += 8;
		while (bits >= 5) {
			bits -= 5;
			out[o++] = b32[(acc >> bits) & 31];
		}
	}
	out[o] = '\0';
}

static int
b32dec(const char *s, unsigned char out[SHORT_BYTES])
{
	unsigned acc = 0, bits = 0;
	size_t o = 0;
	for (size_t i = 0; i < RB_UNSUB_SHORT_LEN; i++) {
		int v = b32val(s[i]);
		if (v < 0)
			return -1;
		acc = (acc << 5) | (unsigned)v;
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits);
		}
	}
	return 0;
}

/* The MAC of the signed bytes and the row's fields. */
static int
short_mac(const char *secret, size_t slen, const unsigned char head[SHORT_SIGNED],
	  const struct rb_unsub *u, unsigned char out[32])
{
	static const char label[] = "rebound-unsub-short";
	size_t tl = strlen(u->tenant), sl = strlen(u->stream),
	       al = strlen(u->address);
	unsigned char buf[sizeof(label) + SHORT_SIGNED + sizeof(u->tenant) +
			  sizeof(u->stream) + sizeof(u->address)];
	size_t n = 0;
	if (tl >= sizeof(u->tenant) || sl >= sizeof(u->stream) ||
	    al >= sizeof(u->address))
		return -1;
	memcpy(buf, label, sizeof(label));	/* with its NUL */
	n = sizeof(label);
	memcpy(buf + n, head, SHORT_SIGNED);
	n += SHORT_SIGNED;
	memcpy(buf + n, u->tenant, tl + 1);
	n += tl + 1;
	memcpy(buf + n, u->stream, sl + 1);
	n += sl + 1;
	memcpy(buf + n, u->address, al);
	n += al;
	return mac(secret, slen, buf, n, out);
}

int
rb_unsub_short_token(const char *secret, size_t slen, unsigned long long id,
		     const struct rb_unsub *u, char out[RB_UNSUB_SHORT_LEN + 1])
{
	out[0] = '\0';
	if (!rb_scope_name_ok(u->tenant) ||
	    (u->stream[0] && !rb_scope_name_ok(u->stream)) ||
	    !address_ok(u->address) || slen == 0 || id == 0 ||
	    id > RB_UNSUB_ID_MAX || u->expires <= 0)
		return -1;
	long long day = ((long long)u->expires + DAY - 1) / DAY;
	if (day > 0xffff)
		return -1;
	unsigned char b[SHORT_BYTES], m[32];
	b[0] = 1;
	for (int i = 0; i < 5; i++)
		b[1 + i] = (unsigned char)(id >> (8 * (4 - i)));
	b[6] = (unsigned char)(day >> 8);
	b[7] = (unsigned char)day;
	if (short_mac(secret, slen, b, u, m) != 0)
		return -1;
	memcpy(b + SHORT_SIGNED, m, SHORT_MAC);
	b32enc(b, out);
	return 0;
}

bool
rb_unsub_short_id(const char *s, size_t n, unsigned long long *id)
{
	unsigned char b[SHORT_BYTES];
	if (s == NULL || n != RB_UNSUB_SHORT_LEN || b32dec(s, b) != 0 ||
	    b[0] != 1)
		return false;
	unsigned long long v = 0;
	for (int i = 0; i < 5; i++)
		v = (v << 8) | b[1 + i];
	if (v == 0)
		return false;
	if (id)
		*id = v;
	return true;
}

static enum rb_unsub_check
short_check(const char *secret, size_t slen, const char *token, time_t now,
	    rb_unsub_lookup_fn lookup, void *ctx, struct rb_unsub *u)
{
	unsigned long long id;
	unsigned char b[SHORT_BYTES], want[32];
	if (!rb_unsub_short_id(token, strlen(token), &id) ||
	    b32dec(token, b) != 0)
		return RB_UNSUB_MALFORMED;
	if (lookup == NULL || !lookup(ctx, id, u)) {
		memset(u, 0, sizeof(*u));
		return RB_UNSUB_UNKNOWN_ID;
	}
	if (short_mac(secret, slen, b, u, want) != 0) {
		memset(u, 0, sizeof(*u));
		return RB_UNSUB_FORGED;
	}
	unsigned char diff = 0;
	for (size_t i = 0; i < SHORT_MAC; i++)
		diff |= (unsigned char)(b[SHORT_SIGNED + i] ^ want[i]);
	if (diff != 0) {
		memset(u, 0, sizeof(*u));
		return RB_UNSUB_FORGED;
	}
	u->expires = (time_t)(((long long)b[6] << 8 | b[7]) * DAY);
	if (u->expires <= now)
		return RB_UNSUB_EXPIRED;
	return RB_UNSUB_OK;
}

enum rb_unsub_check
rb_unsub_check_any(const char *secret, size_t slen, const char *token,
		   time_t now, rb_unsub_lookup_fn lookup, void *ctx,
		   struct rb_unsub *u)
{
	memset(u, 0, sizeof(*u));
	if (token != NULL && strchr(token, '.') == NULL)
		return short_check(secret, slen, token, now, lookup, ctx, u);
	return rb_unsub_check(secret, slen, token, now, u);
}

const char *
rb_unsub_check_name(enum rb_unsub_check c)
{
	switch (c) {
	case RB_UNSUB_OK:
		return "ok";
	case RB_UNSUB_MALFORMED:
		return "not a token";
	case RB_UNSUB_FORGED:
		return "forged or altered token";
	case RB_UNSUB_EXPIRED:
		return "expired token";
	case RB_UNSUB_UNKNOWN_ID:
		return "token of no stored subscriber";
	}
	return "?";
}

char *
rb_unsub_secret_read(const char *path, size_t *len, char **err_r)
{
	char *s = rb_config_secret_file(path, "unsubscribe secret file", len,
					err_r);
	if (s == NULL)
		return NULL;
	while (*len > 0 && (s[*len - 1] == '\n' || s[*len - 1] == '\r'))
		s[--*len] = '\0';
	if (*len < 16) {
		memset(s, 0, *len);
		free(s);
		if (asprintf(err_r, "unsubscribe secret file %s: at least 16 "
				    "bytes of secret are needed",
			     path) < 0)
			*err_r = NULL;
		return NULL;
	}
	return s;
}

/* ---- the decision on a mail ---- */

/* An automatic mail: nobody asked for anything by sending it. */
static bool
automatic(const char *raw, size_t len)
{
	char v[256];
	if (rb_header_field(raw, len, "Auto-Submitted", v, sizeof(v)) &&
	    strncasecmp(v, "no", 2) != 0)
		return true;
	if (rb_header_field(raw, len, "Return-Path", v, sizeof(v)) &&
	    (strcmp(v, "<>") == 0 || strncmp(v, "<> ", 3) == 0))
		return true;
	if (rb_header_field(raw, len, "Precedence", v, sizeof(v)) &&
	    (!strcasecmp(v, "bulk") || !strcasecmp(v, "junk") ||
	     !strcasecmp(v, "list") || !strcasecmp(v, "auto_reply")))
		return true;
	if (rb_header_field(raw, len, "X-Autoreply", v, sizeof(v)) ||
	    rb_header_field(raw, len, "X-Autorespond", v, sizeof(v)))
		return true;
	return rb_header_field(raw, len, "Content-Type", v, sizeof(v)) &&
	       strncasecmp(v, "multipart/report", 16) == 0;
}

/* The From of the mail when it is one address, into out. */
static bool
from_address(const char *raw, size_t len, char *out, size_t outlen)
{
	char v[1024];
	const char *a;
	size_t al;
	if (!rb_header_field(raw, len, "From", v, sizeof(v)) ||
	    rb_addr_input(v, strlen(v), &a, &al) != RB_ADDRIN_OK ||
	    al >= outlen)
		return false;
	memcpy(out, a, al);
	out[al] = '\0';
	return true;
}

/* A refused request: nobody; the note says why (a refused token's note
 * is kept: it is the first reason). */
static bool
refuse(struct rb_unsub_decision *d, const char *why)
{
	d->kind = RB_KIND_UNKNOWN;
	d->address[0] = '\0';
	if (d->note[0] == '\0')
		snprintf(d->note, sizeof(d->note),
			 "unsubscribe request refused: %s", why);
	snprintf(d->from, sizeof(d->from), "none");
	return true;
}

bool
rb_unsub_decide(const struct rb_event *e, const char *raw, size_t len,
		const char *secret, size_t slen, time_t now,
		rb_unsub_lookup_fn lookup, void *lctx,
		bool unsub_mailbox, const char *mailbox_tenant,
		struct rb_unsub_decision *d)
{
	memset(d, 0, sizeof(*d));
	d->kind = RB_KIND_UNSUBSCRIBE;
	if (e->kind == RB_KIND_UNKNOWN) {
		/* every mail of an unsubscribe mailbox is a request */
		if (!unsub_mailbox || e->error != NULL || automatic(raw, len) ||
		    !from_address(raw, len, d->address, sizeof(d->address)))
			return false;
	} else if (e->kind != RB_KIND_UNSUBSCRIBE) {
		return false;
	}
	if (e->kind == RB_KIND_UNSUBSCRIBE && e->unsubscribe_token) {
		struct rb_unsub u;
		enum rb_unsub_check k =
		    secret ? rb_unsub_check_any(secret, slen,
						e->unsubscribe_token, now,
						lookup, lctx, &u)
			   : RB_UNSUB_MALFORMED;
		if (k == RB_UNSUB_OK) {
			memcpy(d->address, u.address, sizeof(d->address));
			memcpy(d->tenant, u.tenant, sizeof(d->tenant));
			memcpy(d->stream, u.stream, sizeof(d->stream));
			snprintf(d->from, sizeof(d->from), "unsubscribe token");
			return true;
		}
		snprintf(d->note, sizeof(d->note), "unsubscribe token refused: %s",
			 secret ? rb_unsub_check_name(k)
				: "no unsubscribe secret configured");
	}
	if (!unsub_mailbox)
		return refuse(d, "no token, and not an unsubscribe mailbox");
	if (e->kind == RB_KIND_UNSUBSCRIBE) {
		const char *a;
		size_t al;
		if (e->recipient == NULL ||
		    rb_addr_input(e->recipient, strlen(e->recipient), &a,
				  &al) != RB_ADDRIN_OK ||
		    al >= sizeof(d->address))
			return refuse(d, "its From is not one address");
		memcpy(d->address, a, al);
		d->address[al] = '\0';
	}
	if (mailbox_tenant && rb_scope_name_ok(mailbox_tenant)) {
		snprintf(d->tenant, sizeof(d->tenant), "%s", mailbox_tenant);
		snprintf(d->from, sizeof(d->from), "mailbox (unsubscribe from From)");
	} else {
		snprintf(d->from, sizeof(d->from), "none (unsubscribe from From)");
	}
	return true;
}

int
rb_unsub_mailto_check(const char *mailto, char *err, size_t errlen)
{
	const char *a;
	size_t al;
	if (rb_addr_input(mailto, strlen(mailto), &a, &al) != RB_ADDRIN_OK ||
	    al != strlen(mailto) || strchr(mailto, '+') ||
	    strpbrk(mailto, "?%&\"") != NULL) {
		snprintf(err, errlen, "LOCAL@DOMAIN without '+', '?', '%%', "
				      "'&' (the token is added as +TOKEN)");
		return -1;
	}
	if ((size_t)(strrchr(mailto, '@') - mailto) + 1 + RB_UNSUB_SHORT_LEN >
	    64) {
		snprintf(err, errlen,
			 "the local part may have at most %d octets: with "
			 "+TOKEN (%d) it must fit the 64 of RFC 5321",
			 64 - 1 - RB_UNSUB_SHORT_LEN, 1 + RB_UNSUB_SHORT_LEN);
		return -1;
	}
	return 0;
}

int
rb_unsub_url_check(const char *url, char *err, size_t errlen)
{
	if (strncmp(url, "https://", 8) != 0 &&
	    strncmp(url, "http://", 7) != 0) {
		snprintf(err, errlen, "an http:// or https:// URL (RFC 8058 "
				      "wants https)");
		return -1;
	}
	return 0;
}

char *
rb_unsub_list_header(const char *secret, size_t slen, const struct rb_unsub *u,
		     unsigned long long id, const char *mailto, const char *url)
{
	if (mailto == NULL && url == NULL)
		return NULL;
	char stok[RB_UNSUB_SHORT_LEN + 1] = "";
	if (mailto && rb_unsub_short_token(secret, slen, id, u, stok) != 0)
		return NULL;
	char *tok = NULL;
	if (url && (tok = rb_unsub_token(secret, slen, u)) == NULL)
		return NULL;
	size_t ul = url ? strlen(url) : 0;
	while (ul > 0 && url[ul - 1] == '/')
		ul--;
	size_t cap = (mailto ? strlen(mailto) + 2 * RB_UNSUB_SHORT_LEN + 40
			     : 0) +
		     (url ? ul + strlen(tok) + 24 : 0) + 1;
	char *out = malloc(cap);
	if (out == NULL) {
		free(tok);
		return NULL;
	}
	size_t n = 0;
	if (mailto) {
		const char *at = strrchr(mailto, '@');
		/* RFC 6068: the space of the subject as %20 */
		n += (size_t)snprintf(out + n, cap - n,
				      "<mailto:%.*s+%s%s?subject=unsubscribe"
				      "%%20%s>",
				      (int)(at - mailto), mailto, stok, at,
				      stok);
	}
	if (url)
		snprintf(out + n, cap - n, "%s<%.*s/v1/unsubscribe/%s>",
			 mailto ? ", " : "", (int)ul, url, tok);
	free(tok);
	return out;
}
