/*
 * rebound config check [--config FILE]
 * Loads the configuration (default $REBOUND_CONFIG, else
 * /etc/rebound/rebound.conf), prints the effective settings with secrets
 * masked, and exits 1 with "FILE:LINE: message" on the first error.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "common.h"
#include "config.h"

const char *
rb_config_default_path(void)
{
	const char *e = getenv("REBOUND_CONFIG");
	return e && *e ? e : RB_CONFIG_DEFAULT_PATH;
}

int
cmd_config(int argc, char **argv)
{
	static const struct option lo[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *path = rb_config_default_path();
	int c;
	while ((c = getopt_long(argc, argv, "c:h", lo, NULL)) != -1) {
		switch (c) {
		case 'c':
			path = optarg;
			break;
		case 'h':
			puts("usage: rebound config check [--config FILE]");
			return 0;
		default:
			return 2;
		}
	}
	if (optind >= argc || strcmp(argv[optind], "check") != 0) {
		fputs("usage: rebound config check [--config FILE]\n", stderr);
		return 2;
	}
	struct rb_config cf;
	char *err = NULL;
	if (rb_config_load(path, &cf, &err) < 0) {
		fprintf(stderr, "rebound: config: %s\n", err);
		free(err);
		return 1;
	}
	rb_config_print(&cf, stdout);
	if (cf.nmb == 0)
		fprintf(stderr, "rebound: config: warning: no [mailbox] "
				"section: `rebound run` has nothing to do\n");
	rb_config_free(&cf);
	return 0;
}
