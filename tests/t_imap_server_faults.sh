#!/bin/sh
# The daemon against a real Dovecot that breaks connections mid-FETCH:
# a Maildir file whose name carries a wrong S= size (Dovecot trusts it,
# finds the file longer while sending it, and drops the connection
# inside the literal), and Dovecot's imap processes killed with SIGKILL
# while a FETCH is running.  Each must end in a logged error and a
# retry, with every mail stored exactly once and nothing left behind
# (the mail Dovecot cannot send is quarantined after two tries alone);
# the daemon's peak RSS is printed.
. "$(dirname "$0")/lib/setup.sh"
start_pg
start_dovecot
RB_LOG_LEVEL=info RB_BATCH=50 rb_conf "$T/r.conf"
"$REBOUND" db migrate >/dev/null || { no "db migrate"; exit 1; }
SUP=""
on_exit() { [ -n "$SUP" ] && kill "$SUP" 2>/dev/null; }

# --- a wrong S= in a Maildir file name --------------------------------
rb_fill 30 s
nd=$DC_DIR/home/alice/Maildir/new
bad="$nd/1699999999.M1P1.rb-wrongsize,S=120,W=125"
{
	printf 'From: MAILER-DAEMON@mx.example.org\nTo: app@sender.example.org\n'
	printf 'Subject: Undelivered Mail Returned to Sender\nMessage-Id: <wrong-size@mx.example.org>\n\n'
	i=0
	while [ $i -lt 60 ]; do
		printf 'This line makes the file longer than its name says (%d).\n' $i
		i=$((i + 1))
	done
} >"$bad"
chown -R 65534:65534 "$DC_DIR/home/alice/Maildir"
/usr/bin/time -f '%M' -o "$T/s.rss" timeout -s KILL 150 \
    "$REBOUND" run --once --config "$T/r.conf" 2>"$T/s.log"
rc=$?
echo "# wrong S=: daemon peak RSS $(($(tail -n 1 "$T/s.rss") / 1024)) MB"
is "wrong S=: the pass ends well" $rc 0
grep -q "error: .*UID FETCH BODY.PEEK\[\]: connection lost: connection closed by the server" "$T/s.log" &&
    ok "wrong S=: the broken FETCH logged" || no "wrong S=: logged" "$(grep -i error "$T/s.log" | head -3)"
grep -q "retrying in" "$T/s.log" && ok "wrong S=: retried" || no "wrong S=: retried"
grep -q "Cached message size smaller than expected\|wrong S value\|FETCH read() failed" "$DC_DIR/dovecot.log" 2>/dev/null &&
    ok "wrong S=: Dovecot saw the wrong size" || no "wrong S=: Dovecot's log does not mention the size"
is "wrong S=: every other mail stored once, that one quarantined" "$(rb_counts)" "30 30 1"
is "wrong S=: the reason recorded" "$(pg_sql "SELECT reason FROM imap_quarantine")" \
    "the server broke the connection 2 times while sending it"
is "wrong S=: INBOX empty, one mail in quarantine" "$(rb_folders | cut -d' ' -f1,4)" "0 1"

# --- Dovecot's imap process killed mid-FETCH --------------------------
# big mails, so that a FETCH lasts long enough to be cut
before=$(rb_counts | cut -d' ' -f1)
N=2000
rb_fill $N k
i=0
while [ $i -lt 40 ]; do
	mailgen_big "$nd" 200000 "k$i"
	i=$((i + 1))
done
chown -R 65534:65534 "$DC_DIR/home/alice/Maildir"
N=$((N + 40))
sed -i 's/^max_size = .*/max_size = 1M/' "$T/r.conf"
"$REBOUND" run --config "$T/r.conf" 2>"$T/k.log" &
SUP=$!
i=0
while ! grep -q "connected to" "$T/k.log" 2>/dev/null && [ $i -lt 300 ]; do
	sleep 0.1
	i=$((i + 1))
done
kills=0
tries=0
while [ $kills -lt 5 ] && [ $tries -lt 60 ]; do
	tries=$((tries + 1))
	sleep 0.3
	# one of alice's imap processes (fetching, mostly: bodies are most
	# of the bytes), while mail is left
	p=$(ps --ppid "$DC_PID" -o pid=,comm= | awk '$2 == "imap" { print $1; exit }')
	[ -n "$p" ] || continue
	[ "$(dc_count alice INBOX)" -gt 20 ] || break
	kill -KILL "$p" 2>/dev/null && kills=$((kills + 1))
	sleep 1	# the daemon reconnects after its backoff
done
# the daemon may finish the folder before three kills land (a fast
# machine, few mails left): one kill mid-pass is what the checks below need
[ $kills -ge 1 ] && ok "killed Dovecot's imap process mid-pass ($kills times)" || no "killed only $kills times"
# then let the daemon finish
i=0
while [ "$(dc_count alice INBOX)" -gt 0 ] && [ $i -lt 600 ]; do
	sleep 0.2
	i=$((i + 1))
done
sleep 1
kill -TERM "$SUP"
wait "$SUP"
is "killed imap: the daemon stops cleanly" $? 0
SUP=""
grep -q "error: .*connection lost" "$T/k.log" &&
    ok "killed imap: logged: $(grep -m1 'error: .*connection lost' "$T/k.log" | cut -c1-140)" ||
    no "killed imap: logged" "$(grep -i error "$T/k.log" | head -3)"
echo "# killed imap: $(grep -c "error: .*connection lost" "$T/k.log") connections lost, $(grep -c "error: .*BODY.PEEK.*connection lost" "$T/k.log") of them in a body FETCH"
grep -q "retrying in" "$T/k.log" && ok "killed imap: retried" || no "killed imap: retried"
is "killed imap: every mail stored once" "$(($(rb_counts | cut -d' ' -f1) - before))" $N
is "killed imap: INBOX empty, nothing pending" "$(dc_count alice INBOX) $(pg_sql "SELECT count(*) FROM imap_pending")" "0 0"
