/*
 * local: the built-in PostgreSQL cluster, one per machine, used when no
 * database is configured (no --db, no $REBOUND_DB, no `db` in the
 * configuration).
 *
 * Where: the state directory, $REBOUND_STATE_DIR, else $STATE_DIRECTORY
 * (set by systemd's StateDirectory=; the first entry), else
 * /var/lib/rebound.  Never a per-user directory: every user of the
 * machine, the daemon and `sudo rebound query` reach the same database
 * or none.  STATE/pg holds the cluster, STATE/run its Unix socket (no
 * TCP at all), STATE/pg.log its log.
 *
 * Who: the server runs as the owner of STATE/pg (for a new cluster the
 * system user "rebound" when it exists, else "postgres"; PostgreSQL
 * refuses root); a caller that is not root can start it only when it is
 * that user.  The socket belongs to the group "rebound" when that group
 * exists (mode 0770, directories 0750), so root, the daemon's user and
 * the group's members can connect; nobody else can.  Authentication is
 * peer (the kernel says who connects): root, "rebound", "postgres" and
 * the server user log in as the owner role "rebound"; everyone else who
 * can reach the socket only as "rebound_reader" (read the list, call
 * the lookup functions; see docs/senders.md).  jit = off: the systemd
 * unit's MemoryDenyWriteExecute refuses JIT code.
 *
 * Creation: only rb_local_init (`rebound db init`).  Reading never
 * creates a cluster nor a directory: rb_local_conninfo fails with a
 * message saying what to do when there is none.
 *
 * Functions return 0 or -1 with a message in err (errlen bytes).
 */
#ifndef RB_LOCAL_H
#define RB_LOCAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Create (when missing) and start the cluster and its database, and
 * (re)write its access configuration; as root or the server user. */
int rb_local_init(char *err, size_t errlen);
/* The conninfo (malloc'ed) of the running cluster, starting an
 * initialised one when the caller may; NULL when there is none. */
char *rb_local_conninfo(char *err, size_t errlen);
/* Start an initialised cluster (never creates one). */
int rb_local_start(char *err, size_t errlen);
int rb_local_stop(char *err, size_t errlen);
/* Print where it lives and whether it runs; 0 running, 1 stopped. */
int rb_local_status(FILE *out);

#endif
