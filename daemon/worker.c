#include "daemon/worker.h"
#include "lib/clock.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/policy.h"
#include "daemon/lease.h"
#include "daemon/mover.h"
#include "daemon/pipeline.h"
#include "daemon/signals.h"
#include "daemon/watchdog.h"
#include "lib/testhook.h"
#include "lib/log.h"

int
db_fail(struct mbx *b, const char *what)
{
	rb_err("database: %s: %s", what,
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
int
imap_fail_on(struct mbx *b, struct rb_imap **c, int r)
{
	rb_err("imap: %s", rb_imap_error(*c));
	b->mx.imap_errors++;
	rb_imap_close(*c);
	*c = NULL;
	return r == RB_IMAP_PERM ? ST_PERM : ST_IMAP;
}

int
imap_fail(struct mbx *b, int r)
{
	return imap_fail_on(b, &b->imap, r);
}


/* CPU seconds of the calling thread (stage costs: on a shared machine
 * wall-clock stage times mostly measure waiting). */
double
cpu_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * Open an IMAP connection for mailbox b with its secret (password file,
 * environment or token command), wiping the secret at once.  Returns
 * ST_PERM when the secret cannot be had (logged), else rb_imap_connect's
 * result.
 */
int
connect_with_secret(struct mbx *b, struct rb_imap **c)
{
	char *err = NULL;
	char *secret = rb_config_secret(b->m, &err);
	if (secret == NULL) {
		rb_err("%s", err);
		free(err);
		return ST_PERM;
	}
	int r = rb_imap_connect(b->m, secret, c);
	explicit_bzero(secret, strlen(secret));
	free(secret);
	return r;
}

static int
run_folder(struct mbx *b, const char *folder, int *did)
{
	uint32_t uv, uidnext;
	b->folder = folder;
	int r = rb_imap_select(b->imap, folder, &uv, &uidnext);
	if (r == RB_IMAP_NOFOLDER) {
		/* a folder rebound reads is never created: a typo would
		 * otherwise pass for an empty folder */
		rb_err("imap: %s: it is listed in folders = but does not "
		       "exist; the other folders are read",
		       rb_imap_error(b->imap));
		b->mx.imap_errors++;
		return ST_FOLDER;
	}
	if (r != RB_IMAP_OK)
		return imap_fail(b, r);
	uint32_t cuv, last;
	int found;
	if (rb_mbstate_cursor_get(b->db, b->account, folder, &cuv, &last,
			          &found) != 0)
		return db_fail(b, "reading the cursor");
	if (!found || cuv != uv) {
		if (found)
			rb_warn("%s: UIDVALIDITY changed from %u to %u: "
				"reading the folder again (mail already "
				"stored is recognised by its content)",
				folder, cuv, uv);
		if (rb_mbstate_cursor_reset(b->db, b->account, folder, uv) != 0)
			return db_fail(b, "resetting the cursor");
		last = 0;
	}
	b->uidvalidity = uv;
	/* actions committed by an earlier pass but not confirmed done */
	struct rb_pending *p = NULL;
	size_t np = 0;
	if (rb_mbstate_pending_list(b->db, b->account, folder, uv, &p, &np) != 0)
		return db_fail(b, "reading pending actions");
	if (np)
		rb_info("%s: finishing %zu server actions of an interrupted "
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
watch_close(struct mbx *b)
{
	for (size_t i = 0; i < b->nwatch; i++)
		rb_imap_close(b->watch[i]);
	free(b->watch);
	b->watch = NULL;
	b->nwatch = 0;
}

/* A connection per folder, each with its folder selected; 0, or -1 when
 * none could be had (then the caller polls). */
static int
watch_open(struct mbx *b)
{
	if (b->watch)
		return 0;
	b->watch = calloc(b->m->nfolders, sizeof *b->watch);
	if (b->watch == NULL)
		abort();
	size_t ok = 0;
	for (size_t i = 0; i < b->m->nfolders; i++) {
		struct rb_imap *c = NULL;
		uint32_t uv, un;
		int r = connect_with_secret(b, &c);
		if (r == RB_IMAP_OK)
			r = rb_imap_select(c, b->m->folders[i], &uv, &un);
		if (r != RB_IMAP_OK) {
			if (r != ST_PERM && r != RB_IMAP_NOFOLDER)
				rb_warn("watching %s: %s", b->m->folders[i],
					c ? rb_imap_error(c) : "no connection");
			rb_imap_close(c);
			continue;
		}
		b->watch[ok++] = c;
	}
	b->nwatch = ok;
	if (ok == 0) {
		watch_close(b);
		return -1;
	}
	return 0;
}

static void
mbx_close(struct mbx *b)
{
	watch_close(b);
	if (b->db && b->lease_held)
		rb_mbstate_lease_release(b->db, b->account, b->holder);
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
	rb_imap_copyuid_free(&b->placed);
	pthread_mutex_destroy(&b->mu);
	pthread_cond_destroy(&b->cv);
}

/* Connect what is missing; ST_OK or an error code. */
static int
ensure(struct mbx *b)
{
	if (b->db == NULL) {
		char err[1024];
		b->db = rb_store_open(b->cf->db, err, sizeof err);
		if (b->db == NULL) {
			rb_err("database: %s", err);
			b->mx.db_errors++;
			return ST_DB;
		}
		if (rb_store_migrate(b->db, NULL) != 0)
			return db_fail(b, "migrating");
		if (b->cf->policy)
			rb_store_keep_raw(
			    b->db, b->cf->policy->keep_raw,
			    (unsigned)(b->cf->policy->raw_retention / 86400));
		rb_store_unsubscribe_secret(b->db, b->cf->unsubscribe_secret,
					    b->cf->unsubscribe_secret_len);
	}
	int l = lease_keep(b);
	if (l != ST_OK)
		return l;
	if (b->imap == NULL) {
		int r = connect_with_secret(b, &b->imap);
		if (r == ST_PERM)
			return ST_PERM;
		if (r != RB_IMAP_OK)
			return imap_fail(b, r);
		rb_info("connected to %s port %d (%s)", b->m->host,
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
	/* several folders: IDLE on a connection per folder */
	if (b->imap && b->m->idle && rb_imap_has_idle(b->imap) &&
	    watch_open(b) == 0) {
		size_t failed = 0;
		int r = rb_imap_idle_many(b->watch, b->nwatch, t, &stop_flag,
					  &failed);
		if (r < 0) {
			/* connected again at the next wait */
			rb_warn("watching the folders: %s",
				rb_imap_error(b->watch[failed]));
			b->mx.imap_errors++;
			watch_close(b);
		}
		if (r >= 0)
			return ST_OK;
		/* this time: poll */
	}
	if (b->imap && b->m->idle && !b->poll_logged) {
		rb_info("%s: polling every %u s",
			rb_imap_has_idle(b->imap)
			    ? "no folder could be watched"
			    : "the server offers no IDLE",
			t);
		b->poll_logged = 1;
	}
	nap((long)t * 1000);
	return ST_OK;
}

/* The worker's state before its first pass, and the process's malloc
 * settings for the pipeline. */
static void
mbx_open(struct mbx *b, const struct rb_config *cf,
	 const struct rb_mailbox_conf *m, const struct rb_parse_opts *popts)
{
	memset(b, 0, sizeof *b);
	b->cf = cf;
	b->m = m;
	b->popts = popts;
	snprintf(b->account, sizeof b->account, "%s@%s:%d", m->user, m->host,
		 m->port);
	if (cf->instance) {
		snprintf(b->holder, sizeof b->holder, "%s:%d", cf->instance,
			 (int)getpid());
	} else {
		char host[256] = "";
		gethostname(host, sizeof host - 1);
		snprintf(b->holder, sizeof b->holder, "%s:%d", host,
			 (int)getpid());
	}
	pthread_mutex_init(&b->mu, NULL);
	pthread_cond_init(&b->cv, NULL);
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
	b->pw = rb_pworker_new(popts);
	/* the daemon has threads: its parser children are new programs */
	if (access("/proc/self/exe", X_OK) == 0)
		rb_pworker_exec(b->pw, "/proc/self/exe");
}

int
run_mailbox(const struct rb_config *cf, const struct rb_mailbox_conf *m,
	    const struct rb_parse_opts *popts, int once)
{
	struct mbx b;
	mbx_open(&b, cf, m, popts);
	rb_log_context("mailbox", m->name);
	unsigned wb = watchdog_bound(m->timeout, cf->parse_timeout);
	const char *h = rb_test_hook("WATCHDOG_SECONDS");
	if (h && atoi(h) > 0)
		wb = (unsigned)atoi(h);
	watchdog_grace(cf->shutdown_grace, rb_pworker_kill_live);
	watchdog_start(wb);
	rb_imap_progress_hook(watchdog_beat);
	struct backoff bo = {0};
	int rc = 0, passes = 0;
	time_t started = time(NULL);
	while (!stop_flag && !hup_flag) {
		int r = ensure(&b);
		if (r == ST_OK) {
			int did = 0;
			size_t missing = 0;
			for (size_t i = 0; r == ST_OK && i < m->nfolders &&
					   !stop_flag && !hup_flag;
			     i++) {
				r = run_folder(&b, m->folders[i], &did);
				if (r == ST_FOLDER) {
					missing++;
					r = ST_OK;
				}
			}
			if (once && missing)
				rc = 1;
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
				rb_warn("held by another instance: skipped");
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
		rb_info("retrying in %.1f s", ms / 1000.0);
		nap(ms);
	}
	mbx_close(&b);
	rb_imap_progress_hook(NULL);
	watchdog_stop();
	rb_log_context(NULL, NULL);
	return rc;
}
