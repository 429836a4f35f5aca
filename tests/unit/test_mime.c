/* mime: the structure scanner (nested multiparts, delimiters that are
 * missing, quoted or garbled, limits, CRLF, NUL bytes, Content-Type
 * parameters) and, through rb_mail_load, the decoding of the parts the
 * mail view uses (base64 garbage, unknown and broken charsets). */
#include <stdarg.h>
#include <stdlib.h>

#include "parsers/mail.h"
#include "parsers/mime.h"
#include "t.h"

static struct rb_arena arena;
static const struct rb_limits deflim = RB_LIMITS_DEFAULT;

static struct rb_mime
scan(const char *text, const struct rb_limits *lim)
{
	struct rb_mime m;
	rb_arena_reset(&arena);
	rb_mime_parse(&arena, text, strlen(text), lim, &m);
	return m;
}

/* content of a part as a NUL-terminated copy */
static const char *
body(const struct rb_mime_part *p)
{
	if (p == NULL)
		return "(no part)";
	return rb_arena_strndup(&arena, p->body, p->body_len);
}

static const struct rb_mime_part *
nth(const struct rb_mime_part *p, int n)
{
	const struct rb_mime_part *c = p ? p->child : NULL;
	while (c != NULL && n-- > 0)
		c = c->next;
	return c;
}

static const char *
type(const struct rb_mime_part *p)
{
	return p ? p->type : "(no part)";
}

static void
test_nested(void)
{
	struct rb_mime m = scan(
	    "From: a@example.org\n"
	    "Content-Type: multipart/mixed; boundary=\"outer\"\n"
	    "\n"
	    "prologue\n"
	    "--outer\n"
	    "Content-Type: text/plain\n"
	    "\n"
	    "A\n"
	    "--outer\n"
	    "Content-Type: multipart/alternative; boundary=inner\n"
	    "\n"
	    "--inner\n"
	    "\n"
	    "B\n"
	    "--inner\n"
	    "Content-Type: text/html\n"
	    "\n"
	    "<p>C</p>\n"
	    "--inner--\n"
	    "inner epilogue\n"
	    "--outer\n"
	    "Content-Type: message/rfc822\n"
	    "\n"
	    "Subject: original\n"
	    "Content-Type: text/plain\n"
	    "\n"
	    "D\n"
	    "--outer--\n"
	    "epilogue\n",
	    &deflim);
	const struct rb_mime_part *r = m.root;
	T_OK(m.error == NULL && r != NULL, "nested: parses");
	if (r == NULL)
		return;
	T_STR(r->type, "multipart/mixed", "nested: top type");
	T_STR(body(r), "prologue", "nested: prologue without its line end");
	T_STR(type(nth(r, 0)), "text/plain", "nested: first part");
	T_STR(body(nth(r, 0)), "A", "nested: line end before a delimiter "
				      "belongs to it");
	const struct rb_mime_part *alt = nth(r, 1);
	T_STR(type(alt), "multipart/alternative", "nested: inner multipart");
	T_STR(type(nth(alt, 0)), "text/plain", "nested: no Content-Type is "
					       "text/plain");
	T_STR(body(nth(alt, 0)), "B", "nested: inner part 1");
	T_STR(body(nth(alt, 1)), "<p>C</p>", "nested: inner part 2");
	T_OK(nth(alt, 2) == NULL, "nested: inner epilogue is no part");
	T_OK(nth(alt, 1) && nth(alt, 1)->depth == 3, "nested: depth 3");
	const struct rb_mime_part *msg = nth(r, 2);
	T_OK(msg && msg->kind == RB_MIME_MESSAGE && msg->child,
	     "nested: message/rfc822 parsed as a message");
	if (msg && msg->child) {
		const struct rb_mime_field *f =
		    rb_mime_field(msg->child, "subject");
		T_OK(f && f->value_len == 8 &&
			 memcmp(f->value, "original", 8) == 0,
		     "nested: the original's header (name case-insensitive)");
		T_STR(body(msg->child), "D", "nested: the original's body");
	}
	T_OK(nth(r, 3) == NULL, "nested: epilogue is no part");
	T_OK(m.parts == 7 && m.depth == 3, "nested: 7 parts, depth 3 (%u, %u)",
	     m.parts, m.depth);
}

static void
test_delimiters(void)
{
	struct rb_mime m;
	/* missing close delimiter: the last part runs to the end */
	m = scan("Content-Type: multipart/mixed; boundary=b\n\n--b\n\nX\n"
		 "--b\n\nlast\nline\n",
		 &deflim);
	T_STR(body(nth(m.root, 1)), "last\nline\n",
	      "missing close delimiter: last part to the end");
	/* a parent's delimiter ends a child that never closes */
	m = scan("Content-Type: multipart/mixed; boundary=p\n\n--p\n"
		 "Content-Type: multipart/mixed; boundary=c\n\n--c\n\nC1\n"
		 "--p\n\nP2\n--p--\n",
		 &deflim);
	T_STR(body(nth(nth(m.root, 0), 0)), "C1",
	      "parent delimiter ends the child's part");
	T_STR(body(nth(m.root, 1)), "P2", "parent continues after it");
	/* boundary text that is not a delimiter line */
	m = scan("Content-Type: multipart/mixed; boundary=b\n\n--b\n\n"
		 "quoted: --b\n> --b\n--b junk\n--bb\n--b\n\nnext\n--b--\n",
		 &deflim);
	T_STR(body(nth(m.root, 0)), "quoted: --b\n> --b\n--b junk\n--bb",
	      "a boundary inside text, after junk or longer is text");
	T_STR(body(nth(m.root, 1)), "next", "the real delimiter still splits");
	/* the original quotes the outer delimiter inside its own multipart */
	m = scan("Content-Type: multipart/report; boundary=r\n\n--r\n\nT\n"
		 "--r\nContent-Type: message/rfc822\n\n"
		 "Subject: s\nContent-Type: multipart/mixed; boundary=o\n\n"
		 "--o\n\nbody --r\n--o--\n--r--\n",
		 &deflim);
	const struct rb_mime_part *orig = nth(m.root, 1);
	T_OK(orig && orig->child && orig->child->child &&
		 strcmp(body(orig->child->child), "body --r") == 0,
	     "boundary inside a quoted body is text");
	/* trailing blanks after a delimiter, close with blanks */
	m = scan("Content-Type: multipart/mixed; boundary=b\n\n--b \t\n\nX\n"
		 "--b--  \nepilogue\n",
		 &deflim);
	T_STR(body(nth(m.root, 0)), "X", "blanks after a delimiter");
	/* no delimiter at all, and no boundary parameter: all prologue */
	m = scan("Content-Type: multipart/mixed; boundary=zz\n\nno\nparts\n",
		 &deflim);
	T_OK(m.root && m.root->child == NULL &&
		 strcmp(body(m.root), "no\nparts\n") == 0,
	     "boundary never found: all prologue");
	m = scan("Content-Type: multipart/mixed\n\n--b\n\nX\n", &deflim);
	T_OK(m.root && m.root->child == NULL && m.root->body_len == 7,
	     "no boundary parameter: all prologue");
	/* a delimiter straight after a delimiter is no part; one after a
	 * blank line is an empty part */
	m = scan("Content-Type: multipart/mixed; boundary=b\n\n--b\n--b\n\n"
		 "--b\nContent-Type: text/html\n\nH\n--b--\n",
		 &deflim);
	T_OK(nth(m.root, 0) && nth(m.root, 0)->body_len == 0 &&
		 strcmp(type(nth(m.root, 1)), "text/html") == 0 &&
		 nth(m.root, 2) == NULL,
	     "delimiter after delimiter: no part; after a blank: empty part");
	/* boundaries are case-sensitive */
	m = scan("Content-Type: multipart/mixed; boundary=B\n\n--B\n\nx\n--b\n"
		 "--B--\n",
		 &deflim);
	T_STR(body(nth(m.root, 0)), "x\n--b", "boundaries are case-sensitive");
	/* multipart/digest parts default to message/rfc822 */
	m = scan("Content-Type: multipart/digest; boundary=d\n\n--d\n\n"
		 "Subject: in digest\n\nbody\n--d--\n",
		 &deflim);
	T_OK(nth(m.root, 0) && nth(m.root, 0)->kind == RB_MIME_MESSAGE,
	     "digest: parts are messages by default");
	/* a transfer-encoded message/rfc822 is a leaf */
	m = scan("Content-Type: message/rfc822\nContent-Transfer-Encoding: "
		 "base64\n\nU3ViamVjdDogaGkK\n",
		 &deflim);
	T_OK(m.root && m.root->kind == RB_MIME_LEAF &&
		 m.root->cte == RB_CTE_BASE64,
	     "base64 message/rfc822 is a leaf");
	/* an empty message/rfc822 has no message */
	m = scan("Content-Type: multipart/mixed; boundary=b\n\n--b\n"
		 "Content-Type: message/rfc822\n\n--b--\n",
		 &deflim);
	T_OK(nth(m.root, 0) && nth(m.root, 0)->child == NULL,
	     "empty message/rfc822: no message");
}

static void
test_crlf_nul(void)
{
	struct rb_mime m = scan(
	    "From: a@b\r\nSubject: x\r\n y\r\n"
	    "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
	    "--b\r\nContent-Type: text/plain\r\n\r\nA\r\n\r\n--b\r\n\r\nB\r\n"
	    "--b--\r\n",
	    &deflim);
	T_OK(m.root != NULL, "CRLF: parses");
	const struct rb_mime_field *f = m.root ? rb_mime_field(m.root, "Subject")
					       : NULL;
	T_OK(f && f->value_len == 5 && memcmp(f->value, "x\r\n y", 5) == 0,
	     "CRLF: folded value keeps its folding, no final CR");
	T_STR(body(nth(m.root, 0)), "A\r\n",
	      "CRLF: one line end before the delimiter removed");
	T_STR(body(nth(m.root, 1)), "B", "CRLF: last part");
	T_STR(type(m.root), "multipart/mixed", "CRLF: type");

	static const char nul[] = "From: a\0b\nContent-Type: text/plain\n\n"
				  "bo\0dy\n";
	struct rb_mime n;
	rb_arena_reset(&arena);
	rb_mime_parse(&arena, nul, sizeof(nul) - 1, &deflim, &n);
	T_OK(n.root && n.root->body_len == 6 && n.root->nfields == 2 &&
		 n.root->fields[0].value_len == 3,
	     "NUL bytes in a value and in the body are kept");
}

static void
test_headers(void)
{
	struct rb_mime m;
	m = scan("just text\nFrom: a@b\n\nbody\n", &deflim);
	T_OK(m.root == NULL, "first line not a field: not a message");
	m = scan("", &deflim);
	T_OK(m.root == NULL, "empty input: not a message");
	m = scan("\nbody\n", &deflim);
	T_OK(m.root && m.root->nfields == 0 &&
		 strcmp(body(m.root), "body\n") == 0,
	     "blank first line: no fields, all body");
	m = scan("From a@b Mon Jan 1 00:00:00 2024\nFrom: a@b\n\nx\n", &deflim);
	T_OK(m.root && m.root->nfields == 1, "an mbox From line is skipped");
	m = scan("From: a@b\nnot a field\nX-Bad Name: v\nSubject : spaced\n"
		 "X-A: 1\n  \nX-B: 2\n\nbody",
		 &deflim);
	T_OK(m.root && m.root->nfields == 4, "invalid lines skipped (%zu)",
	     m.root ? m.root->nfields : 0);
	if (m.root && m.root->nfields == 4) {
		T_OK(m.root->fields[1].name_len == 7,
		     "blanks before the colon are not in the name");
		T_OK(m.root->fields[2].value_len == 4,
		     "a blank continuation line belongs to the field");
	}
	m = scan("From: a@b\nSubject: no body", &deflim);
	T_OK(m.root && m.root->nfields == 2 && m.root->body_len == 0,
	     "headers to the end: empty body");

	/* a huge header value and many fields: kept within the limits */
	size_t big = 200000;
	char *h = malloc(big + 64);
	strcpy(h, "X-Huge: ");
	memset(h + 8, 'a', big);
	strcpy(h + 8 + big, "\n\nbody\n");
	m = scan(h, &deflim);
	T_OK(m.root && m.root->nfields == 1 &&
		 m.root->fields[0].value_len == big,
	     "huge header value scanned whole");
	struct rb_arena a;
	struct rb_mail mail;
	rb_arena_init(&a);
	T_OK(rb_mail_load(&a, h, strlen(h), &deflim, &mail) == -1 &&
		 t_streq(mail.error, "header too long or too many"),
	     "huge header: the mail view reports the limit");
	rb_arena_free(&a);
	free(h);

	struct rb_limits lim = deflim;
	lim.max_headers = 5;
	char hs[512] = "";
	for (int i = 0; i < 6; i++)
		sprintf(hs + strlen(hs), "X-%d: v\n", i);
	strcat(hs, "Content-Type: text/html\n\nbody\n");
	m = scan(hs, &lim);
	T_OK(m.root && m.root->nfields == 7 && !m.root->fields_cut &&
		 strcmp(m.root->type, "text/html") == 0,
	     "max_headers + 1 fields kept, Content-* counted apart");
	strcpy(hs, "");
	for (int i = 0; i < 9; i++)
		sprintf(hs + strlen(hs), "X-%d: v\n", i);
	strcat(hs, "Content-Type: text/html\n\nbody\n");
	m = scan(hs, &lim);
	T_OK(m.root && m.root->fields_cut && m.root->nfields == 7 &&
		 strcmp(m.root->type, "text/html") == 0,
	     "over max_headers: cut, Content-Type still seen");
}

static void
test_content_type(void)
{
	static const struct {
		const char *value;
		const char *type, *charset, *boundary;
	} t[] = {
	    {"text/plain", "text/plain", NULL, NULL},
	    {"TEXT/HTML; CHARSET=ISO-8859-1", "text/html", "ISO-8859-1", NULL},
	    {"text / html ; charset = \"utf-8\"", "text/html", "utf-8", NULL},
	    {"(comment) text/plain (c2); charset=x", "text/plain", "x", NULL},
	    {"text/plain garbage; charset=y", "text/plain", "y", NULL},
	    {"multipart/mixed;\r\n\tboundary=\"=_b c\"", "multipart/mixed", NULL,
	     "=_b c"},
	    {"multipart/mixed; boundary=----=_Part_1", "multipart/mixed", NULL,
	     "----=_Part_1"},
	    {"multipart/mixed; boundary=\"a\\\"b\"", "multipart/mixed", NULL,
	     "a\"b"},
	    {"multipart/mixed; boundary=\"open", "multipart/mixed", NULL,
	     "\"open"},
	    {"multipart/mixed; boundary*0=\"ab\"; boundary*1=cd",
	     "multipart/mixed", NULL, "abcd"},
	    {"multipart/mixed; boundary*=us-ascii'en'a%2Db", "multipart/mixed",
	     NULL, "a-b"},
	    {"multipart/mixed; boundary=", "multipart/mixed", NULL, NULL},
	    {"text", "application/octet-stream", NULL, NULL},
	    {"text/", "application/octet-stream", NULL, NULL},
	    {"text/plain=x; charset=z", "text/plain", "z", NULL},
	    {"", "application/octet-stream", NULL, NULL},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct rb_mime_part p;
		memset(&p, 0, sizeof(p));
		rb_mime_content_type(&arena, t[i].value, strlen(t[i].value), &p);
		char shown[128];
		snprintf(shown, sizeof(shown), "%s", t[i].value);
		for (char *q = shown; *q; q++)
			if (*q == '\r' || *q == '\n' || *q == '\t')
				*q = ' ';
		T_OK(t_streq(p.type, t[i].type) &&
			 t_streq(p.charset, t[i].charset) &&
			 t_streq(p.boundary, t[i].boundary),
		     "Content-Type [%s] -> %s charset=%s boundary=%s", shown,
		     t[i].type, t[i].charset ? t[i].charset : "-",
		     t[i].boundary ? t[i].boundary : "-");
		if (!t_streq(p.type, t[i].type) ||
		    !t_streq(p.charset, t[i].charset) ||
		    !t_streq(p.boundary, t[i].boundary))
			printf("#   got %s charset=%s boundary=%s\n", p.type,
			       p.charset ? p.charset : "-",
			       p.boundary ? p.boundary : "-");
	}
	/* a parameter continued at column 0 (broken MTAs): still the
	 * field's; a line that is not "name=value" is not */
	struct rb_mime u = scan("Content-Type: multipart/report;\n"
				"boundary=\"u1\"\nX-Other: 1\n\n--u1\n\nA\n--u1--\n",
				&deflim);
	T_OK(u.root && t_streq(u.root->boundary, "u1") &&
		 t_streq(body(nth(u.root, 0)), "A"),
	     "unindented boundary= continues Content-Type (%s)",
	     u.root && u.root->boundary ? u.root->boundary : "-");
	u = scan("Content-Type: text/plain;\n charset=x\nSubject: a=b\n\nx\n",
		 &deflim);
	T_OK(u.root && t_streq(u.root->charset, "x") &&
		 rb_mime_field(u.root, "Subject") != NULL,
	     "a field with '=' in its value is still a field");
	struct rb_mime m = scan("Content-Type: text/html\nContent-Type: text/plain"
				"\n\nx\n",
				&deflim);
	T_STR(type(m.root), "text/plain", "the last Content-Type wins");
}

/* a multipart nested `wrap` times around one text part, or `nparts`
 * text parts side by side */
static char *
nest(unsigned wrap, unsigned nparts)
{
	size_t cap = 64 + wrap * 160 + nparts * 64;
	char *b = malloc(cap);
	size_t n = 0;
	n += (size_t)sprintf(b + n, "From: a@b\n");
	for (unsigned i = 0; i < wrap; i++)
		n += (size_t)sprintf(b + n,
				     "Content-Type: multipart/mixed; "
				     "boundary=w%u\n\n--w%u\n",
				     i, i);
	for (unsigned i = 0; i < nparts; i++)
		n += (size_t)sprintf(b + n, "%sContent-Type: text/plain\n\n"
					    "part %u\n",
				     i ? "--w0\n" : "", i);
	for (unsigned i = wrap; i-- > 0;)
		n += (size_t)sprintf(b + n, "--w%u--\n", i);
	return b;
}

static void
test_limits(void)
{
	struct rb_mime m;
	char *b;
	/* the top entity is depth 1: max_depth - 1 wrappers reach it */
	b = nest(deflim.max_depth - 1, 1);
	m = scan(b, &deflim);
	T_OK(m.error == NULL && m.depth == deflim.max_depth,
	     "nesting at the limit parses (depth %u)", m.depth);
	free(b);
	b = nest(deflim.max_depth, 1);
	m = scan(b, &deflim);
	T_STR(m.error, "MIME nesting too deep", "nesting one over the limit");
	free(b);
	b = nest(5000, 1);
	m = scan(b, &deflim);
	T_STR(m.error, "MIME nesting too deep", "very deep nesting stops early");
	free(b);
	/* one wrapper + max_parts - 1 leaves = max_parts entities */
	b = nest(1, deflim.max_parts - 1);
	m = scan(b, &deflim);
	T_OK(m.error == NULL && m.parts == deflim.max_parts,
	     "parts at the limit parse (%u)", m.parts);
	free(b);
	b = nest(1, deflim.max_parts);
	m = scan(b, &deflim);
	T_STR(m.error, "too many MIME parts", "parts one over the limit");
	free(b);
}

/* the mail view over a one-part mail with these headers and body */
static const char *
view_text(const char *headers, const char *bodytext)
{
	static struct rb_arena a;
	static int init;
	if (!init) {
		rb_arena_init(&a);
		init = 1;
	}
	rb_arena_reset(&a);
	char *msg = rb_arena_printf(&a, "From: a@b\n%s\n%s", headers, bodytext);
	struct rb_mail m;
	if (rb_mail_load(&a, msg, strlen(msg), &deflim, &m) < 0 ||
	    m.ntexts != 1)
		return "(no text)";
	return m.texts[0].text;
}

static void
test_decoding(void)
{
	T_STR(view_text("Content-Transfer-Encoding: base64\n",
			"aGVsbG8g!!d29y\nbGQ=\n"),
	      "hello world", "base64: garbage bytes skipped");
	T_STR(view_text("Content-Transfer-Encoding: base64\n", "!!!! ****\n"),
	      "", "base64: all garbage gives nothing, no crash");
	T_STR(view_text("Content-Transfer-Encoding: base64\n", "aGVsbG8=aGk="),
	      "hello", "base64: data after padding ignored");
	T_STR(view_text("Content-Type: text/plain; charset=iso-8859-1\n"
			"Content-Transfer-Encoding: quoted-printable\n",
			"caf=E9 =3D=\nsoft =ZZ\n"),
	      "caf\xc3\xa9 =soft =ZZ\n", "quoted-printable and Latin-1");
	T_STR(view_text("Content-Type: text/plain; charset=x-no-such-charset\n",
			"caf\xe9\n"),
	      "caf\xef\xbf\xbd\n", "unknown charset: bytes kept, sanitised");
	T_STR(view_text("Content-Type: text/plain; charset=iso-2022-jp\n",
			"\x1b$B$3$s\x1b(B\n"),
	      "\xe3\x81\x93\xe3\x82\x93\n", "ISO-2022-JP converted");
	T_STR(view_text("Content-Type: text/plain; charset=iso-2022-jp\n",
			"ok \x1b$B\xff\xfe\x1b(B end\n"),
	      "ok  end\n", "broken ISO-2022-JP: bad bytes dropped");
	T_STR(view_text("Content-Type: text/plain; charset=utf-8\n",
			"caf\xe9\n"),
	      "caf\xef\xbf\xbd\n", "invalid UTF-8 replaced");
	T_STR(view_text("Content-Type: text/plain; charset=gb2312\n"
			"Content-Transfer-Encoding: base64\n",
			"xOO6ww==\n"),
	      "\xe4\xbd\xa0\xe5\xa5\xbd", "gb2312 read as GB18030");
	T_STR(view_text("Content-Type: text/html\n",
			"<p>a&amp;b</p><script>x</script>"),
	      "a&b\n", "HTML to text");
	T_STR(view_text("Content-Type: application/octet-stream\n", "x"),
	      "(no text)", "non-text parts are not text");
}

int
main(void)
{
	rb_mail_global_init();
	rb_arena_init(&arena);
	test_nested();
	test_delimiters();
	test_crlf_nul();
	test_headers();
	test_content_type();
	test_limits();
	test_decoding();
	rb_arena_free(&arena);
	T_DONE();
}
