#include "event.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

static const char *const kind_names[] = {
	[RB_KIND_UNKNOWN] = "unknown",	   [RB_KIND_BOUNCE] = "bounce",
	[RB_KIND_DELAY] = "delay",	   [RB_KIND_COMPLAINT] = "complaint",
	[RB_KIND_AUTOREPLY] = "autoreply", [RB_KIND_DELIVERED] = "delivered",
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
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 4;
		struct rb_event *v =
		    rb_arena_alloc(l->arena, cap * sizeof(*v));
		if (l->n)
			memcpy(v, l->v, l->n * sizeof(*v));
		l->v = v;
		l->cap = cap;
	}
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
	json_object_set_new(o, "sender", str_or_null(e->sender));
	json_object_set_new(o, "reason", str_or_null(e->reason));
	json_object_set_new(o, "hard", e->hard < 0 ? json_null()
						    : json_boolean(e->hard));
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
	return o;
}

char *
rb_event_to_json(const struct rb_event *e)
{
	json_t *o = rb_event_to_jansson(e);
	char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (s == NULL)
		s = strdup("{}");
	return s;
}
