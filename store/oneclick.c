/*
 * oneclick.c: rb_store_one_click (store.h), an RFC 8058 one-click
 * unsubscribe stored as the request it is, through the path of every
 * mail-borne event (rb_store_write_batch).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/event.h"
#include "store_int.h"

int
rb_store_one_click(struct rb_store *s, const struct rb_policy *pol,
		   const char *token, bool *recorded, bool *changed)
{
	*recorded = false;
	*changed = false;
	if (rb_store_in_tx(s))
		return rb_store_fail(s, NULL, "one-click unsubscribe: a "
					      "transaction is open");
	size_t slen;
	if (token == NULL || rb_store_unsub_secret(s, &slen) == NULL)
		return rb_store_fail(s, NULL, "one-click unsubscribe: no "
					      "unsubscribe secret configured");
	/* The request's bytes: the same token is the same request, so a
	 * repeated POST is a copy of a stored message and adds nothing. */
	static const char head[] = "POST /v1/unsubscribe/";
	static const char tail[] = "\r\nContent-Type: application/"
				   "x-www-form-urlencoded\r\n\r\n"
				   "List-Unsubscribe=One-Click\r\n";
	size_t tl = strlen(token);
	size_t len = sizeof(head) - 1 + tl + sizeof(tail) - 1;
	char *data = malloc(len + 1);
	if (data == NULL)
		return rb_store_fail(s, NULL, "out of memory");
	snprintf(data, len + 1, "%s%s%s", head, token, tail);
	/* decided on storing as a mailed token is (core/unsubscribe.h):
	 * the token's address, tenant and stream */
	struct rb_event e;
	memset(&e, 0, sizeof(e));
	e.index = -1;
	e.hard = -1;
	e.kind = RB_KIND_UNSUBSCRIBE;
	e.parser = "one-click";
	e.unsubscribe_token = token;
	struct rb_store_msg m = {
	    .source = "one-click",
	    .index = -1,
	    .data = data,
	    .len = len,
	    .size = len,
	    .events = &e,
	    .nevents = 1,
	};
	struct rb_store_counts c;
	memset(&c, 0, sizeof(c));
	int rc = rb_store_begin(s);
	if (rc == 0)
		rc = rb_store_write_batch(s, pol, &m, 1, &c);
	/* a token the store refuses is stored as an unknown event: that is
	 * no unsubscribe, and nothing is claimed done */
	if (rc == 0 && c.by_kind[RB_KIND_UNKNOWN] > 0)
		rc = rb_store_fail(s, NULL, "one-click unsubscribe: the token "
					    "was refused");
	if (rc == 0)
		rc = rb_store_commit(s);
	else
		rb_store_rollback(s);
	free(data);
	if (rc != 0)
		return -1;
	*recorded = c.events_new > 0;
	*changed = c.supp_new + c.supp_changed > 0;
	return 0;
}
