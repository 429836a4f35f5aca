#!/bin/sh
# The short mailto: unsubscribe token (core/unsubscribe.h), against the
# real PostgreSQL and Dovecot: the local part fits the 64 octets of RFC
# 5321 whatever the address, tenant and stream; it names one stored row
# per subscriber scope; it works however an MTA folds its case; forged,
# altered, expired and unknown ones are refused; tokens of the long form
# still work; no database, no link; the read-only role cannot read the
# rows.  (The daemon's filing of requests: t_unsubscribe_mail.sh.)
. "$(dirname "$0")/lib/setup.sh"
start_pg
export REBOUND_NOW=2025-03-12T12:00:00Z
KEY=$T/unsub.key
printf 'short-token-test-secret-0123456789\n' >"$KEY"
chmod 600 "$KEY"
ingest() { "$R" ingest --quiet --unsubscribe-secret-file "$KEY" "$@" >/dev/null 2>>"$T/ingest.log"; }
link() { "$R" unsubscribe-link --secret-file "$KEY" "$@"; }
# the token of a link's mailto: subject
stok() { sed -n 's/.*subject=unsubscribe%20\([^>]*\)>.*/\1/p'; }
scope_of() { pg_sql "SELECT coalesce(string_agg(scope || ':' || class, ',' ORDER BY scope), '') FROM suppressions WHERE addr_key = '$1' AND removed_at IS NULL"; }
rows() { pg_sql "SELECT count(*) FROM unsubscribe_ids"; }
err_of() { pg_sql "SELECT coalesce(string_agg(doc->>'error', '; ' ORDER BY id), '') FROM events WHERE report_message_id = '$1'"; }
mk() { # FILE TO SUBJECT FROM: a request
	cat >"$1" <<EOM
From: <$4>
To: $2
Subject: $3
Date: Wed, 12 Mar 2025 10:00:00 +0000
Message-ID: <$(basename "$1")@example.org>

Please take me off.
EOM
}

# ---- the local part fits 64 octets: a 254-octet address, 64-character
# tenant and stream names
l64=$(printf 'a%.0s' $(seq 64))
d=$(printf 'b%.0s' $(seq 63)).$(printf 'c%.0s' $(seq 63)).$(printf 'd%.0s' $(seq 53)).example
long=$l64@$d
TN=$(printf 't%.0s' $(seq 64))
SN=$(printf 's%.0s' $(seq 64))
is "the subscriber's address is 254 octets" "${#long}" 254
out=$(link --mailto unsubscribe@lists.example --url https://u.example --tenant "$TN" --stream "$SN" "$long")
is "unsubscribe-link with a 254-octet address and 64-character names" "$?" 0
local=$(echo "$out" | sed -n 's/^List-Unsubscribe: <mailto:\([^@]*\)@lists.example?.*/\1/p')
check "the mailto: local part is at most 64 octets (${#local}: $local)" '[ -n "$local" ] && [ ${#local} -le 64 ]'
check "... lower-case base32, and the subject carries the same token" \
	'echo "$local" | grep -q "^unsubscribe+[a-z2-7]\{32\}$" && [ "unsubscribe+$(echo "$out" | stok)" = "$local" ]'
check "the one-click URL keeps the long token" 'echo "$out" | grep -q "/v1/unsubscribe/[0-9a-f]*\.[0-9a-f]\{64\}>$"'
n31=$(printf 'l%.0s' $(seq 31))
link --mailto "$n31@lists.example" --tenant acme x@example.org >"$T/ok31" 2>&1
is "a 31-octet --mailto local part is taken" "$?" 0
link --mailto "${n31}x@lists.example" --tenant acme x@example.org >"$T/ok32" 2>&1
is "a 32-octet one is refused (usage)" "$?" 2
check "... saying why" 'grep -q "at most 31 octets" "$T/ok32"'

# ---- one row per subscriber scope, the same link again
r0=$(rows)
t1=$(link --mailto u@lists.example --tenant acme --stream news ann@example.org | stok)
t2=$(link --mailto u@lists.example --tenant acme --stream news ann@example.org | stok)
is "the same inputs twice: the same token" "$t2" "$t1"
is "... and one row" "$(rows)" $((r0 + 1))
t3=$(link --mailto u@lists.example --tenant acme --stream orders ann@example.org | stok)
check "another stream: another token and another row" '[ "$t3" != "$t1" ] && [ "$(rows)" = $((r0 + 2)) ]'

# ---- a request with the short token; case folded by an MTA
mk "$T/r1.eml" "unsubscribe+$t1@lists.example" "unsubscribe $t1" bob@example.net
ingest "$T/r1.eml"
is "short token: the token's address in its tenant and stream, not the From" \
	"$(scope_of ann@example.org)|$(scope_of bob@example.net)" "acme/news:unsubscribe|"
T3U=$(echo "$t3" | tr a-z A-Z)
mk "$T/r2.eml" "UNSUBSCRIBE+$T3U@LISTS.EXAMPLE" "hello" bob@example.net
ingest "$T/r2.eml"
is "an upper-cased token (an MTA folded the local part) still works" \
	"$(scope_of ann@example.org)" "acme/news:unsubscribe,acme/orders:unsubscribe"
tz=$(link --mailto u@lists.example --tenant zeta zed@example.org | stok)
mk "$T/r3.eml" "$(echo "Unsubscribe+$tz@Lists.Example" | tr A-Z a-z)" "hello" bob@example.net
ingest "$T/r3.eml"
is "a lower-cased address (an MTA folded it) still works" "$(scope_of zed@example.org)" "zeta:unsubscribe"

# ---- a repeated request adds nothing: the same mail (nothing at all),
# another mail with the same token (no suppression or history row)
supp_hist() { pg_sql "SELECT (SELECT count(*) FROM suppressions) || ' ' || (SELECT count(*) FROM suppression_history)"; }
c0=$(counts)
sh0=$(supp_hist)
ingest "$T/r1.eml"
is "the same mail again changes nothing" "$(counts)" "$c0"
mk "$T/r1b.eml" "unsubscribe+$t1@lists.example" "unsubscribe" bob@example.net
ingest "$T/r1b.eml"
is "a second request with the token: no new suppression nor history row" "$(supp_hist)" "$sh0"

# ---- forged, altered, expired and unknown tokens are refused
printf 'another-platform-secret-9876543210\n' >"$T/other.key"
chmod 600 "$T/other.key"
tf=$("$R" unsubscribe-link --secret-file "$T/other.key" --mailto u@lists.example --tenant acme eve@example.org | stok)
mk "$T/forged.eml" "unsubscribe+$tf@lists.example" "unsubscribe $tf" mallory@example.org
tb=$(link --mailto u@lists.example --tenant acme bea@example.org | stok)
case "$tb" in *a) ta=${tb%?}b ;; *) ta=${tb%?}a ;; esac
mk "$T/altered.eml" "unsubscribe+$ta@lists.example" "unsubscribe $ta" mallory@example.org
te=$(REBOUND_NOW=2025-01-01T00:00:00Z link --mailto u@lists.example --days 1 --tenant acme old@example.org | stok)
mk "$T/expired.eml" "unsubscribe+$te@lists.example" "unsubscribe $te" old@example.org
# a well formed token of an id no row has: the id part of a real one
# raised (the version byte and id are the first 48 bits, characters 1-10)
tu=$(echo "$tb" | awk '{ c = substr($0, 9, 1) == "z" ? "y" : "z"; printf "%s%s%s\n", substr($0, 1, 8), c, substr($0, 10) }')
mk "$T/unknown.eml" "unsubscribe+$tu@lists.example" "unsubscribe $tu" mallory@example.org
ingest "$T/forged.eml" "$T/altered.eml" "$T/expired.eml" "$T/unknown.eml"
is "forged, altered, expired, unknown: nobody suppressed" \
	"$(scope_of eve@example.org)|$(scope_of bea@example.org)|$(scope_of old@example.org)|$(scope_of mallory@example.org)" "|||"
is "... each stored as unknown with its reason" \
	"$(err_of forged.eml@example.org)|$(err_of altered.eml@example.org)|$(err_of expired.eml@example.org)|$(err_of unknown.eml@example.org)" \
	"unsubscribe token refused: forged or altered token|unsubscribe token refused: forged or altered token|unsubscribe token refused: expired token|unsubscribe token refused: token of no stored subscriber"

# ---- a token of the long form, sent before the short one: still works
lt=$(link --url https://u.example --tenant acme --stream news cy@example.org | sed -n 's/.*\/v1\/unsubscribe\/\([0-9a-f.]*\)>.*/\1/p')
mk "$T/long.eml" "unsubscribe+$lt@lists.example" "unsubscribe $lt" someone@example.net
ingest "$T/long.eml"
is "a long token still works" "$(scope_of cy@example.org)" "acme/news:unsubscribe"
lx=$(REBOUND_NOW=2025-01-01T00:00:00Z link --url https://u.example --days 1 --tenant acme cx@example.org | sed -n 's/.*\/v1\/unsubscribe\/\([0-9a-f.]*\)>.*/\1/p')
mk "$T/longx.eml" "unsubscribe+$lx@lists.example" "unsubscribe $lx" cx@example.org
ingest "$T/longx.eml"
is "... and an expired long one is refused" "$(err_of longx.eml@example.org)" "unsubscribe token refused: expired token"

# ---- no database, no link
link --db "host=127.0.0.1 port=1 dbname=rebound connect_timeout=2" --mailto u@lists.example --tenant acme nodb@example.org >"$T/nodb.out" 2>"$T/nodb.err"
is "the database unreachable: exit 4" "$?" 4
check "... nothing on stdout, the reason on stderr" '[ ! -s "$T/nodb.out" ] && grep -qi "database\|connect" "$T/nodb.err"'
link --db "host=127.0.0.1 port=1 dbname=rebound connect_timeout=2" --url https://u.example --tenant acme nodb@example.org >"$T/nodb2.out" 2>&1
check "a one-click URL alone needs no database" '[ $? = 0 ] && grep -q "/v1/unsubscribe/" "$T/nodb2.out"'

# ---- the read-only role cannot read the subscribers' rows
pg_sql "CREATE ROLE mailer LOGIN; GRANT rebound_reader TO mailer" >/dev/null
check "the read-only role cannot read unsubscribe_ids" \
	'! "$PG_BIN/psql" -XAtq -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PGPORT" -U mailer -d rebound -c "SELECT address FROM unsubscribe_ids" >/dev/null 2>&1'
check "... while it reads its view" \
	'"$PG_BIN/psql" -XAtq -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PGPORT" -U mailer -d rebound -c "SELECT count(*) FROM rebound_active_suppressions" >/dev/null 2>&1'
