/*
 * The auto-reply decision (parsers/autoreply.c) through rb_parse_message:
 * the subjects and opening lines clients write in many languages, the
 * header evidence, and the mails that must not be taken for auto-replies
 * (human replies, newsletters, delivery notices).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parsers/mail.h"
#include "parsers/parse.h"
#include "t.h"
#include "t_parse.h"


/* The kinds of a mail's events, comma-separated. */
static const char *
kinds(const char *mail)
{
	static struct t_parsed r;
	t_parse(mail, false, &r);
	return r.got;
}

static char buf[16384];

static const char *
mail(const char *headers, const char *subject, const char *body)
{
	snprintf(buf, sizeof(buf),
		 "From: Person <person@example.net>\n"
		 "To: news@sender.example.org\n"
		 "Date: Tue, 01 Jul 2025 09:00:00 +0000\n"
		 "Message-ID: <t-1@example.net>\n"
		 "%sSubject: %s\n"
		 "MIME-Version: 1.0\n"
		 "Content-Type: text/plain; charset=utf-8\n"
		 "Content-Transfer-Encoding: 8bit\n\n%s\n",
		 headers, subject, body);
	return buf;
}

/* Subjects as the clients of each language write them; the text says
 * nothing, no header helps. */
static const char *const subjects[] = {
    "Automatic reply: July news", "AutoReply: July news",
    "Auto Response: July news", "Out of Office AutoReply: July news",
    "Out of Office: July news", "AUTO: Jane Roe is out of the office (returning 14/07/2025)",
    "[Auto-Reply] July news", "Re: Automatic reply: July news", "OOO: July news",
    "Vacation reply", "Automatische Antwort: Juli", "Abwesenheitsnotiz: Juli",
    "AW: Abwesend: Juli", "Réponse automatique : Juillet",
    "Absence du bureau : Juillet", "Respuesta automática: Julio",
    "Fuera de la oficina: Julio", "Risposta automatica: Luglio",
    "Resposta automática: Julho", "Automatisch antwoord: Juli",
    "Afwezig: Juli", "Odpowiedź automatyczna: Lipiec",
    "Automātiskā atbilde: Jūlijs", "Автоматический ответ: Июль",
    "Автоответ: Июль", "Automatiskt svar: Juli", "Autosvar: Juli",
    "Automatisk svar: Juli", "Automaattinen vastaus: Heinäkuu",
    "Automatická odpověď: Červenec", "Automatikus válasz: Július",
    "Otomatik yanıt: Temmuz", "Αυτόματη απάντηση: Ιούλιος",
    "תשובה אוטומטית: יולי", "رد تلقائي: يوليو",
    "Trả lời tự động: Tháng 7", "การตอบกลับอัตโนมัติ: กรกฎาคม",
    "Balasan otomatis: Juli", "自动回复: 七月", "自动答复：七月",
    "自動回覆: 七月", "自動応答: 7月", "不在通知 7月", "자동 회신: 7월",
    "[부재중] 7월", "【自动回复】七月",
};

/* Opening lines, in a reply ("Re:"), with nothing else. */
static const char *const openings[] = {
    "Hello,\n\nI am currently out of the office with limited access to email.",
    "Thank you for your email.\n\nI'm on annual leave until 21 July.",
    "This mailbox is no longer monitored. Please write to info@example.net.",
    "Guten Tag,\n\nich bin bis zum 21. Juli nicht im Büro.",
    "Bonjour,\n\nje suis absente du bureau jusqu'au 21 juillet.",
    "Hola,\n\nestoy fuera de la oficina hasta el 21 de julio.",
    "Buongiorno,\n\nsarò assente fino al 21 luglio.",
    "Olá,\n\nestou de férias até 21 de julho.",
    "Beste,\n\nik ben afwezig tot 21 juli.",
    "Dzień dobry,\n\njestem na urlopie do 21 lipca.",
    "Labdien!\n\nEsmu atvaļinājumā līdz 21. jūlijam.",
    "Здравствуйте!\n\nЯ в отпуске до 21 июля.",
    "Hej,\n\njag är på semester till den 21 juli.",
    "Hei,\n\nolen lomalla 21.7. asti.",
    "Dobrý den,\n\njsem na dovolené do 21. července.",
    "Merhaba,\n\n21 Temmuz'a kadar izindeyim.",
    "您好，我目前不在办公室，7月21日返回。",
    "您好，我正在休假中，將於7月21日返回。",
    "お世話になっております。\n\n7月21日まで不在にしております。",
    "안녕하세요.\n\n7월 21일까지 휴가 중입니다.",
};

static const struct {
	const char *why, *headers, *subject, *body, *want;
} cases[] = {
    {"RFC 3834 header alone", "Auto-Submitted: auto-replied\n", "July news",
     "See you.", "autoreply"},
    {"X-Autoreply alone", "X-Autoreply: yes\n", "July news", "See you.",
     "autoreply"},
    {"Precedence: auto_reply alone", "Precedence: auto_reply\n", "July news",
     "See you.", "autoreply"},
    {"Exchange's weak marks and an away line with the original subject",
     "X-Auto-Response-Suppress: All\nX-MS-Exchange-Inbox-Rules-Loop: "
     "person@example.net\n",
     "July news", "I will be out of the office until Monday.", "autoreply"},
    {"a text that says it is an automatic reply", "", "July news",
     "Thank you. This is an automated response to your message.",
     "autoreply"},
    {"a help desk's acknowledgement in a reply",
     "In-Reply-To: <july@sender.example.org>\n", "[#4821] Re: July news",
     "Dear customer,\n\nwe have received your request and a ticket has "
     "been created.",
     "autoreply"},
    {"a short away note with the subject kept", "", "July news",
     "I am out of the office until 14 July and will reply when I return.",
     "autoreply"},
    {"a human reply quoting the conversation",
     "In-Reply-To: <july@sender.example.org>\n", "Re: July news",
     "Hi,\n\nI am on leave next week, can we talk on the 22nd?\n\n"
     "On Mon, 30 Jun 2025, News wrote:\n> Shall we talk on Tuesday?",
     "unknown"},
    {"a human reply mentioning a holiday below its opening", "",
     "Re: July news",
     "Hi,\n\nThe layout looks fine to me and the links work.\n\n"
     "Two typos are left in the second section.\n\n"
     "I am on vacation from 20 July, please send changes before that.",
     "unknown"},
    {"a newsletter about holidays",
     "List-Unsubscribe: <mailto:u@travel.example.com>\nPrecedence: bulk\n",
     "Out of office? Ideas for your summer vacation",
     "I am on vacation in my head already. Book now.", "unknown"},
    {"an order confirmation",
     "Auto-Submitted: auto-generated\nPrecedence: bulk\n",
     "Your order 4821", "Thank you. We have received your order 4821.",
     "unknown"},
    {"a subject about an auto-insurance offer", "", "Auto-Insurance offer",
     "Save 20% on your car insurance.", "unknown"},
};

int
main(void)
{
	for (size_t i = 0; i < sizeof(subjects) / sizeof(subjects[0]); i++)
		T_STR(kinds(mail("", subjects[i], "See you.")), "autoreply",
		      "subject %s", subjects[i]);
	for (size_t i = 0; i < sizeof(openings) / sizeof(openings[0]); i++)
		T_STR(kinds(mail("", "Re: July news", openings[i])),
		      "autoreply", "opening %zu in a reply", i);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		T_STR(kinds(mail(cases[i].headers, cases[i].subject,
				 cases[i].body)),
		      cases[i].want, "%s", cases[i].why);
	/* a delivery system's notice is never an auto-reply, whatever its
	 * marks say */
	snprintf(buf, sizeof(buf),
		 "From: Mail Delivery System <MAILER-DAEMON@mx.example.com>\n"
		 "To: news@sender.example.org\nSubject: Automatic reply\n"
		 "Auto-Submitted: auto-replied\n\nI am out of the office.\n");
	T_OK(strcmp(kinds(buf), "autoreply") != 0,
	     "MAILER-DAEMON is never on vacation");
	t_rules_done();
	T_DONE();
}
