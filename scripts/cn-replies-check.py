#!/usr/bin/env python3
"""Measure how rebound reads real replies of mainland-China providers.

Input: a JSON-lines file, one reply a line, with the keys `provider`,
`remote_host`, `reply` (the server's text as quoted), `reason` (what it
means, Sisimai vocabulary) and `hard` (true only for a dead address).

Each reply is placed in a standard RFC 3464 DSN, as the sender's own MTA
writes it after the provider refused the mail: Remote-MTA is the
provider's host, Diagnostic-Code the reply, Status the reply's enhanced
code or (Postfix's habit when there is none) x.0.0 of its class; a 4xx
reply is a delay (Action: delayed), a 5xx reply or a text without code a
failure.  The DSNs are parsed with `rebound parse` and compared:

  family   the reason's family (docs/events.md): address, mailbox,
           content, reputation, rate, authentication, other
  reason   the exact reason
  hard     no live address hard (expected hard false, got true) and no
           dead address missed (expected hard true, got false)

  scripts/cn-replies-check.py [--rebound build/rebound] [--replies FILE]
                              [--list] [--min-family PCT] [--tap]

--tap prints "ok - ..." / "not ok - ..." lines for tests/run.sh;
--min-family fails (exit 1) below that share of right families, and any
live address read hard or dead address missed fails too.
The replies file defaults to $REBOUND_CN_REPLIES, else
notes/cn-replies-real.jsonl in the shared data directory beside the
checkout; without one the check is skipped (exit 0, "skipped").
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

# Mirrors rb_reason_family() in core/event.c (docs/events.md, "Families").
FAMILY = {
    "userunknown": "address", "hostunknown": "address",
    "hasmoved": "address", "notaccept": "address",
    "suspend": "mailbox", "mailboxfull": "mailbox", "filtered": "mailbox",
    "exceedlimit": "mailbox",
    "spamdetected": "content", "contenterror": "content",
    "virusdetected": "content", "notcompliantrfc": "content",
    "mesgtoobig": "content",
    "blocked": "reputation", "badreputation": "reputation",
    "requireptr": "reputation", "rejected": "reputation",
    "policyviolation": "reputation",
    "toomanyconn": "rate", "speeding": "rate",
    "authfailure": "authentication", "securityerror": "authentication",
}

# The recipient's domain for each provider key (reports group by it).
DOMAIN = {
    "qq": "qq.com", "tencent-exmail": "corp.example.cn",
    "netease-163": "163.com", "netease-126": "126.com",
    "netease-qiye": "corp.example.cn", "sina": "sina.com",
    "aliyun": "corp.example.cn", "aliyun-hichina": "corp.example.cn",
    "coremail": "corp.example.edu.cn", "coremail-163net": "163.net",
    "21cn": "21cn.com",
}


def family(reason):
    return FAMILY.get(reason or "", "other")


def dsn(i, r):
    reply = " ".join(r["reply"].split())
    m = re.match(r"([245])\d\d(?:[ -]+([245]\.\d{1,3}\.\d{1,3})\b)?", reply)
    cls = m.group(1) if m else "5"
    status = (m.group(2) if m and m.group(2) else cls + ".0.0")
    action = "delayed" if cls == "4" else "failed"
    rcpt = "rcpt%02d@%s" % (i, DOMAIN.get(r["provider"], "example.cn"))
    host = r.get("remote_host") or "mx.example.cn"
    b = "cnreply-%02d" % i
    return f"""Return-Path: <>
Date: Tue, 15 Oct 2024 10:00:05 +0800
From: MAILER-DAEMON@mta1.edm.example.com (Mail Delivery System)
Subject: Undelivered Mail Returned to Sender
To: news@edm.example.com
Message-ID: <{b}@mta1.edm.example.com>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="{b}"

--{b}
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mta1.edm.example.com.

--{b}
Content-Type: message/delivery-status

Reporting-MTA: dns; mta1.edm.example.com
Arrival-Date: Tue, 15 Oct 2024 10:00:01 +0800

Final-Recipient: rfc822; {rcpt}
Original-Recipient: rfc822; {rcpt}
Action: {action}
Status: {status}
Remote-MTA: dns; {host}
Diagnostic-Code: smtp; {reply}

--{b}
Content-Type: text/rfc822-headers

From: news@edm.example.com
To: {rcpt}
Subject: test
Message-ID: <orig-{b}@edm.example.com>

--{b}--
""".replace("\n", "\r\n").encode("utf-8")


def default_replies():
    env = os.environ.get("REBOUND_CN_REPLIES")
    if env:
        return env
    here = os.path.dirname(os.path.abspath(__file__))
    for up in (2, 3):  # beside the checkout, or beside a worktree's parent
        p = os.path.join(here, *([".."] * up), "shared", "notes",
                         "cn-replies-real.jsonl")
        if os.path.isfile(p):
            return p
    return None


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("--rebound", default=os.environ.get(
        "REBOUND", os.path.join(here, "..", "build", "rebound")))
    ap.add_argument("--replies", default=default_replies())
    ap.add_argument("--list", action="store_true",
                    help="print every reply with what rebound says")
    ap.add_argument("--min-family", type=float, default=0.0,
                    help="fail below this percentage of right families")
    ap.add_argument("--tap", action="store_true")
    a = ap.parse_args()
    if not a.replies or not os.path.isfile(a.replies):
        print("ok - cn replies check skipped (no replies file)" if a.tap
              else "skipped: no replies file")
        return 0
    rows = [json.loads(l) for l in open(a.replies, encoding="utf-8")
            if l.strip()]
    with tempfile.TemporaryDirectory(prefix="cn-replies.") as d:
        paths = []
        for i, r in enumerate(rows):
            p = os.path.join(d, "r%02d.eml" % i)
            with open(p, "wb") as f:
                f.write(dsn(i, r))
            paths.append(p)
        out = subprocess.run([a.rebound, "parse"] + paths,
                             capture_output=True, text=True)
    if out.returncode not in (0, 1):
        print("not ok - rebound parse failed: %d %s" %
              (out.returncode, out.stderr[:500]))
        return 2
    got = {}
    for line in out.stdout.splitlines():
        ev = json.loads(line)
        got.setdefault(os.path.basename(ev["file"]), ev)
    n = len(rows)
    fam_ok = reason_ok = live_hard = dead_missed = 0
    bad = []
    for i, r in enumerate(rows):
        ev = got.get("r%02d.eml" % i, {})
        reason, hard = ev.get("reason"), ev.get("hard")
        f_ok = family(reason) == family(r["reason"])
        fam_ok += f_ok
        reason_ok += reason == r["reason"]
        lh = r["hard"] is False and hard is True
        dm = r["hard"] is True and hard is not True
        live_hard += lh
        dead_missed += dm
        line = "%-3s %-16s %-14s -> %-14s %-5s %s" % (
            "ok" if f_ok and not lh and not dm else "BAD", r["provider"],
            r["reason"], reason, hard, r["reply"][:90])
        if a.list:
            print(line)
        elif not f_ok or lh or dm:
            bad.append(line)
    pct = 100.0 * fam_ok / n if n else 0.0
    summary = ("%d replies: right family %d (%.1f%%), exact reason %d, "
               "live address hard %d, dead address missed %d" %
               (n, fam_ok, pct, reason_ok, live_hard, dead_missed))
    for line in bad:
        print(("# " if a.tap else "") + line)
    if a.tap:
        print("%s - cn replies: right family %.1f%% (floor %.1f%%)" %
              ("ok" if pct >= a.min_family else "not ok", pct, a.min_family))
        print("%s - cn replies: no live address hard (%d)" %
              ("ok" if live_hard == 0 else "not ok", live_hard))
        print("%s - cn replies: no dead address missed (%d)" %
              ("ok" if dead_missed == 0 else "not ok", dead_missed))
        print("# " + summary)
    else:
        print(summary)
    return 0 if pct >= a.min_family and not live_hard and not dead_missed \
        else 1


if __name__ == "__main__":
    sys.exit(main())
