/*
 * report: the row model of complaint, bounce and unsubscribe reports, and the
 * renderers that turn it into text, CSV, JSON and HTML.
 *
 * reports/ never speaks SQL.  The caller (cli/cmd_report.c) asks the
 * store for events grouped by the raw event fields that the chosen keys
 * need (rb_report_columns), feeds those groups in with rb_report_add,
 * adds the sent counts and the daily series, and calls rb_report_finish,
 * which derives the key values (week from day, provider from its
 * signals, hard/soft from the flag), merges groups that became equal,
 * joins the sent counts, computes rates and marks, sorts and cuts to the
 * top N.  Every renderer prints the same numbers from the finished rows.
 *
 * Rates divide like by like, for the total and for every group: a
 * group's rate is its events on the days for which the group has sent
 * counts, divided by those sent counts; its events of other days are
 * counted (n) but left out of the rate (rated), and the days they fell
 * on are counted (days_unsent).  To know each group's events per day,
 * rb_report_columns asks for the day column too whenever the keys can
 * have sent counts.
 *
 * Memory: a report owns everything it holds (one arena plus its arrays);
 * strings passed in are copied.  rb_report_free releases it all.
 * Errors: rb_report_new returns NULL with a message in err (lib/err.h)
 * for a bad spec (unknown key, key not valid for the kind); renderers
 * return -1 when the output stream fails.
 */
#ifndef RB_REPORT_H
#define RB_REPORT_H

#include <time.h>

#include <stdbool.h>
#include <stdio.h>

struct rb_report;

enum rb_report_kind {
	RB_REPORT_COMPLAINTS = 0,
	RB_REPORT_BOUNCES,
	RB_REPORT_UNSUBSCRIBES,
	RB_REPORT_NKINDS
};

enum rb_report_format {
	RB_FMT_TEXT = 0,
	RB_FMT_CSV,
	RB_FMT_JSON,
	RB_FMT_HTML
};

/* Default marks (docs/reports.md gives their sources): a rate at or above
 * WARN is marked warn, at or above LIMIT over. */
#define RB_COMPLAINT_WARN 0.001
#define RB_COMPLAINT_LIMIT 0.003
#define RB_BOUNCE_WARN 0.02
#define RB_BOUNCE_LIMIT 0.05
#define RB_UNSUB_WARN 0.005
#define RB_UNSUB_LIMIT 0.01

#define RB_REPORT_MAXKEYS 4
#define RB_REPORT_MAXCOLS 12

/* sent counts can be matched on these dimensions only */
enum rb_sent_dim {
	RB_SENT_NONE = 0,
	RB_SENT_DAY,
	RB_SENT_WEEK,
	RB_SENT_SENDER_DOMAIN,
	RB_SENT_CAMPAIGN,
	RB_SENT_LIST,
	RB_SENT_TENANT,
	RB_SENT_STREAM
};

/* One grouping key (a row of the table in report.c). */
struct rb_report_key {
	const char *name;	/* --by value, CSV/JSON column name */
	const char *label;	/* text/HTML column header */
	unsigned kinds;		/* 1 << enum rb_report_kind */
	/* raw event fields this key is derived from, NULL-terminated; the
	 * store knows them by these names (store/report_q.h) */
	const char *const *cols;
	enum rb_sent_dim sent;
	/* raw column values -> key value; NULL means the first column as is */
	const char *(*derive)(struct rb_report *r, const char *const *vals);
	bool time;		/* sorts chronologically */
};

/* What a report kind is: which events and what its counts are called. */
struct rb_report_kinddef {
	const char *name;	/* "complaints" */
	const char *title;	/* "Complaint report" */
	const char *count;	/* column name of the count: "complaints" */
	const char *sub;	/* second count column: "inferred" / "hard" /
				 * "one-click" */
	const char *sub2;	/* third (count - sub), or NULL: "soft" */
	const char *rate;	/* "complaint rate" */
	const char *breakdown;	/* key for the HTML bar chart, and the
				 * default --by */
	/* what the two marks are (HTML legend): "advised limit" */
	const char *warn_label, *limit_label;
	/* the kind shown beside it (HTML daily chart, total card) */
	enum rb_report_kind other;
};

extern const struct rb_report_kinddef rb_report_kinds[RB_REPORT_NKINDS];

/* A finished row.  keys[i] is never NULL ("(none)" for missing). */
struct rb_report_row {
	const char *keys[RB_REPORT_MAXKEYS];
	long long n;		/* events */
	long long sub;		/* complaints: inferred (not ARF); bounces: hard;
				 * unsubscribes: by one-click */
	long long sent;		/* -1: no sent count matches this group */
	/* events on the days for which the group has sent counts, the
	 * rate's numerator; -1 when the keys have no sent counts at all
	 * (provider, reason, ...) */
	long long rated;
	/* days with events of the group but no sent counts for it: their
	 * events are in n, not in rated (total: days of the window without
	 * sent counts) */
	long long days_unsent;
	double rate;		/* rated / sent, or -1 when unknown */
};

/* One stored sent count (rb_report_add_sent); NULL or "" for a part not
 * given when it was imported. */
struct rb_report_sent {
	const char *day, *sender_domain, *campaign, *list, *tenant, *stream;
	long long count;
};

/* One day of the daily series (for charts and JSON). */
struct rb_report_day {
	char day[11];
	long long complaints, bounces, unsubscribes;
	long long sent;		/* -1: unknown */
};
/* The day's events of the report's kind k. */
long long rb_report_day_n(const struct rb_report_day *d,
			  enum rb_report_kind k);

struct rb_report {
	enum rb_report_kind kind;
	char from[11], to[11];	/* inclusive dates, YYYY-MM-DD */
	int nkeys;
	const struct rb_report_key *keys[RB_REPORT_MAXKEYS];
	long top;		/* 0: all */
	/* the events and sent counts of one tenant (NULL: all) and one
	 * stream of it (NULL: all), as the caller chose them */
	const char *tenant, *stream;
	double warn, limit;	/* marks: complaints 0.1% and 0.3%,
				 * bounces 2% and 5%, unsubscribes 0.5% and
				 * 1% (docs/reports.md) */

	struct rb_report_row *rows;
	size_t nrows, caprows;
	size_t omitted;		/* groups cut by --top */
	long long omitted_n;	/* their events */

	/* keys unused; total.rate divides like by like: the events of the
	 * days that have sent counts (rated_n) by the sent counts */
	struct rb_report_row total;
	long long rated_n;	/* events on the days with sent counts */
	size_t days_unsent;	/* days of the window without sent counts */
	struct rb_report_day *days;
	size_t ndays;
	struct rb_report *breakdown;	/* for the HTML bar chart, or NULL */

	struct rb_report_priv *priv;
};

/* The key table lookup; NULL when unknown. */
const struct rb_report_key *rb_report_key_find(const char *name);
/* Comma-separated key names valid for kind into buf (for --help). */
const char *rb_report_key_names(enum rb_report_kind kind, char *buf,
				size_t size);
/* "complaints" / "bounces" / "unsubscribes" -> kind; -1 when unknown. */
int rb_report_kind_parse(const char *name);

/*
 * A new report for [from, to] (inclusive YYYY-MM-DD) grouped by the
 * comma-separated key names in by (NULL or "" groups nothing: one row).
 * NULL with the reason in err (lib/err.h) on a bad key or window.
 */
struct rb_report *rb_report_new(enum rb_report_kind kind, const char *from,
				const char *to, const char *by, char *err,
				size_t errlen);
void rb_report_free(struct rb_report *r);
/* Say that r holds only tenant's (and stream's) events and sent counts
 * (either may be NULL); the strings are copied. */
void rb_report_set_scope(struct rb_report *r, const char *tenant,
			 const char *stream);

/* The raw event columns to group by, in the order rb_report_add takes
 * them; returns how many (at most RB_REPORT_MAXCOLS). */
int rb_report_columns(const struct rb_report *r, const char **cols);

/* One group of events from the store: vals in rb_report_columns order
 * (NULL for SQL NULL); n events of which sub are inferred (complaints),
 * hard (bounces) or by one-click (unsubscribes). */
void rb_report_add(struct rb_report *r, const char *const *vals, long long n,
		   long long sub);
/* One stored sent count inside the window. */
void rb_report_add_sent(struct rb_report *r, const struct rb_report_sent *s);
/* One day of the series (days without events need not be added). */
void rb_report_add_day(struct rb_report *r, const char *day,
		       long long complaints, long long bounces,
		       long long unsubscribes);
/* Merge, join sent counts, rates, sort, top N (0: all). */
void rb_report_finish(struct rb_report *r, long top);

/* "ok", "warn", "over" against the marks; NULL when rate < 0. */
const char *rb_report_mark(const struct rb_report *r, double rate);
/* Whether a group left events out of its rate (days without sent
 * counts for it): the renderers then show the rated events and days. */
bool rb_report_rows_unsent(const struct rb_report *r);
/* Highest known rate over the rows and the total; -1 when none. */
double rb_report_max_rate(const struct rb_report *r);

/* Render in one format.  0, or -1 on a write error. */
int rb_report_render(const struct rb_report *r, enum rb_report_format f,
		     FILE *out);
int rb_report_format_parse(const char *name);	/* -1 when unknown */

/* Renderers (render_*.c). */
int rb_render_text(const struct rb_report *r, FILE *out);
int rb_render_csv(const struct rb_report *r, FILE *out);
int rb_render_json(const struct rb_report *r, FILE *out);
int rb_render_html(const struct rb_report *r, FILE *out);

/* Days between two YYYY-MM-DD dates (b - a), or INT_MIN when invalid. */
int rb_day_diff(const char *a, const char *b);
/* day + n days into out[11]; -1 when day is invalid. */
int rb_day_add(const char *day, int n, char out[11]);
/*
 * The window of a report from the command line: --from/--to (UTC days
 * YYYY-MM-DD, both included, both needed) or --since N (days; "30d",
 * "4w") ending on the UTC day of `now`; neither means --since 30d.
 * Returns 0, or -1 with *err set to a static message for the user.
 */
int rb_report_window(const char *since, const char *from, const char *to,
		     time_t now, char d_from[11], char d_to[11],
		     const char **err);
/* ISO week "2026-W48" of a day into out[9]; -1 when invalid. */
int rb_day_week(const char *day, char out[9]);

#endif
