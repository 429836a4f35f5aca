/*
 * dragonfly: bounces of the DragonFly Mail Agent (dma), the small MTA of
 * DragonFly BSD and some Linux distributions.  One recipient per bounce:
 *
 *   This is the DragonFly Mail Agent v0.13 at host.example.
 *
 *   There was an error delivering your mail to <rcpt@example.org>.
 *
 *   mx.example.org [192.0.2.1] did not like our RCPT TO:
 *   550 5.1.1 <rcpt@example.org>: Recipient address rejected: ...
 *
 *   Message headers follow.        (or "Original message follows.")
 *
 * The error paragraph may also be a local one ("Could not deliver for
 * the last 432000 seconds. Giving up.").
 */
#include <string.h>

#include "mta_provider.h"
#include "text.h"

static const char intro[] = "There was an error delivering your mail to";

static bool
detect(const struct rb_ctx *c)
{
	const struct rb_mail *m = c->m;
	return rb_strcasestr_n(m->body, m->body_len, intro) != NULL &&
	       rb_strcasestr_n(m->body, m->body_len,
			       "This is the DragonFly Mail Agent") != NULL;
}

static const struct {
	const char *what;
	const char *cmd;
} commands[] = {
    {"RCPT TO", "RCPT"}, {"final DATA", "DATA"}, {"DATA", "DATA"},
    {"MAIL FROM", "MAIL"}, {"EHLO", "EHLO"},	 {"HELO", "HELO"},
    {"STARTTLS", "STARTTLS"}, {"AUTH", "AUTH"},
};

static int
parse(struct rb_ctx *c)
{
	const struct rb_mail *m = c->m;
	size_t len = rb_mail_own_len(m);
	const char *b = m->body;
	const char *p = rb_strcasestr_n(b, len, intro);
	if (p == NULL)
		return 0;
	const char *nl = memchr(p, '\n', len - (size_t)(p - b));
	size_t eol = nl ? (size_t)(nl - b) : len;
	size_t s = (size_t)(p - b) + sizeof(intro) - 1;
	char *rcpt = rb_provider_addr(c->a, b + s, eol - s);
	if (rcpt == NULL && nl != NULL) {
		/* a long address wrapped onto the next line */
		const char *nl2 = memchr(nl + 1, '\n', len - (size_t)(nl + 1 - b));
		size_t e2 = nl2 ? (size_t)(nl2 - b) : len;
		rcpt = rb_provider_addr(c->a, nl + 1, e2 - (size_t)(nl + 1 - b));
		eol = e2;
	}
	if (rcpt == NULL)
		return 0;
	struct rb_event *e = rb_ctx_add(c, "dragonfly", rcpt);
	e->kind = RB_KIND_BOUNCE;
	e->action = "failed";

	size_t pos = eol;
	char *para = rb_provider_paragraph(c->a, b, len, &pos, NULL);
	if (para == NULL)
		return 1;
	const char *dl = strstr(para, " did not like our ");
	if (dl != NULL && strchr(dl, ':') != NULL) {
		/* "host [addr] did not like our RCPT TO:" + the reply */
		const char *sp = strchr(para, ' ');
		if (sp != NULL && sp <= dl)
			e->remote_mta = rb_arena_strndup(c->a, para,
							 (size_t)(sp - para));
		const char *what = dl + strlen(" did not like our ");
		for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]);
		     i++)
			if (rb_startswith_ci(what, commands[i].what)) {
				e->smtp_command = commands[i].cmd;
				break;
			}
		const char *colon = strchr(what, ':');
		const char *reply = colon + 1;
		while (*reply == ' ')
			reply++;
		if (*reply == '\0')
			reply = rb_provider_paragraph(c->a, b, len, &pos, NULL);
		e->diagnostic = reply;
	} else {
		e->diagnostic = para;
	}
	return 1;
}

const struct rb_module rb_mod_dragonfly = {"dragonfly", detect, parse};
