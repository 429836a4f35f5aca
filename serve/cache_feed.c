/*
 * cache_feed.c: the keeper of rebound serve's cache (see cache_feed.h).
 */
#include "cache_feed.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <unistd.h>

#include "lib/log.h"
#include "serve/cache.h"
#include "store/notify.h"
#include "store/senders.h"

#define MAX_IDS 1000
#define PING_MS 2000
#define IDLE_MS 1000

static const char *conninfo;
static pthread_t thread;
static bool started;
static int wake[2] = {-1, -1};
static atomic_bool stopping;

static void
forget_key(void *ctx, const char *key)
{
	(void)ctx;
	rb_cache_forget(key);
}

/* wait ms, or less when stopping; true when stopping */
static bool
pause_ms(int ms)
{
	struct pollfd p = {.fd = wake[0], .events = POLLIN};
	poll(&p, 1, ms);
	return atomic_load(&stopping);
}

/* a connection that LISTENs; NULL (said once per outage) */
static struct rb_store *
connect_listen(bool *said)
{
	char err[512];
	struct rb_store *s = rb_store_open(conninfo, err, sizeof(err));
	if (s == NULL) {
		if (!*said)
			rb_warn("serve: cache: database: %s (answers from the "
				"database only until it answers)", err);
		*said = true;
		return NULL;
	}
	if (rb_store_listen(s) != 0) {
		if (!*said)
			rb_warn("serve: cache: LISTEN: %s", rb_store_error(s));
		*said = true;
		rb_store_close(s);
		return NULL;
	}
	*said = false;
	return s;
}

static void
lost(struct rb_store **s, const char *why)
{
	rb_cache_suspend();
	rb_cache_drop();
	rb_warn("serve: cache dropped: %s%s%s", why, *s ? ": " : "",
		*s ? rb_store_error(*s) : "");
	rb_store_close(*s);
	*s = NULL;
}

static void *
feed(void *arg)
{
	(void)arg;
	long long ids[MAX_IDS];
	struct rb_notified nf = {.ids = ids, .max = MAX_IDS};
	struct rb_store *s = NULL;
	bool said = false;
	while (!atomic_load(&stopping)) {
		if (s == NULL) {
			s = connect_listen(&said);
			if (s == NULL) {
				if (pause_ms(1000))
					break;
				continue;
			}
			/* listening: every later change will be notified;
			 * the cache is empty (dropped when the last
			 * connection was lost, or never filled) */
			rb_cache_resume();
			rb_info("serve: cache: listening for changes");
		}
		int r = rb_store_notified(s, IDLE_MS, wake[0], &nf);
		if (atomic_load(&stopping))
			break;
		if (r < 0) {
			lost(&s, "connection lost");
			continue;
		}
		if (r == 0) {
			if (!rb_store_ping_within(s, PING_MS))
				lost(&s, "the database did not answer a ping");
			continue;
		}
		if (nf.unknown || nf.overflow) {
			rb_cache_suspend();
			rb_cache_drop();
			rb_cache_resume();
			rb_info("serve: cache dropped: %s",
				nf.unknown ? "a notification not understood"
					   : "more than 1000 changes at once");
			continue;
		}
		rb_cache_suspend();
		if (rb_store_change_keys(s, nf.ids, nf.n, forget_key, NULL) !=
		    0) {
			lost(&s, "cannot read the changes");
			continue;
		}
		rb_cache_resume();
	}
	rb_cache_suspend();
	rb_store_close(s);
	return NULL;
}

int
rb_cache_feed_start(const char *ci)
{
	if (!rb_cache_enabled())
		return 0;
	conninfo = ci;
	atomic_store(&stopping, false);
	if (pipe2(wake, O_CLOEXEC) != 0)
		return -1;
	if (pthread_create(&thread, NULL, feed, NULL) != 0) {
		close(wake[0]);
		close(wake[1]);
		wake[0] = wake[1] = -1;
		return -1;
	}
	started = true;
	return 0;
}

void
rb_cache_feed_stop(void)
{
	if (!started)
		return;
	atomic_store(&stopping, true);
	if (write(wake[1], "x", 1) < 0) {
		/* the thread still sees stopping within a second */
	}
	pthread_join(thread, NULL);
	close(wake[0]);
	close(wake[1]);
	wake[0] = wake[1] = -1;
	started = false;
}
