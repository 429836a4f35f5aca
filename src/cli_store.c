#include "cli_store.h"

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../store/store.h"
#include "common.h"

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

struct rb_store *
rb_cli_store(const char *db_opt, bool migrate)
{
	char err[1024];
	if (db_opt != NULL && has_password(db_opt)) {
		rb_err("refusing a password on the command line (--db): use "
		       "PGPASSWORD, ~/.pgpass or passfile=, or REBOUND_DB");
		return NULL;
	}
	struct rb_store *s = rb_store_open(db_opt, err, sizeof(err));
	if (s == NULL) {
		rb_err("%s", err);
		return NULL;
	}
	if (migrate && rb_store_migrate(s, NULL) != 0) {
		rb_err("%s", rb_store_error(s));
		rb_store_close(s);
		return NULL;
	}
	return s;
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
