/*
 * daemon: `rebound run`, the IMAP mailbox daemon, and the hidden parser
 * child it execs.  Both are command handlers: argv[0] is the subcommand
 * name, the return value the process exit status.
 */
#ifndef RB_DAEMON_H
#define RB_DAEMON_H

/* rebound run [--once] [--config FILE] */
int cmd_run(int argc, char **argv);
/* the parser child (daemon/pworker.h RB_PWORKER_ARG) */
int cmd_parser_child(int argc, char **argv);

#endif
