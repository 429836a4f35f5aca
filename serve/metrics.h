/*
 * metrics: the counters of `rebound serve` and their Prometheus text
 * (GET /metrics).  Every function is safe from any thread at any time
 * (atomics only, no locks); counters only grow.
 */
#ifndef RB_SERVE_METRICS_H
#define RB_SERVE_METRICS_H

#include <stddef.h>

/* the endpoints, one label value each */
enum rb_ep {
	RB_EP_CHECK, RB_EP_BATCH, RB_EP_CHANGES, RB_EP_SUPPRESS,
	RB_EP_UNSUPPRESS, RB_EP_HEALTH, RB_EP_READY, RB_EP_METRICS,
	RB_EP_UNSUBSCRIBE, RB_EP_UNSUB_LINKS, RB_EP_OTHER, RB_EP_N
};

/* One answer: its status code (codes not in the table are not counted
 * by code) and how long it took, in seconds, for the histogram. */
void rb_metrics_answer(enum rb_ep ep, unsigned status, double seconds);

enum rb_counter {
	RB_M_ADDRESSES,		/* looked up, single and batch */
	RB_M_SUPPRESSED,	/* answered "suppressed" */
	RB_M_INVALID,		/* not an address */
	RB_M_DB_ERRORS,		/* failed statements and connections */
	RB_M_AUTH_FAILURES,	/* requests without a valid token */
	RB_M_CACHE_HITS,	/* lookups answered from the cache */
	RB_M_CACHE_MISSES,	/* lookups the cache could not answer */
	RB_M_CACHE_DROPS,	/* whole-cache drops (serve/cache.h) */
	RB_M_N
};
void rb_metrics_add(enum rb_counter c, unsigned long n);

/* The whole text exposition, malloc'ed (NUL-terminated); NULL when out
 * of memory.  cache_entries: the gauge of entries held now. */
char *rb_metrics_text(size_t cache_entries);

#endif
