# tests/lib/mail.sh: write small test mails.  Source it.
#   mk_dsn FILE RCPT STATUS DIAG DATE [MSGID]   RFC 3464 failure report
#                 ($ACTION overrides "failed", e.g. ACTION=delayed)
#   mk_arf FILE RCPT FEEDBACK_TYPE DATE [MSGID] RFC 5965 complaint
#                 ($ARF_HEADERS: more header lines of the returned
#                 original, e.g. "X-Tenant: acme")
# DATE is RFC 5322 ("Mon, 06 Jan 2025 10:00:00 +0000"); MSGID defaults to
# a unique value, so each call is a different report.
mk__n=0
mk_dsn() {
	mk__n=$((mk__n + 1))
	cat >"$1" <<EOM
From: MAILER-DAEMON@mx.example.net
To: bounces@sender.example
Subject: Undelivered Mail Returned to Sender
Date: $5
Message-ID: <${6:-dsn-$$-$mk__n-$(date +%s%N)@mx.example.net}>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: text/plain

Delivery failed.

--B
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.net
Arrival-Date: $5

Final-Recipient: rfc822; $2
Action: ${ACTION:-failed}
Status: $3
Diagnostic-Code: smtp; $4
Last-Attempt-Date: $5

--B
Content-Type: text/rfc822-headers

From: news@sender.example
To: $2
Subject: Newsletter
Message-ID: <orig-$mk__n@sender.example>

--B--
EOM
}

mk_arf() {
	mk__n=$((mk__n + 1))
	cat >"$1" <<EOM
From: fbl@isp.example
To: fbl@sender.example
Subject: Abuse report
Date: $4
Message-ID: <${5:-arf-$$-$mk__n-$(date +%s%N)@isp.example}>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=feedback-report; boundary="B"

--B
Content-Type: text/plain

This is an abuse report.

--B
Content-Type: message/feedback-report

Feedback-Type: $3
User-Agent: ISP-FBL/1.0
Version: 1
Original-Rcpt-To: $2
Arrival-Date: $4

--B
Content-Type: message/rfc822

From: news@sender.example
To: $2
Subject: Newsletter
Message-ID: <orig-arf-$mk__n@sender.example>${ARF_HEADERS:+
$ARF_HEADERS}

hello
--B--
EOM
}
