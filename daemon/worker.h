/*
 * worker: one mailbox, read until stopped (or one pass with --once).
 *
 * Per mailbox, per folder, per batch:
 *
 *   1. list UIDs above the cursor with their sizes (bounded batch);
 *   2. fetch bodies (BODY.PEEK[]) of those not over the size limit and not
 *      already failed too often; parse each in the parser child;
 *   3. ONE transaction: check the lease is still ours, store messages +
 *      events + suppressions, quarantine records, the server actions to
 *      do (imap_pending) and the advanced cursor; commit (commit.h);
 *   4. only then move / flag / delete on the server, and forget the
 *      pending actions (mover.h).
 *
 * A crash before 3 commits replays the batch (the store dedups by content
 * hash, so nothing counts twice); a crash between 3 and 4 leaves pending
 * actions that the next pass carries out first.  A batch whose lease was
 * taken over, or whose cursor moved under it, rolls back.
 *
 * The steps of a folder pass run as a pipeline of threads (pipeline.h);
 * struct mbx is what they share, and says for each field which thread
 * owns it or which lock guards it.
 */
#ifndef RB_DAEMON_WORKER_H
#define RB_DAEMON_WORKER_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "core/config.h"
#include "daemon/metrics.h"
#include "daemon/pworker.h"
#include "ingest/imap.h"
#include "parsers/parse.h"
#include "store/mailbox_state.h"
#include "store/store.h"

struct batch;

/* Stage totals of one folder pass (for the pass summary line). */
struct stages {
	double wall[3], cpu[3];	/* fetch, parse, store */
	unsigned long mails;
};

/*
 * "main" is the worker's main thread (the one that runs run_mailbox and
 * stores the batches); "fetcher", "parser" and "mover" are the threads of
 * one folder pass (pipeline.h), which exist only inside run_pipeline.
 * A field "set before a pass" is written by main while no pass thread
 * runs and only read during the pass.
 */
struct mbx {
	/* set once by run_mailbox, then read-only in every thread */
	const struct rb_config *cf;
	const struct rb_mailbox_conf *m;
	const struct rb_parse_opts *popts;
	char account[512];
	char holder[300];
	struct rb_pworker *pw;	/* the parser thread during a pass, main
				 * otherwise */

	/* connections: each is used by one thread at a time */
	struct rb_store *db;	/* main: the batch transactions, lease,
				 * cursor */
	struct rb_store *db2;	/* parser during a pass (attempt counts);
				 * opened and closed by main between passes */
	struct rb_imap *imap;	/* fetcher during a pass; main otherwise
				 * (SELECT, pending actions, IDLE) */
	struct rb_imap *imap2;	/* mover during a pass (connected by the
				 * mover itself); main otherwise (closing) */

	/* counters: see struct metrics for which thread writes which */
	struct metrics mx;

	/* main only */
	int lease_held;
	time_t lease_renewed;
	int poll_logged;	/* "polling every N s" said once */
	/* several folders: a connection each, IDLE on all at once while
	 * waiting for mail (NULL entries: folders not watched) */
	struct rb_imap **watch;
	size_t nwatch;
	struct stages st;	/* fetch, parse and store totals of a pass */

	/*
	 * A body FETCH that broke the connection: the next batch fetches
	 * one mail per command, to find the mail the server cannot send;
	 * a mail that broke it FETCH_TRIES times alone is quarantined
	 * without being fetched.  The fetcher during a pass, main
	 * otherwise; kept across reconnections, lost with the process.
	 */
	int fetch_careful;
	uint32_t bad_uid;
	unsigned bad_count;

	/* set by main before a pass */
	const char *folder;
	uint32_t uidvalidity;
	uint32_t fetch_from;	/* the fetcher's first UID is above it */

	/*
	 * The hand-over of one folder pass (run_pipeline): the fetcher fills
	 * `slot`, the parser takes it and fills `pslot`, main stores it (one
	 * transaction per batch) and queues the committed server actions in
	 * `mq`; the mover carries them out on imap2 in large groups and
	 * lists the UIDs done in `done`, forgotten in the next transaction.
	 * Every field below is read and written under mu while the pass
	 * threads run (main resets them before starting the threads and
	 * reads the results after joining them).
	 */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int fetch_stop;		/* main -> fetcher: stop now */
	int move_abort;		/* main -> mover: stop now */
	struct batch *slot, *pslot;
	int fetch_done, fetch_rc;
	int parse_stop, parse_done, parse_rc;
	struct rb_pending *mq;
	size_t nmq, capmq;
	int mq_closed, move_rc, mover_busy;
	int mover_st;		/* ST_ code when the mover could not connect */
	uint32_t *done;
	size_t ndone, capdone;
	struct rb_imap_copyuid placed;	/* quarantine moves' new UIDs */
	double move_wall, move_cpu;	/* the mover's totals of the pass */
	unsigned long moved;
};

/* Result of a step: 0 ok, -1 IMAP trouble, -2 database trouble,
 * -3 lease lost / fenced, -4 permanent IMAP error. */
/* ST_FOLDER: a configured folder the server does not have (logged; the
 * other folders go on) */
enum {
	ST_OK = 0,
	ST_IMAP = -1,
	ST_DB = -2,
	ST_LEASE = -3,
	ST_PERM = -4,
	ST_FOLDER = -5
};

/* A database error on b->db (main): log, count, roll back, close it. */
int db_fail(struct mbx *b, const char *what);
/* An IMAP error r on *c: log, count, close it (the caller retries with a
 * new connection after a backoff); ST_PERM or ST_IMAP. */
int imap_fail_on(struct mbx *b, struct rb_imap **c, int r);
/* imap_fail_on(b, &b->imap, r) */
int imap_fail(struct mbx *b, int r);
/*
 * Open an IMAP connection for mailbox b with its secret (password file,
 * environment or token command), wiping the secret at once.  Returns
 * ST_PERM when the secret cannot be had (logged), else rb_imap_connect's
 * result.
 */
int connect_with_secret(struct mbx *b, struct rb_imap **c);

/* CPU seconds of the calling thread (stage costs: on a shared machine
 * wall-clock stage times (rb_clock_s) mostly measure waiting). */
double cpu_s(void);

/* Run mailbox m until stopped, or one pass with once; the exit status. */
int run_mailbox(const struct rb_config *cf, const struct rb_mailbox_conf *m,
		const struct rb_parse_opts *popts, int once);

#endif
