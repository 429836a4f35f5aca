/*
 * supervisor: the parent process of `rebound run`.
 *
 * Forks one worker process per configured mailbox, restarts a worker
 * that exits after a growing delay (2 s .. 60 s), reloads the
 * configuration on SIGHUP (workers stopped and started again; a
 * configuration that does not load leaves the running one in place),
 * serves metrics over HTTP when asked, and on SIGTERM/SIGINT stops the
 * workers (each finishes its batch) and waits for them.
 */
#ifndef RB_DAEMON_SUPERVISOR_H
#define RB_DAEMON_SUPERVISOR_H

#include "core/config.h"
#include "parsers/parse.h"

/* Load path into cf and set up the logger from it; -1 (logged) on error. */
int load_config(const char *path, struct rb_config *cf);
/* Supervise the workers of *cf until stopped (cf is replaced on reload);
 * the exit status. */
int supervise(const char *path, struct rb_config *cf,
	      const struct rb_parse_opts *po);

#endif
