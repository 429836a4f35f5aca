/*
 * yahoo: Yahoo! Mail's (and AOL's, since it moved onto the same
 * platform) plain-text bounce:
 *
 *   Sorry, we were unable to deliver your message to the following address.
 *
 *   <rcpt@example.org>:
 *   Remote host said: 550 5.1.1 <rcpt@example.org>... User Unknown [RCPT_TO]
 *
 *   --- Below this line is a copy of the message.
 *
 * The reply may be on the following lines, the bracketed SMTP stage
 * ([RCPT_TO], [DATA], [MAIL_FROM]) may be on its own line, and a local
 * failure is written without "Remote host said:".  Several recipients
 * each get their own "<addr>:" paragraph.
 */
#include <string.h>

#include "addr.h"
#include "mta_provider.h"
#include "text.h"

/* the sentence's start: its end ("... to the following address.") may
 * be wrapped onto the next line */
static const char intro[] = "Sorry, we were unable to deliver your message";

static bool
detect(const struct rb_ctx *c)
{
	const struct rb_mail *m = c->m;
	return rb_strcasestr_n(m->body, m->body_len, intro) != NULL;
}

static const struct {
	const char *tag;
	const char *cmd;
} stages[] = {
    {"[RCPT_TO]", "RCPT"}, {"[MAIL_FROM]", "MAIL"}, {"[DATA]", "DATA"},
    {"[EHLO]", "EHLO"},	   {"[HELO]", "HELO"},
};

static int
parse(struct rb_ctx *c)
{
	if (rb_provider_phishy_mail(c->m))
		return 0;
	const struct rb_mail *m = c->m;
	const char *b = m->body;
	size_t len = rb_mail_own_len(m);
	size_t pos = rb_provider_after_line(b, len, 0, intro);
	int n = 0;
	if (pos == (size_t)-1)
		return 0;
	char *para;
	struct rb_event *cur = NULL;
	while ((para = rb_provider_paragraph(c->a, b, len, &pos, NULL)) != NULL) {
		/* "<addr>: rest" starts a recipient */
		if (para[0] == '<') {
			char *gt = strstr(para, ">:");
			char *r = gt ? rb_addr_normalize(c->a, para + 1,
							 (size_t)(gt - para - 1))
				     : NULL;
			if (r != NULL) {
				if ((unsigned)n >= c->opts->limits.max_recipients) {
					c->error =
					    "too many recipients in one report";
					return 0;
				}
				cur = rb_ctx_add(c, "yahoo", r);
				cur->kind = RB_KIND_BOUNCE;
				cur->action = "failed";
				n++;
				para = gt + 2;
				while (*para == ' ')
					para++;
				if (*para == '\0')
					continue;
			}
		}
		if (cur == NULL)
			continue;
		if (rb_startswith_ci(para, "Remote host said:"))
			para += strlen("Remote host said:");
		while (*para == ' ')
			para++;
		for (size_t i = 0; i < sizeof(stages) / sizeof(stages[0]); i++) {
			char *t = strstr(para, stages[i].tag);
			if (t != NULL) {
				cur->smtp_command = stages[i].cmd;
				while (t > para && t[-1] == ' ')
					t--;
				*t = '\0';
				break;
			}
		}
		cur->diagnostic = cur->diagnostic
				      ? rb_arena_printf(c->a, "%s %s",
							cur->diagnostic, para)
				      : para;
	}
	return n;
}

const struct rb_module rb_mod_yahoo = {"yahoo", detect, parse};
