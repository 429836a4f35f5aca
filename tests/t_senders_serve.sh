#!/bin/sh
# rebound serve against a real PostgreSQL: tokens and scopes, lookups in
# every address form, batches and their limit, the change log, audited
# suppress/unsuppress, 503 (never "not suppressed") while the database
# is down, TLS, and the refusal to listen off loopback without TLS.
. "$(dirname "$0")/lib/setup.sh"
start_pg
export REBOUND_NOW=2025-01-31T12:00:00Z
"$R" suppress --reason test --actor t carol@example.org "用户@例子.广告" >/dev/null
RTOK=$("$R" serve token mailer read 2>"$T/r.line")
WTOK=$("$R" serve token crm write 2>"$T/w.line")
grep -v '^#' "$T/r.line" >"$T/tokens"
grep -v '^#' "$T/w.line" >>"$T/tokens"
check "the tokens file holds hashes, never the tokens" \
	'! grep -q "$RTOK" "$T/tokens" && ! grep -q "$WTOK" "$T/tokens" && grep -q "^mailer read sha256:" "$T/tokens"'
. "$(dirname "$0")/lib/serve.sh"
start_serve --max-body 100000 || { no "serve starts"; exit 1; }
U="http://127.0.0.1:$PORT"
get() {	# TOKEN PATH: "CODE BODY"
	curl -sS -o "$T/body" -w '%{http_code}' -H "Authorization: Bearer $1" "$U$2"
	printf ' '; cat "$T/body"
}
post() {	# TOKEN PATH FILE|-
	curl -sS -o "$T/body" -w '%{http_code}' -H "Authorization: Bearer $1" \
		-H 'Content-Type: application/json' --data-binary "@$3" "$U$2"
	printf ' '; cat "$T/body"
}
field() { python3 -c 'import json,sys; d=json.loads(sys.stdin.read().split(" ",1)[1]); print(eval(sys.argv[1]))' "$1"; }

check "health without a token" '[ "$(get x /v1/health | cut -c1-3)" = 200 ]'
check "ready: the database answers" '[ "$(get x /v1/ready | cut -c1-3)" = 200 ]'
is "a lookup without a token: 401" "$(get "" "/v1/check?address=carol@example.org" | cut -c1-3)" 401
is "a wrong token: 401" "$(get "rbt_wrong" "/v1/check?address=carol@example.org" | cut -c1-3)" 401
out=$(get "$RTOK" "/v1/check?address=carol@example.org")
is "carol is suppressed" "$(echo "$out" | field 'd["suppressed"], d["status"], d["class"]')" "(True, 'suppressed', 'manual')"
out=$(get "$RTOK" "/v1/check?address=%22Carol%22%20%3CCAROL%40Example.org%3E")
is "a display name, brackets and case find her" "$(echo "$out" | field 'd["suppressed"]')" True
out=$(curl -sS -G -H "Authorization: Bearer $RTOK" --data-urlencode "address=张三 <用户@例子。广告>" "$U/v1/check")
is "Unicode, IDN and an ideographic dot" "$(echo "x $out" | field 'd["suppressed"], d["addr_key"]')" "(True, '用户@xn--fsqu00a.xn--4rr70v')"
out=$(get "$RTOK" "/v1/check?address=dave@example.org")
is "an unknown address is sendable" "$(echo "$out" | field 'd["suppressed"], d["status"]')" "(False, 'sendable')"
out=$(get "$RTOK" "/v1/check?address=not%20an%20address")
is "not an address: 422 and suppressed: true" "$(echo "$out" | cut -c1-3) $(echo "$out" | field 'd["suppressed"], d["status"]')" "422 (True, 'invalid')"
is "no address= at all: 400" "$(get "$RTOK" "/v1/check" | cut -c1-3)" 400
printf '{"addresses": ["carol@example.org", "Dave <dave@example.org>", "x@", 42, "\\u00a0CAROL@example.org"]}' >"$T/b1.json"
out=$(post "$RTOK" /v1/check "$T/b1.json")
is "a batch: one answer per element, in order" \
	"$(echo "$out" | field '[r["status"] for r in d["results"]], d["count"], d["suppressed"], d["invalid"]')" \
	"(['suppressed', 'sendable', 'invalid', 'invalid', 'suppressed'], 5, 2, 2)"
python3 -c 'import json; print(json.dumps({"addresses": ["a%d@example.com" % i for i in range(10001)]}))' >"$T/big.json"
is "a batch over 10,000 addresses: 413" "$(post "$RTOK" /v1/check "$T/big.json" | cut -c1-3)" 413
head -c 200000 /dev/zero | tr '\0' ' ' >"$T/huge.json"
is "a body over --max-body: 413" "$(post "$RTOK" /v1/check "$T/huge.json" | cut -c1-3)" 413
echo 'not json' >"$T/bad.json"
is "a body that is not JSON: 400" "$(post "$RTOK" /v1/check "$T/bad.json" | cut -c1-3)" 400
is "a wrong method: 405" "$(curl -sS -o /dev/null -w '%{http_code}' -X DELETE -H "Authorization: Bearer $RTOK" "$U/v1/check")" 405
is "an unknown path: 404" "$(get "$RTOK" /v1/nope | cut -c1-3)" 404

# suppress / unsuppress: the write scope, audited with the token's name
printf '{"address": "Eve <eve@example.com>", "reason": "asked by phone"}' >"$T/s.json"
is "a read token may not suppress: 403" "$(post "$RTOK" /v1/suppress "$T/s.json" | cut -c1-3)" 403
is "... and nothing changed" "$(pg_sql "SELECT count(*) FROM suppressions WHERE addr_key = 'eve@example.com'")" 0
out=$(post "$WTOK" /v1/suppress "$T/s.json")
is "a write token suppresses" "$(echo "$out" | field 'd["changed"], d["actor"]')" "(True, 'crm')"
is "... the history names the token as the actor" \
	"$(pg_sql "SELECT action || ' ' || actor || ' ' || reason FROM suppression_history WHERE addr_key = 'eve@example.com'")" "added crm asked by phone"
printf '{"address": "eve@example.com"}' >"$T/s2.json"
is "a change without a reason: 400" "$(post "$WTOK" /v1/suppress "$T/s2.json" | cut -c1-3)" 400
printf '{"address": "nope", "reason": "x"}' >"$T/s3.json"
is "suppressing a non-address: 422" "$(post "$WTOK" /v1/suppress "$T/s3.json" | cut -c1-3)" 422
printf '{"address": "EVE@example.com", "reason": "wrong entry"}' >"$T/u.json"
is "a write token unsuppresses" "$(post "$WTOK" /v1/unsuppress "$T/u.json" | field 'd["changed"]')" True
is "eve is sendable again" "$(get "$RTOK" "/v1/check?address=eve@example.com" | field 'd["suppressed"]')" False

# the change log from a cursor
out=$(get "$RTOK" "/v1/changes?after=0&limit=2")
next=$(echo "$out" | field 'd["next"]')
is "changes: the first page" "$(echo "$out" | field 'len(d["changes"])')" 2
out=$(get "$RTOK" "/v1/changes?after=$next")
is "changes: the rest after the cursor, eve added then removed" \
	"$(echo "$out" | field '[c["action"] + " " + c["address"] for c in d["changes"]]')" \
	"['added eve@example.com', 'removed eve@example.com']"
is "changes: a bad cursor is 400" "$(get "$RTOK" "/v1/changes?after=x" | cut -c1-3)" 400

out=$(curl -sS "$U/metrics")
check "metrics: requests by endpoint and code" 'echo "$out" | grep -q "rebound_http_requests_total{endpoint=\"check\",code=\"200\"} [1-9]"'
check "metrics: a latency histogram" 'echo "$out" | grep -q "rebound_http_request_duration_seconds_bucket{endpoint=\"check_batch\",le=\"+Inf\"} [1-9]"'
check "metrics: authentication failures counted" 'echo "$out" | grep -q "^rebound_auth_failures_total [1-9]"'

# the database goes away: 503, never "not suppressed"; then it comes back
pg_kill
out=$(get "$RTOK" "/v1/check?address=dave@example.org")
is "database down: a lookup answers 503" "$(echo "$out" | cut -c1-3)" 503
check "... without a suppressed=false" '! echo "$out" | grep -q "\"suppressed\":false"'
is "database down: a batch answers 503" "$(post "$RTOK" /v1/check "$T/b1.json" | cut -c1-3)" 503
is "database down: ready answers 503" "$(get x /v1/ready | cut -c1-3)" 503
pg_restart >/dev/null 2>&1
sleep 1.2
code=000
for i in 1 2 3 4 5 6 7 8 9 10; do
	code=$(get "$RTOK" "/v1/check?address=carol@example.org" | cut -c1-3)
	[ "$code" = 200 ] && break
	sleep 0.5
done
is "the database back: lookups answer again" "$code" 200
stop_serve

# TLS, and no plain HTTP off loopback
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/key.pem" -out "$T/cert.pem" \
	-days 2 -subj "/CN=localhost" -addext "subjectAltName=IP:127.0.0.1" >/dev/null 2>&1
start_serve --tls-cert "$T/cert.pem" --tls-key "$T/key.pem" || no "serve starts with TLS"
out=$(curl -sS --cacert "$T/cert.pem" -H "Authorization: Bearer $RTOK" "https://127.0.0.1:$PORT/v1/check?address=carol@example.org")
is "TLS: a lookup over HTTPS" "$(echo "x $out" | field 'd["suppressed"]')" True
check "TLS: plain HTTP gets no answer" '! curl -sS -m 3 "http://127.0.0.1:$PORT/v1/health" >/dev/null 2>&1'
stop_serve
"$R" serve --tokens "$T/tokens" --listen "0.0.0.0:$(free_port)" >/dev/null 2>"$T/err"
is "off loopback without TLS: refused (exit 2)" "$?" 2
check "... saying TLS is needed" 'grep -q "needs TLS" "$T/err"'
printf 'mailer read 5e88489\n' >"$T/plain.tokens"
"$R" serve --tokens "$T/plain.tokens" >/dev/null 2>"$T/err"
is "a tokens file with a token instead of its hash: refused" "$?" 2
