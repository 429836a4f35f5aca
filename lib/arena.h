/*
 * arena: an alloc-only memory pool for one unit of work (one mail).
 *
 * Everything the parse of one mail allocates comes from its arena and is
 * freed in one go by rb_arena_free().  Allocation never returns NULL: on
 * out-of-memory the process aborts (a mail processor that half-parses on
 * OOM is worse than one that restarts and replays the batch).
 */
#ifndef RB_ARENA_H
#define RB_ARENA_H

#include <stdarg.h>
#include <stddef.h>

struct rb_arena_chunk;

struct rb_arena {
	struct rb_arena_chunk *head;
	size_t total;		/* bytes handed out, for limits and tests */
	struct rb_arena_chunk *spare;	/* base-sized chunks kept by reset */
	size_t nspare;
};

void rb_arena_init(struct rb_arena *a);
void rb_arena_free(struct rb_arena *a);
/* Free everything, keeping up to 1 MiB of base-sized chunks for reuse
 * (a mail loop then stops calling malloc and free: flat memory, no heap
 * trimming). */
void rb_arena_reset(struct rb_arena *a);

void *rb_arena_alloc(struct rb_arena *a, size_t n);	/* zeroed */
/* Not zeroed: for buffers the caller fills before reading (copies,
 * decoders), where zeroing would only cost (n can be large). */
void *rb_arena_alloc_raw(struct rb_arena *a, size_t n);
/* Room for one more element in the arena array v of n elements of size
 * bytes, capacity *cap: v itself while n < *cap, else a zeroed copy with
 * twice the capacity (first when it was empty), *cap updated.  The old
 * array stays in the arena until it is freed. */
void *rb_arena_grow(struct rb_arena *a, void *v, size_t n, size_t *cap,
		    size_t size, size_t first);
char *rb_arena_strdup(struct rb_arena *a, const char *s);	/* NULL->NULL */
char *rb_arena_strndup(struct rb_arena *a, const char *s, size_t n);
char *rb_arena_printf(struct rb_arena *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
