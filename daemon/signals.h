/*
 * signals: how `rebound run` is told to stop or reload, and how it waits.
 *
 * The handlers only set flags (SIGTERM/SIGINT stop_flag, SIGHUP hup_flag,
 * SIGCHLD chld_flag); the loops check them between steps.  Handlers are
 * installed without SA_RESTART, so a sleep or a blocking call returns
 * early on a signal.  Only the main thread of a process takes signals:
 * every other thread calls sig_block_all() first.
 */
#ifndef RB_DAEMON_SIGNALS_H
#define RB_DAEMON_SIGNALS_H

#include <signal.h>

extern volatile sig_atomic_t stop_flag, hup_flag, chld_flag;

/* Install fn for sig (SIG_DFL / SIG_IGN allowed), without SA_RESTART. */
void sig_handle(int sig, void (*fn)(int));
/* SIGTERM, SIGINT -> stop_flag; SIGHUP -> hup_flag; SIGPIPE ignored. */
void sig_install_run(void);
/* SIGCHLD -> chld_flag (the supervisor). */
void sig_install_chld(void);
/* Block every signal in the calling thread. */
void sig_block_all(void);

/* Sleep up to ms, returning early once stop_flag or hup_flag is set. */
void nap(long ms);

/* Exponential backoff with +-25% jitter, 1 s .. 60 s (at least min_ms):
 * each call returns the next delay; set fails to 0 after a success. */
struct backoff {
	unsigned fails;
};
long backoff_ms(struct backoff *b, long min_ms);

#endif
