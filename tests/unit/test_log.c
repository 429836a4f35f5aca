/* lib/log: line formats, levels, and control characters escaped. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/log.h"
#include "t.h"

static char out[4096];

/* What the logger wrote to stderr while fn ran. */
static const char *
capture(void (*fn)(void))
{
	char path[] = "/tmp/rb-test-log-XXXXXX";
	int fd = mkstemp(path);
	fflush(stderr);
	int saved = dup(2);
	dup2(fd, 2);
	fn();
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	lseek(fd, 0, SEEK_SET);
	ssize_t n = read(fd, out, sizeof out - 1);
	out[n > 0 ? n : 0] = '\0';
	close(fd);
	unlink(path);
	return out;
}

static int stamps_ok = 1;

/* Outside journald each text line starts with its UTC time,
 * "2026-01-02T03:04:05.678Z "; the same text without it (and stamps_ok
 * cleared when a line lacks it). */
static const char *
unstamped(const char *s)
{
	static char u[4096];
	size_t o = 0;
	while (*s && o < sizeof u - 1) {
		size_t n = strlen(s) >= 25 ? 25 : 0;
		if (n && s[4] == '-' && s[10] == 'T' && s[23] == 'Z' && s[24] == ' ')
			s += 25;
		else
			stamps_ok = 0;
		while (*s && *s != '\n' && o < sizeof u - 1)
			u[o++] = *s++;
		if (*s == '\n' && o < sizeof u - 1)
			u[o++] = *s++;
	}
	u[o] = '\0';
	return u;
}

static void
plain(void)
{
	rb_warn("disk %s", "full");
}

static void
hostile(void)
{
	rb_err("server said: \x1b[31mred\x1b]0;title\x07 and\nnext\tline \xc2\x9b"
	       "2J \xc3\xa9t\xc3\xa9");
}

static void
levels(void)
{
	rb_debug("hidden");
	rb_info("shown");
}

static void
json(void)
{
	rb_log_context("mailbox", "bo\x1bx");
	rb_err("a \"quoted\"\nline \xc2\x85");
	rb_log_context(NULL, NULL);
}

int
main(void)
{
	unsetenv("JOURNAL_STREAM");
	rb_log_setup(RB_LOG_INFO, 0);
	T_STR(unstamped(capture(plain)), "rebound: warning: disk full\n", "text line");
	T_STR(unstamped(capture(hostile)),
	      "rebound: error: server said: \\x1b[31mred\\x1b]0;title\\x07 "
	      "and\\nnext\\tline \\x9b2J \xc3\xa9t\xc3\xa9\n",
	      "control characters escaped, UTF-8 kept");
	T_STR(unstamped(capture(levels)), "rebound: info: shown\n", "below the minimum: dropped");
	rb_log_setup(RB_LOG_DEBUG, 0);
	T_STR(unstamped(capture(levels)), "rebound: debug: hidden\nrebound: info: shown\n",
	      "debug when asked");
	T_OK(stamps_ok, "outside journald every text line starts with its UTC time");
	rb_log_setup(RB_LOG_INFO, 1);
	const char *j = capture(json);
	T_OK(strstr(j, "\"level\":\"error\",\"mailbox\":\"bo\\u001bx\","
		       "\"msg\":\"a \\\"quoted\\\"\\u000aline \\u0085\"}\n") != NULL,
	     "JSON escapes: %s", j);
	T_OK(rb_log_level_parse("warning") == RB_LOG_WARNING &&
		 rb_log_level_parse("loud") == -1,
	     "level names");
	T_DONE();
}
