#!/bin/sh
# The read-only role (rebound_reader) is least privilege: each attempt a
# member could make to stall the writers, forge a change, read a hidden
# row or take what it does not need is refused or harmless.
. "$(dirname "$0")/lib/setup.sh"
start_pg
"$R" db migrate >/dev/null || { no "db migrate"; exit 1; }
pg_sql "CREATE ROLE mailer LOGIN; GRANT rebound_reader TO mailer" >/dev/null
as_reader() {	# SQL... : run as the reader, print tuples, exit status of psql
	"$PG_BIN/psql" -XAtq -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PGPORT" \
		-U mailer -d "${DB:-rebound}" "$@"
}

# 1. the writers' lock: the old advisory key held by a reader stalls nothing
as_reader -c "SELECT pg_advisory_lock(1919250544)" -c "SELECT pg_sleep(20)" \
	>/dev/null 2>&1 &
holder=$!
sleep 1
start=$(date +%s)
timeout 10 "$R" suppress --reason test --actor t held@example.com >/dev/null 2>&1
rc=$?
took=$(( $(date +%s) - start ))
is "a write is not stalled by a reader holding the old advisory key (rc)" "$rc" 0
check "... and takes under 5 s (${took} s)" '[ "$took" -lt 5 ]'
kill "$holder" 2>/dev/null
wait "$holder" 2>/dev/null
check "a reader cannot take the writers' lock" \
	'! as_reader -c "BEGIN" -c "LOCK TABLE rebound_writer_lock IN EXCLUSIVE MODE" >/dev/null 2>&1'
check "... not even in ACCESS SHARE mode" \
	'! as_reader -c "BEGIN" -c "LOCK TABLE rebound_writer_lock IN ACCESS SHARE MODE" >/dev/null 2>&1'

# 2. notifications carry only an id, which the reader looks up
( "$PG_BIN/psql" -XAtq -h 127.0.0.1 -p "$PGPORT" -U mailer -d rebound \
	-c "LISTEN rebound_suppression" -c "SELECT pg_sleep(3)" >"$T/notify.out" 2>&1 ) &
lp=$!
sleep 1
"$R" suppress --reason n --actor t notify.me@example.com >/dev/null
"$R" unsuppress --reason n --actor t notify.me@example.com >/dev/null
wait $lp
n=$(grep -c 'Asynchronous notification "rebound_suppression" with payload "{"id" : [0-9]*}"' "$T/notify.out")
is "a change notifies its id only, for an addition and a removal" "$n" 2
check "no address in any notification" '! grep -q "notify.me" "$T/notify.out"'
id=$(sed -n 's/.*payload "{"id" : \([0-9]*\)}".*/\1/p' "$T/notify.out" | tail -1)
is "the reader reads the change by its id" \
	"$(as_reader -c "SELECT action || ' ' || address FROM rebound_suppression_changes WHERE id = ${id:-0}")" \
	"removed notify.me@example.com"

# 3. hidden rows stay hidden: the view is a security barrier
is "the view is a security barrier" \
	"$(pg_sql "SELECT 'security_barrier=true' = ANY(reloptions) FROM pg_class WHERE relname = 'rebound_active_suppressions'")" t

# 4. what a reader does not need
check "no temporary tables" '! as_reader -c "CREATE TEMP TABLE x (a int)" >/dev/null 2>&1'
check "no functions in pg_temp" \
	'! as_reader -c "CREATE FUNCTION pg_temp.leak(text) RETURNS bool LANGUAGE sql AS \$\$SELECT true\$\$" >/dev/null 2>&1'
check "no tables in schema public" '! as_reader -c "CREATE TABLE public.x (a int)" >/dev/null 2>&1'
check "no large objects" '! as_reader -c "SELECT lo_create(0)" >/dev/null 2>&1'
check "no reading the tables behind the views" '! as_reader -c "SELECT 1 FROM suppression_history LIMIT 1" >/dev/null 2>&1'
check "the writer still uses temporary tables (a batch ingests)" \
	'mk_dsn "$D/w.eml" writer.check@example.com 5.1.1 "550 5.1.1 user unknown" && "$R" ingest --quiet "$D/w.eml" >/dev/null'
is "... and the suppression landed" \
	"$(as_reader -c "SELECT count(*) FROM rebound_active_suppressions WHERE address = 'writer.check@example.com'")" 1

# 5. every function's search_path is pinned
is "every rebound_* function has a search_path" \
	"$(pg_sql "SELECT count(*) FROM pg_proc WHERE proname LIKE 'rebound\_%' AND NOT coalesce(array_to_string(proconfig, ',') LIKE '%search_path=%', false)")" 0
