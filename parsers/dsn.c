/*
 * rfc3464: Delivery Status Notifications (RFC 3464, and RFC 1894 before
 * it; RFC 6533 message/global-delivery-status).  The delivery-status part
 * is a per-message field block followed by one block per recipient.
 */
#include <ctype.h>
#include <string.h>

#include "addr.h"
#include "module.h"
#include "reason.h"
#include "text.h"

static bool
detect(const struct rb_ctx *c)
{
	return c->m->dsn != NULL && c->m->dsn_len > 0;
}

static enum rb_kind
kind_of(const char *action, const char *status)
{
	if (action != NULL) {
		if (rb_startswith_ci(action, "failed"))
			return RB_KIND_BOUNCE;
		if (rb_startswith_ci(action, "delayed"))
			return RB_KIND_DELAY;
		if (rb_startswith_ci(action, "delivered") ||
		    rb_startswith_ci(action, "relayed") ||
		    rb_startswith_ci(action, "expanded"))
			return RB_KIND_DELIVERED;
	}
	if (status != NULL && status[0] == '2')
		return RB_KIND_DELIVERED;
	/* no or unknown action with a failure status: a failure */
	return RB_KIND_BOUNCE;
}

/* The recipient of a group: Final-Recipient, else Original-Recipient,
 * else X-Actual-Recipient, the first that is an address; when none is,
 * the first of them as written (*as_written set), never a part of it. */
static const char *
recipient_of(struct rb_ctx *c, const struct rb_fields *f, bool *as_written)
{
	static const char *const names[] = {"Final-Recipient",
					    "Original-Recipient",
					    "X-Actual-Recipient", NULL};
	const char *written = NULL;
	*as_written = false;
	for (size_t i = 0; names[i]; i++) {
		const char *v = rb_fields_get(f, names[i]);
		if (v == NULL)
			continue;
		bool w;
		char *r = rb_addr_field(c->a, v, strlen(v), &w);
		if (r != NULL && !w)
			return r;
		if (r != NULL && written == NULL)
			written = r;
	}
	*as_written = written != NULL;
	return written;
}

/* The Original-Recipient of a group when it names another address than
 * the recipient reported. */
static const char *
original_recipient_of(struct rb_ctx *c, const struct rb_fields *f,
		      const char *rcpt)
{
	const char *v = rb_fields_get(f, "Original-Recipient");
	if (v == NULL)
		return NULL;
	bool w;
	char *r = rb_addr_field(c->a, v, strlen(v), &w);
	if (r == NULL || w || strcasecmp(r, rcpt) == 0)
		return NULL;
	return r;
}

static bool
is_rcpt_field(const char *name)
{
	return strcasecmp(name, "Final-Recipient") == 0 ||
	       strcasecmp(name, "Original-Recipient") == 0;
}

/* X-PowerMTA-BounceCategory values whose meaning is one reason; the
 * others (other, unknown, bad-configuration, ...) leave it to the text. */
static const char *
powermta_reason(const char *category)
{
	static const struct {
		const char *category, *reason;
	} t[] = {
	    {"bad-mailbox", "userunknown"},
	    {"bad-domain", "hostunknown"},
	    {"inactive-mailbox", "suspend"},
	    {"quota-issues", "mailboxfull"},
	    {"message-expired", "expired"},
	    {"no-answer-from-host", "networkerror"},
	    {"routing-errors", "systemerror"},
	    {"policy-related", "policyviolation"},
	    {"spam-related", "spamdetected"},
	    {"virus-related", "virusdetected"},
	    {"relaying-issues", "norelaying"},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strcasecmp(category, t[i].category) == 0)
			return t[i].reason;
	return NULL;
}

/* One recipient group (fields of f) -> one event; 1 added, 0, or -1 on a
 * limit. */
static int
add_recipient(struct rb_ctx *c, const char *module, const struct rb_fields *f,
	      const struct rb_fields *msg, int n)
{
	bool as_written;
	const char *rcpt = recipient_of(c, f, &as_written);
	if (rcpt == NULL)
		return 0;
	if ((unsigned)n >= c->opts->limits.max_recipients) {
		c->error = "too many recipients in one report";
		return -1;
	}
	const char *action = rb_fields_get(f, "Action");
	const char *status = rb_fields_get(f, "Status");
	struct rb_event *e = rb_ctx_add(c, module, rcpt);
	e->recipient_as_written = as_written;
	e->original_recipient = original_recipient_of(c, f, rcpt);
	e->kind = kind_of(action, status);
	if (action) {
		/* "failed (bad destination)": keep the keyword */
		char *a = rb_arena_strdup(c->a, action);
		char *sp = strpbrk(a, " (");
		if (sp)
			*sp = '\0';
		rb_lower(a);
		e->action = a;
	}
	e->status = status;
	e->remote_mta = rb_fields_get(f, "Remote-MTA");
	e->diagnostic = rb_fields_get(f, "Diagnostic-Code");
	e->arrival_date = rb_fields_get(f, "Last-Attempt-Date");
	/* a recipient block may carry the per-message fields too */
	e->reporting_mta = rb_fields_get(msg, "Reporting-MTA");
	if (e->reporting_mta == NULL)
		e->reporting_mta = rb_fields_get(f, "Reporting-MTA");
	if (e->arrival_date == NULL)
		e->arrival_date = rb_fields_get(msg, "Arrival-Date");
	if (e->arrival_date == NULL)
		e->arrival_date = rb_fields_get(f, "Arrival-Date");
	/* PowerMTA states its own classification of the failure per
	 * recipient; its clear categories decide the reason */
	const char *cat = rb_fields_get(f, "X-PowerMTA-BounceCategory");
	if (cat != NULL && e->kind == RB_KIND_BOUNCE)
		e->reason = powermta_reason(cat);
	const char *x = rb_fields_get(f, "X-Postfix-Sender");
	if (x == NULL)
		x = rb_fields_get(msg, "X-Postfix-Sender");
	if (x != NULL)
		e->sender = rb_addr_normalize(c->a, x, strlen(x));
	return 1;
}

/* A Sendmail-style SMTP transcript (">>> COMMAND" lines) in the text? */
static bool
has_transcript(const char *body, size_t len)
{
	size_t pos = 0, ll;
	const char *line;
	while (rb_next_line(body, len, &pos, &line, &ll))
		if (ll > 4 && memcmp(line, ">>> ", 4) == 0)
			return true;
	return false;
}

/* Does the diagnostic read "[type;] NNN [X.Y.Z] [<]rcpt[>]... text"? */
static bool
rcpt_reply(const char *diag, const char *rcpt)
{
	const char *p = rb_strip_type(diag);
	while (*p == ' ')
		p++;
	if (!(p[0] == '4' || p[0] == '5') || !isdigit((unsigned char)p[1]) ||
	    !isdigit((unsigned char)p[2]) || p[3] != ' ')
		return false;
	p += 4;
	if (isdigit((unsigned char)p[0]) && p[1] == '.') {
		size_t k = strspn(p, "0123456789.");
		if (p[k] != ' ')
			return false;
		p += k + 1;
	}
	bool br = *p == '<';
	p += br;
	size_t rl = strlen(rcpt);
	if (strncasecmp(p, rcpt, rl) != 0)
		return false;
	p += rl;
	if (br && *p++ != '>')
		return false;
	return strncmp(p, "...", 3) == 0;
}

/* "5.1.10 (host/domain does not accept mail)" -> the comment, or NULL */
static const char *
status_comment(struct rb_arena *a, const char *status)
{
	if (status == NULL)
		return NULL;
	const char *o = strchr(status, '(');
	if (o == NULL)
		return NULL;
	o++;
	const char *e = strrchr(o, ')');
	size_t n = e ? (size_t)(e - o) : strlen(o);
	bool word = false;
	for (size_t i = 0; i + 2 < n && !word; i++)
		word = isalpha((unsigned char)o[i]) &&
		       isalpha((unsigned char)o[i + 1]) &&
		       isalpha((unsigned char)o[i + 2]);
	return word ? rb_squeeze(a, o, n) : NULL;
}

/* Sendmail's status line for one recipient: "<addr>... text" (or
 * "addr... text") at the start of a line; the text, or NULL. */
static const char *
status_line(struct rb_ctx *c, const char *body, size_t len, const char *rcpt)
{
	size_t rl = strlen(rcpt), pos = 0, ll;
	const char *line;
	for (int lines = 0;
	     lines < 2000 && rb_next_line(body, len, &pos, &line, &ll);
	     lines++) {
		size_t i = 0;
		while (i < ll && (line[i] == ' ' || line[i] == '\t'))
			i++;
		bool br = i < ll && line[i] == '<';
		i += br;
		if (ll - i < rl + 4 || strncasecmp(line + i, rcpt, rl) != 0)
			continue;
		i += rl;
		if (br) {
			if (line[i] != '>')
				continue;
			i++;
		}
		if (ll - i < 4 || memcmp(line + i, "... ", 4) != 0)
			continue;
		i += 4;
		if (ll > i)
			return rb_squeeze(c->a, line + i, ll - i);
	}
	return NULL;
}

/*
 * A DSN without Diagnostic-Code: the remote reply is often in the human-
 * readable part (Sendmail's "Transcript of session follows", "<<< 550
 * ...").  Take the first line that starts with a 4xx/5xx reply and names
 * the recipient (address or local part); when the report has only one
 * recipient, any such line.  Never a recipient: only the text.
 */
/* "prog: message" or "prog[pid]: message": a Unix program's complaint
 * (mail.local, procmail, maildrop ...), not a transcript or prose line;
 * program names are lower case, header field names ("Subject:") not */
static bool
program_message(const char *s, size_t n)
{
	size_t i = 0;
	while (i < n && i < 40 &&
	       (islower((unsigned char)s[i]) || isdigit((unsigned char)s[i]) ||
		s[i] == '.' || s[i] == '_' || s[i] == '-' || s[i] == '/'))
		i++;
	if (i == 0 || i >= n || !isalpha((unsigned char)s[0]))
		return false;
	if (s[i] == '[') {
		size_t j = i + 1;
		while (j < n && isdigit((unsigned char)s[j]))
			j++;
		if (j == i + 1 || j >= n || s[j] != ']')
			return false;
		i = j + 1;
	}
	return i + 1 < n && s[i] == ':' && s[i + 1] == ' ';
}

static const char *
body_reply(struct rb_ctx *c, const char *body, size_t len, const char *rcpt,
	   bool only_one)
{
	size_t pos = 0, ll;
	const char *line;
	const char *at = strchr(rcpt, '@');
	size_t local = at ? (size_t)(at - rcpt) : strlen(rcpt);
	const char *any = NULL;
	size_t anyl = 0;
	const char *prev = NULL;	/* the line just above, if not blank */
	size_t prevl = 0;
	for (int lines = 0; lines < 2000 && rb_next_line(body, len, &pos, &line,
							 &ll);
	     lines++) {
		while (ll > 0 && (*line == ' ' || *line == '\t'))
			line++, ll--;
		const char *above = prev;
		size_t abovel = prevl;
		prev = ll > 0 ? line : NULL;
		prevl = ll;
		if (ll >= 4 && memcmp(line, "<<< ", 4) == 0)
			line += 4, ll -= 4;
		if (ll < 5 || (line[0] != '4' && line[0] != '5') ||
		    line[1] < '0' || line[1] > '5' || line[2] < '0' ||
		    line[2] > '9' || (line[3] != ' ' && line[3] != '-'))
			continue;
		if (rb_memcasemem(line, ll, rcpt, strlen(rcpt)) ||
		    (local >= 3 && rb_memcasemem(line, ll, rcpt, local))) {
			/* a local delivery program's complaint just above
			 * ("mail.local: unknown user: x" over sendmail's
			 * "554 <x@...>... Service unavailable") says why */
			if (above != NULL && program_message(above, abovel))
				return rb_squeeze(c->a, above,
						  (size_t)(line + ll - above));
			return rb_squeeze(c->a, line, ll);
		}
		if (any == NULL) {
			any = line;
			anyl = ll;
		}
	}
	return only_one && any ? rb_squeeze(c->a, any, anyl) : NULL;
}

/*
 * Shared with dialect modules whose reports are DSN-shaped text.
 *
 * Blocks are separated by blank lines, but real reports also run the
 * per-message block and several recipient blocks together: within one
 * block, a recipient group starts at the first Original-Recipient or
 * Final-Recipient, and a new group at the next one that would repeat a
 * field the group already has (an Original-Recipient right after its
 * Final-Recipient belongs to the same group: Postfix's order).
 */
int
rb_dsn_parse_blocks(struct rb_ctx *c, const char *module, const char *text,
		    size_t len)
{
	const struct rb_limits *lim = &c->opts->limits;
	struct rb_fields msg = {0};
	size_t pos = 0;
	int n = 0;
	bool have_msg = false;

	while (pos < len) {
		struct rb_fields f;
		size_t used = 0;
		if (rb_fields_parse(c->a, text + pos, len - pos, lim, &f,
				    &used) < 0) {
			c->error = "header too long or too many";
			return 0;
		}
		if (used == 0)
			break;
		pos += used;
		size_t i = 0;
		/* per-message fields: everything before the first recipient
		 * field of the first block that has any */
		while (i < f.n && !is_rcpt_field(f.v[i].name))
			i++;
		/* ... but in a later block, fields before the recipient
		 * field belong to that recipient (MessageLabs writes
		 * Diagnostic-Code, Status, Action, then Final-Recipient) */
		size_t lead = 0;
		if (i > 0 && !have_msg) {
			msg.v = f.v;
			msg.n = i;
			have_msg = true;
			lead = i;
		}
		while (i < f.n) {
			size_t gs = lead < i ? lead : i;
			lead = f.n;
			bool fin = false, orig = false;
			for (; i < f.n; i++) {
				const char *nm = f.v[i].name;
				bool isf = strcasecmp(nm, "Final-Recipient") == 0;
				bool iso = strcasecmp(nm, "Original-Recipient") == 0;
				/* Postfix writes Final- then Original-Recipient
				 * of the same recipient next to each other */
				bool after_fin =
				    fin && !is_rcpt_field(f.v[i - 1].name);
				if ((isf && fin) || (iso && (orig || after_fin)))
					break;
				fin = fin || isf;
				orig = orig || iso;
			}
			struct rb_fields g = {f.v + gs, i - gs};
			int r = add_recipient(c, module, &g, &msg, n);
			if (r < 0)
				return 0;
			n += r;
		}
	}
	/* what the blocks do not say, the human-readable text may: the
	 * bounce's text before the blocks (when the blocks are in it) */
	const char *body = c->m->body;
	size_t blen = c->m->body_len;
	if (text >= body && text < body + blen)
		blen = (size_t)(text - body);
	for (size_t i = c->out->n - (size_t)n; i < c->out->n; i++) {
		struct rb_event *e = &c->out->v[i];
		if (e->diagnostic == NULL && e->kind == RB_KIND_BOUNCE)
			e->diagnostic =
			    body_reply(c, body, blen, e->recipient, n == 1);
		if (e->smtp_command == NULL && e->diagnostic != NULL)
			e->smtp_command = rb_smtp_command_find(
			    e->diagnostic, strlen(e->diagnostic));
		if (e->smtp_command == NULL)
			e->smtp_command =
			    rb_smtp_command_near(body, blen, e->recipient);
		if (e->smtp_command == NULL && e->diagnostic == NULL)
			e->smtp_command = rb_smtp_command_find(body, blen);
		/* Sendmail's own line for the recipient in the transcript
		 * ("<addr>... Deferred: Connection refused by mx") */
		if (e->diagnostic == NULL && e->kind != RB_KIND_DELIVERED)
			e->diagnostic =
			    status_line(c, body, blen, e->recipient);
		/* the reporting MTA's words in the Status field's comment
		 * ("5.1.10 (host/domain does not accept mail)": Oracle
		 * Messaging Server) */
		if (e->diagnostic == NULL && e->kind != RB_KIND_DELIVERED)
			e->diagnostic = status_comment(c->a, e->status);
		/* no reply either: the human-readable part's sentence
		 * about this recipient explains the failure */
		if (e->diagnostic == NULL && e->kind != RB_KIND_DELIVERED)
			e->diagnostic =
			    rb_text_near(c->a, body, blen, e->recipient);
		/* "550 <addr>... No such user": Sendmail's form of a reply
		 * about one recipient, i.e. to its RCPT TO -- unless the
		 * bounce has a transcript, which is the better witness
		 * (">>> DATA" then "<<< 550 <addr>... User unknown") */
		if (e->smtp_command == NULL && e->diagnostic != NULL &&
		    rcpt_reply(e->diagnostic, e->recipient) &&
		    !has_transcript(body, blen))
			e->smtp_command = "RCPT";
	}
	return n;
}

static int
parse(struct rb_ctx *c)
{
	return rb_dsn_parse_blocks(c, "rfc3464", c->m->dsn, c->m->dsn_len);
}

const struct rb_module rb_mod_rfc3464 = {"rfc3464", detect, parse};

/*
 * mdn-reject: a disposition notification that reports the mail deleted
 * or refused unread by the recipient's system (RFC 5429 Sieve reject,
 * Dovecot's "Your message to <x> was automatically rejected"): a bounce
 * for its Final-Recipient, reason filtered (the recipient's own filter
 * refused it; the address exists).  A read receipt ("displayed") or a
 * manual action is not.
 */
static bool
mdn_detect(const struct rb_ctx *c)
{
	const struct rb_mail *m = c->m;
	if (m->mdn == NULL)
		return false;
	const char *d = rb_strcasestr_n(m->mdn, m->mdn_len, "Disposition:");
	if (d == NULL)
		return false;
	size_t rest = m->mdn_len - (size_t)(d - m->mdn);
	const char *nl = memchr(d, '\n', rest);
	size_t dl = nl ? (size_t)(nl - d) : rest;
	return rb_strcasestr_n(d, dl, "automatic-action") != NULL &&
	       (rb_strcasestr_n(d, dl, "deleted") != NULL ||
		rb_strcasestr_n(d, dl, "failed") != NULL) &&
	       m->body != NULL &&
	       rb_strcasestr_n(m->body, m->body_len, "reject") != NULL;
}

static int
mdn_parse(struct rb_ctx *c)
{
	const struct rb_mail *m = c->m;
	struct rb_fields f = {0};
	if (rb_fields_parse(c->a, m->mdn, m->mdn_len, &c->opts->limits, &f,
			    NULL) < 0) {
		c->error = "header too long or too many";
		return 0;
	}
	bool as_written;
	const char *rcpt = recipient_of(c, &f, &as_written);
	if (rcpt == NULL)
		return 0;
	struct rb_event *e = rb_ctx_add(c, "mdn-reject", rcpt);
	e->recipient_as_written = as_written;
	e->original_recipient = original_recipient_of(c, &f, rcpt);
	e->kind = RB_KIND_BOUNCE;
	e->reason = "filtered";
	e->hard = 0;
	e->reporting_mta = rb_fields_get(&f, "Reporting-UA");
	/* the refusal's own words: the text after "rejected:" */
	const char *r = rb_strcasestr_n(m->body, m->body_len, "rejected:");
	if (r != NULL) {
		r += 9;
		size_t n = m->body_len - (size_t)(r - m->body);
		const char *end = rb_memcasemem(r, n, "\n\n", 2);
		size_t l = end ? (size_t)(end - r) : (n < 1024 ? n : 1024);
		e->diagnostic = rb_squeeze(c->a, r, l);
	}
	/* the words can name the cause ("Quota exceeded (mailbox for user
	 * is full)" is Dovecot's full mailbox); the mail reached an
	 * existing mailbox, so never an unknown user or domain */
	if (e->diagnostic != NULL) {
		struct rb_classified cl;
		rb_reason_classify(c->opts->rules, NULL, NULL, e->diagnostic,
				   NULL, NULL, &cl);
		if (rb_reason_from_text(&cl) &&
		    strcmp(cl.reason, "userunknown") != 0 &&
		    strcmp(cl.reason, "hostunknown") != 0) {
			e->reason = cl.reason;
			e->sub_reason = cl.subreason;
		}
	}
	return 1;
}

const struct rb_module rb_mod_mdn_reject = {"mdn-reject", mdn_detect,
					    mdn_parse};
