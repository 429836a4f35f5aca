#!/usr/bin/python3
"""A small scripted IMAP server that misbehaves on purpose, for tests.

    imap_hostile.py --port-file F --mode MODE [--bad N] [--mails N]
                    [--tls CERT KEY] [--log FILE] [--tag TEXT]

It serves one user's INBOX of --mails generated mails (any login is
accepted) and understands what rebound's daemon sends: CAPABILITY, LOGIN,
LIST, CREATE, SELECT, UID FETCH (UID RFC822.SIZE / BODY.PEEK[]), UID
SEARCH, UID MOVE, NOOP, LOGOUT.  State (which mails are still in INBOX)
is kept across connections, so a client that reconnects after a fault
carries on where it was.

The first --bad times the fault's moment comes, the server misbehaves;
afterwards it behaves.  Modes:
  cut-literal   a body FETCH: half of the first literal, then the
                connection is closed
  endless-line  the greeting: a line that never ends (sent as fast as the
                client reads, at most --cap bytes)
  huge-literal  a body FETCH: a literal announced as 4,000,000,000 bytes
                (RFC822.SIZE said the mail's real size), then bytes
  trickle       the greeting, one byte every --every seconds
  evil-text     LOGIN refused with terminal escape sequences in the text
  size-wrap     always: mail UID 3 is announced with RFC822.SIZE
                2^32 + 500 (a client cutting it to 32 bits reads 500)
  none          no fault
--tag goes into a header of every mail (servers of one test serve
different mails).  Each fault is written to --log as a line "fault MODE".  The port is
written to --port-file once the server listens on 127.0.0.1.
"""
import argparse
import os
import re
import socket
import socketserver
import ssl
import threading
import time

A = None
LOCK = threading.Lock()
INBOX = {}            # uid -> bytes
MOVED = {}            # folder -> count
FAULTS = [0]


def log(line):
    if A.log:
        with LOCK, open(A.log, "a") as f:
            f.write(line + "\n")


def fault_now():
    """True while the fault budget lasts (and uses one)."""
    with LOCK:
        if FAULTS[0] < A.bad:
            FAULTS[0] += 1
            return True
    return False


def make_mail(uid):
    body = ("X-Test-Server: %s\r\n" % A.tag +"Return-Path: <>\r\n"
            "From: Mail Delivery System <MAILER-DAEMON@mx.example.net>\r\n"
            "To: sender@example.com\r\n"
            "Subject: Undelivered Mail Returned to Sender\r\n"
            "Message-ID: <hostile-%d@mx.example.net>\r\n"
            "Date: Mon, 07 Dec 2026 08:00:00 +0000\r\n"
            "\r\n"
            "This is mail %d of the hostile test server.\r\n"
            "<rcpt%d@example.org>: host mx.example.org said: 550 5.1.1 "
            "user unknown\r\n" % (uid, uid, uid))
    return body.encode()


def uid_set(text, uids):
    """The UIDs of a UID set text among uids (sorted)."""
    top = uids[-1] if uids else 0
    out = set()
    for part in text.split(","):
        if ":" in part:
            a, b = part.split(":")
            a = top if a == "*" else int(a)
            b = top if b == "*" else int(b)
            lo, hi = min(a, b), max(a, b)
            out.update(u for u in uids if lo <= u <= hi)
        else:
            u = top if part == "*" else int(part)
            if u in INBOX:
                out.add(u)
    return sorted(out)


class Handler(socketserver.BaseRequestHandler):
    def setup(self):
        self.sock = self.request
        if A.tls:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(A.tls[0], A.tls[1])
            try:
                self.sock = ctx.wrap_socket(self.request, server_side=True)
            except (ssl.SSLError, OSError):
                self.sock = None
        self.buf = b""

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.sock.sendall(data)

    def readline(self):
        while b"\r\n" not in self.buf:
            d = self.sock.recv(65536)
            if not d:
                raise EOFError
            self.buf += d
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line.decode("latin-1")

    def handle(self):
        if self.sock is None:
            return
        try:
            self.session()
        except (EOFError, OSError, ssl.SSLError):
            pass

    def endless(self):
        log("fault endless-line")
        chunk = b"x" * 65536
        self.send("* OK ")
        sent = 0
        while sent < A.cap:
            self.send(chunk)
            sent += len(chunk)
        while self.sock.recv(65536):
            pass

    def trickle(self):
        log("fault trickle")
        for ch in "* OK [CAPABILITY IMAP4rev1] slow greeting, byte by byte\r\n":
            self.send(ch)
            time.sleep(A.every)

    def session(self):
        if A.mode == "endless-line" and fault_now():
            return self.endless()
        if A.mode == "trickle" and fault_now():
            return self.trickle()
        self.send("* OK [CAPABILITY IMAP4rev1 MOVE UIDPLUS] hostile test "
                  "server ready\r\n")
        while True:
            line = self.readline()
            m = re.match(r"(\S+) (?:(UID) )?(\S+) ?(.*)", line)
            if not m:
                self.send("* BAD what\r\n")
                continue
            tag, uid, cmd, rest = m.groups()
            cmd = cmd.upper()
            if cmd == "LOGOUT":
                self.send("* BYE bye\r\n%s OK LOGOUT\r\n" % tag)
                return
            if cmd == "LOGIN" and A.mode == "evil-text" and fault_now():
                log("fault evil-text")
                self.send("%s NO [AUTHENTICATIONFAILED] \x1b[2J\x1b]0;pwned"
                          "\x07 no\x9b31m\r\n" % tag)
                continue
            if cmd == "CAPABILITY":
                self.send("* CAPABILITY IMAP4rev1 MOVE UIDPLUS\r\n")
            elif cmd == "LIST":
                self.send('* LIST (\\Noselect) "/" ""\r\n')
            elif cmd == "SELECT":
                with LOCK:
                    n = len(INBOX)
                    nxt = (max(INBOX) + 1) if INBOX else A.mails + 1
                self.send("* %d EXISTS\r\n* 0 RECENT\r\n"
                          "* FLAGS (\\Seen \\Deleted)\r\n"
                          "* OK [UIDVALIDITY 42] ok\r\n"
                          "* OK [UIDNEXT %d] ok\r\n" % (n, nxt))
                self.send("%s OK [READ-WRITE] SELECT done\r\n" % tag)
                continue
            elif uid and cmd == "FETCH":
                if self.fetch(rest) == "closed":
                    return
            elif uid and cmd == "SEARCH":
                lo = int(re.search(r"UID (\d+):", rest).group(1))
                with LOCK:
                    us = sorted(u for u in INBOX if u >= lo)
                self.send("* SEARCH%s\r\n" % "".join(" %d" % u for u in us))
            elif uid and cmd == "MOVE":
                sset, folder = rest.split(" ", 1)
                with LOCK:
                    us = uid_set(sset, sorted(INBOX))
                    for u in us:
                        del INBOX[u]
                    f = folder.strip('"')
                    MOVED[f] = MOVED.get(f, 0) + len(us)
                log("moved %d to %s" % (len(us), folder.strip('"')))
            # LOGIN, CREATE, NOOP, anything else: fine
            self.send("%s OK %s done\r\n" % (tag, cmd))

    def fetch(self, rest):
        sset, items = rest.split(" ", 1)
        with LOCK:
            uids = uid_set(sset, sorted(INBOX))
            mails = [(u, INBOX[u]) for u in uids]
            seqs = {u: i + 1 for i, u in enumerate(sorted(INBOX))}
        if "BODY" not in items.upper():
            for u, data in mails:
                size = len(data)
                if A.mode == "size-wrap" and u == 3:
                    size = (1 << 32) + 500
                self.send("* %d FETCH (UID %d RFC822.SIZE %d)\r\n"
                          % (seqs[u], u, size))
            return "ok"
        for u, data in mails:
            head = "* %d FETCH (UID %d BODY[] " % (seqs[u], u)
            if A.mode == "cut-literal" and fault_now():
                log("fault cut-literal")
                self.send(head + "{%d}\r\n" % len(data))
                self.send(data[:len(data) // 2])
                self.sock.close()
                return "closed"
            if A.mode == "huge-literal" and fault_now():
                log("fault huge-literal")
                self.send(head + "{4000000000}\r\n")
                chunk = b"y" * 65536
                sent = 0
                while sent < A.cap:
                    self.send(chunk)
                    sent += len(chunk)
                return "closed"
            self.send(head + "{%d}\r\n" % len(data))
            self.send(data)
            self.send(")\r\n")
        return "ok"


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


def main():
    global A
    p = argparse.ArgumentParser()
    p.add_argument("--port-file", required=True)
    p.add_argument("--mode", default="none")
    p.add_argument("--bad", type=int, default=1)
    p.add_argument("--mails", type=int, default=10)
    p.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    p.add_argument("--log")
    p.add_argument("--cap", type=int, default=1 << 30)
    p.add_argument("--every", type=float, default=2.0)
    p.add_argument("--tag", default="hostile")
    A = p.parse_args()
    for u in range(1, A.mails + 1):
        INBOX[u] = make_mail(u)
    srv = Server(("127.0.0.1", 0), Handler)
    tmp = A.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(tmp, A.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    main()
