#!/bin/sh
# The daemon under infrastructure faults and with company: Dovecot and
# PostgreSQL restarted in the middle of a pass (it recovers by itself, no
# mail lost or counted twice); two instances on the same mailbox (one
# holds the lease, nothing is processed twice) and the second takes over
# when the first is killed.
. "$(dirname "$0")/lib/setup.sh"
# durable commits: with synchronous_commit off a crash of the server may
# lose a committed batch whose mail was already moved on the server
PG_FSYNC=on
start_pg
start_dovecot
PIDS=""
on_exit() { for p in $PIDS; do /bin/kill -9 -- -"$p" 2>/dev/null; done; }
RB_LOG_LEVEL=info RB_BATCH=50 rb_conf "$T/r.conf"
"$REBOUND" db migrate >/dev/null
wait_inbox_empty() {	# seconds
	i=0
	while [ "$(dc_count alice INBOX)" != 0 ] && [ $i -lt $(($1 * 2)) ]; do
		sleep 0.5
		i=$((i + 1))
	done
}

# --- Dovecot and PostgreSQL restarts mid-pass: enough mail that the pass
# outlasts the restarts even on an idle machine, and the restarts start as
# soon as the first batch is committed (not after a fixed sleep, which an
# idle machine outran: the pass was over and nothing failed)
H=${RB_HA_MAILS:-3000}
rb_fill "$H" h
setsid "$REBOUND" run --config "$T/r.conf" 2>"$T/a.log" &
A=$!
PIDS="$A"
i=0
while ! grep -q "batch of" "$T/a.log" && [ $i -lt 300 ]; do
	sleep 0.1
	i=$((i + 1))
done
dc_restart
sleep 1
pg_kill
sleep 1
pg_restart
wait_inbox_empty 120
is "recovered after Dovecot and PostgreSQL restarts: db" "$(rb_counts)" "$H $H 0"
is "recovered: folders" "$(rb_folders)" "0 $((H * 4 / 5)) $((H / 5)) 0"
grep -q "retrying in" "$T/a.log" && ok "errors logged with a backoff" || no "no retry logged" "$(tail -3 "$T/a.log")"
n=$(grep -c "retrying in" "$T/a.log")
[ "$n" -le 12 ] && ok "no busy loop ($n retries)" || no "too many retries: $n"

# --- a second instance on the same mailbox
setsid "$REBOUND" run --config "$T/r.conf" 2>"$T/b.log" &
B=$!
PIDS="$A $B"
sleep 2
rb_fill 200 t
wait_inbox_empty 30
is "two instances: every mail once (db)" "$(rb_counts)" "$((H + 200)) $((H + 200)) 0"
is "two instances: folders" "$(rb_folders)" "0 $(((H + 200) * 4 / 5)) $(((H + 200) / 5)) 0"
d=$(cat "$T/a.log" "$T/b.log" | sed -n 's/.* new, \([0-9]*\) duplicate.*/\1/p' | awk '{s += $1} END {print s + 0}')
is "two instances: no mail processed twice" "$d" 0

# --- kill -9 the holder: the other takes over
/bin/kill -9 -- -"$A"
wait $A 2>/dev/null
PIDS="$B"
rb_fill 50 k
wait_inbox_empty 30
is "take-over after kill -9 of the holder (db)" "$(rb_counts)" "$((H + 250)) $((H + 250)) 0"
grep -q "lease of dead process\|lease taken" "$T/b.log" && ok "second instance took the lease" || no "take-over" "$(tail -3 "$T/b.log")"
kill -TERM "$B"
i=0
while kill -0 "$B" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.2; i=$((i + 1)); done
kill -0 "$B" 2>/dev/null && no "SIGTERM stops the second instance" || ok "SIGTERM stops the second instance"
