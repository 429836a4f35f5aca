/* general: the general reader of delivery notices (see general.h). */
#include "general.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "mta_provider.h"
#include "rules.h"
#include "text.h"
#include "textline.h"

#define L(...) ((const char *const[]){__VA_ARGS__, NULL})

/* How much of the notice's own text is read, and how many lines. */
#define REGION_MAX (16 * 1024)
#define LINES_MAX 600
/* The score an address needs to be taken for a failed recipient. */
#define SCORE_MIN 4

/* ---- vocabulary ------------------------------------------------------ */

/* A From that is a delivery system (display name or address). */
static const char *const daemon_from[] = {
    "mailer-daemon", "mailer_daemon", "maildaemon", "mail-daemon",
    "postmaster", "mail delivery", "delivery subsystem", "mail system",
    "mail administrator", "mailadministrator", "internet mail service",
    "mail transport", "smtp gateway", "mail gateway", "nobody@",
    "bounce", "systemadministrator", "system administrator",
    "mail daemon", "maildelivery", "mdaemon", "mailer@", "smtp daemon",
    "microsoftexchange",
    "系统退信", "邮件系统", NULL,
};

/* Subjects of delivery notices, in the languages they come in. */
static const char *const bounce_subject[] = {
    "undeliver", "undelivered", "returned mail", "return mail",
    "delivery fail", "delivery status", "delivery notification",
    "delivery problem", "delivery report", "failure notice",
    "non-delivery", "nondelivery", "not delivered", "could not be delivered",
    "mail delivery failed", "mail system error", "message not delivered",
    "rejected", "bounce", "delivery has failed", "failed delivery",
    "nondeliverable", "non-deliverable", "delivery error", "mail error",
    "could not send", "not be sent", "sending failed",
    "unable to deliver", "could not deliver", "failed to deliver",
    "not deliverable", "non deliverable", "mail failure", "failed mail",
    "delivery unsuccessful", "non delivery", "error delivering",
    "nicht zustellbar", "übermittlungsstatus", "(échec)", "(echec)",
    "estado de entrega", "status de entrega", "stato di recapito",
    "no se puede entregar", "não é possível entregar",
    "impossibile recapitare", "传递状态通知", "投递状态", "无法送达",
    "无法传递", "配信状態",
    "unzustellbar", "nicht zugestellt", "zustellung fehlgeschlagen",
    "unzustellbare", "non remis", "non distribu", "échec de", "echec de",
    "impossible de remettre", "courrier retourn", "no entregado", "no se pudo entregar",
    "devuelto", "correo devuelto", "não entregue", "nao entregue",
    "não foi entregue", "mensagem devolvida", "non recapitabile",
    "non consegnat", "mancata consegna", "onbestelbaar", "niet bezorgd",
    "niet afgeleverd", "nie dostarczon", "nedoručen", "nepředán",
    "недоставлен", "не доставлен", "Недоставлен", "Не доставлен",
    "не удалось доставить", "Не удалось доставить", "退信", "未送达", "无法投递",
    "投递失败", "配信不能", "未配達", "전달 실패", "반송",
    "teslim edilemedi", "iletilemedi",
    /* a mail filter's notice of a message it refused */
    "message blocked", "blocked message", "mail blocked", "blocked mail",
    "email blocked", "blocked email",
    /* Domino's "Informe de error en la entrega", "Rapport d'échec" */
    "error en la entrega", "informe de error", "rapport d'échec",
    "rapporto di mancata", NULL,
};

/* Wording that says a delivery failed (the notice's own text). */
static const char *const failure_words[] = {
    /* English */
    "could not be delivered", "couldn't be delivered", "was not delivered",
    "wasn't delivered", "not be delivered", "not delivered to",
    "undeliverable", "undelivered", "unable to deliver", "delivery failed",
    "delivery has failed", "delivery to the following", "failed to deliver",
    "permanent error", "permanent failure", "fatal error",
    "failed permanently", "did not reach", "could not be reached",
    "did not receive", "could not deliver", "cannot be delivered",
    "can't be delivered", "delivery failure", "delivery problems",
    "problem delivering", "error delivering", "trouble delivering",
    "while trying to deliver", "failed recipient", "rejected",
    "returned to sender", "bounced", "unknown user", "user unknown",
    "no such user", "no such mailbox", "does not exist", "doesn't exist",
    "mailbox unavailable", "mailbox not found", "mailbox unknown",
    "invalid recipient", "invalid address", "invalid final delivery",
    "address not found", "unknown recipient", "recipient not found",
    "receiver not found", "receiver unknown", "could not be fully delivered",
    "failed to be received",
    "user not found", "not recognized", "couldn't be found",
    "could not be found", "mailbox is full", "mailbox full", "over quota",
    "quota exceeded", "exceeds allowed", "exceeds the allowed",
    "exceeded the allowed", "host not found", "host unknown",
    "unknown host", "relay denied", "relaying denied", "message expired",
    "could not be sent", "not deliverable", "non deliverable",
    "nondeliverable", "recipient unknown", "address unknown",
    "unknown address", "no mailbox", "account disabled",
    "account is disabled", "mailbox disabled", "has exceeded",
    /* Lotus Notes: "------- Failure Reasons --------" / "User x not
     * listed in public Name & Address Book" */
    "failure reasons", "not listed in",
    /* Domino's translated reports: "no se ha entregado a:", "n'a pas
     * été remis à", "non è stato consegnato a" */
    "no se ha entregado", "n'a pas été remis", "n'a pas ete remis",
    "non è stato consegnato", "não foi entregue", "nao foi entregue",
    "no aparece en el directorio", "ne figure pas dans l'annuaire",
    /* a filter's notice: "Your message to x was blocked" */
    "was blocked", "has been blocked", "were blocked",
    /* German */
    "nicht zugestellt", "zugestellt werden", "zustellen", "konnte nicht",
    "unzustellbar", "unbekannt", "nicht gefunden", "existiert nicht",
    "permanenter fehler", "nicht erreicht", "nicht erkannt",
    "postfach voll", "postfach ist voll", "ist voll",
    /* French */
    "n'a pas pu être", "n'a pas pu etre", "n'ai pas pu", "pas pu livrer",
    "impossible de", "introuvable", "inconnu", "n'existe pas",
    "erreur permanente", "n'est pas parvenu", "pas été reconnu",
    "n'est pas reconnu",
    "pas ete reconnu", "boîte aux lettres pleine", "est pleine",
    /* Spanish, Portuguese */
    "no pudo ser entregado", "no se pudo entregar", "no existe",
    "no encontrad", "inexistente", "error permanente", "no se reconoce",
    "no llegó", "buzón lleno", "buzon lleno", "desconocid", "está lleno",
    "está llena", "esta lleno", "inválid", "está cheia", "esta cheia",
    "não pôde ser entregue", "nao pode ser entregue", "não existe",
    "não foi possível", "não encontrad", "desconhecid", "erro permanente",
    "não foi reconhecido", "não chegou", "caixa postal cheia",
    "caixa de correio cheia",
    /* Italian */
    "non è stato possibile", "non esiste", "sconosciut", "inesistente",
    "errore permanente", "non è stato riconosciuto", "non ha raggiunto",
    "casella piena", "è piena",
    /* Dutch, Polish, Russian */
    "onbekend", "kon niet worden", "onbestelbaar", "bestaat niet",
    "nie został dostarczony", "nie została dostarczona",
    "nie mogła zostać dostarczona", "nie może zostać dostarczona",
    "nie mógł zostać dostarczony", "nie dostarczono",
    "не может быть доставлено", "не доставлено", "mislukt",
    "не было доставлено", "Не было доставлено", "не удалось доставить",
    "Не удалось доставить", "не существует", "переполнен",
    "non è stato recapitato", "non è stata recapitata",
    "non può essere recapitato", "non recapitabile",
    /* Turkish */
    "teslim edilemedi", "iletilemedi",
    /* Korean */
    "전달되지 못했습니다", "전달되지 않았습니다", "전달하지 못했습니다",
    "배달되지 못했습니다", "전송 실패", "배달 실패", "발송 실패",
    /* Exchange's translated headlines ("Delivery has failed to these
     * recipients or groups") */
    "fehlgeschlagen", "a échoué", "a echoue", "error en la entrega",
    "falha na entrega", "non riuscito", "无法传递",
    /* Chinese, Japanese */
    "无法投递", "投递失败", "退信", "不存在", "永久性错误", "邮箱已满",
    "邮箱空间不足", "配信できません", "届きません", "恒久的なエラー",
    "存在しません", "送信に失敗", "送信できませんでした", "配信に失敗",
    "配送できません", "容量超過", NULL,
};

/* A delivery that is still being tried. */
static const char *const delay_words[] = {
    "delayed", "delay", "will be retried", "will retry",
    "will continue to try", "still trying", "not yet been delivered",
    "has not been delivered yet", "warning: message", "warning only",
    "not yet been fully delivered", "still pending",
    "attempts to deliver the message will continue",
    "temporarily", "verzögert", "retardé", "retrasad", "atrasad",
    "in ritardo", "vertraagd", "延迟", "遅延",
    "différé", "opóźnion", "opóźnieni", "задержк", "задержан", "延遲",
    "지연", "ritardat", "zpožděn", "gecikti",
    /* "will keep trying" in Japanese and Chinese notices */
    "引き続き配信", "配信を継続", "再送を継続", "再試行します",
    "继续尝试", "暂未投递", "稍后继续", "重新尝试投递", "繼續嘗試", NULL,
};

/* ... and wording that says it is final after all. */
static const char *const final_words[] = {
    "permanent", "fatal", "gave up", "giving up", "failed permanently",
    "has been returned", "will not be retried", "undeliverable",
    NULL,
};

/* A notice about the reader's own mailbox, not about a delivery. */
static const char *const mailbox_notice[] = {
    "almost full", "nearly full", "quota warning", "over its quota",
    "exceeded its quota", "exceeded your", "your mailbox", "storage limit",
    "mailbox size", "size of your mailbox", "warning threshold",
    "speicherplatz", "boîte aux lettres est presque",
    NULL,
};

/* Wording that a delivery failed, narrower than failure_words: a quota
 * notice may say "rejected" or "does not exist" about other things. */
static const char *const delivery_failed[] = {
    "could not be delivered", "couldn't be delivered", "not delivered",
    "wasn't delivered", "undeliverable", "unable to deliver",
    "delivery failed", "delivery has failed", "failed to deliver",
    "did not reach", "returned to sender", "could not deliver",
    "cannot be delivered", "was rejected", "has been rejected",
    "not deliverable", "non deliverable", "nondeliverable",
    "returning message to sender", "contained no recipients",
    "nicht zugestellt", "unzustellbar",
    "n'a pas pu", "no se pudo entregar", "não pôde ser entregue",
    "non è stato possibile", "onbestelbaar", "无法投递", "退信", NULL,
};

/* The notice speaks of the reader's own message. */
static const char *const yours[] = {
    "your message", "you sent", "your mail", "your e-mail",
    "your email", "ihre nachricht", "ihre e-mail", "votre message",
    "su mensaje", "sua mensagem", "uw bericht", "il tuo messaggio",
    "il messaggio che hai", "您的邮件", "你的邮件", "您发送的",
    "送信したメール", "あなたのメッセージ",
    /* Sendmail's opening: the reader's message, received here */
    "the original message was received at", NULL,
};

/* Words before an address that say it is the one that failed. */
static const char *const rcpt_labels[] = {
    "recipient", "rcpt to", "error-for", "smtp:", "smtp=", "address",
    "addressee", "delivery to", "deliver to", "delivered to",
    "message to", "message for", "mail to", "mail for", "addressed to",
    "sent to", "reach",
    /* "your message to x" in the languages notices come in */
    "nachricht an", "e-mail an", "message à", "message pour",
    "courriel à", "mensaje para", "mensaje a ", "correo para",
    "mensagem para", "mensagem a ", "messaggio per", "messaggio a ",
    "messaggio indirizzato a", "bericht aan", "bericht voor",
    "wiadomość do", "wiadomosc do", "wiadomości do", "wiadomosci do", "сообщение для", "письмо для",
    "发送给", "发给", "寄给", "发往",
    "mailbox", "user", "account", "destinatari", "destinatário",
    "destinataire", "dirección", "direccion", "endereço", "indirizzo",
    "empfänger", "empfaenger", "adresse", "adressat", "benutzer",
    "utilisateur", "usuario", "usuário", "utente", "ontvanger",
    "gebruiker", "odbiorca", "получател", "адрес", "收件人", "收信人",
    "用户", "邮箱", "地址", "受信者", "宛先", "メールアドレス", "수신자",
    NULL,
};

/* Words before an address that say it is someone else. */
static const char *const other_labels[] = {
    "from", "sender", "sent by", "reply", "contact", "postmaster",
    "administrator", "admin", "help", "support", "webmaster", "abuse",
    "report", "absender", "expéditeur", "expediteur", "remitente",
    "remetente", "mittente", "afzender", "nadawca", "发件人", "寄件人",
    "差出人", "cc:", "bcc:", "forwarded", "mailto:", "envelope-from",
    "return-path",
    /* the recipient's new address, named by a notice that the mailbox
     * moved ("can now be reached at x", "User not local; please try
     * <x>", "new address: x"): the one to write to, not the one that
     * failed */
    "reached at", "new address", "please try", "please use",
    "please send", "please write to", "now at ", "neue adresse",
    "nouvelle adresse", "nueva dirección", "novo endereço",
    "nuovo indirizzo", "nieuwe adres", "新地址", "新しいアドレス", NULL,
};

/* Lines that are header fields or identifiers, never recipients. */
static const char *const id_lines[] = {
    "message-id", "references:", "in-reply-to", "received:", "x-",
    "dkim-", "list-", "return-path:", "envelope-from", NULL,
};

/* ---- the notice's own text ------------------------------------------ */

struct line {
	size_t b, e;	/* offsets in the region text */
	bool quoted;	/* "> " quoting */
	/* what the line and the lines folded under it say, and whether a
	 * heading is above it: -1 not known yet (a line may hold many
	 * addresses; each fact is worked out once) */
	signed char code, words, heading;
	const char *diag;	/* the diagnostic its own text gives, once */
};

struct cand {
	char *addr;
	const char *orig_rcpt;	/* "expanded from" / "generated from" */
	size_t li;	/* its line */
	size_t ae;	/* end of the address in the region */
	int score;
	const char *diag;
	const char *cmd;	/* the command diag answers (RCPT, DATA) */
	bool written;	/* as written (not an address) */
};

struct reader {
	struct rb_ctx *c;
	const char *t;	/* region text */
	size_t n;
	const char *sq;	/* the same, white space squeezed: wording that a
			 * line break splits ("does\n  not exist") */
	size_t sqn;
	bool returns;	/* the returned original follows the notice's text */
	size_t own;	/* the notice's own text: body[0, own) */
	bool lead_only;	/* only addresses that lead their lines count */
	struct rb_fields qf;	/* a quoted original's header fields */
	bool qf_done;
	/* the Subject is the notice's heading: a delivery system's notice
	 * whose subject says the delivery failed; an address on its first
	 * lines is under it */
	bool subject_heading;
	struct line *lines;
	size_t nl;
	struct cand *cands;	/* up to the recipient limit, plus one */
	size_t nc, cap;
	bool overflow;		/* more than the recipient limit */
	size_t below_end;	/* reason_below(): the line after its text */
	const char *diag_cmd;	/* score(): the command its diag answers */
};

static const struct rb_fields *original_fields(struct reader *r);

static bool
header_line(const char *s, size_t n)
{
	size_t i = 0;
	while (i < n && (isalnum((unsigned char)s[i]) || s[i] == '-'))
		i++;
	return i > 1 && i < n && s[i] == ':' && i + 1 < n && s[i + 1] == ' ';
}

/* Where the returned original starts in the notice's text: its marker
 * line, or a header block (three header-looking lines at column 0, one
 * of them a message header that only an original carries). */
static size_t
own_len(const struct rb_mail *m)
{
	const char *t = m->body;
	size_t len = rb_mail_own_len(m);
	static const char *const cut[] = {
	    "Content-Type: message/rfc822", "Content-Type: text/rfc822-headers",
	    "original message follows", "message follows",
	    "copy of the message", "copy of your message",
	    /* Lotus Notes: "------- Returned Memo --------" */
	    "returned memo",
	    /* a mailing list's archive: Mailman's footer and the marker of
	     * a part it scrubbed (the returned original, usually) */
	    "_____________________________________________",
	    "-------------- next part --------------", NULL,
	};
	size_t pos = 0, ll, run = 0, run_start = 0;
	bool run_msg = false;
	const char *line;
	while (rb_next_line(t, len, &pos, &line, &ll)) {
		size_t at = (size_t)(line - t);
		if (rb_line_has_any(line, ll, cut))
			return at;
		if (header_line(line, ll)) {
			if (run++ == 0) {
				run_start = at;
				run_msg = false;
			}
			if (rb_startswith_ci(line, "Received:") ||
			    rb_startswith_ci(line, "Return-Path:") ||
			    rb_startswith_ci(line, "Message-ID:") ||
			    rb_startswith_ci(line, "DKIM-Signature:") ||
			    rb_startswith_ci(line, "MIME-Version:"))
				run_msg = true;
			if (run >= 3 && run_msg)
				return run_start;
		} else if (!(ll > 0 && (line[0] == ' ' || line[0] == '\t'))) {
			run = 0;
		}
	}
	return len;
}

static bool
split_lines(struct reader *r)
{
	r->lines = rb_arena_alloc(r->c->a, LINES_MAX * sizeof(*r->lines));
	size_t pos = 0, ll;
	const char *line;
	while (r->nl < LINES_MAX && rb_next_line(r->t, r->n, &pos, &line, &ll)) {
		struct line *l = &r->lines[r->nl++];
		l->b = (size_t)(line - r->t);
		l->e = l->b + ll;
		l->quoted = ll > 0 && line[0] == '>' && !(ll > 2 && line[1] == '>');
		l->code = l->words = l->heading = -1;
	}
	return r->nl > 0;
}

/* A diagnostic: squeezed, at most RB_LINE_DIAG_MAX bytes of text. */
static const char *
squeeze(struct reader *r, const char *s, size_t n)
{
	if (n > RB_LINE_DIAG_MAX)
		n = RB_LINE_DIAG_MAX;
	return rb_squeeze(r->c->a, s, n);
}

#define LINE(r, i) ((r)->t + (r)->lines[i].b)
#define LLEN(r, i) ((r)->lines[i].e - (r)->lines[i].b)

/* ---- evidence --------------------------------------------------------- */

static bool
daemon_sender(const struct rb_mail *m)
{
	const char *f = rb_mail_header(m, "From");
	return f != NULL && rb_line_has_any(f, strlen(f), daemon_from);
}

bool
rb_general_daemon_sender(const struct rb_mail *m)
{
	return daemon_sender(m);
}

static bool
null_sender(const struct rb_mail *m)
{
	const char *rp = rb_mail_header(m, "Return-Path");
	if (rp == NULL)
		return false;
	while (*rp == ' ')
		rp++;
	return strncmp(rp, "<>", 2) == 0;
}

static bool
autoreply_marked(const struct rb_mail *m)
{
	const char *v = rb_mail_header(m, "Auto-Submitted");
	if (v != NULL && rb_startswith_ci(v, "auto-replied"))
		return true;
	return rb_mail_header(m, "X-Autoreply") != NULL ||
	       rb_mail_header(m, "X-Autorespond") != NULL ||
	       rb_mail_header(m, "X-Auto-Response-Suppress") != NULL ||
	       ((v = rb_mail_header(m, "Precedence")) != NULL &&
		rb_startswith_ci(v, "auto_reply"));
}

static bool
bounce_subject_of(const struct rb_mail *m)
{
	return m->subject != NULL &&
	       rb_line_has_any(m->subject, strlen(m->subject), bounce_subject);
}

static bool
detect(const struct rb_ctx *c)
{
	const struct rb_mail *m = c->m;
	if (m->feedback != NULL || m->body_len == 0)
		return false;
	return daemon_sender(m) || null_sender(m) || bounce_subject_of(m) ||
	       rb_mail_header(m, "X-Failed-Recipients") != NULL;
}

/* ---- addresses on a line --------------------------------------------- */

static bool
dom_char(unsigned char ch)
{
	return isalnum(ch) || ch >= 0x80 || ch == '.' || ch == '-' || ch == '_';
}

/* The next address in s[from, n): *as, *al, and its end (0 when none).
 * An X.400 or Exchange prefix ("dda:SMTP=addr", "[SMTP:addr]") is not
 * part of the local part. */
static size_t
next_addr(const char *s, size_t n, size_t from, size_t *as, size_t *al)
{
	for (size_t i = from; i < n; i++) {
		if (s[i] != '@' || i == 0)
			continue;
		size_t b = i;
		while (b > 0 && i - b < 128 &&
		       rb_line_local_char((unsigned char)s[b - 1]))
			b--;
		while (b < i && s[b] == '.')
			b++;
		size_t e = i + 1;
		while (e < n && e - i < 255 && dom_char((unsigned char)s[e]))
			e++;
		while (e > i + 1 && (s[e - 1] == '.' || s[e - 1] == '-'))
			e--;
		if (b == i || e == i + 1 || memchr(s + i, '.', e - i) == NULL)
			continue;
		/* "SMTP=addr" */
		for (size_t k = i; k > b; k--)
			if (s[k - 1] == '=') {
				if (k - 1 >= 4 &&
				    strncasecmp(s + k - 5, "smtp", 4) == 0)
					b = k;
				break;
			}
		if (b > 0 && s[b - 1] == '/')
			continue;	/* part of a URL */
		*as = b;
		*al = e - b;
		return e;
	}
	return 0;
}

/* The text of a line before offset `at`, its last `k` bytes at most. */
static void
before(const char *line, size_t at, size_t k, const char **p, size_t *pl)
{
	size_t b = at > k ? at - k : 0;
	*p = line + b;
	*pl = at - b;
}

/* Is the address the first thing on its line (after a bullet, a reply
 * code, an opening bracket or quote)? */
static bool
addr_leads(const char *line, size_t as)
{
	size_t i = 0;
	while (i < as && (line[i] == ' ' || line[i] == '\t'))
		i++;
	if (i + 1 < as && strchr("*-•", line[i]) && line[i + 1] == ' ')
		i += 2;
	/* an address type before it: Netscape's "SMTP <addr>", a DSN's
	 * "rfc822; addr" written as text */
	static const char *const types[] = {"smtp ", "smtp:", "rfc822;",
					    "rfc822 ", NULL};
	for (size_t k = 0; types[k]; k++)
		if (as - i > strlen(types[k]) &&
		    strncasecmp(line + i, types[k], strlen(types[k])) == 0) {
			i += strlen(types[k]);
			break;
		}
	/* a display name before it: "Tom Baker <tom@x>" (up to four
	 * words of a name, maybe quoted, then "<") */
	if (as >= 2 && line[as - 1] == '<' && as - 1 > i) {
		size_t e = as - 1, words = 0;
		bool name = true, in_word = false;
		while (e > i && line[e - 1] == ' ')
			e--;
		for (size_t k = i; k < e && name; k++) {
			unsigned char ch = (unsigned char)line[k];
			if (ch == ' ') {
				in_word = false;
			} else if (isalpha(ch) || ch >= 0x80 || ch == '.' ||
				   ch == '-' || ch == ',' || ch == '\'' ||
				   ch == '"') {
				if (!in_word && ++words > 4)
					name = false;
				in_word = true;
			} else {
				name = false;
			}
		}
		if (name && words > 0)
			return true;
	}
	/* optional reply code and enhanced status */
	while (i < as && (isdigit((unsigned char)line[i]) || line[i] == '.' ||
			  line[i] == '-'))
		i++;
	while (i < as && (line[i] == ' ' || line[i] == '\t' || line[i] == '<' ||
			  line[i] == '>' || line[i] == '"' || line[i] == '\'' ||
			  line[i] == '['))
		i++;
	return i == as;
}

static bool
blank_line(struct reader *r, size_t i)
{
	return rb_line_blank(LINE(r, i), LLEN(r, i));
}

/* Does a line carry an address at all? */
static bool
has_address(struct reader *r, size_t i)
{
	size_t as, al;
	return next_addr(LINE(r, i), LLEN(r, i), 0, &as, &al) != 0;
}

/* A heading above line i that introduces recipients or a failure
 * ("The following recipients could not be reached:", "Destinatario:"),
 * over blank lines and the other lines of the same list. */
static bool
heading_above(struct reader *r, size_t i)
{
	int blanks = 0;
	while (i-- > 0) {
		if (r->lines[i].quoted)
			return false;
		if (blank_line(r, i)) {
			if (++blanks > 2)
				return false;
			continue;
		}
		if (has_address(r, i))
			continue;
		/* a heading of two lines: a line break may cut it ("---The
		 * following addresses had delivery\nerrors---"); a longer
		 * paragraph is prose, read by its last line */
		size_t b = i;
		if (i > 0 && !blank_line(r, i - 1) && !r->lines[i - 1].quoted &&
		    !has_address(r, i - 1) &&
		    (i - 1 == 0 || blank_line(r, i - 2)))
			b = i - 1;
		const char *l = LINE(r, b);
		size_t ll = r->lines[i].e - r->lines[b].b;
		return ll < 400 && (rb_line_has_any(l, ll, rcpt_labels) ||
				    rb_line_has_any(l, ll, failure_words));
	}
	return r->subject_heading;
}

/* The lines folded under line i (deeper indented, or reply-code
 * continuations), up to a blank line or another address line. */
static size_t
folded_end(struct reader *r, size_t i, size_t max)
{
	size_t j = i + 1;
	while (j < r->nl && j - i <= max && !blank_line(r, j) &&
	       !r->lines[j].quoted && !has_address(r, j))
		j++;
	return j;
}

static bool
says_failure(const char *s, size_t n)
{
	return rb_line_has_code(s, n) || rb_line_has_any(s, n, failure_words);
}

/* ---- SMTP transcripts ------------------------------------------------- */

/* The reply to "RCPT TO:<addr>" on line i: the first reply line below
 * it; *accepted when it is a 2xx.  NULL when none within three lines. */
static const char *
rcpt_reply(struct reader *r, size_t i, bool *accepted)
{
	*accepted = false;
	for (size_t j = i + 1; j < r->nl && j <= i + 3; j++) {
		const char *l = LINE(r, j);
		size_t ll = LLEN(r, j), k = 0;
		while (k < ll && (l[k] == ' ' || l[k] == '\t'))
			k++;
		/* "<<< ", "Out: ", "S: ", "<- " */
		/* a transcript line's marker, after a time stamp maybe */
		static const char *const pre[] = {"<<<", ">>>", "<--", "out:",
						  "s:", "<-", "server:", NULL};
		for (size_t p = 0; pre[p]; p++) {
			const char *at = rb_strcasestr_n(l + k, ll - k, pre[p]);
			if (at != NULL && (size_t)(at - l) < 48) {
				k = (size_t)(at - l) + strlen(pre[p]);
				break;
			}
		}
		while (k < ll && (l[k] == ' ' || l[k] == '\t'))
			k++;
		if (k + 3 > ll || !isdigit((unsigned char)l[k]) ||
		    !isdigit((unsigned char)l[k + 1]) ||
		    !isdigit((unsigned char)l[k + 2]))
			continue;
		if (l[k] == '2') {
			*accepted = true;
			return NULL;
		}
		if (l[k] != '4' && l[k] != '5')
			return NULL;
		size_t e = folded_end(r, j, 4);
		/* the reply ends where the transcript goes on ("--> QUIT")
		 * or ends ("--- End Transcript ---") */
		static const char *const more[] = {"-->", "<--", ">>>", "<<<",
						   "---", NULL};
		for (size_t x = j + 1; x < e; x++) {
			const char *xl = LINE(r, x);
			size_t xll = LLEN(r, x);
			if (rb_line_has_any(xl, xll < 48 ? xll : 48, more)) {
				e = x;
				break;
			}
		}
		return squeeze(r, l + k, r->lines[e - 1].e - r->lines[j].b - k);
	}
	return NULL;
}

/* A transcript that took the recipient ("RCPT To:<x>" / "250 OK") and
 * then refused the message: the failing reply to DATA or BDAT within
 * the next lines (MDaemon's "--> BDAT 18211 LAST" / "<-- 500 5.5.1
 * Command unrecognized"), before another recipient's RCPT; NULL when
 * there is none. */
static const char *
data_reply(struct reader *r, size_t i)
{
	static const char *const marks[] = {"-->", ">>>", "in:", "c:", "->",
					    "client:", NULL};
	for (size_t j = i + 1; j < r->nl && j <= i + 12; j++) {
		const char *l = LINE(r, j);
		size_t ll = LLEN(r, j), k = ll;
		for (size_t p = 0; marks[p]; p++) {
			const char *at = rb_strcasestr_n(l, ll, marks[p]);
			if (at != NULL && (size_t)(at - l) < 48) {
				k = (size_t)(at - l) + strlen(marks[p]);
				break;
			}
		}
		if (k >= ll)
			continue;
		const char *verb = rb_smtp_verb(l + k, ll - k);
		if (verb == NULL)
			continue;
		if (strcmp(verb, "RCPT") == 0 || strcmp(verb, "MAIL") == 0)
			return NULL;	/* another recipient, or a new one */
		if (strcmp(verb, "DATA") != 0)
			continue;
		bool accepted;
		const char *rep = rcpt_reply(r, j, &accepted);
		if (accepted)
			continue;	/* DATA's 354, then the end of data */
		return rep;
	}
	return NULL;
}

/* ---- scoring ---------------------------------------------------------- */

static bool
excluded(const struct rb_mail *m, const char *addr)
{
	static const char *const hdrs[] = {"From", "To", "Cc", "Reply-To",
					   "Sender", "Return-Path", NULL};
	size_t al = strlen(addr);
	for (size_t i = 0; hdrs[i]; i++) {
		const char *v = rb_mail_header(m, hdrs[i]);
		if (v != NULL && rb_memcasemem(v, strlen(v), addr, al) != NULL)
			return true;
	}
	static const char *const ohdrs[] = {"From", "Sender", "Return-Path",
					    "Reply-To", NULL};
	for (size_t i = 0; ohdrs[i] && m->has_orig; i++) {
		const char *v = rb_fields_get(&m->orig, ohdrs[i]);
		if (v != NULL && rb_memcasemem(v, strlen(v), addr, al) != NULL)
			return true;
	}
	return false;
}

/* A word of other_labels in pre: a whole word for the ones that end in a
 * letter ("admin", not the start of a local part "administracion";
 * "from", not "fromage"), anywhere for the others ("cc:", "发件人"). */
static bool
other_label(const char *pre, size_t pl)
{
	for (const char *const *lb = other_labels; *lb; lb++) {
		size_t k = strlen(*lb), off = 0;
		bool word = isalpha((unsigned char)(*lb)[k - 1]);
		const char *p;
		while ((p = rb_strcasestr_n(pre + off, pl - off, *lb)) != NULL) {
			size_t at = (size_t)(p - pre), e = at + k;
			off = at + 1;
			if (!word ||
			    ((at == 0 || !isalnum((unsigned char)pre[at - 1])) &&
			     (e >= pl || !isalnum((unsigned char)pre[e]))))
				return true;
		}
	}
	return false;
}

static int
score(struct reader *r, size_t li, size_t as, size_t ae, bool *reject,
      const char **diag)
{
	const char *line = LINE(r, li);
	const char *pre;
	size_t pl;
	int s = 0;
	*reject = false;
	*diag = NULL;
	before(line, as, 40, &pre, &pl);
	/* only the words since the address before it on the line: "from
	 * a@x to b@y" labels b@y with "to", not with a@x's "from" */
	bool from_to = false;
	for (size_t k = pl; k > 0; k--)
		if (pre[k - 1] == '@') {
			while (k < pl && pre[k] != ' ' && pre[k] != '\t')
				k++;
			pre += k;
			pl -= k;
			/* "from a@x to b@y": the one it went to */
			from_to = pl >= 4 && pl <= 6 &&
				  rb_strcasestr_n(line, as, "from ") != NULL &&
				  rb_strcasestr_n(pre, pl, " to ") != NULL;
			break;
		}
	if (other_label(pre, pl) ||
	    rb_strcasestr_n(pre, pl, "expanded from") ||
	    rb_strcasestr_n(pre, pl, "generated from")) {
		*reject = true;
		return 0;
	}
	/* an SMTP transcript: RCPT TO:<addr> and the reply to it */
	if (rb_strcasestr_n(pre, pl, "rcpt to")) {
		bool accepted;
		const char *rep = rcpt_reply(r, li, &accepted);
		if (accepted) {
			/* taken, and then the message was refused */
			const char *dr = data_reply(r, li);
			if (dr == NULL) {
				*reject = true;
				return 0;
			}
			*diag = dr;
			r->diag_cmd = "DATA";
			return 16;
		}
		if (rep != NULL) {
			*diag = rep;
			r->diag_cmd = "RCPT";
			return 16;	/* above any sum of the rest */
		}
	}
	before(line, as, 80, &pre, &pl);
	/* a label, or failure wording that leads to the address ("konnte
	 * nicht zugestellt werden an x", "mailbox is full: <x>") */
	if (from_to || rb_line_has_any(pre, pl, rcpt_labels) ||
	    rb_line_has_any(pre, pl, failure_words))
		s += 3;
	bool leads = addr_leads(line, as);
	if (leads)
		s += 2;
	struct line *L = &r->lines[li];
	if ((leads || s > 0) && L->heading < 0)
		L->heading = heading_above(r, li);
	if ((leads || s > 0) && L->heading)
		s += 3;
	if (L->code < 0) {
		size_t fe = folded_end(r, li, 3);
		size_t fl = r->lines[fe - 1].e - L->b;
		L->code = rb_line_has_code(line, fl);
		L->words = rb_line_has_any(line, fl, failure_words) ||
			   rb_line_has_any(line, fl, delay_words);
		if (!L->words && fe > li + 1) {
			const char *q = rb_squeeze(r->c->a, line, fl);
			L->words = rb_line_has_any(q, strlen(q), failure_words) ||
				   rb_line_has_any(q, strlen(q), delay_words);
		}
	}
	if (L->code)
		s += 2;
	if (L->words)
		s += 2;
	/* "To: addr" alone: the notice's summary of the original */
	if (!leads && pl >= 3 && s <= 3) {
		size_t k = 0;
		while (k < pl && (pre[k] == ' ' || pre[k] == '\t'))
			k++;
		if (pl - k <= 5 && rb_startswith_ci(pre + k, "to:"))
			s = 1;
	}
	(void)ae;
	return s;
}

/* ---- diagnostics ------------------------------------------------------ */

/* A list's heading that names the cause, not only the failure ("The
 * following recipients were not found:", "... are unknown:"). */
static const char *const heading_causes[] = {
    "not found", "unknown", "do not exist", "does not exist", "invalid",
    "mailbox is full", "mailboxes are full", "over quota", "disabled",
    "inactive", "suspended", "introuvable", "inconnu", "unbekannt",
    "nicht gefunden", "desconocid", "no encontrad", "no existe",
    "não encontrad", "desconhecid", "não existe", "sconosciut",
    "inesistent", "不存在", NULL,
};

static const char *failure_paragraph(struct reader *r);
static const char *explained_paragraph(struct reader *r, size_t from);

/* The paragraph just below line fe (the end of a recipient's lines),
 * before any other address, when it gives a reason: a "Reason:" label
 * or words a rule knows.  Sets r->below_end to the line after it. */
static const char *
reason_below(struct reader *r, size_t fe)
{
	static const char *const label[] = {"reason", "motivo", "raison",
					    "grund", NULL};
	for (size_t j = fe; j < r->nl && j < fe + 3; j++) {
		if (blank_line(r, j))
			continue;
		if (r->lines[j].quoted || has_address(r, j))
			return NULL;
		size_t e = j;
		while (e < r->nl && !blank_line(r, e) && !r->lines[e].quoted &&
		       !has_address(r, e) && e - j < 4)
			e++;
		const char *q = squeeze(r, LINE(r, j),
					r->lines[e - 1].e - r->lines[j].b);
		size_t ql = strlen(q);
		const char *colon = memchr(q, ':', ql < 16 ? ql : 16);
		const struct rb_rule *ru = rb_rules_match(
		    r->c->opts->rules, RB_FIELD_DIAGNOSTIC, q, ql, NULL);
		if ((colon != NULL &&
		     rb_line_has_any(q, (size_t)(colon - q), label)) ||
		    (ru != NULL && !ru->vague)) {
			r->below_end = e;
			return q;
		}
		return NULL;
	}
	return NULL;
}

/* The text nearest to candidate k that says why it failed. */
static const char *
diagnostic_for(struct reader *r, const struct cand *k)
{
	size_t li = k->li;
	if (r->lines[li].diag != NULL)
		return r->lines[li].diag;
	size_t fe = folded_end(r, li, 6);
	const char *s = LINE(r, li);
	size_t n = r->lines[fe - 1].e - r->lines[li].b;
	const char *sq = squeeze(r, s, n);
	if (says_failure(sq, strlen(sq))) {
		/* only the notice's failure wording on the line ("Your
		 * message to x couldn't be delivered."): the cause, when
		 * the notice names one, is in a paragraph of its own ("x
		 * wasn't found at example.com.") */
		const struct rb_rule *own =
		    r->c->opts->rules == NULL
			? NULL
			: rb_rules_match(r->c->opts->rules, RB_FIELD_DIAGNOSTIC,
					 sq, strlen(sq), NULL);
		if (!rb_line_has_code(sq, strlen(sq)) &&
		    r->c->opts->rules != NULL) {
			/* a filter's "x was blocked" and its reason below
			 * ("Reason: identified as spam"): read together,
			 * when the line names no cause or only the filter's
			 * verdict (blocked, rejected, filtered) */
			bool vague = own == NULL ||
				     strcmp(own->reason, "blocked") == 0 ||
				     strcmp(own->reason, "rejected") == 0 ||
				     strcmp(own->reason, "filtered") == 0;
			const char *below = vague ? reason_below(r, fe) : NULL;
			if (below != NULL) {
				const char *j2 = squeeze(
				    r, s, r->lines[r->below_end - 1].e -
					      r->lines[li].b);
				return r->lines[li].diag = j2;
			}
			if (own == NULL) {
				const char *xp = explained_paragraph(r, li);
				if (xp != NULL)
					return r->lines[li].diag = xp;
			}
		}
		return r->lines[li].diag = sq;
	}
	/* the recipient's own line (and what is folded under it) names a
	 * known cause in words of its own, without a reply code or the
	 * notice's failure wording ("<x>: addressee unknown", "x ...
	 * unrouteable address", "x  Domain not found"): the cause is
	 * there, not in the notice's opening paragraph */
	if (r->c->opts->rules != NULL &&
	    rb_rules_match(r->c->opts->rules, RB_FIELD_DIAGNOSTIC, sq,
			   strlen(sq), NULL) != NULL)
		return r->lines[li].diag = sq;
	/* a reason line just below ("Reason: ...", "because: ..."), or
	 * folded under it ("    Motivo: a conta ... está desativada") */
	static const char *const why[] = {
	    "reason", "because", "error", "diagnostic", "details",
	    "remote server", "server said", "motivo", "raison", "grund",
	    "原因", "理由", "reden", "oorzaak", "powód", "powod", "razón",
	    "razon", "ursache", "причина", "Причина", "důvod", "sebep",
	    "사유", "이유", "원인", NULL,
	};
	/* (the whole block only: a longer one is read below) */
	bool whole = fe >= r->nl || blank_line(r, fe) || r->lines[fe].quoted ||
		     rb_line_indent(LINE(r, fe), LLEN(r, fe)) <=
			 rb_line_indent(s, LLEN(r, li));
	for (size_t j = li + 1; whole && j < fe; j++) {
		const char *l = LINE(r, j);
		size_t ll = LLEN(r, j), w = 0;
		while (w < ll && (l[w] == ' ' || l[w] == '\t'))
			w++;
		const char *colon = memchr(l + w, ':', ll - w);
		if (colon != NULL && colon - (l + w) <= 16 &&
		    rb_line_has_any(l + w, (size_t)(colon - (l + w)), why))
			return r->lines[li].diag = sq;
	}
	for (size_t j = fe; j < r->nl && j < fe + 4; j++) {
		if (blank_line(r, j))
			continue;
		if (r->lines[j].quoted || has_address(r, j))
			break;
		const char *l = LINE(r, j);
		size_t e = folded_end(r, j, 4);
		const char *q = squeeze(r, l, r->lines[e - 1].e - r->lines[j].b);
		size_t ql = strlen(q);
		/* a heading of its own ("Message details:") says no why */
		if (ql > 0 && q[ql - 1] == ':' && !says_failure(q, ql))
			continue;
		if (rb_line_has_any(q, ql, why) || says_failure(q, ql))
			return q;
		/* the paragraph under the address names a known cause in
		 * words of its own ("Delivery was aborted after 72 hours") */
		if (r->c->opts->rules != NULL &&
		    rb_rules_match(r->c->opts->rules, RB_FIELD_DIAGNOSTIC, q,
				   strlen(q), NULL) != NULL)
			return q;
	}
	/* the closest line with a reply code */
	for (size_t d = 1; d < r->nl; d++) {
		size_t cand[2] = {li + d, li >= d ? li - d : (size_t)-1};
		for (int w = 0; w < 2; w++) {
			size_t j = cand[w];
			if (j >= r->nl || r->lines[j].quoted)
				continue;
			if (!rb_line_has_code(LINE(r, j), LLEN(r, j)))
				continue;
			size_t e = folded_end(r, j, 4);
			return squeeze(r, LINE(r, j),
					  r->lines[e - 1].e - r->lines[j].b);
		}
		if (d > 40)
			break;
	}
	/* the heading of its list, when it says why ("The following
	 * recipients were not found:") */
	size_t h = li, blanks = 0;
	while (h-- > 0 && !r->lines[h].quoted) {
		if (blank_line(r, h)) {
			if (++blanks > 1)
				break;
			continue;
		}
		if (has_address(r, h) ||
		    rb_line_indent(LINE(r, h), LLEN(r, h)) >
			rb_line_indent(s, LLEN(r, li)))
			continue;
		const char *hq = squeeze(r, LINE(r, h), LLEN(r, h));
		size_t hql = strlen(hq);
		if (hql > 0 && hq[hql - 1] == ':' &&
		    rb_line_has_any(hq, hql, heading_causes))
			return hq;
		break;
	}
	/* a paragraph of the notice that names a known cause, where the
	 * notice says why once for all its recipients ("Your message could
	 * not be delivered." / "The recipient's mailbox is over its storage
	 * allocation.") */
	const char *xp = explained_paragraph(r, li);
	if (xp != NULL)
		return xp;
	const char *fp = failure_paragraph(r);
	/* a terse notice under its subject: the line is all it says */
	return fp != NULL || !r->subject_heading ? fp : sq;
}

/* The first paragraph of the notice with failure wording (read with
 * its lines joined: a line break may split the wording), else the first
 * with delay wording. */
static const char *
failure_paragraph(struct reader *r)
{
	const char *delay = NULL;
	for (size_t j = 0; j < r->nl; j++) {
		if (blank_line(r, j) || r->lines[j].quoted)
			continue;
		size_t e = j;
		while (e < r->nl && !blank_line(r, e) && e - j < 6)
			e++;
		size_t qe = e;
		const char *q = squeeze(r, LINE(r, j),
					r->lines[qe - 1].e - r->lines[j].b);
		size_t ql = strlen(q);
		if (ql > 0 && q[ql - 1] == ':') {
			/* "... due to the following reason:" and the reason
			 * in the paragraph below */
			while (qe < r->nl && blank_line(r, qe))
				qe++;
			size_t qe2 = qe;
			while (qe2 < r->nl && !blank_line(r, qe2) &&
			       !has_address(r, qe2) && qe2 - qe < 6)
				qe2++;
			if (qe2 > qe)
				q = squeeze(r, LINE(r, j),
					    r->lines[qe2 - 1].e - r->lines[j].b);
		}
		if (rb_line_has_any(q, strlen(q), failure_words))
			return q;
		if (delay == NULL && rb_line_has_any(q, strlen(q), delay_words))
			delay = q;	/* a delay notice's own words */
		j = e - 1;
	}
	return delay;
}

/* The first paragraph of the notice's own text whose words a rule
 * knows, other than a vague rule's ("try again later", which any notice
 * may say of itself): from line `from` on (the recipient's own line, the paragraphs
 * below it), then from the top; at most EXPLAINED_PARAS paragraphs each
 * way.  NULL when none. */
#define EXPLAINED_PARAS 12
static const char *
explained_from(struct reader *r, size_t from, size_t to)
{
	unsigned paras = 0;
	for (size_t j = from; j < to && paras < EXPLAINED_PARAS; j++) {
		if (blank_line(r, j) || r->lines[j].quoted)
			continue;
		size_t e = j;
		while (e < r->nl && !blank_line(r, e) && !r->lines[e].quoted &&
		       e - j < 6)
			e++;
		paras++;
		const char *q = squeeze(r, LINE(r, j),
					r->lines[e - 1].e - r->lines[j].b);
		const struct rb_rule *ru = rb_rules_match(
		    r->c->opts->rules, RB_FIELD_DIAGNOSTIC, q, strlen(q), NULL);
		if (ru != NULL && !ru->vague)
			return q;
		j = e - 1;
	}
	return NULL;
}

static const char *
explained_paragraph(struct reader *r, size_t from)
{
	if (r->c->opts->rules == NULL)
		return NULL;
	/* from the start of the paragraph that holds line `from` */
	while (from > 0 && from < r->nl && !blank_line(r, from - 1) &&
	       !r->lines[from - 1].quoted)
		from--;
	const char *q = explained_from(r, from < r->nl ? from : 0, r->nl);
	return q != NULL || from == 0 ? q : explained_from(r, 0, from);
}

/* ---- recipients ------------------------------------------------------- */

static void
add_cand(struct reader *r, char *addr, size_t li, size_t ae, int sc,
	 const char *diag, bool written)
{
	for (size_t i = 0; i < r->nc; i++)
		if (strcasecmp(r->cands[i].addr, addr) == 0) {
			if (sc > r->cands[i].score) {
				r->cands[i].score = sc;
				r->cands[i].li = li;
				r->cands[i].diag = diag;
				r->cands[i].cmd = diag ? r->diag_cmd : NULL;
			}
			return;
		}
	if (r->cands == NULL) {
		r->cap = (size_t)r->c->opts->limits.max_recipients + 1;
		r->cands = rb_arena_alloc(r->c->a, r->cap * sizeof(*r->cands));
	}
	if (r->nc >= r->cap) {
		r->overflow = true;
		return;
	}
	struct cand *k = &r->cands[r->nc++];
	memset(k, 0, sizeof(*k));
	k->addr = addr;
	k->li = li;
	k->ae = ae;
	k->score = sc;
	k->diag = diag;
	k->cmd = diag ? r->diag_cmd : NULL;
	k->written = written;
	const char *line = LINE(r, li);
	size_t ll = LLEN(r, li), off = ae - r->lines[li].b;
	k->orig_rcpt = rb_addr_expanded_from(r->c->a, line + off, ll - off);
}

static bool
id_line(const char *l, size_t ll)
{
	size_t k = 0;
	while (k < ll && (l[k] == ' ' || l[k] == '\t'))
		k++;
	for (const char *const *p = id_lines; *p; p++)
		if (ll - k >= strlen(*p) && strncasecmp(l + k, *p, strlen(*p)) == 0)
			return true;
	return rb_strcasestr_n(l, ll, "message-id") != NULL;
}

static void
scan_addresses(struct reader *r)
{
	const struct rb_mail *m = r->c->m;
	/* DSN fields written as text: Final-Recipient names the recipient;
	 * an address in the Diagnostic-Code is the remote's own wording
	 * (an alias, a forward) */
	bool dsn = rb_memcasemem(r->t, r->n, "Final-Recipient:", 16) != NULL;
	for (size_t li = 0; li < r->nl; li++) {
		const char *line = LINE(r, li);
		size_t ll = LLEN(r, li);
		if (r->lines[li].quoted || id_line(line, ll) ||
		    (dsn && rb_startswith_ci(line, "Diagnostic-Code:")))
			continue;
		size_t from = 0, as, al, e;
		while ((e = next_addr(line, ll, from, &as, &al)) != 0) {
			from = e;
			char *addr = rb_addr_normalize(r->c->a, line + as, al);
			if (addr == NULL || excluded(m, addr))
				continue;
			bool reject;
			const char *diag;
			if (r->lead_only && !addr_leads(line, as))
				continue;
			int sc = score(r, li, as, e, &reject, &diag);
			if (reject || sc < SCORE_MIN)
				continue;
			add_cand(r, addr, li, r->lines[li].b + e, sc, diag,
				 false);
		}
	}
}

/* The addresses a recipient as written may be qualified from: the
 * returned original's To and Cc, and the notice's own summary of the
 * original ("Your message / To: x / Subject: y / did not reach ..."),
 * which names the original's recipients, never a failure by itself.
 * fn is called with each address (bare, not normalised). */
static bool
each_original_rcpt(struct reader *r,
		   bool (*fn)(struct reader *, const char *, size_t, void *),
		   void *arg)
{
	const struct rb_fields *of = original_fields(r);
	static const char *const names[] = {"To", "Cc", NULL};
	for (size_t k = 0; names[k] && of != NULL; k++)
		for (size_t i = 0; i < of->n; i++) {
			if (strcasecmp(of->v[i].name, names[k]) != 0)
				continue;
			const char *v = of->v[i].value;
			size_t vl = strlen(v), off = 0, as, al, e;
			while ((e = next_addr(v, vl, off, &as, &al)) != 0) {
				off = e;
				if (!fn(r, v + as, al, arg))
					return false;
			}
		}
	for (size_t li = 0; li < r->nl; li++) {
		const char *l = LINE(r, li);
		size_t ll = LLEN(r, li), k = 0;
		while (k < ll && (l[k] == ' ' || l[k] == '\t'))
			k++;
		if (r->lines[li].quoted || ll - k < 3 ||
		    strncasecmp(l + k, "To:", 3) != 0)
			continue;
		size_t off = k + 3, as, al, e;
		while ((e = next_addr(l, ll, off, &as, &al)) != 0) {
			off = e;
			if (!fn(r, l + as, al, arg))
				return false;
		}
	}
	return true;
}

struct qual {
	const char *t;		/* the local part */
	size_t tl;
	const char *dom;	/* reporting domain, or NULL */
	char *found;
	bool ambiguous, other_domain;
	size_t n;		/* addresses seen */
};

static bool
qual_local(struct reader *r, const char *a, size_t al, void *arg)
{
	struct qual *q = arg;
	const char *at = memchr(a, '@', al);
	if (at == NULL)
		return true;
	q->n++;
	if (q->dom != NULL &&
	    !((size_t)(a + al - at - 1) == strlen(q->dom) &&
	      strncasecmp(at + 1, q->dom, strlen(q->dom)) == 0))
		q->other_domain = true;
	if ((size_t)(at - a) != q->tl || strncasecmp(a, q->t, q->tl) != 0)
		return true;
	char *n = rb_addr_normalize(r->c->a, a, al);
	if (n == NULL)
		return true;
	if (q->found != NULL && strcasecmp(q->found, n) != 0) {
		q->ambiguous = true;
		return false;
	}
	q->found = n;
	return true;
}

/* The part of a host name its owner registered: the last two labels,
 * three under a second-level suffix ("uol.com.br", "example.co.uk"). */
static void
registered_part(const char *h, size_t n, const char **b, size_t *bl)
{
	static const char *const sld[] = {"co", "com", "net", "org", "ne",
					  "or", "ac", "gov", "edu", "go",
					  "gob", NULL};
	size_t dots[3] = {n, n, n}, k = 0;
	for (size_t i = n; i-- > 0 && k < 3;)
		if (h[i] == '.')
			dots[k++] = i;
	size_t keep = 2;
	if (k >= 2) {
		const char *s2 = h + dots[1] + 1;
		size_t s2l = dots[0] - dots[1] - 1;
		for (size_t i = 0; sld[i]; i++)
			if (s2l == strlen(sld[i]) && n - dots[0] - 1 == 2 &&
			    strncasecmp(s2, sld[i], s2l) == 0)
				keep = 3;
	}
	size_t start = k >= keep ? dots[keep - 1] + 1 : 0;
	*b = h + start;
	*bl = n - start;
}

/* The domain of the notice's own From address (the reporting system). */
static const char *
reporting_domain(struct reader *r)
{
	const char *f = rb_mail_header(r->c->m, "From");
	size_t as, al;
	if (f == NULL || next_addr(f, strlen(f), 0, &as, &al) == 0)
		return NULL;
	const char *at = memchr(f + as, '@', al);
	return rb_arena_strndup(r->c->a, at + 1, (size_t)(f + as + al - at - 1));
}

/*
 * A bare local part qualified: by the one address with that local part
 * among the original's recipients (its To/Cc, the notice's summary of
 * it); failing that, with the reporting system's own domain when every
 * recipient the original names is in that domain (the notice speaks for
 * the domain the mail went to).  NULL when ambiguous or unknown.
 */
static char *
qualify_local(struct reader *r, const char *t, size_t tl)
{
	struct qual q = {.t = t, .tl = tl, .dom = reporting_domain(r)};
	if (!each_original_rcpt(r, qual_local, &q) || q.ambiguous)
		return NULL;
	if (q.found != NULL)
		return q.found;
	if (q.dom == NULL || q.n == 0 || q.other_domain)
		return NULL;
	char *a = rb_arena_alloc(r->c->a, tl + strlen(q.dom) + 2);
	memcpy(a, t, tl);
	a[tl] = '@';
	strcpy(a + tl + 1, q.dom);
	char *n = rb_addr_normalize(r->c->a, a, strlen(a));
	return n != NULL && rb_addr_plausible(n) ? n : NULL;
}

/* Keep s[0..n) as the one address found so far (*found): false when
 * another one was found before (the name is ambiguous). */
static bool
only_addr(struct reader *r, const char *s, size_t n, char **found)
{
	char *a = rb_addr_normalize(r->c->a, s, n);
	if (a == NULL)
		return true;
	if (*found != NULL && strcasecmp(*found, a) != 0)
		return false;
	*found = a;
	return true;
}

/* A display name ("John Smith") qualified by the one "John Smith <addr>"
 * among the original's To/Cc. */
static char *
qualify_name(struct reader *r, const char *t, size_t tl)
{
	/* the returned original's fields: attached, or quoted below the
	 * notice (Lotus Notes' "Returned Memo") */
	const struct rb_fields *of = original_fields(r);
	char *found = NULL;
	const char *name = rb_arena_strndup(r->c->a, t, tl);
	for (size_t i = 0; of != NULL && i < of->n; i++) {
		if (strcasecmp(of->v[i].name, "To") != 0 &&
		    strcasecmp(of->v[i].name, "Cc") != 0)
			continue;
		const char *v = of->v[i].value;
		size_t vl = strlen(v), off = 0;
		const char *p;
		while ((p = rb_strcasestr_n(v + off, vl - off, name)) != NULL) {
			off = (size_t)(p - v) + tl;
			size_t k = off, as, al;
			while (k < vl && (v[k] == '"' || v[k] == ' '))
				k++;
			/* the whole name: "Ann" is not the end of "Joann" */
			if ((p > v && !strchr(" \t\",", p[-1])) ||
			    k >= vl || v[k] != '<' ||
			    next_addr(v, vl, k, &as, &al) == 0 || as != k + 1)
				continue;
			if (!only_addr(r, v + as, al, &found))
				return NULL;
		}
	}
	return found;
}

/*
 * An X.400 O/R address as a gateway writes it: attributes "key=value"
 * separated by '/' ("/G=HANS/S=MUELLER/O=ACME/PRMD=AC/ADMD=DBP/C=DE/",
 * RFC 1327's form) or ';' (Exchange's "c=US;a= ;p=Acme;o=HQ;s=Smith;"),
 * with a country and a person or common name among them.
 */
static bool
x400_shape(const char *s, size_t n)
{
	/* Exchange's address type before it: "X400:c=DE;a= ;p=..." */
	if (n > 5 && strncasecmp(s, "X400:", 5) == 0)
		s += 5, n -= 5;
	if (n < 8 || n > 256)
		return false;
	char sep = s[0] == '/' ? '/' : ';';
	size_t i = s[0] == '/' ? 1 : 0, attrs = 0;
	bool country = false, person = false;
	while (i < n) {
		size_t k = i;
		while (k < n && (isalnum((unsigned char)s[k]) || s[k] == '-'))
			k++;
		if (k == i || k - i > 8 || k >= n || s[k] != '=' ||
		    !isalpha((unsigned char)s[i]))
			return false;
		size_t kl = k - i;
		if (kl == 1 && strchr("cC", s[i]))
			country = true;
		if ((kl == 1 && strchr("sSgG", s[i])) ||
		    (kl == 2 && strncasecmp(s + i, "cn", 2) == 0))
			person = true;
		size_t v = k + 1;
		while (v < n && s[v] != sep) {
			unsigned char ch = (unsigned char)s[v];
			if (ch == '/' || ch == ';' || ch == '=' || ch == '@' ||
			    ch == '<' || ch == '>' || ch == '\t' ||
			    iscntrl(ch))
				return false;
			v++;
		}
		attrs++;
		i = v < n ? v + 1 : n;
	}
	return attrs >= 3 && country && person;
}

/*
 * A CompuServe user ID as CompuServe's own notices write it, "74321,1065":
 * its Internet address is the ID with a dot for the comma at
 * compuserve.com (74321.1065@compuserve.com).  The length of the dotted
 * local part, else 0.
 */
static size_t
cis_id(const char *s, size_t n)
{
	size_t i = 0;
	while (i < n && isdigit((unsigned char)s[i]))
		i++;
	if (i < 4 || i > 8 || i >= n || s[i] != ',')
		return 0;
	size_t k = ++i;
	while (i < n && isdigit((unsigned char)s[i]))
		i++;
	return i == n && i - k >= 1 && i - k <= 6 ? n : 0;
}

/* The value of attribute key (one letter: "s", "g") of an X.400 O/R
 * address written t[0..tl), into v and vl; false when absent. */
static bool
x400_attr(const char *t, size_t tl, char key, const char **v, size_t *vl)
{
	for (size_t i = 0; i + 2 < tl; i++) {
		if ((i > 0 && t[i - 1] != ';' && t[i - 1] != '/' &&
		     t[i - 1] != ':') ||
		    tolower((unsigned char)t[i]) != key || t[i + 1] != '=')
			continue;
		size_t b = i + 2, e = b;
		while (e < tl && t[e] != ';' && t[e] != '/')
			e++;
		while (b < e && t[b] == ' ')
			b++;
		if (e == b)
			return false;
		*v = t + b;
		*vl = e - b;
		return true;
	}
	return false;
}

/* An X.400 O/R address qualified by the returned original's To or Cc
 * entry whose display name holds both its surname (s=) and given name
 * (g=): "'X400:c=DE;...;s=Weber;g=Karl;'" and To: "Weber, Karl"
 * <k.weber@x>.  NULL when none, or more than one address fits. */
static char *
qualify_x400(struct reader *r, const char *t, size_t tl)
{
	const char *sn, *gn;
	size_t snl, gnl;
	if (!x400_attr(t, tl, 's', &sn, &snl) ||
	    !x400_attr(t, tl, 'g', &gn, &gnl) || snl < 2 || gnl < 2)
		return NULL;
	const struct rb_fields *of = original_fields(r);
	const char *snz = rb_arena_strndup(r->c->a, sn, snl);
	const char *gnz = rb_arena_strndup(r->c->a, gn, gnl);
	char *found = NULL;
	for (size_t i = 0; of != NULL && i < of->n; i++) {
		if (strcasecmp(of->v[i].name, "To") != 0 &&
		    strcasecmp(of->v[i].name, "Cc") != 0)
			continue;
		const char *v = of->v[i].value;
		size_t vl = strlen(v), off = 0, as, al, e;
		/* each address and the display name before it (since the
		 * previous address) */
		while ((e = next_addr(v, vl, off, &as, &al)) != 0) {
			const char *d = v + off;
			size_t dl = as - off;
			off = e;
			if (rb_strcasestr_n(d, dl, snz) == NULL ||
			    rb_strcasestr_n(d, dl, gnz) == NULL)
				continue;
			if (!only_addr(r, v + as, al, &found))
				return NULL;
		}
	}
	return found;
}

/* A recipient as written (t[0..tl)), qualified where that is
 * unambiguous, else flagged as written. */
static void
add_written(struct reader *r, size_t li, const char *t, size_t tl)
{
	bool name = memchr(t, ' ', tl) != NULL;
	bool at = memchr(t, '@', tl) != NULL;
	char *q = at		     ? NULL
		  : x400_shape(t, tl) ? qualify_x400(r, t, tl)
		  : name	     ? qualify_name(r, t, tl)
				     : qualify_local(r, t, tl);
	size_t e = (size_t)(t + tl - r->t);
	if (cis_id(t, tl)) {
		char *d = rb_arena_strndup(r->c->a, t, tl);
		*strchr(d, ',') = '.';
		q = qualify_local(r, d, tl);
		const char *dom = reporting_domain(r);
		const char *rb;
		size_t rbl;
		if (q == NULL && dom != NULL) {
			registered_part(dom, strlen(dom), &rb, &rbl);
			if (rbl == 14 && strncasecmp(rb, "compuserve.com", 14) == 0)
				q = rb_addr_normalize(
				    r->c->a,
				    rb_arena_printf(r->c->a, "%s@compuserve.com", d),
				    tl + 15);
		}
	}
	if (q != NULL) {
		add_cand(r, q, li, e, SCORE_MIN, NULL, false);
		return;
	}
	/* a bare local part that an address found already has: the same
	 * recipient (Sendmail's "IvanTheGreat" above its transcript's
	 * "RCPT To:<ivanthegreat@aol.com>") */
	if (!name && !at)
		for (size_t i = 0; i < r->nc; i++) {
			const char *a = r->cands[i].addr;
			const char *x = r->cands[i].written ? NULL : strchr(a, '@');
			if (x != NULL && (size_t)(x - a) == tl &&
			    strncasecmp(a, t, tl) == 0)
				return;
		}
	add_cand(r, rb_arena_strndup(r->c->a, t, tl), li, e, SCORE_MIN, NULL,
		 true);
}

/* Is s[0..n) a recipient as written: a bare local part, a display name
 * of a few words ("Smith, Robert" as a directory lists it), an address
 * that does not parse ("user@host"), or an X.400 O/R address? */
static bool
written_shape(const char *s, size_t n, bool *name)
{
	size_t words = 1;
	*name = false;
	if (x400_shape(s, n))
		return !says_failure(s, n);
	if (cis_id(s, n))
		return true;
	if (n == 0 || n > 64 || !(isalnum((unsigned char)s[0]) ||
				  (unsigned char)s[0] >= 0x80))
		return false;
	bool comma = false;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch == ' ') {
			if (++words > 4)
				return false;
			*name = true;
		} else if (ch == '@') {
			if (*name || comma)
				return false;
		} else if (ch == ',' && !comma && i > 0 && i + 2 < n &&
			   s[i + 1] == ' ' && isalpha((unsigned char)s[i - 1]) &&
			   isalpha((unsigned char)s[i + 2])) {
			comma = true;	/* "Surname, Given" */
		} else if (!rb_line_local_char(ch)) {
			return false;
		}
	}
	if (comma && !*name)
		return false;
	size_t as, al;
	return next_addr(s, n, 0, &as, &al) == 0 && !says_failure(s, n);
}

/* " on Mon, ..." / " on 6/9/2025": Exchange's date after a recipient
 * (" am 16.06.2025", " le 16/06/2025", " el ", " em ", " il ", " op " in
 * its translations). */
static bool
on_date(const char *s, size_t n)
{
	static const char *const on[] = {" am ", " le ", " el ", " em ",
					 " il ", " op ", NULL};
	if (n >= 5 && isdigit((unsigned char)s[4]))
		for (size_t i = 0; on[i]; i++)
			if (strncasecmp(s, on[i], 4) == 0)
				return true;
	if (n < 5 || strncasecmp(s, " on ", 4) != 0)
		return false;
	static const char *const days[] = {"mon", "tue", "wed", "thu", "fri",
					   "sat", "sun", NULL};
	if (isdigit((unsigned char)s[4]))
		return true;
	for (size_t i = 0; days[i]; i++)
		if (n >= 7 && strncasecmp(s + 4, days[i], 3) == 0)
			return true;
	return false;
}

/* How a list item ends after the recipient as written. */
enum tail {
	TAIL_NONE,
	TAIL_BRACKET,	/* "(user not found)", a closing quote or '>' */
	TAIL_DATE,	/* Exchange's " on <date>" and its translations */
	TAIL_TEXT,	/* "... User unknown", a column gap */
};

/* An item of a list that names no address: [*vb, *ve) of line j is the
 * recipient as written.  A display name needs its reason in brackets or
 * Exchange's date after it; a line just under an address line (its
 * reason, as qmail writes it) only counts with a reason in brackets; a
 * bare token with nothing after it only in a list of such, indented or
 * first under a banner heading (Sendmail's local "jsmith"). */
static bool
list_item(struct reader *r, size_t j, bool first, bool addrs, bool under_addr,
	  size_t *vb, size_t *ve)
{
	const char *l = LINE(r, j);
	size_t ll = LLEN(r, j), i = 0;
	while (i < ll && (l[i] == ' ' || l[i] == '\t'))
		i++;
	size_t ind = i;
	char quote = 0;
	if (i < ll && (l[i] == '<' || l[i] == '"' || l[i] == '\''))
		quote = l[i++] == '<' ? '>' : l[i - 1];
	size_t e = i;
	enum tail tail = TAIL_NONE;
	for (; e < ll && tail == TAIL_NONE; e++) {
		if ((quote && l[e] == quote) ||
		    (l[e] == '(' && e > i && (l[e - 1] == ' ' || l[e - 1] == '\t')))
			tail = TAIL_BRACKET;
		else if (on_date(l + e, ll - e))
			tail = TAIL_DATE;
		else if (l[e] == '\t' ||
			 (l[e] == ' ' && e + 2 < ll && l[e + 1] == ' ' &&
			  l[e + 2] == ' ') ||
			 (l[e] == '.' && e + 2 < ll && l[e + 1] == '.' &&
			  l[e + 2] == '.'))
			tail = TAIL_TEXT;
		else if (l[e] == ':' && e + 1 < ll && !quote)
			return false;	/* a label ("Reason: ...") */
		if (tail != TAIL_NONE)
			break;
	}
	size_t v = e;
	while (v > i && strchr(" \t:", l[v - 1]))
		v--;
	if (tail == TAIL_NONE &&
	    ((ind == 0 && !first) || addrs ||
	     (e > i && (l[e - 1] == '.' || l[e - 1] == ':'))))
		return false;	/* prose, or a line of a list of addresses */
	if (under_addr && tail != TAIL_BRACKET)
		return false;	/* the reason of the address above */
	while (v > i && l[v - 1] == '.')
		v--;
	bool name;
	if (!written_shape(l + i, v - i, &name) ||
	    (name && tail != TAIL_BRACKET && tail != TAIL_DATE))
		return false;
	/* a sentence, not a name ("The user(s) account is ...") */
	static const char *const lead[] = {"the ", "your ", "this ", "a ",
					   "an ", "our ", "no ", NULL};
	for (size_t k = 0; name && lead[k]; k++)
		if (v - i > strlen(lead[k]) &&
		    strncasecmp(l + i, lead[k], strlen(lead[k])) == 0)
			return false;
	*vb = i;
	*ve = v;
	return true;
}

/* Is line k an X.400 O/R address alone (an item of a gateway's list,
 * whose items a blank line and their reasons separate)? */
static bool
x400_line(struct reader *r, size_t k)
{
	const char *l = LINE(r, k);
	size_t ll = LLEN(r, k), i = 0;
	while (i < ll && (l[i] == ' ' || l[i] == '\t'))
		i++;
	while (ll > i && (l[ll - 1] == ' ' || l[ll - 1] == '\t'))
		ll--;
	return x400_shape(l + i, ll - i);
}

/* A heading that introduces a list of recipients without naming them
 * ("undeliverable to the following:"); "the following reason:" is not. */
static const char *const list_heads[] = {
    "to the following:", "to the following", "following:", "an folgende",
    "aux suivant", "a los siguientes", "aos seguintes", "ai seguenti",
    "以下", NULL,
};

/*
 * The list under a heading that says the delivery failed ("The message
 * that you sent was undeliverable to the following:", "did not reach the
 * following recipient(s):"), over one blank line: an item that names no
 * address ("jsmith (user not found)", "John Smith on 6/16/2025 ...", a
 * bare "jsmith") is a recipient as written, in a notice about the
 * reader's own message.  Items are the lines at the
 * list's own indentation (Exchange puts a blank line between them);
 * deeper lines are folded under an item.
 */
static void
scan_lists(struct reader *r)
{
	/* only in a notice about the reader's own message: a report that
	 * lists user names is not a bounce for them */
	if (!r->c->m->has_orig && !r->returns &&
	    !rb_line_has_any(r->sq, r->sqn, yours))
		return;
	for (size_t hi = 0; hi + 1 < r->nl; hi++) {
		const char *h = LINE(r, hi);
		size_t hl = LLEN(r, hi);
		while (hl > 0 && (h[hl - 1] == ' ' || h[hl - 1] == '\t'))
			hl--;
		if (r->lines[hi].quoted || hl == 0 || hl > 200 ||
		    !(h[hl - 1] == ':' || rb_strcasestr_n(h, hl, "following")) ||
		    !rb_line_has_any(h, hl, failure_words) ||
		    !(rb_line_has_any(h, hl, rcpt_labels) ||
		      rb_line_has_any(h, hl, list_heads)) ||
		    has_address(r, hi))
			continue;
		size_t j = hi + 1;
		if (j < r->nl && blank_line(r, j))
			j++;
		size_t first = j, ind = 0, vb, ve;
		bool addrs = false, under = false;
		/* "----- The following addresses had permanent fatal errors
		 * -----": a banner, not a sentence a line break cut */
		size_t hk = 0;
		while (hk < hl && (h[hk] == ' ' || h[hk] == '\t'))
			hk++;
		bool banner = (hl - hk >= 3 && rb_line_separator(h + hk, 3)) ||
			      (hl >= 3 && rb_line_separator(h + hl - 3, 3));
		for (size_t k = first; k < r->nl && !blank_line(r, k); k++)
			addrs |= has_address(r, k);
		for (; j < r->nl; j++) {
			if (r->lines[j].quoted)
				break;
			if (blank_line(r, j)) {
				/* the list goes on after a blank line only
				 * with another item at its indentation */
				size_t k = j + 1;
				size_t as, al;
				if (k >= r->nl || r->lines[k].quoted ||
				    blank_line(r, k) ||
				    rb_line_indent(LINE(r, k), LLEN(r, k)) != ind ||
				    !((next_addr(LINE(r, k), LLEN(r, k), 0, &as,
						 &al) != 0 &&
				       addr_leads(LINE(r, k), as)) ||
				      list_item(r, k, false, true, false, &vb,
						&ve) ||
				      x400_line(r, k)))
					break;
				under = false;
				continue;
			}
			size_t in = rb_line_indent(LINE(r, j), LLEN(r, j));
			if (j == first)
				ind = in;
			else if (in > ind)
				continue;	/* folded under the item */
			else if (in < ind)
				break;
			if (has_address(r, j)) {
				addrs = under = true;
				continue;
			}
			if (!list_item(r, j, j == first && banner, addrs, under,
				       &vb, &ve))
				continue;
			add_written(r, j, LINE(r, j) + vb, ve - vb);
		}
		/* each line is read under one heading at most: the work
		 * stays linear in the notice's size */
		if (j > hi + 1)
			hi = j - 1;
	}
}

/* Sendmail's reply about a local recipient, "550 jsmith... User
 * unknown" ("554 5.3.0 jsmith... unknown mailer error 1"): a reply code,
 * a bare local part and "...": the recipient as written, when the notice
 * names no address. */
static void
scan_local_replies(struct reader *r)
{
	for (size_t li = 0; li < r->nl && !r->overflow; li++) {
		const char *l = LINE(r, li);
		size_t ll = LLEN(r, li), i = 0;
		if (r->lines[li].quoted)
			continue;
		while (i < ll && (l[i] == ' ' || l[i] == '\t'))
			i++;
		bool reply;
		size_t k = rb_line_skip_code(l + i, ll - i, &reply);
		if (!reply || (l[i] != '4' && l[i] != '5') || l[i + 3] != ' ')
			continue;
		i += k;
		while (i < ll && l[i] == '<')
			i++;
		size_t b = i;
		while (i < ll && rb_line_local_char((unsigned char)l[i]) &&
		       l[i] != '.')
			i++;
		size_t e = i;
		if (e > b && e < ll && l[e] == '>')
			i++;
		bool name;
		if (e == b || i + 3 > ll || memcmp(l + i, "...", 3) != 0 ||
		    !written_shape(l + b, e - b, &name) || name)
			continue;
		add_written(r, li, l + b, e - b);
	}
}

/* A strong label followed by a value that is not an address ("Unknown
 * user: kijitora", "Recipient: John Smith"): when the notice names no
 * address, the recipient as written. */
static void
scan_written(struct reader *r)
{
	static const char *const strong[] = {
	    "failed recipient:", "recipient:", "recipients:",
	    "unknown user:", "user unknown:", "no such user:",
	    "invalid recipient:", "undeliverable address:",
	    "intended recipient:", "destinatario:", "destinataire:",
	    /* PMDF's and the MX mailer's (OpenVMS) "Addressee: WRUTLEDGE" */
	    "addressee:",
	    "invalid final delivery userid:", "receiver not found:",
	    "empfänger:", "收件人:", "收件人：", NULL,
	};
	for (size_t li = 0; li < r->nl && r->nc == 0; li++) {
		const char *line = LINE(r, li);
		size_t ll = LLEN(r, li);
		if (r->lines[li].quoted)
			continue;
		/* Lotus Notes: "User John Smith (John Smith/Sales/ACME@ACME)
		 * not listed in public Name & Address Book" */
		size_t w = 0;
		while (w < ll && (line[w] == ' ' || line[w] == '\t'))
			w++;
		const char *nl_at = rb_strcasestr_n(line, ll, " not listed in");
		if (nl_at != NULL && ll - w > 5 &&
		    strncasecmp(line + w, "User ", 5) == 0) {
			size_t i = w + 5, e = (size_t)(nl_at - line);
			const char *op = memchr(line + i, '(', e - i);
			if (op != NULL)
				e = (size_t)(op - line);
			while (e > i && line[e - 1] == ' ')
				e--;
			bool name;
			if (e > i && written_shape(line + i, e - i, &name)) {
				add_written(r, li, line + i, e - i);
				continue;
			}
		}
		for (const char *const *lb = strong; *lb; lb++) {
			const char *p = rb_strcasestr_n(line, ll, *lb);
			if (p == NULL)
				continue;
			size_t i = (size_t)(p - line) + strlen(*lb);
			while (i < ll && (line[i] == ' ' || line[i] == '\t' ||
					  line[i] == '<' || line[i] == '"'))
				i++;
			size_t e = ll;
			/* "jsmith (user not found)": the reason in brackets */
			const char *op = memchr(line + i, '(', ll - i);
			if (op != NULL)
				e = (size_t)(op - line);
			while (e > i && strchr(" \t>\".", line[e - 1]))
				e--;
			bool name;
			if (e <= i || !written_shape(line + i, e - i, &name))
				break;
			if (!says_failure(line, ll) && !heading_above(r, li) &&
			    !rb_line_has_any(line, ll, failure_words)) {
				/* the label alone is not enough: the notice
				 * must state the failure around it */
				size_t fe = folded_end(r, li, 3);
				if (!says_failure(line, r->lines[fe - 1].e -
							    r->lines[li].b))
					break;
			}
			add_written(r, li, line + i, e - i);
			break;
		}
	}
}

/* Is line j a field of the notice's summary of the original ("To:",
 * "Subject:", "Sent:", ...)? */
static bool
summary_field(struct reader *r, size_t j)
{
	const char *l = LINE(r, j);
	size_t ll = LLEN(r, j), k = 0;
	while (k < ll && (l[k] == ' ' || l[k] == '\t'))
		k++;
	return !r->lines[j].quoted && header_line(l + k, ll - k) && ll - k < 200;
}

/*
 * The notice's own summary of the original as the one thing it names
 * ("Your message / To: x / Subject: y / was not delivered ..."): the one
 * address of its To/Cc lines, when the summary is introduced as the
 * reader's message and followed by the failure.  A summary that names
 * more than one address names no failed recipient.
 */
static void
scan_summary(struct reader *r)
{
	for (size_t li = 0; li < r->nl; li++) {
		const char *l = LINE(r, li);
		size_t ll = LLEN(r, li), k = 0;
		while (k < ll && (l[k] == ' ' || l[k] == '\t'))
			k++;
		if (ll - k < 4 || strncasecmp(l + k, "To:", 3) != 0 ||
		    !summary_field(r, li))
			continue;
		size_t b = li, e = li + 1;
		while (b > 0 && summary_field(r, b - 1))
			b--;
		while (e < r->nl && summary_field(r, e))
			e++;
		/* introduced as the reader's message, just above */
		size_t j = b;
		while (j > 0 && b - j < 2 && blank_line(r, j - 1))
			j--;
		if (j == 0 || !rb_line_has_any(LINE(r, j - 1), LLEN(r, j - 1),
					       yours))
			return;
		/* and the failure said just below */
		j = e;
		while (j < r->nl && j - e < 2 && blank_line(r, j))
			j++;
		if (j >= r->nl ||
		    !rb_line_has_any(LINE(r, j), LLEN(r, j), failure_words))
			return;
		size_t n = 0, as = 0, al = 0, s1 = 0, l1 = 0, f1 = 0;
		for (size_t x = b; x < e; x++) {
			const char *xl = LINE(r, x);
			size_t xll = LLEN(r, x), xk = 0, off, end;
			while (xk < xll && (xl[xk] == ' ' || xl[xk] == '\t'))
				xk++;
			if (strncasecmp(xl + xk, "To:", 3) != 0 &&
			    strncasecmp(xl + xk, "Cc:", 3) != 0)
				continue;
			for (off = xk + 3;
			     (end = next_addr(xl, xll, off, &as, &al)) != 0;
			     off = end, n++)
				if (n == 0) {
					s1 = r->lines[x].b + as;
					l1 = al;
					f1 = x;
				}
		}
		if (n != 1)
			return;
		char *a = rb_addr_normalize(r->c->a, r->t + s1, l1);
		if (a != NULL && !excluded(r->c->m, a))
			add_cand(r, a, f1, s1 + l1, SCORE_MIN, NULL, false);
		return;
	}
}

/*
 * The returned original's one recipient, when the notice names none but
 * says its failure at that recipient's domain or host ("421 example.com
 * (smtp)... Deferred: Connection timed out", Sendmail V5; "Host
 * mx.example.com not found"): the mail went to one address, and the
 * failure is where that address lives.  An original with several
 * recipients names no failed recipient.
 */
/* The returned original's header fields: attached, or quoted below the
 * notice's own text ("----- Unsent message follows -----"); NULL when
 * there is none.  Parsed once. */
static const struct rb_fields *
original_fields(struct reader *r)
{
	const struct rb_mail *m = r->c->m;
	if (m->has_orig)
		return &m->orig;
	if (r->qf_done)
		return r->qf.n > 0 ? &r->qf : NULL;
	r->qf_done = true;
	const char *b = m->body + r->own, *be = m->body + m->body_len;
	const char *nl = memchr(b, '\n', (size_t)(be - b));
	if (nl == NULL || header_line(b, (size_t)(nl - b)))
		nl = b - 1;	/* no marker line: the block starts here */
	b = nl + 1;
	while (b < be && (*b == '\n' || *b == '\r'))
		b++;
	size_t used = 0;
	if (b >= be || rb_fields_parse(r->c->a, b, (size_t)(be - b),
				       &r->c->opts->limits, &r->qf, &used) < 0)
		r->qf.n = 0;
	return r->qf.n > 0 ? &r->qf : NULL;
}

struct one_rcpt {
	char *addr;
	bool many;
};

static void
one_rcpt_of(struct reader *r, const char *v, struct one_rcpt *o)
{
	size_t vl = strlen(v), off = 0, as, al, e;
	while (!o->many && (e = next_addr(v, vl, off, &as, &al)) != 0) {
		off = e;
		char *a = rb_addr_normalize(r->c->a, v + as, al);
		if (a == NULL)
			continue;
		if (o->addr != NULL && strcasecmp(o->addr, a) != 0)
			o->many = true;
		o->addr = a;
	}
}

static void
scan_original_domain(struct reader *r)
{
	const struct rb_mail *m = r->c->m;
	if (!daemon_sender(m) && !null_sender(m))
		return;
	const struct rb_fields *f = original_fields(r);
	if (f == NULL)
		return;
	struct one_rcpt o = {0};
	for (size_t i = 0; i < f->n && !o.many; i++)
		if (strcasecmp(f->v[i].name, "To") == 0 ||
		    strcasecmp(f->v[i].name, "Cc") == 0)
			one_rcpt_of(r, f->v[i].value, &o);
	if (o.addr == NULL || o.many || excluded(m, o.addr))
		return;
	const char *dom = strchr(o.addr, '@') + 1;
	size_t dl = strlen(dom);
	for (size_t li = 0; li < r->nl; li++) {
		const char *l = LINE(r, li);
		size_t ll = LLEN(r, li), off = 0;
		const char *p;
		if (r->lines[li].quoted || id_line(l, ll))
			continue;
		while ((p = rb_strcasestr_n(l + off, ll - off, dom)) != NULL) {
			size_t at = (size_t)(p - l), end = at + dl;
			off = at + 1;
			/* a host name, whole: not an address, not a longer
			 * name ("example.com.cn") */
			if ((at > 0 && (l[at - 1] == '@' ||
					(l[at - 1] != '.' &&
					 dom_char((unsigned char)l[at - 1])))) ||
			    (end < ll && dom_char((unsigned char)l[end]) &&
			     !(l[end] == '.' &&
			       !(end + 1 < ll &&
				 dom_char((unsigned char)l[end + 1])))))
				continue;
			size_t fe = folded_end(r, li, 3);
			if (!says_failure(l, r->lines[fe - 1].e - r->lines[li].b))
				continue;
			add_cand(r, o.addr, li, r->lines[li].b + end, SCORE_MIN,
				 NULL, false);
			return;
		}
	}
}

/* ---- the notice as a whole -------------------------------------------- */

/* The notice quotes permanent replies only (5xx, 5.x.x) and no
 * transient one: its failure is final whatever else it says ("550 5.2.1
 * mailbox temporarily disabled"). */
static bool
permanent_codes(const char *s, size_t n)
{
	bool five = false;
	for (size_t i = 0; i + 3 <= n; i++) {
		if ((s[i] != '4' && s[i] != '5') ||
		    (i > 0 && (isalnum((unsigned char)s[i - 1]) ||
			       s[i - 1] == '.')))
			continue;
		/* "550 " (not "450.2", a number), "5.1.1" */
		bool reply = isdigit((unsigned char)s[i + 1]) &&
			     isdigit((unsigned char)s[i + 2]) &&
			     (i + 3 == n || !isalnum((unsigned char)s[i + 3])) &&
			     !(i + 4 < n && s[i + 3] == '.' &&
			       isdigit((unsigned char)s[i + 4]));
		bool status = s[i + 1] == '.' &&
			      isdigit((unsigned char)s[i + 2]) && i + 4 < n &&
			      s[i + 3] == '.';
		/* a reply code where a reply starts: the line's start, after
		 * "said:", "(", "<<<", "#"; not a number in prose ("512 KB") */
		if (reply) {
			size_t k = i;
			while (k > 0 && (s[k - 1] == ' ' || s[k - 1] == '\t'))
				k--;
			reply = k == 0 || strchr("\n\r:([<>#\"", s[k - 1]) != NULL;
		}
		bool code = reply || status;
		if (!code)
			continue;
		if (s[i] == '4')
			return false;
		five = true;
	}
	return five;
}

static bool
is_delay(struct reader *r)
{
	const struct rb_mail *m = r->c->m;
	bool delay = rb_line_has_any(r->sq, r->sqn, delay_words) ||
		     (m->subject &&
		      rb_line_has_any(m->subject, strlen(m->subject), delay_words));
	return delay && !rb_line_has_any(r->sq, r->sqn, final_words) &&
	       !permanent_codes(r->t, r->n);
}

/*
 * A delivery system's notice that a delivery failed but names nobody in
 * its own text (Exim's local-scan rejection and "contained no
 * recipients", a notice whose list of recipients was cut away): one
 * bounce with recipient null, which VERP may still name and which never
 * suppresses anyone by itself.  Only on the strongest evidence: a
 * delivery system's From or a null sender, a bounce subject, and the
 * text saying the delivery failed.
 */
static int
nameless(struct reader *r)
{
	const struct rb_mail *m = r->c->m;
	if (!(daemon_sender(m) || null_sender(m)) || !bounce_subject_of(m) ||
	    !rb_line_has_any(r->sq, r->sqn, delivery_failed) ||
	    !(m->has_orig || rb_line_has_any(r->sq, r->sqn, yours)))
		return 0;
	struct rb_event *e = rb_ctx_add(r->c, "general", NULL);
	e->kind = is_delay(r) ? RB_KIND_DELAY : RB_KIND_BOUNCE;
	e->diagnostic = explained_paragraph(r, 0);
	if (e->diagnostic == NULL)
		e->diagnostic = failure_paragraph(r);
	return 1;
}

/*
 * The failed recipient named by the notice's own subject only, when its
 * text names nobody: "Undeliverable: bob@x", "Delivery failure: bob@x",
 * "Failed to deliver to '<bob@x>'", "Mail delivery to bob@x failed",
 * "DELIVERY FAILURE: User bob (bob@x) not listed ...".  A subject that
 * quotes the original's subject may hold any address, so only one that
 * stands alone after the notice's own prefix ("Undeliverable: bob@x"),
 * or follows "to" / "for" / "(" there, and only one address; never the
 * notice's or the original's own parties, nor an address the original's
 * subject holds.  The same evidence as nameless() otherwise.
 */
static char *
subject_rcpt(struct reader *r)
{
	const struct rb_mail *m = r->c->m;
	const char *sj = m->subject;
	if (sj == NULL || !(daemon_sender(m) || null_sender(m)) ||
	    !bounce_subject_of(m) ||
	    !rb_line_has_any(r->sq, r->sqn, delivery_failed))
		return NULL;
	size_t n = strlen(sj), as, al, e;
	if ((e = next_addr(sj, n, 0, &as, &al)) == 0 ||
	    next_addr(sj, n, e, &as, &al) != 0)
		return NULL;	/* none, or more than one */
	next_addr(sj, n, 0, &as, &al);
	/* what stands before it: blanks, quotes and brackets, then ':'
	 * (the prefix's end) or the words "to" / "for", or "(" */
	size_t b = as;
	while (b > 0 && strchr(" \t'\"<", sj[b - 1]) != NULL)
		b--;
	bool ok = b > 0 && (sj[b - 1] == ':' || sj[b - 1] == '(');
	if (!ok && b >= 3 && (sj[b - 1] == 'o' || sj[b - 1] == 'O') &&
	    (sj[b - 2] == 't' || sj[b - 2] == 'T') && sj[b - 3] == ' ')
		ok = true;
	if (!ok && b >= 4 && strncasecmp(sj + b - 4, " for", 4) == 0)
		ok = true;
	/* after it: the subject's end, or its closing quote or bracket
	 * and more words ("... to '<x>'", "(x) not listed", "x failed") */
	size_t a = as + al;
	while (a < n && strchr(">'\")", sj[a]) != NULL)
		a++;
	if (!ok || (a < n && sj[a] != ' ' && sj[a] != '\t' && sj[a] != '.' &&
		    sj[a] != ','))
		return NULL;
	char *addr = rb_addr_normalize(r->c->a, sj + as, al);
	if (addr == NULL || excluded(m, addr))
		return NULL;
	const char *os = m->has_orig ? rb_fields_get(&m->orig, "Subject")
				     : NULL;
	if (os != NULL && rb_memcasemem(os, strlen(os), addr, strlen(addr)))
		return NULL;
	return addr;
}

/*
 * A link in the notice's own text that is no delivery system's pointer
 * to its own help pages.  ISP templates end with one ("Juno members can
 * learn more at http://www.juno.com/help/", "see
 * http://postmaster.example.net"); a lure sends the reader elsewhere,
 * or to a page that carries the reader's address ("?u=alice@...") and
 * asks to act on it.  Tolerated: in a plain-text notice, a link into
 * the registered domain of the notice's own From, whose path names a
 * help page and carries no query or address.
 */
static bool
foreign_link(const struct rb_mail *m, const char *t, size_t n)
{
	const char *hit = rb_memcasemem(t, n, "://", 3);
	if (hit == NULL)
		return false;
	for (size_t i = 0; i < m->ntexts; i++)
		if (strcmp(m->texts[i].type, "text/html") == 0)
			return true;
	const char *f = m->from_addr, *at = f ? strrchr(f, '@') : NULL;
	if (at == NULL)
		return true;
	const char *rb;
	size_t rbl;
	registered_part(at + 1, strlen(at + 1), &rb, &rbl);
	static const char *const help[] = {"help", "support", "faq",
					   "postmaster", "knowledge", "/kb",
					   "learn", "error-codes", "errors",
					   "policy", "policies", "abuse",
					   "member", "customer", "hilfe",
					   "aide", "ayuda", "ajuda", "aiuto",
					   "assistenza", "soporte", "suporte",
					   "assistance", NULL};
	for (int tries = 0; hit != NULL && tries < 16; tries++) {
		size_t hb = (size_t)(hit - t) + 3, he = hb;
		while (he < n && !isspace((unsigned char)t[he]) &&
		       !strchr("/:?#>)]\"'", t[he]))
			he++;
		size_t ue = he;
		while (ue < n && !isspace((unsigned char)t[ue]) &&
		       !strchr(">)]\"'", t[ue]))
			ue++;
		const char *host = t + hb;
		size_t hl = he - hb;
		while (hl > 0 && host[hl - 1] == '.')
			hl--;
		bool own = hl >= rbl && strncasecmp(host + hl - rbl, rb, rbl) == 0 &&
			   (hl == rbl || host[hl - rbl - 1] == '.');
		if (!own || memchr(t + hb, '@', ue - hb) != NULL ||
		    memchr(t + he, '?', ue - he) != NULL ||
		    !rb_line_has_any(t + hb, ue - hb, help))
			return true;
		hit = rb_memcasemem(t + ue, n - ue, "://", 3);
	}
	return hit != NULL;
}

/* A notice of a few lines (the returned original cut away): at most
 * TERSE_LINES lines with text. */
#define TERSE_LINES 8
static bool
terse(const char *t, size_t n)
{
	size_t pos = 0, ll, k = 0;
	const char *line;
	while (rb_next_line(t, n, &pos, &line, &ll))
		if (!rb_line_blank(line, ll) && ++k > TERSE_LINES)
			return false;
	return k > 0;
}

static int
parse(struct rb_ctx *c)
{
	const struct rb_mail *m = c->m;
	struct reader r = {.c = c, .t = m->body};
	r.n = own_len(m);
	r.returns = r.n < m->body_len;
	r.own = r.n;
	if (r.n > REGION_MAX)
		r.n = REGION_MAX;
	const char *t = r.t;
	size_t n = r.n;
	bool code = rb_line_has_code(t, n);
	r.sq = rb_squeeze(c->a, t, n);
	r.sqn = strlen(r.sq);
	/* failure wording belongs in the opening of a notice */
	bool words = rb_line_has_any(r.sq, r.sqn < 8192 ? r.sqn : 8192,
				     failure_words);
	bool strong = daemon_sender(m) || bounce_subject_of(m) ||
		      rb_mail_header(m, "X-Failed-Recipients") != NULL;
	/* a delivery system's notice whose subject says the delivery failed:
	 * the subject heads its text, and a terse notice (a few lines: who
	 * failed and why, "Delivery to x failed.") says the failure there
	 * rather than in its own words */
	r.subject_heading = (daemon_sender(m) || null_sender(m)) &&
			    bounce_subject_of(m);
	/* a delivery system's From, a subject and a text that both say
	 * the delivery failed: a notice, whatever auto-reply marks it
	 * carries (Postfix and Exim mark their bounces auto-replied, and
	 * so do their rebranded and translated installations, whose local
	 * failures quote no reply code) */
	bool said = words;	/* the text's own words, not its subject's */
	bool notice = said && daemon_sender(m) && bounce_subject_of(m);
	if (!words && r.subject_heading && terse(t, n))
		words = true;
	/* or a delay notice's wording ("has been delayed", "will be
	 * retried"): a delay is read like a failure */
	if (!code && !words &&
	    !rb_line_has_any(r.sq, r.sqn < 8192 ? r.sqn : 8192, delay_words))
		return 0;
	/* a null sender alone, or an auto-reply's marks: only a notice that
	 * quotes a server's reply and says it failed.  A notice that names
	 * its failed recipients in X-Failed-Recipients is no vacation
	 * message whatever its marks say (Exim, and the translations of its
	 * templates, mark their bounces auto-replied), nor is a delivery
	 * system's delay notice whose words say nothing of a reply (Gmail's
	 * "Delivery incomplete", Exim's "Warning: message delayed") */
	bool system = rb_mail_header(m, "X-Failed-Recipients") != NULL;
	if ((!strong || (autoreply_marked(m) && !system && !notice &&
			 (!is_delay(&r) || rb_autoreply_says(c)))) &&
	    !(code && said))
		return 0;
	/* ... but then only in an MTA's own shape: a list of addresses
	 * that lead their lines ("<x>: mailbox full"); an address in
	 * prose or after a label ("target mail address: x") is not enough
	 * in an auto-reply */
	r.lead_only = !system && autoreply_marked(m) && !(code && said);
	/* phishing dressed as a notice */
	if (rb_provider_phishy(t, n))
		return 0;
	if (!code && foreign_link(m, t, n))
		return 0;
	/* a notice about the reader's own mailbox */
	if (!code && rb_line_has_any(r.sq, r.sqn, mailbox_notice) &&
	    !rb_line_has_any(r.sq, r.sqn, delivery_failed))
		return 0;
	if (!split_lines(&r))
		return 0;
	scan_addresses(&r);
	if (r.lead_only)
		goto scanned;
	scan_lists(&r);
	if (r.nc == 0)
		scan_written(&r);
	if (r.nc == 0)
		scan_local_replies(&r);
	if (r.nc == 0)
		scan_summary(&r);
	if (r.nc == 0)
		scan_original_domain(&r);
scanned:
	if (r.nc == 0 && !r.lead_only) {
		char *sa = subject_rcpt(&r);
		if (sa != NULL) {
			struct rb_event *e = rb_ctx_add(c, "general", sa);
			e->kind = is_delay(&r) ? RB_KIND_DELAY : RB_KIND_BOUNCE;
			e->diagnostic = explained_paragraph(&r, 0);
			if (e->diagnostic == NULL)
				e->diagnostic = failure_paragraph(&r);
			return 1;
		}
	}
	if (r.nc == 0)
		return r.lead_only ? 0 : nameless(&r);
	if (r.overflow || r.nc > c->opts->limits.max_recipients) {
		c->error = "too many recipients in one report";
		return 0;
	}
	bool delay = is_delay(&r);
	for (size_t i = 0; i < r.nc; i++) {
		struct cand *k = &r.cands[i];
		struct rb_event *e = rb_ctx_add(c, "general", k->addr);
		e->recipient_as_written = k->written;
		e->kind = delay ? RB_KIND_DELAY : RB_KIND_BOUNCE;
		e->diagnostic = k->diag ? k->diag : diagnostic_for(&r, k);
		if (k->orig_rcpt && strcasecmp(k->orig_rcpt, k->addr) != 0)
			e->original_recipient = k->orig_rcpt;
		if (k->diag != NULL)
			e->smtp_command = k->cmd ? k->cmd : "RCPT";
		else if (e->diagnostic != NULL)
			e->smtp_command = rb_smtp_command_find(
			    e->diagnostic, strlen(e->diagnostic));
	}
	return (int)r.nc;
}

const struct rb_module rb_mod_general = {"general", detect, parse};
