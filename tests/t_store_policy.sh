#!/bin/sh
# The suppression policy, case by case, with controlled time (REBOUND_NOW
# and the reports' arrival dates).
. "$(dirname "$0")/lib/setup.sh"
start_pg
ingest() { "$R" ingest --quiet "$@" >/dev/null; }
suppressed() { "$R" query "$1" >/dev/null 2>&1; [ $? -eq 3 ]; }
cls() { pg_sql "SELECT class FROM suppressions WHERE addr_key = lower('$1')"; }
day() { echo "$1 Jan 2025 10:00:00 +0000"; }
export REBOUND_NOW=2025-01-31T12:00:00Z

# hard bounces suppress at once
mk_dsn "$D/h1.eml" Hard.User@Example.COM 5.1.1 "550 5.1.1 user unknown" "Mon, $(day 06)"
mk_dsn "$D/h2.eml" nohost@nowhere.example 5.1.2 "550 5.1.2 host unknown" "Mon, $(day 06)"
ingest "$D/h1.eml" "$D/h2.eml"
check "hard bounce (userunknown) suppresses" 'suppressed hard.user@example.com'
check "query is case-insensitive on the local part" 'suppressed HARD.USER@EXAMPLE.COM'
check "hard bounce (hostunknown) suppresses" 'suppressed nohost@nowhere.example'
check "class hard" '[ "$(cls hard.user@example.com)" = hard ]'

# complaints suppress, permanently
for t in abuse fraud virus other opt-out rejected-by-recipient; do
	mk_arf "$D/c-$t.eml" "fb-$t@example.com" "$t" "Tue, $(day 07)"
done
mk_arf "$D/c-notspam.eml" ns@example.com not-spam "Tue, $(day 07)"
mk_arf "$D/c-auth.eml" af@example.com auth-failure "Tue, $(day 07)"
ingest "$D"/c-*.eml
for t in abuse fraud virus other opt-out rejected-by-recipient; do
	check "complaint $t suppresses" "suppressed fb-$t@example.com"
done
check "complaint has no expiry" '[ -z "$(pg_sql "SELECT expires_at FROM suppressions WHERE addr_key = '"'fb-abuse@example.com'"'")" ]'
check "not-spam report does not suppress" '! suppressed ns@example.com'
check "auth-failure report does not suppress" '! suppressed af@example.com'
check "auth-failure report is stored" '[ "$(pg_sql "SELECT count(*) FROM events WHERE feedback_type = '"'auth-failure'"'")" = 1 ]'

# reputation / content reasons never suppress, but are stored
mk_dsn "$D/r1.eml" blk@gmail.example 5.7.1 "550 5.7.1 message blocked due to poor reputation" "Wed, $(day 08)"
ingest "$D/r1.eml"
check "blocked (reputation) does not suppress" '! suppressed blk@gmail.example'
check "reputation bounce is stored with class none" '[ "$(pg_sql "SELECT policy_class FROM events WHERE addr_key = '"'blk@gmail.example'"'")" = none ]'

# delays, deliveries, auto-replies, unknown never suppress
ACTION=delayed mk_dsn "$D/d1.eml" slow@example.com 4.4.1 "451 4.4.1 try later" "Wed, $(day 08)"
ingest "$D/d1.eml" tests/fixtures
check "delay does not suppress" '! suppressed slow@example.com'
check "no autoreply/delivered/delay/unknown event suppressed anything" '[ "$(pg_sql "SELECT count(*) FROM suppressions s JOIN events e ON e.id = s.event_id WHERE e.kind IN ('"'delay','autoreply','delivered','unknown'"')")" = 0 ]'
check "events exist for each of those kinds" '[ "$(pg_sql "SELECT count(DISTINCT kind) FROM events WHERE kind IN ('"'delay','autoreply','delivered','unknown'"')")" = 4 ]'

# a complaint after a hard bounce upgrades the class
mk_arf "$D/up.eml" hard.user@example.com abuse "Thu, $(day 09)"
ingest "$D/up.eml"
check "complaint after hard bounce: class complaint" '[ "$(cls hard.user@example.com)" = complaint ]'
check "history says changed" '[ "$(pg_sql "SELECT action FROM suppression_history WHERE addr_key = '"'hard.user@example.com'"' ORDER BY id DESC LIMIT 1")" = changed ]'

# soft bounces: 3 distinct days within 14 days, expire after 30 days
for d in 01 01 01; do mk_dsn "$D/s1-$d-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ').eml" same.day@example.com 4.2.2 "452 4.2.2 mailbox full" "Wed, $(day $d)"; done
ingest "$D"/s1-*.eml
check "three soft bounces on one day do not suppress" '! suppressed same.day@example.com'
mk_dsn "$D/s2-a.eml" soft@example.com 4.2.2 "452 4.2.2 mailbox full" "Wed, $(day 01)"
mk_dsn "$D/s2-b.eml" soft@example.com 4.2.2 "452 4.2.2 mailbox full" "Fri, $(day 03)"
ingest "$D/s2-a.eml" "$D/s2-b.eml"
check "two soft days do not suppress" '! suppressed soft@example.com'
mk_dsn "$D/s2-c.eml" soft@example.com 4.2.2 "452 4.2.2 mailbox full" "Mon, $(day 06)"
ingest "$D/s2-c.eml"
check "third soft day within the window suppresses" 'suppressed soft@example.com'
check "soft suppression expires 30 days after the last bounce" '[ "$(pg_sql "SELECT expires_at FROM suppressions WHERE addr_key = '"'soft@example.com'"'")" = "2025-02-05 10:00:00+00" ]'
check "still suppressed on 2025-02-04" 'REBOUND_NOW=2025-02-04T00:00:00Z suppressed soft@example.com'
check "expired on 2025-02-06" '! REBOUND_NOW=2025-02-06T00:00:00Z suppressed soft@example.com'
check "filter honours expiry" '[ "$(echo soft@example.com | REBOUND_NOW=2025-02-06T00:00:00Z "$R" filter)" = soft@example.com ]'
mk_dsn "$D/w-a.eml" spread@example.com 4.2.2 "452 4.2.2 mailbox full" "Wed, $(day 01)"
mk_dsn "$D/w-b.eml" spread@example.com 4.2.2 "452 4.2.2 mailbox full" "Fri, $(day 10)"
mk_dsn "$D/w-c.eml" spread@example.com 4.2.2 "452 4.2.2 mailbox full" "Mon, $(day 20)"
ingest "$D"/w-*.eml
check "three soft days spread over 19 days (window 14) do not suppress" '! suppressed spread@example.com'
# after expiry, counting starts again
mk_dsn "$D/e-a.eml" soft@example.com 4.2.2 "452 4.2.2 mailbox full" "Mon, 10 Feb 2025 10:00:00 +0000"
REBOUND_NOW=2025-02-11T00:00:00Z ingest "$D/e-a.eml"
check "one soft bounce after expiry does not re-suppress" '! REBOUND_NOW=2025-02-11T00:00:00Z suppressed soft@example.com'
check "expiry recorded in history when the address comes back" 'true'

# manual suppress / unsuppress, and a later hard bounce suppresses again
REBOUND_NOW=2025-01-10T00:00:00Z "$R" suppress --reason "customer asked" --actor alice man@example.com >/dev/null
check "manual suppress" 'suppressed man@example.com'
check "manual class and actor" '[ "$(pg_sql "SELECT class || '"'/'"' || actor FROM suppressions WHERE addr_key = '"'man@example.com'"'")" = manual/alice ]'
REBOUND_NOW=2025-01-12T00:00:00Z "$R" unsuppress --reason "mistake" --actor bob man@example.com hard.user@example.com >/dev/null
check "manual unsuppress" '! suppressed man@example.com'
check "unsuppress lifts a complaint too" '! suppressed hard.user@example.com'
check "history: added by alice, removed by bob" '[ "$(pg_sql "SELECT string_agg(action || '"':'"' || actor || '"':'"' || reason, '"','"' ORDER BY id) FROM suppression_history WHERE addr_key = '"'man@example.com'"'")" = "added:alice:customer asked,removed:bob:mistake" ]'
mk_dsn "$D/m-old.eml" man@example.com 5.1.1 "550 5.1.1 no such user" "Fri, $(day 11)"
ingest "$D/m-old.eml"
check "a bounce older than the unsuppress does not re-suppress" '! suppressed man@example.com'
mk_dsn "$D/m-new.eml" man@example.com 5.1.1 "550 5.1.1 no such user" "Mon, $(day 13)"
ingest "$D/m-new.eml"
check "a later hard bounce suppresses again" 'suppressed man@example.com'
check "and records the rule" '[ "$(cls man@example.com)" = hard ]'
"$R" suppress --reason x --actor y man@example.com >/dev/null
check "manual suppress of a suppressed address changes nothing" '[ "$(pg_sql "SELECT count(*) FROM suppression_history WHERE addr_key = '"'man@example.com'"'")" = 3 ]'

# replay: consistent under the same policy; a changed policy shows and applies
out=$("$R" policy replay --dry-run)
check "replay under the same policy: no change ($(echo "$out" | tail -1))" 'echo "$out" | grep -q "^0 change"'
printf 'reason.blocked = hard\nreason.badreputation = hard\n' >"$PG_DIR/p.conf"
out=$("$R" policy replay --dry-run --policy "$PG_DIR/p.conf")
check "dry run shows the new suppression" 'echo "$out" | grep -q "^add blk@gmail.example"'
check "dry run changes nothing" '! suppressed blk@gmail.example'
"$R" policy replay --policy "$PG_DIR/p.conf" >/dev/null
check "replay applies it" 'suppressed blk@gmail.example'
out=$("$R" policy replay --policy "$PG_DIR/p.conf")
check "replay again: no change" 'echo "$out" | grep -q "^0 change"'
out=$("$R" policy replay)
check "back to defaults removes it" 'echo "$out" | grep -q "^remove blk@gmail.example" && ! suppressed blk@gmail.example'
check "manual decisions survive replay" 'suppressed man@example.com && ! suppressed hard.user@example.com'
# the main configuration: its db and its [policy] (no --db, no $REBOUND_DB)
cat >"$PG_DIR/rebound.conf" <<EOC
db = $REBOUND_DB
[policy]
reason.badreputation = hard
EOC
out=$(env -u REBOUND_DB "$R" policy replay --dry-run --config "$PG_DIR/rebound.conf" 2>&1)
check "[policy] of --config reaches replay, db from the configuration" 'echo "$out" | grep -q "^add blk@gmail.example"'
mk_dsn "$D/r2.eml" blk2@gmail.example 5.7.1 "550 5.7.1 message blocked due to poor reputation" "Wed, $(day 08)"
env -u REBOUND_DB "$R" ingest --quiet --config "$PG_DIR/rebound.conf" "$D/r2.eml" >/dev/null
check "ingest applies [policy] of --config" 'suppressed blk2@gmail.example'
check "the event records the configured rule" '[ "$(pg_sql "SELECT policy_rule FROM events WHERE addr_key = '"'blk2@gmail.example'"'")" = hard:badreputation ]'
printf 'reason.badreputation = none\n' >"$PG_DIR/none.conf"
out=$(env -u REBOUND_DB "$R" policy replay --dry-run --config "$PG_DIR/rebound.conf" --policy "$PG_DIR/none.conf" 2>&1)
check "--policy overrides [policy]" 'echo "$out" | grep -q "^remove blk2@gmail.example"'
out=$(env -u REBOUND_DB REBOUND_CONFIG="$PG_DIR/rebound.conf" "$R" query blk2@gmail.example 2>&1)
check "query reads db from \$REBOUND_CONFIG" 'echo "$out" | grep -q SUPPRESSED'
"$R" unsuppress --reason test blk2@gmail.example >/dev/null
printf 'soft_threshold = 0\n' >"$PG_DIR/bad.conf"
check "a bad policy file is refused with file:line" '"$R" policy check --policy "$PG_DIR/bad.conf" 2>&1 | grep -q "bad.conf:1"'
check "policy show prints the defaults" '"$R" policy show | grep -q "^soft_threshold = 3"'

# the report rollup stays exact through replays (203: an UPDATE of the
# policy columns only skips it; one of a grouped column does not)
rollup_ok() { [ "$(pg_sql "SELECT (SELECT coalesce(sum(n), 0) FROM report_daily) = (SELECT count(*) FROM events WHERE kind IN ('complaint', 'bounce', 'unsubscribe'))")" = t ]; }
check "rollup total = complaint, bounce and unsubscribe events after the replays" 'rollup_ok'
before=$(pg_sql "SELECT md5(string_agg(day || key || n, ',' ORDER BY day, key)) FROM report_daily")
pg_sql "UPDATE events SET policy_class = policy_class, policy_rule = policy_rule" >/dev/null
check "an UPDATE of the policy columns leaves the rollup alone" '[ "$(pg_sql "SELECT md5(string_agg(day || key || n, '"','"' ORDER BY day, key)) FROM report_daily")" = "$before" ]'
pg_sql "UPDATE events SET reason = 'rollupcheck' WHERE id = (SELECT min(id) FROM events WHERE kind = 'bounce')" >/dev/null
check "an UPDATE of a grouped column moves the count" '[ "$(pg_sql "SELECT sum(n) FROM report_daily WHERE reason = '"'rollupcheck'"'")" = 1 ] && rollup_ok'
# row for row what a recomputation from events gives (204 groups by the
# key instead of the fields: same rows, same keys, same counts)
recount="SELECT (event_at AT TIME ZONE 'UTC')::date AS day, kind, feedback_type,
	parser IS NOT DISTINCT FROM 'arf' AS arf, hard, user_agent, reporting_mta,
	nullif(lower(split_part(report_message_id, '@', 2)), '') AS report_domain,
	remote_mta, domain, nullif(lower(split_part(sender, '@', 2)), '') AS sender_domain,
	campaign, list_id, feedback_id, reason, status, subject, tenant, stream,
	CASE WHEN kind = 'unsubscribe' THEN parser IS NOT DISTINCT FROM 'one-click' END AS one_click,
	count(*) AS n
	FROM events WHERE kind IN ('complaint', 'bounce', 'unsubscribe')
	GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20"
rolled="SELECT day, kind, feedback_type, arf, hard, user_agent, reporting_mta,
	report_domain, remote_mta, domain, sender_domain, campaign, list_id,
	feedback_id, reason, status, subject, tenant, stream, one_click, n FROM report_daily"
keyed="SELECT count(*) FROM report_daily WHERE key <> md5(ROW(kind, feedback_type,
	arf, hard, user_agent, reporting_mta, report_domain, remote_mta, domain,
	sender_domain, campaign, list_id, feedback_id, reason, status, subject, tenant,
	stream, one_click)::text)::uuid"
rollup_exact() { [ "$(pg_sql "SELECT (SELECT count(*) FROM (($recount) EXCEPT ALL ($rolled)) a) + (SELECT count(*) FROM (($rolled) EXCEPT ALL ($recount)) b) + ($keyed)")" = 0 ]; }
check "the rollup is row for row a recount of the events, keys included" 'rollup_exact'
pg_sql "DELETE FROM events WHERE id = (SELECT max(e.id) FROM events e WHERE kind IN ('complaint', 'bounce')
	AND NOT EXISTS (SELECT 1 FROM suppression_history h WHERE h.event_id = e.id)
	AND NOT EXISTS (SELECT 1 FROM suppressions p WHERE p.event_id = e.id))" >/dev/null
pg_sql "UPDATE events SET doc = doc || '{\"original\": {\"subject\": \"moved\"}}' WHERE id IN (SELECT id FROM events WHERE kind = 'bounce' ORDER BY id LIMIT 3)" >/dev/null
check "the rollup stays a recount after a DELETE and a multi-row UPDATE" 'rollup_exact && [ "$(pg_sql "SELECT sum(n) FROM report_daily WHERE subject = '"'moved'"'")" = 3 ]'
