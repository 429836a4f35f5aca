/*
 * scope: where a suppression applies (docs/tenants.md).
 *
 * A scope is global, one tenant, or one stream of one tenant, written
 * "" , "TENANT" or "TENANT/STREAM" (the suppressions.scope column).
 * Tenant and stream names are 1..64 characters of [A-Za-z0-9._-]; any
 * other form is refused, never read as "no scope".
 *
 * The policy names a level per class (global, tenant, stream); an
 * event's scope is that level applied to what it was attributed to: a
 * level the attribution cannot fill falls back to the wider one (stream
 * without a known stream: the tenant; tenant without a known tenant:
 * global), so a suppression never lands nowhere.
 */
#ifndef RB_SCOPE_H
#define RB_SCOPE_H

#include <stdbool.h>
#include <stddef.h>

enum rb_scope_level {
	RB_SCOPE_GLOBAL = 0,
	RB_SCOPE_TENANT,
	RB_SCOPE_STREAM,
};

/* "TENANT/STREAM" + NUL */
#define RB_SCOPE_MAX 130

const char *rb_scope_level_name(enum rb_scope_level l);
int rb_scope_level_parse(const char *s, enum rb_scope_level *l);

/* A tenant or stream name as allowed above. */
bool rb_scope_name_ok(const char *name);

/* The scope of level l for tenant and stream (either may be NULL or "")
 * into out (RB_SCOPE_MAX bytes), with the fall-backs above. */
void rb_scope_make(enum rb_scope_level l, const char *tenant,
		   const char *stream, char *out);

/*
 * A scope as written by a person (suppress --scope, import): "global"
 * or "", "TENANT", "TENANT/STREAM".  0 and the stored form in out, or -1
 * when malformed.
 */
int rb_scope_parse(const char *s, char *out);

/*
 * The question of a reader, --tenant T [--stream S]: tenant NULL means
 * every scope (no stream then); else T's own, its streams' (only S's
 * when a stream is given) and the global suppressions.  0 when the names
 * are well formed, else -1 with a message in err.
 */
struct rb_scope_query {
	const char *tenant;	/* NULL: every scope */
	const char *stream;	/* NULL: every stream of the tenant */
};
int rb_scope_query_check(const struct rb_scope_query *q, char *err,
			 size_t errlen);
/* Does the stored scope answer the question? */
bool rb_scope_covers(const struct rb_scope_query *q, const char *scope);

#endif
