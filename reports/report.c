/*
 * report: key table, grouping, sent-count join, rates, ordering.
 */
#include "report.h"

#include <ctype.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/event.h"
#include "lib/arena.h"
#include "lib/err.h"
#include "provider.h"

#define NONE_VALUE "(none)"
#define MAX_VALUE 512		/* bytes kept of one key value */
#define MAX_DAYS 3700		/* daily series longer than ten years is cut */

struct sent_row {
	const char *day, *sender_domain, *campaign, *list, *tenant, *stream;
	long long count;
};

/* n events of group row on day (an index into the window) */
struct row_day {
	size_t row;
	int day;
	long long n;
};

struct rb_report_priv {
	struct rb_arena a;
	/* open addressing: slot -> row index + 1, 0 empty */
	size_t *slots;
	size_t nslots;
	uint64_t *hashes;	/* per row */
	struct sent_row *sent;
	size_t nsent, capsent;
	bool any_sent;
	int ncols;
	const char *cols[RB_REPORT_MAXCOLS];
	int colidx[RB_REPORT_MAXKEYS][6];	/* key's cols -> vals index */
	/* the day column's vals index when the keys can have sent counts
	 * (the groups' events per day are then kept in ev), else -1 */
	int daycol;
	struct row_day *ev;
	size_t nev, capev;
};

/* ---------------------------------------------------------------- dates */

/* days since 1970-01-01 of a civil date (proleptic Gregorian) */
static long
days_from_civil(int y, int m, int d)
{
	y -= m <= 2;
	long era = (y >= 0 ? y : y - 399) / 400;
	long yoe = y - era * 400;
	long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void
civil_from_days(long z, int *y, int *m, int *d)
{
	z += 719468;
	long era = (z >= 0 ? z : z - 146096) / 146097;
	long doe = z - era * 146097;
	long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	long yy = yoe + era * 400;
	long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	long mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yy + (*m <= 2));
}

static int
parse_day(const char *s, long *out)
{
	if (s == NULL || strlen(s) < 10)
		return -1;
	for (int i = 0; i < 10; i++)
		if (i == 4 || i == 7 ? s[i] != '-' : !isdigit((unsigned char)s[i]))
			return -1;
	int y = atoi(s), m = atoi(s + 5), d = atoi(s + 8);
	if (m < 1 || m > 12 || d < 1 || d > 31)
		return -1;
	long z = days_from_civil(y, m, d);
	int y2, m2, d2;
	civil_from_days(z, &y2, &m2, &d2);
	if (y2 != y || m2 != m || d2 != d)
		return -1;	/* 2026-02-30 */
	*out = z;
	return 0;
}

int
rb_day_diff(const char *a, const char *b)
{
	long x, y;
	if (parse_day(a, &x) < 0 || parse_day(b, &y) < 0)
		return INT_MIN;
	return (int)(y - x);
}

int
rb_day_add(const char *day, int n, char out[11])
{
	long z;
	int y, m, d;
	if (parse_day(day, &z) < 0)
		return -1;
	civil_from_days(z + n, &y, &m, &d);
	char tmp[40];
	snprintf(tmp, sizeof tmp, "%04d-%02d-%02d", y % 10000, m, d);
	memcpy(out, tmp, 10);
	out[10] = '\0';
	return 0;
}

int
rb_day_week(const char *day, char out[9])
{
	long z;
	int y, m, d;
	if (parse_day(day, &z) < 0)
		return -1;
	/* ISO 8601: the week belongs to the year of its Thursday */
	long wd = ((z % 7) + 7 + 3) % 7;	/* 0 = Monday (1970-01-01 Thu) */
	long thu = z - wd + 3;
	civil_from_days(thu, &y, &m, &d);
	long jan1 = days_from_civil(y, 1, 1);
	int week = (int)((thu - jan1) / 7 + 1);
	char tmp[40];
	snprintf(tmp, sizeof tmp, "%04d-W%02d", y % 10000, week);
	memcpy(out, tmp, 8);
	out[8] = '\0';
	return 0;
}

/* ------------------------------------------------------------ key table */

static const char *
derive_week(struct rb_report *r, const char *const *v)
{
	char w[9];
	if (v[0] == NULL || rb_day_week(v[0], w) < 0)
		return NULL;
	return rb_arena_strdup(&r->priv->a, w);
}

static const char *
derive_provider(struct rb_report *r, const char *const *v)
{
	struct rb_provider_signals s = {
	    .user_agent = v[0],
	    .reporting_mta = v[1],
	    .report_message_id = v[2],
	    .remote_mta = v[3],
	    .recipient = v[4],
	};
	return rb_provider_identify(&r->priv->a, &s,
				    r->kind == RB_REPORT_COMPLAINTS);
}

static const char *
derive_hard(struct rb_report *r, const char *const *v)
{
	if (v[0] == NULL || v[0][0] == '\0')
		return NULL;
	return strchr("t1yT", v[0][0]) ? "hard" : "soft";
}

static const char *
derive_lower(struct rb_report *r, const char *const *v)
{
	if (v[0] == NULL)
		return NULL;
	char *s = rb_arena_strdup(&r->priv->a, v[0]);
	for (char *p = s; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return s;
}

/* reason -> what the sender has to fix (core/event.h) */
static const char *
derive_family(struct rb_report *r, const char *const *v)
{
	(void)r;
	return v[0] == NULL ? NULL : rb_reason_family(v[0]);
}

#define COLS(...) ((const char *const[]){__VA_ARGS__, NULL})
#define C (1u << RB_REPORT_COMPLAINTS)
#define B (1u << RB_REPORT_BOUNCES)
#define U (1u << RB_REPORT_UNSUBSCRIBES)

static const struct rb_report_key keys[] = {
    {"day", "day", C | B | U, COLS("day"), RB_SENT_DAY, NULL, true},
    {"week", "week", C | B | U, COLS("day"), RB_SENT_WEEK, derive_week, true},
    {"provider", "provider", C | B | U,
     COLS("user_agent", "reporting_mta", "report_message_id", "remote_mta",
	  "recipient_domain"),
     RB_SENT_NONE, derive_provider, false},
    {"recipient-domain", "recipient domain", C | B | U, COLS("recipient_domain"),
     RB_SENT_NONE, derive_lower, false},
    {"sender-domain", "sender domain", C | B | U, COLS("sender_domain"),
     RB_SENT_SENDER_DOMAIN, derive_lower, false},
    {"campaign", "campaign", C | B | U, COLS("campaign"), RB_SENT_CAMPAIGN, NULL,
     false},
    {"list", "list", C | B | U, COLS("list_id"), RB_SENT_LIST, NULL, false},
    {"feedback-id", "Feedback-ID", C, COLS("feedback_id"), RB_SENT_NONE, NULL,
     false},
    {"feedback-type", "feedback type", C, COLS("feedback_type"), RB_SENT_NONE,
     NULL, false},
    {"subject", "subject", C | B | U, COLS("subject"), RB_SENT_NONE, NULL, false},
    {"reason", "reason", B, COLS("reason"), RB_SENT_NONE, NULL, false},
    {"family", "family", B, COLS("reason"), RB_SENT_NONE, derive_family,
     false},
    {"hard-soft", "hard/soft", B, COLS("hard"), RB_SENT_NONE, derive_hard,
     false},
    {"status", "status", B, COLS("status"), RB_SENT_NONE, NULL, false},
    {"remote-mta", "remote MTA", B, COLS("remote_mta"), RB_SENT_NONE,
     derive_lower, false},
    {"tenant", "tenant", C | B | U, COLS("tenant"), RB_SENT_TENANT, NULL, false},
    {"stream", "stream", C | B | U, COLS("stream"), RB_SENT_STREAM, NULL, false},
    {NULL, NULL, 0, NULL, RB_SENT_NONE, NULL, false},
};

const struct rb_report_kinddef rb_report_kinds[RB_REPORT_NKINDS] = {
    {"complaints", "Complaint report", "complaints", "inferred", NULL,
     "complaint rate", "provider", "advised limit", "required limit",
     RB_REPORT_BOUNCES},
    {"bounces", "Bounce report", "bounces", "hard", "soft", "bounce rate",
     "reason", "advised limit", "required limit", RB_REPORT_COMPLAINTS},
    {"unsubscribes", "Unsubscribe report", "unsubscribes", "one-click",
     "mail", "unsubscribe rate", "tenant", "warn", "high",
     RB_REPORT_COMPLAINTS},
};

long long
rb_report_day_n(const struct rb_report_day *d, enum rb_report_kind k)
{
	return k == RB_REPORT_COMPLAINTS ? d->complaints
	       : k == RB_REPORT_BOUNCES	 ? d->bounces
					 : d->unsubscribes;
}

const struct rb_report_key *
rb_report_key_find(const char *name)
{
	for (const struct rb_report_key *k = keys; k->name; k++)
		if (strcmp(k->name, name) == 0)
			return k;
	return NULL;
}

const char *
rb_report_key_names(enum rb_report_kind kind, char *buf, size_t size)
{
	size_t n = 0;
	buf[0] = '\0';
	for (const struct rb_report_key *k = keys; k->name; k++) {
		if (!(k->kinds & (1u << kind)))
			continue;
		int w = snprintf(buf + n, size - n, "%s%s", n ? "|" : "",
				 k->name);
		if (w < 0 || (size_t)w >= size - n)
			break;
		n += (size_t)w;
	}
	return buf;
}

int
rb_report_kind_parse(const char *name)
{
	for (int i = 0; i < RB_REPORT_NKINDS; i++)
		if (strcmp(rb_report_kinds[i].name, name) == 0)
			return i;
	return -1;
}

int
rb_report_format_parse(const char *name)
{
	static const char *const names[] = {"text", "csv", "json", "html"};
	for (int i = 0; i < 4; i++)
		if (strcmp(names[i], name) == 0)
			return i;
	return -1;
}

/* ---------------------------------------------------------- lifecycle */

struct rb_report *
rb_report_new(enum rb_report_kind kind, const char *from, const char *to,
	      const char *by, char *err, size_t errlen)
{
	long f, t;
	if (parse_day(from, &f) < 0 || parse_day(to, &t) < 0 || t < f) {
		rb_errf(err, errlen,
			"the window needs two dates YYYY-MM-DD, from <= to");
		return NULL;
	}
	struct rb_report *r = calloc(1, sizeof *r);
	struct rb_report_priv *p = calloc(1, sizeof *p);
	if (r == NULL || p == NULL)
		abort();
	r->priv = p;
	rb_arena_init(&p->a);
	r->kind = kind;
	memcpy(r->from, from, 10);
	memcpy(r->to, to, 10);
	if (kind == RB_REPORT_BOUNCES) {
		r->warn = RB_BOUNCE_WARN;
		r->limit = RB_BOUNCE_LIMIT;
	} else if (kind == RB_REPORT_UNSUBSCRIBES) {
		r->warn = RB_UNSUB_WARN;
		r->limit = RB_UNSUB_LIMIT;
	} else {
		r->warn = RB_COMPLAINT_WARN;
		r->limit = RB_COMPLAINT_LIMIT;
	}
	r->total.sent = -1;
	r->total.rate = -1;
	r->total.rated = -1;

	char buf[256];
	snprintf(buf, sizeof buf, "%s", by ? by : "");
	for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		while (*tok == ' ')
			tok++;
		const struct rb_report_key *k = rb_report_key_find(tok);
		if (k == NULL || !(k->kinds & (1u << kind))) {
			char names[512];
			rb_errf(err, errlen, "--by: %s '%.40s'; the keys of "
					     "this report: %s",
				k ? "not a key of this report" : "unknown key",
				tok,
				rb_report_key_names(kind, names,
						    sizeof(names)));
			rb_report_free(r);
			return NULL;
		}
		for (int i = 0; i < r->nkeys; i++)
			if (r->keys[i] == k) {
				rb_errf(err, errlen, "a key is given twice");
				rb_report_free(r);
				return NULL;
			}
		if (r->nkeys == RB_REPORT_MAXKEYS) {
			rb_errf(err, errlen, "at most %d keys",
				RB_REPORT_MAXKEYS);
			rb_report_free(r);
			return NULL;
		}
		r->keys[r->nkeys++] = k;
	}
	/* the raw columns, each once */
	bool rated = true;
	for (int i = 0; i < r->nkeys; i++) {
		int j = 0;
		rated = rated && r->keys[i]->sent != RB_SENT_NONE;
		for (const char *const *c = r->keys[i]->cols; *c; c++, j++) {
			int at = -1;
			for (int x = 0; x < p->ncols; x++)
				if (strcmp(p->cols[x], *c) == 0)
					at = x;
			if (at < 0) {
				at = p->ncols++;
				p->cols[at] = *c;
			}
			p->colidx[i][j] = at;
		}
	}
	/* groups that can have sent counts are rated day by day */
	p->daycol = -1;
	if (rated) {
		for (int x = 0; x < p->ncols; x++)
			if (strcmp(p->cols[x], "day") == 0)
				p->daycol = x;
		if (p->daycol < 0) {
			p->daycol = p->ncols++;
			p->cols[p->daycol] = "day";
		}
	}
	p->nslots = 64;
	p->slots = calloc(p->nslots, sizeof *p->slots);
	if (p->slots == NULL)
		abort();
	return r;
}

void
rb_report_free(struct rb_report *r)
{
	if (r == NULL)
		return;
	rb_report_free(r->breakdown);
	if (r->priv) {
		rb_arena_free(&r->priv->a);
		free(r->priv->slots);
		free(r->priv->hashes);
		free(r->priv->sent);
		free(r->priv->ev);
		free(r->priv);
	}
	free(r->rows);
	free(r->days);
	free(r);
}

void
rb_report_set_scope(struct rb_report *r, const char *tenant,
		    const char *stream)
{
	r->tenant = tenant ? rb_arena_strdup(&r->priv->a, tenant) : NULL;
	r->stream = stream ? rb_arena_strdup(&r->priv->a, stream) : NULL;
}

int
rb_report_columns(const struct rb_report *r, const char **cols)
{
	for (int i = 0; i < r->priv->ncols; i++)
		cols[i] = r->priv->cols[i];
	return r->priv->ncols;
}

/* ----------------------------------------------------------- grouping */

static uint64_t
hash_keys(const char *const *k, int n)
{
	uint64_t h = 1469598103934665603ull;
	for (int i = 0; i < n; i++) {
		for (const unsigned char *s = (const unsigned char *)k[i]; *s;
		     s++)
			h = (h ^ *s) * 1099511628211ull;
		h = (h ^ 0x1f) * 1099511628211ull;
	}
	return h;
}

static bool
same_keys(const char *const *a, const char *const *b, int n)
{
	for (int i = 0; i < n; i++)
		if (strcmp(a[i], b[i]) != 0)
			return false;
	return true;
}

static void
grow_slots(struct rb_report *r)
{
	struct rb_report_priv *p = r->priv;
	size_t n = p->nslots * 2;
	size_t *s = calloc(n, sizeof *s);
	if (s == NULL)
		abort();
	for (size_t i = 0; i < r->nrows; i++) {
		size_t j = p->hashes[i] & (n - 1);
		while (s[j])
			j = (j + 1) & (n - 1);
		s[j] = i + 1;
	}
	free(p->slots);
	p->slots = s;
	p->nslots = n;
}

/* a copy of a value, cut at MAX_VALUE on a UTF-8 boundary */
static const char *
keep_value(struct rb_report *r, const char *v)
{
	if (v == NULL || v[0] == '\0')
		return NONE_VALUE;
	size_t n = strnlen(v, MAX_VALUE + 1);
	if (n > MAX_VALUE) {
		n = MAX_VALUE;
		while (n > 0 && ((unsigned char)v[n] & 0xc0) == 0x80)
			n--;
	}
	return rb_arena_strndup(&r->priv->a, v, n);
}

/* the group's row, found or made; its index */
static size_t
add_row(struct rb_report *r, const char *const *k, long long n,
	long long sub)
{
	struct rb_report_priv *p = r->priv;
	uint64_t h = hash_keys(k, r->nkeys);
	size_t j = h & (p->nslots - 1);
	for (; p->slots[j]; j = (j + 1) & (p->nslots - 1)) {
		struct rb_report_row *row = &r->rows[p->slots[j] - 1];
		if (p->hashes[p->slots[j] - 1] == h &&
		    same_keys(row->keys, k, r->nkeys)) {
			row->n += n;
			row->sub += sub;
			return p->slots[j] - 1;
		}
	}
	if (r->nrows == r->caprows) {
		r->caprows = r->caprows ? r->caprows * 2 : 64;
		r->rows = realloc(r->rows, r->caprows * sizeof *r->rows);
		p->hashes = realloc(p->hashes, r->caprows * sizeof *p->hashes);
		if (r->rows == NULL || p->hashes == NULL)
			abort();
	}
	struct rb_report_row *row = &r->rows[r->nrows];
	memset(row, 0, sizeof *row);
	for (int i = 0; i < r->nkeys; i++)
		row->keys[i] = keep_value(r, k[i]);
	row->n = n;
	row->sub = sub;
	row->sent = -1;
	row->rated = -1;
	row->rate = -1;
	p->hashes[r->nrows] = h;
	p->slots[j] = ++r->nrows;
	if (r->nrows * 10 > p->nslots * 7)
		grow_slots(r);
	return r->nrows - 1;
}

/* the row of the group with key values k, or -1 */
static long
find_row(const struct rb_report *r, const char *const *k)
{
	const struct rb_report_priv *p = r->priv;
	uint64_t h = hash_keys(k, r->nkeys);
	for (size_t j = h & (p->nslots - 1); p->slots[j];
	     j = (j + 1) & (p->nslots - 1)) {
		size_t i = p->slots[j] - 1;
		if (p->hashes[i] == h && same_keys(r->rows[i].keys, k, r->nkeys))
			return (long)i;
	}
	return -1;
}

void
rb_report_add(struct rb_report *r, const char *const *vals, long long n,
	      long long sub)
{
	struct rb_report_priv *p = r->priv;
	const char *k[RB_REPORT_MAXKEYS];
	for (int i = 0; i < r->nkeys; i++) {
		const struct rb_report_key *key = r->keys[i];
		const char *v[6] = {NULL};
		int j = 0;
		for (const char *const *c = key->cols; *c; c++, j++)
			v[j] = vals[p->colidx[i][j]];
		const char *d = key->derive ? key->derive(r, v) : v[0];
		k[i] = d && d[0] ? d : NONE_VALUE;
	}
	/* the lookup compares stored (cut) values: cut the same way */
	for (int i = 0; i < r->nkeys; i++)
		if (strlen(k[i]) > MAX_VALUE)
			k[i] = keep_value(r, k[i]);
	size_t row = add_row(r, k, n, sub);
	r->total.n += n;
	r->total.sub += sub;
	if (p->daycol < 0)
		return;
	int d = vals[p->daycol] ? rb_day_diff(r->from, vals[p->daycol])
				: INT_MIN;
	if (d == INT_MIN)
		return;
	if (p->nev == p->capev) {
		p->capev = p->capev ? p->capev * 2 : 256;
		p->ev = realloc(p->ev, p->capev * sizeof *p->ev);
		if (p->ev == NULL)
			abort();
	}
	p->ev[p->nev++] = (struct row_day){row, d, n};
}

static const char *
sent_part(struct rb_report *r, const char *s, bool lower)
{
	if (s == NULL || s[0] == '\0')
		return NONE_VALUE;
	if (!lower)
		return keep_value(r, s);
	const char *v[1] = {s};
	return keep_value(r, derive_lower(r, v));
}

void
rb_report_add_sent(struct rb_report *r, const struct rb_report_sent *in)
{
	struct rb_report_priv *p = r->priv;
	long z;
	if (parse_day(in->day, &z) < 0)
		return;
	if (p->nsent == p->capsent) {
		p->capsent = p->capsent ? p->capsent * 2 : 64;
		p->sent = realloc(p->sent, p->capsent * sizeof *p->sent);
		if (p->sent == NULL)
			abort();
	}
	struct sent_row *s = &p->sent[p->nsent++];
	s->day = rb_arena_strndup(&p->a, in->day, 10);
	s->sender_domain = sent_part(r, in->sender_domain, true);
	s->campaign = sent_part(r, in->campaign, false);
	s->list = sent_part(r, in->list, false);
	s->tenant = sent_part(r, in->tenant, false);
	s->stream = sent_part(r, in->stream, false);
	s->count = in->count;
	p->any_sent = true;
}

/* the series covers the whole window, laid out on first use */
static void
ensure_days(struct rb_report *r)
{
	if (r->days != NULL)
		return;
	int n = rb_day_diff(r->from, r->to) + 1;
	if (n > MAX_DAYS)
		n = MAX_DAYS;
	if (n < 1)
		n = 1;
	r->days = calloc((size_t)n, sizeof *r->days);
	if (r->days == NULL)
		abort();
	r->ndays = (size_t)n;
	for (int d = 0; d < n; d++) {
		rb_day_add(r->from, d, r->days[d].day);
		r->days[d].sent = -1;
	}
}

void
rb_report_add_day(struct rb_report *r, const char *day, long long complaints,
		  long long bounces, long long unsubscribes)
{
	ensure_days(r);
	int i = rb_day_diff(r->from, day);
	if (i == INT_MIN || i < 0 || (size_t)i >= r->ndays)
		return;
	r->days[i].complaints += complaints;
	r->days[i].bounces += bounces;
	r->days[i].unsubscribes += unsubscribes;
}

/* ------------------------------------------------------------- finish */

/* A sent row as the key values of the group it counts for; false when a
 * key has no sent counts. */
static bool
sent_keys(const struct rb_report *r, const struct sent_row *sr,
	  const char **k, char weeks[][9])
{
	for (int i = 0; i < r->nkeys; i++) {
		switch (r->keys[i]->sent) {
		case RB_SENT_DAY:
			k[i] = sr->day;
			break;
		case RB_SENT_WEEK:
			if (rb_day_week(sr->day, weeks[i]) < 0)
				return false;
			k[i] = weeks[i];
			break;
		case RB_SENT_SENDER_DOMAIN:
			k[i] = sr->sender_domain;
			break;
		case RB_SENT_CAMPAIGN:
			k[i] = sr->campaign;
			break;
		case RB_SENT_LIST:
			k[i] = sr->list;
			break;
		case RB_SENT_TENANT:
			k[i] = sr->tenant;
			break;
		case RB_SENT_STREAM:
			k[i] = sr->stream;
			break;
		case RB_SENT_NONE:
			return false;
		}
	}
	return true;
}

static int
by_row_day(const void *x, const void *y)
{
	const struct row_day *a = x, *b = y;
	if (a->row != b->row)
		return a->row < b->row ? -1 : 1;
	return (a->day > b->day) - (a->day < b->day);
}

/*
 * Like by like for every group: each sent row is added to the group it
 * counts for (found through the groups' hash), and marks that group's
 * day as one with sent counts; a group's rated events are its events of
 * those days.  Linear in groups, events per day and sent rows.
 */
static void
join_sent(struct rb_report *r)
{
	struct rb_report_priv *p = r->priv;
	if (p->daycol < 0)
		return;	/* the keys have no sent counts: no rates */
	struct row_day *sd = NULL;
	size_t nsd = 0;
	if (p->nsent > 0) {
		sd = malloc(p->nsent * sizeof *sd);
		if (sd == NULL)
			abort();
	}
	for (size_t s = 0; s < p->nsent; s++) {
		const char *k[RB_REPORT_MAXKEYS];
		char weeks[RB_REPORT_MAXKEYS][9];
		if (!sent_keys(r, &p->sent[s], k, weeks))
			continue;
		long i = find_row(r, k);
		int d = rb_day_diff(r->from, p->sent[s].day);
		if (i < 0 || d == INT_MIN)
			continue;	/* sent, and no event: no group */
		struct rb_report_row *row = &r->rows[i];
		row->sent = (row->sent < 0 ? 0 : row->sent) + p->sent[s].count;
		sd[nsd++] = (struct row_day){(size_t)i, d, 0};
	}
	if (nsd > 1)
		qsort(sd, nsd, sizeof *sd, by_row_day);
	if (p->nev > 1)
		qsort(p->ev, p->nev, sizeof *p->ev, by_row_day);
	for (size_t i = 0; i < r->nrows; i++)
		r->rows[i].rated = 0;
	/* both sorted by (row, day): one walk */
	size_t j = 0;
	for (size_t e = 0; e < p->nev;) {
		const struct row_day *ev = &p->ev[e];
		long long n = 0;
		size_t f = e;
		for (; f < p->nev && p->ev[f].row == ev->row &&
		       p->ev[f].day == ev->day;
		     f++)
			n += p->ev[f].n;
		while (j < nsd && by_row_day(&sd[j], ev) < 0)
			j++;
		struct rb_report_row *row = &r->rows[ev->row];
		if (j < nsd && by_row_day(&sd[j], ev) == 0)
			row->rated += n;
		else if (n > 0)
			row->days_unsent++;
		e = f;
	}
	free(sd);
}

static int
cmp_keys(const struct rb_report_row *a, const struct rb_report_row *b,
	 int nkeys)
{
	for (int i = 0; i < nkeys; i++) {
		int c = strcmp(a->keys[i], b->keys[i]);
		if (c)
			return c;
	}
	return 0;
}

static int
by_count(const void *x, const void *y, void *nkeys)
{
	const struct rb_report_row *a = x, *b = y;
	if (a->n != b->n)
		return a->n > b->n ? -1 : 1;
	return cmp_keys(a, b, *(int *)nkeys);
}

static int
by_key(const void *x, const void *y, void *nkeys)
{
	return cmp_keys(x, y, *(int *)nkeys);
}

static double
rate_of(long long n, long long sent)
{
	return sent > 0 ? (double)n / (double)sent : -1;
}

void
rb_report_finish(struct rb_report *r, long top)
{
	struct rb_report_priv *p = r->priv;
	r->top = top;
	/* sent counts, rated events and rates while the hash still finds
	 * the groups */
	join_sent(r);
	for (size_t i = 0; i < r->nrows; i++)
		r->rows[i].rate = rate_of(r->rows[i].rated, r->rows[i].sent);
	if (r->nrows > 1)
		qsort_r(r->rows, r->nrows, sizeof *r->rows, by_count,
			&r->nkeys);
	if (top > 0 && r->nrows > (size_t)top) {
		for (size_t i = (size_t)top; i < r->nrows; i++)
			r->omitted_n += r->rows[i].n;
		r->omitted = r->nrows - (size_t)top;
		r->nrows = (size_t)top;
	}
	/* the hash no longer matches the order: no more adds */
	free(p->slots);
	p->slots = NULL;
	if (r->nkeys > 0 && r->keys[0]->time && r->nrows > 1)
		qsort_r(r->rows, r->nrows, sizeof *r->rows, by_key,
			&r->nkeys);
	if (p->any_sent) {
		r->total.sent = 0;
		for (size_t s = 0; s < p->nsent; s++)
			r->total.sent += p->sent[s].count;
	}
	/* the daily series always covers the whole window */
	ensure_days(r);
	for (size_t s = 0; s < p->nsent; s++) {
		int i = rb_day_diff(r->from, p->sent[s].day);
		if (i < 0 || (size_t)i >= r->ndays)
			continue;
		if (r->days[i].sent < 0)
			r->days[i].sent = 0;
		r->days[i].sent += p->sent[s].count;
	}
	/* like by like: the events of the days that have sent counts over
	 * those counts; the other days' events are in the total, not in
	 * its rate */
	r->rated_n = 0;
	r->days_unsent = 0;
	for (size_t i = 0; i < r->ndays; i++) {
		if (r->days[i].sent < 0) {
			r->days_unsent++;
			continue;
		}
		r->rated_n += rb_report_day_n(&r->days[i], r->kind);
	}
	r->total.rate = rate_of(r->rated_n, r->total.sent);
	r->total.rated = r->rated_n;
	r->total.days_unsent = (long long)r->days_unsent;
	if (r->breakdown != NULL && r->breakdown->priv->slots != NULL)
		rb_report_finish(r->breakdown, 0);
}

const char *
rb_report_mark(const struct rb_report *r, double rate)
{
	if (rate < 0)
		return NULL;
	/* the providers' rule is "stay below": at the limit is over it */
	if (rate >= r->limit)
		return "over";
	if (rate >= r->warn)
		return "warn";
	return "ok";
}

bool
rb_report_rows_unsent(const struct rb_report *r)
{
	for (size_t i = 0; i < r->nrows; i++)
		if (r->rows[i].rated >= 0 && r->rows[i].days_unsent > 0)
			return true;
	return false;
}

double
rb_report_max_rate(const struct rb_report *r)
{
	double m = r->total.rate;
	for (size_t i = 0; i < r->nrows; i++)
		if (r->rows[i].rate > m)
			m = r->rows[i].rate;
	return m;
}

int
rb_report_render(const struct rb_report *r, enum rb_report_format f,
		 FILE *out)
{
	int rc;
	switch (f) {
	case RB_FMT_TEXT:
		rc = rb_render_text(r, out);
		break;
	case RB_FMT_CSV:
		rc = rb_render_csv(r, out);
		break;
	case RB_FMT_JSON:
		rc = rb_render_json(r, out);
		break;
	case RB_FMT_HTML:
		rc = rb_render_html(r, out);
		break;
	default:
		return -1;
	}
	if (fflush(out) != 0 || ferror(out))
		return -1;
	return rc;
}

/* "30d", "4w", "30" -> days; -1 when invalid */
static int
since_days(const char *s)
{
	char *end;
	long n = strtol(s, &end, 10);
	if (end == s || n <= 0 || n > 3650)
		return -1;
	if (*end == 'w' && end[1] == '\0')
		return (int)n * 7;
	if ((*end == 'd' && end[1] == '\0') || *end == '\0')
		return (int)n;
	return -1;
}

int
rb_report_window(const char *since, const char *from, const char *to,
		 time_t now, char d_from[11], char d_to[11], const char **err)
{
	if (since && (from || to)) {
		*err = "--since or --from/--to, not both";
		return -1;
	}
	if (from || to) {
		char tmp[11];
		if (!from || !to || rb_day_add(from, 0, tmp) < 0 ||
		    rb_day_add(to, 0, tmp) < 0) {
			*err = "--from and --to want two days YYYY-MM-DD";
			return -1;
		}
		snprintf(d_from, 11, "%s", from);
		snprintf(d_to, 11, "%s", to);
		return 0;
	}
	int n = since_days(since ? since : "30d");
	if (n < 0) {
		*err = "--since wants N days (30d) or weeks (4w)";
		return -1;
	}
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(d_to, 11, "%Y-%m-%d", &tm);
	rb_day_add(d_to, -(n - 1), d_from);
	return 0;
}
