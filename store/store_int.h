/*
 * store_int: what store/ modules share and nothing outside store/ may
 * include (it pulls in libpq).  The other store modules (mailbox_state.c,
 * report_q.c, ...) use rb_store_pg() for their SQL, and rb_store_fail*() to
 * record a sanitised error that rb_store_error() then returns.
 *
 * Rules for store/ code: parameterised queries only (PQexecParams /
 * prepared statements / COPY with escaping by rb_copy_*), never SQL built
 * from data; timestamps cross the wire as ISO 8601 text or epoch numbers.
 */
#ifndef RB_STORE_INT_H
#define RB_STORE_INT_H

#include <libpq-fe.h>
#include <stdarg.h>
#include <time.h>

#include "core/unsubscribe.h"
#include "store.h"

PGconn *rb_store_pg(struct rb_store *s);

/* Record an error: printf-style text, then ": " + libpq's message when
 * res or the connection has one.  Always returns -1.  The password of the
 * connection is redacted from the text. */
int rb_store_fail(struct rb_store *s, const PGresult *res, const char *fmt,
		  ...) __attribute__((format(printf, 3, 4)));

/* PQexecParams with text parameters; on failure records the error, clears
 * the result and returns NULL.  want: PGRES_COMMAND_OK or PGRES_TUPLES_OK. */
PGresult *rb_store_q(struct rb_store *s, ExecStatusType want,
		     const char *sql, int nparams,
		     const char *const *params);
/* Simple statement without parameters nor rows (DDL, BEGIN...). */
int rb_store_exec(struct rb_store *s, const char *sql);

/* Growable buffer for COPY text format. */
struct rb_copybuf {
	char *p;
	size_t n, cap;
};
void rb_copy_str(struct rb_copybuf *b, const char *s);	/* NULL -> \N */
void rb_copy_strn(struct rb_copybuf *b, const char *s, size_t n);
void rb_copy_raw(struct rb_copybuf *b, const char *s);	/* no escaping */
void rb_copy_bytea(struct rb_copybuf *b, const unsigned char *d, size_t n);
void rb_copy_long(struct rb_copybuf *b, long long v);
void rb_copy_time(struct rb_copybuf *b, time_t t);	/* 0 -> \N, else ISO 8601 UTC */
void rb_copy_sep(struct rb_copybuf *b);	/* tab */
void rb_copy_eol(struct rb_copybuf *b);	/* newline */
void rb_copy_free(struct rb_copybuf *b);

/* Append day to the growable array *days (*n used, *cap allocated), the
 * soft-bounce days that rb_policy_decide() counts. */
void rb_days_add(long **days, size_t *n, size_t *cap, long day);
/*
 * Buffers kept by the session between batches: rb_copy_take gives an
 * empty one (with the room it had), rb_copy_give takes it back (freed
 * instead when over 8 MiB, or when the store keeps RB_COPY_KEEP already).
 * Memory the kernel has to hand out afresh costs a page fault per 4 KiB
 * (about 15 µs on this project's virtual machine: 4.5 ms for a batch's
 * 1.2 MB of event rows); kept, the batch's COPY text reuses pages that
 * are already there, and the store's memory stays what its largest batch
 * needed, instead of being mapped and unmapped with every batch.  A stack:
 * given back in the reverse order of taking, each buffer comes back to
 * the same use in the next batch, with the room that use needs.
 */
#define RB_COPY_KEEP 8
void rb_copy_take(struct rb_store *s, struct rb_copybuf *b);
void rb_copy_give(struct rb_store *s, struct rb_copybuf *b);
/* COPY table FROM STDIN with the buffer's rows. */
int rb_store_copy_in(struct rb_store *s, const char *copy_sql,
		     const struct rb_copybuf *b);

/* `policy replay` over the keys in the temporary table rb_replay_keys
 * (addr_key text) only, inside the caller's transaction (which holds the
 * writers' lock 1919250544); note goes into the history rows it writes.
 * Prints each difference to out; *changes gets their number. */
int rb_store_replay_keys(struct rb_store *s, const struct rb_policy *pol,
			 const char *note, FILE *out, unsigned long *changes);
/* The temporary tables of rb_store_write_batch (created ON COMMIT DELETE
 * ROWS, once per session): NONE not known to be there (CREATE ... IF NOT
 * EXISTS); CREATED by the open transaction; READY there and empty; USED
 * holding rows of the open transaction (a second batch in it must empty
 * them first).  A COMMIT makes them READY, a rollback or a failed COMMIT
 * NONE (rb_store_commit/rollback). */
enum rb_tmp_state { RB_TMP_NONE, RB_TMP_CREATED, RB_TMP_READY, RB_TMP_USED };
enum rb_tmp_state rb_store_tmp(const struct rb_store *s);
void rb_store_tmp_set(struct rb_store *s, enum rb_tmp_state st);
/* Tenant attribution under pol (its tenant.domains file read once and
 * again when the path changes); NULL (error recorded) when the file
 * cannot be read. */
const struct rb_tenancy *rb_store_tenancy(struct rb_store *s,
					  const struct rb_policy *pol);
/* The scope set by rb_store_set_scope(): tenant and stream (NULL when
 * none), and the scope manual writes land in (RB_SCOPE_MAX bytes). */
const char *rb_store_scope_tenant(const struct rb_store *s);
const char *rb_store_scope_stream(const struct rb_store *s);
void rb_store_write_scope(const struct rb_store *s, char *out);
/* SQL: does the scope column c answer the readers' question with the
 * tenant in parameter T and the stream in S (both text, NULL: none)? */
#define RB_SCOPE_COVERS(c, T, S)                                               \
	"(" T "::text IS NULL OR " c " = '' OR " c " = " T " OR (" S            \
	"::text IS NULL AND left(" c ", length(" T ") + 1) = " T " || '/')"     \
	" OR " c " = " T " || '/' || " S ")"
/* The secret set by rb_store_unsubscribe_secret() (NULL: none). */
const char *rb_store_unsub_secret(const struct rb_store *s, size_t *len);
/* The rows of unsubscribe_ids (migration 022) whose ids are in the
 * bigint[] literal ids, sorted by id (free out->v); -1 (error recorded)
 * when the query fails.  rb_store_unsub_lookup is the look-up
 * rb_unsub_decide takes, over such rows (ctx). */
struct rb_unsub_row {
	unsigned long long id;
	struct rb_unsub u;	/* tenant, stream ("" none), address */
};
struct rb_unsub_rows {
	struct rb_unsub_row *v;
	size_t n;
};
int rb_store_unsub_rows(struct rb_store *s, const char *ids,
			struct rb_unsub_rows *out);
bool rb_store_unsub_lookup(void *ctx, unsigned long long id,
			   struct rb_unsub *u);
/* Raw bytes retention as set by rb_store_keep_raw(). */
bool rb_store_raw_kept(const struct rb_store *s, unsigned *days);
/* Append s to a PostgreSQL text[] literal being built in b ("{" and "}"
 * are the caller's). */
void rb_pg_array_add(struct rb_copybuf *b, const char *s, bool first);

/* Embedded migrations (generated from store/migrations/NNN_name.sql). */
struct rb_migration {
	int version;
	const char *name;
	const char *sql;
};
extern const struct rb_migration rb_migrations[];
extern const unsigned rb_migrations_count;

/* The writers' lock, taken first in every writing transaction (a batch,
 * suppress/unsuppress, import, replay, rekey).  A table lock, not an
 * advisory key: any role may take any advisory key, but EXCLUSIVE mode
 * on this table needs rights only the writing role has (migration 010),
 * so the read-only role cannot stall the writers. */
#define RB_WRITER_LOCK_SQL "LOCK TABLE rebound_writer_lock IN EXCLUSIVE MODE"

#endif
