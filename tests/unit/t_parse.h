/*
 * t_parse.h: the parser unit tests' way to read one mail: the built-in
 * rules loaded once, rb_parse_message() on a NUL-terminated mail, and
 * its events summarised as text ("kind:recipient,..." or "kind,...";
 * the first event's parser and error).  Include after t.h.
 */
#ifndef T_PARSE_H
#define T_PARSE_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/arena.h"
#include "parsers/mail.h"
#include "parsers/parse.h"
#include "parsers/rules.h"

struct t_parsed {
	char got[4096];	/* "kind:recipient,..." ("-": none); "kind,..." */
	char parser[64];	/* of the first event, "-" when none */
	char error[128];	/* of the first event, "" when none */
};

/* The built-in rules, loaded on first use; a test that cannot load
 * them prints "not ok" and exits. */
static struct rb_rules *t_rules_loaded;

static inline struct rb_rules *
t_rules(void)
{
	if (t_rules_loaded == NULL) {
		struct rb_limits def = RB_LIMITS_DEFAULT;
		char *err = NULL;
		rb_mail_global_init();
		t_rules_loaded = rb_rules_default(&def, &err);
		if (t_rules_loaded == NULL) {
			printf("not ok - rules: %s\n", err ? err : "?");
			exit(1);
		}
	}
	return t_rules_loaded;
}

static inline void
t_rules_done(void)
{
	rb_rules_free(t_rules_loaded);
	t_rules_loaded = NULL;
}

static inline void
t_parse(const char *mail, bool recipients, struct t_parsed *r)
{
	struct rb_parse_opts o;
	rb_parse_opts_default(&o);
	o.rules = t_rules();
	struct rb_arena a;
	struct rb_events ev;
	rb_arena_init(&a);
	rb_events_init(&ev, &a);
	rb_parse_message(&a, mail, strlen(mail), &o, &ev);
	size_t n = 0;
	r->got[0] = '\0';
	for (size_t i = 0; i < ev.n && n < sizeof(r->got) - 200; i++) {
		const char *rc = ev.v[i].recipient ? ev.v[i].recipient : "-";
		n += (size_t)snprintf(r->got + n, sizeof(r->got) - n,
				      "%s%s%s%s", i ? "," : "",
				      rb_kind_name(ev.v[i].kind),
				      recipients ? ":" : "",
				      recipients ? rc : "");
	}
	snprintf(r->parser, sizeof(r->parser), "%s",
		 ev.n && ev.v[0].parser ? ev.v[0].parser : "-");
	snprintf(r->error, sizeof(r->error), "%s",
		 ev.n && ev.v[0].error ? ev.v[0].error : "");
	rb_arena_free(&a);
}

#endif
