/*
 * sent_csv: the file `rebound sent import` reads: how many messages were
 * sent, per day and optionally per tenant, stream, sender domain,
 * campaign and list.
 *
 *   day,sender_domain,campaign,list,count      (header optional)
 *   2026-11-02,news.example.com,black-friday,,20000
 *   day,tenant,stream,count                    (tenants need the header)
 *   2026-11-02,acme,marketing,20000
 *
 * CSV per RFC 4180 (quoted fields, "" inside quotes, CRLF or LF).  With a
 * header, columns are found by name (day|date, sender_domain|domain,
 * campaign, list|list_id, count|sent, tenant, stream), in any order, and
 * only day and count are required.  Without one, a record has 2 fields
 * (day, count) or 5 (day, sender domain, campaign, list, count).  A
 * tenant or stream is empty (mail sent for no tenant) or a name as in
 * core/scope.h, a stream only with a tenant; anything else is an error.
 * Blank lines and lines starting with '#' are skipped.
 *
 * Pure: no I/O.  Rows and their strings live in the caller's arena.
 * Returns the number of rows, or -1 with "line N: why" in err.
 */
#ifndef RB_SENT_CSV_H
#define RB_SENT_CSV_H

#include <stddef.h>

#include "store/report_q.h"
#include "lib/arena.h"

#define RB_SENT_MAX_FIELD 512	/* bytes in one field */

long rb_sent_csv_parse(struct rb_arena *a, const char *text, size_t len,
		       struct rb_rq_sent **rows, char *err, size_t errlen);

#endif
