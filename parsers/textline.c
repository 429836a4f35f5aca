/* textline: the shapes of a line in a plain-text notice (implementation). */
#include "textline.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "text.h"

bool
rb_line_has_any(const char *hay, size_t n, const char *const *needles)
{
	if (hay == NULL || n == 0)
		return false;
	size_t k = 0;
	while (needles[k])
		k++;
	return rb_memcasemem_first(hay, n, needles, k, NULL) != NULL;
}

bool
rb_line_starts_any(const char *s, size_t n, const char *const *prefixes,
		   const char *skip)
{
	if (s == NULL || prefixes == NULL)
		return false;
	while (n > 0 && (*s == ' ' || *s == '\t' ||
			 (skip != NULL && *s != '\0' && strchr(skip, *s))))
		s++, n--;
	for (size_t i = 0; prefixes[i]; i++) {
		size_t k = strlen(prefixes[i]);
		if (k <= n && strncasecmp(s, prefixes[i], k) == 0)
			return true;
	}
	return false;
}

/* the first match of rb_line_first_with that lies within one line */
struct first_in_line {
	const char *const *needles;
	const char *text;
	size_t len;
};

static bool
within_line(void *ctx, const char *where, size_t k)
{
	const struct first_in_line *f = ctx;
	const char *nd = f->needles[k];
	if (strpbrk(nd, "\r\n") == NULL)
		return true;	/* a match without a line end: in its line */
	/* the match is the needle's bytes: no LF, and no CR that
	 * rb_next_line strips (one before a LF or at the end) */
	size_t at = (size_t)(where - f->text), n = strlen(nd);
	for (size_t q = at; q < at + n; q++)
		if (f->text[q] == '\n' ||
		    (f->text[q] == '\r' &&
		     (q + 1 == f->len || f->text[q + 1] == '\n')))
			return false;
	return true;
}

size_t
rb_line_first_with(const char *text, size_t len, size_t from,
		   const char *const *needles, size_t *next)
{
	if (from >= len)
		return len;
	size_t k = 0;
	while (needles[k])
		k++;
	/* the earliest match that lies within a line is on the first line
	 * that holds one (lines as rb_next_line splits them) */
	struct first_in_line f = {needles, text, len};
	const char *p = rb_memcasemem_each(text + from, len - from, needles, k,
					   within_line, &f);
	if (p == NULL)
		return len;
	size_t at = (size_t)(p - text), b = at;
	while (b > from && text[b - 1] != '\n')
		b--;
	const char *nl = memchr(text + at, '\n', len - at);
	*next = nl ? (size_t)(nl - text) + 1 : len;
	return b;
}

bool
rb_line_blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isspace((unsigned char)s[i]))
			return false;
	return true;
}

/* A separator line: "-----", "=====", "*****", "_____" (and MIME
 * boundaries of bodies gmime did not split). */
bool
rb_line_separator(const char *s, size_t n)
{
	size_t i = 0;
	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	if (n - i < 3)
		return false;
	char ch = s[i];
	if (ch != '-' && ch != '=' && ch != '*' && ch != '_')
		return false;
	return s[i + 1] == ch && s[i + 2] == ch;
}

bool
rb_line_local_char(unsigned char ch)
{
	return isalnum(ch) || ch >= 0x80 || strchr("!#$%&'*+/=?^_`{|}~.-", ch);
}

static bool
domain_char(unsigned char ch)
{
	return isalnum(ch) || ch >= 0x80 || ch == '.' || ch == '-' ||
	       ch == '_';
}

/* A quoted local part that an '@' follows ("\"john smith\"@"): its length
 * up to the '@', or 0.  A quote that closes before anything else
 * ("\"john@example.com\"") is a quoted address, not a local part. */
static size_t
quoted_local(const char *s, size_t n)
{
	if (n < 4 || s[0] != '"')
		return 0;
	for (size_t j = 1; j < n && j < 66; j++) {
		unsigned char ch = (unsigned char)s[j];
		if (ch == '\\') {
			j++;
			continue;
		}
		if (ch < 0x20 || ch == 0x7f || ch == '@')
			return 0;
		if (ch == '"')
			return j > 1 && j + 1 < n && s[j + 1] == '@' ? j + 1 : 0;
	}
	return 0;
}

/*
 * Parse an address at s[0..n): [<"]local@domain[>"].  Sets *as and *al to the
 * bare address and returns bytes consumed, or 0.
 */
size_t
rb_line_addr_at(const char *s, size_t n, const char **as, size_t *al)
{
	size_t i = 0;
	char open = 0;
	if (i < n && s[i] == '<') {
		open = '>';
		i++;
	}
	size_t ls = i;
	size_t ql = quoted_local(s + i, n - i);
	if (ql > 0) {
		i += ql;	/* "quoted local"@domain */
	} else {
		if (i < n && s[i] == '"' && open == 0) {
			open = '"';	/* "local@domain" */
			ls = ++i;
		}
		while (i < n && rb_line_local_char((unsigned char)s[i]) &&
		       s[i] != '@')
			i++;
	}
	if (i == ls || i >= n || s[i] != '@')
		return 0;
	i++;
	size_t ds = i, de;
	if (i < n && s[i] == '[') {
		/* a domain literal: local@[192.0.2.1], local@[IPv6:2001:db8::1] */
		size_t j = i + 1;
		while (j < n && j - i < 64 &&
		       (isxdigit((unsigned char)s[j]) || s[j] == '.' ||
			s[j] == ':' || s[j] == 'I' || s[j] == 'P' || s[j] == 'v'))
			j++;
		if (j >= n || s[j] != ']' || j == i + 1)
			return 0;
		de = j + 1;
	} else {
		while (i < n && domain_char((unsigned char)s[i]))
			i++;
		de = i;
		while (de > ds && (s[de - 1] == '.' || s[de - 1] == '-'))
			de--;
		if (de == ds || memchr(s + ds, '.', de - ds) == NULL)
			return 0;
	}
	*as = s + ls;
	*al = de - ls;
	i = de;
	if (open && i < n && s[i] == open)
		i++;
	return i;
}

/* Append s[0..n) to buf (space separated), bounded. */
void
rb_line_join(char *buf, size_t *bl, const char *s, size_t n)
{
	while (n > 0 && isspace((unsigned char)*s))
		s++, n--;
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	if (n == 0)
		return;
	if (*bl > 0 && *bl < RB_LINE_DIAG_MAX - 1)
		buf[(*bl)++] = ' ';
	if (n > RB_LINE_DIAG_MAX - 1 - *bl)
		n = RB_LINE_DIAG_MAX - 1 - *bl;
	memcpy(buf + *bl, s, n);
	*bl += n;
	buf[*bl] = '\0';
}

/* Columns of leading blanks (a tab counts 8). */
size_t
rb_line_indent(const char *s, size_t n)
{
	size_t i = 0, col = 0;
	for (; i < n && (s[i] == ' ' || s[i] == '\t'); i++)
		col = s[i] == '\t' ? (col / 8 + 1) * 8 : col + 1;
	return col;
}

/* Does the text carry an SMTP reply or enhanced status code? */
size_t
rb_line_skip_code(const char *s, size_t n, bool *reply)
{
	size_t i = 0;
	*reply = false;
	if (i + 3 < n && isdigit((unsigned char)s[0]) &&
	    isdigit((unsigned char)s[1]) && isdigit((unsigned char)s[2]) &&
	    (s[3] == ' ' || s[3] == '-')) {
		i = 4;
		*reply = true;
	}
	if ((*reply ? i + 1 < n : i + 5 < n) && isdigit((unsigned char)s[i]) &&
	    s[i + 1] == '.') {
		size_t j = i;
		while (j < n && (isdigit((unsigned char)s[j]) || s[j] == '.'))
			j++;
		if (j < n && s[j] == ' ')
			i = j + 1;
	}
	return i;
}

bool
rb_line_has_code(const char *s, size_t n)
{
	for (size_t i = 0; i + 3 <= n; i++) {
		if (!isdigit((unsigned char)s[i]) || (i > 0 && isalnum((unsigned char)s[i - 1])))
			continue;
		if ((s[i] == '4' || s[i] == '5') && i + 4 < n &&
		    s[i + 1] == '.' && isdigit((unsigned char)s[i + 2]))
			return true;
		if ((s[i] == '4' || s[i] == '5') &&
		    isdigit((unsigned char)s[i + 1]) &&
		    isdigit((unsigned char)s[i + 2]) &&
		    (i + 3 == n || !isalnum((unsigned char)s[i + 3])))
			return true;
	}
	return false;
}

/* A success reply ("250 2.0.0 Ok: queued") and no failure code: the
 * line reports a delivery (Postfix's text "successfully delivered"
 * notice), not a failed recipient. */
bool
rb_line_success_only(const char *s, size_t n)
{
	if (n == 0 || rb_line_has_code(s, n))
		return false;
	for (size_t i = 0; i + 4 <= n; i++) {
		if (s[i] != '2' || (i > 0 && isalnum((unsigned char)s[i - 1])))
			continue;
		if (isdigit((unsigned char)s[i + 1]) &&
		    isdigit((unsigned char)s[i + 2]) &&
		    (s[i + 3] == ' ' || s[i + 3] == '-'))
			return true;
		if (s[i + 1] == '.' && isdigit((unsigned char)s[i + 2]) &&
		    s[i + 3] == '.')
			return true;
	}
	return false;
}

/* The lines after the heading line (one of `heads`) up to a blank or
 * separator line, squeezed; only its first line when `one`. */
const char *
rb_line_block_after(struct rb_arena *a, const char *text, size_t len,
		    size_t rs, const char *const *heads, bool one)
{
	size_t pos, ll;
	const char *line;
	if (rb_line_first_with(text, len, rs, heads, &pos) >= len)
		return NULL;
	size_t b = pos, e = pos;
	while (rb_next_line(text, len, &pos, &line, &ll)) {
		if (rb_line_blank(line, ll) || rb_line_separator(line, ll))
			break;
		e = (size_t)(line - text) + ll;
		if (one)
			break;
		if (e - b > RB_LINE_DIAG_MAX)
			break;
	}
	return e > b ? rb_squeeze(a, text + b, e - b) : NULL;
}

bool
rb_line_generated_by(const char *line, size_t n)
{
	size_t i = 0;
	while (i < n && (line[i] == ' ' || line[i] == '\t'))
		i++;
	return n - i > 13 && strncasecmp(line + i, "generated by ", 13) == 0;
}

/* The non-blank line just above `line` (not before text[rs]). */
bool
rb_line_above(const char *text, size_t rs, const char *line, const char **pl,
	      size_t *pll)
{
	size_t e = (size_t)(line - text);
	if (e <= rs + 1)
		return false;
	e--;	/* its '\n' */
	if (e > rs && text[e - 1] == '\r')
		e--;
	size_t b = e;
	while (b > rs && text[b - 1] != '\n')
		b--;
	if (rb_line_blank(text + b, e - b))
		return false;
	*pl = text + b;
	*pll = e - b;
	return true;
}
