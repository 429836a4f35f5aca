#!/bin/sh
# Reports against a real PostgreSQL seeded with known events
# (tests/reports/seed.sql): golden text/CSV/JSON outputs, sent import
# idempotency, edge cases (empty window, a campaign with complaints but no
# sent counts, Unicode), all formats agreeing on the numbers, --fail-above,
# and the HTML page rendered by headless Chromium (DOM and screenshot);
# last, the daily rollup under updates and deletes of events.
#   UPDATE_GOLDEN=1      rewrite tests/reports/golden/* (review the diff)
#   UPDATE_SCREENSHOT=1  rewrite docs/report.png
. "$(dirname "$0")/lib/setup.sh"
start_pg
G=tests/reports/golden
W="--from 2026-11-01 --to 2026-11-07"

ok() { echo "ok - $*"; }
nok() { echo "not ok - $*"; }
check() {	# name command...: ok when the command succeeds
	_n=$1
	shift
	if "$@"; then ok "$_n"; else nok "$_n"; fi
}

"$REBOUND" db migrate >/dev/null 2>"$T/err" || { nok "migrate"; sed 's/^/# /' "$T/err"; exit 1; }
pg_sql "$(cat tests/reports/seed.sql)" >/dev/null 2>"$T/err" || { nok "seed"; sed 's/^/# /' "$T/err"; exit 1; }
ok "seeded $(pg_sql 'SELECT count(*) FROM events') events"

# ---- sent import --------------------------------------------------------
out=$("$REBOUND" sent import tests/reports/sent.csv 2>&1)
check "sent import folds rows with the same key: $out" [ "$out" = "5 rows, 4 keys stored" ]
before=$(pg_sql "SELECT day, sender_domain, campaign, list_id, count, imported_at FROM sent ORDER BY 1,2,3,4")
"$REBOUND" sent import tests/reports/sent.csv >/dev/null 2>&1
after=$(pg_sql "SELECT day, sender_domain, campaign, list_id, count, imported_at FROM sent ORDER BY 1,2,3,4")
check "sent import twice changes nothing" [ "$before" = "$after" ]
check "sent counts stored" [ "$(pg_sql 'SELECT sum(count) FROM sent')" = 14000 ]
printf 'day,count\n2026-11-31,5\n' >"$T/bad.csv"
"$REBOUND" sent import "$T/bad.csv" >"$T/out" 2>&1
check "bad day refused with its line: $(cat "$T/out")" grep -q 'line 2: bad day' "$T/out"
printf '2026-11-01,5,x\n' >"$T/bad2.csv"
"$REBOUND" sent import "$T/bad2.csv" >/dev/null 2>&1
check "three fields without a header refused" [ $? -eq 1 ]
check "nothing stored from refused files" [ "$(pg_sql 'SELECT sum(count) FROM sent')" = 14000 ]

# ---- goldens ------------------------------------------------------------
golden() {	# name args...
	_name=$1
	shift
	"$REBOUND" report "$@" >"$T/$_name" 2>"$T/err"
	_rc=$?
	if [ "${UPDATE_GOLDEN:-0}" = 1 ]; then
		cp "$T/$_name" "$G/$_name"
	fi
	if [ $_rc -eq 0 ] && cmp -s "$G/$_name" "$T/$_name"; then
		ok "golden $_name"
	else
		nok "golden $_name (exit $_rc)"
		diff "$G/$_name" "$T/$_name" 2>&1 | head -20 | sed 's/^/# /'
		sed 's/^/# /' "$T/err" | head -5
	fi
}
golden complaints-provider.txt complaints $W --by provider
golden complaints-provider.csv complaints $W --by provider --format csv
golden complaints-provider.json complaints $W --by provider --format json
golden complaints-campaign.txt complaints $W --by campaign
golden complaints-campaign.csv complaints $W --by campaign --format csv
golden complaints-day-campaign.txt complaints $W --by day,campaign
golden complaints-week.txt complaints $W --by week
golden complaints-sender-domain.txt complaints $W --by sender-domain
golden complaints-feedback-type-all.txt complaints $W --by feedback-type --all-types
golden complaints-subject-top2.txt complaints $W --by subject --top 2
golden complaints-feedback-id.csv complaints $W --by feedback-id,recipient-domain --format csv
golden bounces-reason.txt bounces $W --by reason
golden bounces-hard-soft.csv bounces $W --by hard-soft --format csv
golden bounces-provider-remote.txt bounces $W --by provider,remote-mta,status
golden bounces-day.json bounces $W --by day --format json
golden empty.txt complaints --from 2025-01-01 --to 2025-01-31 --by provider
golden empty.csv bounces --from 2025-01-01 --to 2025-01-31 --by reason --format csv
golden empty.json complaints --from 2025-01-01 --to 2025-01-31 --by campaign --format json

# ---- formats agree ------------------------------------------------------
agree() {	# kind by
	"$REBOUND" report "$1" $W --by "$2" --format json >"$T/a.json" &&
	"$REBOUND" report "$1" $W --by "$2" --format csv >"$T/a.csv" &&
	"$REBOUND" report "$1" $W --by "$2" --format text >"$T/a.txt" &&
	"$REBOUND" report "$1" $W --by "$2" --format html >"$T/a.html" || return 1
	python3 tests/reports/agree.py "$T/a.json" "$T/a.csv" "$T/a.txt" "$T/a.html"
}
for spec in "complaints provider" "complaints campaign" "complaints day,campaign" \
	    "complaints sender-domain" "bounces reason" "bounces day,hard-soft"; do
	set -- $spec
	if out=$(agree "$1" "$2" 2>&1); then
		ok "text, CSV, JSON and HTML agree: $1 by $2"
	else
		nok "formats disagree: $1 by $2"
		printf '%s\n' "$out" | head -10 | sed 's/^/# /'
	fi
done

# ---- --fail-above, --output, --since ------------------------------------
"$REBOUND" report complaints $W --by campaign --fail-above 0.25% >/dev/null 2>"$T/err"
rc=$?
check "--fail-above 0.25% exits 3 (total 0.30%)" [ $rc -eq 3 ]
check "--fail-above says why" grep -q 'complaint rate: a rate of 0.300% is above 0.250%' "$T/err"
"$REBOUND" report complaints $W --by campaign --fail-above 0.005 >/dev/null 2>&1
check "--fail-above 0.005 exits 0" [ $? -eq 0 ]
"$REBOUND" report complaints $W --by provider --fail-above 0.25% >/dev/null 2>&1
check "--fail-above counts the total when groups have no rate" [ $? -eq 3 ]
"$REBOUND" report complaints $W --output "$T/r.json" >/dev/null 2>&1
check "--output picks the format from the suffix" python3 -c "import json,sys; json.load(open('$T/r.json'))"
check "--output leaves no temporary file" [ "$(ls "$T" | grep -c '\.tmp')" = 0 ]
"$REBOUND" report complaints --since 3650d --by provider --format json >"$T/s.json" 2>&1
check "--since covers the seeded window" python3 -c "
import json; d=json.load(open('$T/s.json')); assert d['total']['complaints']==21, d['total']"
"$REBOUND" report complaints $W --by reason >/dev/null 2>&1
check "bounce key refused for complaints (exit 2)" [ $? -eq 2 ]
"$REBOUND" report bounces --from 2026-11-07 --to 2026-11-01 >/dev/null 2>&1
check "backwards window refused (exit 2)" [ $? -eq 2 ]

# ---- HTML in headless Chromium -----------------------------------------
"$REBOUND" report complaints $W --by campaign --format html >"$T/report.html" 2>"$T/err" ||
	nok "html report"
check "HTML has no network resource" sh -c "! grep -Eq '(src|href)=\"(https?:)?//' '$T/report.html'"
check "HTML has no script" sh -c "! grep -qi '<script' '$T/report.html'"
CHROME=$(command -v chromium || command -v chromium-browser)
chrome() {
	timeout 90 "$CHROME" --headless --no-sandbox --disable-gpu --disable-quic \
		--no-first-run --disable-background-networking \
		--disable-component-update --disable-sync \
		--user-data-dir="$T/chrome-profile" "$@" 2>>"$T/chrome.log"
}
if [ -z "$CHROME" ] || ! chrome --dump-dom "file://$T/report.html" >"$T/dom.html" ||
	! grep -q '<svg' "$T/dom.html"; then
	if [ -z "$CHROME" ]; then
		ok "chromium tests skipped (no chromium installed)"
	else
		nok "chromium could not render the report"
		tail -5 "$T/chrome.log" | sed 's/^/# /'
	fi
else
	python3 - "$T/dom.html" <<'EOF'
import re, sys
dom = open(sys.argv[1], encoding="utf-8").read()
def check(name, cond):
    print(("ok - " if cond else "not ok - ") + "chromium DOM: " + name)
def text_of(id_):
    m = re.search(r'id="%s"[^>]*>(.*?)</div></div>' % re.escape(id_), dom, re.S)
    return re.sub(r"<[^>]+>", " ", m.group(1)) if m else ""
check("title", "<h1>Complaint report</h1>" in dom)
check("window in the header", "2026-11-01 to 2026-11-07" in text_of("window") or "2026-11-01 to 2026-11-07" in dom)
check("total complaints 16", re.search(r"\b16\b", text_of("total-count")) is not None)
check("total sent 5,000", "5,000" in text_of("total-sent"))
check("total rate 0.300% over", "0.300%" in text_of("total-rate") and "at or above 0.3%" in text_of("total-rate"))
for c in ("chart-daily", "chart-rate", "chart-bars"):
    check("svg " + c, re.search(r'<svg[^>]*id="%s"' % c, dom) is not None)
check("rate chart has the 0.1% and 0.3% marks", dom.count('class="mark"') == 2)
check("bar chart names Yahoo", re.search(r'class="blab">Yahoo<', dom) is not None)
check("Unicode campaign in the table", "秋のセール 2026" in dom)
rows = re.findall(r'<tr class="(\w+)">(.*?)</tr>', dom, re.S)
check("three table rows", len(rows) == 3)
bf = [r for r in rows if "black-friday" in r[1]]
check("black-friday 11 complaints, 4,000 sent, 0.275%, warn",
      bf and bf[0][0] == "warn" and ">11<" in bf[0][1] and "4,000" in bf[0][1] and "0.275%" in bf[0][1])
uni = [r for r in rows if "秋のセール" in r[1]]
check("campaign without sent counts has no rate", uni and uni[0][0] == "none")
EOF
	chrome --screenshot="$T/report.png" --window-size=1040,1560 \
		--hide-scrollbars "file://$T/report.html" >/dev/null
	size=$(stat -c %s "$T/report.png" 2>/dev/null || echo 0)
	check "screenshot taken ($size bytes)" [ "$size" -gt 30000 ]
	if [ "${UPDATE_SCREENSHOT:-0}" = 1 ]; then
		cp "$T/report.png" docs/report.png
	fi
fi

# ---- the rollup follows updates and deletes of events -------------------
roll="SELECT (SELECT coalesce(sum(n), 0) FROM report_daily) = (SELECT count(*) FROM events WHERE kind IN ('complaint', 'bounce'))"
check "rollup holds every complaint and bounce" [ "$(pg_sql "$roll")" = t ]
pg_sql "UPDATE events SET campaign = 'renamed' WHERE kind = 'complaint' AND domain = 'aol.com'" >/dev/null
"$REBOUND" report complaints $W --by campaign --format csv >"$T/u.csv" 2>&1
check "an update moves events between groups" sh -c "grep -q '^black-friday,9,' '$T/u.csv' && grep -q '^renamed,2,' '$T/u.csv'"
pg_sql "DELETE FROM events WHERE domain = 'example.net'" >/dev/null
"$REBOUND" report complaints $W --by campaign --format json >"$T/d.json" 2>&1
check "a delete removes events from the rollup" python3 -c "
import json; d=json.load(open('$T/d.json')); assert d['total']['complaints']==15, d['total']"
check "rollup still exact after update and delete" [ "$(pg_sql "$roll")" = t ]
check "no empty rollup rows left" [ "$(pg_sql 'SELECT count(*) FROM report_daily WHERE n <= 0')" = 0 ]
