/*
 * cache_feed: the thread that keeps serve/cache.h true.  It holds its
 * own database connection, LISTENs on rebound_suppression, and for each
 * wake-up with notifications: suspends the cache (so no lookup is
 * answered from it in between), reads the keys of the notified changes
 * and forgets them, and resumes.  It drops the whole cache and keeps it
 * suspended while it has no connection (lost, refused, or a ping
 * unanswered within 2 s; a ping after each second without
 * notifications), and drops it when a notification is not understood or
 * more than 1,000 come at once.  It resumes only once LISTEN is in place
 * again, so a change committed while it was away is read from the
 * database.  Without a cache (rb_cache_enabled() false) it is not
 * started.
 */
#ifndef RB_SERVE_CACHE_FEED_H
#define RB_SERVE_CACHE_FEED_H

/* Start the thread (conninfo kept, not copied); 0 or -1. */
int rb_cache_feed_start(const char *conninfo);
/* Stop it and wait for it; the cache is left suspended. */
void rb_cache_feed_stop(void);

#endif
