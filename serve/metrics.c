/*
 * metrics.c: the counters of rebound serve (see metrics.h).
 */
#include "metrics.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

static const char *const ep_name[RB_EP_N] = {
    "check", "check_batch", "changes", "suppress", "unsuppress",
    "health", "ready", "metrics", "unsubscribe", "unsubscribe_links", "other"};
static const unsigned codes[] = {200, 400, 401, 403, 404, 405,
				 410, 413, 422, 500, 503};
#define NCODES (sizeof(codes) / sizeof(codes[0]))
static const double buckets[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
				 0.05,	 0.1,	0.25,	0.5,   1.0};
#define NBUCKETS (sizeof(buckets) / sizeof(buckets[0]))

static struct {
	atomic_ulong requests[RB_EP_N][NCODES];
	atomic_ulong hist[RB_EP_N][NBUCKETS + 1];
	atomic_ullong micros[RB_EP_N];	/* duration sum, microseconds */
	atomic_ulong counter[RB_M_N];
} m;

/* name, help text and type of each counter, in enum order */
static const struct {
	const char *name, *help, *type;
} counter_doc[RB_M_N] = {
    {"rebound_addresses_total", "Addresses looked up.", "counter"},
    {"rebound_suppressed_total", "Answers \"suppressed\".", "counter"},
    {"rebound_invalid_total", "Inputs that were not an address.", "counter"},
    {"rebound_db_errors_total", "Database errors and failed connections.",
     "counter"},
    {"rebound_auth_failures_total", "Requests without a valid token.",
     "counter"},
    {"rebound_cache_hits_total", "Lookups answered from the cache.",
     "counter"},
    {"rebound_cache_misses_total",
     "Lookups the cache could not answer (asked the database).", "counter"},
    {"rebound_cache_drops_total",
     "Times the whole cache was dropped (lost listener connection, "
     "unknown or too many notifications).",
     "counter"},
};

void
rb_metrics_answer(enum rb_ep ep, unsigned status, double d)
{
	for (size_t i = 0; i < NCODES; i++)
		if (codes[i] == status) {
			atomic_fetch_add(&m.requests[ep][i], 1);
			break;
		}
	size_t b = 0;
	while (b < NBUCKETS && d > buckets[b])
		b++;
	atomic_fetch_add(&m.hist[ep][b], 1);
	atomic_fetch_add(&m.micros[ep], (unsigned long long)(d * 1e6));
}

void
rb_metrics_add(enum rb_counter c, unsigned long n)
{
	atomic_fetch_add(&m.counter[c], n);
}

char *
rb_metrics_text(size_t cache_entries)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (f == NULL)
		return NULL;
	fputs("# HELP rebound_http_requests_total HTTP requests answered.\n"
	      "# TYPE rebound_http_requests_total counter\n", f);
	for (int e = 0; e < RB_EP_N; e++)
		for (size_t i = 0; i < NCODES; i++) {
			unsigned long v = atomic_load(&m.requests[e][i]);
			if (v)
				fprintf(f, "rebound_http_requests_total{endpoint"
					   "=\"%s\",code=\"%u\"} %lu\n",
					ep_name[e], codes[i], v);
		}
	fputs("# HELP rebound_http_request_duration_seconds Time to "
	      "answer.\n# TYPE rebound_http_request_duration_seconds "
	      "histogram\n", f);
	for (int e = 0; e < RB_EP_N; e++) {
		unsigned long cum = 0;
		for (size_t b = 0; b <= NBUCKETS; b++) {
			cum += atomic_load(&m.hist[e][b]);
			if (b < NBUCKETS)
				fprintf(f, "rebound_http_request_duration_"
					   "seconds_bucket{endpoint=\"%s\","
					   "le=\"%g\"} %lu\n",
					ep_name[e], buckets[b], cum);
			else
				fprintf(f, "rebound_http_request_duration_"
					   "seconds_bucket{endpoint=\"%s\","
					   "le=\"+Inf\"} %lu\n",
					ep_name[e], cum);
		}
		fprintf(f, "rebound_http_request_duration_seconds_sum{endpoint"
			   "=\"%s\"} %.6f\n",
			ep_name[e], atomic_load(&m.micros[e]) / 1e6);
		fprintf(f, "rebound_http_request_duration_seconds_count{"
			   "endpoint=\"%s\"} %lu\n",
			ep_name[e], cum);
	}
	for (int c = 0; c < RB_M_N; c++)
		fprintf(f, "# HELP %s %s\n# TYPE %s %s\n%s %lu\n",
			counter_doc[c].name, counter_doc[c].help,
			counter_doc[c].name, counter_doc[c].type,
			counter_doc[c].name, atomic_load(&m.counter[c]));
	fprintf(f, "# HELP rebound_cache_entries Answers held in the cache.\n"
		   "# TYPE rebound_cache_entries gauge\n"
		   "rebound_cache_entries %zu\n",
		cache_entries);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}
