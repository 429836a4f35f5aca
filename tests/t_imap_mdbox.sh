#!/bin/sh
# rebound run --once against Dovecot storing mail in mdbox (its own
# multi-mail files, the layout it recommends for speed) rather than a
# maildir: every mail is stored once and moved to its folder, a second
# pass changes nothing, and the mover's groups stay small where a MOVE
# is cheap (it takes what is committed whenever it is free).
. "$(dirname "$0")/lib/setup.sh"
start_pg
DC_EXTRA="mail_location = mdbox:~/mdbox" start_dovecot
RB_LOG_LEVEL=debug rb_conf "$T/r.conf"
# the mover's group sizes in a log, one per line, in order
groups() { sed -n 's/.* \([0-9]*\) server actions in .*/\1/p' "$1"; }
# delivered through Dovecot: generated as a maildir, then imported
rb_fill 1200 m
doveadm -c "$DC_CONF" import -u alice "maildir:$DC_DIR/home/alice/Maildir" "" all
is "import into mdbox" "$?" 0
find "$DC_DIR/home/alice/Maildir/new" -type f -delete
n=$(ls "$DC_DIR/home/alice/mdbox/storage" 2>/dev/null | grep -c '^m\.')
[ "$n" -gt 0 ] && ok "the mail is in mdbox files ($n)" || no "the mail is in mdbox files"
is "folders before" "$(rb_folders)" "1200 0 0 0"

"$REBOUND" run --once --config "$T/r.conf" 2>"$T/log1"
is "first pass exits 0" $? 0
is "messages, events, quarantine records" "$(rb_counts)" "1200 1200 0"
is "folders: inbox processed unknown quarantine" "$(rb_folders)" "0 960 240 0"
is "no pending server actions" "$(pg_sql "SELECT count(*) FROM imap_pending")" 0
is "every mail moved, in groups" "$(groups "$T/log1" | awk '{s += $1} END {print s}')" 1200
# all groups but the last: at least a batch (100), and some of them
# small (the old rule waited for a quarter of the folder, 300)
g=$(groups "$T/log1" | sed '$d' | sort -n | head -1)
[ -n "$g" ] && [ "$g" -ge 100 ] && [ "$g" -le 200 ] && ok "small groups where a MOVE is cheap (smallest $g)" ||
	no "small groups where a MOVE is cheap" "$(groups "$T/log1" | tr '\n' ' ')"

"$REBOUND" run --once --config "$T/r.conf" 2>"$T/log2"
is "second pass exits 0" $? 0
is "second pass changes nothing (db)" "$(rb_counts)" "1200 1200 0"
is "second pass changes nothing (folders)" "$(rb_folders)" "0 960 240 0"
