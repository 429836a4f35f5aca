/*
 * rebound run [--once] [--config FILE]: the daemon.
 *
 * One process per configured mailbox (forked by a supervisor; --once runs
 * them one after another in-process).  Per mailbox, per folder, per batch:
 *
 *   1. list UIDs above the cursor with their sizes (bounded batch);
 *   2. fetch bodies (BODY.PEEK[]) of those not over the size limit and not
 *      already failed too often; parse each in the parser child;
 *   3. ONE transaction: check the lease is still ours, store messages +
 *      events + suppressions, quarantine records, the server actions to
 *      do (imap_pending) and the advanced cursor; commit;
 *   4. only then move / flag / delete on the server, and forget the
 *      pending actions.
 *
 * A crash before 3 commits replays the batch (the store dedups by content
 * hash, so nothing counts twice); a crash between 3 and 4 leaves pending
 * actions that the next pass carries out first.  A batch whose lease was
 * taken over, or whose cursor moved under it, rolls back.
 *
 * The steps of a folder pass run as a pipeline (run_pipeline): a fetcher
 * thread (step 1 and the bodies, IMAP connection 1), a parser thread
 * (the parser child; attempt counts on its own database connection),
 * this thread (step 3, the only one that writes batches) and a mover
 * thread (step 4 on IMAP connection 2, in large groups, for what has
 * committed).  They meet in one mutex-protected hand-over per stage.
 *
 * Signal handlers only set flags; the loops check them between steps.
 */
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ingest/imap.h"
#include "parsers/parse.h"
#include "store/imap_state.h"
#include "store/store.h"
#include "daemon.h"
#include "lib/file.h"
#include "parsers/rules.h"
#include "core/config.h"
#include "core/policy.h"
#include "pworker.h"
#include "lib/sha256.h"
#include "lib/testhook.h"

static volatile sig_atomic_t stop_flag, hup_flag, chld_flag;

static void
on_stop(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static void
on_hup(int sig)
{
	(void)sig;
	hup_flag = 1;
}

static void
on_chld(int sig)
{
	(void)sig;
	chld_flag = 1;
}

static void
handle(int sig, void (*fn)(int))
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = fn;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;	/* no SA_RESTART: sleeps return early */
	sigaction(sig, &sa, NULL);
}

/* ---- logging: stderr, levels, optional JSON ---- */

static int log_min = 1;	/* 0 debug, 1 info, 2 warning, 3 error */
static int log_json;
static const char *log_mailbox;
static const char *const level_names[] = {"debug", "info", "warning",
					  "error"};

static void
json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

static void dlog(int level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void
dlog(int level, const char *fmt, ...)
{
	if (level < log_min)
		return;
	char msg[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	flockfile(stderr);	/* threads of a pass log whole lines */
	if (log_json) {
		char ts[32];
		time_t t = time(NULL);
		struct tm tm;
		gmtime_r(&t, &tm);
		strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
		fprintf(stderr, "{\"ts\":\"%s\",\"level\":\"%s\",", ts,
			level_names[level]);
		if (log_mailbox) {
			fputs("\"mailbox\":", stderr);
			json_str(stderr, log_mailbox);
			fputc(',', stderr);
		}
		fputs("\"msg\":", stderr);
		json_str(stderr, msg);
		fputs("}\n", stderr);
	} else {
		/* under systemd (JOURNAL_STREAM set) a "<N>" prefix gives
		 * journald the priority; on a terminal it would be noise */
		static const int prio[] = {7, 6, 4, 3};
		if (getenv("JOURNAL_STREAM"))
			fprintf(stderr, "<%d>", prio[level]);
		fprintf(stderr, "rebound: %s: %s%s%s\n", level_names[level],
			log_mailbox ? log_mailbox : "", log_mailbox ? ": " : "",
			msg);
	}
	fflush(stderr);
	funlockfile(stderr);
}
#define LOG_DEBUG(...) dlog(0, __VA_ARGS__)
#define LOG_INFO(...) dlog(1, __VA_ARGS__)
#define LOG_WARN(...) dlog(2, __VA_ARGS__)
#define LOG_ERR(...) dlog(3, __VA_ARGS__)

/* Sleep up to ms, returning early on a signal flag. */
static void
nap(long ms)
{
	while (ms > 0 && !stop_flag && !hup_flag) {
		long step = ms > 200 ? 200 : ms;
		struct timespec ts = {step / 1000, (step % 1000) * 1000000L};
		nanosleep(&ts, NULL);
		ms -= step;
	}
}

/* Exponential backoff with +-25% jitter, 1 s .. 60 s. */
struct backoff {
	unsigned fails;
};

static long
backoff_ms(struct backoff *b, long min_ms)
{
	long base = 1000L << (b->fails < 6 ? b->fails : 6);
	if (base > 60000)
		base = 60000;
	if (base < min_ms)
		base = min_ms;
	b->fails++;
	long jitter = base / 4;
	return base - jitter + (long)(random() % (2 * jitter + 1));
}

/* ---- metrics (Prometheus text format, textfile collector) ---- */

struct metrics {
	unsigned long long fetched, messages_new, messages_dup, events[8];
	unsigned long long supp_new, quarantined, parser_failures;
	unsigned long long imap_errors, db_errors, batches;
	double batch_seconds_sum, batch_seconds_last;
	time_t last_success;
};

/* Each mailbox worker writes its own file: x.prom -> x.NAME.prom. */
static void
metrics_path(const struct rb_config *cf, const struct rb_mailbox_conf *m,
	     char *path, size_t cap)
{
	size_t l = strlen(cf->metrics_file);
	if (l > 5 && !strcmp(cf->metrics_file + l - 5, ".prom"))
		snprintf(path, cap, "%.*s.%s.prom", (int)(l - 5),
			 cf->metrics_file, m->name);
	else
		snprintf(path, cap, "%s.%s", cf->metrics_file, m->name);
}

static void
metrics_write(const struct rb_config *cf, const struct rb_mailbox_conf *m,
	      const struct metrics *x)
{
	if (cf->metrics_file == NULL)
		return;
	char path[4096], tmp[4200];
	metrics_path(cf, m, path, sizeof path);
	snprintf(tmp, sizeof tmp, "%s.tmp.%d", path, (int)getpid());
	FILE *f = fopen(tmp, "w");
	if (f == NULL) {
		LOG_WARN("cannot write metrics file %s: %s", tmp,
			 strerror(errno));
		return;
	}
	const char *mb = m->name;
#define C(name, help, val)                                                     \
	fprintf(f, "# HELP rebound_" name " " help "\n# TYPE rebound_" name    \
		   " counter\nrebound_" name "{mailbox=\"%s\"} %llu\n",        \
		mb, (unsigned long long)(val))
	C("mail_fetched_total", "Mails fetched from the server.", x->fetched);
	C("messages_stored_total", "New messages stored.", x->messages_new);
	C("messages_duplicate_total", "Messages already stored (replays).",
	  x->messages_dup);
	C("suppressions_added_total", "New suppressions.", x->supp_new);
	C("quarantined_total", "Mails moved to quarantine.", x->quarantined);
	C("parser_failures_total", "Parser crashes and timeouts.",
	  x->parser_failures);
	C("batches_total", "Committed batches.", x->batches);
#undef C
	fprintf(f, "# HELP rebound_events_total New events by kind.\n"
		   "# TYPE rebound_events_total counter\n");
	for (int k = 0; k <= RB_KIND_DELIVERED; k++)
		fprintf(f, "rebound_events_total{mailbox=\"%s\",kind=\"%s\"} %llu\n",
			mb, rb_kind_name((enum rb_kind)k), x->events[k]);
	fprintf(f, "# HELP rebound_errors_total Errors by subsystem.\n"
		   "# TYPE rebound_errors_total counter\n"
		   "rebound_errors_total{mailbox=\"%s\",type=\"imap\"} %llu\n"
		   "rebound_errors_total{mailbox=\"%s\",type=\"db\"} %llu\n",
		mb, x->imap_errors, mb, x->db_errors);
	fprintf(f,
		"# HELP rebound_batch_seconds Time per committed batch.\n"
		"# TYPE rebound_batch_seconds summary\n"
		"rebound_batch_seconds_sum{mailbox=\"%s\"} %.6f\n"
		"rebound_batch_seconds_count{mailbox=\"%s\"} %llu\n"
		"# HELP rebound_last_success_timestamp_seconds Last "
		"successful poll.\n"
		"# TYPE rebound_last_success_timestamp_seconds gauge\n"
		"rebound_last_success_timestamp_seconds{mailbox=\"%s\"} %lld\n",
		mb, x->batch_seconds_sum, mb, x->batches, mb,
		(long long)x->last_success);
	if (fclose(f) != 0 || rename(tmp, path) != 0) {
		LOG_WARN("cannot write metrics file %s", path);
		unlink(tmp);
	}
}

/* ---- one mailbox ---- */

enum { DISP_PROCESSED, DISP_UNKNOWN, DISP_QUARANTINE, DISP_NONE };

struct mail {
	uint32_t uid;
	uint32_t size;
	char *data;		/* malloc'ed copy, NULL when not fetched */
	size_t len;
	int disp;
	const char *why;	/* quarantine reason (arena) */
	struct rb_event *ev;	/* in the batch arena */
	size_t nev;
	int have_hash;
	unsigned char sha[32];
};

/* One batch: listed and fetched by the fetcher thread, then parsed and
 * stored by the main thread while the fetcher reads the next one. */
struct batch {
	struct rb_arena arena;
	struct mail *mails;
	size_t n;
	unsigned *attempts;
	uint32_t last;		/* highest UID of the batch */
	unsigned long fetched;
	double wall, cpu;	/* fetch stage */
	double pwall, pcpu;	/* parse stage (this thread's CPU, not the
				 * parser child's) */
};

/* Stage totals of one folder pass (for the pass summary line). */
struct stages {
	double wall[4], cpu[4];	/* fetch, parse, store, server */
	unsigned long mails, moved;
};

struct mbx {
	const struct rb_config *cf;
	const struct rb_mailbox_conf *m;
	const struct rb_parse_opts *popts;
	char account[512];
	char holder[300];
	struct rb_store *db;	/* the batch transactions */
	struct rb_store *db2;	/* the parser thread's: attempt counts */
	struct rb_imap *imap;	/* fetching (and everything between passes) */
	struct rb_imap *imap2;	/* the mover's own connection */
	struct rb_pworker *pw;
	struct metrics mx;
	int lease_held;
	time_t lease_renewed;
	int poll_logged;	/* "polling every N s" said once */
	const char *folder;
	uint32_t uidvalidity;
	/*
	 * The pipeline of one folder pass (run_folder): the fetcher thread
	 * fills `slot`, the parser thread takes it and fills `pslot`, the
	 * main thread stores (one transaction per batch) and queues the
	 * committed server actions in `mq`; the
	 * mover thread carries them out on imap2 in large groups and lists
	 * the UIDs done in `done`, forgotten in the next transaction.
	 * Everything below is under mu.
	 */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int fetch_stop;		/* main -> fetcher: stop now */
	int move_abort;		/* main -> mover: stop now */
	uint32_t fetch_from;
	struct batch *slot, *pslot;
	int fetch_done, fetch_rc;
	int parse_stop, parse_done, parse_rc;
	struct rb_pending *mq;
	size_t nmq, capmq;
	int mq_closed, move_rc, mover_busy;
	int mover_st;		/* ST_ code when the mover could not connect */
	uint32_t *done;
	size_t ndone, capdone;
	struct stages st;
};

/* Result of a step: 0 ok, -1 IMAP trouble, -2 database trouble,
 * -3 lease lost / fenced, -4 permanent IMAP error. */
enum { ST_OK = 0, ST_IMAP = -1, ST_DB = -2, ST_LEASE = -3, ST_PERM = -4 };

static int
db_fail(struct mbx *b, const char *what)
{
	LOG_ERR("database: %s: %s", what,
		b->db ? rb_store_error(b->db) : "not connected");
	b->mx.db_errors++;
	if (b->db) {
		rb_store_rollback(b->db);
		rb_store_close(b->db);
		b->db = NULL;
	}
	b->lease_held = 0;
	return ST_DB;
}

/* An IMAP error on *c: log, close it (the caller retries with a new
 * connection after a backoff). */
static int
imap_fail_on(struct mbx *b, struct rb_imap **c, int r)
{
	LOG_ERR("imap: %s", rb_imap_error(*c));
	b->mx.imap_errors++;
	rb_imap_close(*c);
	*c = NULL;
	return r == RB_IMAP_PERM ? ST_PERM : ST_IMAP;
}

static int
imap_fail(struct mbx *b, int r)
{
	return imap_fail_on(b, &b->imap, r);
}

static double
now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* CPU seconds of the calling thread (stage costs: on a shared machine
 * wall-clock stage times mostly measure waiting). */
static double
cpu_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static struct mail *
find_mail(struct batch *bt, uint32_t uid)
{
	size_t lo = 0, hi = bt->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (bt->mails[mid].uid == uid)
			return &bt->mails[mid];
		if (bt->mails[mid].uid < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static void
quarantine(struct mbx *b, struct batch *bt, struct mail *ml, const char *fmt,
	   ...) __attribute__((format(printf, 4, 5)));
static void
quarantine(struct mbx *b, struct batch *bt, struct mail *ml, const char *fmt,
	   ...)
{
	char why[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	ml->disp = DISP_QUARANTINE;
	ml->why = rb_arena_strdup(&bt->arena, why);
	LOG_WARN("%s UID %u: quarantined: %s", b->folder, ml->uid, why);
}

static void
set_source(struct mbx *b, struct batch *bt, struct mail *ml)
{
	char *src = rb_arena_printf(&bt->arena,
				    "imap://%s/%s;UIDVALIDITY=%u/;UID=%u",
				    b->account, b->folder, b->uidvalidity,
				    ml->uid);
	for (size_t i = 0; i < ml->nev; i++)
		ml->ev[i].file = src;
}

static int
on_body(void *ctx, uint32_t uid, const char *data, size_t len)
{
	struct batch *bt = ctx;
	struct mail *ml = find_mail(bt, uid);
	if (ml == NULL || ml->data || ml->disp == DISP_QUARANTINE)
		return 0;
	bt->fetched++;
	ml->data = malloc(len + 1);
	if (ml->data == NULL)
		abort();
	memcpy(ml->data, data, len);
	ml->data[len] = '\0';
	ml->len = len;
	rb_sha256(data, len, ml->sha);
	ml->have_hash = 1;
	return 0;
}

/* Disposition of a parsed mail from its events. */
static void
classify(struct mbx *b, struct batch *bt, struct mail *ml)
{
	set_source(b, bt, ml);
	if (ml->disp == DISP_QUARANTINE)
		return;
	/* a structural limit or unreadable mail: the parser says why */
	for (size_t i = 0; i < ml->nev; i++)
		if (ml->ev[i].error) {
			quarantine(b, bt, ml, "%s", ml->ev[i].error);
			return;
		}
	int known = 0;
	for (size_t i = 0; i < ml->nev; i++)
		known |= ml->ev[i].kind != RB_KIND_UNKNOWN;
	ml->disp = known ? DISP_PROCESSED : DISP_UNKNOWN;
}

/* A mail the parser failed on: count the attempt (committed at once, so
 * a crash of the whole daemon still counts it), retry alone up to the
 * limit, then quarantine it with an event that says why. */
static int
parse_failed(struct mbx *b, struct batch *bt, struct mail *ml,
	     const char *first_why)
{
	unsigned tries = bt->attempts[ml - bt->mails];
	char why[256];
	snprintf(why, sizeof why, "%s", first_why);
	for (;;) {
		b->mx.parser_failures++;
		tries++;
		LOG_WARN("%s UID %u: %s (attempt %u of %u)", b->folder,
			 ml->uid, why, tries, b->cf->max_attempts);
		if (rb_imap_attempts_inc(b->db2, b->account, b->folder,
					 b->uidvalidity, ml->uid, why) != 0)
			return -1;
		struct rb_events ev;
		rb_events_init(&ev, &bt->arena);
		if (tries >= b->cf->max_attempts) {
			quarantine(b, bt, ml, "%s (%u attempts)", why, tries);
			struct rb_event *e = rb_events_add(&ev);
			e->kind = RB_KIND_UNKNOWN;
			e->parser = "daemon";
			e->error = rb_arena_printf(&bt->arena,
						   "quarantined: %s", why);
			ml->ev = ev.v;
			ml->nev = ev.n;
			return 0;
		}
		size_t n = rb_pworker_parse(b->pw, &bt->arena, ml->data,
					    ml->len, b->cf->parse_timeout, &ev,
					    why, sizeof why);
		if (n > 0) {
			ml->ev = ev.v;
			ml->nev = ev.n;
			return 0;
		}
	}
}

/* Parse every fetched mail of the batch. */
static int
parse_batch(struct mbx *b, struct batch *bt)
{
	size_t n = 0;
	for (size_t i = 0; i < bt->n; i++)
		n += bt->mails[i].data != NULL &&
		     bt->mails[i].disp != DISP_QUARANTINE;
	if (n == 0)
		return 0;
	enum { WHY = 200 };
	const char **bufs = malloc(n * sizeof *bufs);
	size_t *lens = malloc(n * sizeof *lens), *res = malloc(n * sizeof *res);
	struct mail **who = malloc(n * sizeof *who);
	struct rb_events *ev = malloc(n * sizeof *ev);
	char *why = calloc(n, WHY);
	if (!bufs || !lens || !res || !who || !ev || !why)
		abort();
	size_t k = 0;
	for (size_t i = 0; i < bt->n; i++) {
		struct mail *ml = &bt->mails[i];
		if (ml->data == NULL || ml->disp == DISP_QUARANTINE)
			continue;
		bufs[k] = ml->data;
		lens[k] = ml->len;
		who[k] = ml;
		rb_events_init(&ev[k], &bt->arena);
		k++;
	}
	rb_pworker_parse_many(b->pw, &bt->arena, bufs, lens, n,
			      b->cf->parse_timeout, ev, res, why, WHY);
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		if (res[i] > 0) {
			who[i]->ev = ev[i].v;
			who[i]->nev = ev[i].n;
		} else {
			rc = parse_failed(b, bt, who[i], why + i * WHY);
		}
		if (rc == 0)
			classify(b, bt, who[i]);
	}
	free(bufs);
	free(lens);
	free(res);
	free(who);
	free(ev);
	free(why);
	return rc;
}

static void
batch_free(struct batch *bt)
{
	if (bt == NULL)
		return;
	for (size_t i = 0; i < bt->n; i++)
		free(bt->mails[i].data);
	free(bt->mails);
	free(bt->attempts);
	rb_arena_free(&bt->arena);
	free(bt);
}

/* The server action for a disposition (returns 0 when none). */
static int
action_for(const struct rb_mailbox_conf *m, int disp, struct rb_pending *p)
{
	switch (disp) {
	case DISP_PROCESSED:
		if (m->on_processed == RB_DONE_MOVE) {
			p->action = RB_PENDING_MOVE;
			p->dest = m->processed_folder;
		} else if (m->on_processed == RB_DONE_FLAG) {
			p->action = RB_PENDING_FLAG;
			p->dest = m->processed_flag;
		} else {
			p->action = RB_PENDING_DELETE;
			p->dest = NULL;
		}
		return 1;
	case DISP_UNKNOWN:
		if (m->unknown_action == RB_UNKNOWN_LEAVE)
			return 0;
		p->action = RB_PENDING_MOVE;
		p->dest = m->unknown_action == RB_UNKNOWN_MOVE
			      ? m->unknown_folder
			      : m->quarantine_folder;
		return 1;
	case DISP_QUARANTINE:
		p->action = RB_PENDING_MOVE;
		p->dest = m->quarantine_folder;
		return 1;
	}
	return 0;
}

static int
same_action(const struct rb_pending *x, const struct rb_pending *y)
{
	return x->action == y->action &&
	       (x->dest == y->dest ||
		!strcmp(x->dest ? x->dest : "", y->dest ? y->dest : ""));
}

/* Merge two sorted UID lists into out (room for na + nb). */
static size_t
merge_uids(const uint32_t *a, size_t na, const uint32_t *b, size_t nb,
	   uint32_t *out)
{
	size_t i = 0, j = 0, k = 0;
	while (i < na || j < nb) {
		if (j == nb || (i < na && a[i] < b[j]))
			out[k++] = a[i++];
		else if (i == na || b[j] < a[i])
			out[k++] = b[j++];
		else {
			out[k++] = a[i++];
			j++;
		}
	}
	return k;
}

/*
 * Carry out server actions on c: one command per (action, destination)
 * with a UID set (split by rb_imap_* when the set text gets long).  The
 * actions come in UID order (batches in order, or imap_pending sorted).
 *
 * Every MOVE command costs the server work in proportion to the folder
 * (Dovecot resynchronises the maildir and rereads the destination's
 * UID list: measured about 0.3 CPU seconds per command at 50,000 mails),
 * and the command count is set by the length of the UID set text: with
 * bounces and junk interleaved, 16,000 UIDs for rebound/Processed make
 * 4,000 runs ("1:4,6:9,...", 48 KB, two commands).  So the groups that
 * take mail out of the folder go smallest first, and a later MOVE's set
 * also covers the UIDs already moved or deleted by this call when that
 * makes its text shorter ("1:20000", one command): those UIDs no longer
 * exist in the folder, the server skips them.  This only happens after
 * the earlier commands succeeded (the first failure stops the call), and
 * the set never covers a UID without a MOVE or DELETE action here: mail
 * left in place (unknown_action = leave, a flag, not fetched) is never
 * in it.  Flags are set first (the flagged mail stays).
 */
static int
server_actions(struct rb_imap *c, struct rb_pending *p, size_t n)
{
	if (n == 0)
		return RB_IMAP_OK;
	struct grp {
		size_t first, count;
	} *g = NULL;
	uint32_t *uids = malloc(n * sizeof *uids);
	uint32_t *gone = malloc(n * sizeof *gone);
	uint32_t *wide = malloc(n * sizeof *wide);
	if (uids == NULL || gone == NULL || wide == NULL)
		abort();
	size_t ng = 0, capg = 0, ngone = 0;
	int sorted = 1;
	for (size_t i = 0; i < n; i++) {
		if (i > 0 && p[i].uid <= p[i - 1].uid)
			sorted = 0;
		size_t j = 0;
		while (j < ng && !same_action(&p[g[j].first], &p[i]))
			j++;
		if (j == ng) {
			if (ng == capg) {
				capg = capg ? capg * 2 : 4;
				g = realloc(g, capg * sizeof *g);
				if (g == NULL)
					abort();
			}
			g[ng++] = (struct grp){i, 0};
		}
		g[j].count++;
	}
	/* flags first, then the rest by ascending size (a handful of groups:
	 * insertion sort) */
	for (size_t i = 1; i < ng; i++) {
		struct grp x = g[i];
		int xf = p[x.first].action == RB_PENDING_FLAG;
		size_t j = i;
		while (j > 0) {
			int pf = p[g[j - 1].first].action == RB_PENDING_FLAG;
			if (pf > xf || (pf == xf && g[j - 1].count <= x.count))
				break;
			g[j] = g[j - 1];
			j--;
		}
		g[j] = x;
	}
	int r = RB_IMAP_OK;
	for (size_t q = 0; q < ng && r == RB_IMAP_OK; q++) {
		const struct rb_pending *a = &p[g[q].first];
		size_t k = 0;
		for (size_t j = g[q].first; j < n; j++)
			if (same_action(&p[j], a))
				uids[k++] = p[j].uid;
		if (a->action == RB_PENDING_MOVE) {
			const uint32_t *set = uids;
			size_t nset = k;
			if (sorted && ngone > 0) {
				size_t nw = merge_uids(uids, k, gone, ngone, wide);
				if (rb_imap_set_text_len(wide, nw) <
				    rb_imap_set_text_len(uids, k)) {
					set = wide;
					nset = nw;
				}
			}
			r = rb_imap_move(c, set, nset, a->dest);
		} else if (a->action == RB_PENDING_FLAG) {
			r = rb_imap_flag(c, uids, k, a->dest);
		} else {
			r = rb_imap_delete(c, uids, k);
		}
		if (r == RB_IMAP_OK && sorted && a->action != RB_PENDING_FLAG) {
			/* gone from the folder now */
			ngone = merge_uids(uids, k, gone, ngone, wide);
			uint32_t *t = gone;
			gone = wide;
			wide = t;
		}
	}
	free(g);
	free(uids);
	free(gone);
	free(wide);
	return r;
}

/* Pending actions left by an interrupted pass: carry out, then forget. */
static int
do_pending(struct mbx *b, struct rb_pending *p, size_t n)
{
	if (n == 0)
		return ST_OK;
	int r = server_actions(b->imap, p, n);
	if (r != RB_IMAP_OK)
		return imap_fail(b, r);
	uint32_t *all = malloc(n * sizeof *all);
	if (all == NULL)
		abort();
	for (size_t i = 0; i < n; i++)
		all[i] = p[i].uid;
	int rc = ST_OK;
	if (rb_imap_pending_done(b->db, b->account, b->folder, b->uidvalidity,
				 all, n) != 0)
		rc = db_fail(b, "forgetting done actions");
	free(all);
	return rc;
}

/* ---- the fetcher thread ---- */

/* List and fetch the next batch after `after` on b->imap; *out NULL when
 * there is no more mail. */
static int
fetch_batch(struct mbx *b, uint32_t after, struct batch **out)
{
	const struct rb_mailbox_conf *m = b->m;
	struct rb_imap_item *items = NULL;
	size_t n = 0;
	*out = NULL;
	double t0 = now_s(), c0 = cpu_s();
	int r = rb_imap_list(b->imap, after, m->batch_size, &items, &n);
	if (r != RB_IMAP_OK || n == 0) {
		free(items);
		return r;
	}
	/* bound the bytes of one batch (bodies are held until commit, and
	 * up to five batches are in the pipeline: 80 MiB at worst) */
	size_t budget = 16u << 20, bytes = 0, keep = 0;
	while (keep < n) {
		uint32_t s = items[keep].size;
		if (s > m->max_size)
			s = 0;	/* not fetched */
		if (keep > 0 && bytes + s > budget)
			break;
		bytes += s;
		keep++;
	}
	n = keep;
	struct batch *bt = calloc(1, sizeof *bt);
	if (bt == NULL)
		abort();
	rb_arena_init(&bt->arena);
	bt->mails = calloc(n, sizeof *bt->mails);
	bt->attempts = calloc(n, sizeof *bt->attempts);
	struct rb_imap_item *want = malloc(n * sizeof *want);
	if (bt->mails == NULL || bt->attempts == NULL || want == NULL)
		abort();
	bt->n = n;
	size_t nw = 0;
	for (size_t i = 0; i < n; i++) {
		struct mail *ml = &bt->mails[i];
		ml->uid = items[i].uid;
		ml->size = items[i].size;
		ml->disp = DISP_NONE;
		if (ml->size > m->max_size)
			quarantine(b, bt, ml,
				   "size %u over the limit of %llu bytes",
				   ml->size, m->max_size);
		else
			want[nw++] = items[i];
	}
	bt->last = items[n - 1].uid;
	free(items);
	r = rb_imap_fetch(b->imap, want, nw, 16u << 20, on_body, bt);
	free(want);
	if (r != RB_IMAP_OK) {
		batch_free(bt);
		return r;
	}
	bt->wall = now_s() - t0;
	bt->cpu = cpu_s() - c0;
	*out = bt;
	return RB_IMAP_OK;
}

static void
block_signals(void)
{
	/* the main thread takes the signals (handlers only set flags) */
	sigset_t all;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
}

static void *
fetcher(void *arg)
{
	struct mbx *b = arg;
	block_signals();
	uint32_t after = b->fetch_from;
	for (;;) {
		struct batch *bt = NULL;
		int r = RB_IMAP_OK;
		if (!stop_flag && !hup_flag)
			r = fetch_batch(b, after, &bt);
		pthread_mutex_lock(&b->mu);
		while (b->slot && !b->fetch_stop)
			pthread_cond_wait(&b->cv, &b->mu);
		if (b->fetch_stop || r != RB_IMAP_OK || bt == NULL) {
			b->fetch_rc = b->fetch_stop ? RB_IMAP_OK : r;
			b->fetch_done = 1;
			pthread_cond_broadcast(&b->cv);
			pthread_mutex_unlock(&b->mu);
			batch_free(bt);
			return NULL;
		}
		b->slot = bt;
		after = bt->last;
		pthread_cond_broadcast(&b->cv);
		pthread_mutex_unlock(&b->mu);
	}
}

/* ---- the mover thread ---- */

/* The backlog at which the main thread waits for the mover (mq_push), so
 * also the largest group the mover takes.  The mover's smallest group,
 * batch_size, stays below it (the configuration allows at most 5,000):
 * a threshold above the bound would have the two threads wait for each
 * other. */
#define MOVE_GROUP_MAX 20000

static int mover_connect(struct mbx *b);

static void *
mover(void *arg)
{
	struct mbx *b = arg;
	/* connect and select here, while the fetcher already reads: the
	 * second connection's TLS, login and SELECT (0.7 s with 100,000
	 * mails in the folder) are off the pass's critical path.  Signals
	 * stay unblocked until then (a token command started by
	 * connect_with_secret inherits the mask; the handlers only set
	 * flags). */
	int cr = mover_connect(b);
	block_signals();
	size_t least = b->m->batch_size < MOVE_GROUP_MAX ? b->m->batch_size
							: MOVE_GROUP_MAX;
	struct rb_pending *p = NULL;
	pthread_mutex_lock(&b->mu);
	if (cr != ST_OK) {
		/* logged and closed by mover_connect; the pipeline stops */
		b->mover_st = cr;
		b->move_rc = RB_IMAP_TEMP;
		pthread_cond_broadcast(&b->cv);
	}
	for (;;) {
		/* everything committed so far, at least one batch (or the
		 * rest, at the end): while a MOVE runs the queue grows, so
		 * the groups grow by themselves where the server's commands
		 * are dear (Dovecot on maildir rescans the whole folder for
		 * each, 0.3-0.6 s with 100,000 mails in it, whatever it
		 * moves) and stay small where they are cheap (on mdbox a
		 * MOVE of one mail takes a few ms): few rescans there, and
		 * here a short queue, small buffers and little left to move
		 * after the last commit.  MOVE_GROUP_MAX bounds them. */
		while (!b->move_abort && b->move_rc == RB_IMAP_OK &&
		       !b->mq_closed && b->nmq < least)
			pthread_cond_wait(&b->cv, &b->mu);
		if (b->move_abort || b->move_rc != RB_IMAP_OK || b->nmq == 0)
			break;
		/* take the queue (its buffer is freed after the group:
		 * kept, two group-sized buffers would stay mapped) */
		p = b->mq;
		size_t n = b->nmq;
		b->mq = NULL;
		b->capmq = 0;
		b->nmq = 0;
		b->mover_busy = 1;
		pthread_mutex_unlock(&b->mu);
		double t0 = now_s(), c0 = cpu_s();
		int r = server_actions(b->imap2, p, n);
		double t1 = now_s(), c1 = cpu_s();
		LOG_DEBUG("%s: %zu server actions in %.0f ms", b->folder, n,
			  (t1 - t0) * 1e3);
		pthread_mutex_lock(&b->mu);
		b->mover_busy = 0;
		b->st.wall[3] += t1 - t0;
		b->st.cpu[3] += c1 - c0;
		if (r != RB_IMAP_OK) {
			b->move_rc = r;
		} else {
			if (b->ndone + n > b->capdone) {
				b->capdone = (b->ndone + n) * 3 / 2;
				b->done = realloc(b->done,
						  b->capdone * sizeof *b->done);
				if (b->done == NULL)
					abort();
			}
			for (size_t i = 0; i < n; i++)
				b->done[b->ndone++] = p[i].uid;
			b->st.moved += n;
		}
		free(p);
		p = NULL;
		pthread_cond_broadcast(&b->cv);
	}
	pthread_mutex_unlock(&b->mu);
	free(p);
	return NULL;
}

/* Queue committed actions for the mover (main thread). */
static void
mq_push(struct mbx *b, const struct rb_pending *p, size_t n)
{
	pthread_mutex_lock(&b->mu);
	/* a bounded backlog: when the mover falls behind, the pipeline
	 * waits for it (after COMMIT, holding nothing), so memory does not
	 * grow with the folder */
	while (b->nmq >= MOVE_GROUP_MAX && b->move_rc == RB_IMAP_OK &&
	       !b->move_abort)
		pthread_cond_wait(&b->cv, &b->mu);
	if (b->nmq + n > b->capmq) {
		b->capmq = (b->nmq + n) * 3 / 2;
		b->mq = realloc(b->mq, b->capmq * sizeof *b->mq);
		if (b->mq == NULL)
			abort();
	}
	memcpy(b->mq + b->nmq, p, n * sizeof *p);
	b->nmq += n;
	pthread_cond_broadcast(&b->cv);
	pthread_mutex_unlock(&b->mu);
}

/* UIDs the mover has done (moved out of b->done; caller frees). */
static uint32_t *
take_done(struct mbx *b, size_t *n)
{
	pthread_mutex_lock(&b->mu);
	uint32_t *d = b->done;
	*n = b->ndone;
	b->done = NULL;
	b->ndone = b->capdone = 0;
	pthread_mutex_unlock(&b->mu);
	return d;
}

/* ---- the parser thread ---- */

/* Attempt counts, quarantine of mail the parser failed on too often,
 * parse (on db2: failures are counted at once, outside any batch). */
static int
prepare_batch(struct mbx *b, struct batch *bt)
{
	size_t n = bt->n;
	double t0 = now_s(), c0 = cpu_s();
	uint32_t *uids = malloc(n * sizeof *uids);
	if (uids == NULL)
		abort();
	for (size_t i = 0; i < n; i++)
		uids[i] = bt->mails[i].uid;
	int r = rb_imap_attempts_get(b->db2, b->account, b->folder,
				     b->uidvalidity, uids, n, bt->attempts);
	free(uids);
	if (r != 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		struct mail *ml = &bt->mails[i];
		if (ml->disp != DISP_QUARANTINE &&
		    bt->attempts[i] >= b->cf->max_attempts) {
			/* not parsed again, not stored: only recorded */
			free(ml->data);
			ml->data = NULL;
			quarantine(b, bt, ml,
				   "the parser failed on it %u times",
				   bt->attempts[i]);
		}
	}
	if (parse_batch(b, bt) != 0)
		return -1;
	bt->pwall = now_s() - t0;
	bt->pcpu = cpu_s() - c0;
	return 0;
}

static void *
parser(void *arg)
{
	struct mbx *b = arg;
	block_signals();
	for (;;) {
		pthread_mutex_lock(&b->mu);
		while (b->slot == NULL && !b->fetch_done && !b->parse_stop)
			pthread_cond_wait(&b->cv, &b->mu);
		struct batch *bt = b->parse_stop ? NULL : b->slot;
		if (bt)
			b->slot = NULL;
		pthread_cond_broadcast(&b->cv);
		pthread_mutex_unlock(&b->mu);
		int r = bt ? prepare_batch(b, bt) : 0;
		pthread_mutex_lock(&b->mu);
		while (bt && r == 0 && b->pslot && !b->parse_stop)
			pthread_cond_wait(&b->cv, &b->mu);
		if (bt == NULL || r != 0 || b->parse_stop) {
			b->parse_rc = r;
			b->parse_done = 1;
			pthread_cond_broadcast(&b->cv);
			pthread_mutex_unlock(&b->mu);
			batch_free(bt);
			return NULL;
		}
		b->pslot = bt;
		pthread_cond_broadcast(&b->cv);
		pthread_mutex_unlock(&b->mu);
	}
}

/* ---- one batch in the main thread: store, commit ---- */

static int
store_batch(struct mbx *b, struct batch *bt, uint32_t *last)
{
	const struct rb_mailbox_conf *m = b->m;
	size_t n = bt->n;
	b->mx.fetched += bt->fetched;
	double t1 = now_s(), c1 = cpu_s();

	/* everything for the transaction */
	struct rb_store_msg *sm = calloc(n, sizeof *sm);
	struct rb_pending *pend = calloc(n, sizeof *pend);
	if (sm == NULL || pend == NULL)
		abort();
	size_t nsm = 0, npend = 0, ndone = 0;
	uint32_t *done = NULL;
	for (size_t i = 0; i < n; i++) {
		struct mail *ml = &bt->mails[i];
		if (ml->disp == DISP_NONE)
			continue;	/* gone from the server meanwhile */
		if (ml->data) {
			sm[nsm].source = ml->ev[0].file;
			sm[nsm].index = -1;
			sm[nsm].data = ml->data;
			sm[nsm].len = ml->len;
			sm[nsm].size = ml->size;
			sm[nsm].events = ml->ev;
			sm[nsm].nevents = ml->nev;
			nsm++;
		}
		pend[npend].uid = ml->uid;
		if (action_for(m, ml->disp, &pend[npend]))
			npend++;
	}
	uint32_t new_last = bt->last;
	struct rb_store_counts cnt;
	memset(&cnt, 0, sizeof cnt);
	int rc = ST_OK;
	if (rb_store_begin(b->db) != 0) {
		rc = db_fail(b, "BEGIN");
		goto out;
	}
	int held = rb_imap_lease_check(b->db, b->account, b->holder,
				       b->cf->lease_seconds);
	if (held < 0) {
		rc = db_fail(b, "checking the lease");
		goto out;
	}
	if (held == 0) {
		rb_store_rollback(b->db);
		LOG_WARN("lease lost to another instance: batch rolled back");
		b->lease_held = 0;
		rc = ST_LEASE;
		goto out;
	}
	/* the policy of the configuration (its [policy], policy_file,
	 * $REBOUND_POLICY), reloaded with it on SIGHUP */
	if (nsm && rb_store_write_batch(b->db, b->cf->policy, sm, nsm, &cnt) !=
		       0) {
		rc = db_fail(b, "storing the batch");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		struct mail *ml = &bt->mails[i];
		if (ml->disp != DISP_QUARANTINE)
			continue;
		if (rb_imap_quarantine_add(b->db, b->account, b->folder,
					   b->uidvalidity, ml->uid, ml->size,
					   ml->have_hash ? ml->sha : NULL,
					   ml->why) != 0) {
			rc = db_fail(b, "recording quarantine");
			goto out;
		}
	}
	if (rb_imap_pending_add(b->db, b->account, b->folder, b->uidvalidity,
				pend, npend) != 0) {
		rc = db_fail(b, "recording server actions");
		goto out;
	}
	/* what the mover finished since the last batch is forgotten in this
	 * transaction (lost with it on a rollback: the next pass repeats
	 * those actions, which are no-ops by then) */
	done = take_done(b, &ndone);
	if (ndone && rb_imap_pending_done(b->db, b->account, b->folder,
					  b->uidvalidity, done, ndone) != 0) {
		rc = db_fail(b, "forgetting done actions");
		goto out;
	}
	int adv = rb_imap_cursor_advance(b->db, b->account, b->folder,
					 b->uidvalidity, *last, new_last);
	if (adv < 0) {
		rc = db_fail(b, "advancing the cursor");
		goto out;
	}
	if (adv == 0) {
		rb_store_rollback(b->db);
		LOG_WARN("cursor of %s moved under us (another instance?): "
			 "batch rolled back",
			 b->folder);
		rc = ST_LEASE;
		goto out;
	}
	if (rb_test_hook("CRASH_BEFORE_COMMIT"))
		abort();
	if (rb_store_commit(b->db) != 0) {
		rc = db_fail(b, "COMMIT");
		goto out;
	}
	double t2 = now_s(), c2 = cpu_s();
	*last = new_last;
	b->lease_renewed = time(NULL);
	b->mx.batches++;
	b->mx.messages_new += cnt.messages_new;
	b->mx.messages_dup += cnt.messages_dup;
	b->mx.supp_new += cnt.supp_new;
	for (int k = 0; k <= RB_KIND_DELIVERED; k++)
		b->mx.events[k] += cnt.by_kind[k];
	for (size_t i = 0; i < n; i++)
		b->mx.quarantined += bt->mails[i].disp == DISP_QUARANTINE;
	if (rb_test_hook("CRASH_AFTER_COMMIT"))
		abort();
	/* committed: only now may the server actions happen */
	mq_push(b, pend, npend);
	b->mx.batch_seconds_sum += bt->wall + bt->pwall + t2 - t1;
	b->mx.last_success = time(NULL);
	b->st.wall[0] += bt->wall;
	b->st.cpu[0] += bt->cpu;
	b->st.wall[1] += bt->pwall;
	b->st.cpu[1] += bt->pcpu;
	b->st.wall[2] += t2 - t1;
	b->st.cpu[2] += c2 - c1;
	b->st.mails += n;
	LOG_INFO("%s: batch of %zu up to UID %u: %lu new, %lu duplicate, "
		 "%lu events, %lu new suppressions "
		 "(fetch %.0f ms, parse %.0f ms, store %.0f ms)",
		 b->folder, n, new_last, cnt.messages_new, cnt.messages_dup,
		 cnt.events_new, cnt.supp_new, bt->wall * 1e3, bt->pwall * 1e3,
		 (t2 - t1) * 1e3);
out:
	free(done);
	free(sm);
	free(pend);
	return rc;
}

/*
 * Open an IMAP connection for mailbox b with its secret (password file,
 * environment or token command), wiping the secret at once.  Returns
 * ST_PERM when the secret cannot be had (logged), else rb_imap_connect's
 * result.
 */
static int
connect_with_secret(struct mbx *b, struct rb_imap **c)
{
	char *err = NULL;
	char *secret = rb_config_secret(b->m, &err);
	if (secret == NULL) {
		LOG_ERR("%s", err);
		free(err);
		return ST_PERM;
	}
	int r = rb_imap_connect(b->m, secret, c);
	explicit_bzero(secret, strlen(secret));
	free(secret);
	return r;
}

/* The mover's connection, selected on the current folder. */
static int
mover_connect(struct mbx *b)
{
	int fresh = b->imap2 == NULL;
	if (fresh) {
		int r = connect_with_secret(b, &b->imap2);
		if (r == ST_PERM)
			return ST_PERM;
		if (r != RB_IMAP_OK)
			return imap_fail_on(b, &b->imap2, r);
	}
	uint32_t uv, un;
	int r = rb_imap_select(b->imap2, b->folder, &uv, &un);
	if (r == RB_IMAP_TEMP && !fresh) {
		/* kept since the last pass: the server may have closed it
		 * meanwhile (autologout); one new connection */
		rb_imap_close(b->imap2);
		b->imap2 = NULL;
		return mover_connect(b);
	}
	if (r != RB_IMAP_OK)
		return imap_fail_on(b, &b->imap2, r);
	if (uv != b->uidvalidity) {
		LOG_WARN("%s: UIDVALIDITY changed during the pass", b->folder);
		rb_imap_close(b->imap2);
		b->imap2 = NULL;
		return ST_IMAP;
	}
	return ST_OK;
}

/*
 * All new mail of the current folder, pipelined: the fetcher thread
 * reads batch n+1 (connection 1) while this thread parses and stores
 * batch n, and the mover thread moves what earlier batches committed
 * (connection 2).  Every thread is joined before returning, whatever
 * failed; what was committed but not moved stays in imap_pending.
 */
static int
run_pipeline(struct mbx *b, uint32_t *last)
{
	if (b->db2 == NULL) {
		char err[1024];
		b->db2 = rb_store_open(b->cf->db, err, sizeof err);
		if (b->db2 == NULL) {
			LOG_ERR("database: %s", err);
			b->mx.db_errors++;
			return ST_DB;
		}
	}
	int rc = ST_OK;
	memset(&b->st, 0, sizeof b->st);
	b->mover_st = ST_OK;
	b->fetch_stop = 0;
	b->move_abort = 0;
	b->fetch_from = *last;
	b->slot = b->pslot = NULL;
	b->fetch_done = 0;
	b->fetch_rc = RB_IMAP_OK;
	b->parse_stop = b->parse_done = b->parse_rc = 0;
	b->nmq = 0;
	b->mq_closed = 0;
	b->move_rc = RB_IMAP_OK;
	b->ndone = 0;
	double t0 = now_s();
	pthread_t ft, pt, mt;
	if (pthread_create(&mt, NULL, mover, b) != 0 ||
	    pthread_create(&pt, NULL, parser, b) != 0 ||
	    pthread_create(&ft, NULL, fetcher, b) != 0)
		abort();
	for (;;) {
		pthread_mutex_lock(&b->mu);
		while (b->pslot == NULL && !b->parse_done &&
		       b->move_rc == RB_IMAP_OK)
			pthread_cond_wait(&b->cv, &b->mu);
		struct batch *bt = b->move_rc == RB_IMAP_OK ? b->pslot : NULL;
		if (bt)
			b->pslot = NULL;
		pthread_cond_broadcast(&b->cv);
		pthread_mutex_unlock(&b->mu);
		if (bt == NULL)
			break;
		rc = store_batch(b, bt, last);
		batch_free(bt);
		/* SIGTERM/SIGHUP: the batch in hand is done; batches fetched
		 * or parsed ahead are dropped (read again next time) */
		if (rc || stop_flag || hup_flag)
			break;
	}
	/* stop the fetcher (already done unless something failed); the
	 * mover finishes what is committed, unless the database failed */
	pthread_mutex_lock(&b->mu);
	b->fetch_stop = 1;
	b->parse_stop = 1;
	b->mq_closed = 1;
	b->move_abort = rc != ST_OK;
	pthread_cond_broadcast(&b->cv);
	pthread_mutex_unlock(&b->mu);
	pthread_join(ft, NULL);
	pthread_join(pt, NULL);
	pthread_join(mt, NULL);
	batch_free(b->slot);
	batch_free(b->pslot);
	b->slot = b->pslot = NULL;
	free(b->mq);
	b->mq = NULL;
	b->nmq = b->capmq = 0;
	int frc = b->fetch_rc, mrc = b->move_rc;
	if (b->parse_rc != 0) {
		LOG_ERR("database: recording parser attempts: %s",
			rb_store_error(b->db2));
		b->mx.db_errors++;
		rb_store_close(b->db2);
		b->db2 = NULL;
		if (rc == ST_OK)
			rc = ST_DB;
	}
	if (rc == ST_OK && frc != RB_IMAP_OK)
		rc = imap_fail(b, frc);
	else if (frc != RB_IMAP_OK)
		imap_fail(b, frc);
	if (b->mover_st != ST_OK) {
		if (rc == ST_OK)
			rc = b->mover_st;
	} else if (mrc != RB_IMAP_OK) {
		int r2 = imap_fail_on(b, &b->imap2, mrc);
		if (rc == ST_OK)
			rc = r2;
	}
	/* forget what the mover did (a separate short transaction) */
	size_t nd = 0;
	uint32_t *done = take_done(b, &nd);
	if (nd && b->db &&
	    rb_imap_pending_done(b->db, b->account, b->folder, b->uidvalidity,
				 done, nd) != 0 &&
	    rc == ST_OK)
		rc = db_fail(b, "forgetting done actions");
	free(done);
	if (b->st.mails) {
		double t = now_s() - t0;
		LOG_INFO("%s: pass of %lu mails in %.2f s (%.0f/s), %lu server "
			 "actions (fetch %.0f ms, parse %.0f ms, store %.0f "
			 "ms, server %.0f ms; cpu %.0f/%.0f/%.0f/%.0f ms)",
			 b->folder, b->st.mails, t, b->st.mails / (t > 0 ? t : 1),
			 b->st.moved, b->st.wall[0] * 1e3, b->st.wall[1] * 1e3,
			 b->st.wall[2] * 1e3, b->st.wall[3] * 1e3,
			 b->st.cpu[0] * 1e3, b->st.cpu[1] * 1e3,
			 b->st.cpu[2] * 1e3, b->st.cpu[3] * 1e3);
	}
	return rc;
}

static int
run_folder(struct mbx *b, const char *folder, int *did)
{
	uint32_t uv, uidnext;
	b->folder = folder;
	int r = rb_imap_select(b->imap, folder, &uv, &uidnext);
	if (r != RB_IMAP_OK)
		return imap_fail(b, r);
	uint32_t cuv, last;
	int found;
	if (rb_imap_cursor_get(b->db, b->account, folder, &cuv, &last,
			       &found) != 0)
		return db_fail(b, "reading the cursor");
	if (!found || cuv != uv) {
		if (found)
			LOG_WARN("%s: UIDVALIDITY changed from %u to %u: "
				 "reading the folder again (mail already "
				 "stored is recognised by its content)",
				 folder, cuv, uv);
		if (rb_imap_cursor_reset(b->db, b->account, folder, uv) != 0)
			return db_fail(b, "resetting the cursor");
		last = 0;
	}
	b->uidvalidity = uv;
	/* actions committed by an earlier pass but not confirmed done */
	struct rb_pending *p = NULL;
	size_t np = 0;
	if (rb_imap_pending_list(b->db, b->account, folder, uv, &p, &np) != 0)
		return db_fail(b, "reading pending actions");
	if (np)
		LOG_INFO("%s: finishing %zu server actions of an interrupted "
			 "pass",
			 folder, np);
	r = do_pending(b, p, np);
	free(p);
	if (r)
		return r;
	/* nothing new (the common case when woken by IDLE or a poll with
	 * nothing to do): no second connection, no threads */
	if (uidnext != 0 && uidnext <= last + 1)
		return ST_OK;
	uint32_t before = last;
	r = run_pipeline(b, &last);
	*did += last != before;
	return r;
}

static void
mbx_close(struct mbx *b)
{
	if (b->db && b->lease_held)
		rb_imap_lease_release(b->db, b->account, b->holder);
	rb_imap_close(b->imap);
	b->imap = NULL;
	rb_imap_close(b->imap2);
	b->imap2 = NULL;
	if (b->db)
		rb_store_close(b->db);
	b->db = NULL;
	if (b->db2)
		rb_store_close(b->db2);
	b->db2 = NULL;
	rb_pworker_free(b->pw);
	b->pw = NULL;
	pthread_mutex_destroy(&b->mu);
	pthread_cond_destroy(&b->cv);
}

/*
 * A lease held by a process of this host that no longer exists (killed,
 * crashed) is taken at once instead of waiting for it to expire: the
 * holder name is "HOST:PID" and kill(PID, 0) tells.  Returns 1 taken,
 * 0 not (alive, other host, or raced), -1 database error.
 */
static int
steal_dead(struct mbx *b)
{
	int err = 0;
	char *h = rb_imap_lease_holder(b->db, b->account, &err);
	if (h == NULL)
		return err ? -1 : 0;
	int r = 0;
	char *colon = strrchr(h, ':');
	size_t mine = strrchr(b->holder, ':') - b->holder;
	if (colon && (size_t)(colon - h) == mine &&
	    !strncmp(h, b->holder, mine)) {
		long pid = strtol(colon + 1, NULL, 10);
		if (pid > 0 && kill((pid_t)pid, 0) < 0 && errno == ESRCH) {
			r = rb_imap_lease_steal(b->db, b->account, h,
						b->holder,
						b->cf->lease_seconds);
			if (r > 0)
				LOG_INFO("lease of dead process %ld taken over",
					 pid);
		}
	}
	free(h);
	return r;
}

/* Connect what is missing; ST_OK or an error code. */
static int
ensure(struct mbx *b)
{
	if (b->db == NULL) {
		char err[1024];
		b->db = rb_store_open(b->cf->db, err, sizeof err);
		if (b->db == NULL) {
			LOG_ERR("database: %s", err);
			b->mx.db_errors++;
			return ST_DB;
		}
		if (rb_store_migrate(b->db, NULL) != 0)
			return db_fail(b, "migrating");
		if (b->cf->policy)
			rb_store_keep_raw(
			    b->db, b->cf->policy->keep_raw,
			    (unsigned)(b->cf->policy->raw_retention / 86400));
	}
	time_t now = time(NULL);
	if (!b->lease_held ||
	    now - b->lease_renewed >= (time_t)b->cf->lease_seconds / 3) {
		int h = rb_imap_lease_acquire(b->db, b->account, b->holder,
					      b->cf->lease_seconds);
		if (h < 0)
			return db_fail(b, "taking the lease");
		if (h == 0 && !b->lease_held)
			h = steal_dead(b);
		if (h < 0)
			return db_fail(b, "taking the lease");
		if (h == 0) {
			if (b->lease_held || b->imap)
				LOG_WARN("lease taken over by another "
					 "instance");
			b->lease_held = 0;
			rb_imap_close(b->imap);
			b->imap = NULL;
			rb_imap_close(b->imap2);
			b->imap2 = NULL;
			return ST_LEASE;
		}
		if (!b->lease_held)
			LOG_INFO("lease taken (%s)", b->holder);
		b->lease_held = 1;
		b->lease_renewed = now;
	}
	if (b->imap == NULL) {
		int r = connect_with_secret(b, &b->imap);
		if (r == ST_PERM)
			return ST_PERM;
		if (r != RB_IMAP_OK)
			return imap_fail(b, r);
		LOG_INFO("connected to %s port %d (%s)", b->m->host,
			 b->m->port, rb_tls_mode_name(b->m->tls));
	}
	return ST_OK;
}

/* Wait for new mail: IDLE on the first folder when possible, else sleep
 * (both at most poll_interval, and short enough to renew the lease). */
static int
wait_mail(struct mbx *b)
{
	unsigned t = b->m->poll_interval;
	if (t > b->cf->lease_seconds / 3)
		t = b->cf->lease_seconds / 3 ? b->cf->lease_seconds / 3 : 1;
	if (b->imap && b->m->idle && rb_imap_has_idle(b->imap) &&
	    b->m->nfolders == 1) {
		int r = rb_imap_idle(b->imap, t, &stop_flag);
		if (r < 0)
			return imap_fail(b, r);
		return ST_OK;
	}
	if (b->imap && b->m->idle && !b->poll_logged) {
		LOG_INFO("%s: polling every %u s", b->m->nfolders == 1
			 ? "the server offers no IDLE"
			 : "IDLE watches one folder only",
			 t);
		b->poll_logged = 1;
	}
	nap((long)t * 1000);
	return ST_OK;
}

/* Run one mailbox: until stopped, or one pass with once. */
static int
run_mailbox(const struct rb_config *cf, const struct rb_mailbox_conf *m,
	    const struct rb_parse_opts *popts, int once)
{
	struct mbx b;
	memset(&b, 0, sizeof b);
	b.cf = cf;
	b.m = m;
	b.popts = popts;
	log_mailbox = m->name;
	snprintf(b.account, sizeof b.account, "%s@%s:%d", m->user, m->host,
		 m->port);
	if (cf->instance) {
		snprintf(b.holder, sizeof b.holder, "%s:%d", cf->instance,
			 (int)getpid());
	} else {
		char host[256] = "";
		gethostname(host, sizeof host - 1);
		snprintf(b.holder, sizeof b.holder, "%s:%d", host,
			 (int)getpid());
	}
	pthread_mutex_init(&b.mu, NULL);
	pthread_cond_init(&b.cv, NULL);
	/* one malloc arena for the pipeline's threads: they mostly wait on
	 * I/O, and per-thread arenas (batches are allocated in one thread,
	 * freed in another) made the peak RSS creep up with the length of a
	 * pass (bench-imap: 29.1 -> 31.3 MB from 10k to 40k mails, 27.9 ->
	 * 29.1 MB with one arena) */
	mallopt(M_ARENA_MAX, 1);
	/* and a fixed mmap threshold: glibc raises it each time a mapped
	 * block is freed, after which the per-batch buffers of a few
	 * hundred KB to MB (COPY text, libpq results, UID lists of a move
	 * group) came from the heap and left it fragmented: the heap grew
	 * from 10.6 to 18.3 MB over 100,000 mails with 5-7 MB of it free
	 * (peak RSS 27.2 MB at 10,000, 32.1 MB at 100,000); fixed at
	 * 128 KB they are mapped and unmapped whole, and the heap stays
	 * at 12-13 MB (RSS 26.9 and 29.7 MB).  The trim threshold is fixed
	 * with it (glibc adapts both together).  Fresh pages cost a fault
	 * each, though (about 15 us here): the buffers every batch fills
	 * again, the store's COPY text, are kept by the store instead
	 * (rb_copy_take) */
	mallopt(M_MMAP_THRESHOLD, 128 * 1024);
	mallopt(M_TRIM_THRESHOLD, 128 * 1024);
	b.pw = rb_pworker_new(popts);
	/* the daemon has threads: its parser children are new programs */
	if (access("/proc/self/exe", X_OK) == 0)
		rb_pworker_exec(b.pw, "/proc/self/exe");
	struct backoff bo = {0};
	int rc = 0, passes = 0;
	time_t started = time(NULL);
	while (!stop_flag && !hup_flag) {
		int r = ensure(&b);
		if (r == ST_OK) {
			int did = 0;
			for (size_t i = 0; r == ST_OK && i < m->nfolders &&
					   !stop_flag && !hup_flag;
			     i++)
				r = run_folder(&b, m->folders[i], &did);
			if (r == ST_OK) {
				bo.fails = 0;
				b.mx.last_success = time(NULL);
				passes++;
				metrics_write(cf, m, &b.mx);
				if (once)
					break;
				/* a dropped IDLE connection goes through the
				 * backoff below like any other failure */
				r = wait_mail(&b);
				if (r == ST_OK)
					continue;
			}
		}
		metrics_write(cf, m, &b.mx);
		if (r == ST_LEASE) {
			/* --once waits for a lease whose holder may have died
			 * (it expires), but not forever: a live holder does
			 * the work anyway */
			if (once && time(NULL) - started >
					(time_t)cf->lease_seconds * 2 + 1) {
				LOG_WARN("held by another instance: skipped");
				break;
			}
			nap(once ? 1000 : (long)cf->lease_seconds * 1000 / 2);
			continue;
		}
		if (once && (r == ST_PERM || passes == 0)) {
			/* --once: report and stop rather than retry forever;
			 * temporary trouble gets a few quick retries */
			if (r == ST_PERM || bo.fails >= 3) {
				rc = 1;
				break;
			}
		}
		/* permanent trouble (refused login or certificate) is
		 * retried slowly: an operator has to fix something */
		long ms = backoff_ms(&bo, r == ST_PERM ? 60000 : 0);
		LOG_INFO("retrying in %.1f s", ms / 1000.0);
		nap(ms);
	}
	mbx_close(&b);
	log_mailbox = NULL;
	return rc;
}

/* ---- metrics over HTTP (supervisor, loopback only) ---- */

static int
metrics_listen_open(const char *spec)
{
	char host[256];
	const char *colon = strrchr(spec, ':');
	if (colon == NULL || (size_t)(colon - spec) >= sizeof host) {
		LOG_ERR("metrics_listen: expected HOST:PORT, got %s", spec);
		return -1;
	}
	memcpy(host, spec, (size_t)(colon - spec));
	host[colon - spec] = '\0';
	if (!rb_host_is_loopback(host)) {
		LOG_ERR("metrics_listen: only a loopback address is allowed, "
			"not %s",
			host);
		return -1;
	}
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM,
				 .ai_flags = AI_PASSIVE};
	struct addrinfo *res = NULL;
	if (getaddrinfo(host, colon + 1, &hints, &res) != 0 || res == NULL) {
		LOG_ERR("metrics_listen: cannot resolve %s", spec);
		return -1;
	}
	int fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC |
					    SOCK_NONBLOCK,
			0);
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (fd < 0 || bind(fd, res->ai_addr, res->ai_addrlen) < 0 ||
	    listen(fd, 8) < 0) {
		LOG_ERR("metrics_listen: cannot listen on %s: %s", spec,
			strerror(errno));
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

/* Answer one scrape: the workers' files, concatenated. */
static void
metrics_serve(int lfd, const struct rb_config *cf)
{
	int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (c < 0)
		return;
	struct timeval tv = {.tv_sec = 2};
	setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	char req[2048];
	ssize_t n = recv(c, req, sizeof req - 1, 0);	/* one read: GET line */
	(void)n;
	static const char hdr[] = "HTTP/1.0 200 OK\r\nContent-Type: text/plain; "
				  "version=0.0.4\r\nConnection: close\r\n\r\n";
	if (send(c, hdr, sizeof hdr - 1, MSG_NOSIGNAL) > 0) {
		for (size_t i = 0; i < cf->nmb; i++) {
			char path[4096];
			metrics_path(cf, &cf->mb[i], path, sizeof path);
			size_t len;
			char *t = rb_read_file(path, &len);
			if (t && send(c, t, len, MSG_NOSIGNAL) < 0) {
				free(t);
				break;
			}
			free(t);
		}
	}
	close(c);
}

/* ---- supervisor ---- */

static int
load(const char *path, struct rb_config *cf)
{
	char *err = NULL;
	if (rb_config_load(path, cf, &err) != 0) {
		LOG_ERR("config: %s", err);
		free(err);
		return -1;
	}
	log_json = cf->log_json;
	for (int i = 0; i < 4; i++)
		if (!strcmp(cf->log_level, level_names[i]))
			log_min = i;
	return 0;
}

static void
start_children(const struct rb_config *cf, const struct rb_parse_opts *po,
	       pid_t *pids)
{
	for (size_t i = 0; i < cf->nmb; i++) {
		if (pids[i] > 0)
			continue;
		fflush(NULL);
		pid_t p = fork();
		if (p == 0) {
			handle(SIGCHLD, SIG_DFL);
			srandom((unsigned)(time(NULL) ^ getpid()));
			_exit(run_mailbox(cf, &cf->mb[i], po, 0));
		}
		if (p < 0)
			LOG_ERR("fork: %s", strerror(errno));
		pids[i] = p;
	}
}

static void
stop_children(pid_t *pids, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (pids[i] > 0)
			kill(pids[i], SIGTERM);
	for (size_t i = 0; i < n; i++) {
		if (pids[i] <= 0)
			continue;
		while (waitpid(pids[i], NULL, 0) < 0 && errno == EINTR)
			;
		pids[i] = 0;
	}
}

/*
 * The parser options of the daemon, built the same way by the daemon and
 * by its parser child, which is started as a new program (`rebound
 * __parser-child`, see rb_pworker_exec) and so cannot inherit them:
 * anything configurable added here must reach the child too.  The rules
 * are the caller's to free; NULL on error (reported).
 */
static struct rb_rules *
parse_opts(struct rb_parse_opts *po)
{
	rb_parse_opts_default(po);
	struct rb_rules *rules = rb_load_rules(NULL, &po->limits);
	po->rules = rules;	/* gmime is initialised in the parser child */
	return rules;
}

int
cmd_parser_child(int argc, char **argv)
{
	struct rb_parse_opts po;
	if (parse_opts(&po) == NULL)
		return 1;
	rb_pworker_child_main(&po);
}

int
cmd_run(int argc, char **argv)
{
	static const struct option lo[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"once", no_argument, NULL, '1'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *path = rb_config_default_path();
	int once = 0, c;
	while ((c = getopt_long(argc, argv, "c:1h", lo, NULL)) != -1) {
		switch (c) {
		case 'c':
			path = optarg;
			break;
		case '1':
			once = 1;
			break;
		case 'h':
			puts("usage: rebound run [--once] [--config FILE]\n"
			     "Reads every [mailbox] of the configuration "
			     "(default $REBOUND_CONFIG or\n"
			     RB_CONFIG_DEFAULT_PATH "); --once does one "
			     "pass and exits.\n"
			     "SIGTERM/SIGINT finish the batch and exit; "
			     "SIGHUP reloads the configuration.");
			return 0;
		default:
			return 2;
		}
	}
	struct rb_config cf;
	if (load(path, &cf) != 0)
		return 1;
	if (cf.nmb == 0) {
		LOG_ERR("config %s: no [mailbox] section", path);
		rb_config_free(&cf);
		return 1;
	}
	handle(SIGTERM, on_stop);
	handle(SIGINT, on_stop);
	handle(SIGHUP, on_hup);
	signal(SIGPIPE, SIG_IGN);
	srandom((unsigned)(time(NULL) ^ getpid()));

	struct rb_parse_opts po;
	struct rb_rules *rules = parse_opts(&po);
	if (rules == NULL) {
		rb_config_free(&cf);
		return 1;
	}

	int rc = 0;
	if (once) {
		for (size_t i = 0; i < cf.nmb && !stop_flag; i++)
			rc |= run_mailbox(&cf, &cf.mb[i], &po, 1);
		rb_rules_free(rules);
		rb_config_free(&cf);
		return rc;
	}

	handle(SIGCHLD, on_chld);
	LOG_INFO("started: %zu mailbox(es), config %s", cf.nmb, path);
	int mfd = -1;
	char mdir[64] = "";
	if (cf.metrics_listen) {
		mfd = metrics_listen_open(cf.metrics_listen);
		if (cf.metrics_file == NULL) {
			/* workers write their files here; we serve them */
			strcpy(mdir, "/tmp/rebound-metrics.XXXXXX");
			if (mkdtemp(mdir) == NULL) {
				LOG_ERR("metrics: mkdtemp: %s", strerror(errno));
				mdir[0] = '\0';
			} else if (asprintf(&cf.metrics_file, "%s/rebound.prom",
					    mdir) < 0) {
				abort();
			}
		}
		if (mfd >= 0)
			LOG_INFO("metrics on http://%s/metrics",
				 cf.metrics_listen);
	}
	pid_t *pids = calloc(cf.nmb, sizeof *pids);
	time_t *died = calloc(cf.nmb, sizeof *died);
	unsigned *fails = calloc(cf.nmb, sizeof *fails);
	if (pids == NULL || died == NULL || fails == NULL)
		abort();
	start_children(&cf, &po, pids);
	while (!stop_flag) {
		if (hup_flag) {
			hup_flag = 0;
			struct rb_config nc;
			if (load(path, &nc) != 0) {
				LOG_ERR("reload failed: keeping the running "
					"configuration");
			} else {
				LOG_INFO("reloading configuration");
				stop_children(pids, cf.nmb);
				rb_config_free(&cf);
				cf = nc;
				if (mdir[0] && cf.metrics_file == NULL &&
				    asprintf(&cf.metrics_file,
					     "%s/rebound.prom", mdir) < 0)
					abort();
				free(pids);
				free(died);
				free(fails);
				pids = calloc(cf.nmb + 1, sizeof *pids);
				died = calloc(cf.nmb + 1, sizeof *died);
				fails = calloc(cf.nmb + 1, sizeof *fails);
				if (!pids || !died || !fails)
					abort();
				start_children(&cf, &po, pids);
			}
		}
		int st;
		pid_t p;
		while ((p = waitpid(-1, &st, WNOHANG)) > 0) {
			for (size_t i = 0; i < cf.nmb; i++) {
				if (pids[i] != p)
					continue;
				LOG_WARN("worker for mailbox %s exited (%s %d): "
					 "restarting",
					 cf.mb[i].name,
					 WIFSIGNALED(st) ? "signal" : "status",
					 WIFSIGNALED(st) ? WTERMSIG(st)
							 : WEXITSTATUS(st));
				pids[i] = 0;
				died[i] = time(NULL);
				fails[i]++;
			}
		}
		/* restart dead workers after a growing delay */
		time_t now = time(NULL);
		for (size_t i = 0; i < cf.nmb; i++) {
			unsigned d = fails[i] < 6 ? 1u << fails[i] : 60;
			if (pids[i] == 0 && now - died[i] >= (time_t)d) {
				start_children(&cf, &po, pids);
				if (now - died[i] > 300)
					fails[i] = 0;
			}
		}
		chld_flag = 0;
		if (mfd >= 0) {
			struct pollfd mp = {.fd = mfd, .events = POLLIN};
			if (poll(&mp, 1, 1000) > 0)
				metrics_serve(mfd, &cf);
		} else {
			nap(1000);
		}
	}
	if (mfd >= 0)
		close(mfd);
	if (mdir[0]) {
		for (size_t i = 0; i < cf.nmb; i++) {
			char mp[4096];
			metrics_path(&cf, &cf.mb[i], mp, sizeof mp);
			unlink(mp);
		}
		rmdir(mdir);
	}
	LOG_INFO("stopping: waiting for workers to finish their batch");
	stop_children(pids, cf.nmb);
	free(pids);
	free(died);
	free(fails);
	rb_rules_free(rules);
	rb_config_free(&cf);
	LOG_INFO("stopped");
	return 0;
}
