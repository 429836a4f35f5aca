/*
 * dbpool: the database connections of rebound serve's request threads,
 * one per thread, opened on first use.  A connection whose statement
 * failed is kept while it still answers a ping, else closed; a thread
 * without one opens a new one at most once a second (in between it is
 * told "unavailable" at once, so a database that is down costs nothing
 * per request).  Every connection opened is closed by rb_dbpool_close.
 */
#ifndef RB_SERVE_DBPOOL_H
#define RB_SERVE_DBPOOL_H

#include "store/store.h"

/* The conninfo every connection uses (NULL: $REBOUND_DB or built-in);
 * kept, not copied.  Before the first rb_dbpool_get. */
void rb_dbpool_init(const char *conninfo);
/* This thread's connection; NULL when the database cannot be reached
 * (the reason is logged and counted). */
struct rb_store *rb_dbpool_get(void);
/* After a failed statement on this thread's connection. */
void rb_dbpool_failed(void);
/* Close every connection (the request threads have stopped). */
void rb_dbpool_close(void);

#endif
