#!/bin/sh
# `rebound parse` (and `ingest`, same reader) streams an mbox: memory does
# not grow with the file, every message is read (also those past the
# first hundreds of MB), and the output equals that of the messages
# given one by one.
cd "$(dirname "$0")/.." || exit 1
: "${REBOUND:=build/rebound}"
T=$(mktemp -d) || exit 1
trap 'rm -rf "$T"' EXIT
ok() { echo "ok - $1"; }
no() { echo "not ok - $1"; shift; for l in "$@"; do echo "# $l"; done; }

# N messages of about 20 KB: a DSN each, with filler in its text part
mkmbox() {
	awk -v n="$1" 'BEGIN {
		fill = ""
		for (j = 0; j < 400; j++)
			fill = fill "filler text that makes this message longer, line " j "\n"
		for (i = 0; i < n; i++) {
			r = "rcpt" i "@example.org"
			b = "b" i
			printf "From MAILER-DAEMON Mon Dec  7 08:00:00 2026\n"
			printf "From: MAILER-DAEMON@mx.example.net\nTo: app@sender.example.org\n"
			printf "Subject: Undelivered Mail Returned to Sender\nMessage-ID: <m%d@mx.example.net>\n", i
			printf "MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"%s\"\n\n", b
			printf "--%s\nContent-Type: text/plain\n\nDelivery to %s failed.\n%s\n", b, r, fill
			printf "--%s\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.net\n\n", b
			printf "Final-Recipient: rfc822; %s\nAction: failed\nStatus: 5.1.1\n", r
			printf "Diagnostic-Code: smtp; 550 5.1.1 <%s>: user unknown\n\n--%s--\n\n", r, b
		}
	}'
}
# under AddressSanitizer, freed memory waits in a quarantine (256 MB)
# before it is reused: keep it small so that RSS shows what is in use
[ -n "${ASAN_OPTIONS:-}" ] && export ASAN_OPTIONS="$ASAN_OPTIONS:quarantine_size_mb=0:thread_local_quarantine_size_kb=0"
mkmbox 300 >"$T/small.mbox"
mkmbox 3000 >"$T/big.mbox"
size=$(($(wc -c <"$T/big.mbox") / 1048576))
/usr/bin/time -f '%M' -o "$T/small.rss" "$REBOUND" parse "$T/small.mbox" >"$T/small.out"
/usr/bin/time -f '%M' -o "$T/big.rss" "$REBOUND" parse "$T/big.mbox" >"$T/big.out"
[ $? -eq 0 ] && ok "a ${size} MB mbox parses" || no "big mbox parse failed"
s=$(tail -n 1 "$T/small.rss")
b=$(tail -n 1 "$T/big.rss")
echo "# peak RSS: 300 messages $((s / 1024)) MB, 3000 messages (${size} MB) $((b / 1024)) MB"
[ $((b - s)) -le $((8 * 1024)) ] && ok "memory does not grow with the mbox (+$(((b - s) / 1024)) MB for ${size} MB)" ||
    no "memory grew by $(((b - s) / 1024)) MB for a ${size} MB mbox"
n=$(grep -c '"kind":"bounce"' "$T/big.out")
[ "$n" -eq 3000 ] && ok "every message read (3000 bounces)" || no "bounces: $n of 3000"
grep -q '"recipient":"rcpt2999@example.org"' "$T/big.out" && ok "the last message too" || no "the last message is missing"
# the same messages as separate files: the same events
mkdir "$T/one"
awk -v d="$T/one" '/^From MAILER-DAEMON / { n++; f = sprintf("%s/%05d.eml", d, n); next } { print > f }' "$T/small.mbox"
"$REBOUND" parse "$T/one" | sed 's/"file":"[^"]*",\{0,1\}//; s/"index":[-0-9]*,\{0,1\}//' >"$T/one.out"
sed 's/"file":"[^"]*",\{0,1\}//; s/"index":[-0-9]*,\{0,1\}//' "$T/small.out" >"$T/small.cmp"
cmp -s "$T/one.out" "$T/small.cmp" && ok "an mbox gives the events of its messages as files" ||
    no "mbox and files differ" "$(diff "$T/one.out" "$T/small.cmp" | head -4)"
