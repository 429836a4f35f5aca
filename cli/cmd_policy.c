/*
 * rebound policy show|check|replay [--policy FILE] [--config FILE]
 *                                  [--db CONNINFO]
 *   show            print the effective policy, each setting that is not
 *                   built in followed by "# FILE:LINE" (its origin)
 *   check           validate every layer (exit 1 on an error)
 *   replay          recompute suppressions from stored events under the
 *                   current policy and apply the differences
 *   replay --dry-run  print what would change, change nothing
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "store/store.h"
#include "cli_store.h"
#include "commands.h"
#include "lib/log.h"
#include "core/policy.h"

int
cmd_policy(int argc, char **argv)
{
	static const struct option lo[] = {
	    RB_CLI_OPTIONS,
	    RB_CLI_POLICY_OPTION,
	    {"dry-run", no_argument, NULL, 'n'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct rb_cli cli = {0};
	bool dry = false;
	int c;
	while ((c = rb_cli_getopt(&cli, argc, argv, "d:nh", lo)) != -1) {
		switch (c) {
		case 'n':
			dry = true;
			break;
		case 'h':
			puts("usage: rebound policy show|check [--policy FILE] "
			     "[--config FILE]\n"
			     "       rebound policy replay [--dry-run] [--policy "
			     "FILE] [--config FILE]\n"
			     "                             [--db CONNINFO]\n"
			     "Layers, later wins: built-in defaults, policy_file "
			     "(else\n/etc/rebound/policy.conf), [policy] of the "
			     "configuration, $REBOUND_POLICY,\n--policy FILE.");
			return 0;
		default:
			return 2;
		}
	}
	if (optind + 1 != argc) {
		rb_err("usage: rebound policy show|check|replay [--dry-run]");
		return 2;
	}
	const char *what = argv[optind];
	struct rb_policy pol;
	if (rb_cli_policy(&cli, &pol) != 0)
		return 1;
	if (strcmp(what, "show") == 0) {
		rb_policy_print(&pol, stdout, false);
		return 0;
	}
	if (strcmp(what, "check") == 0) {
		printf("policy OK (%s)\n", pol.source);
		return 0;
	}
	if (strcmp(what, "replay") != 0) {
		rb_err("unknown policy subcommand '%s'", what);
		return 2;
	}
	struct rb_store *s = rb_cli_open(&cli, true);
	if (s == NULL)
		return 1;
	unsigned long n;
	int rc = 0;
	if (rb_store_replay(s, &pol, dry, stdout, &n) != 0) {
		rb_err("%s", rb_store_error(s));
		rc = 1;
	}
	rb_store_close(s);
	return rc;
}
