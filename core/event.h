/*
 * event: the one record that flows through ingest, parsers, store and
 * reports.  One event per affected recipient of one mail (or one event of
 * kind "unknown" for a mail with nothing recognisable).
 *
 * Field names follow RFC 3464 / RFC 5965 where they exist; the JSON form
 * (docs/events.md) is the stable external schema.  All strings are UTF-8,
 * owned by the arena of the mail they came from, and may be NULL (printed
 * as null).  Events never own memory themselves.
 */
#ifndef RB_EVENT_H
#define RB_EVENT_H

#include <stddef.h>

#include "lib/arena.h"

enum rb_kind {
	RB_KIND_UNKNOWN = 0,
	RB_KIND_BOUNCE,		/* permanent or final failure */
	RB_KIND_DELAY,		/* transient: Action: delayed */
	RB_KIND_COMPLAINT,	/* ARF feedback report (or inferred) */
	RB_KIND_AUTOREPLY,	/* RFC 3834 / vacation */
	RB_KIND_DELIVERED,	/* delivered, relayed, expanded */
	RB_KIND_UNSUBSCRIBE,	/* a person's request to get no more mail
				 * (RFC 2369 List-Unsubscribe mailto:) */
};
#define RB_KIND_LAST RB_KIND_UNSUBSCRIBE

struct rb_original {
	const char *message_id;	/* without angle brackets */
	const char *from;	/* address only */
	const char *to;
	const char *subject;	/* RFC 2047 decoded */
	const char *date;	/* ISO 8601 UTC when parseable, else as found */
	const char *list_id;
	const char *feedback_id;
	const char *campaign;
};

struct rb_event {
	const char *file;	/* source path as found */
	long index;		/* 0-based message index in an mbox, else -1 */
	enum rb_kind kind;
	/* 1: recipient is the report's text as written, because it is not
	 * an address that parses whole (a quote, backslash, semicolon or
	 * control character inside, a bare local part, a display name) */
	int recipient_as_written;
	const char *recipient;	/* normalised address */
	/* the address the sender used when the report names it beside the
	 * final one (DSN Original-Recipient, "expanded from", "generated
	 * from"), normalised; NULL when none or the same */
	const char *original_recipient;
	const char *sender;	/* original envelope sender / From if known */
	const char *reason;	/* Sisimai reason vocabulary */
	const char *sub_reason;	/* a provider's own verdict class under the
				 * reason (a rule's `subreason`), else NULL */
	int hard;		/* 1 hard, 0 soft, -1 null (not a bounce) */
	const char *status;	/* RFC 3463 enhanced code "5.1.1" */
	const char *smtp_code;	/* "550" */
	const char *action;	/* failed, delayed, delivered, relayed... */
	const char *diagnostic;	/* remote server's text, unfolded */
	const char *reporting_mta;
	const char *remote_mta;
	const char *smtp_command;	/* RCPT, DATA, MAIL, CONN, HELO... */
	const char *arrival_date;	/* ISO 8601 UTC */
	const char *feedback_type;	/* ARF Feedback-Type */
	const char *user_agent;
	const char *source_ip;
	const char *reported_domain;	/* RFC 6591 Reported-Domain */
	const char *auth_failure;	/* RFC 6591 Auth-Failure */
	struct rb_original original;
	const char *parser;	/* module that decided: rfc3464, arf, ... */
	const char *report_message_id;	/* Message-ID of the bounce itself */
	const char *error;	/* why the mail could not be parsed (kind unknown) */
	/* kind unsubscribe: the signed token the request carries
	 * (core/unsubscribe.h), as found; checked with the secret when the
	 * event is stored, never by the parser; NULL: none */
	const char *unsubscribe_token;
};

/* A growable list of events living in one arena. */
struct rb_events {
	struct rb_event *v;
	size_t n, cap;
	struct rb_arena *arena;
};

void rb_events_init(struct rb_events *l, struct rb_arena *a);
/* Append a zeroed event (index -1, hard -1) and return it. */
struct rb_event *rb_events_add(struct rb_events *l);
void rb_events_clear(struct rb_events *l);

const char *rb_kind_name(enum rb_kind k);

/*
 * The family of a reason: what the sender has to fix.  "address" (the
 * mailbox or domain is dead: userunknown, hostunknown, hasmoved,
 * notaccept), "mailbox" (exists but cannot take mail now: suspend,
 * mailboxfull, filtered, exceedlimit), "content", "reputation" (the
 * sending IP, host, domain or sender address is refused), "rate",
 * "authentication" (SPF/DKIM/DMARC, SMTP AUTH, TLS), else "other".
 * Never NULL (NULL reason: "other").  docs/events.md lists the table.
 */
const char *rb_reason_family(const char *reason);
/* The reasons of one family (NULL-terminated), NULL for an unknown
 * family or "other". */
const char *const *rb_reason_family_reasons(const char *family);
/* Returns 0 and sets *k on a known name, -1 otherwise. */
int rb_kind_parse(const char *name, enum rb_kind *k);

/*
 * Serialise one event as a single-line JSON object (the bytes jansson's
 * compact dump of rb_event_to_jansson() gives, written directly; invalid
 * UTF-8 becomes U+FFFD).  Returns a malloc'ed string the caller frees,
 * never NULL.
 */
char *rb_event_to_json(const struct rb_event *e);
/* The same as a jansson object (json_t *), caller owns the reference. */
void *rb_event_to_jansson(const struct rb_event *e);

#endif
