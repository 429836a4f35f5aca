#!/bin/sh
# The daemon's log lines: text lines start with a UTC timestamp outside
# journald and with the "<N>" priority (no timestamp: the journal keeps
# its own) when $JOURNAL_STREAM is set; JSON lines carry the counts of a
# batch and of a pass as numeric fields, not only inside "msg".
. "$(dirname "$0")/lib/setup.sh"
start_pg
start_dovecot
RB_LOG_LEVEL=info rb_conf "$T/r.conf"
rb_fill 10 a
env -u JOURNAL_STREAM "$REBOUND" run --once --config "$T/r.conf" 2>"$T/text.log"
is "text: run exits 0" $? 0
n=$(grep -c . "$T/text.log")
s=$(grep -cE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?Z rebound: (debug|info|warning|error): ' "$T/text.log")
[ "$n" -gt 2 ] && [ "$s" = "$n" ] && ok "text outside journald: all $n lines start with a UTC timestamp" ||
	no "text lines without a timestamp ($s of $n)" "$(head -2 "$T/text.log")"

rb_fill 10 b
JOURNAL_STREAM=8:12345 "$REBOUND" run --once --config "$T/r.conf" 2>"$T/journal.log"
n=$(grep -c . "$T/journal.log")
s=$(grep -cE '^<[0-7]>rebound: ' "$T/journal.log")
[ "$n" -gt 2 ] && [ "$s" = "$n" ] && ok "under journald: <N> priority, no timestamp ($n lines)" ||
	no "journald lines ($s of $n)" "$(head -2 "$T/journal.log")"

rb_fill 10 c
{ echo "log_format = json"; cat "$T/r.conf"; } >"$T/j.conf"
"$REBOUND" run --once --config "$T/j.conf" 2>"$T/json.log"
python3 - "$T/json.log" <<'PY'
import json, sys
lines = [l for l in open(sys.argv[1]) if l.strip()]
try:
    objs = [json.loads(l) for l in lines]
    print("ok - json: every line is an object (%d)" % len(objs))
except ValueError as e:
    print("not ok - json: a line is not JSON: %s" % e)
    sys.exit(0)
ts = all(isinstance(o.get("ts"), str) and o["ts"].endswith("Z") for o in objs)
print(("ok" if ts else "not ok") + " - json: every line has a UTC ts")
def counted(o, keys):
    return all(isinstance(o.get(k), int) and not isinstance(o.get(k), bool) for k in keys)
batch = [o for o in objs if counted(o, ("mails", "new", "duplicate", "events", "suppressions"))]
print(("ok" if batch and sum(o["new"] for o in batch) == 10 else "not ok") +
      " - json: a batch's counts are fields (mails, new, duplicate, events, suppressions): %s" % (batch[:1] or [o.get("msg") for o in objs]))
passes = [o for o in objs if counted(o, ("mails", "server_actions")) and isinstance(o.get("seconds"), (int, float))]
print(("ok" if passes and passes[0]["mails"] == 10 else "not ok") +
      " - json: a pass's counts are fields (mails, seconds, server_actions)")
PY
