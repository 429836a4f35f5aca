#include "daemon/lease.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon/worker.h"
#include "lib/log.h"

/*
 * A lease held by a process of this host that no longer exists (killed,
 * crashed) is taken at once instead of waiting for it to expire: the
 * holder name is "HOST:PID" and kill(PID, 0) tells.  Returns 1 taken,
 * 0 not (alive, other host, or raced), -1 database error.
 */
static int
steal_dead(struct mbx *b)
{
	int err = 0;
	char *h = rb_mbstate_lease_holder(b->db, b->account, &err);
	if (h == NULL)
		return err ? -1 : 0;
	int r = 0;
	char *colon = strrchr(h, ':');
	size_t mine = strrchr(b->holder, ':') - b->holder;
	if (colon && (size_t)(colon - h) == mine &&
	    !strncmp(h, b->holder, mine)) {
		long pid = strtol(colon + 1, NULL, 10);
		if (pid > 0 && kill((pid_t)pid, 0) < 0 && errno == ESRCH) {
			r = rb_mbstate_lease_steal(b->db, b->account, h,
						   b->holder,
						   b->cf->lease_seconds);
			if (r > 0)
				rb_info("lease of dead process %ld taken over",
					pid);
		}
	}
	free(h);
	return r;
}

int
lease_keep(struct mbx *b)
{
	time_t now = time(NULL);
	if (b->lease_held &&
	    now - b->lease_renewed < (time_t)b->cf->lease_seconds / 3)
		return ST_OK;
	int h = rb_mbstate_lease_acquire(b->db, b->account, b->holder,
					 b->cf->lease_seconds);
	if (h < 0)
		return db_fail(b, "taking the lease");
	if (h == 0 && !b->lease_held)
		h = steal_dead(b);
	if (h < 0)
		return db_fail(b, "taking the lease");
	if (h == 0) {
		if (b->lease_held || b->imap)
			rb_warn("lease taken over by another instance");
		b->lease_held = 0;
		rb_imap_close(b->imap);
		b->imap = NULL;
		rb_imap_close(b->imap2);
		b->imap2 = NULL;
		return ST_LEASE;
	}
	if (!b->lease_held)
		rb_info("lease taken (%s)", b->holder);
	b->lease_held = 1;
	b->lease_renewed = now;
	return ST_OK;
}
