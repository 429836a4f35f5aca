#include "pworker.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../parsers/mail.h"

/* Every string field of struct rb_event, for the wire form.  The
 * assertion below breaks the build when a field is added to the event
 * model without being added here. */
#define S(f) offsetof(struct rb_event, f)
static const size_t str_fields[] = {
    S(file),	      S(recipient),	    S(sender),
    S(reason),	      S(status),	    S(smtp_code),
    S(action),	      S(diagnostic),	    S(reporting_mta),
    S(remote_mta),    S(smtp_command),	    S(arrival_date),
    S(feedback_type), S(user_agent),	    S(source_ip),
    S(reported_domain), S(auth_failure),    S(original.message_id),
    S(original.from), S(original.to),	    S(original.subject),
    S(original.date), S(original.list_id),  S(original.feedback_id),
    S(original.campaign), S(parser),	    S(report_message_id),
    S(error),
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

void
rb_events_pack(const struct rb_event *e, size_t n, char **out, size_t *len)
{
	struct buf b = {0};
	uint32_t cnt = (uint32_t)n;
	put(&b, &cnt, 4);
	for (size_t i = 0; i < n; i++) {
		int32_t kind = e[i].kind, hard = e[i].hard;
		int64_t index = e[i].index;
		put(&b, &kind, 4);
		put(&b, &hard, 4);
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
	*out = b.p;
	*len = b.n;
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
		int32_t kind, hard;
		int64_t index;
		GET(&kind, 4);
		GET(&hard, 4);
		GET(&index, 8);
		struct rb_event *e = rb_events_add(out);
		e->kind = (enum rb_kind)kind;
		e->hard = hard;
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

struct rb_pworker {
	const struct rb_parse_opts *opts;
	pid_t pid;
	int to_child, from_child;
};

static int
read_full(int fd, void *buf, size_t n)
{
	size_t o = 0;
	while (o < n) {
		ssize_t r = read(fd, (char *)buf + o, n - o);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		o += (size_t)r;
	}
	return 0;
}

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

static void __attribute__((noreturn))
child_loop(const struct rb_parse_opts *opts)
{
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_IGN);	/* the parent decides */
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_DFL);
	/* only the child parses: the daemon itself never loads gmime state */
	rb_mail_global_init();
	/* test hooks (tests/t_imap_faults.sh): a mail containing the given
	 * marker crashes or hangs the parser child */
	const char *crash = getenv("REBOUND_TEST_PARSER_CRASH");
	const char *hang = getenv("REBOUND_TEST_PARSER_HANG");
	struct rb_arena a;
	rb_arena_init(&a);
	char *mail = NULL;
	size_t cap = 0;
	for (;;) {
		uint64_t len;
		if (read_full(0, &len, 8) < 0)
			_exit(0);
		if (len > ((uint64_t)1 << 32))
			_exit(3);
		if (len + 1 > cap) {
			cap = len + 1;
			mail = realloc(mail, cap);
			if (mail == NULL)
				_exit(4);
		}
		if (read_full(0, mail, len) < 0)
			_exit(0);
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
		char *out;
		size_t olen;
		rb_events_pack(ev.v, ev.n, &out, &olen);
		uint64_t l = olen;
		if (write_full(1, &l, 8) < 0 || write_full(1, out, olen) < 0)
			_exit(0);
		free(out);
	}
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
	pid_t pid = fork();
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
		int maxfd = (int)sysconf(_SC_OPEN_MAX);
		if (maxfd < 0 || maxfd > 65536)
			maxfd = 65536;
		for (int fd = 3; fd < maxfd; fd++)
			close(fd);
		child_loop(w->opts);
	}
	close(in[0]);
	close(out[1]);
	w->pid = pid;
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
rb_pworker_free(struct rb_pworker *w)
{
	if (w == NULL)
		return;
	reap(w, 1, NULL, 0);
	free(w);
}

static long long
now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Move n bytes in direction (POLLOUT: write buf; POLLIN: read into buf)
 * before the deadline.  0 done, -1 EOF/error, -2 timeout. */
static int
xfer(int fd, short dir, char *buf, size_t n, long long deadline)
{
	size_t o = 0;
	while (o < n) {
		ssize_t r = dir == POLLOUT ? write(fd, buf + o, n - o)
					   : read(fd, buf + o, n - o);
		if (r > 0) {
			o += (size_t)r;
			continue;
		}
		if (r == 0)
			return -1;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return -1;
		long long left = deadline - now_ms();
		if (left <= 0)
			return -2;
		struct pollfd p = {.fd = fd, .events = dir};
		poll(&p, 1, left > 1000 ? 1000 : (int)left);
	}
	return 0;
}

size_t
rb_pworker_parse(struct rb_pworker *w, struct rb_arena *a, const char *buf,
		 size_t len, unsigned timeout, struct rb_events *out,
		 char *why, size_t whylen)
{
	if (w->pid <= 0 && spawn(w) < 0) {
		snprintf(why, whylen, "cannot start the parser: %s",
			 strerror(errno));
		return 0;
	}
	long long deadline = now_ms() + (long long)timeout * 1000;
	uint64_t l = len;
	int r = xfer(w->to_child, POLLOUT, (char *)&l, 8, deadline);
	if (r == 0)
		r = xfer(w->to_child, POLLOUT, (char *)buf, len, deadline);
	uint64_t rl = 0;
	if (r == 0)
		r = xfer(w->from_child, POLLIN, (char *)&rl, 8, deadline);
	char *reply = NULL;
	if (r == 0 && rl > (256u << 20))
		r = -1;
	if (r == 0) {
		reply = malloc(rl + 1);
		if (reply == NULL)
			abort();
		r = xfer(w->from_child, POLLIN, reply, rl, deadline);
	}
	size_t n = 0;
	if (r == 0) {
		n = rb_events_unpack(a, reply, rl, out);
		if (n == 0) {
			snprintf(why, whylen, "parser sent a malformed reply");
			reap(w, 1, NULL, 0);
		}
	} else if (r == -2) {
		snprintf(why, whylen, "parser timed out after %u s", timeout);
		reap(w, 1, NULL, 0);
	} else {
		reap(w, 0, why, whylen);
	}
	free(reply);
	return n;
}

void
rb_pworker_parse_many(struct rb_pworker *w, struct rb_arena *a,
		      const char *const *bufs, const size_t *lens, size_t n,
		      unsigned timeout, struct rb_events *ev, size_t *res,
		      char *why, size_t whylen)
{
	size_t next = 0;	/* first mail without a result */
	while (next < n) {
		if (w->pid <= 0 && spawn(w) < 0) {
			for (size_t i = next; i < n; i++) {
				res[i] = 0;
				snprintf(why + i * whylen, whylen,
					 "cannot start the parser: %s",
					 strerror(errno));
			}
			return;
		}
		/* writer state: mail ws, offset wo (header counts 8) */
		size_t ws = next, wo = 0;
		size_t rs = next;	/* mail whose reply comes next */
		uint64_t hdr_out = 0, hdr_in = 0;
		size_t ro = 0;
		char *reply = NULL;
		long long deadline = now_ms() + (long long)timeout * 1000;
		int failed = 0;	/* 1 crash, 2 timeout, 3 malformed */
		while (rs < n && !failed) {
			struct pollfd p[2];
			int np = 0;
			p[np++] = (struct pollfd){.fd = w->from_child,
						  .events = POLLIN};
			if (ws < n)
				p[np++] = (struct pollfd){.fd = w->to_child,
							  .events = POLLOUT};
			long long left = deadline - now_ms();
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
			/* write as much as the pipe takes */
			if (np == 2 && (p[1].revents & (POLLOUT | POLLERR))) {
				for (;;) {
					if (ws >= n)
						break;
					const char *src;
					size_t total;
					hdr_out = lens[ws];
					if (wo < 8) {
						src = (const char *)&hdr_out + wo;
						total = 8 - wo;
					} else {
						src = bufs[ws] + (wo - 8);
						total = lens[ws] - (wo - 8);
					}
					ssize_t r = total ? write(w->to_child, src,
								  total)
							  : 0;
					if (r < 0) {
						if (errno == EINTR)
							continue;
						if (errno != EAGAIN)
							failed = 1;
						break;
					}
					wo += (size_t)r;
					if (wo == 8 + lens[ws]) {
						ws++;
						wo = 0;
					}
				}
			}
			if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
				for (;;) {
					ssize_t r;
					if (ro < 8) {
						r = read(w->from_child,
							 (char *)&hdr_in + ro, 8 - ro);
					} else {
						r = read(w->from_child,
							 reply + (ro - 8),
							 hdr_in - (ro - 8));
					}
					if (r == 0) {
						failed = 1;
						break;
					}
					if (r < 0) {
						if (errno == EINTR)
							continue;
						if (errno != EAGAIN)
							failed = 1;
						break;
					}
					ro += (size_t)r;
					if (ro == 8) {
						if (hdr_in > (256u << 20)) {
							failed = 3;
							break;
						}
						reply = malloc(hdr_in + 1);
						if (reply == NULL)
							abort();
					}
					if (ro >= 8 && ro == 8 + hdr_in) {
						res[rs] = rb_events_unpack(
						    a, reply, hdr_in, &ev[rs]);
						free(reply);
						reply = NULL;
						ro = 0;
						if (res[rs] == 0) {
							failed = 3;
							break;
						}
						rs++;
						deadline = now_ms() +
							   (long long)timeout * 1000;
						if (rs == n)
							break;
					}
				}
			}
		}
		free(reply);
		if (!failed)
			return;
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
	}
}
