/*
 * senders.c: the change log and connection probes for the sender-facing
 * services (see senders.h).
 */
#include "senders.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

#define ISO(c) "to_char(" c ", 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"

static const char *
val(const PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? NULL : PQgetvalue(r, row, col);
}

int
rb_store_changes(struct rb_store *s, long long after, int limit,
		 rb_change_cb cb, void *ctx, long long *last)
{
	char a[32], l[16];
	if (limit < 1)
		limit = 1;
	if (limit > 10000)
		limit = 10000;
	snprintf(a, sizeof(a), "%lld", after);
	snprintf(l, sizeof(l), "%d", limit);
	*last = after;
	const char *p[] = {a, l, rb_store_scope_tenant(s),
			   rb_store_scope_stream(s)};
	PGresult *r = rb_store_q(
	    s, PGRES_TUPLES_OK,
	    "SELECT id, " ISO("at") ", action, address, addr_key, class,"
	    " reason, " ISO("expires_at") ", scope"
	    " FROM rebound_suppression_changes"
	    " WHERE id > $1::bigint AND " RB_SCOPE_COVERS("scope", "$3", "$4")
	    " ORDER BY id LIMIT $2::integer",
	    4, p);
	if (r == NULL)
		return -1;
	int rc = 0;
	for (int i = 0; i < PQntuples(r); i++) {
		struct rb_change c = {
		    .id = strtoll(PQgetvalue(r, i, 0), NULL, 10),
		    .at = val(r, i, 1),
		    .action = val(r, i, 2),
		    .address = val(r, i, 3),
		    .addr_key = val(r, i, 4),
		    .class = val(r, i, 5),
		    .reason = val(r, i, 6),
		    .expires_at = val(r, i, 7),
		    .scope = PQgetvalue(r, i, 8),
		};
		*last = c.id;
		if (cb(ctx, &c) != 0) {
			rc = 1;
			break;
		}
	}
	PQclear(r);
	return rc < 0 ? -1 : 0;
}

int
rb_store_changes_head(struct rb_store *s, long long *id)
{
	PGresult *r = rb_store_q(
	    s, PGRES_TUPLES_OK,
	    "SELECT coalesce(max(id), 0) FROM rebound_suppression_changes", 0,
	    NULL);
	if (r == NULL)
		return -1;
	*id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	return 0;
}

int
rb_store_active(struct rb_store *s, const char *key, struct rb_active *a)
{
	static _Thread_local PGconn *prepared;
	PGconn *pg = rb_store_pg(s);
	memset(a, 0, sizeof(*a));
	if (prepared != pg) {
		PGresult *r = PQprepare(
		    pg, "rb_senders_active",
		    "SELECT class, reason, " ISO("since") ", "
		    ISO("expires_at") ", scope FROM rebound_active_suppressions"
		    " WHERE addr_key = $1 AND "
		    RB_SCOPE_COVERS("scope", "$2", "$3")
		    " ORDER BY scope LIMIT 1",
		    3, NULL);
		bool ok = r && PQresultStatus(r) == PGRES_COMMAND_OK;
		if (!ok) {
			rb_store_fail(s, r, "prepare failed");
			PQclear(r);
			return -1;
		}
		PQclear(r);
		prepared = pg;
	}
	const char *p[] = {key, rb_store_scope_tenant(s),
			   rb_store_scope_stream(s)};
	PGresult *r = PQexecPrepared(pg, "rb_senders_active", 3, p, NULL, NULL,
				     0);
	if (r == NULL || PQresultStatus(r) != PGRES_TUPLES_OK) {
		rb_store_fail(s, r, "lookup failed");
		PQclear(r);
		/* a new connection may reuse the address: prepare again */
		prepared = NULL;
		return -1;
	}
	if (PQntuples(r) > 0) {
		a->active = true;
		snprintf(a->class, sizeof(a->class), "%s", PQgetvalue(r, 0, 0));
		snprintf(a->reason, sizeof(a->reason), "%s",
			 PQgetvalue(r, 0, 1));
		snprintf(a->since, sizeof(a->since), "%s", PQgetvalue(r, 0, 2));
		snprintf(a->expires_at, sizeof(a->expires_at), "%s",
			 PQgetvalue(r, 0, 3));
		snprintf(a->scope, sizeof(a->scope), "%s", PQgetvalue(r, 0, 4));
	}
	PQclear(r);
	return 0;
}

bool
rb_store_ping(struct rb_store *s)
{
	PGconn *pg = rb_store_pg(s);
	if (PQstatus(pg) != CONNECTION_OK)
		return false;
	PGresult *r = PQexec(pg, "SELECT 1");
	bool ok = r && PQresultStatus(r) == PGRES_TUPLES_OK;
	PQclear(r);
	return ok;
}

int
rb_store_listen(struct rb_store *s)
{
	return rb_store_exec(s, "LISTEN rebound_suppression");
}

int
rb_store_wait_notify(struct rb_store *s, int timeout_ms)
{
	PGconn *pg = rb_store_pg(s);
	int got = 0;
	for (;;) {
		if (!PQconsumeInput(pg))
			return rb_store_fail(s, NULL, "connection lost");
		PGnotify *n;
		while ((n = PQnotifies(pg)) != NULL) {
			got = 1;
			PQfreemem(n);
		}
		if (got || timeout_ms == 0)
			return got;
		struct pollfd pfd = {.fd = PQsocket(pg), .events = POLLIN};
		if (pfd.fd < 0)
			return rb_store_fail(s, NULL, "connection lost");
		int r = poll(&pfd, 1, timeout_ms);
		if (r < 0 && errno != EINTR)
			return rb_store_fail(s, NULL, "poll: %s",
					     strerror(errno));
		if (r == 0)
			return 0;
		timeout_ms = 0;	/* read what came, then return */
	}
}
