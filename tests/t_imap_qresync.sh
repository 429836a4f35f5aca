#!/bin/sh
# How rebound talks to the server about moved mail, read from Dovecot's
# raw protocol log (rawlog_dir): with QRESYNC offered, both connections
# ENABLE it and removed mail comes back as VANISHED ranges, never one
# "* N EXPUNGE" per mail; the MOVE to the largest destination covers the
# UIDs moved elsewhere just before (one short range, not thousands of
# runs) but never mail that stays (unknown_action = leave); a server that
# offers neither QRESYNC nor MOVE gets no ENABLE, and UID COPY + EXPUNGE
# still leave every folder right; when the mover's own connection is
# refused (it connects in its thread while the fetcher reads), the pass
# fails and the next one finishes everything, nothing moved twice.
. "$(dirname "$0")/lib/setup.sh"
mkdir -p "$T/raw"
chmod 777 "$T/raw"
DC_EXTRA="protocol imap {
  rawlog_dir = $T/raw
}"
start_pg
start_dovecot
RB_LOG_LEVEL=info rb_conf "$T/r.conf"

# the client's commands (.in) and the server's answers (.out) of the
# last run, all sessions together, without the rawlog's time stamps
cmds() { cat "$T"/raw/*.in 2>/dev/null | tr -d '\r' | cut -d' ' -f2-; }
answers() { cat "$T"/raw/*.out 2>/dev/null | tr -d '\r' | cut -d' ' -f2-; }
sets_to() {	# the UID sets of the MOVE (or COPY) commands to folder $1
	cmds | awk -v f="\"$1\"" '($2 == "UID" && ($3 == "MOVE" || $3 == "COPY") && $5 == f) { print $4 }'
}

# 1. QRESYNC offered (Dovecot's default): 40 processed, 10 junk, 1 past the MIME depth limit (quarantined)
rb_fill 50 q - deep
"$REBOUND" run --once --config "$T/r.conf" 2>"$T/log1"
is "first run exits 0" $? 0
is "folders: inbox processed unknown quarantine" "$(rb_folders)" "0 40 10 1"
is "both connections enabled QRESYNC" "$(cmds | grep -c ' ENABLE QRESYNC')" 2
is "the server accepted it" "$(answers | grep -c '^\* ENABLED QRESYNC')" 2
n=$(answers | grep -c '^\* VANISHED ')
[ "$n" -ge 2 ] && ok "moved mail reported as VANISHED ($n)" || no "VANISHED" "$n"
is "no EXPUNGE responses" "$(answers | grep -c '^\* [0-9]* EXPUNGE')" 0
s=$(sets_to rebound/Processed)
case "$s" in
*[,\ ]*|'') no "one MOVE with one range to rebound/Processed" "$s" ;;
*:*) ok "one MOVE with one range to rebound/Processed ($s)" ;;
*) no "one MOVE with one range to rebound/Processed" "$s" ;;
esac
is "quarantine first, then junk, then processed" \
	"$(cmds | awk '$2 == "UID" && $3 == "MOVE" { print $5 }' | tr -d '"' | tr '\n' ' ')" \
	"rebound/Quarantine rebound/Unknown rebound/Processed "
is "nothing pending" "$(pg_sql "SELECT count(*) FROM imap_pending")" 0

# 2. junk left in place: the processed MOVE covers the quarantined mail
# (moved just before) but skips every junk mail that stays
rm -f "$T"/raw/*
sed -i 's/^unknown_action = move/unknown_action = leave/' "$T/r.conf"
rb_fill 50 r - deep
"$REBOUND" run --once --config "$T/r.conf" 2>"$T/log2"
is "second run exits 0" $? 0
is "junk stays in INBOX, the rest moved" "$(rb_folders)" "10 80 10 2"
left=$(doveadm -c "$DC_CONF" fetch -u alice hdr.subject mailbox INBOX all | grep -c '^hdr.subject: lunch ')
is "what stayed is the junk" "$left" 10
s=$(sets_to rebound/Processed)
case "$s" in
*,*) ok "the processed set has holes for the junk ($s)" ;;
*) no "the processed set has holes for the junk" "$s" ;;
esac
doveadm -c "$DC_CONF" expunge -u alice mailbox INBOX all
sed -i 's/^unknown_action = leave/unknown_action = move/' "$T/r.conf"

# 3. a server without QRESYNC and without MOVE: no ENABLE, COPY +
# STORE + UID EXPUNGE, the same folders
echo "imap_capability = IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ UIDPLUS NAMESPACE" >>"$DC_CONF"
dc_restart || { no "dovecot restart"; exit 1; }
rm -f "$T"/raw/*
rb_fill 50 s - deep
"$REBOUND" run --once --config "$T/r.conf" 2>"$T/log3"
is "third run exits 0" $? 0
is "folders right with COPY and EXPUNGE" "$(rb_folders)" "0 120 20 3"
is "no ENABLE QRESYNC sent" "$(cmds | grep -c 'ENABLE')" 0
is "no MOVE sent" "$(cmds | grep -c 'UID MOVE')" 0
n=$(answers | grep -c '^\* [0-9]* EXPUNGE')
[ "$n" -ge 51 ] && ok "EXPUNGE responses handled ($n)" || no "EXPUNGE responses" "$n"
is "junk copied with one set, processed with one range" \
	"$(sets_to rebound/Processed | grep -c '^[0-9]*:[0-9]*$')" 1
is "nothing pending at the end" "$(pg_sql "SELECT count(*) FROM imap_pending")" 0

# 4. the mover's connection refused (one connection per user): the pass
# fails; what it committed stays pending; the next pass does it all
sed -i '/^imap_capability = /d' "$DC_CONF"
printf 'protocol imap {\n  mail_max_userip_connections = 1\n}\n' >>"$DC_CONF"
dc_restart || { no "dovecot restart"; exit 1; }
rb_fill 50 t
"$REBOUND" run --once --config "$T/r.conf" 2>"$T/log4"
is "a refused mover connection fails the pass" $? 1
grep -q "refused" "$T/log4" && ok "and says why" || no "the refusal logged" "$(tail -3 "$T/log4")"
is "no mail moved by the failed pass" "$(rb_folders)" "50 120 20 3"
sed -i 's/mail_max_userip_connections = 1/mail_max_userip_connections = 10/' "$DC_CONF"
dc_restart || { no "dovecot restart"; exit 1; }
"$REBOUND" run --once --config "$T/r.conf" 2>"$T/log5"
is "the next pass exits 0" $? 0
is "the next pass moves everything" "$(rb_folders)" "0 160 30 3"
is "each mail stored once (the deep ones with their error event)" "$(rb_counts | cut -d' ' -f1)" 203
is "nothing pending after it" "$(pg_sql "SELECT count(*) FROM imap_pending")" 0
