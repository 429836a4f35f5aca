/*
 * zoho: Zoho Mail's bounces (From mailer-daemon@*.zoho.*, X-ZohoMail or
 * X-Mailer: Zoho Mail).  Two templates:
 *
 *   permanent: "A message that you sent could not be delivered to one or
 *     more of its recipients. This is a permanent error." then one line
 *     per recipient:
 *       rcpt@example.org Invalid Address, ERROR_CODE :550, ERROR_CODE :5.1.1 ...
 *   delay: "----- The following addresses had fatal errors -----" then
 *       [Status: Error, Address: <rcpt@example.org>, ResponseCode 421, , Host not reachable.]
 *     and "Message will be retried for N more day(s)".
 *
 * The returned headers follow without a marker, starting at a
 * "Received:" line, which ends the bounce's own text.
 */
#include <string.h>

#include "addr.h"
#include "mta_provider.h"
#include "text.h"

static bool
is_zoho(const struct rb_mail *m)
{
	const char *x = rb_mail_header(m, "X-Mailer");
	if (x != NULL && rb_strcasestr_n(x, strlen(x), "Zoho Mail"))
		return true;
	if (rb_mail_header(m, "X-ZohoMail") != NULL)
		return true;
	const char *f = m->from_addr;
	return f != NULL && rb_startswith_ci(f, "mailer-daemon@") &&
	       strstr(f, "zoho") != NULL;
}

static bool
detect(const struct rb_ctx *c)
{
	const struct rb_mail *m = c->m;
	if (!is_zoho(m))
		return false;
	return rb_strcasestr_n(m->body, m->body_len,
			       "could not be delivered to one or more") ||
	       rb_strcasestr_n(m->body, m->body_len,
			       "addresses had fatal errors");
}

static size_t
own_len(const char *b, size_t len)
{
	size_t pos = 0;
	const char *line;
	size_t ll;
	while (rb_next_line(b, len, &pos, &line, &ll))
		if (ll >= 9 && strncasecmp(line, "Received:", 9) == 0)
			return (size_t)(line - b);
	return len;
}

static int
parse(struct rb_ctx *c)
{
	if (rb_provider_phishy_mail(c->m))
		return 0;
	const struct rb_mail *m = c->m;
	const char *b = m->body;
	size_t len = own_len(b, m->body_len);
	size_t pos = 0;
	const char *line;
	size_t ll;
	int n = 0;
	bool delayed = rb_strcasestr_n(b, len, "THIS IS A WARNING MESSAGE") ||
		       rb_strcasestr_n(b, len, "will be retried");
	struct rb_event *cur = NULL;
	while (rb_next_line(b, len, &pos, &line, &ll)) {
		char *t = rb_squeeze(c->a, line, ll);
		char *r = NULL;
		const char *diag = NULL;
		if (rb_startswith_ci(t, "[Status:")) {
			/* [Status: Error, Address: <a>, ResponseCode 421, , text] */
			char *ad = strstr(t, "Address:");
			if (ad != NULL) {
				char *comma = strchr(ad, ',');
				r = rb_addr_normalize(
				    c->a, ad + 8,
				    comma ? (size_t)(comma - ad - 8)
					  : strlen(ad + 8));
				char *rc = strstr(t, "ResponseCode ");
				if (rc != NULL) {
					rc += strlen("ResponseCode ");
					char *tx = strchr(rc, ',');
					while (tx && (*tx == ',' || *tx == ' '))
						tx++;
					size_t tl = tx ? strcspn(tx, "]") : 0;
					size_t cl = strspn(rc, "0123456789");
					diag = rb_arena_printf(
					    c->a, "%.*s %.*s", (int)cl, rc,
					    (int)tl, tx ? tx : "");
				}
			}
		} else if (strchr(t, '@') != NULL && strstr(t, "ERROR_CODE")) {
			size_t al = strcspn(t, " ");
			r = rb_addr_normalize(c->a, t, al);
			diag = t + al;
			while (*diag == ' ')
				diag++;
		} else if (cur != NULL && *t != '\0' && cur->diagnostic &&
			   strstr(cur->diagnostic, "ERROR_CODE") &&
			   (line[0] != '-' && line[0] != '[')) {
			/* a wrapped continuation of the reply */
			cur->diagnostic =
			    rb_arena_printf(c->a, "%s%s", cur->diagnostic, t);
			continue;
		}
		if (r == NULL) {
			if (*t == '\0')
				cur = NULL;
			continue;
		}
		if ((unsigned)n >= c->opts->limits.max_recipients) {
			c->error = "too many recipients in one report";
			return 0;
		}
		cur = rb_ctx_add(c, "zoho", r);
		cur->kind = delayed ? RB_KIND_DELAY : RB_KIND_BOUNCE;
		cur->action = delayed ? "delayed" : "failed";
		cur->diagnostic = diag;
		n++;
	}
	return n;
}

const struct rb_module rb_mod_zoho = {"zoho", detect, parse};
