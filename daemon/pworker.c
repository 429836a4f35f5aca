#include "daemon/watchdog.h"
#include "lib/clock.h"
#include "pworker.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "parsers/mail.h"
#include "lib/testhook.h"

/* Every string field of struct rb_event, for the wire form.  The
 * assertion below breaks the build when a field is added to the event
 * model without being added here. */
#define S(f) offsetof(struct rb_event, f)
static const size_t str_fields[] = {
    S(file),	      S(recipient),	    S(original_recipient), S(sender),
    S(reason),	      S(status),	    S(smtp_code),
    S(action),	      S(diagnostic),	    S(reporting_mta),
    S(remote_mta),    S(smtp_command),	    S(arrival_date),
    S(feedback_type), S(user_agent),	    S(source_ip),
    S(reported_domain), S(auth_failure),    S(original.message_id),
    S(original.from), S(original.to),	    S(original.subject),
    S(original.date), S(original.list_id),  S(original.feedback_id),
    S(original.campaign), S(parser),	    S(report_message_id),
    S(error),	      S(sub_reason),	    S(unsubscribe_token),
};
#define NSTR (sizeof str_fields / sizeof str_fields[0])
_Static_assert(sizeof(struct rb_event) ==
		   NSTR * sizeof(char *) + sizeof(long) + 2 * 8,
	       "struct rb_event changed: update str_fields in pworker.c");

struct buf {
	char *p;
	size_t n, cap;
};

static void
put(struct buf *b, const void *d, size_t n)
{
	if (b->n + n > b->cap) {
		b->cap = (b->n + n) * 2 + 256;
		b->p = realloc(b->p, b->cap);
		if (b->p == NULL)
			abort();
	}
	memcpy(b->p + b->n, d, n);
	b->n += n;
}

/* framed: 8 bytes of payload length first, the child's reply frame */
static void
pack(const struct rb_event *e, size_t n, char **out, size_t *len,
     bool framed)
{
	struct buf b = {0};
	uint32_t cnt = (uint32_t)n;
	uint64_t flen = 0;
	if (framed)
		put(&b, &flen, 8);
	put(&b, &cnt, 4);
	for (size_t i = 0; i < n; i++) {
		int32_t kind = e[i].kind, hard = e[i].hard;
		int32_t as_written = e[i].recipient_as_written;
		int64_t index = e[i].index;
		put(&b, &kind, 4);
		put(&b, &hard, 4);
		put(&b, &as_written, 4);
		put(&b, &index, 8);
		for (size_t f = 0; f < NSTR; f++) {
			const char *s =
			    *(const char *const *)(const void *)((const char *)&e[i] +
								str_fields[f]);
			uint32_t l = s ? (uint32_t)strlen(s) : UINT32_MAX;
			put(&b, &l, 4);
			if (s)
				put(&b, s, l);
		}
	}
	if (framed) {
		flen = b.n - 8;
		memcpy(b.p, &flen, 8);
	}
	*out = b.p;
	*len = b.n;
}

void
rb_events_pack(const struct rb_event *e, size_t n, char **out, size_t *len)
{
	pack(e, n, out, len, false);
}

size_t
rb_events_unpack(struct rb_arena *a, const char *p, size_t len,
		 struct rb_events *out)
{
	size_t o = 0;
	uint32_t cnt;
#define GET(dst, n)                                                            \
	do {                                                                   \
		if (len - o < (n))                                             \
			return 0;                                              \
		memcpy((dst), p + o, (n));                                     \
		o += (n);                                                      \
	} while (0)
	if (len < 4)
		return 0;
	GET(&cnt, 4);
	if (cnt == 0 || cnt > 1000000)
		return 0;
	size_t before = out->n;
	for (uint32_t i = 0; i < cnt; i++) {
		int32_t kind, hard, as_written;
		int64_t index;
		GET(&kind, 4);
		GET(&hard, 4);
		GET(&as_written, 4);
		GET(&index, 8);
		struct rb_event *e = rb_events_add(out);
		e->kind = (enum rb_kind)kind;
		e->hard = hard;
		e->recipient_as_written = as_written != 0;
		e->index = (long)index;
		for (size_t f = 0; f < NSTR; f++) {
			uint32_t l;
			GET(&l, 4);
			const char **dst =
			    (const char **)(void *)((char *)e + str_fields[f]);
			if (l == UINT32_MAX) {
				*dst = NULL;
				continue;
			}
			if (len - o < l) {
				out->n = before;
				return 0;
			}
			*dst = rb_arena_strndup(a, p + o, l);
			o += l;
		}
	}
#undef GET
	return out->n - before;
}

/* The current child of this process (0: none), for rb_pworker_kill_live
 * from another thread. */
static atomic_int live_child;

void
rb_pworker_kill_live(void)
{
	int p = atomic_load(&live_child);
	if (p > 0)
		kill((pid_t)p, SIGKILL);
}

struct rb_pworker {
	const struct rb_parse_opts *opts;
	const char *exec;	/* NULL: parse in the forked copy */
	pid_t pid;
	int to_child, from_child;
};

static int
write_full(int fd, const void *buf, size_t n)
{
	size_t o = 0;
	while (o < n) {
		ssize_t r = write(fd, (const char *)buf + o, n - o);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		o += (size_t)r;
	}
	return 0;
}

/*
 * The child's side of the pipe.  Input is read in large chunks and the
 * mails are parsed where they lie (a frame is 8 bytes of length and the
 * mail), so a batch of small mails costs a few reads, not two per mail.
 * Each reply goes out as one write as soon as its mail is parsed: the
 * parent's per-mail timeout and its blame for a crash (the first mail
 * without a reply) stay exact.
 */
#define CHILD_CHUNK (256u << 10)

void
rb_pworker_child_main(const struct rb_parse_opts *opts)
{
	/* the mask and ignored signals of the thread that forked us are
	 * inherited, through exec too */
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_IGN);	/* the parent decides */
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_DFL);
	/* only the child parses: the daemon itself never loads gmime state */
	rb_mail_global_init();
	/* test hooks (tests/t_imap_faults.sh): a mail containing the given
	 * marker crashes or hangs the parser child */
	const char *crash = rb_test_hook("PARSER_CRASH");
	const char *hang = rb_test_hook("PARSER_HANG");
	struct rb_arena a;
	rb_arena_init(&a);
	/* in[off, off + have) is read and not yet parsed; one spare byte at
	 * the end of every frame's room holds the terminating NUL */
	size_t cap = CHILD_CHUNK, off = 0, have = 0;
	char *in = malloc(cap + 1);
	if (in == NULL)
		_exit(4);
	for (;;) {
		uint64_t len = 0;
		if (have >= 8) {
			memcpy(&len, in + off, 8);
			if (len > ((uint64_t)1 << 32))
				_exit(3);
		}
		if (have < 8 || have - 8 < len) {
			/* need more: move the partial frame to the front and
			 * make room for all of it */
			memmove(in, in + off, have);
			off = 0;
			size_t need = have < 8 ? 8 : 8 + (size_t)len;
			if (need > cap) {
				cap = need;
				char *p = realloc(in, cap + 1);
				if (p == NULL)
					_exit(4);
				in = p;
			}
			ssize_t r = read(0, in + have, cap - have);
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0)
				_exit(0);
			have += (size_t)r;
			continue;
		}
		char *mail = in + off + 8;
		/* the byte after the mail is the next frame's first (or
		 * spare): NUL-terminate for the parse, put it back after */
		char saved = mail[len];
		mail[len] = '\0';
		if (crash && *crash && memmem(mail, len, crash, strlen(crash)))
			abort();
		if (hang && *hang && memmem(mail, len, hang, strlen(hang)))
			for (;;)
				pause();
		rb_arena_reset(&a);
		struct rb_events ev;
		rb_events_init(&ev, &a);
		rb_parse_message(&a, mail, len, opts, &ev);
		mail[len] = saved;
		off += 8 + (size_t)len;
		have -= 8 + (size_t)len;
		char *out;
		size_t olen;
		pack(ev.v, ev.n, &out, &olen, true);
		if (write_full(1, out, olen) < 0)
			_exit(0);
		free(out);
	}
}

/*
 * The environment of an exec'd child: the parser reads hostile mail, so
 * it gets none of the daemon's secrets (IMAP and database passwords given
 * in the environment, REBOUND_DB, PG*): only what the parse or its
 * diagnostics depend on.  Built before fork (no allocation after it);
 * the caller frees the array (the strings are environ's).
 */
static const char *const child_env_keep[] = {
    "LANG", "LC_ALL", "LC_CTYPE", "LC_MESSAGES", "TZ", "JOURNAL_STREAM",
    "ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS",
    /* the test switch and its hooks (lib/testhook.h): read only when
     * REBOUND_TEST_HOOKS=1 */
    "REBOUND_TEST_*", NULL};

extern char **environ;

static char **
child_env(void)
{
	size_t n = 0;
	for (char **e = environ; *e; e++)
		n++;
	char **out = calloc(n + 1, sizeof *out);
	if (out == NULL)
		abort();
	size_t k = 0;
	for (char **e = environ; *e; e++) {
		const char *eq = strchr(*e, '=');
		if (eq == NULL)
			continue;
		size_t kl = (size_t)(eq - *e);
		for (const char *const *p = child_env_keep; *p; p++) {
			size_t pl = strlen(*p);
			int prefix = pl > 0 && (*p)[pl - 1] == '*';
			if (prefix ? kl >= pl - 1 && !strncmp(*e, *p, pl - 1)
				   : kl == pl && !strncmp(*e, *p, pl)) {
				out[k++] = *e;
				break;
			}
		}
	}
	return out;
}

static int
spawn(struct rb_pworker *w)
{
	int in[2], out[2];
	if (pipe2(in, O_CLOEXEC) < 0)
		return -1;
	if (pipe2(out, O_CLOEXEC) < 0) {
		close(in[0]);
		close(in[1]);
		return -1;
	}
	fflush(NULL);
	char **env = w->exec ? child_env() : NULL;
	pid_t pid = fork();
	if (pid > 0 || pid < 0)
		free(env);
	if (pid < 0) {
		close(in[0]);
		close(in[1]);
		close(out[0]);
		close(out[1]);
		return -1;
	}
	if (pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		/* keep 0, 1, 2 only: see the header */
		/* one system call; the loop (tens of thousands of close()
		 * calls under a high descriptor limit) only on kernels
		 * before 5.9 */
		if (close_range(3, ~0u, 0) != 0) {
			int maxfd = (int)sysconf(_SC_OPEN_MAX);
			if (maxfd < 0 || maxfd > 65536)
				maxfd = 65536;
			for (int fd = 3; fd < maxfd; fd++)
				close(fd);
		}
		if (w->exec) {
			/* only async-signal-safe calls between fork and
			 * exec: nothing here takes a lock */
			char *const args[] = {(char *)"rebound",
					      (char *)RB_PWORKER_ARG, NULL};
			execve(w->exec, args, env);
			_exit(127);
		}
		rb_pworker_child_main(w->opts);
	}
	close(in[0]);
	close(out[1]);
	w->pid = pid;
	atomic_store(&live_child, (int)pid);
	w->to_child = in[1];
	w->from_child = out[0];
	fcntl(w->to_child, F_SETFL, O_NONBLOCK);
	fcntl(w->from_child, F_SETFL, O_NONBLOCK);
	return 0;
}

static void
reap(struct rb_pworker *w, int kill_it, char *why, size_t whylen)
{
	if (w->pid <= 0)
		return;
	/* forgotten before it is reaped (until then its pid cannot be
	 * another process's) */
	int was = (int)w->pid;
	atomic_compare_exchange_strong(&live_child, &was, 0);
	if (kill_it)
		kill(w->pid, SIGKILL);
	close(w->to_child);
	close(w->from_child);
	int st = 0;
	while (waitpid(w->pid, &st, 0) < 0 && errno == EINTR)
		;
	if (why && !kill_it) {
		if (WIFSIGNALED(st))
			snprintf(why, whylen, "parser killed by signal %d",
				 WTERMSIG(st));
		else
			snprintf(why, whylen, "parser exited with status %d",
				 WEXITSTATUS(st));
	}
	w->pid = 0;
}

struct rb_pworker *
rb_pworker_new(const struct rb_parse_opts *opts)
{
	struct rb_pworker *w = calloc(1, sizeof *w);
	if (w == NULL)
		abort();
	w->opts = opts;
	return w;
}

void
rb_pworker_exec(struct rb_pworker *w, const char *path)
{
	w->exec = path;
}

void
rb_pworker_free(struct rb_pworker *w)
{
	if (w == NULL)
		return;
	reap(w, 1, NULL, 0);
	free(w);
}


size_t
rb_pworker_parse(struct rb_pworker *w, struct rb_arena *a, const char *buf,
		 size_t len, unsigned timeout, struct rb_events *out,
		 char *why, size_t whylen)
{
	/* a batch of one: the same exchange, timeout and blame */
	size_t res = 0;
	why[0] = '\0';
	rb_pworker_parse_many(w, a, &buf, &len, 1, timeout, out, &res, why,
			      whylen);
	return res;
}

/*
 * The parent's side of a batch: feed() writes as many frames (length,
 * mail) as the pipe takes with one writev, drain() reads the replies in
 * large chunks and unpacks every complete one.
 */
#define FEED_IOV 128

static int
feed(int fd, const uint64_t *hdr, const char *const *bufs,
     const size_t *lens, size_t n, size_t *ws, size_t *wo)
{
	while (*ws < n) {
		struct iovec iov[FEED_IOV];
		int k = 0;
		for (size_t i = *ws, o = *wo; i < n && k + 2 <= FEED_IOV;
		     i++, o = 0) {
			if (o < 8)
				iov[k++] = (struct iovec){
				    (char *)&hdr[i] + o, 8 - o};
			size_t bo = o < 8 ? 0 : o - 8;
			if (lens[i] > bo)
				iov[k++] = (struct iovec){
				    (char *)bufs[i] + bo, lens[i] - bo};
		}
		ssize_t r = writev(fd, iov, k);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN ? 0 : -1;
		}
		size_t left = (size_t)r;
		while (left > 0) {
			size_t room = 8 + lens[*ws] - *wo;
			if (left < room) {
				*wo += left;
				break;
			}
			left -= room;
			(*ws)++;
			*wo = 0;
		}
	}
	return 0;
}

struct rbuf {
	char *p;
	size_t off, n, cap;
};

/* 0 go on, 1 the child hung up or failed, 3 malformed reply */
static int
drain(int fd, struct rbuf *b, struct rb_arena *a, struct rb_events *ev,
      size_t *res, size_t n, size_t *rs, long long *deadline,
      unsigned timeout)
{
	for (;;) {
		/* room for at least 64 KB, or for the whole pending frame */
		size_t need = 64u << 10;
		if (b->n - b->off >= 8) {
			uint64_t l;
			memcpy(&l, b->p + b->off, 8);
			if (l > (256u << 20))
				return 3;
			if (8 + l > need)
				need = 8 + (size_t)l;
		}
		if (b->off > 0 && b->cap - b->n < need) {
			memmove(b->p, b->p + b->off, b->n - b->off);
			b->n -= b->off;
			b->off = 0;
		}
		if (b->cap - b->n < need) {
			size_t cap = b->n + need;
			char *p = realloc(b->p, cap);
			if (p == NULL)
				abort();
			b->p = p;
			b->cap = cap;
		}
		ssize_t r = read(fd, b->p + b->n, b->cap - b->n);
		if (r == 0)
			return 1;
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN ? 0 : 1;
		}
		b->n += (size_t)r;
		while (*rs < n && b->n - b->off >= 8) {
			uint64_t l;
			memcpy(&l, b->p + b->off, 8);
			if (l > (256u << 20))
				return 3;
			if (b->n - b->off - 8 < l)
				break;
			res[*rs] = rb_events_unpack(a, b->p + b->off + 8,
						    (size_t)l, &ev[*rs]);
			b->off += 8 + (size_t)l;
			if (res[*rs] == 0)
				return 3;
			(*rs)++;
			*deadline = rb_clock_ms() + (long long)timeout * 1000;
		}
		if (b->off == b->n)
			b->off = b->n = 0;
		if (*rs == n)
			return 0;
	}
}

void
rb_pworker_parse_many(struct rb_pworker *w, struct rb_arena *a,
		      const char *const *bufs, const size_t *lens, size_t n,
		      unsigned timeout, struct rb_events *ev, size_t *res,
		      char *why, size_t whylen)
{
	size_t next = 0;	/* first mail without a result */
	/* the 8-byte length that precedes each mail on the pipe */
	uint64_t *hdr = malloc((n ? n : 1) * sizeof(*hdr));
	if (hdr == NULL)
		abort();
	for (size_t i = 0; i < n; i++)
		hdr[i] = lens[i];
	struct rbuf in = {0};
	while (next < n) {
		if (w->pid <= 0 && spawn(w) < 0) {
			for (size_t i = next; i < n; i++) {
				res[i] = 0;
				snprintf(why + i * whylen, whylen,
					 "cannot start the parser: %s",
					 strerror(errno));
			}
			break;
		}
		/* writer state: mail ws, offset wo (header counts 8) */
		size_t ws = next, wo = 0;
		size_t rs = next;	/* mail whose reply comes next */
		long long deadline = rb_clock_ms() + (long long)timeout * 1000;
		int failed = 0;	/* 1 crash, 2 timeout, 3 malformed */
		while (rs < n && !failed) {
			struct pollfd p[2];
			int np = 0;
			p[np++] = (struct pollfd){.fd = w->from_child,
						  .events = POLLIN};
			if (ws < n)
				p[np++] = (struct pollfd){.fd = w->to_child,
							  .events = POLLOUT};
			long long left = deadline - rb_clock_ms();
			if (left <= 0) {
				failed = 2;
				break;
			}
			int pr = poll(p, (nfds_t)np, left > 1000 ? 1000 : (int)left);
			if (pr < 0 && errno != EINTR) {
				failed = 1;
				break;
			}
			if (pr <= 0)
				continue;
			watchdog_beat();	/* the child reads or answers */
			int wfail = np == 2 &&
				    (p[1].revents & (POLLOUT | POLLERR)) &&
				    feed(w->to_child, hdr, bufs, lens, n, &ws,
					 &wo) < 0;
			/* after a failed write too: the replies the child
			 * sent before it died must be read before the first
			 * mail without one is blamed */
			if (wfail || (p[0].revents & (POLLIN | POLLHUP | POLLERR)))
				failed = drain(w->from_child, &in, a, ev, res, n,
					       &rs, &deadline, timeout);
			if (!failed && wfail)
				failed = 1;
		}
		if (!failed)
			break;
		/* mail rs is the culprit: record, restart, go on after it */
		char *msg = why + rs * whylen;
		res[rs] = 0;
		if (failed == 2) {
			snprintf(msg, whylen, "parser timed out after %u s",
				 timeout);
			reap(w, 1, NULL, 0);
		} else if (failed == 3) {
			snprintf(msg, whylen, "parser sent a malformed reply");
			reap(w, 1, NULL, 0);
		} else {
			reap(w, 0, msg, whylen);
		}
		next = rs + 1;
		in.off = in.n = 0;	/* nothing of the dead child's is kept */
	}
	free(hdr);
	free(in.p);
}
