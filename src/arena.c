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

void
rb_arena_init(struct rb_arena *a)
{
	a->head = NULL;
	a->total = 0;
}

void
rb_arena_free(struct rb_arena *a)
{
	struct rb_arena_chunk *c = a->head, *n;
	for (; c != NULL; c = n) {
		n = c->next;
		free(c);
	}
	a->head = NULL;
	a->total = 0;
}

void
rb_arena_reset(struct rb_arena *a)
{
	struct rb_arena_chunk *c = a->head, *keep = NULL, *n;
	/* keep the last (oldest, base-sized) chunk */
	for (; c != NULL; c = n) {
		n = c->next;
		if (n == NULL && c->size == CHUNK_MIN)
			keep = c;
		else
			free(c);
	}
	if (keep != NULL) {
		keep->used = 0;
		keep->next = NULL;
	}
	a->head = keep;
	a->total = 0;
}

void *
rb_arena_alloc(struct rb_arena *a, size_t n)
{
	const size_t align = sizeof(max_align_t);
	size_t need = (n + align - 1) / align * align;
	struct rb_arena_chunk *c = a->head;

	if (need < n)
		abort();
	if (c == NULL || c->size - c->used < need) {
		size_t sz = need > CHUNK_MIN ? need : CHUNK_MIN;
		c = xmalloc(sizeof(*c) + sz);
		c->size = sz;
		c->used = 0;
		c->next = a->head;
		a->head = c;
	}
	void *p = (char *)c->data + c->used;
	c->used += need;
	a->total += need;
	memset(p, 0, n);
	return p;
}

char *
rb_arena_strndup(struct rb_arena *a, const char *s, size_t n)
{
	if (s == NULL)
		return NULL;
	char *p = rb_arena_alloc(a, n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
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
