/*
 * amazonses, amazonworkmail: Amazon's two non-DSN formats.
 *
 * SES event notifications delivered by SNS as e-mail (From
 * no-reply@sns.amazonaws.com, Subject "AWS Notification Message"): the
 * body is a JSON object, either the SES notification itself or the SNS
 * envelope whose "Message" string holds it.
 *   notificationType (or eventType) Bounce: bounce.bouncedRecipients[]
 *       {emailAddress, action, status, diagnosticCode}, bounce.bounceType
 *       Permanent / Transient, bounce.reportingMTA
 *   Complaint: complaint.complainedRecipients[].emailAddress,
 *       complaint.complaintFeedbackType, complaint.userAgent
 *   Delivery: delivery.recipients[], delivery.smtpResponse,
 *       delivery.reportingMTA
 *   DeliveryDelay (event publishing): deliveryDelay.delayedRecipients[]
 *       {emailAddress, status, diagnosticCode}, deliveryDelay.delayType
 *   mail.commonHeaders {from[], to[], subject, messageId, date}: the
 *       original's identifiers.
 * Long lines may come folded by a relay with sendmail's "!" + newline +
 * space; that is undone before the JSON is read.
 *
 * WorkMail: "An error occurred while trying to deliver the mail to the
 * following recipients:" and a "Technical report:" holding DSN fields as
 * plain text.
 */
#include <string.h>

#include <jansson.h>

#include "addr.h"
#include "status.h"
#include "mta_provider.h"
#include "text.h"

/* ---- SES via SNS ------------------------------------------------------ */

static const char *
json_body(const struct rb_mail *m, size_t *len)
{
	const char *b = m->body;
	size_t n = m->body_len;
	size_t i = 0;
	while (i < n && (b[i] == ' ' || b[i] == '\n' || b[i] == '\r' ||
			 b[i] == '\t'))
		i++;
	if (i == n || b[i] != '{')
		return NULL;
	*len = n - i;
	return b + i;
}

static bool
detect_ses(const struct rb_ctx *c)
{
	size_t l;
	const char *j = json_body(c->m, &l);
	if (j == NULL)
		return false;
	size_t head = l < 4096 ? l : 4096;
	return rb_strcasestr_n(j, head, "\"notificationType\"") != NULL ||
	       rb_strcasestr_n(j, head, "\"eventType\"") != NULL ||
	       (rb_strcasestr_n(j, head, "\"Type\"") != NULL &&
		rb_strcasestr_n(j, l, "notificationType") != NULL);
}

/* Undo "!\n " folding and drop raw line breaks (invalid inside JSON
 * strings, harmless between tokens). */
static char *
unfold(struct rb_arena *a, const char *s, size_t n, size_t *olen)
{
	char *o = rb_arena_alloc(a, n + 1);
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '!' && i + 2 < n && s[i + 1] == '\n' &&
		    s[i + 2] == ' ') {
			i += 2;
			continue;
		}
		if (s[i] == '!' && i + 3 < n && s[i + 1] == '\r' &&
		    s[i + 2] == '\n' && s[i + 3] == ' ') {
			i += 3;
			continue;
		}
		if (s[i] == '\n' || s[i] == '\r')
			continue;
		o[k++] = s[i];
	}
	o[k] = '\0';
	*olen = k;
	return o;
}

static const char *
jstr(struct rb_arena *a, json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	if (!json_is_string(v))
		return NULL;
	return rb_arena_strndup(a, json_string_value(v), json_string_length(v));
}

static const char *
jaddr(struct rb_arena *a, json_t *v)
{
	if (!json_is_string(v))
		return NULL;
	return rb_addr_normalize(a, json_string_value(v),
				 json_string_length(v));
}

static void
fill_original(struct rb_ctx *c, json_t *mail, struct rb_event *e)
{
	json_t *ch = json_object_get(mail, "commonHeaders");
	if (!json_is_object(ch))
		return;
	json_t *f = json_object_get(ch, "from");
	if (json_is_array(f) && json_array_size(f) > 0) {
		const char *s = json_string_value(json_array_get(f, 0));
		if (s)
			e->original.from = rb_addr_find(c->a, s, strlen(s));
	}
	json_t *t = json_object_get(ch, "to");
	if (json_is_array(t) && json_array_size(t) > 0) {
		const char *s = json_string_value(json_array_get(t, 0));
		if (s)
			e->original.to = rb_addr_find(c->a, s, strlen(s));
	}
	e->original.subject = jstr(c->a, ch, "subject");
	const char *mid = jstr(c->a, ch, "messageId");
	if (mid != NULL) {
		while (*mid == '<')
			mid++;
		char *d = rb_arena_strdup(c->a, mid);
		char *gt = strchr(d, '>');
		if (gt)
			*gt = '\0';
		e->original.message_id = d;
	}
	e->original.date = jstr(c->a, ch, "date");
	const char *src = jstr(c->a, mail, "source");
	if (src != NULL)
		e->sender = rb_addr_normalize(c->a, src, strlen(src));
}

static int
parse_ses(struct rb_ctx *c)
{
	size_t l, ul;
	const char *j = json_body(c->m, &l);
	if (j == NULL)
		return 0;
	char *u = unfold(c->a, j, l, &ul);
	json_error_t err;
	json_t *root = json_loadb(u, ul, JSON_DISABLE_EOF_CHECK, &err);
	if (root == NULL)
		return 0;
	json_t *n = root;
	const char *msg = NULL;
	if (json_object_get(root, "notificationType") == NULL &&
	    json_object_get(root, "eventType") == NULL &&
	    (msg = json_string_value(json_object_get(root, "Message"))) != NULL)
		n = json_loads(msg, 0, &err);
	int count = 0;
	if (!json_is_object(n))
		goto out;
	const char *type = json_string_value(json_object_get(n, "notificationType"));
	if (type == NULL)
		type = json_string_value(json_object_get(n, "eventType"));
	if (type == NULL)
		goto out;
	json_t *mail = json_object_get(n, "mail");
	size_t first = c->out->n;
	if (strcasecmp(type, "Bounce") == 0) {
		json_t *b = json_object_get(n, "bounce");
		const char *bt = json_string_value(json_object_get(b, "bounceType"));
		bool transient = bt && strcasecmp(bt, "Transient") == 0;
		const char *rmta = jstr(c->a, b, "reportingMTA");
		json_t *rs = json_object_get(b, "bouncedRecipients");
		size_t i;
		json_t *r;
		json_array_foreach(rs, i, r)
		{
			const char *addr = jaddr(c->a, json_object_get(r, "emailAddress"));
			if (addr == NULL)
				continue;
			struct rb_event *e = rb_ctx_add(c, "amazonses", addr);
			const char *act = jstr(c->a, r, "action");
			e->kind = transient || (act && strcasecmp(act, "delayed") == 0)
				      ? RB_KIND_DELAY
				      : RB_KIND_BOUNCE;
			e->action = act ? act : (transient ? "delayed" : "failed");
			e->status = jstr(c->a, r, "status");
			e->diagnostic = jstr(c->a, r, "diagnosticCode");
			e->reporting_mta = rmta;
			count++;
		}
	} else if (strcasecmp(type, "DeliveryDelay") == 0) {
		/* SES event publishing: still retrying */
		json_t *d = json_object_get(n, "deliveryDelay");
		const char *why = jstr(c->a, d, "delayType");
		json_t *rs = json_object_get(d, "delayedRecipients");
		size_t i;
		json_t *r;
		json_array_foreach(rs, i, r)
		{
			const char *addr = jaddr(c->a, json_object_get(r, "emailAddress"));
			if (addr == NULL)
				continue;
			struct rb_event *e = rb_ctx_add(c, "amazonses", addr);
			e->kind = RB_KIND_DELAY;
			e->action = "delayed";
			e->status = jstr(c->a, r, "status");
			e->diagnostic = jstr(c->a, r, "diagnosticCode");
			if (e->diagnostic == NULL)
				e->diagnostic = why;
			e->reporting_mta = jstr(c->a, d, "reportingMTA");
			e->remote_mta = jstr(c->a, d, "remoteMta");
			count++;
		}
	} else if (strcasecmp(type, "Complaint") == 0) {
		json_t *cp = json_object_get(n, "complaint");
		const char *ft = jstr(c->a, cp, "complaintFeedbackType");
		json_t *rs = json_object_get(cp, "complainedRecipients");
		size_t i;
		json_t *r;
		json_array_foreach(rs, i, r)
		{
			const char *addr = jaddr(c->a, json_object_get(r, "emailAddress"));
			if (addr == NULL)
				continue;
			struct rb_event *e = rb_ctx_add(c, "amazonses", addr);
			e->kind = RB_KIND_COMPLAINT;
			e->feedback_type = ft ? ft : "abuse";
			e->user_agent = jstr(c->a, cp, "userAgent");
			count++;
		}
	} else if (strcasecmp(type, "Delivery") == 0) {
		json_t *d = json_object_get(n, "delivery");
		json_t *rs = json_object_get(d, "recipients");
		size_t i;
		json_t *r;
		json_array_foreach(rs, i, r)
		{
			const char *addr = jaddr(c->a, r);
			if (addr == NULL)
				continue;
			struct rb_event *e = rb_ctx_add(c, "amazonses", addr);
			e->kind = RB_KIND_DELIVERED;
			e->action = "delivered";
			e->diagnostic = jstr(c->a, d, "smtpResponse");
			e->reporting_mta = jstr(c->a, d, "reportingMTA");
			e->status = "2.0.0";
			count++;
		}
	}
	for (size_t k = first; k < c->out->n; k++)
		if (json_is_object(mail))
			fill_original(c, mail, &c->out->v[k]);
out:
	if (n != root)
		json_decref(n);
	json_decref(root);
	return count;
}

/* ---- SES's own DSNs (2012-2015 form) ----------------------------------- */

/*
 * SES wrapped the remote server's reply in its own summary:
 *   Diagnostic-Code: smtp; 5.1.0 - Unknown address error 550-'5.2.2
 *       <rcpt@example.jp>... Mailbox Full' (delivery attempts: 0)
 * The Status field repeats SES's guess (5.1.0); the reply inside the
 * quotes is what the remote server said.  The module sits above rfc3464
 * and only takes DSNs from amazonses.com that carry this wrapper.
 */
static bool
detect_ses_dsn(const struct rb_ctx *c)
{
	const struct rb_mail *m = c->m;
	if (m->dsn == NULL || m->from_addr == NULL ||
	    strstr(m->from_addr, "amazonses.com") == NULL)
		return false;
	return rb_strcasestr_n(m->dsn, m->dsn_len, "(delivery attempts:") !=
	       NULL;
}

/* "5.1.0 - Unknown address error 550-'<reply>' (delivery attempts: 0)"
 * -> "550 <reply>", or NULL when the wrapper is not there */
static char *
unwrap_ses(struct rb_arena *a, const char *d)
{
	const char *q = strstr(d, "-'");
	const char *e = strstr(d, "' (delivery attempts:");
	if (q == NULL || e == NULL || e <= q + 2 || q < d + 3)
		return NULL;
	const char *code = q - 3;
	if (code[0] < '2' || code[0] > '5' || code[1] < '0' || code[1] > '9' ||
	    code[2] < '0' || code[2] > '9')
		return NULL;
	return rb_arena_printf(a, "%.3s %.*s", code, (int)(e - q - 2), q + 2);
}

static int
parse_ses_dsn(struct rb_ctx *c)
{
	int n = rb_dsn_parse_blocks(c, "amazonses", c->m->dsn, c->m->dsn_len);
	for (size_t i = c->out->n - (size_t)n; i < c->out->n; i++) {
		struct rb_event *e = &c->out->v[i];
		const char *d = e->diagnostic ? rb_strip_type(e->diagnostic)
					      : NULL;
		char *inner = d ? unwrap_ses(c->a, d) : NULL;
		if (inner == NULL)
			continue;
		e->diagnostic = inner;
		char *st = rb_status_find(c->a, inner, strlen(inner));
		if (st != NULL && strcmp(st + 1, ".0.0") != 0)
			e->status = st;
		if (e->smtp_command == NULL)
			e->smtp_command = rb_smtp_command_find(inner,
							       strlen(inner));
	}
	return n;
}

/* ---- WorkMail ---------------------------------------------------------- */

static const char wm_intro[] =
    "An error occurred while trying to deliver the mail to the following "
    "recipients";

static bool
detect_workmail(const struct rb_ctx *c)
{
	const struct rb_mail *m = c->m;
	return rb_strcasestr_n(m->body, m->body_len, wm_intro) != NULL &&
	       rb_strcasestr_n(m->body, m->body_len, "Technical report:") !=
		   NULL;
}

static int
parse_workmail(struct rb_ctx *c)
{
	if (rb_provider_phishy_mail(c->m))
		return 0;
	const struct rb_mail *m = c->m;
	size_t len = rb_mail_own_len(m);
	size_t p = rb_provider_after_line(m->body, len, 0, "Technical report:");
	if (p == (size_t)-1)
		return 0;
	/* the report ends with the text part; the next part, if any, is not
	 * in m->body's first text (parts are joined by "\n") */
	return rb_dsn_parse_blocks(c, "amazonworkmail", m->body + p, len - p);
}

const struct rb_module rb_mod_amazonses = {"amazonses", detect_ses, parse_ses};
const struct rb_module rb_mod_amazonses_dsn = {"amazonses", detect_ses_dsn,
					       parse_ses_dsn};
const struct rb_module rb_mod_amazonworkmail = {"amazonworkmail",
						detect_workmail,
						parse_workmail};
