/*
 * local.c: the built-in cluster (see local.h).  The server and its tools
 * run as the server user when we are root, started with fork + setuid
 * (no shell: paths are never interpreted), from a working directory that
 * user can enter.
 */
#include "local.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libpq-fe.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

struct local {
	char state[4096];
	char data[4200];
	char run[4200];
	char log[4200];
	char bindir[512];
	char user[64];	/* server user's name */
	uid_t uid;	/* server user */
	gid_t gid;	/* its group */
	bool have_group;
	gid_t group;	/* the "rebound" group: who may use the socket */
	bool switch_user;	/* root: run the server tools as uid */
};

static int
fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static int
state_dir(char *out, size_t n)
{
	const char *e = getenv("REBOUND_STATE_DIR");
	if (e && e[0])
		return snprintf(out, n, "%s", e) >= (int)n ? -1 : 0;
	/* systemd: StateDirectory= sets it, several entries ':'-separated */
	e = getenv("STATE_DIRECTORY");
	if (e && e[0] == '/') {
		int l = (int)strcspn(e, ":");
		return snprintf(out, n, "%.*s", l, e) >= (int)n ? -1 : 0;
	}
	return snprintf(out, n, "/var/lib/rebound") >= (int)n ? -1 : 0;
}

static bool
find_bindir(char *out, size_t n)
{
	const char *e = getenv("REBOUND_PG_BINDIR");
	if (e && e[0]) {
		snprintf(out, n, "%s", e);
		return true;
	}
	DIR *d = opendir("/usr/lib/postgresql");
	if (d == NULL)
		return false;
	int best = -1;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		int v = atoi(de->d_name);
		char p[512];
		snprintf(p, sizeof(p), "/usr/lib/postgresql/%s/bin/initdb",
			 de->d_name);
		if (v > best && access(p, X_OK) == 0)
			best = v;
	}
	closedir(d);
	if (best < 0)
		return false;
	snprintf(out, n, "/usr/lib/postgresql/%d/bin", best);
	return true;
}

static bool
initialised(const struct local *l)
{
	char p[4300];
	snprintf(p, sizeof(p), "%s/PG_VERSION", l->data);
	return access(p, F_OK) == 0;
}

static int
setup(struct local *l, char *err, size_t errlen)
{
	memset(l, 0, sizeof(*l));
	if (state_dir(l->state, sizeof(l->state)) != 0)
		return fail(err, errlen, "cannot determine the state directory "
					 "(set REBOUND_STATE_DIR)");
	snprintf(l->data, sizeof(l->data), "%s/pg", l->state);
	snprintf(l->run, sizeof(l->run), "%s/run", l->state);
	snprintf(l->log, sizeof(l->log), "%s/pg.log", l->state);
	if (!find_bindir(l->bindir, sizeof(l->bindir)))
		return fail(err, errlen,
			    "PostgreSQL server binaries not found under "
			    "/usr/lib/postgresql (install `postgresql`, or "
			    "set REBOUND_DB to use an existing server)");
	struct group *g = getgrnam("rebound");
	if (g != NULL) {
		l->have_group = true;
		l->group = g->gr_gid;
	}
	/* an existing cluster keeps its owner; a new one gets "rebound",
	 * else "postgres"; without root, the caller */
	struct stat st;
	struct passwd *pw = NULL;
	if (stat(l->data, &st) == 0)
		pw = getpwuid(st.st_uid);
	else if (geteuid() == 0 && (pw = getpwnam("rebound")) == NULL)
		pw = getpwnam("postgres");
	else if (geteuid() != 0)
		pw = getpwuid(geteuid());
	if (pw == NULL)
		return fail(err, errlen,
			    "no user to run the built-in database as (create "
			    "the system user 'rebound' or install postgresql)");
	if (pw->pw_uid == 0)
		return fail(err, errlen, "%s is owned by root: PostgreSQL "
					 "refuses to run as root", l->data);
	snprintf(l->user, sizeof(l->user), "%s", pw->pw_name);
	l->uid = pw->pw_uid;
	l->gid = pw->pw_gid;
	l->switch_user = geteuid() == 0;
	return 0;
}

/* Run bindir/prog with args as the server user; returns exit status. */
static int
run(const struct local *l, const char *prog, const char *const *args,
    bool quiet)
{
	char path[700];
	snprintf(path, sizeof(path), "%s/%s", l->bindir, prog);
	/* argv[0] is the full path: PostgreSQL's programs find their
	 * siblings (initdb needs postgres, pg_ctl needs postgres) from
	 * argv[0], and through PATH only when it has no slash, and PATH
	 * need not hold the versioned bin directory */
	const char *argv[16];
	size_t n = 0;
	argv[n++] = path;
	for (size_t i = 0; args[i] != NULL && n < 15; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (l->switch_user) {
			/* the group "rebound" as a supplementary group: the
			 * server gives its socket to that group */
			gid_t g = l->group;
			if (setgroups(l->have_group ? 1 : 0, &g) != 0 ||
			    setgid(l->gid) != 0 || setuid(l->uid) != 0)
				_exit(126);
		}
		if (chdir(l->state) != 0 && chdir("/") != 0)
			_exit(126);
		int fd = open("/dev/null", O_RDWR);
		if (fd >= 0) {
			dup2(fd, 0);
			if (quiet) {
				dup2(fd, 1);
			} else {
				dup2(2, 1);
			}
		}
		execv(path, (char *const *)argv);
		_exit(127);
	}
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The role this process logs in as: the owner role for root, the
 * server user and the daemon's user, the reader role for the rest. */
static const char *
role_for_caller(const struct local *l)
{
	uid_t u = geteuid();
	if (u == 0 || u == l->uid)
		return "rebound";
	struct passwd *pw = getpwuid(u);
	if (pw && (!strcmp(pw->pw_name, "rebound") ||
		   !strcmp(pw->pw_name, "postgres")))
		return "rebound";
	return "rebound_reader";
}

static void
conninfo_of(const struct local *l, const char *db, const char *user,
	    char *out, size_t n)
{
	/* conninfo values are single-quoted with \ and ' escaped */
	char q[8500];
	size_t j = 0;
	for (const char *p = l->run; *p && j + 2 < sizeof(q); p++) {
		if (*p == '\'' || *p == '\\')
			q[j++] = '\\';
		q[j++] = *p;
	}
	q[j] = '\0';
	snprintf(out, n, "host='%s' port=5432 user=%s dbname=%s", q, user, db);
}

static bool
running(const struct local *l)
{
	char ci[9000];
	conninfo_of(l, "postgres", "rebound", ci, sizeof(ci));
	/* PQping answers "running" even when we may not log in */
	PGPing p = PQping(ci);
	return p == PQPING_OK || p == PQPING_REJECT;
}

/* single-quoted postgresql.conf value */
static void
conf_quote(FILE *f, const char *v)
{
	fputc('\'', f);
	for (; *v; v++) {
		if (*v == '\'')
			fputc('\'', f);
		fputc(*v, f);
	}
	fputc('\'', f);
}

/* write path with mode, owned by the server user */
static FILE *
open_conf(const struct local *l, const char *name, char *path, size_t n)
{
	snprintf(path, n, "%s/%s", l->data, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return NULL;
	if (l->switch_user && fchown(fd, l->uid, l->gid) != 0) {
		close(fd);
		return NULL;
	}
	return fdopen(fd, "w");
}

/* The directories' owners and modes, and the server's access
 * configuration; run at every init and start, so a cluster made by an
 * older rebound (trust, socket 0700) gets today's. */
static int
configure(const struct local *l, char *err, size_t errlen)
{
	gid_t grp = l->have_group ? l->group : l->gid;
	mode_t dmode = l->have_group ? 0750 : 0700;
	if ((l->switch_user || geteuid() == l->uid) &&
	    (chown(l->state, l->uid, grp) != 0 ||
	     chown(l->run, l->uid, grp) != 0 || chown(l->data, l->uid, l->gid) != 0))
		return fail(err, errlen, "cannot hand %s to %s: %s", l->state,
			    l->user, strerror(errno));
	if (chmod(l->state, dmode) != 0 || chmod(l->run, dmode) != 0 ||
	    chmod(l->data, 0700) != 0)
		return fail(err, errlen, "cannot set the mode of %s: %s",
			    l->state, strerror(errno));
	char p[4400];
	FILE *f = open_conf(l, "rebound.conf", p, sizeof(p));
	if (f == NULL)
		return fail(err, errlen, "cannot write %s: %s", p,
			    strerror(errno));
	fputs("# written by rebound (db init, db start): do not edit\n"
	      "listen_addresses = ''\nport = 5432\n"
	      "unix_socket_directories = ", f);
	conf_quote(f, l->run);
	if (l->have_group)
		fputs("\nunix_socket_group = 'rebound'\n"
		      "unix_socket_permissions = 0770\n", f);
	else
		fputs("\nunix_socket_permissions = 0700\n", f);
	/* JIT writes code into memory and runs it: refused under the
	 * unit's MemoryDenyWriteExecute */
	fputs("jit = off\nhba_file = ", f);
	snprintf(p, sizeof(p), "%s/rebound_hba.conf", l->data);
	conf_quote(f, p);
	fputs("\nident_file = ", f);
	snprintf(p, sizeof(p), "%s/rebound_ident.conf", l->data);
	conf_quote(f, p);
	fputc('\n', f);
	snprintf(p, sizeof(p), "%s/rebound.conf", l->data);
	if (fclose(f) != 0)
		return fail(err, errlen, "cannot write %s", p);
	f = open_conf(l, "rebound_hba.conf", p, sizeof(p));
	if (f == NULL)
		return fail(err, errlen, "cannot write %s", p);
	fputs("# written by rebound: Unix socket only, the kernel says who "
	      "connects\nlocal all all peer map=rebound\n", f);
	if (fclose(f) != 0)
		return fail(err, errlen, "cannot write %s", p);
	f = open_conf(l, "rebound_ident.conf", p, sizeof(p));
	if (f == NULL)
		return fail(err, errlen, "cannot write %s", p);
	fputs("# written by rebound: who logs in as which role\n"
	      "rebound root rebound\nrebound rebound rebound\n"
	      "rebound postgres rebound\n", f);
	if (strcmp(l->user, "rebound") && strcmp(l->user, "postgres"))
		fprintf(f, "rebound %s rebound\n", l->user);
	fputs("rebound /^.*$ rebound_reader\n", f);
	if (fclose(f) != 0)
		return fail(err, errlen, "cannot write %s", p);
	/* postgresql.conf includes ours last, once */
	snprintf(p, sizeof(p), "%s/postgresql.conf", l->data);
	f = fopen(p, "r+");
	if (f == NULL)
		return fail(err, errlen, "cannot open %s", p);
	char line[512];
	bool have = false;
	while (fgets(line, sizeof(line), f))
		if (strcmp(line, "include 'rebound.conf'\n") == 0)
			have = true;
	if (!have)
		fputs("\n# rebound's settings (rebound.conf) come last\n"
		      "include 'rebound.conf'\n", f);
	if (fclose(f) != 0)
		return fail(err, errlen, "cannot write %s", p);
	return 0;
}

static int
mkdir_owned(const struct local *l, const char *path, mode_t mode)
{
	if (mkdir(path, mode) != 0 && errno != EEXIST)
		return -1;
	if (l->switch_user && chown(path, l->uid, l->gid) != 0)
		return -1;
	return 0;
}

/* the state directory and its parents (those as usual, 0755) */
static int
make_dirs(const struct local *l, char *err, size_t errlen)
{
	char p[4200];
	snprintf(p, sizeof(p), "%s", l->state);
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) != 0 && errno != EEXIST)
			return fail(err, errlen, "cannot create %s: %s", p,
				    strerror(errno));
		*s = '/';
	}
	if (mkdir_owned(l, l->state, 0700) != 0 ||
	    mkdir_owned(l, l->data, 0700) != 0 ||
	    mkdir_owned(l, l->run, 0700) != 0)
		return fail(err, errlen, "cannot create %s: %s", l->state,
			    strerror(errno));
	return 0;
}

static int
do_init(const struct local *l, char *err, size_t errlen)
{
	const char *a[] = {"-D",
			   l->data,
			   "-U",
			   "rebound",
			   "--auth-local=peer",
			   "--auth-host=reject",
			   "-E",
			   "UTF8",
			   "--locale=C.UTF-8",
			   NULL};
	if (run(l, "initdb", a, true) != 0)
		return fail(err, errlen, "initdb failed for %s", l->data);
	return 0;
}

static int
do_start(const struct local *l, char *err, size_t errlen)
{
	/* the log file must be writable by the server user */
	int fd = open(l->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
	if (fd >= 0) {
		if (l->switch_user && fchown(fd, l->uid, l->gid) != 0) {
			close(fd);
			return fail(err, errlen, "cannot hand %s to %s",
				    l->log, l->user);
		}
		close(fd);
	}
	const char *a[] = {"-D", l->data, "-l", l->log, "-w", "-t", "60",
			   "start", NULL};
	if (run(l, "pg_ctl", a, true) != 0)
		return fail(err, errlen,
			    "cannot start the built-in database (see %s)",
			    l->log);
	return 0;
}

static int
exec_ok(PGconn *c, const char *sql, char *err, size_t errlen)
{
	PGresult *r = PQexec(c, sql);
	int rc = 0;
	if (PQresultStatus(r) != PGRES_COMMAND_OK &&
	    PQresultStatus(r) != PGRES_TUPLES_OK)
		rc = fail(err, errlen, "built-in database: %s",
			  PQresultErrorMessage(r));
	PQclear(r);
	return rc;
}

/* the database "rebound" and the reader role, which may log in here */
static int
create_db(const struct local *l, char *err, size_t errlen)
{
	char ci[9000];
	conninfo_of(l, "postgres", "rebound", ci, sizeof(ci));
	PGconn *c = PQconnectdb(ci);
	if (PQstatus(c) != CONNECTION_OK) {
		fail(err, errlen, "cannot connect to the built-in database: %s",
		     PQerrorMessage(c));
		PQfinish(c);
		return -1;
	}
	PGresult *r = PQexec(c, "SELECT 1 FROM pg_database WHERE datname = "
				"'rebound'");
	bool have = r && PQresultStatus(r) == PGRES_TUPLES_OK &&
		    PQntuples(r) == 1;
	PQclear(r);
	int rc = 0;
	if (!have)
		rc = exec_ok(c, "CREATE DATABASE rebound", err, errlen);
	if (rc == 0)
		rc = exec_ok(c,
			     "DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_roles "
			     "WHERE rolname = 'rebound_reader') THEN ALTER ROLE "
			     "rebound_reader LOGIN; ELSE CREATE ROLE "
			     "rebound_reader LOGIN; END IF; END $$",
			     err, errlen);
	PQfinish(c);
	return rc;
}

/* serialise init/start between processes (the state directory exists) */
static int
lock_state(const struct local *l)
{
	char p[4300];
	snprintf(p, sizeof(p), "%s/.lock", l->state);
	int fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd >= 0 && flock(fd, LOCK_EX) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* does the running server's socket have the group and mode we set? */
static bool
socket_as_configured(const struct local *l)
{
	char sock[4300];
	struct stat st;
	snprintf(sock, sizeof(sock), "%s/.s.PGSQL.5432", l->run);
	if (stat(sock, &st) != 0)
		return true;	/* not ours to judge (another socket dir) */
	if (l->have_group)
		return st.st_gid == l->group && (st.st_mode & 0777) == 0770;
	return (st.st_mode & 0777) == 0700;
}

/* reload the access configuration of a running server */
static void
reload(const struct local *l)
{
	const char *a[] = {"-D", l->data, "reload", NULL};
	run(l, "pg_ctl", a, true);
}

static int
start_locked(const struct local *l, bool create, char *err, size_t errlen)
{
	if (create && make_dirs(l, err, errlen) != 0)
		return -1;
	int fd = lock_state(l);
	if (fd < 0)
		return fail(err, errlen, "cannot lock %s: %s", l->state,
			    strerror(errno));
	int rc = 0;
	if (!initialised(l))
		rc = create ? do_init(l, err, errlen)
			    : fail(err, errlen,
				   "no built-in database in %s: create it "
				   "with `rebound db init` (as root)",
				   l->state);
	if (rc == 0)
		rc = configure(l, err, errlen);
	if (rc == 0) {
		if (running(l) && socket_as_configured(l)) {
			reload(l);
		} else if (running(l)) {
			/* the socket's group and mode change only on a restart */
			const char *a[] = {"-D", l->data, "-m", "fast", "-w",
					   "stop", NULL};
			run(l, "pg_ctl", a, true);
			rc = do_start(l, err, errlen);
		} else {
			rc = do_start(l, err, errlen);
		}
	}
	if (rc == 0)
		rc = create_db(l, err, errlen);
	close(fd);
	return rc;
}

int
rb_local_init(char *err, size_t errlen)
{
	struct local l;
	if (setup(&l, err, errlen) != 0)
		return -1;
	if (geteuid() != 0 && geteuid() != l.uid)
		return fail(err, errlen, "the built-in database in %s is "
					 "created by root or %s", l.state,
			    l.user);
	return start_locked(&l, true, err, errlen);
}

int
rb_local_start(char *err, size_t errlen)
{
	struct local l;
	if (setup(&l, err, errlen) != 0)
		return -1;
	if (!initialised(&l))
		return fail(err, errlen,
			    "no built-in database in %s: create it with "
			    "`rebound db init` (as root)", l.state);
	if (geteuid() != 0 && geteuid() != l.uid)
		return fail(err, errlen, "the built-in database in %s is "
					 "started by root or %s", l.state,
			    l.user);
	return start_locked(&l, false, err, errlen);
}

char *
rb_local_conninfo(char *err, size_t errlen)
{
	struct local l;
	if (setup(&l, err, errlen) != 0)
		return NULL;
	char sock[4300];
	snprintf(sock, sizeof(sock), "%s/.s.PGSQL.5432", l.run);
	if (!running(&l)) {
		if ((access(l.run, X_OK) != 0 && errno == EACCES) ||
		    (access(sock, F_OK) == 0 && access(sock, W_OK) != 0)) {
			fail(err, errlen,
			     "no database: the built-in one in %s is not "
			     "reachable for this user (members of the group "
			     "'rebound' may use it), and none is configured "
			     "(--db, $REBOUND_DB, db in the configuration)",
			     l.state);
			return NULL;
		}
		if (!initialised(&l)) {
			fail(err, errlen,
			     "no database: none is configured (--db, "
			     "$REBOUND_DB, db in the configuration) and there "
			     "is no built-in one in %s (create it with "
			     "`rebound db init` as root)",
			     l.state);
			return NULL;
		}
		if (geteuid() != 0 && geteuid() != l.uid) {
			fail(err, errlen,
			     "no database: the built-in one in %s is not "
			     "running (start it with `rebound db start` as "
			     "root)", l.state);
			return NULL;
		}
		if (start_locked(&l, false, err, errlen) != 0)
			return NULL;
	}
	char ci[9000];
	conninfo_of(&l, "rebound", role_for_caller(&l), ci, sizeof(ci));
	char *r = strdup(ci);
	if (r == NULL)
		fail(err, errlen, "out of memory");
	return r;
}

int
rb_local_stop(char *err, size_t errlen)
{
	struct local l;
	if (setup(&l, err, errlen) != 0)
		return -1;
	if (!initialised(&l) || !running(&l))
		return 0;
	const char *a[] = {"-D", l.data, "-m", "fast", "-w", "stop", NULL};
	if (run(&l, "pg_ctl", a, true) != 0)
		return fail(err, errlen, "pg_ctl stop failed (see %s)", l.log);
	return 0;
}

int
rb_local_status(FILE *out)
{
	struct local l;
	char err[512];
	if (setup(&l, err, sizeof(err)) != 0) {
		fprintf(out, "built-in database: unavailable: %s\n", err);
		return 1;
	}
	bool up = running(&l);
	fprintf(out,
		"built-in database: %s\n  state directory: %s\n"
		"  data: %s (%s, server user %s)\n  socket directory: %s "
		"(%s)\n  log: %s\n",
		up ? "running" : "stopped", l.state, l.data,
		initialised(&l) ? "initialised" : "not initialised", l.user,
		l.run,
		l.have_group ? "group rebound" : "no group rebound: root and "
						 "the server user only",
		l.log);
	return up ? 0 : 1;
}
