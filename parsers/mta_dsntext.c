/*
 * dsn-text: RFC 3464 field blocks that reached us as plain text, because
 * the bounce's MIME structure is broken (no top-level Content-Type, a
 * boundary that never occurs) so no message/delivery-status part exists.
 * The blocks start at the first line that begins "Reporting-MTA:" or
 * "Final-Recipient:" and end at the next MIME boundary or the returned
 * original.  Lines quoted with "> " are not read: a forwarded bounce is
 * someone's message, not a report.
 */
#include <string.h>
#include <strings.h>

#include "module.h"
#include "text.h"

static const char *
line_start(const char *text, size_t len, const char *name)
{
	size_t nl = strlen(name);
	const char *p = text;
	while (p != NULL && (size_t)(p - text) + nl <= len) {
		if (strncasecmp(p, name, nl) == 0)
			return p;
		const char *n = memchr(p, '\n', len - (size_t)(p - text));
		p = n ? n + 1 : NULL;
	}
	return NULL;
}

static bool
detect(const struct rb_ctx *c)
{
	const struct rb_mail *m = c->m;
	return m->dsn == NULL && m->body_len > 0 &&
	       rb_strcasestr_n(m->body, m->body_len, "Final-Recipient:") !=
		   NULL;
}

static int
parse(struct rb_ctx *c)
{
	const struct rb_mail *m = c->m;
	const char *fr = line_start(m->body, m->body_len, "Final-Recipient:");
	if (fr == NULL)
		return 0;
	const char *rm = line_start(m->body, (size_t)(fr - m->body),
				    "Reporting-MTA:");
	const char *s = rm ? rm : fr;
	size_t len = m->body_len - (size_t)(s - m->body);
	/* the end: a boundary line or the returned original */
	size_t pos = 0, ll;
	const char *line;
	size_t end = len;
	while (rb_next_line(s, len, &pos, &line, &ll)) {
		if ((ll >= 2 && line[0] == '-' && line[1] == '-') ||
		    rb_startswith_ci(line, "Content-Type:")) {
			end = (size_t)(line - s);
			break;
		}
	}
	return rb_dsn_parse_blocks(c, "rfc3464", s, end);
}

const struct rb_module rb_mod_dsn_text = {"dsn-text", detect, parse};
