#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static enum rb_log_level log_min = RB_LOG_INFO;
static int log_json;
static int log_journal;
static int log_stamp;	/* text lines start with the time */
static const char *ctx_key, *ctx_value;

static const char *const level_names[] = {"debug", "info", "warning",
					  "error"};

void
rb_log_setup(enum rb_log_level min, int json)
{
	log_min = min;
	log_json = json;
	log_journal = getenv("JOURNAL_STREAM") != NULL;
	log_stamp = !log_journal;
}

int
rb_log_level_parse(const char *name)
{
	for (int i = 0; i < 4; i++)
		if (!strcmp(name, level_names[i]))
			return i;
	return -1;
}

const char *
rb_log_level_name(enum rb_log_level level)
{
	return level_names[level];
}

void
rb_log_context(const char *key, const char *value)
{
	ctx_key = key;
	ctx_value = value;
}

/* A control character at s (C0, DEL, or C1 written in UTF-8): its code,
 * and its length in *len; -1 when s is none. */
static int
control_at(const unsigned char *s, size_t *len)
{
	if (s[0] < 0x20 || s[0] == 0x7f) {
		*len = 1;
		return s[0];
	}
	if (s[0] == 0xc2 && s[1] >= 0x80 && s[1] <= 0x9f) {
		*len = 2;
		return s[1];
	}
	return -1;
}

static void
json_str(FILE *f, const char *s)
{
	fputc('"', f);
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		size_t len;
		int c = control_at(p, &len);
		if (*p == '"' || *p == '\\') {
			fprintf(f, "\\%c", *p);
			len = 1;
		} else if (c >= 0) {
			fprintf(f, "\\u%04x", (unsigned)c);
		} else {
			fputc(*p, f);
			len = 1;
		}
		p += len;
	}
	fputc('"', f);
}

/* Text lines: control characters (a server's text may carry terminal
 * escape sequences or line breaks) are written as \n, \r, \t or \xNN,
 * so a line stays one line and a terminal shows it as it is. */
static void
text_str(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		size_t len;
		int c = control_at(p, &len);
		if (c < 0) {
			fputc(*p++, f);
			continue;
		}
		if (c == '\n')
			fputs("\\n", f);
		else if (c == '\r')
			fputs("\\r", f);
		else if (c == '\t')
			fputs("\\t", f);
		else
			fprintf(f, "\\x%02x", (unsigned)c);
		p += len;
	}
}

/* now, UTC, to the millisecond: 2026-01-02T03:04:05.678Z */
static void
timestamp(char *ts, size_t n)
{
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	struct tm tm;
	gmtime_r(&now.tv_sec, &tm);
	size_t l = strftime(ts, n, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(ts + l, n - l, ".%03ldZ", now.tv_nsec / 1000000);
}

static void
emit(enum rb_log_level level, const struct rb_log_num *nums, int nn,
     const char *msg)
{
	char ts[40];
	if (log_json || log_stamp)
		timestamp(ts, sizeof ts);
	flockfile(stderr);
	if (log_json) {
		fprintf(stderr, "{\"ts\":\"%s\",\"level\":\"%s\",", ts,
			level_names[level]);
		if (ctx_value) {
			json_str(stderr, ctx_key);
			fputc(':', stderr);
			json_str(stderr, ctx_value);
			fputc(',', stderr);
		}
		for (int i = 0; i < nn; i++) {
			json_str(stderr, nums[i].name);
			if (nums[i].frac)
				fprintf(stderr, ":%.3f,", nums[i].value);
			else
				fprintf(stderr, ":%.0f,", nums[i].value);
		}
		fputs("\"msg\":", stderr);
		json_str(stderr, msg);
		fputs("}\n", stderr);
	} else {
		static const int prio[] = {7, 6, 4, 3};
		if (log_journal)
			fprintf(stderr, "<%d>", prio[level]);
		else if (log_stamp)
			fprintf(stderr, "%s ", ts);
		fprintf(stderr, "rebound: %s: ", level_names[level]);
		if (ctx_value) {
			text_str(stderr, ctx_value);
			fputs(": ", stderr);
		}
		text_str(stderr, msg);
		fputc('\n', stderr);
	}
	fflush(stderr);
	funlockfile(stderr);
}

static void
logv(enum rb_log_level level, const struct rb_log_num *nums, int nn,
     const char *fmt, va_list ap)
{
	if (level < log_min)
		return;
	char buf[2048], *big = NULL;
	va_list aq;
	va_copy(aq, ap);
	int n = vsnprintf(buf, sizeof buf, fmt, ap);
	if (n >= (int)sizeof buf && vasprintf(&big, fmt, aq) < 0)
		big = NULL;	/* out of memory: the cut line */
	va_end(aq);
	emit(level, nums, nn, big ? big : buf);
	free(big);
}

void
rb_logl(enum rb_log_level level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	logv(level, NULL, 0, fmt, ap);
	va_end(ap);
}

void
rb_logn(enum rb_log_level level, const struct rb_log_num *nums, int n,
	const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	logv(level, nums, n, fmt, ap);
	va_end(ap);
}

void
rb_log(const char *level, const char *fmt, ...)
{
	int l = rb_log_level_parse(level);
	va_list ap;
	va_start(ap, fmt);
	logv(l < 0 ? RB_LOG_ERROR : (enum rb_log_level)l, NULL, 0, fmt, ap);
	va_end(ap);
}
