#include "mail.h"

#include <ctype.h>
#include <iconv.h>
#include <string.h>

#include <gmime/gmime.h>

#include "addr.h"
#include "charset.h"

struct walk {
	struct rb_arena *a;
	const struct rb_limits *lim;
	struct rb_mail *m;
	struct rb_text *texts;
	size_t ntexts, captexts;
};

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

/* Copy a header list into fields, unfolded, enforcing limits. */
static int
copy_headers(struct rb_arena *a, const struct rb_limits *lim,
	     GMimeObject *obj, struct rb_fields *out)
{
	GMimeHeaderList *hl = g_mime_object_get_header_list(obj);
	int count = hl ? g_mime_header_list_get_count(hl) : 0;
	int rc = 0;

	out->n = 0;
	out->v = NULL;
	if (count <= 0)
		return 0;
	if ((unsigned)count > lim->max_headers) {
		count = (int)lim->max_headers;
		rc = -1;
	}
	out->v = rb_arena_alloc(a, (size_t)count * sizeof(*out->v));
	for (int i = 0; i < count; i++) {
		GMimeHeader *h = g_mime_header_list_get_header_at(hl, i);
		const char *name = g_mime_header_get_name(h);
		const char *raw = g_mime_header_get_raw_value(h);
		if (raw == NULL)
			raw = "";
		/* the limit counts the value, not the blank after the colon
		 * nor the line end gmime keeps */
		while (*raw == ' ' || *raw == '\t')
			raw++;
		size_t rl = strlen(raw);
		while (rl > 0 && (raw[rl - 1] == '\n' || raw[rl - 1] == '\r' ||
				  raw[rl - 1] == ' ' || raw[rl - 1] == '\t'))
			rl--;
		if (rl > lim->max_header) {
			rl = lim->max_header;
			rc = -1;
		}
		char *v = rb_squeeze(a, raw, rl);
		out->v[out->n].name = rb_utf8_sanitize(a, name ? name : "",
						       strlen(name ? name : ""));
		out->v[out->n].value = rb_utf8_sanitize(a, v, strlen(v));
		out->n++;
	}
	return rc;
}

/* Decoded (transfer-encoding removed) bytes of a leaf part. */
static char *
part_bytes(struct rb_arena *a, GMimePart *part, size_t cap, size_t *len)
{
	GMimeDataWrapper *w = g_mime_part_get_content(part);
	*len = 0;
	if (w == NULL)
		return rb_arena_strdup(a, "");
	GMimeStream *out = g_mime_stream_mem_new();
	g_mime_data_wrapper_write_to_stream(w, out);
	GByteArray *ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(out));
	size_t n = ba->len > cap ? cap : ba->len;
	char *s = rb_utf8_sanitize(a, (const char *)ba->data, n);
	*len = strlen(s);
	g_object_unref(out);
	return s;
}

/* Crude but safe HTML to text: drop tags, scripts and styles, decode the
 * common entities, turn block ends into newlines. */
static char *
html_to_text(struct rb_arena *a, const char *s, size_t n, size_t *olen)
{
	char *o = rb_arena_alloc(a, n + 1);
	size_t k = 0;
	for (size_t i = 0; i < n;) {
		if (s[i] == '<') {
			size_t j = i + 1;
			while (j < n && s[j] != '>')
				j++;
			size_t tl = j - i - 1;
			const char *t = s + i + 1;
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

static void
add_text(struct walk *w, const char *type, const char *text, size_t len)
{
	if (w->ntexts == w->captexts) {
		size_t nc = w->captexts ? w->captexts * 2 : 4;
		struct rb_text *nv = rb_arena_alloc(w->a, nc * sizeof(*nv));
		if (w->ntexts)
			memcpy(nv, w->texts, w->ntexts * sizeof(*nv));
		w->texts = nv;
		w->captexts = nc;
	}
	w->texts[w->ntexts].type = type;
	w->texts[w->ntexts].text = text;
	w->texts[w->ntexts].len = len;
	w->ntexts++;
}

/* Transfer-decoded bytes of a leaf part, not yet charset-converted
 * (for the labels parsers/charset.c decodes itself). */
static char *
part_raw(struct rb_arena *a, GMimePart *part, size_t cap, size_t *len)
{
	GMimeDataWrapper *w = g_mime_part_get_content(part);
	*len = 0;
	if (w == NULL)
		return rb_arena_strdup(a, "");
	GMimeStream *out = g_mime_stream_mem_new();
	g_mime_data_wrapper_write_to_stream(w, out);
	GByteArray *ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(out));
	size_t n = ba->len > cap ? cap : ba->len;
	char *s = rb_arena_strndup(a, (const char *)ba->data, n);
	*len = n;
	g_object_unref(out);
	return s;
}

static char *
text_part(struct walk *w, GMimeObject *obj, const char *type, size_t *len)
{
	size_t cap = w->lim->max_text * 4;
	char *s;
	/* cn: gb2312/gbk labels decode as GB18030 (mail labelled gb2312 is
	 * often GBK), unicode-1-1-utf-7 as UTF-7; gmime handles the rest.
	 * See parsers/charset.h. */
	const char *cs = g_mime_object_get_content_type_parameter(obj, "charset");
	const char *ov = GMIME_IS_PART(obj) ? rb_charset_override(cs) : NULL;
	if (ov != NULL) {
		size_t rn;
		char *raw = part_raw(w->a, GMIME_PART(obj), cap, &rn);
		s = rb_charset_decode(w->a, ov, raw, rn, len);
		if (*len > cap) {
			/* cut on a UTF-8 boundary */
			size_t k = cap;
			while (k > 0 && ((unsigned char)s[k] & 0xc0) == 0x80)
				k--;
			s[k] = '\0';
			*len = k;
		}
	} else if (GMIME_IS_TEXT_PART(obj)) {
		char *t = g_mime_text_part_get_text(GMIME_TEXT_PART(obj));
		if (t == NULL)
			return part_bytes(w->a, GMIME_PART(obj), cap, len);
		size_t n = strlen(t);
		s = rb_utf8_sanitize(w->a, t, n > cap ? cap : n);
		g_free(t);
		*len = strlen(s);
	} else {
		s = part_bytes(w->a, GMIME_PART(obj), cap, len);
	}
	if (strcmp(type, "text/html") == 0)
		s = html_to_text(w->a, s, *len, len);
	return s;
}

static void set_orig_from_message(struct walk *w, GMimeMessage *msg);

static void
walk(struct walk *w, GMimeObject *obj, unsigned depth, bool in_orig)
{
	struct rb_mail *m = w->m;
	if (obj == NULL || m->error != NULL)
		return;
	if (++m->parts > w->lim->max_parts) {
		m->error = "too many MIME parts";
		return;
	}
	if (depth > m->depth)
		m->depth = depth;
	if (depth > w->lim->max_depth) {
		m->error = "MIME nesting too deep";
		return;
	}
	GMimeContentType *ct = g_mime_object_get_content_type(obj);
	const char *mt = ct ? g_mime_content_type_get_media_type(ct) : NULL;
	const char *st = ct ? g_mime_content_type_get_media_subtype(ct) : NULL;
	char *type = rb_arena_printf(w->a, "%s/%s", mt ? mt : "text",
				     st ? st : "plain");
	rb_lower(type);

	if (GMIME_IS_MULTIPART(obj)) {
		GMimeMultipart *mp = GMIME_MULTIPART(obj);
		int n = g_mime_multipart_get_count(mp);
		if (n == 0 && !in_orig) {
			/* a boundary that never occurs (broken or
			 * anonymised mail): gmime keeps the whole body as
			 * the prologue; read it as text so the dialect
			 * parsers still see the report */
			const char *pro = g_mime_multipart_get_prologue(mp);
			if (pro != NULL) {
				size_t pl = strlen(pro);
				size_t cap = w->lim->max_text * 4;
				char *s = rb_utf8_sanitize(w->a, pro,
							   pl > cap ? cap : pl);
				add_text(w, "text/plain", s, strlen(s));
			}
			return;
		}
		for (int i = 0; i < n && m->error == NULL; i++)
			walk(w, g_mime_multipart_get_part(mp, i), depth + 1,
			     in_orig);
		return;
	}
	if (GMIME_IS_MESSAGE_PART(obj)) {
		GMimeMessage *inner =
		    g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj));
		if (inner == NULL)
			return;
		if (!in_orig && !m->has_orig)
			set_orig_from_message(w, inner);
		walk(w, g_mime_message_get_mime_part(inner), depth + 1, true);
		return;
	}
	if (!GMIME_IS_PART(obj))
		return;
	if (in_orig) {
		/* first text of the original, kept for identifier recovery */
		if (m->orig_body == NULL && strncmp(type, "text/", 5) == 0) {
			size_t len;
			char *s = text_part(w, obj, type, &len);
			m->orig_body = s;
			m->orig_body_len = len;
		}
		return;
	}
	size_t len;
	if (strcmp(type, "message/delivery-status") == 0 ||
	    strcmp(type, "message/global-delivery-status") == 0) {
		if (m->dsn == NULL) {
			m->dsn = part_bytes(w->a, GMIME_PART(obj),
					    w->lim->max_text * 4, &len);
			m->dsn_len = len;
		}
		return;
	}
	if (strcmp(type, "message/feedback-report") == 0) {
		if (m->feedback == NULL) {
			m->feedback = part_bytes(w->a, GMIME_PART(obj),
						 w->lim->max_text * 4, &len);
			m->feedback_len = len;
		}
		return;
	}
	if (strcmp(type, "text/rfc822-headers") == 0 ||
	    strcmp(type, "text/rfc822-header") == 0 ||
	    strcmp(type, "message/rfc822-headers") == 0 ||
	    strcmp(type, "message/global-headers") == 0 ||
	    strcmp(type, "message/rfc822") == 0 ||
	    strcmp(type, "message/global") == 0 ||
	    strcmp(type, "message/partial") == 0) {
		if (!m->has_orig) {
			char *s = part_bytes(w->a, GMIME_PART(obj),
					     w->lim->max_text * 4, &len);
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
		char *s = text_part(w, obj, type, &len);
		add_text(w, type, s, len);
		return;
	}
}

static void
set_orig_from_message(struct walk *w, GMimeMessage *msg)
{
	struct rb_mail *m = w->m;
	if (copy_headers(w->a, w->lim, GMIME_OBJECT(msg), &m->orig) < 0)
		m->error = "header too long or too many";
	m->has_orig = true;
}

/* Count "Content-Type:" at line starts: bounds what gmime will build
 * (each MIME part and each nesting level needs one). */
static unsigned
count_content_types(const char *buf, size_t len, unsigned stop)
{
	unsigned n = 0;
	for (size_t i = 0; i + 13 <= len; i++) {
		if ((i == 0 || buf[i - 1] == '\n') &&
		    (buf[i] == 'C' || buf[i] == 'c') &&
		    strncasecmp(buf + i, "content-type:", 13) == 0) {
			if (++n > stop)
				break;
		}
		const char *nl = memchr(buf + i, '\n', len - i);
		if (nl == NULL)
			break;
		i = (size_t)(nl - buf);
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

static const char *
decoded_header(struct rb_arena *a, GMimeObject *obj, const char *name)
{
	const char *v = g_mime_object_get_header(obj, name);
	if (v == NULL)
		return NULL;
	return clean(a, v);
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
	/* an mbox "From " line is not a header */
	if (len >= 5 && memcmp(buf, "From ", 5) == 0) {
		const char *nl = memchr(buf, '\n', len);
		size_t skip = nl ? (size_t)(nl - buf) + 1 : len;
		buf += skip;
		len -= skip;
	}
	if (count_content_types(buf, len, lim->max_parts) > lim->max_parts) {
		m->error = "too many MIME parts";
		return -1;
	}

	GMimeStream *st = g_mime_stream_mem_new_with_buffer(buf, len);
	GMimeParser *p = g_mime_parser_new_with_stream(st);
	g_mime_parser_set_format(p, GMIME_FORMAT_MESSAGE);
	GMimeMessage *msg = g_mime_parser_construct_message(p, NULL);
	g_object_unref(p);
	g_object_unref(st);
	if (msg == NULL)
		return 0;

	GMimeObject *mo = GMIME_OBJECT(msg);
	if (copy_headers(a, lim, mo, &m->hdr) < 0)
		m->error = "header too long or too many";
	const char *subj = g_mime_message_get_subject(msg);
	if (subj)
		m->subject = clean(a, subj);
	/* cn: =?gb2312?B?...?= subjects decoded as GB18030 (charset.h) */
	char *cn_subj =
	    rb_charset_header_decode(a, rb_fields_get(&m->hdr, "Subject"));
	if (cn_subj != NULL)
		m->subject = cn_subj;
	m->from = decoded_header(a, mo, "From");
	if (m->from)
		m->from_addr = rb_addr_find(a, m->from, strlen(m->from));
	m->to = decoded_header(a, mo, "To");
	m->message_id = rb_fields_get(&m->hdr, "Message-ID");
	m->date = rb_fields_get(&m->hdr, "Date");

	GMimeObject *body = g_mime_message_get_mime_part(msg);
	if (body != NULL) {
		GMimeContentType *ct = g_mime_object_get_content_type(body);
		const char *mt = g_mime_content_type_get_media_type(ct);
		const char *sub = g_mime_content_type_get_media_subtype(ct);
		m->ctype = lower_dup(
		    a, rb_arena_printf(a, "%s/%s", mt ? mt : "text",
				       sub ? sub : "plain"));
		const char *rt = g_mime_content_type_get_parameter(
		    ct, "report-type");
		if (rt)
			m->report_type = lower_dup(a, rt);
	} else {
		m->ctype = "text/plain";
	}

	struct walk w = {.a = a, .lim = lim, .m = m};
	walk(&w, body, 1, false);
	m->texts = w.texts;
	m->ntexts = w.ntexts;
	size_t total = 0;
	for (size_t i = 0; i < w.ntexts; i++)
		total += w.texts[i].len + 1;
	char *b = rb_arena_alloc(a, total + 1);
	size_t o = 0;
	for (size_t i = 0; i < w.ntexts; i++) {
		memcpy(b + o, w.texts[i].text, w.texts[i].len);
		o += w.texts[i].len;
		b[o++] = '\n';
	}
	b[o] = '\0';
	m->body = b;
	m->body_len = o;
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
	g_object_unref(msg);
	return m->error ? -1 : 0;
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
