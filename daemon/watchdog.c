#include "daemon/watchdog.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "daemon/signals.h"
#include "lib/log.h"

static atomic_llong last_beat;	/* monotonic seconds */
static pthread_t thread;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv;
static int running, stopping;
static unsigned bound_s;
static unsigned grace_s;
static void (*grace_cancel)(void);

static long long
mono_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec;
}

void
watchdog_beat(void)
{
	atomic_store_explicit(&last_beat, mono_s(), memory_order_relaxed);
}

/* The grace is over: the worker ends here.  Nothing is acknowledged that
 * was not committed (the server actions of a batch are queued only after
 * its COMMIT, and an open transaction is rolled back when its connection
 * closes); the parser child is killed (a hung one would outlive us) and
 * the connections close with the process. */
static void
cancel_now(void)
{
	rb_err("stopping: the work in hand did not end within "
	       "shutdown_grace = %u s: cancelled (what was not committed is "
	       "read again at the next start)",
	       grace_s);
	if (grace_cancel)
		grace_cancel();
	_exit(0);
}

static void *
watch(void *arg)
{
	(void)arg;
	sig_block_all();
	long long stop_at = 0;
	pthread_mutex_lock(&mu);
	while (!stopping) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += 1;
		pthread_cond_timedwait(&cv, &mu, &ts);
		long long idle = mono_s() - atomic_load_explicit(
						&last_beat, memory_order_relaxed);
		if (!stopping && idle >= (long long)bound_s) {
			rb_err("watchdog: no progress for %lld s (no data "
			       "from the server, no mail parsed, nothing "
			       "committed): ending the worker so that it "
			       "starts again",
			       idle);
			_exit(3);
		}
		if (!stopping && stop_flag && grace_s) {
			if (stop_at == 0)
				stop_at = mono_s();
			else if (mono_s() - stop_at >= (long long)grace_s)
				cancel_now();
		}
	}
	pthread_mutex_unlock(&mu);
	return NULL;
}

void
watchdog_start(unsigned bound)
{
	if (running)
		return;
	bound_s = bound;
	stopping = 0;
	watchdog_beat();
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&cv, &ca);
	pthread_condattr_destroy(&ca);
	if (pthread_create(&thread, NULL, watch, NULL) != 0)
		abort();
	running = 1;
}

void
watchdog_stop(void)
{
	if (!running)
		return;
	pthread_mutex_lock(&mu);
	stopping = 1;
	pthread_cond_signal(&cv);
	pthread_mutex_unlock(&mu);
	pthread_join(thread, NULL);
	pthread_cond_destroy(&cv);
	running = 0;
}

void
watchdog_grace(unsigned seconds, void (*cancel)(void))
{
	grace_s = seconds;
	grace_cancel = cancel;
}

unsigned
watchdog_bound(unsigned net_timeout, unsigned parse_timeout)
{
	unsigned longest = net_timeout > parse_timeout ? net_timeout
						       : parse_timeout;
	unsigned b = longest > 60 ? longest * 5 : 300;
	return b;
}
