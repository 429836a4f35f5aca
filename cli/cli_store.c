#include "cli_store.h"

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store.h"
#include "commands.h"
#include "lib/log.h"
#include "core/policy.h"
#include "core/scope.h"

/* does a conninfo string or URI carry a password? (cheap textual check;
 * false positives only refuse, never leak) */
static bool
has_password(const char *ci)
{
	if (strstr(ci, "password") != NULL)
		return true;
	/* postgresql://user:secret@host */
	const char *p = strstr(ci, "://");
	if (p != NULL) {
		const char *at = strchr(p + 3, '@');
		const char *slash = strchr(p + 3, '/');
		if (at != NULL && (slash == NULL || at < slash)) {
			const char *colon = memchr(p + 3, ':', (size_t)(at - p - 3));
			if (colon != NULL)
				return true;
		}
	}
	return false;
}

void
rb_cli_exit_help(FILE *f)
{
	fputs("exit status (every command):\n"
	      "  0  done; none of the addresses asked about is suppressed\n"
	      "  1  error (unreadable input, write error, database error)\n"
	      "  2  usage: bad command line, option value or configuration file\n"
	      "  3  at least one address is suppressed (query, explain)\n"
	      "  4  no database could be reached: nothing was answered\n"
	      "  5  some input was not an address (reported on stderr)\n"
	      "Send only on 0.\n",
	      f);
}

static struct rb_store *
open_store(const char *db_opt, const char *db, bool migrate)
{
	char err[1024];
	if (db_opt != NULL && has_password(db_opt)) {
		rb_err("refusing a password on the command line (--db): use "
		       "PGPASSWORD, ~/.pgpass or passfile=, or REBOUND_DB");
		exit(RB_EXIT_USAGE);
	}
	struct rb_store *s = rb_store_open(db, err, sizeof(err));
	if (s == NULL) {
		/* fail closed: whatever the command was about to answer, it
		 * cannot answer it without the database */
		rb_err("%s", err);
		exit(RB_EXIT_NODB);
	}
	if (migrate && rb_store_migrate(s, NULL) != 0) {
		rb_err("%s", rb_store_error(s));
		rb_err("the database's schema cannot be brought up to date by "
		       "this user: run `rebound db migrate` as its owner");
		rb_store_close(s);
		exit(RB_EXIT_NODB);
	}
	return s;
}

struct rb_store *
rb_cli_store(const char *db_opt, bool migrate)
{
	return open_store(db_opt, db_opt, migrate);
}

bool
rb_cli_option(struct rb_cli *o, int c, const char *arg)
{
	switch (c) {
	case 'd':
		o->db = arg;
		return true;
	case RB_OPT_CONFIG:
		o->config = arg;
		return true;
	case RB_OPT_POLICY:
		o->policy = arg;
		return true;
	case RB_OPT_TENANT:
		o->tenant = arg;
		return true;
	case RB_OPT_STREAM:
		o->stream = arg;
		return true;
	default:
		return false;
	}
}

int
rb_cli_getopt(struct rb_cli *o, int argc, char **argv, const char *optstring,
	      const struct option *lo)
{
	int c;
	while ((c = getopt_long(argc, argv, optstring, lo, NULL)) != -1)
		if (!rb_cli_option(o, c, optarg))
			return c;
	return -1;
}

/* one configuration per process, kept until exit */
static struct rb_config cli_cf;

const struct rb_config *
rb_cli_config(struct rb_cli *o, bool *failed)
{
	*failed = false;
	if (o->loaded)
		return o->cf;
	o->loaded = true;
	const char *path = o->config;
	const char *env = getenv("REBOUND_CONFIG");
	if (path == NULL && env && env[0])
		path = env;
	if (path == NULL) {
		/* the default file is optional */
		path = RB_CONFIG_DEFAULT_PATH;
		if (access(path, F_OK) != 0)
			return NULL;
	}
	char *err = NULL;
	rb_config_free(&cli_cf);
	if (rb_config_load_flags(path, &cli_cf, RB_CONFIG_NO_SECRETS, &err) !=
	    0) {
		rb_err("config: %s", err ? err : "cannot load");
		free(err);
		*failed = true;
		return NULL;
	}
	o->cf = &cli_cf;
	return o->cf;
}

const char *
rb_cli_db(const struct rb_cli *o)
{
	if (o->db)
		return o->db;
	/* the configuration's db already gives way to $REBOUND_DB */
	return o->cf ? o->cf->db : NULL;
}

struct rb_store *
rb_cli_open(struct rb_cli *o, bool migrate)
{
	bool failed;
	rb_cli_config(o, &failed);
	if (failed)
		return NULL;
	struct rb_scope_query q = {o->tenant, o->stream};
	char err[256];
	if (rb_scope_query_check(&q, err, sizeof(err)) != 0) {
		/* before the database: a malformed scope is never "no scope" */
		rb_err("%s", err);
		exit(RB_EXIT_USAGE);
	}
	struct rb_store *s = open_store(o->db, rb_cli_db(o), migrate);
	if (rb_store_set_scope(s, o->tenant, o->stream) != 0) {
		rb_err("%s", rb_store_error(s));
		exit(RB_EXIT_USAGE);
	}
	return s;
}

int
rb_cli_policy(struct rb_cli *o, struct rb_policy *p)
{
	bool failed;
	const struct rb_config *cf = rb_cli_config(o, &failed);
	if (failed)
		return -1;
	char err[1024];
	if (rb_config_policy(cf, o->policy, p, err, sizeof(err)) != 0) {
		rb_err("%s", err);
		return -1;
	}
	return 0;
}

const char *
rb_cli_actor(const char *opt)
{
	static char buf[64];
	if (opt && opt[0])
		return opt;
	const char *e = getenv("REBOUND_ACTOR");
	if (e && e[0])
		return e;
	struct passwd *pw = getpwuid(getuid());
	if (pw && pw->pw_name)
		return pw->pw_name;
	snprintf(buf, sizeof(buf), "uid:%u", (unsigned)getuid());
	return buf;
}
