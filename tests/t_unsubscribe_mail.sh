#!/bin/sh
# Unsubscribes that arrive by mail (RFC 2369 List-Unsubscribe mailto:),
# against the real PostgreSQL and Dovecot: a request with a valid token
# lands in the token's tenant and stream and nowhere else; forged and
# expired tokens are refused; an auto-reply to the unsubscribe address
# unsubscribes nobody; a repeated request adds nothing; in a mailbox
# marked `unsubscribe = yes` a request without a token unsubscribes its
# From in the mailbox's tenant, and in a bounce mailbox it does not; the
# daemon files a mail that produced a stored unsubscribe as processed, a
# refused request as unknown.
. "$(dirname "$0")/lib/setup.sh"
start_pg
export REBOUND_NOW=2025-03-12T12:00:00Z
F=tests/fixtures
KEY=$T/unsub.key
cp "$F/unsub/secret" "$KEY"
chmod 600 "$KEY"
ingest() { "$R" ingest --quiet --unsubscribe-secret-file "$KEY" "$@" >/dev/null 2>>"$T/ingest.log"; }
q() { "$R" query "$@" >/dev/null 2>&1; echo $?; }
scope_of() { pg_sql "SELECT coalesce(string_agg(scope || ':' || class, ',' ORDER BY scope), '') FROM suppressions WHERE addr_key = '$1' AND removed_at IS NULL"; }
kind_of() { pg_sql "SELECT string_agg(kind, ',' ORDER BY id) FROM events WHERE report_message_id = '$1'"; }
err_of() { pg_sql "SELECT string_agg(doc->>'error', '; ' ORDER BY id) FROM events WHERE $1"; }

# ---- the link: mailto with the short token in the local part and the
# subject, the one-click URL with the long one
link=$("$R" unsubscribe-link --secret-file "$KEY" --mailto unsubscribe@lists.mailpost.example \
	--url https://u.mailpost.example --tenant beta --stream news bea@example.org)
tok=$(echo "$link" | sed -n 's/^List-Unsubscribe: <mailto:unsubscribe+\([a-z2-7]*\)@lists.mailpost.example?subject=unsubscribe%20\([a-z2-7]*\)>, <https:.*\/v1\/unsubscribe\/\([0-9a-f.]*\)>$/\1 \2 \3/p')
set -- $tok
TB=$1 T2=$2 T3=$3
check "unsubscribe-link: the same short token in the mailto local part and its subject, a long one in the URL" \
	'[ ${#TB} = 32 ] && [ "$TB" = "$T2" ] && [ ${#T3} -gt 100 ]'
printf 'unsubscribe_address = leave@lists.mailpost.example\nunsubscribe_secret_file = %s\n' "$KEY" >"$T/c.conf"
l2=$("$R" unsubscribe-link --config "$T/c.conf" --tenant beta bea@example.org)
check "unsubscribe-link: address and secret from the configuration, no Post without a URL" \
	'echo "$l2" | grep -q "^List-Unsubscribe: <mailto:leave+[a-z2-7]\{32\}@lists.mailpost.example?subject=unsubscribe%20[a-z2-7]\{32\}>$" && ! echo "$l2" | grep -q Post'
"$R" unsubscribe-link --secret-file "$KEY" --mailto 'a+b@x.example' --tenant beta x@example.org >/dev/null 2>&1
is "unsubscribe-link: a mailto address with a + tag is refused" $? 2

# ---- a valid token (Gmail's mailto unsubscribe): the token's tenant/stream
ingest "$F/unsubscribe-gmail.eml"
is "valid token: suppressed in acme/news as unsubscribe" "$(scope_of ann@example.org)" "acme/news:unsubscribe"
check "valid token: acme/news suppressed, acme/orders and beta not" \
	'[ "$(q --tenant acme --stream news ann@example.org)" = 3 ] && [ "$(q --tenant acme --stream orders ann@example.org)" = 0 ] && [ "$(q --tenant beta ann@example.org)" = 0 ]'
is "valid token: the event is stored as kind unsubscribe, class unsubscribe" \
	"$(pg_sql "SELECT kind || ' ' || policy_class || ' ' || tenant || '/' || stream || ' ' || tenant_from FROM events WHERE addr_key = 'ann@example.org'")" \
	"unsubscribe unsubscribe acme/news unsubscribe token"
"$R" explain ann@example.org >"$T/explain.txt" 2>&1
check "explain shows the unsubscribe, its scope and how the tenant was found" \
	'grep -q "scope acme/news: SUPPRESSED" "$T/explain.txt" && grep -q "unsubscribe" "$T/explain.txt" && grep -q "by unsubscribe token" "$T/explain.txt"'

# the +tag dropped, the token in the subject, sent from another address:
# the token's address is unsubscribed, not the From
ingest "$F/unsubscribe-subject-token.eml"
is "token in the subject: the token's address, not the From" \
	"$(scope_of ann.forward@example.net)|$(pg_sql "SELECT count(*) FROM events WHERE addr_key = 'ann@example.org'")" "|2"

# Apple Mail's unsubscribe (Auto-Submitted: auto-replied, X-Apple-Unsubscribe)
# to the signed address: the token's scope, not a global complaint
FTOK=310961636d65096e65777309616e6e406578616d706c652e6f72670934313032323732303030.70a2ff30bc1214016a1f943ac32fcc18653236ba3f4cac9cf3a8385878bdaf9e
itok=$("$R" unsubscribe-link --secret-file "$KEY" --mailto u@x.example --tenant beta --stream promo ivy@example.org | sed -n 's/.*subject=unsubscribe%20\([a-z2-7]*\)>.*/\1/p')
sed "s/$FTOK/$itok/g; s/ann@example.org/ivy@example.org/g; s/^Message-ID: .*/Message-ID: <apple-ivy@example.org>/" "$F/unsubscribe-apple.eml" >"$T/apple.eml"
ingest "$T/apple.eml"
is "Apple Mail's unsubscribe with a token: beta/promo, kind unsubscribe" \
	"$(scope_of ivy@example.org) $(kind_of apple-ivy@example.org)" "beta/promo:unsubscribe unsubscribe"

# ---- a repeated request adds nothing
before=$(counts)
ingest "$F/unsubscribe-gmail.eml"
is "the same mail again changes nothing" "$(counts)" "$before"
sed 's/^Message-ID: .*/Message-ID: <again-2@mail.gmail.example>/' "$F/unsubscribe-gmail.eml" >"$T/again.eml"
h=$(pg_sql "SELECT count(*) FROM suppression_history")
s=$(pg_sql "SELECT count(*) FROM suppressions")
ingest "$T/again.eml"
is "a second request: a new event, no new suppression or history row" \
	"$(pg_sql "SELECT count(*) FROM events WHERE addr_key = 'ann@example.org'") $(pg_sql "SELECT count(*) FROM suppressions") $(pg_sql "SELECT count(*) FROM suppression_history")" \
	"3 $s $h"

# ---- forged, altered and expired tokens are refused
mk() { # token subject-file: a request for the token, from from@
	cat >"$2" <<EOM
From: <$3>
To: unsubscribe+$1@lists.mailpost.example
Subject: unsubscribe $1
Date: Wed, 12 Mar 2025 10:00:00 +0000
Message-ID: <$(basename "$2")@example.org>

EOM
}
printf 'another-platform-secret-9876543210\n' >"$T/other.key"
chmod 600 "$T/other.key"
ftok=$("$R" unsubscribe-link --secret-file "$T/other.key" --mailto u@x.example --tenant acme eve@example.org | sed -n 's/.*subject=unsubscribe%20\([a-z2-7]*\)>.*/\1/p')
mk "$ftok" "$T/forged.eml" mallory@example.org
case "$1" in *a) atok=$(echo "$1" | sed 's/.$/b/') ;; *) atok=$(echo "$1" | sed 's/.$/a/') ;; esac
mk "$atok" "$T/altered.eml" mallory@example.org
etok=$(REBOUND_NOW=2024-01-01T00:00:00Z "$R" unsubscribe-link --secret-file "$KEY" --mailto u@x.example --days 30 --tenant acme old@example.org | sed -n 's/.*subject=unsubscribe%20\([a-z2-7]*\)>.*/\1/p')
mk "$etok" "$T/expired.eml" old@example.org
ingest "$T/forged.eml" "$T/altered.eml" "$T/expired.eml"
is "forged, altered, expired: nobody suppressed" \
	"$(scope_of eve@example.org)|$(scope_of bea@example.org)|$(scope_of old@example.org)|$(scope_of mallory@example.org)" "|||"
is "forged, altered, expired: stored as unknown with the reason" \
	"$(err_of "kind = 'unknown' AND doc->>'error' LIKE 'unsubscribe token refused:%'")" \
	"unsubscribe token refused: forged or altered token; unsubscribe token refused: forged or altered token; unsubscribe token refused: expired token"
grep -q "unsubscribe token refused: forged" "$T/ingest.log" && ok "a refused token is logged" || no "a refused token is logged"
grep -q "$1" "$T/ingest.log" && no "the log does not carry tokens" || ok "the log does not carry tokens"

# without the secret a valid token is refused too (fail closed: nobody is
# unsubscribed on an unchecked token)
sed 's/^Message-ID: .*/Message-ID: <nosecret@example.org>/; s/Ann Example <ann@example.org>/<nos@example.org>/' "$F/unsubscribe-subject-token.eml" >"$T/nosecret.eml"
"$R" ingest --quiet "$T/nosecret.eml" >/dev/null 2>&1
is "no secret configured: refused" "$(err_of "report_message_id = 'nosecret@example.org'")" \
	"unsubscribe token refused: no unsubscribe secret configured"

# ---- an auto-reply to the unsubscribe address unsubscribes nobody
ingest "$F/unsubscribe-ooo-reply.eml"
is "an out-of-office reply to the unsubscribe address: autoreply, no suppression" \
	"$(kind_of ooo-8812@mail.example.com)|$(scope_of carl@example.com)|$(pg_sql "SELECT count(*) FROM events WHERE addr_key = 'ann@example.org'")" "autoreply||3"

# ---- a request without a token in a bounce mailbox (files: no marked
# mailbox): refused
ingest "$F/unsubscribe-zh.eml"
is "退订 without a token outside an unsubscribe mailbox: refused" \
	"$(kind_of tencent_3A1F0C2B@qq.example)|$(scope_of zhangsan@qq.example)" "unknown|"

# ---- the daemon: an unsubscribe mailbox and a bounce mailbox on Dovecot
start_dovecot
dc_user bob secret
echo secret >"$DC_DIR/bob.pw"
chmod 600 "$DC_DIR/bob.pw"
rb_conf "$T/r.conf" "tenant = shopx" "unsubscribe = yes" \
	"[mailbox bob]" "host = localhost" "port = $DC_PORTS" "tls = implicit" \
	"ca_file = $DC_CA" "user = bob" "password_file = $DC_DIR/bob.pw" "tenant = shopy" \
	"unknown_action = move"
{ echo "unsubscribe_secret_file = $KEY"; cat "$T/r.conf"; } >"$T/d.conf"
cat >"$T/plain.eml" <<'EOM'
From: Frank <frank@example.org>
To: leave@lists.shopx.example
Subject: please stop
Date: Wed, 12 Mar 2025 09:00:00 +0000
Message-ID: <plain-1@example.org>

Please take me off your list.
EOM
sed 's/<plain-1@/<plain-2@/; s/frank@/gina@/' "$T/plain.eml" >"$T/plain2.eml"
# no token, no unsubscribe address or word: only the mailbox makes it a
# request
sed 's/<plain-1@/<plain-3@/; s/frank@/hal@/; s/^To: .*/To: news@lists.shopx.example/; s/^Subject: .*/Subject: enough/' "$T/plain.eml" >"$T/plain3.eml"
stok=$("$R" unsubscribe-link --secret-file "$KEY" --mailto u@x.example --tenant shopy gus@example.org | sed -n 's/.*subject=unsubscribe%20\([a-z2-7]*\)>.*/\1/p')
mk "$stok" "$T/short-bob.eml" gus@example.org
cat >"$T/zh-bob.eml" <<'EOM'
From: hui@qq.example
To: bounces@mail.shopy.example
Subject: =?UTF-8?B?6YCA6K6i?=
Date: Wed, 12 Mar 2025 09:00:00 +0000
Message-ID: <zh-bob@qq.example>

EOM
sed 's/^Message-ID: .*/Message-ID: <zh-alice@qq.example>/' "$F/unsubscribe-zh.eml" >"$T/zh-alice.eml"
sed 's/^Message-ID: .*/Message-ID: <ooo-alice@mail.example.com>/' "$F/unsubscribe-ooo-reply.eml" >"$T/ooo-alice.eml"
sed 's/^Message-ID: .*/Message-ID: <forged-alice@example.org>/' "$T/forged.eml" >"$T/forged-alice.eml"
sed 's/^Message-ID: .*/Message-ID: <tok-alice@example.org>/; s/^From: .*/From: <bea@example.org>/' "$F/unsubscribe-gmail.eml" >"$T/tok-alice.eml"
dc_fill alice "$T/plain.eml" "$T/zh-alice.eml" "$T/ooo-alice.eml" "$T/forged-alice.eml" "$T/tok-alice.eml" "$T/plain3.eml"
dc_fill bob "$T/plain2.eml" "$T/zh-bob.eml" "$T/short-bob.eml"
"$R" run --once --config "$T/d.conf" 2>"$T/run.log"
is "daemon: one pass exits 0" $? 0
is "marked mailbox: a plain mail unsubscribes its From in the mailbox's tenant" \
	"$(scope_of frank@example.org)" "shopx:unsubscribe"
is "marked mailbox: 退订 without a token, the From in the mailbox's tenant" \
	"$(scope_of zhangsan@qq.example)" "shopx:unsubscribe"
check "marked mailbox: the From's unsubscribe does not suppress for another tenant" \
	'[ "$(q --tenant shopx frank@example.org)" = 3 ] && [ "$(q --tenant shopy frank@example.org)" = 0 ]'
is "marked mailbox: a forged token falls back to the From, never the token's address" \
	"$(scope_of mallory@example.org)|$(scope_of eve@example.org)" "shopx:unsubscribe|"
is "marked mailbox: a valid token still names its own tenant and stream" \
	"$(scope_of ann@example.org)" "acme/news:unsubscribe"
is "marked mailbox: the out-of-office reply unsubscribes nobody" "$(scope_of carl@example.com)" ""
is "bounce mailbox: neither a plain mail nor 退订 without a token unsubscribes" \
	"$(scope_of gina@example.org)|$(scope_of hui@qq.example)" "|"
is "marked mailbox: a mail with neither token nor unsubscribe word unsubscribes its From" \
	"$(scope_of hal@example.org)" "shopx:unsubscribe"
is "marked mailbox: every mail is filed as processed (that one included), none as unknown" \
	"$(dc_count alice INBOX) $(dc_count alice rebound/Processed) $(dc_count alice rebound/Unknown)" "0 6 0"
is "bounce mailbox: a short-token request is stored and processed, the refused ones filed as unknown" \
	"$(scope_of gus@example.org)|$(dc_count bob rebound/Processed) $(dc_count bob rebound/Unknown)" "shopy:unsubscribe|1 2"
"$R" explain frank@example.org >"$T/explain2.txt" 2>&1
check "explain: the From request and its tenant" \
	'grep -q "scope shopx: SUPPRESSED" "$T/explain2.txt" && grep -q "mailbox (unsubscribe from From)" "$T/explain2.txt"'

# ---- policy replay moves unsubscribes with scope.unsubscribe
printf 'scope.unsubscribe = tenant\n' >"$T/tenant.policy"
REBOUND_POLICY="$T/tenant.policy" "$R" policy replay >"$T/replay.txt" 2>&1
is "replay with scope.unsubscribe = tenant: acme/news becomes acme, the From request stays in its tenant" \
	"$(scope_of ann@example.org)|$(scope_of frank@example.org)" "acme:unsubscribe|shopx:unsubscribe"

# ---- the reports read complaints and bounces only: unsubscribe events in
# the store do not break them, and are not counted as complaints
"$R" report complaints --from 2025-03-01 --to 2025-03-12 --format json >"$T/rep.json" 2>"$T/rep.err"
is "report complaints runs beside unsubscribe events" "$?" 0
"$R" report bounces --from 2025-03-01 --to 2025-03-12 >/dev/null 2>>"$T/rep.err"
is "report bounces runs beside unsubscribe events" "$?" 0
is "message outcomes as stored: a From request is events, a refused request unknown" \
	"$(pg_sql "SELECT string_agg(m.outcome, ',' ORDER BY e.report_message_id) FROM messages m JOIN events e ON e.message_id = m.id WHERE e.report_message_id IN ('plain-1@example.org', 'plain-2@example.org')")" "events,unknown"
