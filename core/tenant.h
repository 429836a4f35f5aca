/*
 * tenant: which tenant (and stream) of a sending platform a mail belongs
 * to (docs/tenants.md "Attribution").
 *
 * The policy's tenant.from lists the methods tried in order; the first
 * that yields a well-formed tenant name (core/scope.h) wins:
 *
 *   verp         the bounce's own recipient (Delivered-To, X-Original-To,
 *                To) or the original envelope sender matches tenant.verp,
 *                a pattern such as "bounce+{tenant}.{stream}.*@mx.example"
 *                ({tenant} and {stream} match names, * anything; letters
 *                compare without case)
 *   header       tenant.header (default X-Tenant) in the returned
 *                original, with tenant.stream_header (X-Stream) for the
 *                stream: the first such field after the report's own
 *                header block
 *   feedback-id  field tenant.feedback_id_field (1-based, default 4: the
 *                SenderId of Google's CampaignId:CustomerId:MailTypeId:
 *                SenderId) of the original's Feedback-ID, and
 *                tenant.feedback_id_stream_field for the stream (0: none)
 *   from-domain  the original From's domain, or a parent domain of it, in
 *                the tenant.domains file ("domain tenant[/stream]" lines)
 *   mailbox      `tenant =` of the [mailbox] the report arrived in
 *
 * When none applies the mail has no tenant, and every suppression it
 * causes is global (the policy's levels fall back, core/scope.h); the
 * reason is kept as "none" and shown by explain.  A value that is there
 * but not a well-formed name is skipped, and says so in the reason.
 *
 * Pure functions over the mail's bytes and its event, apart from
 * rb_tenancy_load, which reads the domains file once.
 */
#ifndef RB_TENANT_H
#define RB_TENANT_H

#include <stddef.h>

#include "event.h"
#include "policy.h"

struct rb_tenant_domain {
	char *domain, *tenant, *stream;
};

struct rb_tenancy {
	const struct rb_policy *pol;
	struct rb_tenant_domain *dom;	/* sorted by domain */
	size_t ndom;
};

/* Prepare attribution under pol (kept by pointer): reads tenant.domains
 * when set.  0, or -1 with "FILE:LINE: what" in err. */
int rb_tenancy_load(struct rb_tenancy *t, const struct rb_policy *pol,
		    char *err, size_t errlen);
void rb_tenancy_free(struct rb_tenancy *t);

struct rb_attribution {
	char tenant[65];	/* "" none */
	char stream[65];	/* "" none */
	char from[192];		/* how: "header X-Tenant", "none", ... */
};

/* Attribute one event of the mail raw[0..len) that arrived in a mailbox
 * whose configured tenant is mailbox_tenant (NULL: none). */
void rb_tenant_attribute(const struct rb_tenancy *t, const char *raw,
			 size_t len, const struct rb_event *e,
			 const char *mailbox_tenant,
			 struct rb_attribution *a);

#endif
