#!/bin/sh
# Suppressions scoped per tenant and stream: attribution of reports to a
# tenant, where each class lands, every read path answering for a tenant
# (its own suppressions and the global ones), replay and the migration of
# an existing database keeping every suppression.
. "$(dirname "$0")/lib/setup.sh"
start_pg
export REBOUND_NOW=2025-03-10T12:00:00Z
ingest() { "$R" ingest --quiet "$@" >/dev/null; }
# status of query: 3 suppressed, 0 not
q() { "$R" query "$@" >/dev/null 2>&1; echo $?; }

# ---- a database as the previous version left it: the migration keeps
# every suppression, as a global one
REBOUND_TEST_MIGRATION_SKIP=20 "$R" db migrate >/dev/null 2>&1
check "without the scopes migration there is no scope column" \
	'[ "$(pg_sql "SELECT count(*) FROM information_schema.columns WHERE table_name = '"'suppressions'"' AND column_name = '"'scope'"'")" = 0 ]'
pg_sql "INSERT INTO suppressions (addr_key, address, domain, class, reason, rule, actor, created_at, updated_at)
	SELECT 'old' || i || '@legacy.example', 'Old' || i || '@legacy.example', 'legacy.example', 'manual', 'legacy', 'manual', 'ops', now(), now()
	FROM generate_series(1, 50) i;
	INSERT INTO suppression_history (addr_key, address, action, class, reason, rule, actor, at)
	SELECT addr_key, address, 'added', 'manual', 'legacy', 'manual', 'ops', created_at FROM suppressions" >/dev/null
"$R" db migrate >/dev/null 2>&1
check "migration: all 50 old suppressions kept" '[ "$(pg_sql "SELECT count(*) FROM suppressions WHERE scope = '"''"' AND removed_at IS NULL")" = 50 ]'
check "migration: an old suppression answers for every tenant" '[ "$(q --tenant acme old7@legacy.example)" = 3 ] && [ "$(q --tenant beta --stream news old7@legacy.example)" = 3 ] && [ "$(q old7@legacy.example)" = 3 ]'

# ---- fixtures: a hard bounce whose VERP return path names the tenant,
# complaints naming the tenant in a header of the original or in
# Feedback-ID, one attributed by its From domain, one by its mailbox
cat >"$D/policy.conf" <<EOP
tenant.verp = bounce+{tenant}.{stream}.*@mail.platform.example
tenant.domains = $D/domains
EOP
printf '# domain tenant[/stream]\nshop.beta.example beta/orders\n' >"$D/domains"
export REBOUND_POLICY="$D/policy.conf"

dsn_verp() { # file to recipient
	cat >"$1" <<EOM
From: MAILER-DAEMON@mx.example.net
To: bounce+$2.news.x7f3@mail.platform.example
Subject: Undelivered Mail Returned to Sender
Date: Mon, 10 Mar 2025 09:00:00 +0000
Message-ID: <dsn-$2-$(date +%s%N)@mx.example.net>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: text/plain

Delivery failed.

--B
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.net
Arrival-Date: Mon, 10 Mar 2025 09:00:00 +0000

Final-Recipient: rfc822; $3
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 user unknown

--B
Content-Type: text/rfc822-headers

From: news@acme.example
To: $3
Subject: Newsletter

--B--
EOM
}
arf_hdr() { # file recipient extra-header-lines from
	cat >"$1" <<EOM
From: fbl@isp.example
To: fbl@platform.example
Subject: Abuse report
Date: Mon, 10 Mar 2025 10:00:00 +0000
Message-ID: <arf-$(date +%s%N)@isp.example>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=feedback-report; boundary="B"

--B
Content-Type: text/plain

This is an abuse report.

--B
Content-Type: message/feedback-report

Feedback-Type: abuse
User-Agent: ISP-FBL/1.0
Version: 1
Original-Rcpt-To: $2
Arrival-Date: Mon, 10 Mar 2025 10:00:00 +0000

--B
Content-Type: message/rfc822

From: ${4:-news@acme.example}
To: $2
Subject: Newsletter
Message-ID: <orig-$(date +%s%N)@platform.example>
$3

hello
--B--
EOM
}

dsn_verp "$D/hard.eml" acme dead@example.org
arf_hdr "$D/c-hdr.eml" person@example.org "X-Tenant: acme
X-Stream: marketing"
arf_hdr "$D/c-fbid.eml" fbid@example.org "Feedback-ID: spring:c42:promo:beta"
arf_hdr "$D/c-dom.eml" dom@example.org "" "orders@shop.beta.example"
arf_hdr "$D/c-none.eml" nobody@example.org ""
arf_hdr "$D/c-bad.eml" bad@example.org "X-Tenant: acme;drop table"
ingest "$D/hard.eml" "$D/c-hdr.eml" "$D/c-fbid.eml" "$D/c-dom.eml" "$D/c-none.eml" "$D/c-bad.eml"

scope_of() { pg_sql "SELECT string_agg(scope, ',' ORDER BY scope) FROM suppressions WHERE addr_key = '$1'"; }
check "a hard bounce is global" '[ "$(scope_of dead@example.org)" = "" ] && [ "$(pg_sql "SELECT count(*) FROM suppressions WHERE addr_key = '"'dead@example.org'"'")" = 1 ]'
check "the hard bounce was attributed by VERP" '[ "$(pg_sql "SELECT tenant || '"'/'"' || stream FROM events WHERE addr_key = '"'dead@example.org'"'")" = acme/news ]'
check "a hard bounce suppresses for every tenant" '[ "$(q --tenant acme dead@example.org)" = 3 ] && [ "$(q --tenant beta dead@example.org)" = 3 ] && [ "$(q --tenant zeta --stream x dead@example.org)" = 3 ]'
check "complaint with X-Tenant/X-Stream lands in acme/marketing" '[ "$(scope_of person@example.org)" = acme/marketing ]'
check "complaint for acme suppresses for acme" '[ "$(q --tenant acme person@example.org)" = 3 ]'
check "and for acme's marketing stream" '[ "$(q --tenant acme --stream marketing person@example.org)" = 3 ]'
check "not for acme's transactional stream" '[ "$(q --tenant acme --stream transactional person@example.org)" = 0 ]'
check "a complaint for tenant acme does not suppress for beta" '[ "$(q --tenant beta person@example.org)" = 0 ]'
check "without a tenant the question covers every scope" '[ "$(q person@example.org)" = 3 ]'
check "Feedback-ID field 4 names the tenant" '[ "$(scope_of fbid@example.org)" = beta ]'
check "the From domain through the table (tenant/stream)" '[ "$(scope_of dom@example.org)" = beta/orders ]'
check "no attribution: global, and said so" '[ "$(scope_of nobody@example.org)" = "" ] && [ "$(pg_sql "SELECT tenant_from FROM events WHERE addr_key = '"'nobody@example.org'"'")" = none ]'
check "a malformed tenant header is not a tenant (global)" '[ "$(scope_of bad@example.org)" = "" ] && pg_sql "SELECT tenant_from FROM events WHERE addr_key = '"'bad@example.org'"'" | grep -q "not a name"'
"$R" explain person@example.org >"$D/explain.txt" 2>&1
check "explain shows the scope and why" 'grep -q "scope acme/marketing: SUPPRESSED" "$D/explain.txt" && grep -q "tenant: acme, stream marketing (by header X-Tenant), scope acme/marketing" "$D/explain.txt"'

# ---- fail closed: malformed scope forms are errors, never "not suppressed"
"$R" query --tenant 'ac me' person@example.org >/dev/null 2>&1
check "query --tenant with a bad name: usage error (2)" '[ $? -eq 2 ]'
"$R" query --stream marketing person@example.org >/dev/null 2>&1
check "query --stream without --tenant: usage error" '[ $? -eq 2 ]'
out=$(printf 'person@example.org\n' | "$R" filter --tenant 'a/b' 2>/dev/null); rc=$?
check "filter with a bad tenant passes nothing" '[ $rc -eq 2 ] && [ -z "$out" ]'

# ---- filter, list, export, import in a scope
printf 'person@example.org\nfbid@example.org\ndead@example.org\nfree@example.org\n' >"$D/in.txt"
check "filter --tenant acme keeps beta's complaint and the free" '[ "$("$R" filter --tenant acme <"$D/in.txt" | tr "\n" " ")" = "fbid@example.org free@example.org " ]'
check "filter --tenant beta keeps acme's complaint and the free" '[ "$("$R" filter --tenant beta <"$D/in.txt" | tr "\n" " ")" = "person@example.org free@example.org " ]'
check "filter without a tenant keeps only the free" '[ "$("$R" filter <"$D/in.txt" | tr "\n" " ")" = "free@example.org " ]'
check "list --tenant beta: beta's and the global ones, not acme's" '"$R" list --tenant beta >"$D/l.txt" && grep -q "fbid@example.org" "$D/l.txt" && grep -q "dead@example.org" "$D/l.txt" && ! grep -q "person@example.org" "$D/l.txt"'
check "export carries the scope" '"$R" export --tenant acme | grep -q "^person@example.org,.*,acme/marketing$"'
"$R" suppress --tenant gamma --reason "asked by phone" --actor ops man@example.org >/dev/null
check "manual suppression names its scope" '[ "$(scope_of man@example.org)" = gamma ] && [ "$(q --tenant gamma man@example.org)" = 3 ] && [ "$(q --tenant acme man@example.org)" = 0 ]'
"$R" export --tenant gamma >"$D/g.csv"
pg_sql "DELETE FROM suppressions WHERE addr_key = 'man@example.org'" >/dev/null
"$R" import --actor ops "$D/g.csv" >/dev/null 2>&1
check "import of an export puts the row back in its scope" '[ "$(scope_of man@example.org)" = gamma ]'
printf 'address\nimp@example.org\n' >"$D/i.csv"
"$R" import --tenant delta --stream news --actor ops "$D/i.csv" >/dev/null 2>&1
check "import --tenant --stream lands there" '[ "$(scope_of imp@example.org)" = delta/news ]'
"$R" unsuppress --tenant gamma --reason ok --actor ops man@example.org >/dev/null
check "unsuppress --tenant removes that scope's row" '[ "$(q --tenant gamma man@example.org)" = 0 ]'

# ---- SQL functions with a tenant
check "SQL: rebound_is_suppressed for acme / beta" '[ "$(pg_sql "SELECT rebound_is_suppressed('"'person@example.org', 'acme'"')::text || rebound_is_suppressed('"'person@example.org', 'beta'"')::text")" = truefalse ]'
check "SQL: a stream argument" '[ "$(pg_sql "SELECT rebound_is_suppressed('"'person@example.org', 'acme', 'transactional'"')")" = f ]'
check "SQL: rebound_check for beta" '[ "$(pg_sql "SELECT string_agg(status, '"','"' ORDER BY ord) FROM rebound_check(ARRAY['"'person@example.org','dead@example.org'"'], '"'beta'"')")" = sendable,suppressed ]'
check "SQL: a malformed tenant raises" '! pg_sql "SELECT rebound_is_suppressed('"'person@example.org', 'a b'"')" >/dev/null 2>&1'

# ---- policy: scopes are a policy decision; replay recomputes and keeps
# what the policy still justifies
before=$(pg_sql "SELECT count(*) FROM suppressions WHERE removed_at IS NULL")
"$R" policy replay >"$D/replay0.txt" 2>&1
check "replay under the same policy changes nothing" 'grep -q "^0 change(s) made" "$D/replay0.txt"'
printf 'scope.complaint = global\n' >>"$D/policy.conf"
"$R" policy replay >"$D/replay1.txt" 2>&1
check "replay with scope.complaint = global moves complaints to global" '[ "$(scope_of person@example.org)" = "" ] || [ "$(q --tenant beta person@example.org)" = 3 ]'
check "replay keeps every old (legacy) suppression" '[ "$(pg_sql "SELECT count(*) FROM suppressions WHERE addr_key LIKE '"'old%@legacy.example'"' AND removed_at IS NULL")" = 50 ]'
check "after replay: the complaint suppresses for beta too" '[ "$(q --tenant beta person@example.org)" = 3 ]'
check "policy show lists the scopes" '"$R" policy show | grep -q "^scope.complaint = global"'
sed -i '/scope.complaint/d' "$D/policy.conf"
"$R" policy replay >/dev/null 2>&1
check "replay back: per stream again, every suppression kept" '[ "$(q --tenant beta person@example.org)" = 0 ] && [ "$(q --tenant acme --stream marketing person@example.org)" = 3 ] && [ "$(pg_sql "SELECT count(*) FROM suppressions WHERE removed_at IS NULL AND addr_key LIKE '"'old%'"'")" = 50 ]'

# ---- rebound serve and watch in a scope
RTOK=$("$R" serve token mailer read 2>"$T/r.line")
WTOK=$("$R" serve token crm write 2>"$T/w.line")
grep -hv '^#' "$T/r.line" "$T/w.line" >"$T/tokens"
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$T/unsub.key"
chmod 600 "$T/unsub.key"
SPID=
on_exit() { [ -n "$SPID" ] && kill "$SPID" 2>/dev/null && wait "$SPID" 2>/dev/null; }
for _try in 1 2 3 4 5; do
	PORT=$(free_port)
	"$R" serve --tokens "$T/tokens" --listen "127.0.0.1:$PORT" --threads 2 \
		--unsubscribe-secret-file "$T/unsub.key" 2>>"$T/serve.log" &
	SPID=$!
	wait_port "$PORT" 60 && break
	kill "$SPID" 2>/dev/null; wait "$SPID" 2>/dev/null; SPID=
done
U="http://127.0.0.1:$PORT"
get() { curl -sS -o "$T/body" -w '%{http_code}' -H "Authorization: Bearer $1" "$U$2"; printf ' '; cat "$T/body"; }
post() { curl -sS -o "$T/body" -w '%{http_code}' -H "Authorization: Bearer $1" -H 'Content-Type: application/json' --data-binary "$3" "$U$2"; printf ' '; cat "$T/body"; }
out=$(get "$RTOK" "/v1/check?address=person@example.org&tenant=acme&stream=marketing")
check "serve: acme/marketing is suppressed, with its scope" 'echo "$out" | grep -q "^200 .*\"suppressed\": *true.*\"scope\": *\"acme/marketing\""'
out=$(get "$RTOK" "/v1/check?address=person@example.org&tenant=beta")
check "serve: not for beta" 'echo "$out" | grep -q "^200 .*\"suppressed\": *false"'
out=$(get "$RTOK" "/v1/check?address=person@example.org&tenant=be%20ta")
check "serve: a malformed tenant is 400, not sendable" 'echo "$out" | grep -q "^400 "'
out=$(post "$RTOK" /v1/check "{\"tenant\": \"beta\", \"addresses\": [\"person@example.org\", \"dead@example.org\", \"fbid@example.org\"]}")
check "serve: a batch for beta" 'echo "$out" | grep -q "^200 .*\"suppressed\": *2"'
out=$(post "$WTOK" /v1/suppress "{\"address\": \"api@example.org\", \"reason\": \"asked\", \"tenant\": \"acme\", \"stream\": \"news\"}")
check "serve: a suppression through the API lands in its scope" '[ "$(scope_of api@example.org)" = acme/news ]'

# ---- RFC 8058 one-click unsubscribes
link=$("$R" unsubscribe-link --secret-file "$T/unsub.key" --url "$U" --tenant acme --stream news --mailto unsub@platform.example '"Ann" <Ann@Example.org>')
url=$(echo "$link" | sed -n 's/^List-Unsubscribe: .*<\(http[^>]*\)>$/\1/p')
check "unsubscribe-link: both headers" 'echo "$link" | grep -q "^List-Unsubscribe: <mailto:unsub+[a-z2-7]\{32\}@platform.example?subject=unsubscribe%20[a-z2-7]\{32\}>, <http.*/v1/unsubscribe/.*>$" && echo "$link" | grep -q "^List-Unsubscribe-Post: List-Unsubscribe=One-Click$"'
click() { curl -sS -o "$T/body" -w '%{http_code}' -X POST --data-binary "${2:-List-Unsubscribe=One-Click}" "$1"; }
check "a GET changes nothing" '[ "$(curl -sS -o /dev/null -w "%{http_code}" "$url")" = 200 ] && [ "$(q ann@example.org)" = 0 ]'
check "a POST without List-Unsubscribe=One-Click is refused" '[ "$(click "$url" "x=y")" = 400 ] && [ "$(q ann@example.org)" = 0 ]'
check "one-click POST: 200" '[ "$(click "$url")" = 200 ] && grep -q "\"changed\": *true" "$T/body"'
check "the one-click unsubscribe lands in acme/news" '[ "$(scope_of ann@example.org)" = acme/news ] && [ "$(q --tenant acme --stream news ann@example.org)" = 3 ] && [ "$(q --tenant acme --stream orders ann@example.org)" = 0 ] && [ "$(q --tenant beta ann@example.org)" = 0 ]'
h0=$(pg_sql "SELECT count(*) FROM suppression_history")
check "repeating a valid token changes nothing" '[ "$(click "$url")" = 200 ] && grep -q "\"changed\": *false" "$T/body" && [ "$(pg_sql "SELECT count(*) FROM suppression_history")" = "$h0" ]'
tok=${url##*/}
# altered: one hex digit of the payload changed (another address)
alt=$(echo "$tok" | sed 's/^\(..\)\(.\)/\1\2/' | awk '{c=substr($0,5,1); r=(c=="0")?"1":"0"; print substr($0,1,4) r substr($0,6)}')
check "an altered token is refused (403)" '[ "$(click "$U/v1/unsubscribe/$alt")" = 403 ]'
"$R" unsubscribe-link --secret-file "$T/unsub.key" --url "$U" --tenant beta forged@example.org >/dev/null
printf 'another-secret-of-enough-bytes\n' >"$T/other.key"; chmod 600 "$T/other.key"
furl=$("$R" unsubscribe-link --secret-file "$T/other.key" --url "$U" --tenant beta forged@example.org | sed -n 's/^List-Unsubscribe: <\([^>]*\)>.*/\1/p')
check "a token signed with another secret is refused (403)" '[ "$(click "$furl")" = 403 ] && [ "$(q forged@example.org)" = 0 ]'
eurl=$(REBOUND_NOW=2025-01-01T00:00:00Z "$R" unsubscribe-link --secret-file "$T/unsub.key" --url "$U" --days 1 --tenant beta old@example.org | sed -n 's/^List-Unsubscribe: <\([^>]*\)>.*/\1/p')
check "an expired token is refused (410)" '[ "$(click "$eurl")" = 410 ] && [ "$(q old@example.org)" = 0 ]'
check "garbage instead of a token: 400" '[ "$(click "$U/v1/unsubscribe/zz")" = 400 ]'
chmod 644 "$T/other.key"
"$R" unsubscribe-link --secret-file "$T/other.key" --url "$U" --tenant beta x@example.org >/dev/null 2>"$T/perm.err"
check "a world-readable secret file is refused" '[ $? -ne 0 ] && grep -q "may be read or written by other users" "$T/perm.err"'
kill "$SPID" 2>/dev/null; wait "$SPID" 2>/dev/null; SPID=
"$R" watch --from-start --once --tenant beta >"$T/w.jsonl"
check "watch --tenant beta: beta's and global changes, none of acme's" 'grep -q "\"scope\": *\"beta\"" "$T/w.jsonl" && grep -q "\"scope\": *\"global\"" "$T/w.jsonl" && ! grep -q "acme" "$T/w.jsonl"'
