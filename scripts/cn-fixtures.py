#!/usr/bin/env python3
"""Write tests/fixtures/cn-*.eml: bounces in the formats and wordings that
docs/cn.md documents (with their sources), written by hand
for rebound's tests (no real mail copied).  Addresses use example
domains; reply texts are the providers' documented wordings.  Run from
the repository root; review the diff of tests/golden after
UPDATE_GOLDEN=1 sh tests/t_golden.sh."""
import base64
import os
import re

OUT = "tests/fixtures"


def w(name, data):
    if isinstance(data, str):
        data = data.encode("utf-8")
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)


ORIG = """Return-Path: <news@edm.example.com>
Message-ID: <{mid}@edm.example.com>
Date: Tue, 15 Oct 2024 10:00:00 +0800
From: =?UTF-8?B?5rWL6K+V?= <news@edm.example.com>
To: {to}
Subject: =?UTF-8?B?5Y+M5Y2B5LiA5aSn5L+D?=
X-Campaign-ID: cn-1111
MIME-Version: 1.0
Content-Type: text/plain; charset=UTF-8
"""

# 1. Postfix, one DSN for three QQ recipients (QQ MX, no enhanced codes:
#    Postfix writes Status 5.0.0).
w("cn-postfix-qq.eml", """Return-Path: <>
Received: by mta1.edm.example.com (Postfix) id 4XQm2c1Z9Tz9tD; Tue, 15 Oct 2024 10:00:05 +0800 (CST)
Date: Tue, 15 Oct 2024 10:00:05 +0800 (CST)
From: MAILER-DAEMON@mta1.edm.example.com (Mail Delivery System)
Subject: Undelivered Mail Returned to Sender
To: news@edm.example.com
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
	boundary="4XQm2c1Z9Tz9tD.1728957605/mta1.edm.example.com"
Message-Id: <20241015020005.4XQm2c1Z9Tz9tD@mta1.edm.example.com>

This is a MIME-encapsulated message.

--4XQm2c1Z9Tz9tD.1728957605/mta1.edm.example.com
Content-Description: Notification
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mta1.edm.example.com.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients. It's attached below.

                   The mail system

<blocked-me@qq.example.com>: host mx3.qq.com[203.0.113.30] said: 550 Mail is
    rejected by recipients [MTIxLjQ2LjE0Mi4zOA== IP: 192.0.2.8].
    https://service.mail.qq.com/detail/0/92. (in reply to end of DATA
    command)

<gone@qq.example.com>: host mx3.qq.com[203.0.113.30] said: 550 Mailbox not
    found. https://service.mail.qq.com/detail/122/169 (in reply to RCPT TO
    command)

<busy@qq.example.com>: host mx3.qq.com[203.0.113.30] said: 550 Ip frequency
    limited [MTIxLjQ2LjE0Mi4zOA== IP: 192.0.2.8].
    https://service.mail.qq.com/detail/122/172 (in reply to MAIL FROM
    command)

--4XQm2c1Z9Tz9tD.1728957605/mta1.edm.example.com
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; mta1.edm.example.com
X-Postfix-Queue-ID: 4XQm2c1Z9Tz9tD
X-Postfix-Sender: rfc822; news@edm.example.com
Arrival-Date: Tue, 15 Oct 2024 10:00:01 +0800 (CST)

Final-Recipient: rfc822; blocked-me@qq.example.com
Original-Recipient: rfc822;blocked-me@qq.example.com
Action: failed
Status: 5.0.0
Remote-MTA: dns; mx3.qq.com
Diagnostic-Code: smtp; 550 Mail is rejected by recipients
    [MTIxLjQ2LjE0Mi4zOA== IP: 192.0.2.8].
    https://service.mail.qq.com/detail/0/92.

Final-Recipient: rfc822; gone@qq.example.com
Original-Recipient: rfc822;gone@qq.example.com
Action: failed
Status: 5.0.0
Remote-MTA: dns; mx3.qq.com
Diagnostic-Code: smtp; 550 Mailbox not found.
    https://service.mail.qq.com/detail/122/169

Final-Recipient: rfc822; busy@qq.example.com
Original-Recipient: rfc822;busy@qq.example.com
Action: failed
Status: 5.0.0
Remote-MTA: dns; mx3.qq.com
Diagnostic-Code: smtp; 550 Ip frequency limited [MTIxLjQ2LjE0Mi4zOA== IP:
    192.0.2.8]. https://service.mail.qq.com/detail/122/172

--4XQm2c1Z9Tz9tD.1728957605/mta1.edm.example.com
Content-Description: Undelivered Message Headers
Content-Type: text/rfc822-headers

""" + ORIG.format(mid="a1", to="blocked-me@qq.example.com") + """
--4XQm2c1Z9Tz9tD.1728957605/mta1.edm.example.com--
""")

# 2. Postfix, NetEase MXs, DSN part without Remote-MTA (as a relay that
#    regenerates DSNs writes it): the host comes from the text.
w("cn-postfix-netease-noremote.eml", """Return-Path: <>
Date: Tue, 15 Oct 2024 11:20:00 +0800 (CST)
From: MAILER-DAEMON@mta2.edm.example.com (Mail Delivery System)
Subject: Undelivered Mail Returned to Sender
To: news@edm.example.com
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
	boundary="B2.1728962400/mta2.edm.example.com"
Message-Id: <20241015032000.B2@mta2.edm.example.com>

--B2.1728962400/mta2.edm.example.com
Content-Description: Notification
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mta2.edm.example.com.

<nobody@163.example.com>: host 163mx01.mxmail.netease.com[203.0.113.41]
    said: 550 User not found: nobody@163.example.com (in reply to RCPT TO
    command)

<frozen@126.example.com>: host 126mx02.mxmail.netease.com[203.0.113.42]
    said: 550 User suspended (in reply to RCPT TO command)

<quota@yeah.example.net>: host yeahmx01.mxmail.netease.com[203.0.113.43]
    said: 550 RP:TRC 163 mx14,QMCowAD3_1GhGQ5nmOoLBg--.12345S2 1728962399
    (in reply to RCPT TO command)

--B2.1728962400/mta2.edm.example.com
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; mta2.edm.example.com
Arrival-Date: Tue, 15 Oct 2024 11:19:55 +0800 (CST)

Final-Recipient: rfc822; nobody@163.example.com
Action: failed
Status: 5.0.0
Diagnostic-Code: X-Postfix; host 163mx01.mxmail.netease.com[203.0.113.41]
    said: 550 User not found: nobody@163.example.com (in reply to RCPT TO
    command)

Final-Recipient: rfc822; frozen@126.example.com
Action: failed
Status: 5.0.0
Diagnostic-Code: smtp; 550 User suspended

Final-Recipient: rfc822; quota@yeah.example.net
Action: failed
Status: 5.0.0
Diagnostic-Code: smtp; 550 RP:TRC 163 mx14,QMCowAD3_1GhGQ5nmOoLBg--.12345S2
    1728962399

--B2.1728962400/mta2.edm.example.com
Content-Description: Undelivered Message Headers
Content-Type: text/rfc822-headers

""" + ORIG.format(mid="a2", to="nobody@163.example.com") + """
--B2.1728962400/mta2.edm.example.com--
""")

# 3. Postfix delay notice: NetEase 421 HL:REP (list-hygiene signal).
w("cn-postfix-netease-delay.eml", """Return-Path: <>
Date: Tue, 15 Oct 2024 14:00:00 +0800 (CST)
From: MAILER-DAEMON@mta1.edm.example.com (Mail Delivery System)
Subject: Delayed Mail (still being retried)
To: news@edm.example.com
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
	boundary="B3.1728972000/mta1.edm.example.com"
Message-Id: <20241015060000.B3@mta1.edm.example.com>

--B3.1728972000/mta1.edm.example.com
Content-Description: Notification
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mta1.edm.example.com.

####################################################################
# THIS IS A WARNING ONLY.  YOU DO NOT NEED TO RESEND YOUR MESSAGE. #
####################################################################

<reader@126.example.com>: host 126mx01.mxmail.netease.com[203.0.113.44]
    refused to talk to me: 421 HL:REP 126 mx8,OsCowACnHCxTHQ5nDGpDAA--.20133S2
    1728971990, please see
    http://mail.163.com/help/help_spam_16.htm?ip=192.0.2.8

--B3.1728972000/mta1.edm.example.com
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; mta1.edm.example.com
Arrival-Date: Tue, 15 Oct 2024 10:00:01 +0800 (CST)

Final-Recipient: rfc822; reader@126.example.com
Action: delayed
Status: 4.0.0
Remote-MTA: dns; 126mx01.mxmail.netease.com
Diagnostic-Code: smtp; 421 HL:REP 126 mx8,OsCowACnHCxTHQ5nDGpDAA--.20133S2
    1728971990, please see
    http://mail.163.com/help/help_spam_16.htm?ip=192.0.2.8
Will-Retry-Until: Tue, 20 Oct 2024 10:00:01 +0800 (CST)

--B3.1728972000/mta1.edm.example.com
Content-Description: Undelivered Message Headers
Content-Type: text/rfc822-headers

""" + ORIG.format(mid="a3", to="reader@126.example.com") + """
--B3.1728972000/mta1.edm.example.com--
""")

# 4. Exim DSN: NetEase spam rejection and daily quota.
w("cn-exim-netease.eml", """Return-path: <>
Received: from Debian-exim by mx.edm.example.org with local (Exim 4.96)
	id 1t0aBc-000Xyz-2Q; Tue, 15 Oct 2024 12:00:00 +0800
X-Failed-Recipients: spam@163.example.com, daily@qiye.example.cn
Auto-Submitted: auto-replied
From: Mail Delivery System <Mailer-Daemon@mx.edm.example.org>
To: news@edm.example.org
Content-Type: multipart/report; report-type=delivery-status; boundary=1728964800-eximdsn-1804289383
MIME-Version: 1.0
Subject: Mail delivery failed: returning message to sender
Message-Id: <E1t0aBc-000Xyz-2Q@mx.edm.example.org>
Date: Tue, 15 Oct 2024 12:00:00 +0800

--1728964800-eximdsn-1804289383
Content-type: text/plain; charset=us-ascii

This message was created automatically by mail delivery software.

A message that you sent could not be delivered to one or more of its
recipients. This is a permanent error. The following address(es) failed:

  spam@163.example.com
    host 163mx02.mxmail.netease.com [203.0.113.45]
    SMTP error from remote mail server after end of data:
    554 DT:SPM 163 mx2,DsCowAB3n5WLIg5nBX5BAA--.54321S2 1728964799, please see http://mail.163.com/help/help_spam_16.htm?ip=192.0.2.8&hostid=mx2&time=1728964799
  daily@qiye.example.cn
    host qiye163mx01.mxmail.netease.com [203.0.113.46]
    SMTP error from remote mail server after RCPT TO:<daily@qiye.example.cn>:
    554 5.7.3 HL:ITC qiye163 mx1,ABCowAB3n5WLIg5nBX5BAA--.1S2 1728964799

--1728964800-eximdsn-1804289383
Content-type: message/delivery-status

Reporting-MTA: dns; mx.edm.example.org

Action: failed
Final-Recipient: rfc822;spam@163.example.com
Status: 5.0.0
Remote-MTA: dns; 163mx02.mxmail.netease.com
Diagnostic-Code: smtp; 554 DT:SPM 163 mx2,DsCowAB3n5WLIg5nBX5BAA--.54321S2 1728964799, please see http://mail.163.com/help/help_spam_16.htm?ip=192.0.2.8&hostid=mx2&time=1728964799

Action: failed
Final-Recipient: rfc822;daily@qiye.example.cn
Status: 5.7.3
Remote-MTA: dns; qiye163mx01.mxmail.netease.com
Diagnostic-Code: smtp; 554 5.7.3 HL:ITC qiye163 mx1,ABCowAB3n5WLIg5nBX5BAA--.1S2 1728964799

--1728964800-eximdsn-1804289383
Content-type: text/rfc822-headers

""" + ORIG.format(mid="a4", to="spam@163.example.com") + """
--1728964800-eximdsn-1804289383--
""")

# 5. PowerMTA DSN: one recipient each at Aliyun, Sohu, QQ (content),
#    Tencent Exmail (mailbox unavailable), Sina.
def pmta_block(rcpt, mx, ip, diag, status="5.0.0 (undefined status)"):
    return (f"Original-Recipient: rfc822;{rcpt}\nFinal-Recipient: rfc822;{rcpt}\n"
            f"Action: failed\nStatus: {status}\nRemote-MTA: dns; {mx} ({ip})\n"
            f"Diagnostic-Code: smtp; {diag}\n\n")

blocks = [
    ("lost@aliyun.example.com", "mxw.mxhichina.com", "203.0.113.51",
     "554 RCPT (lost@aliyun.example.com) dosn't exist"),
    ("ip@sohu.example.com", "sohumx1.sohu.com", "203.0.113.52",
     "553 5.7.0 IP REJECT: 192.0.2.8:1728965000:http://mail.sohu.com/info/policy",
     "5.7.0 (other or undefined security status)"),
    ("content@qq.example.com", "mx1.qq.com", "203.0.113.53",
     "550 Mail content denied [MTIxLjQ2LjE0Mi4zOA== IP: 192.0.2.8]. https://service.mail.qq.com/detail/122/171"),
    ("staff@exmail.example.cn", "mxbiz1.qq.com", "203.0.113.54",
     "550 Mailbox unavailable or access denied [MTIxLjQ2LjE0Mi4zOA== IP: 192.0.2.8]. https://open.work.weixin.qq.com/help2/pc/20057"),
    ("rep@sina.example.com", "freemx1.sinamail.sina.com.cn", "203.0.113.55",
     "554 Rejected due to the sending MTA's poor reputation"),
]
body = "".join(pmta_block(*b) for b in blocks)
w("cn-powermta-mixed.eml", """Return-Path: <>
Date: Tue, 15 Oct 2024 12:10:00 +0800
From: Mail Delivery Subsystem <mailer-daemon@pmta.edm.example.com>
To: <news@edm.example.com>
Subject: Delivery report
Message-Id: <pmta-1728965400-1@pmta.edm.example.com>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
	boundary="=_pmta-1"
X-PowerMTA-BounceCategory: bad-mailbox

This is a multi-part message in MIME format.

--=_pmta-1
Content-Type: text/plain; charset=us-ascii

This is a delivery status notification from pmta.edm.example.com.

The message could not be delivered to some or all of its recipients.
The details follow in the machine-readable part below.

--=_pmta-1
Content-Type: message/delivery-status

Reporting-MTA: dns; pmta.edm.example.com
Received-From-MTA: dns; app1.edm.example.com (192.0.2.20)
Arrival-Date: Tue, 15 Oct 2024 12:09:50 +0800

""" + body + """--=_pmta-1
Content-Type: text/rfc822-headers

""" + ORIG.format(mid="a5", to="lost@aliyun.example.com") + """
--=_pmta-1--
""")

# 6. QQ-generated NDR: GB2312 RFC 2047 subject, UTF-8 HTML table.
qq_html = """<html><head><meta charset="utf-8"></head><body>
<div>很抱歉您发送的邮件被退回，以下是该邮件的相关信息：</div>
<table border="0">
<tr><td colspan="2"><b>被退回邮件</b></td></tr>
<tr><td>主　题：</td><td>双十一大促</td></tr>
<tr><td>时　间：</td><td>2024年10月15日 (星期二) 下午3:00</td></tr>
<tr><td colspan="2">无法发送到 dead@partner.example.net</td></tr>
<tr><td>退信原因</td><td>该用户不存在。对方服务器返回：host mx.partner.example.net[203.0.113.61] said: 550 5.1.1 &lt;dead@partner.example.net&gt;: Recipient address rejected: User unknown in virtual mailbox table</td></tr>
<tr><td>解决方案</td><td>请检查收件人地址是否正确。</td></tr>
</table>
<div>此为系统邮件，请勿回复</div>
</body></html>
"""
w("cn-qq-ndr.eml", ("""Return-Path: <>
Date: Tue, 15 Oct 2024 15:02:11 +0800
From: "PostMaster" <PostMaster@qq.com>
To: "kijitora" <kijitora@qq.example.com>
Subject: =?gb2312?B?wLTX1HFxLmNvbbXEzcvQxQ==?=
Message-ID: <tencent_0A1B2C3D4E5F@qq.com>
MIME-Version: 1.0
Content-Type: text/html; charset=utf-8
Content-Transfer-Encoding: base64

""" + base64.encodebytes(qq_html.encode("utf-8")).decode()))

# 7. NetEase / Coremail 系统退信: GB2312-labelled HTML that really holds
#    GBK (镕 and 喆 are outside GB2312), quoted-printable-free 8bit.
ne_html = """<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312"></head>
<body>
<p><b>抱歉，您的邮件被退回来了……</b></p>
<table>
<tr><td colspan="2"><b>原邮件信息</b></td></tr>
<tr><td>时　间：</td><td>2024-10-15 16:05:02</td></tr>
<tr><td>主　题：</td><td>镕喆会员日</td></tr>
<tr><td>收件人：</td><td>nouser@coremail.example.edu.cn</td></tr>
<tr><td colspan="2"><b>退信原因</b></td></tr>
<tr><td colspan="2">收件人帐号不存在。<br>英文说明: 550 User not found: nouser@coremail.example.edu.cn</td></tr>
<tr><td colspan="2"><b>建议解决方案</b></td></tr>
<tr><td colspan="2">请核对收件人地址后重新发送。</td></tr>
</table>
<p><a href="http://feedback.mail.126.com/antispam/report.php?&amp;BounceReason=User+not+found&amp;BouncedRcpt=nouser%40coremail.example.edu.cn&amp;Sender=kijitora%40163.example.com&amp;TransID=C8CowAD3_1GhGQ5n">报告退信</a></p>
<p>This message is generated by Coremail.<br>您收到的是来自 Coremail 专业邮件系统的信件.</p>
</body></html>
"""
w("cn-netease-ndr-gb2312.eml", ("""Return-Path: <>
Date: Tue, 15 Oct 2024 16:05:09 +0800 (CST)
From: Postmaster@163.com
To: kijitora@163.example.com
Subject: =?gb2312?B?""" + base64.b64encode("系统退信".encode("gb2312")).decode() + """?=
Message-ID: <670E2135.AC0F83.19561@163smtp10>
MIME-Version: 1.0
Content-Type: text/html; charset="gb2312"
Content-Transfer-Encoding: 8bit

""").encode("ascii") + ne_html.encode("gbk"))

# 8. Windows SMTP DSN (Chinese locale) in UTF-7 relaying a QQ SPF
#    rejection; the DSN part carries Status 5.5.0 and no Remote-MTA.
win_text = ("这是自动生成的传递状态通知。\r\n\r\n"
            "传递到以下收件人失败。\r\n\r\n"
            "       spf@qq.example.com\r\n")
w("cn-windows-utf7.eml", ("""Return-Path: <>
From: postmaster@win.example.com
To: news@edm.example.com
Date: Tue, 15 Oct 2024 17:00:00 +0800
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
	boundary="9B095B5ADSN=_01D0F0B0A1B2C3D4000012AB"
X-DSNContext: 7ce717b1 - 1196 - 00000002 - 00000000
Message-ID: <abcDEF0123456789@win.example.com>
Subject: Delivery Status Notification (Failure)

This is a MIME-formatted message.  
Portions of this message may be unreadable without a MIME-capable mail program.

--9B095B5ADSN=_01D0F0B0A1B2C3D4000012AB
Content-Type: text/plain; charset=unicode-1-1-utf-7

""").encode("ascii") + win_text.encode("utf-7") + b"""

--9B095B5ADSN=_01D0F0B0A1B2C3D4000012AB
Content-Type: message/delivery-status

Reporting-MTA: dns;win.example.com
Received-From-MTA: dns;app2
Arrival-Date: Tue, 15 Oct 2024 16:59:58 +0800

Final-Recipient: rfc822;spf@qq.example.com
Action: failed
Status: 5.5.0
Diagnostic-Code: smtp;550 SPF check failed [MTIxLjQ2LjE0Mi4zOA== IP: 192.0.2.9]. https://service.mail.qq.com/detail/122/72

--9B095B5ADSN=_01D0F0B0A1B2C3D4000012AB
Content-Type: message/rfc822

""" + ORIG.format(mid="a8", to="spf@qq.example.com").encode() + b"""
hello

--9B095B5ADSN=_01D0F0B0A1B2C3D4000012AB--
""")

# 9. Old Exim without a delivery-status part (plain text only), QQ MX:
#    the remote MTA comes from "host X [ip]" in the text.
w("cn-exim-text-qq.eml", """Return-path: <>
Received: from mail by mx.edm.example.org with local (Exim 4.72)
	id 1Q2w3E-0004rT-Yu; Tue, 15 Oct 2024 18:00:00 +0800
X-Failed-Recipients: protected@qq.example.com
From: Mail Delivery System <Mailer-Daemon@mx.edm.example.org>
To: news@edm.example.org
Subject: Mail delivery failed: returning message to sender
Message-Id: <E1Q2w3E-0004rT-Yu@mx.edm.example.org>
Date: Tue, 15 Oct 2024 18:00:00 +0800

This message was created automatically by mail delivery software.

A message that you sent could not be delivered to one or more of its
recipients. This is a permanent error. The following address(es) failed:

  protected@qq.example.com
    SMTP error from remote mail server after RCPT TO:<protected@qq.example.com>:
    host mx2.qq.com [203.0.113.32]: 550 Mailbox unavailable or access denied [MTIxLjQ2LjE0Mi4zOA== IP: 192.0.2.8]

------ This is a copy of the message, including all the headers. ------

""" + ORIG.format(mid="a9", to="protected@qq.example.com") + """
hello
""")


# 10-14: one Postfix DSN per class of provider reply (the providers'
#    documented wordings; hosts, addresses and ids are examples).
def fold(text, width=74):
    """Postfix's folding of a long text line: 4-space continuation."""
    out, line = [], ""
    for word in text.split(" "):
        if line and len(line) + 1 + len(word) > width:
            out.append(line)
            line = "    " + word
        else:
            line = (line + " " + word) if line else word
    out.append(line)
    return "\n".join(out)


def postfix(name, qid, date, recips, delayed=False, mid="p"):
    """recips: (rcpt, host, ip, reply, stage) with stage a Postfix command
    name ("RCPT TO", "MAIL FROM", "end of DATA", "HELO"), "SASL" for a
    login refused by a submission server, None when not said."""
    b = "%s.1729040000/mta3.edm.example.com" % qid
    text, fields = [], []
    for rcpt, host, ip, reply, stage in recips:
        if stage == "SASL":
            why = "SASL authentication failed; server %s[%s] said: %s" % (
                host, ip, reply)
        elif stage is None:
            why = "host %s[%s] said: %s" % (host, ip, reply)
        else:
            why = "host %s[%s] said: %s (in reply to %s command)" % (
                host, ip, reply, stage)
        text.append(fold("<%s>: %s" % (rcpt, why)))
        m = re.match(r"([245])\d\d(?:[ -]([245]\.\d+\.\d+))?", reply)
        status = (m.group(2) if m and m.group(2) else
                  (m.group(1) if m else "5") + ".0.0")
        if delayed and not status.startswith("4"):
            status = "4" + status[1:]
        fields.append(
            "Final-Recipient: rfc822; %s\nOriginal-Recipient: rfc822;%s\n"
            "Action: %s\nStatus: %s\nRemote-MTA: dns; %s\n"
            "Diagnostic-Code: smtp; %s\n" % (
                rcpt, rcpt, "delayed" if delayed else "failed", status,
                host, fold(reply)))
    subject = ("Delayed Mail (still being retried)" if delayed
               else "Undelivered Mail Returned to Sender")
    intro = ("#################################################################\n"
             "# THIS IS A WARNING ONLY.  YOU DO NOT NEED TO RESEND YOUR MESSAGE. #\n"
             "#################################################################\n\n"
             "This is the mail system at host mta3.edm.example.com.\n\n"
             "Your message could not be delivered for 4.0 hours.\n"
             "It will be retried until it is 5.0 days old.\n"
             if delayed else
             "This is the mail system at host mta3.edm.example.com.\n\n"
             "I'm sorry to have to inform you that your message could not\n"
             "be delivered to one or more recipients. It's attached below.\n")
    w(name, """Return-Path: <>
Received: by mta3.edm.example.com (Postfix) id {qid}; {date}
Date: {date}
From: MAILER-DAEMON@mta3.edm.example.com (Mail Delivery System)
Subject: {subject}
To: news@edm.example.com
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
	boundary="{b}"
Message-Id: <20241016.{qid}@mta3.edm.example.com>

This is a MIME-encapsulated message.

--{b}
Content-Description: Notification
Content-Type: text/plain; charset=us-ascii

{intro}
                   The mail system

{text}

--{b}
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; mta3.edm.example.com
X-Postfix-Queue-ID: {qid}
X-Postfix-Sender: rfc822; news@edm.example.com
Arrival-Date: {date}

{fields}
--{b}
Content-Description: Undelivered Message Headers
Content-Type: text/rfc822-headers

{orig}
--{b}--
""".format(qid=qid, date=date, subject=subject, b=b, intro=intro,
           text="\n\n".join(text), fields="\n".join(fields),
           orig=ORIG.format(mid=mid, to=recips[0][0])))


D = "Wed, 16 Oct 2024 09:30:00 +0800 (CST)"

# 10. Content verdicts in the providers' own words, English and Chinese,
#     with and without a help link; a header that breaks the standard.
postfix("cn-postfix-content.eml", "4XRa0C0nT1", D, [
    ("words@qq.example.com", "mx3.qq.com", "203.0.113.30",
     "550 The mail may contain inappropriate words or content.", "end of DATA"),
    ("link@qq.example.com", "mx1.qq.com", "203.0.113.31",
     "550 Error: content rejected.http://mail.qq.com/zh_CN/help/content/rejectedmail.html",
     "end of DATA"),
    ("zh@qq.example.com", "mx2.qq.com", "203.0.113.32",
     "550 您的邮件中可能包含不合适的用语或内容", "end of DATA"),
    ("header@exmail.example.cn", "mxbiz1.qq.com", "203.0.113.33",
     "550 Mail header is not compliant with RFC 5322 [MTIxLjQ2 IP: 192.0.2.8].",
     "end of DATA"),
    ("filter@coremail.example.edu.cn", "mx.coremail.example.edu.cn", "203.0.113.34",
     "550 CoremailSys:Your message was blocked by NetEase AntiSpam+", "end of DATA"),
], mid="c10")

# 11. Aliyun behaviour-based anti-spam: the verdict after ANTISPAM_BAT
#     decides (sub_reason antispam:*).
BAT = ("554 Reject by behaviour spam at {st} State(Connection IP "
       "address:192.0.2.8)ANTISPAM_BAT[01201311R{id}, e02c03012]: {v}")
postfix("cn-postfix-aliyun-antispam.eml", "4XRa1ANT1S", D, [
    ("spf@aliyun.example.cn", "mxw.mxhichina.com", "203.0.113.50",
     BAT.format(st="Rcpt", id="846a", v="spf check failedCONTINUE"), "RCPT TO"),
    ("fast@aliyun.example.cn", "mxn.mxhichina.com", "203.0.113.51",
     BAT.format(st="Rcpt", id="115b", v="too frequently sending"), "RCPT TO"),
    ("listed@aliyun.example.cn", "mxw.mxhichina.com", "203.0.113.50",
     BAT.format(st="Rcpt", id="155e", v="IP in RBL"), "RCPT TO"),
    ("behaviour@aliyun.example.cn", "mxn.mxhichina.com", "203.0.113.51",
     BAT.format(st="DATA", id="200c", v="bad sending"), "end of DATA"),
    ("rule@aliyun.example.cn", "mxw.mxhichina.com", "203.0.113.50",
     BAT.format(st="DATA", id="201d", v="hit anti-spam rule"), "end of DATA"),
    ("other@aliyun.example.cn", "mx1.qiye.aliyun.com", "203.0.113.52",
     BAT.format(st="DATA", id="202e", v="unknown verdict"), "end of DATA"),
], mid="c11")

# 12. A sender relaying through provider accounts (smarthost): the
#     submission servers speak about the sender's own login and envelope;
#     none of these recipients is at fault.
postfix("cn-postfix-submission.eml", "4XRa2SUBM1", D, [
    ("friend1@partner.example.net", "smtp.qq.com", "203.0.113.60",
     "535 Login Fail. Please enter your authorization code to login. More "
     "information in http://service.mail.qq.com/cgi-bin/help?subtype=1&&id=28&&no=1001256",
     "SASL"),
    ("friend2@partner.example.net", "smtp.163.com", "203.0.113.61",
     "553 Mail from must equal authorized user", "MAIL FROM"),
    ("friend3@partner.example.net", "smtp.exmail.qq.com", "203.0.113.62",
     "503 Error: need EHLO and AUTH first !", "MAIL FROM"),
    ("friend4@partner.example.net", "smtp.qiye.aliyun.com", "203.0.113.63",
     "440 mail from account doesn't conform with authentication (Auth "
     "Account:news@edm.example.com|Mail Account:root@mta3.edm.example.com)",
     "MAIL FROM"),
    ("friend5@partner.example.net", "smtp.126.com", "203.0.113.64",
     "550 User has no permission", "MAIL FROM"),
], mid="c12")

# 13. Checks of the sending host and domain, as a delay notice (4xx):
#     HELO and reverse DNS are the sender's host, the sender's domain DNS
#     an authentication matter; a 4xx reply no rule knows stays undefined
#     (the remote server answered: not "expired").
postfix("cn-postfix-host-checks-delay.eml", "4XRa3HOST1", D, [
    ("ptr@sina.example.com", "freemx1.sinamail.sina.com.cn", "203.0.113.70",
     "450 4.7.1 Client host rejected: cannot find your hostname, [192.0.2.8]",
     "RCPT TO"),
    ("helo@sina.example.com", "freemx2.sinamail.sina.com.cn", "203.0.113.71",
     "450 4.7.1 <localhost>: Helo command rejected: Host not found", "RCPT TO"),
    ("domain@sohu.example.com", "sohumx1.sohu.com", "203.0.113.72",
     "450 4.1.8 <news@edm.example.com>: Sender address rejected: Domain not found",
     "RCPT TO"),
    ("unknown@sina.example.com", "freemx1.sinamail.sina.com.cn", "203.0.113.70",
     "451 4.3.5 Server configuration problem, please retry", "RCPT TO"),
    ("ali@aliyun.example.cn", "mxw.mxhichina.com", "203.0.113.50",
     "454 Transient reject by behaviour spam at DATA State (Connection IP "
     "address:192.0.2.8) ANTISPAM_BAT[01201311R115b, e02c03012]: currently "
     "unexpected sending", "end of DATA"),
], delayed=True, mid="c13")

# 14. Legacy Coremail / 163.net and 21cn texts without an SMTP code (and a
#     Sina HELO refusal with one): dead, suspended, full, refused.
postfix("cn-postfix-legacy-coremail.eml", "4XRa4LEGC1", D, [
    ("gone@163.net", "mx.163.net", "203.0.113.80",
     "User gone@163.net not found", None),
    ("frozen@163.net", "mx.163.net", "203.0.113.80",
     "User frozen@163.net is disabled", None),
    ("full@163.net", "mx.163.net", "203.0.113.80",
     "User full@163.net is over quota", None),
    ("picky@163.net", "mx.163.net", "203.0.113.80",
     "This Message is not welcome", None),
    ("closed@21cn.example.com", "mta.21cn.com", "203.0.113.81",
     "550 is now disabled with SMTP service.", "RCPT TO"),
    ("fqdn@sina.example.com", "freemx1.sinamail.sina.com.cn", "203.0.113.70",
     "504 5.5.2 <localhost>: Helo command rejected: need fully-qualified hostname",
     "RCPT TO"),
], mid="c14")
