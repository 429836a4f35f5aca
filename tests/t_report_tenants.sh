#!/bin/sh
# Reports per tenant and stream, and rates that divide like by like in
# every group, against a real PostgreSQL.
#
# Window 2026-10-01 .. 2026-10-03.  Complaints (ARF):
#   acme/news    6 on 10-01, 4 on 10-02          sent 2,000 + 2,000
#   acme/orders  5 on 10-03                      no sent counts
#   beta         1 on 10-01, 2 on 10-02          sent 10,000 + 10,000
#   no tenant    3 on 10-01                      sent 5,000 (old CSV form)
#   campaign spring (no tenant): 2, 2, 4 on the three days; sent 1,000 on
#   10-01 and 10-02 only
# Under the old division acme's rate was 15 / 4,000 = 0.375% (its 5
# complaints of a day without sent counts divided by the others' sent
# counts) and spring's 8 / 2,000 = 0.4%; like by like they are
# 10 / 4,000 = 0.250% and 4 / 2,000 = 0.200%.
. "$(dirname "$0")/lib/setup.sh"
start_pg

# a database as the previous version left it: sent counts without tenant
REBOUND_TEST_MIGRATION_SKIP=206 "$R" db migrate >/dev/null 2>"$T/err" || { no "migrate without 206" "$(cat "$T/err")"; exit 1; }
pg_sql "INSERT INTO messages (sha256, source, size, outcome, nevents, stored_at)
	VALUES (sha256('seed'::bytea), 'seed', 1, 'events', 1, now())" >/dev/null
seed() {	# tag day n tenant stream campaign
	pg_sql "INSERT INTO events (message_id, dedup_key, kind, recipient, addr_key,
		domain, sender, feedback_type, parser, campaign, tenant, stream, event_at, doc)
	SELECT (SELECT id FROM messages WHERE source = 'seed'),
		sha256(convert_to('$1:$2:' || g, 'UTF8')), 'complaint',
		'u' || g || '-$1-$2@example.com', 'u' || g || '-$1-$2@example.com', 'example.com',
		'news@news.example.com', 'abuse', 'arf', nullif('$6', ''),
		nullif('$4', ''), nullif('$5', ''), '$2T10:00:00Z'::timestamptz, '{}'::jsonb
	FROM generate_series(1, $3) g" >/dev/null
}
# stored before migration 206: the rollup has no tenant yet
seed an1 2026-10-01 6 acme news ""
printf 'day,count\n2026-10-01,5000\n' >"$T/old.csv"
"$R" sent import "$T/old.csv" >/dev/null 2>&1 || no "sent import on the old schema"
"$R" db migrate >/dev/null 2>"$T/err" || no "migrate 206" "$(cat "$T/err")"
check "migration: the old sent row is kept, for no tenant" '[ "$(pg_sql "SELECT count || '"'/'"' || tenant || '"'/'"' || stream FROM sent")" = "5000//" ]'
check "migration: the rollup is rebuilt with the events' tenants" '[ "$(pg_sql "SELECT sum(n) FROM report_daily WHERE tenant = '"'acme'"' AND stream = '"'news'"'")" = 6 ] && [ "$(pg_sql "SELECT count(*) FROM report_daily WHERE tenant IS NULL")" = 0 ]'
seed an2 2026-10-02 4 acme news ""
seed ao3 2026-10-03 5 acme orders ""
seed b1 2026-10-01 1 beta "" ""
seed b2 2026-10-02 2 beta "" ""
seed none1 2026-10-01 3 "" "" ""

cat >"$T/sent.csv" <<'EOF'
day,tenant,stream,count
2026-10-01,acme,news,2000
2026-10-02,acme,news,2000
2026-10-01,beta,,10000
2026-10-02,beta,,10000
EOF
out=$("$R" sent import "$T/sent.csv" 2>&1)
is "sent import with a tenant column" "$out" "4 rows, 4 keys stored"
check "the old CSV's row is still there beside them" '[ "$(pg_sql "SELECT sum(count) FROM sent")" = 29000 ]'
printf 'day,tenant,count\n2026-10-01,a/b,5\n' >"$T/bad1.csv"
"$R" sent import "$T/bad1.csv" >"$T/o" 2>&1
check "a malformed tenant is refused with its line" '[ $? = 1 ] && grep -q "line 2: bad tenant" "$T/o"'
printf 'day,stream,count\n2026-10-01,news,5\n' >"$T/bad2.csv"
"$R" sent import "$T/bad2.csv" >"$T/o" 2>&1
check "a stream without a tenant is refused" '[ $? = 1 ] && grep -q "line 2: bad stream" "$T/o"'
check "nothing stored from refused files" '[ "$(pg_sql "SELECT sum(count) FROM sent")" = 29000 ]'

W="--from 2026-10-01 --to 2026-10-03"
json() { "$R" report complaints $W --format json "$@" >"$T/r.json" 2>"$T/err"; }
# row KEY=VALUE[,KEY=VALUE]: FIELD FIELD... of that row, space-separated
row() {
	python3 - "$T/r.json" "$@" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
want = dict(kv.split("=", 1) for kv in sys.argv[2].split(","))
for r in d["rows"]:
    if all(r.get(k) == v for k, v in want.items()):
        print(" ".join("-" if r[f] is None else ("%.6f" % r[f] if isinstance(r[f], float) else str(r[f])) for f in sys.argv[3:]))
EOF
}
total() {
	python3 -c 'import json,sys; t=json.load(open(sys.argv[1]))["total"]; print(" ".join("-" if t[f] is None else ("%.6f" % t[f] if isinstance(t[f], float) else str(t[f])) for f in sys.argv[2:]))' "$T/r.json" "$@"
}

# ---- --by tenant --------------------------------------------------------
json --by tenant
is "by tenant: acme 15 complaints, 10 in the rate, 4,000 sent, 0.250%, 1 day without" \
	"$(row tenant=acme complaints rated_events sent rate days_without_sent)" "15 10 4000 0.002500 1"
is "by tenant: beta 3 / 20,000 = 0.015%" "$(row tenant=beta complaints rated_events sent rate days_without_sent)" "3 3 20000 0.000150 0"
is "by tenant: no tenant, 3 / 5,000 (the old CSV's row)" "$(row tenant='(none)' complaints sent rate)" "3 5000 0.000600"
out=$("$R" report complaints $W --by tenant 2>&1)
echo "$out" | grep -q '^acme  *15  *10  *1  *4,000  *0\.250%' && ok "text: acme's line with 'in rate' and 'days w/o sent'" || no "text: acme's line" "$out"
"$R" report complaints $W --by tenant --fail-above 0.3% >/dev/null 2>&1
is "--by tenant --fail-above 0.3% passes: acme is 0.250% (0.375% was mismatched)" $? 0
"$R" report complaints $W --by tenant --fail-above 0.2% >/dev/null 2>"$T/err"
is "--by tenant --fail-above 0.2% exits 3 at acme's 0.250%" $? 3
grep -q "a rate of 0.250% is above 0.200%" "$T/err" && ok "--fail-above names the rate" || no "--fail-above message" "$(cat "$T/err")"

# ---- --tenant / --stream ------------------------------------------------
json --tenant acme --by stream
is "--tenant acme: total 15, 10 in the rate, 4,000 sent, 1 day without" "$(total complaints rated_events sent rate days_without_sent)" "15 10 4000 0.002500 1"
is "--tenant acme --by stream: news 10 / 4,000" "$(row stream=news complaints sent rate days_without_sent)" "10 4000 0.002500 0"
is "--tenant acme --by stream: orders has no sent counts, no rate" "$(row stream=orders complaints sent rate days_without_sent)" "5 - - 1"
json --tenant acme --stream orders
is "--tenant acme --stream orders: 5, no rate" "$(total complaints sent rate)" "5 - -"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["tenant"]=="acme" and d["stream"]=="orders"' "$T/r.json" &&
	ok "JSON names the tenant and stream" || no "JSON tenant/stream"
json --tenant beta
is "--tenant beta: 3 / 20,000, not the other tenants' mail" "$(total complaints sent rate)" "3 20000 0.000150"
json --tenant nobody
is "--tenant without events or sent counts: nothing" "$(total complaints sent)" "0 -"
"$R" report complaints $W --tenant acme --fail-above 0.3% >/dev/null 2>&1
is "--tenant acme --fail-above 0.3%: passes at 0.250%" $? 0
"$R" report complaints $W --tenant 'ac me' >/dev/null 2>"$T/err"
is "--tenant with a malformed name: usage error, said" "$? $(grep -c 'not a tenant name' "$T/err")" "2 1"
"$R" report complaints $W --stream news >/dev/null 2>"$T/err"
is "--stream without --tenant: usage error, said" "$? $(grep -c 'stream needs --tenant' "$T/err")" "2 1"
"$R" report complaints $W --tenant acme --format html >"$T/r.html" 2>&1
grep -q 'tenant acme' "$T/r.html" && ok "HTML names the tenant" || no "HTML tenant"
"$R" report throttling $W --tenant 'a b' >/dev/null 2>"$T/err"
is "throttling --tenant with a malformed name: usage error, said" "$? $(grep -c 'not a tenant name' "$T/err")" "2 1"
"$R" report throttling $W --tenant acme --format json >"$T/t.json" 2>&1
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["tenant"]=="acme"' "$T/t.json" &&
	ok "throttling --tenant" || no "throttling --tenant" "$(head -3 "$T/t.json")"

# ---- like by like for a group with sent counts on some days ------------
seed s1 2026-10-01 2 "" "" spring
seed s2 2026-10-02 2 "" "" spring
seed s3 2026-10-03 4 "" "" spring
printf 'day,campaign,count\n2026-10-01,spring,1000\n2026-10-02,spring,1000\n' >"$T/spring.csv"
"$R" sent import "$T/spring.csv" >/dev/null 2>&1 || no "sent import spring"
json --by campaign
is "campaign spring: 8 complaints, 4 in the rate, 2,000 sent, 0.200%, 1 day without" \
	"$(row campaign=spring complaints rated_events sent rate days_without_sent)" "8 4 2000 0.002000 1"
"$R" report complaints $W --by campaign --format csv >"$T/r.csv" 2>&1
grep -q '^spring,8,0,2000,0.002,warn,4,1' "$T/r.csv" && ok "CSV: spring rated 4, 1 day without" || no "CSV spring" "$(cat "$T/r.csv")"
"$R" report complaints $W --by campaign --format html >"$T/c.html" 2>&1
python3 - "$T/c.html" <<'EOF'
import re, sys
page = open(sys.argv[1], encoding="utf-8").read()
tr = [t for t in re.findall(r'<tr class="\w+">(.*?)</tr>', page, re.S) if ">spring<" in t]
tds = [re.sub(r"<[^>]+>", "", t) for t in re.findall(r"<td[^>]*>(.*?)</td>", tr[0], re.S)] if tr else []
good = tds[-4:-1] == ["1", "2,000", "0.200%"] and "days w/o sent" in page
print(("ok" if good else "not ok") +
      " - HTML: spring 1 day without, 2,000 sent, 0.200%" + ("" if good else " %r" % tds))
EOF
"$R" report complaints $W --by campaign --fail-above 0.3% >/dev/null 2>&1
a=$?
"$R" report complaints $W --by campaign --fail-above 0.15% >/dev/null 2>&1
is "--by campaign --fail-above: 0.3% passes, 0.15% exits 3 (spring 0.200%; its old 0.4% tripped both)" "$a $?" "0 3"
json --by day,campaign
is "day,campaign: spring on 10-03 has no sent counts: no rate, 1 day without" \
	"$(row day=2026-10-03,campaign=spring complaints sent rate days_without_sent)" "4 - - 1"
is "day,campaign: spring on 10-01: 2 / 1,000" "$(row day=2026-10-01,campaign=spring complaints sent rate days_without_sent)" "2 1000 0.002000 0"

# ---- the rollup follows the tenants -------------------------------------
roll="SELECT (SELECT coalesce(sum(n), 0) FROM report_daily) = (SELECT count(*) FROM events WHERE kind IN ('complaint', 'bounce'))"
pg_sql "UPDATE events SET tenant = 'beta', stream = NULL WHERE tenant = 'acme' AND stream = 'orders'" >/dev/null
json --by tenant
check "an update of an event's tenant moves it between groups, the rollup stays exact" '[ "$(row tenant=beta complaints)" = 8 ] && [ "$(pg_sql "$roll")" = t ]'
