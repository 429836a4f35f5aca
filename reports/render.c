/*
 * render: text, CSV and JSON renderings of a finished report.  All three
 * print the same rows with the same numbers; only the presentation
 * differs (text groups digits and shows rates in percent, CSV and JSON
 * carry plain integers and rates as fractions).
 */
#include <jansson.h>
#include <string.h>

#include "report.h"
#include "textutil.h"

#define TEXT_KEY_WIDTH 40	/* columns a key value may take in text */

static int
window_days(const struct rb_report *r)
{
	return rb_day_diff(r->from, r->to) + 1;
}

/* ------------------------------------------------------------------ text */

struct tcol {
	const char *head;
	bool right;
	size_t width;
};

/* one table line: cells padded to their column, no trailing blanks */
static void
line_out(FILE *out, const struct tcol *c, int nc, const char *const *cells)
{
	char buf[4096];
	size_t o = 0;
	for (int j = 0; j < nc; j++) {
		const char *s = cells[j];
		size_t w = rb_u8_width(s), l = strlen(s);
		size_t gap = c[j].width > w ? c[j].width - w : 0;
		if (o + gap + l + 2 >= sizeof buf)
			break;	/* cannot happen with cut keys; stay safe */
		if (c[j].right) {
			memset(buf + o, ' ', gap);
			o += gap;
		}
		memcpy(buf + o, s, l);
		o += l;
		if (!c[j].right) {
			memset(buf + o, ' ', gap);
			o += gap;
		}
		if (j < nc - 1) {
			memcpy(buf + o, "  ", 2);
			o += 2;
		}
	}
	while (o > 0 && buf[o - 1] == ' ')
		o--;
	buf[o++] = '\n';
	fwrite(buf, 1, o, out);
}

static const char *
mark_text(const struct rb_report *r, double rate, char *buf)
{
	const char *m = rb_report_mark(r, rate);
	if (m == NULL || strcmp(m, "ok") == 0)
		return m ? "ok" : "";
	char pct[32];
	rb_fmt_rate(strcmp(m, "over") == 0 ? r->limit : r->warn, pct);
	/* "0.100%" reads better as "0.1%" in a mark */
	char *dot = strchr(pct, '.');
	if (dot) {
		size_t l = strlen(pct);
		while (l > 2 && pct[l - 2] == '0' && &pct[l - 2] > dot + 1) {
			pct[l - 2] = '%';
			pct[--l] = '\0';
		}
	}
	snprintf(buf, 48, "%s >= %s", strcmp(m, "over") == 0 ? "OVER" : "warn",
		 pct);
	return buf;
}

int
rb_render_text(const struct rb_report *r, FILE *out)
{
	const struct rb_report_kinddef *k = &rb_report_kinds[r->kind];
	struct rb_arena a;
	rb_arena_init(&a);
	char b1[32], b2[32], b3[32], m[48];

	fprintf(out, "%s: %s to %s (%d day%s)", k->title, r->from, r->to,
		window_days(r), window_days(r) == 1 ? "" : "s");
	for (int i = 0; i < r->nkeys; i++)
		fprintf(out, "%s%s", i ? ", " : ", by ", r->keys[i]->name);
	if (r->tenant)
		fprintf(out, ", tenant %s", r->tenant);
	if (r->stream)
		fprintf(out, ", stream %s", r->stream);
	fputc('\n', out);
	fprintf(out, "Total: %s %s", rb_fmt_count(r->total.n, b1), k->count);
	if (k->sub2)
		fprintf(out, " (%s %s, %s %s)", rb_fmt_count(r->total.sub, b2),
			k->sub, rb_fmt_count(r->total.n - r->total.sub, b3),
			k->sub2);
	else if (r->total.sub)
		fprintf(out, " (%s %s)", rb_fmt_count(r->total.sub, b2),
			k->sub);
	if (r->total.sent >= 0 && r->days_unsent > 0) {
		fprintf(out, ", %s sent, %s %s %s", rb_fmt_count(r->total.sent, b1),
			k->rate, rb_fmt_rate(r->total.rate, b2),
			mark_text(r, r->total.rate, m));
		fprintf(out, " (%s %s on the days with sent counts)\n",
			rb_fmt_count(r->rated_n, b1), k->count);
		fprintf(out, "%zu of %d days have no sent counts: their %s "
			     "are not in the rate (rebound sent import)\n",
			r->days_unsent, window_days(r), k->count);
	} else if (r->total.sent >= 0)
		fprintf(out, ", %s sent, %s %s %s\n",
			rb_fmt_count(r->total.sent, b1), k->rate,
			rb_fmt_rate(r->total.rate, b2),
			mark_text(r, r->total.rate, m));
	else
		fprintf(out, ", no sent counts for this window (rebound sent "
			     "import)\n");
	fputc('\n', out);

	if (r->nrows == 0) {
		fprintf(out, "No %s in this window.\n", k->count);
		rb_arena_free(&a);
		return ferror(out) ? -1 : 0;
	}

	/* columns: keys, count, sub[, sub2][, in rate, days w/o sent],
	 * sent, rate, mark */
	struct tcol c[RB_REPORT_MAXKEYS + 8];
	bool unsent = rb_report_rows_unsent(r);
	int nc = 0;
	for (int i = 0; i < r->nkeys; i++)
		c[nc++] = (struct tcol){r->keys[i]->label, false, 0};
	int first_num = nc;
	c[nc++] = (struct tcol){k->count, true, 0};
	bool show_sub = k->sub2 != NULL || r->total.sub != 0;
	if (show_sub)
		c[nc++] = (struct tcol){k->sub, true, 0};
	if (k->sub2)
		c[nc++] = (struct tcol){k->sub2, true, 0};
	if (unsent) {
		c[nc++] = (struct tcol){"in rate", true, 0};
		c[nc++] = (struct tcol){"days w/o sent", true, 0};
	}
	c[nc++] = (struct tcol){"sent", true, 0};
	c[nc++] = (struct tcol){"rate", true, 0};
	c[nc++] = (struct tcol){"mark", false, 0};

	/* cells as strings first, to size the columns */
	size_t rows = r->nrows + (r->omitted ? 1 : 0);
	const char **cells = rb_arena_alloc(&a, sizeof *cells * rows * (size_t)nc);
	for (size_t i = 0; i < r->nrows; i++) {
		const struct rb_report_row *row = &r->rows[i];
		const char **rc = cells + i * (size_t)nc;
		int j = 0;
		for (; j < r->nkeys; j++)
			rc[j] = rb_u8_clean(&a, row->keys[j], 1,
					    TEXT_KEY_WIDTH);
		rc[j++] = rb_arena_strdup(&a, rb_fmt_count(row->n, b1));
		if (show_sub)
			rc[j++] = rb_arena_strdup(&a, rb_fmt_count(row->sub, b1));
		if (k->sub2)
			rc[j++] = rb_arena_strdup(
			    &a, rb_fmt_count(row->n - row->sub, b1));
		if (unsent) {
			rc[j++] = row->rated >= 0 && row->sent >= 0
				      ? rb_arena_strdup(
					    &a, rb_fmt_count(row->rated, b1))
				      : "-";
			rc[j++] = row->rated >= 0
				      ? rb_arena_strdup(
					    &a, rb_fmt_count(row->days_unsent,
							     b1))
				      : "-";
		}
		rc[j++] = row->sent >= 0
			      ? rb_arena_strdup(&a, rb_fmt_count(row->sent, b1))
			      : "-";
		rc[j++] = rb_arena_strdup(&a, rb_fmt_rate(row->rate, b1));
		rc[j++] = rb_arena_strdup(&a, mark_text(r, row->rate, m));
	}
	if (r->omitted) {
		const char **rc = cells + r->nrows * (size_t)nc;
		for (int j = 0; j < nc; j++)
			rc[j] = "";
		rc[0] = rb_arena_printf(&a, "(%zu more)", r->omitted);
		rc[first_num] =
		    rb_arena_strdup(&a, rb_fmt_count(r->omitted_n, b1));
	}
	for (int j = 0; j < nc; j++) {
		c[j].width = rb_u8_width(c[j].head);
		for (size_t i = 0; i < rows; i++) {
			size_t w = rb_u8_width(cells[i * (size_t)nc + j]);
			if (w > c[j].width)
				c[j].width = w;
		}
	}
	const char *heads[RB_REPORT_MAXKEYS + 8];
	size_t line = 0;
	for (int j = 0; j < nc; j++) {
		heads[j] = c[j].head;
		line += c[j].width + (j < nc - 1 ? 2 : 0);
	}
	line_out(out, c, nc, heads);
	for (size_t i = 0; i < line; i++)
		fputc('-', out);
	fputc('\n', out);
	for (size_t i = 0; i < rows; i++)
		line_out(out, c, nc, cells + i * (size_t)nc);
	rb_arena_free(&a);
	return ferror(out) ? -1 : 0;
}

/* ------------------------------------------------------------------- CSV */

int
rb_render_csv(const struct rb_report *r, FILE *out)
{
	const struct rb_report_kinddef *k = &rb_report_kinds[r->kind];
	struct rb_arena a;
	rb_arena_init(&a);
	for (int i = 0; i < r->nkeys; i++) {
		rb_csv_field(out, r->keys[i]->name);
		fputc(',', out);
	}
	fprintf(out, "%s,%s,%s%ssent,rate,mark,rated,days_without_sent\r\n",
		k->count, k->sub, k->sub2 ? k->sub2 : "", k->sub2 ? "," : "");
	for (size_t i = 0; i < r->nrows; i++) {
		const struct rb_report_row *row = &r->rows[i];
		for (int j = 0; j < r->nkeys; j++) {
			/* quoted CSV could carry line breaks, but many
			 * readers split records on them: one line each */
			rb_csv_field(out, rb_u8_clean(&a, row->keys[j], 1, 0));
			fputc(',', out);
		}
		fprintf(out, "%lld,%lld,", row->n, row->sub);
		if (k->sub2)
			fprintf(out, "%lld,", row->n - row->sub);
		if (row->sent >= 0)
			fprintf(out, "%lld,", row->sent);
		else
			fputc(',', out);
		if (row->rate >= 0)
			fprintf(out, "%.6g,%s,", row->rate,
				rb_report_mark(r, row->rate));
		else
			fputs(",,", out);
		if (row->rated >= 0)
			fprintf(out, "%lld,%lld\r\n", row->rated,
				row->days_unsent);
		else
			fputs(",\r\n", out);
	}
	rb_arena_free(&a);
	return ferror(out) ? -1 : 0;
}

/* ------------------------------------------------------------------ JSON */

static json_t *
jstr(struct rb_arena *a, const char *s)
{
	return json_string(rb_u8_clean(a, s, 0, 0));
}

static json_t *
jrate(double rate)
{
	return rate < 0 ? json_null() : json_real(rate);
}

static json_t *
jsent(long long sent)
{
	return sent < 0 ? json_null() : json_integer(sent);
}

static json_t *
jmark(const struct rb_report *r, double rate)
{
	const char *m = rb_report_mark(r, rate);
	return m ? json_string(m) : json_null();
}

static void
counts(const struct rb_report *r, json_t *o, const struct rb_report_row *row)
{
	const struct rb_report_kinddef *k = &rb_report_kinds[r->kind];
	json_object_set_new(o, k->count, json_integer(row->n));
	json_object_set_new(o, k->sub, json_integer(row->sub));
	if (k->sub2)
		json_object_set_new(o, k->sub2, json_integer(row->n - row->sub));
	json_object_set_new(o, "sent", jsent(row->sent));
	json_object_set_new(o, "rate", jrate(row->rate));
	json_object_set_new(o, "mark", jmark(r, row->rate));
	/* like by like: the events in the rate, the days left out */
	json_object_set_new(o, "rated_events",
			    row->rated >= 0 ? json_integer(row->rated)
					    : json_null());
	json_object_set_new(o, "days_without_sent",
			    row->rated >= 0 ? json_integer(row->days_unsent)
					    : json_null());
}

static json_t *
rows_json(const struct rb_report *r, struct rb_arena *a)
{
	json_t *rows = json_array();
	for (size_t i = 0; i < r->nrows; i++) {
		json_t *o = json_object();
		for (int j = 0; j < r->nkeys; j++)
			json_object_set_new(o, r->keys[j]->name,
					    jstr(a, r->rows[i].keys[j]));
		counts(r, o, &r->rows[i]);
		json_array_append_new(rows, o);
	}
	return rows;
}

int
rb_render_json(const struct rb_report *r, FILE *out)
{
	const struct rb_report_kinddef *k = &rb_report_kinds[r->kind];
	struct rb_arena a;
	rb_arena_init(&a);
	json_t *o = json_object();
	json_object_set_new(o, "report", json_string(k->name));
	json_object_set_new(o, "from", json_string(r->from));
	json_object_set_new(o, "to", json_string(r->to));
	json_object_set_new(o, "days", json_integer(window_days(r)));
	json_t *by = json_array();
	for (int i = 0; i < r->nkeys; i++)
		json_array_append_new(by, json_string(r->keys[i]->name));
	json_object_set_new(o, "group_by", by);
	json_object_set_new(o, "top", r->top > 0 ? json_integer(r->top)
						  : json_null());
	json_object_set_new(o, "marks",
			    json_pack("{s:f,s:f}", "warn", r->warn, "over",
				      r->limit));
	json_object_set_new(o, "tenant",
			    r->tenant ? json_string(r->tenant) : json_null());
	json_object_set_new(o, "stream",
			    r->stream ? json_string(r->stream) : json_null());
	json_t *t = json_object();
	counts(r, t, &r->total);
	json_object_set_new(t, "rated_events", json_integer(r->rated_n));
	json_object_set_new(t, "days_without_sent",
			    json_integer((json_int_t)r->days_unsent));
	json_object_set_new(o, "total", t);
	json_object_set_new(o, "rows", rows_json(r, &a));
	json_object_set_new(o, "omitted",
			    json_pack("{s:I,s:I}", "groups",
				      (json_int_t)r->omitted, k->count,
				      (json_int_t)r->omitted_n));
	json_t *days = json_array();
	for (size_t i = 0; i < r->ndays; i++) {
		const struct rb_report_day *d = &r->days[i];
		long long n = rb_report_day_n(d, r->kind);
		double rate = d->sent > 0 ? (double)n / (double)d->sent : -1;
		json_t *dj = json_pack("{s:s}", "day", d->day);
		/* an unsubscribe report's days have one more count, first;
		 * the other reports' days are as they always were */
		if (r->kind == RB_REPORT_UNSUBSCRIBES)
			json_object_set_new(dj, "unsubscribes",
					    json_integer(d->unsubscribes));
		json_object_set_new(dj, "complaints",
				    json_integer(d->complaints));
		json_object_set_new(dj, "bounces", json_integer(d->bounces));
		json_object_set_new(dj, "sent", jsent(d->sent));
		json_object_set_new(dj, "rate", jrate(rate));
		json_array_append_new(days, dj);
	}
	json_object_set_new(o, "daily", days);
	if (r->breakdown != NULL) {
		json_t *b = json_object();
		json_object_set_new(b, "key",
				    json_string(r->breakdown->keys[0]->name));
		json_object_set_new(b, "rows", rows_json(r->breakdown, &a));
		json_object_set_new(o, "breakdown", b);
	}
	int rc = json_dumpf(o, out,
			    JSON_INDENT(2) | JSON_PRESERVE_ORDER |
				JSON_REAL_PRECISION(6));
	fputc('\n', out);
	json_decref(o);
	rb_arena_free(&a);
	return rc < 0 || ferror(out) ? -1 : 0;
}
