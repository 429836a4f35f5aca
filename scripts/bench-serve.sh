#!/bin/sh
# rebound serve benchmarks (make bench-serve; also run by make bench),
# against a private PostgreSQL (durable commits) holding a 1,000,000-row
# suppression list (BENCH_LIST=N changes it), half of the asked
# addresses suppressed:
#  1. single lookups, GET /v1/check?address=..., keep-alive, wrk with 4
#     threads and 32 connections for 10 s: lookups/s, p50 and p99
#     latency; target >= 20,000/s on a 2-core machine;
#  2. batch checks, POST /v1/check with 1,000 addresses, wrk with 2
#     threads and 4 connections for 10 s: addresses/s; target >= 200,000.
#  BENCH_SECONDS=N, BENCH_THREADS=N (serve's pool) change the runs.
set -u
cd "$(dirname "$0")/.." || exit 1
R=${REBOUND:-$PWD/build/rebound}
L=${BENCH_LIST:-1000000}
S=${BENCH_SECONDS:-10}
command -v wrk >/dev/null || { echo "bench-serve: wrk is missing (scripts/deps.sh)"; exit 1; }
export PG_FSYNC=on
. tests/lib/pg.sh
pg_start >/dev/null || { echo "bench-serve: cannot start PostgreSQL"; exit 1; }
W=$PG_DIR/bench
mkdir -p "$W"
"$R" db migrate >/dev/null || { echo "bench-serve: migrate failed"; exit 1; }
# the list: rows made in SQL (the keys are plain ASCII, as C makes them)
pg_sql "INSERT INTO suppressions (addr_key, address, domain, class, reason,
	rule, created_at, updated_at)
	SELECT 'user' || i || '@example' || (i % 100) || '.com',
	       'user' || i || '@example' || (i % 100) || '.com',
	       'example' || (i % 100) || '.com', 'hard', 'user_unknown',
	       'bench', now(), now()
	FROM generate_series(1, $L) i; ANALYZE suppressions" >/dev/null
TOK=$("$R" serve token bench read 2>"$W/tok.line")
grep -v '^#' "$W/tok.line" >"$W/tokens"
PORT=$(free_port)
"$R" serve --tokens "$W/tokens" --listen "127.0.0.1:$PORT" \
	--threads "${BENCH_THREADS:-4}" 2>"$W/serve.log" &
SPID=$!
trap 'kill $SPID 2>/dev/null; wait $SPID 2>/dev/null; pg_stop' EXIT
wait_port "$PORT" 100 || { echo "bench-serve: serve did not start"; exit 1; }

# CPU seconds of serve and of the whole PostgreSQL cluster (its live
# backends and the ones it reaped): on a shared machine the wall-clock
# rate says little, the rate per CPU-second of the two says what 2 idle
# cores would do
cpu() {
	python3 - "$SPID" "$(head -1 "$PG_DIR/data/postmaster.pid")" <<'PY'
import glob, os, sys
hz = os.sysconf("SC_CLK_TCK")
def st(pid, reaped):
    try:
        f = open("/proc/%s/stat" % pid).read().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    # utime stime (+ cutime cstime of reaped children)
    return sum(int(x) for x in f[11:13 + (2 if reaped else 0)])
pm = sys.argv[2]
kids = []
for t in glob.glob("/proc/%s/task/*/children" % pm):
    kids += open(t).read().split()
print("%.2f" % ((st(sys.argv[1], False) + st(pm, True) + sum(st(k, False) for k in kids)) / hz))
PY
}
rate() {	# COUNT CPU0 CPU1: COUNT per CPU-second times 2 cores
	python3 -c 'import sys; n, a, b = map(float, sys.argv[1:]); print("%d" % (2 * n / (b - a)) if b > a else "?")' "$@"
}

# single lookups: every request a different address, half on the list
cat >"$W/single.lua" <<LUA
local n = 0
request = function()
  n = n + 1
  local i = (n * 7919) % $((L * 2)) + 1
  return wrk.format("GET", "/v1/check?address=user" .. i .. "%40example" .. (i % 100) .. ".com")
end
LUA
c0=$(cpu)
wrk -t4 -c32 -d"${S}s" --latency -H "Authorization: Bearer $TOK" \
	-s "$W/single.lua" "http://127.0.0.1:$PORT" >"$W/single.out" 2>&1
c1=$(cpu)
rps=$(awk '/^Requests\/sec:/ {printf "%d", $2}' "$W/single.out")
n=$(awk '/requests in/ {print $1}' "$W/single.out")
p50=$(awk '$1 == "50%" {print $2}' "$W/single.out")
p99=$(awk '$1 == "99%" {print $2}' "$W/single.out")
errs=$(awk '/Non-2xx/ {print $5}' "$W/single.out")
hits=$(curl -s "http://127.0.0.1:$PORT/metrics" | awk '/^rebound_cache_hits_total/ {h=$2} /^rebound_cache_misses_total/ {m=$2} END {if (h + m > 0) printf "%d%%", 100 * h / (h + m); else print "none"}')
echo "serve single lookups: ${rps:-0}/s wall-clock, $(rate "${n:-0}" "$c0" "$c1")/s per 2 CPU-seconds of serve + PostgreSQL (target >= 20,000), p50 ${p50:-?}, p99 ${p99:-?}, non-2xx ${errs:-0}, answered from the cache ${hits}, load $(cut -d' ' -f1-3 /proc/loadavg)"

# batch checks: 1,000 addresses a request
python3 - "$W/batch.json" "$L" <<'PY'
import json, sys
path, l = sys.argv[1], int(sys.argv[2])
a = ["user%d@example%d.com" % (i, i % 100) for i in range(1, 2 * l, (2 * l) // 1000)][:1000]
open(path, "w").write(json.dumps({"addresses": a}))
PY
cat >"$W/batch.lua" <<LUA
local f = io.open("$W/batch.json")
wrk.method = "POST"
wrk.body = f:read("*a")
wrk.headers["Content-Type"] = "application/json"
f:close()
LUA
c0=$(cpu)
wrk -t2 -c4 -d"${S}s" --latency -H "Authorization: Bearer $TOK" \
	-s "$W/batch.lua" "http://127.0.0.1:$PORT/v1/check" >"$W/batch.out" 2>&1
c1=$(cpu)
brps=$(awk '/^Requests\/sec:/ {print $2}' "$W/batch.out")
bn=$(awk '/requests in/ {print $1 * 1000}' "$W/batch.out")
bp50=$(awk '$1 == "50%" {print $2}' "$W/batch.out")
berrs=$(awk '/Non-2xx/ {print $5}' "$W/batch.out")
echo "serve batch checks: $(echo "${brps:-0} * 1000" | bc | cut -d. -f1) addresses/s wall-clock, $(rate "${bn:-0}" "$c0" "$c1")/s per 2 CPU-seconds (target >= 200,000), 1,000 a request, p50 ${bp50:-?}, non-2xx ${berrs:-0}"
