/* event JSON: the direct serialiser writes exactly what jansson's compact
 * dump of the same event gives (key order, escapes, null/true/false,
 * index), and replaces invalid UTF-8 instead of failing. */
#include <stdlib.h>

#include <jansson.h>

#include "core/event.h"
#include "t.h"

static char *
via_jansson(const struct rb_event *e)
{
	json_t *o = rb_event_to_jansson(e);
	char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	return s;
}

static void
same(const struct rb_event *e, const char *what)
{
	char *a = via_jansson(e), *b = rb_event_to_json(e);
	T_STR(b, a, "%s: same bytes as jansson", what);
	free(a);
	free(b);
}

int
main(void)
{
	struct rb_event e;
	memset(&e, 0, sizeof(e));
	e.index = -1;
	e.hard = -1;
	same(&e, "empty event");

	/* every control character, quote, backslash, slash, DEL, UTF-8 */
	char ctl[160];
	size_t k = 0;
	for (int c = 1; c < 0x80; c++)
		ctl[k++] = (char)c;
	memcpy(ctl + k, "\xc3\xa9\xe2\x80\xa8\xf0\x9f\x98\x80", 9);
	k += 9;
	ctl[k] = '\0';
	e.file = "/tmp/x \"quoted\".eml";
	e.index = 42;
	e.kind = RB_KIND_BOUNCE;
	e.recipient = "a@example.com";
	e.sender = "s@example.org";
	e.reason = "userunknown";
	e.hard = 1;
	e.status = "5.1.1";
	e.smtp_code = "550";
	e.action = "failed";
	e.diagnostic = ctl;
	e.reporting_mta = "mx.example.net";
	e.remote_mta = "mx.example.com";
	e.smtp_command = "RCPT";
	e.arrival_date = "2024-06-04T09:00:00Z";
	e.feedback_type = "abuse";
	e.user_agent = "UA/1.0";
	e.source_ip = "192.0.2.1";
	e.reported_domain = "example.org";
	e.auth_failure = "dkim";
	e.original.message_id = "m@x";
	e.original.from = "f@x";
	e.original.to = "t@x";
	e.original.subject = "\xe4\xbd\xa0\xe5\xa5\xbd \\ \t";
	e.original.date = "2024-06-04T08:00:00Z";
	e.original.list_id = "list.example.org";
	e.original.feedback_id = "a:b:c";
	e.original.campaign = "c1";
	e.parser = "rfc3464";
	e.report_message_id = "r@x";
	e.error = "none";
	same(&e, "every field, every escape");
	e.hard = 0;
	e.index = 0;
	e.kind = RB_KIND_COMPLAINT;
	same(&e, "hard false, index 0");
	e.index = -1;
	e.hard = -1;
	e.diagnostic = NULL;
	e.original.subject = NULL;
	same(&e, "nulls, no index");
	e.sub_reason = "antispam:rate";
	same(&e, "a sub_reason");
	{
		char *js = rb_event_to_json(&e);
		T_OK(strstr(js, "\"hard\":null,\"sub_reason\":\"antispam:rate\","
				"\"status\"") != NULL,
		     "sub_reason after hard, only when set");
		free(js);
	}
	e.sub_reason = NULL;

	e.file = "/tmp/bad\xff\xfename.eml";
	char *j = rb_event_to_json(&e);
	T_OK(strstr(j, "\"file\":\"/tmp/bad\xef\xbf\xbd\xef\xbf\xbdname.eml\"") !=
		 NULL,
	     "invalid UTF-8 in a file name becomes U+FFFD");
	free(j);
	T_DONE();
}
