#include "daemon/daemon.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "core/config.h"
#include "daemon/pworker.h"
#include "daemon/signals.h"
#include "daemon/supervisor.h"
#include "daemon/worker.h"
#include "lib/log.h"
#include "parsers/rules.h"

/*
 * The parser options of the daemon, built the same way by the daemon and
 * by its parser child, which is started as a new program (`rebound
 * __parser-child`, see rb_pworker_exec) and so cannot inherit them:
 * anything configurable added here must reach the child too.  The rules
 * are the caller's to free; NULL on error (reported).
 */
static struct rb_rules *
parse_opts(struct rb_parse_opts *po)
{
	rb_parse_opts_default(po);
	struct rb_rules *rules = rb_load_rules(NULL, &po->limits);
	po->rules = rules;	/* gmime is initialised in the parser child */
	return rules;
}

int
cmd_parser_child(int argc, char **argv)
{
	struct rb_parse_opts po;
	if (parse_opts(&po) == NULL)
		return 1;
	rb_pworker_child_main(&po);
}

/* Options of `rebound run`: 0 go on, else 1 + the exit status. */
static int
run_options(int argc, char **argv, const char **path, int *once)
{
	static const struct option lo[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"once", no_argument, NULL, '1'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int c;
	while ((c = getopt_long(argc, argv, "c:1h", lo, NULL)) != -1) {
		switch (c) {
		case 'c':
			*path = optarg;
			break;
		case '1':
			*once = 1;
			break;
		case 'h':
			puts("usage: rebound run [--once] [--config FILE]\n"
			     "Reads every [mailbox] of the configuration "
			     "(default $REBOUND_CONFIG or\n"
			     RB_CONFIG_DEFAULT_PATH "); --once does one "
			     "pass and exits.\n"
			     "SIGTERM/SIGINT finish the batch and exit; "
			     "SIGHUP reloads the configuration.");
			return 1 + 0;
		default:
			return 1 + 2;
		}
	}
	return 0;
}

int
cmd_run(int argc, char **argv)
{
	const char *path = rb_config_default_path();
	int once = 0;
	int o = run_options(argc, argv, &path, &once);
	if (o)
		return o - 1;
	rb_log_setup(RB_LOG_INFO, 0);
	struct rb_config cf;
	/* a broken configuration exits 2, which the unit does not restart
	 * (RestartPreventExitStatus): another start would fail the same way */
	if (load_config(path, &cf) != 0)
		return 2;
	if (cf.nmb == 0) {
		rb_err("config %s: no [mailbox] section", path);
		rb_config_free(&cf);
		return 2;
	}
	sig_install_run();
	srandom((unsigned)(time(NULL) ^ getpid()));

	struct rb_parse_opts po;
	struct rb_rules *rules = parse_opts(&po);
	if (rules == NULL) {
		rb_config_free(&cf);
		return 1;
	}
	int rc = 0;
	if (once) {
		/* every mailbox in turn, in this process */
		for (size_t i = 0; i < cf.nmb && !stop_flag; i++)
			rc |= run_mailbox(&cf, &cf.mb[i], &po, 1);
	} else {
		rc = supervise(path, &cf, &po);
	}
	rb_rules_free(rules);
	rb_config_free(&cf);
	return rc;
}
