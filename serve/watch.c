/*
 * watch.c: the change log as JSON Lines or webhook POSTs (see watch.h).
 */
#include "watch.h"

#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/log.h"
#include "serve/jsonout.h"
#include "serve/webhook.h"
#include "store/senders.h"

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int
collect(void *ctx, const struct rb_change *c)
{
	json_array_append_new(ctx, rb_change_json(c));
	return 0;
}

static int
load_state(const char *path, long long *id)
{
	FILE *f = fopen(path, "re");
	if (f == NULL)
		return errno == ENOENT ? 1 : -1;
	long long v;
	int ok = fscanf(f, "%lld", &v) == 1 && v >= 0;
	fclose(f);
	if (!ok)
		return -1;
	*id = v;
	return 0;
}

static int
save_state(const char *path, long long id)
{
	char tmp[4200];
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	FILE *f = fopen(tmp, "we");
	if (f == NULL)
		return -1;
	fprintf(f, "%lld\n", id);
	if (fflush(f) != 0 || fsync(fileno(f)) != 0) {
		fclose(f);
		return -1;
	}
	if (fclose(f) != 0 || rename(tmp, path) != 0)
		return -1;
	return 0;
}

/* hand one batch on: JSON Lines, or the webhook until it takes it */
static int
deliver(const struct rb_watch_opts *o, json_t *arr)
{
	if (o->webhook == NULL) {
		size_t i;
		json_t *v;
		json_array_foreach(arr, i, v)
		{
			char *s = json_dumps(v, JSON_COMPACT |
							JSON_PRESERVE_ORDER);
			if (s == NULL)
				return -1;
			fputs(s, o->out);
			fputc('\n', o->out);
			free(s);
		}
		return fflush(o->out) == 0 && !ferror(o->out) ? 0 : -1;
	}
	char *body = json_dumps(arr, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (body == NULL)
		return -1;
	unsigned wait = 1;
	while (!stop) {
		char err[512] = "";
		int st = rb_webhook_post(o->webhook, body, strlen(body),
					 o->secret, o->insecure, err,
					 sizeof(err));
		if (st >= 200 && st < 300) {
			free(body);
			return 0;
		}
		if (st > 0)
			rb_warn("watch: webhook answered %d; again in %u s", st,
				wait);
		else
			rb_warn("watch: webhook: %s; again in %u s", err, wait);
		for (unsigned t = 0; t < wait && !stop; t++)
			sleep(1);
		wait = wait * 2 > 300 ? 300 : wait * 2;
	}
	free(body);
	return -1;
}

int
rb_watch_run(const struct rb_watch_opts *in)
{
	struct rb_watch_opts o = *in;
	if (o.batch == 0)
		o.batch = 500;
	if (o.poll_s == 0)
		o.poll_s = 30;
	if (o.out == NULL)
		o.out = stdout;
	long long cursor = o.after;
	bool have_cursor = !o.from_now;
	if (o.state) {
		int r = load_state(o.state, &cursor);
		if (r < 0) {
			rb_err("watch: %s: not a cursor (a change id)", o.state);
			return 1;
		}
		if (r == 0)
			have_cursor = true;
	}
	struct sigaction sa = {.sa_handler = on_signal};
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	struct rb_store *s = NULL;
	unsigned backoff = 1;
	int rc = 0;
	while (!stop) {
		if (s == NULL) {
			char err[512];
			s = rb_store_open(o.db, err, sizeof(err));
			if (s == NULL ||
			    rb_store_set_scope(s, o.tenant, o.stream) != 0 ||
			    rb_store_listen(s) != 0) {
				rb_warn("watch: database: %s; again in %u s",
					s ? rb_store_error(s) : err, backoff);
				rb_store_close(s);
				s = NULL;
				if (o.once) {
					rc = 4;
					break;
				}
				for (unsigned t = 0; t < backoff && !stop; t++)
					sleep(1);
				backoff = backoff * 2 > 60 ? 60 : backoff * 2;
				continue;
			}
			backoff = 1;
			if (!have_cursor) {
				if (rb_store_changes_head(s, &cursor) != 0)
					goto lost;
				have_cursor = true;
			}
		}
		/* LISTEN is on before the read: nothing committed after it
		 * is missed; what comes in between is read twice at most,
		 * and the cursor skips it */
		json_t *arr = json_array();
		long long last;
		if (rb_store_changes(s, cursor, (int)o.batch, collect, arr,
				     &last) != 0) {
			json_decref(arr);
			goto lost;
		}
		size_t n = json_array_size(arr);
		if (n > 0) {
			if (deliver(&o, arr) != 0) {
				json_decref(arr);
				if (!stop) {
					rb_err("watch: cannot write the "
					       "changes");
					rc = 1;
				}
				break;
			}
			cursor = last;
			if (o.state && save_state(o.state, cursor) != 0) {
				json_decref(arr);
				rb_err("watch: cannot write %s", o.state);
				rc = 1;
				break;
			}
		}
		json_decref(arr);
		if (n >= o.batch)
			continue;	/* more to catch up */
		if (o.once)
			break;
		int w = rb_store_wait_notify(s, (int)o.poll_s * 1000);
		if (w >= 0 || stop)
			continue;
	lost:
		rb_warn("watch: database: %s; reconnecting",
			rb_store_error(s));
		rb_store_close(s);
		s = NULL;
		if (o.once) {
			rc = 4;
			break;
		}
	}
	rb_store_close(s);
	return rc;
}
