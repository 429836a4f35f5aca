#include "daemon/supervisor.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "daemon/metrics.h"
#include "daemon/signals.h"
#include "daemon/worker.h"
#include "lib/log.h"

int
load_config(const char *path, struct rb_config *cf)
{
	char *err = NULL;
	if (rb_config_load(path, cf, &err) != 0) {
		rb_err("config: %s", err);
		free(err);
		return -1;
	}
	int level = rb_log_level_parse(cf->log_level);
	rb_log_setup(level < 0 ? RB_LOG_INFO : (enum rb_log_level)level,
		     cf->log_json);
	return 0;
}

static void
start_children(const struct rb_config *cf, const struct rb_parse_opts *po,
	       pid_t *pids)
{
	for (size_t i = 0; i < cf->nmb; i++) {
		if (pids[i] > 0)
			continue;
		fflush(NULL);
		pid_t p = fork();
		if (p == 0) {
			sig_handle(SIGCHLD, SIG_DFL);
			srandom((unsigned)(time(NULL) ^ getpid()));
			_exit(run_mailbox(cf, &cf->mb[i], po, 0));
		}
		if (p < 0)
			rb_err("fork: %s", strerror(errno));
		pids[i] = p;
	}
}

/* SIGTERM to every worker and wait for them: each ends within
 * shutdown_grace (its own watchdog cancels the work in hand then); one
 * that has not exited grace + 10 s after the signal is killed. */
static void
stop_children(pid_t *pids, size_t n, unsigned grace)
{
	for (size_t i = 0; i < n; i++)
		if (pids[i] > 0)
			kill(pids[i], SIGTERM);
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int killed = 0;
	for (;;) {
		size_t left = 0;
		for (size_t i = 0; i < n; i++) {
			if (pids[i] <= 0)
				continue;
			pid_t r = waitpid(pids[i], NULL, WNOHANG);
			if (r == pids[i] || (r < 0 && errno == ECHILD))
				pids[i] = 0;
			else
				left++;
		}
		if (left == 0)
			return;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (!killed && grace && t.tv_sec - t0.tv_sec >=
					    (time_t)grace + 10) {
			for (size_t i = 0; i < n; i++)
				if (pids[i] > 0) {
					rb_err("worker %ld did not stop within "
					       "shutdown_grace: killed",
					       (long)pids[i]);
					kill(pids[i], SIGKILL);
				}
			killed = 1;
		}
		struct timespec nap_ts = {0, 50 * 1000000L};
		nanosleep(&nap_ts, NULL);
	}
}

/* The workers, one slot per configured mailbox. */
struct workers {
	pid_t *pids;
	time_t *died;
	unsigned *fails;	/* recent exits: the restart delay grows */
};

static void
workers_alloc(struct workers *w, size_t n)
{
	w->pids = calloc(n + 1, sizeof *w->pids);
	w->died = calloc(n + 1, sizeof *w->died);
	w->fails = calloc(n + 1, sizeof *w->fails);
	if (!w->pids || !w->died || !w->fails)
		abort();
}

static void
workers_free(struct workers *w)
{
	free(w->pids);
	free(w->died);
	free(w->fails);
}

/* metrics_listen: the listening socket (or -1), and when no metrics_file
 * is configured a private directory `mdir` where the workers write their
 * files for us to serve. */
static int
metrics_setup(struct rb_config *cf, char *mdir)
{
	if (cf->metrics_listen == NULL)
		return -1;
	int mfd = metrics_listen_open(cf->metrics_listen);
	if (cf->metrics_file == NULL) {
		strcpy(mdir, "/tmp/rebound-metrics.XXXXXX");
		if (mkdtemp(mdir) == NULL) {
			rb_err("metrics: mkdtemp: %s", strerror(errno));
			mdir[0] = '\0';
		} else if (asprintf(&cf->metrics_file, "%s/rebound.prom",
				    mdir) < 0) {
			abort();
		}
	}
	if (mfd >= 0)
		rb_info("metrics on http://%s/metrics", cf->metrics_listen);
	return mfd;
}

static void
metrics_cleanup(const struct rb_config *cf, int mfd, const char *mdir)
{
	if (mfd >= 0)
		close(mfd);
	if (mdir[0] == '\0')
		return;
	for (size_t i = 0; i < cf->nmb; i++) {
		char mp[4096];
		metrics_path(cf, &cf->mb[i], mp, sizeof mp);
		unlink(mp);
	}
	rmdir(mdir);
}

/* SIGHUP: a new configuration, new workers; a configuration that does not
 * load keeps the old one running. */
static void
reload(const char *path, struct rb_config *cf, const struct rb_parse_opts *po,
       struct workers *w, const char *mdir)
{
	struct rb_config nc;
	if (load_config(path, &nc) != 0) {
		rb_err("reload failed: keeping the running configuration");
		return;
	}
	rb_info("reloading configuration");
	stop_children(w->pids, cf->nmb, cf->shutdown_grace);
	rb_config_free(cf);
	*cf = nc;
	if (mdir[0] && cf->metrics_file == NULL &&
	    asprintf(&cf->metrics_file, "%s/rebound.prom", mdir) < 0)
		abort();
	workers_free(w);
	workers_alloc(w, cf->nmb);
	start_children(cf, po, w->pids);
}

/* Reap exited workers; restart them after a growing delay. */
static void
reap_and_restart(const struct rb_config *cf, const struct rb_parse_opts *po,
		 struct workers *w)
{
	int st;
	pid_t p;
	while ((p = waitpid(-1, &st, WNOHANG)) > 0) {
		for (size_t i = 0; i < cf->nmb; i++) {
			if (w->pids[i] != p)
				continue;
			rb_warn("worker for mailbox %s exited (%s %d): "
				"restarting",
				cf->mb[i].name,
				WIFSIGNALED(st) ? "signal" : "status",
				WIFSIGNALED(st) ? WTERMSIG(st)
						: WEXITSTATUS(st));
			w->pids[i] = 0;
			w->died[i] = time(NULL);
			w->fails[i]++;
		}
	}
	time_t now = time(NULL);
	for (size_t i = 0; i < cf->nmb; i++) {
		unsigned d = w->fails[i] < 6 ? 1u << w->fails[i] : 60;
		if (w->pids[i] == 0 && now - w->died[i] >= (time_t)d) {
			start_children(cf, po, w->pids);
			if (now - w->died[i] > 300)
				w->fails[i] = 0;
		}
	}
}

int
supervise(const char *path, struct rb_config *cf,
	  const struct rb_parse_opts *po)
{
	sig_install_chld();
	rb_info("started: %zu mailbox(es), config %s", cf->nmb, path);
	char mdir[64] = "";
	int mfd = metrics_setup(cf, mdir);
	struct workers w;
	workers_alloc(&w, cf->nmb);
	start_children(cf, po, w.pids);
	while (!stop_flag) {
		if (hup_flag) {
			hup_flag = 0;
			reload(path, cf, po, &w, mdir);
		}
		reap_and_restart(cf, po, &w);
		chld_flag = 0;
		if (mfd >= 0) {
			struct pollfd mp = {.fd = mfd, .events = POLLIN};
			if (poll(&mp, 1, 1000) > 0)
				metrics_serve(mfd, cf);
		} else {
			nap(1000);
		}
	}
	metrics_cleanup(cf, mfd, mdir);
	rb_info("stopping: waiting for workers to finish their batch");
	stop_children(w.pids, cf->nmb, cf->shutdown_grace);
	workers_free(&w);
	rb_info("stopped");
	return 0;
}
