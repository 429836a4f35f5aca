#include "daemon/mailhead.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "lib/utf8.h"

#define SCAN_MAX (64u * 1024)

int
rb_mailhead_get(const char *data, size_t len, const char *name, char *out)
{
	size_t nl = strlen(name);
	const unsigned char *p = (const unsigned char *)data;
	size_t end = len < SCAN_MAX ? len : SCAN_MAX;
	out[0] = '\0';
	for (size_t i = 0; i < end;) {
		/* a line starts at i */
		if (p[i] == '\n' || (p[i] == '\r' && i + 1 < end &&
				     p[i + 1] == '\n'))
			return 0;	/* end of the header */
		int match = i + nl < end && p[i + nl] == ':' &&
			    strncasecmp((const char *)p + i, name, nl) == 0;
		if (!match) {
			/* skip the line (continuation lines too) */
			while (i < end && p[i] != '\n')
				i++;
			i++;
			continue;
		}
		i += nl + 1;
		size_t o = 0;
		int space = 1;	/* leading blanks are dropped */
		int full = 0;	/* the rest is skipped whole */
		while (i < end) {
			if (p[i] == '\r' || p[i] == '\n') {
				size_t j = i + (p[i] == '\r');
				if (j < end && p[j] == '\n')
					j++;
				if (j < end && (p[j] == ' ' || p[j] == '\t')) {
					i = j;	/* folded: go on */
					continue;
				}
				break;
			}
			if (p[i] == ' ' || p[i] == '\t') {
				if (!space && !full && o < RB_MAILHEAD_MAX)
					out[o++] = ' ';
				space = 1;
				i++;
				continue;
			}
			space = 0;
			uint32_t cp;
			size_t k = rb_utf8_decode((const char *)p + i, end - i,
						  &cp);
			if (k == 0 || cp < 0x20 || cp == 0x7f) {
				if (!full && o < RB_MAILHEAD_MAX)
					out[o++] = '?';
				i++;
				continue;
			}
			if (!full && o + k <= RB_MAILHEAD_MAX) {
				memcpy(out + o, p + i, k);
				o += k;
			} else {
				full = 1;
			}
			i += k;
		}
		while (o > 0 && out[o - 1] == ' ')
			o--;
		out[o] = '\0';
		return o > 0;
	}
	return 0;
}
