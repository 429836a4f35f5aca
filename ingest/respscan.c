#include "respscan.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void
rb_respscan_init(struct rb_respscan *s)
{
	memset(s, 0, sizeof *s);
}

void
rb_respscan_free(struct rb_respscan *s)
{
	free(s->big);
	s->big = NULL;
	s->nbig = s->capbig = 0;
}

void
rb_respscan_command(struct rb_respscan *s, uint64_t line_max,
		    uint64_t literal_max, uint64_t bytes_max,
		    const struct rb_respscan_size *announced, size_t n)
{
	s->line_max = line_max;
	s->literal_max = literal_max;
	s->bytes_max = bytes_max;
	s->announced = announced;
	s->nannounced = announced ? n : 0;
	s->bytes = 0;
	s->nbig = 0;
}

static int fail(struct rb_respscan *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int
fail(struct rb_respscan *s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(s->err, sizeof s->err, fmt, ap);
	va_end(ap);
	return -1;
}

/* The number at p (digits only, at most 20 of them), saturated at
 * UINT64_MAX; *end after it.  -1 when there is no digit. */
static int
number(const char *p, const char *lim, uint64_t *v, const char **end)
{
	const char *q = p;
	uint64_t x = 0;
	int sat = 0;
	while (q < lim && *q >= '0' && *q <= '9') {
		unsigned d = (unsigned)(*q - '0');
		if (x > (UINT64_MAX - d) / 10)
			sat = 1;
		else
			x = x * 10 + d;
		q++;
	}
	if (q == p)
		return -1;
	*v = sat ? UINT64_MAX : x;
	*end = q;
	return 0;
}

/* The value after the item name `name ` in the response head, when the
 * name is a token of its own ("(UID 5" or " UID 5"); -1 when absent. */
static int
item(const struct rb_respscan *s, const char *name, uint64_t *v)
{
	size_t ln = strlen(name);
	const char *h = s->head, *lim = s->head + s->nhead;
	for (const char *p = h; p + ln + 1 < lim; p++) {
		if ((p > h && p[-1] != ' ' && p[-1] != '(') ||
		    strncasecmp(p, name, ln) != 0 || p[ln] != ' ')
			continue;
		const char *end;
		if (number(p + ln + 1, lim, v, &end) == 0)
			return 0;
	}
	return -1;
}

static uint64_t
announced_size(const struct rb_respscan *s, uint32_t uid, int *found)
{
	size_t lo = 0, hi = s->nannounced;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (s->announced[mid].uid == uid) {
			*found = 1;
			return s->announced[mid].size;
		}
		if (s->announced[mid].uid < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = 0;
	return 0;
}

static void
keep_big(struct rb_respscan *s, uint32_t uid, uint64_t size)
{
	if (s->nbig == s->capbig) {
		s->capbig = s->capbig ? s->capbig * 2 : 8;
		s->big = realloc(s->big, s->capbig * sizeof *s->big);
		if (s->big == NULL)
			abort();
	}
	s->big[s->nbig++] = (struct rb_respscan_size){uid, size};
}

/* "* N FETCH (": only there are UID and RFC822.SIZE data items. */
static int
is_fetch(const struct rb_respscan *s)
{
	const char *p = s->head, *lim = s->head + s->nhead;
	uint64_t n;
	const char *end;
	if (lim - p < 2 || p[0] != '*' || p[1] != ' ' ||
	    number(p + 2, lim, &n, &end) != 0)
		return 0;
	return lim - end >= 8 && strncasecmp(end, " FETCH (", 8) == 0;
}

/* The UID and RFC822.SIZE of a FETCH response so far: in range? */
static int
check_items(struct rb_respscan *s, int at_end)
{
	uint64_t uid = 0, size;
	if (!is_fetch(s))
		return 0;
	int has_uid = item(s, "UID", &uid) == 0;
	if (has_uid && (uid == 0 || uid > UINT32_MAX))
		return fail(s, "UID %llu out of range",
			    (unsigned long long)uid);
	if (at_end && item(s, "RFC822.SIZE", &size) == 0 && size > UINT32_MAX) {
		if (!has_uid)
			return fail(s,
				    "RFC822.SIZE %llu without a UID: out of "
				    "range",
				    (unsigned long long)size);
		keep_big(s, (uint32_t)uid, size);
	}
	return 0;
}

/* A line ended: a literal announced at its end, or the response ends. */
static int
line_end(struct rb_respscan *s)
{
	const char *t = s->tail, *e = s->tail + s->ntail;
	uint64_t n;
	const char *end;
	/* "...{123}\r\n" (or "~{123}") */
	if (e - t >= 4 && e[-1] == '\n' && e[-2] == '\r' && e[-3] == '}') {
		const char *open = e - 4;
		while (open > t && *open >= '0' && *open <= '9')
			open--;
		if (*open == '{' && number(open + 1, e - 3, &n, &end) == 0 &&
		    end == e - 3) {
			if (e - 3 - (open + 1) > 19)
				return fail(s, "literal size of 20 or more "
					       "digits");
			if (check_items(s, 0) != 0)
				return -1;
			uint64_t uid;
			int found = 0;
			uint64_t want = 0;
			if (s->nannounced && is_fetch(s) &&
			    item(s, "UID", &uid) == 0)
				want = announced_size(s, (uint32_t)uid, &found);
			if (found && n > want)
				return fail(s,
					    "literal of %llu bytes for UID %llu "
					    "larger than its RFC822.SIZE %llu",
					    (unsigned long long)n,
					    (unsigned long long)uid,
					    (unsigned long long)want);
			if (s->literal_max && n > s->literal_max)
				return fail(s,
					    "literal of %llu bytes over the "
					    "limit of %llu bytes",
					    (unsigned long long)n,
					    (unsigned long long)s->literal_max);
			s->literal_left = n;
			s->line_len = 0;
			s->ntail = 0;
			return 0;
		}
	}
	int r = check_items(s, 1);
	s->nhead = 0;
	s->line_len = 0;
	s->ntail = 0;
	return r;
}

/* Bytes outside literals, up to and including one '\n' at most. */
static void
take(struct rb_respscan *s, const char *p, size_t n)
{
	size_t room = sizeof s->head - s->nhead;
	memcpy(s->head + s->nhead, p, n < room ? n : room);
	s->nhead += n < room ? n : room;
	if (n >= sizeof s->tail) {
		memcpy(s->tail, p + n - sizeof s->tail, sizeof s->tail);
		s->ntail = sizeof s->tail;
		return;
	}
	if (s->ntail + n > sizeof s->tail) {
		size_t drop = s->ntail + n - sizeof s->tail;
		memmove(s->tail, s->tail + drop, s->ntail - drop);
		s->ntail -= drop;
	}
	memcpy(s->tail + s->ntail, p, n);
	s->ntail += n;
}

int
rb_respscan_feed(struct rb_respscan *s, const char *buf, size_t n)
{
	s->bytes += n;
	if (s->bytes_max && s->bytes > s->bytes_max)
		return fail(s, "more than %llu bytes in answer to one command",
			    (unsigned long long)s->bytes_max);
	while (n > 0) {
		if (s->literal_left) {
			size_t k = s->literal_left < n ? (size_t)s->literal_left
						       : n;
			s->literal_left -= k;
			buf += k;
			n -= k;
			continue;
		}
		const char *nl = memchr(buf, '\n', n);
		size_t k = nl ? (size_t)(nl - buf) + 1 : n;
		s->line_len += k;
		if (s->line_max && s->line_len > s->line_max)
			return fail(s, "response line longer than %llu bytes",
				    (unsigned long long)s->line_max);
		take(s, buf, k);
		buf += k;
		n -= k;
		if (nl && line_end(s) != 0)
			return -1;
	}
	return 0;
}

uint64_t
rb_respscan_size(const struct rb_respscan *s, uint32_t uid)
{
	for (size_t i = 0; i < s->nbig; i++)
		if (s->big[i].uid == uid)
			return s->big[i].size;
	return 0;
}
