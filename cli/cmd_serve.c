/*
 * rebound serve: the HTTP/JSON lookup service (serve/serve.h), and
 * `rebound serve token NAME [read|write] [TENANT]`, which makes a token and
 * prints the line for the tokens file.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_store.h"
#include "commands.h"
#include "lib/log.h"
#include "serve/serve.h"
#include "core/policy.h"
#include "core/scope.h"
#include "core/unsubscribe.h"
#include "serve/tokens.h"

static void
usage(FILE *f)
{
	fputs("usage: rebound serve --tokens FILE [--listen HOST:PORT] "
	      "[--threads N]\n"
	      "                     [--tls-cert FILE --tls-key FILE] "
	      "[--max-body BYTES]\n"
	      "                     [--unsubscribe-secret-file FILE]\n"
	      "                     [--unsubscribe-address LOCAL@DOMAIN] "
	      "[--unsubscribe-url BASE]\n"
	      "                     [--cache-entries N] [--cache-ttl SECONDS]\n"
	      "                     [--db CONNINFO] [--config FILE] "
	      "[--policy FILE]\n"
	      "       rebound serve token NAME [read|write] [TENANT]\n"
	      "HTTP/JSON lookups for sending applications "
	      "(docs/senders.md):\n"
	      "  GET /v1/check?address=A, POST /v1/check {\"addresses\":[...]}"
	      " (<= 10,000),\n"
	      "  GET /v1/changes?after=ID, POST /v1/suppress, POST "
	      "/v1/unsuppress (write),\n"
	      "  GET /v1/health, /v1/ready, /metrics; tenant=T&stream=S "
	      "(docs/tenants.md);\n"
	      "  POST /v1/unsubscribe/TOKEN with List-Unsubscribe=One-Click "
	      "(RFC 8058, no\n  bearer token: `rebound unsubscribe-link` "
	      "makes the URL);\n  stored as an unsubscribe event, "
	      "decided by the policy (--policy, the\n  configuration's "
	      "policy_file and [policy]), as one by mail is.\n"
	      "  POST /v1/unsubscribe-links (write): the List-Unsubscribe "
	      "header values of\n  `rebound unsubscribe-link`, one or "
	      "{\"links\":[...]} (<= 1,000), with the mailto:\n  address "
	      "(default: unsubscribe_address of the configuration) and the "
	      "URL BASE.\n"
	      "Listens on " RB_SERVE_DEFAULT_LISTEN " by default; any "
	      "address but loopback needs TLS.\n"
	      "The tokens file holds NAME SCOPE sha256:HEX [tenant=T] lines; "
	      "`serve token`\nmakes one; a token bound to TENANT may only "
	      "make that tenant's links.\n"
	      "Single lookups are answered from a cache of at most N answers "
	      "(default 250000;\n0: none), kept true by LISTEN/NOTIFY and "
	      "dropped whenever that fails;\nan answer is kept at most "
	      "--cache-ttl seconds (default 300).\n",
	      f);
}

static int
make_token(int argc, char **argv)
{
	if (argc < 3 || argc > 5) {
		usage(stderr);
		return RB_EXIT_USAGE;
	}
	enum rb_scope scope = RB_SCOPE_READ;
	if (argc >= 4) {
		if (!strcmp(argv[3], "write"))
			scope = RB_SCOPE_WRITE;
		else if (strcmp(argv[3], "read") != 0) {
			rb_err("the scope is read or write");
			return RB_EXIT_USAGE;
		}
	}
	if (argc == 5 && !rb_scope_name_ok(argv[4])) {
		rb_err("TENANT: a tenant name (docs/tenants.md)");
		return RB_EXIT_USAGE;
	}
	char tok[64], line[300];
	if (rb_tokens_make(argv[2], scope, tok, sizeof(tok), line,
			   sizeof(line)) != 0) {
		rb_err("NAME: letters, digits, '.', '_', '-' (at most 64)");
		return RB_EXIT_USAGE;
	}
	if (argc == 5)
		snprintf(line + strlen(line), sizeof(line) - strlen(line),
			 " tenant=%s", argv[4]);
	/* the token once, on stdout; the file's line on stderr */
	printf("%s\n", tok);
	fprintf(stderr, "# the token is shown once: give it to the "
			"application;\n# add this line to the tokens file:\n"
			"%s\n", line);
	memset(tok, 0, sizeof(tok));
	return RB_EXIT_OK;
}

int
cmd_serve(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "token"))
		return make_token(argc, argv);
	static const struct option lo[] = {
	    RB_CLI_OPTIONS,
	    RB_CLI_POLICY_OPTION,
	    {"listen", required_argument, NULL, 'l'},
	    {"tokens", required_argument, NULL, 't'},
	    {"threads", required_argument, NULL, 'n'},
	    {"tls-cert", required_argument, NULL, 'C'},
	    {"tls-key", required_argument, NULL, 'K'},
	    {"max-body", required_argument, NULL, 'b'},
	    {"unsubscribe-secret-file", required_argument, NULL, 'U'},
	    {"unsubscribe-address", required_argument, NULL, 'A'},
	    {"unsubscribe-url", required_argument, NULL, 'B'},
	    {"cache-entries", required_argument, NULL, 'E'},
	    {"cache-ttl", required_argument, NULL, 'T'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct rb_cli cli = {0};
	struct rb_serve_opts o = {.cache_entries =
					  RB_SERVE_DEFAULT_CACHE_ENTRIES};
	const char *unsub_file = NULL;
	int c;
	while ((c = rb_cli_getopt(&cli, argc, argv, "d:l:t:h", lo)) != -1) {
		switch (c) {
		case 'l':
			o.listen = optarg;
			break;
		case 't':
			o.tokens = optarg;
			break;
		case 'n': {
			long v = strtol(optarg, NULL, 10);
			if (v < 1 || v > 64) {
				rb_err("--threads: 1 to 64");
				return RB_EXIT_USAGE;
			}
			o.threads = (unsigned)v;
			break;
		}
		case 'C':
			o.tls_cert = optarg;
			break;
		case 'K':
			o.tls_key = optarg;
			break;
		case 'b': {
			long v = strtol(optarg, NULL, 10);
			if (v < 1024 || v > (64L << 20)) {
				rb_err("--max-body: 1024 to 67108864 bytes");
				return RB_EXIT_USAGE;
			}
			o.max_body = (size_t)v;
			break;
		}
		case 'U':
			unsub_file = optarg;
			break;
		case 'A':
			o.unsub_address = optarg;
			break;
		case 'B':
			o.unsub_url = optarg;
			break;
		case 'E': {
			char *end;
			errno = 0;
			long long v = strtoll(optarg, &end, 10);
			if (errno || end == optarg || *end || v < 0 ||
			    v > 100000000) {
				rb_err("--cache-entries: 0 to 100000000");
				return RB_EXIT_USAGE;
			}
			o.cache_entries = (size_t)v;
			break;
		}
		case 'T': {
			char *end;
			errno = 0;
			long v = strtol(optarg, &end, 10);
			if (errno || end == optarg || *end || v < 1 ||
			    v > 86400) {
				rb_err("--cache-ttl: 1 to 86400 seconds");
				return RB_EXIT_USAGE;
			}
			o.cache_ttl = (unsigned)v;
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
	if (optind != argc) {
		usage(stderr);
		return RB_EXIT_USAGE;
	}
	char *secret = NULL;
	size_t slen = 0;
	if (unsub_file) {
		char *err = NULL;
		secret = rb_unsub_secret_read(unsub_file, &slen, &err);
		if (secret == NULL) {
			rb_err("%s", err ? err : "cannot read the secret");
			free(err);
			return RB_EXIT_ERROR;
		}
		o.unsub_secret = secret;
		o.unsub_secret_len = slen;
	}
	int rc = RB_EXIT_ERROR;
	bool failed;
	const struct rb_config *cf = rb_cli_config(&cli, &failed);
	if (failed)
		goto out;
	if (o.unsub_address == NULL && cf)
		o.unsub_address = cf->unsubscribe_address;
	char err[200];
	const char *bad = NULL;
	if (o.unsub_address &&
	    rb_unsub_mailto_check(o.unsub_address, err, sizeof(err)) != 0)
		bad = "address";
	else if (o.unsub_url &&
		 rb_unsub_url_check(o.unsub_url, err, sizeof(err)) != 0)
		bad = "url";
	if (bad) {
		rb_err("--unsubscribe-%s: %s", bad, err);
		rc = RB_EXIT_USAGE;
		goto out;
	}
	o.db = rb_cli_db(&cli);
	/* one-click unsubscribes are decided by the policy, as by mail */
	static struct rb_policy pol;
	if (rb_cli_policy(&cli, &pol) != 0)
		goto out;
	o.policy = &pol;
	/* the schema must be there before the first request; a database
	 * that is down now is only waited for (503 until it answers) */
	rc = rb_serve_run(&o);
out:
	if (secret) {
		explicit_bzero(secret, slen);
		free(secret);
	}
	return rc;
}
