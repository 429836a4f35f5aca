/*
 * rebound list, export and import: the suppression list as text, JSON or
 * CSV, and CSV back into it.
 * Exit statuses: the table in cli_store.h, the same in every command.
 * Every address given is read with core/addrin (display names,
 * brackets, BOM, spaces); what holds no address is reported, never taken
 * for an address nobody suppressed.
 */
#include <getopt.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>

#include "store/store.h"
#include "core/addrin.h"
#include "core/addrkey.h"
#include "lib/arena.h"
#include "cli_store.h"
#include "commands.h"
#include "lib/log.h"
#include "core/policy.h"

#include "supp_io.h"

/* ---- list / export ---- */

/* --since: ISO 8601, a date (midnight UTC), or an age (30d, 2w, 12h:
 * that long before now) as rb_time_parse's "@EPOCH" */
static int
since_arg(const char *arg, char *out, size_t n)
{
	time_t t;
	if (rb_time_parse(arg, &t) == 0) {
		snprintf(out, n, "%s", arg);
		return 0;
	}
	char day[64];
	if (strlen(arg) == 10 && arg[4] == '-' && arg[7] == '-') {
		snprintf(day, sizeof(day), "%sT00:00:00Z", arg);
		if (rb_time_parse(day, &t) == 0) {
			snprintf(out, n, "%s", day);
			return 0;
		}
	}
	size_t l = strlen(arg);
	if (l < 2 || !strchr("mhdw", arg[l - 1]))
		return -1;
	long d = rb_duration_parse(arg);
	if (d <= 0)
		return -1;
	snprintf(out, n, "@%lld", (long long)(rb_now() - d));
	return 0;
}

struct listctx {
	enum fmt fmt;
	unsigned long n;
};

/*
 * The address as an import reads it back.  A report may name a recipient
 * whose local part is not an atom as its MTA wrote it, without the
 * quotes (semi;colon@example.com); it is stored as written.  Exported
 * as is, import refused it and the suppression was lost on the way; so
 * such a local part is written quoted ("semi;colon"@example.com), which
 * is the same address and the same key.  Malloc'ed, or NULL: as is.
 */
static char *
address_for_import(const char *a)
{
	const char *at = strrchr(a, '@'), *got;
	size_t glen;
	if (at == NULL || at == a ||
	    rb_addr_input(a, strlen(a), &got, &glen) == RB_ADDRIN_OK)
		return NULL;
	size_t ll = (size_t)(at - a);
	char *q = malloc(ll * 2 + strlen(at) + 3);
	if (q == NULL)
		return NULL;
	size_t o = 0;
	q[o++] = '"';
	for (size_t i = 0; i < ll; i++) {
		if (a[i] == '"' || a[i] == '\\')
			q[o++] = '\\';
		q[o++] = a[i];
	}
	q[o++] = '"';
	strcpy(q + o, at);
	/* only when that form reads back as an address */
	if (rb_addr_input(q, strlen(q), &got, &glen) != RB_ADDRIN_OK) {
		free(q);
		return NULL;
	}
	return q;
}

static int
list_row(void *ctx, const struct rb_supp *p)
{
	struct listctx *l = ctx;
	l->n++;
	switch (l->fmt) {
	case FMT_JSON:
		print_json(supp_json(p, NULL));
		break;
	case FMT_CSV: {
		char *q = address_for_import(p->address);
		csv_field(stdout, q ? q : p->address, false);
		free(q);
		csv_field(stdout, p->class, false);
		csv_field(stdout, p->reason, false);
		csv_field(stdout, p->rule, false);
		csv_field(stdout, p->actor, false);
		csv_field(stdout, p->created_at, false);
		csv_field(stdout, p->expires_at, false);
		csv_field(stdout, p->removed_at, false);
		csv_field(stdout, p->active ? "yes" : "no", false);
		csv_field(stdout, p->scope[0] ? p->scope : "global", true);
		break;
	}
	default:
		printf("%s\t%s\t%s\t%s\t%s\t%s\t%s\n", p->address, p->class,
		       p->reason ? p->reason : "-", p->created_at,
		       p->expires_at ? p->expires_at : "never",
		       p->active ? "active" : p->removed_at ? "removed"
							    : "expired",
		       p->scope[0] ? p->scope : "global");
	}
	return ferror(stdout) ? 1 : 0;
}

static int
list_common(int argc, char **argv, bool export)
{
	static const struct option lo[] = {
	    RB_CLI_OPTIONS,
	    RB_CLI_SCOPE_OPTIONS,
	    {"format", required_argument, NULL, 'f'},
	    {"class", required_argument, NULL, 'c'},
	    {"kind", required_argument, NULL, 'c'},
	    {"reason", required_argument, NULL, 'r'},
	    {"domain", required_argument, NULL, 'D'},
	    {"since", required_argument, NULL, 'S'},
	    {"active", no_argument, NULL, 'a'},
	    {"expired", no_argument, NULL, 'e'},
	    {"all", no_argument, NULL, 'A'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct rb_cli cli = {0};
	struct rb_list_filter f = {.state = RB_LIST_ACTIVE};
	struct listctx l = {.fmt = export ? FMT_CSV : FMT_TEXT};
	char since[64];
	int c;
	while ((c = rb_cli_getopt(&cli, argc, argv, "d:f:h", lo)) != -1) {
		switch (c) {
		case 'f':
			if (export || parse_fmt(optarg, &l.fmt, true) != 0) {
				rb_err("--format must be text, json or csv");
				return 2;
			}
			break;
		case 'c':
			if (strcmp(optarg, "hard") && strcmp(optarg, "complaint") &&
			    strcmp(optarg, "soft") && strcmp(optarg, "manual")) {
				rb_err("--class '%s': one of hard, complaint, "
				       "soft, manual", optarg);
				return RB_EXIT_USAGE;
			}
			f.cls = optarg;
			break;
		case 'r':
			f.reason = optarg;
			break;
		case 'D':
			f.domain = optarg;
			break;
		case 'S':
			if (since_arg(optarg, since, sizeof(since)) != 0) {
				rb_err("--since '%s': a time (2025-01-31, "
				       "2025-01-31T12:00:00Z) or an age (30d, "
				       "2w, 12h)", optarg);
				return RB_EXIT_USAGE;
			}
			f.since = since;
			break;
		case 'a':
			f.state = RB_LIST_ACTIVE;
			break;
		case 'e':
			f.state = RB_LIST_INACTIVE;
			break;
		case 'A':
			f.state = RB_LIST_ALL;
			break;
		case 'h':
			printf("usage: rebound %s [--db CONNINFO] [--config FILE] [--tenant T [--stream S]]%s [--class "
			       "hard|complaint|soft|manual]\n"
			       "  [--reason R] [--domain D] [--since "
			       "TIME|AGE] [--active|--expired|--all]\n"
			       "TIME: 2025-01-31 or 2025-01-31T12:00:00Z; AGE: "
			       "30d, 2w, 12h (created since)\n",
			       export ? "export" : "list",
			       export ? "" : " [--format text|json|csv]");
			return 0;
		default:
			return 2;
		}
	}
	if (optind != argc) {
		rb_err("unexpected argument '%s'", argv[optind]);
		return RB_EXIT_USAGE;
	}
	struct rb_store *s = rb_cli_open(&cli, true);
	if (s == NULL)
		return 1;
	if (l.fmt == FMT_CSV)
		puts("address,class,reason,rule,actor,since,expires_at,"
		     "removed_at,active,scope");
	int rc = 0;
	if (rb_store_list(s, &f, list_row, &l) != 0) {
		rb_err("%s", rb_store_error(s));
		rc = 1;
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		rb_err("write error on standard output");
		rc = 1;
	}
	rb_store_close(s);
	return rc;
}

int
cmd_list(int argc, char **argv)
{
	return list_common(argc, argv, false);
}

int
cmd_export(int argc, char **argv)
{
	return list_common(argc, argv, true);
}

/* ---- import ---- */

/* Read one CSV record (RFC 4180, quoted fields may span lines) into
 * fields[] (pointers into *buf); returns the field count, -1 at EOF. */
static int
csv_record(FILE *f, char **buf, size_t *cap, char **fields, int maxf)
{
	size_t n = 0;
	int c, nf = 0;
	bool q = false, any = false;
	size_t start = 0, offs[16];
	for (;;) {
		c = getc(f);
		if (c == EOF && !any)
			return -1;
		any = true;
		if (n + 2 >= *cap) {
			size_t nc = *cap ? *cap * 2 : 1024;
			char *nb = realloc(*buf, nc);
			if (nb == NULL)
				abort();
			*buf = nb;
			*cap = nc;
		}
		if (q) {
			if (c == EOF)
				break;
			if (c == '"') {
				int d = getc(f);
				if (d == '"') {
					(*buf)[n++] = '"';
					continue;
				}
				q = false;
				if (d != EOF)
					ungetc(d, f);
				continue;
			}
			(*buf)[n++] = (char)c;
			continue;
		}
		if (c == '"') {
			q = true;
			continue;
		}
		if (c == ',' || c == '\n' || c == EOF) {
			(*buf)[n++] = '\0';
			if (nf < maxf && nf < 16)
				offs[nf++] = start;
			start = n;
			if (c != ',')
				break;
			continue;
		}
		if (c == '\r')
			continue;
		(*buf)[n++] = (char)c;
	}
	for (int i = 0; i < nf; i++)
		fields[i] = *buf + offs[i];
	return nf;
}

int
cmd_import(int argc, char **argv)
{
	static const struct option lo[] = {
	    RB_CLI_OPTIONS,
	    RB_CLI_SCOPE_OPTIONS,
	    {"actor", required_argument, NULL, 'a'},
	    {"invalid", required_argument, NULL, 'i'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct rb_cli cli = {0};
	const char *actor = NULL;
	bool fail_invalid = false;
	int c;
	while ((c = rb_cli_getopt(&cli, argc, argv, "d:a:h", lo)) != -1) {
		switch (c) {
		case 'a':
			actor = optarg;
			break;
		case 'i':
			if (strcmp(optarg, "drop") == 0)
				fail_invalid = false;
			else if (strcmp(optarg, "fail") == 0)
				fail_invalid = true;
			else {
				rb_err("--invalid must be drop or fail");
				return RB_EXIT_USAGE;
			}
			break;
		case 'h':
			puts("usage: rebound import [--db CONNINFO] [--config FILE] [--tenant T [--stream S]] [--actor "
			     "NAME] [--invalid drop|fail] FILE.csv|-\n"
			     "CSV columns: address[,reason[,expires_at]], or "
			     "a header row naming\naddress, reason, "
			     "expires_at (rebound export's format works).\n"
			     "Rows without an address are reported with their "
			     "line number and\nskipped (exit 5), or with "
			     "--invalid fail nothing is imported (exit 5).");
			return 0;
		default:
			return 2;
		}
	}
	if (optind + 1 != argc) {
		rb_err("usage: rebound import FILE.csv|-");
		return 2;
	}
	FILE *in = strcmp(argv[optind], "-") == 0 ? stdin
						   : fopen(argv[optind], "r");
	if (in == NULL) {
		rb_err("cannot open %s", argv[optind]);
		return 1;
	}
	struct rb_store *s = rb_cli_open(&cli, true);
	if (s == NULL) {
		if (in != stdin)
			fclose(in);
		return 1;
	}
	actor = rb_cli_actor(actor);
	enum { CHUNK = 10000 };
	char **bufs = calloc(CHUNK, sizeof(char *));
	size_t *caps = calloc(CHUNK, sizeof(size_t));
	struct rb_import_row *rows = calloc(CHUNK, sizeof(*rows));
	int col_addr = 0, col_reason = 1, col_exp = 2, col_scope = -1;
	bool first = true;
	unsigned long total = 0, added = 0, lines = 0, invalid = 0;
	int rc = 0;
	if (!bufs || !caps || !rows || rb_store_begin(s) != 0) {
		rb_err("%s", bufs ? rb_store_error(s) : "out of memory");
		rc = 1;
	}
	bool eof = false;
	while (rc == 0 && !eof) {
		size_t n = 0;
		while (n < CHUNK) {
			char *fl[16];
			int nf = csv_record(in, &bufs[n], &caps[n], fl, 16);
			if (nf < 0) {
				eof = true;
				break;
			}
			lines++;
			if (first) {
				first = false;
				/* a byte order mark (Excel, WPS) */
				if (nf > 0 && !strncmp(fl[0], "\xef\xbb\xbf", 3))
					fl[0] += 3;
				if (nf > 0 && (strcasecmp(fl[0], "address") == 0 ||
					       header_word(fl[0], strlen(fl[0])))) {
					col_reason = col_exp = -1;
					for (int i = 0; i < nf; i++) {
						if (!strcasecmp(fl[i], "reason"))
							col_reason = i;
						if (!strcasecmp(fl[i],
								"expires_at") ||
						    !strcasecmp(fl[i], "expires"))
							col_exp = i;
						if (!strcasecmp(fl[i], "scope"))
							col_scope = i;
					}
					continue;
				}
			}
			if (nf <= col_addr || fl[col_addr][0] == '#' ||
			    blank(fl[col_addr], strlen(fl[col_addr])))
				continue;
			const char *a;
			size_t al;
			enum rb_addrin_err e = rb_addr_input(
			    fl[col_addr], strlen(fl[col_addr]), &a, &al);
			if (e != RB_ADDRIN_OK) {
				report_invalid("import", lines, fl[col_addr],
					       strlen(fl[col_addr]), e);
				invalid++;
				continue;
			}
			/* the address alone (inside the record's buffer) */
			memmove(fl[col_addr], a, al);
			fl[col_addr][al] = '\0';
			rows[n].address = fl[col_addr];
			rows[n].reason =
			    col_reason >= 0 && col_reason < nf ? fl[col_reason]
							       : NULL;
			rows[n].expires =
			    col_exp >= 0 && col_exp < nf ? fl[col_exp] : NULL;
			rows[n].scope = col_scope >= 0 && col_scope < nf
					    ? fl[col_scope]
					    : NULL;
			n++;
		}
		unsigned long a = 0;
		if (n > 0 && rb_store_import(s, rows, n, actor, &a) != 0) {
			rb_err("%s", rb_store_error(s));
			rc = 1;
			break;
		}
		total += n;
		added += a;
	}
	if (rc == 0 && invalid > 0 && fail_invalid) {
		rb_err("%lu row(s) without an address: nothing imported "
		       "(--invalid fail)", invalid);
		rc = RB_EXIT_INVALID;
	}
	if (rc == 0 && rb_store_commit(s) != 0) {
		rb_err("%s", rb_store_error(s));
		rc = 1;
	}
	if (rc != 0) {
		rb_store_rollback(s);
	} else {
		printf("imported %lu addresses: %lu added, %lu already "
		       "suppressed or repeated\n",
		       total, added, total - added);
		if (invalid > 0) {
			rb_err("%lu row(s) without an address skipped", invalid);
			rc = RB_EXIT_INVALID;
		}
	}
	for (size_t i = 0; bufs && i < CHUNK; i++)
		free(bufs[i]);
	free(bufs);
	free(caps);
	free(rows);
	if (in != stdin)
		fclose(in);
	rb_store_close(s);
	return rc;
}

