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
	nouser@coremail.example.edu.cn gone@163.net; do
	"$REBOUND" query "$a" >/dev/null 2>&1
	ok $([ $? -eq 3 ] && echo 0 || echo 1) "$a is suppressed"
done
for a in busy@qq.example.com quota@yeah.example.net reader@126.example.com \
	spam@163.example.com daily@qiye.example.cn ip@sohu.example.com \
	content@qq.example.com staff@exmail.example.cn rep@sina.example.com \
	spf@qq.example.com frozen@126.example.com protected@qq.example.com \
	words@qq.example.com header@exmail.example.cn filter@coremail.example.edu.cn \
	spf@aliyun.example.cn fast@aliyun.example.cn listed@aliyun.example.cn \
	behaviour@aliyun.example.cn rule@aliyun.example.cn other@aliyun.example.cn \
	friend1@partner.example.net friend2@partner.example.net \
	friend3@partner.example.net friend4@partner.example.net \
	friend5@partner.example.net ptr@sina.example.com helo@sina.example.com \
	domain@sohu.example.com unknown@sina.example.com ali@aliyun.example.cn \
	frozen@163.net full@163.net picky@163.net closed@21cn.example.com \
	fqdn@sina.example.com; do
	"$REBOUND" query "$a" >/dev/null 2>&1
	ok $? "$a is not suppressed"
done
n=$(pg_sql "SELECT count(*) FROM suppressions s JOIN events e ON e.addr_key = s.addr_key
	WHERE e.reason IN ('toomanyconn','speeding','spamdetected','contenterror','blocked','badreputation','authfailure','securityerror','requireptr','systemerror')
	   OR e.feedback_type IN ('content-denied','list-hygiene')")
[ "$n" = 0 ]; ok $? "no suppression stands on a rate, quota, content, reputation, auth or submission event ($n)"
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
	printf '%s\n' "$out" | grep -q '^2024-10-16,Aliyun Mail,2,2,0,4,1,1' ; ok $? "Aliyun: anti-spam rate verdicts (554 and 454) are throttling; blacklist, bad sending, unknown verdict and a submission envelope refusal reputation; an anti-spam rule content; SPF authentication"
	printf '%s\n' "$out" | grep -Eq '^[^,]*,(Sina|Sohu|163\.net),[1-9]' ; ok $([ $? -ne 0 ] && echo 0 || echo 1) "blocks, host checks and dead addresses are not throttling"
	printf '%s\n' "$out" | grep -q '^2024-10-16,QQ Mail,0,0,0,0,3,1' ; ok $? "QQ: three content verdicts (English, help link, Chinese) and a submission login refusal"
	printf '%s\n' "$out" | grep -q '^2024-10-16,Sina,0,0,0,3,0,0' ; ok $? "Sina: HELO and reverse-DNS refusals are the sender's host (an unknown 4xx reply is not counted)"
	printf '%s\n' "$out" | grep -q '^2024-10-16,Sohu,0,0,0,0,0,1' ; ok $? "Sohu: the sender domain's DNS is authentication"
	printf '%s\n' "$out" | grep -q '^2024-10-16,163.net,0,0,0,1,0,0' ; ok $? "163.net: only the refusal counts, not the dead, disabled or full mailboxes"
	json=$("$REBOUND" report throttling --from 2024-10-01 --to 2024-10-31 --format json 2>&1)
	printf '%s' "$json" | python3 -c '
import json,sys
d=json.load(sys.stdin)
assert d["total"]==8 and sum(r["rejections"] for r in d["rows"])==8, d
for f in ("reputation","content","authentication"):
    assert d[f]==sum(r[f] for r in d["rows"])==sum(p[f] for p in d["providers"]), f
assert (d["reputation"],d["content"],d["authentication"])==(13,8,6), d
assert d["providers"][0]["provider"]=="NetEase" and d["providers"][0]["first_day"]=="2024-10-15", d' 2>&1
	ok $? "JSON: totals equal the sum of the rows and of the providers, per family"
	txt=$("$REBOUND" report throttling --from 2024-10-01 --to 2024-10-31 2>&1)
	printf '%s\n' "$txt" | grep -q '^total: 8$' && printf '%s\n' "$txt" | grep -q '^Aliyun Mail *2 *4 *1 *1$'
	ok $? "text: total and the what-to-fix row"
	out=$("$REBOUND" report bounces --from 2024-10-01 --to 2024-10-31 --by provider,family --format csv 2>&1)
	printf '%s\n' "$out" | grep -q '^Aliyun Mail,reputation,4,' && printf '%s\n' "$out" | grep -q '^QQ Mail,content,3,' && printf '%s\n' "$out" | grep -q '^163.net,address,1,1,'
	ok $? "bounce report --by provider,family groups refusals per provider"
	out=$("$REBOUND" report throttling --from 2024-11-01 --to 2024-11-30 2>&1)
	printf '%s\n' "$out" | grep -q 'no rate-limit or quota rejections' ; ok $? "an empty window says so"
else
	echo "not ok - rebound report throttling is not wired"
fi
