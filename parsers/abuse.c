/* abuse: plain-text abuse-desk complaint reports (see abuse.h). */
#include "abuse.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "date.h"
#include "general.h"
#include "mta_provider.h"
#include "reply.h"
#include "text.h"
#include "textline.h"

#define L(...) ((const char *const[]){__VA_ARGS__, NULL})

/* how much of the report is read */
#define REPORT_MAX (64 * 1024)

/* A From of an abuse desk or a complaint service. */
static const char *const desk_from[] = {
    "abuse", "spamcop", "spam report", "complaints@", "complaint@", NULL,
};

/* A subject that names a complaint ... */
static const char *const complaint_subject[] = {
    "complaint", "abuse report", "spam report", "abuse notification",
    "abuse ticket", "abuse case", "spam received", "spam from",
    "spamcop", "beschwerde", "missbrauch", "plainte", "signalement",
    "abus", "queja", "denuncia", "abuso", "reclamação", "reclamacao",
    "segnalazione", "klacht", "misbruik", "skarga", "naruszeni",
    "жалоба", "злоупотреблен", "投诉", "举报", "檢舉", "苦情", "스팸 신고",
    NULL,
};

/* Words of the report's own text: spam, unsolicited mail, abuse. */
static const char *const spam_words[] = {
    "spam", "unsolicited", "unwanted e", "unwanted mail", "bulk e-mail",
    "bulk email", "bulk mail", "abuse", "phishing", "complaint",
    "unerwünscht", "beschwerde", "non sollicité", "pourriel", "plainte",
    "no solicitado", "correo no deseado", "queja", "indesiderat",
    "non richiest", "não solicitad", "indesejad", "ongevraagd",
    "ongewenst", "klacht", "niechcian", "skarg", "нежелательн", "спам",
    "жалоб", "垃圾邮件", "垃圾郵件", "投诉", "迷惑メール", "苦情", "스팸",
    NULL,
};

/* A desk's acknowledgement of a report it received (we reported to
 * them): not a complaint about us. */
static const char *const ack_words[] = {
    "thank you for your report", "thanks for your report",
    "thank you for reporting", "thanks for reporting",
    "received your report", "received your complaint",
    "received your abuse", "your report has been", "your complaint has been",
    "your report was", "vielen dank für ihre meldung",
    "ihre meldung ist", "ihre beschwerde ist", "merci pour votre signalement",
    "merci de votre signalement", "votre signalement a",
    "votre plainte a", "gracias por su denuncia", "gracias por su reporte",
    "su denuncia ha", "grazie per la segnalazione",
    "la sua segnalazione è", "obrigado pela sua denúncia",
    "sua denúncia foi", "bedankt voor uw melding", "спасибо за ваше сообщение",
    "感谢您的举报", "感谢您的投诉", NULL,
};

static const char *const fraud_words[] = {
    "phishing", "fraud", "scam", "betrug", "fraude", "truffa", "oplichting",
    "мошеннич", "фишинг", "钓鱼", "诈骗", "詐欺", NULL,
};
static const char *const virus_words[] = {
    "virus", "malware", "trojan", "ransomware", "botnet", "schadsoftware",
    "logiciel malveillant", "вирус", "病毒", "ウイルス", NULL,
};

/* Header fields that start the reported message at column 0. */
static const char *const head_fields[] = {
    "Received:", "Return-Path:", "From:", "Subject:", "Date:",
    "Message-ID:", "Delivered-To:", "X-Originating-IP:", "To:", NULL,
};

static bool
head_line(const char *l, size_t n)
{
	for (size_t i = 0; head_fields[i]; i++) {
		size_t k = strlen(head_fields[i]);
		if (n >= k && strncasecmp(l, head_fields[i], k) == 0)
			return true;
	}
	return false;
}

/* A line that announces the reported message: "----- Reported message
 * -----", "[ Offending message ]", "--- Original message ---". */
static bool
banner_line(const char *l, size_t n)
{
	if (n > 100)
		return false;
	bool deco = rb_memcasemem(l, n, "---", 3) != NULL ||
		    rb_memcasemem(l, n, "[", 1) != NULL ||
		    rb_memcasemem(l, n, "===", 3) != NULL;
	return deco && rb_line_has_any(l, n,
				       L("message", "nachricht", "mail",
					 "mensaje", "messaggio", "mensagem",
					 "bericht", "сообщени", "邮件", "郵件",
					 "メール"));
}

/* Where the report's own text ends and where the reported message's
 * header block starts (*head, or (size_t)-1). */
static size_t
own_end(const char *t, size_t n, size_t *head)
{
	size_t pos = 0, ll, prev_at = (size_t)-1;
	const char *line;
	bool banner_prev = false;
	*head = (size_t)-1;
	while (rb_next_line(t, n, &pos, &line, &ll)) {
		size_t at = (size_t)(line - t);
		if (head_line(line, ll)) {
			/* a header block: this line and a field or a
			 * continuation below it */
			size_t p2 = pos, l2;
			const char *nx;
			if (rb_next_line(t, n, &p2, &nx, &l2) && l2 > 0 &&
			    (nx[0] == ' ' || nx[0] == '\t' || head_line(nx, l2) ||
			     (memchr(nx, ':', l2) != NULL &&
			      memchr(nx, ' ', l2) > memchr(nx, ':', l2)))) {
				*head = at;
				return banner_prev ? prev_at : at;
			}
		}
		if (rb_line_blank(line, ll))
			continue;
		banner_prev = banner_line(line, ll);
		prev_at = at;
	}
	return n;
}

/* The first IPv4 address in s[0..n) (dotted quad, each part <= 255, not
 * part of a longer dotted number), arena copy, or NULL. */
static const char *
ipv4_in(struct rb_arena *a, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]) ||
		    (i > 0 && (isalnum((unsigned char)s[i - 1]) || s[i - 1] == '.')))
			continue;
		size_t j = i;
		int parts = 0;
		bool ok = true;
		while (parts < 4) {
			int v = 0, d = 0;
			while (j < n && isdigit((unsigned char)s[j]) && d < 4)
				v = v * 10 + (s[j++] - '0'), d++;
			if (d == 0 || d > 3 || v > 255) {
				ok = false;
				break;
			}
			parts++;
			if (parts < 4) {
				if (j >= n || s[j] != '.') {
					ok = false;
					break;
				}
				j++;
			}
		}
		if (!ok || parts != 4)
			continue;
		if (j < n && (isalnum((unsigned char)s[j]) ||
			      (s[j] == '.' && j + 1 < n &&
			       isdigit((unsigned char)s[j + 1]))))
			continue;
		return rb_arena_strndup(a, s + i, j - i);
	}
	return NULL;
}

/* "IP" as a word of its own ("IP address", "Source-IP", "IP:"). */
static bool
ip_word(const char *l, size_t n)
{
	for (size_t i = 0; i + 1 < n; i++)
		if ((l[i] == 'I' || l[i] == 'i') && (l[i + 1] == 'P' || l[i + 1] == 'p') &&
		    (i == 0 || !isalpha((unsigned char)l[i - 1])) &&
		    (i + 2 == n || !isalpha((unsigned char)l[i + 2])))
			return true;
	return false;
}

/* The source IP: on a line that labels an IP ("IP address :", "Source
 * IP", "Email from 192.0.2.1"), else in the subject, else anywhere in
 * the report's own text. */
static const char *
source_ip(struct rb_arena *a, const char *t, size_t n, const char *subject)
{
	static const char *const labels[] = {
	    "адрес", "地址", "アドレス", "email from", "mail from",
	    "e-mail from", NULL,
	};
	size_t pos = 0, ll;
	const char *line;
	while (rb_next_line(t, n, &pos, &line, &ll)) {
		if (!ip_word(line, ll) && !rb_line_has_any(line, ll, labels))
			continue;
		const char *ip = ipv4_in(a, line, ll);
		if (ip != NULL)
			return ip;
	}
	const char *ip = subject ? ipv4_in(a, subject, strlen(subject)) : NULL;
	return ip ? ip : ipv4_in(a, t, n);
}

/* An X-ARF report (header "X-ARF: yes", a YAML part with Category,
 * Report-Type, Service, Source ...) is a complaint about mail only when
 * its type or service is mail: spam, phishing, or a report on the SMTP
 * service.  Its other types (login attacks, port scans, DDoS, copyright)
 * concern a host, not a recipient.  Without the header: true. */
static bool
xarf_about_mail(const struct rb_mail *m)
{
	const char *x = rb_mail_header(m, "X-ARF");
	if (x == NULL || strncasecmp(x, "yes", 3) != 0)
		return true;
	static const char *const mail_types[] = {"spam", "phish", "mail",
						 NULL};
	static const char *const mail_services[] = {"smtp", "mail", NULL};
	size_t pos = 0, ll;
	const char *line;
	bool typed = false;
	while (rb_next_line(m->body, m->body_len, &pos, &line, &ll)) {
		if (ll > 12 && strncasecmp(line, "Report-Type:", 12) == 0) {
			typed = true;
			if (rb_line_has_any(line + 12, ll - 12, mail_types))
				return true;
		} else if (ll > 8 && strncasecmp(line, "Service:", 8) == 0 &&
			   rb_line_has_any(line + 8, ll - 8, mail_services)) {
			return true;
		}
	}
	return !typed;
}

static bool
desk_mail(const struct rb_mail *m)
{
	const char *f = rb_mail_header(m, "From");
	if (f != NULL && rb_line_has_any(f, strlen(f), desk_from))
		return true;
	return m->subject != NULL &&
	       rb_line_has_any(m->subject, strlen(m->subject),
			       complaint_subject) &&
	       rb_line_has_any(m->subject, strlen(m->subject), spam_words);
}

static bool
detect(const struct rb_ctx *c)
{
	const struct rb_mail *m = c->m;
	if (m->body == NULL || m->body_len == 0 || m->dsn != NULL ||
	    m->feedback != NULL || m->mdn != NULL || m->nested != NULL ||
	    rb_mail_header(m, "X-Failed-Recipients") != NULL ||
	    rb_mail_header(m, "List-Id") != NULL ||
	    rb_mail_header(m, "List-Unsubscribe") != NULL)
		return false;	/* a notice, a report, a list's mail */
	/* a desk's answer in a conversation (to a report someone sent it)
	 * is no report of its own: a desk's report starts the thread */
	bool fwd;
	if (m->subject != NULL && rb_reply_prefix(m->subject, &fwd) > 0)
		return false;
	return desk_mail(m) && !rb_general_daemon_sender(m);
}

static int
parse(struct rb_ctx *c)
{
	const struct rb_mail *m = c->m;
	size_t n = m->body_len < REPORT_MAX ? m->body_len : REPORT_MAX;
	size_t head;
	size_t own = own_end(m->body, n, &head);
	const char *t = m->body;
	if (!rb_line_has_any(t, own, spam_words) ||
	    rb_line_has_any(t, own, ack_words) || rb_provider_phishy(t, own))
		return 0;
	if (!xarf_about_mail(m))
		return 0;
	const char *ip = source_ip(c->a, t, own, m->subject);
	struct rb_fields f = {0};
	bool reported = false;
	if (head != (size_t)-1) {
		size_t used = 0;
		reported = rb_fields_parse(c->a, t + head, n - head,
					   &c->opts->limits, &f, &used) == 0 &&
			   f.n > 0;
	}
	/* the reported message attached as a message part (X-ARF's
	 * evidence, a desk that forwards it whole) is the reported message,
	 * whatever header-like lines the text holds above it */
	if (m->has_orig && m->orig.n > 0) {
		f = m->orig;
		reported = true;
	}
	if (!reported && ip == NULL)
		return 0;	/* points at nothing */
	/* the complainer: the reported message's one recipient */
	const char *rcpt = NULL;
	const char *to = reported ? rb_fields_get(&f, "To") : NULL;
	if (to != NULL) {
		const char *first = rb_addr_find(c->a, to, strlen(to));
		const char *at = first ? strchr(to, '@') : NULL;
		if (first != NULL && at != NULL && strchr(at + 1, '@') == NULL)
			rcpt = first;
	}
	struct rb_event *e = rb_ctx_add(c, "abuse-desk", rcpt);
	e->kind = RB_KIND_COMPLAINT;
	e->feedback_type = rb_line_has_any(t, own, fraud_words) ? "fraud"
			   : rb_line_has_any(t, own, virus_words) ? "virus"
								  : "abuse";
	e->source_ip = ip;
	if (reported) {
		const char *v;
		if ((v = rb_fields_get(&f, "Message-ID")) != NULL) {
			const char *lt = strchr(v, '<');
			const char *gt = lt ? strchr(lt, '>') : NULL;
			if (lt && gt && gt > lt + 1)
				e->original.message_id = rb_arena_strndup(
				    c->a, lt + 1, (size_t)(gt - lt - 1));
		}
		if ((v = rb_fields_get(&f, "From")) != NULL)
			e->original.from = rb_addr_find(c->a, v, strlen(v));
		e->original.to = rcpt;
		if ((v = rb_fields_get(&f, "Subject")) != NULL)
			e->original.subject = strstr(v, "=?") != NULL
						  ? rb_mail_decode_text(c->a, v)
						  : v;
		if ((v = rb_fields_get(&f, "Date")) != NULL) {
			const char *iso = rb_date_iso(c->a, v);
			e->original.date = iso ? iso : v;
		}
	}
	return 1;
}

const struct rb_module rb_mod_abuse_desk = {"abuse-desk", detect, parse};
