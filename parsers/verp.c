#include "verp.h"

#include <string.h>

#include "addr.h"
#include "mail.h"

char *
rb_verp_decode(struct rb_arena *a, const char *addr, char sep)
{
	if (addr == NULL || sep == '\0' || sep == '=' || sep == '@')
		return NULL;
	const char *at = strrchr(addr, '@');
	if (at == NULL)
		return NULL;
	size_t ll = (size_t)(at - addr);
	const char *s = memchr(addr, sep, ll);
	if (s == NULL || s == addr)
		return NULL;	/* no separator, or no prefix before it */
	const char *enc = s + 1;
	size_t el = (size_t)(at - enc);
	/* the '=' that stands for '@' is the last one: a domain has none */
	const char *eq = NULL;
	for (size_t i = 0; i < el; i++)
		if (enc[i] == '=')
			eq = enc + i;
	if (eq == NULL || eq == enc || eq + 1 == at)
		return NULL;
	char *out = rb_arena_printf(a, "%.*s@%.*s", (int)(eq - enc), enc,
				    (int)(at - eq - 1), eq + 1);
	char *n = rb_addr_normalize(a, out, strlen(out));
	if (n == NULL || !rb_addr_plausible(n))
		return NULL;
	/* the encoded local part must not itself be a bounce address */
	if (strchr(n, sep) != NULL && memchr(n, '=', strlen(n)) != NULL)
		return NULL;
	return n;
}

char *
rb_verp_of_mail(struct rb_arena *a, const struct rb_mail *m, char sep)
{
	static const char *const names[] = {"X-Original-To", "Delivered-To",
					    "Envelope-To", "X-Envelope-To",
					    "To", NULL};
	if (sep == '\0')
		return NULL;
	for (size_t i = 0; names[i]; i++) {
		const char *v = rb_mail_header(m, names[i]);
		if (v == NULL)
			continue;
		char *ad = rb_addr_find(a, v, strlen(v));
		char *d = ad ? rb_verp_decode(a, ad, sep) : NULL;
		if (d != NULL)
			return d;
	}
	return NULL;
}
