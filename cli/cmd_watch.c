/*
 * rebound watch: every new or changed suppression as JSON Lines, from a
 * cursor (serve/watch.h).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_store.h"
#include "core/scope.h"
#include "commands.h"
#include "core/config.h"
#include "lib/log.h"
#include "serve/watch.h"
#include "serve/webhook.h"

static void
usage(FILE *f)
{
	fputs("usage: rebound watch [--after ID | --from-start] [--state FILE] "
	      "[--once]\n"
	      "                     [--webhook URL [--secret-file FILE] "
	      "[--insecure]]\n"
	      "                     [--batch N] [--poll SECONDS] [--db "
	      "CONNINFO] [--config FILE]\n"
	      "                     [--tenant T [--stream S]]\n"
	      "Prints every change of the suppression list after the cursor "
	      "as one JSON\nobject a line: id, at, action (added, changed, "
	      "extended, expired, removed),\naddress, addr_key, class, "
	      "reason, expires_at, scope, suppressed.  The cursor is\n--after ID "
	      "(the last id handled), else the id kept in --state FILE, "
	      "else\nthe newest change (--from-start: the first).  With "
	      "--tenant, only the\nglobal changes and that tenant's (stream's).  With "
	      "--webhook each batch is\nPOSTed as a JSON array, signed with "
	      "the secret (X-Rebound-Signature:\nsha256=HMAC of "
	      "\"TIMESTAMP.BODY\"), retried until it is taken.\n",
	      f);
}

int
cmd_watch(int argc, char **argv)
{
	static const struct option lo[] = {
	    RB_CLI_OPTIONS,
	    RB_CLI_SCOPE_OPTIONS,
	    {"after", required_argument, NULL, 'a'},
	    {"from-start", no_argument, NULL, 'S'},
	    {"state", required_argument, NULL, 's'},
	    {"once", no_argument, NULL, 'o'},
	    {"webhook", required_argument, NULL, 'w'},
	    {"secret-file", required_argument, NULL, 'k'},
	    {"insecure", no_argument, NULL, 'I'},
	    {"batch", required_argument, NULL, 'b'},
	    {"poll", required_argument, NULL, 'p'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct rb_cli cli = {0};
	struct rb_watch_opts o = {.from_now = true};
	const char *secret_file = NULL;
	int c;
	while ((c = rb_cli_getopt(&cli, argc, argv, "d:h", lo)) != -1) {
		char *end;
		switch (c) {
		case 'a':
			o.after = strtoll(optarg, &end, 10);
			if (*end || end == optarg || o.after < 0) {
				rb_err("--after: a change id (>= 0)");
				return RB_EXIT_USAGE;
			}
			o.from_now = false;
			break;
		case 'S':
			o.after = 0;
			o.from_now = false;
			break;
		case 's':
			o.state = optarg;
			break;
		case 'o':
			o.once = true;
			break;
		case 'w':
			if (!rb_webhook_url_ok(optarg)) {
				rb_err("--webhook: an http:// or https:// URL "
				       "(no user:password@)");
				return RB_EXIT_USAGE;
			}
			o.webhook = optarg;
			break;
		case 'k':
			secret_file = optarg;
			break;
		case 'I':
			o.insecure = true;
			break;
		case 'b': {
			long v = strtol(optarg, &end, 10);
			if (*end || v < 1 || v > 10000) {
				rb_err("--batch: 1 to 10000");
				return RB_EXIT_USAGE;
			}
			o.batch = (unsigned)v;
			break;
		}
		case 'p': {
			long v = strtol(optarg, &end, 10);
			if (*end || v < 1 || v > 3600) {
				rb_err("--poll: 1 to 3600 seconds");
				return RB_EXIT_USAGE;
			}
			o.poll_s = (unsigned)v;
			break;
		}
		case 'h':
			usage(stdout);
			return RB_EXIT_OK;
		default:
			usage(stderr);
			return RB_EXIT_USAGE;
		}
	}
	if (optind != argc || (secret_file && !o.webhook)) {
		usage(stderr);
		return RB_EXIT_USAGE;
	}
	char *secret = NULL;
	size_t slen = 0;
	if (secret_file) {
		/* a file, not an option: the command line is public; refused
		 * when other users may read it, as every secret file is */
		char *err = NULL;
		secret = rb_config_secret_file(secret_file, "--secret-file",
					       &slen, &err);
		if (secret == NULL) {
			rb_err("%s", err ? err : "--secret-file: cannot read it");
			free(err);
			return RB_EXIT_ERROR;
		}
		secret[strcspn(secret, "\r\n")] = '\0';
		slen = strlen(secret);
		o.secret = secret;
	} else if (o.webhook) {
		rb_warn("watch: the webhook's requests are not signed "
			"(--secret-file)");
	}
	bool failed;
	rb_cli_config(&cli, &failed);
	int rc = RB_EXIT_ERROR;
	if (failed)
		goto out;
	o.db = rb_cli_db(&cli);
	struct rb_scope_query sq = {cli.tenant, cli.stream};
	char serr[200];
	if (rb_scope_query_check(&sq, serr, sizeof(serr)) != 0) {
		rb_err("%s", serr);
		rc = RB_EXIT_USAGE;
		goto out;
	}
	o.tenant = cli.tenant;
	o.stream = cli.stream;
	rc = rb_watch_run(&o);
out:
	if (secret) {
		memset(secret, 0, slen);
		free(secret);
	}
	return rc;
}
