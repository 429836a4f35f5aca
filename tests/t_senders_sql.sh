#!/bin/sh
# The SQL functions senders call (migration 011_senders) compute the
# same key as rebound's C code for the same text, on addresses chosen to
# be hard: Unicode case folding, decomposed accents, IDN in U- and
# A-label forms, fullwidth and ideographic dots, display names, BOM and
# odd spaces; what the C side refuses as "not an address" SQL refuses
# too.  Then the lookups: one address, an array, the reader role.
. "$(dirname "$0")/lib/setup.sh"
start_pg
"$R" db migrate >/dev/null || { no "db migrate"; exit 1; }
sql_key() {	# TEXT: rebound_addr_key(TEXT), "NULL" for NULL
	echo "SELECT rebound_addr_key(:'a')" |
		"$PG_BIN/psql" -XAtq -v ON_ERROR_STOP=1 -v a="$1" -P null=NULL
}
c_key() {	# TEXT: the C key (query --format json), "NULL" when refused
	"$R" query --format json -- "$1" 2>/dev/null | python3 -c '
import json, sys
o = json.loads(sys.stdin.readline() or "{}")
print(o.get("addr_key") or "NULL")'
}
BOM=$(printf '\357\273\277')
NBSP=$(printf '\302\240')
IDSP=$(printf '\343\200\200')
while IFS= read -r a; do
	[ -n "$a" ] || continue
	a=$(printf '%s' "$a" | sed "s/<BOM>/$BOM/g; s/<NBSP>/$NBSP/g; s/<IDSP>/$IDSP/g")
	c=$(c_key "$a")
	s=$(sql_key "$a")
	if [ "$c" = "$s" ]; then
		ok "same key in C and SQL: $a -> $c"
	else
		no "same key in C and SQL: $a" "C '$c', SQL '$s'"
	fi
done <<'LIST'
carol@example.org
CAROL@EXAMPLE.ORG
"Carol" <carol@example.org>
Carol Smith <Carol@Example.ORG>
<BOM>carol@example.org
<NBSP> carol@example.org <IDSP>
carol@example.org (Carol)
mailto:Carol@example.org
<mailto:carol@example.org>
"Doe, John" <john.doe@example.com>
Jürgen.Straße@Bücher.DE
JÜRGEN.STRASSE@bücher.de
jürgen.straße@xn--bcher-kva.de
Jürgen.Straße@BÜCHER.de
<jürgen.strasse@ｂüｃｈｅｒ．ｄｅ.>
ΣΊΣΥΦΟΣ@Παράδειγμα.Δοκιμή
σίσυφος@xn--hxajbheg2az3al.xn--jxalpdlp
用户@例子.广告
用户@例子。广告
用户@例子｡广告
张三 <用户@例子．广告>
ǅemal@ﬁle.example
ﬁ@Ⅸ.example
İstanbul@örnek.com.tr
x@ＥＸＡＭＰＬＥ.com
x@☃.net
x@a‍b.com
x@aשלום.com
x@שלום.com
x@-ab.例子
x@ab--cd.例子
"quoted\"local"@Bücher.de
"very.(),:;<>[]\".VERY.\"very@\\ \"very\".unusual"@strange.example.com
"Carol <x@y>" <carol@example.org>
"a>b"@example.com
"a b"@example.com
x@[192.0.2.1]
ok@例子.
x@例子..
not an address
foo@@bar
x@

@example.com
Carol <carol@example.org
carol@example.org>
carol@example.org,extra
a b@example.com
x@exa mple.com
x@ex..ample.com
LIST

# the lookups
"$R" suppress --reason test --actor t "Jürgen.Straße@Bücher.DE" "carol@example.org" >/dev/null
is "rebound_is_suppressed finds another spelling" \
	"$(pg_sql "SELECT rebound_is_suppressed('\"J\" <JU'||chr(776)||'RGEN.STRASSE@xn--bcher-kva.de>')")" t
is "rebound_is_suppressed: an unknown address" "$(pg_sql "SELECT rebound_is_suppressed('dave@example.org')")" f
out=$(pg_sql "SELECT rebound_is_suppressed('not an address')" 2>&1)
check "rebound_is_suppressed refuses a non-address (never 'false')" \
	'echo "$out" | grep -q "not an address"'
out=$(pg_sql "SELECT rebound_is_suppressed(NULL)" 2>&1)
check "rebound_is_suppressed refuses NULL" 'echo "$out" | grep -q "not an address"'
is "rebound_check: one row per element, in order, invalid ones suppressed" \
	"$(pg_sql "SELECT string_agg(ord || ':' || status || ':' || suppressed, ' ' ORDER BY ord) FROM rebound_check(ARRAY['Carol <CAROL@example.org>', 'dave@example.org', 'nope', NULL])")" \
	"1:suppressed:true 2:sendable:false 3:invalid:true 4:invalid:true"
"$R" unsuppress --reason test --actor t carol@example.org >/dev/null
is "an unsuppressed address is sendable again" "$(pg_sql "SELECT rebound_is_suppressed('carol@example.org')")" f

# the reader role: the functions, not the tables
pg_sql "CREATE ROLE mailer LOGIN; GRANT rebound_reader TO mailer" >/dev/null
as_reader() { "$PG_BIN/psql" -XAtq -v ON_ERROR_STOP=1 -U mailer -c "$1"; }
is "the reader may call rebound_is_suppressed" "$(as_reader "SELECT rebound_is_suppressed('JÜRGEN.strasse@bücher.de')")" t
is "the reader may call rebound_check" "$(as_reader "SELECT count(*) FROM rebound_check(ARRAY['a@b.c'])")" 1
is "the reader may compute a key" "$(as_reader "SELECT rebound_addr_key('A@B.C')")" a@b.c
check "the reader still cannot read the table" '! as_reader "SELECT 1 FROM suppressions LIMIT 1" >/dev/null 2>&1'
pg_sql "CREATE ROLE stranger LOGIN" >/dev/null
check "a role without rebound_reader may not call rebound_is_suppressed" \
	'! "$PG_BIN/psql" -XAtq -U stranger -c "SELECT rebound_is_suppressed('"'a@b.c'"')" >/dev/null 2>&1'
