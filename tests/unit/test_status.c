/* status: RFC 3463 codes (valid, find in text, table lookup), SMTP codes. */
#include "parsers/status.h"
#include "t.h"

static const struct {
	const char *s;
	bool valid;
} valid[] = {
    {"5.1.1", true},  {"4.7.26", true}, {"2.0.0", true},	{"5.7.999", true},
    {"5.123.4", true}, {"3.1.1", false}, {"5.1", false},	{"5.1.1.1", false},
    {"5.1000.1", false}, {"5.1.1000", false}, {"", false},	{"5.1.1 ", false},
    {"x.1.1", false}, {"5..1", false},	{"5.1.", false},	{"55.1.1", false},
};

static const struct {
	const char *text;
	const char *want;
} finds[] = {
    {"550 5.1.1 <a@example.com>... User unknown", "5.1.1"},
    {"550-5.1.1 The email account that you tried to reach", "5.1.1"},
    {"#550 5.7.26 unauthenticated", "5.7.26"},
    {"mailbox unavailable (5.2.2 over quota)", "5.2.2"},
    {"Status: 4.4.7", "4.4.7"},
    {"host 192.0.2.1 said 550 no", NULL},	/* not an IP address */
    {"see 5.1.1.1 and 10.5.1.1", NULL},
    {"version 15.5.1 here", NULL},
    {"550 user unknown", NULL},
    {"code 6.1.1", NULL},
    {"", NULL},
    {"5.1.", NULL},
    {"x5.1.1", NULL},
    {"reply: 5.7.1", "5.7.1"},	/* after a colon and a space */
    {"Bad address, CODE :5.1.1 <a@example.net>", "5.1.1"}, /* label colon */
    {"status:4.2.2 later", "4.2.2"},
    {"at 10:5.1.1 x", NULL},	/* a digit before the colon: not a label */
    {"fe80::5.1.1 x", NULL},
};

static const struct {
	const char *text;
	const char *want;
} codes[] = {
    {"550 5.1.1 User unknown", "550"},
    {"550-5.1.1 first line", "550"},
    {"host said: 452 4.2.2 over quota", "452"},
    {"(421) try later", "421"},
    {"port 25 refused", NULL},
    {"reply code:550 go away", "550"},	/* a label's colon */
    {"at 12:550 later", NULL},		/* a time */
    {"id 12550 x", NULL},
    {"5.1.1 only", NULL},
    {"650 no such class", NULL},
    {"599 out of range", NULL},	/* second digit above 5 */
    {"560 x", NULL},
    {"", NULL},
};

static const struct {
	const char *code;
	const char *reason;	/* NULL: no implied reason / unknown */
	bool specific;
	bool known;
} lookups[] = {
    {"5.1.1", "userunknown", true, true},
    {"4.1.1", "userunknown", true, true},
    {"5.1.2", "hostunknown", true, true},
    {"5.2.2", "mailboxfull", true, true},
    {"4.4.7", "expired", true, true},
    {"5.7.1", "rejected", false, true},
    {"5.0.0", NULL, false, true},
    /* RFC 7505 null MX; not decisive: Microsoft uses 5.1.10 for unknown
     * recipients */
    {"5.1.10", "notaccept", false, true},
    {"5.2.0", "filtered", false, true},
    {"5.1.0", "userunknown", false, true},
    {"5.1.4", "filtered", false, true},
    {"5.9.9", NULL, false, false},
    {"abc", NULL, false, false},
    {"5.1.1.1", NULL, false, false},
};

int
main(void)
{
	struct rb_arena a;
	rb_arena_init(&a);
	for (size_t i = 0; i < sizeof(valid) / sizeof(valid[0]); i++)
		T_OK(rb_status_valid(valid[i].s) == valid[i].valid,
		     "valid [%s] = %d", valid[i].s, valid[i].valid);
	for (size_t i = 0; i < sizeof(finds) / sizeof(finds[0]); i++)
		T_STR(rb_status_find(&a, finds[i].text, strlen(finds[i].text)),
		      finds[i].want, "find status in [%s]", finds[i].text);
	/* bounded by n: a code after the end is not seen */
	T_STR(rb_status_find(&a, "abc 5.1.1", 6), NULL, "find honours length");
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		T_STR(rb_smtp_code_find(&a, codes[i].text, strlen(codes[i].text)),
		      codes[i].want, "find smtp code in [%s]", codes[i].text);
	for (size_t i = 0; i < sizeof(lookups) / sizeof(lookups[0]); i++) {
		const struct rb_status_info *si =
		    rb_status_lookup(lookups[i].code);
		T_OK((si != NULL) == lookups[i].known, "lookup [%s] known",
		     lookups[i].code);
		if (si == NULL)
			continue;
		T_STR(si->reason, lookups[i].reason, "lookup [%s] reason",
		      lookups[i].code);
		T_OK(si->specific == lookups[i].specific,
		     "lookup [%s] specific", lookups[i].code);
	}
	T_OK(rb_status_lookup(NULL) == NULL, "lookup NULL");
	/* the table is well-formed: every entry has a meaning, codes unique */
	size_t n;
	const struct rb_status_info *t = rb_status_table(&n);
	int ok = n > 50;
	for (size_t i = 0; i < n; i++) {
		if (t[i].meaning == NULL || t[i].code == NULL)
			ok = 0;
		for (size_t j = i + 1; j < n; j++)
			if (strcmp(t[i].code, t[j].code) == 0)
				ok = 0;
	}
	T_OK(ok, "status table: %zu unique entries with meanings", n);
	rb_arena_free(&a);
	T_DONE();
}
