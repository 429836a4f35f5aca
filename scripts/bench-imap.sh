#!/bin/sh
# End-to-end throughput of `rebound run --once`: a local Dovecot mailbox
# (implicit TLS) into PostgreSQL with durable commits (fsync and
# synchronous_commit on), mixed synthetic bounces/complaints/auto-replies/
# junk.  Prints mails/s, peak RSS, CPU seconds of every party (rebound
# with its parser child, Dovecot, PostgreSQL: on a shared machine the
# CPU figures say more than the wall clock), and per stage the wall time
# summed over batches (fetch, parse, store, server MOVE: with pipelining
# the stages overlap, so they add up to more than the run) and rebound's
# own CPU in it.
#   scripts/bench-imap.sh [N...]       default: $BENCH_IMAP_SIZES or 10000 100000
#   BATCH=500 scripts/bench-imap.sh 20000
# Dovecot runs with its defaults (mail_fsync = optimized: it fsyncs
# what it needs for its own crash safety); DC_EXTRA adds settings.  It
# stores the mail in each format of BENCH_IMAP_FORMATS in turn (default
# "maildir mdbox"): a file per mail, the classic layout, whose per-file
# work (a rename per new mail at the first SELECT, link/rename/unlink per
# moved mail, a rescan of the folder per MOVE) is most of the server's
# cost; and Dovecot's own multi-mail files, the layout it recommends for
# speed.
cd "$(dirname "$0")/.." || exit 1
REBOUND=${REBOUND:-$PWD/build/rebound}
. tests/lib/dovecot.sh
. tests/lib/pg.sh
. tests/lib/mailgen.sh
. tests/lib/rbimap.sh
[ $# -gt 0 ] || set -- ${BENCH_IMAP_SIZES:-10000 100000}
PG_FSYNC=on pg_start >/dev/null || exit 1
T=$(mktemp -d)
trap 'dc_stop; pg_stop; rm -rf "$T"' EXIT
"$REBOUND" db migrate >/dev/null

# CPU seconds of a server so far: the master's reaped children plus its
# live children (and itself).
tree_cpu() {
	{ awk '{print $14 + $15 + $16 + $17}' "/proc/$1/stat"
	  for c in $(cat /proc/"$1"/task/*/children 2>/dev/null); do
		awk '{print $14 + $15 + $16 + $17}' "/proc/$c/stat" 2>/dev/null
	  done; } | awk -v hz="$(getconf CLK_TCK)" '{s += $1} END {printf "%.2f", s / hz}'
}
pg_pid() { head -1 "$PG_DIR/data/postmaster.pid"; }

echo "# wall: seconds; cpu: CPU seconds (rebound = daemon + parser child)"
printf '%-7s %7s %7s %6s %6s %6s %6s | %-23s | %-23s\n' mails wall mails/s rss_MB rb_cpu dc_cpu pg_cpu \
    "stage wall: fetch parse store move" "rebound cpu: fetch parse store move"
for fmt in ${BENCH_IMAP_FORMATS:-maildir mdbox}; do
case $fmt in
maildir) loc= ;;
mdbox) loc="mail_location = mdbox:~/mdbox" ;;
*) echo "bench-imap.sh: unknown format $fmt (maildir, mdbox)" >&2; exit 2 ;;
esac
DC_EXTRA="${DC_EXTRA:-}
$loc" dc_start "$T/dc-$fmt" >/dev/null || exit 1
dc_user alice secret
RB_LOG_LEVEL=info RB_BATCH=${BATCH:-1000} rb_conf "$T/r.conf"
echo "# Dovecot storage: $fmt"
for n in "$@"; do
	rb_fill "$n" "n$n"
	if [ "$fmt" = mdbox ]; then
		# delivered through Dovecot: imported from the generated
		# maildir, which is then emptied
		doveadm -c "$DC_CONF" import -u alice \
		    "maildir:$DC_DIR/home/alice/Maildir" "" all || exit 1
		find "$DC_DIR/home/alice/Maildir/new" -type f -delete
	fi
	# let Dovecot index the new mail before timing.  In a maildir it
	# does not move the files from new/ to cur/: the pass's first
	# SELECT does (1.9-2.8 s at 100,000), and counts, as it would for
	# the first reader of a real mailbox
	doveadm -c "$DC_CONF" mailbox status -u alice messages INBOX >/dev/null
	d0=$(tree_cpu "$DC_PID")
	p0=$(tree_cpu "$(pg_pid)")
	s=$(date +%s.%N)
	/usr/bin/time -f '%M %U %S' -o "$T/rss" "$REBOUND" run --once --config "$T/r.conf" 2>"$T/log"
	e=$(date +%s.%N)
	d1=$(tree_cpu "$DC_PID")
	p1=$(tree_cpu "$(pg_pid)")
	sed -n 's/.*(fetch \([0-9]*\) ms, parse \([0-9]*\) ms, store \([0-9]*\) ms, server \([0-9]*\) ms; cpu \([0-9]*\)\/\([0-9]*\)\/\([0-9]*\)\/\([0-9]*\) ms).*/\1 \2 \3 \4 \5 \6 \7 \8/p' "$T/log" |
	    awk -v n="$n" -v s="$s" -v e="$e" -v rss="$(tail -1 "$T/rss" | cut -d' ' -f1)" \
		-v cpu="$(tail -1 "$T/rss" | awk '{print $2 + $3}')" \
		-v dc="$(echo "$d1 $d0" | awk '{print $1 - $2}')" -v pg="$(echo "$p1 $p0" | awk '{print $1 - $2}')" '
		{ f += $1; p += $2; st += $3; mv += $4; cf += $5; cp += $6; cs += $7; cm += $8 }
		END { t = e - s
		      # the parser child: what rebound used beyond the daemon itself
		      cp = cpu - (cf + cs + cm) / 1000
		      printf "%-7d %7.2f %7.0f %6.1f %6.2f %6.2f %6.2f | %5.2f %5.2f %5.2f %5.2f | %5.2f %5.2f %5.2f %5.2f\n",
			n, t, n / t, rss / 1024, cpu, dc, pg, f / 1000, p / 1000, st / 1000, mv / 1000,
			cf / 1000, cp, cs / 1000, cm / 1000 }'
	grep -q "error" "$T/log" && { echo "errors:"; grep error "$T/log" | head -5; }
	left=$(doveadm -c "$DC_CONF" mailbox status -u alice messages INBOX | sed 's/.*=//')
	[ "$left" -gt 0 ] && echo "NOTE: $left mails left in INBOX"
	pg_sql "SET client_min_messages = warning; TRUNCATE messages, events CASCADE" >/dev/null
	# empty the target folders so every size starts alike
	for f in rebound/Processed rebound/Unknown rebound/Quarantine; do
		doveadm -c "$DC_CONF" expunge -u alice mailbox "$f" all 2>/dev/null
	done
done
dc_stop
done
