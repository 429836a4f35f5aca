#include "addrin.h"

#include <stdbool.h>
#include <string.h>
#include <strings.h>

/* length of the white space (see addrin.h) starting at s, 0 if none */
static size_t
space_at(const unsigned char *s, size_t n)
{
	if (n >= 1 && (s[0] == ' ' || s[0] == '\t' || s[0] == '\r' ||
		       s[0] == '\n' || s[0] == '\f' || s[0] == '\v'))
		return 1;
	if (n >= 2 && s[0] == 0xc2 && s[1] == 0xa0)
		return 2;
	if (n >= 3 && ((s[0] == 0xe3 && s[1] == 0x80 && s[2] == 0x80) ||
		       (s[0] == 0xe2 && s[1] == 0x80 && s[2] == 0x8b) ||
		       (s[0] == 0xef && s[1] == 0xbb && s[2] == 0xbf)))
		return 3;
	return 0;
}

/* the same, ending at s + n */
static size_t
space_before(const unsigned char *s, size_t n)
{
	if (n >= 1 && space_at(s + n - 1, 1) == 1)
		return 1;
	if (n >= 2 && space_at(s + n - 2, 2) == 2)
		return 2;
	if (n >= 3 && space_at(s + n - 3, 3) == 3)
		return 3;
	return 0;
}

static void
trim(const unsigned char **s, size_t *n)
{
	size_t k;
	while ((k = space_at(*s, *n)) > 0)
		*s += k, *n -= k;
	while ((k = space_before(*s, *n)) > 0)
		*n -= k;
}

/* a label separator at s: '.', U+3002, U+FF0E, U+FF61; its length */
static size_t
dot_at(const unsigned char *s, size_t n)
{
	if (n >= 1 && s[0] == '.')
		return 1;
	if (n >= 3 && ((s[0] == 0xe3 && s[1] == 0x80 && s[2] == 0x82) ||
		       (s[0] == 0xef && s[1] == 0xbc && s[2] == 0x8e) ||
		       (s[0] == 0xef && s[1] == 0xbd && s[2] == 0xa1)))
		return 3;
	return 0;
}

static bool
local_ok(const unsigned char *s, size_t n)
{
	if (n == 0)
		return false;
	if (s[0] == '"') {
		if (n < 2 || s[n - 1] != '"')
			return false;
		for (size_t i = 1; i + 1 < n; i++) {
			if (s[i] < 0x20 && s[i] != '\t')
				return false;
			if (s[i] == '\\') {
				if (++i + 1 >= n)
					return false;
			} else if (s[i] == '"') {
				return false;
			}
		}
		return true;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = s[i];
		if (c <= 0x20 || c == 0x7f || strchr("()<>[],;:\\\"@", c))
			return false;
	}
	return true;
}

static bool
domain_ok(const unsigned char *s, size_t n)
{
	if (n >= 2 && s[0] == '[') {
		if (s[n - 1] != ']')
			return false;
		for (size_t i = 1; i + 1 < n; i++)
			if (s[i] <= 0x20 || s[i] >= 0x7f || s[i] == '[' ||
			    s[i] == ']' || s[i] == '\\')
				return false;
		return n > 2;
	}
	/* trailing dots (the root) are allowed */
	for (;;) {
		if (n >= 1 && s[n - 1] == '.')
			n--;
		else if (n >= 3 && dot_at(s + n - 3, 3) == 3)
			n -= 3;
		else
			break;
	}
	if (n == 0)
		return false;
	size_t label = 0;
	for (size_t i = 0; i < n;) {
		size_t d = dot_at(s + i, n - i);
		if (d > 0) {
			if (label == 0)
				return false;	/* empty label */
			label = 0;
			i += d;
			continue;
		}
		unsigned char c = s[i];
		if (!(c >= 0x80 || (c >= 'a' && c <= 'z') ||
		      (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_'))
			return false;
		label++;
		i++;
	}
	return label > 0;
}

enum rb_addrin_err
rb_addr_input(const char *in, size_t n, const char **addr, size_t *len)
{
	const unsigned char *s = (const unsigned char *)in;
	*addr = in;
	*len = 0;
	trim(&s, &n);
	if (n == 0)
		return RB_ADDRIN_EMPTY;
	/* the last < and > outside quoted strings ("a<b"@x is a local
	 * part, "Carol <c>" a display name) */
	const unsigned char *lt = NULL, *gt = NULL;
	bool quoted = false;
	for (size_t i = 0; i < n; i++) {
		if (quoted && s[i] == '\\')
			i++;
		else if (s[i] == '"')
			quoted = !quoted;
		else if (!quoted && s[i] == '<')
			lt = s + i;
		else if (!quoted && s[i] == '>')
			gt = s + i;
	}
	if (lt != NULL || gt != NULL) {
		/* a display name and <address>: the last <...> ends it */
		if (gt != s + n - 1 || lt == NULL || lt > gt)
			return RB_ADDRIN_BRACKETS;
		n = (size_t)(gt - lt - 1);
		s = lt + 1;
		trim(&s, &n);
	} else if (s[n - 1] == ')') {
		/* address (comment) */
		size_t i = n;
		while (i > 0 && s[i - 1] != '(')
			i--;
		if (i == 0)
			return RB_ADDRIN_DOMAIN;
		n = i - 1;
		trim(&s, &n);
	}
	if (n >= 7 && strncasecmp((const char *)s, "mailto:", 7) == 0)
		s += 7, n -= 7;
	if (n == 0)
		return RB_ADDRIN_EMPTY;
	if (n > RB_ADDRIN_MAX)
		return RB_ADDRIN_LONG;
	size_t at = n;
	for (size_t i = n; i > 0; i--)
		if (s[i - 1] == '@') {
			at = i - 1;
			break;
		}
	if (at == n)
		return RB_ADDRIN_NO_AT;
	if (!local_ok(s, at))
		return RB_ADDRIN_LOCAL;
	if (!domain_ok(s + at + 1, n - at - 1))
		return RB_ADDRIN_DOMAIN;
	*addr = (const char *)s;
	*len = n;
	return RB_ADDRIN_OK;
}

const char *
rb_addrin_error(enum rb_addrin_err e)
{
	switch (e) {
	case RB_ADDRIN_OK:
		return "an address";
	case RB_ADDRIN_EMPTY:
		return "empty";
	case RB_ADDRIN_NO_AT:
		return "no '@'";
	case RB_ADDRIN_LOCAL:
		return "bad or empty local part (before '@')";
	case RB_ADDRIN_DOMAIN:
		return "bad or empty domain (after '@')";
	case RB_ADDRIN_BRACKETS:
		return "unbalanced <...> or text after '>'";
	case RB_ADDRIN_LONG:
		return "too long for an address";
	}
	return "not an address";
}
