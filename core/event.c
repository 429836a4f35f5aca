#include "event.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include <jansson.h>

#include "lib/utf8.h"

static const char *const kind_names[] = {
	[RB_KIND_UNKNOWN] = "unknown",	   [RB_KIND_BOUNCE] = "bounce",
	[RB_KIND_DELAY] = "delay",	   [RB_KIND_COMPLAINT] = "complaint",
	[RB_KIND_AUTOREPLY] = "autoreply", [RB_KIND_DELIVERED] = "delivered",
	[RB_KIND_UNSUBSCRIBE] = "unsubscribe",
};

const char *
rb_kind_name(enum rb_kind k)
{
	if ((size_t)k >= sizeof(kind_names) / sizeof(kind_names[0]))
		return "unknown";
	return kind_names[k];
}

int
rb_kind_parse(const char *name, enum rb_kind *k)
{
	for (size_t i = 0; i < sizeof(kind_names) / sizeof(kind_names[0]);
	     i++) {
		if (strcmp(name, kind_names[i]) == 0) {
			*k = (enum rb_kind)i;
			return 0;
		}
	}
	return -1;
}

static const struct {
	const char *family;
	const char *reasons[6];	/* NULL-terminated */
} families[] = {
    {"address", {"userunknown", "hostunknown", "hasmoved", "notaccept"}},
    {"mailbox", {"suspend", "mailboxfull", "filtered", "exceedlimit"}},
    {"content",
     {"spamdetected", "contenterror", "virusdetected", "notcompliantrfc",
      "mesgtoobig"}},
    {"reputation",
     {"blocked", "badreputation", "requireptr", "rejected",
      "policyviolation"}},
    {"rate", {"toomanyconn", "speeding"}},
    {"authentication", {"authfailure", "securityerror"}},
};

const char *
rb_reason_family(const char *reason)
{
	if (reason == NULL)
		return "other";
	for (size_t f = 0; f < sizeof(families) / sizeof(families[0]); f++)
		for (size_t i = 0; families[f].reasons[i]; i++)
			if (strcmp(reason, families[f].reasons[i]) == 0)
				return families[f].family;
	return "other";
}

const char *const *
rb_reason_family_reasons(const char *family)
{
	for (size_t f = 0; family && f < sizeof(families) / sizeof(families[0]);
	     f++)
		if (strcmp(family, families[f].family) == 0)
			return families[f].reasons;
	return NULL;
}

void
rb_events_init(struct rb_events *l, struct rb_arena *a)
{
	l->v = NULL;
	l->n = l->cap = 0;
	l->arena = a;
}

void
rb_events_clear(struct rb_events *l)
{
	l->n = 0;
}

struct rb_event *
rb_events_add(struct rb_events *l)
{
	l->v = rb_arena_grow(l->arena, l->v, l->n, &l->cap, sizeof(*l->v), 4);
	struct rb_event *e = &l->v[l->n++];
	memset(e, 0, sizeof(*e));
	e->index = -1;
	e->hard = -1;
	return e;
}

static json_t *
str_or_null(const char *s)
{
	if (s == NULL)
		return json_null();
	json_t *j = json_string(s);
	/* invalid UTF-8 never reaches here from the parsers, but be safe */
	return j != NULL ? j : json_stringn_nocheck(s, strlen(s));
}

void *
rb_event_to_jansson(const struct rb_event *e)
{
	json_t *o = json_object();
	json_t *orig = json_object();

	json_object_set_new(o, "file", str_or_null(e->file));
	if (e->index >= 0)
		json_object_set_new(o, "index", json_integer(e->index));
	json_object_set_new(o, "kind", json_string(rb_kind_name(e->kind)));
	json_object_set_new(o, "recipient", str_or_null(e->recipient));
	json_object_set_new(o, "original_recipient",
			    str_or_null(e->original_recipient));
	json_object_set_new(o, "recipient_as_written",
			    json_boolean(e->recipient_as_written));
	json_object_set_new(o, "sender", str_or_null(e->sender));
	json_object_set_new(o, "reason", str_or_null(e->reason));
	json_object_set_new(o, "hard", e->hard < 0 ? json_null()
						    : json_boolean(e->hard));
	if (e->sub_reason != NULL)
		json_object_set_new(o, "sub_reason", json_string(e->sub_reason));
	json_object_set_new(o, "status", str_or_null(e->status));
	json_object_set_new(o, "smtp_code", str_or_null(e->smtp_code));
	json_object_set_new(o, "action", str_or_null(e->action));
	json_object_set_new(o, "diagnostic", str_or_null(e->diagnostic));
	json_object_set_new(o, "reporting_mta", str_or_null(e->reporting_mta));
	json_object_set_new(o, "remote_mta", str_or_null(e->remote_mta));
	json_object_set_new(o, "smtp_command", str_or_null(e->smtp_command));
	json_object_set_new(o, "arrival_date", str_or_null(e->arrival_date));
	json_object_set_new(o, "feedback_type", str_or_null(e->feedback_type));
	json_object_set_new(o, "user_agent", str_or_null(e->user_agent));
	json_object_set_new(o, "source_ip", str_or_null(e->source_ip));
	json_object_set_new(o, "reported_domain",
			    str_or_null(e->reported_domain));
	json_object_set_new(o, "auth_failure", str_or_null(e->auth_failure));
	json_object_set_new(orig, "message_id",
			    str_or_null(e->original.message_id));
	json_object_set_new(orig, "from", str_or_null(e->original.from));
	json_object_set_new(orig, "to", str_or_null(e->original.to));
	json_object_set_new(orig, "subject", str_or_null(e->original.subject));
	json_object_set_new(orig, "date", str_or_null(e->original.date));
	json_object_set_new(orig, "list_id", str_or_null(e->original.list_id));
	json_object_set_new(orig, "feedback_id",
			    str_or_null(e->original.feedback_id));
	json_object_set_new(orig, "campaign",
			    str_or_null(e->original.campaign));
	json_object_set_new(o, "original", orig);
	json_object_set_new(o, "parser", str_or_null(e->parser));
	json_object_set_new(o, "report_message_id",
			    str_or_null(e->report_message_id));
	json_object_set_new(o, "error", str_or_null(e->error));
	if (e->unsubscribe_token != NULL)
		json_object_set_new(o, "unsubscribe_token",
				    json_string(e->unsubscribe_token));
	return o;
}

/* A growable output buffer for the direct serialiser. */
struct jbuf {
	char *s;
	size_t n, cap;
};

static void
jb_reserve(struct jbuf *b, size_t more)
{
	if (b->n + more + 1 <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 512;
	while (cap < b->n + more + 1)
		cap *= 2;
	char *s = realloc(b->s, cap);
	if (s == NULL)
		abort();
	b->s = s;
	b->cap = cap;
}

static void
jb_put(struct jbuf *b, const char *s, size_t n)
{
	jb_reserve(b, n);
	memcpy(b->s + b->n, s, n);
	b->n += n;
}

#define JB_LIT(b, lit) jb_put((b), (lit), sizeof(lit) - 1)

/* A JSON string as jansson writes it (compact, UTF-8 kept): '"', '\\'
 * and control characters escaped, \b \f \n \r \t by name. */
static void
jb_strn(struct jbuf *b, const char *s, size_t n)
{
	jb_reserve(b, n + 2);
	b->s[b->n++] = '"';
	size_t run = 0;	/* start of bytes copied as they are */
	for (size_t i = 0; i < n; i++) {
#ifdef __SSE2__
		/* 16 bytes at a time to the next byte that needs escaping */
		const __m128i c1f = _mm_set1_epi8(0x1f);
		const __m128i dq = _mm_set1_epi8('"'), bs = _mm_set1_epi8('\\');
		while (i + 16 <= n) {
			__m128i v = _mm_loadu_si128((const __m128i *)(s + i));
			__m128i m = _mm_or_si128(
			    _mm_cmpeq_epi8(_mm_max_epu8(v, c1f), c1f),
			    _mm_or_si128(_mm_cmpeq_epi8(v, dq),
					 _mm_cmpeq_epi8(v, bs)));
			unsigned mask = (unsigned)_mm_movemask_epi8(m);
			if (mask != 0) {
				i += (size_t)__builtin_ctz(mask);
				break;
			}
			i += 16;
		}
		if (i >= n)
			break;
#endif
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		jb_put(b, s + run, i - run);
		run = i + 1;
		/* JSON's two-character escapes, else \u00XX */
		static const char two[0x60] = {
		    ['"'] = '"', ['\\'] = '\\', ['\b'] = 'b', ['\f'] = 'f',
		    ['\n'] = 'n', ['\r'] = 'r', ['\t'] = 't'};
		char esc[8];
		if (two[c] != 0) {
			esc[0] = '\\';
			esc[1] = two[c];
			jb_put(b, esc, 2);
		} else {
			snprintf(esc, sizeof(esc), "\\u%04X", c);
			jb_put(b, esc, 6);
		}
	}
	jb_put(b, s + run, n - run);
	jb_put(b, "\"", 1);
}

static void
jb_str(struct jbuf *b, const char *s)
{
	if (s == NULL)
		JB_LIT(b, "null");
	else
		jb_strn(b, s, strlen(s));
}

/* The same for text that may not be valid UTF-8 (a file name from the
 * disk): invalid bytes become U+FFFD. */
static void
jb_str_utf8(struct jbuf *b, const char *s)
{
	if (s == NULL) {
		JB_LIT(b, "null");
		return;
	}
	size_t n = strlen(s);
	if (rb_utf8_valid(s, n)) {
		jb_strn(b, s, n);
		return;
	}
	struct rb_arena a;
	rb_arena_init(&a);
	jb_str(b, rb_utf8_sanitize(&a, s, n));
	rb_arena_free(&a);
}

/* ,"key": */
static void
jb_key(struct jbuf *b, const char *key, bool first)
{
	size_t n = strlen(key);
	jb_reserve(b, n + 4);
	if (!first)
		b->s[b->n++] = ',';
	b->s[b->n++] = '"';
	memcpy(b->s + b->n, key, n);
	b->n += n;
	b->s[b->n++] = '"';
	b->s[b->n++] = ':';
}

/*
 * Written directly (not through jansson's object tree, which cost more
 * than parsing the mail): the same keys in the same order and the same
 * bytes as json_dumps(rb_event_to_jansson(e), JSON_COMPACT |
 * JSON_PRESERVE_ORDER) for valid UTF-8 (tests/unit/test_event_json.c).
 * Invalid UTF-8 is replaced by U+FFFD (jansson refused such strings).
 */
char *
rb_event_to_json(const struct rb_event *e)
{
	struct jbuf b = {0};
	const struct rb_original *o = &e->original;
	const struct {
		const char *key;
		const char *v;
	} tail[] = {
	    {"status", e->status},
	    {"smtp_code", e->smtp_code},
	    {"action", e->action},
	    {"diagnostic", e->diagnostic},
	    {"reporting_mta", e->reporting_mta},
	    {"remote_mta", e->remote_mta},
	    {"smtp_command", e->smtp_command},
	    {"arrival_date", e->arrival_date},
	    {"feedback_type", e->feedback_type},
	    {"user_agent", e->user_agent},
	    {"source_ip", e->source_ip},
	    {"reported_domain", e->reported_domain},
	    {"auth_failure", e->auth_failure},
	}, orig[] = {
	    {"message_id", o->message_id}, {"from", o->from},
	    {"to", o->to},		   {"subject", o->subject},
	    {"date", o->date},		   {"list_id", o->list_id},
	    {"feedback_id", o->feedback_id}, {"campaign", o->campaign},
	}, end[] = {
	    {"parser", e->parser},
	    {"report_message_id", e->report_message_id},
	    {"error", e->error},
	};

	jb_put(&b, "{", 1);
	jb_key(&b, "file", true);
	jb_str_utf8(&b, e->file);
	if (e->index >= 0) {
		char num[32];
		int k = snprintf(num, sizeof(num), "%ld", e->index);
		jb_key(&b, "index", false);
		jb_put(&b, num, (size_t)k);
	}
	jb_key(&b, "kind", false);
	jb_str(&b, rb_kind_name(e->kind));
	jb_key(&b, "recipient", false);
	jb_str_utf8(&b, e->recipient);
	jb_key(&b, "original_recipient", false);
	jb_str_utf8(&b, e->original_recipient);
	jb_key(&b, "recipient_as_written", false);
	if (e->recipient_as_written)
		JB_LIT(&b, "true");
	else
		JB_LIT(&b, "false");
	jb_key(&b, "sender", false);
	jb_str_utf8(&b, e->sender);
	jb_key(&b, "reason", false);
	jb_str_utf8(&b, e->reason);
	jb_key(&b, "hard", false);
	if (e->hard < 0)
		JB_LIT(&b, "null");
	else if (e->hard)
		JB_LIT(&b, "true");
	else
		JB_LIT(&b, "false");
	if (e->sub_reason != NULL) {
		jb_key(&b, "sub_reason", false);
		jb_str_utf8(&b, e->sub_reason);
	}
	for (size_t i = 0; i < sizeof(tail) / sizeof(tail[0]); i++) {
		jb_key(&b, tail[i].key, false);
		jb_str_utf8(&b, tail[i].v);
	}
	jb_key(&b, "original", false);
	jb_put(&b, "{", 1);
	for (size_t i = 0; i < sizeof(orig) / sizeof(orig[0]); i++) {
		jb_key(&b, orig[i].key, i == 0);
		jb_str_utf8(&b, orig[i].v);
	}
	jb_put(&b, "}", 1);
	for (size_t i = 0; i < sizeof(end) / sizeof(end[0]); i++) {
		jb_key(&b, end[i].key, false);
		jb_str_utf8(&b, end[i].v);
	}
	if (e->unsubscribe_token != NULL) {
		jb_key(&b, "unsubscribe_token", false);
		jb_str_utf8(&b, e->unsubscribe_token);
	}
	jb_put(&b, "}", 1);
	b.s[b.n] = '\0';
	return b.s;
}
