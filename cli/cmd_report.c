/*
 * rebound report complaints|bounces|unsubscribes [options]
 * rebound sent import FILE.csv
 *
 * The glue between the store's report queries (store/report_q.h) and the
 * row model and renderers (reports/report.h).  See docs/reports.md.
 *
 * Exit status of `report`: 0 ok; 1 error; 2 usage; 3 when --fail-above
 * is given and a rate (a group's or the total) is above it.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "reports/report.h"
#include "store/report_q.h"
#include "store/store.h"
#include "cli_store.h"
#include "commands.h"
#include "lib/err.h"
#include "lib/log.h"
#include "lib/file.h"
#include "core/policy.h"
#include "core/scope.h"
#include "sent_csv.h"

#define EXIT_ABOVE 3

static void
usage(FILE *f)
{
	char kc[256], kb[256], ku[256];
	fprintf(f,
		"usage: rebound report complaints|bounces|unsubscribes "
		"[OPTIONS]\n"
		"       rebound report throttling --help   (rate limits per "
		"provider)\n"
		"  --since N[d|w]     the last N days (default 30d), today "
		"included (UTC)\n"
		"  --from DAY --to DAY  an explicit window, both days "
		"included\n"
		"  --by KEY[,KEY...]  group (default: provider for "
		"complaints, reason for bounces,\n"
		"                     tenant for unsubscribes)\n"
		"      complaints:   %s\n"
		"      bounces:      %s\n"
		"      unsubscribes: %s\n"
		"  --top N            the N largest groups\n"
		"  --format F         text (default), csv, json, html\n"
		"  --output FILE      write there (atomically) instead of "
		"stdout;\n"
		"                     the format follows a .csv/.json/.html "
		"suffix\n"
		"  --fail-above RATE  exit 3 when a rate is above RATE "
		"(0.3%% or 0.003)\n"
		"  --marks W,L        rate marks (default 0.1%%,0.3%% for "
		"complaints,\n"
		"                     2%%,5%% for bounces, 0.5%%,1%% for "
		"unsubscribes)\n"
		"  --all-types        complaints: also count auth-failure "
		"and not-spam reports\n"
		"  --tenant T         only tenant T's events and sent counts "
		"(--by tenant:\n"
		"                     one group per tenant)\n"
		"  --stream S         only stream S of tenant T (needs "
		"--tenant)\n"
		"  --db CONNINFO      database (default $REBOUND_DB, else db "
		"in the\n"
		"                     configuration, else the built-in one)\n"
		"  --config FILE      the configuration (default "
		"$REBOUND_CONFIG, else\n"
		"                     /etc/rebound/rebound.conf when it "
		"exists)\n"
		"A rate, the total's and each group's, divides the events of "
		"the days with\n"
		"sent counts (for that group) by those counts; the days "
		"without are counted\n"
		"and shown (docs/reports.md).\n",
		rb_report_key_names(RB_REPORT_COMPLAINTS, kc, sizeof kc),
		rb_report_key_names(RB_REPORT_BOUNCES, kb, sizeof kb),
		rb_report_key_names(RB_REPORT_UNSUBSCRIBES, ku, sizeof ku));
}

/* "0.3%" -> 0.003, "0.003" -> 0.003; -1 when invalid */
static double
parse_rate(const char *s)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || !isfinite(v) || v < 0)
		return -1;
	if (*end == '%') {
		v /= 100;
		end++;
	}
	return *end == '\0' && v <= 1 ? v : -1;
}



static int
format_from_name(const char *path)
{
	const char *dot = path ? strrchr(path, '.') : NULL;
	if (dot == NULL)
		return -1;
	if (strcmp(dot, ".htm") == 0)
		return RB_FMT_HTML;
	return rb_report_format_parse(dot + 1);
}

static void
on_row(void *arg, const struct rb_rq_row *row)
{
	rb_report_add(arg, row->vals, row->n, row->sub);
}

static void
on_day(void *arg, const struct rb_rq_day *d)
{
	rb_report_add_day(arg, d->day, d->complaints, d->bounces,
			  d->unsubscribes);
}

static void
on_sent(void *arg, const struct rb_rq_sent *r)
{
	struct rb_report_sent s = {
	    .day = r->day,
	    .sender_domain = r->sender_domain,
	    .campaign = r->campaign,
	    .list = r->list,
	    .tenant = r->tenant,
	    .stream = r->stream,
	    .count = r->count,
	};
	rb_report_add_sent(arg, &s);
}

/* Fill a report from the store: groups, sent counts, the daily series
 * (which the total rate needs: the events of the days with sent counts). */
static int
fill(struct rb_store *s, struct rb_report *r, bool all_types)
{
	const char *cols[RB_REPORT_MAXCOLS];
	struct rb_rq_spec q = {
	    .kind = r->kind == RB_REPORT_COMPLAINTS  ? "complaint"
		    : r->kind == RB_REPORT_BOUNCES ? "bounce"
						   : "unsubscribe",
	    .from = r->from,
	    .to = r->to,
	    .all_types = all_types,
	    .cols = cols,
	    .ncols = rb_report_columns(r, cols),
	    .tenant = r->tenant,
	    .stream = r->stream,
	};
	if (rb_rq_events(s, &q, on_row, r) != 0 ||
	    rb_rq_sent(s, &q, on_sent, r) != 0)
		return -1;
	if (rb_rq_daily(s, &q, on_day, r) != 0)
		return -1;
	return 0;
}

/* write to path.tmp and rename, so a reader never sees half a report */
static int
write_report(const struct rb_report *r, int fmt, const char *path)
{
	if (path == NULL || strcmp(path, "-") == 0) {
		if (rb_report_render(r, fmt, stdout) != 0) {
			rb_err("writing the report failed");
			return -1;
		}
		return 0;
	}
	size_t l = strlen(path) + 16;
	char *tmp = malloc(l);
	if (tmp == NULL)
		return -1;
	snprintf(tmp, l, "%s.tmp%ld", path, (long)getpid());
	FILE *f = fopen(tmp, "w");
	if (f == NULL) {
		rb_err("%s: %s", tmp, strerror(errno));
		free(tmp);
		return -1;
	}
	int rc = rb_report_render(r, fmt, f);
	if (fclose(f) != 0)
		rc = -1;
	if (rc == 0 && rename(tmp, path) != 0)
		rc = -1;
	if (rc != 0) {
		rb_err("%s: writing the report failed: %s", path,
		       strerror(errno));
		unlink(tmp);
	}
	free(tmp);
	return rc;
}

/* What `rebound report` was asked for. */
struct report_opts {
	const char *since, *from, *to, *by, *output, *marks;
	const char *tenant, *stream;
	struct rb_cli cli;
	long top;
	int fmt;
	double fail_above;
	bool all_types;
};

/* Read the options into o; returns -1 to go on, else the exit code. */
static int
report_options(int argc, char **argv, struct report_opts *o)
{
	static const struct option lo[] = {
	    {"since", required_argument, NULL, 's'},
	    {"from", required_argument, NULL, 'f'},
	    {"to", required_argument, NULL, 't'},
	    {"by", required_argument, NULL, 'b'},
	    {"top", required_argument, NULL, 'n'},
	    {"format", required_argument, NULL, 'F'},
	    {"output", required_argument, NULL, 'o'},
	    {"fail-above", required_argument, NULL, 'A'},
	    {"marks", required_argument, NULL, 'm'},
	    {"all-types", no_argument, NULL, 'a'},
	    {"tenant", required_argument, NULL, 'T'},
	    {"stream", required_argument, NULL, 'S'},
	    RB_CLI_OPTIONS,
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int c;
	while ((c = rb_cli_getopt(&o->cli, argc, argv,
				  "s:f:t:b:n:F:o:A:m:aT:S:d:h", lo)) != -1) {
		switch (c) {
		case 's':
			o->since = optarg;
			break;
		case 'f':
			o->from = optarg;
			break;
		case 't':
			o->to = optarg;
			break;
		case 'b':
			o->by = optarg;
			break;
		case 'n': {
			char *end;
			o->top = strtol(optarg, &end, 10);
			if (*end || o->top < 1) {
				rb_err("--top wants a positive number");
				return 2;
			}
			break;
		}
		case 'F':
			o->fmt = rb_report_format_parse(optarg);
			if (o->fmt < 0) {
				rb_err("--format: text, csv, json or html");
				return 2;
			}
			break;
		case 'o':
			o->output = optarg;
			break;
		case 'A':
			o->fail_above = parse_rate(optarg);
			if (o->fail_above < 0) {
				rb_err("--fail-above wants a rate: 0.3%% or "
				       "0.003");
				return 2;
			}
			break;
		case 'm':
			o->marks = optarg;
			break;
		case 'a':
			o->all_types = true;
			break;
		case 'T':
			o->tenant = optarg;
			break;
		case 'S':
			o->stream = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	/* a malformed name is refused, never read as "every tenant" */
	struct rb_scope_query sq = {o->tenant, o->stream};
	char err[RB_ERR_MAX];
	if (rb_scope_query_check(&sq, err, sizeof err) != 0) {
		rb_err("%s", err);
		return 2;
	}
	return -1;
}

/* --marks WARN,LIMIT into r; -1 (said) when malformed. */
static int
set_marks(struct rb_report *r, const char *marks)
{
	char buf[64];
	snprintf(buf, sizeof buf, "%s", marks);
	char *comma = strchr(buf, ',');
	double w = -1, l = -1;
	if (comma) {
		*comma = '\0';
		w = parse_rate(buf);
		l = parse_rate(comma + 1);
	}
	if (w <= 0 || l <= 0 || w > l) {
		rb_err("--marks wants two rates WARN,LIMIT (0.1%%,0.3%%)");
		return -1;
	}
	r->warn = w;
	r->limit = l;
	return 0;
}

/* The report's rows from the store, and for HTML the breakdown chart's
 * (by provider for complaints, by reason for bounces). */
static int
fill_report(struct rb_store *s, struct rb_report *r, int kind,
	    const char *d_from, const char *d_to, const struct report_opts *o)
{
	if (fill(s, r, o->all_types) != 0)
		return -1;
	if (o->fmt != RB_FMT_HTML)
		return 0;
	char err[RB_ERR_MAX];
	r->breakdown = rb_report_new(kind, d_from, d_to,
				     rb_report_kinds[kind].breakdown, err,
				     sizeof(err));
	if (r->breakdown != NULL)
		rb_report_set_scope(r->breakdown, o->tenant, o->stream);
	if (r->breakdown == NULL ||
	    fill(s, r->breakdown, o->all_types) != 0)
		return -1;
	return 0;
}

/* --fail-above: EXIT_ABOVE (said) when a rate of r is above it. */
static int
check_fail_above(const struct rb_report *r, int kind, double fail_above)
{
	double m = rb_report_max_rate(r);
	if (m <= fail_above)
		return 0;
	char a[32], b[32];
	snprintf(a, sizeof a, "%.3f%%", m * 100);
	snprintf(b, sizeof b, "%.3f%%", fail_above * 100);
	rb_err("%s: a rate of %s is above %s", rb_report_kinds[kind].rate, a,
	       b);
	return EXIT_ABOVE;
}

int
cmd_report(int argc, char **argv)
{
	/* the rate-limit report lives in cli/cmd_throttling.c */
	if (argc >= 2 && strcmp(argv[1], "throttling") == 0)
		return cmd_report_throttling(argc - 1, argv + 1);
	struct report_opts o = {.fmt = -1, .fail_above = -1};
	int rc = report_options(argc, argv, &o);
	if (rc >= 0)
		return rc;
	if (optind + 1 != argc) {
		usage(stderr);
		return 2;
	}
	int kind = rb_report_kind_parse(argv[optind]);
	if (kind < 0) {
		rb_err("report what: complaints, bounces or unsubscribes");
		return 2;
	}
	if (o.fmt < 0)
		o.fmt = format_from_name(o.output);
	if (o.fmt < 0)
		o.fmt = RB_FMT_TEXT;

	/* the window: --from/--to, or --since (default 30 days) */
	char d_from[11], d_to[11], err[RB_ERR_MAX];
	const char *werr = NULL;
	if (rb_report_window(o.since, o.from, o.to, rb_now(), d_from, d_to,
			     &werr) < 0) {
		rb_err("%s", werr);
		return 2;
	}
	const char *by = o.by ? o.by : rb_report_kinds[kind].breakdown;
	struct rb_report *r =
	    rb_report_new(kind, d_from, d_to, by, err, sizeof(err));
	if (r == NULL) {
		rb_err("%s", err);
		usage(stderr);
		return 2;
	}
	rb_report_set_scope(r, o.tenant, o.stream);
	if (o.marks != NULL && set_marks(r, o.marks) != 0) {
		rb_report_free(r);
		return 2;
	}

	struct rb_store *s = rb_cli_open(&o.cli, true);
	if (s == NULL) {
		rb_report_free(r);
		return 1;
	}
	rc = 0;
	if (fill_report(s, r, kind, d_from, d_to, &o) != 0) {
		rb_err("%s", rb_store_error(s));
		rc = 1;
	}
	rb_store_close(s);
	if (rc == 0) {
		rb_report_finish(r, o.top);
		if (write_report(r, o.fmt, o.output) != 0)
			rc = 1;
	}
	if (rc == 0 && o.fail_above >= 0)
		rc = check_fail_above(r, kind, o.fail_above);
	rb_report_free(r);
	return rc;
}

static void
sent_usage(FILE *f)
{
	fputs("usage: rebound sent import [--db CONNINFO] [--config FILE] "
	      "FILE.csv|-\n"
	      "  CSV: day,sender_domain,campaign,list,count (header "
	      "optional;\n"
	      "  day,count alone is fine).  With a header, also tenant and "
	      "stream\n"
	      "  columns (empty: mail sent for no tenant).  Rows with the "
	      "same key are\n"
	      "  summed; the sum replaces what was stored for that key, so "
	      "importing\n"
	      "  a file again changes nothing.\n",
	      f);
}

static char *
slurp(const char *path, size_t *len)
{
	return strcmp(path, "-") == 0 ? rb_read_stream(stdin, len)
				      : rb_read_file(path, len);
}

int
cmd_sent(int argc, char **argv)
{
	static const struct option lo[] = {
	    RB_CLI_OPTIONS,
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct rb_cli cli = {0};
	int c;
	while ((c = rb_cli_getopt(&cli, argc, argv, "d:h", lo)) != -1) {
		switch (c) {
		case 'h':
			sent_usage(stdout);
			return 0;
		default:
			sent_usage(stderr);
			return 2;
		}
	}
	if (optind + 2 != argc || strcmp(argv[optind], "import") != 0) {
		sent_usage(stderr);
		return 2;
	}
	const char *path = argv[optind + 1];
	size_t len;
	char *text = slurp(path, &len);
	if (text == NULL) {
		rb_err("%s: %s", path, strerror(errno));
		return 1;
	}
	struct rb_arena a;
	rb_arena_init(&a);
	struct rb_rq_sent *rows;
	char err[256];
	long n = rb_sent_csv_parse(&a, text, len, &rows, err, sizeof err);
	free(text);
	if (n < 0) {
		rb_err("%s: %s", path, err);
		rb_arena_free(&a);
		return 1;
	}
	struct rb_store *s = rb_cli_open(&cli, true);
	if (s == NULL) {
		rb_arena_free(&a);
		return 1;
	}
	size_t keys = 0;
	int rc = 0;
	if (rb_rq_sent_import(s, rows, (size_t)n, &keys) != 0) {
		rb_err("%s", rb_store_error(s));
		rc = 1;
	} else {
		printf("%ld rows, %zu keys stored\n", n, keys);
	}
	rb_store_close(s);
	rb_arena_free(&a);
	return rc;
}
