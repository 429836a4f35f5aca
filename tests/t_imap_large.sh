#!/bin/sh
# A hard bounce larger than max_size (its original attached, with a big
# attachment) is read in part: its first max_size bytes hold the report
# parts, so its event is stored and the address suppressed, as `rebound
# ingest` of the same file does; the mail goes to the processed folder,
# not to quarantine, and its raw bytes are not kept.
. "$(dirname "$0")/lib/setup.sh"
start_pg
start_dovecot
rb_conf "$T/r.conf"	# max_size = 64K
new=$DC_DIR/home/alice/Maildir/new
big() {	# FILE RCPT: a DSN of about 300 KB
	{
		printf 'From: MAILER-DAEMON@mx.example.org\nTo: app@sender.example.org\n'
		printf 'Subject: Undelivered Mail Returned to Sender\nDate: Sun, 19 May 2024 06:00:00 +0000\n'
		printf 'Message-Id: <big-%s@mx.example.org>\nMIME-Version: 1.0\n' "$2"
		printf 'Content-Type: multipart/report; report-type=delivery-status; boundary="B1"\n\n'
		printf -- '--B1\nContent-Type: text/plain\n\nDelivery to %s failed.\n\n' "$2"
		printf -- '--B1\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.org\n\n'
		printf 'Final-Recipient: rfc822; %s\nAction: failed\nStatus: 5.1.1\n' "$2"
		printf 'Diagnostic-Code: smtp; 550 5.1.1 <%s>: Recipient address rejected: User unknown\n\n' "$2"
		printf -- '--B1\nContent-Type: message/rfc822\n\nFrom: app@sender.example.org\nTo: %s\n' "$2"
		printf 'Subject: the brochure\nMessage-Id: <orig-%s@sender.example.org>\nMIME-Version: 1.0\n' "$2"
		printf 'Content-Type: multipart/mixed; boundary="B2"\n\n--B2\nContent-Type: text/plain\n\nSee attached.\n\n'
		printf -- '--B2\nContent-Type: application/pdf; name="brochure.pdf"\nContent-Transfer-Encoding: base64\n\n'
		head -c 230000 /dev/urandom | base64
		printf -- '--B2--\n\n--B1--\n'
	} >"$1"
}
big "$T/big.eml" big-one@example.com
sz=$(wc -c <"$T/big.eml")
[ "$sz" -gt 300000 ] && ok "the bounce is $sz bytes (max_size 65536)" || no "fixture size $sz"
vsz=$((sz + $(wc -l <"$T/big.eml")))	# RFC822.SIZE: CRLF line ends
cp "$T/big.eml" "$new/1700000001.M1P1.rb-big,S=$sz,W=$vsz"
chown -R 65534:65534 "$DC_DIR/home/alice/Maildir"
"$REBOUND" run --once --config "$T/r.conf" 2>"$T/log"
is "run --once exits 0" $? 0
"$REBOUND" query big-one@example.com >/dev/null 2>&1
is "the address of the large bounce is suppressed" $? 3
is "its event is stored" "$(pg_sql "SELECT kind || ' ' || reason FROM events WHERE addr_key = 'big-one@example.com'")" "bounce userunknown"
is "the message is stored with its real size, no raw bytes" "$(pg_sql "SELECT size = $vsz, raw IS NULL FROM messages")" "t|t"
is "not quarantined" "$(pg_sql "SELECT count(*) FROM imap_quarantine")" 0
is "folders: inbox processed unknown quarantine" "$(rb_folders)" "0 1 0 0"
