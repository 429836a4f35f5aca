#include "original.h"

#include <string.h>

#include "addr.h"
#include "date.h"
#include "text.h"

/*
 * Lines that say "the returned message follows", as MTAs write them.  The
 * match is a case-insensitive substring of one line, so decorations
 * ("-----", "---") around them do not matter.  Order is irrelevant: the
 * earliest line in the text wins.
 */
static const char *const markers[] = {
    "----- Original message -----",		/* Gmail */
    "Below this line is a copy of the message", /* qmail, Yahoo */
    "Original message headers:",		/* Office 365 */
    /* ... and its localized notices */
    "Ursprüngliche Nachrichtenheader",		/* de */
    "En-têtes de message d'origine",		/* fr */
    "Encabezados del mensaje original",		/* es */
    "Intestazioni del messaggio originale",	/* it */
    "元のメッセージ ヘッダー",			/* ja */
    "------- Returned Message --------",	/* Lotus Notes */
    "Message headers follow.",			/* DragonFly */
    "Original message follows.",		/* DragonFly */
    "This is a copy of the message, including all the headers", /* Exim */
    "This is a copy of the message's headers",	/* Exim, headers only */
    "----- Original message follows -----",
    "--- The header of the original message is following. ---",
    "------ Original message ------",
    "----- The following is a copy of the original message",
    "Original message headers follow",
    "----- Original message header -----",
    "The original message headers are included as attachment",
    NULL,
};

bool
rb_original_marker(const char *text, size_t len, size_t *marker, size_t *after)
{
	/* one pass for all markers: the earliest wins */
	const char *best = rb_memcasemem_first(
	    text, len, markers, sizeof(markers) / sizeof(markers[0]) - 1, NULL);
	if (best == NULL)
		return false;
	const char *ls = best;
	while (ls > text && ls[-1] != '\n')
		ls--;
	const char *nl = memchr(best, '\n', len - (size_t)(best - text));
	*marker = (size_t)(ls - text);
	*after = nl ? (size_t)(nl - text) + 1 : len;
	return true;
}

static const char *
strip_angle(struct rb_arena *a, const char *v)
{
	while (*v == ' ' || *v == '<')
		v++;
	size_t n = strcspn(v, "> \t");
	return n ? rb_arena_strndup(a, v, n) : NULL;
}

/* A block of fields that looks like a message header: at least one of
 * the identifiers we want, and no field name with spaces (skipped by the
 * field parser anyway). */
static bool
looks_like_header(const struct rb_fields *f)
{
	return rb_fields_get(f, "Message-ID") || rb_fields_get(f, "Subject") ||
	       (rb_fields_get(f, "From") && rb_fields_get(f, "Date"));
}

/*
 * Some MTAs (Zoho, some qmail forks) append the returned headers without
 * any marker: a paragraph that starts with "Received:" or "Return-Path:"
 * at the beginning of a line.  Bounce texts themselves never do.
 */
static bool
headers_without_marker(const char *text, size_t len, size_t *start)
{
	static const char *const first[] = {"\nReceived:", "\nReturn-Path:",
					    NULL};
	const char *best = NULL;
	for (size_t i = 0; first[i]; i++) {
		const char *p = rb_strcasestr_n(text, len, first[i]);
		if (p != NULL && (best == NULL || p < best))
			best = p;
	}
	if (best == NULL)
		return false;
	*start = (size_t)(best - text) + 1;
	return true;
}

bool
rb_original_recover(struct rb_arena *a, const struct rb_limits *lim,
		    const char *text, size_t len,
		    const char *const *campaign_headers, struct rb_original *o)
{
	size_t mk, after = 0;
	if (text == NULL)
		return false;
	bool marked = rb_original_marker(text, len, &mk, &after);
	return rb_original_recover_marked(a, lim, text, len, marked, after,
					  campaign_headers, o);
}

bool
rb_original_recover_marked(struct rb_arena *a, const struct rb_limits *lim,
			   const char *text, size_t len, bool marked,
			   size_t after, const char *const *campaign_headers,
			   struct rb_original *o)
{
	if (text == NULL)
		return false;
	if (!marked && !headers_without_marker(text, len, &after))
		return false;
	struct rb_fields f;
	size_t used = 0;
	if (rb_fields_parse(a, text + after, len - after, lim, &f, &used) < 0 ||
	    !looks_like_header(&f))
		return false;
	const char *v;
	bool any = false;
	if (o->message_id == NULL &&
	    (v = rb_fields_get(&f, "Message-ID")) != NULL &&
	    (o->message_id = strip_angle(a, v)) != NULL)
		any = true;
	if (o->from == NULL && (v = rb_fields_get(&f, "From")) != NULL &&
	    (o->from = rb_addr_find(a, v, strlen(v))) != NULL)
		any = true;
	if (o->to == NULL && (v = rb_fields_get(&f, "To")) != NULL &&
	    (o->to = rb_addr_find(a, v, strlen(v))) != NULL)
		any = true;
	if (o->subject == NULL && (v = rb_fields_get(&f, "Subject")) != NULL) {
		o->subject = v;
		any = true;
	}
	if (o->date == NULL && (v = rb_fields_get(&f, "Date")) != NULL) {
		o->date = rb_date_iso(a, v);
		if (o->date == NULL)
			o->date = v;
		any = true;
	}
	if (o->list_id == NULL && (v = rb_fields_get(&f, "List-Id")) != NULL) {
		const char *lt = strchr(v, '<');
		o->list_id = lt ? strip_angle(a, lt) : v;
	}
	if (o->feedback_id == NULL)
		o->feedback_id = rb_fields_get(&f, "Feedback-ID");
	for (const char *const *ch = campaign_headers;
	     ch != NULL && *ch != NULL && o->campaign == NULL; ch++)
		o->campaign = rb_fields_get(&f, *ch);
	return any;
}
