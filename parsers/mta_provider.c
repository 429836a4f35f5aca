/* Text helpers shared by the dialect modules of mta_provider.h. */
#include "mta_provider.h"

#include <ctype.h>
#include <string.h>

#include "addr.h"
#include "text.h"
#include "textline.h"

size_t
rb_provider_after_line(const char *text, size_t len, size_t from, const char *needle)
{
	if (from >= len)
		return (size_t)-1;
	const char *p = rb_strcasestr_n(text + from, len - from, needle);
	if (p == NULL)
		return (size_t)-1;
	const char *nl = memchr(p, '\n', len - (size_t)(p - text));
	return nl ? (size_t)(nl - text) + 1 : len;
}

static bool
blank_line(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isspace((unsigned char)s[i]))
			return false;
	return true;
}

char *
rb_provider_paragraph(struct rb_arena *a, const char *text, size_t len, size_t *pos,
	       const char *const *stop)
{
	const char *line;
	size_t ll, p = *pos, start = (size_t)-1, end = p;
	while (rb_next_line(text, len, &p, &line, &ll)) {
		if (blank_line(line, ll)) {
			if (start == (size_t)-1) {
				end = p;
				continue;
			}
			break;
		}
		if (rb_line_starts_any(line, ll, stop, NULL))
			break;
		if (start == (size_t)-1)
			start = (size_t)(line - text);
		end = (size_t)(line - text) + ll;
	}
	if (start == (size_t)-1) {
		*pos = end;
		return NULL;
	}
	*pos = end;
	return rb_squeeze(a, text + start, end - start);
}

char *
rb_provider_addr(struct rb_arena *a, const char *s, size_t n)
{
	return rb_addr_find(a, s, n);
}

bool
rb_provider_has_header_prefix(const struct rb_mail *m, const char *prefix)
{
	size_t pl = strlen(prefix);
	for (size_t i = 0; i < m->hdr.n; i++)
		if (strncasecmp(m->hdr.v[i].name, prefix, pl) == 0)
			return true;
	return false;
}

bool
rb_provider_phishy(const char *text, size_t len)
{
	static const char *const lures[] = {
	    "release message",	  "release your message",
	    "release pending",	  "click here",
	    "click below",	  "click the link",
	    "sign in to",	  "log in to",
	    "login to",		  "verify your account",
	    "validate your",	  "incoming messages held",
	    "incoming messages fail", "incoming messages that failed",
	    "incoming messages bounced", "incoming messages were",
	    "incoming messages have", "incoming messages are",
	    "pending messages",	  "messages are on hold",
	    "held messages",	  "messages have been held",
	    "update your password", "confirm your password",
	    /* the same lures in other words: a delivery system never asks
	     * the reader to act on a web page to get mail delivered */
	    "click to release",	  "release them",
	    "are held in",	  "messages held",
	    "restore mails",	  "restore your",
	    "recover messages",	  "recover your",
	    "sync your mailbox",  "synchronize your mailbox",
	    "password expires",	  "password will expire",
	    "keep your current password", "keep your account",
	    "confirm ownership",  "verify ownership",
	    "upgrade your quota", "upgrade your mailbox",
	    "increase your quota", "re-activate your",
	    "reactivate your",
	    NULL,
	};
	return rb_memcasemem_any(text, len, lures,
				 sizeof(lures) / sizeof(lures[0]) - 1);
}

bool
rb_provider_phishy_mail(const struct rb_mail *m)
{
	return rb_provider_phishy(m->body, rb_mail_own_len(m));
}
