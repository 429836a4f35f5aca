/*
 * cmd_unsubscribe: `rebound unsubscribe-link`, the List-Unsubscribe and
 * List-Unsubscribe-Post header values (RFC 2369, RFC 8058) a sender puts
 * in a mail for one recipient, with a signed token (core/unsubscribe.h)
 * that `rebound serve` honours for the one-click URL and `rebound run`
 * for a mail to the mailto: address (docs/tenants.md).
 */
#include <getopt.h>
#include <stdbool.h>
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
	fputs("usage: rebound unsubscribe-link [--config FILE] [--secret-file "
	      "FILE]\n"
	      "                  [--url BASE] [--mailto ADDRESS] --tenant T "
	      "[--stream S]\n"
	      "                  [--days N] ADDRESS\n"
	      "Prints the List-Unsubscribe header (RFC 2369) for a mail to "
	      "ADDRESS with a\ntoken signed with the secret that names the "
	      "tenant, the stream, the address\nand an expiry (--days, "
	      "default 90):\n"
	      "  <mailto:LOCAL+TOKEN@DOMAIN?subject=unsubscribe%20TOKEN> with "
	      "--mailto\n"
	      "    LOCAL@DOMAIN (default: unsubscribe_address of the "
	      "configuration), the\n    address `rebound run` reads (its "
	      "mailbox, unsubscribe = yes);\n"
	      "  <BASE/v1/unsubscribe/TOKEN> with --url, which `rebound serve "
	      "--unsubscribe-\n    secret-file FILE` answers, and then "
	      "List-Unsubscribe-Post (RFC 8058).\n"
	      "The secret: --secret-file, default unsubscribe_secret_file of "
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
	while ((c = rb_cli_getopt(&cli, argc, argv, "k:u:t:s:h", lo)) != -1) {
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
	if (url && strncmp(url, "https://", 8) != 0 &&
	    strncmp(url, "http://", 7) != 0) {
		rb_err("--url: an http:// or https:// URL (RFC 8058 wants https)");
		return RB_EXIT_USAGE;
	}
	const char *a;
	size_t al;
	if (mailto && (rb_addr_input(mailto, strlen(mailto), &a, &al) !=
			   RB_ADDRIN_OK ||
		       al != strlen(mailto) || strchr(mailto, '+') ||
		       strpbrk(mailto, "?%&\"") != NULL)) {
		rb_err("--mailto: LOCAL@DOMAIN without '+', '?', '%%', '&' "
		       "(the token is added as +TOKEN)");
		return RB_EXIT_USAGE;
	}
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
	printf("List-Unsubscribe: ");
	if (mailto) {
		const char *at = strrchr(mailto, '@');
		/* RFC 6068: the space of the subject as %20 */
		printf("<mailto:%.*s+%s%s?subject=unsubscribe%%20%s>",
		       (int)(at - mailto), mailto, tok, at, tok);
	}
	if (url) {
		size_t ul = strlen(url);
		while (ul > 0 && url[ul - 1] == '/')
			ul--;
		printf("%s<%.*s/v1/unsubscribe/%s>", mailto ? ", " : "",
		       (int)ul, url, tok);
	}
	putchar('\n');
	if (url)
		printf("List-Unsubscribe-Post: List-Unsubscribe=One-Click\n");
	free(tok);
	return fflush(stdout) == 0 ? RB_EXIT_OK : RB_EXIT_ERROR;
}
