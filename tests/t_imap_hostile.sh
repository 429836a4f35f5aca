#!/bin/sh
# The daemon against a scripted hostile IMAP server (tests/lib/imap_hostile.py):
# a connection closed inside a literal, a greeting line that never ends
# (plain and over verified TLS), a literal announced far larger than the
# mail's RFC822.SIZE, a greeting trickled one byte at a time, and an
# RFC822.SIZE beyond 32 bits.  Each fault must end in a logged error and
# a retry, with every mail stored exactly once, and the daemon's peak
# RSS must stay bounded (printed; compared with a run against the same
# server behaving well).
. "$(dirname "$0")/lib/setup.sh"
start_pg
"$REBOUND" db migrate >/dev/null || { no "db migrate"; exit 1; }
dc_certs "$T/pki" || { no "test certificates"; exit 1; }
PKI=$T/pki/pki
SRV_PID=""
on_exit() { [ -n "$SRV_PID" ] && kill "$SRV_PID" 2>/dev/null; }
MAILS=12
echo p >"$T/pw"
chmod 600 "$T/pw"
# extra allowance over the well-behaved run, KB: the response line limit
# (4 MiB, buffered twice by the parser) and one command's answer (16 MiB)
RSS_SLACK_KB=$((64 * 1024))

# serve MODE TAG [args...]: start the server, set PORT
serve() {
	mode=$1 tag=$2
	shift 2
	rm -f "$T/port"
	python3 tests/lib/imap_hostile.py --port-file "$T/port" --mode "$mode" \
	    --mails $MAILS --tag "$tag" --log "$T/srv.$tag.log" "$@" &
	SRV_PID=$!
	i=0
	while [ ! -s "$T/port" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	PORT=$(cat "$T/port")
}

stop_server() {
	kill "$SRV_PID" 2>/dev/null
	wait "$SRV_PID" 2>/dev/null
	SRV_PID=""
}

# conf FILE tls|plain [timeout]
conf() {
	{
		echo "log_level = info"
		echo "lease_seconds = 6"
		echo "parse_timeout = 5"
		echo "[mailbox hostile]"
		echo "host = 127.0.0.1"
		echo "port = $PORT"
		if [ "$2" = tls ]; then
			echo "tls = implicit"
			echo "ca_file = $PKI/ca.pem"
		else
			echo "tls = none"
			echo "allow_plaintext = yes"
		fi
		echo "user = u"
		echo "password_file = $T/pw"
		echo "batch_size = 5"
		echo "max_size = 64K"
		echo "unknown_action = move"
		echo "timeout = ${3:-5}"
	} >"$1"
}

msgs() { pg_sql "SELECT count(*) FROM messages"; }

# run NAME: one `run --once` (at most 150 s), its log in $T/NAME.log,
# its peak RSS in RSS (KB) and its exit status in RC
run() {
	start=$(date +%s)
	/usr/bin/time -f '%M' -o "$T/$1.rss" \
	    timeout -s KILL 150 "$REBOUND" run --once --config "$T/$1.conf" \
	    2>"$T/$1.log"
	RC=$?
	ELAPSED=$(( $(date +%s) - start ))
	RSS=$(tail -n 1 "$T/$1.rss")
	case "$RSS" in '' | *[!0-9]*) RSS=0 ;; esac
}

# hostile NAME MODE tls|plain WANT_LOG [server args...]
hostile() {
	name=$1 mode=$2 tls=$3 want=$4
	shift 4
	targs=""
	[ "$tls" = tls ] && targs="--tls $PKI/good.pem $PKI/good.key"
	# shellcheck disable=SC2086
	serve "$mode" "$name" $targs "$@"
	conf "$T/$name.conf" "$tls" "${TIMEOUT:-5}"
	before=$(msgs)
	run "$name"
	stop_server
	echo "# $name: peak RSS $((RSS / 1024)) MB ($RSS KB), ${ELAPSED}s, exit $RC"
	is "$name: the pass ends well after the fault" "$RC" 0
	grep -q "fault $mode" "$T/srv.$name.log" 2>/dev/null &&
	    ok "$name: the server misbehaved" || no "$name: the fault never happened"
	grep -q "error: .*$want" "$T/$name.log" &&
	    ok "$name: logged: $(grep -m1 "error: .*$want" "$T/$name.log" | cut -c1-150)" ||
	    no "$name: logged error ($want)" "$(grep -i 'error' "$T/$name.log" | head -3)"
	grep -q "retrying in" "$T/$name.log" && ok "$name: retried" || no "$name: retried"
	is "$name: every mail stored once" "$(($(msgs) - before))" "$MAILS"
	[ "$RSS" -gt 0 ] && [ "$RSS" -le $((BASE_RSS + RSS_SLACK_KB)) ] &&
	    ok "$name: peak RSS bounded ($((RSS / 1024)) MB, well-behaved $((BASE_RSS / 1024)) MB)" ||
	    no "$name: peak RSS ${RSS} KB over $((BASE_RSS + RSS_SLACK_KB)) KB"
}

# the same server behaving well: the reference RSS
serve none base
conf "$T/base.conf" plain
run base
stop_server
BASE_RSS=$RSS
is "well-behaved server: pass exits 0" "$RC" 0
is "well-behaved server: every mail stored" "$(msgs)" "$MAILS"
echo "# base: peak RSS $((RSS / 1024)) MB ($RSS KB)"

hostile cut-literal cut-literal plain "connection closed by the server"
hostile endless endless-line plain "response line longer than" --cap $((512 << 20))
hostile endless-tls endless-line tls "response line longer than" --cap $((512 << 20))
hostile huge huge-literal plain "larger than its RFC822.SIZE" --cap $((512 << 20))
TIMEOUT=2 hostile trickle trickle plain "deadline of 6 s" --every 1.5
[ "$ELAPSED" -le 40 ] && ok "trickle: a trickled greeting is dropped at the command's deadline (pass ${ELAPSED}s)" ||
    no "trickle: pass took ${ELAPSED}s"

# RFC822.SIZE 2^32+500: read in 64 bits, so over max_size (not 500):
# only its first max_size bytes are asked for, as for any mail over the
# limit, and the literal the server sends is held to that
serve size-wrap wrap
conf "$T/wrap.conf" plain
before=$(msgs)
run wrap
stop_server
echo "# wrap: peak RSS $((RSS / 1024)) MB ($RSS KB)"
is "size-wrap: pass exits 0" "$RC" 0
is "size-wrap: every mail stored, UID 3 from its first bytes" "$(($(msgs) - before))" "$MAILS"
grep -q "UID 3: 4294967796 bytes, over max_size (65536): reading its first 65536 bytes" "$T/wrap.log" &&
    ok "size-wrap: its 64-bit size is kept, so it is read only in part" ||
    no "size-wrap: its 64-bit size is kept" "$(grep 'UID 3' "$T/wrap.log" | head -2)"

# a worker stuck without progress (a read that never returns, never
# fails): the watchdog ends it, the supervisor starts it again; a later
# pass stores every mail once
serve none stall
conf "$T/stall.conf" plain
before=$(msgs)
REBOUND_TEST_HOOKS=1 REBOUND_TEST_WORKER_STALL=1 REBOUND_TEST_WATCHDOG_SECONDS=3 \
    "$REBOUND" run --config "$T/stall.conf" 2>"$T/stall.log" &
sup=$!
i=0
while [ "$(grep -c 'exited (status 3)' "$T/stall.log")" -lt 2 ] && [ $i -lt 300 ]; do
	sleep 0.1
	i=$((i + 1))
done
kill -TERM $sup
wait $sup
is "stall: the supervisor stops cleanly" $? 0
n=$(grep -c 'watchdog: no progress for [0-9]* s' "$T/stall.log")
[ "$n" -ge 2 ] && ok "stall: the watchdog ended the stuck worker ($n times)" ||
    no "stall: watchdog" "$(tail -5 "$T/stall.log")"
grep -q 'worker for mailbox hostile exited (status 3): restarting' "$T/stall.log" &&
    ok "stall: the supervisor restarted it" || no "stall: restart"
REBOUND_TEST_HOOKS=1 REBOUND_TEST_WORKER_STALL=1 REBOUND_TEST_WATCHDOG_SECONDS=3 \
    timeout -s KILL 60 "$REBOUND" run --once --config "$T/stall.conf" 2>"$T/stall1.log"
is "stall: --once ends with status 3" $? 3
run stall
stop_server
is "stall: the next pass stores every mail once" "$RC $(($(msgs) - before))" "0 $MAILS"

# the parser child (which reads hostile mail) has none of the daemon's
# secrets in its environment
serve none env
conf "$T/env.conf" plain
sed -i "s|^password_file = .*|password_env = RB_HOSTILE_PW|" "$T/env.conf"
RB_HOSTILE_PW=p PGPASSWORD=pgsecret "$REBOUND" run --config "$T/env.conf" 2>"$T/env.log" &
sup=$!
i=0
while ! grep -q "pass of" "$T/env.log" && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
worker=$(ps --ppid $sup -o pid= | head -n 1 | tr -d ' ')
child=""
for p in $(ps --ppid "${worker:-0}" -o pid=); do
	tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -q -- "__parser-child" && child=$p
done
if [ -n "$child" ]; then
	tr '\0' '\n' <"/proc/$child/environ" >"$T/child.env"
	tr '\0' '\n' <"/proc/$worker/environ" >"$T/worker.env"
	grep -q '^RB_HOSTILE_PW=' "$T/worker.env" && grep -q '^REBOUND_DB=' "$T/worker.env" &&
	    ok "env: the worker has the IMAP password and REBOUND_DB in its environment" ||
	    no "env: the worker's environment lacks what the test gave it"
	grep -q '^RB_HOSTILE_PW=\|^REBOUND_DB=\|^PGPASSWORD=\|^PGHOST=' "$T/child.env" &&
	    no "env: the parser child inherited secrets" "$(grep -c . "$T/child.env") variables" ||
	    ok "env: the parser child has no password or connection string ($(grep -c . "$T/child.env") variables)"
else
	no "env: no parser child found" "$(tail -3 "$T/env.log")"
fi
kill -TERM $sup
wait $sup
stop_server

# server text with terminal escape sequences reaches the log escaped
serve evil-text evil
conf "$T/evil.conf" plain
run evil
stop_server
is "evil text: a refused login ends --once with status 1" "$RC" 1
grep -q 'refused: \\x1b\[2J\\x1b\]0;pwned\\x07 no\\x9b31m' "$T/evil.log" &&
    ok "evil text: logged with its control characters escaped" ||
    no "evil text: logged" "$(grep refused "$T/evil.log" | cat -v)"
if LC_ALL=C grep -q "$(printf '\033')" "$T/evil.log"; then no "evil text: a raw ESC reached the log"; else ok "evil text: no raw ESC in the log"; fi
