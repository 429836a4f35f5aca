/*
 * provider: the table of mailbox providers and the lookup over an event's
 * signals.  See provider.h for the order in which signals are trusted.
 */
#include "provider.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#define D(...) ((const char *const[]){__VA_ARGS__, NULL})
#define NONE ((const char *const[]){NULL})

/*
 * Domains are the mailbox domains a provider hosts, the domains its
 * feedback loop sends from and its MX hosts' domains.  The longest
 * matching suffix wins, so a more specific row ("exmail.qq.com") beats a
 * broader one ("qq.com") whatever the order here.
 */
const struct rb_provider rb_providers[] = {
    {"gmail", "Gmail", D("gmail.com", "googlemail.com", "google.com"), NONE},
    {"microsoft", "Microsoft (Outlook.com)",
     D("hotmail.com", "outlook.com", "live.com", "msn.com", "passport.com",
       "windowslive.com", "hotmail.co.uk", "hotmail.fr", "hotmail.de",
       "hotmail.it", "hotmail.es", "live.co.uk", "live.fr", "live.de",
       "outlook.jp", "outlook.fr", "outlook.de", "microsoft.com"),
     NONE},
    {"yahoo", "Yahoo",
     D("yahoo.com", "yahoo.co.uk", "yahoo.fr", "yahoo.de", "yahoo.it",
       "yahoo.es", "yahoo.ca", "yahoo.com.br", "yahoo.com.au", "yahoo.in",
       "ymail.com", "rocketmail.com", "yahoodns.net", "yahoo.net",
       "yahoo-inc.com"),
     D("Yahoo!-Mail-Feedback", "Yahoo! Mail")},
    {"yahoo-jp", "Yahoo! JAPAN", D("yahoo.co.jp", "yahoo.ne.jp"), NONE},
    {"aol", "AOL", D("aol.com", "aol.net", "aim.com", "aol.co.uk"),
     D("AOL SComp")},
    {"comcast", "Comcast", D("comcast.net", "comcast.com", "xfinity.com"),
     NONE},
    {"att", "AT&T", D("att.net", "sbcglobal.net", "bellsouth.net"), NONE},
    {"cox", "Cox", D("cox.net"), NONE},
    {"spectrum", "Charter Spectrum",
     D("charter.net", "rr.com", "twc.com", "roadrunner.com"), NONE},
    {"apple", "Apple iCloud", D("icloud.com", "me.com", "mac.com"), NONE},
    {"fastmail", "Fastmail",
     D("fastmail.com", "fastmail.fm", "messagingengine.com"), NONE},
    {"zoho", "Zoho",
     D("zoho.com", "zohomail.com", "zoho.eu", "zoho.in", "zohomail.eu"),
     NONE},
    {"proton", "Proton Mail", D("proton.me", "protonmail.com", "protonmail.ch"),
     NONE},
    {"mailru", "Mail.ru", D("mail.ru", "inbox.ru", "list.ru", "bk.ru"),
     D("Mail.Ru")},
    {"yandex", "Yandex", D("yandex.ru", "yandex.com", "ya.ru", "yandex.net"),
     NONE},
    {"gmx", "GMX / WEB.DE",
     D("gmx.net", "gmx.de", "gmx.com", "gmx.at", "gmx.ch", "web.de",
       "mail.com"),
     NONE},
    {"t-online", "T-Online", D("t-online.de"), NONE},
    {"orange", "Orange", D("orange.fr", "wanadoo.fr"), NONE},
    {"free", "Free", D("free.fr"), NONE},
    {"laposte", "La Poste", D("laposte.net"), NONE},
    {"libero", "Libero", D("libero.it"), NONE},
    {"seznam", "Seznam", D("seznam.cz"), NONE},
    {"terra", "Terra", D("terra.com", "terra.com.br"), NONE},
    {"rackspace", "Rackspace", D("emailsrvr.com", "rackspace.com"), NONE},
    /* mainland China (docs/cn.md) */
    {"qq", "QQ Mail", D("qq.com", "foxmail.com"), NONE},
    {"exmail", "Tencent Exmail",
     D("exmail.qq.com", "mxbiz1.qq.com", "mxbiz2.qq.com"), NONE},
    {"netease", "NetEase",
     D("163.com", "126.com", "yeah.net", "188.com", "netease.com"),
     D("NtesDmarcReporter")},
    {"netease-qiye", "NetEase Qiye", D("qiye.163.com"), NONE},
    {"aliyun", "Aliyun Mail", D("aliyun.com", "mxhichina.com"), NONE},
    {"sina", "Sina", D("sina.com", "sina.cn", "sina.com.cn"), NONE},
    {"sohu", "Sohu", D("sohu.com"), NONE},
    {"chinamobile", "139 Mail (China Mobile)", D("139.com"), NONE},
    {"chinatelecom", "189 Mail (China Telecom)", D("189.cn"), NONE},
    {NULL, NULL, NULL, NULL},
};

/* two-label public suffixes, enough to find "example.co.jp" */
static const char *const suffix2[] = {
    "co.uk", "org.uk", "ac.uk",	 "gov.uk", "co.jp",  "ne.jp",  "or.jp",
    "ac.jp", "ed.jp",  "go.jp",	 "com.au", "net.au", "org.au", "com.br",
    "net.br", "com.cn", "net.cn", "org.cn", "gov.cn", "edu.cn", "com.tw",
    "com.hk", "co.kr",	"co.nz",  "co.za",  "com.mx", "com.ar", "co.in",
    "com.sg", "com.tr", "co.il",  NULL,
};

/*
 * The domain part of a signal into buf, lower case: the text after the
 * last '@' of an address or message id, or a host name at the start of
 * a "dns; host [ip]" value.  Returns false when nothing looks like a
 * domain (needs a dot, only letters, digits, '-', '.').
 */
static bool
domain_of(const char *s, char *buf, size_t size)
{
	if (s == NULL)
		return false;
	const char *semi = strchr(s, ';');
	if (semi != NULL && semi - s < 16)
		s = semi + 1;
	const char *at = strrchr(s, '@');
	if (at != NULL)
		s = at + 1;
	while (*s == ' ' || *s == '\t' || *s == '<' || *s == '[')
		s++;
	size_t n = 0;
	for (; *s && n + 1 < size; s++) {
		unsigned char c = (unsigned char)*s;
		if (!(isalnum(c) || c == '-' || c == '.'))
			break;
		buf[n++] = (char)tolower(c);
	}
	while (n > 0 && buf[n - 1] == '.')
		n--;
	buf[n] = '\0';
	return n > 0 && strchr(buf, '.') != NULL && buf[0] != '.';
}

/* dom ends with suffix on a label boundary */
static bool
has_suffix(const char *dom, const char *suffix)
{
	size_t dl = strlen(dom), sl = strlen(suffix);
	if (sl > dl || strcmp(dom + dl - sl, suffix) != 0)
		return false;
	return sl == dl || dom[dl - sl - 1] == '.';
}

const struct rb_provider *
rb_provider_by_domain(const char *domain)
{
	char buf[256];
	if (!domain_of(domain, buf, sizeof buf))
		return NULL;
	const struct rb_provider *best = NULL;
	size_t bestlen = 0;
	for (const struct rb_provider *p = rb_providers; p->id; p++)
		for (const char *const *d = p->domains; *d; d++) {
			size_t l = strlen(*d);
			if (l > bestlen && has_suffix(buf, *d)) {
				best = p;
				bestlen = l;
			}
		}
	return best;
}

const struct rb_provider *
rb_provider_by_agent(const char *ua)
{
	if (ua == NULL)
		return NULL;
	while (*ua == ' ')
		ua++;
	for (const struct rb_provider *p = rb_providers; p->id; p++)
		for (const char *const *g = p->agents; *g; g++)
			if (strncasecmp(ua, *g, strlen(*g)) == 0)
				return p;
	return NULL;
}

const char *
rb_org_domain(struct rb_arena *a, const char *host)
{
	char buf[256];
	if (!domain_of(host, buf, sizeof buf))
		return NULL;
	/* keep the last two labels, three under a two-label suffix */
	int keep = 2;
	for (const char *const *s = suffix2; *s; s++)
		if (has_suffix(buf, *s) && strlen(buf) > strlen(*s)) {
			keep = 3;
			break;
		}
	size_t n = strlen(buf);
	int labels = 0;
	size_t i = n;
	while (i > 0) {
		if (buf[i - 1] == '.' && ++labels == keep)
			break;
		i--;
	}
	return rb_arena_strdup(a, buf + i);
}

const char *
rb_provider_identify(struct rb_arena *a, const struct rb_provider_signals *s,
		     bool complaint)
{
	const struct rb_provider *p = NULL;
	/* a complaint inferred from a rejection (QQ "Mail is rejected by
	 * recipients", docs/cn.md) carries the remote MTA that rejected and
	 * no report of its own: its provider is found like a bounce's, not
	 * from the sender's own MTA that wrote the DSN */
	if (complaint && s->remote_mta == NULL) {
		/* the reporter's own signals first, then the complainer's
		 * mailbox domain; the agent first because relays (SES,
		 * ReturnPath) forward reports under their own domain */
		const char *order[] = {s->report_from, s->reporting_mta,
				       s->report_message_id, s->recipient};
		p = rb_provider_by_agent(s->user_agent);
		for (size_t i = 0; p == NULL && i < 4; i++)
			p = rb_provider_by_domain(order[i]);
		if (p != NULL)
			return p->name;
		for (size_t i = 0; i < 4; i++) {
			const char *d = rb_org_domain(a, order[i]);
			if (d != NULL)
				return d;
		}
		return NULL;
	}
	/* bounces (and inferred complaints): the host that answered knows
	 * best (a Google-hosted company domain has a google.com MX) */
	p = rb_provider_by_domain(s->remote_mta);
	if (p == NULL)
		p = rb_provider_by_domain(s->recipient);
	if (p != NULL)
		return p->name;
	const char *d = rb_org_domain(a, s->recipient);
	return d ? d : rb_org_domain(a, s->remote_mta);
}
