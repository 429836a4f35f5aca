/*
 * rebound report throttling [--since N[d|w] | --from DAY --to DAY]
 *                           [--format text|csv|json|html] [--output FILE]
 *                           [--tenant T [--stream S]] [--db CONNINFO]
 *
 * Rate-limit and quota rejections (reasons toomanyconn, speeding) per
 * mailbox provider and per day: when QQ ("550 Ip frequency limited") or
 * NetEase ("550 RP:TRC", "554 HL:ITC") started throttling (docs/cn.md);
 * and per provider the refusals of the sender by family (rate,
 * reputation, content, authentication), so the sender sees which to fix.
 * Reached through `rebound report throttling` (cli/cmd_report.c hands
 * argv over when its first argument is "throttling").
 * Exit status: 0 ok, 1 error, 2 usage.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "reports/report.h"
#include "reports/throttle.h"
#include "store/store.h"
#include "store/throttle_q.h"
#include "cli_store.h"
#include "commands.h"
#include "lib/log.h"
#include "core/policy.h"
#include "core/scope.h"

static void
usage(FILE *f)
{
	fputs("usage: rebound report throttling [OPTIONS]\n"
	      "  rate-limit and quota rejections (toomanyconn, speeding) per "
	      "provider per day,\n"
	      "  and per provider the refusals of the sender by family: rate, "
	      "reputation,\n"
	      "  content, authentication\n"
	      "  --since N[d|w]     the last N days (default 30d), today "
	      "included (UTC)\n"
	      "  --from DAY --to DAY  an explicit window, both days included\n"
	      "  --format F         text (default), csv, json, html\n"
	      "  --output FILE      write there instead of stdout\n"
	      "  --tenant T         only tenant T's events\n"
	      "  --stream S         only stream S of tenant T (needs "
	      "--tenant)\n"
	      "  --db CONNINFO      database (default $REBOUND_DB, else db in "
	      "the\n"
	      "                     configuration, else the built-in one)\n"
	      "  --config FILE      the configuration (default "
	      "$REBOUND_CONFIG, else\n"
	      "                     /etc/rebound/rebound.conf when it "
	      "exists)\n",
	      f);
}


static void
add_row(void *ctx, const char *day, const char *remote_mta,
	const char *domain, const char *reason, long long n)
{
	rb_throttle_add(ctx, day, remote_mta, domain, reason, n);
}

int
cmd_report_throttling(int argc, char **argv)
{
	static const struct option lo[] = {
	    {"since", required_argument, NULL, 's'},
	    {"from", required_argument, NULL, 'f'},
	    {"to", required_argument, NULL, 't'},
	    {"format", required_argument, NULL, 'F'},
	    {"output", required_argument, NULL, 'o'},
	    {"tenant", required_argument, NULL, 'T'},
	    {"stream", required_argument, NULL, 'S'},
	    RB_CLI_OPTIONS,
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *since = NULL, *from = NULL, *to = NULL, *output = NULL;
	struct rb_scope_query sq = {NULL, NULL};
	struct rb_cli cli = {0};
	int fmt = RB_FMT_TEXT, c;
	optind = 1;
	while ((c = rb_cli_getopt(&cli, argc, argv, "s:f:t:F:o:T:S:d:h", lo)) !=
	       -1) {
		switch (c) {
		case 's':
			since = optarg;
			break;
		case 'f':
			from = optarg;
			break;
		case 't':
			to = optarg;
			break;
		case 'F':
			fmt = rb_report_format_parse(optarg);
			if (fmt < 0) {
				rb_err("--format: text, csv, json or html");
				return 2;
			}
			break;
		case 'o':
			output = optarg;
			break;
		case 'T':
			sq.tenant = optarg;
			break;
		case 'S':
			sq.stream = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	char err[256];
	if (rb_scope_query_check(&sq, err, sizeof err) != 0) {
		rb_err("%s", err);
		return 2;
	}
	char d_from[11], d_to[11];
	const char *werr = NULL;
	if (rb_report_window(since, from, to, rb_now(), d_from, d_to,
			     &werr) < 0) {
		rb_err("%s", werr);
		return 2;
	}

	struct rb_store *s = rb_cli_open(&cli, true);
	if (s == NULL)
		return 1;
	struct rb_throttle *t = rb_throttle_new(d_from, d_to);
	rb_throttle_set_scope(t, sq.tenant, sq.stream);
	if (rb_store_throttling(s, d_from, d_to, sq.tenant, sq.stream, add_row,
				t) < 0) {
		rb_err("%s", rb_store_error(s));
		rb_throttle_free(t);
		rb_store_close(s);
		return 1;
	}
	rb_store_close(s);
	rb_throttle_finish(t);

	FILE *out = stdout;
	if (output != NULL && (out = fopen(output, "w")) == NULL) {
		rb_err("%s: cannot write", output);
		rb_throttle_free(t);
		return 1;
	}
	int rc = rb_throttle_render(t, (enum rb_report_format)fmt, out);
	if (out != stdout && fclose(out) != 0)
		rc = -1;
	else if (out == stdout && fflush(out) != 0)
		rc = -1;
	rb_throttle_free(t);
	if (rc < 0) {
		rb_err("write error");
		return 1;
	}
	return 0;
}
