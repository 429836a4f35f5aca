#define _DEFAULT_SOURCE
#include "date.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const months[] = {"jan", "feb", "mar", "apr",
				     "may", "jun", "jul", "aug",
				     "sep", "oct", "nov", "dec"};

static const struct {
	const char *name;
	int minutes;
} zones[] = {
    {"UT", 0},	      {"UTC", 0},	{"GMT", 0},	  {"Z", 0},
    {"EST", -300},    {"EDT", -240},	{"CST", -360},	  {"CDT", -300},
    {"MST", -420},    {"MDT", -360},	{"PST", -480},	  {"PDT", -420},
    {"JST", 540},     {"CET", 60},	{"CEST", 120},	  {"BST", 60},
    {"KST", 540},
};

/* next token: run of alnum or one of "+-:" groups; skip separators */
static const char *
tok(const char *p, char *buf, size_t cap)
{
	while (*p && (isspace((unsigned char)*p) || *p == ',' || *p == '(' ||
		      *p == ')'))
		p++;
	size_t n = 0;
	if (*p == '+' || *p == '-')
		buf[n++] = *p++;
	while (*p && (isalnum((unsigned char)*p) || *p == ':' || *p == '.') &&
	       n + 1 < cap)
		buf[n++] = *p++;
	buf[n] = '\0';
	/* skip the rest of an over-long token */
	while (*p && (isalnum((unsigned char)*p) || *p == ':'))
		p++;
	return p;
}

/* sscanf(t, "%d:%d:%d", ...) for a token of letters, digits and colons:
 * the number of fields read (values saturate, and are then out of
 * range for the caller's checks) */
static int
hms(const char *t, int *h, int *m, int *sec)
{
	int *f[3] = {h, m, sec};
	int n = 0;
	for (;;) {
		if (!isdigit((unsigned char)*t))
			return n;
		int v = 0;
		while (isdigit((unsigned char)*t)) {
			if (v < 100000)
				v = v * 10 + (*t - '0');
			t++;
		}
		*f[n++] = v;
		if (n == 3 || *t != ':')
			return n;
		t++;
	}
}

int
rb_date_parse(const char *s, time_t *out)
{
	if (s == NULL)
		return -1;
	int day = -1, mon = -1, year = -1, hh = -1, mm = 0, ss = 0;
	int off = 0, have_off = 0;
	char t[32];
	const char *p = s;
	for (int guard = 0; *p && guard < 16; guard++) {
		p = tok(p, t, sizeof(t));
		if (t[0] == '\0') {
			if (*p)
				p++;
			continue;
		}
		if (strchr(t, ':') && hh < 0) {
			if (hms(t, &hh, &mm, &ss) < 2)
				return -1;
			continue;
		}
		if ((t[0] == '+' || t[0] == '-') && isdigit((unsigned char)t[1])) {
			int v = atoi(t + 1);
			/* real zones are within -12:00..+14:00 */
			if (strlen(t) == 5 && hh >= 0 && !have_off &&
			    v / 100 <= 14 && v % 100 < 60) {
				off = (v / 100) * 60 + v % 100;
				if (t[0] == '-')
					off = -off;
				have_off = 1;
			}
			continue;
		}
		if (isdigit((unsigned char)t[0])) {
			int v = atoi(t);
			if (day < 0 && v >= 1 && v <= 31 && strlen(t) <= 2)
				day = v;
			else if (year < 0 && strlen(t) >= 2 && strlen(t) <= 4)
				year = strlen(t) == 4 ? v : (v < 50 ? 2000 + v
								     : 1900 + v);
			continue;
		}
		if (mon < 0 && t[1] != '\0' && t[2] != '\0') {
			/* the first three letters, lower-cased, against the
			 * table (was strncasecmp: one call a month a token) */
			char l3[3];
			for (int k = 0; k < 3; k++)
				l3[k] = (char)tolower((unsigned char)t[k]);
			for (int i = 0; i < 12 && mon < 0; i++)
				if (memcmp(l3, months[i], 3) == 0)
					mon = i;
			if (mon >= 0)
				continue;
		}
		if (!have_off && hh >= 0) {
			for (size_t i = 0; i < sizeof(zones) / sizeof(zones[0]);
			     i++)
				if (strcasecmp(t, zones[i].name) == 0) {
					off = zones[i].minutes;
					have_off = 1;
				}
		}
	}
	if (day < 0 || mon < 0 || year < 1970 || year > 2200 || hh < 0 ||
	    hh > 23 || mm < 0 || mm > 59 || ss < 0 || ss > 60)
		return -1;
	/* timegm() without its normalisation machinery: days since the
	 * epoch of the civil date (linear in the day, so "Feb 31" is
	 * Mar 3 as timegm makes it) */
	long y = year - (mon < 2), m = mon + 1;
	long era = y / 400;	/* y >= 1969: no negative division */
	long yoe = y - era * 400;
	long doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + day - 1;
	long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	long days = era * 146097 + doe - 719468;
	time_t t0 = (time_t)days * 86400 + hh * 3600 + mm * 60 +
		    (ss == 60 ? 59 : ss);
	*out = t0 - (time_t)off * 60;
	return 0;
}

char *
rb_date_iso(struct rb_arena *a, const char *s)
{
	time_t t;
	struct tm tm;
	if (rb_date_parse(s, &t) < 0 || gmtime_r(&t, &tm) == NULL)
		return NULL;
	int y = tm.tm_year + 1900;
	if (y < 0 || y > 9999)
		return NULL;	/* cannot happen: the year was checked */
	/* "YYYY-MM-DDTHH:MM:SSZ" by hand (printf is most of the cost) */
	const int v[6] = {y, tm.tm_mon + 1, tm.tm_mday,
			  tm.tm_hour, tm.tm_min, tm.tm_sec};
	static const char sep[6] = {'-', '-', 'T', ':', ':', 'Z'};
	char *o = rb_arena_alloc(a, 21), *q = o;
	for (int i = 0; i < 6; i++) {
		if (i == 0) {
			*q++ = (char)('0' + v[0] / 1000);
			*q++ = (char)('0' + v[0] / 100 % 10);
		}
		*q++ = (char)('0' + v[i] / 10 % 10);
		*q++ = (char)('0' + v[i] % 10);
		*q++ = sep[i];
	}
	*q = '\0';
	return o;
}
