/*
 * provider: which mailbox provider an event is about, from the signals an
 * event carries.  For a complaint that is the provider that sent the
 * feedback report (its User-Agent, its sender, its Reporting-MTA, the
 * domain of the report's Message-ID, then the complainer's mailbox
 * domain); for a bounce it is the provider that rejected the mail (the
 * remote MTA, then the recipient's domain).  A complaint inferred from a
 * rejection (it has a remote MTA; docs/cn.md) is treated like a bounce.
 *
 * The knowledge is one table of data (provider.c): a provider is a row
 * with the domains it receives mail for and sends reports from (matched as
 * suffixes on label boundaries, so "qq.com" also matches "mx3.qq.com")
 * and the User-Agent prefixes of its feedback loop.  New providers are
 * new rows.  A provider that is not in the table is reported by the
 * organisational part of the best domain available ("example.org"), so
 * unknown providers still group sensibly.
 *
 * Pure functions, no I/O, no allocation except into the caller's arena.
 */
#ifndef RB_PROVIDER_H
#define RB_PROVIDER_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/arena.h"

struct rb_provider {
	const char *id;		/* stable key: "yahoo" */
	const char *name;	/* shown in reports: "Yahoo" */
	/* NULL-terminated; suffixes on a label boundary, lower case */
	const char *const *domains;
	/* NULL-terminated; case-insensitive prefixes of User-Agent */
	const char *const *agents;
};

/* Every field may be NULL.  Addresses or host names as found. */
struct rb_provider_signals {
	const char *user_agent;		/* ARF User-Agent */
	const char *report_from;	/* From of the report mail */
	const char *reporting_mta;	/* ARF/DSN Reporting-MTA */
	const char *report_message_id;	/* Message-ID of the report */
	const char *remote_mta;		/* host that rejected (bounces) */
	const char *recipient;		/* address or bare domain */
};

/* The table, terminated by a row with id NULL. */
extern const struct rb_provider rb_providers[];

/*
 * The provider of a complaint (complaint != 0) or of a bounce.  Returns
 * the display name: a table row's name, or an organisational domain
 * copied into arena a, or NULL when there is no signal at all.
 */
const char *rb_provider_identify(struct rb_arena *a,
				 const struct rb_provider_signals *s,
				 bool complaint);

/* The table row for a host name or mail domain, or NULL. */
const struct rb_provider *rb_provider_by_domain(const char *domain);
/* The table row whose User-Agent prefix matches, or NULL. */
const struct rb_provider *rb_provider_by_agent(const char *user_agent);

/*
 * The organisational domain of a host name ("x34.mx.example.co.jp" ->
 * "example.co.jp"), lower case, into arena a; NULL for no domain.  A
 * small built-in list of two-label public suffixes; good enough to group
 * by, not a Public Suffix List.
 */
const char *rb_org_domain(struct rb_arena *a, const char *host);

#endif
