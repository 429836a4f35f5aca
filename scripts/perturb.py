#!/usr/bin/env python3
"""Generalisation check: perturb corpus mails in ways that keep their meaning
and compare rebound's answer with the unperturbed one.

Every perturbation below is something real MTAs vary between installations
(line endings, header-name case, transfer encoding, charset label, line
wrapping, recipients and host names, an extra blank line, an encoded
subject).  A parser that expresses the format gives the same recipients,
kinds, reasons and hard flags; a difference points at a rule or module
that pinned a sample's incidental text.

  scripts/perturb.py [--rebound build/rebound] [--corpus DIR]
                     [--only KIND,...] [--list] [--keep DIR] [--json FILE]
                     [--ratchet]

--ratchet prints an ok/not ok line (tests): the answers changed may not
exceed CEILING.

The perturbed mails are written to a temporary directory (removed unless
--keep), never into the repository: the corpus is not shipped.
"""
import argparse, base64, collections, json, os, quopri, re, shutil, subprocess, sys, tempfile

# The answers changed over the whole corpus today, enforced by
# tests/t_corpus_accuracy.sh so that stability can only improve.  Lower
# it as the parsers improve.
CEILING = 19

# ---------------------------------------------------------------- MIME walk

def split_head(raw):
    """(head, sep, body) at the first empty line; LF or CRLF."""
    m = re.match(rb"\r?\n", raw)   # a part with no header at all
    if m:
        return b"", m.group(0), raw[m.end():]
    m = re.search(rb"\r?\n\r?\n", raw)
    if not m:
        return raw, b"", b""
    return raw[:m.start()], raw[m.start():m.end()], raw[m.end():]


def head_fields(head):
    """[(name, value-unfolded)] of a header block."""
    out = []
    for line in re.split(rb"\r?\n", head):
        if line[:1] in (b" ", b"\t") and out:
            out[-1][1] += b" " + line.strip()
        else:
            k, _, v = line.partition(b":")
            out.append([k.strip().lower(), v.strip()])
    return out


def field(head, name):
    for k, v in head_fields(head):
        if k == name.encode():
            return v.decode("latin-1")
    return ""


def param(value, name):
    m = re.search(r'(?i)(?:^|;)\s*' + name + r'\s*=\s*("([^"]*)"|[^;\s]+)', value)
    if not m:
        return None
    return m.group(2) if m.group(2) is not None else m.group(1)


def set_field(head, name, value):
    """Replace (or add) a header field, keeping the block's line ending."""
    nl = b"\r\n" if b"\r\n" in head else b"\n"
    if not head:
        return name.encode() + b": " + value.encode()
    lines = re.split(rb"\r?\n", head)
    out, skip, done = [], False, False
    for line in lines:
        if skip and line[:1] in (b" ", b"\t"):
            continue
        skip = False
        k = line.partition(b":")[0].strip().lower()
        if k == name.lower().encode() and not (line[:1] in (b" ", b"\t")):
            skip = True
            if not done:
                out.append(name.encode() + b": " + value.encode())
                done = True
            continue
        out.append(line)
    if not done:
        out.append(name.encode() + b": " + value.encode())
    return nl.join(out)


def decode_body(body, cte):
    cte = cte.lower().strip()
    if cte == "base64":
        try:
            return base64.b64decode(re.sub(rb"[^A-Za-z0-9+/=]", b"", body) + b"===")
        except Exception:
            return None
    if cte == "quoted-printable":
        return quopri.decodestring(body)
    return body


def encode_body(data, cte, nl):
    if cte == "base64":
        b = base64.b64encode(data)
        return nl.join(b[i:i + 76] for i in range(0, len(b), 76)) + nl
    if cte == "quoted-printable":
        # quopri wants LF; keep the entity's line ending
        q = quopri.encodestring(data.replace(b"\r\n", b"\n"))
        return q.replace(b"\n", nl)
    return data


def walk(raw, leaf_fn, head_fn=None, top=True):
    """Rebuild an entity: head_fn(head, ctype, top) -> head; leaf_fn(head,
    body, ctype) -> (head, body) for every non-multipart entity.  message/*
    parts other than delivery-status are leaves too (the original is not
    re-parsed: a perturbation of the original must not change the answer,
    but it is not what is being tested)."""
    head, sep, body = split_head(raw)
    ctype_v = field(head, "content-type")
    ctype = (ctype_v.split(";")[0].strip().lower() or "text/plain")
    if head_fn:
        head = head_fn(head, ctype, top)
    b = param(ctype_v, "boundary")
    if ctype.startswith("multipart/") and b:
        delim = b"--" + b.encode("latin-1")
        parts = re.split(rb"(^" + re.escape(delim) + rb"(?:--)?[ \t]*\r?$)", body, flags=re.M)
        # parts: [preamble, delim, part, delim, part, ..., delim--, epilogue]
        out = [parts[0]]
        for i in range(1, len(parts), 2):
            d = parts[i]
            seg = parts[i + 1] if i + 1 < len(parts) else b""
            out.append(d)
            if d.rstrip().endswith(b"--") or i + 1 >= len(parts):
                out.append(seg)
                continue
            # seg starts with the newline after the delimiter
            m = re.match(rb"\r?\n", seg)
            lead = m.group(0) if m else b""
            inner = seg[len(lead):]
            # the newline before the next delimiter belongs to it
            m2 = re.search(rb"\r?\n\Z", inner)
            tail = m2.group(0) if m2 else b""
            inner = inner[:len(inner) - len(tail)]
            out.append(lead + walk(inner, leaf_fn, head_fn, False) + tail)
        return head + sep + b"".join(out)
    if not sep:
        return head
    was_empty = not head
    head, body = leaf_fn(head, body, ctype)
    if was_empty and head:
        sep = sep + sep  # the part got a header block: end it
    return head + sep + body


# ---------------------------------------------------------- perturbations

TEXT = ("text/plain", "text/html")


def nl_of(raw):
    return b"\r\n" if b"\r\n" in raw else b"\n"


def text_plain(fn):
    """A leaf function for walk(): every text/plain body decoded, given to
    fn(data) -> data, and encoded again as it was."""
    def leaf(head, body, ctype):
        if ctype != "text/plain":
            return head, body
        cte = field(head, "content-transfer-encoding").lower() or "7bit"
        data = decode_body(body, cte)
        if data is None:
            return head, body
        nl = nl_of(head + body)
        data = fn(data, nl)
        return head, encode_body(data, cte, nl) if cte in ("base64", "quoted-printable") else data
    return leaf


def recode(target):
    def leaf(head, body, ctype):
        if ctype not in TEXT:
            return head, body
        cte = field(head, "content-transfer-encoding").lower() or "7bit"
        if cte == target:
            return head, body
        data = decode_body(body, cte)
        if data is None:
            return head, body
        nl = nl_of(head + body)
        if target == "8bit" and cte in ("7bit", "8bit", "binary"):
            return head, body
        head = set_field(head, "Content-Transfer-Encoding", target)
        return head, encode_body(data, target, nl)
    return lambda raw, info: walk(raw, leaf)


def charset_utf8(raw, info):
    def leaf(head, body, ctype):
        if ctype not in TEXT:
            return head, body
        ct = field(head, "content-type")
        cs = (param(ct, "charset") or "us-ascii").lower()
        data = decode_body(body, field(head, "content-transfer-encoding") or "7bit")
        if data is None:
            return head, body
        if cs in ("us-ascii", "ascii", "iso-8859-1", "latin1") and all(c < 128 for c in data):
            new = ctype + '; charset="UTF-8"' if cs == "us-ascii" else ctype + '; charset=us-ascii'
            fmt = param(ct, "format")
            if fmt:
                new += "; format=" + fmt
            head = set_field(head, "Content-Type", new)
        return head, body
    return walk(raw, leaf)


def rewrap_text(data, width, nl):
    out = []
    for line in data.split(b"\n"):
        cr = line.endswith(b"\r")
        if cr:
            line = line[:-1]
        while len(line) > width:
            # break at the last blank between width/2 and width
            indent = re.match(rb"[ \t>]*", line).group(0)
            if not indent and re.match(rb"[A-Za-z][A-Za-z0-9-]*: ", line):
                indent = b" "  # a field (DSN text, headers): fold it
            cut = line.rfind(b" ", max(width // 2, len(indent) + 1), width)
            if cut <= len(indent):
                break
            out.append(line[:cut] + (b"\r" if cr else b""))
            line = indent + line[cut + 1:]
        out.append(line + (b"\r" if cr else b""))
    return b"\n".join(out)


def rewrap(width):
    leaf = text_plain(lambda data, nl: rewrap_text(data, width, nl))
    return lambda raw, info: walk(raw, leaf)


def fold_dsn(raw, info):
    """Fold long fields of message/delivery-status parts (RFC 5322 folding)."""
    def leaf(head, body, ctype):
        if ctype not in ("message/delivery-status", "message/global-delivery-status"):
            return head, body
        out = []
        for line in re.split(rb"(?<=\n)", body):
            s = line.rstrip(b"\r\n")
            end = line[len(s):]
            if len(s) > 50 and b":" in s[:40] and s[:1] not in (b" ", b"\t"):
                cut = s.rfind(b" ", 35, 50)
                if cut > 0:
                    s = s[:cut] + (b"\r\n" if end.startswith(b"\r") else b"\n") + b"        " + s[cut + 1:]
            out.append(s + end)
        return head, b"".join(out)
    return walk(raw, leaf)


def hdr_lower(raw, info):
    """Lower-case the names of every header and DSN field (all are
    case-insensitive)."""
    def hf(head, ctype, top):
        return re.sub(rb"(?m)^([A-Za-z][A-Za-z0-9-]*):", lambda m: m.group(1).lower() + b":", head)

    def leaf(head, body, ctype):
        if ctype in ("message/delivery-status", "message/global-delivery-status",
                     "message/feedback-report"):
            body = re.sub(rb"(?m)^([A-Za-z][A-Za-z0-9-]*):", lambda m: m.group(1).lower() + b":", body)
        return head, body
    return walk(raw, leaf, hf)


def hdr_upper(raw, info):
    head, sep, body = split_head(raw)
    head = re.sub(rb"(?m)^([A-Za-z][A-Za-z0-9-]*):", lambda m: m.group(1).upper() + b":", head)
    return head + sep + body


def crlf(raw, info):
    return raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def blank_line(raw, info):
    """An extra empty line at the top of every text/plain body."""
    return walk(raw, text_plain(lambda data, nl: nl + data))


def subject_2047(raw, info):
    head, sep, body = split_head(raw)
    subj = field(head, "subject")
    if not subj or "=?" in subj:
        return None
    enc = "=?UTF-8?B?" + base64.b64encode(subj.encode("latin-1")).decode() + "?="
    return set_field(head, "Subject", enc) + sep + body


def replace_everywhere(raw, pairs):
    """Replace strings in the raw mail and in base64/QP-encoded leaves."""
    def sub(b):
        for old, new in pairs:
            b = re.sub(re.escape(old), new, b, flags=re.I)
        return b

    def leaf(head, body, ctype):
        cte = field(head, "content-transfer-encoding").lower()
        if cte in ("base64", "quoted-printable"):
            data = decode_body(body, cte)
            if data is not None:
                body = encode_body(sub(data), cte, nl_of(head + body))
        else:
            body = sub(body)
        return sub(head), body
    return walk(raw, leaf, lambda h, c, t: sub(h))


def new_local(i):
    return "m.rossi-%d" % (i + 7)


def local_parts(raw, info):
    pairs = []
    for i, r in enumerate(sorted(info["rcpts"])):
        if "@" not in r:
            continue
        loc, dom = r.rsplit("@", 1)
        pairs.append((r.encode(), (new_local(i) + "@" + dom).encode()))
    if not pairs:
        return None
    return replace_everywhere(raw, pairs)


TEST_DOMAIN = re.compile(r"(^|\.)(example\.(com|net|org|jp|co\.jp|ne\.jp|edu)|[a-z0-9-]+\.example)$")


def domains(raw, info):
    pairs = []
    for r in sorted(info["rcpts"]):
        if "@" not in r:
            continue
        dom = r.rsplit("@", 1)[1]
        if TEST_DOMAIN.search(dom) and dom != "example.org":
            pairs.append(("@" + dom).encode())
    if not pairs:
        return None
    # longest first, so sub-domains are replaced before their parents
    pairs = sorted(set(pairs), key=len, reverse=True)
    return replace_everywhere(raw, [(p, b"@rcpt-%d.example.org" % i) for i, p in enumerate(pairs)])


def hosts(raw, info):
    pairs = []
    rdoms = {r.rsplit("@", 1)[1] for r in info["rcpts"] if "@" in r}
    for h in sorted(info["hosts"], key=len, reverse=True):
        # a host that is also a recipient's domain is the domain test's
        if h and TEST_DOMAIN.search(h) and "." in h and h not in rdoms:
            pairs.append((h.encode(), b"relay%d.mx.example.org" % len(pairs)))
    if not pairs:
        return None
    return replace_everywhere(raw, pairs)


def from_addr(raw, info):
    """From: reduced to its bare address (the display name is a setting)."""
    head, sep, body = split_head(raw)
    v = field(head, "from")
    m = re.search(r"<([^<>@\s]+@[^<>\s]+)>", v) or re.search(r"([^\s<>()\"]+@[^\s<>()\"]+)", v)
    if not m or m.group(1) == v.strip():
        return None
    return set_field(head, "From", m.group(1)) + sep + body


def trailing(add):
    """A blank at the end of every text line, or none (transports and list
    software add and strip them)."""
    def edit(data, nl):
        if add:
            return re.sub(rb"(?m)([^\r\n])(\r?)$", rb"\1 \2", data)
        return re.sub(rb"(?m)[ \t]+(\r?)$", rb"\1", data)
    leaf = text_plain(edit)
    return lambda raw, info: walk(raw, leaf)


def curly_quotes(raw, info):
    """Apostrophes as U+2019 (what an HTML notice's text rendering, or a
    windows-1252 part's 0x92, gives): "doesn’t", "couldn’t"."""
    def leaf(head, body, ctype):
        if ctype != "text/plain":
            return head, body
        ct = field(head, "content-type")
        cs = (param(ct, "charset") or "us-ascii").lower()
        if cs not in ("us-ascii", "utf-8", "ascii"):
            return head, body
        cte = field(head, "content-transfer-encoding").lower() or "7bit"
        data = decode_body(body, cte)
        if data is None or not re.search(rb"[A-Za-z]'[A-Za-z]", data):
            return head, body
        data = re.sub(rb"([A-Za-z])'([A-Za-z])", "\\1’\\2".encode(), data)
        head = set_field(head, "Content-Type", ctype + '; charset="UTF-8"')
        head = set_field(head, "Content-Transfer-Encoding", "quoted-printable")
        return head, encode_body(data, "quoted-printable", nl_of(head + body))
    return walk(raw, leaf)


def headers_only(raw, info):
    """The returned message as its headers only (text/rfc822-headers):
    what an MTA sends for RET=HDRS or past its bounce size limit."""
    hit = [False]

    def leaf(head, body, ctype):
        if ctype != "message/rfc822":
            return head, body
        hit[0] = True
        h, sep, _ = split_head(body)
        head = set_field(head, "Content-Type", "text/rfc822-headers")
        return head, h + (sep[:len(sep) // 2] if sep else b"\n")
    out = walk(raw, leaf)
    return out if hit[0] else None


LOCAL_SUBJECTS = [
    # (English prefix of delivery notices, a localized one MTAs use)
    ("Undeliverable:", "Unzustellbar:"),
    ("Undelivered Mail Returned to Sender", "Unzustellbare Nachricht"),
    ("Mail delivery failed", "Zustellung fehlgeschlagen"),
    ("Returned mail", "Courrier retourn\u00e9"),
    ("Delivery Status Notification", "Notification d'\u00e9tat de remise"),
    ("failure notice", "notificaci\u00f3n de error"),
]


def subject_local(raw, info):
    """The Subject in another language (RFC 2047 encoded): localized
    installations translate the subject, the evidence must be elsewhere."""
    head, sep, body = split_head(raw)
    subj = field(head, "subject")
    if not subj:
        return None
    for en, loc in LOCAL_SUBJECTS:
        if en.lower() in subj.lower():
            i = subj.lower().index(en.lower())
            new = subj[:i] + loc + subj[i + len(en):]
            enc = "=?UTF-8?Q?" + "".join(
                c if c.isalnum() and ord(c) < 128 else "=%02X" % b
                for c in new for b in ([ord(c)] if ord(c) < 128 else c.encode()))
            return set_field(head, "Subject", enc + "?=") + sep + body
    return None


PERTURB = collections.OrderedDict([
    ("crlf", crlf),
    ("hdr-lower", hdr_lower),
    ("hdr-upper", hdr_upper),
    ("base64", recode("base64")),
    ("qp", recode("quoted-printable")),
    ("8bit", recode("8bit")),
    ("charset", charset_utf8),
    ("curly-quotes", curly_quotes),
    ("rewrap-60", rewrap(60)),
    ("rewrap-40", rewrap(40)),
    ("fold-dsn", fold_dsn),
    ("headers-only", headers_only),
    ("blank-line", blank_line),
    ("trail-space", trailing(True)),
    ("trail-strip", trailing(False)),
    ("from-addr", from_addr),
    ("subject-2047", subject_2047),
    ("subject-local", subject_local),
    ("local-part", local_parts),
    ("domain", domains),
    ("host", hosts),
])

# ----------------------------------------------------------------- compare

def parse(rebound, paths):
    got = collections.defaultdict(list)
    for i in range(0, len(paths), 400):
        out = subprocess.run([rebound, "parse"] + paths[i:i + 400], capture_output=True)
        for line in out.stdout.decode("utf-8", "replace").splitlines():
            ev = json.loads(line)
            got[ev["file"]].append(ev)
    return got


def key(evs, mapping=None):
    k = []
    for v in evs:
        if v["kind"] == "unknown":
            continue
        r = (v["recipient"] or "").lower()
        if mapping:
            r = mapping(r)
        k.append((r, v["kind"], v["reason"] or "", v["hard"]))
    return sorted(k, key=lambda t: tuple(str(x) for x in t))


def main():
    ap = argparse.ArgumentParser()
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--rebound", default=os.environ.get("REBOUND", os.path.join(here, "..", "build", "rebound")))
    corpus_default = os.environ.get("REBOUND_CORPUS") or os.path.join(here, "..", "..", "shared", "corpus")
    if not os.path.isdir(corpus_default):  # from a worktree beside the main checkout
        corpus_default = os.path.join(here, "..", "..", "..", "shared", "corpus")
    ap.add_argument("--corpus", default=corpus_default)
    ap.add_argument("--only", default="")
    ap.add_argument("--files", default="", help="only corpus files whose path contains this")
    ap.add_argument("--exclude", help="leave out the files listed in this file (paths relative to the "
                    "corpus's parent, \"corpus/maildir/...\", one a line, # comments)")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--keep")
    ap.add_argument("--json")
    ap.add_argument("--ratchet", action="store_true")
    a = ap.parse_args()
    corpus = os.path.abspath(a.corpus)
    exp = [json.loads(l) for l in open(os.path.join(corpus, "expected.jsonl"))]
    skip = set()
    if a.exclude:
        skip = set(l.strip() for l in open(a.exclude) if l.strip() and not l.startswith("#"))
    files = [os.path.join(corpus, e["file"]) for e in exp
             if e["category"] in ("bounce", "not-bounce", "suspect") and a.files in e["file"]
             and "corpus/" + e["file"] not in skip]
    base = parse(a.rebound, files)
    kinds = [k for k in PERTURB if not a.only or k in a.only.split(",")]
    tmp = a.keep or tempfile.mkdtemp(prefix="rebound-perturb-")
    os.makedirs(tmp, exist_ok=True)
    total = collections.Counter()
    changed = collections.Counter()
    diffs = []
    try:
        for kind in kinds:
            fn = PERTURB[kind]
            made = {}
            d = os.path.join(tmp, kind)
            os.makedirs(d, exist_ok=True)
            for f in files:
                raw = open(f, "rb").read()
                evs = base.get(f, [])
                info = {"rcpts": {(v["recipient"] or "").lower() for v in evs if v["recipient"]},
                        "hosts": {h for v in evs for h in (v["remote_mta"], v["reporting_mta"]) if h}}
                try:
                    new = fn(raw, info)
                except Exception as ex:  # a perturbation bug, not a parser one
                    print("# perturb %s %s: %s" % (kind, f, ex), file=sys.stderr)
                    new = None
                if new is None or new == raw:
                    continue
                p = os.path.join(d, os.path.relpath(f, corpus).replace("/", "__"))
                open(p, "wb").write(new)
                made[p] = (f, info)
            got = parse(a.rebound, list(made))
            for p, (f, info) in made.items():
                total[kind] += 1
                mapping = None
                if kind == "local-part":
                    back = {}
                    for i, r in enumerate(sorted(info["rcpts"])):
                        if "@" in r:
                            back[new_local(i) + "@" + r.rsplit("@", 1)[1]] = r
                    mapping = lambda r, back=back: back.get(r, r)
                elif kind == "domain":
                    doms = sorted({("@" + r.rsplit("@", 1)[1]) for r in info["rcpts"]
                                   if "@" in r and TEST_DOMAIN.search(r.rsplit("@", 1)[1])
                                   and r.rsplit("@", 1)[1] != "example.org"}, key=len, reverse=True)
                    back = {"@rcpt-%d.example.org" % i: dd for i, dd in enumerate(doms)}
                    def mapping(r, back=back):
                        if "@" not in r:
                            return r
                        loc, dom = r.rsplit("@", 1)
                        return loc + back.get("@" + dom, "@" + dom)
                k0 = key(base.get(f, []))
                k1 = key(got.get(p, []), mapping)
                if k0 != k1:
                    changed[kind] += 1
                    diffs.append((kind, os.path.relpath(f, corpus), k0, k1))
    finally:
        if not a.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    n_changed = sum(changed.values())
    n_total = sum(total.values())
    print("perturbation      mails  changed")
    for k in kinds:
        print("  %-14s %6d %8d" % (k, total[k], changed[k]))
    print("  %-14s %6d %8d" % ("total", n_total, n_changed))
    print("  distinct corpus files with a change: %d" % len({d[1] for d in diffs}))
    if a.list:
        for kind, f, k0, k1 in diffs:
            print("%s %s\n   before %s\n   after  %s" % (kind, f, k0, k1))
    if a.json:
        json.dump({"total": total, "changed": changed, "diffs": diffs}, open(a.json, "w"), indent=1)
    if a.ratchet:
        whole = not a.only and not a.files and not a.exclude
        ok = n_total > 0 and (not whole or n_changed <= CEILING)
        print("%s - perturbation: %d of %d answers changed%s" % (
            "ok" if ok else "not ok", n_changed, n_total,
            " (at most %d)" % CEILING if whole else ""))


if __name__ == "__main__":
    main()
