/*
 * local.c: the built-in private cluster (see local.h).  The server and
 * its tools run as "postgres" when we are root, started with fork +
 * setuid (no shell: paths are never interpreted), from a working
 * directory that user can enter.
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
	uid_t uid;	/* server user (0 = do not switch) */
	gid_t gid;
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
	if (geteuid() == 0)
		return snprintf(out, n, "/var/lib/rebound") >= (int)n ? -1 : 0;
	e = getenv("XDG_STATE_HOME");
	if (e && e[0] == '/')
		return snprintf(out, n, "%s/rebound", e) >= (int)n ? -1 : 0;
	e = getenv("HOME");
	if (e == NULL || e[0] != '/') {
		struct passwd *pw = getpwuid(geteuid());
		e = pw ? pw->pw_dir : NULL;
	}
	if (e == NULL)
		return -1;
	return snprintf(out, n, "%s/.local/state/rebound", e) >= (int)n ? -1
									: 0;
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

static int
mkdirs(const char *path, mode_t mode)
{
	char p[4200];
	snprintf(p, sizeof(p), "%s", path);
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) != 0 && errno != EEXIST)
			return -1;
		*s = '/';
	}
	if (mkdir(p, mode) != 0 && errno != EEXIST)
		return -1;
	return 0;
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
	if (geteuid() == 0) {
		struct passwd *pw = getpwnam("postgres");
		if (pw == NULL)
			return fail(err, errlen,
				    "running as root needs the system user "
				    "'postgres' to run the built-in database");
		l->uid = pw->pw_uid;
		l->gid = pw->pw_gid;
	}
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
		if (l->uid != 0) {
			if (setgroups(0, NULL) != 0 || setgid(l->gid) != 0 ||
			    setuid(l->uid) != 0)
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

static void
conninfo_of(const struct local *l, const char *db, char *out, size_t n)
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
	snprintf(out, n, "host='%s' port=5432 user=rebound dbname=%s", q, db);
}

static bool
running(const struct local *l)
{
	char ci[9000];
	conninfo_of(l, "postgres", ci, sizeof(ci));
	return PQping(ci) == PQPING_OK;
}

static bool
initialised(const struct local *l)
{
	char p[4300];
	snprintf(p, sizeof(p), "%s/PG_VERSION", l->data);
	return access(p, F_OK) == 0;
}

static int
chown_to(const struct local *l, const char *path)
{
	if (l->uid == 0)
		return 0;
	return chown(path, l->uid, l->gid);
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

static int
do_init(const struct local *l, char *err, size_t errlen)
{
	if (mkdirs(l->data, 0700) != 0 || mkdirs(l->run, 0700) != 0)
		return fail(err, errlen, "cannot create %s: %s", l->state,
			    strerror(errno));
	chmod(l->state, 0755);
	if (chown_to(l, l->data) != 0 || chown_to(l, l->run) != 0)
		return fail(err, errlen, "cannot hand %s to the server user: %s",
			    l->state, strerror(errno));
	const char *a[] = {"-D",      l->data,	   "-U",
			   "rebound", "-A",	   "trust",
			   "-E",      "UTF8",	   "--locale=C.UTF-8",
			   NULL};
	if (run(l, "initdb", a, true) != 0)
		return fail(err, errlen, "initdb failed for %s", l->data);
	char conf[4300];
	snprintf(conf, sizeof(conf), "%s/postgresql.conf", l->data);
	FILE *f = fopen(conf, "a");
	if (f == NULL)
		return fail(err, errlen, "cannot write %s", conf);
	fputs("\n# rebound: private cluster, Unix socket only\n"
	      "listen_addresses = ''\nport = 5432\n"
	      "unix_socket_permissions = 0700\nunix_socket_directories = ",
	      f);
	conf_quote(f, l->run);
	fputc('\n', f);
	if (fclose(f) != 0)
		return fail(err, errlen, "cannot write %s", conf);
	return 0;
}

static int
do_start(const struct local *l, char *err, size_t errlen)
{
	/* the log file must be writable by the server user */
	int fd = open(l->log, O_WRONLY | O_CREAT | O_APPEND, 0600);
	if (fd >= 0) {
		if (l->uid != 0 && fchown(fd, l->uid, l->gid) != 0) {
			close(fd);
			return fail(err, errlen, "cannot hand %s to postgres",
				    l->log);
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
create_db(const struct local *l, char *err, size_t errlen)
{
	char ci[9000];
	conninfo_of(l, "postgres", ci, sizeof(ci));
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
	if (!have) {
		r = PQexec(c, "CREATE DATABASE rebound");
		if (PQresultStatus(r) != PGRES_COMMAND_OK)
			rc = fail(err, errlen, "cannot create database: %s",
				  PQresultErrorMessage(r));
		PQclear(r);
	}
	PQfinish(c);
	return rc;
}

/* serialise init/start between processes */
static int
lock_state(const struct local *l)
{
	if (mkdirs(l->state, 0755) != 0)
		return -1;
	char p[4300];
	snprintf(p, sizeof(p), "%s/.lock", l->state);
	int fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd >= 0 && flock(fd, LOCK_EX) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int
rb_local_start(char *err, size_t errlen)
{
	struct local l;
	if (setup(&l, err, errlen) != 0)
		return -1;
	int fd = lock_state(&l);
	if (fd < 0)
		return fail(err, errlen, "cannot create or lock %s: %s",
			    l.state, strerror(errno));
	int rc = 0;
	if (!running(&l)) {
		if (!initialised(&l))
			rc = do_init(&l, err, errlen);
		if (rc == 0)
			rc = do_start(&l, err, errlen);
	}
	if (rc == 0)
		rc = create_db(&l, err, errlen);
	close(fd);
	return rc;
}

char *
rb_local_conninfo(char *err, size_t errlen)
{
	struct local l;
	if (setup(&l, err, errlen) != 0)
		return NULL;
	if (!running(&l) || !initialised(&l))
		if (rb_local_start(err, errlen) != 0)
			return NULL;
	char ci[9000];
	conninfo_of(&l, "rebound", ci, sizeof(ci));
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
		"  data: %s (%s)\n  socket directory: %s\n  log: %s\n",
		up ? "running" : "stopped", l.state, l.data,
		initialised(&l) ? "initialised" : "not initialised", l.run,
		l.log);
	return up ? 0 : 1;
}
