/*
 * arf: Abuse Reporting Format (RFC 5965) feedback reports, including
 * RFC 6591 authentication-failure reports and the common deviations:
 * no Feedback-Type (taken as abuse), the report sent as text/plain,
 * the original as text/rfc822-headers, several Original-Rcpt-To fields,
 * Microsoft's JMRP mails (the original attached alone, the complainer in
 * X-HmXmrOriginalRecipient) and Yahoo's; and Apple Mail's unsubscribe
 * mails (an opt-out, from the subscriber; kind unsubscribe when sent to
 * a signed mailto: address, parsers/unsubscribe.c); and DMARC failure reports
 * written as plain text (no feedback-report part): a complaint of type
 * auth-failure (dmarc), which suppresses nobody by default.
 */
#include <string.h>

#include "addr.h"
#include "module.h"
#include "text.h"

/* a text part whose first lines are feedback-report fields */
static const char *
text_report(const struct rb_mail *m, size_t *len)
{
	for (size_t i = 0; i < m->ntexts; i++) {
		const char *t = m->texts[i].text;
		size_t n = m->texts[i].len;
		const char *ft = rb_strcasestr_n(t, n, "Feedback-Type:");
		if (ft && (ft == t || ft[-1] == '\n') &&
		    (rb_strcasestr_n(t, n, "\nUser-Agent:") ||
		     rb_strcasestr_n(t, n, "\nVersion:"))) {
			*len = n - (size_t)(ft - t);
			return ft;
		}
	}
	return NULL;
}

static bool
is_jmrp(const struct rb_mail *m)
{
	return m->has_orig &&
	       rb_fields_get(&m->orig, "X-HmXmrOriginalRecipient") != NULL;
}

/* Apple Mail's one-click unsubscribe: a mail from the subscriber to the
 * List-Unsubscribe address, marked X-Apple-Unsubscribe: true.  Not ARF,
 * but the same signal as an opt-out report. */
static bool
is_apple_unsubscribe(const struct rb_mail *m)
{
	const char *v = rb_mail_header(m, "X-Apple-Unsubscribe");
	return v != NULL && rb_startswith_ci(v, "true") && m->from_addr;
}

/* A line of the text that starts with "name:" and whose value starts with
 * val (both without case). */
static bool
line_field(const char *t, size_t n, const char *name, const char *val)
{
	size_t nl = strlen(name), vl = strlen(val);
	for (size_t i = 0; i < n;) {
		const char *e = memchr(t + i, '\n', n - i);
		size_t ll = e ? (size_t)(e - (t + i)) : n - i;
		const char *l = t + i;
		if (ll > nl && strncasecmp(l, name, nl) == 0 && l[nl] == ':') {
			size_t j = nl + 1;
			while (j < ll && (l[j] == ' ' || l[j] == '\t'))
				j++;
			if (ll - j >= vl && strncasecmp(l + j, val, vl) == 0)
				return true;
		}
		i += ll + 1;
	}
	return false;
}

/* A DMARC failure (forensic) report written as plain text: a subject
 * or opening that says so, and a text that says DMARC failed. */
static bool
is_dmarc_text(const struct rb_mail *m)
{
	if (m->body == NULL || m->feedback != NULL || m->dsn != NULL)
		return false;
	size_t n = m->body_len < 8192 ? m->body_len : 8192;
	const char *s = m->subject ? m->subject : "";
	size_t sl = strlen(s);
	bool named = rb_strcasestr_n(s, sl, "dmarc") != NULL &&
		     (rb_strcasestr_n(s, sl, "fail") != NULL ||
		      rb_strcasestr_n(s, sl, "forensic") != NULL);
	if (!named) {
		/* the opening says so */
		const char *d = rb_strcasestr_n(m->body, n < 600 ? n : 600,
						"dmarc ");
		named = d != NULL &&
			(rb_startswith_ci(d, "dmarc failure report") ||
			 rb_startswith_ci(d, "dmarc forensic report") ||
			 rb_startswith_ci(d, "dmarc authentication failure"));
	}
	/* the report's fields written into the text ("Feedback-Type:
	 * auth-failure" and "Auth-Failure: dmarc" on lines of their own) */
	if (!named)
		named = line_field(m->body, n, "Feedback-Type", "auth-failure") &&
			line_field(m->body, n, "Auth-Failure", "dmarc");
	if (!named)
		return false;
	return rb_strcasestr_n(m->body, n, "dmarc=fail") != NULL ||
	       rb_strcasestr_n(m->body, n, "auth-failure: dmarc") != NULL ||
	       (rb_strcasestr_n(m->body, n, "dmarc") != NULL &&
		rb_strcasestr_n(m->body, n, "fail") != NULL &&
		rb_strcasestr_n(m->body, n, "authentication-results") != NULL);
}

/* The value after "label" on a line of text (to the end of the line or a
 * blank / semicolon), arena copy; NULL when absent. */
static const char *
text_value(struct rb_arena *a, const char *t, size_t n, const char *label)
{
	const char *p = rb_strcasestr_n(t, n, label);
	if (p == NULL)
		return NULL;
	p += strlen(label);
	size_t rest = n - (size_t)(p - t), i = 0, e;
	while (i < rest && (p[i] == ' ' || p[i] == '\t' || p[i] == ':'))
		i++;
	e = i;
	while (e < rest && p[e] != '\n' && p[e] != '\r' && p[e] != ' ' &&
	       p[e] != ';' && p[e] != ')' && p[e] != '(')
		e++;
	return e > i ? rb_arena_strndup(a, p + i, e - i) : NULL;
}

static int
parse_dmarc_text(struct rb_ctx *c)
{
	const struct rb_mail *m = c->m;
	size_t n = m->body_len < 65536 ? m->body_len : 65536;
	const char *to = m->has_orig ? rb_fields_get(&m->orig, "To") : NULL;
	const char *r = to ? rb_addr_find(c->a, to, strlen(to)) : NULL;
	struct rb_event *e = rb_ctx_add(c, "arf", r);
	e->kind = RB_KIND_COMPLAINT;
	e->feedback_type = "auth-failure";
	e->auth_failure = "dmarc";
	e->reported_domain = text_value(c->a, m->body, n, "Reported-Domain");
	if (e->reported_domain == NULL)
		e->reported_domain = text_value(c->a, m->body, n, "header.from=");
	e->source_ip = text_value(c->a, m->body, n, "Source-IP");
	if (e->source_ip == NULL)
		e->source_ip = text_value(c->a, m->body, n, "Source IP");
	if (e->source_ip == NULL)
		e->source_ip = text_value(c->a, m->body, n, "from IP");
	e->user_agent = text_value(c->a, m->body, n, "User-Agent");
	return 1;
}

static bool
detect(const struct rb_ctx *c)
{
	const struct rb_mail *m = c->m;
	size_t l;
	if (m->feedback != NULL)
		return true;
	if (m->report_type && strcmp(m->report_type, "feedback-report") == 0)
		return true;
	if (text_report(m, &l) != NULL)
		return true;
	return is_jmrp(m) || is_apple_unsubscribe(m) || is_dmarc_text(m);
}

static void
add_complaint(struct rb_ctx *c, const struct rb_fields *f, const char *rcpt,
	      int *n)
{
	struct rb_event *e = rb_ctx_add(c, "arf", rcpt);
	e->kind = RB_KIND_COMPLAINT;
	const char *ft = f ? rb_fields_get(f, "Feedback-Type") : NULL;
	char *t = rb_arena_strdup(c->a, ft ? ft : "abuse");
	rb_lower(t);
	e->feedback_type = t;
	if (f != NULL) {
		e->user_agent = rb_fields_get(f, "User-Agent");
		e->source_ip = rb_fields_get(f, "Source-IP");
		e->reporting_mta = rb_fields_get(f, "Reporting-MTA");
		e->arrival_date = rb_fields_get(f, "Arrival-Date");
		if (e->arrival_date == NULL)
			e->arrival_date = rb_fields_get(f, "Received-Date");
		e->reported_domain = rb_fields_get(f, "Reported-Domain");
		e->auth_failure = rb_fields_get(f, "Auth-Failure");
		const char *s = rb_fields_get(f, "Original-Mail-From");
		if (s != NULL)
			e->sender = rb_addr_normalize(c->a, s, strlen(s));
		if (e->source_ip) {
			char *ip = rb_arena_strdup(c->a, e->source_ip);
			char *sp = strpbrk(ip, " (");
			if (sp)
				*sp = '\0';
			e->source_ip = ip;
		}
	}
	(*n)++;
}

static int
parse(struct rb_ctx *c)
{
	const struct rb_mail *m = c->m;
	const struct rb_limits *lim = &c->opts->limits;
	struct rb_fields f = {0};
	const char *rep = m->feedback;
	size_t rlen = m->feedback_len;
	int n = 0;

	if (rep == NULL)
		rep = text_report(m, &rlen);
	if (rep == NULL && !is_jmrp(m) && is_dmarc_text(m))
		return parse_dmarc_text(c);
	if (rep != NULL &&
	    rb_fields_parse(c->a, rep, rlen, lim, &f, NULL) < 0) {
		c->error = "header too long or too many";
		return 0;
	}
	/* every Original-Rcpt-To names one complainer */
	for (size_t i = 0; i < f.n; i++) {
		if (strcasecmp(f.v[i].name, "Original-Rcpt-To") != 0 &&
		    strcasecmp(f.v[i].name, "Removal-Recipient") != 0)
			continue;
		char *r = rb_addr_normalize(c->a, f.v[i].value,
					    strlen(f.v[i].value));
		if (r == NULL)
			continue;
		if ((unsigned)n >= lim->max_recipients) {
			c->error = "too many recipients in one report";
			return 0;
		}
		add_complaint(c, rep ? &f : NULL, r, &n);
	}
	if (n > 0)
		return n;
	if (rep == NULL && !is_jmrp(m) && is_apple_unsubscribe(m)) {
		add_complaint(c, NULL, m->from_addr, &n);
		struct rb_event *e = &c->out->v[c->out->n - 1];
		e->feedback_type = "opt-out";
		e->user_agent = "Apple Mail";
		if (m->to)
			e->sender = rb_addr_find(c->a, m->to, strlen(m->to));
		/* sent to a signed mailto: unsubscribe address: the request
		 * of that token (tenant and stream), checked when stored */
		const char *to;
		const char *tok = rb_unsub_mail_token(c->a, m, &to);
		if (tok != NULL) {
			e->kind = RB_KIND_UNSUBSCRIBE;
			e->feedback_type = NULL;
			e->unsubscribe_token = tok;
			e->diagnostic = m->subject;
			if (to)
				e->sender = to;
		}
		return n;
	}
	/* otherwise the recipient of the reported original */
	const char *to = NULL;
	if (m->has_orig) {
		to = rb_fields_get(&m->orig, "X-HmXmrOriginalRecipient");
		if (to == NULL)
			to = rb_fields_get(&m->orig, "To");
	}
	char *r = to ? rb_addr_find(c->a, to, strlen(to)) : NULL;
	if (r == NULL && rep == NULL)
		return 0;
	add_complaint(c, rep ? &f : NULL, r, &n);
	return n;
}

const struct rb_module rb_mod_arf = {"arf", detect, parse};
