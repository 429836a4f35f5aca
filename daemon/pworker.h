/*
 * pworker: the parser in a child process, so that a mail that crashes or
 * hangs the parser costs one child, not the daemon.
 *
 * The child is forked once and reused (a fork per mail would cost more
 * than the parse); it reads a mail from a pipe, runs rb_parse_message()
 * and writes the events back in a compact binary form.  The parent waits
 * at most `timeout` seconds for the answer; on a timeout it kills the
 * child, on a crash it reaps it, and in both cases the next call forks a
 * new one.  The child closes every inherited descriptor except its pipes
 * and stderr (a copy of an IMAP or database socket would keep that
 * connection open behind the parent's back).  Started as a new program
 * (rb_pworker_exec), it also gets a clean environment: locale, TZ,
 * journald's and the sanitizers' settings and the test hooks only, none
 * of the passwords or connection strings the daemon may have in its
 * own.
 *
 * Memory: events and their strings are copied into the caller's arena.
 */
#ifndef RB_PWORKER_H
#define RB_PWORKER_H

#include <stddef.h>

#include "parsers/parse.h"
#include "lib/arena.h"
#include "core/event.h"

struct rb_pworker;

/* opts (and its rules) must outlive the worker. */
struct rb_pworker *rb_pworker_new(const struct rb_parse_opts *opts);
void rb_pworker_free(struct rb_pworker *w);

/*
 * Start each child as a new program, `path RB_PWORKER_ARG`, instead of
 * parsing in the forked copy of the caller.  A multi-threaded caller
 * needs this: fork copies only the calling thread, and a lock another
 * thread held at that moment (a memory allocator's, a library's) stays
 * locked forever in the copy, hanging the child on its first use (seen
 * with the sanitizers' allocator).  Between fork and exec the child makes
 * only async-signal-safe calls.  The program must call
 * rb_pworker_child_main() with the same options when given
 * RB_PWORKER_ARG (rebound does: daemon/run.c).  path must outlive w.
 */
#define RB_PWORKER_ARG "__parser-child"
void rb_pworker_exec(struct rb_pworker *w, const char *path);

/* The child's side: read mails on stdin, write events on stdout, until
 * end of input.  Never returns. */
void rb_pworker_child_main(const struct rb_parse_opts *opts)
    __attribute__((noreturn));

/*
 * Parse one mail in the child.  Returns the number of events appended to
 * out (>= 1), or 0 when the child crashed or timed out, with the reason
 * in why (e.g. "parser killed by signal 11").
 */
size_t rb_pworker_parse(struct rb_pworker *w, struct rb_arena *a,
			const char *buf, size_t len, unsigned timeout,
			struct rb_events *out, char *why, size_t whylen);

/*
 * Parse n mails in one exchange with the child (pipelined: the mails go
 * out with writev, as many as the pipe takes, and the child reads them
 * in large chunks and answers each with one write, so a batch of small
 * mails costs about one system call per mail in all instead of eight).  res[i] is the number of events of mail i appended to ev[i]
 * (each initialised by the caller), or 0 when the parser failed on that
 * mail (crash or timeout: why[i] is set, a static-sized buffer per mail
 * of whylen bytes).  The timeout applies per mail (no reply for that
 * long kills the child).  Mails after a failed one are parsed by a new
 * child.  The caller ignores SIGPIPE (a write to a child that just died
 * must fail with EPIPE, not kill the daemon).
 */
void rb_pworker_parse_many(struct rb_pworker *w, struct rb_arena *a,
			   const char *const *bufs, const size_t *lens,
			   size_t n, unsigned timeout, struct rb_events *ev,
			   size_t *res, char *why, size_t whylen);

/* SIGKILL the child of this process's parser, if one runs (any thread;
 * the daemon's bounded shutdown). */
void rb_pworker_kill_live(void);

/* Serialisation (exposed for tests). */
void rb_events_pack(const struct rb_event *e, size_t n, char **buf,
		    size_t *len);
/* Returns the number of events appended, 0 on malformed input. */
size_t rb_events_unpack(struct rb_arena *a, const char *buf, size_t len,
			struct rb_events *out);

#endif
