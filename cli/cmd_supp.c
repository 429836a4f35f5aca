/*
 * The commands senders use: query, filter, list, export, import, explain,
 * suppress, unsuppress.  Exit statuses (documented in docs/commands.md):
 *   0  success; for `query`: no given address is suppressed
 *   3  `query`: at least one address is suppressed; `explain`: nothing
 *      is known about the address
 *   1  error (database, input)
 *   2  usage
 */
#include <getopt.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "core/addrkey.h"
#include "lib/arena.h"
#include "cli_store.h"
#include "commands.h"
#include "lib/log.h"
#include "core/policy.h"

enum fmt { FMT_TEXT, FMT_JSON, FMT_CSV };

static int
parse_fmt(const char *s, enum fmt *f, bool csv_ok)
{
	if (!strcmp(s, "text"))
		*f = FMT_TEXT;
	else if (!strcmp(s, "json"))
		*f = FMT_JSON;
	else if (csv_ok && !strcmp(s, "csv"))
		*f = FMT_CSV;
	else
		return -1;
	return 0;
}

static json_t *
jstr(const char *s)
{
	if (s == NULL)
		return json_null();
	json_t *j = json_string(s);
	return j ? j : json_stringn_nocheck(s, strlen(s));
}

static json_t *
supp_json(const struct rb_supp *p, const char *asked)
{
	json_t *o = json_object();
	json_object_set_new(o, "address", jstr(asked ? asked : p->address));
	json_object_set_new(o, "addr_key", jstr(p->addr_key));
	json_object_set_new(o, "suppressed", json_boolean(p->active));
	json_object_set_new(o, "class", jstr(p->found ? p->class : NULL));
	json_object_set_new(o, "reason", jstr(p->reason));
	json_object_set_new(o, "rule", jstr(p->rule));
	json_object_set_new(o, "actor", jstr(p->actor));
	json_object_set_new(o, "since", jstr(p->created_at));
	json_object_set_new(o, "until", jstr(p->expires_at));
	json_object_set_new(o, "removed_at", jstr(p->removed_at));
	json_object_set_new(o, "event_id", p->event_id
						 ? json_integer(p->event_id)
						 : json_null());
	return o;
}

static void
print_json(json_t *o)
{
	char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (s) {
		puts(s);
		free(s);
	}
	json_decref(o);
}

/* RFC 4180 field */
static void
csv_field(FILE *f, const char *s, bool last)
{
	if (s == NULL)
		s = "";
	if (strpbrk(s, ",\"\r\n") != NULL) {
		fputc('"', f);
		for (; *s; s++) {
			if (*s == '"')
				fputc('"', f);
			fputc(*s, f);
		}
		fputc('"', f);
	} else {
		fputs(s, f);
	}
	fputc(last ? '\n' : ',', f);
}

/* ---- query ---- */

int
cmd_query(int argc, char **argv)
{
	static const struct option lo[] = {
	    RB_CLI_OPTIONS,
	    {"format", required_argument, NULL, 'f'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct rb_cli cli = {0};
	enum fmt fmt = FMT_TEXT;
	int c;
	while ((c = rb_cli_getopt(&cli, argc, argv, "d:f:h", lo)) != -1) {
		switch (c) {
		case 'f':
			if (parse_fmt(optarg, &fmt, false) != 0) {
				rb_err("--format must be text or json");
				return 2;
			}
			break;
		case 'h':
			puts("usage: rebound query [--db CONNINFO] [--config FILE] [--format "
			     "text|json] ADDRESS...\n"
			     "exit 0: none suppressed; 3: at least one "
			     "suppressed; 1: error");
			return 0;
		default:
			return 2;
		}
	}
	if (optind >= argc) {
		rb_err("usage: rebound query [--format text|json] ADDRESS...");
		return 2;
	}
	struct rb_store *s = rb_cli_open(&cli, true);
	if (s == NULL)
		return 1;
	int rc = 0;
	for (int i = optind; i < argc; i++) {
		struct rb_supp p;
		if (rb_store_lookup(s, argv[i], &p) != 0) {
			rb_err("%s", rb_store_error(s));
			rc = 1;
			break;
		}
		char brief[600] = "";
		if (p.event_id)
			rb_store_event_brief(s, p.event_id, brief,
					     sizeof(brief));
		if (p.active && rc == 0)
			rc = 3;
		if (fmt == FMT_JSON) {
			json_t *o = supp_json(&p, argv[i]);
			json_object_set_new(o, "evidence",
					    brief[0] ? jstr(brief)
						     : json_null());
			print_json(o);
		} else if (!p.found) {
			printf("%s: not suppressed (no record)\n", argv[i]);
		} else {
			printf("%s: %s (%s, %s) since %s, until %s", argv[i],
			       p.active ? "SUPPRESSED" : "not suppressed",
			       p.class, p.reason ? p.reason : "-",
			       p.created_at,
			       p.expires_at ? p.expires_at : "never");
			if (p.removed_at)
				printf(", removed %s", p.removed_at);
			if (p.actor)
				printf(", by %s", p.actor);
			printf("; rule %s\n", p.rule ? p.rule : "-");
			if (brief[0])
				printf("  evidence: event %lld: %s\n",
				       p.event_id, brief);
		}
		rb_supp_free(&p);
	}
	if (fflush(stdout) != 0)
		rc = 1;
	rb_store_close(s);
	return rc;
}

/* ---- filter ---- */

#define FILTER_CHUNK 5000
/* Bulk mode: once this many lines have been filtered by lookups and the
 * list is at most FILTER_BULK_MAX rows, load the whole active key set
 * once (one COPY) and filter in memory: for large inputs this is many
 * times faster than lookups, at the cost of memory (~70 bytes a key). */
#define FILTER_BULK_AFTER 50000
#define FILTER_BULK_MAX 5000000LL

struct keyset {
	char **v;
	size_t cap, n;
	struct rb_arena arena;
};

static uint64_t
fnv(const char *s)
{
	uint64_t h = 1469598103934665603ULL;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static void
ks_insert(struct keyset *k, const char *key, size_t len)
{
	if ((k->n + 1) * 2 > k->cap) {
		size_t cap = k->cap ? k->cap * 2 : 1u << 16;
		char **v = calloc(cap, sizeof(*v));
		if (v == NULL)
			abort();
		for (size_t i = 0; i < k->cap; i++)
			if (k->v[i]) {
				size_t j = fnv(k->v[i]) & (cap - 1);
				while (v[j])
					j = (j + 1) & (cap - 1);
				v[j] = k->v[i];
			}
		free(k->v);
		k->v = v;
		k->cap = cap;
	}
	size_t j = fnv(key) & (k->cap - 1);
	while (k->v[j]) {
		if (strcmp(k->v[j], key) == 0)
			return;
		j = (j + 1) & (k->cap - 1);
	}
	k->v[j] = rb_arena_strndup(&k->arena, key, len);
	k->n++;
}

static bool
ks_has(const struct keyset *k, const char *key)
{
	if (k->cap == 0)
		return false;
	size_t j = fnv(key) & (k->cap - 1);
	while (k->v[j]) {
		if (strcmp(k->v[j], key) == 0)
			return true;
		j = (j + 1) & (k->cap - 1);
	}
	return false;
}

static int
ks_add_cb(void *ctx, const char *key, size_t len)
{
	ks_insert(ctx, key, len);
	return 0;
}

int
cmd_filter(int argc, char **argv)
{
	static const struct option lo[] = {
	    RB_CLI_OPTIONS,
	    {"suppressed", no_argument, NULL, 's'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct rb_cli cli = {0};
	bool want_suppressed = false;
	int c;
	while ((c = rb_cli_getopt(&cli, argc, argv, "d:sh", lo)) != -1) {
		switch (c) {
		case 's':
			want_suppressed = true;
			break;
		case 'h':
			puts("usage: rebound filter [--db CONNINFO] [--config FILE] "
			     "[--suppressed] < addresses > sendable\n"
			     "One address per line; prints the lines that may "
			     "be sent to\n(--suppressed: those that may not).");
			return 0;
		default:
			return 2;
		}
	}
	if (optind != argc) {
		rb_err("usage: rebound filter [--suppressed] < in > out");
		return 2;
	}
	struct rb_store *s = rb_cli_open(&cli, true);
	if (s == NULL)
		return 1;
	char **lines = calloc(FILTER_CHUNK, sizeof(char *));
	size_t *lens = calloc(FILTER_CHUNK, sizeof(size_t));
	char **keys = calloc(FILTER_CHUNK, sizeof(char *));
	bool *hit = calloc(FILTER_CHUNK, sizeof(bool));
	size_t *caps = calloc(FILTER_CHUNK, sizeof(size_t));
	char *keybuf = malloc((size_t)FILTER_CHUNK * 320);
	if (!lines || !lens || !keys || !hit || !caps || !keybuf) {
		rb_err("out of memory");
		return 1;
	}
	static char empty[] = "";
	int rc = 0;
	bool eof = false, bulk = false, bulk_tried = false;
	unsigned long long done = 0;
	struct keyset ks = {0};
	rb_arena_init(&ks.arena);
	setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	while (!eof && rc == 0) {
		size_t n = 0, koff = 0;
		while (n < FILTER_CHUNK) {
			ssize_t l = getline(&lines[n], &caps[n], stdin);
			if (l < 0) {
				eof = true;
				break;
			}
			while (l > 0 && (lines[n][l - 1] == '\n' ||
					 lines[n][l - 1] == '\r'))
				lines[n][--l] = '\0';
			lens[n] = (size_t)l;
			/* keys longer than an address can be are never on
			 * the list: give them an empty key (no match) */
			char kb[RB_ADDRKEY_MAX + 1];
			size_t kl = rb_addr_key(lines[n], (size_t)l, kb,
						sizeof(kb), NULL);
			if (kl == 0 || kl >= 320) {
				keys[n] = empty;
			} else {
				keys[n] = keybuf + koff;
				memcpy(keys[n], kb, kl + 1);
				koff += kl + 1;
			}
			n++;
		}
		if (n == 0)
			break;
		if (!bulk_tried && done >= FILTER_BULK_AFTER) {
			bulk_tried = true;
			long long est = rb_store_active_estimate(s);
			if (est >= 0 && est <= FILTER_BULK_MAX) {
				if (rb_store_active_keys(s, ks_add_cb, &ks) != 0) {
					rb_err("%s", rb_store_error(s));
					rc = 1;
					break;
				}
				bulk = true;
			}
		}
		done += n;
		if (bulk) {
			for (size_t i = 0; i < n; i++)
				hit[i] = keys[i][0] && ks_has(&ks, keys[i]);
		} else if (rb_store_match(s, (const char *const *)keys, n, hit) !=
			   0) {
			rb_err("%s", rb_store_error(s));
			rc = 1;
			break;
		}
		for (size_t i = 0; i < n; i++) {
			if (lens[i] == 0 || hit[i] != want_suppressed)
				continue;
			fwrite(lines[i], 1, lens[i], stdout);
			putchar('\n');
		}
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		rb_err("write error on standard output");
		rc = 1;
	}
	for (size_t i = 0; i < FILTER_CHUNK; i++)
		free(lines[i]);
	free(lines);
	free(lens);
	free(keys);
	free(hit);
	free(caps);
	free(keybuf);
	free(ks.v);
	rb_arena_free(&ks.arena);
	rb_store_close(s);
	return rc;
}

/* ---- list / export ---- */

struct listctx {
	enum fmt fmt;
	unsigned long n;
};

static int
list_row(void *ctx, const struct rb_supp *p)
{
	struct listctx *l = ctx;
	l->n++;
	switch (l->fmt) {
	case FMT_JSON:
		print_json(supp_json(p, NULL));
		break;
	case FMT_CSV:
		csv_field(stdout, p->address, false);
		csv_field(stdout, p->class, false);
		csv_field(stdout, p->reason, false);
		csv_field(stdout, p->rule, false);
		csv_field(stdout, p->actor, false);
		csv_field(stdout, p->created_at, false);
		csv_field(stdout, p->expires_at, false);
		csv_field(stdout, p->removed_at, false);
		csv_field(stdout, p->active ? "yes" : "no", true);
		break;
	default:
		printf("%s\t%s\t%s\t%s\t%s\t%s\n", p->address, p->class,
		       p->reason ? p->reason : "-", p->created_at,
		       p->expires_at ? p->expires_at : "never",
		       p->active ? "active" : p->removed_at ? "removed"
							    : "expired");
	}
	return ferror(stdout) ? 1 : 0;
}

static int
list_common(int argc, char **argv, bool export)
{
	static const struct option lo[] = {
	    RB_CLI_OPTIONS,
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
			f.cls = optarg;
			break;
		case 'r':
			f.reason = optarg;
			break;
		case 'D':
			f.domain = optarg;
			break;
		case 'S':
			f.since = optarg;
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
			printf("usage: rebound %s [--db CONNINFO] [--config FILE]%s [--class "
			       "hard|complaint|soft|manual]\n"
			       "  [--reason R] [--domain D] [--since "
			       "ISO8601] [--active|--expired|--all]\n",
			       export ? "export" : "list",
			       export ? "" : " [--format text|json|csv]");
			return 0;
		default:
			return 2;
		}
	}
	if (optind != argc) {
		rb_err("unexpected argument '%s'", argv[optind]);
		return 2;
	}
	struct rb_store *s = rb_cli_open(&cli, true);
	if (s == NULL)
		return 1;
	if (l.fmt == FMT_CSV)
		puts("address,class,reason,rule,actor,since,expires_at,"
		     "removed_at,active");
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
	    {"actor", required_argument, NULL, 'a'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct rb_cli cli = {0};
	const char *actor = NULL;
	int c;
	while ((c = rb_cli_getopt(&cli, argc, argv, "d:a:h", lo)) != -1) {
		switch (c) {
		case 'a':
			actor = optarg;
			break;
		case 'h':
			puts("usage: rebound import [--db CONNINFO] [--config FILE] [--actor "
			     "NAME] FILE.csv|-\n"
			     "CSV columns: address[,reason[,expires_at]], or "
			     "a header row naming\naddress, reason, "
			     "expires_at (rebound export's format works).");
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
	int col_addr = 0, col_reason = 1, col_exp = 2;
	bool first = true;
	unsigned long total = 0, added = 0, lines = 0;
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
				if (nf > 0 && strcasecmp(fl[0], "address") == 0) {
					col_reason = col_exp = -1;
					for (int i = 0; i < nf; i++) {
						if (!strcasecmp(fl[i], "reason"))
							col_reason = i;
						if (!strcasecmp(fl[i],
								"expires_at") ||
						    !strcasecmp(fl[i], "expires"))
							col_exp = i;
					}
					continue;
				}
			}
			if (nf <= col_addr || fl[col_addr][0] == '\0' ||
			    fl[col_addr][0] == '#')
				continue;
			rows[n].address = fl[col_addr];
			rows[n].reason =
			    col_reason >= 0 && col_reason < nf ? fl[col_reason]
							       : NULL;
			rows[n].expires =
			    col_exp >= 0 && col_exp < nf ? fl[col_exp] : NULL;
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
	if (rc == 0 && rb_store_commit(s) != 0) {
		rb_err("%s", rb_store_error(s));
		rc = 1;
	}
	if (rc != 0)
		rb_store_rollback(s);
	else
		printf("imported %lu addresses: %lu added, %lu already "
		       "suppressed or repeated\n",
		       total, added, total - added);
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

/* ---- explain ---- */

int
cmd_explain(int argc, char **argv)
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
			puts("usage: rebound explain [--db CONNINFO] [--config FILE] ADDRESS...");
			return 0;
		default:
			return 2;
		}
	}
	if (optind >= argc) {
		rb_err("usage: rebound explain ADDRESS...");
		return 2;
	}
	struct rb_store *s = rb_cli_open(&cli, true);
	if (s == NULL)
		return 1;
	int rc = 0;
	for (int i = optind; i < argc; i++) {
		int r = rb_store_explain(s, argv[i], stdout);
		if (r < 0) {
			rb_err("%s", rb_store_error(s));
			rc = 1;
			break;
		}
		if (r == 1 && rc == 0)
			rc = 3;
	}
	rb_store_close(s);
	return rc;
}

/* ---- suppress / unsuppress ---- */

static int
manual(int argc, char **argv, bool add)
{
	static const struct option lo[] = {
	    RB_CLI_OPTIONS,
	    {"reason", required_argument, NULL, 'r'},
	    {"actor", required_argument, NULL, 'a'},
	    {"until", required_argument, NULL, 'u'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct rb_cli cli = {0};
	const char *reason = NULL, *actor = NULL, *until = NULL;
	int c;
	while ((c = rb_cli_getopt(&cli, argc, argv, "d:r:a:u:h", lo)) != -1) {
		switch (c) {
		case 'r':
			reason = optarg;
			break;
		case 'a':
			actor = optarg;
			break;
		case 'u':
			until = optarg;
			break;
		case 'h':
			printf("usage: rebound %s [--db CONNINFO] [--config FILE] --reason TEXT "
			       "[--actor NAME]%s ADDRESS...\n",
			       add ? "suppress" : "unsuppress",
			       add ? " [--until ISO8601]" : "");
			return 0;
		default:
			return 2;
		}
	}
	if (optind >= argc || reason == NULL || reason[0] == '\0') {
		rb_err("usage: rebound %s --reason TEXT [--actor NAME] "
		       "ADDRESS...",
		       add ? "suppress" : "unsuppress");
		return 2;
	}
	if (!add && until) {
		rb_err("--until applies to suppress only");
		return 2;
	}
	struct rb_store *s = rb_cli_open(&cli, true);
	if (s == NULL)
		return 1;
	actor = rb_cli_actor(actor);
	int rc = 0;
	for (int i = optind; i < argc; i++) {
		bool changed;
		int r = add ? rb_store_suppress(s, argv[i], reason, actor, until,
						&changed)
			    : rb_store_unsuppress(s, argv[i], reason, actor,
						  &changed);
		if (r != 0) {
			rb_err("%s: %s", argv[i], rb_store_error(s));
			rc = 1;
			continue;
		}
		printf("%s: %s\n", argv[i],
		       changed ? (add ? "suppressed" : "unsuppressed")
			       : (add ? "already suppressed"
				      : "was not suppressed"));
	}
	rb_store_close(s);
	return rc;
}

int
cmd_suppress(int argc, char **argv)
{
	return manual(argc, argv, true);
}

int
cmd_unsuppress(int argc, char **argv)
{
	return manual(argc, argv, false);
}
