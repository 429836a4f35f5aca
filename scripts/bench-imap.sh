#!/bin/sh
# End-to-end throughput of `rebound run --once`: a local Dovecot mailbox
# (implicit TLS) into PostgreSQL with durable commits (fsync and
# synchronous_commit on), mixed synthetic bounces/complaints/auto-replies/
# junk.  Prints mails/s, peak RSS, and the time per stage summed over the
# batches (fetch, parse, store, server MOVE) so the slowest stage shows,
# and the CPU seconds of rebound itself (with its parser child).  Run on
# a quiet machine: stage times are wall-clock.
#   scripts/bench-imap.sh [N...]       default: 10000 100000
#   BATCH=500 scripts/bench-imap.sh 20000
cd "$(dirname "$0")/.." || exit 1
REBOUND=${REBOUND:-$PWD/build/rebound}
. tests/lib/dovecot.sh
. tests/lib/pg.sh
. tests/lib/mailgen.sh
. tests/lib/rbimap.sh
[ $# -gt 0 ] || set -- 10000 100000
PG_FSYNC=on pg_start >/dev/null || exit 1
T=$(mktemp -d)
trap 'dc_stop; pg_stop; rm -rf "$T"' EXIT
dc_start "$T/dc" >/dev/null || exit 1
dc_user alice secret
RB_LOG_LEVEL=info RB_BATCH=${BATCH:-1000} rb_conf "$T/r.conf"
"$REBOUND" db migrate >/dev/null
printf '%-8s %8s %8s %7s %7s %8s %8s %8s %8s\n' mails seconds mails/s rss_MB cpu_s fetch_s parse_s store_s move_s
for n in "$@"; do
	rb_fill "$n" "n$n"
	# let Dovecot index the new mail before timing (its first SELECT
	# of a Maildir full of new files is part of delivery, not ours)
	doveadm -c "$DC_CONF" mailbox status -u alice messages INBOX >/dev/null
	s=$(date +%s.%N)
	/usr/bin/time -f '%M %U %S' -o "$T/rss" "$REBOUND" run --once --config "$T/r.conf" 2>"$T/log"
	e=$(date +%s.%N)
	got=$(pg_sql "SELECT count(*) FROM messages WHERE source LIKE '%'")
	sed -n 's/.*(fetch \([0-9]*\) ms, parse \([0-9]*\) ms, store \([0-9]*\) ms, server \([0-9]*\) ms).*/\1 \2 \3 \4/p' "$T/log" |
	    awk -v n="$n" -v s="$s" -v e="$e" -v rss="$(tail -1 "$T/rss" | cut -d' ' -f1)" -v cpu="$(tail -1 "$T/rss" | awk '{print $2 + $3}')" '
		{ f += $1; p += $2; st += $3; mv += $4 }
		END { t = e - s; printf "%-8d %8.2f %8.0f %7.1f %7.2f %8.2f %8.2f %8.2f %8.2f\n", n, t, n / t, rss / 1024, cpu, f / 1000, p / 1000, st / 1000, mv / 1000 }'
	grep -q "error" "$T/log" && { echo "errors:"; grep error "$T/log" | head -5; }
	pg_sql "SET client_min_messages = warning; TRUNCATE messages, events CASCADE" >/dev/null
done
