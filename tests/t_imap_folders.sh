#!/bin/sh
# Several folders of one mailbox.  A configured folder that does not
# exist is not created: the error names it, the other folders are still
# read, and `run --once` exits 1.  Every folder is watched: with
# poll_interval = 60, mail delivered to a second folder is processed
# within seconds (an IDLE connection per folder), not at the next poll
# (the lease, renewed every lease_seconds / 3, bounds the wait too: 30 s).
. "$(dirname "$0")/lib/setup.sh"
start_pg
start_dovecot
M=$DC_DIR/home/alice/Maildir
rb_conf "$T/missing.conf" "folders = Bounces/FBL, INBOX"
rb_fill 10 a
"$REBOUND" run --once --config "$T/missing.conf" 2>"$T/log1"
is "a missing folder: run --once exits 1" $? 1
is "the other folder is still read" "$(dc_count alice INBOX)" 0
grep -q 'Bounces/FBL' "$T/log1" && grep -qi 'does not exist\|doesn.t exist' "$T/log1" &&
	ok "the error names the missing folder" || no "the error does not name the folder" "$(grep -i error "$T/log1" | head -2)"
doveadm -c "$DC_CONF" mailbox status -u alice messages Bounces/FBL >/dev/null 2>&1 &&
	no "the missing folder was created" || ok "the missing folder is not created"
grep -q 'folders' docs/daemon.md && ! grep -q 'Folders are created when missing' docs/daemon.md &&
	ok "docs/daemon.md does not promise to create folders" || no "docs/daemon.md says folders are created"

# two folders, both watched
doveadm -c "$DC_CONF" mailbox create -u alice FBL || no "create FBL"
RB_LEASE=90 RB_LOG_LEVEL=info rb_conf "$T/two.conf" "folders = INBOX, FBL"
sed -i 's/^poll_interval = .*/poll_interval = 60/' "$T/two.conf"
"$REBOUND" run --config "$T/two.conf" 2>"$T/log2" &
pid=$!
sleep 2
mkdir -p "$M/.FBL/new"
mailgen "$M/.FBL/new" 10 f
chown -R 65534:65534 "$M"
i=0
while [ "$(dc_count alice FBL)" != 0 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
is "mail in the second folder processed within 10 s (poll_interval 60)" "$(dc_count alice FBL)" 0
rb_fill 5 g
i=0
while [ "$(dc_count alice INBOX)" != 0 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
is "mail in the first folder processed within 10 s" "$(dc_count alice INBOX)" 0
grep -q 'polling every' "$T/log2" && no "IDLE switched off for several folders" "$(grep polling "$T/log2")" || ok "no fallback to polling"
kill -TERM $pid
wait $pid
is "daemon exits 0 on SIGTERM" $? 0
