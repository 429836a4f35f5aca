/*
 * commands: every `rebound` subcommand.  main.c holds the table (name,
 * one-line summary, handler) from which `rebound --help` is generated.
 * A handler gets argv with argv[0] = the subcommand name and returns the
 * process exit status.
 */
#ifndef RB_COMMANDS_H
#define RB_COMMANDS_H

#include "daemon/daemon.h"	/* cmd_run, cmd_parser_child */

int cmd_parse(int argc, char **argv);
int cmd_rules(int argc, char **argv);
int cmd_config(int argc, char **argv);
int cmd_db(int argc, char **argv);
int cmd_ingest(int argc, char **argv);
int cmd_query(int argc, char **argv);
int cmd_filter(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_explain(int argc, char **argv);
int cmd_suppress(int argc, char **argv);
int cmd_unsuppress(int argc, char **argv);
int cmd_policy(int argc, char **argv);
/* `rebound report throttling` (cli/cmd_throttling.c), called by
 * cmd_report with argv[0] = "throttling". */
int cmd_report_throttling(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_sent(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_watch(int argc, char **argv);
int cmd_unsubscribe_link(int argc, char **argv);
int cmd_quarantine(int argc, char **argv);

#endif
