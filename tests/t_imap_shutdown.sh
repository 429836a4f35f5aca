#!/bin/sh
# A bounded stop: on SIGTERM a worker stuck in its batch (a parser child
# that hangs, a fetch that never returns) is cancelled once
# shutdown_grace has passed, instead of waiting for the parse timeout or
# the watchdog: the daemon exits within the grace plus a margin, the hung
# parser child is killed, nothing that was not committed is moved out of
# the folder, the cancelled mail is not counted as a parser failure, and
# the next start processes everything exactly once.
. "$(dirname "$0")/lib/setup.sh"
start_pg
start_dovecot
RB_BATCH=5 rb_conf "$T/r.conf"
sed -i 's/^parse_timeout = .*/parse_timeout = 120/' "$T/r.conf"
sed -i '1i shutdown_grace = 2' "$T/r.conf"
"$REBOUND" db migrate >/dev/null
GRACE=2
MARGIN=${RB_SHUTDOWN_MARGIN:-6}

on_exit() {
	[ -n "${DPID:-}" ] && kill -KILL "$DPID" 2>/dev/null
	[ -n "${PCHILD:-}" ] && kill -KILL "$PCHILD" 2>/dev/null
	return 0
}

# 1. the daemon (supervisor + worker): 20 mails processed, then a batch
# of five whose parser hangs on one
rb_fill 20 s
REBOUND_TEST_PARSER_HANG=HANGME "$REBOUND" run --config "$T/r.conf" 2>"$T/log" &
DPID=$!
i=0
while [ $i -lt 120 ] && [ "$(dc_count alice INBOX)" != 0 -o "$(pg_sql "SELECT count(*) FROM messages")" != 20 ]; do
	sleep 0.5
	i=$((i + 1))
done
is "the first 20 processed" "$(pg_sql "SELECT count(*) FROM messages") $(dc_count alice INBOX)" "20 0"
rb_fill 4 u
printf 'From: x@example.com\nSubject: HANGME\nMessage-Id: <hang@example.com>\n\nzzz\n' \
	>"$DC_DIR/home/alice/Maildir/new/1700000001.M9P9.rb-hang"
chown -R 65534:65534 "$DC_DIR/home/alice/Maildir"
# wait until the worker's parser child has the batch (and hangs)
WPID=$(ps -o pid= --ppid "$DPID" | head -1 | tr -d ' ')
PCHILD= i=0
while [ $i -lt 60 ] && [ -z "$PCHILD" ]; do
	sleep 0.5
	i=$((i + 1))
	PCHILD=$(ps -o pid= --ppid "${WPID:-1}" 2>/dev/null | head -1 | tr -d ' ')
done
sleep 2
[ -n "$WPID" ] && [ -n "$PCHILD" ] && ok "worker and its parser child running" ||
	no "worker and its parser child running" "worker '$WPID' child '$PCHILD'"
is "the hung mail is still in INBOX" \
	"$(doveadm -c "$DC_CONF" search -u alice mailbox INBOX header Subject HANGME 2>/dev/null | wc -l)" 1
start=$(date +%s)
kill -TERM "$DPID"
wait "$DPID"
rc=$?
DPID=
el=$(( $(date +%s) - start ))
is "SIGTERM: the daemon exits 0" "$rc" 0
[ "$el" -le $((GRACE + MARGIN)) ] && ok "stopped within the grace ${GRACE} s + ${MARGIN} s (${el} s)" ||
	no "stopped within the grace" "took ${el} s"
grep -q 'did not end within shutdown_grace = 2 s: cancelled' "$T/log" &&
	ok "the cancel is logged" || no "the cancel is logged" "$(tail -5 "$T/log")"
sleep 0.2
# (gone, or a zombie left to init)
st=$(ps -o stat= -p "${PCHILD:-1}" 2>/dev/null)
if [ -z "$PCHILD" ] || { [ -n "$st" ] && [ "${st#Z}" = "$st" ]; }; then
	no "the hung parser child was killed" "pid $PCHILD alive"
else
	ok "the hung parser child was killed"
fi
PCHILD=
is "the cancelled mail is not counted as a parser failure" \
	"$(pg_sql "SELECT count(*) FROM imap_attempts")" 0
is "the hung mail is still in INBOX" \
	"$(doveadm -c "$DC_CONF" search -u alice mailbox INBOX header Subject HANGME 2>/dev/null | wc -l)" 1
# nothing uncommitted acknowledged: every mail moved out of INBOX is stored
moved=$(( $(dc_count alice rebound/Processed) + $(dc_count alice rebound/Unknown) + $(dc_count alice rebound/Quarantine) ))
stored=$(pg_sql "SELECT count(*) FROM messages")
[ "$moved" -le "$stored" ] && [ "$stored" -eq 20 ] && [ "$(dc_count alice INBOX)" = 5 ] &&
	ok "only committed mail left INBOX ($moved moved, $stored stored)" ||
	no "only committed mail left INBOX" "$moved moved, $stored stored"

# the next start: everything, once
"$REBOUND" run --once --config "$T/r.conf" 2>"$T/log2"
is "next pass exits 0" $? 0
is "every mail stored once, none quarantined" "$(rb_counts)" "25 25 0"
is "INBOX empty" "$(dc_count alice INBOX)" 0

# 2. a fetch that never returns (run --once: the worker in this process)
rb_fill 5 t
start=$(date +%s)
REBOUND_TEST_WORKER_STALL=1 "$REBOUND" run --once --config "$T/r.conf" 2>"$T/log3" &
DPID=$!
sleep 1
kill -TERM "$DPID"
wait "$DPID"
rc=$?
DPID=
el=$(( $(date +%s) - start - 1 ))
is "stalled fetch: exits 0 on SIGTERM" "$rc" 0
[ "$el" -le $((GRACE + MARGIN)) ] && ok "stalled fetch: stopped within the grace (${el} s)" ||
	no "stalled fetch: stopped within the grace" "took ${el} s"
is "stalled fetch: nothing stored, nothing moved" "$(rb_counts) $(dc_count alice INBOX)" "25 25 0 5"
