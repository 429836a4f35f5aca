/*
 * metrics: the counters of one mailbox worker in the Prometheus text
 * format.  Each worker writes its own file (metrics_file x.prom becomes
 * x.NAME.prom), atomically (a temporary file renamed over it), for
 * node-exporter's textfile collector; with metrics_listen the supervisor
 * serves the workers' files over HTTP, on a loopback address only.
 */
#ifndef RB_DAEMON_METRICS_H
#define RB_DAEMON_METRICS_H

#include <stddef.h>
#include <time.h>

#include "core/config.h"

/*
 * Counters of one worker process.  Written by that worker's threads, each
 * field by one thread at a time: parser_failures by the parser thread,
 * imap_errors by the mover thread while it connects (mover_connect) and
 * by the main thread otherwise, every other field by the main thread.
 * Read by the main thread between passes (metrics_write).
 */
struct metrics {
	unsigned long long fetched, messages_new, messages_dup, events[8];
	unsigned long long supp_new, quarantined, parser_failures;
	unsigned long long imap_errors, db_errors, batches;
	double batch_seconds_sum, batch_seconds_last;
	time_t last_success;
};

/* The file of mailbox m. */
void metrics_path(const struct rb_config *cf, const struct rb_mailbox_conf *m,
		  char *path, size_t cap);
/* Write x to m's file (nothing when metrics_file is unset; a failure is
 * logged). */
void metrics_write(const struct rb_config *cf, const struct rb_mailbox_conf *m,
		   const struct metrics *x);

/* A listening socket for "HOST:PORT" (loopback only), or -1 (logged). */
int metrics_listen_open(const char *spec);
/* Answer one scrape on lfd: every worker's file, concatenated. */
void metrics_serve(int lfd, const struct rb_config *cf);

#endif
