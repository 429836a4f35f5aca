/*
 * Lures dressed as delivery notices (parsers/lure.c): what counts as a
 * reply code, which words ask the reader to act, and, through
 * rb_parse_message, that a notice without delivery-system evidence that
 * asks the reader to act, or that names only its own addressee, is no
 * bounce while the same notice with the evidence is one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parsers/lure.h"
#include "parsers/mail.h"
#include "parsers/parse.h"
#include "t.h"
#include "t_parse.h"

static struct t_parsed res;

/* "kind:recipient,..." of a mail */
static void
run(const char *mail)
{
	t_parse(mail, true, &res);
}

static const struct {
	const char *s;
	bool code;
} codes[] = {
    {"550 Mailbox not found", true},
    {"host mx.example.cn said: 552 5.2.2 Mailbox full", true},
    {"英文说明: 550 User not found: x@example.cn", true},
    {"554 DT:SPM 163 smtp7", true},
    {"550-5.1.1 The email account does not exist", true},
    {"receiptor's mailbox is full(#5.5.4)", true},
    {"Status: 4.7.28", true},
    {"550 <x@example.com>: rejected", true},
    {"客服热线 400-820-8820", false},
    {"已使用 99.8%，容量 4.5 GB", false},
    {"2025-03-04 10:02:11", false},
    {"IP 192.0.2.45 blocked", false},
    {"您有 4 封来信", false},
    {"version 5.2.13.4", false},
    {"500 封邮件", false},
    {"", false},
};

static const struct {
	const char *s;
	bool link;
	bool asks;
} asks[] = {
    /* Chinese calls to act and what they want done */
    {"请立即登录并升级容量", false, true},
    {"点击此处验证并扩容", false, true},
    {"请在24小时内点击下方链接验证您的帐号", false, true},
    {"请及时查看并恢复邮件，否则将被永久删除", false, true},
    {"您的邮箱将在48小时内停止收发邮件", false, true},
    {"请回复您的邮箱帐号和密码", false, true},
    {"请使用微信扫描下方二维码完成认证", false, true},
    {"請立即驗證您的帳號", false, true},
    {"點擊此處釋放郵件", false, true},
    /* a bare click is a call only with a link, and not to help */
    {"点击查看退回的邮件", true, true},
    {"点击查看退回的邮件", false, false},
    {"如有疑问，点击查看退信帮助", true, false},
    {"点击这里报告退信", true, false},
    {"Click the link below", true, true},
    /* English lures */
    {"6 incoming messages are on hold. Release messages", false, true},
    {"Please reactivate your mailbox within 24 hours", false, true},
    {"Verify your email to keep receiving mail", false, true},
    /* what real bounces say */
    {"收件人邮箱空间不足。请联系收件人清理邮箱后重新发送。", true, false},
    {"该用户不存在。请核对收件人地址后重新发送。", true, false},
    {"请及时联系收件人核对地址。", false, false},
    {"收件人帐号已被冻结", false, false},
    {"系统将稍后重试投递，如仍失败，邮件将被退回。", false, false},
    {"The following address(es) failed: SMTP error from remote server",
     true, false},
};

#define LURE_HEAD(from, to, subject)                                           \
	"From: " from "\nTo: " to "\nSubject: " subject                        \
	"\nMessage-ID: <t@example.cn>\nMIME-Version: 1.0\n"                    \
	"Content-Type: text/plain; charset=utf-8\n\n"

static const struct {
	const char *why;
	const char *mail;
	const char *want;
} mails[] = {
    {"a Chinese bounce naming another address, with a login link: a lure",
     LURE_HEAD("Postmaster <postmaster@notice.example.top>",
	       "sales@example.cn", "系统退信")
     "抱歉，您的邮件被退回来了。\n收件人：buyer@partner.example.com\n"
     "退信原因：收件人邮箱已满\n请点击下方链接登录邮箱后重新发送：\n"
     "https://notice.example.top/login\n",
     "unknown:-"},
    {"the same bounce quoting the remote reply: a bounce",
     LURE_HEAD("Postmaster <postmaster@mail.example.cn>",
	       "sales@example.cn", "系统退信")
     "抱歉，您的邮件被退回来了。\n收件人：buyer@partner.example.com\n"
     "退信原因：收件人邮箱已满\n英文说明: 552 Mailbox is full\n",
     "bounce:buyer@partner.example.com"},
    {"a reply code copied into a lure that sends the reader to sign in",
     LURE_HEAD("Postmaster <postmaster@notice.example.top>",
	       "sales@example.cn", "系统退信")
     "抱歉，您的邮件被退回来了。\n收件人：buyer@partner.example.com\n"
     "退信原因：552 Mailbox is full\n请点击下方链接登录邮箱验证后重新发送：\n"
     "https://notice.example.top/login\n",
     "unknown:-"},
    {"a bounce with a reply code and a link to the provider's help",
     LURE_HEAD("Postmaster <postmaster@mail.example.cn>",
	       "sales@example.cn", "系统退信")
     "抱歉，您的邮件被退回来了。\n收件人：buyer@partner.example.com\n"
     "退信原因：552 Mailbox is full\n如有疑问，点击查看退信帮助：\n"
     "https://help.mail.example.cn/bounce\n",
     "bounce:buyer@partner.example.com"},
    {"the same bounce without link nor call: its words are its verdict",
     LURE_HEAD("Postmaster <postmaster@mail.example.cn>",
	       "sales@example.cn", "系统退信")
     "抱歉，您的邮件被退回来了。\n收件人：buyer@partner.example.com\n"
     "退信原因：收件人邮箱已满\n建议解决方案：请联系收件人清理邮箱。\n",
     "bounce:buyer@partner.example.com"},
    {"a notice about the owner's own full mailbox: no bounce of the owner",
     LURE_HEAD("Mail System <postmaster@mail.example.cn>",
	       "owner@example.cn", "邮箱已满")
     "owner@example.cn 邮箱已满，新来信将被退回。请删除旧邮件。\n",
     "unknown:-"},
    {"the owner's mailbox named as \"your mailbox\", sent to others (Bcc)",
     LURE_HEAD("Mail System <postmaster@mail.example.cn>",
	       "undisclosed-recipients:;", "退信通知")
     "您的邮箱 owner@example.cn 已满，新来信已被退回。\n",
     "unknown:-"},
    {"the owner notice with the server's reply for the address: a bounce",
     LURE_HEAD("Mail System <postmaster@mail.example.cn>",
	       "owner@example.cn", "退信")
     "邮件无法投递：\nowner@example.cn 邮箱已满 552 5.2.2 Mailbox full\n",
     "bounce:owner@example.cn"},
};

/* attachment field blocks and whether the mail view counts them as
 * runnable (a program, an archive or a web page) */
static const struct {
	const char *fields;
	unsigned runnable;
} attachments[] = {
    {"Content-Type: application/octet-stream; name=\"document.zip\"\n", 1},
    {"Content-Type: application/octet-stream\nContent-Disposition: "
     "attachment; filename=message.scr\n", 1},
    {"Content-Type: text/html; name=\"Undelivered.HTML\"\n", 1},
    {"Content-Type: image/svg+xml\nContent-Disposition: attachment;\n"
     " filename*=UTF-8''%E9%80%80%E4%BF%A1.svg\n", 1},
    /* 退信.html, RFC 2047 encoded */
    {"Content-Type: text/html; name=\"=?UTF-8?B?6YCA5L+hLmh0bWw=?=\"\n", 1},
    {"Content-Type: application/x-msdownload\n", 1},
    {"Content-Type: text/html; charset=utf-8\n", 0},
    {"Content-Type: application/pdf; name=\"report.pdf\"\n", 0},
    {"Content-Type: text/plain; name=\"details.txt\"\n", 0},
    {"Content-Type: application/octet-stream; name=\"returned.eml\"\n", 0},
    {"Content-Type: application/octet-stream; x-comment=\"zip.zip\"\n", 0},
};

static unsigned
runnable_in(const char *fields)
{
	char *mail = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&mail, &n);
	fprintf(f, "From: MAILER-DAEMON@example.com\nSubject: x\n"
		   "MIME-Version: 1.0\nContent-Type: multipart/mixed; "
		   "boundary=\"b\"\n\n--b\nContent-Type: text/plain\n\n"
		   "text\n--b\n%s\nAAAA\n--b--\n", fields);
	fclose(f);
	struct rb_limits lim = RB_LIMITS_DEFAULT;
	struct rb_arena a;
	struct rb_mail m;
	rb_arena_init(&a);
	rb_mail_load(&a, mail, n, &lim, &m);
	unsigned r = m.runnable_attachments;
	rb_arena_free(&a);
	free(mail);
	return r;
}

int
main(void)
{
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		T_OK(rb_lure_reply_code(codes[i].s, strlen(codes[i].s)) ==
			 codes[i].code,
		     "reply code %s in '%s'", codes[i].code ? "seen" : "not seen",
		     codes[i].s);
	for (size_t i = 0; i < sizeof(asks) / sizeof(asks[0]); i++)
		T_OK(rb_lure_asks(asks[i].s, strlen(asks[i].s), asks[i].link) ==
			 asks[i].asks,
		     "'%s'%s %s", asks[i].s, asks[i].link ? " (with a link)" : "",
		     asks[i].asks ? "asks the reader to act" : "asks nothing");

	rb_mail_global_init();
	for (size_t i = 0; i < sizeof(attachments) / sizeof(attachments[0]);
	     i++)
		T_OK(runnable_in(attachments[i].fields) ==
			 attachments[i].runnable,
		     "attachment %zu (%.*s ...): %s", i,
		     (int)strcspn(attachments[i].fields, "\n"),
		     attachments[i].fields,
		     attachments[i].runnable ? "runnable" : "not runnable");
	for (size_t i = 0; i < sizeof(mails) / sizeof(mails[0]); i++) {
		run(mails[i].mail);
		T_STR(res.got, mails[i].want, "%s", mails[i].why);
	}
	T_DONE();
}
