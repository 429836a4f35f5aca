/*
 * gmail, googlegroups: bounces written by Google's own mailers (Gmail,
 * Google Workspace, Google Groups), which are plain text (or text + HTML)
 * rather than RFC 3464.  Three generations of the template:
 *
 *   old   "Delivery to the following recipient failed permanently:"
 *         (or "... has been delayed:") / an indented list of addresses /
 *         "Technical details of permanent failure:" / free text, possibly
 *         "The error that the other server returned was: <reply>"
 *   new   "** Address not found **" / "** Message not delivered **" /
 *         "Your message wasn't delivered to <addr> because ..." /
 *         "The response from the remote server was:" or
 *         "The response was:" / the reply
 *   groups  a localised "the group you tried to contact (name) may not
 *         exist, or you may not have permission to post" signed
 *         "Google Groups".
 *
 * The failed addresses are in the bounce's own X-Failed-Recipients header
 * in every generation; the text list is the fallback.  The quoted
 * original starts at "----- Original message -----".
 */
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "mta_provider.h"
#include "text.h"

static bool
from_google(const struct rb_mail *m)
{
	const char *f = m->from_addr;
	if (f == NULL)
		return false;
	const char *at = strrchr(f, '@');
	return at != NULL && rb_startswith_ci(f, "mailer-daemon@") &&
	       (strcasecmp(at, "@googlemail.com") == 0 ||
		strcasecmp(at, "@google.com") == 0 ||
		strcasecmp(at, "@gmail.com") == 0);
}

static bool
is_groups(const struct rb_mail *m)
{
	size_t len = rb_mail_own_len(m);
	return rb_strcasestr_n(m->body, len, "groups.google.com") != NULL &&
	       rb_strcasestr_n(m->body, len, "Google Groups") != NULL;
}

/* The template markers of Gmail bounces, any generation. */
static const char *const gmail_markers[] = {
    "Delivery to the following recipient",
    "Delivery to these recipients or groups",
    "** Address not found **",
    "** Message not delivered **",
    "** Message blocked **",
    "** Delivery incomplete **",
    "Your message wasn't delivered to",
    "Your message wasn\xe2\x80\x99t delivered to",
    "Technical details of permanent failure",
    "Technical details of temporary failure",
    NULL,
};

static bool
detect_gmail(const struct rb_ctx *c)
{
	const struct rb_mail *m = c->m;
	if (!from_google(m))
		return false;
	size_t len = rb_mail_own_len(m);
	for (size_t i = 0; gmail_markers[i]; i++)
		if (rb_strcasestr_n(m->body, len, gmail_markers[i]))
			return true;
	return false;
}

static bool
detect_groups(const struct rb_ctx *c)
{
	return from_google(c->m) && is_groups(c->m) &&
	       rb_mail_header(c->m, "X-Failed-Recipients") != NULL;
}

/* Split X-Failed-Recipients ("a@x, b@y") into events. */
static int
add_failed_recipients(struct rb_ctx *c, const char *module)
{
	const char *v = rb_mail_header(c->m, "X-Failed-Recipients");
	int n = 0;
	if (v == NULL)
		return 0;
	const char *p = v;
	while (*p) {
		size_t l = strcspn(p, ",");
		char *r = rb_addr_normalize(c->a, p, l);
		if (r != NULL) {
			bool dup = false;
			for (size_t i = c->out->n - (size_t)n; i < c->out->n;
			     i++)
				if (strcmp(c->out->v[i].recipient, r) == 0)
					dup = true;
			if (!dup) {
				if ((unsigned)n >= c->opts->limits.max_recipients) {
					c->error =
					    "too many recipients in one report";
					return 0;
				}
				rb_ctx_add(c, module, r);
				n++;
			}
		}
		p += l;
		if (*p == ',')
			p++;
	}
	return n;
}

/* Indented address lines after the old-template header line. */
static int
add_listed_recipients(struct rb_ctx *c, const char *text, size_t len,
		      size_t pos)
{
	const char *line;
	size_t ll;
	int n = 0;
	bool seen = false;
	while (rb_next_line(text, len, &pos, &line, &ll)) {
		size_t i = 0;
		while (i < ll && (line[i] == ' ' || line[i] == '\t'))
			i++;
		if (i == ll) {
			if (seen)
				break;
			continue;
		}
		char *r = rb_addr_normalize(c->a, line + i, ll - i);
		if (r == NULL)
			break;
		if ((unsigned)n >= c->opts->limits.max_recipients) {
			c->error = "too many recipients in one report";
			return 0;
		}
		rb_ctx_add(c, "gmail", r);
		seen = true;
		n++;
	}
	return n;
}

/* "by mx.example.jp. [192.0.2.153]" in the old template's explanation */
static const char *
remote_from_text(struct rb_arena *a, const char *d)
{
	const char *p = strstr(d, " by ");
	if (p == NULL || strstr(d, "Google tried to deliver") == NULL)
		return NULL;
	p += 4;
	size_t n = strcspn(p, " [");
	while (n > 0 && p[n - 1] == '.')
		n--;
	if (n == 0 || memchr(p, '.', n) == NULL)
		return NULL;
	return rb_arena_strndup(a, p, n);
}

static const char *const stop_orig[] = {"----- Original message", NULL};

/* The explanation under the new template's "** ... **" headline. */
static const char *
headline(struct rb_ctx *c, const char *b, size_t len)
{
	const char *h = rb_strcasestr_n(b, len, "** ");
	if (h == NULL)
		return NULL;
	size_t o = rb_provider_after_line(b, len, (size_t)(h - b), "** ");
	return o == (size_t)-1 ? NULL
			       : rb_provider_paragraph(c->a, b, len, &o, stop_orig);
}

static int
parse_gmail(struct rb_ctx *c)
{
	if (rb_provider_phishy_mail(c->m))
		return 0;
	const struct rb_mail *m = c->m;
	const char *b = m->body;
	size_t len = rb_mail_own_len(m);
	size_t first = c->out->n;
	bool delayed = rb_strcasestr_n(b, len, "has been delayed") != NULL ||
		       rb_strcasestr_n(b, len, "THIS IS A WARNING MESSAGE ONLY") !=
			   NULL ||
		       rb_strcasestr_n(b, len, "** Delivery incomplete **") !=
			   NULL ||
		       rb_strcasestr_n(b, len, "Gmail will retry for") != NULL;

	int n = add_failed_recipients(c, "gmail");
	if (n == 0 && c->error == NULL) {
		size_t p = rb_provider_after_line(b, len, 0,
					   "Delivery to the following recipient");
		if (p != (size_t)-1)
			n = add_listed_recipients(c, b, len, p);
	}
	/* the new template names one recipient in its first sentence */
	static const char *const named_in[] = {
	    "Your message wasn't delivered to ",
	    "Your message wasn\xe2\x80\x99t delivered to ", /* U+2019 */
	    "Your message to ",
	    "delivering your message to ", NULL};
	for (size_t i = 0; named_in[i] && n == 0 && c->error == NULL; i++) {
		const char *w = rb_strcasestr_n(b, len, named_in[i]);
		if (w == NULL)
			continue;
		size_t o = (size_t)(w - b) + strlen(named_in[i]);
		size_t tl = strcspn(b + o, " \n");
		char *r = rb_addr_normalize(c->a, b + o, tl);
		if (r != NULL) {
			rb_ctx_add(c, "gmail", r);
			n = 1;
		}
	}
	if (n <= 0)
		return 0;

	/* the diagnostic: the remote reply when quoted, else Google's own
	 * explanation */
	const char *diag = NULL;
	size_t p;
	static const char *const reply_intro[] = {
	    "The error that the other server returned was:",
	    "The response from the remote server was:",
	    "The response was:",
	    NULL,
	};
	for (size_t i = 0; reply_intro[i] && diag == NULL; i++) {
		const char *r = rb_strcasestr_n(b, len, reply_intro[i]);
		if (r == NULL)
			continue;
		size_t o = (size_t)(r - b) + strlen(reply_intro[i]);
		diag = rb_provider_paragraph(c->a, b, len, &o, stop_orig);
	}
	const char *tech = NULL;
	if ((p = rb_provider_after_line(b, len, 0, "Technical details of")) !=
	    (size_t)-1) {
		/* may span paragraphs: take all up to the original */
		size_t e = p;
		char *acc = NULL;
		char *para;
		while ((para = rb_provider_paragraph(c->a, b, len, &e, stop_orig))) {
			acc = acc ? rb_arena_printf(c->a, "%s %s", acc, para)
				  : para;
			if (strlen(acc) > 4096)
				break;
		}
		tech = acc;
	}
	if (diag == NULL)
		diag = tech;
	if (diag == NULL) {
		/* the new template's headline paragraph, or the retry note */
		static const char *const heads[] = {
		    "** Message not delivered **", "** Message blocked **",
		    "** Address not found **", "** Delivery incomplete **",
		    "Message will be retried", NULL};
		for (size_t i = 0; heads[i] && diag == NULL; i++) {
			const char *h = rb_strcasestr_n(b, len, heads[i]);
			if (h == NULL)
				continue;
			size_t o = (size_t)(h - b);
			diag = rb_provider_paragraph(c->a, b, len, &o, stop_orig);
			if (diag && strlen(diag) <= strlen(heads[i]) + 1)
				diag = rb_provider_paragraph(c->a, b, len, &o,
						      stop_orig);
		}
	}
	const char *remote = tech ? remote_from_text(c->a, tech) : NULL;
	/* a "Send mail as" explanation says whose fault it is; keep it */
	const char *sma = rb_strcasestr_n(b, len, "'Send mail as'");
	if (sma != NULL && diag != NULL) {
		size_t o = 0;
		const char *ls = sma;
		while (ls > b && ls[-1] != '\n')
			ls--;
		o = (size_t)(ls - b);
		char *expl = rb_provider_paragraph(c->a, b, len, &o, stop_orig);
		if (expl)
			diag = rb_arena_printf(c->a, "%s %s", expl, diag);
	}
	/* one quoted reply for several recipients: it belongs to the one it
	 * names; the others keep Google's own explanation */
	const char *named = NULL;
	if (diag != NULL && n > 1)
		for (size_t i = first; i < c->out->n && named == NULL; i++)
			if (rb_strcasestr_n(diag, strlen(diag),
					    c->out->v[i].recipient))
				named = c->out->v[i].recipient;
	for (size_t i = first; i < c->out->n; i++) {
		struct rb_event *e = &c->out->v[i];
		e->kind = delayed ? RB_KIND_DELAY : RB_KIND_BOUNCE;
		e->action = delayed ? "delayed" : "failed";
		e->diagnostic = diag;
		if (named != NULL && strcmp(named, e->recipient) != 0)
			e->diagnostic = headline(c, b, len);
		/* the template says the sender's own "Send mail as" relay
		 * refused: whatever the relay's reply, the sender is rejected */
		if (sma != NULL)
			e->reason = "rejected";
		e->remote_mta = remote;
		e->reporting_mta = "googlemail.com";
		if (diag) {
			/* "(state 14)": where Google's SMTP client was */
			const char *st = strstr(diag, "(state ");
			if (st != NULL) {
				int s = atoi(st + 7);
				e->smtp_command = s == 13   ? "MAIL"
						  : s == 14 ? "RCPT"
						  : s >= 17 ? "DATA"
							    : NULL;
			}
		}
	}
	return n;
}

static int
parse_groups(struct rb_ctx *c)
{
	const struct rb_mail *m = c->m;
	size_t first = c->out->n;
	int n = add_failed_recipients(c, "googlegroups");
	if (n <= 0)
		return 0;
	size_t len = rb_mail_own_len(m);
	/* the paragraph that names the group: "(groupname)" */
	size_t pos = 0;
	char *para, *diag = NULL;
	while ((para = rb_provider_paragraph(c->a, m->body, len, &pos, NULL))) {
		if (strchr(para, '(') && strchr(para, ')')) {
			diag = para;
			break;
		}
	}
	for (size_t i = first; i < c->out->n; i++) {
		struct rb_event *e = &c->out->v[i];
		e->kind = RB_KIND_BOUNCE;
		e->action = "failed";
		e->diagnostic = diag;
		e->reporting_mta = "googlegroups.com";
		/* the group does not exist or refuses the poster: the one
		 * template says both, so the reason is the weaker one */
		e->reason = "rejected";
		e->hard = 0;
	}
	return n;
}

const struct rb_module rb_mod_gmail = {"gmail", detect_gmail, parse_gmail};
const struct rb_module rb_mod_googlegroups = {"googlegroups", detect_groups,
					      parse_groups};
