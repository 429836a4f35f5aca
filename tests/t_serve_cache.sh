#!/bin/sh
# rebound serve's cache of answers against a real PostgreSQL: a change committed by
# another process reaches the next lookups (suppress -> suppressed,
# unsuppress -> sendable); serve's own writes are seen at once; a
# notification not understood, a lost connection and a database restart
# drop the whole cache, and no lookup then says "sendable" from what was
# cached before.
. "$(dirname "$0")/lib/setup.sh"
start_pg
"$R" db migrate >/dev/null || { no "db migrate"; exit 1; }
pg_sql "CREATE ROLE mailer LOGIN; GRANT rebound_reader TO mailer" >/dev/null
RDB="host=127.0.0.1 port=$PGPORT user=mailer dbname=rebound"
RTOK=$("$R" serve token mailer read 2>"$T/r.line")
WTOK=$("$R" serve token crm write 2>"$T/w.line")
grep -hv '^#' "$T/r.line" "$T/w.line" >"$T/tokens"
SPID=
on_exit() { [ -n "$SPID" ] && kill "$SPID" 2>/dev/null && wait "$SPID" 2>/dev/null; }
for _try in 1 2 3 4 5; do
	PORT=$(free_port)
	"$R" serve --tokens "$T/tokens" --listen "127.0.0.1:$PORT" \
		--threads 2 2>>"$T/serve.log" &
	SPID=$!
	wait_port "$PORT" 60 && break
	kill "$SPID" 2>/dev/null; wait "$SPID" 2>/dev/null; SPID=
done
[ -n "$SPID" ] || { no "serve starts"; exit 1; }
U="http://127.0.0.1:$PORT"
status() {	# ADDRESS: the status of a single lookup, or the HTTP code
	_o=$(curl -sS -w ' %{http_code}' -H "Authorization: Bearer $RTOK" \
		"$U/v1/check?address=$1")
	case "$_o" in
	*' 200') echo "$_o" | python3 -c 'import json,sys; print(json.loads(sys.stdin.read().rsplit(" ",1)[0])["status"])' ;;
	*) echo "${_o##* }" ;;
	esac
}
metric() { curl -sS "$U/metrics" | awk -v m="$1" '$1 == m {print $2}'; }
# ADDRESS WANT: poll up to 5 s for WANT; prints every answer seen
until_status() {
	_seen=
	for _i in $(seq 1 50); do
		_s=$(status "$1")
		_seen="$_seen $_s"
		[ "$_s" = "$2" ] && break
		sleep 0.1
	done
	echo "$_seen"
}
wait_log() {	# PATTERN COUNT: the log says PATTERN COUNT times (10 s)
	for _i in $(seq 1 100); do
		[ "$(grep -c "$1" "$T/serve.log")" -ge "$2" ] && return 0
		sleep 0.1
	done
	return 1
}
check "the cache's keeper listens" 'wait_log "cache: listening for changes" 1'

# 1. answers come from the cache
is "an unknown address: sendable" "$(status alice@example.com)" sendable
h0=$(metric rebound_cache_hits_total)
is "... asked again: sendable" "$(status alice@example.com)" sendable
check "... the second answer came from the cache" '[ "$(metric rebound_cache_hits_total)" -gt "$h0" ]'

# 2. another process suppresses and unsuppresses: the cached answer goes
"$R" suppress --reason test --actor t alice@example.com >/dev/null
seen=$(until_status alice@example.com suppressed)
is "suppressed by another process: the lookup says suppressed" "${seen##* }" suppressed
is "... on the first lookup after the commit" "$(echo $seen | wc -w)" 1
is "... again (cached)" "$(status alice@example.com)" suppressed
"$R" unsuppress --reason test --actor t alice@example.com >/dev/null
seen=$(until_status alice@example.com sendable)
is "unsuppressed: sendable" "${seen##* }" sendable
# a suppression in a tenant's scope, cached for that tenant and for all
is "tenant acme: sendable" "$(status 'bob@example.com&tenant=acme')" sendable
is "tenant other: sendable" "$(status 'bob@example.com&tenant=other')" sendable
"$R" suppress --tenant acme --reason test --actor t bob@example.com >/dev/null
seen=$(until_status 'bob@example.com&tenant=acme' suppressed)
is "a tenant's suppression reaches that tenant's cached answer" "${seen##* }" suppressed
is "... and not another tenant's" "$(status 'bob@example.com&tenant=other')" sendable
# twenty in a row: each one's first lookup after the commit
stale=0
for i in $(seq 1 20); do
	status "r$i@example.net" >/dev/null
	pg_sql "INSERT INTO suppressions (addr_key, address, domain, class, reason, rule, created_at, updated_at) VALUES ('r$i@example.net', 'r$i@example.net', 'example.net', 'manual', 'sql', 'manual', now(), now()); INSERT INTO suppression_history (addr_key, address, action, class, reason, actor, at) VALUES ('r$i@example.net', 'r$i@example.net', 'added', 'manual', 'sql', 'test', now())" >/dev/null
	seen=$(until_status "r$i@example.net" suppressed)
	[ "${seen##* }" = suppressed ] || stale=$((stale + 1))
done
is "twenty suppressions written in SQL: none stays sendable" "$stale" 0

# 3. serve's own writes are seen by the next lookup, without waiting
status carol@example.com >/dev/null
curl -sS -o /dev/null -H "Authorization: Bearer $WTOK" -H 'Content-Type: application/json' \
	--data-binary '{"address": "carol@example.com", "reason": "phone"}' "$U/v1/suppress"
is "suppressed through serve: the next lookup says so" "$(status carol@example.com)" suppressed
curl -sS -o /dev/null -H "Authorization: Bearer $WTOK" -H 'Content-Type: application/json' \
	--data-binary '{"address": "carol@example.com", "reason": "phone"}' "$U/v1/unsuppress"
is "unsuppressed through serve: the next lookup says sendable" "$(status carol@example.com)" sendable

# 4. a notification not understood drops the whole cache
d0=$(metric rebound_cache_drops_total)
pg_sql "NOTIFY rebound_suppression, 'not an id'" >/dev/null
check "a notification not understood drops the cache" 'wait_log "a notification not understood" 1'
is "... counted" "$(metric rebound_cache_drops_total)" $((d0 + 1))
is "... and nothing is left in it" "$(metric rebound_cache_entries)" 0
pg_sql "NOTIFY rebound_suppression, '{\"id\": 999999}'" >/dev/null
is "a forged id of no change drops nothing" "$(metric rebound_cache_drops_total)" $((d0 + 1))

# 5. a lost connection drops the cache; what was committed meanwhile is read
is "dave: sendable" "$(status dave@example.com)" sendable
status dave@example.com >/dev/null
d0=$(metric rebound_cache_drops_total)
pg_sql "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = 'rebound' AND pid <> pg_backend_pid() AND backend_type = 'client backend'" >/dev/null
check "the connections killed: the cache is dropped" 'wait_log "cache dropped: connection lost" 1'
check "... counted" '[ "$(metric rebound_cache_drops_total)" -gt "$d0" ]'
"$R" suppress --reason test --actor t dave@example.com >/dev/null
seen=$(until_status dave@example.com suppressed)
is "a suppression committed while serve reconnects: suppressed" "${seen##* }" suppressed
check "... never sendable meanwhile ($seen)" '! echo "$seen" | grep -q sendable'
check "the keeper listens again" 'wait_log "cache: listening for changes" 1 && [ "$(status dave@example.com)" = suppressed ]'

# 6. a database restart: no answer from before it.  (The pool's other
# connections were killed in 5: a lookup that meets one answers 503
# while it reconnects, so wait for the first answer.)
seen=$(until_status erin@example.com sendable)
is "erin: sendable" "${seen##* }" sendable
check "... never suppressed meanwhile ($seen)" '! echo "$seen" | grep -q suppressed'
status erin@example.com >/dev/null
pg_kill
seen=$(status erin@example.com)
sleep 1
seen="$seen $(status erin@example.com)"
is "the database down: 503, not the cached answer" "${seen##* }" 503
pg_restart || { no "PostgreSQL restarts"; exit 1; }
"$R" suppress --reason test --actor t erin@example.com >/dev/null
seen=$(until_status erin@example.com suppressed)
is "suppressed just after the restart: suppressed" "${seen##* }" suppressed
check "... never sendable after the restart ($seen)" '! echo "$seen" | grep -q sendable'
"$R" unsuppress --reason test --actor t erin@example.com >/dev/null
seen=$(until_status erin@example.com sendable)
is "... and unsuppressed: sendable" "${seen##* }" sendable

# 7. bounded, off when asked, and as the read-only role
stop_serve() { kill "$SPID" 2>/dev/null; wait "$SPID" 2>/dev/null; SPID=; }
restart_serve() {	# LOG OPTIONS...: serve as the read-only role
	stop_serve
	_log=$1; shift
	PORT=$(free_port)
	"$R" serve --db "$RDB" --tokens "$T/tokens" --listen "127.0.0.1:$PORT" \
		--threads 1 "$@" 2>"$_log" &
	SPID=$!
	wait_port "$PORT" 60
	U="http://127.0.0.1:$PORT"
}
restart_serve "$T/serve2.log" --cache-entries 64
for _i in $(seq 1 100); do grep -q "cache: listening" "$T/serve2.log" && break; sleep 0.1; done
for i in $(seq 1 300); do echo "url = \"$U/v1/check?address=b$i@example.org\""; done >"$T/many.curl"
curl -sS -o /dev/null -H "Authorization: Bearer $RTOK" -K "$T/many.curl"
check "--cache-entries 64: at most 64 answers kept after 300 addresses ($(metric rebound_cache_entries))" \
	'[ "$(metric rebound_cache_entries)" -le 64 ] && [ "$(metric rebound_cache_entries)" -gt 0 ]'
check "serve as the read-only role: its keeper listens" 'grep -q "cache: listening" "$T/serve2.log"'
is "... gary: sendable" "$(status gary@example.com) $(status gary@example.com)" "sendable sendable"
"$R" suppress --reason test --actor t gary@example.com >/dev/null
seen=$(until_status gary@example.com suppressed)
is "... suppressed by another process: suppressed" "${seen##* }" suppressed
restart_serve "$T/serve3.log" --cache-entries 0
status frank@example.com >/dev/null
is "--cache-entries 0: no cache" "$(metric rebound_cache_hits_total) $(metric rebound_cache_entries) $(status frank@example.com)" "0 0 sendable"
is "--cache-entries -1 is refused" "$("$R" serve --tokens "$T/tokens" --cache-entries -1 >/dev/null 2>&1; echo $?)" 2
