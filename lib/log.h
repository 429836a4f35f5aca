/*
 * log: the process's diagnostics on standard error, one line each.
 *
 * Text format (the default):
 *   2026-01-02T03:04:05.678Z rebound: LEVEL: [CONTEXT: ]message
 * JSON format (one object a line):
 *   {"ts":"2026-01-02T03:04:05.678Z","level":"info",["KEY":"CONTEXT",]
 *    ["NAME":NUMBER,...]"msg":"..."}
 * rb_logn's numbers (counts, seconds) are fields of the JSON object, so
 * a log pipeline reads them without parsing the message; in text they are
 * only in the message.
 *
 * Control characters in a message or the context (C0, DEL, C1) are
 * escaped: \n \r \t \xNN in text, \uNNNN in JSON, so that text from a
 * server cannot break a line or reach a terminal as an escape sequence.
 *
 * Levels are debug < info < warning < error; lines below the minimum
 * (info unless rb_log_setup says otherwise) are dropped.  When the
 * process runs under systemd (JOURNAL_STREAM set when rb_log_setup is
 * called), text lines start with "<N>", the syslog priority journald
 * reads, and carry no timestamp (the journal records its own); anywhere
 * else they start with the UTC time, to the millisecond.  A process that
 * never calls rb_log_setup (a command run by hand) writes plain
 * "rebound: LEVEL: message" lines.  A line is written whole with one lock on stderr, so threads
 * never interleave inside a line.
 *
 * rb_log_setup and rb_log_context are for the start of a process or a
 * worker, before threads log: they are not synchronised.
 */
#ifndef RB_LOG_H
#define RB_LOG_H

enum rb_log_level {
	RB_LOG_DEBUG,
	RB_LOG_INFO,
	RB_LOG_WARNING,
	RB_LOG_ERROR,
};

/* Minimum level and format (json 0 text, 1 JSON). */
void rb_log_setup(enum rb_log_level min, int json);
/* The level of a name ("debug", "info", "warning", "error"); -1 if none. */
int rb_log_level_parse(const char *name);
const char *rb_log_level_name(enum rb_log_level level);
/* A context shown on every line until changed: JSON key `key`, value
 * `value` (NULL: none).  Both must outlive their use. */
void rb_log_context(const char *key, const char *value);

void rb_logl(enum rb_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The level by name (an unknown name logs as error). */
void rb_log(const char *level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* A number carried as a JSON field: an integer unless frac. */
struct rb_log_num {
	const char *name;
	double value;
	int frac;
};
/* rb_logl with numbers (n of them) as fields of the JSON line. */
void rb_logn(enum rb_log_level level, const struct rb_log_num *nums,
	     int n, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#define rb_debug(...) rb_logl(RB_LOG_DEBUG, __VA_ARGS__)
#define rb_info(...) rb_logl(RB_LOG_INFO, __VA_ARGS__)
#define rb_warn(...) rb_logl(RB_LOG_WARNING, __VA_ARGS__)
#define rb_err(...) rb_logl(RB_LOG_ERROR, __VA_ARGS__)

#endif
