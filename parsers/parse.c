#include "parse.h"

#include <ctype.h>
#include <string.h>

#include "addr.h"
#include "date.h"
#include "lure.h"
#include "mail.h"
#include "module.h"
#include "original.h"
#include "reason.h"
#include "reply.h"
#include "rhost.h"
#include "status.h"
#include "text.h"
#include "verp.h"

static const char *const default_campaign_headers[] = {
    "X-Campaign-ID", "X-Campaign", "X-Mailgun-Campaign-Id",
    "X-CampaignID", "X-Mailchimp-Campaign", "X-MC-Campaign",
    "X-SES-Configuration-Set", "X-Job", NULL,
};

void
rb_parse_opts_default(struct rb_parse_opts *o)
{
	struct rb_limits lim = RB_LIMITS_DEFAULT;
	memset(o, 0, sizeof(*o));
	o->limits = lim;
	o->campaign_headers = default_campaign_headers;
	o->verp_separator = '+';
}

const char *
rb_strip_type(const char *v)
{
	if (v == NULL)
		return NULL;
	const char *semi = strchr(v, ';');
	if (semi == NULL)
		return v;
	for (const char *p = v; p < semi; p++)
		if (!(isalnum((unsigned char)*p) || *p == '-' || *p == '_' ||
		      *p == ' '))
			return v;
	semi++;
	while (*semi == ' ')
		semi++;
	return semi;
}

struct rb_event *
rb_ctx_add(struct rb_ctx *c, const char *module, const char *recipient)
{
	struct rb_event *e = rb_events_add(c->out);
	e->parser = module;
	e->recipient = recipient;
	return e;
}

/* the verbs a failure can happen at, as written in transcripts */
static const struct {
	const char *verb;
	const char *cmd;
} verbs[] = {
    {"RCPT", "RCPT"}, {"MAIL", "MAIL"},	    {"DATA", "DATA"},
    {"HELO", "HELO"}, {"EHLO", "EHLO"},	    {"STARTTLS", "STARTTLS"},
    {"AUTH", "AUTH"}, {"QUIT", "DATA"},	    {"BDAT", "DATA"},
};

const char *
rb_smtp_verb(const char *s, size_t n)
{
	while (n > 0 && (*s == ' ' || *s == '\t'))
		s++, n--;
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		size_t vl = strlen(verbs[i].verb);
		if (n >= vl && strncasecmp(s, verbs[i].verb, vl) == 0)
			return verbs[i].cmd;
	}
	return NULL;
}

/* "<<< NNN" at the start of a line: a reply of the remote server as a
 * transcript quotes it; 2 for its last line, 1 for a continuation line
 * ("<<< 550-..."), 0 for another line. */
static int
reply_line(const char *line, size_t ll)
{
	if (ll < 7 || memcmp(line, "<<< ", 4) != 0 ||
	    !isdigit((unsigned char)line[4]) ||
	    !isdigit((unsigned char)line[5]) || !isdigit((unsigned char)line[6]))
		return 0;
	return ll > 7 && line[7] == '-' ? 1 : 2;
}

/* Sendmail-style transcript: the command a failed reply answers.
 * Without PIPELINING each ">>> VERB" is answered before the next one is
 * sent: the last command before the first "<<< 4xx"/"<<< 5xx" reply.
 * With PIPELINING (RFC 2920) a group of commands is sent at once and the
 * replies that follow answer them in order: ">>> MAIL", ">>> RCPT",
 * ">>> DATA", then "<<< 250", "<<< 550 5.1.1 ... User unknown", "<<< 503
 * Need RCPT" -- the 550 is the second reply, the RCPT's, although DATA
 * was the last command sent.  A multi-line reply ("550-...") counts once,
 * at its last line.  When the transcript shows fewer commands than
 * replies (often only ">>> DATA"), the replies are read as the last
 * command's (docs/rules.md says why). */
static const char *
transcript_command(const char *text, size_t n)
{
	enum { GROUP = 16 };
	const char *group[GROUP];
	const char *last = NULL;
	size_t ng = 0, replies = 0;
	bool replied = false;	/* a reply since the last command */
	size_t pos = 0, ll;
	const char *line;
	while (rb_next_line(text, n, &pos, &line, &ll)) {
		int rl = reply_line(line, ll);
		if (rl == 1)
			continue;	/* not the reply's last line */
		if (rl == 2) {
			replied = true;
			if (line[4] == '4' || line[4] == '5') {
				if (ng == 0)
					return NULL;
				return group[replies < ng ? replies : ng - 1];
			}
			replies++;
			continue;
		}
		if (ll < 5 || memcmp(line, ">>> ", 4) != 0)
			continue;
		/* ">>> ." ends the message: its reply is DATA's; another
		 * line the verbs do not know (NOOP, RSET) stays with the
		 * command before it */
		const char *cmd = ll == 5 && line[4] == '.'
				      ? "DATA"
				      : rb_smtp_verb(line + 4, ll - 4);
		if (cmd == NULL)
			cmd = last;
		if (cmd == NULL)
			continue;
		last = cmd;
		if (replied) {
			/* a new command after replies: a new group */
			ng = 0;
			replies = 0;
			replied = false;
		}
		if (ng < GROUP)
			group[ng++] = cmd;
		else
			group[GROUP - 1] = cmd;
	}
	return NULL;
}

/* phrases naming the failed command, and the command each names */
static const char *const cmd_needles[] = {
    "RCPT TO", "end of DATA", "MAIL FROM", "DATA command", ">>> DATA",
    "in reply to DATA", "HELO", "EHLO", "STARTTLS",
    /* qmail, GMX/Exim wording without the verb's argument */
    "does not like recipient", "RCPT command",
    /* Postfix's "(in reply to RCPT TO command)" folded after RCPT */
    "in reply to RCPT",
    "RCPT TO command", "after initial connection",
    /* stage notations: "(SMTP:RCPT)", "after RCPT", "after DATA" */
    "SMTP:RCPT", "SMTP:DATA", "after RCPT", "SMTP:MAIL", "after DATA",
    /* qmail-remote: "Connected to X but sender was rejected.", "... but
     * my name was rejected.", "X failed after I sent the message." */
    "sender was rejected", "my name was rejected",
    "failed after I sent the message",
};
static const char *const cmd_verbs[] = {
    "RCPT", "DATA", "MAIL", "DATA", "DATA", "DATA", "HELO", "EHLO",
    "STARTTLS", "RCPT", "RCPT", "RCPT", "RCPT", "CONN",
    "RCPT", "DATA", "RCPT", "MAIL", "DATA",
    "MAIL", "HELO", "DATA",
};
#define NPHRASES (sizeof(cmd_needles) / sizeof(cmd_needles[0]))
_Static_assert(sizeof(cmd_verbs) == sizeof(cmd_needles), "one verb a phrase");

struct cmd_scan {
	bool seen[NPHRASES];
	size_t which;
};

/* Only the first (case-insensitive) occurrence of each phrase counts, and
 * a case-sensitive hit on its first four bytes is required (the bare
 * upper-case verbs are common words in prose): the earliest such
 * occurrence wins, the first listed on a tie. */
static bool
cmd_hit(void *ctx, const char *where, size_t k)
{
	struct cmd_scan *c = ctx;
	if (c->seen[k])
		return false;
	c->seen[k] = true;
	if (strncmp(where, cmd_needles[k], 4) != 0)
		return false;
	c->which = k;
	return true;
}

const char *
rb_smtp_command_find(const char *text, size_t n)
{
	const char *tc = transcript_command(text, n);
	if (tc != NULL)
		return tc;
	struct cmd_scan c;
	memset(&c, 0, sizeof(c));
	if (rb_memcasemem_each(text, n, cmd_needles, NPHRASES, cmd_hit, &c) ==
	    NULL)
		return NULL;
	return cmd_verbs[c.which];
}

/* the paragraph (between blank lines) around text[at] */
static void
paragraph(const char *text, size_t n, size_t at, size_t *b, size_t *e)
{
	/* from LF to LF (memrchr/memchr), testing only there */
	size_t s = at, f = at;
	while (s > 0) {
		const char *nl = memrchr(text, '\n', s);
		if (nl == NULL) {
			s = 0;
			break;
		}
		s = (size_t)(nl - text) + 1;	/* text[s - 1] is a LF */
		if (s < 2 || text[s - 2] == '\n' ||
		    (text[s - 2] == '\r' && s >= 3 && text[s - 3] == '\n'))
			break;
		s--;	/* go on before this LF */
	}
	while (f < n) {
		const char *nl = memchr(text + f, '\n', n - f);
		if (nl == NULL) {
			f = n;
			break;
		}
		f = (size_t)(nl - text);
		if (f + 1 < n && (text[f + 1] == '\n' ||
				  (text[f + 1] == '\r' && f + 2 < n &&
				   text[f + 2] == '\n')))
			break;
		f++;
	}
	*b = s;
	*e = f;
}

const char *
rb_smtp_command_near(const char *text, size_t n, const char *rcpt)
{
	if (text == NULL || rcpt == NULL || *rcpt == '\0')
		return NULL;
	size_t rl = strlen(rcpt), off = 0;
	/* bounded: a hostile body could repeat the address many times */
	for (int tries = 0; tries < 16 && off < n; tries++) {
		const char *p = rb_memcasemem(text + off, n - off, rcpt, rl);
		if (p == NULL)
			return NULL;
		size_t b, e;
		paragraph(text, n, (size_t)(p - text), &b, &e);
		const char *cmd = rb_smtp_command_find(text + b, e - b);
		if (cmd != NULL)
			return cmd;
		off = e > (size_t)(p - text) + rl ? e : (size_t)(p - text) + rl;
	}
	return NULL;
}

/* Is text[b, e) the mention at p (of length rl) alone, with nothing but
 * blanks, brackets or quotes around it? */
static bool
bare_mention(const char *text, size_t b, size_t e, const char *p, size_t rl)
{
	size_t at = (size_t)(p - text);
	for (size_t i = b; i < e; i++) {
		if (i >= at && i < at + rl)
			continue;
		if (!strchr(" \t\r\n<>\"'", text[i]))
			return false;
	}
	return true;
}

/* The text about the mention of a recipient at p: its paragraph, or in
 * a paragraph that lists several recipients (OpenSMTPD writes one "addr:
 * reply" line each) only this recipient's lines.  *b, *e; false when
 * the paragraph is too long to be a sentence about the recipient. */
static bool
mention_text(const char *text, size_t n, const char *p, size_t rl, size_t *b,
	     size_t *e)
{
	paragraph(text, n, (size_t)(p - text), b, e);
	if (*e - *b > 2048)
		return false;
	size_t ls = (size_t)(p - text);
	while (ls > *b && text[ls - 1] != '\n')
		ls--;
	bool others = false;
	for (size_t i = *b; i < *e && !others; i++)
		if (text[i] == '@' && !(i >= (size_t)(p - text) &&
					i < (size_t)(p - text) + rl))
			others = true;
	if (others) {
		size_t le = (size_t)(p - text) + rl;
		for (;;) {
			const char *nl = memchr(text + le, '\n', *e - le);
			if (nl == NULL) {
				le = *e;
				break;
			}
			size_t next = (size_t)(nl - text) + 1;
			const char *nl2 = memchr(text + next, '\n', *e - next);
			size_t nend = nl2 ? (size_t)(nl2 - text) : *e;
			if (next >= *e || memchr(text + next, '@', nend - next)) {
				le = (size_t)(nl - text);
				break;
			}
			le = nend;
		}
		*b = ls;
		*e = le;
	}
	return true;
}

/* A list item's reason under a heading of its own below it (Domino's
 * "  addr" / "because:" / "  Maximum hop count exceeded ..."): the
 * paragraph after a one-line heading that ends with ':' just below the
 * item's paragraph [*b, *e), when it names no other address. */
static void
because_below(const char *text, size_t n, size_t *b, size_t *e)
{
	size_t h = *e;
	while (h < n && (text[h] == '\n' || text[h] == '\r' ||
			 text[h] == ' ' || text[h] == '\t'))
		h++;
	if (h >= n)
		return;
	size_t hb, he;
	paragraph(text, n, h, &hb, &he);
	while (he > hb && strchr(" \t\r\n", text[he - 1]))
		he--;
	if (he - hb > 40 || he == hb || text[he - 1] != ':' ||
	    memchr(text + hb, '\n', he - hb) != NULL)
		return;
	size_t r = he + 1;
	while (r < n && strchr(" \t\r\n", text[r]))
		r++;
	if (r >= n)
		return;
	size_t rb, re;
	paragraph(text, n, r, &rb, &re);
	if (re - rb > 1024 || memchr(text + rb, '@', re - rb) != NULL)
		return;
	*b = rb;
	*e = re;
}

const char *
rb_text_near(struct rb_arena *a, const char *text, size_t n, const char *rcpt)
{
	if (text == NULL || rcpt == NULL || *rcpt == '\0')
		return NULL;
	size_t rl = strlen(rcpt);
	const char *p = rb_memcasemem(text, n, rcpt, rl);
	size_t b, e;
	if (p == NULL || !mention_text(text, n, p, rl, &b, &e))
		return NULL;
	/* the address alone is an item of a list ("was not delivered to:"
	 * / "  addr" / "because:" / "  User name (addr) not listed ..."):
	 * a later mention that says more is the sentence about it */
	for (int tries = 0; tries < 8 && bare_mention(text, b, e, p, rl);
	     tries++) {
		size_t from = (size_t)(p - text) + rl, qb, qe;
		const char *q = rb_memcasemem(text + from, n - from, rcpt, rl);
		if (q == NULL)
			break;
		p = q;
		if (!mention_text(text, n, q, rl, &qb, &qe))
			continue;
		if (!bare_mention(text, qb, qe, q, rl)) {
			b = qb;
			e = qe;
			break;
		}
	}
	if (bare_mention(text, b, e, p, rl))
		because_below(text, n, &b, &e);
	return rb_squeeze(a, text + b, e - b);
}

/* "dns; mx.example.com. (192.0.2.25, the server for ...)" -> host */
static const char *
mta_host(struct rb_arena *a, const char *v)
{
	v = rb_strip_type(v);
	if (v == NULL)
		return NULL;
	while (*v == ' ')
		v++;
	size_t n = strcspn(v, " \t(;,");
	if (n > 1 && v[0] == '[' && v[n - 1] == ']') {
		v++;
		n -= 2;
	}
	while (n > 0 && v[n - 1] == '.')
		n--;
	if (n == 0)
		return NULL;
	char *h = rb_arena_strndup(a, v, n);
	rb_lower(h);
	return h;
}

static const char *
strip_brackets(struct rb_arena *a, const char *v)
{
	if (v == NULL)
		return NULL;
	while (*v == ' ' || *v == '<')
		v++;
	size_t n = strlen(v);
	const char *gt = memchr(v, '>', n);
	if (gt)
		n = (size_t)(gt - v);
	while (n > 0 && v[n - 1] == ' ')
		n--;
	return n ? rb_arena_strndup(a, v, n) : NULL;
}

static void
fill_original(struct rb_ctx *c, struct rb_original *o)
{
	const struct rb_mail *m = c->m;
	const struct rb_fields *f = &m->orig;
	if (!m->has_orig) {
		/* no attached original: the headers some MTAs quote as text
		 * below a "copy of the message follows" line (original.c) */
		const char *const *ch = c->opts->campaign_headers
					    ? c->opts->campaign_headers
					    : default_campaign_headers;
		size_t after;
		bool marked = rb_mail_original_marker(m, NULL, &after);
		if (rb_original_recover_marked(c->a, &c->opts->limits, m->body,
					       m->body_len, marked, after, ch,
					       o) &&
		    o->subject != NULL && strstr(o->subject, "=?") != NULL)
			o->subject = rb_mail_decode_text(c->a, o->subject);
		return;
	}
	const char *v;
	o->message_id = strip_brackets(c->a, rb_fields_get(f, "Message-ID"));
	if ((v = rb_fields_get(f, "From")) != NULL)
		o->from = rb_addr_find(c->a, v, strlen(v));
	if ((v = rb_fields_get(f, "To")) != NULL)
		o->to = rb_addr_find(c->a, v, strlen(v));
	o->subject = m->orig_subject;
	if ((v = rb_fields_get(f, "Date")) != NULL) {
		o->date = rb_date_iso(c->a, v);
		if (o->date == NULL)
			o->date = v;
	}
	if ((v = rb_fields_get(f, "List-Id")) != NULL) {
		const char *lt = strchr(v, '<');
		o->list_id = lt ? strip_brackets(c->a, lt) : v;
	}
	o->feedback_id = rb_fields_get(f, "Feedback-ID");
	const char *const *ch = c->opts->campaign_headers
				    ? c->opts->campaign_headers
				    : default_campaign_headers;
	for (; *ch && o->campaign == NULL; ch++)
		o->campaign = rb_fields_get(f, *ch);
}

/* A better status in the diagnostic: Postfix writes 5.0.0 when the remote
 * reply carried no enhanced code, and some MTAs write none at all. */
static void
fix_status(struct rb_ctx *c, struct rb_event *e)
{
	char *d = NULL;
	if (e->diagnostic)
		d = rb_status_find(c->a, e->diagnostic, strlen(e->diagnostic));
	if (e->status != NULL && !rb_status_valid(e->status)) {
		char *s = rb_status_find(c->a, e->status, strlen(e->status));
		e->status = s;
	}
	if (e->status == NULL)
		e->status = d;
	else if (d != NULL && d[0] == e->status[0] &&
		 strcmp(e->status + 1, ".0.0") == 0 && strcmp(d + 1, ".0.0"))
		e->status = d;
}

/* The remote server answered with a reply code of its own (4xx/5xx at
 * the start of the diagnostic), as opposed to the sending MTA's words
 * about a connection that failed or a queue that timed out. */
static bool
remote_reply(const struct rb_event *e)
{
	const char *d = e->diagnostic;
	return e->remote_mta != NULL && d != NULL &&
	       (d[0] == '4' || d[0] == '5') && isdigit((unsigned char)d[1]) &&
	       isdigit((unsigned char)d[2]) &&
	       (d[3] == ' ' || d[3] == '-' || d[3] == '\0');
}

/* A delay's own status names its cause (4.2.2 a full mailbox, 4.3.1 a
 * full disk), not only that delivery is late: the reason it implies. */
static bool
delay_status_says(const char *status, const struct rb_classified *cl)
{
	const struct rb_status_info *si = rb_status_lookup(status);
	return si != NULL && si->specific && si->reason != NULL &&
	       cl->reason != NULL && strcmp(cl->reason, si->reason) == 0 &&
	       strcmp(si->reason, "expired") != 0;
}

#define WHOLE_REPLY_LINES 16

/* The reply whose line holds body[at]: its lines from there on, each
 * opening with the code of p ("552"), "-" while it goes on and " " on
 * its last line, after blanks or a transcript's "<<< "; joined with
 * blanks.  NULL when fewer than two such lines follow. */
static const char *
reply_lines(struct rb_ctx *c, size_t at, const char *p)
{
	const struct rb_mail *m = c->m;
	char out[2048];
	size_t o = 0;
	size_t pos = at;
	while (pos > 0 && m->body[pos - 1] != '\n')
		pos--;
	const char *l;
	size_t ll;
	bool last = false;
	unsigned n = 0;
	while (!last && n < WHOLE_REPLY_LINES &&
	       rb_next_line(m->body, m->body_len, &pos, &l, &ll)) {
		while (ll > 0 && (*l == ' ' || *l == '\t'))
			l++, ll--;
		if (ll >= 4 && memcmp(l, "<<< ", 4) == 0)
			l += 4, ll -= 4;
		if (ll < 4 || memcmp(l, p, 3) != 0 ||
		    (l[3] != '-' && l[3] != ' '))
			break;
		last = l[3] == ' ';
		if (o + ll + 2 >= sizeof(out))
			break;
		if (o > 0)
			out[o++] = ' ';
		memcpy(out + o, l, ll);
		o += ll;
		n++;
	}
	if (n < 2)
		return NULL;
	return rb_arena_strndup(c->a, out, o);
}

/* A diagnostic that quotes only the first line of a multi-line reply
 * (Sendmail's "(reason: 552-Sorry, the mailbox of this recipient)", a
 * Diagnostic-Code holding one line) while the bounce's text has the whole
 * reply below it, line by line ("<<< 552-..." in the transcript, or an
 * indented continuation): the reply's lines joined, so that the
 * classifier reads the server's whole sentence.  NULL when the text does
 * not have it. */
static const char *
whole_reply(struct rb_ctx *c, const char *d)
{
	const struct rb_mail *m = c->m;
	const char *p = rb_reason_continued_reply(d);
	if (p == NULL || m->body == NULL)
		return NULL;
	/* the first line's text as the diagnostic has it, without a
	 * closing parenthesis of Sendmail's "(reason: ...)" */
	size_t fl = strlen(p);
	while (fl > 0 && (p[fl - 1] == ')' || p[fl - 1] == ' '))
		fl--;
	if (fl < 12 || fl > 512)
		return NULL;
	/* each place the text quotes that line: the transcript's, not the
	 * "(reason: ...)" line that quoted it first */
	size_t from = 0;
	for (int tries = 0; tries < 4 && from < m->body_len; tries++) {
		const char *at = rb_memcasemem(m->body + from,
					       m->body_len - from, p, fl);
		if (at == NULL)
			return NULL;
		from = (size_t)(at - m->body) + fl;
		const char *w = reply_lines(c, (size_t)(at - m->body), p);
		if (w != NULL)
			return w;
	}
	return NULL;
}

static void
finish(struct rb_ctx *c, struct rb_event *e, const struct rb_original *orig)
{
	const struct rb_mail *m = c->m;

	if (e->report_message_id == NULL)
		e->report_message_id = strip_brackets(c->a, m->message_id);
	if (e->original.message_id == NULL && e->original.from == NULL &&
	    e->original.subject == NULL)
		e->original = *orig;
	if (e->sender == NULL)
		e->sender = e->original.from;
	if (e->arrival_date != NULL) {
		const char *iso = rb_date_iso(c->a, e->arrival_date);
		if (iso)
			e->arrival_date = iso;
	} else if (m->date != NULL) {
		e->arrival_date = rb_date_iso(c->a, m->date);
	}
	if (e->remote_mta)
		e->remote_mta = mta_host(c->a, e->remote_mta);
	if (e->reporting_mta)
		e->reporting_mta = mta_host(c->a, e->reporting_mta);
	/* RFC 3464 diagnostic type X-Unix: the text is a local delivery
	 * program's exit status or message (sendmail's local mailers,
	 * Postfix's pipe/local delivery), not an SMTP server's reply */
	bool local_mailer = e->diagnostic != NULL &&
			    strncasecmp(e->diagnostic, "x-unix", 6) == 0 &&
			    rb_strip_type(e->diagnostic) != e->diagnostic;
	if (e->diagnostic)
		e->diagnostic = rb_strip_type(e->diagnostic);
	if (e->diagnostic && *e->diagnostic == '\0')
		e->diagnostic = NULL;

	if (e->kind == RB_KIND_DELIVERED && e->smtp_code == NULL &&
	    e->diagnostic)
		e->smtp_code = rb_smtp_code_find(c->a, e->diagnostic,
						 strlen(e->diagnostic));
	switch (e->kind) {
	case RB_KIND_BOUNCE:
	case RB_KIND_DELAY: {
		fix_status(c, e);
		if (e->remote_mta == NULL) {
			/* no Remote-MTA field: the host the sender's MTA quotes
			 * ("host mx3.qq.com[...] said:"), for host-scoped rules */
			if (e->diagnostic)
				e->remote_mta = rb_remote_mta_find(
				    c->a, e->diagnostic, strlen(e->diagnostic),
				    NULL);
			if (e->remote_mta == NULL)
				e->remote_mta = rb_remote_mta_find(
				    c->a, m->body, m->body_len, e->recipient);
		}
		if (e->diagnostic) {
			const char *w = whole_reply(c, e->diagnostic);
			if (w != NULL)
				e->diagnostic = w;
		}
		if (e->smtp_code == NULL && e->diagnostic)
			e->smtp_code = rb_smtp_code_find(
			    c->a, e->diagnostic, strlen(e->diagnostic));
		if (e->smtp_command == NULL && e->diagnostic)
			e->smtp_command = rb_smtp_command_find(
			    e->diagnostic, strlen(e->diagnostic));
		struct rb_classified cl;
		rb_reason_classify(c->opts->rules, e->status, e->smtp_code,
				   e->diagnostic, e->remote_mta,
				   e->smtp_command, &cl);
		/* a local delivery program failed and its words (often only
		 * an exit code such as "127") name no other cause */
		if (local_mailer && !rb_reason_from_text(&cl)) {
			cl.reason = "mailererror";
			cl.rule = "diagnostic-type";
			cl.hard = 0;
		}
		/* a delay has not failed yet: its reason is what the remote
		 * side's text says (a text rule matched: "No route to host"
		 * is networkerror, a rate limit toomanyconn, which the
		 * throttling report must see), else that delivery has not
		 * happened in time (expired; Sisimai's convention, so reports
		 * compare).  A reply of the remote server that no rule knows
		 * is not a timeout: it stays what the classification says
		 * (undefined, or the status code's meaning). */
		/* a rule's own reason for a delay (`delay` key): a
		 * connection that timed out ended a bounce's queue, on a
		 * delay it is this attempt's network failure */
		if (e->reason == NULL && e->kind == RB_KIND_DELAY &&
		    cl.delay != NULL)
			e->reason = cl.delay;
		if (e->reason == NULL && e->kind == RB_KIND_DELAY)
			e->reason = rb_reason_from_text(&cl) ||
					    rb_reason_is_throttle(cl.reason) ||
					    remote_reply(e) ||
					    delay_status_says(e->status, &cl)
					? cl.reason
					: "expired";
		if (e->reason == NULL)
			e->reason = cl.reason;
		if (e->reason == cl.reason)
			e->sub_reason = cl.subreason;
		if (e->hard < 0)
			e->hard = e->kind == RB_KIND_DELAY
				      ? 0
				      : (e->reason == cl.reason
					     ? cl.hard
					     : rb_reason_hard(e->reason,
							      e->status,
							      e->smtp_code));
		if (cl.feedback != NULL && e->kind == RB_KIND_BOUNCE) {
			/* a rejection that is really a complaint signal */
			e->kind = RB_KIND_COMPLAINT;
			e->feedback_type = cl.feedback;
		} else if (cl.feedback != NULL) {
			/* a temporary failure carrying the same signal (NetEase
			 * "421 HL:REP"): keeps its kind, records the signal */
			e->feedback_type = cl.feedback;
		}
		break;
	}
	case RB_KIND_COMPLAINT:
		if (e->reason == NULL)
			e->reason = "feedback";
		e->hard = -1;
		break;
	case RB_KIND_AUTOREPLY:
		if (e->reason == NULL)
			e->reason = "vacation";
		e->hard = -1;
		break;
	case RB_KIND_DELIVERED:
		e->reason = "delivered";
		e->hard = -1;
		break;
	case RB_KIND_UNSUBSCRIBE:
		e->reason = "unsubscribe";
		e->hard = -1;
		break;
	case RB_KIND_UNKNOWN:
		e->hard = -1;
		break;
	}
}

static size_t parse_view(struct rb_arena *a, const struct rb_parse_opts *o,
			 const struct rb_mail *mp_, struct rb_events *out,
			 unsigned depth);

size_t
rb_parse_message(struct rb_arena *a, const char *buf, size_t len,
		 const struct rb_parse_opts *o, struct rb_events *out)
{
	struct rb_mail m;

	if (rb_mail_load(a, buf, len, &o->limits, &m) < 0) {
		struct rb_event *e = rb_events_add(out);
		e->kind = RB_KIND_UNKNOWN;
		e->error = m.error;
		e->parser = "limits";
		e->report_message_id = strip_brackets(a, m.message_id);
		return 1;
	}
	return parse_view(a, o, &m, out, 0);
}

int
rb_parse_view(struct rb_ctx *c, const struct rb_mail *inner)
{
	if (c->depth > 0 || inner == NULL || inner->error != NULL)
		return 0;
	size_t first = c->out->n;
	parse_view(c->a, c->opts, inner, c->out, c->depth + 1);
	size_t n = c->out->n - first;
	bool named = false;
	for (size_t i = first; i < c->out->n; i++)
		if (c->out->v[i].kind != RB_KIND_UNKNOWN)
			named = true;
	if (!named) {
		c->out->n = first;
		return 0;
	}
	c->finished = true;
	return (int)n;
}

static size_t
parse_view(struct rb_arena *a, const struct rb_parse_opts *o,
	   const struct rb_mail *mp_, struct rb_events *out, unsigned depth)
{
	const struct rb_mail m = *mp_;
	size_t first = out->n;
	struct rb_ctx c = {.a = a, .opts = o, .m = mp_, .out = out,
			   .depth = depth};
	/* a person's reply that quotes a notice is not the notice: only
	 * the readers of a person's mail (auto-replies, unsubscribe
	 * requests) see it, no bounce or report reader (reply.h) */
	bool person_reply = rb_reply_quotes_notice(mp_);

	for (const struct rb_module *const *mp = rb_modules; *mp; mp++) {
		const struct rb_module *mod = *mp;
		if (person_reply && mod != &rb_mod_rfc3834 &&
		    mod != &rb_mod_unsubscribe)
			continue;
		if (!mod->detect(&c))
			continue;
		int n = mod->parse(&c);
		/* the recipient limit holds for every module here, in one
		 * place: a module that names more is hostile input, never a
		 * silently truncated list */
		if (c.error == NULL &&
		    out->n - first > o->limits.max_recipients)
			c.error = "too many recipients in one report";
		if (c.error != NULL) {
			/* a module hit a limit: the mail names nobody */
			out->n = first;
			break;
		}
		if (n > 0 && !c.finished &&
		    rb_lure_mail(mp_, out->v + first, out->n - first)) {
			/* a lure dressed as a delivery notice (lure.h): no
			 * other module may read it as one either */
			out->n = first;
			break;
		}
		if (n > 0)
			break;
		out->n = first;
		c.finished = false;
	}
	if (c.finished)	/* a carried bounce, finished with its own mail */
		return out->n - first;
	if (out->n == first) {
		struct rb_event *e = rb_events_add(out);
		e->kind = RB_KIND_UNKNOWN;
		e->error = c.error;
		e->parser = c.error ? "limits" : NULL;
	}
	/* VERP: a bounce that names no recipient is tied to the send by the
	 * address it was sent to (verp.c); never for non-bounces */
	char *verp = NULL;
	bool verp_done = false;
	for (size_t i = first; i < out->n; i++) {
		struct rb_event *e = &out->v[i];
		if (e->recipient != NULL ||
		    (e->kind != RB_KIND_BOUNCE && e->kind != RB_KIND_DELAY &&
		     e->kind != RB_KIND_COMPLAINT))
			continue;
		if (!verp_done) {
			verp = rb_verp_of_mail(a, &m, o->verp_separator);
			verp_done = true;
		}
		e->recipient = verp;
	}
	struct rb_original orig = {0};
	fill_original(&c, &orig);
	/* a DMARC failure report written as text quotes the failed mail's
	 * headers in its text: the address it was sent to */
	for (size_t i = first; i < out->n; i++) {
		struct rb_event *e = &out->v[i];
		if (e->recipient == NULL && e->kind == RB_KIND_COMPLAINT &&
		    e->feedback_type != NULL &&
		    strcmp(e->feedback_type, "auth-failure") == 0 &&
		    orig.to != NULL)
			e->recipient = rb_addr_find(a, orig.to, strlen(orig.to));
	}
	for (size_t i = first; i < out->n; i++)
		finish(&c, &out->v[i], &orig);
	return out->n - first;
}
