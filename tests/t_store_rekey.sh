#!/bin/sh
# rebound db rekey against a real PostgreSQL: rows stored under keys of
# the earlier normalisation (written here with psql: ß kept, fullwidth
# domain not mapped) are missed by lookups until rekey; rekey moves
# events, history and suppressions to the new key, merges the rows of
# addresses whose keys now meet the way ingest would have (strongest
# class, soft days counted together, two copies of one report counted
# once), is atomic per batch, and a second run changes nothing.  With
# scopes: rows of one address in two scopes stay two rows, rows that meet
# in one scope merge, and nothing loses its scope.
. "$(dirname "$0")/lib/setup.sh"
start_pg
suppressed() { "$R" query "$1" >/dev/null 2>&1; [ $? -eq 3 ]; }
export REBOUND_NOW=2025-01-31T12:00:00Z
day() { echo "$1 Jan 2025 10:00:00 +0000"; }
ingest() { "$R" ingest --quiet "$@" >/dev/null; }
# the dedup key of store/batch.c for a report with a Message-ID, under
# key $1 (an SQL expression); checked against ingest's own below
dedup() {
	echo "sha256('\\x7200'::bytea || convert_to(report_message_id, 'UTF8') || '\\x00'::bytea || convert_to(kind, 'UTF8') || '\\x00'::bytea || convert_to($1, 'UTF8') || '\\x00'::bytea || convert_to(coalesce(status, ''), 'UTF8') || '\\x00'::bytea || convert_to(coalesce(feedback_type, ''), 'UTF8') || '\\x00'::bytea || convert_to(coalesce(reason, ''), 'UTF8') || '\\x00'::bytea)"
}
# oldify NEWKEY OLDKEY [OLDDOMAIN]: what an earlier rebound would have
# stored: every row of NEWKEY under OLDKEY (and its event dedup keys)
oldify() {
	dom=${3:-}
	pg_sql "BEGIN; SET LOCAL rebound.rekey = 'on';
	UPDATE events SET addr_key = '$2', dedup_key = CASE WHEN coalesce(report_message_id, '') <> '' THEN $(dedup "'$2'") ELSE dedup_key END${dom:+, domain = '$dom'} WHERE addr_key = '$1';
	UPDATE suppression_history SET addr_key = '$2' WHERE addr_key = '$1';
	UPDATE suppressions SET addr_key = '$2'${dom:+, domain = '$dom'} WHERE addr_key = '$1';
	COMMIT;" >/dev/null
}
snapshot() {
	pg_sql "SELECT 'e', id, addr_key, domain, encode(dedup_key, 'hex'), policy_class FROM events
		UNION ALL SELECT 'h', id, addr_key, action, class, coalesce(event_id, 0)::text FROM suppression_history
		UNION ALL SELECT 's', 0, addr_key, domain, class || coalesce(expires_at::text, '') || coalesce(removed_at::text, ''), coalesce(event_id, 0)::text FROM suppressions
		ORDER BY 1, 2, 3"
}
nkey() { pg_sql "SELECT count(*) FROM $1 WHERE addr_key = '$2'"; }

# plain rows that rekey must not touch
mk_dsn "$D/p1.eml" plain@example.com 5.1.1 "550 5.1.1 user unknown" "Mon, $(day 06)"
mk_arf "$D/p2.eml" "Ünïcode@Bücher.de" abuse "Mon, $(day 06)"
# A: ß in the local part (the old key kept it), hard bounce
mk_dsn "$D/a.eml" "Jürgen.Straße@Bücher.DE" 5.1.1 "550 5.1.1 user unknown" "Mon, $(day 06)"
# B: a fullwidth domain (the old key did not map it)
mk_dsn "$D/b.eml" "user@ｅｘａｍｐｌｅ.net" 5.1.1 "550 5.1.1 user unknown" "Mon, $(day 06)"
# C: two suppressions that meet: a complaint under the old key of
# Maß@shop.example, a hard bounce under the (new) key of MASS@shop.example
mk_arf "$D/c1.eml" "Maß@shop.example" abuse "Tue, $(day 07)"
# D: soft days that only together reach the threshold (3 within 14d)
mk_dsn "$D/d1.eml" "Weiß@soft.example" 4.2.2 "452 4.2.2 mailbox full" "Wed, $(day 20)"
mk_dsn "$D/d2.eml" "Weiß@soft.example" 4.2.2 "452 4.2.2 mailbox full" "Thu, $(day 23)"
mk_dsn "$D/d3.eml" "WEISS@soft.example" 4.2.2 "452 4.2.2 mailbox full" "Mon, $(day 27)"
# E: one report stored twice: a copy under the old key, then another
# copy (other bytes, same Message-ID) after the upgrade
mk_dsn "$D/e1.eml" "Groß@dup.example" 5.1.1 "550 5.1.1 user unknown" "Mon, $(day 06)" "same-report@mx.example.net"
{ echo "X-Refetched: yes"; cat "$D/e1.eml"; } >"$D/e2.eml"
ingest "$D/p1.eml" "$D/p2.eml" "$D/a.eml" "$D/b.eml" "$D/c1.eml" "$D/d1.eml" "$D/d2.eml" "$D/e1.eml"

check "the dedup key computed in SQL is ingest's own" '[ "$(pg_sql "SELECT count(*) FROM events WHERE coalesce(report_message_id, '"''"') <> '"''"' AND dedup_key <> $(dedup addr_key)")" = 0 ] && [ "$(pg_sql "SELECT count(*) FROM events WHERE coalesce(report_message_id, '"''"') <> '"''"'")" -ge 8 ]'
oldify "jürgen.strasse@xn--bcher-kva.de" "jürgen.straße@xn--bcher-kva.de"
oldify "user@example.net" "user@ｅｘａｍｐｌｅ.net" "ｅｘａｍｐｌｅ.net"
oldify "mass@shop.example" "maß@shop.example"
oldify "weiss@soft.example" "weiß@soft.example"
oldify "gross@dup.example" "groß@dup.example"
# stored after the upgrade, under new keys beside the old rows
mk_dsn "$D/c3.eml" "MASS@shop.example" 5.1.1 "550 5.1.1 user unknown" "Mon, $(day 27)"
ingest "$D/c3.eml" "$D/d3.eml" "$D/e2.eml"
check "precondition: the second copy of the report was stored (keys differ)" '[ "$(pg_sql "SELECT count(*) FROM events WHERE report_message_id = '"'<same-report@mx.example.net>'"' OR report_message_id = '"'same-report@mx.example.net'"'")" = 2 ]'
check "precondition: old rows are missed by lookups" '! suppressed "JÜRGEN.STRASSE@bücher.de" && ! suppressed user@example.net && ! suppressed weiss@soft.example'
check "precondition: two rows for Maß/MASS, two for Groß/GROSS" '[ "$(pg_sql "SELECT count(*) FROM suppressions WHERE domain IN ('"'shop.example'"', '"'dup.example'"')")" = 4 ]'
check "precondition: two soft days under one key, one under the other: not suppressed" '! suppressed WEISS@soft.example'
c_before=$(pg_sql "SELECT count(*) FROM events")
s_before=$(pg_sql "SELECT count(*) FROM suppressions")
h_before=$(pg_sql "SELECT count(*) FROM suppression_history")
hist_mass=$(pg_sql "SELECT count(*) FROM suppression_history WHERE addr_key IN ('maß@shop.example', 'mass@shop.example')")

snap0=$(snapshot)
out=$("$R" db rekey --dry-run 2>&1)
check "dry run counts ($out)" 'echo "$out" | grep -q "^would re-key [1-9][0-9]* event(s), [1-9][0-9]* history row(s), 4 suppression(s) under 5 new key(s)"'
check "dry run changes nothing" '[ "$(snapshot)" = "$snap0" ]'

# an interrupted run changes nothing: the batch waits for the writers'
# lock, and its connection is killed there
pg_sql "SELECT 1" >/dev/null
( psql -XAtq -h 127.0.0.1 -p "$PGPORT" -U postgres -d rebound -c "BEGIN" -c "LOCK TABLE rebound_writer_lock IN EXCLUSIVE MODE" -c "SELECT pg_sleep(30)" >/dev/null 2>&1 ) &
lk=$!
i=0
until [ "$(pg_sql "SELECT count(*) FROM pg_locks WHERE relation = 'rebound_writer_lock'::regclass AND granted")" = 1 ] || [ $i -gt 50 ]; do sleep 0.1; i=$((i + 1)); done
"$R" db rekey >"$PG_DIR/int.out" 2>&1 &
rk=$!
i=0
until [ "$(pg_sql "SELECT count(*) FROM pg_locks WHERE relation = 'rebound_writer_lock'::regclass AND NOT granted")" = 1 ] || [ $i -gt 100 ]; do sleep 0.1; i=$((i + 1)); done
pg_sql "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE relation = 'rebound_writer_lock'::regclass AND NOT granted" >/dev/null
wait $rk
rc=$?
pg_sql "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE relation = 'rebound_writer_lock'::regclass AND granted" >/dev/null
wait $lk 2>/dev/null
check "a run cut off in its batch fails (exit $rc) and says to run again" '[ $rc = 1 ] && grep -q "run .rebound db rekey. again" "$PG_DIR/int.out"'
check "and leaves everything as it was" '[ "$(snapshot)" = "$snap0" ]'

out=$("$R" db rekey --batch 2 2>&1)
rc=$?
echo "$out" | sed 's/^/# /'
check "rekey exits 0" '[ $rc = 0 ]'
check "rekey reports what it did" 'echo "$out" | grep -q "^re-keyed [1-9][0-9]* event(s), [1-9][0-9]* history row(s), 2 suppression(s) under 5 new key(s) in 3 transaction(s)"'
check "rekey reports the merges" 'echo "$out" | grep -q "^merged 1 duplicate event(s), 2 suppression row(s); 3 address(es) recomputed"'

# A and B: found again, rows moved
for a in "JÜRGEN.STRASSE@bücher.de" "jürgen.straße@xn--bcher-kva.de" user@example.net "USER@ｅｘａｍｐｌｅ.net"; do
	check "query finds $a" 'suppressed "$a"'
done
check "no row is left under an old key" '[ "$(pg_sql "SELECT count(*) FROM (SELECT addr_key FROM events UNION ALL SELECT addr_key FROM suppressions UNION ALL SELECT addr_key FROM suppression_history) x WHERE addr_key ~ '"'ß|ｅ'"'")" = 0 ]'
check "events, history and suppression meet on the new key" '[ "$(nkey events jürgen.strasse@xn--bcher-kva.de) $(nkey suppression_history jürgen.strasse@xn--bcher-kva.de) $(nkey suppressions jürgen.strasse@xn--bcher-kva.de)" = "1 1 1" ]'
check "the domain columns follow (fullwidth mapped)" '[ "$(pg_sql "SELECT e.domain || chr(32) || s.domain FROM events e JOIN suppressions s USING (addr_key) WHERE addr_key = '"'user@example.net'"'")" = "example.net example.net" ]'
check "the address is still as first written" '[ "$(pg_sql "SELECT address FROM suppressions WHERE addr_key = '"'user@example.net'"'")" = "user@ｅｘａｍｐｌｅ.net" ]'
check "untouched rows stay" 'suppressed plain@example.com && suppressed "ünïcode@xn--bcher-kva.de"'

# C: one row, the complaint wins as it would have on ingest
check "Maß/MASS: one suppression row" '[ "$(pg_sql "SELECT count(*) FROM suppressions WHERE domain = '"'shop.example'"'")" = 1 ]'
check "Maß/MASS: class complaint (a complaint outranks a hard bounce)" '[ "$(pg_sql "SELECT class FROM suppressions WHERE addr_key = '"'mass@shop.example'"'")" = complaint ]'
check "Maß/MASS: both histories under the one key, plus the merge" '[ "$(nkey suppression_history mass@shop.example)" -gt "$hist_mass" ] && [ "$(pg_sql "SELECT count(*) FROM suppression_history WHERE addr_key = '"'mass@shop.example'"' AND note = '"'rekey merge'"'")" -ge 1 ]'
check "Maß/MASS: explain tells the whole story" '"$R" explain "Maß@shop.example" | grep -q "complaint"'
# D: soft days counted together
check "Weiß/WEISS: three soft days together suppress" 'suppressed "Weiß@soft.example" && [ "$(pg_sql "SELECT class || chr(32) || expires_at FROM suppressions WHERE addr_key = '"'weiss@soft.example'"'")" = "soft 2025-02-26 10:00:00+00" ]'
# E: two copies of one report count once
check "Groß/GROSS: one event (the first copy kept)" '[ "$(pg_sql "SELECT count(*) FROM events WHERE addr_key = '"'gross@dup.example'"'")" = 1 ] && [ "$(pg_sql "SELECT count(*) FROM events WHERE recipient LIKE '"'%dup.example'"'")" = 1 ]'
check "Groß/GROSS: one suppression citing the kept event" '[ "$(pg_sql "SELECT count(*) FROM suppressions s JOIN events e ON e.id = s.event_id WHERE s.addr_key = '"'gross@dup.example'"'")" = 1 ] && [ "$(pg_sql "SELECT count(*) FROM suppressions WHERE domain = '"'dup.example'"'")" = 1 ]'
check "no history row cites a missing event" '[ "$(pg_sql "SELECT count(*) FROM suppression_history h WHERE event_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM events e WHERE e.id = h.event_id)")" = 0 ]'
check "the dedup keys are ingest's again" '[ "$(pg_sql "SELECT count(*) FROM events WHERE coalesce(report_message_id, '"''"') <> '"''"' AND dedup_key <> $(dedup addr_key)")" = 0 ]'
check "counts: events -1, suppressions -2 +1 (soft), history only grew" '[ "$(pg_sql "SELECT count(*) FROM events")" = $((c_before - 1)) ] && [ "$(pg_sql "SELECT count(*) FROM suppressions")" = $((s_before - 1)) ] && [ "$(pg_sql "SELECT count(*) FROM suppression_history")" -gt "$h_before" ]'
out=$("$R" ingest "$D/e1.eml" "$D/e2.eml" "$D/c1.eml" 2>&1)
check "ingesting the copies again adds nothing" 'echo "$out" | grep -q "^events: 0 new" && [ "$(pg_sql "SELECT count(*) FROM events")" = $((c_before - 1)) ]'
check "the daily rollup follows the deleted copy" '[ "$(pg_sql "SELECT sum(n) FROM report_daily")" = "$(pg_sql "SELECT count(*) FROM events")" ]'

# idempotent
snap1=$(snapshot)
out=$("$R" db rekey 2>&1)
check "a second run has nothing to do ($out)" 'echo "$out" | grep -q "^nothing to re-key"'
check "a second run changes nothing" '[ "$(snapshot)" = "$snap1" ]'

# the history stays append-only outside rekey, and inside it for
# anything but the key
pg_sql "UPDATE suppression_history SET addr_key = 'x' WHERE id = 1" >/dev/null 2>&1
check "history UPDATE refused outside rekey" '[ $? -ne 0 ]'
pg_sql "BEGIN; SET LOCAL rebound.rekey = 'on'; UPDATE suppression_history SET address = 'x' WHERE id = 1; COMMIT" >/dev/null 2>&1
check "history UPDATE of anything but the key refused" '[ $? -ne 0 ]'
pg_sql "BEGIN; SET LOCAL rebound.rekey = 'on'; DELETE FROM suppression_history WHERE id = 1; COMMIT" >/dev/null 2>&1
check "history DELETE refused" '[ $? -ne 0 ]'
"$R" db rekey --batch 0 >/dev/null 2>&1
check "--batch 0 is a usage error" '[ $? -eq 2 ]'
"$R" db migrate --dry-run >/dev/null 2>&1
check "rekey options on another db command: usage error" '[ $? -eq 2 ]'

# ---- scopes (docs/tenants.md): a suppression is (key, scope).  Rows of
# one address in different scopes stay apart through rekey; rows that
# meet on one key in one scope merge as above; none loses its scope.
arf_t() {	# file recipient tenant stream date
	ARF_HEADERS="X-Tenant: $3
X-Stream: $4" mk_arf "$1" "$2" abuse "$5"
}
tq() { "$R" query "$@" >/dev/null 2>&1; echo $?; }
scopes() { pg_sql "SELECT string_agg(addr_key || ' [' || scope || '] ' || class, ', ' ORDER BY addr_key COLLATE \"C\", scope) FROM suppressions WHERE domain = '$1'"; }
# F: one address, a global hard bounce and acme/news's complaint, both
# under the old key
mk_dsn "$D/f1.eml" "Straße@scope.example" 5.1.1 "550 5.1.1 user unknown" "Tue, $(day 28)"
arf_t "$D/f2.eml" "Straße@scope.example" acme news "Tue, $(day 28)"
# G: acme/news's complaint under the old key of Maß@merge.example meets
# acme/news's complaint under the new key of MASS@merge.example; beta's
# complaint of Maß stays beta's
arf_t "$D/g1.eml" "Maß@merge.example" acme news "Tue, $(day 28)"
arf_t "$D/g2.eml" "Maß@merge.example" beta news "Tue, $(day 28)"
# H: only a complaint of acme/news, under the old key
arf_t "$D/h1.eml" "Weiß@only.example" acme news "Tue, $(day 28)"
ingest "$D/f1.eml" "$D/f2.eml" "$D/g1.eml" "$D/g2.eml" "$D/h1.eml"
oldify "strasse@scope.example" "straße@scope.example"
oldify "mass@merge.example" "maß@merge.example"
oldify "weiss@only.example" "weiß@only.example"
arf_t "$D/g3.eml" "MASS@merge.example" acme news "Wed, $(day 29)"
ingest "$D/g3.eml"
check "scopes precondition: F two rows under the old key (global, acme/news)" '[ "$(scopes scope.example)" = "straße@scope.example [] hard, straße@scope.example [acme/news] complaint" ]'
check "scopes precondition: G rows in acme/news under both keys, beta under the old" '[ "$(scopes merge.example)" = "mass@merge.example [acme/news] complaint, maß@merge.example [acme/news] complaint, maß@merge.example [beta/news] complaint" ]'
hist_before=$(pg_sql "SELECT string_agg(scope, ',' ORDER BY scope, id) FROM suppression_history WHERE address ILIKE '%@scope.example' OR address ILIKE '%@merge.example' OR address ILIKE '%@only.example'")
out=$("$R" db rekey 2>&1)
rc=$?
echo "$out" | sed 's/^/# /'
check "F: rekey exits 0; two rows for one address in two scopes stay two rows, each in its scope, found for every tenant" '[ $rc = 0 ] && [ "$(scopes scope.example)" = "strasse@scope.example [] hard, strasse@scope.example [acme/news] complaint" ] && [ "$(tq --tenant beta STRASSE@scope.example)" = 3 ] && [ "$(pg_sql "SELECT count(*) FROM suppressions WHERE addr_key = '"'strasse@scope.example'"' AND removed_at IS NULL")" = 2 ]'
check "G: the two acme/news rows merged into one; beta/news's row kept apart as it was (not dropped and made again); acme/news and beta/news suppressed, acme/orders and gamma not" '[ "$(scopes merge.example)" = "mass@merge.example [acme/news] complaint, mass@merge.example [beta/news] complaint" ] && [ "$(pg_sql "SELECT count(*) FROM suppression_history WHERE scope = '"'beta/news'"' AND note = '"'rekey merge'"'")" = 0 ] && [ "$(tq --tenant acme --stream news Maß@merge.example)" = 3 ] && [ "$(tq --tenant beta --stream news mass@merge.example)" = 3 ] && [ "$(tq --tenant acme --stream orders mass@merge.example)" = 0 ] && [ "$(tq --tenant gamma mass@merge.example)" = 0 ]'
check "nothing loses its scope: H stays acme/news's (not global), F's rows both there, history and events keep theirs" '[ "$(scopes only.example)" = "weiss@only.example [acme/news] complaint" ] && [ "$(tq --tenant beta WEISS@only.example)" = 0 ] && [ "$(tq --tenant acme --stream news WEISS@only.example)" = 3 ] && [ "$(scopes scope.example)" = "strasse@scope.example [] hard, strasse@scope.example [acme/news] complaint" ] && [ "$(pg_sql "SELECT string_agg(scope, '"','"' ORDER BY scope, id) FROM suppression_history WHERE (address ILIKE '"'%@scope.example'"' OR address ILIKE '"'%@merge.example'"' OR address ILIKE '"'%@only.example'"') AND coalesce(note, '"''"') <> '"'rekey merge'"'")" = "$hist_before" ] && [ "$(pg_sql "SELECT string_agg(addr_key || chr(32) || scope, '"','"' ORDER BY addr_key COLLATE \"C\", scope) FROM events WHERE domain IN ('"'scope.example'"', '"'merge.example'"', '"'only.example'"')")" = "mass@merge.example acme/news,mass@merge.example acme/news,mass@merge.example beta/news,strasse@scope.example ,strasse@scope.example acme/news,weiss@only.example acme/news" ]'
