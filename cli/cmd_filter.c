/*
 * rebound filter: the sendable lines of a list (plain, CSV or TSV).
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

