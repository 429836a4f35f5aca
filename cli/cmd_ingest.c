/*
 * rebound ingest [--db CONNINFO] [--config FILE] [--policy FILE] [--batch N]
 *                [--rules FILE] [--quiet] PATH...
 * Parses mail from the same sources as `parse` and stores messages,
 * events and the policy's suppression decisions, one transaction per
 * batch.  A progress line on a terminal (standard error), a summary at
 * the end (standard output).  Exit status: 0 ok; 1 a path could not be
 * read or the store failed (batches already committed stay: re-running
 * is idempotent); 2 usage.
 * Parsing and storing overlap (a writer thread stores batch N while
 * batch N+1 is parsed).
 */
#include <getopt.h>
#include "lib/clock.h"
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ingest/files.h"
#include "parsers/mail.h"
#include "parsers/parse.h"
#include "store/store.h"
#include "cli_store.h"
#include "commands.h"
#include "lib/log.h"
#include "parsers/rules.h"
#include "core/event.h"
#include "core/policy.h"
#include "core/unsubscribe.h"

/* One batch being filled (by the parser) or stored (by the writer). */
struct slot {
	struct rb_arena *arenas;
	struct rb_store_msg *msgs;
	size_t n, bytes;
};

/*
 * Parsing (this thread) and storing (the writer thread) overlap: while
 * the database works on batch N, batch N+1 is parsed into the other
 * slot.  On 2 cores this roughly turns parse + store time into the
 * larger of the two.  Only the writer touches the store.
 */
struct ingest {
	struct rb_store *store;
	struct rb_policy policy;
	struct rb_parse_opts opts;
	size_t batch;
	struct slot slots[2];
	int cur;		/* slot being filled */
	struct rb_store_counts counts;	/* guarded by mu */
	int failed;
	bool tty, quiet;
	double t0, last;
	pthread_t writer;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int pending;		/* slot handed to the writer, or -1 */
	bool busy, quit, store_failed;
};


static void
progress(struct ingest *g, bool force)
{
	if (!g->tty || g->quiet)
		return;
	double t = rb_clock_s();
	if (!force && t - g->last < 0.5)
		return;
	g->last = t;
	pthread_mutex_lock(&g->mu);
	struct rb_store_counts c = g->counts;
	pthread_mutex_unlock(&g->mu);
	double el = t - g->t0;
	fprintf(stderr,
		"\r%lu messages (%lu new, %lu duplicate), %lu events, %lu new "
		"suppressions, %.0f msg/s  ",
		c.messages, c.messages_new, c.messages_dup, c.events_new,
		c.supp_new, el > 0 ? (double)c.messages / el : 0.0);
}

/* writer thread: store each handed slot in its own transaction */
static void *
writer_main(void *arg)
{
	struct ingest *g = arg;
	pthread_mutex_lock(&g->mu);
	for (;;) {
		while (g->pending < 0 && !g->quit)
			pthread_cond_wait(&g->cv, &g->mu);
		if (g->pending < 0 && g->quit)
			break;
		struct slot *sl = &g->slots[g->pending];
		g->pending = -1;
		g->busy = true;
		bool skip = g->store_failed;
		pthread_mutex_unlock(&g->mu);

		struct rb_store_counts c;
		memset(&c, 0, sizeof(c));
		bool ok = skip;
		if (!skip)
			ok = rb_store_begin(g->store) == 0 &&
			     rb_store_write_batch(g->store, &g->policy,
						  sl->msgs, sl->n, &c) == 0 &&
			     rb_store_commit(g->store) == 0;
		if (!ok && !skip) {
			char keep[1024];
			snprintf(keep, sizeof(keep), "%s",
				 rb_store_error(g->store));
			rb_store_rollback(g->store);
			if (g->tty && !g->quiet)
				fputc('\n', stderr);
			rb_err("storing a batch failed (nothing of it was "
			       "kept): %s",
			       keep);
		}
		for (size_t i = 0; i < sl->n; i++)
			rb_arena_reset(&sl->arenas[i]);
		sl->n = 0;
		sl->bytes = 0;

		pthread_mutex_lock(&g->mu);
		if (!ok)
			g->store_failed = true;
		else if (!skip) {
			g->counts.messages += c.messages;
			g->counts.messages_new += c.messages_new;
			g->counts.messages_dup += c.messages_dup;
			g->counts.events_new += c.events_new;
			g->counts.events_dup += c.events_dup;
			for (size_t k = 0; k <= RB_KIND_LAST; k++)
				g->counts.by_kind[k] += c.by_kind[k];
			g->counts.supp_new += c.supp_new;
			g->counts.supp_changed += c.supp_changed;
		}
		g->busy = false;
		pthread_cond_broadcast(&g->cv);
	}
	pthread_mutex_unlock(&g->mu);
	return NULL;
}

/* hand the current slot to the writer (waiting for it to be free) and
 * switch to the other one; returns -1 once storing has failed */
static int
flush(struct ingest *g)
{
	struct slot *sl = &g->slots[g->cur];
	if (sl->n == 0)
		return 0;
	pthread_mutex_lock(&g->mu);
	while (g->busy || g->pending >= 0)
		pthread_cond_wait(&g->cv, &g->mu);
	bool failed = g->store_failed;
	if (!failed) {
		g->pending = g->cur;
		pthread_cond_broadcast(&g->cv);
	}
	pthread_mutex_unlock(&g->mu);
	if (failed)
		return -1;
	g->cur ^= 1;
	progress(g, false);
	return 0;
}

static void
wait_idle(struct ingest *g)
{
	pthread_mutex_lock(&g->mu);
	while (g->busy || g->pending >= 0)
		pthread_cond_wait(&g->cv, &g->mu);
	pthread_mutex_unlock(&g->mu);
}

static int
on_msg(void *ctx, const struct rb_msg *msg)
{
	struct ingest *g = ctx;
	struct slot *sl = &g->slots[g->cur];
	struct rb_arena *a = &sl->arenas[sl->n];
	struct rb_events evs;
	rb_events_init(&evs, a);
	char *data = rb_arena_alloc(a, msg->len + 1);
	memcpy(data, msg->data, msg->len);
	rb_parse_message(a, data, msg->len, &g->opts, &evs);
	struct rb_store_msg *m = &sl->msgs[sl->n++];
	m->source = rb_arena_strdup(a, msg->path);
	m->index = msg->index;
	m->data = data;
	m->len = msg->len;
	m->size = msg->size;
	m->events = evs.v;
	m->nevents = evs.n;
	sl->bytes += msg->len;
	if (sl->n == g->batch || sl->bytes > (64u << 20))
		if (flush(g) != 0)
			return 1;	/* stop the walk */
	return 0;
}

static void
on_err(void *ctx, const char *path, const char *error)
{
	struct ingest *g = ctx;
	g->failed++;
	rb_err("%s: %s", path, error);
}

static void
usage(FILE *f)
{
	fputs("usage: rebound ingest [--db CONNINFO] [--config FILE] "
	      "[--policy FILE]\n"
	      "                      [--batch N] [--rules FILE] [--quiet]\n"
	      "                      [--unsubscribe-secret-file FILE] "
	      "PATH...\n"
	      "PATH is a message file, a Maildir or directory (recursively),\n"
	      "an mbox file, or - for one message on standard input.\n"
	      "The tokens of unsubscribe mails are checked with the secret "
	      "(default:\nunsubscribe_secret_file of the configuration); "
	      "without one they are refused.\n",
	      f);
}

static void
summary(const struct ingest *g, double secs)
{
	const struct rb_store_counts *c = &g->counts;
	printf("messages: %lu (new %lu, duplicates skipped %lu)\n",
	       c->messages, c->messages_new, c->messages_dup);
	printf("events: %lu new (", c->events_new);
	for (int k = RB_KIND_BOUNCE; k <= RB_KIND_LAST; k++)
		printf("%s%s %lu", k == RB_KIND_BOUNCE ? "" : ", ",
		       rb_kind_name((enum rb_kind)k), c->by_kind[k]);
	printf(", unknown %lu), duplicate reports skipped %lu\n",
	       c->by_kind[RB_KIND_UNKNOWN], c->events_dup);
	printf("suppressions: %lu new, %lu changed\n", c->supp_new,
	       c->supp_changed);
	printf("time: %.2f s (%.0f messages/s)\n", secs,
	       secs > 0 ? (double)c->messages / secs : 0.0);
}

int
cmd_ingest(int argc, char **argv)
{
	static const struct option lo[] = {
	    RB_CLI_OPTIONS,
	    RB_CLI_POLICY_OPTION,
	    {"batch", required_argument, NULL, 'b'},
	    {"rules", required_argument, NULL, 'r'},
	    {"quiet", no_argument, NULL, 'q'},
	    {"unsubscribe-secret-file", required_argument, NULL, 'k'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct rb_cli cli = {0};
	const char *rules_path = NULL, *secret_file = NULL;
	struct ingest g;
	int c;
	memset(&g, 0, sizeof(g));
	g.batch = 1000;
	g.pending = -1;
	rb_parse_opts_default(&g.opts);
	while ((c = rb_cli_getopt(&cli, argc, argv, "d:b:r:qh", lo)) != -1) {
		switch (c) {
		case 'b':
			g.batch = (size_t)strtoul(optarg, NULL, 10);
			if (g.batch < 1 || g.batch > 100000) {
				rb_err("--batch must be 1..100000");
				return 2;
			}
			break;
		case 'r':
			rules_path = optarg;
			break;
		case 'q':
			g.quiet = true;
			break;
		case 'k':
			secret_file = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	if (rb_cli_policy(&cli, &g.policy) != 0)
		return 1;
	struct rb_rules *rules = rb_load_rules(rules_path, &g.opts.limits);
	if (rules == NULL)
		return 1;
	g.opts.rules = rules;
	g.store = rb_cli_open(&cli, true);
	if (g.store == NULL) {
		rb_rules_free(rules);
		return 1;
	}
	rb_store_keep_raw(g.store, g.policy.keep_raw,
			  (unsigned)(g.policy.raw_retention / 86400));
	/* the tokens of unsubscribe mails are checked with this secret */
	if (secret_file == NULL && cli.cf)
		secret_file = cli.cf->unsubscribe_secret_file;
	char *secret = NULL;
	size_t slen = 0;
	if (secret_file) {
		char *serr = NULL;
		secret = rb_unsub_secret_read(secret_file, &slen, &serr);
		if (secret == NULL) {
			rb_err("%s", serr ? serr : "cannot read the secret");
			free(serr);
			rb_store_close(g.store);
			rb_rules_free(rules);
			return 1;
		}
		rb_store_unsubscribe_secret(g.store, secret, slen);
	}
	rb_mail_global_init();
	for (int k = 0; k < 2; k++) {
		g.slots[k].arenas = calloc(g.batch, sizeof(struct rb_arena));
		g.slots[k].msgs = calloc(g.batch, sizeof(struct rb_store_msg));
		if (g.slots[k].arenas == NULL || g.slots[k].msgs == NULL) {
			rb_err("out of memory");
			return 1;
		}
		for (size_t i = 0; i < g.batch; i++)
			rb_arena_init(&g.slots[k].arenas[i]);
	}
	g.tty = isatty(2);
	g.t0 = g.last = rb_clock_s();
	pthread_mutex_init(&g.mu, NULL);
	pthread_cond_init(&g.cv, NULL);
	if (pthread_create(&g.writer, NULL, writer_main, &g) != 0) {
		rb_err("cannot start the writer thread");
		return 1;
	}
	rb_files_walk((const char *const *)argv + optind,
				 (size_t)(argc - optind),
				 g.opts.limits.max_message, on_msg, on_err, &g);
	flush(&g);
	wait_idle(&g);
	pthread_mutex_lock(&g.mu);
	g.quit = true;
	pthread_cond_broadcast(&g.cv);
	pthread_mutex_unlock(&g.mu);
	pthread_join(g.writer, NULL);
	for (int k = 0; k < 2; k++) {
		for (size_t i = 0; i < g.batch; i++)
			rb_arena_free(&g.slots[k].arenas[i]);
		free(g.slots[k].arenas);
		free(g.slots[k].msgs);
	}
	if (g.tty && !g.quiet)
		fputc('\n', stderr);
	if (!g.quiet)
		summary(&g, rb_clock_s() - g.t0);
	rb_store_close(g.store);
	if (secret) {
		explicit_bzero(secret, slen);
		free(secret);
	}
	rb_rules_free(rules);
	return g.store_failed || g.failed ? 1 : 0;
}
