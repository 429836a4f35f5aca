/*
 * t.h: the unit-test harness.  Each test program prints one line per
 * check, "ok - what" or "not ok - what (file:line)", and exits non-zero
 * when any check failed; tests/run.sh counts the lines.
 */
#ifndef RB_T_H
#define RB_T_H

#include <stdio.h>
#include <string.h>

static int t_failed;

#define T_OK(cond, ...)                                                        \
	do {                                                                   \
		int t_c_ = !!(cond);                                           \
		printf("%s - ", t_c_ ? "ok" : "not ok");                       \
		printf(__VA_ARGS__);                                           \
		if (!t_c_) {                                                   \
			printf(" (%s:%d: %s)", __FILE__, __LINE__, #cond);    \
			t_failed++;                                            \
		}                                                              \
		printf("\n");                                                  \
	} while (0)

/* string equality where NULL equals only NULL */
static inline int
t_streq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

#define T_STR(got, want, ...)                                                  \
	do {                                                                   \
		const char *t_g_ = (got), *t_w_ = (want);                      \
		T_OK(t_streq(t_g_, t_w_), __VA_ARGS__);                        \
		if (!t_streq(t_g_, t_w_))                                      \
			printf("#   got '%s', want '%s'\n",                      \
			       t_g_ ? t_g_ : "(null)", t_w_ ? t_w_ : "(null)"); \
	} while (0)

#define T_DONE() return t_failed ? 1 : 0

#endif
