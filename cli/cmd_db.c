/*
 * rebound db init|migrate|status|start|stop [--db CONNINFO]
 *   init     create (when missing) and start the built-in database and
 *            apply the migrations; with a configured database, migrate it
 *   migrate  apply pending schema migrations (one transaction)
 *   status   schema version of the database (and the built-in cluster)
 *   start    start the built-in cluster (`init` creates it)
 *   stop     stop the built-in cluster
 *   prune    clear raw message bytes whose retention has passed
 *   rekey    recompute the address key of every stored row under the
 *            current normalisation, merging rows that now meet
 *            (--batch N keys per transaction, --dry-run only counts)
 * Exit status (cli_store.h): 0 ok; 1 error; 2 usage; 4 no database;
 * `status`: 1 when migrations are pending.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/local.h"
#include "store/store.h"
#include "cli_store.h"
#include "commands.h"
#include "lib/log.h"
#include "core/policy.h"

static void
usage(FILE *f)
{
	fputs("usage: rebound db init|migrate|status|prune [--db CONNINFO] "
	      "[--config FILE]\n"
	      "       rebound db rekey [--dry-run] [--batch N] [--policy FILE] "
	      "[--db CONNINFO]\n"
	      "                        [--config FILE]\n"
	      "       rebound db start|stop\n"
	      "rekey recomputes the address key of every stored event, "
	      "history row and\nsuppression under the current normalisation "
	      "(docs/store.md \"Re-keying\"),\nN new keys per transaction "
	      "(default 1000); rows that now share a key are\nmerged as "
	      "ingest would have; --dry-run only counts.\n"
	      "init creates and starts the built-in database (one per "
	      "machine, in\n$STATE_DIRECTORY, else /var/lib/rebound) and "
	      "applies the migrations;\nwith a configured database it "
	      "only migrates.  No other command creates\na database.\n"
	      "CONNINFO is a libpq connection string or URI; default "
	      "$REBOUND_DB,\nelse db in the configuration, else the "
	      "built-in database.\n",
	      f);
}

static int
rekey(struct rb_cli *cli, size_t batch, bool dry)
{
	struct rb_policy pol;
	if (rb_cli_policy(cli, &pol) != 0)
		return 1;
	struct rb_store *s = rb_cli_open(cli, true);
	if (s == NULL)
		return 1;
	struct rb_rekey_counts k;
	int rc = rb_store_rekey(s, &pol, batch, dry, stdout, &k);
	if (rc != 0) {
		rb_err("%s", rb_store_error(s));
		rb_err("batches committed before the error stay; run "
		       "`rebound db rekey` again to finish");
	}
	if (dry) {
		if (rc == 0)
			printf("would re-key %lu event(s), %lu history row(s), "
			       "%lu suppression(s) under %lu new key(s) "
			       "(%lu rows read; dry run)\n",
			       k.events, k.history, k.supps, k.keys, k.checked);
	} else if (rc == 0 && k.keys == 0) {
		printf("nothing to re-key (%lu rows read)\n", k.checked);
	} else {
		printf("re-keyed %lu event(s), %lu history row(s), %lu "
		       "suppression(s) under %lu new key(s) in %lu "
		       "transaction(s)\n"
		       "merged %lu duplicate event(s), %lu suppression "
		       "row(s); %lu address(es) recomputed, %lu change(s)\n",
		       k.events_done, k.history_done, k.supps_done, k.keys,
		       k.batches, k.events_merged, k.supps_merged, k.replayed,
		       k.changes);
	}
	rb_store_close(s);
	return rc ? 1 : 0;
}

int
cmd_db(int argc, char **argv)
{
	static const struct option lo[] = {
	    RB_CLI_OPTIONS,
	    RB_CLI_POLICY_OPTION,
	    {"batch", required_argument, NULL, 'b'},
	    {"dry-run", no_argument, NULL, 'n'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct rb_cli cli = {0};
	int c;
	bool dry = false, rekey_opt = false;
	unsigned long batch = 1000;
	while ((c = rb_cli_getopt(&cli, argc, argv, "d:h", lo)) != -1) {
		switch (c) {
		case 'b': {
			char *end;
			errno = 0;
			batch = strtoul(optarg, &end, 10);
			if (errno || *end || optarg[0] == '-' || batch == 0 ||
			    batch > 1000000) {
				rb_err("--batch: a number from 1 to 1000000");
				return 2;
			}
			rekey_opt = true;
			break;
		}
		case 'n':
			dry = rekey_opt = true;
			break;
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
	if ((rekey_opt || cli.policy) && strcmp(what, "rekey") != 0) {
		usage(stderr);
		return 2;
	}
	if (strcmp(what, "rekey") == 0)
		return rekey(&cli, (size_t)batch, dry);
	if (strcmp(what, "init") == 0) {
		bool failed;
		rb_cli_config(&cli, &failed);
		if (failed)
			return 1;
		bool local = rb_cli_db(&cli) == NULL &&
			     (getenv("REBOUND_DB") == NULL ||
			      getenv("REBOUND_DB")[0] == '\0');
		if (local && rb_local_init(err, sizeof(err)) != 0) {
			rb_err("%s", err);
			return 4;
		}
		struct rb_store *s = rb_cli_open(&cli, false);
		int n;
		if (rb_store_migrate(s, &n) != 0) {
			rb_err("%s", rb_store_error(s));
			rb_store_close(s);
			return 1;
		}
		if (local)
			rb_local_status(stdout);
		printf("%d migration(s) applied\n", n);
		rb_store_close(s);
		return 0;
	}
	if (strcmp(what, "start") == 0) {
		if (rb_local_start(err, sizeof(err)) != 0) {
			rb_err("%s", err);
			return 4;
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
			rc = 1;
		rb_store_close(s);
		return rc;
	}
	usage(stderr);
	return 2;
}
