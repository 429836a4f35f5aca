#include "daemon/signals.h"
#include "daemon/watchdog.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

volatile sig_atomic_t stop_flag, hup_flag, chld_flag;

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

void
sig_handle(int sig, void (*fn)(int))
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = fn;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;	/* no SA_RESTART: sleeps return early */
	sigaction(sig, &sa, NULL);
}

void
sig_install_run(void)
{
	sig_handle(SIGTERM, on_stop);
	sig_handle(SIGINT, on_stop);
	sig_handle(SIGHUP, on_hup);
	signal(SIGPIPE, SIG_IGN);
}

void
sig_install_chld(void)
{
	sig_handle(SIGCHLD, on_chld);
}

void
sig_block_all(void)
{
	/* the main thread takes the signals (handlers only set flags) */
	sigset_t all;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
}

void
nap(long ms)
{
	while (ms > 0 && !stop_flag && !hup_flag) {
		long step = ms > 200 ? 200 : ms;
		struct timespec ts = {step / 1000, (step % 1000) * 1000000L};
		nanosleep(&ts, NULL);
		ms -= step;
		watchdog_beat();	/* waiting on purpose */
	}
}

long
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
