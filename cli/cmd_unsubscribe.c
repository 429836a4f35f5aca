/*
 * cmd_unsubscribe: `rebound unsubscribe-link`, the List-Unsubscribe and
 * List-Unsubscribe-Post header values (RFC 2369, RFC 8058) a sender puts
 * in a mail for one recipient, with a signed one-click token that
 * `rebound serve` honours (serve/unsubscribe.h, docs/tenants.md).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_store.h"
#include "commands.h"
#include "core/addrin.h"
#include "core/policy.h"
#include "core/scope.h"
#include "lib/log.h"
#include "core/unsubscribe.h"

static void
usage(FILE *f)
{
	fputs("usage: rebound unsubscribe-link --secret-file FILE --url BASE "
	      "--tenant T\n"
	      "                  [--stream S] [--days N] [--mailto ADDRESS] "
	      "ADDRESS\n"
	      "Prints the two headers for a mail to ADDRESS: List-Unsubscribe "
	      "with\nBASE/v1/unsubscribe/TOKEN (the URL `rebound serve "
	      "--unsubscribe-secret-file FILE`\nanswers) and, with --mailto, "
	      "a mailto: address; List-Unsubscribe-Post.  The\ntoken is "
	      "signed with the secret and names the tenant, the stream, the "
	      "address\nand an expiry (--days, default 90).\n",
	      f);
}

int
cmd_unsubscribe_link(int argc, char **argv)
{
	static const struct option lo[] = {
	    {"secret-file", required_argument, NULL, 'k'},
	    {"url", required_argument, NULL, 'u'},
	    {"tenant", required_argument, NULL, 't'},
	    {"stream", required_argument, NULL, 's'},
	    {"days", required_argument, NULL, 'D'},
	    {"mailto", required_argument, NULL, 'm'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *file = NULL, *url = NULL, *tenant = NULL, *stream = NULL,
		   *mailto = NULL;
	long days = 90;
	int c;
	while ((c = getopt_long(argc, argv, "k:u:t:s:h", lo, NULL)) != -1) {
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
	if (!file || !url || !tenant || optind + 1 != argc) {
		usage(stderr);
		return RB_EXIT_USAGE;
	}
	struct rb_scope_query sq = {tenant, stream};
	char err[256];
	if (rb_scope_query_check(&sq, err, sizeof(err)) != 0) {
		rb_err("%s", err);
		return RB_EXIT_USAGE;
	}
	if (strncmp(url, "https://", 8) != 0 && strncmp(url, "http://", 7) != 0) {
		rb_err("--url: an http:// or https:// URL (RFC 8058 wants https)");
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
	char *tok = rb_unsub_token(secret, slen, &u);
	memset(secret, 0, slen);
	free(secret);
	if (tok == NULL) {
		rb_err("cannot make a token for %s", u.address);
		return RB_EXIT_INVALID;
	}
	size_t ul = strlen(url);
	while (ul > 0 && url[ul - 1] == '/')
		ul--;
	printf("List-Unsubscribe: <%.*s/v1/unsubscribe/%s>", (int)ul, url, tok);
	if (mailto)
		printf(", <mailto:%s?subject=unsubscribe>", mailto);
	printf("\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\n");
	free(tok);
	return fflush(stdout) == 0 ? RB_EXIT_OK : RB_EXIT_ERROR;
}
