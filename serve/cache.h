/*
 * cache: rebound serve's answers to single lookups, kept so that a
 * repeated question costs no database round trip, and never trusted
 * beyond what the database has said since (docs/senders.md "Cache").
 *
 * An answer is filed under (addr_key, tenant, stream) exactly as the
 * database gave it.  It is given again only while:
 *   - the cache is valid: its keeper (serve/cache_feed.h) is LISTENing
 *     on the change channel and has read every change notified so far;
 *     rb_cache_suspend() stops every answer until rb_cache_resume();
 *   - it is younger than the time to live, and for a suppression, its
 *     expiry has not passed;
 *   - no change of its key was notified since (rb_cache_forget, which
 *     forgets the key in every scope), and the cache was not dropped.
 * A lookup takes a ticket before it asks the database and files the
 * answer with it; a ticket taken before any suspend, drop or resume
 * since files nothing, so an answer read before a change can never
 * outlive the change's notification.
 *
 * Bounded: at most max_entries answers (least recently used go first),
 * each at most about 1 KiB.  Every function is thread-safe.
 */
#ifndef RB_SERVE_CACHE_H
#define RB_SERVE_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "store/senders.h"

/* max_entries 0: no cache (rb_cache_get never answers); ttl_s > 0.
 * Starts invalid: nothing is answered before the first resume.
 * 0, or -1 out of memory. */
int rb_cache_init(size_t max_entries, unsigned ttl_s);
void rb_cache_free(void);
bool rb_cache_enabled(void);

/* The answer for key in the scope (tenant, stream: NULL none) at time
 * now; false when the cache cannot answer (ask the database). */
bool rb_cache_get(const char *key, const char *tenant, const char *stream,
		  time_t now, struct rb_active *out);
/* Taken before asking the database; 0 when nothing may be filed. */
uint64_t rb_cache_ticket(void);
/* File the database's answer a, asked with ticket t, at time now. */
void rb_cache_put(uint64_t t, const char *key, const char *tenant,
		  const char *stream, const struct rb_active *a, time_t now);

/* The keeper's side. */
void rb_cache_suspend(void);	/* answer nothing, file nothing */
void rb_cache_resume(void);	/* answer again (after a suspend) */
void rb_cache_forget(const char *key);	/* every scope of key; every
					 * ticket taken before files nothing */
void rb_cache_drop(void);	/* forget everything; counted */
size_t rb_cache_entries(void);

#endif
