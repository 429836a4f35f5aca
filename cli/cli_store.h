/*
 * cli_store: how commands reach the store, and the options every store
 * command shares, handled in one place:
 *
 *   --db CONNINFO   the database; else $REBOUND_DB, else `db` of the main
 *                   configuration, else the built-in cluster.  A password
 *                   inside --db is refused, because the command line is
 *                   visible to every user (ps): passwords belong in
 *                   PGPASSWORD, ~/.pgpass or a passfile= option.
 *   --config FILE   the main configuration (its db, policy_file and
 *                   [policy]); else $REBOUND_CONFIG, else
 *                   /etc/rebound/rebound.conf when it exists.  Mailbox
 *                   secrets are not read (RB_CONFIG_NO_SECRETS).
 *   --policy FILE   (commands that apply the policy) the top policy layer.
 *   --tenant T, --stream S  (the suppression list's commands) the scope.
 *
 * Usage in a command:
 *
 *     static const struct option lo[] = {RB_CLI_OPTIONS, ..., {0}};
 *     struct rb_cli cli = {0};
 *     while ((c = rb_cli_getopt(&cli, argc, argv, "d:h...", lo)) != -1)
 *             switch (c) { ... the command's own options ...
 *             default: return 2; }
 *     struct rb_store *s = rb_cli_open(&cli, true);
 *     ... rb_store_close(s);
 *
 * Errors are printed (sanitised) and NULL / -1 returned.
 */
#ifndef RB_CLI_STORE_H
#define RB_CLI_STORE_H

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

#include "core/config.h"

struct rb_store;
struct rb_policy;

/*
 * Exit statuses: one table, the same meaning in every command (printed
 * by `rebound --help`, docs/commands.md).  A caller asking "may I send?"
 * sends only on 0.
 */
enum rb_exit {
	RB_EXIT_OK = 0,		/* done; nothing asked about is suppressed */
	RB_EXIT_ERROR = 1,	/* error (input unreadable, write, database) */
	RB_EXIT_USAGE = 2,	/* bad command line or option value */
	RB_EXIT_SUPPRESSED = 3,	/* at least one address is suppressed */
	RB_EXIT_NODB = 4,	/* no database could be reached */
	RB_EXIT_INVALID = 5,	/* some input was not an address */
};
/* The table, for --help. */
void rb_cli_exit_help(FILE *f);

#define RB_OPT_CONFIG 0x100
#define RB_OPT_POLICY 0x101
#define RB_OPT_TENANT 0x102
#define RB_OPT_STREAM 0x103
/* --db and --config: every store command */
#define RB_CLI_OPTIONS                                                         \
	{"db", required_argument, NULL, 'd'},                                  \
	    {"config", required_argument, NULL, RB_OPT_CONFIG}
/* --tenant T [--stream S]: the commands of the suppression list
 * (docs/tenants.md): the scope their reads and manual writes work in
 * (rb_store_set_scope), checked by rb_cli_open (malformed: usage) */
#define RB_CLI_SCOPE_OPTIONS                                                   \
	{"tenant", required_argument, NULL, RB_OPT_TENANT},                    \
	    {"stream", required_argument, NULL, RB_OPT_STREAM}
/* --policy: commands that apply the policy */
#define RB_CLI_POLICY_OPTION {"policy", required_argument, NULL, RB_OPT_POLICY}

struct rb_cli {
	const char *db;		/* --db */
	const char *config;	/* --config */
	const char *policy;	/* --policy */
	const char *tenant, *stream;	/* --tenant, --stream */
	/* the configuration, loaded once per process and kept until exit */
	const struct rb_config *cf;
	bool loaded;
};

/* getopt_long that takes the common options itself and returns the
 * others (and '?' for errors, -1 at the end), as getopt_long does. */
int rb_cli_getopt(struct rb_cli *o, int argc, char **argv,
		  const char *optstring, const struct option *lo);
/* Take one of the common options (getopt's c and optarg); false when c
 * is not one of them. */
bool rb_cli_option(struct rb_cli *o, int c, const char *arg);
/* The main configuration (loaded once); NULL when there is none.
 * *failed is set when it exists but is wrong (the error is printed). */
const struct rb_config *rb_cli_config(struct rb_cli *o, bool *failed);
/* The database to use: --db, $REBOUND_DB, the configuration's db; NULL
 * for the built-in cluster.  Call after rb_cli_config. */
const char *rb_cli_db(const struct rb_cli *o);
/* Open (and migrate: commands that write or read tables; false only for
 * `db status`).  When no database can be reached (none configured and no
 * built-in one, refused, unreachable, schema not usable) this prints why
 * and EXITS with RB_EXIT_NODB, so no command can go on to answer "not
 * suppressed"; NULL (after printing) only for a bad configuration. */
struct rb_store *rb_cli_open(struct rb_cli *o, bool migrate);
/* The effective policy (config layers, then --policy); 0 or -1 after
 * printing "FILE:LINE: what". */
int rb_cli_policy(struct rb_cli *o, struct rb_policy *p);

/* Open with just a conninfo (NULL: $REBOUND_DB or the built-in cluster),
 * without the configuration; exits as rb_cli_open does. */
struct rb_store *rb_cli_store(const char *db_opt, bool migrate);
/* The actor recorded for manual changes: --actor, else $REBOUND_ACTOR,
 * else the login name, else the uid. */
const char *rb_cli_actor(const char *opt);

#endif
