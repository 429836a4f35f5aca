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

char *
rb_addr_normalize(struct rb_arena *a, const char *raw, size_t n)
{
	if (raw == NULL)
		return NULL;
	char *s = rb_squeeze(a, raw, n);
	/* address-type prefix: "rfc822;" "RFC822 ;" "utf-8;" "x400;" */
	char *semi = strchr(s, ';');
	if (semi != NULL) {
		/* only registered address types (and X- ones) are prefixes */
		static const char *const types[] = {"rfc822", "utf-8", "x400",
						    "unknown", NULL};
		size_t tl = (size_t)(semi - s);
		while (tl > 0 && s[tl - 1] == ' ')
			tl--;
		bool type = tl > 2 && strncasecmp(s, "x-", 2) == 0;
		for (size_t i = 0; !type && types[i]; i++)
			type = tl == strlen(types[i]) &&
			       strncasecmp(s, types[i], tl) == 0;
		for (size_t i = 0; type && i < tl; i++)
			if (!(isalnum((unsigned char)s[i]) || s[i] == '-'))
				type = false;
		if (type)
			s = semi + 1;
	}
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
		while (e > i + 1 && (text[e - 1] == '.' || text[e - 1] == ']' ||
				     text[e - 1] == ':'))
			e--;
		if (b == i || e == i + 1)
			continue;
		char *r = rb_addr_normalize(a, text + b, e - b);
		if (r)
			return r;
	}
	return NULL;
}
