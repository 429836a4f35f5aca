#include "daemon/mailhead.h"

#include <stdint.h>
#include <string.h>

#include "lib/headerfield.h"
#include "lib/utf8.h"

#define SCAN_MAX (64u * 1024)

int
rb_mailhead_get(const char *data, size_t len, const char *name, char *out)
{
	char raw[4 * RB_MAILHEAD_MAX];
	out[0] = '\0';
	if (!rb_header_field(data, len < SCAN_MAX ? len : SCAN_MAX, name, raw,
			     sizeof(raw)))
		return 0;
	/* shown to an operator: control characters and bytes that are not
	 * UTF-8 become '?'; the value is cut at a character boundary */
	size_t o = 0, n = strlen(raw);
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		size_t k = rb_utf8_decode(raw + i, n - i, &cp);
		if (k == 0 || cp < 0x20 || cp == 0x7f) {
			k = 1;
			if (o + 1 > RB_MAILHEAD_MAX)
				break;
			out[o++] = '?';
		} else {
			if (o + k > RB_MAILHEAD_MAX)
				break;
			memcpy(out + o, raw + i, k);
			o += k;
		}
		i += k;
	}
	while (o > 0 && out[o - 1] == ' ')
		o--;
	out[o] = '\0';
	return o > 0;
}
