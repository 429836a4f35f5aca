/*
 * notify.c: the change channel for caches (see notify.h).
 */
#include "notify.h"
#include "lib/clock.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store_int.h"

/* {"id" : N} as json_build_object writes it; any spacing accepted */
static bool
payload_id(const char *p, long long *id)
{
	int end = -1;
	*id = 0;
	if (sscanf(p, " { \"id\" : %lld } %n", id, &end) != 1 || end < 0 ||
	    p[end] != '\0')
		return false;
	return *id > 0;
}

static void
take(PGconn *pg, struct rb_notified *nf, int *got)
{
	PGnotify *n;
	while ((n = PQnotifies(pg)) != NULL) {
		long long id;
		*got = 1;
		if (strcmp(n->relname, "rebound_suppression") != 0 ||
		    !payload_id(n->extra, &id))
			nf->unknown = true;
		else if (nf->n < nf->max)
			nf->ids[nf->n++] = id;
		else
			nf->overflow = true;
		PQfreemem(n);
	}
}


int
rb_store_notified(struct rb_store *s, int timeout_ms, int wake_fd,
		  struct rb_notified *nf)
{
	PGconn *pg = rb_store_pg(s);
	int got = 0;
	nf->n = 0;
	nf->overflow = nf->unknown = false;
	long long deadline = rb_clock_ms() + timeout_ms;
	for (;;) {
		if (!PQconsumeInput(pg))
			return rb_store_fail(s, NULL, "connection lost");
		take(pg, nf, &got);
		if (got)
			return 1;
		int left = (int)(deadline - rb_clock_ms());
		if (left <= 0)
			return 0;
		struct pollfd pfd[2] = {{.fd = PQsocket(pg), .events = POLLIN},
					{.fd = wake_fd, .events = POLLIN}};
		if (pfd[0].fd < 0)
			return rb_store_fail(s, NULL, "connection lost");
		int r = poll(pfd, wake_fd >= 0 ? 2 : 1, left);
		if (r < 0 && errno != EINTR)
			return rb_store_fail(s, NULL, "poll: %s",
					     strerror(errno));
		if (r > 0 && wake_fd >= 0 && pfd[1].revents)
			return 0;
	}
}

int
rb_store_change_keys(struct rb_store *s, const long long *ids, size_t n,
		     void (*cb)(void *ctx, const char *key), void *ctx)
{
	/* the ids as an array literal: digits and commas only */
	size_t cap = 3 + n * 21;
	char *arr = malloc(cap);
	if (arr == NULL)
		return rb_store_fail(s, NULL, "out of memory");
	size_t l = 0;
	arr[l++] = '{';
	for (size_t i = 0; i < n; i++)
		l += (size_t)snprintf(arr + l, cap - l, "%s%lld", i ? "," : "",
				      ids[i]);
	snprintf(arr + l, cap - l, "}");
	const char *p[] = {arr};
	PGresult *r = rb_store_q(s, PGRES_TUPLES_OK,
				 "SELECT DISTINCT addr_key FROM "
				 "rebound_suppression_changes WHERE id = "
				 "ANY ($1::bigint[])",
				 1, p);
	free(arr);
	if (r == NULL)
		return -1;
	for (int i = 0; i < PQntuples(r); i++)
		cb(ctx, PQgetvalue(r, i, 0));
	PQclear(r);
	return 0;
}

bool
rb_store_ping_within(struct rb_store *s, int timeout_ms)
{
	PGconn *pg = rb_store_pg(s);
	if (PQstatus(pg) != CONNECTION_OK || !PQsendQuery(pg, "SELECT 1"))
		return false;
	long long deadline = rb_clock_ms() + timeout_ms;
	bool ok = false;
	for (;;) {
		if (!PQconsumeInput(pg))
			return false;
		if (!PQisBusy(pg)) {
			PGresult *r = PQgetResult(pg);
			if (r == NULL)
				return ok;
			ok = PQresultStatus(r) == PGRES_TUPLES_OK;
			PQclear(r);
			continue;
		}
		int left = (int)(deadline - rb_clock_ms());
		if (left <= 0)
			return false;
		struct pollfd pfd = {.fd = PQsocket(pg), .events = POLLIN};
		if (pfd.fd < 0 || (poll(&pfd, 1, left) < 0 && errno != EINTR))
			return false;
	}
}
