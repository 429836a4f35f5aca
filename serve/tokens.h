/*
 * tokens: the bearer tokens of `rebound serve`.  The file holds one
 * token a line, never the token itself:
 *
 *     # NAME  SCOPE  sha256:HEX
 *     mailer  read   sha256:5e88489...
 *     crm     write  sha256:1b4f0e9...
 *     acme    write  sha256:9c56cc5...  tenant=acme
 *
 * NAME ([A-Za-z0-9._-], at most 64) is the actor recorded for the
 * changes the token makes; SCOPE is read (lookups, changes) or write
 * (also suppress and unsuppress); HEX is the SHA-256 of the token.
 * tenant=T (a name as in core/scope.h) binds the token to one tenant:
 * it is taken only where its tenant is enforced (serve.c: POST
 * /v1/unsubscribe-links, for T's recipients alone) and refused (403)
 * everywhere else, never answered for every tenant.
 * Tokens are "rbt_" + 43 characters of base64url (32 random bytes), so
 * a plain hash is enough: there is nothing to guess.  Comparison takes
 * the same time whatever matches.
 */
#ifndef RB_TOKENS_H
#define RB_TOKENS_H

#include <stdbool.h>
#include <stddef.h>

enum rb_scope { RB_SCOPE_NONE = 0, RB_SCOPE_READ = 1, RB_SCOPE_WRITE = 2 };

struct rb_token {
	char name[65];
	enum rb_scope scope;
	char tenant[65];	/* "" every tenant */
	unsigned char hash[32];
};

struct rb_tokens {
	struct rb_token *v;
	size_t n;
};

/* Load path; 0, or -1 with "path:line: what" in err. */
int rb_tokens_load(const char *path, struct rb_tokens *t, char *err,
		   size_t errlen);
void rb_tokens_free(struct rb_tokens *t);
/* The token presented (n bytes); NULL when none matches. */
const struct rb_token *rb_tokens_find(const struct rb_tokens *t,
				      const char *tok, size_t n);
/* A new random token into out (>= 48 bytes) and its file line
 * ("NAME SCOPE sha256:HEX") into line (>= 160 bytes); 0 or -1. */
int rb_tokens_make(const char *name, enum rb_scope scope, char *out,
		   size_t outlen, char *line, size_t linelen);

#endif
