/* date: RFC 5322 and sloppy real-world dates to ISO 8601 UTC. */
#include "parsers/date.h"
#include "t.h"

static const struct {
	const char *in;
	const char *want;	/* NULL: unparseable */
} dates[] = {
    {"Mon, 13 May 2024 09:15:02 +0200", "2024-05-13T07:15:02Z"},
    {"Mon, 13 May 2024 09:15:02 +0200 (CEST)", "2024-05-13T07:15:02Z"},
    {"13 May 2024 09:15:02 -0000", "2024-05-13T09:15:02Z"},
    {"Sat, 18 May 2024 01:29:58 -0700 (PDT)", "2024-05-18T08:29:58Z"},
    {"Thu, 8 Mar 2005 14:00:00 EDT", "2005-03-08T18:00:00Z"},
    {"Tue, 14 May 2024 10:00:00 GMT", "2024-05-14T10:00:00Z"},
    {"Tue, 14 May 2024 10:00:00 UT", "2024-05-14T10:00:00Z"},
    {"Wed, 2 Jun 1999 14:21:07 -0400", "1999-06-02T18:21:07Z"},
    {"1 Jan 24 10:00 +0000", "2024-01-01T10:00:00Z"},	/* 2-digit year */
    {"1 Jan 99 10:00 +0000", "1999-01-01T10:00:00Z"},
    {"Fri, 31 Dec 2021 23:30:00 -0100", "2022-01-01T00:30:00Z"},
    {"Thu, 16 May 2024 03:04:00 +0900", "2024-05-15T18:04:00Z"},
    {"Sun, 29 Feb 2004 12:00:00 +0000", "2004-02-29T12:00:00Z"},
    {"Mon,13 May 2024 09:15:02 +0200", "2024-05-13T07:15:02Z"},
    {"13-May-2024 09:15:02 +0000", NULL},	/* not handled: say so */
    {"Mon, 13 May 2024 09:15:60 +0000", "2024-05-13T09:15:59Z"},	/* leap */
    {"Mon, 13 May 2024 09:15:02", "2024-05-13T09:15:02Z"},	/* no zone: UTC */
    {"Mon, 13 May 2024 09:15:02 +2400", "2024-05-13T09:15:02Z"},	/* bad zone ignored */
    /* garbage */
    {"", NULL},
    {"yesterday", NULL},
    {"Mon, 32 May 2024 09:15:02 +0000", NULL},
    {"Mon, 13 Foo 2024 09:15:02 +0000", NULL},
    {"Mon, 13 May 2024 25:15:02 +0000", NULL},
    {"Mon, 13 May 1969 09:15:02 +0000", NULL},
    {"Mon, 13 May 2024", NULL},
    {"99999999999999999999 May 2024 10:00:00", NULL},
    {"::::::::::::::::::::::::::::::::::::", NULL},
};

/* the civil-date arithmetic against timegm() over every day of every
 * month (days 1..31, so overflowing dates too) of 1970..2200 */
static void
test_against_timegm(void)
{
	static const char *const mon[] = {"Jan", "Feb", "Mar", "Apr",
					  "May", "Jun", "Jul", "Aug",
					  "Sep", "Oct", "Nov", "Dec"};
	int bad = 0;
	for (int y = 1970; y <= 2200; y++)
		for (int m = 0; m < 12; m++)
			for (int d = 1; d <= 31; d++) {
				char s[64];
				snprintf(s, sizeof(s), "%d %s %d 13:45:59 +0130",
					 d, mon[m], y);
				struct tm tm = {0};
				tm.tm_year = y - 1900;
				tm.tm_mon = m;
				tm.tm_mday = d;
				tm.tm_hour = 13;
				tm.tm_min = 45;
				tm.tm_sec = 59;
				time_t want = timegm(&tm) - 90 * 60, got;
				if (rb_date_parse(s, &got) != 0 || got != want)
					bad++;
			}
	T_OK(bad == 0, "dates agree with timegm over 1970-2200 (%d wrong)",
	     bad);
}

int
main(void)
{
	struct rb_arena a;
	rb_arena_init(&a);
	for (size_t i = 0; i < sizeof(dates) / sizeof(dates[0]); i++)
		T_STR(rb_date_iso(&a, dates[i].in), dates[i].want, "date [%s]",
		      dates[i].in);
	T_STR(rb_date_iso(&a, NULL), NULL, "date NULL");
	time_t t;
	T_OK(rb_date_parse("Thu, 01 Jan 1970 00:00:00 +0000", &t) == 0 && t == 0,
	     "epoch");
	rb_arena_free(&a);
	test_against_timegm();
	T_DONE();
}
