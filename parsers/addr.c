#include "addr.h"

#include <ctype.h>
#include <string.h>

#include "text.h"

static bool
atext(unsigned char c)
{
	return isalnum(c) || c >= 0x80 || strchr("!#$%&'*+-/=?^_`{|}~.", c);
}

static bool
dtext(unsigned char c)
{
	return isalnum(c) || c >= 0x80 || c == '-' || c == '.' || c == '_' ||
	       c == '[' || c == ']' || c == ':';
}

/* local part: a dot-atom of atext (UTF-8 allowed, RFC 6531) or one
 * quoted string; anything else (';', spaces, brackets...) is not an
 * address, however it got here */
static bool
local_ok(const char *s, const char *at)
{
	if (at - s > 256)
		return false;
	if (*s == '"') {
		const char *q = s + 1;
		while (q < at && *q != '"') {
			if (*q == '\\' && q + 1 < at)
				q++;
			q++;
		}
		return q == at - 1 && q > s + 1;
	}
	for (const char *p = s; p < at; p++)
		if (!atext((unsigned char)*p))
			return false;
	return true;
}

bool
rb_addr_plausible(const char *addr)
{
	const char *at = strrchr(addr, '@');
	if (at == NULL || at == addr || at[1] == '\0')
		return false;
	if (!local_ok(addr, at) || strlen(at + 1) > 255)
		return false;
	if (strchr(at + 1, '.') == NULL && at[1] != '[')
		return false;
	if (at[strlen(at) - 1] == '.' || at[1] == '.')
		return false;
	for (const char *p = at + 1; *p; p++)
		if (!dtext((unsigned char)*p))
			return false;
	return true;
}

/* lower-case the domain (ASCII only; UTF-8 bytes are left alone) */
static void
lower_domain(char *addr)
{
	char *at = strrchr(addr, '@');
	if (at)
		for (char *p = at + 1; *p; p++)
			if ((unsigned char)*p < 0x80)
				*p = (char)tolower((unsigned char)*p);
}

/* After an address-type prefix ("rfc822;" "RFC822 ;" "utf-8;" "x400;"),
 * or s itself: only registered address types (and X- ones) are
 * prefixes. */
static const char *
after_type(const char *s, size_t n)
{
	const char *semi = memchr(s, ';', n);
	if (semi == NULL)
		return s;
	static const char *const types[] = {"rfc822", "utf-8", "x400",
					    "unknown", NULL};
	size_t b = 0, tl = (size_t)(semi - s);
	while (b < tl && (s[b] == ' ' || s[b] == '\t'))
		b++;
	while (tl > b && (s[tl - 1] == ' ' || s[tl - 1] == '\t'))
		tl--;
	const char *t = s + b;
	tl -= b;
	bool type = tl > 2 && strncasecmp(t, "x-", 2) == 0;
	for (size_t i = 0; !type && types[i]; i++)
		type = tl == strlen(types[i]) && strncasecmp(t, types[i], tl) == 0;
	for (size_t i = 0; type && i < tl; i++)
		if (!(isalnum((unsigned char)t[i]) || t[i] == '-'))
			type = false;
	return type ? semi + 1 : s;
}

char *
rb_addr_normalize(struct rb_arena *a, const char *raw, size_t n)
{
	if (raw == NULL)
		return NULL;
	char *s = rb_squeeze(a, raw, n);
	s = (char *)after_type(s, strlen(s));
	s = rb_trim(s);
	/* prefer an address in angle brackets */
	char *lt = strrchr(s, '<');
	if (lt != NULL) {
		char *gt = strchr(lt, '>');
		if (gt != NULL && gt > lt + 1) {
			*gt = '\0';
			s = lt + 1;
		}
	}
	s = rb_trim(s);
	/* strip trailing junk such as ":" "," "." ")" */
	size_t l = strlen(s);
	while (l > 0 && strchr(".,;:)>\"'", s[l - 1]) &&
	       !(s[l - 1] == '"' && strchr(s, '"') != s + l - 1))
		s[--l] = '\0';
	while (*s == '<' || *s == '(' || *s == '\'')
		s++;
	/* the whole thing quoted: "user@example.com" */
	l = strlen(s);
	if (l >= 2 && s[0] == '"' && s[l - 1] == '"' &&
	    strchr(s + 1, '"') == s + l - 1 && strchr(s, '@') != NULL) {
		s[l - 1] = '\0';
		s++;
	}
	/* "Name user@example.com": keep the token with the '@' */
	if (strchr(s, ' ') != NULL && s[0] != '"') {
		char *at = strrchr(s, '@');
		if (at == NULL)
			return NULL;
		char *b = at, *e = at;
		while (b > s && b[-1] != ' ')
			b--;
		while (*e && *e != ' ')
			e++;
		*e = '\0';
		s = b;
	}
	if (!rb_addr_plausible(s))
		return NULL;
	lower_domain(s);
	return s;
}

/* The field's addr-spec, or NULL when [s, s+n) holds anything else. */
static char *
field_addr(struct rb_arena *a, const char *s, size_t n)
{
	const char *lt = memchr(s, '<', n);
	if (lt != NULL) {
		/* "Name <addr>": the display name may be anything printable,
		 * the bracketed part must be the whole address */
		const char *gt = memchr(lt, '>', n - (size_t)(lt - s));
		if (gt == NULL)
			return NULL;
		for (const char *p = gt + 1; p < s + n; p++)
			if (*p != ' ')
				return NULL;
		for (const char *p = s; p < lt; p++)
			if ((unsigned char)*p < 0x20 && *p != '\t')
				return NULL;
		s = lt + 1;
		n = (size_t)(gt - s);
	} else {
		/* an unmatched bracket ("addr>", "<addr") */
		if (n > 0 && s[n - 1] == '>')
			n--;
		if (n > 0 && s[0] == '<')
			s++, n--;
		/* a trailing "(comment)" */
		if (n > 0 && s[n - 1] == ')') {
			const char *op = memchr(s, '(', n);
			if (op == NULL)
				return NULL;
			n = (size_t)(op - s);
		}
		while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '.' ||
				 s[n - 1] == ','))
			n--;
	}
	/* the whole thing quoted: "user@example.com" */
	if (n >= 2 && s[0] == '"' && s[n - 1] == '"' &&
	    memchr(s + 1, '"', n - 2) == NULL && memchr(s, '@', n) != NULL) {
		s++;
		n -= 2;
	}
	/* an RFC 5321 source route: "@relay1,@relay2:user@domain" */
	if (n > 0 && s[0] == '@') {
		const char *colon = memchr(s, ':', n);
		if (colon == NULL)
			return NULL;
		n -= (size_t)(colon + 1 - s);
		s = colon + 1;
	}
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 0x20)
			return NULL;	/* inside a quoted local part too */
	char *r = rb_arena_strndup(a, s, n);
	if (!rb_addr_plausible(r))
		return NULL;
	lower_domain(r);
	return r;
}

char *
rb_addr_field(struct rb_arena *a, const char *raw, size_t n, bool *as_written)
{
	*as_written = false;
	if (raw == NULL)
		return NULL;
	const char *s = after_type(raw, n);
	n -= (size_t)(s - raw);
	while (n > 0 && (*s == ' ' || *s == '\t'))
		s++, n--;
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' ||
			 s[n - 1] == '\r' || s[n - 1] == '\n'))
		n--;
	if (n == 0)
		return NULL;
	char *r = field_addr(a, s, n);
	if (r != NULL)
		return r;
	/* a pipe or file delivery ("|/usr/bin/procmail user@example.com",
	 * Exim's and Sendmail's local deliveries): the address it names */
	if ((*s == '|' || *s == '/') &&
	    (r = rb_addr_normalize(a, s, n)) != NULL)
		return r;
	/* a host alone ("@mx.example.org") names nobody */
	if (*s == '@')
		return NULL;
	/* as written: control characters (other than TAB) as U+FFFD */
	char *w = rb_arena_alloc_raw(a, 3 * n + 1);
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		if ((ch < 0x20 && ch != '\t') || ch == 0x7f) {
			memcpy(w + o, "\xef\xbf\xbd", 3);
			o += 3;
		} else {
			w[o++] = (char)ch;
		}
	}
	w[o] = '\0';
	*as_written = true;
	return w;
}

char *
rb_addr_find(struct rb_arena *a, const char *text, size_t n)
{
	/* first pass: <local@domain> */
	for (size_t i = 0; i < n; i++) {
		if (text[i] != '<')
			continue;
		size_t j = i + 1;
		while (j < n && j - i < 320 && text[j] != '>' &&
		       text[j] != '<' && text[j] != '\n' && text[j] != ' ')
			j++;
		if (j < n && text[j] == '>' &&
		    memchr(text + i, '@', j - i) != NULL) {
			char *r = rb_addr_normalize(a, text + i + 1, j - i - 1);
			if (r)
				return r;
		}
	}
	/* second pass: bare local@domain */
	for (size_t i = 0; i < n; i++) {
		if (text[i] != '@')
			continue;
		size_t b = i, e = i + 1;
		while (b > 0 && i - b < 128 && atext((unsigned char)text[b - 1]))
			b--;
		while (e < n && e - i < 255 && dtext((unsigned char)text[e]))
			e++;
		while (b < i && text[b] == '.')
			b++;
		/* a domain literal keeps its closing bracket ("x@[192.0.2.1]") */
		bool literal = text[i + 1] == '[';
		while (e > i + 1 && (text[e - 1] == '.' || text[e - 1] == ':' ||
				     (text[e - 1] == ']' &&
				      (!literal || e - i <= 3 ||
				       memchr(text + i, ']', e - 1 - i) != NULL))))
			e--;
		if (b == i || e == i + 1)
			continue;
		char *r = rb_addr_normalize(a, text + b, e - b);
		if (r)
			return r;
	}
	return NULL;
}

char *
rb_addr_expanded_from(struct rb_arena *a, const char *text, size_t n)
{
	const char *p = rb_strcasestr_n(text, n, "expanded from");
	if (p == NULL)
		p = rb_strcasestr_n(text, n, "generated from");
	if (p == NULL)
		return NULL;
	/* only the phrase's own parenthesis: the text after it (an SMTP
	 * transcript's "RCPT TO:<final>") names other addresses */
	size_t rest = n - (size_t)(p - text);
	const char *close = memchr(p, ')', rest);
	if (close != NULL)
		rest = (size_t)(close - p);
	return rb_addr_find(a, p, rest);
}
