/*
 * exchange2003, office365: Microsoft's non-DSN bounce texts.
 *
 * Exchange 5.5 / 2000 / 2003 (the Internet Mail Service):
 *
 *   Your message
 *     To:      ...
 *     Subject: ...
 *   did not reach the following recipient(s):
 *
 *   rcpt@example.org on Thu, 29 Apr 2010 00:00:00 -0000
 *       The recipient name is not recognized
 *       MSEXCH:IMS:ORG:SITE:SERVER 0 (000C05A6) Unknown Recipient
 *
 * Exchange 2007 and later, Office 365 / Exchange Online, when the report
 * arrives without a delivery-status part (forwarded, or as an HTML
 * notice only):
 *
 *   Delivery has failed to these recipients or groups:
 *   rcpt@example.org<mailto:rcpt@example.org>
 *   ...
 *   Diagnostic information for administrators:
 *   Generating server: host.prod.outlook.com
 *   rcpt@example.org
 *   Remote Server returned '550 5.1.10 RESOLVER.ADR.RecipientNotFound; ...'
 *      or  #550 5.1.1 RESOLVER.ADR.RecipNotFound; not found ##
 *
 * The administrators' section is preferred: it pairs each recipient with
 * its own reply.  The quoted original starts at "Original message
 * headers:".
 */
#include <ctype.h>
#include <string.h>

#include "addr.h"
#include "status.h"
#include "mta_provider.h"
#include "text.h"

/* ---- Exchange 2003 ---------------------------------------------------- */

static const char *const intros2003[] = {
    "did not reach the following recipient",	/* 5.5 / 2000 IMS */
    "following recipient(s) cannot be reached",	/* 2003 */
    NULL,
};

static bool
detect2003(const struct rb_ctx *c)
{
	const struct rb_mail *m = c->m;
	for (size_t i = 0; intros2003[i]; i++)
		if (rb_strcasestr_n(m->body, m->body_len, intros2003[i]))
			return true;
	return false;
}

/* "<mx.example.com #5.1.1 smtp;550 ...>": the remote host of Exchange
 * 2003's bracketed reply */
static const char *
remote2003(struct rb_arena *a, const char *d)
{
	const char *lt = strchr(d, '<');
	while (lt != NULL) {
		const char *sp = strstr(lt, " #");
		if (sp != NULL && sp[2] >= '2' && sp[2] <= '5' &&
		    memchr(lt, ' ', (size_t)(sp - lt)) == NULL &&
		    memchr(lt, '.', (size_t)(sp - lt)) != NULL)
			return rb_arena_strndup(a, lt + 1, (size_t)(sp - lt - 1));
		lt = strchr(lt + 1, '<');
	}
	return NULL;
}

static void
finish2003(struct rb_ctx *c, struct rb_event *e, const char *diag)
{
	if (e == NULL)
		return;
	e->diagnostic = diag;
	if (diag == NULL)
		return;
	e->remote_mta = remote2003(c->a, diag);
	/* "#5.5.0 smtp;550 5.1.1 ...": the remote reply's own code is more
	 * precise than Exchange's summary of it */
	const char *smtp = strstr(diag, " smtp;");
	if (smtp != NULL)
		e->status = rb_status_find(c->a, smtp, strlen(smtp));
}

static int
parse2003(struct rb_ctx *c)
{
	if (rb_provider_phishy_mail(c->m))
		return 0;
	const struct rb_mail *m = c->m;
	const char *b = m->body;
	size_t len = rb_mail_own_len(m);
	size_t pos = (size_t)-1;
	for (size_t i = 0; intros2003[i] && pos == (size_t)-1; i++)
		pos = rb_provider_after_line(b, len, 0, intros2003[i]);
	const char *line;
	size_t ll;
	int n = 0;
	struct rb_event *cur = NULL;
	char *diag = NULL;
	if (pos == (size_t)-1)
		return 0;
	while (rb_next_line(b, len, &pos, &line, &ll)) {
		size_t i = 0;
		while (i < ll && (line[i] == ' ' || line[i] == '\t'))
			i++;
		if (i == ll)
			continue;
		/* "rcpt@example.org on <date>" (or the address alone): a new
		 * recipient, indented or not depending on the version */
		const char *t0 = line + i;
		size_t tl = ll - i;
		const char *on = rb_memcasemem(t0, tl, " on ", 4);
		size_t al = on ? (size_t)(on - t0) : tl;
		char *r = NULL;
		if (memchr(t0, '@', al) != NULL && memchr(t0, ' ', al) == NULL)
			r = rb_addr_normalize(c->a, t0, al);
		if (r != NULL) {
			finish2003(c, cur, diag);
			if ((unsigned)n >= c->opts->limits.max_recipients) {
				c->error = "too many recipients in one report";
				return 0;
			}
			cur = rb_ctx_add(c, "exchange2003", r);
			cur->kind = RB_KIND_BOUNCE;
			cur->action = "failed";
			diag = NULL;
			n++;
			continue;
		}
		if (cur == NULL)
			continue;
		char *t = rb_squeeze(c->a, line, ll);
		/* the MTS-ID line says nothing about the failure */
		if (rb_startswith_ci(t, "The MTS-ID of the original message"))
			continue;
		/* an unindented line continues a wrapped one */
		diag = diag == NULL ? t
		       : i == 0	    ? rb_arena_printf(c->a, "%s%s", diag, t)
				    : rb_arena_printf(c->a, "%s %s", diag, t);
	}
	finish2003(c, cur, diag);
	return n;
}

/* ---- Exchange 2007+ / Office 365 without a DSN part ------------------ */

static const char *const failed_intros[] = {
    "Delivery has failed to these recipients or groups:",
    "Delivery has failed to these recipients or distribution lists:",
    "Your message to these recipients or groups couldn't be delivered",
    "Your message couldn't be delivered",
    "Fehler bei der Zustellung an folgende Empf",
    "La remise a =E9chou=E9 pour ces destinataires",
    "La remise a échoué pour ces destinataires ou groupes",
    "No se pudo entregar a estos destinatarios o grupos",
    "次の受信者またはグループへの配信に失敗しました",
    "Recapito non riuscito per i seguenti destinatari o gruppi",
    "Falha na entrega para estes destinatários ou grupos",
    "Falha na entrega a estes destinatários ou grupos",
    "Bezorging is mislukt voor deze geadresseerden of groepen",
    "传递到这些收件人或组失败",
    "Не удалось доставить сообщение следующим получателям или группам",
    NULL,
};

static const char *const admin_intros[] = {
    "Diagnostic information for administrators:",
    "Diagnoseinformationen für Administratoren:",
    "Informations de diagnostic pour les administrateurs",
    "Información de diagnóstico para administradores",
    "管理者向けの診断情報",
    "Informazioni di diagnostica per gli amministratori",
    "Informações de diagnóstico para administradores",
    "Diagnostische gegevens voor beheerders",
    "管理员的诊断信息",
    "Диагностические сведения для администраторов",
    NULL,
};

static const char *
find_any(const char *b, size_t len, const char *const *list, size_t *after)
{
	for (size_t i = 0; list[i]; i++) {
		const char *p = rb_strcasestr_n(b, len, list[i]);
		if (p != NULL) {
			*after = rb_provider_after_line(b, len, (size_t)(p - b),
						 list[i]);
			return p;
		}
	}
	return NULL;
}

static bool
detect365(const struct rb_ctx *c)
{
	const struct rb_mail *m = c->m;
	size_t a;
	size_t len = rb_mail_own_len(m);
	return find_any(m->body, len, admin_intros, &a) != NULL &&
	       (find_any(m->body, len, failed_intros, &a) != NULL ||
		rb_strcasestr_n(m->body, len, "couldn't be delivered") != NULL);
}

/* A localized "Remote Server returned": the reply in single quotes,
 * starting with its code ("Remoteserver hat '550 5.1.1 ...'
 * zurückgegeben", "Le serveur distant a retourné '550 ...'"). */
static char *
quoted_reply(struct rb_arena *a, const char *line, size_t ll)
{
	for (size_t i = 0; i + 5 < ll; i++) {
		if (line[i] != '\'' || (line[i + 1] != '4' && line[i + 1] != '5') ||
		    !isdigit((unsigned char)line[i + 2]) ||
		    !isdigit((unsigned char)line[i + 3]) ||
		    (line[i + 4] != ' ' && line[i + 4] != '-'))
			continue;
		const char *s = line + i + 1;
		const char *q = NULL;
		for (const char *p = line + ll - 1; p > s; p--)
			if (*p == '\'') {
				q = p;
				break;
			}
		size_t n = q ? (size_t)(q - s) : ll - i - 1;
		return rb_squeeze(a, s, n);
	}
	return NULL;
}

/* "Remote Server returned '550 ...'" / "#550 5.1.1 ... ##" */
static char *
reply_of(struct rb_arena *a, const char *line, size_t ll)
{
	static const char rs[] = "Remote Server returned";
	const char *p = rb_memcasemem(line, ll, rs, sizeof(rs) - 1);
	if (p == NULL && line[0] != '#')
		return quoted_reply(a, line, ll);
	if (p != NULL) {
		p += sizeof(rs) - 1;
		size_t n = ll - (size_t)(p - line);
		while (n > 0 && (*p == ' ' || *p == '\'' || *p == '"'))
			p++, n--;
		while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\'' ||
				 p[n - 1] == '"'))
			n--;
		return n ? rb_squeeze(a, p, n) : NULL;
	}
	if (ll > 2 && line[0] == '#' && line[1] >= '2' && line[1] <= '5') {
		size_t n = ll - 1;
		const char *s = line + 1;
		const char *hh = rb_memcasemem(s, n, "##", 2);
		if (hh)
			n = (size_t)(hh - s);
		return rb_squeeze(a, s, n);
	}
	return NULL;
}

static int
parse365(struct rb_ctx *c)
{
	if (rb_provider_phishy_mail(c->m))
		return 0;
	const struct rb_mail *m = c->m;
	const char *b = m->body;
	size_t len = rb_mail_own_len(m);
	size_t pos = 0;
	int n = 0;
	const char *line;
	size_t ll;
	const char *gen = NULL;
	struct rb_event *cur = NULL;

	if (find_any(b, len, admin_intros, &pos) == NULL)
		return 0;
	while (rb_next_line(b, len, &pos, &line, &ll)) {
		char *t = rb_squeeze(c->a, line, ll);
		if (*t == '\0')
			continue;
		if (rb_startswith_ci(t, "Generating server:")) {
			gen = rb_trim(t + strlen("Generating server:"));
			continue;
		}
		char *reply = reply_of(c->a, t, strlen(t));
		size_t tl = strlen(t);
		if (reply != NULL && t[0] != '#' && tl > 0 && t[tl - 1] != '\'' &&
		    strstr(t, "returned '") != NULL) {
			/* the quoted reply wrapped over lines (a text
			 * rendering of the HTML notice): up to the line
			 * that closes the quote */
			size_t p2 = pos;
			for (int k = 0; k < 8 && rb_next_line(b, len, &p2, &line, &ll);
			     k++) {
				char *t2 = rb_squeeze(c->a, line, ll);
				size_t l2 = strlen(t2);
				if (l2 == 0)
					break;
				bool close = t2[l2 - 1] == '\'';
				if (close)
					t2[--l2] = '\0';
				reply = rb_arena_printf(c->a, "%s %s", reply,
							t2);
				if (close) {
					pos = p2;
					break;
				}
			}
		}
		if (reply != NULL) {
			if (cur != NULL && cur->diagnostic == NULL)
				cur->diagnostic = reply;
			continue;
		}
		/* a header block (the original's, when its marker is in
		 * a language not known here) ends the report */
		if (rb_startswith_ci(t, "Received:") ||
		    rb_startswith_ci(t, "Return-Path:") ||
		    rb_startswith_ci(t, "From:") || rb_startswith_ci(t, "To:"))
			break;
		/* a line that is just an address (maybe "Name <addr>") */
		if (strchr(t, ' ') == NULL || t[strlen(t) - 1] == '>') {
			char *r = rb_addr_normalize(c->a, t, strlen(t));
			if (r != NULL) {
				if ((unsigned)n >=
				    c->opts->limits.max_recipients) {
					c->error =
					    "too many recipients in one report";
					return 0;
				}
				cur = rb_ctx_add(c, "office365", r);
				cur->kind = RB_KIND_BOUNCE;
				cur->action = "failed";
				cur->reporting_mta = gen;
				n++;
				continue;
			}
		}
		/* a host name line between the address and the reply is the
		 * remote server */
		if (cur != NULL && cur->remote_mta == NULL &&
		    cur->diagnostic == NULL && strchr(t, ' ') == NULL &&
		    strchr(t, '.') != NULL && strchr(t, '@') == NULL)
			cur->remote_mta = t;
	}
	if (n > 0)
		return n;
	/* no recipient in the administrators' part: the user-facing list */
	if (find_any(b, len, failed_intros, &pos) == NULL)
		return 0;
	while (rb_next_line(b, len, &pos, &line, &ll)) {
		char *t = rb_squeeze(c->a, line, ll);
		if (*t == '\0') {
			if (n > 0)
				break;
			continue;
		}
		/* "addr<mailto:addr>" or "Name (addr)" */
		char *mt = strstr(t, "<mailto:");
		if (mt)
			*mt = '\0';
		char *r = rb_addr_find(c->a, t, strlen(t));
		if (r == NULL) {
			/* the sentence under the address says why ("The
			 * e-mail address you entered couldn't be found.") */
			if (cur != NULL && cur->diagnostic == NULL) {
				cur->diagnostic = t;
				continue;
			}
			break;
		}
		cur = rb_ctx_add(c, "office365", r);
		cur->kind = RB_KIND_BOUNCE;
		cur->action = "failed";
		cur->reporting_mta = gen;
		n++;
	}
	return n;
}

const struct rb_module rb_mod_exchange2003 = {"exchange2003", detect2003,
					      parse2003};
const struct rb_module rb_mod_office365 = {"office365", detect365, parse365};
