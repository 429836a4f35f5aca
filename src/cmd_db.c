/*
 * rebound db migrate|status|start|stop [--db CONNINFO]
 *   migrate  apply pending schema migrations (one transaction)
 *   status   schema version of the database (and the built-in cluster)
 *   start    start (initialising on first use) the built-in cluster
 *   stop     stop the built-in cluster
 *   prune    clear raw message bytes whose retention has passed
 * Exit status: 0 ok; 1 error; 2 usage; `status`: 3 when migrations are
 * pending.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../store/local.h"
#include "../store/store.h"
#include "cli_store.h"
#include "commands.h"
#include "common.h"

static void
usage(FILE *f)
{
	fputs("usage: rebound db migrate|status|prune [--db CONNINFO] "
	      "[--config FILE]\n"
	      "       rebound db start|stop\n"
	      "CONNINFO is a libpq connection string or URI; default "
	      "$REBOUND_DB,\nelse db in the configuration, else the "
	      "built-in cluster under the state\ndirectory.\n",
	      f);
}

int
cmd_db(int argc, char **argv)
{
	static const struct option lo[] = {
	    RB_CLI_OPTIONS,
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct rb_cli cli = {0};
	int c;
	while ((c = rb_cli_getopt(&cli, argc, argv, "d:h", lo)) != -1) {
		switch (c) {
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind + 1 != argc) {
		usage(stderr);
		return 2;
	}
	const char *what = argv[optind];
	char err[1024];
	if (strcmp(what, "start") == 0) {
		if (rb_local_start(err, sizeof(err)) != 0) {
			rb_err("%s", err);
			return 1;
		}
		rb_local_status(stdout);
		return 0;
	}
	if (strcmp(what, "stop") == 0) {
		if (rb_local_stop(err, sizeof(err)) != 0) {
			rb_err("%s", err);
			return 1;
		}
		return 0;
	}
	if (strcmp(what, "migrate") == 0) {
		struct rb_store *s = rb_cli_open(&cli, false);
		int n;
		if (s == NULL)
			return 1;
		if (rb_store_migrate(s, &n) != 0) {
			rb_err("%s", rb_store_error(s));
			rb_store_close(s);
			return 1;
		}
		printf("%d migration(s) applied\n", n);
		rb_store_close(s);
		return 0;
	}
	if (strcmp(what, "prune") == 0) {
		struct rb_store *s = rb_cli_open(&cli, true);
		unsigned long n;
		if (s == NULL)
			return 1;
		int rc = rb_store_prune_raw(s, &n);
		if (rc != 0)
			rb_err("%s", rb_store_error(s));
		else
			printf("raw bytes cleared from %lu message(s)\n", n);
		rb_store_close(s);
		return rc ? 1 : 0;
	}
	if (strcmp(what, "status") == 0) {
		bool failed;
		rb_cli_config(&cli, &failed);
		if (failed)
			return 1;
		if (rb_cli_db(&cli) == NULL && getenv("REBOUND_DB") == NULL &&
		    rb_local_status(stdout) != 0)
			return 1;
		struct rb_store *s = rb_cli_open(&cli, false);
		if (s == NULL)
			return 1;
		int rc = rb_store_print_status(s, stdout) != 0 ? 1 : 0;
		if (rc)
			rb_err("%s", rb_store_error(s));
		else if (rb_store_check_schema(s) != 0)
			rc = 3;
		rb_store_close(s);
		return rc;
	}
	usage(stderr);
	return 2;
}
