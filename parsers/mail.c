#include "mail.h"

#include <ctype.h>
#include <errno.h>
#include <iconv.h>
#include <limits.h>
#include <string.h>

#include <gmime/gmime.h>

#include "addr.h"
#include "charset.h"
#include "mime.h"
#include "original.h"

struct walk {
	struct rb_arena *a;
	const struct rb_limits *lim;
	struct rb_mail *m;
	struct rb_text *texts;
	size_t ntexts, captexts;
	bool nest;	/* an attached delivery report becomes m->nested */
	unsigned links;	/* web links in the bounce's own HTML */
	unsigned runnable;	/* attachments a reader could run or open */
};

/* what rb_mail_original_marker() worked out for a mail */
struct rb_mail_memo {
	bool own_known;		/* the fields below are set */
	bool has_marker;
	size_t marker, after;
};

static void view_of(struct rb_arena *a, const struct rb_limits *lim,
		    const struct rb_mime_part *top, struct rb_mail *m,
		    bool nest);

/* UTF-8-safe, whitespace-squeezed arena copy of a gmime string */
static char *
clean(struct rb_arena *a, const char *s)
{
	char *u = rb_utf8_sanitize(a, s, strlen(s));
	return rb_squeeze(a, u, strlen(u));
}

static char *
lower_dup(struct rb_arena *a, const char *s)
{
	char *d = rb_arena_strdup(a, s ? s : "");
	rb_lower(d);
	return d;
}

/* Content-* fields describe the message's body part, not the message
 * (gmime keeps them apart too): they are not in the header view. */
static bool
is_content_field(const struct rb_mime_field *f)
{
	return f->name_len >= 8 && strncasecmp(f->name, "Content-", 8) == 0;
}

/* Copy a message's header block into fields: values unfolded and
 * whitespace-squeezed, names and values UTF-8-sanitised; -1 when
 * max_headers or max_header was exceeded (the fields are then cut). */
static int
copy_headers(struct rb_arena *a, const struct rb_limits *lim,
	     const struct rb_mime_part *p, struct rb_fields *out)
{
	size_t count = 0;
	int rc = 0;

	out->n = 0;
	out->v = NULL;
	for (size_t i = 0; i < p->nfields; i++)
		count += !is_content_field(&p->fields[i]);
	if (count == 0)
		return 0;
	if (count > lim->max_headers || p->fields_cut) {
		count = lim->max_headers;
		rc = -1;
	}
	out->v = rb_arena_alloc(a, count * sizeof(*out->v));
	for (size_t i = 0; i < p->nfields && out->n < count; i++) {
		const struct rb_mime_field *f = &p->fields[i];
		if (is_content_field(f))
			continue;
		size_t rl = f->value_len;
		/* the limit counts the value, not the blanks around it */
		while (rl > 0 && (f->value[rl - 1] == '\n' ||
				  f->value[rl - 1] == '\r' ||
				  f->value[rl - 1] == ' ' || f->value[rl - 1] == '\t'))
			rl--;
		if (rl > lim->max_header) {
			rl = lim->max_header;
			rc = -1;
		}
		char *v = rb_squeeze(a, f->value, rl);
		size_t vl = strlen(v);
		out->v[out->n].name = rb_utf8_sanitize(a, f->name, f->name_len);
		out->v[out->n].value =
		    rb_utf8_valid(v, vl) ? v : rb_utf8_sanitize(a, v, vl);
		out->n++;
	}
	return rc;
}

/* Content with the transfer encoding removed (base64 and quoted-printable
 * by gmime's decoders; anything else as it is).  May point into the
 * input: not NUL-terminated. */
static const char *
transfer_decode(struct rb_arena *a, const struct rb_mime_part *p, size_t *len)
{
	size_t (*step)(const unsigned char *, size_t, unsigned char *, int *,
		       guint32 *);
	switch (p->cte) {
	case RB_CTE_BASE64:
		step = g_mime_encoding_base64_decode_step;
		break;
	case RB_CTE_QP:
		step = g_mime_encoding_quoted_decode_step;
		break;
	default:
		*len = p->body_len;
		return p->body;
	}
	int state = 0;
	guint32 save = 0;
	unsigned char *out = rb_arena_alloc_raw(a, p->body_len + 4);
	*len = step((const unsigned char *)p->body, p->body_len, out, &state,
		    &save);
	out[*len] = 0;	/* the 4 spare bytes: room */
	return (const char *)out;
}

/* Decoded bytes of a leaf part, cut at cap, UTF-8-sanitised. */
static char *
part_bytes(struct rb_arena *a, const struct rb_mime_part *p, size_t cap,
	   size_t *len)
{
	size_t n;
	const char *d = transfer_decode(a, p, &n);
	char *s = rb_utf8_sanitize(a, d, n > cap ? cap : n);
	*len = strlen(s);
	return s;
}

/* A tag that links to a web page: <a href="https://...">, or a form
 * that posts to one (the tag's text without its angle brackets). */
static bool
web_link_tag(const char *t, size_t tl)
{
	bool a = tl > 2 && (t[0] == 'a' || t[0] == 'A') && isspace((unsigned char)t[1]);
	bool form = tl > 5 && strncasecmp(t, "form", 4) == 0 &&
		    isspace((unsigned char)t[4]);
	return (a || form) && rb_memcasemem(t, tl, "://", 3) != NULL;
}

/* Crude but safe HTML to text: drop tags, scripts and styles, decode the
 * common entities, turn block ends into newlines.  *links (when not
 * NULL) counts the tags that link to a web page: the text keeps none of
 * their targets. */
static char *
html_to_text(struct rb_arena *a, const char *s, size_t n, size_t *olen,
	     unsigned *links)
{
	char *o = rb_arena_alloc_raw(a, n + 1);
	size_t k = 0;
	for (size_t i = 0; i < n;) {
		if (s[i] == '<') {
			size_t j = i + 1;
			while (j < n && s[j] != '>')
				j++;
			size_t tl = j - i - 1;
			const char *t = s + i + 1;
			if (links != NULL && *links < UINT_MAX &&
			    web_link_tag(t, tl))
				(*links)++;
			if ((tl >= 6 && strncasecmp(t, "script", 6) == 0) ||
			    (tl >= 5 && strncasecmp(t, "style", 5) == 0)) {
				const char *end = rb_memcasemem(
				    s + j, n - j,
				    strncasecmp(t, "script", 6) == 0
					? "</script"
					: "</style",
				    strncasecmp(t, "script", 6) == 0 ? 8 : 7);
				j = end ? (size_t)(end - s) : n;
				while (j < n && s[j] != '>')
					j++;
			} else if (tl >= 2 &&
				   (strncasecmp(t, "br", 2) == 0 ||
				    strncasecmp(t, "/p", 2) == 0 ||
				    strncasecmp(t, "/tr", 3) == 0 ||
				    strncasecmp(t, "/div", 4) == 0 ||
				    strncasecmp(t, "/h", 2) == 0 ||
				    strncasecmp(t, "li", 2) == 0)) {
				o[k++] = '\n';
			} else if (tl >= 2 && (strncasecmp(t, "td", 2) == 0 ||
					       strncasecmp(t, "/td", 3) == 0)) {
				o[k++] = ' ';
			}
			i = j < n ? j + 1 : n;
			continue;
		}
		if (s[i] == '&') {
			static const struct {
				const char *e;
				char c;
			} ent[] = {{"&lt;", '<'},   {"&gt;", '>'},
				   {"&amp;", '&'},  {"&quot;", '"'},
				   {"&nbsp;", ' '}, {"&#39;", '\''},
				   {"&#64;", '@'}};
			size_t m;
			for (m = 0; m < sizeof(ent) / sizeof(ent[0]); m++) {
				size_t el = strlen(ent[m].e);
				if (i + el <= n &&
				    strncasecmp(s + i, ent[m].e, el) == 0) {
					o[k++] = ent[m].c;
					i += el;
					break;
				}
			}
			if (m < sizeof(ent) / sizeof(ent[0]))
				continue;
		}
		o[k++] = s[i++];
	}
	o[k] = '\0';
	*olen = k;
	return o;
}

/* Does a delivery-status part name a recipient? */
static bool
names_recipient(const char *d, size_t len)
{
	return d != NULL && (rb_strcasestr_n(d, len, "Final-Recipient") ||
			     rb_strcasestr_n(d, len, "Original-Recipient"));
}

static void
add_text(struct walk *w, const char *type, const char *text, size_t len)
{
	w->texts = rb_arena_grow(w->a, w->texts, w->ntexts, &w->captexts,
				 sizeof(*w->texts), 4);
	w->texts[w->ntexts].type = type;
	w->texts[w->ntexts].text = text;
	w->texts[w->ntexts].len = len;
	w->ntexts++;
}

/* Cut a UTF-8 string at most cap bytes long on a character boundary. */
static void
utf8_cut(char *s, size_t *len, size_t cap)
{
	if (*len <= cap)
		return;
	size_t k = cap;
	while (k > 0 && ((unsigned char)s[k] & 0xc0) == 0x80)
		k--;
	s[k] = '\0';
	*len = k;
}

static bool
is_utf8_label(const char *cs)
{
	return strcasecmp(cs, "utf-8") == 0 || strcasecmp(cs, "utf8") == 0 ||
	       strcasecmp(cs, "us-ascii") == 0 || strcasecmp(cs, "ascii") == 0;
}

static char *
text_part(struct walk *w, const struct rb_mime_part *p, size_t *len,
	  bool own)
{
	size_t cap = w->lim->max_text * 4;
	size_t n;
	char *s;
	const char *cs = p->charset;
	const char *raw = transfer_decode(w->a, p, &n);
	/* cn: gb2312/gbk labels decode as GB18030 (mail labelled gb2312 is
	 * often GBK), unicode-1-1-utf-7 as UTF-7 (parsers/charset.h); other
	 * labels by gmime's charset names; UTF-8 and ASCII need no iconv */
	const char *ov = rb_charset_override(cs);
	s = NULL;
	if (ov != NULL) {
		s = rb_charset_decode(w->a, ov, raw, n > cap ? cap : n, len);
	} else if (cs != NULL && *cs != '\0' && !is_utf8_label(cs)) {
		s = rb_charset_convert(w->a, g_mime_charset_iconv_name(cs),
				       raw, n > cap ? cap : n, false, len);
	}
	if (s != NULL) {
		utf8_cut(s, len, cap);
	} else {
		s = rb_utf8_sanitize(w->a, raw, n > cap ? cap : n);
		*len = strlen(s);
	}
	if (strcmp(p->type, "text/html") == 0)
		s = html_to_text(w->a, s, *len, len, own ? &w->links : NULL);
	return s;
}

/* A message whose own structure says it is a delivery status report
 * (RFC 3464's multipart/report; report-type=delivery-status). */
static bool
is_delivery_report(const struct rb_mime_part *msg)
{
	return msg->kind == RB_MIME_MULTIPART &&
	       strcmp(msg->type, "multipart/report") == 0 &&
	       msg->report_type != NULL &&
	       (strcasecmp(msg->report_type, "delivery-status") == 0 ||
		strcasecmp(msg->report_type, "global-delivery-status") == 0);
}

static void
set_orig(struct walk *w, const struct rb_mime_part *msg)
{
	struct rb_mail *m = w->m;
	if (copy_headers(w->a, w->lim, msg, &m->orig) < 0 && m->error == NULL)
		m->error = "header too long or too many";
	m->has_orig = true;
}

static bool
is_orig_type(const char *type)
{
	static const char *const t[] = {
	    "text/rfc822-headers", "text/rfc822-header",
	    "message/rfc822-headers", "message/global-headers",
	    "message/rfc822", "message/global", "message/partial", NULL};
	for (size_t i = 0; t[i]; i++)
		if (strcmp(type, t[i]) == 0)
			return true;
	return false;
}

/* File types that run or open as a page when the reader clicks them:
 * what a virus or a phishing kit attaches to a mail dressed as a
 * bounce.  A delivery system returns an original as a message part,
 * never as one of these. */
static const char *const runnable_ext[] = {
    ".exe", ".scr", ".pif", ".com", ".bat", ".cmd", ".cpl", ".js",
    ".jse", ".vbs", ".vbe", ".wsf", ".hta", ".jar", ".lnk", ".msi",
    ".zip", ".rar", ".7z", ".gz", ".tgz", ".iso", ".img", ".cab",
    ".htm", ".html", ".shtml", ".xhtml", ".svg", NULL,
};

static bool
runnable_name(const char *s, size_t n)
{
	for (size_t x = 0; runnable_ext[x] != NULL; x++) {
		size_t l = strlen(runnable_ext[x]);
		if (n > l && strncasecmp(s + n - l, runnable_ext[x], l) == 0)
			return true;
	}
	return false;
}

/* Does this field value name a file with a runnable extension, in a
 * filename= or name= parameter (quoted or not, RFC 2231 or RFC 2047
 * form)? */
static bool
names_runnable_file(struct rb_arena *a, const char *v, size_t n)
{
	for (size_t i = 0; i + 5 < n; i++) {
		const char *q = v + i;
		size_t k = 0;
		char c0 = (char)(*q | 0x20);
		if (c0 != 'f' && c0 != 'n')
			continue;
		if (i + 8 <= n && strncasecmp(q, "filename", 8) == 0)
			k = 8;
		else if (i + 4 <= n && strncasecmp(q, "name", 4) == 0 &&
			 (i == 0 || v[i - 1] == ';' || v[i - 1] == ' ' ||
			  v[i - 1] == '\t' || v[i - 1] == '\n'))
			k = 4;
		if (k == 0)
			continue;
		size_t j = i + k;
		while (j < n && (v[j] == '*' || isdigit((unsigned char)v[j])))
			j++;
		if (j >= n || v[j] != '=')
			continue;
		j++;
		if (j < n && v[j] == '"')
			j++;
		size_t b = j;
		while (j < n && v[j] != '"' && v[j] != ';' && v[j] != '\r' &&
		       v[j] != '\n')
			j++;
		size_t e = j;
		while (e > b && (v[e - 1] == ' ' || v[e - 1] == '\t'))
			e--;
		if (runnable_name(v + b, e - b))
			return true;
		/* an RFC 2047 encoded name: the extension is inside */
		if (e - b > 4 && memmem(v + b, e - b, "=?", 2) != NULL) {
			char *enc = rb_arena_strndup(a, v + b, e - b);
			const char *d = rb_mail_decode_text(a, enc);
			if (d != NULL && runnable_name(d, strlen(d)))
				return true;
		}
		i = j;
	}
	return false;
}

static bool
runnable_part(struct rb_arena *a, const struct rb_mime_part *p)
{
	if (strcmp(p->type, "application/x-msdownload") == 0 ||
	    strcmp(p->type, "application/x-ms-dos-executable") == 0 ||
	    strcmp(p->type, "application/java-archive") == 0 ||
	    strcmp(p->type, "application/hta") == 0)
		return true;
	for (size_t i = 0; i < p->nfields; i++) {
		const struct rb_mime_field *f = &p->fields[i];
		if ((f->name_len == 19 &&
		     strncasecmp(f->name, "Content-Disposition", 19) == 0) ||
		    (f->name_len == 12 &&
		     strncasecmp(f->name, "Content-Type", 12) == 0))
			if (names_runnable_file(a, f->value, f->value_len))
				return true;
	}
	return false;
}

/* The limits on depth and part count were applied by the scanner, in
 * the order this walk meets the parts. */
static void
walk(struct walk *w, const struct rb_mime_part *p, bool in_orig)
{
	struct rb_mail *m = w->m;
	if (p == NULL || m->error != NULL)
		return;
	const char *type = p->type;

	if (p->kind == RB_MIME_MULTIPART) {
		if (p->child == NULL && !in_orig) {
			/* a boundary that never occurs (broken or
			 * anonymised mail): the whole body is prologue;
			 * read it as text so the dialect parsers still see
			 * the report */
			if (p->body_len > 0) {
				size_t cap = w->lim->max_text * 4;
				char *s = rb_utf8_sanitize(
				    w->a, p->body,
				    p->body_len > cap ? cap : p->body_len);
				/* line ends as gmime gave them: LF */
				size_t o = 0;
				for (size_t i = 0; s[i]; i++)
					if (!(s[i] == '\r' && s[i + 1] == '\n'))
						s[o++] = s[i];
				s[o] = '\0';
				add_text(w, "text/plain", s, o);
			}
			return;
		}
		for (const struct rb_mime_part *c = p->child;
		     c != NULL && m->error == NULL; c = c->next)
			walk(w, c, in_orig);
		return;
	}
	if (p->kind == RB_MIME_MESSAGE) {
		if (p->child == NULL)
			return;
		if (!in_orig && !m->has_orig) {
			set_orig(w, p->child);
			/* the returned message is itself a delivery report
			 * (a relay or filter bounced the bounce, or passed
			 * it on inside a notice of its own): keep a view of
			 * it, read when the outer mail names nobody */
			if (w->nest && m->error == NULL &&
			    is_delivery_report(p->child)) {
				struct rb_mail *n =
				    rb_arena_alloc(w->a, sizeof(*n));
				view_of(w->a, w->lim, p->child, n, false);
				if (n->error != NULL)
					m->error = n->error;
				else
					m->nested = n;
			}
		}
		walk(w, p->child, true);
		return;
	}
	if (in_orig) {
		/* first text of the original, kept for identifier recovery */
		if (m->orig_body == NULL && strncmp(type, "text/", 5) == 0) {
			size_t len;
			char *s = text_part(w, p, &len, false);
			m->orig_body = s;
			m->orig_body_len = len;
		}
		return;
	}
	if (runnable_part(w->a, p))
		w->runnable++;
	size_t len;
	if (strcmp(type, "message/delivery-status") == 0 ||
	    strcmp(type, "message/global-delivery-status") == 0) {
		/* two such parts, one of them mislabelled (the human text
		 * under the report's type): the one that names recipients
		 * is the report, the other is read as text */
		char *d = part_bytes(w->a, p, w->lim->max_text * 4, &len);
		if (m->dsn == NULL) {
			m->dsn = d;
			m->dsn_len = len;
		} else if (names_recipient(d, len) &&
			   !names_recipient(m->dsn, m->dsn_len)) {
			add_text(w, "text/plain", m->dsn, m->dsn_len);
			m->dsn = d;
			m->dsn_len = len;
		} else if (!names_recipient(d, len)) {
			add_text(w, "text/plain", d, len);
		}
		return;
	}
	if (strcmp(type, "message/disposition-notification") == 0 ||
	    strcmp(type, "message/global-disposition-notification") == 0) {
		if (m->mdn == NULL) {
			m->mdn = part_bytes(w->a, p, w->lim->max_text * 4, &len);
			m->mdn_len = len;
		}
		return;
	}
	if (strcmp(type, "message/feedback-report") == 0) {
		if (m->feedback == NULL) {
			m->feedback =
			    part_bytes(w->a, p, w->lim->max_text * 4, &len);
			m->feedback_len = len;
		}
		return;
	}
	if (is_orig_type(type)) {
		/* headers of the original as text, or a message/rfc822
		 * that is transfer-encoded (so not parsed as a message) */
		if (!m->has_orig) {
			char *s = part_bytes(w->a, p, w->lim->max_text * 4, &len);
			size_t used = 0;
			if (rb_fields_parse(w->a, s, len, w->lim, &m->orig,
					    &used) < 0)
				m->error = "header too long or too many";
			m->has_orig = m->orig.n > 0;
			if (used < len && m->orig_body == NULL) {
				m->orig_body = s + used;
				m->orig_body_len = len - used;
			}
		}
		return;
	}
	if (strncmp(type, "text/", 5) == 0) {
		/* a text attachment that is really the original's headers */
		char *s = text_part(w, p, &len, true);
		add_text(w, type, s, len);
		return;
	}
}

/* Count "Content-Type:" at line starts: bounds what gmime will build
 * (each MIME part and each nesting level needs one). */
static unsigned
count_content_types(const char *buf, size_t len, unsigned stop)
{
	/* one case-insensitive scan for "\ncontent-type:" (SIMD), not a
	 * memchr a line */
	unsigned n = 0;
	if (len >= 13 && rb_memcasemem(buf, 13, "content-type:", 13) != NULL)
		n++;
	size_t i = 0;
	while (n <= stop && i < len) {
		const char *p =
		    rb_memcasemem(buf + i, len - i, "\ncontent-type:", 14);
		if (p == NULL)
			break;
		n++;
		i = (size_t)(p - buf) + 1;
	}
	return n;
}

void
rb_mail_global_init(void)
{
	static int done;
	if (done)
		return;
	done = 1;
	g_mime_init();
	/* Keep the common charset converters loaded: glibc unloads a gconv
	 * module when its last iconv descriptor closes, and gmime opens and
	 * closes one per decoded part, so without these a bounce mailbox
	 * pays a dlopen/dlclose (and a TLB flush) per Japanese or Latin-1
	 * part.  Deliberately never closed. */
	static const char *const pinned[] = {
	    "ISO-2022-JP", "SHIFT_JIS", "EUC-JP", "GB18030", "GBK", "BIG5",
	    "EUC-KR", "ISO-8859-1", "ISO-8859-15", "WINDOWS-1252",
	    "WINDOWS-1251", "KOI8-R", "UTF-16", "UTF-7", "CP932", NULL};
	/* kept in a static array: reachable, so leak checkers (LSan in the
	 * sanitizer build) do not report them */
	static iconv_t kept[2 * 16];
	size_t k = 0;
	for (size_t i = 0; pinned[i] && k + 2 <= sizeof(kept) / sizeof(kept[0]);
	     i++) {
		kept[k++] = iconv_open("UTF-8", pinned[i]);
		kept[k++] = iconv_open(pinned[i], "UTF-8");
	}
	/* undeclared 8-bit headers: try UTF-8, then the CJK encodings most
	 * bounces use, then Latin-1 which never fails */
	const char *fallback[] = {"utf-8", "gb18030", "shift_jis",
				  "iso-8859-1", NULL};
	GMimeParserOptions *po = g_mime_parser_options_get_default();
	g_mime_parser_options_set_fallback_charsets(po, fallback);
	g_mime_parser_options_set_rfc2047_compliance_mode(
	    po, GMIME_RFC_COMPLIANCE_LOOSE);
	g_mime_parser_options_set_address_compliance_mode(
	    po, GMIME_RFC_COMPLIANCE_LOOSE);
}

/* A top-level header (the first of its name, or the last: gmime's
 * Subject) decoded for display: RFC 2047 words and undeclared 8-bit text
 * (the fallback charsets set above) by gmime's decoder, then sanitised
 * and squeezed.  NULL when absent. */
static const char *
decoded_header(struct rb_arena *a, const struct rb_mime_part *top,
	       const char *name, bool last)
{
	size_t nl = strlen(name);
	const struct rb_mime_field *f = NULL;
	for (size_t i = 0; i < top->nfields && (f == NULL || last); i++)
		if (top->fields[i].name_len == nl &&
		    strncasecmp(top->fields[i].name, name, nl) == 0)
			f = &top->fields[i];
	if (f == NULL)
		return NULL;
	/* unfolded as gmime does: line-end characters removed (a stray CR
	 * inside a value joins its neighbours), then blanks squeezed */
	char *u = rb_arena_alloc(a, f->value_len + 1);
	size_t k = 0;
	for (size_t i = 0; i < f->value_len; i++)
		if (f->value[i] != '\r' && f->value[i] != '\n')
			u[k++] = f->value[i];
	char *v = rb_squeeze(a, u, k);
	bool plain = strstr(v, "=?") == NULL;
	for (const char *q = v; plain && *q; q++)
		if ((unsigned char)*q >= 0x80)
			plain = false;
	if (plain)
		return v;	/* nothing to decode */
	char *d = g_mime_utils_header_decode_text(NULL,
						  rb_charset_join_words(a, v));
	if (d == NULL)
		return clean(a, v);
	const char *r = clean(a, d);
	g_free(d);
	return r;
}

static void
skip_blank_lines(const char **buf, size_t *len)
{
	for (;;) {
		size_t i = 0;
		while (i < *len && ((*buf)[i] == ' ' || (*buf)[i] == '\t' ||
				    (*buf)[i] == '\r'))
			i++;
		if (i >= *len || (*buf)[i] != '\n')
			return;
		*buf += i + 1;
		*len -= i + 1;
	}
}

/*
 * A mail whose lines end in a bare CR (saved on a classic Mac OS, or by
 * a tool that stripped the LFs of CRLF): the header block then looks
 * like one endless line.  When the first line ends in a CR that no LF
 * follows, every bare CR becomes an LF, in an arena copy.
 */
static void
bare_cr_lines(struct rb_arena *a, const char **buf, size_t *len)
{
	const char *b = *buf;
	size_t n = *len, i = 0;
	while (i < n && b[i] != '\r' && b[i] != '\n')
		i++;
	if (i >= n || b[i] != '\r' || (i + 1 < n && b[i + 1] == '\n'))
		return;
	char *c = rb_arena_alloc_raw(a, n + 1);
	for (size_t k = 0; k < n; k++)
		c[k] = b[k] == '\r' && !(k + 1 < n && b[k + 1] == '\n')
			   ? '\n'
			   : b[k];
	c[n] = '\0';
	*buf = c;
}

int
rb_mail_load(struct rb_arena *a, const char *buf, size_t len,
	     const struct rb_limits *lim, struct rb_mail *m)
{
	memset(m, 0, sizeof(*m));
	m->body = "";
	if (len > lim->max_message) {
		m->error = "message too large";
		return -1;
	}
	bare_cr_lines(a, &buf, &len);
	/* blank or whitespace-only lines before the headers (a mail saved
	 * by hand, a gateway's stray CRLF), and an mbox "From " line: not
	 * headers */
	skip_blank_lines(&buf, &len);
	if (len >= 5 && memcmp(buf, "From ", 5) == 0) {
		const char *nl = memchr(buf, '\n', len);
		size_t skip = nl ? (size_t)(nl - buf) + 1 : len;
		buf += skip;
		len -= skip;
		skip_blank_lines(&buf, &len);
	}
	if (count_content_types(buf, len, lim->max_parts) > lim->max_parts) {
		m->error = "too many MIME parts";
		return -1;
	}

	struct rb_mime mm;
	rb_mime_parse(a, buf, len, lim, &mm);
	if (mm.root == NULL && mm.error == NULL && len > 0) {
		/* the first line is no header field: a notice kept without
		 * its header block (pasted into an archive or a ticket, saved
		 * as text).  Read it as a body under an empty header block;
		 * with no From or Subject, only the text's own evidence (a
		 * template's banner, a report's fields) can make it a bounce. */
		char *c = rb_arena_alloc_raw(a, len + 2);
		c[0] = '\n';
		memcpy(c + 1, buf, len);
		c[len + 1] = '\0';
		rb_mime_parse(a, c, len + 1, lim, &mm);
	}
	m->parts = mm.parts;
	m->depth = mm.depth;
	const struct rb_mime_part *top = mm.root;
	if (top == NULL) {
		/* not a message */
		m->error = mm.error;
		return m->error ? -1 : 0;
	}
	view_of(a, lim, top, m, true);
	if (m->error == NULL)
		m->error = mm.error;
	return m->error ? -1 : 0;
}

/* The view of a scanned message: the mail itself (nest: an attached
 * delivery report gets a view of its own), or such a report. */
static void
view_of(struct rb_arena *a, const struct rb_limits *lim,
	const struct rb_mime_part *top, struct rb_mail *m, bool nest)
{
	if (!nest) {
		memset(m, 0, sizeof(*m));
		m->body = "";
	}
	if (copy_headers(a, lim, top, &m->hdr) < 0)
		m->error = "header too long or too many";
	m->subject = decoded_header(a, top, "Subject", true);
	/* cn: =?gb2312?B?...?= subjects decoded as GB18030 (charset.h) */
	char *cn_subj =
	    rb_charset_header_decode(a, rb_fields_get(&m->hdr, "Subject"));
	if (cn_subj != NULL)
		m->subject = cn_subj;
	m->from = decoded_header(a, top, "From", false);
	if (m->from)
		m->from_addr = rb_addr_find(a, m->from, strlen(m->from));
	m->to = decoded_header(a, top, "To", false);
	m->message_id = rb_fields_get(&m->hdr, "Message-ID");
	m->date = rb_fields_get(&m->hdr, "Date");
	m->ctype = top->type;
	if (top->report_type)
		m->report_type = lower_dup(a, top->report_type);

	struct walk w = {.a = a, .lim = lim, .m = m, .nest = nest};
	walk(&w, top, false);
	m->texts = w.texts;
	m->ntexts = w.ntexts;
	m->web_links = w.links;
	m->runnable_attachments = w.runnable;
	size_t total = 0;
	for (size_t i = 0; i < w.ntexts; i++)
		total += w.texts[i].len + 1;
	char *b = rb_arena_alloc_raw(a, total + 1);
	size_t o = 0;
	for (size_t i = 0; i < w.ntexts; i++) {
		memcpy(b + o, w.texts[i].text, w.texts[i].len);
		o += w.texts[i].len;
		b[o++] = '\n';
	}
	b[o] = '\0';
	m->body = b;
	m->body_len = o;
	m->memo = rb_arena_alloc(a, sizeof(*m->memo));
	const char *os = m->has_orig ? rb_fields_get(&m->orig, "Subject") : NULL;
	char *cn_os = rb_charset_header_decode(a, os);	/* cn: as above */
	if (cn_os != NULL) {
		m->orig_subject = cn_os;
	} else if (os != NULL) {
		char *d = g_mime_utils_header_decode_text(NULL, os);
		if (d != NULL) {
			m->orig_subject = clean(a, d);
			g_free(d);
		} else {
			m->orig_subject = os;
		}
	}
}

static void
own_text(const struct rb_mail *m, struct rb_mail_memo *r)
{
	r->has_marker = m->body != NULL &&
			rb_original_marker(m->body, m->body_len, &r->marker,
					   &r->after);
	if (!r->has_marker)
		r->marker = r->after = m->body_len;
	r->own_known = true;
}

bool
rb_mail_original_marker(const struct rb_mail *m, size_t *marker,
			size_t *after)
{
	struct rb_mail_memo local, *r = m->memo != NULL ? m->memo : &local;
	if (m->memo == NULL || !r->own_known)
		own_text(m, r);
	if (marker != NULL)
		*marker = r->marker;
	if (after != NULL)
		*after = r->after;
	return r->has_marker;
}

size_t
rb_mail_own_len(const struct rb_mail *m)
{
	size_t mk;
	rb_mail_original_marker(m, &mk, NULL);
	return mk;
}

const char *
rb_mail_header(const struct rb_mail *m, const char *name)
{
	return rb_fields_get(&m->hdr, name);
}

const char *
rb_mail_decode_text(struct rb_arena *a, const char *s)
{
	if (s == NULL)
		return NULL;
	char *d = g_mime_utils_header_decode_text(NULL, s);
	if (d == NULL)
		return s;
	const char *r = clean(a, d);
	g_free(d);
	return r;
}
