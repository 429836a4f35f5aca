#!/bin/sh
# A connection lost in the middle of a batch leaves nothing half-written:
# the backend is killed (pg_terminate_backend), then the whole server is
# stopped (immediate mode, like a crash), while a batch transaction is
# open; afterwards nothing of that batch is visible, and re-running the
# ingest stores everything exactly once.
. "$(dirname "$0")/lib/setup.sh"
start_pg
export REBOUND_NOW=2025-03-01T00:00:00Z
i=0
while [ $i -lt 200 ]; do
	mk_dsn "$D/m$i.eml" "user$i@example.com" 5.1.1 "550 5.1.1 user unknown" "Mon, 06 Jan 2025 10:00:00 +0000" "crash-$i@mx.example.net"
	i=$((i + 1))
done
"$R" db migrate >/dev/null

# wait until rebound holds a transaction open; print its backend pid
wait_tx() {
	for _ in $(seq 1 100); do
		p=$(pg_sql "SELECT pid FROM pg_stat_activity WHERE application_name = 'rebound' AND state = 'idle in transaction' LIMIT 1")
		[ -n "$p" ] && { echo "$p"; return 0; }
		sleep 0.1
	done
	return 1
}

REBOUND_TEST_STALL_BATCH=4 "$R" ingest --quiet "$D" >/dev/null 2>"$PG_DIR/err1" &
ip=$!
p=$(wait_tx)
check "a batch transaction is open" '[ -n "$p" ]'
check "its messages are not visible to others yet" '[ "$(counts)" = 0/0/0/0 ]'
pg_sql "SELECT pg_terminate_backend($p)" >/dev/null
wait $ip
rc=$?
check "ingest fails when its connection is killed (exit $rc)" '[ $rc -ne 0 ]'
check "the error is reported" 'grep -q "nothing of it was kept" "$PG_DIR/err1"'
check "nothing half-written after the kill ($(counts))" '[ "$(counts)" = 0/0/0/0 ]'

REBOUND_TEST_STALL_BATCH=4 "$R" ingest --quiet "$D" >/dev/null 2>"$PG_DIR/err2" &
ip=$!
p=$(wait_tx)
check "second batch transaction open" '[ -n "$p" ]'
pg_kill
wait $ip
rc=$?
check "ingest fails when the server goes away (exit $rc)" '[ $rc -ne 0 ]'
pg_restart
check "nothing half-written after a server crash ($(counts))" '[ "$(counts)" = 0/0/0/0 ]'

"$R" ingest --quiet "$D" >/dev/null
check "re-run stores every message, event, suppression once ($(counts))" '[ "$(counts)" = 200/200/200/200 ]'
"$R" ingest --quiet "$D" >/dev/null
check "and a further re-run changes nothing" '[ "$(counts)" = 200/200/200/200 ]'
