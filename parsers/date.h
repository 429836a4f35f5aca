/*
 * date: RFC 5322 (and common sloppy) dates to ISO 8601 UTC.
 * rb_date_parse returns 0 and the epoch seconds, or -1.
 */
#ifndef RB_DATE_H
#define RB_DATE_H

#include <time.h>

#include "lib/arena.h"

int rb_date_parse(const char *s, time_t *out);
/* "2024-05-01T12:00:00Z", arena copy; NULL when unparseable */
char *rb_date_iso(struct rb_arena *a, const char *s);

#endif
