/*
 * log: the process's diagnostics on standard error, one line each,
 * "rebound: LEVEL: message".
 */
#ifndef RB_LOG_H
#define RB_LOG_H

void rb_log(const char *level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
#define rb_info(...) rb_log("info", __VA_ARGS__)
#define rb_warn(...) rb_log("warning", __VA_ARGS__)
#define rb_err(...) rb_log("error", __VA_ARGS__)

#endif
