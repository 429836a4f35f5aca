/*
 * err: how rebound's functions report an error.
 *
 * A function that can fail returns -1 (int) or NULL (pointer) and writes
 * why into a buffer its caller passes as the last two parameters,
 * `char *err, size_t errlen`: always NUL-terminated when errlen > 0, cut
 * to fit, never allocated, so it works when memory ran out and nobody
 * has to free it.  RB_ERR_MAX bytes hold any message rebound writes.
 * The text is for the person running rebound: it names what failed and
 * where ("FILE:LINE: what: key", the path, the value at fault), in
 * lower case without a final full stop, and never contains a secret.
 * The caller decides what to do with it: print it (rb_err), put it into
 * its own message, or return it further up in its own err.
 *
 * Not converted yet, and documented in their headers: the store and the
 * IMAP client keep the last error on their handle (rb_store_error,
 * rb_imap_error); the configuration loader returns a malloc'ed string in
 * *err_r; rules compilation and the file walker use *error_r;
 * rb_report_window gives a static string in *err.
 */
#ifndef RB_ERR_H
#define RB_ERR_H

#include <stddef.h>

#define RB_ERR_MAX 512

/* printf into err (when err != NULL and errlen > 0); returns -1, so that
 * `return rb_errf(err, errlen, ...);` fails with the message. */
int rb_errf(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
