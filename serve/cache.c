/*
 * cache.c: rebound serve's answers, sharded, each shard a hash table
 * with its own lock and its own least-recently-used list (see cache.h).
 */
#include "cache.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "core/policy.h"
#include "serve/metrics.h"

#define NSHARDS 64
/* the strings of an entry, in its data, in this order */
enum { S_KEY, S_TENANT, S_STREAM, S_CLASS, S_REASON, S_SINCE, S_EXPIRES,
       S_SCOPE, S_N };

struct entry {
	struct entry *chain;	/* the bucket's next */
	struct entry *newer, *older;	/* the shard's recency list */
	uint64_t hash;
	time_t born;
	time_t until;		/* a suppression's expiry; 0 none */
	bool active;
	unsigned short off[S_N];
	char data[];
};

struct shard {
	pthread_mutex_t lock;
	struct entry **bucket;
	size_t nbucket;		/* a power of two */
	size_t n, max;
	struct entry *newest, *oldest;
};

static struct shard *shards;
static unsigned ttl;
static atomic_bool valid;
static atomic_uint_fast64_t gen = 1;
static atomic_size_t total;

static uint64_t
hash_of(const char *key)
{
	uint64_t h = 14695981039346656037ULL;	/* FNV-1a */
	for (const unsigned char *p = (const void *)key; *p; p++)
		h = (h ^ *p) * 1099511628211ULL;
	return h;
}

static struct shard *
shard_of(uint64_t h)
{
	return &shards[(h >> 32) % NSHARDS];
}

static struct entry **
slot_of(struct shard *sh, uint64_t h)
{
	return &sh->bucket[h & (sh->nbucket - 1)];
}

int
rb_cache_init(size_t max_entries, unsigned ttl_s)
{
	if (max_entries == 0)
		return 0;
	shards = calloc(NSHARDS, sizeof(*shards));
	if (shards == NULL)
		return -1;
	size_t per = (max_entries + NSHARDS - 1) / NSHARDS;
	size_t nb = 16;
	while (nb < per)
		nb *= 2;
	for (size_t i = 0; i < NSHARDS; i++)
		pthread_mutex_init(&shards[i].lock, NULL);
	for (size_t i = 0; i < NSHARDS; i++) {
		shards[i].max = per;
		shards[i].nbucket = nb;
		shards[i].bucket = calloc(nb, sizeof(struct entry *));
		if (shards[i].bucket == NULL) {
			rb_cache_free();
			return -1;
		}
	}
	ttl = ttl_s ? ttl_s : 1;
	atomic_store(&valid, false);
	return 0;
}

bool
rb_cache_enabled(void)
{
	return shards != NULL;
}

static const char *
str(const struct entry *e, int i)
{
	return e->data + e->off[i];
}

/* unlink e from its bucket and the recency list, and free it */
static void
remove_entry(struct shard *sh, struct entry *e)
{
	struct entry **p = slot_of(sh, e->hash);
	while (*p != e)
		p = &(*p)->chain;
	*p = e->chain;
	if (e->newer)
		e->newer->older = e->older;
	else
		sh->newest = e->older;
	if (e->older)
		e->older->newer = e->newer;
	else
		sh->oldest = e->newer;
	sh->n--;
	atomic_fetch_sub(&total, 1);
	free(e);
}

/* put e (in no list) at the newest end of the recency list */
static void
link_newest(struct shard *sh, struct entry *e)
{
	e->newer = NULL;
	e->older = sh->newest;
	if (sh->newest)
		sh->newest->newer = e;
	sh->newest = e;
	if (sh->oldest == NULL)
		sh->oldest = e;
}

static void
make_newest(struct shard *sh, struct entry *e)
{
	if (sh->newest == e)
		return;
	if (e->newer)
		e->newer->older = e->older;
	if (e->older)
		e->older->newer = e->newer;
	else if (sh->oldest == e)
		sh->oldest = e->newer;
	link_newest(sh, e);
}

static struct entry *
find(struct shard *sh, uint64_t h, const char *key, const char *tenant,
     const char *stream)
{
	for (struct entry *e = *slot_of(sh, h); e; e = e->chain)
		if (e->hash == h && !strcmp(str(e, S_KEY), key) &&
		    !strcmp(str(e, S_TENANT), tenant) &&
		    !strcmp(str(e, S_STREAM), stream))
			return e;
	return NULL;
}

bool
rb_cache_get(const char *key, const char *tenant, const char *stream,
	     time_t now, struct rb_active *out)
{
	if (shards == NULL || !atomic_load(&valid))
		return false;
	uint64_t h = hash_of(key);
	struct shard *sh = shard_of(h);
	bool hit = false;
	pthread_mutex_lock(&sh->lock);
	struct entry *e = find(sh, h, key, tenant ? tenant : "",
			       stream ? stream : "");
	if (e != NULL) {
		/* too old, from a clock that went back, or expired since */
		if (now < e->born || now - e->born >= (time_t)ttl ||
		    (e->active && e->until != 0 && now >= e->until)) {
			remove_entry(sh, e);
		} else {
			memset(out, 0, sizeof(*out));
			out->active = e->active;
			snprintf(out->class, sizeof(out->class), "%s",
				 str(e, S_CLASS));
			snprintf(out->reason, sizeof(out->reason), "%s",
				 str(e, S_REASON));
			snprintf(out->since, sizeof(out->since), "%s",
				 str(e, S_SINCE));
			snprintf(out->expires_at, sizeof(out->expires_at), "%s",
				 str(e, S_EXPIRES));
			snprintf(out->scope, sizeof(out->scope), "%s",
				 str(e, S_SCOPE));
			make_newest(sh, e);
			hit = true;
		}
	}
	pthread_mutex_unlock(&sh->lock);
	return hit;
}

uint64_t
rb_cache_ticket(void)
{
	if (shards == NULL || !atomic_load(&valid))
		return 0;
	return atomic_load(&gen);
}

void
rb_cache_put(uint64_t t, const char *key, const char *tenant,
	     const char *stream, const struct rb_active *a, time_t now)
{
	if (t == 0 || shards == NULL)
		return;
	const char *s[S_N] = {key,	    tenant ? tenant : "",
			      stream ? stream : "",
			      a->active ? a->class : "",
			      a->active ? a->reason : "",
			      a->active ? a->since : "",
			      a->active ? a->expires_at : "",
			      a->active ? a->scope : ""};
	size_t len[S_N], sum = 0;
	for (int i = 0; i < S_N; i++) {
		len[i] = strlen(s[i]);
		sum += len[i] + 1;
	}
	time_t until = 0;
	if (a->active && a->expires_at[0] &&
	    rb_time_parse(a->expires_at, &until) != 0)
		return;	/* an expiry not understood: not kept */
	if (sum > 1024)
		return;
	struct entry *e = malloc(sizeof(*e) + sum);
	if (e == NULL)
		return;
	size_t o = 0;
	for (int i = 0; i < S_N; i++) {
		e->off[i] = (unsigned short)o;
		memcpy(e->data + o, s[i], len[i] + 1);
		o += len[i] + 1;
	}
	e->hash = hash_of(key);
	e->born = now;
	e->until = until;
	e->active = a->active;
	e->chain = e->newer = e->older = NULL;
	struct shard *sh = shard_of(e->hash);
	pthread_mutex_lock(&sh->lock);
	/* the ticket: nothing was suspended, resumed or dropped since */
	if (!atomic_load(&valid) || atomic_load(&gen) != t) {
		pthread_mutex_unlock(&sh->lock);
		free(e);
		return;
	}
	struct entry *old = find(sh, e->hash, s[S_KEY], s[S_TENANT],
				 s[S_STREAM]);
	if (old != NULL)
		remove_entry(sh, old);
	if (sh->n >= sh->max && sh->oldest != NULL)
		remove_entry(sh, sh->oldest);
	struct entry **slot = slot_of(sh, e->hash);
	e->chain = *slot;
	*slot = e;
	link_newest(sh, e);
	sh->n++;
	atomic_fetch_add(&total, 1);
	pthread_mutex_unlock(&sh->lock);
}

void
rb_cache_suspend(void)
{
	atomic_store(&valid, false);
	atomic_fetch_add(&gen, 1);
}

void
rb_cache_resume(void)
{
	atomic_fetch_add(&gen, 1);
	atomic_store(&valid, shards != NULL);
}

void
rb_cache_forget(const char *key)
{
	if (shards == NULL)
		return;
	uint64_t h = hash_of(key);
	struct shard *sh = shard_of(h);
	/* an answer read before now is filed nowhere */
	atomic_fetch_add(&gen, 1);
	pthread_mutex_lock(&sh->lock);
	struct entry *e = *slot_of(sh, h);
	while (e != NULL) {
		struct entry *next = e->chain;
		if (e->hash == h && !strcmp(str(e, S_KEY), key))
			remove_entry(sh, e);
		e = next;
	}
	pthread_mutex_unlock(&sh->lock);
}

static void
clear_shard(struct shard *sh)
{
	struct entry *e = sh->newest;
	while (e != NULL) {
		struct entry *next = e->older;
		free(e);
		e = next;
	}
	memset(sh->bucket, 0, sh->nbucket * sizeof(*sh->bucket));
	atomic_fetch_sub(&total, sh->n);
	sh->n = 0;
	sh->newest = sh->oldest = NULL;
}

void
rb_cache_drop(void)
{
	if (shards == NULL)
		return;
	atomic_fetch_add(&gen, 1);
	for (size_t i = 0; i < NSHARDS; i++) {
		pthread_mutex_lock(&shards[i].lock);
		clear_shard(&shards[i]);
		pthread_mutex_unlock(&shards[i].lock);
	}
	rb_metrics_add(RB_M_CACHE_DROPS, 1);
}

size_t
rb_cache_entries(void)
{
	return atomic_load(&total);
}

void
rb_cache_free(void)
{
	if (shards == NULL)
		return;
	atomic_store(&valid, false);
	for (size_t i = 0; i < NSHARDS; i++) {
		if (shards[i].bucket != NULL)
			clear_shard(&shards[i]);
		free(shards[i].bucket);
		pthread_mutex_destroy(&shards[i].lock);
	}
	free(shards);
	shards = NULL;
}
