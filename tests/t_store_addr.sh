#!/bin/sh
# One address, many spellings: ingest, query, filter (lookups and the
# in-memory bulk mode), suppress/unsuppress, import and list --domain
# must all meet on one key (Unicode case folding and NFC for the local
# part, IDNA 2008 A-labels for the domain, whichever form was written);
# hostile bytes stay verbatim and harmless.
. "$(dirname "$0")/lib/setup.sh"
start_pg
suppressed() { "$R" query "$1" >/dev/null 2>&1; [ $? -eq 3 ]; }
export REBOUND_NOW=2025-01-31T12:00:00Z
DATE="Mon, 06 Jan 2025 10:00:00 +0000"

# stored through ingest in one spelling ...
mk_dsn "$D/u1.eml" "Jürgen.Straße@Bücher.DE" 5.1.1 "550 5.1.1 user unknown" "$DATE"
mk_dsn "$D/u2.eml" "ΣΊΣΥΦΟΣ@Παράδειγμα.Δοκιμή" 5.1.1 "550 5.1.1 user unknown" "$DATE"
mk_dsn "$D/u3.eml" "用户@例子.广告" 5.1.1 "550 5.1.1 user unknown" "$DATE"
"$R" ingest --quiet "$D" >/dev/null
check "ingest stored three suppressions" '[ "$(pg_sql "SELECT count(*) FROM suppressions")" = 3 ]'
check "keys: folded local part, A-label domain" '[ "$(pg_sql "SELECT string_agg(addr_key, chr(32) ORDER BY addr_key) FROM suppressions")" = "jürgen.strasse@xn--bcher-kva.de σίσυφοσ@xn--hxajbheg2az3al.xn--jxalpdlp 用户@xn--fsqu00a.xn--4rr70v" ]'
check "the address is kept as written" '[ "$(pg_sql "SELECT address FROM suppressions WHERE addr_key LIKE '"'j%'"'")" = "Jürgen.Straße@bücher.de" ]'
check "events and suppressions share the key" '[ "$(pg_sql "SELECT count(*) FROM events e JOIN suppressions s USING (addr_key)")" = 3 ]'
check "domain column in A-labels" '[ "$(pg_sql "SELECT domain FROM suppressions WHERE addr_key LIKE '"'j%'"'")" = xn--bcher-kva.de ]'

# ... found in every other
J1="JÜRGEN.STRASSE@bücher.de"
J2="jürgen.straße@xn--bcher-kva.de"
J3="$(printf 'Ju\314\210rgen.Stra\303\237e@BU\314\210CHER.de')"	# decomposed (NFD)
J4="<jürgen.strasse@ｂüｃｈｅｒ．ｄｅ.>"				# fullwidth, trailing dot
G1="σίσυφος@xn--hxajbheg2az3al.xn--jxalpdlp"				# final sigma, A-labels
C1="用户@例子。广告"							# ideographic full stop
for a in "$J1" "$J2" "$J3" "$J4" "$G1" "$C1"; do
	check "query finds $a" 'suppressed "$a"'
done
check "query --format json gives the key" '"$R" query --format json "$J3" | grep -q "\"addr_key\":\"jürgen.strasse@xn--bcher-kva.de\""'
printf '%s\n' "$J1" ok@example.com "$J2" "$J3" "$J4" "$G1" "$C1" "jurgen.strasse@bucher.de" >"$PG_DIR/in.txt"
check "filter (lookups) keeps only the unlisted" '[ "$("$R" filter <"$PG_DIR/in.txt" | tr "\n" " ")" = "ok@example.com jurgen.strasse@bucher.de " ]'
# the bulk (in-memory) mode starts after 50,000 lines
python3 -c 'import sys; sys.stdout.write("".join("fill%d@example.com\n" % i for i in range(50000)))' >"$PG_DIR/big.txt"
cat "$PG_DIR/in.txt" >>"$PG_DIR/big.txt"
check "filter (bulk mode) agrees" '[ "$("$R" filter <"$PG_DIR/big.txt" | tail -2 | tr "\n" " ")" = "ok@example.com jurgen.strasse@bucher.de " ] && [ "$("$R" filter --suppressed <"$PG_DIR/big.txt" | wc -l)" = 6 ]'

# manual changes in one spelling act on the others
"$R" unsuppress --reason "asked" --actor t "$J3" >/dev/null
check "unsuppress by the decomposed form lifts it" '! suppressed "$J1"'
"$R" suppress --reason "again" --actor t "$J4" >/dev/null
check "suppress by the fullwidth form" 'suppressed "$J2"'
out=$("$R" suppress --reason "again" --actor t "$J1")
check "suppressing another spelling: already suppressed" 'echo "$out" | grep -q "already suppressed"'
printf 'address\n%s\n%s\n' "$G1" "NEW.Ünïcode@Bücher.de" >"$PG_DIR/imp.csv"
out=$("$R" import --actor t "$PG_DIR/imp.csv")
check "import: the known one in another spelling is not added again ($out)" 'echo "$out" | grep -q "1 added"'
check "imported address found in its NFD spelling" 'suppressed "$(printf "new.U\314\210ni\314\210code@bu\314\210cher.de")"'
check "list --domain with the U-label" '[ "$("$R" list --domain BÜCHER.de | wc -l)" = 2 ]'
check "list --domain with the A-label" '[ "$("$R" list --domain xn--bcher-kva.de | wc -l)" = 2 ]'
check "explain in another spelling" '"$R" explain "$J1" | grep -q "rule"'

# hostile bytes: stored verbatim, folded only where they are valid
H1="$(printf 'Bad\377\376@Example.COM')"
H2="\"x'); DROP TABLE suppressions; --\"@Ünï.example"
H3="\"quoted\\\\ \\\"local\\\"\"@例子.广告"
"$R" suppress --reason hostile --actor t "$H1" "$H2" "$H3" >/dev/null
check "invalid UTF-8 suppressed and found (ASCII case-insensitive)" 'suppressed "$(printf "bad\377\376@example.com")"'
check "invalid bytes stored as U+FFFD" '[ "$(pg_sql "SELECT address FROM suppressions WHERE addr_key LIKE '"'bad%'"'")" = "$(printf "Bad\357\277\275\357\277\275@Example.COM")" ]'
printf 'ok@example.com\n%s\nBAD\377\376@example.com\n' "$H1" >"$PG_DIR/bad.txt"
check "filter: a line with invalid UTF-8 does not fail the list" '[ "$("$R" filter <"$PG_DIR/bad.txt")" = ok@example.com ]'
check "SQL metacharacters (quoted local part) with an IDN domain, other case" 'suppressed "\"x'"'"'); drop table suppressions; --\"@ÜNÏ.EXAMPLE"'
check "unquoted, the same text is not an address (exit 5)" '"$R" suppress --reason x "x'"'"'); DROP TABLE s; --@a.example" >/dev/null 2>&1; [ $? -eq 5 ]'
check "quoted local part with an IDN domain" 'suppressed "$H3"'
check "the table is still there" '[ "$(pg_sql "SELECT count(*) >= 6 FROM suppressions")" = t ]'
