/*
 * notes, domino: IBM/Lotus Notes and Domino bounces.
 *
 * Lotus SMTP MTA (Notes R4/R5):
 *
 *   ------- Failure Reasons  --------
 *
 *   User not listed in public Name & Address Book
 *   rcpt@example.com
 *
 *   ------- Returned Message --------
 *
 * (a reason line, then the address it applies to; repeated per recipient)
 *
 * Domino (R6 and later), also sent alongside a DSN part:
 *
 *   Your message
 *     Subject: ...
 *   was not delivered to:
 *     rcpt@example.com
 *   because:
 *     User name (rcpt@example.com) not listed in Domino Directory
 */
#include <string.h>

#include "addr.h"
#include "mta_provider.h"
#include "text.h"

static bool
detect_notes(const struct rb_ctx *c)
{
	const struct rb_mail *m = c->m;
	return rb_strcasestr_n(m->body, m->body_len,
			       "------- Failure Reasons") != NULL;
}

static int
parse_notes(struct rb_ctx *c)
{
	if (rb_provider_phishy_mail(c->m))
		return 0;
	const struct rb_mail *m = c->m;
	const char *b = m->body;
	size_t len = rb_mail_own_len(m);
	size_t pos = rb_provider_after_line(b, len, 0, "------- Failure Reasons");
	const char *line;
	size_t ll;
	char *why = NULL;
	int n = 0;
	if (pos == (size_t)-1)
		return 0;
	while (rb_next_line(b, len, &pos, &line, &ll)) {
		char *t = rb_squeeze(c->a, line, ll);
		if (*t == '\0')
			continue;
		char *r = strchr(t, ' ') == NULL && strchr(t, '@') != NULL
			      ? rb_addr_normalize(c->a, t, strlen(t))
			      : NULL;
		if (r == NULL) {
			why = why ? rb_arena_printf(c->a, "%s %s", why, t) : t;
			continue;
		}
		if ((unsigned)n >= c->opts->limits.max_recipients) {
			c->error = "too many recipients in one report";
			return 0;
		}
		struct rb_event *e = rb_ctx_add(c, "notes", r);
		e->kind = RB_KIND_BOUNCE;
		e->action = "failed";
		e->diagnostic = why;
		why = NULL;
		n++;
	}
	return n;
}

static bool
detect_domino(const struct rb_ctx *c)
{
	const struct rb_mail *m = c->m;
	return rb_strcasestr_n(m->body, m->body_len, "was not delivered to:") &&
	       rb_strcasestr_n(m->body, m->body_len, "because:");
}

static int
parse_domino(struct rb_ctx *c)
{
	if (rb_provider_phishy_mail(c->m))
		return 0;
	const struct rb_mail *m = c->m;
	const char *b = m->body;
	size_t len = rb_mail_own_len(m);
	size_t pos = rb_provider_after_line(b, len, 0, "was not delivered to:");
	const char *line;
	size_t ll;
	int n = 0;
	if (pos == (size_t)-1)
		return 0;
	size_t first = c->out->n;
	/* Domino R5 and later put the address on the label's own line,
	 * after a tab ("was not delivered to:<TAB>addr"), and wrap a long
	 * one after a hyphen or a dot onto an indented line of its own */
	const char *lab = rb_strcasestr_n(b, len, "was not delivered to:");
	const char *le = lab ? memchr(lab, '\n', len - (size_t)(lab - b)) : NULL;
	if (lab != NULL && le != NULL) {
		const char *v = lab + strlen("was not delivered to:");
		char *t = rb_trim(rb_squeeze(c->a, v, (size_t)(le - v)));
		size_t tl = strlen(t), p2 = pos;
		while (tl > 0 && (t[tl - 1] == '-' || t[tl - 1] == '.') &&
		       rb_next_line(b, len, &p2, &line, &ll) && ll > 0 &&
		       (line[0] == '\t' || line[0] == ' ')) {
			char *more = rb_trim(rb_squeeze(c->a, line, ll));
			if (*more == '\0' || strchr(more, ' ') != NULL)
				break;
			t = rb_arena_printf(c->a, "%s%s", t, more);
			tl = strlen(t);
			pos = p2;
		}
		char *r = tl > 0 ? rb_addr_normalize(c->a, t, tl) : NULL;
		if (r != NULL) {
			struct rb_event *e = rb_ctx_add(c, "domino", r);
			e->kind = RB_KIND_BOUNCE;
			e->action = "failed";
			n++;
		}
	}
	while (rb_next_line(b, len, &pos, &line, &ll)) {
		char *t = rb_squeeze(c->a, line, ll);
		if (*t == '\0') {
			if (n > 0)
				break;
			continue;
		}
		if (rb_startswith_ci(t, "because:"))
			break;
		char *r = rb_addr_normalize(c->a, t, strlen(t));
		if (r == NULL)
			break;
		if ((unsigned)n >= c->opts->limits.max_recipients) {
			c->error = "too many recipients in one report";
			return 0;
		}
		struct rb_event *e = rb_ctx_add(c, "domino", r);
		e->kind = RB_KIND_BOUNCE;
		e->action = "failed";
		n++;
	}
	size_t bp = rb_provider_after_line(b, len, 0, "because:");
	/* the reason on the label's own line ("because:<TAB>User x ...
	 * not listed"), and the lines it wraps onto */
	const char *bc = rb_strcasestr_n(b, len, "because:");
	if (bc != NULL) {
		size_t at = (size_t)(bc - b) + strlen("because:"), k = at;
		while (k < len && (b[k] == ' ' || b[k] == '\t'))
			k++;
		if (k < len && b[k] != '\n' && b[k] != '\r')
			bp = at;
	}
	char *why = bp != (size_t)-1 ? rb_provider_paragraph(c->a, b, len, &bp, NULL)
				     : NULL;
	for (size_t i = first; i < c->out->n; i++)
		c->out->v[i].diagnostic = why;
	return n;
}

const struct rb_module rb_mod_notes = {"notes", detect_notes, parse_notes};
const struct rb_module rb_mod_domino = {"domino", detect_domino, parse_domino};
