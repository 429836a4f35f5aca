#include "throttle.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/event.h"
#include "provider.h"
#include "textutil.h"

struct rb_throttle_priv {
	struct rb_arena a;
	size_t cap;
};

struct rb_throttle *
rb_throttle_new(const char *from, const char *to)
{
	struct rb_throttle *t = calloc(1, sizeof(*t));
	if (t == NULL)
		abort();
	t->priv = calloc(1, sizeof(*t->priv));
	if (t->priv == NULL)
		abort();
	rb_arena_init(&t->priv->a);
	snprintf(t->from, sizeof(t->from), "%s", from ? from : "");
	snprintf(t->to, sizeof(t->to), "%s", to ? to : "");
	return t;
}

void
rb_throttle_set_scope(struct rb_throttle *t, const char *tenant,
		      const char *stream)
{
	t->tenant = tenant ? rb_arena_strdup(&t->priv->a, tenant) : NULL;
	t->stream = stream ? rb_arena_strdup(&t->priv->a, stream) : NULL;
}

void
rb_throttle_free(struct rb_throttle *t)
{
	if (t == NULL)
		return;
	rb_arena_free(&t->priv->a);
	free(t->priv);
	free(t->rows);
	free(t->sums);
	free(t);
}

void
rb_throttle_add(struct rb_throttle *t, const char *day, const char *remote_mta,
		const char *recipient_domain, const char *reason, long long n)
{
	if (day == NULL || n <= 0)
		return;
	const char *fam = rb_reason_family(reason);
	bool rate = strcmp(fam, "rate") == 0;
	if (!rate && strcmp(fam, "reputation") != 0 &&
	    strcmp(fam, "content") != 0 && strcmp(fam, "authentication") != 0)
		return;	/* the address's own state: not the sender's to fix */
	struct rb_provider_signals s = {.remote_mta = remote_mta,
					.recipient = recipient_domain};
	const char *p = rb_provider_identify(&t->priv->a, &s, false);
	if (p == NULL)
		p = "(unknown)";
	/* rows arrive ordered by day; merge into an existing cell */
	struct rb_throttle_row *row = NULL;
	for (size_t i = t->nrows; i > 0; i--) {
		struct rb_throttle_row *r = &t->rows[i - 1];
		if (strcmp(r->day, day) != 0)
			break;
		if (strcmp(r->provider, p) == 0) {
			row = r;
			break;
		}
	}
	if (row == NULL) {
		if (t->nrows == t->priv->cap) {
			t->priv->cap = t->priv->cap ? t->priv->cap * 2 : 64;
			t->rows = realloc(t->rows,
					  t->priv->cap * sizeof(*t->rows));
			if (t->rows == NULL)
				abort();
		}
		row = &t->rows[t->nrows++];
		memset(row, 0, sizeof(*row));
		row->day = rb_arena_strdup(&t->priv->a, day);
		row->provider = rb_arena_strdup(&t->priv->a, p);
	}
	if (!rate) {
		if (strcmp(fam, "reputation") == 0) {
			row->reputation += n;
			t->reputation += n;
		} else if (strcmp(fam, "content") == 0) {
			row->content += n;
			t->content += n;
		} else {
			row->authentication += n;
			t->authentication += n;
		}
		return;
	}
	if (strcmp(reason, "speeding") == 0)
		row->speeding += n;
	else
		row->toomanyconn += n;
	row->n += n;
	t->total += n;
}

static int
cmp_row(const void *a, const void *b)
{
	const struct rb_throttle_row *x = a, *y = b;
	int c = strcmp(x->day, y->day);
	return c ? c : strcmp(x->provider, y->provider);
}

static long long
sum_all(const struct rb_throttle_sum *s)
{
	return s->n + s->reputation + s->content + s->authentication;
}

static int
cmp_sum(const void *a, const void *b)
{
	const struct rb_throttle_sum *x = a, *y = b;
	if (x->n != y->n)
		return x->n > y->n ? -1 : 1;
	if (sum_all(x) != sum_all(y))
		return sum_all(x) > sum_all(y) ? -1 : 1;
	return strcmp(x->provider, y->provider);
}

void
rb_throttle_finish(struct rb_throttle *t)
{
	if (t->nrows > 1)
		qsort(t->rows, t->nrows, sizeof(*t->rows), cmp_row);
	/* merge cells that became equal (rows out of day order) */
	size_t k = 0;
	for (size_t i = 0; i < t->nrows; i++) {
		if (k > 0 && strcmp(t->rows[k - 1].day, t->rows[i].day) == 0 &&
		    strcmp(t->rows[k - 1].provider, t->rows[i].provider) == 0) {
			t->rows[k - 1].toomanyconn += t->rows[i].toomanyconn;
			t->rows[k - 1].speeding += t->rows[i].speeding;
			t->rows[k - 1].n += t->rows[i].n;
			t->rows[k - 1].reputation += t->rows[i].reputation;
			t->rows[k - 1].content += t->rows[i].content;
			t->rows[k - 1].authentication +=
			    t->rows[i].authentication;
			continue;
		}
		t->rows[k++] = t->rows[i];
	}
	t->nrows = k;
	free(t->sums);
	t->sums = calloc(t->nrows ? t->nrows : 1, sizeof(*t->sums));
	if (t->sums == NULL)
		abort();
	t->nsums = 0;
	for (size_t i = 0; i < t->nrows; i++) {
		const struct rb_throttle_row *r = &t->rows[i];
		struct rb_throttle_sum *s = NULL;
		for (size_t j = 0; j < t->nsums && s == NULL; j++)
			if (strcmp(t->sums[j].provider, r->provider) == 0)
				s = &t->sums[j];
		if (s == NULL) {
			s = &t->sums[t->nsums++];
			s->provider = r->provider;
		}
		s->reputation += r->reputation;
		s->content += r->content;
		s->authentication += r->authentication;
		if (r->n == 0)
			continue;
		if (s->first == NULL)
			s->first = r->day;
		s->last = r->day;	/* rows are in day order */
		s->n += r->n;
		s->days++;
		if (r->n > s->peak) {
			s->peak = r->n;
			s->peak_day = r->day;
		}
	}
	if (t->nsums > 1)
		qsort(t->sums, t->nsums, sizeof(*t->sums), cmp_sum);
}

/* ---------------------------------------------------------- renderers */

static void
pad(FILE *out, const char *s, size_t width, int right)
{
	size_t w = rb_u8_width(s);
	if (right)
		for (size_t i = w; i < width; i++)
			fputc(' ', out);
	fputs(s, out);
	if (!right)
		for (size_t i = w; i < width; i++)
			fputc(' ', out);
}

/* Right-aligned counts, two blanks before each, then the line's end. */
static void
cells(FILE *out, const long long *v, const size_t *width, size_t n)
{
	char b[32];
	for (size_t i = 0; i < n; i++) {
		fputs("  ", out);
		pad(out, rb_fmt_count(v[i], b), width[i], 1);
	}
	fputc('\n', out);
}

static int
render_text(const struct rb_throttle *t, FILE *out, struct rb_arena *a)
{
	char b1[32], b2[32], b3[32];
	fprintf(out, "Throttling report (rate-limit and quota rejections: "
		     "toomanyconn, speeding), %s to %s",
		t->from, t->to);
	if (t->tenant)
		fprintf(out, ", tenant %s", t->tenant);
	if (t->stream)
		fprintf(out, ", stream %s", t->stream);
	fputc('\n', out);
	fprintf(out, "total: %s\n", rb_fmt_count(t->total, b1));
	fprintf(out, "other refusals of the sender: reputation %s, content "
		     "%s, authentication %s\n",
		rb_fmt_count(t->reputation, b1), rb_fmt_count(t->content, b2),
		rb_fmt_count(t->authentication, b3));
	size_t pw = strlen("provider");
	for (size_t i = 0; i < t->nsums; i++) {
		size_t w = rb_u8_width(rb_u8_clean(a, t->sums[i].provider, 1, 40));
		if (w > pw)
			pw = w;
	}
	if (t->total == 0) {
		fputs("\nno rate-limit or quota rejections in this window\n",
		      out);
	} else {
		fputs("\nby provider\n", out);
		pad(out, "provider", pw, 0);
		fputs("  first day   last day    days  rejections  peak day  "
		      "  peak\n",
		      out);
		for (size_t i = 0; i < t->nsums; i++) {
			const struct rb_throttle_sum *s = &t->sums[i];
			if (s->n == 0)
				continue;
			pad(out, rb_u8_clean(a, s->provider, 1, 40), pw, 0);
			fprintf(out, "  %-10s  %-10s  %4d  ", s->first, s->last,
				s->days);
			pad(out, rb_fmt_count(s->n, b1), 10, 1);
			fprintf(out, "  %-10s  ", s->peak_day);
			pad(out, rb_fmt_count(s->peak, b2), 4, 1);
			fputc('\n', out);
		}
		fputs("\nby day\n", out);
		fputs("day         ", out);
		pad(out, "provider", pw, 0);
		fputs("  rejections  toomanyconn  speeding\n", out);
		for (size_t i = 0; i < t->nrows; i++) {
			const struct rb_throttle_row *r = &t->rows[i];
			if (r->n == 0)
				continue;
			fprintf(out, "%-10s  ", r->day);
			pad(out, rb_u8_clean(a, r->provider, 1, 40), pw, 0);
			cells(out,
			      (const long long[]){r->n, r->toomanyconn,
						  r->speeding},
			      (const size_t[]){10, 11, 8}, 3);
		}
	}
	if (t->nsums == 0)
		return ferror(out) ? -1 : 0;
	fputs("\nwhat to fix, per provider (refusals of the sender, not of "
	      "the address)\n",
	      out);
	pad(out, "provider", pw, 0);
	fputs("        rate  reputation     content  authentication\n", out);
	for (size_t i = 0; i < t->nsums; i++) {
		const struct rb_throttle_sum *s = &t->sums[i];
		pad(out, rb_u8_clean(a, s->provider, 1, 40), pw, 0);
		cells(out,
		      (const long long[]){s->n, s->reputation, s->content,
					  s->authentication},
		      (const size_t[]){10, 10, 10, 14}, 4);
	}
	return ferror(out) ? -1 : 0;
}

static int
render_csv(const struct rb_throttle *t, FILE *out, struct rb_arena *a)
{
	fputs("day,provider,rejections,toomanyconn,speeding,reputation,"
	      "content,authentication\r\n",
	      out);
	for (size_t i = 0; i < t->nrows; i++) {
		const struct rb_throttle_row *r = &t->rows[i];
		fprintf(out, "%s,", r->day);
		rb_csv_field(out, rb_u8_clean(a, r->provider, 1, 0));
		fprintf(out, ",%lld,%lld,%lld,%lld,%lld,%lld\r\n", r->n,
			r->toomanyconn, r->speeding, r->reputation, r->content,
			r->authentication);
	}
	return ferror(out) ? -1 : 0;
}

static json_t *
str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static int
render_json(const struct rb_throttle *t, FILE *out, struct rb_arena *a)
{
	json_t *o = json_object();
	json_object_set_new(o, "report", json_string("throttling"));
	json_object_set_new(o, "from", json_string(t->from));
	json_object_set_new(o, "to", json_string(t->to));
	json_object_set_new(o, "tenant", str_or_null(t->tenant));
	json_object_set_new(o, "stream", str_or_null(t->stream));
	json_t *rs = json_array();
	json_object_set_new(o, "reasons", rs);
	json_array_append_new(rs, json_string("toomanyconn"));
	json_array_append_new(rs, json_string("speeding"));
	json_object_set_new(o, "total", json_integer(t->total));
	json_object_set_new(o, "reputation", json_integer(t->reputation));
	json_object_set_new(o, "content", json_integer(t->content));
	json_object_set_new(o, "authentication",
			    json_integer(t->authentication));
	json_t *ps = json_array();
	for (size_t i = 0; i < t->nsums; i++) {
		const struct rb_throttle_sum *s = &t->sums[i];
		json_t *p = json_object();
		json_object_set_new(
		    p, "provider",
		    json_string(rb_u8_clean(a, s->provider, 1, 0)));
		json_object_set_new(p, "first_day", str_or_null(s->first));
		json_object_set_new(p, "last_day", str_or_null(s->last));
		json_object_set_new(p, "days", json_integer(s->days));
		json_object_set_new(p, "rejections", json_integer(s->n));
		json_object_set_new(p, "peak_day", str_or_null(s->peak_day));
		json_object_set_new(p, "peak", json_integer(s->peak));
		json_object_set_new(p, "reputation",
				    json_integer(s->reputation));
		json_object_set_new(p, "content", json_integer(s->content));
		json_object_set_new(p, "authentication",
				    json_integer(s->authentication));
		json_array_append_new(ps, p);
	}
	json_object_set_new(o, "providers", ps);
	json_t *rows = json_array();
	for (size_t i = 0; i < t->nrows; i++) {
		const struct rb_throttle_row *r = &t->rows[i];
		json_t *j = json_object();
		json_object_set_new(j, "day", json_string(r->day));
		json_object_set_new(
		    j, "provider",
		    json_string(rb_u8_clean(a, r->provider, 1, 0)));
		json_object_set_new(j, "rejections", json_integer(r->n));
		json_object_set_new(j, "toomanyconn",
				    json_integer(r->toomanyconn));
		json_object_set_new(j, "speeding", json_integer(r->speeding));
		json_object_set_new(j, "reputation",
				    json_integer(r->reputation));
		json_object_set_new(j, "content", json_integer(r->content));
		json_object_set_new(j, "authentication",
				    json_integer(r->authentication));
		json_array_append_new(rows, j);
	}
	json_object_set_new(o, "rows", rows);
	char *s = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (s == NULL)
		return -1;
	fputs(s, out);
	fputc('\n', out);
	free(s);
	return ferror(out) ? -1 : 0;
}

int
rb_throttle_render(const struct rb_throttle *t, enum rb_report_format f,
		   FILE *out)
{
	struct rb_arena a;
	rb_arena_init(&a);
	int rc;
	switch (f) {
	case RB_FMT_CSV:
		rc = render_csv(t, out, &a);
		break;
	case RB_FMT_JSON:
		rc = render_json(t, out, &a);
		break;
	case RB_FMT_HTML:
		/* a plain page: the throttling table is small */
		fputs("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
		      "<title>Throttling report</title></head><body><pre>\n",
		      out);
		{
			/* text rendering, HTML-escaped */
			char *buf = NULL;
			size_t len = 0;
			FILE *m = open_memstream(&buf, &len);
			rc = m ? render_text(t, m, &a) : -1;
			if (m)
				fclose(m);
			if (rc == 0)
				rb_html_escape(out, buf, len);
			free(buf);
		}
		fputs("</pre></body></html>\n", out);
		rc = rc == 0 && !ferror(out) ? 0 : -1;
		break;
	default:
		rc = render_text(t, out, &a);
	}
	rb_arena_free(&a);
	return rc;
}
