#include "mta_text.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "mta_b.h"
#include "text.h"

/* Most diagnostic text kept per recipient, and lines of it. */
#define DIAG_MAX 2048
#define DIAG_LINES 24

static bool
has_any(const char *hay, size_t n, const char *const *needles)
{
	if (hay == NULL || n == 0)
		return false;
	size_t k = 0;
	while (needles[k])
		k++;
	return rb_memcasemem_first(hay, n, needles, k, NULL) != NULL;
}

static bool
header_any(const struct rb_mail *m, const char *const *needles)
{
	for (; *needles; needles++) {
		const char *colon = strchr(*needles, ':');
		if (colon == NULL) {
			if (rb_mail_header(m, *needles) != NULL)
				return true;
			continue;
		}
		char name[64];
		size_t nl = (size_t)(colon - *needles);
		if (nl >= sizeof(name))
			continue;
		memcpy(name, *needles, nl);
		name[nl] = '\0';
		const char *v = rb_mail_header(m, name);
		const char *want = colon + 1;
		while (*want == ' ')
			want++;
		if (v != NULL && rb_strcasestr_n(v, strlen(v), want) != NULL)
			return true;
	}
	return false;
}

static char *
lower_copy(struct rb_arena *a, const char *s, size_t n)
{
	char *d = rb_arena_alloc_raw(a, n + 1);
	rb_lower_n(d, s, n);
	d[n] = '\0';
	return d;
}

void
rb_td_view_init(const struct rb_ctx *c, struct rb_td_view *v)
{
	const struct rb_mail *m = c->m;
	const char *f = rb_mail_header(m, "From");
	v->from_len = f ? strlen(f) : 0;
	v->from = lower_copy(c->a, f ? f : "", v->from_len);
	v->subject_len = m->subject ? strlen(m->subject) : 0;
	v->subject = lower_copy(c->a, m->subject ? m->subject : "",
				v->subject_len);
	v->body_len = m->body_len < RB_TD_SCAN ? m->body_len : RB_TD_SCAN;
	v->body = lower_copy(c->a, m->body ? m->body : "", v->body_len);
}

/* needle (any case) in lower-case hay */
static bool
has_lc(const char *hay, size_t n, const char *const *needles)
{
	for (; *needles; needles++) {
		size_t nl = strlen(*needles);
		if (nl > n || nl >= 160)
			continue;
		/* hay is lower-case: a caseless search is an exact one for
		 * it, and rb_memcasemem scans 32 bytes a step */
		if (rb_memcasemem(hay, n, *needles, nl) != NULL)
			return true;
	}
	return false;
}

bool
rb_text_dialect_detect(const struct rb_ctx *c, const struct rb_td_view *v,
		       const struct rb_text_dialect *d)
{
	if (!d->from && !d->subject && !d->header && !d->body)
		return false;
	if (d->from != NULL && !has_lc(v->from, v->from_len, d->from))
		return false;
	if (d->subject != NULL &&
	    !has_lc(v->subject, v->subject_len, d->subject))
		return false;
	if (d->header != NULL && !header_any(c->m, d->header))
		return false;
	if (d->body != NULL && !has_lc(v->body, v->body_len, d->body))
		return false;
	return true;
}

/* Lines at which the returned original (or its headers) begins, whatever
 * the dialect; matched anywhere in the line, case-insensitive. */
static const char *const common_cut[] = {
    "This is a copy of the message",
    "Below this line is a copy of the message",
    "message follows",
    "header of the original message",
    "copy of the original message",
    "copy of the message header",
    "original message header",
    "Content-Type: message/rfc822",
    "Content-Type: text/rfc822-headers",
    NULL,
};

/* Column-0 header names that mean a header block (the original) began. */
static const char *const header_cut[] = {
    "Received:", "Return-Path:", "X-Envelope-From:", "DKIM-Signature:",
    NULL,
};

static bool
is_cut(const struct rb_text_dialect *d, const char *line, size_t n)
{
	if (d->cut && has_any(line, n, d->cut))
		return true;
	if (has_any(line, n, common_cut))
		return true;
	if (!(d->flags & RB_TD_NO_COMMON_CUT))
		for (const char *const *h = header_cut; *h; h++)
			if (n >= strlen(*h) && rb_startswith_ci(line, *h))
				return true;
	return false;
}

static bool
blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isspace((unsigned char)s[i]))
			return false;
	return true;
}

/* A separator line: "-----", "=====", "*****", "_____" (and MIME
 * boundaries of bodies gmime did not split). */
static bool
separator(const char *s, size_t n)
{
	size_t i = 0;
	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	if (n - i < 3)
		return false;
	char ch = s[i];
	if (ch != '-' && ch != '=' && ch != '*' && ch != '_')
		return false;
	return s[i + 1] == ch && s[i + 2] == ch;
}

static bool
local_char(unsigned char ch)
{
	return isalnum(ch) || ch >= 0x80 || strchr("!#$%&'*+/=?^_`{|}~.-", ch);
}

static bool
domain_char(unsigned char ch)
{
	return isalnum(ch) || ch >= 0x80 || ch == '.' || ch == '-' ||
	       ch == '_';
}

/*
 * Parse an address at s[0..n): [<"]local@domain[>"].  Sets *as and *al to the
 * bare address and returns bytes consumed, or 0.
 */
static size_t
addr_at(const char *s, size_t n, const char **as, size_t *al)
{
	size_t i = 0;
	char open = 0;
	if (i < n && (s[i] == '<' || s[i] == '"')) {
		open = s[i] == '<' ? '>' : '"';
		i++;
	}
	size_t ls = i;
	while (i < n && local_char((unsigned char)s[i]) && s[i] != '@')
		i++;
	if (i == ls || i >= n || s[i] != '@')
		return 0;
	i++;
	size_t ds = i;
	while (i < n && domain_char((unsigned char)s[i]))
		i++;
	size_t de = i;
	while (de > ds && (s[de - 1] == '.' || s[de - 1] == '-'))
		de--;
	if (de == ds || memchr(s + ds, '.', de - ds) == NULL)
		return 0;
	*as = s + ls;
	*al = de - ls;
	i = de;
	if (open && i < n && s[i] == open)
		i++;
	return i;
}

/*
 * Address-led recipient line.  Returns true and the address and the rest
 * of the line after the separator.
 */
static bool
addr_led(const char *line, size_t n, const char **as, size_t *al,
	 const char **rest, size_t *rl)
{
	size_t i = 0;
	while (i < n && (line[i] == ' ' || line[i] == '\t'))
		i++;
	if (i + 1 < n && (line[i] == '*' || line[i] == '-') &&
	    line[i + 1] == ' ')
		i += 2;
	else if (i + 3 < n && memcmp(line + i, ">>> ", 4) == 0)
		i += 4;
	while (i < n && line[i] == ' ')
		i++;
	/* optional reply code and enhanced status */
	size_t code_at = i;
	bool code = false;
	if (i + 3 < n && isdigit((unsigned char)line[i]) &&
	    isdigit((unsigned char)line[i + 1]) &&
	    isdigit((unsigned char)line[i + 2]) &&
	    (line[i + 3] == ' ' || line[i + 3] == '-')) {
		i += 4;
		code = true;
		if (i + 1 < n && isdigit((unsigned char)line[i]) &&
		    line[i + 1] == '.') {
			size_t j = i;
			while (j < n && (isdigit((unsigned char)line[j]) ||
					 line[j] == '.'))
				j++;
			if (j < n && line[j] == ' ')
				i = j + 1;
		}
	} else if (i + 5 < n && isdigit((unsigned char)line[i]) &&
		   line[i + 1] == '.') {
		size_t j = i;
		while (j < n &&
		       (isdigit((unsigned char)line[j]) || line[j] == '.'))
			j++;
		if (j < n && line[j] == ' ')
			i = j + 1;
	}
	size_t used = addr_at(line + i, n - i, as, al);
	if (used == 0)
		return false;
	i += used;
	size_t j = i;
	while (j < n && (line[j] == ' ' || line[j] == '\t'))
		j++;
	if (j == n) {
		*rest = line + n;
		*rl = 0;
		return true;
	}
	if (line[i] == ':' || line[i] == ',') {
		i++;
	} else if (n - i >= 3 && memcmp(line + i, "...", 3) == 0) {
		i += 3;
	} else if (n - j >= 3 && memcmp(line + j, "...", 3) == 0) {
		i = j + 3;	/* "addr ... unknown host" (Exim 3) */
	} else if (j > i && line[j] == '<') {
		/* "addr <addr2>": the bracketed one is the route address
		 * (Exim's malformed-address notice, Active!Hunter) */
		const char *a2;
		size_t l2, u2 = addr_at(line + j, n - j, &a2, &l2);
		if (u2 > 0) {
			*as = a2;
			*al = l2;
			i = j + u2;
			while (i < n && (line[i] == ':' || line[i] == ' '))
				i++;
		} else {
			i = j;
		}
	} else if (j > i && (line[j] == '[' || line[j] == '(')) {
		i = j;
	} else {
		return false;
	}
	while (i < n && (line[i] == ' ' || line[i] == '\t'))
		i++;
	if (code) {
		/* "550 5.1.1 <addr>: text": the reply keeps its codes */
		i = code_at;
	}
	*rest = line + i;
	*rl = n - i;
	return true;
}

/* The line ends with one of the dialect's labels ("Could not be
 * delivered to:" and the address wrapped onto the next line). */
static bool
label_ends(const struct rb_text_dialect *d, const char *line, size_t n)
{
	if (d->labels == NULL)
		return false;
	while (n > 0 && isspace((unsigned char)line[n - 1]))
		n--;
	for (const char *const *lb = d->labels; *lb; lb++) {
		size_t k = strlen(*lb);
		if (n >= k && strncasecmp(line + n - k, *lb, k) == 0)
			return true;
	}
	return false;
}

static bool
labelled(const struct rb_text_dialect *d, const char *line, size_t n,
	 const char **as, size_t *al, const char **rest, size_t *rl)
{
	if (d->labels == NULL)
		return false;
	for (const char *const *lb = d->labels; *lb; lb++) {
		const char *p = rb_strcasestr_n(line, n, *lb);
		if (p == NULL)
			continue;
		size_t i = (size_t)(p - line) + strlen(*lb);
		while (i < n && (line[i] == ' ' || line[i] == '\t'))
			i++;
		size_t used = addr_at(line + i, n - i, as, al);
		if (used == 0)
			continue;
		i += used;
		while (i < n && (line[i] == ' ' || line[i] == '\t' ||
				 line[i] == '.' || line[i] == ':' ||
				 line[i] == '>'))
			i++;
		*rest = line + i;
		*rl = n - i;
		return true;
	}
	return false;
}

/*
 * "User mailbox exceeds allowed size: kijitora@example.co.jp": the line
 * ends with an address after ": " or " to "; the text before it is the
 * diagnostic.  Header-like lines ("To: addr") are not recipient lines.
 */
static bool
trailing(const char *line, size_t n, const char **as, size_t *al,
	 const char **rest, size_t *rl)
{
	while (n > 0 && isspace((unsigned char)line[n - 1]))
		n--;
	size_t sp = n;
	while (sp > 0 && line[sp - 1] != ' ' && line[sp - 1] != '\t')
		sp--;
	if (sp < 4 || addr_at(line + sp, n - sp, as, al) != n - sp)
		return false;
	size_t e = sp;
	while (e > 0 && (line[e - 1] == ' ' || line[e - 1] == '\t'))
		e--;
	bool colon = e > 0 && line[e - 1] == ':';
	bool to = e >= 3 && strncasecmp(line + e - 3, " to", 3) == 0;
	if (!colon && !to)
		return false;
	/* "Word:" alone before the address is a header-like line */
	size_t i = 0;
	while (i < e && (line[i] == ' ' || line[i] == '\t'))
		i++;
	if (colon && memchr(line + i, ' ', e - 1 - i) == NULL)
		return false;
	*rest = line + i;
	*rl = colon ? e - 1 - i : e - i;
	return true;
}

/* "  kijitora" alone: the local part Exim reports for a local alias */
static bool
bare_local(const char *line, size_t n, const char **ts, size_t *tl)
{
	size_t i = 0;
	while (i < n && (line[i] == ' ' || line[i] == '\t'))
		i++;
	if (i < 2)
		return false;	/* Exim indents the addresses */
	size_t s0 = i;
	while (i < n && (isalnum((unsigned char)line[i]) || line[i] == '.' ||
			 line[i] == '_' || line[i] == '-' || line[i] == '+'))
		i++;
	size_t e = i;
	while (i < n && (line[i] == ' ' || line[i] == '\t'))
		i++;
	if (i != n || e == s0 || e - s0 > 64)
		return false;
	*ts = line + s0;
	*tl = e - s0;
	return true;
}

/* local@domain for a bare local part, from the original's headers */
static char *
in_text(struct rb_ctx *c, const char *v, size_t vl, const char *t, size_t tl)
{
	size_t off = 0;
	const char *p;
	while ((p = rb_memcasemem(v + off, vl - off, t, tl))) {
		size_t at = (size_t)(p - v);
		off = at + 1;
		if (at > 0 && local_char((unsigned char)v[at - 1]))
			continue;
		if (at + tl >= vl || v[at + tl] != '@')
			continue;
		const char *as;
		size_t al;
		if (addr_at(v + at, vl - at, &as, &al) > 0)
			return rb_addr_normalize(c->a, as, al);
	}
	return NULL;
}

/* local@domain for a bare local part: from the original's headers, or
 * from the copy of it that follows the report (tail) */
static char *
qualify(struct rb_ctx *c, const char *t, size_t tl, const char *tail,
	size_t taillen)
{
	const struct rb_fields *f = &c->m->orig;
	/* the cut line may have been folded ("------ This is a copy of
	 * the message, including all the\nheaders. ------"): the copy
	 * starts at the first line that looks like a header field */
	for (int k = 0; k < 4 && tail != NULL && taillen > 0; k++) {
		size_t i = 0;
		while (i < taillen && (isalnum((unsigned char)tail[i]) ||
				       tail[i] == '-'))
			i++;
		if (i > 0 && i < taillen && tail[i] == ':')
			break;
		const char *nl = memchr(tail, '\n', taillen);
		if (nl == NULL) {
			tail = NULL;
			break;
		}
		taillen -= (size_t)(nl + 1 - tail);
		tail = nl + 1;
	}
	if (tail != NULL && taillen > 0) {
		/* its header block only */
		const char *hb = tail;
		const char *end = memmem(tail, taillen, "\n\n", 2);
		char *r = in_text(c, hb, end ? (size_t)(end - hb) : taillen,
				  t, tl);
		if (r != NULL)
			return r;
	}
	static const char *const names[] = {"To", "Cc", "Received",
					    "Delivered-To", NULL};
	for (size_t k = 0; names[k]; k++)
		for (size_t i = 0; i < f->n; i++) {
			if (strcasecmp(f->v[i].name, names[k]) != 0)
				continue;
			const char *v = f->v[i].value;
			char *r = in_text(c, v, strlen(v), t, tl);
			if (r != NULL)
				return r;
		}
	return NULL;
}

static bool
recipient_line(const struct rb_text_dialect *d, const char *line, size_t n,
	       const char **as, size_t *al, const char **rest, size_t *rl)
{
	if (labelled(d, line, n, as, al, rest, rl))
		return true;
	if ((d->flags & RB_TD_TRAILING_ADDR) &&
	    trailing(line, n, as, al, rest, rl))
		return true;
	if (d->flags & RB_TD_NO_ADDR_LINES)
		return false;
	if (!addr_led(line, n, as, al, rest, rl))
		return false;
	if (d->flags & RB_TD_ADDR_COLON) {
		const char *e = *as + *al;
		while (e < line + n && (*e == '>' || *e == ' '))
			e++;
		if (!(e < line + n && (*e == ':' ||
				       rb_startswith_ci(e, "(expanded from"))))
			return false;
	}
	return true;
}

/* Append s[0..n) to buf (space separated), bounded. */
static void
diag_add(char *buf, size_t *bl, const char *s, size_t n)
{
	while (n > 0 && isspace((unsigned char)*s))
		s++, n--;
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	if (n == 0)
		return;
	if (*bl > 0 && *bl < DIAG_MAX - 1)
		buf[(*bl)++] = ' ';
	if (n > DIAG_MAX - 1 - *bl)
		n = DIAG_MAX - 1 - *bl;
	memcpy(buf + *bl, s, n);
	*bl += n;
	buf[*bl] = '\0';
}

/* Columns of leading blanks (a tab counts 8). */
static size_t
indent_of(const char *s, size_t n)
{
	size_t i = 0, col = 0;
	for (; i < n && (s[i] == ' ' || s[i] == '\t'); i++)
		col = s[i] == '\t' ? (col / 8 + 1) * 8 : col + 1;
	return col;
}

/* Does the text carry an SMTP reply or enhanced status code? */
static bool
has_code(const char *s, size_t n)
{
	for (size_t i = 0; i + 3 <= n; i++) {
		if (!isdigit((unsigned char)s[i]) || (i > 0 && isalnum((unsigned char)s[i - 1])))
			continue;
		if ((s[i] == '4' || s[i] == '5') && i + 4 < n &&
		    s[i + 1] == '.' && isdigit((unsigned char)s[i + 2]))
			return true;
		if ((s[i] == '4' || s[i] == '5') &&
		    isdigit((unsigned char)s[i + 1]) &&
		    isdigit((unsigned char)s[i + 2]) &&
		    (i + 3 == n || !isalnum((unsigned char)s[i + 3])))
			return true;
	}
	return false;
}

/* A success reply ("250 2.0.0 Ok: queued") and no failure code: the
 * line reports a delivery (Postfix's text "successfully delivered"
 * notice), not a failed recipient. */
static bool
success_only(const char *s, size_t n)
{
	if (n == 0 || has_code(s, n))
		return false;
	for (size_t i = 0; i + 4 <= n; i++) {
		if (s[i] != '2' || (i > 0 && isalnum((unsigned char)s[i - 1])))
			continue;
		if (isdigit((unsigned char)s[i + 1]) &&
		    isdigit((unsigned char)s[i + 2]) &&
		    (s[i + 3] == ' ' || s[i + 3] == '-'))
			return true;
		if (s[i + 1] == '.' && isdigit((unsigned char)s[i + 2]) &&
		    s[i + 3] == '.')
			return true;
	}
	return false;
}

/* The lines after the heading line (one of `heads`) up to a blank or
 * separator line, squeezed; only its first line when `one`. */
static const char *
block_after(struct rb_ctx *c, const char *text, size_t len, size_t rs,
	    const char *const *heads, bool one)
{
	size_t pos = rs, ll;
	const char *line;
	while (rb_next_line(text, len, &pos, &line, &ll)) {
		if (!has_any(line, ll, heads))
			continue;
		size_t b = pos, e = pos;
		while (rb_next_line(text, len, &pos, &line, &ll)) {
			if (blank(line, ll) || separator(line, ll))
				break;
			e = (size_t)(line - text) + ll;
			if (one)
				break;
			if (e - b > DIAG_MAX)
				break;
		}
		return e > b ? rb_squeeze(c->a, text + b, e - b) : NULL;
	}
	return NULL;
}

static bool
generated_by(const char *line, size_t n)
{
	size_t i = 0;
	while (i < n && (line[i] == ' ' || line[i] == '\t'))
		i++;
	return n - i > 13 && strncasecmp(line + i, "generated by ", 13) == 0;
}

/* The non-blank line just above `line` (not before text[rs]). */
static bool
line_above(const char *text, size_t rs, const char *line, const char **pl,
	   size_t *pll)
{
	size_t e = (size_t)(line - text);
	if (e <= rs + 1)
		return false;
	e--;	/* its '\n' */
	if (e > rs && text[e - 1] == '\r')
		e--;
	size_t b = e;
	while (b > rs && text[b - 1] != '\n')
		b--;
	if (blank(text + b, e - b))
		return false;
	*pl = text + b;
	*pll = e - b;
	return true;
}

/* Postfix's transcript ("In:  RCPT TO:<a>", "Out: 550 5.1.1 ..."): the
 * first failing reply (its continuation lines too) and the command it
 * answered.  Returns the reply (arena) or NULL. */
static const char *
inout_failure(struct rb_ctx *c, const char *text, size_t len,
	      const char **cmd)
{
	size_t pos = 0, ll;
	const char *line, *last_cmd = NULL;	/* of the last In: line */
	char diag[DIAG_MAX];
	size_t dl = 0;
	bool in_reply = false;
	while (rb_next_line(text, len, &pos, &line, &ll)) {
		size_t i = 0;
		while (i < ll && (line[i] == ' ' || line[i] == '\t'))
			i++;
		const char *t = line + i;
		size_t tl = ll - i;
		bool is_in = tl >= 3 && strncasecmp(t, "In:", 3) == 0;
		bool is_out = tl >= 4 && strncasecmp(t, "Out:", 4) == 0;
		if (in_reply) {
			/* "Out: 550-..." lines and indented continuations
			 * belong to the reply; anything else ends it */
			if (is_out) {
				size_t k = 4;
				while (k < tl && t[k] == ' ')
					k++;
				if (k + 3 < tl && t[k] == diag[0] &&
				    t[k + 3] != ' ' && t[k + 3] != '-')
					break;
				if (k < tl && t[k] == diag[0]) {
					diag_add(diag, &dl, t + k, tl - k);
					continue;
				}
				break;
			}
			if (!is_in && i > 0 && tl > 0) {
				diag_add(diag, &dl, t, tl);
				continue;
			}
			break;
		}
		if (is_in) {
			size_t k = 3;
			while (k < tl && t[k] == ' ')
				k++;
			last_cmd = rb_smtp_verb(t + k, tl - k);
			continue;
		}
		if (!is_out)
			continue;
		size_t k = 4;
		while (k < tl && t[k] == ' ')
			k++;
		if (k + 2 < tl && (t[k] == '4' || t[k] == '5') &&
		    isdigit((unsigned char)t[k + 1]) &&
		    isdigit((unsigned char)t[k + 2])) {
			diag_add(diag, &dl, t + k, tl - k);
			in_reply = true;
		}
	}
	if (dl == 0)
		return NULL;
	*cmd = last_cmd;
	return rb_arena_strndup(c->a, diag, dl);
}

/* The addresses of the bounce's own X-Failed-Recipients header ("a@x,
 * b@y"), one event each, no diagnostic yet. */
static int
xfr_recipients(struct rb_ctx *c, const struct rb_text_dialect *d)
{
	const char *v = rb_mail_header(c->m, "X-Failed-Recipients");
	size_t first = c->out->n;
	int n = 0;
	while (v != NULL && *v) {
		size_t l = strcspn(v, ",");
		char *r = rb_addr_normalize(c->a, v, l);
		v += l;
		if (*v == ',')
			v++;
		if (r == NULL || !rb_addr_plausible(r))
			continue;
		bool dup = false;
		for (size_t i = first; i < c->out->n; i++)
			if (strcasecmp(c->out->v[i].recipient, r) == 0)
				dup = true;
		if (dup)
			continue;
		if ((unsigned)n >= c->opts->limits.max_recipients) {
			c->error = "too many recipients in one report";
			return 0;
		}
		struct rb_event *e = rb_ctx_add(c, d->name, r);
		e->kind = (d->flags & RB_TD_DELAY) ? RB_KIND_DELAY
						   : RB_KIND_BOUNCE;
		e->action = (d->flags & RB_TD_DELAY) ? "delayed" : "failed";
		n++;
	}
	return n;
}

/*
 * A notice that names its own addressee as the failed recipient, carries
 * a web link in its text and no remote server's reply for anyone: the
 * shape of a phishing mail dressed as a bounce ("your mailbox could not
 * receive 6 messages, see https://...").  A real bounce goes back to the
 * sender of the failed mail, and says what the receiving side answered.
 */
static bool
self_lure(struct rb_ctx *c, size_t first, const char *region, size_t rn)
{
	if (rb_memcasemem(region, rn, "://", 3) == NULL)
		return false;
	const char *to = rb_mail_header(c->m, "To");
	if (to == NULL)
		return false;
	size_t tl = strlen(to);
	for (size_t i = first; i < c->out->n; i++) {
		const struct rb_event *e = &c->out->v[i];
		if (e->recipient == NULL ||
		    rb_memcasemem(to, tl, e->recipient, strlen(e->recipient)) ==
			NULL)
			return false;
		if (e->diagnostic != NULL &&
		    has_code(e->diagnostic, strlen(e->diagnostic)))
			return false;
	}
	return true;
}

int
rb_text_dialect_parse(struct rb_ctx *c, const struct rb_text_dialect *d)
{
	const struct rb_mail *m = c->m;
	const char *text = m->body;
	size_t len = m->body_len, pos = 0, rs = 0, re;
	const char *line;
	size_t ll;

	if (text == NULL || len == 0)
		return 0;
	if (d->start != NULL) {
		while (rb_next_line(text, len, &pos, &line, &ll))
			if (has_any(line, ll, d->start)) {
				rs = pos;
				break;
			}
		pos = rs;
	}
	re = len;
	for (size_t p = rs; rb_next_line(text, len, &p, &line, &ll);)
		if (is_cut(d, line, ll)) {
			re = (size_t)(line - text);
			break;
		}

	/* a notice that asks the reader to act on a web page ("click to
	 * release", "sign in to") is phishing dressed as a bounce, however
	 * well it copies a template */
	if (rb_b_phishy(text + rs, re - rs))
		return 0;

	/* the recipients, each with the text that follows it */
	const char *as, *rest;
	size_t al, rl;
	int n = 0;
	size_t first = c->out->n;
	pos = rs;
	size_t group = rs;	/* RB_TD_DIAG_ABOVE: after the last recipient */
	bool more = rb_next_line(text, re, &pos, &line, &ll);
	int region_code = -1;	/* RB_TD_EVIDENCE: a code in the region */
	while (more) {
		char *addr = NULL;
		bool by_label = false;
		const char *la, *lr;
		size_t lal, lrl;
		if (!recipient_line(d, line, ll, &as, &al, &rest, &rl) &&
		    label_ends(d, line, ll)) {
			/* the label's address on the next line */
			size_t p2 = pos, ll2;
			const char *l2;
			if (rb_next_line(text, re, &p2, &l2, &ll2)) {
				size_t i = 0;
				while (i < ll2 && (l2[i] == ' ' || l2[i] == '\t'))
					i++;
				size_t used = addr_at(l2 + i, ll2 - i, &as, &al);
				if (used > 0) {
					i += used;
					while (i < ll2 && strchr(" \t.:>", l2[i]))
						i++;
					rest = l2 + i;
					rl = ll2 - i;
					pos = p2;
					line = l2;
					ll = ll2;
					by_label = true;
					goto found;
				}
			}
		}
		if (!recipient_line(d, line, ll, &as, &al, &rest, &rl)) {
			const char *ts;
			size_t tl;
			/* the copy of the original after the report */
			size_t ts0 = re, tn = len - re;
			if (tn > 8192)
				tn = 8192;
			while (ts0 < len && text[ts0] != '\n')
				ts0++, tn = tn ? tn - 1 : 0;
			while (ts0 < len && (text[ts0] == '\n' ||
					     text[ts0] == '\r'))
				ts0++, tn = tn ? tn - 1 : 0;
			if ((d->flags & RB_TD_QUALIFY) &&
			    bare_local(line, ll, &ts, &tl) &&
			    (addr = qualify(c, ts, tl, text + ts0, tn)) !=
				NULL) {
				as = addr;
				al = strlen(addr);
				rest = line + ll;
				rl = 0;
			} else {
				more = rb_next_line(text, re, &pos, &line, &ll);
				continue;
			}
		}
		by_label = labelled(d, line, ll, &la, &lal, &lr, &lrl);
	found:
		if (addr == NULL)
			addr = rb_addr_normalize(c->a, as, al);
		char diag[DIAG_MAX];
		size_t dl = 0;
		diag[0] = '\0';
		const char *above_cmd = NULL;
		if (d->flags & RB_TD_DIAG_ABOVE) {
			/* the group above this line: its replies, then the
			 * recipient's own text; the next line starts the
			 * next group */
			size_t gp = group, gend = (size_t)(line - text);
			const char *gl;
			size_t gll;
			while (rb_next_line(text, gend, &gp, &gl, &gll)) {
				/* a new SMTP session: what came before
				 * concerned another host */
				if (rb_strcasestr_n(gl, gll, "while talking to")) {
					dl = 0;
					diag[0] = '\0';
					above_cmd = NULL;
				} else if (gll > 4 && memcmp(gl, "<<< ", 4) == 0)
					diag_add(diag, &dl, gl + 4, gll - 4);
				else if (gll > 4 && memcmp(gl, ">>> ", 4) == 0)
					above_cmd = rb_smtp_command_find(gl, gll);
			}
			diag_add(diag, &dl, rest, rl);
			group = pos;
			more = rb_next_line(text, re, &pos, &line, &ll);
			goto add;
		}
		/* Exim: "pipe to |cmd" / "save to FILE" on the line above
		 * "generated by addr" is what failed for that address */
		if (generated_by(line, ll)) {
			const char *pl;
			size_t pll;
			if (line_above(text, rs, line, &pl, &pll))
				diag_add(diag, &dl, pl, pll);
		}
		diag_add(diag, &dl, rest, rl);
		size_t rindent = indent_of(line, ll);
		unsigned lines = 0, paras = 0;
		while ((more = rb_next_line(text, re, &pos, &line, &ll))) {
			const char *a2, *r2;
			size_t l2, rl2;
			if (separator(line, ll))
				break;
			if (blank(line, ll)) {
				/* the reason may be the next paragraph
				 * ("For the following reason:", GMX's
				 * reply after the host line): take one
				 * more when no reply code was seen yet */
				if (paras++ > 1 || has_code(diag, dl))
					break;
				size_t p2 = pos;
				const char *l3;
				size_t ll3;
				while (rb_next_line(text, re, &p2, &l3, &ll3) &&
				       blank(l3, ll3))
					;
				if (p2 >= re || separator(l3, ll3) ||
				    recipient_line(d, l3, ll3, &a2, &l2, &r2,
						   &rl2))
					break;
				continue;
			}
			if (recipient_line(d, line, ll, &a2, &l2, &r2, &rl2)) {
				/* the same address again is part of this
				 * recipient's text (Exim's folded reply), and
				 * so is a line indented deeper than the
				 * recipient's own: the remote reply that the
				 * MTA folded under it ("550 5.7.0
				 * <sender@x>... text" in Exim's or Postfix's
				 * indented continuation) */
				if (!(l2 == al && strncasecmp(a2, as, al) == 0) &&
				    indent_of(line, ll) <= rindent)
					break;
			}
			if (lines++ < DIAG_LINES)
				diag_add(diag, &dl, line, ll);
		}
		/* a blank line right after the address: the reason may be
		 * the next paragraph (Exim "For the following reason:") --
		 * left to the region fallback below */
	add:
		if (addr == NULL || !rb_addr_plausible(addr))
			continue;
		/* a delivery report line, not a failure */
		if (success_only(diag, dl))
			continue;
		if ((d->flags & RB_TD_EVIDENCE) && !by_label &&
		    !has_code(diag, dl)) {
			if (region_code < 0)
				region_code = has_code(text + rs, re - rs);
			if (!region_code)
				continue;
		}
		struct rb_event *dup = NULL;
		for (size_t i = first; i < c->out->n; i++)
			if (c->out->v[i].recipient &&
			    strcasecmp(c->out->v[i].recipient, addr) == 0)
				dup = &c->out->v[i];
		if (dup != NULL) {
			if (dup->diagnostic == NULL && dl > 0)
				dup->diagnostic = rb_arena_strndup(c->a, diag, dl);
			continue;
		}
		if ((unsigned)n >= c->opts->limits.max_recipients) {
			c->error = "too many recipients in one report";
			return 0;
		}
		struct rb_event *e = rb_ctx_add(c, d->name, addr);
		e->kind = (d->flags & RB_TD_DELAY) ? RB_KIND_DELAY
						   : RB_KIND_BOUNCE;
		e->action = (d->flags & RB_TD_DELAY) ? "delayed" : "failed";
		if (dl > 0 && !(d->flags & RB_TD_REGION_DIAG))
			e->diagnostic = rb_arena_strndup(c->a, diag, dl);
		if (d->flags & RB_TD_DIAG_ABOVE)
			e->smtp_command = above_cmd;
		else if (dl > 0)
			e->smtp_command = rb_smtp_command_find(diag, dl);
		/* only a transcript line that names this recipient says
		 * at which command it failed (a whole transcript would give
		 * the first command of the session) */
		if (e->smtp_command == NULL &&
		    !(d->flags & (RB_TD_REGION_DIAG | RB_TD_DIAG_ABOVE)))
			e->smtp_command =
			    rb_smtp_command_near(text + rs, re - rs, addr);
		n++;
	}
	if (n == 0 && (d->flags & RB_TD_XFR))
		n = xfr_recipients(c, d);
	if (n == 0)
		return 0;
	if (self_lure(c, first, text + rs, re - rs)) {
		c->out->n = first;
		return 0;
	}
	if (d->diag_block || d->cmd_block) {
		const char *bd = d->diag_block
				     ? block_after(c, text, len, rs, d->diag_block, false)
				     : NULL;
		const char *bc = d->cmd_block
				     ? block_after(c, text, len, rs, d->cmd_block, true)
				     : NULL;
		const char *cmd = bc ? rb_smtp_verb(bc, strlen(bc)) : NULL;
		for (size_t i = first; i < c->out->n; i++) {
			if (bd != NULL)
				c->out->v[i].diagnostic = bd;
			if (cmd != NULL)
				c->out->v[i].smtp_command = cmd;
		}
	}
	if (d->flags & RB_TD_INOUT) {
		const char *cmd = NULL;
		const char *fd = inout_failure(c, text + rs, re - rs, &cmd);
		for (size_t i = first; fd != NULL && i < c->out->n; i++) {
			c->out->v[i].diagnostic = fd;
			c->out->v[i].smtp_command = cmd;
		}
	}
	/* templates that explain the failure away from the address */
	const char *region = NULL;
	for (size_t i = first; i < c->out->n; i++) {
		struct rb_event *e = &c->out->v[i];
		if (e->diagnostic != NULL)
			continue;
		if (region == NULL) {
			size_t rn = re - rs;
			if (rn > 8 * DIAG_MAX)
				rn = 8 * DIAG_MAX;
			region = rb_squeeze(c->a, text + rs, rn);
		}
		e->diagnostic = region;
	}
	return n;
}
