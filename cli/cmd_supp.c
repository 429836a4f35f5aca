/*
 * The commands senders use: query, filter, list, export, import, explain,
 * suppress, unsuppress.  Exit statuses: the table in cli_store.h (enum
 * rb_exit), the same in every command.  Every address given is read with
 * core/addrin (display names, brackets, BOM, spaces); what holds no
 * address is reported, never taken for an address nobody suppressed.
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
	json_object_set_new(o, "scope",
			    p->found ? jstr(p->scope[0] ? p->scope : "global")
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

/* Print what could not be read as an address: where, why, and the text
 * (at most 120 bytes, control characters shown as '?'). */
static void
report_invalid(const char *what, unsigned long line, const char *text,
	       size_t n, enum rb_addrin_err e)
{
	char shown[121];
	size_t k = 0;
	for (size_t i = 0; i < n && k < sizeof(shown) - 1; i++) {
		unsigned char c = (unsigned char)text[i];
		if (c == '\n' || c == '\r')
			continue;
		shown[k++] = c < 0x20 || c == 0x7f ? '?' : (char)c;
	}
	shown[k] = '\0';
	if (line)
		fprintf(stderr, "rebound %s: line %lu: not an address (%s): %s\n",
			what, line, rb_addrin_error(e), shown);
	else
		fprintf(stderr, "rebound %s: not an address (%s): '%s'\n", what,
			rb_addrin_error(e), shown);
}

/* the address in arg as a NUL-terminated copy in buf; false (after
 * reporting it) when arg holds none */
static bool
arg_address(const char *what, const char *arg, char *buf, size_t cap)
{
	const char *a;
	size_t n;
	enum rb_addrin_err e = rb_addr_input(arg, strlen(arg), &a, &n);
	if (e != RB_ADDRIN_OK || n >= cap) {
		report_invalid(what, 0, arg, strlen(arg),
			       e != RB_ADDRIN_OK ? e : RB_ADDRIN_LONG);
		return false;
	}
	memcpy(buf, a, n);
	buf[n] = '\0';
	return true;
}

/* the exit status of several answers: errors first, then what says
 * "do not send" most plainly */
static int
worse(int a, int b)
{
	static const int rank[] = {[RB_EXIT_OK] = 0,	    [RB_EXIT_SUPPRESSED] = 1,
				   [RB_EXIT_INVALID] = 2,   [RB_EXIT_USAGE] = 3,
				   [RB_EXIT_ERROR] = 4,	    [RB_EXIT_NODB] = 5};
	return rank[a] >= rank[b] ? a : b;
}

/* ---- query ---- */

int
cmd_query(int argc, char **argv)
{
	static const struct option lo[] = {
	    RB_CLI_OPTIONS,
	    RB_CLI_SCOPE_OPTIONS,
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
				return RB_EXIT_USAGE;
			}
			break;
		case 'h':
			puts("usage: rebound query [--db CONNINFO] [--config FILE] [--tenant T [--stream S]] [--format "
			     "text|json] ADDRESS...\n"
			     "ADDRESS as people write it: 'Carol <carol@example.org>', "
			     "any case,\nUnicode or IDN.\n"
			     "exit 0: none suppressed; 3: at least one "
			     "suppressed; 5: one is not an\naddress; 4: no "
			     "database; 1: error (see rebound --help)");
			return RB_EXIT_OK;
		default:
			return RB_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		rb_err("usage: rebound query [--format text|json] ADDRESS...");
		return RB_EXIT_USAGE;
	}
	struct rb_store *s = rb_cli_open(&cli, true);
	if (s == NULL)
		return RB_EXIT_ERROR;
	int rc = RB_EXIT_OK;
	for (int i = optind; i < argc; i++) {
		char addr[RB_ADDRIN_MAX + 1];
		if (!arg_address("query", argv[i], addr, sizeof(addr))) {
			rc = worse(rc, RB_EXIT_INVALID);
			if (fmt == FMT_JSON) {
				json_t *o = json_object();
				json_object_set_new(o, "address", jstr(argv[i]));
				json_object_set_new(o, "error",
						    json_string("not an address"));
				print_json(o);
			}
			continue;
		}
		struct rb_supp p;
		if (rb_store_lookup(s, addr, &p) != 0) {
			rb_err("%s", rb_store_error(s));
			rc = worse(rc, RB_EXIT_ERROR);
			break;
		}
		char brief[600] = "";
		if (p.event_id)
			rb_store_event_brief(s, p.event_id, brief,
					     sizeof(brief));
		if (p.active)
			rc = worse(rc, RB_EXIT_SUPPRESSED);
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
			printf("; rule %s; scope %s\n", p.rule ? p.rule : "-",
			       p.scope[0] ? p.scope : "global");
			if (brief[0])
				printf("  evidence: event %lld: %s\n",
				       p.event_id, brief);
		}
		rb_supp_free(&p);
	}
	if (fflush(stdout) != 0)
		rc = worse(rc, RB_EXIT_ERROR);
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

enum invalid_mode { INVALID_DROP, INVALID_KEEP, INVALID_FAIL };
/* what a line is */
enum line_kind { LINE_EMPTY, LINE_HEADER, LINE_ADDR, LINE_INVALID };

struct fields {
	char delim;		/* '\t', ',' or 0: decide per line */
	int column;		/* 0-based */
	const char *name;	/* --column NAME (found in the header) */
	int header;		/* -1 auto, 0 no, 1 yes */
};

/*
 * Field col (0-based) of line (n bytes, no line end) split at delim
 * outside double quotes (delim 0: at the first tab, else the first
 * comma); a quoted field is unquoted ("" -> ") into out (cap bytes).
 * Returns the field's length, or -1 when the line has fewer fields.
 */
static ssize_t
field_of(const char *line, size_t n, char delim, int col, char *out,
	 size_t cap)
{
	if (delim == 0) {
		bool q = false, tab = false;
		for (size_t i = 0; i < n; i++) {
			if (line[i] == '"')
				q = !q;
			else if (!q && line[i] == '\t')
				tab = true;
		}
		delim = tab ? '\t' : ',';
	}
	int f = 0;
	size_t i = 0;
	while (f < col) {
		bool q = false;
		for (; i < n && (q || line[i] != delim); i++)
			if (line[i] == '"')
				q = !q;
		if (i >= n)
			return -1;
		i++;
		f++;
	}
	/* skip white space before an opening quote */
	size_t j = i;
	while (j < n && (line[j] == ' ' || line[j] == '\t') && line[j] != delim)
		j++;
	size_t o = 0;
	if (j < n && line[j] == '"') {
		/* a quoted field that is the whole field: unquote it; text
		 * after the closing quote (a display name's <address>) stays */
		size_t k = j + 1;
		bool closed = false;
		for (; k < n; k++) {
			if (line[k] == '"' && k + 1 < n && line[k + 1] == '"') {
				if (o + 1 < cap)
					out[o++] = '"';
				k++;
				continue;
			}
			if (line[k] == '"') {
				closed = true;
				k++;
				break;
			}
			if (o + 1 < cap)
				out[o++] = line[k];
		}
		size_t e = k;
		while (e < n && line[e] != delim)
			e++;
		bool only_space = true;
		for (size_t t = k; t < e; t++)
			if (line[t] != ' ' && line[t] != '\t' && line[t] != '\r')
				only_space = false;
		if (closed && only_space) {
			out[o] = '\0';
			return (ssize_t)o;
		}
		/* not a CSV-quoted field ("Carol" <carol@...>): as written */
	}
	o = 0;
	bool q = false;
	for (size_t k = i; k < n && (q || line[k] != delim); k++) {
		if (line[k] == '"')
			q = !q;
		if (o + 1 < cap)
			out[o++] = line[k];
	}
	out[o] = '\0';
	return (ssize_t)o;
}

/* the column named name in a header line; -1 when absent */
static int
column_named(const char *line, size_t n, char delim, const char *name)
{
	char f[1024];
	for (int col = 0; col < 1000; col++) {
		ssize_t l = field_of(line, n, delim, col, f, sizeof(f));
		if (l < 0)
			return -1;
		const char *a = f;
		size_t al = (size_t)l;
		/* BOM and spaces around a name */
		if (al >= 3 && !memcmp(a, "\xef\xbb\xbf", 3))
			a += 3, al -= 3;
		while (al > 0 && (*a == ' ' || *a == '\t'))
			a++, al--;
		while (al > 0 && (a[al - 1] == ' ' || a[al - 1] == '\t' ||
				  a[al - 1] == '\r'))
			al--;
		if (al == strlen(name) && strncasecmp(a, name, al) == 0)
			return col;
	}
	return -1;
}

static bool
blank(const char *s, size_t n)
{
	const char *a;
	size_t l;
	return rb_addr_input(s, n, &a, &l) == RB_ADDRIN_EMPTY;
}

/* header words of address columns, for a header line without a
 * delimiter */
static bool
header_word(const char *f, size_t n)
{
	static const char *const w[] = {"email", "e-mail", "mail", "address",
					"email address", "recipient", "to",
					"邮箱", "邮件地址", "电子邮件", "收件人",
					"地址", NULL};
	while (n > 0 && (*f == ' ' || *f == '\t'))
		f++, n--;
	if (n >= 3 && !memcmp(f, "\xef\xbb\xbf", 3))
		f += 3, n -= 3;
	while (n > 0 && (f[n - 1] == ' ' || f[n - 1] == '\r'))
		n--;
	for (int i = 0; w[i]; i++)
		if (strlen(w[i]) == n && strncasecmp(f, w[i], n) == 0)
			return true;
	return false;
}

static int
filter_usage(FILE *f)
{
	fputs("usage: rebound filter [--db CONNINFO] [--config FILE] [--tenant T [--stream S]] "
	      "[--suppressed]\n"
	      "       [--column N|NAME] [--delimiter tab|comma] [--header|"
	      "--no-header]\n"
	      "       [--invalid drop|keep|fail] < in > out\n"
	      "Prints the input lines (unchanged) whose address may be sent "
	      "to\n(--suppressed: those whose address may not).  One address "
	      "a line, or CSV/TSV:\nthe address is the first field, or "
	      "--column N (from 1) or NAME (the header\nrow's name; a first "
	      "row without an address is a header and is passed on).\n"
	      "Lines without an address are reported on stderr with their "
	      "line number;\n--invalid drop (default: not printed, exit 5), "
	      "keep (printed, exit 0),\nfail (nothing printed, exit 5).\n",
	      f);
	return f == stdout ? RB_EXIT_OK : RB_EXIT_USAGE;
}

int
cmd_filter(int argc, char **argv)
{
	static const struct option lo[] = {
	    RB_CLI_OPTIONS,
	    RB_CLI_SCOPE_OPTIONS,
	    {"suppressed", no_argument, NULL, 's'},
	    {"column", required_argument, NULL, 'c'},
	    {"delimiter", required_argument, NULL, 'D'},
	    {"header", no_argument, NULL, 'H'},
	    {"no-header", no_argument, NULL, 'N'},
	    {"invalid", required_argument, NULL, 'i'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct rb_cli cli = {0};
	bool want_suppressed = false;
	enum invalid_mode inv = INVALID_DROP;
	struct fields fs = {.delim = 0, .column = 0, .header = -1};
	bool column_given = false;
	int c;
	while ((c = rb_cli_getopt(&cli, argc, argv, "d:sc:i:h", lo)) != -1) {
		switch (c) {
		case 's':
			want_suppressed = true;
			break;
		case 'c': {
			char *end;
			long v = strtol(optarg, &end, 10);
			column_given = true;
			if (*end == '\0' && end != optarg) {
				if (v < 1 || v > 1000) {
					rb_err("--column: a number from 1 to "
					       "1000, or a header name");
					return RB_EXIT_USAGE;
				}
				fs.column = (int)v - 1;
			} else if (optarg[0] == '\0') {
				rb_err("--column: a number or a header name");
				return RB_EXIT_USAGE;
			} else {
				fs.name = optarg;
			}
			break;
		}
		case 'D':
			if (!strcmp(optarg, "tab") || !strcmp(optarg, "\t"))
				fs.delim = '\t';
			else if (!strcmp(optarg, "comma") || !strcmp(optarg, ","))
				fs.delim = ',';
			else {
				rb_err("--delimiter must be tab or comma");
				return RB_EXIT_USAGE;
			}
			break;
		case 'H':
			fs.header = 1;
			break;
		case 'N':
			fs.header = 0;
			break;
		case 'i':
			if (!strcmp(optarg, "drop"))
				inv = INVALID_DROP;
			else if (!strcmp(optarg, "keep"))
				inv = INVALID_KEEP;
			else if (!strcmp(optarg, "fail"))
				inv = INVALID_FAIL;
			else {
				rb_err("--invalid must be drop, keep or fail");
				return RB_EXIT_USAGE;
			}
			break;
		case 'h':
			return filter_usage(stdout);
		default:
			return filter_usage(stderr);
		}
	}
	if (optind != argc)
		return filter_usage(stderr);
	if (fs.name != NULL && fs.header == 0) {
		rb_err("--column NAME needs the header row");
		return RB_EXIT_USAGE;
	}
	struct rb_store *s = rb_cli_open(&cli, true);
	if (s == NULL)
		return RB_EXIT_ERROR;
	/* --invalid fail: nothing is printed unless every line is good */
	FILE *out = stdout;
	if (inv == INVALID_FAIL && (out = tmpfile()) == NULL) {
		rb_err("cannot create a temporary file");
		rb_store_close(s);
		return RB_EXIT_ERROR;
	}
	char **lines = calloc(FILTER_CHUNK, sizeof(char *));
	size_t *lens = calloc(FILTER_CHUNK, sizeof(size_t));
	size_t *caps = calloc(FILTER_CHUNK, sizeof(size_t));
	char **keys = calloc(FILTER_CHUNK, sizeof(char *));
	unsigned char *kind = calloc(FILTER_CHUNK, 1);
	bool *hit = calloc(FILTER_CHUNK, sizeof(bool));
	char *keybuf = malloc((size_t)FILTER_CHUNK * (RB_ADDRKEY_MAX + 1));
	if (!lines || !lens || !keys || !hit || !caps || !keybuf || !kind) {
		rb_err("out of memory");
		return RB_EXIT_ERROR;
	}
	static char empty[] = "";
	int rc = RB_EXIT_OK;
	bool eof = false, bulk = false, bulk_tried = false, first = true;
	unsigned long long done = 0;
	unsigned long lineno = 0, invalid = 0;
	struct keyset ks = {0};
	rb_arena_init(&ks.arena);
	setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	char field[4096];
	while (!eof && rc == RB_EXIT_OK) {
		size_t n = 0, koff = 0;
		while (n < FILTER_CHUNK) {
			ssize_t l = getline(&lines[n], &caps[n], stdin);
			if (l < 0) {
				eof = true;
				break;
			}
			lineno++;
			lens[n] = (size_t)l;
			keys[n] = empty;
			size_t body = (size_t)l;
			while (body > 0 && (lines[n][body - 1] == '\n' ||
					    lines[n][body - 1] == '\r'))
				body--;
			if (blank(lines[n], body)) {
				kind[n++] = LINE_EMPTY;
				continue;
			}
			if (first) {
				first = false;
				if (fs.delim == 0 && (column_given || fs.name))
					fs.delim = memchr(lines[n], '\t', body)
						       ? '\t'
						       : ',';
				if (fs.name != NULL) {
					int col = column_named(lines[n], body,
							       fs.delim,
							       fs.name);
					if (col < 0) {
						rb_err("--column %s: no such "
						       "column in the header "
						       "row",
						       fs.name);
						rc = RB_EXIT_USAGE;
						break;
					}
					fs.column = col;
					kind[n++] = LINE_HEADER;
					continue;
				}
				if (fs.header == 1) {
					kind[n++] = LINE_HEADER;
					continue;
				}
				if (fs.header == -1) {
					ssize_t fl = field_of(lines[n], body,
							      fs.delim,
							      fs.column, field,
							      sizeof(field));
					bool delimited =
					    memchr(lines[n], '\t', body) ||
					    memchr(lines[n], ',', body);
					if (fl >= 0 && !memchr(field, '@', (size_t)fl) &&
					    (delimited || column_given ||
					     header_word(field, (size_t)fl))) {
						kind[n++] = LINE_HEADER;
						continue;
					}
				}
			}
			ssize_t fl = field_of(lines[n], body, fs.delim,
					      fs.column, field, sizeof(field));
			const char *a = NULL;
			size_t al = 0;
			enum rb_addrin_err e =
			    fl < 0 ? RB_ADDRIN_EMPTY
				   : rb_addr_input(field, (size_t)fl, &a, &al);
			char kb[RB_ADDRKEY_MAX + 1];
			size_t kl = e == RB_ADDRIN_OK
					? rb_addr_key(a, al, kb, sizeof(kb), NULL)
					: 0;
			if (kl == 0) {
				invalid++;
				report_invalid("filter", lineno, lines[n],
					       body,
					       e != RB_ADDRIN_OK ? e
								 : RB_ADDRIN_EMPTY);
				kind[n++] = LINE_INVALID;
				continue;
			}
			keys[n] = keybuf + koff;
			memcpy(keys[n], kb, kl + 1);
			koff += kl + 1;
			kind[n++] = LINE_ADDR;
		}
		if (n == 0 || rc != RB_EXIT_OK)
			break;
		if (!bulk_tried && done >= FILTER_BULK_AFTER) {
			bulk_tried = true;
			long long est = rb_store_active_estimate(s);
			if (est >= 0 && est <= FILTER_BULK_MAX) {
				if (rb_store_active_keys(s, ks_add_cb, &ks) != 0) {
					rb_err("%s", rb_store_error(s));
					rc = RB_EXIT_ERROR;
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
			rc = RB_EXIT_ERROR;
			break;
		}
		for (size_t i = 0; i < n; i++) {
			bool print;
			switch (kind[i]) {
			case LINE_HEADER:
				print = true;
				break;
			case LINE_ADDR:
				print = hit[i] == want_suppressed;
				break;
			case LINE_INVALID:
				print = inv == INVALID_KEEP;
				break;
			default:
				print = false;
			}
			if (!print)
				continue;
			fwrite(lines[i], 1, lens[i], out);
			if (lens[i] == 0 || lines[i][lens[i] - 1] != '\n')
				putc('\n', out);
		}
	}
	if (rc == RB_EXIT_OK && invalid > 0) {
		fprintf(stderr, "rebound filter: %lu line(s) without an "
				"address %s\n",
			invalid,
			inv == INVALID_KEEP   ? "passed on (--invalid keep)"
			: inv == INVALID_DROP ? "dropped"
					      : "(--invalid fail: nothing printed)");
		if (inv != INVALID_KEEP)
			rc = RB_EXIT_INVALID;
	}
	if (inv == INVALID_FAIL) {
		if (rc == RB_EXIT_OK) {
			rewind(out);
			char buf[65536];
			size_t k;
			while ((k = fread(buf, 1, sizeof(buf), out)) > 0)
				fwrite(buf, 1, k, stdout);
		}
		fclose(out);
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		rb_err("write error on standard output");
		rc = worse(rc, RB_EXIT_ERROR);
	}
	for (size_t i = 0; i < FILTER_CHUNK; i++)
		free(lines[i]);
	free(lines);
	free(lens);
	free(keys);
	free(hit);
	free(caps);
	free(kind);
	free(keybuf);
	free(ks.v);
	rb_arena_free(&ks.arena);
	rb_store_close(s);
	return rc;
}

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

/* ---- explain ---- */

int
cmd_explain(int argc, char **argv)
{
	static const struct option lo[] = {
	    RB_CLI_OPTIONS,
	    RB_CLI_SCOPE_OPTIONS,
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct rb_cli cli = {0};
	int c;
	while ((c = rb_cli_getopt(&cli, argc, argv, "d:h", lo)) != -1) {
		switch (c) {
		case 'h':
			puts("usage: rebound explain [--db CONNINFO] [--config FILE] [--tenant T [--stream S]] ADDRESS...\n"
			     "exit 0: none suppressed (known or not); 3: at "
			     "least one suppressed;\n5: one is not an address");
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
	int rc = RB_EXIT_OK;
	for (int i = optind; i < argc; i++) {
		char addr[RB_ADDRIN_MAX + 1];
		if (!arg_address("explain", argv[i], addr, sizeof(addr))) {
			rc = worse(rc, RB_EXIT_INVALID);
			continue;
		}
		struct rb_supp p;
		if (rb_store_lookup(s, addr, &p) != 0 ||
		    rb_store_explain(s, addr, stdout) < 0) {
			rb_err("%s", rb_store_error(s));
			rc = worse(rc, RB_EXIT_ERROR);
			break;
		}
		/* the same meaning as query's: 3 is "suppressed" */
		if (p.active)
			rc = worse(rc, RB_EXIT_SUPPRESSED);
		rb_supp_free(&p);
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
	    RB_CLI_SCOPE_OPTIONS,
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
			printf("usage: rebound %s [--db CONNINFO] [--config FILE] [--tenant T [--stream S]] --reason TEXT "
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
	int rc = RB_EXIT_OK;
	for (int i = optind; i < argc; i++) {
		bool changed;
		char addr[RB_ADDRIN_MAX + 1];
		if (!arg_address(add ? "suppress" : "unsuppress", argv[i], addr,
				 sizeof(addr))) {
			rc = worse(rc, RB_EXIT_INVALID);
			continue;
		}
		int r = add ? rb_store_suppress(s, addr, reason, actor, until,
						&changed)
			    : rb_store_unsuppress(s, addr, reason, actor,
						  &changed);
		if (r != 0) {
			rb_err("%s: %s", argv[i], rb_store_error(s));
			rc = worse(rc, RB_EXIT_ERROR);
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
