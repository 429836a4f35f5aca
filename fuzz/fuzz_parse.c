/*
 * libFuzzer target for the whole-message parser: bytes in, events out,
 * every event serialised (so the JSON path is exercised too).  The same
 * function is replayed over fuzz/seeds by the normal test run
 * (fuzz/replay.c), so this target cannot rot.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "parsers/mail.h"
#include "parsers/parse.h"
#include "core/event.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct rb_rules *rules;
	static struct rb_parse_opts opts;
	if (rules == NULL) {
		char *err = NULL;
		rb_mail_global_init();
		rb_parse_opts_default(&opts);
		rules = rb_rules_default(&opts.limits, &err);
		if (rules == NULL)
			abort();
		opts.rules = rules;
	}
	struct rb_arena a;
	struct rb_events ev;
	rb_arena_init(&a);
	rb_events_init(&ev, &a);
	size_t n = rb_parse_message(&a, (const char *)data, size, &opts, &ev);
	if (n < 1 || ev.n != n)
		abort();	/* the contract: at least one event */
	for (size_t i = 0; i < ev.n; i++)
		free(rb_event_to_json(&ev.v[i]));
	rb_arena_free(&a);
	return 0;
}
