/*
 * rebound query, explain, suppress and unsuppress: one address at a time.
 * Exit statuses: the table in cli_store.h, the same in every command.
 * Every address given is read with core/addrin (display names,
 * brackets, BOM, spaces); what holds no address is reported, never taken
 * for an address nobody suppressed.
 */
#include <getopt.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>

#include "store/store.h"
#include "core/addrin.h"
#include "core/addrkey.h"
#include "lib/arena.h"
#include "cli_store.h"
#include "commands.h"
#include "lib/log.h"
#include "core/policy.h"

#include "supp_io.h"

/* ---- query ---- */

int
cmd_query(int argc, char **argv)
{
	static const struct option lo[] = {
	    RB_CLI_OPTIONS,
	    RB_CLI_SCOPE_OPTIONS,
	    {"format", required_argument, NULL, 'f'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct rb_cli cli = {0};
	enum fmt fmt = FMT_TEXT;
	int c;
	while ((c = rb_cli_getopt(&cli, argc, argv, "d:f:h", lo)) != -1) {
		switch (c) {
		case 'f':
			if (parse_fmt(optarg, &fmt, false) != 0) {
				rb_err("--format must be text or json");
				return RB_EXIT_USAGE;
			}
			break;
		case 'h':
			puts("usage: rebound query [--db CONNINFO] [--config FILE] [--tenant T [--stream S]] [--format "
			     "text|json] ADDRESS...\n"
			     "ADDRESS as people write it: 'Carol <carol@example.org>', "
			     "any case,\nUnicode or IDN.\n"
			     "exit 0: none suppressed; 3: at least one "
			     "suppressed; 5: one is not an\naddress; 4: no "
			     "database; 1: error (see rebound --help)");
			return RB_EXIT_OK;
		default:
			return RB_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		rb_err("usage: rebound query [--format text|json] ADDRESS...");
		return RB_EXIT_USAGE;
	}
	struct rb_store *s = rb_cli_open(&cli, true);
	if (s == NULL)
		return RB_EXIT_ERROR;
	int rc = RB_EXIT_OK;
	for (int i = optind; i < argc; i++) {
		char addr[RB_ADDRIN_MAX + 1];
		if (!arg_address("query", argv[i], addr, sizeof(addr))) {
			rc = worse(rc, RB_EXIT_INVALID);
			if (fmt == FMT_JSON) {
				json_t *o = json_object();
				json_object_set_new(o, "address", jstr(argv[i]));
				json_object_set_new(o, "error",
						    json_string("not an address"));
				print_json(o);
			}
			continue;
		}
		struct rb_supp p;
		if (rb_store_lookup(s, addr, &p) != 0) {
			rb_err("%s", rb_store_error(s));
			rc = worse(rc, RB_EXIT_ERROR);
			break;
		}
		char brief[600] = "";
		if (p.event_id)
			rb_store_event_brief(s, p.event_id, brief,
					     sizeof(brief));
		if (p.active)
			rc = worse(rc, RB_EXIT_SUPPRESSED);
		if (fmt == FMT_JSON) {
			json_t *o = supp_json(&p, argv[i]);
			json_object_set_new(o, "evidence",
					    brief[0] ? jstr(brief)
						     : json_null());
			print_json(o);
		} else if (!p.found) {
			printf("%s: not suppressed (no record)\n", argv[i]);
		} else {
			printf("%s: %s (%s, %s) since %s, until %s", argv[i],
			       p.active ? "SUPPRESSED" : "not suppressed",
			       p.class, p.reason ? p.reason : "-",
			       p.created_at,
			       p.expires_at ? p.expires_at : "never");
			if (p.removed_at)
				printf(", removed %s", p.removed_at);
			if (p.actor)
				printf(", by %s", p.actor);
			printf("; rule %s; scope %s\n", p.rule ? p.rule : "-",
			       p.scope[0] ? p.scope : "global");
			if (brief[0])
				printf("  evidence: event %lld: %s\n",
				       p.event_id, brief);
		}
		rb_supp_free(&p);
	}
	if (fflush(stdout) != 0)
		rc = worse(rc, RB_EXIT_ERROR);
	rb_store_close(s);
	return rc;
}

/* ---- explain ---- */

int
cmd_explain(int argc, char **argv)
{
	static const struct option lo[] = {
	    RB_CLI_OPTIONS,
	    RB_CLI_SCOPE_OPTIONS,
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct rb_cli cli = {0};
	int c;
	while ((c = rb_cli_getopt(&cli, argc, argv, "d:h", lo)) != -1) {
		switch (c) {
		case 'h':
			puts("usage: rebound explain [--db CONNINFO] [--config FILE] [--tenant T [--stream S]] ADDRESS...\n"
			     "exit 0: none suppressed (known or not); 3: at "
			     "least one suppressed;\n5: one is not an address");
			return 0;
		default:
			return 2;
		}
	}
	if (optind >= argc) {
		rb_err("usage: rebound explain ADDRESS...");
		return 2;
	}
	struct rb_store *s = rb_cli_open(&cli, true);
	if (s == NULL)
		return 1;
	int rc = RB_EXIT_OK;
	for (int i = optind; i < argc; i++) {
		char addr[RB_ADDRIN_MAX + 1];
		if (!arg_address("explain", argv[i], addr, sizeof(addr))) {
			rc = worse(rc, RB_EXIT_INVALID);
			continue;
		}
		struct rb_supp p;
		if (rb_store_lookup(s, addr, &p) != 0 ||
		    rb_store_explain(s, addr, stdout) < 0) {
			rb_err("%s", rb_store_error(s));
			rc = worse(rc, RB_EXIT_ERROR);
			break;
		}
		/* the same meaning as query's: 3 is "suppressed" */
		if (p.active)
			rc = worse(rc, RB_EXIT_SUPPRESSED);
		rb_supp_free(&p);
	}
	rb_store_close(s);
	return rc;
}

/* ---- suppress / unsuppress ---- */

static int
manual(int argc, char **argv, bool add)
{
	static const struct option lo[] = {
	    RB_CLI_OPTIONS,
	    RB_CLI_SCOPE_OPTIONS,
	    {"reason", required_argument, NULL, 'r'},
	    {"actor", required_argument, NULL, 'a'},
	    {"until", required_argument, NULL, 'u'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct rb_cli cli = {0};
	const char *reason = NULL, *actor = NULL, *until = NULL;
	int c;
	while ((c = rb_cli_getopt(&cli, argc, argv, "d:r:a:u:h", lo)) != -1) {
		switch (c) {
		case 'r':
			reason = optarg;
			break;
		case 'a':
			actor = optarg;
			break;
		case 'u':
			until = optarg;
			break;
		case 'h':
			printf("usage: rebound %s [--db CONNINFO] [--config FILE] [--tenant T [--stream S]] --reason TEXT "
			       "[--actor NAME]%s ADDRESS...\n",
			       add ? "suppress" : "unsuppress",
			       add ? " [--until ISO8601]" : "");
			return 0;
		default:
			return 2;
		}
	}
	if (optind >= argc || reason == NULL || reason[0] == '\0') {
		rb_err("usage: rebound %s --reason TEXT [--actor NAME] "
		       "ADDRESS...",
		       add ? "suppress" : "unsuppress");
		return 2;
	}
	if (!add && until) {
		rb_err("--until applies to suppress only");
		return 2;
	}
	struct rb_store *s = rb_cli_open(&cli, true);
	if (s == NULL)
		return 1;
	actor = rb_cli_actor(actor);
	int rc = RB_EXIT_OK;
	for (int i = optind; i < argc; i++) {
		bool changed;
		char addr[RB_ADDRIN_MAX + 1];
		if (!arg_address(add ? "suppress" : "unsuppress", argv[i], addr,
				 sizeof(addr))) {
			rc = worse(rc, RB_EXIT_INVALID);
			continue;
		}
		int r = add ? rb_store_suppress(s, addr, reason, actor, until,
						&changed)
			    : rb_store_unsuppress(s, addr, reason, actor,
						  &changed);
		if (r != 0) {
			rb_err("%s: %s", argv[i], rb_store_error(s));
			rc = worse(rc, RB_EXIT_ERROR);
			continue;
		}
		printf("%s: %s\n", argv[i],
		       changed ? (add ? "suppressed" : "unsuppressed")
			       : (add ? "already suppressed"
				      : "was not suppressed"));
	}
	rb_store_close(s);
	return rc;
}

int
cmd_suppress(int argc, char **argv)
{
	return manual(argc, argv, true);
}

int
cmd_unsuppress(int argc, char **argv)
{
	return manual(argc, argv, false);
}

