/*
 * render_html: one self-contained HTML page: inline CSS, inline SVG
 * charts, no script, no network resource (a report is often mailed or
 * opened from disk, and must look the same offline).
 *
 * Every string from the data is cleaned (UTF-8, controls) and escaped
 * for HTML; numbers are formatted here, never taken from the data.
 */
#include <math.h>
#include <string.h>

#include "core/version.h"
#include "report.h"
#include "textutil.h"

#define W 920			/* chart width: the section content box, px */
#define COL_C "#6a51a3"		/* complaints */
#define COL_B "#2b8cbe"		/* bounces */
#define COL_U "#31a354"		/* unsubscribes */
#define COL_WARN "#e69f00"
#define COL_OVER "#d62728"
#define COL_OK "#2ca02c"
#define BAR_MAX 12		/* bars in the breakdown chart */

static void
esc(FILE *out, struct rb_arena *a, const char *s, size_t maxwidth)
{
	const char *c = rb_u8_clean(a, s, 1, maxwidth);
	rb_html_escape(out, c, strlen(c));
}

static const char *
mark_class(const struct rb_report *r, double rate)
{
	const char *m = rb_report_mark(r, rate);
	return m ? m : "none";
}

/* "0.1%" for a threshold */
static const char *
pct_short(double v, char *buf)
{
	snprintf(buf, 32, "%.3g%%", v * 100.0);
	return buf;
}

static void
badge(FILE *out, const struct rb_report *r, double rate)
{
	char p[32];
	const char *m = rb_report_mark(r, rate);
	if (m == NULL)
		return;
	if (strcmp(m, "over") == 0)
		fprintf(out, "<span class=\"badge over\">at or above %s</span>",
			pct_short(r->limit, p));
	else if (strcmp(m, "warn") == 0)
		fprintf(out, "<span class=\"badge warn\">at or above %s</span>",
			pct_short(r->warn, p));
	else
		fprintf(out, "<span class=\"badge ok\">below %s</span>",
			pct_short(r->warn, p));
}

/* a "nice" axis maximum: 1, 2, 2.5, 5 x 10^k at or above v */
static double
nice_max(double v)
{
	if (v <= 0)
		return 1;
	double e = pow(10, floor(log10(v)));
	static const double steps[] = {1, 2, 2.5, 5, 10};
	for (int i = 0; i < 5; i++)
		if (steps[i] * e >= v - 1e-12)
			return steps[i] * e;
	return 10 * e;
}

static void
fmt_axis(double v, bool percent, char *buf)
{
	if (percent)
		snprintf(buf, 32, "%.3g%%", v * 100);
	else if (v >= 1e6)
		snprintf(buf, 32, "%.3gM", v / 1e6);
	else if (v >= 1e4)
		snprintf(buf, 32, "%.3gk", v / 1e3);
	else
		snprintf(buf, 32, "%.4g", v);
}

/* day labels: "11-28" (month-day), every step-th day */
static size_t
label_step(size_t ndays)
{
	size_t step = 1;
	while (ndays / step > 12)
		step = step < 7 ? step + 1 : step * 2;
	return step;
}

/* one panel of daily bars: y from top, height h */
static void
day_bars(FILE *out, const struct rb_report *r, int y, int h,
	 enum rb_report_kind kind, const char *title, const char *color)
{
	const int x0 = 60, pw = W - 80;
	long long max = 0;
	for (size_t i = 0; i < r->ndays; i++) {
		long long v = rb_report_day_n(&r->days[i], kind);
		if (v > max)
			max = v;
	}
	double top = nice_max((double)max);
	if (top < 1)
		top = 1;
	char t[32];
	fprintf(out,
		"<text x=\"%d\" y=\"%d\" class=\"ptitle\">%s</text>\n"
		"<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" class=\"axis\"/>\n"
		"<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" class=\"grid\"/>\n",
		x0, y - 6, title, x0, y + h, x0 + pw, y + h, x0, y, x0 + pw,
		y);
	fmt_axis(top, false, t);
	fprintf(out, "<text x=\"%d\" y=\"%d\" class=\"ylab\">%s</text>\n",
		x0 - 6, y + 4, t);
	fprintf(out, "<text x=\"%d\" y=\"%d\" class=\"ylab\">0</text>\n",
		x0 - 6, y + h + 4);
	double slot = (double)pw / (double)(r->ndays ? r->ndays : 1);
	double bw = slot * 0.72;
	if (bw < 1)
		bw = 1;
	for (size_t i = 0; i < r->ndays; i++) {
		long long v = rb_report_day_n(&r->days[i], kind);
		if (v <= 0)
			continue;
		double bh = (double)h * (double)v / top;
		if (bh < 1)
			bh = 1;
		fprintf(out,
			"<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
			"height=\"%.1f\" fill=\"%s\"><title>%s: %lld</title>"
			"</rect>\n",
			x0 + slot * (double)i + (slot - bw) / 2,
			y + h - bh, bw, bh, color, r->days[i].day, v);
	}
}

static void
day_labels(FILE *out, const struct rb_report *r, int y)
{
	const int x0 = 60, pw = W - 80;
	double slot = (double)pw / (double)(r->ndays ? r->ndays : 1);
	size_t step = label_step(r->ndays);
	for (size_t i = 0; i < r->ndays; i += step)
		fprintf(out,
			"<text x=\"%.1f\" y=\"%d\" class=\"xlab\">%s</text>\n",
			x0 + slot * ((double)i + 0.5), y, r->days[i].day + 5);
}

static void
chart_daily(FILE *out, const struct rb_report *r)
{
	const int h = 90;
	/* complaints above bounces; an unsubscribe report shows its
	 * unsubscribes above the complaints */
	bool u = r->kind == RB_REPORT_UNSUBSCRIBES;
	fprintf(out,
		"<svg class=\"chart\" id=\"chart-daily\" width=\"%d\" "
		"height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\" "
		"aria-label=\"%s per day\">\n",
		W, 2 * h + 80, W, 2 * h + 80,
		u ? "unsubscribes and complaints" : "complaints and bounces");
	if (u) {
		day_bars(out, r, 22, h, RB_REPORT_UNSUBSCRIBES, "unsubscribes",
			 COL_U);
		day_bars(out, r, 22 + h + 34, h, RB_REPORT_COMPLAINTS,
			 "complaints", COL_C);
	} else {
		day_bars(out, r, 22, h, RB_REPORT_COMPLAINTS, "complaints",
			 COL_C);
		day_bars(out, r, 22 + h + 34, h, RB_REPORT_BOUNCES, "bounces",
			 COL_B);
	}
	day_labels(out, r, 2 * h + 76);
	fputs("</svg>\n", out);
}

static void
chart_rate(FILE *out, const struct rb_report *r)
{
	const struct rb_report_kinddef *k = &rb_report_kinds[r->kind];
	const int x0 = 60, pw = W - 80, y0 = 14, h = 170;
	double max = r->limit * 1.34;
	bool any = false;
	for (size_t i = 0; i < r->ndays; i++) {
		const struct rb_report_day *d = &r->days[i];
		long long n = rb_report_day_n(d, r->kind);
		if (d->sent > 0) {
			double v = (double)n / (double)d->sent;
			any = true;
			if (v * 1.1 > max)
				max = v * 1.1;
		}
	}
	max = nice_max(max);
	fprintf(out,
		"<svg class=\"chart\" id=\"chart-rate\" width=\"%d\" "
		"height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\" "
		"aria-label=\"%s per day\">\n",
		W, h + 44, W, h + 44, k->rate);
#define YOF(v) (y0 + h - (double)h * (v) / max)
	/* the zone above the limit, tinted */
	fprintf(out,
		"<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%.1f\" "
		"fill=\"%s\" opacity=\"0.07\"/>\n",
		x0, y0, pw, YOF(r->limit) - y0, COL_OVER);
	fprintf(out,
		"<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" class=\"axis\"/>\n",
		x0, y0 + h, x0 + pw, y0 + h);
	char t[32];
	fmt_axis(max, true, t);
	fprintf(out, "<text x=\"%d\" y=\"%d\" class=\"ylab\">%s</text>\n",
		x0 - 6, y0 + 4, t);
	fprintf(out, "<text x=\"%d\" y=\"%d\" class=\"ylab\">0%%</text>\n",
		x0 - 6, y0 + h + 4);
	const double marks[2] = {r->warn, r->limit};
	const char *cols[2] = {COL_WARN, COL_OVER};
	for (int m = 0; m < 2; m++) {
		fprintf(out,
			"<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" "
			"stroke=\"%s\" stroke-width=\"1.5\" "
			"stroke-dasharray=\"6 4\" class=\"mark\"/>\n",
			x0, YOF(marks[m]), x0 + pw, YOF(marks[m]), cols[m]);
		fprintf(out,
			"<text x=\"%d\" y=\"%.1f\" class=\"ylab\" "
			"fill=\"%s\">%s</text>\n",
			x0 - 6, YOF(marks[m]) + 4, cols[m],
			pct_short(marks[m], t));
	}
	double slot = (double)pw / (double)(r->ndays ? r->ndays : 1);
	if (!any) {
		fprintf(out,
			"<text x=\"%d\" y=\"%d\" class=\"empty\">no sent counts "
			"in this window: load them with rebound sent "
			"import</text>\n",
			x0 + pw / 2, y0 + h / 2);
	} else {
		fprintf(out, "<path class=\"rate\" d=\"");
		bool pen = false;
		for (size_t i = 0; i < r->ndays; i++) {
			const struct rb_report_day *d = &r->days[i];
			long long n = rb_report_day_n(d, r->kind);
			if (d->sent <= 0) {
				pen = false;	/* a gap, not a zero */
				continue;
			}
			double v = (double)n / (double)d->sent;
			fprintf(out, "%c%.1f %.1f ", pen ? 'L' : 'M',
				x0 + slot * ((double)i + 0.5), YOF(v));
			pen = true;
		}
		fputs("\"/>\n", out);
		for (size_t i = 0; i < r->ndays; i++) {
			const struct rb_report_day *d = &r->days[i];
			long long n = rb_report_day_n(d, r->kind);
			if (d->sent <= 0)
				continue;
			double v = (double)n / (double)d->sent;
			char rt[32];
			fprintf(out,
				"<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" "
				"fill=\"%s\"><title>%s: %s</title></circle>\n",
				x0 + slot * ((double)i + 0.5), YOF(v),
				v >= r->limit  ? COL_OVER
				: v >= r->warn ? COL_WARN
					       : COL_OK,
				d->day, rb_fmt_rate(v, rt));
		}
	}
#undef YOF
	day_labels(out, r, y0 + h + 22);
	fputs("</svg>\n", out);
}

static void
chart_bars(FILE *out, const struct rb_report *r, struct rb_arena *a)
{
	const struct rb_report *b = r->breakdown;
	const struct rb_report_kinddef *k = &rb_report_kinds[r->kind];
	size_t n = b->nrows < BAR_MAX ? b->nrows : BAR_MAX;
	const int lw = 230, x0 = lw + 10, pw = W - x0 - 90, bh = 20, gap = 8;
	int h = (int)n * (bh + gap) + 10;
	if (n == 0)
		h = 40;
	long long max = 0;
	for (size_t i = 0; i < n; i++)
		if (b->rows[i].n > max)
			max = b->rows[i].n;
	fprintf(out,
		"<svg class=\"chart\" id=\"chart-bars\" width=\"%d\" "
		"height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\" "
		"aria-label=\"%s by %s\">\n",
		W, h, W, h, k->count, b->keys[0]->name);
	if (n == 0)
		fprintf(out,
			"<text x=\"%d\" y=\"24\" class=\"empty\">no %s in "
			"this window</text>\n",
			W / 2, k->count);
	char c[32];
	for (size_t i = 0; i < n; i++) {
		int y = 5 + (int)i * (bh + gap);
		double w = max ? (double)pw * (double)b->rows[i].n / (double)max
			       : 0;
		if (w < 2)
			w = 2;
		fprintf(out, "<text x=\"%d\" y=\"%d\" class=\"blab\">", lw,
			y + 15);
		esc(out, a, b->rows[i].keys[0], 34);
		fprintf(out,
			"</text>\n<rect x=\"%d\" y=\"%d\" width=\"%.1f\" "
			"height=\"%d\" rx=\"2\" fill=\"%s\"/>\n"
			"<text x=\"%.1f\" y=\"%d\" class=\"bval\">%s</text>\n",
			x0, y, w, bh,
			r->kind == RB_REPORT_COMPLAINTS	  ? COL_C
			: r->kind == RB_REPORT_BOUNCES ? COL_B
							 : COL_U,
			x0 + w + 6, y + 15, rb_fmt_count(b->rows[i].n, c));
	}
	fputs("</svg>\n", out);
}

static void
table(FILE *out, const struct rb_report *r, struct rb_arena *a)
{
	const struct rb_report_kinddef *k = &rb_report_kinds[r->kind];
	char b1[32];
	bool show_sub = k->sub2 != NULL || r->total.sub != 0;
	bool unsent = rb_report_rows_unsent(r);
	fputs("<table id=\"groups\">\n<thead><tr>", out);
	for (int i = 0; i < r->nkeys; i++)
		fprintf(out, "<th>%s</th>", r->keys[i]->label);
	fprintf(out, "<th class=\"num\">%s</th>", k->count);
	if (show_sub)
		fprintf(out, "<th class=\"num\">%s</th>", k->sub);
	if (k->sub2)
		fprintf(out, "<th class=\"num\">%s</th>", k->sub2);
	if (unsent)
		fputs("<th class=\"num\">in rate</th>"
		      "<th class=\"num\">days w/o sent</th>",
		      out);
	fputs("<th class=\"num\">sent</th><th class=\"num\">rate</th>"
	      "<th>mark</th></tr></thead>\n<tbody>\n",
	      out);
	for (size_t i = 0; i < r->nrows; i++) {
		const struct rb_report_row *row = &r->rows[i];
		fprintf(out, "<tr class=\"%s\">", mark_class(r, row->rate));
		for (int j = 0; j < r->nkeys; j++) {
			fputs("<td class=\"key\">", out);
			esc(out, a, row->keys[j], 0);
			fputs("</td>", out);
		}
		fprintf(out, "<td class=\"num\">%s</td>",
			rb_fmt_count(row->n, b1));
		if (show_sub)
			fprintf(out, "<td class=\"num\">%s</td>",
				rb_fmt_count(row->sub, b1));
		if (k->sub2)
			fprintf(out, "<td class=\"num\">%s</td>",
				rb_fmt_count(row->n - row->sub, b1));
		if (unsent) {
			fprintf(out, "<td class=\"num\">%s</td>",
				row->rated >= 0 && row->sent >= 0
				    ? rb_fmt_count(row->rated, b1)
				    : "&ndash;");
			fprintf(out, "<td class=\"num\">%s</td>",
				row->rated >= 0
				    ? rb_fmt_count(row->days_unsent, b1)
				    : "&ndash;");
		}
		fprintf(out, "<td class=\"num\">%s</td>",
			row->sent >= 0 ? rb_fmt_count(row->sent, b1) : "&ndash;");
		fprintf(out, "<td class=\"num rate\">%s</td><td>",
			row->rate >= 0 ? rb_fmt_rate(row->rate, b1) : "&ndash;");
		badge(out, r, row->rate);
		fputs("</td></tr>\n", out);
	}
	if (r->omitted) {
		fprintf(out, "<tr class=\"omitted\"><td colspan=\"%d\">%zu more "
			     "group%s</td><td class=\"num\">%s</td></tr>\n",
			r->nkeys ? r->nkeys : 1, r->omitted,
			r->omitted == 1 ? "" : "s",
			rb_fmt_count(r->omitted_n, b1));
	}
	if (r->nrows == 0)
		fprintf(out, "<tr><td colspan=\"%d\" class=\"empty\">no %s in "
			     "this window</td></tr>\n",
			r->nkeys + 5, k->count);
	fputs("</tbody>\n</table>\n", out);
}

static const char css[] =
    "*{box-sizing:border-box}"
    "body{margin:0;background:#f4f5f7;color:#1d2330;"
    "font:14px/1.45 \"DejaVu Sans\",\"Noto Sans\",\"Noto Sans CJK SC\","
    "Arial,sans-serif}"
    "main{width:1000px;margin:0 auto;padding:20px}"
    "header{margin-bottom:16px}"
    "h1{font-size:24px;margin:0 0 4px}"
    "h2{font-size:16px;margin:0 0 10px}"
    ".window{color:#566074;margin:0}"
    ".cards{display:flex;gap:12px;margin-bottom:16px}"
    ".card{flex:1;background:#fff;border-radius:8px;padding:12px 16px;"
    "border-top:4px solid #b8c0cc;box-shadow:0 1px 2px rgba(0,0,0,.08)}"
    ".card.over{border-top-color:" COL_OVER "}"
    ".card.warn{border-top-color:" COL_WARN "}"
    ".card.ok{border-top-color:" COL_OK "}"
    ".card .label{color:#566074;font-size:12px;text-transform:uppercase;"
    "letter-spacing:.04em}"
    ".card .value{font-size:26px;font-weight:bold}"
    "section{background:#fff;border-radius:8px;padding:14px 20px;"
    "margin-bottom:16px;box-shadow:0 1px 2px rgba(0,0,0,.08)}"
    ".chart{display:block;font-size:11px}"
    ".chart .axis{stroke:#8a93a3;stroke-width:1}"
    ".chart .grid{stroke:#e3e6eb;stroke-width:1}"
    ".chart .ptitle{font-size:12px;font-weight:bold;fill:#3a4252}"
    ".chart .ylab{text-anchor:end;fill:#566074}"
    ".chart .xlab{text-anchor:middle;fill:#566074}"
    ".chart .blab{text-anchor:end;fill:#1d2330;font-size:12px}"
    ".chart .bval{fill:#1d2330;font-size:12px}"
    ".chart .rate{fill:none;stroke:#1d2330;stroke-width:2}"
    ".chart .empty{text-anchor:middle;fill:#8a93a3;font-size:13px}"
    ".legend span{display:inline-block;margin-right:14px;color:#566074}"
    ".legend i{display:inline-block;width:18px;height:3px;"
    "vertical-align:middle;margin-right:5px}"
    "table{border-collapse:collapse;width:100%}"
    "th,td{padding:5px 8px;border-bottom:1px solid #e3e6eb;text-align:left}"
    "th{font-size:12px;color:#566074;text-transform:uppercase;"
    "letter-spacing:.03em}"
    "td.key{max-width:360px;overflow:hidden;text-overflow:ellipsis;"
    "white-space:nowrap}"
    ".num{text-align:right;font-variant-numeric:tabular-nums}"
    "tr.over td.rate{color:" COL_OVER ";font-weight:bold}"
    "tr.warn td.rate{color:#b07800;font-weight:bold}"
    "tr.omitted td{color:#566074;font-style:italic}"
    "td.empty{color:#8a93a3;text-align:center}"
    ".badge{display:inline-block;border-radius:9px;padding:0 8px;"
    "font-size:12px;color:#fff}"
    ".badge.over{background:" COL_OVER "}"
    ".badge.warn{background:" COL_WARN "}"
    ".badge.ok{background:" COL_OK "}"
    "footer{color:#8a93a3;font-size:12px;text-align:center}";

static void
card(FILE *out, const char *id, const char *label, const char *value,
     const char *cls)
{
	fprintf(out,
		"<div class=\"card %s\" id=\"%s\"><div class=\"label\">%s</div>"
		"<div class=\"value\">%s</div>",
		cls, id, label, value);
}

int
rb_render_html(const struct rb_report *r, FILE *out)
{
	const struct rb_report_kinddef *k = &rb_report_kinds[r->kind];
	struct rb_arena a;
	rb_arena_init(&a);
	char b1[32], b2[32];
	int days = rb_day_diff(r->from, r->to) + 1;

	fprintf(out,
		"<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
		"<meta charset=\"utf-8\">\n"
		"<meta name=\"viewport\" content=\"width=device-width\">\n"
		"<title>%s %s to %s</title>\n<style>%s</style>\n</head>\n"
		"<body>\n<main>\n<header>\n<h1>%s</h1>\n"
		"<p class=\"window\" id=\"window\">%s to %s &middot; %d day%s",
		k->title, r->from, r->to, css, k->title, r->from, r->to, days,
		days == 1 ? "" : "s");
	for (int i = 0; i < r->nkeys; i++)
		fprintf(out, "%s%s", i ? ", " : " &middot; by ",
			r->keys[i]->name);
	if (r->tenant) {
		fputs(" &middot; tenant ", out);
		esc(out, &a, r->tenant, 0);
	}
	if (r->stream) {
		fputs(" &middot; stream ", out);
		esc(out, &a, r->stream, 0);
	}
	fputs("</p>\n</header>\n<div class=\"cards\">\n", out);

	card(out, "total-count", k->count, rb_fmt_count(r->total.n, b1), "");
	if (k->sub2)
		fprintf(out, "<div class=\"label\">%s %s, %s %s</div>",
			rb_fmt_count(r->total.sub, b1), k->sub,
			rb_fmt_count(r->total.n - r->total.sub, b2), k->sub2);
	else if (r->total.sub)
		fprintf(out, "<div class=\"label\">%s inferred (not ARF)</div>",
			rb_fmt_count(r->total.sub, b1));
	fputs("</div>\n", out);
	card(out, "total-sent", "messages sent",
	     r->total.sent >= 0 ? rb_fmt_count(r->total.sent, b1) : "&ndash;",
	     "");
	if (r->total.sent < 0)
		fputs("<div class=\"label\">no sent counts loaded</div>", out);
	fputs("</div>\n", out);
	card(out, "total-rate", k->rate,
	     r->total.rate >= 0 ? rb_fmt_rate(r->total.rate, b1) : "&ndash;",
	     mark_class(r, r->total.rate));
	badge(out, r, r->total.rate);
	if (r->total.sent >= 0 && r->days_unsent > 0)
		fprintf(out, "<div class=\"label\">%s %s on the days with "
			     "sent counts; %zu of %d days have no sent "
			     "counts</div>",
			rb_fmt_count(r->rated_n, b1), k->count, r->days_unsent,
			rb_day_diff(r->from, r->to) + 1);
	fputs("</div>\n", out);
	/* the other kind's total, from the daily series */
	long long other = 0;
	for (size_t i = 0; i < r->ndays; i++)
		other += rb_report_day_n(&r->days[i], k->other);
	card(out, "total-other", rb_report_kinds[k->other].count,
	     rb_fmt_count(other, b1), "");
	fputs("</div>\n</div>\n", out);

	fprintf(out, "<section>\n<h2>%s per day</h2>\n",
		r->kind == RB_REPORT_UNSUBSCRIBES
		    ? "Unsubscribes and complaints"
		    : "Complaints and bounces");
	chart_daily(out, r);
	fprintf(out,
		"</section>\n<section>\n<h2>%c%s per day</h2>\n"
		"<div class=\"legend\"><span><i style=\"background:#1d2330\">"
		"</i>%s</span><span><i style=\"background:%s\"></i>%s "
		"(%s)</span><span><i style=\"background:%s\"></i>"
		"%s (%s)</span></div>\n",
		k->rate[0] - 32, k->rate + 1, k->rate, COL_WARN,
		pct_short(r->warn, b1), k->warn_label, COL_OVER,
		pct_short(r->limit, b2), k->limit_label);
	chart_rate(out, r);
	fputs("</section>\n", out);
	if (r->breakdown != NULL) {
		fprintf(out, "<section>\n<h2>%c%s by %s</h2>\n",
			k->count[0] - 32, k->count + 1,
			r->breakdown->keys[0]->name);
		chart_bars(out, r, &a);
		fputs("</section>\n", out);
	}
	fputs("<section>\n<h2>", out);
	if (r->nkeys == 0)
		fputs("Total", out);
	for (int i = 0; i < r->nkeys; i++)
		fprintf(out, "%s%s", i ? ", " : "By ", r->keys[i]->name);
	if (r->omitted)
		fprintf(out, " (top %ld)", r->top);
	fputs("</h2>\n", out);
	table(out, r, &a);
	fprintf(out,
		"</section>\n<footer>rebound %s &middot; a rate is the events "
		"of the days with sent counts divided by those counts "
		"(rebound sent import)</footer>\n"
		"</main>\n</body>\n</html>\n",
		RB_VERSION);
	rb_arena_free(&a);
	return ferror(out) ? -1 : 0;
}
