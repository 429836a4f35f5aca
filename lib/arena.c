#include "arena.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK_MIN (16 * 1024)

struct rb_arena_chunk {
	struct rb_arena_chunk *next;
	size_t size, used;
	max_align_t data[];
};

static void *
xmalloc(size_t n)
{
	void *p = malloc(n);
	if (p == NULL) {
		fputs("rebound: out of memory\n", stderr);
		abort();
	}
	return p;
}

#define SPARE_MAX 64	/* base-sized chunks kept by reset: 1 MiB */

void
rb_arena_init(struct rb_arena *a)
{
	a->head = NULL;
	a->total = 0;
	a->spare = NULL;
	a->nspare = 0;
}

static void
free_list(struct rb_arena_chunk *c)
{
	struct rb_arena_chunk *n;
	for (; c != NULL; c = n) {
		n = c->next;
		free(c);
	}
}

void
rb_arena_free(struct rb_arena *a)
{
	free_list(a->head);
	free_list(a->spare);
	rb_arena_init(a);
}

void
rb_arena_reset(struct rb_arena *a)
{
	struct rb_arena_chunk *c = a->head, *n;
	for (; c != NULL; c = n) {
		n = c->next;
		if (c->size == CHUNK_MIN && a->nspare < SPARE_MAX) {
			c->next = a->spare;
			a->spare = c;
			a->nspare++;
		} else {
			free(c);
		}
	}
	a->head = NULL;
	a->total = 0;
}

void *
rb_arena_alloc_raw(struct rb_arena *a, size_t n)
{
	const size_t align = sizeof(max_align_t);
	size_t need = (n + align - 1) / align * align;
	struct rb_arena_chunk *c = a->head;

	if (need < n)
		abort();
	if (c == NULL || c->size - c->used < need) {
		size_t sz = need > CHUNK_MIN ? need : CHUNK_MIN;
		if (sz == CHUNK_MIN && a->spare != NULL) {
			c = a->spare;
			a->spare = c->next;
			a->nspare--;
		} else {
			c = xmalloc(sizeof(*c) + sz);
			c->size = sz;
		}
		c->used = 0;
		c->next = a->head;
		a->head = c;
	}
	void *p = (char *)c->data + c->used;
	c->used += need;
	a->total += need;
	return p;
}

void *
rb_arena_alloc(struct rb_arena *a, size_t n)
{
	void *p = rb_arena_alloc_raw(a, n);
	memset(p, 0, n);
	return p;
}

char *
rb_arena_strndup(struct rb_arena *a, const char *s, size_t n)
{
	if (s == NULL)
		return NULL;
	char *p = rb_arena_alloc_raw(a, n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

void *
rb_arena_grow(struct rb_arena *a, void *v, size_t n, size_t *cap, size_t size,
	      size_t first)
{
	if (n < *cap)
		return v;
	size_t nc = *cap ? *cap * 2 : first;
	if (nc < *cap || nc > (size_t)-1 / size)
		abort();
	void *nv = rb_arena_alloc(a, nc * size);
	if (n)
		memcpy(nv, v, n * size);
	*cap = nc;
	return nv;
}

char *
rb_arena_strdup(struct rb_arena *a, const char *s)
{
	return s == NULL ? NULL : rb_arena_strndup(a, s, strlen(s));
}

char *
rb_arena_printf(struct rb_arena *a, const char *fmt, ...)
{
	va_list ap, ap2;
	va_start(ap, fmt);
	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		va_end(ap2);
		return rb_arena_strdup(a, "");
	}
	char *p = rb_arena_alloc(a, (size_t)n + 1);
	vsnprintf(p, (size_t)n + 1, fmt, ap2);
	va_end(ap2);
	return p;
}
