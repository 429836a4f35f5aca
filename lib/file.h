/*
 * file: whole files and streams read into memory.
 */
#ifndef RB_FILE_H
#define RB_FILE_H

#include <stddef.h>
#include <stdio.h>

/* Whole file into a malloc'ed NUL-terminated buffer; NULL + errno. */
char *rb_read_file(const char *path, size_t *len);
/* The same for an open stream (standard input), read to its end. */
char *rb_read_stream(FILE *f, size_t *len);

#endif
