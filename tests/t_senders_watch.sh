#!/bin/sh
# rebound watch against a real PostgreSQL: JSON Lines from a cursor, the
# state file so a restarted consumer misses nothing, new changes pushed
# as they commit (LISTEN), a forged notification that injects nothing,
# and the webhook: signed batches, retried until taken.
. "$(dirname "$0")/lib/setup.sh"
start_pg
"$R" db migrate >/dev/null
WPID=
HPID=
on_exit() {
	[ -n "$WPID" ] && kill "$WPID" 2>/dev/null && wait "$WPID" 2>/dev/null
	[ -n "$HPID" ] && kill "$HPID" 2>/dev/null && wait "$HPID" 2>/dev/null
}
"$R" suppress --reason one --actor t a1@example.com a2@example.com >/dev/null
"$R" unsuppress --reason two --actor t a1@example.com >/dev/null
"$R" watch --from-start --once >"$T/all.jsonl"
is "--from-start --once: every change so far, in order" \
	"$(python3 -c 'import json,sys; print(" ".join(j["action"] + ":" + j["address"] + ":" + str(j["suppressed"]) for j in map(json.loads, open(sys.argv[1]))))' "$T/all.jsonl")" \
	"added:a1@example.com:True added:a2@example.com:True removed:a1@example.com:False"
first=$(head -1 "$T/all.jsonl" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
is "--after ID: only what came after" "$("$R" watch --after "$first" --once | wc -l)" 2
is "without a cursor: from now on (nothing old)" "$("$R" watch --once | wc -l)" 0

# a consumer with a state file, restarted: nothing missed, nothing twice
"$R" watch --from-start --state "$T/cursor" --once >"$T/s1.jsonl"
"$R" suppress --reason three --actor t a3@example.com >/dev/null
"$R" watch --state "$T/cursor" --once >"$T/s2.jsonl"
is "the state file: the second run prints only the new change" "$(cat "$T/s2.jsonl" | wc -l):$(grep -c a3@example.com "$T/s2.jsonl")" "1:1"
is "... and keeps the last id" "$(cat "$T/cursor")" "$(tail -1 "$T/s2.jsonl" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')"

# live: a change is printed as it commits
"$R" watch --poll 300 >"$T/live.jsonl" 2>"$T/live.err" &
WPID=$!
sleep 1
"$R" suppress --reason live --actor t live@example.com >/dev/null
for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
	grep -q live@example.com "$T/live.jsonl" && break
	sleep 0.1
done
check "a new suppression is pushed within 2 s (poll 300 s: by NOTIFY)" 'grep -q live@example.com "$T/live.jsonl"'
# a forged notification (anyone who may connect may NOTIFY) carries
# nothing that gets printed: the log holds no such change
pg_sql "NOTIFY rebound_suppression, '{\"id\": 999999, \"address\": \"forged@example.com\", \"action\": \"removed\"}'" >/dev/null
pg_sql "NOTIFY rebound_suppression, 'garbage'" >/dev/null
sleep 1
check "a forged notification injects nothing" '! grep -q forged "$T/live.jsonl"'
is "the watcher prints only what the log holds" "$(wc -l <"$T/live.jsonl")" 1
kill "$WPID"; wait "$WPID" 2>/dev/null; WPID=

# the webhook: a receiver on loopback that refuses the first POST, then
# checks the signature of the next
PORT=$(free_port)
printf 's3cret-for-tests\n' >"$T/secret"
# a secret file other users may read is refused, as every secret file
chmod 644 "$T/secret"
"$R" watch --once --webhook "http://127.0.0.1:9/hook" --secret-file "$T/secret" >/dev/null 2>"$T/open.err"
rc=$?
if [ $rc -eq 1 ] && grep -q "may be read or written by other users" "$T/open.err"; then
	ok "watch refuses a --secret-file that other users may read"
else
	no "watch refuses a --secret-file that other users may read" "rc=$rc" "$(cat "$T/open.err")"
fi
chmod 600 "$T/secret"
cat >"$T/hook.py" <<'PY'
import hashlib, hmac, http.server, json, sys
port, secret, out = int(sys.argv[1]), open(sys.argv[2]).read().strip().encode(), sys.argv[3]
seen = [0]
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        seen[0] += 1
        if seen[0] == 1:
            self.send_response(503); self.end_headers(); return
        ts = self.headers["X-Rebound-Timestamp"]
        want = "sha256=" + hmac.new(secret, ts.encode() + b"." + body, hashlib.sha256).hexdigest()
        ok = hmac.compare_digest(want, self.headers.get("X-Rebound-Signature", ""))
        with open(out, "a") as f:
            f.write("%s %d %s\n" % ("valid" if ok else "INVALID", seen[0],
                    " ".join(c["address"] for c in json.loads(body))))
        self.send_response(200 if ok else 401); self.end_headers()
    def log_message(self, *a): pass
http.server.HTTPServer(("127.0.0.1", port), H).serve_forever()
PY
python3 "$T/hook.py" "$PORT" "$T/secret" "$T/hook.out" &
HPID=$!
wait_port "$PORT" 100
"$R" watch --from-start --webhook "http://127.0.0.1:$PORT/hook" --secret-file "$T/secret" \
	--state "$T/hookcursor" >/dev/null 2>"$T/hook.err" &
WPID=$!
for i in $(seq 1 60); do [ -s "$T/hook.out" ] && break; sleep 0.1; done
sleep 0.3
check "the refused first POST is retried, then taken" 'grep -q "^valid 2 " "$T/hook.out"'
check "... the receiver found the HMAC signature valid" '! grep -q INVALID "$T/hook.out"'
check "... with every change in the batch" 'grep "^valid 2 " "$T/hook.out" | grep -q "a1@example.com a2@example.com a1@example.com a3@example.com live@example.com"'
check "... the failure was logged" 'grep -q "webhook answered 503" "$T/hook.err"'
kill "$WPID"; wait "$WPID" 2>/dev/null; WPID=
check "the cursor moved only after the receiver took the batch" '[ "$(cat "$T/hookcursor")" -ge 5 ]'
check "a webhook URL with a password is refused" \
	'! "$R" watch --webhook "http://u:p@127.0.0.1:$PORT/" --once >/dev/null 2>&1'
