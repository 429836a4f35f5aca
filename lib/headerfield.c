#include "headerfield.h"

#include <string.h>
#include <strings.h>

bool
rb_header_field(const char *raw, size_t len, const char *name, char *out,
		size_t outlen)
{
	size_t nl = strlen(name);
	const char *end = raw + len;
	out[0] = '\0';
	for (const char *q = raw; q < end;) {
		const char *eol = memchr(q, '\n', (size_t)(end - q));
		const char *next = eol ? eol + 1 : end;
		if (q == eol || (q[0] == '\r' && q + 1 == eol))
			return false;	/* the blank line: the body */
		if ((size_t)(end - q) > nl && q[nl] == ':' &&
		    strncasecmp(q, name, nl) == 0) {
			size_t o = 0;
			const char *p = q + nl + 1;
			for (;;) {
				const char *e2 = memchr(p, '\n',
							(size_t)(end - p));
				const char *stop = e2 ? e2 : end;
				for (; p < stop; p++) {
					char c = *p == '\t' || *p == '\r' ? ' '
									  : *p;
					if (c == ' ' && (o == 0 || out[o - 1] == ' '))
						continue;
					if (o + 1 < outlen)
						out[o++] = c;
				}
				if (e2 == NULL || e2 + 1 >= end ||
				    (e2[1] != ' ' && e2[1] != '\t'))
					break;
				p = e2 + 1;
				if (o > 0 && out[o - 1] != ' ' && o + 1 < outlen)
					out[o++] = ' ';
			}
			while (o > 0 && out[o - 1] == ' ')
				o--;
			out[o] = '\0';
			return true;
		}
		q = next;
	}
	return false;
}
