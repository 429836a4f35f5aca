#!/bin/sh
# Unsubscribes in the reports, against a real PostgreSQL: the daily
# rollup counts them (migration 207, rebuilt once for what was stored),
# `rebound report unsubscribes` shows them per tenant and stream with
# rates that divide like by like, and an RFC 8058 one-click unsubscribe
# through `rebound serve` is an unsubscribe event like one by mail:
# counted once, shown by explain, kept by policy replay, and a repeated
# POST adds nothing.  One-click unsubscribes taken before 207 (manual
# suppressions by "one-click") keep suppressing and are not counted.
#
# Window 2026-10-01 .. 2026-10-03.  Unsubscribes:
#   acme/news  by mail: 3 on 10-01, 2 on 10-02 (stored before 207)
#              by mail: 1 on 10-03 (ingested); one-click: 1 on 10-03
#              sent 1,000 on 10-01 and 1,000 on 10-03, none on 10-02
#              -> 7 unsubscribes, 5 rated, 5 / 2,000 = 0.25%
#   beta       by mail: 2 on 10-02 (before 207); sent 500 on 10-02
#              -> 2 / 500 = 0.4%
#   acme (no stream)  one-click: 1 on 10-03; no sent counts -> no rate
. "$(dirname "$0")/lib/setup.sh"
start_pg
export REBOUND_NOW=2026-10-03T12:00:00Z
F=tests/fixtures
KEY=$T/unsub.key
cp "$F/unsub/secret" "$KEY"
chmod 600 "$KEY"
q() { "$R" query "$@" >/dev/null 2>&1; echo $?; }
W="--from 2026-10-01 --to 2026-10-03"
json() { "$R" report unsubscribes $W --format json "$@" >"$T/r.json" 2>"$T/r.err" || no "report unsubscribes $*" "$(cat "$T/r.err")"; }
# row k=v[,k=v] fields...: the fields of the JSON row whose keys match
row() {
	python3 - "$T/r.json" "$@" <<'EOP'
import json, sys
d = json.load(open(sys.argv[1]))
want = dict(kv.split("=", 1) for kv in sys.argv[2].split(","))
out = []
for r in d["rows"]:
    if all(r.get(k) == v for k, v in want.items()):
        for f in sys.argv[3:]:
            v = r.get(f)
            out.append("-" if v is None else ("%.6f" % v if isinstance(v, float) else str(v)))
print(" ".join(out))
EOP
}

# ---- a database as the previous version left it
REBOUND_TEST_MIGRATION_SKIP=207 "$R" db migrate >/dev/null 2>"$T/err" || { no "migrate without 207" "$(cat "$T/err")"; exit 1; }
pg_sql "INSERT INTO messages (sha256, source, size, outcome, nevents, stored_at)
	VALUES (sha256('seed'::bytea), 'seed', 1, 'events', 1, now())" >/dev/null
seed() {	# tag kind day n tenant stream
	pg_sql "INSERT INTO events (message_id, dedup_key, kind, recipient, addr_key,
		domain, reason, feedback_type, parser, tenant, stream, event_at,
		policy_class, doc)
	SELECT (SELECT id FROM messages WHERE source = 'seed'),
		sha256(convert_to('$1:$3:' || g, 'UTF8')), '$2',
		'u' || g || '-$1@example.com', 'u' || g || '-$1@example.com', 'example.com',
		CASE '$2' WHEN 'unsubscribe' THEN 'unsubscribe' END,
		CASE '$2' WHEN 'complaint' THEN 'abuse' END,
		CASE '$2' WHEN 'unsubscribe' THEN 'unsubscribe' ELSE 'arf' END,
		nullif('$5', ''), nullif('$6', ''), '$3T10:00:00Z'::timestamptz,
		CASE '$2' WHEN 'unsubscribe' THEN 'unsubscribe' ELSE 'none' END, '{}'::jsonb
	FROM generate_series(1, $4) g" >/dev/null
}
seed an1 unsubscribe 2026-10-01 3 acme news
seed an2 unsubscribe 2026-10-02 2 acme news
seed bt1 unsubscribe 2026-10-02 2 beta ""
seed cp1 complaint 2026-10-01 4 acme news
# a one-click unsubscribe as the previous version stored it: a manual
# suppression by "one-click", reason unsubscribe, in the token's scope
REBOUND_TEST_MIGRATION_SKIP=207 "$R" suppress --tenant acme --stream news --reason unsubscribe --actor one-click old@example.org >/dev/null 2>&1 ||
	no "the previous version's one-click row"
check "before 207 the rollup has no unsubscribes" '[ "$(pg_sql "SELECT count(*) FROM report_daily WHERE kind = '"'unsubscribe'"'")" = 0 ]'
"$R" db migrate >/dev/null 2>"$T/err" || no "migrate 207" "$(cat "$T/err")"
check "migration: the rollup is rebuilt with the unsubscribes stored before" \
	'[ "$(pg_sql "SELECT sum(n) FROM report_daily WHERE kind = '"'unsubscribe'"' AND tenant = '"'acme'"' AND stream = '"'news'"'")" = 5 ] && [ "$(pg_sql "SELECT sum(n) FROM report_daily WHERE kind = '"'complaint'"'")" = 4 ]'
check "migration: the old one-click row keeps suppressing, in its scope, as it was" \
	'[ "$(q --tenant acme --stream news old@example.org)" = 3 ] && [ "$(q --tenant beta old@example.org)" = 0 ] && [ "$(pg_sql "SELECT class || '"' '"' || reason || '"' '"' || actor || '"' '"' || scope FROM suppressions WHERE addr_key = '"'old@example.org'"'")" = "manual unsubscribe one-click acme/news" ]'
check "migration: the old one-click row has no event and is not counted" \
	'[ "$(pg_sql "SELECT count(*) FROM events WHERE addr_key = '"'old@example.org'"'")" = 0 ]'

printf 'day,tenant,stream,count\n2026-10-01,acme,news,1000\n2026-10-03,acme,news,1000\n2026-10-02,beta,,500\n' >"$T/sent.csv"
"$R" sent import "$T/sent.csv" >/dev/null 2>&1 || no "sent import"

# ---- by mail: the fixture's request (token for acme/news), dated 10-03
sed 's/^Date: .*/Date: Sat, 03 Oct 2026 09:00:00 +0000/; s/^Message-ID: .*/Message-ID: <unsub-report-1@mail.gmail.example>/' \
	"$F/unsubscribe-gmail.eml" >"$T/mail.eml"
"$R" ingest --quiet --unsubscribe-secret-file "$KEY" "$T/mail.eml" >/dev/null 2>>"$T/ingest.log"
is "by mail: an unsubscribe event of acme/news on 10-03" \
	"$(pg_sql "SELECT kind || ' ' || tenant || '/' || stream || ' ' || (event_at AT TIME ZONE 'UTC')::date FROM events WHERE addr_key = 'ann@example.org'")" \
	"unsubscribe acme/news 2026-10-03"

# ---- one-click through rebound serve
RTOK=$("$R" serve token mailer read 2>"$T/r.line")
grep -hv '^#' "$T/r.line" >"$T/tokens"
. "$(dirname "$0")/lib/serve.sh"
start_serve --unsubscribe-secret-file "$KEY" || { no "serve starts"; exit 1; }
U="http://127.0.0.1:$PORT"
url_for() { "$R" unsubscribe-link --secret-file "$KEY" --url "$U" "$@" | sed -n 's/^List-Unsubscribe: <\(http[^>]*\)>$/\1/p'; }
click() { curl -sS -o "$T/body" -w '%{http_code}' -X POST --data-binary "List-Unsubscribe=One-Click" "$1"; }
burl=$(url_for --tenant acme --stream news bob@example.org)
curl_out=$(click "$burl")
check "one-click: 200, recorded" '[ "$curl_out" = 200 ] && grep -q "\"recorded\": *true" "$T/body" && grep -q "\"changed\": *true" "$T/body"'
is "one-click: an unsubscribe event, class unsubscribe, in the token's tenant and stream, parser one-click" \
	"$(pg_sql "SELECT e.kind || ' ' || e.policy_class || ' ' || e.tenant || '/' || e.stream || ' ' || e.parser || ' ' || m.source FROM events e JOIN messages m ON m.id = e.message_id WHERE e.addr_key = 'bob@example.org'")" \
	"unsubscribe unsubscribe acme/news one-click one-click"
is "one-click: suppressed as an unsubscribe in acme/news, by that event" \
	"$(pg_sql "SELECT s.class || ' ' || s.scope || ' ' || (s.event_id = e.id) FROM suppressions s JOIN events e ON e.addr_key = s.addr_key WHERE s.addr_key = 'bob@example.org'")" \
	"unsubscribe acme/news true"
check "one-click: suppressed for acme/news, not for acme/orders nor beta" \
	'[ "$(q --tenant acme --stream news bob@example.org)" = 3 ] && [ "$(q --tenant acme --stream orders bob@example.org)" = 0 ] && [ "$(q --tenant beta bob@example.org)" = 0 ]'
before=$(counts)
curl_out=$(click "$burl")
check "the same POST again: 200, nothing recorded, nothing stored" '[ "$curl_out" = 200 ] && grep -q "\"recorded\": *false" "$T/body" && [ "$(counts)" = "$before" ]'
curl_out=$(click "$(url_for --tenant acme carl@example.org)")
check "one-click for a tenant without a stream" '[ "$curl_out" = 200 ] && [ "$(pg_sql "SELECT tenant || '"'/'"' || coalesce(stream, '"'-'"') FROM events WHERE addr_key = '"'carl@example.org'"'")" = "acme/-" ]'
stop_serve

"$R" explain bob@example.org >"$T/explain.txt" 2>&1
check "explain: the one-click unsubscribe, its scope and its source" \
	'grep -q "scope acme/news: SUPPRESSED (class unsubscribe" "$T/explain.txt" && grep -q "unsubscribe .*(parser one-click)" "$T/explain.txt" && grep -q "mail: one-click" "$T/explain.txt"'

# ---- the report
check "the rollup holds every unsubscribe event once" \
	'[ "$(pg_sql "SELECT (SELECT sum(n) FROM report_daily WHERE kind = '"'unsubscribe'"') = (SELECT count(*) FROM events WHERE kind = '"'unsubscribe'"')")" = t ]'
json --by tenant,stream
is "acme/news: 7 unsubscribes (1 one-click, 6 by mail), 5 rated over 2,000 sent = 0.25%, one day without sent" \
	"$(row tenant=acme,stream=news unsubscribes one-click mail rated_events sent rate days_without_sent)" "7 1 6 5 2000 0.002500 1"
is "beta: 2 / 500 = 0.4%" "$(row tenant=beta unsubscribes sent rate)" "2 500 0.004000"
is "acme without a stream: 1 one-click, no sent counts, no rate" \
	"$(row "tenant=acme,stream=(none)" unsubscribes one-click sent rate)" "1 1 - -"
# every day of the window has some sent count: the total rates all 10
is "the total: 10 unsubscribes, 2 by one-click, all on days with sent counts, over 2,500" \
	"$(python3 -c "import json; t=json.load(open('$T/r.json'))['total']; print(t['unsubscribes'], t['one-click'], t['rated_events'], t['sent'])")" "10 2 10 2500"
check "the daily series counts the unsubscribes" \
	'python3 -c "import json; d=json.load(open(\"$T/r.json\"))[\"daily\"]; assert [x[\"unsubscribes\"] for x in d] == [3, 4, 3], d"'
json --tenant acme --stream news
is "--tenant acme --stream news: its own unsubscribes only" "$(python3 -c "import json; print(json.load(open('$T/r.json'))['total']['unsubscribes'])")" 7
"$R" report unsubscribes $W --by tenant,stream --format csv >"$T/r.csv" 2>&1
check "CSV: the counts in the columns of the unsubscribe report" \
	'head -1 "$T/r.csv" | grep -q "^tenant,stream,unsubscribes,one-click,mail,sent,rate,mark" && grep -q "^acme,news,7,1,6,2000,0.0025" "$T/r.csv"'
"$R" report unsubscribes $W --by tenant,stream >"$T/r.txt" 2>&1
check "text: the unsubscribe report, with its rate" 'grep -q "^Unsubscribe report" "$T/r.txt" && grep -q "0.250%" "$T/r.txt"'
"$R" report unsubscribes $W --by tenant --fail-above 0.3% >/dev/null 2>&1
a=$?
"$R" report unsubscribes $W --by tenant --fail-above 0.5% >/dev/null 2>&1
is "--fail-above: beta's 0.4% trips 0.3%, not 0.5%" "$a $?" "3 0"
"$R" report unsubscribes $W --format html --output "$T/r.html" 2>/dev/null
check "HTML: the unsubscribe rate card and the unsubscribes per day" \
	'grep -q "unsubscribe rate" "$T/r.html" && grep -q "Unsubscribes and complaints per day" "$T/r.html"'
"$R" report complaints $W --format json >"$T/c.json" 2>&1
check "the complaint report counts no unsubscribes, and its days keep their fields" \
	'python3 -c "import json; d=json.load(open(\"$T/c.json\")); assert d[\"total\"][\"complaints\"] == 4, d[\"total\"]; assert sorted(d[\"daily\"][0]) == [\"bounces\", \"complaints\", \"day\", \"rate\", \"sent\"], d[\"daily\"][0]"'

# ---- policy replay keeps the one-click unsubscribe
before=$(pg_sql "SELECT count(*) FROM events WHERE kind = 'unsubscribe'")
"$R" policy replay >/dev/null 2>&1 || no "policy replay"
check "policy replay: bob stays suppressed as an unsubscribe in acme/news, old@ as it was" \
	'[ "$(pg_sql "SELECT class || '"' '"' || scope FROM suppressions WHERE addr_key = '"'bob@example.org'"' AND removed_at IS NULL")" = "unsubscribe acme/news" ] && [ "$(q --tenant acme --stream news old@example.org)" = 3 ]'
json --by tenant,stream
is "policy replay: the counts are unchanged" \
	"$(pg_sql "SELECT count(*) FROM events WHERE kind = 'unsubscribe'") $(row tenant=acme,stream=news unsubscribes one-click)" "$before 7 1"
