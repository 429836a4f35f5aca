/*
 * files: local mail sources for `parse` and `ingest`: a message file, a
 * Maildir (cur/ and new/, Maildir++ sub-folders; never tmp/), a plain
 * directory of message files (recursively, in name order), an mbox file
 * (a file whose first line starts with "From "), or "-" for one message
 * on standard input.
 *
 * The walker reads each message into memory (at most max_bytes + 1 bytes,
 * so an oversized message is still reported, as oversized, by the
 * parser) and calls back with it; the buffer is only valid during the
 * call.  An mbox is read as a stream, one message at a time, so memory
 * stays within max_bytes + 1 and a read buffer whatever the file's size.  Returns 0, or -1 with *error_r set (static or per-path text in a
 * buffer the walker owns until the next call) when a path cannot be read;
 * the walk continues past unreadable entries and reports them through
 * the error callback.
 */
#ifndef RB_FILES_H
#define RB_FILES_H

#include <stddef.h>

struct rb_msg {
	const char *path;	/* the path as found */
	long index;		/* 0-based position in an mbox, else -1 */
	const char *data;
	size_t len;		/* bytes in data (may be max_bytes + 1) */
	unsigned long long size;	/* real size on disk */
};

/* Return non-zero to stop the walk. */
typedef int (*rb_msg_cb)(void *ctx, const struct rb_msg *msg);
typedef void (*rb_err_cb)(void *ctx, const char *path, const char *error);

/* Walk every path; returns the number of paths/entries that failed. */
int rb_files_walk(const char *const *paths, size_t npaths, size_t max_bytes,
		  rb_msg_cb cb, rb_err_cb ecb, void *ctx);

#endif
