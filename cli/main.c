/*
 * rebound: bounce and feedback-loop processor.  The table below is the
 * list of subcommands; `rebound --help` is generated from it.
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "cli_store.h"
#include "commands.h"
#include "cli/man.h"
#include "daemon/pworker.h"
#include "core/version.h"

struct command {
	const char *name;
	const char *args;
	const char *summary;
	int (*run)(int argc, char **argv);
};

static const struct command commands[] = {
    {"parse", "PATH...", "parse mail files into JSON events (JSON Lines)",
     cmd_parse},
    {"rules", "[--rules FILE] [--check|--dump]",
     "check a rules file, or print the built-in rules", cmd_rules},
    {"config", "check [--config FILE] [--connect]",
     "check the configuration, print effective settings", cmd_config},
    {"run", "[--once] [--config FILE]",
     "the daemon: read the configured IMAP mailboxes", cmd_run},
    {"db", "init|migrate|status|start|stop|prune|rekey",
     "manage the database, its schema and address keys", cmd_db},
    {"ingest", "PATH...", "parse mail and store events and suppressions",
     cmd_ingest},
    {"query", "[--format json] ADDRESS...",
     "is an address suppressed? since when, why (exit 3: suppressed)",
     cmd_query},
    {"filter", "[--suppressed] [--column N|NAME] <in >out",
     "keep the lines whose address may be sent to", cmd_filter},
    {"list", "[filters] [--format text|json|csv]",
     "list suppressions", cmd_list},
    {"export", "[filters]", "suppressions as CSV", cmd_export},
    {"import", "FILE.csv|-", "import suppressions from CSV", cmd_import},
    {"explain", "ADDRESS...",
     "the chain from a suppression to its events and mails", cmd_explain},
    {"suppress", "--reason R ADDRESS...", "suppress addresses by hand",
     cmd_suppress},
    {"unsuppress", "--reason R ADDRESS...", "lift suppressions by hand",
     cmd_unsuppress},
    {"policy", "show|check|replay [--dry-run]",
     "the suppression policy; recompute suppressions", cmd_policy},
    {"report", "complaints|bounces|unsubscribes|throttling [...]",
     "complaint, bounce, unsubscribe, rate-limit reports", cmd_report},
    {"sent", "import FILE.csv", "load messages-sent counts (for rates)",
     cmd_sent},
    {"serve", "--tokens FILE [--listen HOST:PORT]",
     "HTTP/JSON lookups for sending applications", cmd_serve},
    {"watch", "[--after ID] [--webhook URL]",
     "every new or changed suppression, as JSON Lines", cmd_watch},
    {"quarantine", "list|retry|drop [ID...|--all]",
     "mail the daemon quarantined: list, retry, delete", cmd_quarantine},
    {"unsubscribe-link", "[--url BASE] [--mailto A] --tenant T ADDRESS",
     "List-Unsubscribe headers: signed mailto: and one-click URL",
     cmd_unsubscribe_link},
    {NULL, NULL, NULL, NULL},
};

static void
help(FILE *f)
{
	fprintf(f, "rebound %s: bounce and feedback-loop processor\n\n"
		   "usage: rebound COMMAND [OPTIONS] [ARGS]\n"
		   "       rebound --help | --version\n\ncommands:\n",
		RB_VERSION);
	for (const struct command *c = commands; c->name; c++)
		fprintf(f, "  %-10s %-37s %s\n", c->name, c->args, c->summary);
	fputs("\nCommands that use the database take --db CONNINFO and --config "
	      "FILE\n(the configuration's db and [policy]; default "
	      "$REBOUND_CONFIG, else\n/etc/rebound/rebound.conf when it "
	      "exists).\n"
	      "`rebound COMMAND --help` describes a command's options.\n\n",
	      f);
	rb_cli_exit_help(f);
	fputs("\n"
	      "Documentation: README.md and docs/ in the source tree.\n",
	      f);
}

/* rebound(1) from the table above (`make man`) */
static int
man_page(void)
{
	struct rb_man_cmd mc[sizeof commands / sizeof commands[0]];
	size_t i = 0;
	for (; commands[i].name; i++)
		mc[i] = (struct rb_man_cmd){commands[i].name, commands[i].args,
					    commands[i].summary,
					    commands[i].run};
	mc[i] = (struct rb_man_cmd){NULL, NULL, NULL, NULL};
	return rb_man_rebound(stdout, mc);
}

int
main(int argc, char **argv)
{
	json_object_seed(0);
	if (argc < 2) {
		help(stderr);
		return 2;
	}
	/* not listed: the manual pages, in roff (`make man`) */
	if (argc == 3 && strcmp(argv[1], "help") == 0 &&
	    strcmp(argv[2], "--man") == 0)
		return man_page();
	if (argc == 3 && strcmp(argv[1], "help") == 0 &&
	    strcmp(argv[2], "--man-conf") == 0)
		return rb_man_conf(stdout);
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		help(stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("rebound %s\n", RB_VERSION);
		return 0;
	}
	if (strcmp(argv[1], RB_PWORKER_ARG) == 0)	/* not a user command */
		return cmd_parser_child(argc - 1, argv + 1);
	for (const struct command *c = commands; c->name; c++)
		if (strcmp(argv[1], c->name) == 0)
			return c->run(argc - 1, argv + 1);
	fprintf(stderr, "rebound: unknown command '%s'\n\n", argv[1]);
	help(stderr);
	return 2;
}
