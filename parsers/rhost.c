#include "rhost.h"

#include <ctype.h>
#include <string.h>

#include "text.h"

/* Phrases that precede the remote host name, and what must follow the
 * name for the match to count (so prose such as "the host is down" is
 * not taken for a host). */
static const struct {
	const char *lead;
	const char *after;	/* any of these bytes right after the name */
} leads[] = {
    {"host ", "[ "},		/* Postfix "host X[ip]", Exim "host X [ip]" */
    {"lost connection with ", "["},
    {"conversation with ", "["},
    {"connect to ", "["},
    {"while talking to ", ".:"},	/* Sendmail "talking to X.:" */
};

static bool
host_char(int ch)
{
	return isalnum(ch) || ch == '.' || ch == '-';
}

/* Length of the host name starting at p (bounded by end) when it is
 * followed by one of the accepted bytes; 0 otherwise.  *out_n gets the
 * length without trailing dots. */
static size_t
host_at(const char *p, const char *end, const char *after, size_t *out_n)
{
	const char *q = p;
	while (q < end && host_char((unsigned char)*q))
		q++;
	size_t n = (size_t)(q - p);
	if (q >= end || strchr(after, *q) == NULL)
		return 0;
	if (*q == ' ' && (q + 1 >= end || q[1] != '['))
		return 0;	/* the Exim form needs the bracketed address */
	while (n > 0 && p[n - 1] == '.')
		n--;
	if (n < 4 || n > 253 || memchr(p, '.', n) == NULL)
		return 0;
	*out_n = n;
	return n;
}

const char *
rb_remote_mta_find(struct rb_arena *a, const char *text, size_t len,
		   const char *recipient)
{
	if (text == NULL || len == 0)
		return NULL;
	if (recipient != NULL && *recipient) {
		const char *r = rb_strcasestr_n(text, len, recipient);
		if (r != NULL) {
			len -= (size_t)(r - text);
			text = r;
		}
	}
	if (len > 2048)
		len = 2048;
	const char *end = text + len;
	const char *best = NULL;
	size_t best_n = 0;
	for (size_t i = 0; i < sizeof(leads) / sizeof(leads[0]); i++) {
		size_t ll = strlen(leads[i].lead);
		const char *s = text;
		while (s < end) {
			const char *p = rb_memcasemem(s, (size_t)(end - s),
						      leads[i].lead, ll);
			if (p == NULL || (best != NULL && p + ll >= best))
				break;
			size_t n;
			if (host_at(p + ll, end, leads[i].after, &n)) {
				best = p + ll;	/* the earliest mention wins */
				best_n = n;
				break;
			}
			s = p + ll;
		}
	}
	if (best == NULL)
		return NULL;
	char *h = rb_arena_strndup(a, best, best_n);
	rb_lower(h);
	return h;
}
