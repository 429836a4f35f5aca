#!/usr/bin/env python3
"""All four renderings of one report carry the same numbers.

usage: agree.py REPORT.json REPORT.csv REPORT.txt REPORT.html
JSON is the reference; CSV must match it exactly, text and HTML after
undoing their presentation (digit groups, percent with 3 decimals).
"""
import csv, html, json, re, sys

j = json.load(open(sys.argv[1], encoding="utf-8"))
keys = j["group_by"]
count = j["report"]
sub = "inferred" if count == "complaints" else "hard"
bad = []


def same(what, a, b):
    if a != b:
        bad.append("%s: %r != %r" % (what, a, b))


def pct(rate):
    return None if rate is None else "%.3f%%" % (rate * 100)


ref = [(tuple(r[k] for k in keys), r[count], r[sub], r["sent"], r["rate"])
       for r in j["rows"]]
# like by like: the events in each group's rate, the days left out
ref2 = [(r["rated_events"], r["days_without_sent"]) for r in j["rows"]]

# CSV: same rows, same order, plain numbers
rows = list(csv.DictReader(open(sys.argv[2], encoding="utf-8", newline="")))
same("csv rows", len(rows), len(ref))
for r, (k, n, s, sent, rate) in zip(rows, ref):
    same("csv keys", tuple(r[x] for x in keys), k)
    same("csv count %s" % (k,), int(r[count]), n)
    same("csv sub %s" % (k,), int(r[sub]), s)
    same("csv sent %s" % (k,), int(r["sent"]) if r["sent"] else None, sent)
    same("csv rate %s" % (k,), float(r["rate"]) if r["rate"] else None, rate)
for r, (k, _, _, _, _), (rated, unsent) in zip(rows, ref, ref2):
    same("csv rated %s" % (k,), int(r["rated"]) if r["rated"] else None, rated)
    same("csv days_without_sent %s" % (k,),
         int(r["days_without_sent"]) if r["days_without_sent"] else None,
         unsent)

# text: the table under the dashes, columns 2+ spaces apart
lines = open(sys.argv[3], encoding="utf-8").read().split("\n")
m = re.search(r"Total: ([\d,]+) %s" % count, lines[1])
same("text total", int(m.group(1).replace(",", "")) if m else None,
     j["total"][count])
if j["rows"]:
    dash = next(i for i, l in enumerate(lines) if l.startswith("---"))
    head = re.split(r"  +", lines[dash - 1].strip())
    body = [re.split(r"  +", l.strip()) for l in lines[dash + 1:] if l.strip()]
    body = [b for b in body if not b[0].startswith("(") or b[0] == "(none)"
            or len(b) > 2]
    same("text rows", len(body), len(ref))
    for b, (k, n, s, sent, rate) in zip(body, ref):
        cell = dict(zip(head, b))
        same("text count %s" % (k,), int(cell[count].replace(",", "")), n)
        if sub in cell:
            same("text sub %s" % (k,), int(cell[sub].replace(",", "")), s)
        same("text sent %s" % (k,),
             None if cell["sent"] == "-" else int(cell["sent"].replace(",", "")),
             sent)
        same("text rate %s" % (k,),
             None if cell["rate"] == "-" else cell["rate"], pct(rate))
    shown = "days w/o sent" in head
    same("text shows the days without sent counts when a group has some",
         shown, any(u for _, u in ref2))
    for b, (k, n, s, sent, rate), (rated, unsent) in zip(body, ref, ref2):
        cell = dict(zip(head, b))
        if shown and sent is not None:
            same("text in rate %s" % (k,),
                 int(cell["in rate"].replace(",", "")), rated)
        if shown and unsent is not None:
            same("text days w/o sent %s" % (k,),
                 int(cell["days w/o sent"].replace(",", "")), unsent)

# HTML: the table rows
page = open(sys.argv[4], encoding="utf-8").read()
trs = re.findall(r'<tr class="\w+">(.*?)</tr>', page, re.S)
same("html rows", len(trs), len(ref))
for tr, (k, n, s, sent, rate) in zip(trs, ref):
    tds = [html.unescape(re.sub(r"<[^>]+>", "", t))
           for t in re.findall(r"<td[^>]*>(.*?)</td>", tr, re.S)]
    same("html keys", tuple(tds[:len(keys)]), k)
    same("html count %s" % (k,), int(tds[len(keys)].replace(",", "")), n)
    same("html sent %s" % (k,),
         None if tds[-3] == "\u2013" else int(tds[-3].replace(",", "")), sent)
    same("html rate %s" % (k,), None if tds[-2] == "\u2013" else tds[-2],
         pct(rate))
m = re.search(r'id="total-count"><div class="label">[^<]*</div>'
              r'<div class="value">([\d,]+)<', page)
same("html total", int(m.group(1).replace(",", "")) if m else None,
     j["total"][count])

if bad:
    print("\n".join(bad[:20]))
    sys.exit(1)
