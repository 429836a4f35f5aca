/*
 * policy: which events suppress an address, for how long (docs/policy.md).
 *
 * The policy is data: a table from bounce reason to class and from ARF
 * feedback type to class, plus the soft-bounce numbers, all overridable
 * by `key = value` layers (a policy file, the main configuration's
 * [policy] section, $REBOUND_POLICY, --policy FILE; see below).  Classification (rb_policy_classify) and the decision
 * for one address (rb_policy_decide) are pure functions, shared by ingest
 * and `policy replay`, so both always agree.
 *
 * Time: rb_now() is the policy clock: $REBOUND_NOW (ISO 8601 UTC
 * "2025-01-31T12:00:00Z" or "@EPOCH") when set, else the system clock;
 * tests use it to move time.  An event's time is its arrival date when
 * that parses and is not after now, else now (rb_event_time).
 */
#ifndef RB_POLICY_H
#define RB_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include "event.h"
#include "scope.h"

enum rb_pclass {
	RB_PC_NONE = 0,		/* stored and reported, never suppresses */
	RB_PC_SOFT,		/* counts towards the soft threshold */
	RB_PC_HARD,		/* suppresses at once */
	RB_PC_COMPLAINT,	/* suppresses at once, permanently */
	RB_PC_MANUAL,		/* suppression classes only: by a person */
	RB_PC_UNSUBSCRIBE,	/* the person asked (a mailto: unsubscribe):
				 * suppresses at once, permanently */
};

/* Where a setting came from: a layer of rb_policy.layers (0: the
 * built-in defaults) and a line in that layer's file (0: none). */
struct rb_policy_origin {
	unsigned char layer;
	int line;
};

struct rb_policy_entry {
	char name[64];		/* reason or feedback type */
	enum rb_pclass cls;
	struct rb_policy_origin from;
};

#define RB_POLICY_MAXLAYERS 8
#define RB_POLICY_DEFAULT_PATH "/etc/rebound/policy.conf"
#define RB_POLICY_NSCALARS 23	/* keys of the scalar table in policy.c */

struct rb_policy {
	struct rb_policy_entry reasons[96];	/* bounce reason -> class */
	size_t nreasons;
	struct rb_policy_entry feedback[32];	/* feedback type -> class */
	size_t nfeedback;
	/* bounce with a reason not in the table: by its hard flag */
	enum rb_pclass unknown_hard, unknown_soft;
	/* complaint without / with an unlisted feedback type */
	enum rb_pclass feedback_missing, feedback_other;
	unsigned soft_threshold;	/* N distinct days ... */
	long soft_window;	/* ... within W seconds ... */
	long soft_expiry;	/* ... suppress for T seconds */
	long hard_expiry;	/* 0: never */
	long complaint_expiry;	/* 0: never */
	long unsubscribe_expiry;	/* 0: never */
	bool keep_raw;		/* store raw mail bytes */
	/* where a suppression of each class lands (docs/tenants.md) */
	enum rb_scope_level scope_hard, scope_soft, scope_complaint,
	    scope_unsubscribe;
	/* which tenant a mail belongs to: the methods in order, a
	 * comma-separated list of verp, header, feedback-id, from-domain,
	 * mailbox (core/tenant.h) */
	char tenant_from[128];
	char tenant_header[64];		/* header of the returned original */
	char stream_header[64];
	unsigned feedback_id_tenant;	/* 1-based field of Feedback-ID */
	unsigned feedback_id_stream;	/* 0: none */
	char tenant_verp[256];		/* pattern with {tenant}, {stream}, * */
	char tenant_domains[256];	/* file: "domain tenant[/stream]" lines */
	long raw_retention;	/* seconds; 0: forever */
	/* where each setting came from, for `policy show` and messages */
	struct rb_policy_origin scalar_from[RB_POLICY_NSCALARS];
	char layers[RB_POLICY_MAXLAYERS][256];	/* [0] "built-in defaults" */
	unsigned nlayers;
	char source[512];	/* the layers, joined with " + " */
};

const char *rb_pclass_name(enum rb_pclass c);
int rb_pclass_parse(const char *s, enum rb_pclass *c);

/* The built-in defaults (docs/policy.md justifies them). */
void rb_policy_default(struct rb_policy *p);
/*
 * Layers (docs/policy.md "Where it comes from"), lowest first: built-in
 * defaults; the policy file (`policy_file =` in the main configuration,
 * else /etc/rebound/policy.conf when it exists); the main
 * configuration's [policy] section; $REBOUND_POLICY; --policy FILE.  A
 * layer overrides the keys it sets and keeps the others.  The main
 * configuration's part is applied by rb_config (core/config.h); these are
 * the pieces.
 *
 * rb_policy_layer starts a layer named name (a file, or "FILE [policy]")
 * and returns 0, or -1 when there are too many.  rb_policy_set sets one
 * key in the current layer; errors are "FILE:LINE: what: key" in err.
 */
int rb_policy_layer(struct rb_policy *p, const char *name);
int rb_policy_set(struct rb_policy *p, const char *key, const char *value,
		  const char *file, int line, char *err, size_t errlen);
/* Checks over the whole policy (soft_expiry must be a duration), after
 * the last layer; the error names where the offending value came from. */
int rb_policy_check(const struct rb_policy *p, char *err, size_t errlen);
/* A `key = value` file as a new layer; explicit: a missing file is an
 * error (else a missing file is skipped). */
int rb_policy_file(struct rb_policy *p, const char *path, bool explicit,
		   char *err, size_t errlen);
/*
 * Without a main configuration: defaults, /etc/rebound/policy.conf when
 * it exists, $REBOUND_POLICY, then path (--policy) when not NULL.
 * Returns 0, or -1 with "FILE:LINE: what" in err.
 */
int rb_policy_load(struct rb_policy *p, const char *path, char *err,
		   size_t errlen);
/* Parse `key = value` text on top of p as a new layer (tests, load);
 * includes rb_policy_check. */
int rb_policy_parse(struct rb_policy *p, const char *text, const char *name,
		    char *err, size_t errlen);
/* Every key with its value, and "# FILE:LINE" after those not built in;
 * changed_only: only those. */
void rb_policy_print(const struct rb_policy *p, FILE *f, bool changed_only);

/* Class of one event; *rule gets "hard:userunknown" etc. (rulecap). */
enum rb_pclass rb_policy_classify(const struct rb_policy *p,
				  const struct rb_event *e, char *rule,
				  size_t rulecap);
/* The same from stored columns (kind name, reason, hard -1/0/1, type). */
enum rb_pclass rb_policy_classify_cols(const struct rb_policy *p,
				       const char *kind, const char *reason,
				       int hard, const char *feedback_type,
				       char *rule, size_t rulecap);

/* The scope level of suppressions of class c (manual: none, they name
 * their scope). */
enum rb_scope_level rb_policy_scope(const struct rb_policy *p,
				    enum rb_pclass c);

time_t rb_now(void);
/* Parse "YYYY-MM-DDTHH:MM:SS[.fff](Z|+00:00)" or "YYYY-MM-DD HH:MM:SS+00"
 * or "@EPOCH"; 0 and *t, or -1. */
int rb_time_parse(const char *s, time_t *t);
/* "YYYY-MM-DDTHH:MM:SSZ" into out (>= 21 bytes). */
void rb_time_iso(time_t t, char *out, size_t n);
time_t rb_event_time(const struct rb_event *e, time_t now);
/* "90d", "12h", "30m", "45s", "3600", "never"/"0" -> seconds; -1 bad. */
long rb_duration_parse(const char *s);

/* ---- the decision for one address ---- */

struct rb_pstate {
	bool exists;		/* a row exists */
	enum rb_pclass cls;
	time_t created, updated;
	time_t expires;		/* 0: never */
	time_t removed;		/* 0: not removed */
	time_t since;		/* soft days count only after this */
};

enum rb_decision {
	RB_DEC_NONE = 0,
	RB_DEC_ADD,		/* new, or again after expiry/removal */
	RB_DEC_CHANGE,		/* class upgraded */
	RB_DEC_EXTEND,		/* expiry moved later */
};

bool rb_pstate_active(const struct rb_pstate *s, time_t t);

/*
 * Apply one classified event at time t to the state of its address.
 * soft_days: distinct UTC days (epoch/86400) of this address's soft
 * events up to and including t (any order; days outside the window and
 * before st->since are ignored).  Updates *st and returns what happened;
 * *expired is set when an expired suppression is being replaced (the
 * caller records an 'expired' history row at the old expiry).
 */
enum rb_decision rb_policy_decide(const struct rb_policy *p,
				  struct rb_pstate *st, enum rb_pclass cls,
				  time_t t, const long *soft_days,
				  size_t ndays, bool *expired);

#endif
