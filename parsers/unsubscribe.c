/*
 * unsubscribe: a person's request to get no more mail, sent to the
 * mailto: address of a List-Unsubscribe header (RFC 2369), as
 * `rebound unsubscribe-link` writes it:
 *
 *     <mailto:unsubscribe+TOKEN@lists.example?subject=unsubscribe%20TOKEN>
 *
 * TOKEN has one of the two forms of core/unsubscribe.h: the short one
 * (32 base32 characters, any case: MTAs may fold the local part), or
 * the long one (hex "." 64 hex) of links written before the short form.
 *
 * Evidence, any of:
 *  - the mail is addressed (Delivered-To, X-Original-To, To, Cc) to an
 *    address whose +tag is a token;
 *  - the subject is an unsubscribe command: it starts (after reply and
 *    forward prefixes) with an unsubscribe word of one of the languages
 *    below; a token anywhere in the subject is taken (a provider may
 *    drop the +tag of the address, a mail client keeps the subject);
 *  - the mail is addressed to an unsubscribe-shaped address (local part
 *    unsubscribe, leave, optout, opt-out, or ending in -unsubscribe or
 *    -leave, as Mailman writes them).
 *
 * Never a request: a mail inside a carried report, an automatic mail
 * (Auto-Submitted other than "no", X-Autoreply and its kin, Precedence
 * bulk/junk/list/auto_reply, an empty Return-Path, a vacation subject),
 * a delivery, disposition or feedback report.  Bounces, complaints and
 * auto-replies come first in the module table anyway; this module is
 * the last, and it only sees what they left.
 *
 * The event: kind unsubscribe, recipient the mail's From (the person who
 * asked), unsubscribe_token the token as found (not checked: the secret
 * is not the parser's; core/unsubscribe.h decides when the event is
 * stored), sender the address the request was sent to, diagnostic the
 * subject.
 */
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "core/unsubscribe.h"
#include "module.h"
#include "text.h"

/* Unsubscribe commands in subjects, lower-case (ASCII compares without
 * case).  A subject that starts with one of them is a command. */
static const char *const commands[] = {
    /* en (RFC 2369 examples, Mailman, listmonk, Mautic) */
    "unsubscribe", "unsub", "remove me", "opt out", "opt-out", "optout",
    "stop",
    /* zh-CN, zh-TW */
    "退订", "取消订阅", "退訂", "取消訂閱", "退阅",
    /* de */
    "abbestellen", "abmelden", "austragen",
    /* fr */
    "désabonner", "desabonner", "se désabonner", "se desabonner",
    "désabonnement", "desabonnement", "désinscription", "desinscription",
    "désinscrire", "desinscrire",
    /* es, pt */
    "darse de baja", "darme de baja", "dar de baja", "cancelar suscripción",
    "cancelar suscripcion", "cancelar la suscripción", "descadastrar",
    "cancelar inscrição", "cancelar subscrição",
    /* it, nl, ru, pl */
    "disiscrivi", "disiscrizione", "cancellami", "uitschrijven", "afmelden",
    "отписаться", "отписка", "wypisz", "rezygnuję",
    /* ja, ko */
    "配信停止", "購読解除", "登録解除", "配信解除", "수신거부", "구독취소",
    "수신 거부", "구독 취소",
    NULL,
};

/* Local parts of unsubscribe addresses (whole, or after a '-'). */
static const char *const mailboxes[] = {
    "unsubscribe", "leave", "optout", "opt-out", NULL,
};

static bool
hexc(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	       (c >= 'A' && c <= 'F');
}

static bool
alnum(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	       (c >= 'A' && c <= 'Z');
}

/* A base32 character of the short form (a-z 2-7, any case). */
static bool
b32c(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '2' && c <= '7');
}

/* A long token at s: hex "." 64 hex, not followed by more hex; its
 * length, else 0. */
static size_t
long_token_at(const char *s, size_t n)
{
	size_t h = 0;
	while (h < n && hexc(s[h]))
		h++;
	if (h < 2 || h % 2 || h > 1300 || h >= n || s[h] != '.')
		return 0;
	size_t m = 0;
	while (h + 1 + m < n && hexc(s[h + 1 + m]))
		m++;
	return m == 64 ? h + 1 + m : 0;
}

/* A short token at s (32 base32 characters, version 1), not followed
 * by a letter, digit or '.'; its length, else 0. */
static size_t
short_token_at(const char *s, size_t n)
{
	size_t m = 0;
	while (m < n && m <= RB_UNSUB_SHORT_LEN && b32c(s[m]))
		m++;
	if (m != RB_UNSUB_SHORT_LEN || (m < n && (alnum(s[m]) || s[m] == '.')) ||
	    !rb_unsub_short_id(s, m, NULL))
		return 0;
	return m;
}

/* A token at s, long or short (core/unsubscribe.h); its length, else 0. */
static size_t
token_at(const char *s, size_t n)
{
	size_t k = long_token_at(s, n);
	return k ? k : short_token_at(s, n);
}

/* The first token in text (at a word start), arena copy, or NULL: a
 * long one after no hex digit, a short one after no base32 character
 * (so "%20TOKEN", as some clients leave the subject of a mailto: URL,
 * still gives it), neither after a '.'. */
static const char *
token_in(struct rb_arena *a, const char *t, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char p = i > 0 ? t[i - 1] : ' ';
		size_t k = 0;
		if (p != '.' && !hexc(p))
			k = long_token_at(t + i, n - i);
		if (k == 0 && p != '.' && !b32c(p))
			k = short_token_at(t + i, n - i);
		if (k)
			return rb_arena_strndup(a, t + i, k);
	}
	return NULL;
}

/* The +tag token of an address in header value v ("local+TOKEN@dom"),
 * and that address into *to (arena). */
static const char *
plus_token(struct rb_arena *a, const char *v, const char **to)
{
	size_t n = strlen(v);
	for (const char *p = v; (p = memchr(p, '+', (size_t)(v + n - p)));
	     p++) {
		size_t k = token_at(p + 1, (size_t)(v + n - p - 1));
		if (k == 0 || p[1 + k] != '@')
			continue;
		/* the address around it */
		const char *s = p;
		while (s > v && !strchr(" \t<,:;\"", s[-1]))
			s--;
		size_t e = (size_t)(p + 1 + k - s);
		while (s + e < v + n && !strchr(" \t>,;\"", s[e]))
			e++;
		*to = rb_addr_normalize(a, s, e);
		return rb_arena_strndup(a, p + 1, k);
	}
	return NULL;
}

/* An unsubscribe-shaped address in v, normalised, or NULL. */
static const char *
unsub_address(struct rb_arena *a, const char *v)
{
	const char *addr = rb_addr_find(a, v, strlen(v));
	if (addr == NULL)
		return NULL;
	const char *at = strrchr(addr, '@');
	if (at == NULL)
		return NULL;
	size_t ll = (size_t)(at - addr);
	for (size_t i = 0; mailboxes[i]; i++) {
		size_t ml = strlen(mailboxes[i]);
		if (ll < ml || strncasecmp(at - ml, mailboxes[i], ml) != 0)
			continue;
		if (ll == ml || at[-(long)ml - 1] == '-')
			return addr;
	}
	return NULL;
}

static const char *const rcpt_fields[] = {"Delivered-To", "X-Original-To",
					  "To", "Cc", NULL};

static bool
automatic(const struct rb_ctx *c)
{
	const struct rb_mail *m = c->m;
	const char *v;
	if ((v = rb_mail_header(m, "Auto-Submitted")) != NULL &&
	    !rb_startswith_ci(v, "no"))
		return true;
	if ((v = rb_mail_header(m, "Return-Path")) != NULL &&
	    strstr(v, "<>") != NULL)
		return true;
	if ((v = rb_mail_header(m, "Precedence")) != NULL &&
	    (rb_startswith_ci(v, "bulk") || rb_startswith_ci(v, "junk") ||
	     rb_startswith_ci(v, "list")))
		return true;
	if (rb_autoreply_headers(m))
		return true;
	if (m->dsn || m->mdn || m->feedback || m->report_type ||
	    (m->ctype && rb_startswith_ci(m->ctype, "multipart/report")))
		return true;
	if (m->subject) {
		const struct rb_rule *r =
		    rb_rules_match(c->opts->rules, RB_FIELD_SUBJECT, m->subject,
				   strlen(m->subject), NULL);
		if (r != NULL && strcmp(r->reason, "vacation") == 0)
			return true;
	}
	return false;
}

/* The subject without reply/forward prefixes and [list] tags. */
static const char *
subject_core(const char *s)
{
	static const char *const pre[] = {"re:", "aw:", "sv:", "fw:", "fwd:",
					  "wg:", "tr:", "rv:", "回复:", "回复：",
					  "答复:", "答复：", "转发:", "转发：",
					  NULL};
	for (bool again = true; again;) {
		again = false;
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '[') {
			const char *e = strchr(s, ']');
			if (e) {
				s = e + 1;
				again = true;
				continue;
			}
		}
		for (size_t i = 0; pre[i]; i++)
			if (rb_startswith_ci(s, pre[i])) {
				s += strlen(pre[i]);
				again = true;
				break;
			}
	}
	return s;
}

/* The subject is an unsubscribe command. */
static bool
subject_command(const char *subject)
{
	if (subject == NULL)
		return false;
	const char *s = subject_core(subject);
	for (size_t i = 0; commands[i]; i++) {
		size_t l = strlen(commands[i]);
		if (!rb_startswith_ci(s, commands[i]))
			continue;
		unsigned char after = (unsigned char)s[l];
		/* a whole word: ASCII commands end at a non-letter */
		if ((unsigned char)commands[i][0] < 0x80 &&
		    ((after >= 'a' && after <= 'z') ||
		     (after >= 'A' && after <= 'Z')))
			continue;
		return true;
	}
	return false;
}

const char *
rb_unsub_mail_token(struct rb_arena *a, const struct rb_mail *m,
		    const char **to)
{
	const char *tok = NULL;
	*to = NULL;
	for (size_t i = 0; rcpt_fields[i] && tok == NULL; i++) {
		const char *v = rb_mail_header(m, rcpt_fields[i]);
		if (v)
			tok = plus_token(a, v, to);
	}
	if (tok == NULL && subject_command(m->subject))
		tok = token_in(a, m->subject, strlen(m->subject));
	return tok;
}

struct found {
	const char *token;	/* NULL: none */
	const char *to;		/* the address the request was sent to */
};

static bool
find(const struct rb_ctx *c, struct found *f)
{
	const struct rb_mail *m = c->m;
	memset(f, 0, sizeof(*f));
	if (c->depth > 0 || m->error != NULL || automatic(c))
		return false;
	f->token = rb_unsub_mail_token(c->a, m, &f->to);
	if (f->token != NULL)
		return true;
	bool command = subject_command(m->subject);
	for (size_t i = 0; rcpt_fields[i] && f->to == NULL; i++) {
		const char *v = rb_mail_header(m, rcpt_fields[i]);
		if (v)
			f->to = unsub_address(c->a, v);
	}
	if (f->to != NULL || command) {
		/* without a token only the From can be meant */
		return m->from_addr != NULL;
	}
	return false;
}

static bool
detect(const struct rb_ctx *c)
{
	struct found f;
	return find(c, &f);
}

static int
parse(struct rb_ctx *c)
{
	struct found f;
	if (!find(c, &f))
		return 0;
	struct rb_event *e = rb_ctx_add(c, "unsubscribe", c->m->from_addr);
	e->kind = RB_KIND_UNSUBSCRIBE;
	e->unsubscribe_token = f.token;
	if (f.to == NULL && c->m->to)
		f.to = rb_addr_find(c->a, c->m->to, strlen(c->m->to));
	e->sender = f.to;
	e->diagnostic = c->m->subject;
	return 1;
}

const struct rb_module rb_mod_unsubscribe = {"unsubscribe", detect, parse};
