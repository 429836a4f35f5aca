#!/bin/sh
# rebound quarantine list|retry|drop against a real Dovecot and
# PostgreSQL: mail that crashes the parser is quarantined with the UID
# the server gave it in the quarantine folder (COPYUID); list shows it;
# retry moves it back and, the fault gone, the daemon parses it and
# suppresses its address; drop deletes it from the server and keeps the
# record (dropped), also when its UID was not recorded (found by
# Message-ID and content); retry of a mail gone from the folder fails
# clearly and changes nothing, while a mail an interrupted retry already
# moved back is found in its source folder and recorded; migration 102
# keeps the rows written before it.
. "$(dirname "$0")/lib/setup.sh"
start_pg
start_dovecot
rb_conf "$T/r.conf"
sed -i "1i max_attempts = 2" "$T/r.conf"
ACC="alice@localhost:$DC_PORTS"
Q() { "$REBOUND" quarantine "$@" --config "$T/r.conf"; }
qcol() { pg_sql "SELECT $2 FROM imap_quarantine WHERE id = $1"; }

# migration 102 keeps rows written before it
REBOUND_TEST_MIGRATION_SKIP=102 "$REBOUND" db migrate >/dev/null
pg_sql "INSERT INTO imap_quarantine (account, folder, uidvalidity, uid, size, reason) VALUES ('old@example.org:993', 'INBOX', 7, 42, 1234, 'parser timed out after 10 s (3 attempts)')" >/dev/null
is "before 102: no state column" "$(pg_sql "SELECT count(*) FROM information_schema.columns WHERE table_name = 'imap_quarantine' AND column_name = 'state'")" 0
"$REBOUND" db migrate >/dev/null
is "102 applied" "$(pg_sql "SELECT count(*) FROM schema_version WHERE version = 102")" 1
is "the old row survives, quarantined, UID unknown" \
	"$(pg_sql "SELECT account, uid, size, reason, state, quid IS NULL FROM imap_quarantine")" \
	"old@example.org:993|42|1234|parser timed out after 10 s (3 attempts)|quarantined|t"
out=$(Q list --account old@example.org:993)
case "$out" in *"#1  quarantined"*"old@example.org:993 INBOX UID 42"*"UID unknown"*"parser timed out"*) ok "list shows the old row" ;;
	*) no "list shows the old row" "$out" ;; esac
pg_sql "DELETE FROM imap_quarantine" >/dev/null

# three bounces that crash the parser (the hook matches CRASHME)
nd=$DC_DIR/home/alice/Maildir/new
for i in 1 2 3; do
	cat >"$nd/17000000$i.M1P1.rbq$i" <<EOF
From: MAILER-DAEMON@mx.example.org
To: app@sender.example.org
Subject: Undelivered Mail Returned to Sender CRASHME
Date: Sun, 19 May 2024 06:00:00 +0000
Message-Id: <q$i-crash@mx.example.org>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="b$i"

--b$i
Content-Type: text/plain

Delivery to victim$i@example.com failed.

--b$i
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.org

Final-Recipient: rfc822; victim$i@example.com
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 <victim$i@example.com>: Recipient address rejected: User unknown

--b$i--
EOF
done
cp "$nd/170000003.M1P1.rbq3" "$T/mail3"
rb_fill 5 ok
REBOUND_TEST_PARSER_CRASH=CRASHME "$REBOUND" run --once --config "$T/r.conf" 2>"$T/log1"
is "pass with crashing mail exits 0" $? 0
is "three records, quarantined" "$(pg_sql "SELECT count(*) FROM imap_quarantine WHERE state = 'quarantined'")" 3
is "three mails in the quarantine folder" "$(dc_count alice rebound/Quarantine)" 3
# the UIDs the records name are the mails' UIDs in the folder, found by
# their Message-ID
for i in 1 2 3; do
	id=$(pg_sql "SELECT id FROM imap_quarantine WHERE message_id = '<q$i-crash@mx.example.org>'")
	eval "ID$i=\$id"
	srv=$(doveadm -c "$DC_CONF" search -u alice mailbox rebound/Quarantine header Message-Id "q$i-crash" 2>/dev/null | awk '{print $2}')
	is "mail $i: recorded quarantine UID is the server's" "$(qcol "${id:-0}" quid)" "${srv:-none}"
done
is "subject and sender recorded" "$(qcol "$ID1" "subject || '|' || sender")" \
	"Undelivered Mail Returned to Sender CRASHME|MAILER-DAEMON@mx.example.org"
is "not suppressed yet" "$(pg_sql "SELECT count(*) FROM suppressions WHERE address LIKE 'victim%'")" 0

out=$(Q list)
is "list exits 0" $? 0
quid1=$(qcol "$ID1" quid)
case "$out" in *"#$ID1  quarantined"*"$ACC INBOX UID"*"rebound/Quarantine UID $quid1"*"reason: parser killed by signal 6 (2 attempts)"*"message-id: <q1-crash@mx.example.org>"*) ok "list shows account, folders, UID, reason, Message-ID" ;;
	*) no "list text" "$out" ;; esac
j=$(Q list --json | python3 -c 'import json,sys
for l in sys.stdin:
    o = json.loads(l)
    if o["message_id"] == "<q1-crash@mx.example.org>":
        print(o["quarantine_uid"], o["state"], o["folder"], len(o["sha256"] or ""), o["size"] > 0)')
is "list --json: UID, state, folder, sha256" "$j" "$quid1 quarantined INBOX 64 True"
Q list --bogus >/dev/null 2>&1
is "unknown option: exit 2" $? 2
Q retry >/dev/null 2>&1
is "retry without ids or --all: exit 2" $? 2
"$REBOUND" quarantine list --db "host=127.0.0.1 port=1 dbname=x user=x connect_timeout=2" >/dev/null 2>&1
is "no database: exit 4" $? 4

# dry runs change nothing
out=$(Q drop --all --dry-run)
is "drop --dry-run exits 0" $? 0
case "$out" in *"#$ID2: would delete rebound/Quarantine UID"*) ok "drop --dry-run says what it would do" ;; *) no "dry run" "$out" ;; esac
is "dry run: nothing deleted, nothing recorded" "$(dc_count alice rebound/Quarantine) $(pg_sql "SELECT count(*) FROM imap_quarantine WHERE state = 'quarantined'")" "3 3"
out=$(Q drop --all --older-than 1)
case "$out" in "no quarantined mail") ok "drop --older-than 1 leaves today's mail" ;; *) no "older-than" "$out" ;; esac

# retry: back to INBOX, then parsed and suppressed
out=$(Q retry "$ID1")
is "retry exits 0" $? 0
case "$out" in *"moved from rebound/Quarantine UID $quid1 back to INBOX as UID"*) ok "retry says where the mail went" ;; *) no "retry output" "$out" ;; esac
is "the mail is in INBOX again" "$(dc_count alice INBOX) $(dc_count alice rebound/Quarantine)" "1 2"
is "record says retried, by whom" "$(qcol "$ID1" "state || '|' || (state_by IS NOT NULL)")" "retried|true"
out=$(Q retry "$ID1")
is "retry again: exit 0" $? 0
case "$out" in *"already retried"*) ok "retry again says already retried" ;; *) no "idempotent retry" "$out" ;; esac
is "retry again moved nothing" "$(dc_count alice INBOX) $(dc_count alice rebound/Quarantine)" "1 2"
"$REBOUND" run --once --config "$T/r.conf" 2>"$T/log2"
is "pass without the fault exits 0" $? 0
is "the retried bounce suppresses its address" "$(pg_sql "SELECT count(*) FROM suppressions WHERE address = 'victim1@example.com'")" 1
is "and went to the processed folder, not back to quarantine" \
	"$(dc_count alice INBOX) $(dc_count alice rebound/Quarantine) $(pg_sql "SELECT count(*) FROM imap_quarantine")" "0 2 3"

# drop, with the UID not recorded (a record from before COPYUID was
# recorded, or the moment after a crash): found by Message-ID and content
pg_sql "UPDATE imap_quarantine SET quid = NULL, quidvalidity = NULL WHERE id = $ID2" >/dev/null
out=$(Q drop "$ID2")
is "drop exits 0" $? 0
case "$out" in *"deleted from rebound/Quarantine UID"*) ok "drop says what it deleted" ;; *) no "drop output" "$out" ;; esac
is "dropped mail gone from the server" "$(doveadm -c "$DC_CONF" search -u alice mailbox rebound/Quarantine header Message-Id q2-crash 2>/dev/null | wc -l) $(dc_count alice rebound/Quarantine)" "0 1"
is "record kept, dropped, UID found" "$(qcol "$ID2" "state || '|' || (quid IS NOT NULL)")" "dropped|true"
out=$(Q drop "$ID2")
case "$out" in *"already dropped"*) ok "drop again: already dropped" ;; *) no "drop again" "$out" ;; esac
Q retry "$ID2" >/dev/null 2>&1
is "retry of a dropped mail: exit 1" $? 1

# retry of a mail that vanished from the quarantine folder
doveadm -c "$DC_CONF" expunge -u alice mailbox rebound/Quarantine all 2>/dev/null
Q retry "$ID3" >"$T/out" 2>"$T/err"
is "retry of a vanished mail: exit 1" $? 1
case "$(cat "$T/err")" in *"#$ID3"*"no longer in rebound/Quarantine"*"nothing moved"*) ok "it says the mail is gone" ;; *) no "vanished message" "$(cat "$T/err")" ;; esac
is "record unchanged, nothing in INBOX" "$(qcol "$ID3" state) $(dc_count alice INBOX)" "quarantined 0"
Q retry 999999 >/dev/null 2>&1
is "retry of an unknown id: exit 1" $? 1

# an interrupted retry: the mail is back in its source folder (moved),
# the record still says quarantined (the database went away before it
# was written); retry finds it there and records it
cp "$T/mail3" "$nd/170000009.M1P1.rbq9"
out=$(Q retry "$ID3" 2>"$T/err")
is "retry of a mail already back in its folder: exit 0" $? 0
case "$out" in *"#$ID3: not in rebound/Quarantine but back in INBOX as UID"*"recorded as retried"*) ok "it says where it found the mail" ;; *) no "found back" "$out $(cat "$T/err")" ;; esac
is "record says retried, nothing moved" "$(qcol "$ID3" state) $(dc_count alice INBOX)" "retried 1"
"$REBOUND" run --once --config "$T/r.conf" 2>"$T/log3"
is "the daemon then reads it: its address is suppressed" "$(pg_sql "SELECT count(*) FROM suppressions WHERE address = 'victim3@example.com'")" 1
