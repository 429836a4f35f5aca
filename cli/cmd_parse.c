/*
 * rebound parse [--rules FILE] [--campaign-header NAME]... PATH...
 * Prints one JSON object per event (JSON Lines) on standard output.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ingest/files.h"
#include "parsers/mail.h"
#include "parsers/parse.h"
#include "commands.h"
#include "lib/log.h"
#include "parsers/rules.h"
#include "core/event.h"

struct parse_run {
	struct rb_parse_opts opts;
	struct rb_arena arena;
	unsigned long messages, events;
	int write_error;
};

static int
on_msg(void *ctx, const struct rb_msg *msg)
{
	struct parse_run *r = ctx;
	struct rb_events evs;
	rb_arena_reset(&r->arena);
	rb_events_init(&evs, &r->arena);
	rb_parse_message(&r->arena, msg->data, msg->len, &r->opts, &evs);
	for (size_t i = 0; i < evs.n; i++) {
		evs.v[i].file = msg->path;
		evs.v[i].index = msg->index;
		char *j = rb_event_to_json(&evs.v[i]);
		if (fputs(j, stdout) == EOF || fputc('\n', stdout) == EOF)
			r->write_error = 1;
		free(j);
	}
	r->messages++;
	r->events += evs.n;
	return r->write_error;
}

static void
on_err(void *ctx, const char *path, const char *error)
{
	(void)ctx;
	rb_err("%s: %s", path, error);
}

static void
usage(FILE *f)
{
	fputs("usage: rebound parse [--rules FILE] [--campaign-header NAME]...\n"
	      "                     [--verp-separator C] PATH...\n"
	      "PATH is a message file, a Maildir or directory (recursively),\n"
	      "an mbox file, or - for one message on standard input.\n",
	      f);
}

int
cmd_parse(int argc, char **argv)
{
	static const struct option lo[] = {
	    {"rules", required_argument, NULL, 'r'},
	    {"campaign-header", required_argument, NULL, 'c'},
	    {"verp-separator", required_argument, NULL, 'v'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *rules_path = NULL;
	const char **camp = calloc((size_t)argc + 1, sizeof(*camp));
	size_t ncamp = 0;
	struct parse_run r;
	int c;

	memset(&r, 0, sizeof(r));
	rb_parse_opts_default(&r.opts);
	while ((c = getopt_long(argc, argv, "r:h", lo, NULL)) != -1) {
		switch (c) {
		case 'r':
			rules_path = optarg;
			break;
		case 'c':
			camp[ncamp++] = optarg;
			break;
		case 'v':
			r.opts.verp_separator = optarg[0];
			break;
		case 'h':
			usage(stdout);
			free(camp);
			return 0;
		default:
			usage(stderr);
			free(camp);
			return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		free(camp);
		return 2;
	}
	if (ncamp > 0)
		r.opts.campaign_headers = camp;
	struct rb_rules *rules = rb_load_rules(rules_path, &r.opts.limits);
	if (rules == NULL) {
		free(camp);
		return 1;
	}
	r.opts.rules = rules;
	/* events go out in 64 KiB writes, not stdio's 4 KiB (a write a
	 * few mails); a terminal keeps its line buffering */
	static char obuf[1 << 16];
	if (!isatty(STDOUT_FILENO))
		setvbuf(stdout, obuf, _IOFBF, sizeof(obuf));
	rb_mail_global_init();
	rb_arena_init(&r.arena);
	int failures = rb_files_walk((const char *const *)argv + optind,
				     (size_t)(argc - optind),
				     r.opts.limits.max_message, on_msg, on_err,
				     &r);
	if (fflush(stdout) != 0)
		r.write_error = 1;
	rb_arena_free(&r.arena);
	rb_rules_free(rules);
	free(camp);
	if (r.write_error) {
		rb_err("write error on standard output");
		return 1;
	}
	return failures ? 1 : 0;
}
