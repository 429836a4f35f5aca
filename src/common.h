/*
 * common: small process-level helpers shared by commands: loading the
 * rule set (built-in or --rules FILE), reading a whole file, logging.
 */
#ifndef RB_COMMON_H
#define RB_COMMON_H

#include <stddef.h>
#include <stdio.h>

#include "../parsers/limits.h"
#include "../parsers/rules.h"

#define RB_VERSION "0.1.0"

/* Built-in rules when path is NULL; else the file's rules in front of the
 * built-in ones (tried first).  Prints the error and returns NULL. */
struct rb_rules *rb_load_rules(const char *path, const struct rb_limits *lim);
/* Whole file into a malloc'ed NUL-terminated buffer; NULL + errno. */
char *rb_read_file(const char *path, size_t *len);
/* The same for an open stream (standard input), read to its end. */
char *rb_read_stream(FILE *f, size_t *len);

void rb_log(const char *level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
#define rb_info(...) rb_log("info", __VA_ARGS__)
#define rb_warn(...) rb_log("warning", __VA_ARGS__)
#define rb_err(...) rb_log("error", __VA_ARGS__)

#endif
