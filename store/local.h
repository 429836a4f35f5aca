/*
 * local: the built-in private PostgreSQL cluster used when no database is
 * configured (no --db, no REBOUND_DB).  It lives under the state directory
 * ($REBOUND_STATE_DIR; else /var/lib/rebound as root; else
 * $XDG_STATE_HOME/rebound or ~/.local/state/rebound): STATE/pg holds the
 * cluster, STATE/run its Unix socket (mode 0700; no TCP at all), and
 * STATE/pg.log its log.  It is initialised on first use (superuser
 * "rebound", trust on the private socket, database "rebound").  As root
 * the server runs as the unprivileged user "postgres" (PostgreSQL refuses
 * root); otherwise as the calling user.  Debian's binaries are found
 * under /usr/lib/postgresql/N/bin (highest N) or $REBOUND_PG_BINDIR.
 *
 * Functions return 0 or -1 with a message in err (errlen bytes).
 */
#ifndef RB_LOCAL_H
#define RB_LOCAL_H

#include <stddef.h>
#include <stdio.h>

/* Make sure the cluster runs; return its conninfo (malloc'ed) or NULL. */
char *rb_local_conninfo(char *err, size_t errlen);
int rb_local_start(char *err, size_t errlen);
int rb_local_stop(char *err, size_t errlen);
/* Print where it lives and whether it runs; 0 running, 1 stopped. */
int rb_local_status(FILE *out);

#endif
