#include "lure.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "mta_provider.h"
#include "original.h"
#include "text.h"
#include "textline.h"

/* How far (bytes) after a call to act its object may follow: "点击此处
 * 验证并扩容", "请立即登录并升级容量", "请在24小时内点击下方链接验证". */
#define ACT_WINDOW 45
/* Occurrences of one call word examined (hostile text may repeat it). */
#define ACT_TRIES 32

static bool
digit(const char *s, size_t n, size_t i)
{
	return i < n && isdigit((unsigned char)s[i]);
}

bool
rb_lure_reply_code(const char *s, size_t n)
{
	for (size_t i = 0; i + 3 <= n; i++) {
		if (s[i] != '4' && s[i] != '5')
			continue;
		char prev = i > 0 ? s[i - 1] : ' ';
		if (isalnum((unsigned char)prev) || prev == '.' || prev == '-' ||
		    prev == '/' || prev == ':' || prev == '+' || prev == ',')
			continue;
		/* enhanced status: 5.1.1, 4.7.28, #5.5.4 */
		if (s[i + 1] == '.' && digit(s, n, i + 2)) {
			size_t j = i + 2;
			while (j < n && j - i < 6 && isdigit((unsigned char)s[j]))
				j++;
			if (j < n && s[j] == '.' && digit(s, n, j + 1)) {
				j++;
				size_t k = j;
				while (j < n && j - k < 3 &&
				       isdigit((unsigned char)s[j]))
					j++;
				if (!(j < n && (isdigit((unsigned char)s[j]) ||
						(s[j] == '.' &&
						 digit(s, n, j + 1)))))
					return true;
			}
			continue;
		}
		/* reply code: three digits, then a space or '-' and the
		 * reply's text (a letter, '<', '#', '(', '[', or a status) */
		if (!digit(s, n, i + 1) || !digit(s, n, i + 2) ||
		    s[i + 1] > '5')
			continue;
		size_t j = i + 3;
		if (j >= n || (s[j] != ' ' && s[j] != '-'))
			continue;
		j++;
		while (j < n && s[j] == ' ')
			j++;
		if (j >= n)
			continue;
		unsigned char c = (unsigned char)s[j];
		if (isalpha(c) || c == '<' || c == '#' || c == '(' || c == '[' ||
		    c == '"' ||
		    ((c == '4' || c == '5') && j + 1 < n && s[j + 1] == '.'))
			return true;
	}
	return false;
}

/* Calls to act: the reader is told to do something now. */
static const char *const zh_calls[] = {
    "点击", "单击", "请立即", "立即", "请及时", "请尽快", "马上", "请于",
    "请在", "请前往", "请访问", "请通过", "请登录", "请登陆",
    /* traditional */
    "點擊", "單擊", "請立即", "請及時", "請盡快", "馬上", "請於", "請在",
    "請前往", "請訪問", "請通過", "請登錄", "請登入", NULL,
};
/* What a lure wants done: sign in, verify, upgrade, release, restore. */
static const char *const zh_acts[] = {
    "登录", "登陆", "登入", "验证", "升级", "扩容", "扩充", "释放",
    "恢复", "解冻", "解除限制", "激活", "认证", "领取", "同步", "重置",
    "修改密码", "更改密码", "更新密码", "输入密码", "核实账", "核实帐",
    "确认账", "确认帐", "确认身份",
    /* traditional */
    "登錄", "驗證", "升級", "擴容", "擴充", "釋放", "恢復", "解凍",
    "啟用", "認證", "領取", "重設", "修改密碼", "更改密碼", "更新密碼",
    "輸入密碼", "核實帳", "確認帳", "確認身份", NULL,
};
/* Lures that need no call word: what no delivery system writes about a
 * failed delivery (an upgrade of the reader's quota, held mail to
 * release, the reader's password, a threat to the reader's account). */
static const char *const zh_lures[] = {
    "升级容量", "扩容", "扩充容量", "升级邮箱", "邮箱升级", "容量升级",
    "验证账户", "验证帐户", "验证账号", "验证帐号", "账号验证", "帐号验证",
    "账户验证", "帐户验证", "验证您的", "密码即将过期", "密码已过期",
    "密码过期", "释放邮件", "释放被拦截", "恢复邮件", "恢复被退回",
    "重新激活", "隔离邮件", "待释放", "滞留邮件", "邮件滞留",
    "待接收邮件", "未接收邮件", "将被永久删除", "将被删除", "将被停用",
    "将被注销", "将被冻结", "将被关闭", "将停止收发",
    "您的邮箱将", "您的账号将", "您的帐号将", "您的账户将", "您的帐户将",
    "扫码", "二维码",
    /* traditional */
    "升級容量", "擴容", "擴充容量", "升級郵箱", "郵箱升級", "容量升級",
    "驗證帳戶", "驗證帳號", "驗證賬號", "帳號驗證", "帳戶驗證", "驗證您的",
    "釋放郵件", "恢復郵件", "重新啟用", "隔離郵件",
    "滯留郵件", "將被永久刪除", "將被刪除", "將被停用", "將被註銷",
    "將被凍結", "將被關閉", "將停止收發", "您的郵箱將", "您的帳號將",
    "您的帳戶將", "掃碼", "二維碼", NULL,
};
/* English lures beyond rb_provider_phishy's. */
static const char *const en_lures[] = {
    "verify your email",   "verify your mailbox", "verify now",
    "upgrade now",	   "mailbox upgrade",	  "quota upgrade",
    "storage upgrade",	   "increase your storage", "expand your storage",
    "log in now",	   "login now",		  "sign in now",
    "unlock your",	   "your account will be", "your mailbox will be",
    "your email account will be", "scan the qr", "qr code",
    "release now", "restore now", "upgrade your storage", NULL,
};
/* The reader's password: no delivery notice asks for it or mentions it,
 * except a submission server's refusal of the sender's own login, which
 * quotes its reply code ("535 Error: 用户名或密码错误"). */
static const char *const secrets[] = {
    "密码", "密碼", "your password", NULL,
};
/* With a web link, a bare "click" is a call to act on it ... */
static const char *const link_calls[] = {
    "点击", "单击", "以下链接", "下方链接", "下面的链接", "扫码", "扫描",
    "二维码", "點擊", "單擊", "以下鏈接", "以下連結", "下方鏈接", "下方連結",
    "掃碼", "掃描", "二維碼", "click", "tap here", "button below", "link below",
    "following link", "scan the", NULL,
};
/* ... unless it leads to the provider's help or to a report of the
 * bounce itself (NetEase's 报告退信 link, "点击查看退信帮助"). */
static const char *const help_words[] = {
    "帮助", "反馈", "申诉", "举报", "报告", "投诉", "说明", "幫助", "反饋",
    "申訴", "舉報", "報告", "投訴", "說明", "help",
    "feedback", "report", NULL,
};

/* The multi-needle scan is fastest with at most 16 needles at a time. */
#define CHUNK 16

/* One of needles (NULL-terminated) in s[0..n), any case. */
static bool
any_of(const char *s, size_t n, const char *const *needles)
{
	size_t k = 0;
	while (needles[k])
		k++;
	return rb_memcasemem_any(s, n, needles, k);
}

/* Any byte outside ASCII (Chinese words need one). */
static bool
eight_bit(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80)
			return true;
	return false;
}

struct follow {
	const char *s;
	size_t n;
	const char *const *calls;	/* the chunk scanned */
	const char *const *objs;
	bool want;		/* an object must (or must not) follow */
	int tries;
	bool found;
};

static bool
follow_hit(void *ctx, const char *where, size_t k)
{
	struct follow *f = ctx;
	if (++f->tries > ACT_TRIES)
		return true;	/* hostile repetition: give up */
	size_t b = (size_t)(where - f->s) + strlen(f->calls[k]);
	size_t e = f->n - b > ACT_WINDOW ? b + ACT_WINDOW : f->n;
	if (any_of(f->s + b, e - b, f->objs) == f->want) {
		f->found = true;
		return true;
	}
	return false;
}

/* A call (one of calls) followed within ACT_WINDOW bytes by one of objs
 * (want) or by none of them (!want). */
static bool
call_then(const char *s, size_t n, const char *const *calls,
	  const char *const *objs, bool want)
{
	size_t k = 0;
	while (calls[k])
		k++;
	for (size_t i = 0; i < k; i += CHUNK) {
		struct follow f = {.s = s, .n = n, .calls = calls + i,
				   .objs = objs, .want = want};
		rb_memcasemem_each(s, n, calls + i,
				   k - i < CHUNK ? k - i : CHUNK, follow_hit,
				   &f);
		if (f.found)
			return true;
	}
	return false;
}

/* A call to act that no delivery system writes, reply code or not. */
static bool
asks_to_act(const char *s, size_t n)
{
	if (rb_provider_phishy(s, n) || any_of(s, n, en_lures))
		return true;
	return eight_bit(s, n) &&
	       (any_of(s, n, zh_lures) || call_then(s, n, zh_calls, zh_acts, true));
}

bool
rb_lure_asks(const char *s, size_t n, bool link)
{
	if (s == NULL || n == 0)
		return false;
	/* with a link, a bare "click" not leading to help */
	if (link && call_then(s, n, link_calls, help_words, false))
		return true;
	return asks_to_act(s, n) || any_of(s, n, secrets);
}

/* Is addr one of the addresses of the To field (whole, any case)? */
static bool
addressee(const char *to, const char *addr)
{
	size_t tl = strlen(to), al = strlen(addr), off = 0;
	if (al == 0)
		return false;
	while (off < tl) {
		const char *p = rb_memcasemem(to + off, tl - off, addr, al);
		if (p == NULL)
			return false;
		size_t b = (size_t)(p - to), e = b + al;
		bool lb = b == 0 || !(rb_line_local_char((unsigned char)to[b - 1]));
		bool rb = e == tl || !(isalnum((unsigned char)to[e]) ||
				       to[e] == '.' || to[e] == '-');
		if (lb && rb)
			return true;
		off = b + 1;
	}
	return false;
}

/* Words that introduce the reader's own mailbox: "您的邮箱 x@y 容量已满". */
static const char *const yours[] = {
    "您的邮箱", "你的邮箱", "您的账号", "您的帐号", "您的账户", "您的帐户",
    "您的郵箱", "您的帳號", "您的帳戶", "your mailbox", "your account",
    "your email account", "your email address", "your e-mail", NULL,
};
/* How far before the address such words may stand (bytes). */
#define YOURS_WINDOW 24

/* Is addr the reader's own mailbox: an addressee of the mail (To, Cc),
 * or introduced as "your mailbox" where the text first names it?  (Not
 * X-Original-To: DragonFly's bounces carry the failed recipient's.) */
static bool
readers_own(const struct rb_mail *m, const char *addr, size_t own)
{
	if (m->to != NULL && addressee(m->to, addr))
		return true;
	const char *cc = rb_mail_header(m, "Cc");
	if (cc != NULL && addressee(cc, addr))
		return true;
	const char *p = rb_memcasemem(m->body, own, addr, strlen(addr));
	if (p == NULL)
		return false;
	size_t at = (size_t)(p - m->body);
	size_t b = at > YOURS_WINDOW ? at - YOURS_WINDOW : 0;
	return any_of(m->body + b, at - b, yours);
}

/*
 * A returned original quoted as text below the notice (Exim's "This is a
 * copy of the message, including all the headers"), whose header block
 * says the notice's own addressee sent it: a delivery system returning a
 * mail to its sender, who may also be the failed recipient (mail to
 * one's own full mailbox).  Only the header block right after the
 * marker is read, at most 8 KiB.
 */
static bool
returned_own_mail(const struct rb_mail *m)
{
	size_t mk, pos;
	if (m->to == NULL || m->body == NULL ||
	    !rb_original_marker(m->body, m->body_len, &mk, &pos))
		return false;
	size_t end = m->body_len - pos > 8192 ? pos + 8192 : m->body_len;
	bool in_block = false;
	while (pos < end) {
		const char *l = m->body + pos;
		const char *nl = memchr(l, '\n', end - pos);
		size_t ll = nl ? (size_t)(nl - l) : end - pos;
		pos += ll + 1;
		if (ll > 0 && l[ll - 1] == '\r')
			ll--;
		if (ll == 0) {
			if (in_block)
				return false;	/* the header block ended */
			continue;
		}
		in_block = true;
		if (ll <= 5 || strncasecmp(l, "From:", 5) != 0)
			continue;
		/* the address in the From line, matched as the addressee */
		for (size_t i = 5; i < ll; i++) {
			if (l[i] != '@')
				continue;
			size_t b = i, e = i + 1;
			while (b > 5 && rb_line_local_char((unsigned char)l[b - 1]))
				b--;
			while (e < ll && (isalnum((unsigned char)l[e]) ||
					  l[e] == '.' || l[e] == '-'))
				e++;
			if (b == i || e == i + 1 || e - b > 255)
				return false;
			char from[256];
			memcpy(from, l + b, e - b);
			from[e - b] = '\0';
			return addressee(m->to, from);
		}
		return false;
	}
	return false;
}

/* Delivery-system evidence: a delivery-status part, a returned original,
 * X-Failed-Recipients (structural), or a reply code or enhanced status
 * for a failed recipient (in its diagnostic, or in the notice's own
 * text: a lure can copy one). */
enum evidence { NONE, CODE, STRUCTURE };

static bool
structure(const struct rb_mail *m)
{
	return m->dsn != NULL || m->has_orig ||
	       rb_mail_header(m, "X-Failed-Recipients") != NULL;
}

static enum evidence
evidence(const struct rb_mail *m, const struct rb_event *ev, size_t n,
	 size_t own)
{
	for (size_t i = 0; i < n; i++) {
		const struct rb_event *e = &ev[i];
		if (e->kind != RB_KIND_BOUNCE && e->kind != RB_KIND_DELAY)
			continue;
		if (e->status != NULL || e->smtp_code != NULL)
			return CODE;
		if (e->diagnostic != NULL &&
		    rb_lure_reply_code(e->diagnostic, strlen(e->diagnostic)))
			return CODE;
	}
	return rb_lure_reply_code(m->body, own) ? CODE : NONE;
}

bool
rb_lure_mail(const struct rb_mail *m, const struct rb_event *ev, size_t n)
{
	size_t failed = 0;
	for (size_t i = 0; i < n; i++)
		if (ev[i].kind == RB_KIND_BOUNCE || ev[i].kind == RB_KIND_DELAY)
			failed++;
	if (failed == 0)
		return false;
	if (structure(m))
		return false;
	/* a program, an archive or a web page attached where a delivery
	 * system would return the original as a message part */
	if (m->runnable_attachments > 0)
		return true;
	size_t own = rb_mail_own_len(m);
	enum evidence evi = evidence(m, ev, n, own);
	bool link = m->web_links > 0 ||
		    rb_memcasemem(m->body, own, "://", 3) != NULL ||
		    rb_strcasestr_n(m->body, own, "www.") != NULL;
	/* a reply code copied into a lure: still a lure when it sends the
	 * reader to a web page to sign in, verify, upgrade, release ... */
	if (evi == CODE)
		return link && asks_to_act(m->body, own);
	size_t owner = 0;
	for (size_t i = 0; i < n; i++)
		if ((ev[i].kind == RB_KIND_BOUNCE ||
		     ev[i].kind == RB_KIND_DELAY) &&
		    ev[i].recipient != NULL &&
		    readers_own(m, ev[i].recipient, own))
			owner++;
	if (owner == failed)
		return link || !returned_own_mail(m) ||
		       rb_lure_asks(m->body, own, false);
	return rb_lure_asks(m->body, own, link) ||
	       (m->subject != NULL &&
		rb_lure_asks(m->subject, strlen(m->subject), false));
}
