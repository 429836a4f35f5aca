/*
 * mta_forward: a bounce carried inside another mail, read as the mail it
 * is.  Two shapes:
 *
 *  - attached: the notice's returned message is itself a delivery report
 *    (multipart/report; report-type=delivery-status) -- a filter or relay
 *    that got the bounce wraps it in a notice of its own that names
 *    nobody (parsers/mail.c keeps the view of it as m->nested);
 *  - forwarded: a person forwarded the bounce ("Fwd: Returned mail: ..."),
 *    inline below "Begin forwarded message:" / "---------- Forwarded
 *    message ----------" / "-----Original Message-----", usually quoted
 *    with "> ".  The forwarded header block must say the mail came from a
 *    delivery system (From mailer-daemon / postmaster / Mail Delivery),
 *    so a forwarded ordinary mail is never read as a bounce.
 *
 * The carried bounce's recipients come, as always, only from its own
 * report text or structure (never from the message it returns), and the
 * module runs last among the bounce parsers: only a mail that named
 * nobody by itself is unwrapped, one level deep.
 */
#include <ctype.h>
#include <string.h>

#include "module.h"
#include "text.h"

/* lines that introduce an inline forwarded message */
static const char *const fwd_markers[] = {
    "Begin forwarded message:",
    "---------- Forwarded message",
    "-------- Forwarded Message --------",
    "-----Original Message-----",
    "-------- Original Message --------",
    "----- Forwarded message from",
    NULL,
};

/* a delivery system's From (any of) */
static const char *const daemons[] = {
    "mailer-daemon", "postmaster", "mail delivery", "mail administrator",
    NULL,
};

/* how much forwarded text is unwrapped at most */
#define FWD_MAX (256 * 1024)

static bool
is_fwd_subject(const char *s)
{
	if (s == NULL)
		return false;
	while (*s == ' ')
		s++;
	return rb_startswith_ci(s, "fwd:") || rb_startswith_ci(s, "fw:") ||
	       rb_startswith_ci(s, "fwd ") || rb_startswith_ci(s, "tr:") ||
	       rb_startswith_ci(s, "wg:");
}

/* Position just after the marker line, or (size_t)-1. */
static size_t
fwd_start(const char *t, size_t n)
{
	size_t pos = 0, ll;
	const char *line;
	while (rb_next_line(t, n, &pos, &line, &ll))
		for (const char *const *mk = fwd_markers; *mk; mk++)
			if (rb_strcasestr_n(line, ll, *mk) != NULL)
				return pos;
	return (size_t)-1;
}

/* Copy t[0..n) without one level of "> " quoting, from the first header
 * line on.  Blank lines before the header block are skipped. */
static char *
unquote(struct rb_arena *a, const char *t, size_t n, size_t *olen)
{
	char *o = rb_arena_alloc(a, n + 1);
	size_t k = 0, pos = 0, ll;
	const char *line;
	bool started = false;
	while (rb_next_line(t, n, &pos, &line, &ll)) {
		while (ll > 0 && (line[ll - 1] == '\r' || line[ll - 1] == '\n'))
			ll--;
		if (ll > 0 && line[0] == '>') {
			line++, ll--;
			if (ll > 0 && line[0] == ' ')
				line++, ll--;
		}
		if (!started) {
			size_t i = 0;
			while (i < ll && isspace((unsigned char)line[i]))
				i++;
			if (i == ll)
				continue;
			started = true;
		}
		memcpy(o + k, line, ll);
		k += ll;
		o[k++] = '\n';
	}
	o[k] = '\0';
	*olen = k;
	return o;
}

/* The unquoted block starts with header fields and its From is a
 * delivery system. */
static bool
from_daemon(const char *t, size_t n)
{
	size_t pos = 0, ll;
	const char *line;
	while (rb_next_line(t, n, &pos, &line, &ll)) {
		if (ll == 0 || (ll == 1 && line[0] == '\r'))
			return false;	/* end of the header block */
		if (!rb_startswith_ci(line, "From:"))
			continue;
		for (const char *const *d = daemons; *d; d++)
			if (rb_strcasestr_n(line, ll, *d) != NULL)
				return true;
		return false;
	}
	return false;
}

static bool
detect(const struct rb_ctx *c)
{
	const struct rb_mail *m = c->m;
	if (c->depth > 0)
		return false;
	if (m->nested != NULL)
		return true;
	return m->body_len > 0 && is_fwd_subject(m->subject);
}

static int
parse(struct rb_ctx *c)
{
	const struct rb_mail *m = c->m;
	if (m->nested != NULL) {
		int n = rb_parse_view(c, m->nested);
		if (n > 0 || c->error)
			return n;
	}
	if (!is_fwd_subject(m->subject))
		return 0;
	size_t s = fwd_start(m->body, m->body_len);
	if (s == (size_t)-1)
		return 0;
	size_t n = m->body_len - s;
	if (n > FWD_MAX)
		n = FWD_MAX;
	size_t ul;
	char *u = unquote(c->a, m->body + s, n, &ul);
	if (!from_daemon(u, ul))
		return 0;
	struct rb_mail inner;
	if (rb_mail_load(c->a, u, ul, &c->opts->limits, &inner) < 0)
		return 0;
	return rb_parse_view(c, &inner);
}

const struct rb_module rb_mod_forwarded = {"forwarded", detect, parse};
