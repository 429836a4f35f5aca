/*
 * test_report: the row model and the renderers on rows built here (no
 * database): grouping and merging of derived keys, sent-count joins,
 * rates and marks, top N, UTF-8 width, RFC 4180 quoting, JSON numbers,
 * HTML escaping, and the provider table.
 */
#include <limits.h>
#include <stdlib.h>

#include "reports/provider.h"
#include "reports/report.h"
#include "reports/textutil.h"
#include "lib/err.h"
#include "t.h"

static char *
render(const struct rb_report *r, enum rb_report_format f)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	int rc = rb_report_render(r, f, m);
	fclose(m);
	if (rc != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* vals in rb_report_columns order, given by column name */
static void
add(struct rb_report *r, const char *const *kv, long long n, long long sub)
{
	const char *cols[RB_REPORT_MAXCOLS], *vals[RB_REPORT_MAXCOLS] = {0};
	int nc = rb_report_columns(r, cols);
	for (int i = 0; i < nc; i++)
		for (const char *const *p = kv; *p; p += 2)
			if (strcmp(cols[i], p[0]) == 0)
				vals[i] = p[1];
	rb_report_add(r, vals, n, sub);
}

#define KV(...) ((const char *const[]){__VA_ARGS__, NULL})

static void
test_dates(void)
{
	char d[11], w[9];
	T_OK(rb_day_diff("2026-11-01", "2026-11-30") == 29, "day diff");
	T_OK(rb_day_diff("2026-02-30", "2026-03-01") == INT_MIN,
	     "invalid date refused");
	rb_day_add("2024-02-28", 1, d);
	T_STR(d, "2024-02-29", "leap day");
	rb_day_add("2026-12-31", 1, d);
	T_STR(d, "2027-01-01", "year end");
	rb_day_week("2026-11-29", w);
	T_STR(w, "2026-W48", "ISO week of a Sunday");
	rb_day_week("2027-01-01", w);
	T_STR(w, "2026-W53", "Jan 1st in the previous ISO year");
	rb_day_week("2024-12-30", w);
	T_STR(w, "2025-W01", "Dec 30th in the next ISO year");
}

static void
test_text_utils(void)
{
	struct rb_arena a;
	rb_arena_init(&a);
	char b[32];
	T_OK(rb_u8_width("abc") == 3, "ASCII width");
	T_OK(rb_u8_width("退信") == 4, "CJK is two columns each");
	T_OK(rb_u8_width("e\xcc\x81") == 1, "combining accent takes none");
	T_OK(rb_u8_width("한국어") == 6, "Hangul wide");
	T_STR(rb_u8_clean(&a, "a\x1b[31mb", 1, 0), "a\xef\xbf\xbd[31mb",
	      "escape sequence neutralised");
	T_STR(rb_u8_clean(&a, "x\xff\xfey", 1, 0),
	      "x\xef\xbf\xbd\xef\xbf\xbdy", "invalid UTF-8 replaced");
	T_STR(rb_u8_clean(&a, "a\tb\nc", 1, 0), "a b c", "one line");
	T_STR(rb_u8_clean(&a, "abcdefgh", 1, 5), "abcd\xe2\x80\xa6",
	      "cut with an ellipsis");
	T_STR(rb_u8_clean(&a, "abcde", 1, 5), "abcde", "fits exactly");
	T_OK(rb_u8_width(rb_u8_clean(&a, "系统退信系统退信", 1, 7)) <= 7,
	     "CJK cut respects the width");
	T_STR(rb_fmt_count(1234567, b), "1,234,567", "digit groups");
	T_STR(rb_fmt_count(999, b), "999", "no group under 1000");
	T_STR(rb_fmt_rate(0.0025, b), "0.250%", "rate in percent");
	T_STR(rb_fmt_rate(-1, b), "-", "unknown rate");
	rb_arena_free(&a);
}

static void
test_provider(void)
{
	struct rb_arena a;
	rb_arena_init(&a);
	struct rb_provider_signals s = {0};
	s.user_agent = "Yahoo!-Mail-Feedback/2.0";
	s.report_message_id = "abc@email.amazonses.com";
	T_STR(rb_provider_identify(&a, &s, true), "Yahoo",
	      "Yahoo by User-Agent even when relayed by SES");
	memset(&s, 0, sizeof s);
	s.report_from = "staff@hotmail.com";
	T_STR(rb_provider_identify(&a, &s, true), "Microsoft (Outlook.com)",
	      "JMRP by sender");
	memset(&s, 0, sizeof s);
	s.recipient = "someone@comcast.net";
	s.report_message_id = "1234@fbl.example.net";
	T_STR(rb_provider_identify(&a, &s, true), "Comcast",
	      "complainer's mailbox domain when the reporter is unknown");
	memset(&s, 0, sizeof s);
	s.reporting_mta = "dns; mx1.fb.Example.CO.JP";
	T_STR(rb_provider_identify(&a, &s, true), "example.co.jp",
	      "unknown provider by organisational domain");
	memset(&s, 0, sizeof s);
	s.recipient = "user@mycompany.com";
	s.remote_mta = "aspmx.l.google.com";
	T_STR(rb_provider_identify(&a, &s, false), "Gmail",
	      "bounce: Google-hosted domain by MX");
	s.remote_mta = "mx3.qq.com[1.2.3.4]";
	T_STR(rb_provider_identify(&a, &s, false), "QQ Mail",
	      "bounce: QQ by MX with an address attached");
	s.remote_mta = "mxbiz1.qq.com";
	T_STR(rb_provider_identify(&a, &s, false), "Tencent Exmail",
	      "longest suffix wins");
	s.remote_mta = NULL;
	T_STR(rb_provider_identify(&a, &s, false), "mycompany.com",
	      "bounce: unknown by recipient domain");
	memset(&s, 0, sizeof s);
	T_OK(rb_provider_identify(&a, &s, true) == NULL, "no signal");
	s.recipient = "x@notqq.com";
	T_STR(rb_provider_identify(&a, &s, false), "notqq.com",
	      "suffix only on a label boundary");
	s.recipient = "Mail.Ru";
	T_STR(rb_provider_identify(&a, &s, false), "Mail.ru",
	      "bare domain, case-insensitive");
	T_OK(rb_provider_by_agent("mail.ru fbl") != NULL, "agent prefix");
	rb_arena_free(&a);
}

static struct rb_report *
sample(const char *by, long top)
{
	char err[RB_ERR_MAX] = "";
	struct rb_report *r = rb_report_new(RB_REPORT_COMPLAINTS, "2026-11-01",
					    "2026-11-07", by, err, sizeof(err));
	if (r == NULL) {
		printf("# %s\n", err);
		return NULL;
	}
	add(r, KV("day", "2026-11-02", "campaign", "black-friday", "user_agent",
		  "Yahoo!-Mail-Feedback/2.0", "recipient_domain", "yahoo.com"),
	    6, 0);
	add(r, KV("day", "2026-11-02", "campaign", "black-friday",
		  "recipient_domain", "aol.com"),
	    2, 0);
	add(r, KV("day", "2026-11-03", "campaign", "black-friday", "user_agent",
		  "Yahoo!-Mail-Feedback/1.0", "recipient_domain", "ymail.com"),
	    3, 0);
	add(r, KV("day", "2026-11-03", "campaign", "秋のセール \"限定\", 2026",
		  "recipient_domain", "hotmail.com"),
	    4, 1);
	add(r, KV("day", "2026-11-05", "recipient_domain", "example.org"), 1,
	    0);
	rb_report_add_sent(r, &(struct rb_report_sent){
				  "2026-11-02", "news.example.com",
				  "black-friday", NULL, NULL, NULL, 2000});
	rb_report_add_sent(r, &(struct rb_report_sent){
				  "2026-11-03", "news.example.com",
				  "black-friday", NULL, NULL, NULL, 2000});
	rb_report_add_sent(r, &(struct rb_report_sent){
				  "2026-11-03", "news.example.com", NULL, NULL,
				  NULL, NULL, 1000});
	rb_report_add_day(r, "2026-11-02", 8, 40, 0);
	rb_report_add_day(r, "2026-11-03", 7, 12, 0);
	rb_report_add_day(r, "2026-11-05", 1, 0, 0);
	r->breakdown = rb_report_new(RB_REPORT_COMPLAINTS, "2026-11-01",
				     "2026-11-07", "provider", err, sizeof(err));
	add(r->breakdown, KV("user_agent", "Yahoo!-Mail-Feedback/2.0"), 9, 0);
	add(r->breakdown, KV("recipient_domain", "hotmail.com"), 4, 1);
	add(r->breakdown, KV("recipient_domain", "aol.com"), 2, 0);
	add(r->breakdown, KV("recipient_domain", "example.org"), 1, 0);
	rb_report_finish(r, top);
	return r;
}

static void
test_grouping(void)
{
	char err[RB_ERR_MAX] = "";
	T_OK(rb_report_new(RB_REPORT_COMPLAINTS, "2026-11-01", "2026-11-07",
			   "reason", err, sizeof(err)) == NULL,
	     "bounce key refused in a complaint report");
	T_OK(rb_report_new(RB_REPORT_BOUNCES, "2026-11-01", "2026-11-07",
			   "nope", err, sizeof(err)) == NULL,
	     "unknown key refused");
	T_OK(strncmp(err, "--by: unknown key 'nope'; the keys of this report: ",
		     51) == 0,
	     "the reason in the caller's buffer names the key (%s)", err);
	T_OK(rb_report_new(RB_REPORT_BOUNCES, "2026-11-07", "2026-11-01",
			   "day", err, sizeof(err)) == NULL,
	     "window backwards refused");

	struct rb_report *r = sample("provider", 0);
	T_OK(r && r->nrows == 4, "provider merges two Yahoo agents");
	T_STR(r->rows[0].keys[0], "Yahoo", "largest first");
	T_OK(r->rows[0].n == 9, "Yahoo 6+3");
	T_OK(r->rows[0].sent == -1 && r->rows[0].rate < 0,
	     "no rate by provider (sent has no provider)");
	T_OK(r->total.n == 16 && r->total.sent == 5000,
	     "totals over all groups and all sent rows");
	T_OK(r->rated_n == 15 && r->days_unsent == 5,
	     "15 complaints on the 2 days with sent counts, 5 days without");
	T_OK(r->total.rate > 0.00299 && r->total.rate < 0.00301,
	     "total rate like by like: 15/5000, not 16/5000");
	T_STR(rb_report_mark(r, r->total.rate), "over", "over 0.3%%");
	T_OK(r->ndays == 7 && r->days[1].complaints == 8 &&
		 r->days[2].sent == 3000 && r->days[0].sent == -1,
	     "daily series covers the window");
	rb_report_free(r);

	r = sample("campaign", 0);
	T_OK(r && r->nrows == 3, "three campaigns (one none)");
	T_STR(r->rows[0].keys[0], "black-friday", "by count");
	T_OK(r->rows[0].n == 11 && r->rows[0].sent == 4000,
	     "campaign sent summed over days");
	T_STR(rb_report_mark(r, r->rows[0].rate), "warn", "0.275%% is warn");
	T_OK(r->rows[1].sent == -1 && r->rows[1].rate < 0,
	     "campaign with complaints but no sent counts has no rate");
	T_STR(r->rows[2].keys[0], "(none)", "missing campaign shown");
	T_OK(r->rows[2].sent == 1000, "(none) matches sent without campaign");
	T_OK(r->rows[2].rated == 0 && r->rows[2].days_unsent == 1 &&
		 r->rows[2].rate == 0,
	     "(none): its complaint falls on a day without its sent counts: "
	     "0 / 1,000, one day left out (not 1 / 1,000)");
	T_OK(r->rows[0].rated == 11 && r->rows[0].days_unsent == 0,
	     "black-friday: every complaint on a day with sent counts");
	T_OK(r->rows[1].rated == 0 && r->rows[1].days_unsent == 1,
	     "no sent counts at all: one day without");
	T_OK(rb_report_max_rate(r) >= 0.0029, "max rate seen");
	rb_report_free(r);

	r = sample("day,campaign", 2);
	T_OK(r && r->nrows == 2 && r->omitted == 2 && r->omitted_n == 4,
	     "top 2 keeps the largest, counts the rest");
	T_STR(r->rows[0].keys[0], "2026-11-02", "time key sorts by time");
	T_OK(r->rows[0].sent == 2000 && r->rows[1].sent == -1,
	     "sent by day and campaign");
	rb_report_free(r);

	r = sample("week", 0);
	T_OK(r && r->nrows == 1, "one ISO week (Nov 1st is a Sunday)");
	T_STR(r->rows[0].keys[0], "2026-W45", "the week");
	T_OK(r->rows[0].sent == 5000, "sent summed per week");
	T_OK(r->rows[0].rated == 15 && r->rows[0].days_unsent == 1 &&
		 r->rows[0].rate > 0.00299 && r->rows[0].rate < 0.00301,
	     "a week's rate counts only its days with sent counts");
	rb_report_free(r);

	r = sample(NULL, 0);
	T_OK(r && r->nrows == 1 && r->rows[0].n == 16 &&
		 r->rows[0].sent == 5000,
	     "no key: one row with everything");
	T_OK(r->rows[0].rated == 15 && r->rows[0].rate == r->total.rate,
	     "no key: the one row is rated like the total");
	rb_report_free(r);

	r = rb_report_new(RB_REPORT_BOUNCES, "2026-11-01", "2026-11-01",
			  "hard-soft", err, sizeof(err));
	const char *v1[] = {"t"}, *v2[] = {"f"}, *v3[] = {NULL};
	rb_report_add(r, v1, 5, 5);
	rb_report_add(r, v2, 3, 0);
	rb_report_add(r, v3, 1, 0);
	rb_report_finish(r, 0);
	T_OK(r->nrows == 3 && strcmp(r->rows[0].keys[0], "hard") == 0 &&
		 strcmp(r->rows[2].keys[0], "(none)") == 0,
	     "hard/soft derived from the flag");
	rb_report_free(r);
}

/* per tenant: each tenant's complaints over its own sent counts, on the
 * days it has them */
static void
test_tenants(void)
{
	char err[RB_ERR_MAX] = "";
	struct rb_report *r = rb_report_new(RB_REPORT_COMPLAINTS, "2026-10-01",
					    "2026-10-03", "tenant", err,
					    sizeof(err));
	T_OK(r != NULL, "tenant is a key (%s)", err);
	if (r == NULL)
		return;
	add(r, KV("day", "2026-10-01", "tenant", "acme"), 6, 0);
	add(r, KV("day", "2026-10-02", "tenant", "acme"), 4, 0);
	add(r, KV("day", "2026-10-01", "tenant", "beta"), 1, 0);
	add(r, KV("day", "2026-10-03", "tenant", "beta"), 3, 0);
	add(r, KV("day", "2026-10-01"), 2, 0);
	rb_report_add_sent(r, &(struct rb_report_sent){
				  "2026-10-01", NULL, NULL, NULL, "acme",
				  "news", 1000});
	rb_report_add_sent(r, &(struct rb_report_sent){
				  "2026-10-02", NULL, NULL, NULL, "acme", NULL,
				  1000});
	rb_report_add_sent(r, &(struct rb_report_sent){
				  "2026-10-01", NULL, NULL, NULL, "beta", NULL,
				  8000});
	rb_report_add_sent(r, &(struct rb_report_sent){
				  "2026-10-01", NULL, NULL, NULL, NULL, NULL,
				  1000});
	rb_report_finish(r, 0);
	T_OK(r->nrows == 3, "three groups");
	T_STR(r->rows[0].keys[0], "acme", "acme first (10)");
	T_OK(r->rows[0].sent == 2000 && r->rows[0].rated == 10 &&
		 r->rows[0].rate > 0.00499 && r->rows[0].rate < 0.00501,
	     "acme: 10 / 2,000 (its streams' sent counts are its own)");
	T_STR(r->rows[1].keys[0], "beta", "beta");
	T_OK(r->rows[1].sent == 8000 && r->rows[1].rated == 1 &&
		 r->rows[1].days_unsent == 1,
	     "beta: 1 / 8,000; the 3 complaints of a day without its sent "
	     "counts are left out, not 4 / 8,000");
	T_STR(r->rows[2].keys[0], "(none)", "untenanted");
	T_OK(r->rows[2].sent == 1000 && r->rows[2].rated == 2,
	     "untenanted events over untenanted sent counts");
	rb_report_free(r);
}

static void
test_renderers(void)
{
	struct rb_report *r = sample("campaign", 0);
	char *t = render(r, RB_FMT_TEXT);
	T_OK(t && strstr(t, "Complaint report: 2026-11-01 to 2026-11-07"),
	     "text title");
	T_OK(t && strstr(t, "16 complaints (1 inferred), 5,000 sent, "
			    "complaint rate 0.300% OVER >= 0.3% (15 complaints "
			    "on the days with sent counts)"),
	     "text totals");
	T_OK(t && strstr(t, "5 of 7 days have no sent counts"),
	     "text says how many days lack sent counts");
	/* the CJK campaign: its columns line up with the others */
	const char *l1 = t ? strstr(t, "black-friday") : NULL;
	const char *l2 = t ? strstr(t, "秋のセール") : NULL;
	if (l1 && l2) {
		struct rb_arena a;
		rb_arena_init(&a);
		char *e1 = rb_arena_strndup(&a, l1, strcspn(l1, "\n"));
		char *e2 = rb_arena_strndup(&a, l2, strcspn(l2, "\n"));
		const char *n1 = strstr(e1, "  11"), *n2 = strstr(e2, "   4");
		T_OK(n1 && n2 &&
			 rb_u8_width(rb_arena_strndup(&a, e1, (size_t)(n1 - e1))) ==
			     rb_u8_width(
				 rb_arena_strndup(&a, e2, (size_t)(n2 - e2))),
		     "count column aligned after a CJK key");
		rb_arena_free(&a);
	} else {
		T_OK(0, "text rows present");
	}
	free(t);

	t = render(r, RB_FMT_CSV);
	T_OK(t && strncmp(t, "campaign,complaints,inferred,sent,rate,mark,"
			     "rated,days_without_sent\r\n",
			  68) == 0,
	     "CSV header");
	T_OK(t && strstr(t, "black-friday,11,0,4000,0.00275,warn,11,0\r\n"),
	     "CSV row");
	T_OK(t && strstr(t, "\"秋のセール \"\"限定\"\", 2026\",4,1,,,,0,1\r\n"),
	     "CSV quotes comma and quote, empty rate");
	free(t);

	t = render(r, RB_FMT_JSON);
	T_OK(t && strstr(t, "\"campaign\": \"black-friday\",\n      "
			    "\"complaints\": 11,\n      \"inferred\": 0,\n"
			    "      \"sent\": 4000,\n      \"rate\": 0.00275,\n"
			    "      \"mark\": \"warn\""),
	     "JSON row with the same numbers");
	T_OK(t && strstr(t, "\"sent\": null"), "JSON null sent");
	T_OK(t && strstr(t, "秋のセール"), "JSON keeps UTF-8 unescaped");
	free(t);

	t = render(r, RB_FMT_HTML);
	T_OK(t && strstr(t, "<!DOCTYPE html>") && strstr(t, "<svg"),
	     "HTML with SVG");
	T_OK(t && strstr(t, "秋のセール &quot;限定&quot;, 2026"),
	     "HTML escapes the data");
	T_OK(t && !strstr(t, "http://") && !strstr(t, "https://") &&
		 !strstr(t, "<script"),
	     "HTML has no network resource and no script");
	const char *path = getenv("RB_REPORT_SAMPLE");
	if (path && t) {
		FILE *f = fopen(path, "w");
		if (f) {
			fputs(t, f);
			fclose(f);
		}
	}
	free(t);
	rb_report_free(r);

	/* hostile key values */
	char err[RB_ERR_MAX];
	r = rb_report_new(RB_REPORT_BOUNCES, "2026-11-01", "2026-11-01",
			  "remote-mta", err, sizeof(err));
	const char *v[] = {"<script>alert(1)</script>\r\n,\"x"};
	rb_report_add(r, v, 1, 1);
	rb_report_finish(r, 0);
	t = render(r, RB_FMT_HTML);
	T_OK(t && !strstr(t, "<script>") && strstr(t, "&lt;script&gt;"),
	     "HTML: markup in data is escaped");
	free(t);
	t = render(r, RB_FMT_CSV);
	T_OK(t && strstr(t, "\"<script>alert(1)</script>  ,\"\"x\",1,1,0,,,"),
	     "CSV: line breaks become spaces, then quoted");
	free(t);
	t = render(r, RB_FMT_TEXT);
	T_OK(t && !strchr(strstr(t, "<script>"), '\r'),
	     "text: no raw CR from data");
	free(t);
	rb_report_free(r);

	/* empty window */
	r = rb_report_new(RB_REPORT_BOUNCES, "2026-11-01", "2026-11-30",
			  "reason", err, sizeof(err));
	rb_report_finish(r, 10);
	t = render(r, RB_FMT_TEXT);
	T_OK(t && strstr(t, "No bounces in this window."), "empty text");
	free(t);
	t = render(r, RB_FMT_CSV);
	T_STR(t, "reason,bounces,hard,soft,sent,rate,mark,rated,"
		 "days_without_sent\r\n",
	      "empty CSV has its header");
	free(t);
	t = render(r, RB_FMT_JSON);
	T_OK(t && strstr(t, "\"rows\": []"), "empty JSON rows");
	free(t);
	t = render(r, RB_FMT_HTML);
	T_OK(t && strstr(t, "no bounces in this window"), "empty HTML");
	free(t);
	rb_report_free(r);
}

static void
test_window(void)
{
	static const struct {
		const char *since, *from, *to;
		int rc;
		const char *want_from, *want_to;
	} t[] = {
	    {NULL, NULL, NULL, 0, "2026-10-31", "2026-11-29"},
	    {"7d", NULL, NULL, 0, "2026-11-23", "2026-11-29"},
	    {"2w", NULL, NULL, 0, "2026-11-16", "2026-11-29"},
	    {"1", NULL, NULL, 0, "2026-11-29", "2026-11-29"},
	    {NULL, "2024-10-01", "2024-10-31", 0, "2024-10-01", "2024-10-31"},
	    {"0d", NULL, NULL, -1, NULL, NULL},
	    {"3x", NULL, NULL, -1, NULL, NULL},
	    {"7d", "2024-10-01", "2024-10-31", -1, NULL, NULL},
	    {NULL, "2024-10-01", NULL, -1, NULL, NULL},
	    {NULL, "2024-13-01", "2024-10-31", -1, NULL, NULL},
	};
	const time_t now = 1795913600; /* 2026-11-29T00:53:20Z */
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		char f[11] = "", to[11] = "";
		const char *err = NULL;
		int rc = rb_report_window(t[i].since, t[i].from, t[i].to, now,
					  f, to, &err);
		T_OK(rc == t[i].rc, "window %zu: rc %d", i, rc);
		if (rc == 0) {
			T_STR(f, t[i].want_from, "window %zu: from", i);
			T_STR(to, t[i].want_to, "window %zu: to", i);
		} else {
			T_OK(err != NULL, "window %zu: error says why", i);
		}
	}
}

int
main(void)
{
	test_dates();
	test_text_utils();
	test_provider();
	test_grouping();
	test_tenants();
	test_renderers();
	test_window();
	T_DONE();
}
