/*
 * The throttling report (reports/throttle.c) without a database: provider
 * from remote MTA then recipient domain, merging, per-provider first /
 * last / peak day, the other refusals of the sender by family, and the
 * same numbers in text, CSV and JSON.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reports/throttle.h"
#include "t.h"

static char *
render(const struct rb_throttle *t, enum rb_report_format f)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	int rc = rb_throttle_render(t, f, m);
	fclose(m);
	T_OK(rc == 0, "render format %d", (int)f);
	return buf;
}

int
main(void)
{
	struct rb_throttle *t = rb_throttle_new("2024-10-01", "2024-10-31");
	/* as the store gives them: by day, but one late row out of order */
	rb_throttle_add(t, "2024-10-14", "mx3.qq.com", "qq.com", "toomanyconn",
			3);
	rb_throttle_add(t, "2024-10-14", "mx1.qq.com", "foxmail.com",
			"toomanyconn", 2);
	rb_throttle_add(t, "2024-10-15", "163mx01.mxmail.netease.com",
			"163.com", "toomanyconn", 7);
	rb_throttle_add(t, "2024-10-15", NULL, "126.com", "toomanyconn", 1);
	rb_throttle_add(t, "2024-10-15", "mxbiz1.qq.com", "corp.example.cn",
			"speeding", 4);
	rb_throttle_add(t, "2024-10-16", "mx2.qq.com", "qq.com", "speeding", 1);
	rb_throttle_add(t, "2024-10-13", "mx.unknown.example.net",
			"example.net", "toomanyconn", 1);
	rb_throttle_add(t, "2024-10-14", NULL, NULL, "toomanyconn", 0);
	rb_throttle_add(t, NULL, "mx3.qq.com", "qq.com", "toomanyconn", 9);
	/* refusals of other families: counted beside, never as throttling */
	rb_throttle_add(t, "2024-10-15", "mx3.qq.com", "qq.com", "spamdetected",
			5);
	rb_throttle_add(t, "2024-10-15", "mxw.mxhichina.com", "corp.example.cn",
			"blocked", 2);
	rb_throttle_add(t, "2024-10-17", "mxw.mxhichina.com", "corp.example.cn",
			"authfailure", 1);
	rb_throttle_add(t, "2024-10-15", "163mx01.mxmail.netease.com",
			"163.com", "securityerror", 1);
	/* the address's own state is not the sender's to fix */
	rb_throttle_add(t, "2024-10-15", "mx3.qq.com", "qq.com", "userunknown",
			4);
	rb_throttle_add(t, "2024-10-15", "mx3.qq.com", "qq.com", "mailboxfull",
			1);
	rb_throttle_add(t, "2024-10-15", "mx3.qq.com", "qq.com", "expired", 1);
	rb_throttle_add(t, "2024-10-15", "mx3.qq.com", "qq.com", NULL, 1);
	rb_throttle_finish(t);
	T_OK(t->reputation == 2 && t->content == 5 && t->authentication == 2,
	     "family totals %lld %lld %lld", t->reputation, t->content,
	     t->authentication);

	T_OK(t->total == 19, "total %lld", t->total);
	T_OK(t->nrows == 8, "eight (day, provider) cells: %zu", t->nrows);
	T_STR(t->rows[0].day, "2024-10-13", "sorted by day");
	T_STR(t->rows[0].provider, "example.net",
	      "unknown provider by organisational domain");
	T_STR(t->rows[1].provider, "QQ Mail", "qq.com and foxmail.com merge");
	T_OK(t->rows[1].n == 5, "QQ on the 14th: %lld", t->rows[1].n);
	T_OK(t->nsums == 5, "five providers: %zu", t->nsums);
	T_STR(t->sums[0].provider, "NetEase", "largest first");
	T_OK(t->sums[0].n == 8, "NetEase 8");
	T_STR(t->sums[1].provider, "QQ Mail", "then QQ");
	T_STR(t->sums[1].first, "2024-10-14", "QQ started on the 14th");
	T_STR(t->sums[1].last, "2024-10-16", "QQ last on the 16th");
	T_STR(t->sums[1].peak_day, "2024-10-14", "QQ peak day");
	T_OK(t->sums[1].days == 2, "QQ on two days");
	T_STR(t->sums[2].provider, "Tencent Exmail", "Exmail by its MX");
	T_OK(t->sums[1].content == 5, "QQ content 5");
	T_OK(t->sums[0].authentication == 1, "NetEase authentication 1");
	const struct rb_throttle_sum *ali = &t->sums[4];
	T_STR(ali->provider, "Aliyun Mail", "no throttling: listed last");
	T_OK(ali->n == 0 && ali->days == 0 && ali->first == NULL &&
		 ali->peak_day == NULL,
	     "Aliyun: no throttling days");
	T_OK(ali->reputation == 2 && ali->authentication == 1,
	     "Aliyun: reputation 2, authentication 1");

	char *text = render(t, RB_FMT_TEXT);
	char *csv = render(t, RB_FMT_CSV);
	char *js = render(t, RB_FMT_JSON);
	char *html = render(t, RB_FMT_HTML);
	T_OK(strstr(text, "total: 19") != NULL, "text total");
	T_OK(strstr(text, "QQ Mail         2024-10-14  2024-10-16     2") !=
		 NULL,
	     "text summary row aligned");
	T_OK(strstr(csv, "2024-10-15,NetEase,8,8,0,0,0,1\r\n") != NULL,
	     "CSV row with CRLF");
	T_OK(strstr(csv, "2024-10-15,Tencent Exmail,4,0,4,0,0,0\r\n") != NULL,
	     "CSV speeding column");
	T_OK(strstr(csv, "2024-10-17,Aliyun Mail,0,0,0,0,0,1\r\n") != NULL,
	     "CSV: a day with only an authentication refusal");
	T_OK(strstr(text, "2024-10-17") == NULL,
	     "text throttling tables skip days without rate rejections");
	T_OK(strstr(text, "Aliyun Mail              0           2           "
			  "0               1") != NULL,
	     "text what-to-fix row");
	json_error_t je;
	json_t *j = json_loads(js, 0, &je);
	T_OK(j != NULL, "JSON parses");
	long long sum = 0;
	size_t i;
	json_t *row;
	json_array_foreach(json_object_get(j, "rows"), i, row)
		sum += json_integer_value(json_object_get(row, "rejections"));
	T_OK(sum == 19 && json_integer_value(json_object_get(j, "total")) == 19,
	     "JSON rows add up to the total");
	/* CSV rows add up too */
	long long csum = 0;
	for (char *l = strchr(csv, '\n'); l && l[1]; l = strchr(l + 1, '\n')) {
		char *c1 = strchr(l + 1, ','), *c2 = c1 ? strchr(c1 + 1, ',') : NULL;
		if (c2)
			csum += strtoll(c2 + 1, NULL, 10);
	}
	T_OK(csum == 19, "CSV rows add up to the total (%lld)", csum);
	T_OK(strstr(html, "<pre>") && strstr(html, "NetEase"), "HTML page");
	json_decref(j);
	free(text);
	free(csv);
	free(js);
	free(html);
	rb_throttle_free(t);

	struct rb_throttle *e = rb_throttle_new("2024-11-01", "2024-11-30");
	rb_throttle_finish(e);
	char *et = render(e, RB_FMT_TEXT);
	T_OK(strstr(et, "no rate-limit or quota rejections") != NULL,
	     "empty window");
	char *ej = render(e, RB_FMT_JSON);
	T_OK(strstr(ej, "\"total\": 0") != NULL, "empty JSON total 0");
	free(et);
	free(ej);
	rb_throttle_free(e);
	T_DONE();
}
