/*
 * dbpool.c: one database connection per request thread (see dbpool.h).
 */
#include "dbpool.h"

#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "lib/log.h"
#include "serve/metrics.h"
#include "store/senders.h"

static const char *conninfo;

/* every connection the threads opened, closed at shutdown */
static pthread_mutex_t conns_lock = PTHREAD_MUTEX_INITIALIZER;
static struct rb_store **conns;
static size_t nconns, capconns;

struct thread_db {
	struct rb_store *s;
	size_t slot;
	time_t retry_at;
};
static _Thread_local struct thread_db tdb = {NULL, (size_t)-1, 0};

void
rb_dbpool_init(const char *ci)
{
	conninfo = ci;
}

static void
conn_set(struct rb_store *s)
{
	pthread_mutex_lock(&conns_lock);
	if (tdb.slot == (size_t)-1) {
		if (nconns == capconns) {
			capconns = capconns ? capconns * 2 : 16;
			struct rb_store **v =
			    realloc(conns, capconns * sizeof(*v));
			if (v == NULL)
				abort();
			conns = v;
		}
		tdb.slot = nconns++;
	}
	conns[tdb.slot] = s;
	pthread_mutex_unlock(&conns_lock);
	tdb.s = s;
}

struct rb_store *
rb_dbpool_get(void)
{
	if (tdb.s != NULL)
		return tdb.s;
	time_t now = time(NULL);
	if (now < tdb.retry_at)
		return NULL;
	char err[512];
	struct rb_store *s = rb_store_open(conninfo, err, sizeof(err));
	if (s == NULL) {
		tdb.retry_at = now + 1;
		rb_metrics_add(RB_M_DB_ERRORS, 1);
		rb_warn("serve: database: %s", err);
		return NULL;
	}
	conn_set(s);
	return s;
}

void
rb_dbpool_failed(void)
{
	rb_metrics_add(RB_M_DB_ERRORS, 1);
	if (tdb.s != NULL && !rb_store_ping(tdb.s)) {
		rb_warn("serve: database: %s", rb_store_error(tdb.s));
		rb_store_close(tdb.s);
		conn_set(NULL);
		tdb.retry_at = time(NULL) + 1;
	}
}

void
rb_dbpool_close(void)
{
	pthread_mutex_lock(&conns_lock);
	for (size_t i = 0; i < nconns; i++)
		rb_store_close(conns[i]);
	free(conns);
	conns = NULL;
	nconns = capconns = 0;
	pthread_mutex_unlock(&conns_lock);
}
