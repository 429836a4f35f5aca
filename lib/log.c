#include "log.h"

#include <stdarg.h>
#include <stdio.h>

void
rb_log(const char *level, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "rebound: %s: ", level);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
