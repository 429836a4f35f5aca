#!/bin/sh
# Report rates divide like by like.  Complaints fall on four days, sent
# counts exist for two of them: the total complaint rate counts only the
# complaints of the days that have sent counts (4 / 4,300 = 0.093%, not
# 8 / 4,300 = 0.186%), and the report says how many days lack sent
# counts; --fail-above acts on that rate.  Bounce rates have their own
# marks (not the complaint marks).
. "$(dirname "$0")/lib/setup.sh"
start_pg
"$REBOUND" db migrate >/dev/null 2>"$T/err" || { no "migrate" "$(cat "$T/err")"; exit 1; }

seed() {	# kind day n tag (ARF complaints, hard bounces)
	pg_sql "INSERT INTO events (message_id, dedup_key, kind, recipient, addr_key,
		domain, sender, reason, hard, feedback_type, parser, event_at, doc)
	SELECT (SELECT id FROM messages WHERE source = 'seed'),
		sha256(convert_to('$1:$2:$4:' || g, 'UTF8')), '$1',
		'u' || g || '-$4-$2@example.com', 'u' || g || '-$4-$2@example.com', 'example.com',
		'news@news.example.com', $( [ "$1" = bounce ] && echo "'userunknown', true, NULL, 'dsn'" || echo "NULL, NULL, 'abuse', 'arf'"),
		'$2T10:00:00Z'::timestamptz, '{}'::jsonb
	FROM generate_series(1, $3) g" >/dev/null
}
pg_sql "INSERT INTO messages (sha256, source, size, outcome, nevents, stored_at)
	VALUES (sha256('seed'::bytea), 'seed', 1, 'events', 1, now())" >/dev/null
for d in 2026-10-01 2026-10-02 2026-10-03 2026-10-04; do seed complaint $d 2 c; done
printf 'day,count\n2026-10-01,2150\n2026-10-02,2150\n' >"$T/sent.csv"
"$REBOUND" sent import "$T/sent.csv" >/dev/null 2>&1 || no "sent import"
W="--from 2026-10-01 --to 2026-10-04"

out=$("$REBOUND" report complaints $W --by day 2>&1)
echo "$out" | sed -n 2p | grep -q '0\.093%' && ok "total complaint rate over the days with sent counts: 4 / 4,300 = 0.093%" ||
	no "total complaint rate" "$(echo "$out" | sed -n 2p)"
echo "$out" | sed -n 2p | grep -q '0\.186%' && no "the total rate divides all complaints by part of the sent counts" || ok "no 8 / 4,300"
echo "$out" | grep -q '2 of 4 days have no sent counts' && ok "says how many days lack sent counts" ||
	no "days without sent counts not stated" "$(echo "$out" | head -3)"
"$REBOUND" report complaints $W --fail-above 0.1% >/dev/null 2>&1
is "--fail-above 0.1% passes at 0.093%" $? 0
"$REBOUND" report complaints $W --fail-above 0.09% >/dev/null 2>&1
is "--fail-above 0.09% exits 3 at 0.093%" $? 3
j=$("$REBOUND" report complaints $W --by day --format json 2>&1)
echo "$j" | python3 -c '
import json, sys
d = json.load(sys.stdin)
t = d["total"]
ok = t.get("days_without_sent") == 2 and t.get("rated_events") == 4 and abs(t["rate"] - 4 / 4300) < 1e-7
print("ok - json total: rated_events 4, days_without_sent 2, rate 4/4300" if ok else "not ok - json total: %s" % t)
' 2>&1 | sed 's/^Traceback.*/not ok - json output: &/'
# every day with sent counts: nothing said about missing days
printf 'day,count\n2026-10-03,2150\n2026-10-04,2150\n' >"$T/sent2.csv"
"$REBOUND" sent import "$T/sent2.csv" >/dev/null 2>&1
out=$("$REBOUND" report complaints $W 2>&1)
echo "$out" | sed -n 2p | grep -q '0\.093%' && ok "all days with sent counts: 8 / 8,600 = 0.093%" || no "full rate" "$(echo "$out" | sed -n 2p)"
echo "$out" | grep -q 'no sent counts' && no "no missing days claimed when none" "$out" || ok "no missing days when every day has sent counts"

# ---- bounce marks: their own thresholds ----
for d in 2026-10-01 2026-10-02 2026-10-03 2026-10-04; do seed bounce $d 5 a; done
out=$("$REBOUND" report bounces $W 2>&1)	# 20 / 8,600 = 0.233%
echo "$out" | sed -n 2p | grep -q '0\.233%' || no "bounce rate" "$(echo "$out" | sed -n 2p)"
echo "$out" | sed -n 2p | grep -qi 'warn\|over' && no "a 0.23% bounce rate is not marked (complaint marks used)" "$(echo "$out" | sed -n 2p)" ||
	ok "a 0.23% bounce rate carries no mark"
for d in 2026-10-01 2026-10-02; do seed bounce $d 300 b; done	# 620 / 8,600 = 7.2%
out=$("$REBOUND" report bounces $W 2>&1)
echo "$out" | sed -n 2p | grep -q 'OVER >= 5' && ok "a 7.2% bounce rate is OVER >= 5%" || no "bounce over mark" "$(echo "$out" | sed -n 2p)"
"$REBOUND" report bounces $W --fail-above 8% >/dev/null 2>&1
is "bounces --fail-above 8% passes at 7.2%" $? 0
