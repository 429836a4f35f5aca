#!/bin/sh
# rebound run --once against a real Dovecot and PostgreSQL: a mixed
# mailbox (bounces, complaints, auto-replies, junk, one mail over the
# size limit (read in part), one past a parser limit) is processed once, every mail is
# accounted for in the database and moved to the right folder; a second
# pass changes nothing; new mail is picked up; the daemon picks up mail
# by IDLE and stops cleanly on SIGTERM.
. "$(dirname "$0")/lib/setup.sh"
start_pg
start_dovecot
RB_LOG_LEVEL=info rb_conf "$T/r.conf"
rb_fill 300 a big deep

"$REBOUND" run --once --config "$T/r.conf" 2>"$T/log1"
is "first pass exits 0" $? 0
# 300 generated, the deep one and the big one (read in part: junk) are
# stored; the deep one is quarantined
is "messages, events, quarantine records" "$(rb_counts)" "302 302 1"
is "folders: inbox processed unknown quarantine" "$(rb_folders)" "0 240 61 1"
is "events by kind" "$(pg_sql "SELECT string_agg(kind || '=' || n, ' ' ORDER BY kind) FROM (SELECT kind, count(*) n FROM events GROUP BY kind) x")" \
	"autoreply=60 bounce=120 complaint=60 unknown=62"
n=$(pg_sql "SELECT count(*) FROM suppressions")
[ "$n" -ge 120 ] && ok "hard bounces and complaints suppressed ($n)" || no "suppressions" "$n"
r=$(pg_sql "SELECT string_agg(reason, '; ' ORDER BY reason) FROM imap_quarantine")
case "$r" in "MIME nesting too deep") ok "quarantine reasons recorded" ;; *) no "quarantine reasons" "$r" ;; esac
is "no pending server actions" "$(pg_sql "SELECT count(*) FROM imap_pending")" 0
is "cursor recorded" "$(pg_sql "SELECT count(*) FROM imap_cursor WHERE last_uid > 0")" 1
is "source is the IMAP URL" "$(pg_sql "SELECT count(*) FROM messages WHERE source LIKE 'imap://alice@localhost:%/INBOX;UIDVALIDITY=%/;UID=%'")" 302
grep -q 'password\|secret' "$T/log1" && no "no secret in the log" || ok "no secret in the log"

{ echo "metrics_file = $T/metrics/rebound.prom"; cat "$T/r.conf"; } >"$T/m.conf"
mkdir -p "$T/metrics"
(umask 0027; "$REBOUND" run --once --config "$T/m.conf" 2>"$T/log2")
is "second pass exits 0" $? 0
is "the metrics file is readable by a collector under UMask=0027" \
	"$(stat -c %a "$T/metrics/rebound.alice.prom" 2>/dev/null || ls "$T/metrics")" 644
is "second pass changes nothing (db)" "$(rb_counts)" "302 302 1"
is "second pass changes nothing (folders)" "$(rb_folders)" "0 240 61 1"

# mail in the processed folder again (a user moved it back): dedup
doveadm -c "$DC_CONF" move -u alice INBOX mailbox rebound/Processed all
"$REBOUND" run --once --config "$T/r.conf" 2>"$T/log3"
is "re-delivered copies are recognised (db)" "$(rb_counts)" "302 302 1"
is "re-delivered copies are moved again" "$(rb_folders)" "0 240 61 1"
is "duplicates counted as such" "$(pg_sql "SELECT count(*) FROM events")" 302

# the daemon: IDLE picks up new mail within seconds; SIGTERM stops it
MP=$(free_port)
{ echo "metrics_listen = 127.0.0.1:$MP"; cat "$T/r.conf"; } >"$T/d.conf"
"$REBOUND" run --config "$T/d.conf" 2>"$T/log4" &
pid=$!
sleep 1.5
rb_fill 50 b
i=0
while [ "$(dc_count alice INBOX)" != 0 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
is "daemon: new mail processed by IDLE within seconds" "$(rb_counts)" "352 352 1"
m=$(curl -s --max-time 5 "http://127.0.0.1:$MP/metrics")
echo "$m" | grep -q '^rebound_mail_fetched_total{mailbox="alice"} 50$' && ok "metrics served on loopback (fetched 50)" || no "metrics" "$(echo "$m" | head -3)"
echo "$m" | grep -q '^rebound_events_total{mailbox="alice",kind="bounce"} 20$' && ok "metrics: events by kind" || no "metrics: events by kind"
echo "$m" | grep -q '^rebound_last_success_timestamp_seconds{mailbox="alice"} [1-9]' && ok "metrics: last successful poll" || no "metrics: last successful poll"
# SIGHUP: reload (workers finish their batch and restart), then go on
kill -HUP $pid
sleep 1
rb_fill 10 h
i=0
while [ "$(dc_count alice INBOX)" != 0 ] && [ $i -lt 100 ]; do sleep 0.2; i=$((i + 1)); done
grep -q "reloading configuration" "$T/log4" && ok "SIGHUP reloads the configuration" || no "SIGHUP reload" "$(tail -2 "$T/log4")"
is "after the reload new mail is processed" "$(rb_counts)" "362 362 1"
kill -TERM $pid
i=0
while kill -0 $pid 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
if kill -0 $pid 2>/dev/null; then no "SIGTERM stops the daemon"; kill -9 $pid; else ok "SIGTERM stops the daemon"; fi
wait $pid
is "daemon exit status 0" $? 0
is "lease released" "$(pg_sql "SELECT count(*) FROM imap_lease")" 0
