#include "mime.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "text.h"

struct bound {
	const char *b;
	size_t n;
};

struct scan {
	struct rb_arena *a;
	const struct rb_limits *lim;
	const char *buf;
	size_t len, pos;
	struct bound *stack;	/* boundaries of the enclosing multiparts */
	size_t nb, capb;
	struct rb_mime *out;
	bool stop;		/* a limit was hit: unwind */
};

/* fields of one header block while it is read */
struct fbuf {
	struct rb_mime_field *v;
	size_t n, cap;
	size_t ncontent;	/* Content-* fields among them */
	bool cut;
};

static size_t
line_end(const struct scan *s, size_t p)
{
	const char *nl = memchr(s->buf + p, '\n', s->len - p);
	return nl ? (size_t)(nl - s->buf) : s->len;
}

static bool
blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/*
 * A message whose multipart structure lost its declaration (a list
 * archive or a forward kept the body but dropped the top Content-Type, or
 * its boundary parameter): the first line with text after at most a
 * short preamble ("This is a multi-part message in MIME format.") is a
 * "--token" line that a "Content-...:" field follows and that comes
 * again later as a delimiter.  The token, or NULL.  A delimiter further
 * down is a returned original's, below the notice's own text.
 */
#define SNIFF_MAX 512
static const char *
sniff_boundary(struct scan *s)
{
	size_t end = s->len - s->pos > SNIFF_MAX ? s->pos + SNIFF_MAX : s->len;
	unsigned texts = 0;
	for (size_t p = s->pos; p < end && texts <= 2;) {
		size_t e = line_end(s, p), te = e;
		const char *l = s->buf + p;
		while (te > p + 2 && blank(s->buf[te - 1]))
			te--;
		size_t n = te - p;
		bool ok = n > 2 && n <= 72 && l[0] == '-' && l[1] == '-';
		for (size_t i = 2; ok && i < n; i++)
			ok = isalnum((unsigned char)l[i]) ||
			     strchr("'()+_,-./:=? ", l[i]) != NULL;
		if (ok && e < s->len) {
			size_t q = e + 1, qe = line_end(s, q);
			ok = qe - q > 9 &&
			     strncasecmp(s->buf + q, "Content-", 8) == 0 &&
			     memchr(s->buf + q, ':', qe - q) != NULL;
		} else {
			ok = false;
		}
		/* the same delimiter again below */
		if (ok && memmem(s->buf + e, s->len - e, l, n) == NULL)
			ok = false;
		if (ok)
			return rb_arena_strndup(s->a, l + 2, n - 2);
		if (te > p && !(te == p + 1 && blank(l[0])))
			texts++;
		p = e + 1;
	}
	return NULL;
}

/*
 * Is the line [p, e) a delimiter of an enclosing multipart?  Returns the
 * index of its boundary on the stack (innermost checked first) or -1;
 * *final tells a close delimiter ("--b--").
 */
static int
delimiter(const struct scan *s, size_t p, size_t e, bool *final)
{
	if (s->nb == 0 || e - p < 2 || s->buf[p] != '-' || s->buf[p + 1] != '-')
		return -1;
	const char *l = s->buf + p + 2;
	size_t n = e - p - 2;
	for (size_t k = s->nb; k-- > 0;) {
		const struct bound *b = &s->stack[k];
		if (n < b->n || memcmp(l, b->b, b->n) != 0)
			continue;
		size_t i = b->n;
		bool fin = false;
		if (n - i >= 2 && l[i] == '-' && l[i + 1] == '-') {
			fin = true;
			i += 2;
		}
		while (i < n && blank(l[i]))
			i++;
		if (i < n)
			continue;	/* "--b junk" is text */
		*final = fin;
		return (int)k;
	}
	return -1;
}

/*
 * Content from s->pos up to the next delimiter of any enclosing multipart
 * (its index is returned, s->pos moves past the delimiter line) or to the
 * end of input (-1).  *cend is the end of the content: the line end
 * before a delimiter belongs to the delimiter.
 */
static int
scan_content(struct scan *s, size_t *cend, bool *final)
{
	size_t start = s->pos, p = start;
	*final = false;
	if (s->nb == 0) {
		*cend = s->pos = s->len;
		return -1;
	}
	for (;;) {
		/* p is at a line start */
		if (s->len - p >= 2 && s->buf[p] == '-' && s->buf[p + 1] == '-') {
			size_t e = line_end(s, p);
			int k = delimiter(s, p, e, final);
			if (k >= 0) {
				size_t c = p;
				if (c > start && s->buf[c - 1] == '\n') {
					c--;
					if (c > start && s->buf[c - 1] == '\r')
						c--;
				}
				*cend = c;
				s->pos = e < s->len ? e + 1 : s->len;
				return k;
			}
		}
		/* the SSE2 pair filter beats memmem on this short needle */
		const char *q = rb_memcasemem(s->buf + p, s->len - p, "\n--", 3);
		if (q == NULL)
			break;
		p = (size_t)(q - s->buf) + 1;
	}
	*final = false;
	*cend = s->pos = s->len;
	return -1;
}

/* Content-* fields describe the entity; the others (the message's
 * header view) are what max_headers counts.  Of each kind at most
 * max_headers + 1 are kept: one over the limit is enough to tell. */
static struct rb_mime_field *
add_field(struct scan *s, struct fbuf *f, const char *name, size_t nl)
{
	bool content = nl >= 8 && strncasecmp(name, "Content-", 8) == 0;
	size_t kind = content ? f->ncontent : f->n - f->ncontent;
	if (kind > s->lim->max_headers) {
		if (!content)
			f->cut = true;
		return NULL;
	}
	f->ncontent += content;
	f->v = rb_arena_grow(s->a, f->v, f->n, &f->cap, sizeof(*f->v), 16);
	return &f->v[f->n++];
}

enum hres {
	H_BODY,		/* block ended by an empty line or the input */
	H_DELIM,	/* a delimiter line ended it (no body) */
	H_NOT_MESSAGE,	/* first line of the mail is not a field */
};

/* "name=value" (or "; name=value") at the start of a line: a
 * Content-* field's parameter, never a field of its own. */
static bool
param_line(const char *l, size_t n)
{
	size_t i = 0;
	if (i < n && l[i] == ';')
		i++;
	while (i < n && (l[i] == ' ' || l[i] == '\t'))
		i++;
	size_t b = i;
	while (i < n && (isalnum((unsigned char)l[i]) || l[i] == '-' ||
			 l[i] == '_' || l[i] == '*' || l[i] == '.'))
		i++;
	return i > b && i < n && l[i] == '=';
}

/*
 * Read a header block at s->pos.  On H_DELIM, *k and *final describe the
 * delimiter and *at_first tells whether it was the very first line.
 */
static enum hres
parse_headers(struct scan *s, bool top, struct fbuf *f, int *k, bool *final,
	      bool *at_first)
{
	bool first = true;
	size_t cur = (size_t)-1;	/* field being continued */
	if (top && s->pos >= s->len)
		return H_NOT_MESSAGE;
	while (s->pos < s->len) {
		size_t p = s->pos, e = line_end(s, p);
		size_t next = e < s->len ? e + 1 : s->len;
		size_t le = e;
		if (le > p && s->buf[le - 1] == '\r')
			le--;
		if (le == p) {
			s->pos = next;
			return H_BODY;
		}
		const char *l = s->buf + p;
		if (s->nb > 0 && l[0] == '-') {
			int d = delimiter(s, p, e, final);
			if (d >= 0) {
				*k = d;
				*at_first = first;
				s->pos = next;
				return H_DELIM;
			}
		}
		if (l[0] == ' ' || l[0] == '\t') {
			if (cur != (size_t)-1) {
				struct rb_mime_field *c = &f->v[cur];
				c->value_len = (size_t)(s->buf + le - c->value);
			} else if (top && first) {
				return H_NOT_MESSAGE;
			}
		} else if (cur != (size_t)-1 && f->v[cur].name_len > 8 &&
			   (f->v[cur].name[0] | 0x20) == 'c' &&
			   strncasecmp(f->v[cur].name, "Content-", 8) == 0 &&
			   param_line(l, le - p)) {
			/* a parameter continued at column 0 ("boundary=..."
			 * under "Content-Type: ...;"), as broken MTAs write
			 * it: no field name has an '=' */
			struct rb_mime_field *c = &f->v[cur];
			c->value_len = (size_t)(s->buf + le - c->value);
		} else {
			const char *colon = memchr(l, ':', le - p);
			size_t nl = colon ? (size_t)(colon - l) : 0;
			while (nl > 0 && (l[nl - 1] == ' ' || l[nl - 1] == '\t'))
				nl--;
			/* gmime takes ": value" as a field with an empty name */
			bool ok = colon != NULL && (nl > 0 || colon == l);
			for (size_t i = 0; ok && i < nl; i++) {
				unsigned char c = (unsigned char)l[i];
				if (c < 33 || c == 127)
					ok = false;
			}
			cur = (size_t)-1;
			if (!ok && top && first && le - p >= 5 &&
			    memcmp(l, "From ", 5) == 0) {
				s->pos = next;	/* another mbox separator */
				continue;
			}
			if (!ok) {
				if (top && first)
					return H_NOT_MESSAGE;
			} else {
				struct rb_mime_field *fd = add_field(s, f, l, nl);
				if (fd != NULL) {
					const char *v = colon + 1;
					while (v < s->buf + le && (*v == ' ' || *v == '\t'))
						v++;
					fd->name = l;
					fd->name_len = nl;
					fd->value = v;
					fd->value_len = (size_t)(s->buf + le - v);
					cur = f->n - 1;
				}
			}
		}
		first = false;
		s->pos = next;
	}
	return H_BODY;
}

/* ---- Content-Type ---- */

/* skip blanks, line ends and (nested (comments)) */
static void
skip_cfws(const char *v, size_t n, size_t *i)
{
	while (*i < n) {
		char c = v[*i];
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
			(*i)++;
		} else if (c == '(') {
			int depth = 0;
			while (*i < n) {
				c = v[*i];
				if (c == '\\' && *i + 1 < n) {
					*i += 2;
					continue;
				}
				(*i)++;
				if (c == '(')
					depth++;
				else if (c == ')' && --depth == 0)
					break;
			}
		} else {
			break;
		}
	}
}

static bool
is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* RFC 2045 tspecials and controls end a type or subtype token */
static bool
is_tspecial(char c)
{
	return (unsigned char)c < 32 || c == 127 ||
	       strchr("()<>@,;:\\\"/[]?=", c) != NULL;
}

/* a parameter we keep: plain value, or RFC 2231 segments */
#define MAXSEG 16
struct param {
	const char *name;
	char *plain;
	char *seg[MAXSEG];
	bool ext[MAXSEG];
};

static int
hexv(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)(c | 0x20);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* RFC 2231 %XX decoding in place */
static void
pct_decode(char *s)
{
	char *o = s;
	for (; *s; s++) {
		if (s[0] == '%' && hexv(s[1]) >= 0 && hexv(s[2]) >= 0) {
			*o++ = (char)(hexv(s[1]) * 16 + hexv(s[2]));
			s += 2;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
}

static const char *
param_value(struct rb_arena *a, struct param *p)
{
	if (p->plain != NULL)
		return p->plain;
	if (p->seg[0] == NULL)
		return NULL;
	size_t total = 0, nseg = 0;
	while (nseg < MAXSEG && p->seg[nseg] != NULL)
		total += strlen(p->seg[nseg++]);
	char *r = rb_arena_alloc(a, total + 1);
	size_t o = 0;
	for (size_t i = 0; i < nseg; i++) {
		char *v = p->seg[i];
		if (p->ext[i]) {
			if (i == 0) {
				/* charset'language'value */
				char *q1 = strchr(v, '\'');
				char *q2 = q1 ? strchr(q1 + 1, '\'') : NULL;
				if (q2 != NULL)
					v = q2 + 1;
			}
			pct_decode(v);
		}
		size_t l = strlen(v);
		memcpy(r + o, v, l);
		o += l;
	}
	r[o] = '\0';
	return r;
}

static void
set_param(struct param *ps, size_t np, const char *name, size_t nl,
	  char *value)
{
	/* name, name*, name*N, name*N* */
	const char *star = memchr(name, '*', nl);
	size_t base = star ? (size_t)(star - name) : nl;
	for (size_t i = 0; i < np; i++) {
		struct param *p = &ps[i];
		if (strlen(p->name) != base || strncasecmp(p->name, name, base))
			continue;
		if (star == NULL) {
			if (p->plain == NULL)
				p->plain = value;
			return;
		}
		const char *q = star + 1, *end = name + nl;
		unsigned idx = 0;
		bool ext = false;
		if (q == end) {
			ext = true;	/* name*=charset''value */
		} else {
			while (q < end && *q >= '0' && *q <= '9' && idx < 1000)
				idx = idx * 10 + (unsigned)(*q++ - '0');
			if (q < end && *q == '*') {
				ext = true;
				q++;
			}
			if (q != end)
				return;
		}
		if (idx < MAXSEG && p->seg[idx] == NULL) {
			p->seg[idx] = value;
			p->ext[idx] = ext;
		}
		return;
	}
}

void
rb_mime_content_type(struct rb_arena *a, const char *v, size_t n,
		     struct rb_mime_part *p)
{
	size_t i = 0;
	skip_cfws(v, n, &i);
	size_t ts = i;
	while (i < n && !is_tspecial(v[i]) && !is_ws(v[i]))
		i++;
	size_t tl = i - ts;
	skip_cfws(v, n, &i);
	size_t ss = i, sl = 0;
	if (i < n && v[i] == '/') {
		i++;
		skip_cfws(v, n, &i);
		ss = i;
		while (i < n && !is_tspecial(v[i]) && !is_ws(v[i]))
			i++;
		sl = i - ss;
	}
	if (sl == 0) {
		/* no type/subtype: no parameters either */
		p->type = "application/octet-stream";
		p->charset = p->boundary = p->report_type = NULL;
		return;
	} else {
		char *t = rb_arena_alloc(a, tl + sl + 2);
		for (size_t k = 0; k < tl; k++)
			t[k] = (char)(v[ts + k] >= 'A' && v[ts + k] <= 'Z'
					  ? v[ts + k] + 32
					  : v[ts + k]);
		t[tl] = '/';
		for (size_t k = 0; k < sl; k++)
			t[tl + 1 + k] = (char)(v[ss + k] >= 'A' && v[ss + k] <= 'Z'
						   ? v[ss + k] + 32
						   : v[ss + k]);
		t[tl + 1 + sl] = '\0';
		p->type = rb_utf8_sanitize(a, t, tl + 1 + sl);
	}

	struct param ps[3];
	memset(ps, 0, sizeof(ps));
	ps[0].name = "charset";
	ps[1].name = "boundary";
	ps[2].name = "report-type";
	for (;;) {
		/* to the next ';' outside a quoted string */
		while (i < n && v[i] != ';') {
			if (v[i] == '"') {
				i++;
				while (i < n && v[i] != '"')
					i += v[i] == '\\' ? 2 : 1;
			}
			i++;
		}
		if (i >= n)
			break;
		i++;	/* ';' */
		skip_cfws(v, n, &i);
		size_t ns = i;
		while (i < n && v[i] != '=' && v[i] != ';' && !is_ws(v[i]))
			i++;
		size_t nl = i - ns;
		skip_cfws(v, n, &i);
		if (nl == 0 || i >= n || v[i] != '=')
			continue;
		i++;
		skip_cfws(v, n, &i);
		char *val;
		/* a quote that is never closed is part of the value (gmime) */
		bool closed = false;
		if (i < n && v[i] == '"') {
			size_t q = i + 1;
			while (q < n && v[q] != '"')
				q += v[q] == '\\' ? 2 : 1;
			closed = q < n;
		}
		if (closed) {
			i++;
			val = rb_arena_alloc(a, n - i + 1);
			size_t o = 0;
			while (i < n && v[i] != '"') {
				if (v[i] == '\\' && i + 1 < n)
					i++;
				val[o++] = v[i++];
			}
			if (i < n)
				i++;	/* closing quote */
			val[o] = '\0';
		} else {
			/* gmime reads an unquoted value up to ';' (blanks
			 * included) in the unfolded header */
			size_t vs = i;
			while (i < n && v[i] != ';')
				i++;
			val = rb_arena_alloc(a, i - vs + 1);
			size_t o = 0;
			for (size_t k = vs; k < i; k++)
				if (v[k] != '\r' && v[k] != '\n')
					val[o++] = v[k];
			while (o > 0 && is_ws(val[o - 1]))
				o--;
			val[o] = '\0';
			if (o == 0)
				continue;
		}
		set_param(ps, 3, v + ns, nl, val);
	}
	p->charset = param_value(a, &ps[0]);
	p->boundary = param_value(a, &ps[1]);
	p->report_type = param_value(a, &ps[2]);
}

static enum rb_mime_cte
parse_cte(const char *v, size_t n)
{
	size_t i = 0;
	skip_cfws(v, n, &i);
	size_t s = i;
	while (i < n && !is_ws(v[i]) && v[i] != '(' && v[i] != ';')
		i++;
	static const struct {
		const char *name;
		enum rb_mime_cte cte;
	} t[] = {
	    {"base64", RB_CTE_BASE64},	    {"quoted-printable", RB_CTE_QP},
	    {"x-uuencode", RB_CTE_UUENCODE}, {"uuencode", RB_CTE_UUENCODE},
	    {"x-uue", RB_CTE_UUENCODE},
	};
	for (size_t k = 0; k < sizeof(t) / sizeof(t[0]); k++)
		if (strlen(t[k].name) == i - s &&
		    strncasecmp(v + s, t[k].name, i - s) == 0)
			return t[k].cte;
	return RB_CTE_IDENTITY;
}

const struct rb_mime_field *
rb_mime_field(const struct rb_mime_part *p, const char *name)
{
	size_t nl = strlen(name);
	for (size_t i = p->nfields; i-- > 0;)
		if (p->fields[i].name_len == nl &&
		    strncasecmp(p->fields[i].name, name, nl) == 0)
			return &p->fields[i];
	return NULL;
}

/* ---- entities ---- */

static struct rb_mime_part *
new_part(struct scan *s, unsigned depth)
{
	struct rb_mime *o = s->out;
	o->parts++;
	if (depth > o->depth)
		o->depth = depth;
	if (o->parts > s->lim->max_parts) {
		o->error = "too many MIME parts";
		s->stop = true;
		return NULL;
	}
	if (depth > s->lim->max_depth) {
		o->error = "MIME nesting too deep";
		s->stop = true;
		return NULL;
	}
	struct rb_mime_part *p = rb_arena_alloc(s->a, sizeof(*p));
	memset(p, 0, sizeof(*p));
	p->depth = depth;
	return p;
}

static bool
is_message_type(const char *t)
{
	return strcmp(t, "message/rfc822") == 0 ||
	       strcmp(t, "message/global") == 0 ||
	       strcmp(t, "message/news") == 0;
}

/*
 * One entity at s->pos: its header block and content.  Returns the stack
 * index of the delimiter that ended it (s->pos is past that line) or -1
 * at the end of input (or when a limit stopped the scan).  *out is NULL
 * when there was no entity (a delimiter right after a delimiter, or the
 * first line of the mail is not a field).
 */
static int
parse_entity(struct scan *s, unsigned depth, bool in_digest, bool top,
	     struct rb_mime_part **out, bool *final)
{
	struct fbuf f = {0};
	int k = -1;
	bool at_first = false;
	*out = NULL;
	*final = false;
	if (!top && s->pos >= s->len)
		return -1;	/* nothing after a delimiter */
	enum hres h = parse_headers(s, top, &f, &k, final, &at_first);
	if (h == H_NOT_MESSAGE)
		return -1;
	if (h == H_DELIM && at_first)
		return k;
	struct rb_mime_part *p = new_part(s, depth);
	if (p == NULL) {
		s->pos = s->len;
		*final = false;
		return -1;
	}
	*out = p;
	p->fields = f.v;
	p->nfields = f.n;
	p->fields_cut = f.cut;
	const struct rb_mime_field *ct = rb_mime_field(p, "Content-Type");
	if (ct != NULL)
		rb_mime_content_type(s->a, ct->value, ct->value_len, p);
	else
		p->type = in_digest ? "message/rfc822" : "text/plain";
	const struct rb_mime_field *te =
	    rb_mime_field(p, "Content-Transfer-Encoding");
	if (te != NULL)
		p->cte = parse_cte(te->value, te->value_len);
	p->body = s->buf + s->pos;
	if (top && h != H_DELIM &&
	    (ct == NULL ||
	     (strncmp(p->type, "multipart/", 10) == 0 && p->boundary == NULL))) {
		const char *b = sniff_boundary(s);
		if (b != NULL) {
			if (ct == NULL)
				p->type = "multipart/mixed";
			p->boundary = b;
		}
	}
	if (h == H_DELIM) {
		if (strncmp(p->type, "multipart/", 10) == 0)
			p->kind = RB_MIME_MULTIPART;
		return k;	/* headers only */
	}
	size_t body = s->pos, cend;

	if (strncmp(p->type, "multipart/", 10) == 0) {
		p->kind = RB_MIME_MULTIPART;
		if (p->boundary == NULL) {
			/* everything is prologue */
			k = scan_content(s, &cend, final);
			p->body_len = cend - body;
			return k;
		}
		s->stack = rb_arena_grow(s->a, s->stack, s->nb, &s->capb,
					 sizeof(*s->stack), 8);
		int mine = (int)s->nb;
		s->stack[s->nb].b = p->boundary;
		s->stack[s->nb].n = strlen(p->boundary);
		s->nb++;
		k = scan_content(s, &cend, final);
		p->body_len = cend - body;	/* the prologue */
		bool digest = strcmp(p->type, "multipart/digest") == 0;
		struct rb_mime_part **tail = &p->child;
		while (k == mine && !*final && !s->stop) {
			struct rb_mime_part *c;
			k = parse_entity(s, depth + 1, digest, false, &c, final);
			if (c != NULL) {
				*tail = c;
				tail = &c->next;
			}
		}
		s->nb = (size_t)mine;
		if (k == mine && !s->stop) {
			/* after the close delimiter: epilogue, ignored */
			k = scan_content(s, &cend, final);
		}
		return s->stop ? -1 : k;
	}
	if (is_message_type(p->type) && p->cte == RB_CTE_IDENTITY) {
		p->kind = RB_MIME_MESSAGE;
		if (s->pos >= s->len)
			return -1;	/* empty: no message */
		k = parse_entity(s, depth + 1, false, false, &p->child, final);
		return s->stop ? -1 : k;
	}
	k = scan_content(s, &cend, final);
	p->body_len = cend - body;
	return k;
}

int
rb_mime_parse(struct rb_arena *a, const char *buf, size_t len,
	      const struct rb_limits *lim, struct rb_mime *out)
{
	memset(out, 0, sizeof(*out));
	struct scan s = {.a = a, .lim = lim, .buf = buf, .len = len,
			 .out = out};
	bool final;
	parse_entity(&s, 1, false, true, &out->root, &final);
	return out->error ? -1 : 0;
}
