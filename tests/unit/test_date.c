/* date: RFC 5322 and sloppy real-world dates to ISO 8601 UTC. */
#include "../../parsers/date.h"
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
	T_DONE();
}
