/*
 * Chinese providers: every rule of etc/rules/15-cn.rules wins
 * for its own example line in the full built-in rule set and classifies
 * as declared; host scoping; no rate, quota, content or reputation rule
 * can make an address hard or a suppressing complaint; remote-MTA
 * extraction; charset decoding; the Chinese NDR module.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parsers/charset.h"
#include "parsers/mail.h"
#include "parsers/parse.h"
#include "parsers/reason.h"
#include "parsers/rhost.h"
#include "parsers/rules.h"
#include "parsers/status.h"
#include "reports/provider.h"
#include "core/event.h"
#include "core/policy.h"
#include "t.h"

/* One MX name per provider: a host-scoped rule is tried with each until
 * its own scope accepts one. */
static const char *const hosts[] = {
    "mx3.qq.com",		 "mxbiz1.qq.com",
    "163mx01.mxmail.netease.com", "qiye163mx01.mxmail.netease.com",
    "mxw.mxhichina.com",	 "mx1.qiye.aliyun.com",
    "smtpdm.aliyun.com",	 "freemx1.sinamail.sina.com.cn",
    "sohumx1.sohu.com",		 "mx.163.net",
    NULL,
};

/* Reasons that speak about the sender (rate, quota, content,
 * reputation, authentication), never about the address. */
static const char *const sender_side[] = {
    "toomanyconn",   "speeding",     "spamdetected", "contenterror",
    "blocked",	     "badreputation", "authfailure", "syntaxerror",
    "mesgtoobig",    "requireptr",   "securityerror", NULL,
};
/* Inferred feedback types that must never suppress. */
static const char *const signal_only[] = {"content-denied", "list-hygiene",
					  NULL};

static int
in(const char *s, const char *const *list)
{
	for (size_t i = 0; s && list[i]; i++)
		if (strcmp(s, list[i]) == 0)
			return 1;
	return 0;
}

static char *
slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	char *buf = malloc(1 << 20);
	*n = fread(buf, 1, (1 << 20) - 1, f);
	buf[*n] = '\0';
	fclose(f);
	return buf;
}

static void
test_rules(void)
{
	struct rb_limits lim = RB_LIMITS_DEFAULT;
	char *err = NULL;
	size_t n;
	char *text = slurp("etc/rules/15-cn.rules", &n);
	T_OK(text != NULL, "read etc/rules/15-cn.rules");
	if (text == NULL)
		return;
	struct rb_rules *cn = rb_rules_load(text, n, "15-cn.rules", &lim, &err);
	T_OK(cn != NULL, "15-cn.rules loads (%s)", err ? err : "ok");
	struct rb_rules *all = rb_rules_default(&lim, &err);
	T_OK(all != NULL, "built-in rules load (%s)", err ? err : "ok");
	if (cn == NULL || all == NULL)
		return;
	T_OK(cn->n >= 80, "15-cn.rules has %zu rules", cn->n);
	struct rb_policy pol;
	rb_policy_default(&pol);
	struct rb_arena a;
	rb_arena_init(&a);
	size_t dn;
	char *doc = slurp("docs/cn.md", &dn);
	T_OK(doc != NULL, "read docs/cn.md");
	for (size_t i = 0; i < cn->n; i++) {
		const struct rb_rule *r = &cn->v[i];
		if (doc != NULL) {
			char want[160];
			snprintf(want, sizeof(want), "| `%s` |", r->name);
			T_OK(strstr(doc, want) != NULL,
			     "%s: listed in docs/cn.md", r->name);
		}
		const char *host = NULL;
		if (r->host != NULL) {
			for (size_t h = 0; hosts[h] && host == NULL; h++) {
				const struct rb_rule *m = rb_rules_match(
				    cn, r->field, r->example,
				    strlen(r->example), hosts[h]);
				if (m == r)
					host = hosts[h];
			}
			T_OK(host != NULL, "%s: its host scope accepts one of "
					   "the provider MXs", r->name);
		}
		const struct rb_rule *m = rb_rules_match(
		    all, r->field, r->example, strlen(r->example), host);
		T_STR(m ? m->name : NULL, r->name,
		      "%s: wins for its example in the full rule set",
		      r->name);
		/* the whole classification, as parse.c runs it */
		char *st = rb_status_find(&a, r->example, strlen(r->example));
		char *code =
		    rb_smtp_code_find(&a, r->example, strlen(r->example));
		struct rb_classified cl;
		rb_reason_classify(all, st ? st : "5.0.0", code, r->example,
				   host, NULL, &cl);
		T_STR(cl.reason, r->reason, "%s: reason %s", r->name,
		      r->reason);
		if (r->hard >= 0)
			T_OK(cl.hard == r->hard, "%s: hard %s", r->name,
			     r->hard ? "yes" : "no");
		if (cl.rule && strcmp(cl.rule, "status") != 0)
			T_STR(cl.feedback, r->feedback, "%s: feedback",
			      r->name);
		/* sender-side reasons never make an address hard and never
		 * become a suppressing complaint */
		if (in(r->reason, sender_side)) {
			T_OK(r->hard != 1 && cl.hard == 0,
			     "%s: %s is never hard", r->name, r->reason);
			T_OK(r->feedback == NULL ||
				 in(r->feedback, signal_only),
			     "%s: no suppressing feedback type", r->name);
		}
		/* the default policy (core/policy.c) on the event this rule
		 * makes: sender-side reasons and signal-only feedback types
		 * never suppress; rejected-by-recipient does */
		struct rb_event ev;
		memset(&ev, 0, sizeof(ev));
		ev.kind = r->feedback ? RB_KIND_COMPLAINT : RB_KIND_BOUNCE;
		ev.reason = cl.reason;
		ev.hard = cl.hard;
		ev.feedback_type = cl.feedback;
		char why[128];
		enum rb_pclass pc = rb_policy_classify(&pol, &ev, why,
						       sizeof(why));
		if (in(r->reason, sender_side) ||
		    in(r->feedback, signal_only))
			T_OK(pc == RB_PC_NONE, "%s: never suppresses (%s)",
			     r->name, why);
		if (r->feedback && !strcmp(r->feedback,
					    "rejected-by-recipient"))
			T_OK(pc == RB_PC_COMPLAINT, "%s: suppresses (%s)",
			     r->name, why);
		if (!strcmp(r->reason, "userunknown"))
			T_OK(pc == RB_PC_HARD, "%s: hard suppression (%s)",
			     r->name, why);
		if (r->feedback != NULL)
			T_OK(in(r->feedback, signal_only) ||
				 strcmp(r->feedback,
					"rejected-by-recipient") == 0,
			     "%s: feedback type %s is documented", r->name,
			     r->feedback);
	}

	free(doc);
	/* host scoping: provider wording elsewhere is not the provider's */
	static const struct {
		const char *diag, *host, *reason;
	} scoped[] = {
	    {"550 Mailbox unavailable or access denied", "mx3.qq.com",
	     "speeding"},
	    /* elsewhere generic wording, and with no SMTP stage nothing
	     * says a filter refused it: the address */
	    {"550 Mailbox unavailable or access denied", "mx.example.org",
	     "userunknown"},
	    {"550 Connection denied", "mx1.qq.com", "blocked"},
	    {"550 User in blacklist", "126mx02.mxmail.netease.com",
	     "rejected"},
	    {"553 5.7.1 SENDER REJECT", "sohumx1.sohu.com (203.0.113.1)",
	     "rejected"},
	    {"550 Mail is rejected by recipients", "mx3.qq.com.evil.example",
	     NULL},
	    /* ids and codes identify the provider without a host */
	    {"550 Ip frequency limited [dGVzdA== IP: 192.0.2.1]", NULL,
	     "toomanyconn"},
	    {"550 whatever https://service.mail.qq.com/detail/122/175", NULL,
	     "toomanyconn"},
	    {"554 HL:ITC qiye163 mx1,ABC--.1S2 1728964799", NULL,
	     "toomanyconn"},
	    {"550 MI:STC 163 mx3,xyz", NULL, "toomanyconn"},
	    {"550 RP:ORQ", NULL, "toomanyconn"},
	    {"421 HL:ICC 163 mx21", NULL, "toomanyconn"},
	};
	for (size_t i = 0; i < sizeof(scoped) / sizeof(scoped[0]); i++) {
		struct rb_classified cl;
		rb_reason_classify(all, "5.0.0", "550", scoped[i].diag,
				   scoped[i].host, NULL, &cl);
		if (scoped[i].reason)
			T_STR(cl.reason, scoped[i].reason, "'%s' at %s",
			      scoped[i].diag,
			      scoped[i].host ? scoped[i].host : "(no host)");
		else
			T_OK(cl.feedback == NULL,
			     "'%s' at %s is no complaint", scoped[i].diag,
			     scoped[i].host);
	}
	rb_arena_free(&a);
	rb_rules_free(cn);
	rb_rules_free(all);
	free(text);
}

static void
test_rhost(void)
{
	static const struct {
		const char *text, *rcpt, *want;
	} t[] = {
	    {"host mx3.qq.com[203.0.113.1] said: 550 Mailbox not found", NULL,
	     "mx3.qq.com"},
	    {"<a@qq.example.com>: host MX3.QQ.COM[203.0.113.1] said: 550 x\n"
	     "<b@163.example.com>: host 163mx01.mxmail.netease.com[203.0.113.2]"
	     " said: 550 User not found",
	     "b@163.example.com", "163mx01.mxmail.netease.com"},
	    {"  a@x.example\n    host mx.x.example [192.0.2.1]\n    SMTP error",
	     "a@x.example", "mx.x.example"},
	    {"lost connection with mx2.qq.com[184.105.206.86] while performing "
	     "the HELO handshake",
	     NULL, "mx2.qq.com"},
	    {"... while talking to mx1.example.org.:\n>>> DATA", NULL,
	     "mx1.example.org"},
	    {"the host is down [really]", NULL, NULL},
	    {"host localhost[127.0.0.1] said: 550", NULL, NULL},
	};
	struct rb_arena a;
	rb_arena_init(&a);
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		T_STR(rb_remote_mta_find(&a, t[i].text, strlen(t[i].text),
					 t[i].rcpt),
		      t[i].want, "remote MTA %zu", i);
	rb_arena_free(&a);
}

static void
test_charset(void)
{
	struct rb_arena a;
	rb_arena_init(&a);
	T_STR(rb_charset_override("GB2312"), "GB18030", "gb2312 -> GB18030");
	T_STR(rb_charset_override("\"x-gbk\""), "GB18030", "x-gbk");
	T_STR(rb_charset_override("unicode-1-1-utf-7"), "UTF-7", "utf-7 alias");
	T_STR(rb_charset_override("utf-8"), NULL, "utf-8 left to gmime");
	/* 系统退信 in GB2312, and 镕 (GBK only) + 䶮 (4-byte GB18030) */
	T_STR(rb_charset_header_decode(&a, "=?gb2312?B?z7XNs83L0MU=?="),
	      "系统退信", "RFC 2047 gb2312 subject");
	T_STR(rb_charset_header_decode(
		  &a, "=?gb2312?B?wLTX1HFxLmNvbbXEzcvQxQ==?="),
	      "来自qq.com的退信", "QQ NDR subject");
	T_STR(rb_charset_header_decode(&a, "=?GB2312?Q?=E9F?= =?gbk?B?/p+VMoI2?= x"),
	      "镕䶮𠀀 x", "GBK and GB18030 characters under gb2312/gbk labels");
	T_STR(rb_charset_header_decode(&a, "=?utf-8?B?5rWL?="), NULL,
	      "utf-8 words are gmime's");
	/* 自动回复：我正在休假 split inside 回 across two words, then joined */
	T_STR(rb_charset_header_decode(
		  &a, "=?gb2312?B?19S2r7s=?= =?gb2312?B?2Li0o7rO0tX91NrQ3bzZ?="),
	      "自动回复：我正在休假", "a character split across two words");
	T_STR(rb_charset_join_words(
		  &a, "=?utf-8?B?5rU=?=\r\n =?UTF-8?B?iw==?= x =?utf-8?Q?a?="),
	      "=?utf-8?B?5rWL?= x =?utf-8?Q?a?=",
	      "joined across a fold, charset names compared without case");
	T_STR(rb_charset_join_words(&a, "=?utf-8?Q?a=C3?= =?utf-8?Q?=A9b?="),
	      "=?utf-8?Q?a=C3=A9b?=", "Q words joined as they are");
	T_STR(rb_charset_join_words(
		  &a, "=?utf-8?B?5rU=?= =?gb2312?B?z7U=?= =?bogus"),
	      "=?utf-8?B?5rU=?= =?gb2312?B?z7U=?= =?bogus",
	      "other charsets and a broken word left alone");
	size_t n;
	const char *u7 = "+ZeBs1U8gkBJSME7lTgtlNk72Tro- neko";
	T_STR(rb_charset_decode(&a, "UTF-7", u7, strlen(u7), &n),
	      "无法传递到以下收件人 neko", "UTF-7 body");
	const char bad[] = "\x81\x30 ok";	/* truncated 4-byte sequence */
	char *s = rb_charset_decode(&a, "GB18030", bad, sizeof(bad) - 1, &n);
	T_OK(strstr(s, "ok") != NULL && strstr(s, "\xef\xbf\xbd") != NULL,
	     "invalid GB18030 bytes become U+FFFD (%s)", s);
	rb_arena_free(&a);
}

static void
test_mail_views(void)
{
	struct rb_limits lim = RB_LIMITS_DEFAULT;
	static const struct {
		const char *file, *needle, *subject;
	} t[] = {
	    {"tests/fixtures/cn-windows-utf7.eml", "传递到以下收件人失败", NULL},
	    {"tests/fixtures/cn-netease-ndr-gb2312.eml", "镕喆会员日",
	     "系统退信"},
	    {"tests/fixtures/cn-qq-ndr.eml", "无法发送到 dead@partner",
	     "来自qq.com的退信"},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		size_t n;
		char *buf = slurp(t[i].file, &n);
		T_OK(buf != NULL, "read %s", t[i].file);
		if (buf == NULL)
			continue;
		struct rb_arena a;
		rb_arena_init(&a);
		struct rb_mail m;
		T_OK(rb_mail_load(&a, buf, n, &lim, &m) == 0, "load %s",
		     t[i].file);
		T_OK(strstr(m.body, t[i].needle) != NULL, "%s: body has %s",
		     t[i].file, t[i].needle);
		if (t[i].subject)
			T_STR(m.subject, t[i].subject, "%s: subject",
			      t[i].file);
		rb_arena_free(&a);
		free(buf);
	}
}

/* The provider dimension of reports knows these providers, from the
 * remote MTA and from the recipient domain; an inferred complaint is
 * attributed to the provider that rejected, not to the sender's MTA. */
static void
test_providers(void)
{
	static const struct {
		const char *remote, *rcpt;
		bool complaint;
		const char *want;
	} t[] = {
	    {"mx3.qq.com", "neko@qq.com", false, "QQ Mail"},
	    {NULL, "neko@foxmail.com", false, "QQ Mail"},
	    {"mxbiz1.qq.com", "staff@corp.example.cn", false,
	     "Tencent Exmail"},
	    {"163mx01.mxmail.netease.com", "a@163.com", false, "NetEase"},
	    {"qiye163mx01.mxmail.netease.com", "a@corp.example.cn", false,
	     "NetEase"},
	    {NULL, "a@126.com", false, "NetEase"},
	    {NULL, "a@yeah.net", false, "NetEase"},
	    {"mxw.mxhichina.com", "a@corp.example.cn", false, "Aliyun Mail"},
	    {"mx1.qiye.aliyun.com", "a@corp.example.cn", false,
	     "Aliyun Mail"},
	    {"freemx1.sinamail.sina.com.cn", "a@sina.com", false, "Sina"},
	    {"sohumx1.sohu.com", "a@sohu.com", false, "Sohu"},
	    /* inferred complaint: the DSN came from the sender's own MTA */
	    {"mx3.qq.com", "blocked-me@qq.example.com", true, "QQ Mail"},
	};
	struct rb_arena a;
	rb_arena_init(&a);
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct rb_provider_signals s = {
		    .reporting_mta = t[i].complaint ? "mta1.edm.example.com"
						    : NULL,
		    .report_message_id =
			t[i].complaint ? "x@mta1.edm.example.com" : NULL,
		    .remote_mta = t[i].remote,
		    .recipient = t[i].rcpt,
		};
		T_STR(rb_provider_identify(&a, &s, t[i].complaint), t[i].want,
		      "provider of %s / %s", t[i].remote ? t[i].remote : "-",
		      t[i].rcpt);
	}
	rb_arena_free(&a);
}

/* Every event of every cn fixture, through the parser and the default
 * policy: which addresses would be suppressed. */
static void
test_fixtures_policy(void)
{
	static const struct {
		const char *file, *rcpt;
		enum rb_pclass want;
	} t[] = {
	    {"cn-postfix-qq", "blocked-me@qq.example.com", RB_PC_COMPLAINT},
	    {"cn-postfix-qq", "gone@qq.example.com", RB_PC_HARD},
	    {"cn-postfix-qq", "busy@qq.example.com", RB_PC_NONE},
	    {"cn-postfix-netease-noremote", "nobody@163.example.com",
	     RB_PC_HARD},
	    {"cn-postfix-netease-noremote", "frozen@126.example.com",
	     RB_PC_SOFT},
	    {"cn-postfix-netease-noremote", "quota@yeah.example.net",
	     RB_PC_NONE},
	    {"cn-postfix-netease-delay", "reader@126.example.com", RB_PC_NONE},
	    {"cn-exim-netease", "spam@163.example.com", RB_PC_NONE},
	    {"cn-exim-netease", "daily@qiye.example.cn", RB_PC_NONE},
	    {"cn-powermta-mixed", "lost@aliyun.example.com", RB_PC_HARD},
	    {"cn-powermta-mixed", "ip@sohu.example.com", RB_PC_NONE},
	    {"cn-powermta-mixed", "content@qq.example.com", RB_PC_NONE},
	    {"cn-powermta-mixed", "staff@exmail.example.cn", RB_PC_NONE},
	    {"cn-powermta-mixed", "rep@sina.example.com", RB_PC_NONE},
	    {"cn-qq-ndr", "dead@partner.example.net", RB_PC_HARD},
	    {"cn-netease-ndr-gb2312", "nouser@coremail.example.edu.cn",
	     RB_PC_HARD},
	    {"cn-windows-utf7", "spf@qq.example.com", RB_PC_NONE},
	    {"cn-exim-text-qq", "protected@qq.example.com", RB_PC_NONE},
	    {"cn-postfix-content", "words@qq.example.com", RB_PC_NONE},
	    {"cn-postfix-content", "header@exmail.example.cn", RB_PC_NONE},
	    {"cn-postfix-content", "filter@coremail.example.edu.cn",
	     RB_PC_NONE},
	    {"cn-postfix-aliyun-antispam", "spf@aliyun.example.cn", RB_PC_NONE},
	    {"cn-postfix-aliyun-antispam", "other@aliyun.example.cn",
	     RB_PC_NONE},
	    {"cn-postfix-submission", "friend1@partner.example.net",
	     RB_PC_NONE},
	    {"cn-postfix-submission", "friend2@partner.example.net",
	     RB_PC_NONE},
	    {"cn-postfix-submission", "friend4@partner.example.net",
	     RB_PC_NONE},
	    {"cn-postfix-host-checks-delay", "helo@sina.example.com",
	     RB_PC_NONE},
	    {"cn-postfix-host-checks-delay", "unknown@sina.example.com",
	     RB_PC_NONE},
	    {"cn-postfix-legacy-coremail", "gone@163.net", RB_PC_HARD},
	    {"cn-postfix-legacy-coremail", "frozen@163.net", RB_PC_SOFT},
	    {"cn-postfix-legacy-coremail", "full@163.net", RB_PC_SOFT},
	    {"cn-postfix-legacy-coremail", "closed@21cn.example.com",
	     RB_PC_SOFT},
	};
	struct rb_limits lim = RB_LIMITS_DEFAULT;
	char *err = NULL;
	struct rb_rules *rules = rb_rules_default(&lim, &err);
	struct rb_parse_opts o;
	rb_parse_opts_default(&o);
	o.rules = rules;
	struct rb_policy pol;
	rb_policy_default(&pol);
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char path[256];
		snprintf(path, sizeof(path), "tests/fixtures/%s.eml", t[i].file);
		size_t n;
		char *buf = slurp(path, &n);
		if (buf == NULL) {
			T_OK(0, "read %s", path);
			continue;
		}
		struct rb_arena a;
		rb_arena_init(&a);
		struct rb_events ev;
		rb_events_init(&ev, &a);
		rb_parse_message(&a, buf, n, &o, &ev);
		const struct rb_event *e = NULL;
		for (size_t k = 0; k < ev.n; k++)
			if (ev.v[k].recipient &&
			    !strcmp(ev.v[k].recipient, t[i].rcpt))
				e = &ev.v[k];
		T_OK(e != NULL, "%s: event for %s", t[i].file, t[i].rcpt);
		if (e != NULL) {
			char why[128];
			enum rb_pclass pc =
			    rb_policy_classify(&pol, e, why, sizeof(why));
			T_OK(pc == t[i].want, "%s: %s -> %s (%s)", t[i].file,
			     t[i].rcpt, rb_pclass_name(t[i].want), why);
			if (in(e->reason, sender_side) ||
			    in(e->feedback_type, signal_only))
				T_OK(pc == RB_PC_NONE,
				     "%s: %s (%s) never suppresses", t[i].file,
				     t[i].rcpt, e->reason);
		}
		rb_arena_free(&a);
		free(buf);
	}
	rb_rules_free(rules);
}

/* The text after Aliyun's ANTISPAM tag decides the reason and names the
 * sub-reason; the classes of provider replies land in their family;
 * wording the rules tie to a provider's hosts is not the provider's
 * elsewhere. */
static void
test_families(void)
{
	static const struct {
		const char *diag, *host, *stage, *reason, *sub, *family;
		int hard;
	} t[] = {
	    {"554 Reject by behaviour spam at Rcpt State(Connection IP "
	     "address:192.0.2.1)ANTISPAM_BAT[01201311R1, e01]: dmarc check "
	     "failed",
	     "mxw.mxhichina.com", NULL, "authfailure", "antispam:auth",
	     "authentication", 0},
	    {"454 Transient reject by behaviour spam at DATA State "
	     "(Connection IP address:192.0.2.1) ANTISPAM_BAT[x]: too "
	     "frequently sending",
	     NULL, NULL, "toomanyconn", "antispam:rate", "rate", 0},
	    {"554 Reject by behaviour spam at Rcpt State(Connection IP "
	     "address:*)ANTISPAM_BAT[]: sender ip in black list",
	     NULL, NULL, "blocked", "antispam:blacklist", "reputation", 0},
	    {"554 ANTISPAM_BAT[01201311R99]: abnormal sending behaviour", NULL,
	     NULL, "blocked", "antispam:bad-sender", "reputation", 0},
	    {"554 ANTISPAM_BAT[01201311R99]: spam content", NULL, NULL,
	     "spamdetected", "antispam:spam-rule", "content", 0},
	    {"554 ANTISPAM_BAT[01201311R99]: 41", NULL, NULL, "badreputation",
	     "antispam:other", "reputation", 0},
	    /* the quoted tag was elided: the prefix anchors */
	    {"554 Reject by behaviour spam at DATA State(Connection IP "
	     "address:192.0.2.1): bad sending",
	     NULL, NULL, "blocked", "antispam:bad-sender", "reputation", 0},
	    /* content verdicts, English and Chinese */
	    {"550 The mail may contain inappropriate content.", "mx1.qq.com",
	     "DATA", "spamdetected", NULL, "content", 0},
	    {"550 邮件内容违规, 已被拦截", NULL, "DATA", "spamdetected", NULL,
	     "content", 0},
	    {"550 Message header is non-compliant", "mxbiz2.qq.com", "DATA",
	     "contenterror", NULL, "content", 0},
	    {"554 Your message was rejected by Coremail Anti-Spam", NULL,
	     "DATA", "spamdetected", NULL, "content", 0},
	    /* submission servers: the sender's own account */
	    {"535 Error: 请使用授权码登录。详情请看: "
	     "http://service.mail.qq.com/cgi-bin/help?subtype=1&&id=28&&no=1001256",
	     "smtp.qq.com", NULL, "securityerror", NULL, "authentication", 0},
	    {"501 mail from address must be same as authorization user",
	     "smtp.qq.com", "MAIL", "rejected", NULL, "reputation", 0},
	    {"436 \"MAIL FROM\" doesn't conform with authentication",
	     "smtpdm.aliyun.com", "MAIL", "rejected", NULL, "reputation", 0},
	    {"535 5.7.8 Error: authentication failed: authentication failure",
	     "smtp.163.com", "AUTH", "securityerror", NULL, "authentication",
	     0},
	    /* the sending host and the sender's domain */
	    {"504 5.5.2 <localhost>: Helo command rejected: Host not found",
	     "freemx1.sinamail.sina.com.cn", "RCPT", "blocked", NULL,
	     "reputation", 0},
	    {"553 5.1.8 <a@b.example>: Sender address rejected: Domain not "
	     "found",
	     "freemx1.sinamail.sina.com.cn", "MAIL", "authfailure", NULL,
	     "authentication", 0},
	    {"550 Domain may not exist or DNS check failed", "mx3.qq.com",
	     "MAIL", "authfailure", NULL, "authentication", 0},
	    /* legacy texts: the provider's verdict at its hosts ... */
	    {"User abc@163.net not found", "mx.163.net", NULL, "userunknown",
	     NULL, "address", 1},
	    {"User abc@163.net is over quota", "mx.163.net", NULL,
	     "mailboxfull", NULL, "mailbox", 0},
	    {"550 Mailbox service is disabled", NULL, "RCPT", "suspend", NULL,
	     "mailbox", 0},
	    /* Coremail's own templates at a self-hosted Coremail */
	    {"550 User not found: abc@example.edu.cn", "mx.example.edu.cn",
	     NULL, "userunknown", NULL, "address", 1},
	    {"550 Requested action not taken: sender is rejected",
	     "mx.example.edu.cn", "MAIL", "rejected", NULL, "reputation", 0},
	    {"554 IP is rejected, smtp auth error limit exceed", "smtp.163.com",
	     "AUTH", "securityerror", NULL, "authentication", 0},
	    /* ... generic wording elsewhere, without stage or status: a
	     * filter may have refused a live address (docs/rules.md) */
	    {"User abc@example.org not found", "mx.example.org", NULL,
	     "undefined", NULL, "other", 0},
	};
	struct rb_limits lim = RB_LIMITS_DEFAULT;
	char *err = NULL;
	struct rb_rules *all = rb_rules_default(&lim, &err);
	T_OK(all != NULL, "built-in rules load");
	if (all == NULL)
		return;
	struct rb_arena a;
	rb_arena_init(&a);
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char *st = rb_status_find(&a, t[i].diag, strlen(t[i].diag));
		char *code = rb_smtp_code_find(&a, t[i].diag, strlen(t[i].diag));
		struct rb_classified cl;
		rb_reason_classify(all, st ? st : "5.0.0", code, t[i].diag,
				   t[i].host, t[i].stage, &cl);
		T_STR(cl.reason, t[i].reason, "'%.60s': reason", t[i].diag);
		T_STR(cl.subreason, t[i].sub, "'%.60s': sub-reason", t[i].diag);
		T_STR(rb_reason_family(cl.reason), t[i].family,
		      "'%.60s': family", t[i].diag);
		T_OK(cl.hard == t[i].hard, "'%.60s': hard %d", t[i].diag,
		     t[i].hard);
	}
	/* every sub-reason a built-in rule names is of the documented
	 * antispam:* vocabulary */
	static const char *const subs[] = {
	    "antispam:auth",	  "antispam:rate",      "antispam:blacklist",
	    "antispam:bad-sender", "antispam:spam-rule", "antispam:other",
	    NULL};
	for (size_t i = 0; i < all->n; i++)
		if (all->v[i].subreason != NULL)
			T_OK(in(all->v[i].subreason, subs),
			     "%s: sub-reason %s is documented", all->v[i].name,
			     all->v[i].subreason);
	/* the families cover every reason a rule can give */
	T_STR(rb_reason_family("hostunknown"), "address", "hostunknown");
	T_STR(rb_reason_family("suspend"), "mailbox", "suspend");
	T_STR(rb_reason_family("expired"), "other", "expired");
	T_STR(rb_reason_family(NULL), "other", "NULL");
	T_OK(rb_reason_family_reasons("rate") != NULL &&
		 rb_reason_family_reasons("other") == NULL,
	     "family members");
	rb_arena_free(&a);
	rb_rules_free(all);
}

int
main(void)
{
	rb_mail_global_init();
	test_families();
	test_fixtures_policy();
	test_providers();
	test_rules();
	test_rhost();
	test_charset();
	test_mail_views();
	T_DONE();
}
