/*
 * cmd_unsubscribe: `rebound unsubscribe-link`, the List-Unsubscribe and
 * List-Unsubscribe-Post header values (RFC 2369, RFC 8058) a sender puts
 * in a mail for one recipient, with signed tokens (core/unsubscribe.h):
 * the long one in the one-click URL, which `rebound serve` honours, and
 * the short one (an id of the subscriber's row in the database, which
 * this command makes on first use) in the mailto: address, which
 * `rebound run` honours (docs/tenants.md).
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_store.h"
#include "commands.h"
#include "store/store.h"
#include "core/addrin.h"
#include "core/policy.h"
#include "core/scope.h"
#include "lib/log.h"
#include "core/unsubscribe.h"

static void
usage(FILE *f)
{
	fputs("usage: rebound unsubscribe-link [--db CONNINFO] [--config FILE]\n"
	      "                  [--secret-file FILE] [--url BASE] "
	      "[--mailto ADDRESS]\n"
	      "                  --tenant T [--stream S] [--days N] ADDRESS\n"
	      "Prints the List-Unsubscribe header (RFC 2369) for a mail to "
	      "ADDRESS with a\ntoken signed with the secret that names the "
	      "tenant, the stream, the address\nand an expiry (--days, "
	      "default 90):\n"
	      "  <mailto:LOCAL+TOKEN@DOMAIN?subject=unsubscribe%20TOKEN> with "
	      "--mailto\n"
	      "    LOCAL@DOMAIN (default: unsubscribe_address of the "
	      "configuration), the\n    address `rebound run` reads (its "
	      "mailbox, unsubscribe = yes).  TOKEN is\n"
	      "    short: 32 characters, any case, naming a row of the "
	      "database made for\n    (T, S, ADDRESS) on first use; LOCAL "
	      "has at most 31 octets, so that the\n    local part fits the 64 "
	      "of RFC 5321.  No database: no link (exit 4);\n"
	      "  <BASE/v1/unsubscribe/TOKEN> with --url, which `rebound serve "
	      "--unsubscribe-\n    secret-file FILE` answers, and then "
	      "List-Unsubscribe-Post (RFC 8058);\n"
	      "    this TOKEN carries every field (about 150 characters): no "
	      "database.\n"
	      "The secret: --secret-file, else unsubscribe_secret_file of "
	      "the configuration.\n",
	      f);
}

int
cmd_unsubscribe_link(int argc, char **argv)
{
	static const struct option lo[] = {
	    RB_CLI_OPTIONS,
	    {"secret-file", required_argument, NULL, 'k'},
	    {"url", required_argument, NULL, 'u'},
	    {"tenant", required_argument, NULL, 't'},
	    {"stream", required_argument, NULL, 's'},
	    {"days", required_argument, NULL, 'D'},
	    {"mailto", required_argument, NULL, 'm'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct rb_cli cli = {0};
	const char *file = NULL, *url = NULL, *tenant = NULL, *stream = NULL,
		   *mailto = NULL;
	long days = 90;
	int c;
	while ((c = rb_cli_getopt(&cli, argc, argv, "d:k:u:t:s:h", lo)) != -1) {
		switch (c) {
		case 'k': file = optarg; break;
		case 'u': url = optarg; break;
		case 't': tenant = optarg; break;
		case 's': stream = optarg; break;
		case 'm': mailto = optarg; break;
		case 'D':
			days = strtol(optarg, NULL, 10);
			if (days < 1 || days > 3650) {
				rb_err("--days: 1 to 3650");
				return RB_EXIT_USAGE;
			}
			break;
		case 'h':
			usage(stdout);
			return RB_EXIT_OK;
		default:
			usage(stderr);
			return RB_EXIT_USAGE;
		}
	}
	bool failed;
	const struct rb_config *cf = rb_cli_config(&cli, &failed);
	if (failed)
		return RB_EXIT_USAGE;
	if (file == NULL && cf)
		file = cf->unsubscribe_secret_file;
	if (mailto == NULL && cf)
		mailto = cf->unsubscribe_address;
	if (!file || (!url && !mailto) || !tenant || optind + 1 != argc) {
		usage(stderr);
		return RB_EXIT_USAGE;
	}
	struct rb_scope_query sq = {tenant, stream};
	char err[256];
	if (rb_scope_query_check(&sq, err, sizeof(err)) != 0) {
		rb_err("%s", err);
		return RB_EXIT_USAGE;
	}
	if (url && rb_unsub_url_check(url, err, sizeof(err)) != 0) {
		rb_err("--url: %s", err);
		return RB_EXIT_USAGE;
	}
	if (mailto && rb_unsub_mailto_check(mailto, err, sizeof(err)) != 0) {
		rb_err("--mailto: %s", err);
		return RB_EXIT_USAGE;
	}
	const char *a;
	size_t al;
	enum rb_addrin_err e = rb_addr_input(argv[optind], strlen(argv[optind]),
					     &a, &al);
	struct rb_unsub u;
	memset(&u, 0, sizeof(u));
	if (e != RB_ADDRIN_OK || al >= sizeof(u.address)) {
		rb_err("not an address: %s", argv[optind]);
		return RB_EXIT_INVALID;
	}
	memcpy(u.address, a, al);
	snprintf(u.tenant, sizeof(u.tenant), "%s", tenant);
	snprintf(u.stream, sizeof(u.stream), "%s", stream ? stream : "");
	u.expires = rb_now() + days * 86400;
	size_t slen;
	char *serr = NULL;
	char *secret = rb_unsub_secret_read(file, &slen, &serr);
	if (secret == NULL) {
		rb_err("%s", serr ? serr : "cannot read the secret");
		free(serr);
		return RB_EXIT_ERROR;
	}
	/* the short token names the subscriber's row: the row first (the
	 * database is the source of truth; no database, no link) */
	unsigned long long id = 0;
	if (mailto) {
		struct rb_store *s = rb_cli_open(&cli, true);
		if (s == NULL) {
			memset(secret, 0, slen);
			free(secret);
			return RB_EXIT_ERROR;
		}
		if (rb_store_unsub_id(s, u.tenant, u.stream, u.address, &id) !=
		    0) {
			rb_err("no unsubscribe link: %s", rb_store_error(s));
			rb_store_close(s);
			memset(secret, 0, slen);
			free(secret);
			return RB_EXIT_ERROR;
		}
		rb_store_close(s);
	}
	char *v = rb_unsub_list_header(secret, slen, &u, id, mailto, url);
	memset(secret, 0, slen);
	free(secret);
	if (v == NULL) {
		rb_err("cannot make a token for %s", u.address);
		return RB_EXIT_INVALID;
	}
	printf("List-Unsubscribe: %s\n", v);
	if (url)
		printf("List-Unsubscribe-Post: " RB_UNSUB_POST_VALUE "\n");
	free(v);
	return fflush(stdout) == 0 ? RB_EXIT_OK : RB_EXIT_ERROR;
}
