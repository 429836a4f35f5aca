#include "tokens.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "core/scope.h"
#include "lib/sha256.h"

static bool
name_ok(const char *s, size_t n)
{
	if (n == 0 || n > 64)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		      c == '-'))
			return false;
	}
	return true;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
rb_tokens_load(const char *path, struct rb_tokens *t, char *err,
	       size_t errlen)
{
	memset(t, 0, sizeof(*t));
	FILE *f = fopen(path, "re");
	if (f == NULL) {
		snprintf(err, errlen, "%s: cannot open", path);
		return -1;
	}
	char line[1024];
	unsigned lineno = 0;
	size_t cap = 0;
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		char *p = line;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '#' || *p == '\n' || *p == '\r' || *p == '\0')
			continue;
		char name[128], scope[16], hash[128], extra[128] = "";
		int nf = sscanf(p, "%127s %15s %127s %127s", name, scope, hash,
				extra);
		if (nf != 3 && nf != 4) {
			snprintf(err, errlen, "%s:%u: NAME SCOPE sha256:HEX "
					      "expected", path, lineno);
			goto fail;
		}
		if (!name_ok(name, strlen(name))) {
			snprintf(err, errlen, "%s:%u: bad name", path, lineno);
			goto fail;
		}
		struct rb_token k = {0};
		memcpy(k.name, name, strlen(name) + 1);	/* name_ok: <= 64 */
		if (nf == 4) {
			if (strncmp(extra, "tenant=", 7) != 0 ||
			    !rb_scope_name_ok(extra + 7)) {
				snprintf(err, errlen, "%s:%u: after the hash: "
						      "tenant=NAME or nothing",
					 path, lineno);
				goto fail;
			}
			/* rb_scope_name_ok: at most 64 */
			memcpy(k.tenant, extra + 7, strlen(extra + 7) + 1);
		}
		if (!strcmp(scope, "read"))
			k.scope = RB_SCOPE_READ;
		else if (!strcmp(scope, "write"))
			k.scope = RB_SCOPE_WRITE;
		else {
			snprintf(err, errlen, "%s:%u: scope is read or write",
				 path, lineno);
			goto fail;
		}
		if (strncmp(hash, "sha256:", 7) != 0 || strlen(hash) != 71) {
			snprintf(err, errlen, "%s:%u: the hash is sha256: and "
					      "64 hex digits (never the "
					      "token itself)", path, lineno);
			goto fail;
		}
		for (int i = 0; i < 32; i++) {
			int hi = hexval(hash[7 + 2 * i]),
			    lo = hexval(hash[8 + 2 * i]);
			if (hi < 0 || lo < 0) {
				snprintf(err, errlen, "%s:%u: bad hex", path,
					 lineno);
				goto fail;
			}
			k.hash[i] = (unsigned char)(hi << 4 | lo);
		}
		for (size_t i = 0; i < t->n; i++)
			if (!strcmp(t->v[i].name, k.name)) {
				snprintf(err, errlen, "%s:%u: %s twice", path,
					 lineno, k.name);
				goto fail;
			}
		if (t->n == cap) {
			cap = cap ? cap * 2 : 8;
			struct rb_token *v = realloc(t->v, cap * sizeof(*v));
			if (v == NULL)
				abort();
			t->v = v;
		}
		t->v[t->n++] = k;
	}
	fclose(f);
	return 0;
fail:
	fclose(f);
	rb_tokens_free(t);
	return -1;
}

void
rb_tokens_free(struct rb_tokens *t)
{
	if (t->v)
		memset(t->v, 0, t->n * sizeof(*t->v));
	free(t->v);
	t->v = NULL;
	t->n = 0;
}

const struct rb_token *
rb_tokens_find(const struct rb_tokens *t, const char *tok, size_t n)
{
	unsigned char h[32];
	rb_sha256(tok, n, h);
	const struct rb_token *found = NULL;
	for (size_t i = 0; i < t->n; i++) {
		unsigned char d = 0;
		for (int j = 0; j < 32; j++)
			d |= (unsigned char)(h[j] ^ t->v[i].hash[j]);
		if (d == 0 && found == NULL)
			found = &t->v[i];
	}
	return found;
}

int
rb_tokens_make(const char *name, enum rb_scope scope, char *out,
	       size_t outlen, char *line, size_t linelen)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
				  "qrstuvwxyz0123456789-_";
	unsigned char r[33];
	if (!name_ok(name, strlen(name)) || outlen < 48 || linelen < 160)
		return -1;
	if (getrandom(r, 32, 0) != 32)
		return -1;
	r[32] = 0;
	size_t o = 0;
	memcpy(out, "rbt_", 4);
	o = 4;
	for (int i = 0; i < 33; i += 3) {
		unsigned v = (unsigned)r[i] << 16 | (unsigned)r[i + 1] << 8 |
			     r[i + 2];
		out[o++] = b64[v >> 18 & 63];
		out[o++] = b64[v >> 12 & 63];
		out[o++] = b64[v >> 6 & 63];
		out[o++] = b64[v & 63];
	}
	o = 4 + 43;	/* 32 bytes: 43 characters */
	out[o] = '\0';
	unsigned char h[32];
	char hex[65];
	rb_sha256(out, o, h);
	rb_sha256_hex(h, hex);
	snprintf(line, linelen, "%s %s sha256:%s", name,
		 scope == RB_SCOPE_WRITE ? "write" : "read", hex);
	memset(r, 0, sizeof(r));
	return 0;
}
