# tests/lib/mailgen.sh: write synthetic mailboxes fast (source it).
#
#   mailgen DIR N TAG     N mails into DIR (a Maildir "new" directory),
#                         cycling five kinds by number i (0-based):
#                           i%5==0 hard bounce (5.1.1)  bounce-TAG-i@example.com
#                           i%5==1 soft bounce (5.2.2)  full-TAG-i@example.com
#                           i%5==2 ARF abuse complaint  fbl-TAG-i@example.net
#                           i%5==3 RFC 3834 auto-reply
#                           i%5==4 junk (unknown)
#                         Every mail names its own recipient, so each one
#                         is a distinct report (no dedup between them).
#   mailgen_big DIR BYTES TAG    one junk mail of about BYTES bytes
#   mailgen_deep DIR TAG         one bounce nested past the MIME depth limit
# Files are named in the shape of Dovecot's own delivery names
# (TIME.MusecPpid.host,S=size,W=vsize): the sizes are exact (Dovecot
# trusts them and drops the connection mid-fetch when they lie), and
# like a real delivered mailbox they let Dovecot answer RFC822.SIZE
# without reading the file.  The name matters:
# Dovecot hashes maildir base names, and names that repeat the same digits
# (such as "1700000000+i.Mi.TAG") collide so badly that every UID MOVE or
# expunge costs milliseconds per mail already in the folder (69 % of the
# imap process in maildir_filename_base_cmp): the benchmark would then
# measure its own mailbox, not the daemon.

mailgen() {
	LC_ALL=C awk -v dir="$1" -v n="$2" -v tag="$3" 'BEGIN {
	for (i = 0; i < n; i++) {
		f = sprintf("%s/%d.M%dP%d.rb-%s", dir, 1700000000 + int(i / 16), (i * 7919) % 1000000, 1000 + i % 30000, tag)
		m = ""
		k = i % 5
		b = "b" tag "x" i
		if (k == 0 || k == 1) {
			rcpt = (k == 0 ? "bounce-" : "full-") tag "-" i "@example.com"
			st = (k == 0 ? "5.1.1" : "5.2.2")
			diag = (k == 0 ? "550 5.1.1 <" rcpt ">: Recipient address rejected: User unknown" : "552 5.2.2 <" rcpt ">: Mailbox full")
			m = sprintf("From: MAILER-DAEMON@mx.example.org\nTo: app@sender.example.org\nSubject: Undelivered Mail Returned to Sender\nDate: Sun, 19 May 2024 06:00:00 +0000\nMessage-Id: <%s@mx.example.org>\nMIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"%s\"\n\n--%s\nContent-Type: text/plain\n\nDelivery to %s failed.\n\n--%s\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.org\n\nFinal-Recipient: rfc822; %s\nAction: failed\nStatus: %s\nDiagnostic-Code: smtp; %s\n\n--%s\nContent-Type: text/rfc822-headers\n\nFrom: app@sender.example.org\nTo: %s\nSubject: Hello %d\nMessage-Id: <orig-%s@sender.example.org>\n\n--%s--\n", b, b, b, rcpt, b, rcpt, st, diag, b, rcpt, i, b, b)
		} else if (k == 2) {
			rcpt = "fbl-" tag "-" i "@example.net"
			m = sprintf("From: abuse@fbl.example.net\nTo: fbl@sender.example.org\nSubject: FBL report\nDate: Sun, 19 May 2024 06:00:00 +0000\nMessage-Id: <%s@fbl.example.net>\nMIME-Version: 1.0\nContent-Type: multipart/report; report-type=feedback-report; boundary=\"%s\"\n\n--%s\nContent-Type: text/plain\n\nThis is an abuse report.\n\n--%s\nContent-Type: message/feedback-report\n\nFeedback-Type: abuse\nUser-Agent: gen/1.0\nVersion: 1\nOriginal-Rcpt-To: <%s>\nSource-IP: 192.0.2.1\nArrival-Date: Sun, 19 May 2024 05:00:00 +0000\n\n--%s\nContent-Type: message/rfc822\n\nFrom: app@sender.example.org\nTo: %s\nSubject: Offer %d\nMessage-Id: <orig-%s@sender.example.org>\n\nBuy now.\n\n--%s--\n", b, b, b, b, rcpt, b, rcpt, i, b, b)
		} else if (k == 3) {
			m = sprintf("From: someone-%s-%d@example.com\nTo: app@sender.example.org\nSubject: Out of office: Hello %d\nAuto-Submitted: auto-replied\nDate: Sun, 19 May 2024 06:00:00 +0000\nMessage-Id: <%s@example.com>\n\nI am away until Monday.\n", tag, i, i, b)
		} else {
			m = sprintf("From: friend-%s-%d@example.com\nTo: app@sender.example.org\nSubject: lunch %d?\nDate: Sun, 19 May 2024 06:00:00 +0000\nMessage-Id: <%s@example.com>\n\nAre you free for lunch on day %d?\n", tag, i, i, b, i)
		}
		# the sizes Dovecot delivery writes into the name: S= the
		# file, W= with CRLF line ends (exact: Dovecot trusts them)
		nl = gsub(/\n/, "\n", m)
		f = f ",S=" length(m) ",W=" (length(m) + nl)
		printf "%s", m > f
		close(f)
	}
	}'
}

mailgen_big() {
	f="$1/1600000000.Mbig.$3.rbgen"
	{
		printf 'From: big@example.com\nTo: app@sender.example.org\nSubject: big %s\nMessage-Id: <big-%s@example.com>\n\n' "$3" "$3"
		head -c "$2" /dev/zero | tr '\0' 'x' | fold -w 76
		echo
	} >"$f"
}

mailgen_deep() {
	f="$1/1600000001.Mdeep.$2.rbgen"
	awk -v tag="$2" 'BEGIN {
		printf "From: MAILER-DAEMON@mx.example.org\nTo: app@sender.example.org\nSubject: deep %s\nMessage-Id: <deep-%s@example.com>\nMIME-Version: 1.0\n", tag, tag
		for (d = 0; d < 40; d++)
			printf "Content-Type: multipart/mixed; boundary=\"d%d\"\n\n--d%d\n", d, d
		printf "Content-Type: text/plain\n\ndeep\n"
		for (d = 39; d >= 0; d--)
			printf "--d%d--\n", d
	}' >"$f"
}
