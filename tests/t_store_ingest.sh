#!/bin/sh
# Ingest is idempotent and deduplicates; hostile addresses are stored
# verbatim and safely; list/export/import/filter/explain; NOTIFY; the
# read-only role.
. "$(dirname "$0")/lib/setup.sh"
start_pg
export REBOUND_NOW=2025-03-01T00:00:00Z
# the shared bounce corpus beside the checkout, when present
C=${REBOUND_CORPUS:-$(cd .. && pwd)/shared/corpus}
[ -d "$C" ] || C=

out=$("$R" ingest tests/fixtures $C 2>&1)
check "ingest fixtures + corpus" '[ $? -eq 0 ] || echo "$out" | grep -q "^messages:"'
c1=$(counts)
echo "# after first ingest (messages/events/suppressions/history): $c1"
out=$("$R" ingest tests/fixtures $C 2>&1)
c2=$(counts)
check "ingest twice changes nothing ($c2)" '[ "$c1" = "$c2" ]'
check "second run reports every message as a duplicate" 'echo "$out" | grep -q "(new 0, duplicates skipped"'
check "second run: no new suppression" 'echo "$out" | grep -q "^suppressions: 0 new, 0 changed"'
check "every message stored once" '[ "$(pg_sql "SELECT count(*) - count(DISTINCT sha256) FROM messages")" = 0 ]'
check "every event has its full JSON" '[ "$(pg_sql "SELECT count(*) FROM events WHERE doc->>'"'kind'"' IS NULL")" = 0 ]'

# another copy of the same report (other bytes, same Message-ID)
mk_dsn "$D/a.eml" copy@example.com 5.1.1 "550 5.1.1 user unknown" "Mon, 06 Jan 2025 10:00:00 +0000" "same-report@mx.example.net"
{ echo "X-Refetched: yes"; cat "$D/a.eml"; } >"$D/b.eml"
"$R" ingest --quiet "$D/a.eml" >/dev/null
out=$("$R" ingest "$D/b.eml")
check "a second copy of one report: message stored" 'echo "$out" | grep -q "^messages: 1 (new 1"'
check "a second copy of one report: event counted once" 'echo "$out" | grep -q "duplicate reports skipped 1"'
check "one event for copy@example.com" '[ "$(pg_sql "SELECT count(*) FROM events WHERE addr_key = '"'copy@example.com'"'")" = 1 ]'
# duplicates inside one batch (same file twice, and an mbox with repeats)
mk_dsn "$D/c.eml" twice@example.com 5.1.1 "550 5.1.1 user unknown" "Mon, 06 Jan 2025 10:00:00 +0000"
out=$("$R" ingest "$D/c.eml" "$D/c.eml")
check "same mail twice in one batch: stored once" 'echo "$out" | grep -q "^messages: 2 (new 1, duplicates skipped 1)"'
check "one suppression, one history row" '[ "$(pg_sql "SELECT count(*) FROM suppression_history WHERE addr_key = '"'twice@example.com'"'")" = 1 ]'

# a hard bounce naming no domain (kept as the report wrote it): the event
# is stored, no suppression is made (nothing could ask about it, and an
# export of it could not be imported again)
mk_dsn "$D/bare.eml" rb-bare-local 5.1.1 "550 5.1.1 user unknown" "Mon, 06 Jan 2025 10:00:00 +0000"
"$R" ingest --quiet "$D/bare.eml" >/dev/null
check "a recipient with no domain: its event is stored" '[ "$(pg_sql "SELECT count(*) FROM events WHERE recipient = '"'rb-bare-local'"'")" = 1 ]'
check "a recipient with no domain suppresses nothing" '[ "$(pg_sql "SELECT count(*) FROM suppressions WHERE address = '"'rb-bare-local'"'")" = 0 ]'

# hostile addresses: stored verbatim, matched by key, no SQL injection
H1="\"o'brien\\\"; DROP TABLE suppressions;--\"@Example.COM"
H2='"tab	and\\back\\\\slash"@example.org'
H3='Jörg.Müller@Bücher.DE'
H4='"very.(),:;<>[]\".VERY.\"very@\\ \"very\".unusual"@strange.example.com'
H5='用户@例子.广告'
"$R" suppress --reason "hostile test" --actor "t'; --" "$H1" "$H2" "$H3" "$H4" "$H5" >/dev/null
check "tables intact" '[ "$(pg_sql "SELECT count(*) FROM suppressions")" -gt 5 ]'
for h in "$H1" "$H2" "$H3" "$H4" "$H5"; do
	"$R" query "$h" >/dev/null 2>&1
	check "hostile address suppressed and found: $h" '[ $? -eq 3 ]'
done
check "verbatim storage of quotes and SQL" '[ "$(pg_sql "SELECT count(*) FROM suppressions WHERE address = \$\$$H1\$\$")" = 1 ]'
check "IDN: U-label and A-label forms match" '"$R" query "jörg.müller@xn--bcher-kva.de" >/dev/null; [ $? -eq 3 ]'
check "IDN: CJK A-label form matches" '"$R" query "用户@xn--fsqu00a.xn--4rr70v" >/dev/null; [ $? -eq 3 ]'
j=$("$R" list --format json --class manual)
check "list --format json is valid JSON Lines" 'printf "%s\n" "$j" | python3 -c "import json,sys; [json.loads(l) for l in sys.stdin]"'
check "JSON keeps the address verbatim" 'printf "%s\n" "$j" | python3 -c "import json,sys; a=[json.loads(l)[\"address\"] for l in sys.stdin]; sys.exit(0 if sys.argv[1] in a else 1)" "$H4"'

# filter: only what may be sent; --suppressed the opposite; order kept
printf 'ok1@example.com\nTWICE@example.com\n\nok2@example.com\n%s\n' "$H3" >"$PG_DIR/in.txt"
check "filter keeps the sendable, in order" '[ "$("$R" filter <"$PG_DIR/in.txt" | tr "\n" " ")" = "ok1@example.com ok2@example.com " ]'
check "filter --suppressed" '[ "$("$R" filter --suppressed <"$PG_DIR/in.txt" | tr "\n" " ")" = "TWICE@example.com $H3 " ]'

# export -> import into a fresh list; filters of list
"$R" export >"$PG_DIR/export.csv"
check "export has a header and every active suppression" '[ $(($(wc -l <"$PG_DIR/export.csv") - 1)) -ge "$(pg_sql "SELECT count(*) FROM rebound_active_suppressions")" ]'
pg_sql "CREATE DATABASE rebound2" >/dev/null
DB2="host=127.0.0.1 port=$PGPORT user=postgres dbname=rebound2"
out=$("$R" import --db "$DB2" --actor importer "$PG_DIR/export.csv")
check "import into an empty database ($out)" '[ "$("$R" list --db "$DB2" | wc -l)" = "$("$R" list | wc -l)" ]'
out=$("$R" import --db "$DB2" --actor importer "$PG_DIR/export.csv")
check "import again adds nothing" 'echo "$out" | grep -q ": 0 added"'
check "imported hostile address round-trips" '"$R" query --db "$DB2" "$H4" >/dev/null; [ $? -eq 3 ]'
check "list --domain" '"$R" list --domain EXAMPLE.COM | grep -q "^twice@example.com"'
check "list --class hard --reason userunknown" '"$R" list --class hard --reason userunknown | grep -q "^twice@example.com"'
check "list --since filters" '[ -z "$("$R" list --since 2030-01-01)" ]'
check "list --format csv" '"$R" list --format csv | head -1 | grep -q "^address,class"'
check "query --format json" '"$R" query --format json twice@example.com | python3 -c "import json,sys; d=json.loads(sys.stdin.read()); sys.exit(0 if d[\"suppressed\"] and d[\"class\"]==\"hard\" else 1)"'
check "explain names the rule, the event and the mail" '"$R" explain twice@example.com | grep -q "rule hard:userunknown" && "$R" explain twice@example.com | grep -q "mail: .*c.eml"'
"$R" explain nobody@nowhere.example >/dev/null
check "explain of an unknown address exits 0 (3 means suppressed)" '[ $? -eq 0 ]'
"$R" suppress --reason x "o'brien\"; DROP TABLE suppressions;--@Example.COM" >/dev/null 2>&1
check "unquoted, SQL in a local part is not an address (exit 5)" '[ $? -eq 5 ]'

# NOTIFY on a new suppression, delivered at commit
( "$PG_BIN/psql" -XAtq -h 127.0.0.1 -p "$PGPORT" -U postgres -d rebound \
	-c "LISTEN rebound_suppression" -c "SELECT pg_sleep(3)" >"$PG_DIR/notify.out" 2>&1 ) &
lp=$!
sleep 1
"$R" suppress --reason n --actor t notify.me@example.com >/dev/null
wait $lp
nid=$(sed -n 's/.*payload "{"id" : \([0-9]*\)}".*/\1/p' "$PG_DIR/notify.out")
check "NOTIFY rebound_suppression with the change's id" '[ "$(pg_sql "SELECT address FROM suppression_history WHERE id = ${nid:-0}")" = notify.me@example.com ]'

# the read-only role
pg_sql "CREATE ROLE mailer LOGIN; GRANT rebound_reader TO mailer" >/dev/null
check "reader role reads the view" '[ -n "$("$PG_BIN/psql" -XAtq -h 127.0.0.1 -p "$PGPORT" -U mailer -d rebound -c "SELECT count(*) FROM rebound_active_suppressions")" ]'
check "reader role cannot read the events" '! "$PG_BIN/psql" -XAtq -h 127.0.0.1 -p "$PGPORT" -U mailer -d rebound -c "SELECT 1 FROM events LIMIT 1" >/dev/null 2>&1'
check "reader role cannot write" '! "$PG_BIN/psql" -XAtq -h 127.0.0.1 -p "$PGPORT" -U mailer -d rebound -c "DELETE FROM suppressions" >/dev/null 2>&1'

# raw bytes: kept with a retention when the policy says so, then pruned
printf 'keep_raw = yes\nraw_retention = 10d\n' >"$PG_DIR/raw.conf"
mk_dsn "$D/raw.eml" raw@example.com 5.1.1 "550 5.1.1 user unknown" "Mon, 06 Jan 2025 10:00:00 +0000"
"$R" ingest --quiet --policy "$PG_DIR/raw.conf" "$D/raw.eml" >/dev/null
check "raw bytes kept, identical to the file" '[ "$(pg_sql "SELECT encode(sha256(raw), '"'hex'"') = encode(messages.sha256, '"'hex'"') FROM messages WHERE source LIKE '"'%raw.eml'"'")" = t ]'
check "without keep_raw nothing is kept" '[ "$(pg_sql "SELECT count(*) FROM messages WHERE raw IS NOT NULL")" = 1 ]'
REBOUND_NOW=2025-03-05T00:00:00Z "$R" db prune >/dev/null
check "prune before the retention keeps them" '[ "$(pg_sql "SELECT count(*) FROM messages WHERE raw IS NOT NULL")" = 1 ]'
REBOUND_NOW=2025-03-20T00:00:00Z "$R" db prune >/dev/null
check "prune after the retention clears them" '[ "$(pg_sql "SELECT count(*) FROM messages WHERE raw IS NOT NULL")" = 0 ]'
