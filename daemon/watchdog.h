/*
 * watchdog: a worker that makes no progress ends, so that it can start
 * again.
 *
 * Progress is any sign that the worker is not stuck: bytes received on an
 * IMAP connection, a mail parsed, a batch committed, or a healthy wait
 * (a sleep between passes, an IDLE that is listening).  A thread of the
 * worker checks every second; when nothing happened for `bound` seconds
 * it logs an error and ends the process with exit status 3.  Under the
 * supervisor the worker is then started again (after its restart delay);
 * with --once the run fails.  The lease of the dead process is taken over
 * at once by the next one (same host).  Whatever is not committed is
 * read again; what is committed is not counted twice.
 */
#ifndef RB_DAEMON_WATCHDOG_H
#define RB_DAEMON_WATCHDOG_H

/*
 * The bounded stop: once stop_flag is set (SIGTERM, SIGINT), the worker
 * has seconds to finish the batch in hand and exit; after that the
 * watchdog calls cancel (kill what would outlive the process) and ends
 * the process with status 0.  0 seconds: no bound.  Call before
 * watchdog_start.
 */
void watchdog_grace(unsigned seconds, void (*cancel)(void));

/* Start watching (the calling process; once at a time). */
void watchdog_start(unsigned bound);
/* Progress: cheap, from any thread. */
void watchdog_beat(void);
/* Stop watching (joins the thread). */
void watchdog_stop(void);

/* The bound for a mailbox: five times the longest single wait the worker
 * allows itself (network timeout, parse timeout), at least 300 s. */
unsigned watchdog_bound(unsigned net_timeout, unsigned parse_timeout);

#endif
