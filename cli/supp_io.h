/*
 * supp_io: what the senders' commands (query, filter, list, export,
 * import, explain, suppress, unsuppress) share: output formats, the
 * JSON of a suppression, CSV fields, reading an address argument, and
 * reporting input that holds no address.  Exit statuses: cli_store.h.
 */
#ifndef RB_SUPP_IO_H
#define RB_SUPP_IO_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "core/addrin.h"
#include "store/store.h"

enum fmt { FMT_TEXT, FMT_JSON, FMT_CSV };

int parse_fmt(const char *s, enum fmt *f, bool csv_ok);
json_t *jstr(const char *s);
json_t *supp_json(const struct rb_supp *p, const char *asked);
void print_json(json_t *o);
void csv_field(FILE *f, const char *s, bool last);
void report_invalid(const char *what, unsigned long line, const char *text,
		    size_t n, enum rb_addrin_err e);
bool arg_address(const char *what, const char *arg, char *buf, size_t cap);
/* the more serious of two exit statuses */
int worse(int a, int b);
/* nothing but white space (as core/addrin sees it) */
bool blank(const char *s, size_t n);
/* a header word of an address column (email, address, 邮箱, ...) */
bool header_word(const char *f, size_t n);

#endif
