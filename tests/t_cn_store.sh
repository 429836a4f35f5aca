#!/bin/sh
# Chinese providers end to end (docs/cn.md): the cn fixtures ingested into
# a real PostgreSQL; only the dead addresses and the recipient who refused
# the sender are suppressed, never a rate-limit, quota, content or
# reputation rejection; the throttling report counts the rate/quota ones
# per provider and day.
. "$(dirname "$0")/lib/setup.sh"
start_pg

ok() { if [ "$1" = 0 ]; then echo "ok - $2"; else echo "not ok - $2"; fi; }

"$REBOUND" ingest tests/fixtures/cn-*.eml >/dev/null 2>&1
ok $? "ingest the cn fixtures"

# suppressed (exit 3) / not suppressed (exit 0)
for a in blocked-me@qq.example.com gone@qq.example.com nobody@163.example.com \
	lost@aliyun.example.com dead@partner.example.net \
	nouser@coremail.example.edu.cn; do
	"$REBOUND" query "$a" >/dev/null 2>&1
	ok $([ $? -eq 3 ] && echo 0 || echo 1) "$a is suppressed"
done
for a in busy@qq.example.com quota@yeah.example.net reader@126.example.com \
	spam@163.example.com daily@qiye.example.cn ip@sohu.example.com \
	content@qq.example.com staff@exmail.example.cn rep@sina.example.com \
	spf@qq.example.com frozen@126.example.com protected@qq.example.com; do
	"$REBOUND" query "$a" >/dev/null 2>&1
	ok $? "$a is not suppressed"
done
n=$(pg_sql "SELECT count(*) FROM suppressions s JOIN events e ON e.addr_key = s.addr_key
	WHERE e.reason IN ('toomanyconn','speeding','spamdetected','contenterror','blocked','badreputation','authfailure')
	   OR e.feedback_type IN ('content-denied','list-hygiene')")
[ "$n" = 0 ]; ok $? "no suppression stands on a rate, quota, content, reputation or auth event ($n)"
[ "$(pg_sql "SELECT class || ':' || reason FROM suppressions WHERE addr_key = 'blocked-me@qq.example.com'")" = "complaint:rejected-by-recipient" ]
ok $? "the recipient who refused the sender is a complaint suppression"
[ "$(pg_sql "SELECT count(*) FROM events WHERE kind = 'complaint' AND feedback_type IN ('rejected-by-recipient','content-denied')")" = 2 ]
ok $? "two inferred complaint signals stored"

# the complaint report: inferred signals per provider beside ARF ones
"$REBOUND" ingest tests/fixtures/arf-yahoo.eml >/dev/null 2>&1
ok $? "ingest an ARF complaint (Yahoo)"
out=$("$REBOUND" report complaints --from 2000-01-01 --to 2030-12-31 --by provider --format csv 2>&1)
printf '%s\n' "$out" | grep -q '^QQ Mail,2,2,' ; ok $? "complaint report: QQ's two inferred signals under QQ Mail, counted as inferred"
printf '%s\n' "$out" | grep -q '^Yahoo,1,0,' ; ok $? "complaint report: the ARF complaint beside them, not inferred"
printf '%s\n' "$out" | grep -q 'edm.example' ; ok $([ $? -ne 0 ] && echo 0 || echo 1) "inferred complaints are not attributed to the sender's own MTA"
out=$("$REBOUND" report complaints --from 2024-10-01 --to 2024-10-31 --by provider,feedback-type --format csv 2>&1)
printf '%s\n' "$out" | grep -q '^QQ Mail,rejected-by-recipient,1,1,' && printf '%s\n' "$out" | grep -q '^QQ Mail,content-denied,1,1,'
ok $? "complaint report by feedback type shows rejected-by-recipient and content-denied"

if "$REBOUND" report throttling --help >/dev/null 2>&1; then
	out=$("$REBOUND" report throttling --from 2024-10-01 --to 2024-10-31 --format csv 2>&1)
	ok $? "report throttling runs"
	printf '%s\n' "$out" | grep -q '^2024-10-15,QQ Mail,2,1,1' ; ok $? "QQ rate limit and receive limit counted on their day"
	printf '%s\n' "$out" | grep -q '^2024-10-15,NetEase,3,3,0' ; ok $? "NetEase quotas (RP:TRC, HL:ITC) and a 421 HL:ICC rate-limit delay counted"
	printf '%s\n' "$out" | grep -q '^2024-10-15,Tencent Exmail,1,0,1' ; ok $? "Exmail receive limit counted as speeding"
	printf '%s\n' "$out" | grep -q 'Sohu\|Sina\|Aliyun' ; ok $([ $? -ne 0 ] && echo 0 || echo 1) "blocks and dead addresses are not throttling"
	json=$("$REBOUND" report throttling --from 2024-10-01 --to 2024-10-31 --format json 2>&1)
	printf '%s' "$json" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["total"]==6, d; assert d["providers"][0]["provider"]=="NetEase" and d["providers"][0]["first_day"]=="2024-10-15", d' 2>&1
	ok $? "JSON: total and first day per provider agree with CSV"
	out=$("$REBOUND" report throttling --from 2024-11-01 --to 2024-11-30 2>&1)
	printf '%s\n' "$out" | grep -q 'no rate-limit or quota rejections' ; ok $? "an empty window says so"
else
	echo "not ok - rebound report throttling is not wired"
fi
