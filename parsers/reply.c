/* reply: a person's reply, and the notice it quotes (see reply.h). */
#include "reply.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "general.h"
#include "text.h"
#include "textline.h"

/* Reply prefixes of a subject, in the clients' languages (ASCII ones
 * compared in any case, the others as written). */
static const char *const reply_prefixes[] = {
    "re:", "re :", "aw:", "aw :", "sv:", "vs:", "antw:", "antwort:", "r:",
    "rif:", "odp:", "odg:", "ynt:", "yan:", "vá:", "atb.:", "atb:", "bls:",
    "balas:", "отв:", "Отв:", "ОТВ:", "ответ:", "Ответ:", "απ:", "ΑΠ:",
    "Απ:", "תשובה:", "رد:", "回复:", "回复：", "答复:", "答复：", "回覆:",
    "回覆：", "答覆:", "答覆：", "返信:", "返信：", "답장:", "회신:",
    "trả lời:", "Trả lời:", NULL,
};
/* Forward prefixes. */
static const char *const forward_prefixes[] = {
    "fw:", "fwd:", "fwd :", "fw :", "wg:", "tr:", "tr :", "rv:", "i:",
    "enc:", "doorst:", "pd:", "转发:", "转发：", "轉寄:", "轉寄：", "転送:",
    "転送：", "전달:", NULL,
};

size_t
rb_reply_prefix(const char *s, bool *forward)
{
	if (forward)
		*forward = false;
	if (s == NULL)
		return 0;
	/* every ASCII prefix starts with one of these letters */
	unsigned char c0 = (unsigned char)(*s | 0x20);
	if (*s == '\0' || ((unsigned char)*s < 0x80 && !strchr("rasvoybfwtiedp", c0)))
		return 0;
	/* every prefix ends in a colon, ASCII or full-width (U+FF1A), within
	 * its first 16 bytes: most subjects are settled here */
	size_t lim = strnlen(s, 16);
	if (memchr(s, ':', lim) == NULL &&
	    memmem(s, lim, "\xef\xbc\x9a", 3) == NULL)
		return 0;
	for (size_t i = 0; reply_prefixes[i]; i++)
		if (rb_startswith_ci(s, reply_prefixes[i]))
			return strlen(reply_prefixes[i]);
	/* "Re[2]:" and "RE(3):" */
	if ((s[0] == 'R' || s[0] == 'r') && (s[1] == 'E' || s[1] == 'e') &&
	    (s[2] == '[' || s[2] == '(')) {
		const char *q = s + 3;
		while (*q >= '0' && *q <= '9')
			q++;
		if ((*q == ']' || *q == ')') && q[1] == ':')
			return (size_t)(q + 2 - s);
	}
	for (size_t i = 0; forward_prefixes[i]; i++)
		if (rb_startswith_ci(s, forward_prefixes[i])) {
			if (forward)
				*forward = true;
			return strlen(forward_prefixes[i]);
		}
	return 0;
}

/* Headings of a quoted (or forwarded) message below a person's text. */
static const char *const quote_heads[] = {
    "original message", "ursprüngliche nachricht", "original-nachricht",
    "message d'origine", "mensaje original", "messaggio originale",
    "mensagem original", "oorspronkelijk bericht", "oryginalna wiadomo",
    "originalmeddelande", "oprindelig meddelelse", "opprinnelig melding",
    "alkuperäinen viesti", "исходное сообщение", "原始邮件", "原始郵件",
    "元のメッセージ", "원본 메시지", "forwarded message",
    "weitergeleitete nachricht", "message transféré", "mensaje reenviado",
    "messaggio inoltrato", "mensagem encaminhada", "doorgestuurd bericht",
    "转发邮件", "轉寄郵件", NULL,
};
/* The end of an attribution line ("On ..., X wrote:"). */
static const char *const quote_tails[] = {
    "wrote:", "schrieb:", "a écrit :", "a écrit:", "escribió:",
    "ha scritto:", "escreveu:", "schreef:", "napisał(a):", "skrev:",
    "kirjoitti:", "написал:", "написал(а):", "写道：", "写道:", "寫道：",
    "寫道:", "wrote :", NULL,
};

bool
rb_reply_quote_line(const char *l, size_t n)
{
	size_t i = 0;
	while (i < n && (l[i] == ' ' || l[i] == '\t'))
		i++;
	if (i < n && l[i] == '>')
		return true;
	if (n > 100)
		return false;
	if (rb_line_has_any(l, n, quote_heads) &&
	    (rb_memcasemem(l, n, "---", 3) || rb_memcasemem(l, n, "___", 3)))
		return true;
	while (n > 0 && (l[n - 1] == ' ' || l[n - 1] == '\t' || l[n - 1] == '\r'))
		n--;
	for (size_t k = 0; quote_tails[k]; k++) {
		size_t tl = strlen(quote_tails[k]);
		if (n >= tl && strncasecmp(l + n - tl, quote_tails[k], tl) == 0)
			return true;
	}
	return false;
}

/* Outlook quotes the message replied to under its header fields, without
 * a heading: "From: X" and, on the next line, "Sent: <date>" (or the
 * client's language). */
static const char *const from_labels[] = {
    "from:", "von:", "de:", "de :", "da:", "van:", "från:", "fra:",
    "lähettäjä:", "od:", "от:", "feladó:", "kimden:", "发件人:", "发件人：",
    "寄件者:", "寄件者：", "差出人:", "보낸 사람:", NULL,
};
static const char *const sent_labels[] = {
    "sent:", "date:", "gesendet:", "envoyé :", "envoyé:", "enviado:",
    "enviado el:", "inviato:", "verzonden:", "skickat:", "sendt:",
    "lähetetty:", "wysłano:", "отправлено:", "elküldve:", "gönderildi:",
    "发送时间:", "发送时间：", "寄件日期:", "寄件日期：", "送信日時:",
    "보낸 날짜:", NULL,
};

/* A line that starts with an SMTP reply code and an enhanced status
 * ("550 5.1.1 ...", "550-5.7.1"), a multi-line reply ("550-..."), or an
 * enhanced status ("5.1.1 ..."), 4xx or 5xx. */
static bool
code_line(const char *l, size_t n)
{
	while (n > 0 && (*l == ' ' || *l == '\t'))
		l++, n--;
	if (n < 6 || (l[0] != '4' && l[0] != '5'))
		return false;
	bool reply;
	size_t off = rb_line_skip_code(l, n, &reply);
	if (off == 0)
		return false;
	if (!reply)
		return true;
	return off > 4 || l[3] == '-';
}

/* The mail comes from a machine: a delivery system or a no-reply
 * address, a null sender, Auto-Submitted, X-Failed-Recipients, a report
 * structure. */
static bool
machine_mail(const struct rb_mail *m)
{
	if (m->dsn != NULL || m->feedback != NULL || m->mdn != NULL ||
	    m->nested != NULL)
		return true;
	if (rb_general_daemon_sender(m))
		return true;
	static const char *const noreply[] = {
	    "noreply", "no-reply", "no_reply", "donotreply", "do-not-reply",
	    "do_not_reply", "post_master", NULL,
	};
	const char *f = rb_mail_header(m, "From");
	if (f != NULL && rb_line_has_any(f, strlen(f), noreply))
		return true;
	const char *v = rb_mail_header(m, "Return-Path");
	if (v != NULL) {
		while (*v == ' ')
			v++;
		if (strncmp(v, "<>", 2) == 0)
			return true;
	}
	v = rb_mail_header(m, "Auto-Submitted");
	if (v != NULL && !rb_startswith_ci(v, "no"))
		return true;
	return rb_mail_header(m, "X-Failed-Recipients") != NULL;
}

/* The subject starts (after list tags) with a reply prefix. */
static bool
reply_subject(const char *s)
{
	if (s == NULL)
		return false;
	for (int guard = 0; guard < 8; guard++) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s != '[')
			break;
		const char *close = strchr(s, ']');
		if (close == NULL || close - s > 80)
			return false;
		s = close + 1;
	}
	bool fwd;
	return rb_reply_prefix(s, &fwd) > 0 && !fwd;
}

/* how much of the body is looked at for the quote marker */
#define OWN_MAX (64 * 1024)

bool
rb_reply_quotes_notice(const struct rb_mail *m)
{
	if (m->body == NULL || m->body_len == 0 || !reply_subject(m->subject) ||
	    machine_mail(m))
		return false;
	size_t n = m->body_len < OWN_MAX ? m->body_len : OWN_MAX;
	size_t pos = 0, ll;
	const char *line, *prev = NULL;
	size_t prevl = 0;
	while (rb_next_line(m->body, n, &pos, &line, &ll)) {
		if (rb_reply_quote_line(line, ll))
			return true;
		if (prev != NULL &&
		    rb_line_starts_any(line, ll, sent_labels, "*") &&
		    rb_line_starts_any(prev, prevl, from_labels, "*"))
			return true;
		if (code_line(line, ll))
			return false;	/* the mail's own text says it */
		if (!rb_line_blank(line, ll)) {
			prev = line;
			prevl = ll;
		}
	}
	return false;
}
