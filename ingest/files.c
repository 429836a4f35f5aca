#define _DEFAULT_SOURCE
#include "files.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct walker {
	size_t max;
	rb_msg_cb cb;
	rb_err_cb ecb;
	void *ctx;
	int failures;
	int stop;
	char *buf;
	size_t cap;
};

static void
fail(struct walker *w, const char *path, const char *what)
{
	w->failures++;
	if (w->ecb)
		w->ecb(w->ctx, path, what);
}

/*
 * Read fd into w->buf after its first n0 bytes, up to `limit` bytes in
 * all; returns the bytes in the buffer or -1.  `size` is the file's size
 * when known, else -1: a read that reaches it is the last (no extra read
 * just to see the end).  `regular`: fd is a regular file, where a short
 * read means the end of the file, so that no extra read is needed either.
 */
static ssize_t
read_fd(struct walker *w, int fd, size_t n0, size_t limit, long long size,
	bool regular)
{
	size_t n = n0;
	if (size >= 0 && (unsigned long long)size + 1 < limit)
		limit = (size_t)size + 1;	/* +1: a file that grew */
	for (;;) {
		if (n == w->cap) {
			size_t nc = w->cap ? w->cap * 2 : 65536;
			while (size >= 0 && nc < limit)
				nc *= 2;
			if (nc > limit + 1)
				nc = limit + 1;
			if (nc <= w->cap)
				break;
			char *nb = realloc(w->buf, nc);
			if (nb == NULL)
				return -1;
			w->buf = nb;
			w->cap = nc;
		}
		size_t want = w->cap - n;
		if (n + want > limit)
			want = limit - n;
		if (want == 0)
			break;
		ssize_t r = read(fd, w->buf + n, want);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if ((size_t)r < want &&
		    (regular || (size >= 0 && n >= (unsigned long long)size)))
			break;	/* the whole file, in fewer bytes than asked */
	}
	return (ssize_t)n;
}

static void
emit(struct walker *w, const char *path, long index, const char *data,
     size_t len, unsigned long long size)
{
	struct rb_msg m = {path, index, data, len, size};
	if (w->cb(w->ctx, &m) != 0)
		w->stop = 1;
}

/*
 * mbox, streamed: messages start at lines "From " (">From " unescaping is
 * left to the parser: it is harmless in bounce text).  The file is read
 * in pieces and each message is kept up to max + 1 bytes (the parser
 * reports the rest as oversized, with the message's real size), so
 * memory does not grow with the file.  The first 5 bytes of each line
 * are held back until they tell whether the line starts a message.
 */
struct mbox {
	struct walker *w;
	const char *path;
	long idx;
	char *msg;		/* the message so far, at most max + 1 */
	size_t len, cap;
	unsigned long long size;	/* its real size */
	int started;
	int bol;		/* at the start of a line */
	char head[5];		/* the start of the line, undecided */
	size_t nhead;
};

static void
mbox_keep(struct mbox *m, const char *p, size_t n)
{
	m->size += n;
	size_t room = m->w->max + 1 - m->len;
	if (n > room)
		n = room;
	if (n == 0)
		return;
	if (m->len + n > m->cap) {
		size_t nc = m->cap ? m->cap : 65536;
		while (nc < m->len + n)
			nc *= 2;
		if (nc > m->w->max + 1)
			nc = m->w->max + 1;
		m->msg = realloc(m->msg, nc);
		if (m->msg == NULL)
			abort();
		m->cap = nc;
	}
	memcpy(m->msg + m->len, p, n);
	m->len += n;
}

static void
mbox_emit(struct mbox *m)
{
	if (m->started && m->size > 0 && !m->w->stop)
		emit(m->w, m->path, m->idx++, m->msg ? m->msg : "", m->len,
		     m->size);
	m->len = 0;
	m->size = 0;
}

/* The held-back start of a line is decided: a new message or not. */
static void
mbox_decide(struct mbox *m)
{
	if (m->nhead == 5 && memcmp(m->head, "From ", 5) == 0) {
		mbox_emit(m);
		m->started = 1;
	}
	mbox_keep(m, m->head, m->nhead);
	m->nhead = 0;
}

static void
mbox_feed(struct mbox *m, const char *d, size_t n)
{
	while (n > 0 && !m->w->stop) {
		if (m->bol && m->nhead == 0 && n >= 5) {
			/* a whole line start in hand: decided at once, and
			 * kept with the rest of its line */
			if (memcmp(d, "From ", 5) == 0) {
				mbox_emit(m);
				m->started = 1;
			}
			m->bol = 0;
			continue;
		}
		if (m->bol) {
			char c = *d++;
			n--;
			m->head[m->nhead++] = c;
			if (c == '\n' || m->nhead == 5) {
				mbox_decide(m);
				m->bol = c == '\n';
			}
			continue;
		}
		const char *nl = memchr(d, '\n', n);
		size_t k = nl ? (size_t)(nl - d) + 1 : n;
		mbox_keep(m, d, k);
		d += k;
		n -= k;
		m->bol = nl != NULL;
	}
}

/* fd is an mbox whose first n bytes are in w->buf. */
static void
stream_mbox(struct walker *w, int fd, const char *path, size_t n)
{
	struct mbox m = {.w = w, .path = path, .bol = 1};
	ssize_t r = (ssize_t)n;
	while (r > 0 && !w->stop) {
		mbox_feed(&m, w->buf, (size_t)r);
		do
			r = read(fd, w->buf, w->cap < 65536 ? w->cap : 65536);
		while (r < 0 && errno == EINTR);
	}
	if (r < 0)
		fail(w, path, strerror(errno));
	mbox_decide(&m);	/* a last line shorter than 5 bytes */
	mbox_emit(&m);
	free(m.msg);
}

/*
 * Read one file: `name` relative to the directory dirfd (AT_FDCWD for a
 * path given by hand), `path` for messages and errors.  `regular`: the
 * directory listing already said it is a regular file, so no fstat: a
 * read that returns fewer bytes than asked is the end of a regular file,
 * which keeps a Maildir walk at openat, read, close per message (no path
 * walk from the root either).  The size on disk is then the bytes read,
 * unless the file is over the limit, when fstat says.
 */
static void
do_file(struct walker *w, int dirfd, const char *name, const char *path,
	bool regular)
{
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		fail(w, path, strerror(errno));
		return;
	}
	long long size = -1;
	if (!regular) {
		struct stat st;
		if (fstat(fd, &st) < 0) {
			fail(w, path, strerror(errno));
			close(fd);
			return;
		}
		regular = S_ISREG(st.st_mode);
		size = regular ? (long long)st.st_size : -1;
	}
	size_t max = w->max;
	/* a first piece tells an mbox (streamed) from one message (read
	 * whole, up to the limit) */
	size_t first = max + 1 < 65536 ? max + 1 : 65536;
	ssize_t n = read_fd(w, fd, 0, first, size, regular);
	if (n >= 5 && memcmp(w->buf, "From ", 5) == 0) {
		stream_mbox(w, fd, path, (size_t)n);
		close(fd);
		return;
	}
	if (n == (ssize_t)first && first < max + 1)
		n = read_fd(w, fd, (size_t)n, max + 1, size, regular);
	unsigned long long disk = n < 0 ? 0 : (unsigned long long)n;
	if (size >= 0) {
		disk = (unsigned long long)size;
	} else if (regular && n >= 0 && (size_t)n > max) {
		struct stat st;	/* oversized: the real size for the report */
		if (fstat(fd, &st) == 0)
			disk = (unsigned long long)st.st_size;
	}
	close(fd);
	if (n < 0) {
		fail(w, path, strerror(errno));
		return;
	}
	size_t len = (size_t)n > max + 1 ? max + 1 : (size_t)n;
	emit(w, path, -1, w->buf, len, disk);
}

struct entry {
	char *name;
	unsigned char type;	/* d_type: DT_REG and DT_DIR spare a stat */
};

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->name,
		      ((const struct entry *)b)->name);
}

static bool
is_dir_at(int dirfd, const char *name)
{
	struct stat st;
	return fstatat(dirfd, name, &st, 0) == 0 && S_ISDIR(st.st_mode);
}

static void do_path(struct walker *w, const char *path, int depth);

static void
do_dir(struct walker *w, const char *path, int depth)
{
	if (depth > 32) {
		fail(w, path, "directory nesting too deep");
		return;
	}
	/* the directory stays open during the walk: its files are opened
	 * relative to it (openat), not by their full path */
	int dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = dfd < 0 ? NULL : fdopendir(dfd);
	if (d == NULL) {
		fail(w, path, strerror(errno));
		if (dfd >= 0)
			close(dfd);
		return;
	}
	struct entry *names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			names = realloc(names, cap * sizeof(*names));
			if (names == NULL)
				abort();
		}
		names[n].name = strdup(de->d_name);
		names[n].type = de->d_type;
		if (names[n].name == NULL)
			abort();
		n++;
	}
	qsort(names, n, sizeof(*names), cmp_names);

	bool maildir = is_dir_at(dfd, "cur") && is_dir_at(dfd, "new");
	char sub[4096];
	size_t pl = strlen(path);
	const char *sep = pl && path[pl - 1] == '/' ? "" : "/";
	for (size_t i = 0; i < n; i++) {
		const char *name = names[i].name;
		if (!w->stop) {
			int r = snprintf(sub, sizeof(sub), "%s%s%s", path, sep,
					 name);
			if (r < 0 || (size_t)r >= sizeof(sub)) {
				fail(w, name, "path too long");
			} else if (maildir) {
				/* only cur/, new/ and Maildir++ folders */
				if ((strcmp(name, "cur") == 0 ||
				     strcmp(name, "new") == 0 ||
				     name[0] == '.') &&
				    is_dir_at(dfd, name))
					do_dir(w, sub, depth + 1);
			} else if (name[0] != '.') {
				if (names[i].type == DT_REG)
					do_file(w, dfd, name, sub, true);
				else if (names[i].type == DT_DIR)
					do_dir(w, sub, depth + 1);
				else	/* links, unknown: stat decides */
					do_path(w, sub, depth + 1);
			}
		}
		free(names[i].name);
	}
	free(names);
	closedir(d);
}

static void
do_path(struct walker *w, const char *path, int depth)
{
	struct stat st;
	if (stat(path, &st) < 0) {
		fail(w, path, strerror(errno));
		return;
	}
	if (S_ISDIR(st.st_mode))
		do_dir(w, path, depth);
	else if (S_ISREG(st.st_mode))
		do_file(w, AT_FDCWD, path, path, false);
	else if (depth == 0)	/* a named pipe or device given by hand */
		do_file(w, AT_FDCWD, path, path, false);
}

int
rb_files_walk(const char *const *paths, size_t npaths, size_t max_bytes,
	      rb_msg_cb cb, rb_err_cb ecb, void *ctx)
{
	struct walker w = {.max = max_bytes, .cb = cb, .ecb = ecb, .ctx = ctx};
	for (size_t i = 0; i < npaths && !w.stop; i++) {
		if (strcmp(paths[i], "-") == 0) {
			ssize_t n = read_fd(&w, 0, 0, w.max + 1, -1, false);
			if (n < 0)
				fail(&w, "-", strerror(errno));
			else
				emit(&w, "-", -1, w.buf ? w.buf : "",
				     (size_t)n, (unsigned long long)n);
			continue;
		}
		do_path(&w, paths[i], 0);
	}
	free(w.buf);
	return w.failures;
}
