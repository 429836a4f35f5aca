#!/bin/sh
# POST /v1/unsubscribe-links of rebound serve against a real PostgreSQL:
# the header values exactly as `rebound unsubscribe-link` writes them; a
# batch of 500 whose every token works (its mailto: request through
# ingest, its one-click URL through serve) in the item's tenant and
# stream; the same batch again: the same values, no new row; tokens and
# their scopes (none, read only, bound to another tenant: refused); bad items refuse the whole
# request, naming the item; batch and body limits; the database down:
# 503 and no link; not configured: 404.
. "$(dirname "$0")/lib/setup.sh"
start_pg
export REBOUND_NOW=2025-03-12T12:00:00Z
"$R" db migrate >/dev/null 2>&1 || no "the schema is made"
KEY=$T/unsub.key
printf 'links-test-secret-0123456789abcdef\n' >"$KEY"
chmod 600 "$KEY"
MAILTO=unsubscribe@lists.example
BASE=https://u.example/
RTOK=$("$R" serve token mailer read 2>"$T/r.line")
WTOK=$("$R" serve token platform write 2>"$T/w.line")
grep -v '^#' "$T/r.line" >"$T/tokens"
grep -v '^#' "$T/w.line" >>"$T/tokens"
ATOK=$("$R" serve token acme-mailer write acme 2>"$T/a.line")
grep -v '^#' "$T/a.line" >>"$T/tokens"
check "a token bound to a tenant: its line says so" 'grep -q "^acme-mailer write sha256:[0-9a-f]\{64\} tenant=acme$" "$T/tokens"'
. "$(dirname "$0")/lib/serve.sh"
start_serve --max-body 200000 --unsubscribe-secret-file "$KEY" \
	--unsubscribe-address "$MAILTO" --unsubscribe-url "$BASE" || { no "serve starts"; exit 1; }
U="http://127.0.0.1:$PORT"
post() {	# TOKEN FILE: "CODE BODY"
	curl -sS -o "$T/body" -w '%{http_code}' -H "Authorization: Bearer $1" \
		-H 'Content-Type: application/json' --data-binary "@$2" "$U/v1/unsubscribe-links"
	printf ' '; cat "$T/body"
}
code() { cut -c1-3; }
field() { python3 -c 'import json,sys; d=json.loads(sys.stdin.read().split(" ",1)[1]); print(eval(sys.argv[1]))' "$1"; }
rows() { pg_sql "SELECT count(*) FROM unsubscribe_ids"; }
scope_of() { pg_sql "SELECT coalesce(string_agg(scope || ':' || class, ',' ORDER BY scope), '') FROM suppressions WHERE addr_key = '$1' AND removed_at IS NULL"; }

# ---- one link: the CLI's two header values, to the byte
printf '{"address": "Ann <ANN@Example.org>", "tenant": "acme", "stream": "news"}' >"$T/one.json"
out=$(post "$WTOK" "$T/one.json")
is "one link: 200" "$(echo "$out" | code)" 200
cli=$("$R" unsubscribe-link --secret-file "$KEY" --mailto "$MAILTO" --url "$BASE" --tenant acme --stream news "Ann <ANN@Example.org>")
api=$(echo "$out" | field '"List-Unsubscribe: " + d["list_unsubscribe"] + "\nList-Unsubscribe-Post: " + d["list_unsubscribe_post"]')
is "... the same header values as rebound unsubscribe-link" "$api" "$cli"
is "... for the address as rebound keeps it, in its scope" "$(echo "$out" | field 'd["address"], d["tenant"], d["stream"]')" "('ANN@Example.org', 'acme', 'news')"
check "... a mailto: with the short token and the one-click URL" \
	'echo "$api" | grep -q "^List-Unsubscribe: <mailto:unsubscribe+[a-z2-7]\{32\}@lists.example?subject=unsubscribe%20[a-z2-7]\{32\}>, <https://u.example/v1/unsubscribe/[0-9a-f]*\.[0-9a-f]\{64\}>$"'

# ---- a batch of 500: tenants acme/news (even) and zeta (odd)
python3 - "$T/b500.json" <<'PY'
import json, sys
links = [{"address": "u%d@example.org" % i, "tenant": "acme", "stream": "news"} if i % 2 == 0
         else {"address": "u%d@example.org" % i, "tenant": "zeta", "days": 30} for i in range(500)]
json.dump({"links": links}, open(sys.argv[1], "w"))
PY
r0=$(rows)
post "$WTOK" "$T/b500.json" >"$T/a1"
is "a batch of 500: 200" "$(code <"$T/a1")" 200
is "... 500 header pairs, in the order given" "$(field 'len(d["links"]), all(x["address"] == "u%d@example.org" % i and x["list_unsubscribe_post"] == "List-Unsubscribe=One-Click" for i, x in enumerate(d["links"]))' <"$T/a1")" "(500, True)"
is "... 500 rows made" "$(rows)" $((r0 + 500))
post "$WTOK" "$T/b500.json" >"$T/a2"
is "the same batch again: the same values" "$(field 'd' <"$T/a2")" "$(field 'd' <"$T/a1")"
is "... and no new row" "$(rows)" $((r0 + 500))
# the tokens: mailto: requests for the first 250, one-click for the rest
mkdir "$T/mails"
field 'json.dumps(d)' <"$T/a1" >"$T/a1.json"
python3 - "$T/a1.json" "$T/mails" "$T/urls" <<'PY'
import json, re, sys
d = json.load(open(sys.argv[1]))
with open(sys.argv[3], "w") as urls:
    for i, x in enumerate(d["links"]):
        m = re.match(r"<mailto:([^?]*)\?subject=([^>]*)>, <https://u\.example(/v1/unsubscribe/[^>]*)>$", x["list_unsubscribe"])
        if i < 250:
            with open("%s/m%03d.eml" % (sys.argv[2], i), "w") as f:
                f.write("From: <someone.else@example.net>\nTo: %s\nSubject: %s\n"
                        "Date: Wed, 12 Mar 2025 10:00:00 +0000\nMessage-ID: <m%03d@example.net>\n\n"
                        "Please take me off.\n" % (m.group(1), m.group(2).replace("%20", " "), i))
        else:
            urls.write(m.group(3) + "\n")
PY
"$R" ingest --quiet --unsubscribe-secret-file "$KEY" "$T"/mails/*.eml >/dev/null 2>"$T/ingest.log"
is "the 250 mailto: requests are stored" "$?" 0
bad=0
while read -r p; do
	c=$(curl -sS -o /dev/null -w '%{http_code}' -X POST --data 'List-Unsubscribe=One-Click' "$U$p")
	[ "$c" = 200 ] || bad=$((bad + 1))
done <"$T/urls"
is "the 250 one-click URLs answer 200" "$bad" 0
is "all 500 unsubscribed, each in its item's tenant and stream" \
	"$(pg_sql "SELECT count(*) FILTER (WHERE scope = CASE WHEN substring(addr_key FROM '^u([0-9]+)@')::int % 2 = 0 THEN 'acme/news' ELSE 'zeta' END) || '/' || count(*) FROM suppressions WHERE removed_at IS NULL AND addr_key LIKE 'u%@example.org'")" "500/500"
is "... the mailto: ones by their token, not the mail's From" "$(scope_of someone.else@example.net)" ""

# ---- tokens and their scopes
is "no bearer token: 401" "$(curl -sS -o /dev/null -w '%{http_code}' -X POST --data-binary "@$T/one.json" "$U/v1/unsubscribe-links")" 401
is "a wrong token: 401" "$(post rbt_wrong "$T/one.json" | code)" 401
is "a read-only token: 403" "$(post "$RTOK" "$T/one.json" | code)" 403
is "a token bound to acme, for acme: 200" "$(post "$ATOK" "$T/one.json" | code)" 200
printf '{"links": [{"address": "p@example.org", "tenant": "acme"}, {"address": "q@example.org", "tenant": "zeta"}]}' >"$T/other.json"
r1=$(rows)
out=$(post "$ATOK" "$T/other.json")
is "... for another tenant: 403 naming the item" "$(echo "$out" | code) $(echo "$out" | field 'd.get("index")')" "403 1"
is "... and nothing made" "$(rows)" "$r1"
is "... the same batch with an unbound write token: 200" "$(post "$WTOK" "$T/other.json" | code)" 200
is "a token bound to a tenant is refused elsewhere: 403" \
	"$(curl -sS -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $ATOK" "$U/v1/check?address=a@example.org&tenant=acme")" 403
is "GET: 405" "$(curl -sS -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $WTOK" "$U/v1/unsubscribe-links")" 405

# ---- bad items: 400 naming the item, nothing made
bad_item() {	# NAME ITEM-JSON WANT-IN-ERROR
	printf '{"links": [{"address": "ok1@example.org", "tenant": "acme"}, %s]}' "$2" >"$T/bad.json"
	r1=$(rows)
	out=$(post "$WTOK" "$T/bad.json")
	is "$1: 400 naming item 1" "$(echo "$out" | code) $(echo "$out" | field 'd.get("index")')" "400 1"
	check "... saying why ($3), and no row made" \
		'echo "$out" | field "d[\"error\"]" | grep -qi "$3" && [ "$(rows)" = "$r1" ]'
}
bad_item "not an address" '{"address": "not an address", "tenant": "acme"}' "not an address"
bad_item "an address without a domain" '{"address": "bob", "tenant": "acme"}' "not an address"
bad_item "an unknown field" '{"address": "b@example.org", "tenant": "acme", "list": "x"}' "unknown field"
bad_item "no tenant" '{"address": "b@example.org"}' "tenant"
bad_item "a tenant over 64 characters" "{\"address\": \"b@example.org\", \"tenant\": \"$(printf 't%.0s' $(seq 65))\"}" "tenant"
bad_item "a stream with a bad character" '{"address": "b@example.org", "tenant": "acme", "stream": "a b"}' "stream"
bad_item "days out of range" '{"address": "b@example.org", "tenant": "acme", "days": 0}' "days"
printf '{"links": []}' >"$T/empty.json"
is "an empty batch: 400" "$(post "$WTOK" "$T/empty.json" | code)" 400
printf 'not json' >"$T/nojson.json"
is "not JSON: 400" "$(post "$WTOK" "$T/nojson.json" | code)" 400
python3 -c 'import json; print(json.dumps({"links": [{"address": "x%d@example.org" % i, "tenant": "acme"} for i in range(1001)]}))' >"$T/b1001.json"
r1=$(rows)
out=$(post "$WTOK" "$T/b1001.json")
is "1,001 links: 400" "$(echo "$out" | code)" 400
check "... saying the limit, no row made" 'echo "$out" | grep -q "at most 1000" && [ "$(rows)" = "$r1" ]'
python3 -c 'import json; print(json.dumps({"links": [{"address": "y%d@example.org" % i + "x" * 200, "tenant": "acme"} for i in range(1000)]}))' >"$T/big.json"
is "a body over --max-body: 413" "$(post "$WTOK" "$T/big.json" | code)" 413

# ---- the database down: 503, no link
pg_kill
out=$(post "$WTOK" "$T/b500.json")
is "the database down: 503" "$(echo "$out" | code)" 503
check "... no link in the answer" '! echo "$out" | grep -q "<mailto:"'
pg_restart >/dev/null 2>&1
sleep 1.2
c=000
for i in 1 2 3 4 5 6 7 8 9 10; do
	c=$(post "$WTOK" "$T/one.json" | code)
	[ "$c" = 200 ] && break
	sleep 0.5
done
is "the database back: links again" "$c" 200
stop_serve

# ---- not configured: 404; a URL base alone needs no row
start_serve || { no "serve starts"; exit 1; }
U="http://127.0.0.1:$PORT"
is "no secret: 404" "$(post "$WTOK" "$T/one.json" | code)" 404
stop_serve
start_serve --unsubscribe-secret-file "$KEY" --unsubscribe-url "$BASE" || { no "serve starts"; exit 1; }
U="http://127.0.0.1:$PORT"
printf '{"address": "url-only@example.org", "tenant": "acme"}' >"$T/u.json"
r1=$(rows)
out=$(post "$WTOK" "$T/u.json")
cli=$("$R" unsubscribe-link --secret-file "$KEY" --url "$BASE" --tenant acme url-only@example.org | sed -n 's/^List-Unsubscribe: //p')
is "a URL base alone: the CLI's value, no mailto:" "$(echo "$out" | field 'd["list_unsubscribe"]')" "$cli"
is "... and no row" "$(rows)" "$r1"
stop_serve
"$R" serve --tokens "$T/tokens" --unsubscribe-address "a+b@lists.example" >/dev/null 2>"$T/err"
is "a bad --unsubscribe-address: usage error" "$?" 2
"$R" serve --tokens "$T/tokens" --unsubscribe-url "ftp://x" >/dev/null 2>"$T/err"
is "a bad --unsubscribe-url: usage error" "$?" 2
printf 'x write sha256:%064d tenant=a/b\n' 0 >"$T/bad.tokens"
"$R" serve --tokens "$T/bad.tokens" >/dev/null 2>"$T/err"
check "a tokens file with a bad tenant is refused" '[ $? = 2 ] && grep -q "tenant=NAME" "$T/err"'
