#include "mta_text.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "mta_provider.h"
#include "text.h"
#include "textline.h"
#include "transcript.h"

/* Lines of diagnostic text kept per recipient. */
#define DIAG_LINES 24

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

/* A header line that cuts the report (the cut phrases are looked for
 * over the whole region, report_region()). */
static bool
is_header_cut(const struct rb_text_dialect *d, const char *line, size_t n)
{
	if (!(d->flags & RB_TD_NO_COMMON_CUT))
		for (const char *const *h = header_cut; *h; h++)
			if (n >= strlen(*h) && rb_startswith_ci(line, *h))
				return true;
	return false;
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
	bool code;
	i += rb_line_skip_code(line + i, n - i, &code);
	size_t used = rb_line_addr_at(line + i, n - i, as, al);
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
		size_t l2, u2 = rb_line_addr_at(line + j, n - j, &a2, &l2);
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
		size_t used = rb_line_addr_at(line + i, n - i, as, al);
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
	if (sp < 4 || rb_line_addr_at(line + sp, n - sp, as, al) != n - sp)
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
		if (at > 0 && rb_line_local_char((unsigned char)v[at - 1]))
			continue;
		if (at + tl >= vl || v[at + tl] != '@')
			continue;
		const char *as;
		size_t al;
		if (rb_line_addr_at(v + at, vl - at, &as, &al) > 0)
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
	if (d->flags & RB_TD_EXIM_LINES) {
		const char *b = line;
		while (b < line + n && (*b == ' ' || *b == '\t'))
			b++;
		const char *e = *as + *al;
		if (b != *as)
			return false;	/* "<addr>", "550 addr", "5.7.0 addr" */
		const char *t = e;
		while (t < line + n && (*t == ' ' || *t == '\t'))
			t++;
		if (!(t == line + n || *e == ':' ||
		      (e + 1 < line + n && e[0] == ' ' &&
		       (e[1] == '<' || e[1] == '(')) ||
		      rb_startswith_ci(e, " ...")))
			return false;
	}
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
		    rb_line_has_code(e->diagnostic, strlen(e->diagnostic)))
			return false;
	}
	return true;
}

/* The report region of a dialect: from just after its start line (or the
 * top) to the first cut line (or the end). */
static void
report_region(const struct rb_text_dialect *d, const char *text, size_t len,
	      size_t *rs, size_t *re)
{
	size_t ll, next;
	const char *line;
	*rs = 0;
	if (d->start != NULL &&
	    rb_line_first_with(text, len, 0, d->start, &next) < len)
		*rs = next;
	/* the first cut line: the first line with a cut phrase (one scan
	 * of the region each list), or a header line before it */
	*re = rb_line_first_with(text, len, *rs, common_cut, &next);
	if (d->cut != NULL) {
		size_t c = rb_line_first_with(text, len, *rs, d->cut, &next);
		if (c < *re)
			*re = c;
	}
	for (size_t p = *rs; p < *re && rb_next_line(text, len, &p, &line, &ll);)
		if (is_header_cut(d, line, ll)) {
			*re = (size_t)(line - text);
			break;
		}
}

/* Reading one dialect's region line by line. */
struct reader {
	struct rb_ctx *c;
	const struct rb_text_dialect *d;
	const char *text;
	size_t len, rs, re;
	size_t pos;		/* after the current line */
	const char *line;	/* the current line */
	size_t ll;
	bool more;		/* there is a current line */
	size_t group;		/* RB_TD_DIAG_ABOVE: after the last recipient */
	int region_code;	/* RB_TD_EVIDENCE: a code in the region (-1 unknown) */
	size_t first;		/* the dialect's first event */
	int n;			/* events added */
};

/* A recipient found on the current line. */
struct found {
	char *addr;		/* already normalised (qualified local part) */
	const char *as;		/* else the address as written */
	size_t al;
	const char *rest;	/* the text after it */
	size_t rl;
	bool by_label;
};

static void
advance(struct reader *r)
{
	r->more = rb_next_line(r->text, r->re, &r->pos, &r->line, &r->ll);
}

/* The current line ends with a label and the next one starts with the
 * address: that line becomes the current one. */
static bool
label_wrapped(struct reader *r, struct found *f)
{
	if (!label_ends(r->d, r->line, r->ll))
		return false;
	size_t p2 = r->pos, ll2;
	const char *l2;
	if (!rb_next_line(r->text, r->re, &p2, &l2, &ll2))
		return false;
	size_t i = 0;
	while (i < ll2 && (l2[i] == ' ' || l2[i] == '\t'))
		i++;
	size_t used = rb_line_addr_at(l2 + i, ll2 - i, &f->as, &f->al);
	if (used == 0)
		return false;
	i += used;
	while (i < ll2 && strchr(" \t.:>", l2[i]))
		i++;
	f->rest = l2 + i;
	f->rl = ll2 - i;
	r->pos = p2;
	r->line = l2;
	r->ll = ll2;
	f->by_label = true;
	return true;
}

/* RB_TD_QUALIFY: a bare local part on the current line, qualified from
 * the original's headers or from the copy that follows the report. */
static bool
qualified_local(struct reader *r, struct found *f)
{
	const char *ts;
	size_t tl;
	if (!(r->d->flags & RB_TD_QUALIFY) ||
	    !bare_local(r->line, r->ll, &ts, &tl))
		return false;
	const char *text = r->text;
	size_t len = r->len, ts0 = r->re, tn = len - r->re;
	if (tn > 8192)
		tn = 8192;
	while (ts0 < len && text[ts0] != '\n')
		ts0++, tn = tn ? tn - 1 : 0;
	while (ts0 < len && (text[ts0] == '\n' || text[ts0] == '\r'))
		ts0++, tn = tn ? tn - 1 : 0;
	f->addr = qualify(r->c, ts, tl, text + ts0, tn);
	if (f->addr == NULL)
		return false;
	f->as = f->addr;
	f->al = strlen(f->addr);
	f->rest = r->line + r->ll;
	f->rl = 0;
	return true;
}

/* From the current line on, the next line that names a recipient. */
static bool
next_recipient(struct reader *r, struct found *f)
{
	const char *la, *lr;
	size_t lal, lrl;
	for (; r->more; advance(r)) {
		f->addr = NULL;
		f->by_label = false;
		bool plain = recipient_line(r->d, r->line, r->ll, &f->as,
					    &f->al, &f->rest, &f->rl);
		if (!plain && label_wrapped(r, f))
			return true;
		if (plain || qualified_local(r, f)) {
			f->by_label = labelled(r->d, r->line, r->ll, &la, &lal,
					       &lr, &lrl);
			return true;
		}
	}
	return false;
}

/* RB_TD_DIAG_ABOVE: the "<<<" replies of the group above the recipient
 * line, then its own text; the ">>>" command in *cmd.  Moves to the next
 * line, which starts the next group. */
static void
diag_above(struct reader *r, const struct found *f, char *diag, size_t *dl,
	   const char **cmd)
{
	size_t gp = r->group, gend = (size_t)(r->line - r->text);
	const char *gl;
	size_t gll;
	while (rb_next_line(r->text, gend, &gp, &gl, &gll)) {
		/* a new SMTP session: what came before concerned another
		 * host */
		if (rb_strcasestr_n(gl, gll, "while talking to")) {
			*dl = 0;
			diag[0] = '\0';
			*cmd = NULL;
		} else if (gll > 4 && memcmp(gl, "<<< ", 4) == 0)
			rb_line_join(diag, dl, gl + 4, gll - 4);
		else if (gll > 4 && memcmp(gl, ">>> ", 4) == 0)
			*cmd = rb_smtp_command_find(gl, gll);
	}
	rb_line_join(diag, dl, f->rest, f->rl);
	r->group = r->pos;
	advance(r);
}

/* At a blank line inside a recipient's text: does the reason go on in
 * the next paragraph (Exim's "For the following reason:", GMX's reply
 * after the host line)?  One more paragraph, only while no reply code
 * was seen. */
static bool
next_paragraph_continues(struct reader *r, const char *diag, size_t dl,
			 unsigned *paras)
{
	if ((*paras)++ > 1 || rb_line_has_code(diag, dl))
		return false;
	size_t p2 = r->pos;
	const char *l3, *a2, *r2;
	size_t ll3, l2, rl2;
	while (rb_next_line(r->text, r->re, &p2, &l3, &ll3) &&
	       rb_line_blank(l3, ll3))
		;
	return !(p2 >= r->re || rb_line_separator(l3, ll3) ||
		 recipient_line(r->d, l3, ll3, &a2, &l2, &r2, &rl2));
}

/* Exim's "pipe to |cmd", "save to FILE" or "mail to addr" line: the
 * next entry of the list starts there (its "generated by" line below) */
static bool
exim_local_delivery(const char *line, size_t n)
{
	while (n > 0 && (*line == ' ' || *line == '\t'))
		line++, n--;
	return (n > 9 && memcmp(line, "pipe to |", 9) == 0) ||
	       (n > 8 && (memcmp(line, "save to ", 8) == 0 ||
			  memcmp(line, "mail to ", 8) == 0));
}

/* The recipient's own text: the rest of its line and the lines below it
 * up to a separator, the next recipient or the end of its paragraphs.
 * Leaves the reader on the line that ended it. */
static void
diag_below(struct reader *r, const struct found *f, char *diag, size_t *dl)
{
	/* Exim: "pipe to |cmd" / "save to FILE" on the line above
	 * "generated by addr" is what failed for that address */
	if (rb_line_generated_by(r->line, r->ll)) {
		const char *pl;
		size_t pll;
		if (rb_line_above(r->text, r->rs, r->line, &pl, &pll))
			rb_line_join(diag, dl, pl, pll);
	}
	rb_line_join(diag, dl, f->rest, f->rl);
	size_t rindent = rb_line_indent(r->line, r->ll);
	unsigned lines = 0, paras = 0;
	for (advance(r); r->more; advance(r)) {
		const char *a2, *r2;
		size_t l2, rl2;
		if (rb_line_separator(r->line, r->ll))
			break;
		if (rb_line_blank(r->line, r->ll)) {
			if (!next_paragraph_continues(r, diag, *dl, &paras))
				break;
			continue;
		}
		/* the same address again is part of this recipient's text
		 * (Exim's folded reply), and so is a line indented deeper
		 * than the recipient's own: the remote reply that the MTA
		 * folded under it ("550 5.7.0 <sender@x>... text" in Exim's
		 * or Postfix's indented continuation) */
		if (recipient_line(r->d, r->line, r->ll, &a2, &l2, &r2, &rl2) &&
		    !(l2 == f->al && strncasecmp(a2, f->as, f->al) == 0) &&
		    rb_line_indent(r->line, r->ll) <= rindent)
			break;
		if ((r->d->flags & RB_TD_EXIM_LINES) &&
		    rb_line_indent(r->line, r->ll) < rindent &&
		    exim_local_delivery(r->line, r->ll))
			break;
		if (lines++ < DIAG_LINES)
			rb_line_join(diag, dl, r->line, r->ll);
	}
}

/* Is the recipient with this text a failed one?  (A delivery report line
 * is not; under RB_TD_EVIDENCE an unlabelled line needs a code in its
 * text or in the region.) */
static bool
failed_recipient(struct reader *r, const struct found *f, const char *diag,
		 size_t dl)
{
	if (rb_line_success_only(diag, dl))
		return false;
	if ((r->d->flags & RB_TD_EVIDENCE) && !f->by_label &&
	    !rb_line_has_code(diag, dl)) {
		if (r->region_code < 0)
			r->region_code = rb_line_has_code(r->text + r->rs,
							  r->re - r->rs);
		if (!r->region_code)
			return false;
	}
	return true;
}

/* The event for one recipient (a repeated address only lends its text to
 * the first one's empty diagnostic).  False when the report names too
 * many recipients (c->error set). */
static bool
add_recipient(struct reader *r, const char *addr, const char *diag,
	      size_t dl, const char *above_cmd)
{
	struct rb_ctx *c = r->c;
	const struct rb_text_dialect *d = r->d;
	struct rb_event *dup = NULL;
	for (size_t i = r->first; i < c->out->n; i++)
		if (c->out->v[i].recipient &&
		    strcasecmp(c->out->v[i].recipient, addr) == 0)
			dup = &c->out->v[i];
	if (dup != NULL) {
		if (dup->diagnostic == NULL && dl > 0)
			dup->diagnostic = rb_arena_strndup(c->a, diag, dl);
		/* an event made from X-Failed-Recipients learns its alias
		 * from the entry under the heading */
		if (dup->original_recipient == NULL && dl > 0) {
			char *o = rb_addr_expanded_from(c->a, diag, dl);
			if (o != NULL && strcasecmp(o, addr) != 0)
				dup->original_recipient = o;
		}
		return true;
	}
	if ((unsigned)r->n >= c->opts->limits.max_recipients) {
		c->error = "too many recipients in one report";
		return false;
	}
	struct rb_event *e = rb_ctx_add(c, d->name, addr);
	e->kind = (d->flags & RB_TD_DELAY) ? RB_KIND_DELAY : RB_KIND_BOUNCE;
	e->action = (d->flags & RB_TD_DELAY) ? "delayed" : "failed";
	if (dl > 0 && !(d->flags & RB_TD_REGION_DIAG))
		e->diagnostic = rb_arena_strndup(c->a, diag, dl);
	/* "<final> (expanded from <alias>)", "generated from alias" */
	if (dl > 0) {
		char *o = rb_addr_expanded_from(c->a, diag, dl);
		if (o != NULL && strcasecmp(o, addr) != 0)
			e->original_recipient = o;
	}
	if (d->flags & RB_TD_DIAG_ABOVE)
		e->smtp_command = above_cmd;
	else if (dl > 0)
		e->smtp_command = rb_smtp_command_find(diag, dl);
	/* only a transcript line that names this recipient says at which
	 * command it failed (a whole transcript would give the first
	 * command of the session) */
	if (e->smtp_command == NULL &&
	    !(d->flags & (RB_TD_REGION_DIAG | RB_TD_DIAG_ABOVE)))
		e->smtp_command =
		    rb_smtp_command_near(r->text + r->rs, r->re - r->rs, addr);
	r->n++;
	return true;
}

/* Read every recipient of the region into events.  False on too many. */
static bool
read_recipients(struct reader *r)
{
	struct found f;
	while (next_recipient(r, &f)) {
		char *addr = f.addr ? f.addr : rb_addr_normalize(r->c->a, f.as,
								  f.al);
		char diag[RB_LINE_DIAG_MAX];
		size_t dl = 0;
		diag[0] = '\0';
		const char *above_cmd = NULL;
		if (r->d->flags & RB_TD_DIAG_ABOVE)
			diag_above(r, &f, diag, &dl, &above_cmd);
		else
			diag_below(r, &f, diag, &dl);
		if (addr == NULL || !rb_addr_plausible(addr) ||
		    !failed_recipient(r, &f, diag, dl))
			continue;
		if (!add_recipient(r, addr, diag, dl, above_cmd))
			return false;
	}
	return true;
}

/* Diagnostics that the template gives away from the addresses: a
 * heading's block, Postfix's In/Out transcript, else the whole region. */
static void
shared_diagnostics(struct reader *r)
{
	struct rb_ctx *c = r->c;
	const struct rb_text_dialect *d = r->d;
	if (d->diag_block || d->cmd_block) {
		const char *bd =
		    d->diag_block ? rb_line_block_after(c->a, r->text, r->len,
							r->rs, d->diag_block,
							false)
				  : NULL;
		const char *bc =
		    d->cmd_block ? rb_line_block_after(c->a, r->text, r->len,
						       r->rs, d->cmd_block, true)
				 : NULL;
		const char *cmd = bc ? rb_smtp_verb(bc, strlen(bc)) : NULL;
		for (size_t i = r->first; i < c->out->n; i++) {
			if (bd != NULL)
				c->out->v[i].diagnostic = bd;
			if (cmd != NULL)
				c->out->v[i].smtp_command = cmd;
		}
	}
	if (d->flags & RB_TD_INOUT) {
		const char *cmd = NULL;
		const char *fd = rb_transcript_inout_failure(
		    c->a, r->text + r->rs, r->re - r->rs, &cmd);
		for (size_t i = r->first; fd != NULL && i < c->out->n; i++) {
			c->out->v[i].diagnostic = fd;
			c->out->v[i].smtp_command = cmd;
		}
	}
	const char *region = NULL;
	for (size_t i = r->first; i < c->out->n; i++) {
		struct rb_event *e = &c->out->v[i];
		if (e->diagnostic != NULL)
			continue;
		if (region == NULL) {
			size_t rn = r->re - r->rs;
			if (rn > 8 * RB_LINE_DIAG_MAX)
				rn = 8 * RB_LINE_DIAG_MAX;
			region = rb_squeeze(c->a, r->text + r->rs, rn);
		}
		e->diagnostic = region;
	}
}

int
rb_text_dialect_parse(struct rb_ctx *c, const struct rb_text_dialect *d)
{
	const struct rb_mail *m = c->m;
	if (m->body == NULL || m->body_len == 0)
		return 0;
	struct reader r = {.c = c, .d = d, .text = m->body,
			   .len = m->body_len, .region_code = -1,
			   .first = c->out->n};
	report_region(d, r.text, r.len, &r.rs, &r.re);
	/* a notice that asks the reader to act on a web page ("click to
	 * release", "sign in to") is phishing dressed as a bounce, however
	 * well it copies a template */
	if (rb_provider_phishy(r.text + r.rs, r.re - r.rs))
		return 0;
	r.pos = r.group = r.rs;
	advance(&r);
	if (!read_recipients(&r))
		return 0;
	if (r.n == 0 && (d->flags & RB_TD_XFR))
		r.n = xfr_recipients(c, d);
	if (r.n == 0 && (d->flags & RB_TD_NAMELESS) && d->labels != NULL &&
	    rb_line_has_any(r.text + r.rs, r.re - r.rs, d->labels)) {
		struct rb_event *e = rb_ctx_add(c, d->name, NULL);
		e->kind = (d->flags & RB_TD_DELAY) ? RB_KIND_DELAY
						   : RB_KIND_BOUNCE;
		e->action = (d->flags & RB_TD_DELAY) ? "delayed" : "failed";
		r.n = 1;
	}
	if (r.n == 0)
		return 0;
	if (self_lure(c, r.first, r.text + r.rs, r.re - r.rs)) {
		c->out->n = r.first;
		return 0;
	}
	/* a template that announces itself as a warning (Sendmail's V8
	 * banner, Postfix's): delivery is still being tried */
	static const char *const warning_only[] = {
	    "THIS IS A WARNING MESSAGE ONLY", "THIS IS A WARNING ONLY",
	    "YOU DO NOT NEED TO RESEND YOUR MESSAGE",
	    "Will keep trying until message is", NULL,
	};
	if (!(d->flags & RB_TD_DELAY) &&
	    rb_line_has_any(r.text + r.rs, r.re - r.rs, warning_only))
		for (size_t i = r.first; i < c->out->n; i++) {
			c->out->v[i].kind = RB_KIND_DELAY;
			c->out->v[i].action = "delayed";
		}
	shared_diagnostics(&r);
	return r.n;
}
