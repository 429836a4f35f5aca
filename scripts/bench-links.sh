#!/bin/sh
# Unsubscribe links through rebound serve (make bench-links; also run by
# make bench), against a private PostgreSQL (durable commits):
# POST /v1/unsubscribe-links with batches of 100 and of 1,000 recipients,
# every request new addresses (each link makes its row of
# unsubscribe_ids), wrk with 2 threads and 4 connections for
# BENCH_SECONDS (default 10): links/s; then the same batch again and
# again (the rows are found, none made); against the cost of one
# `rebound unsubscribe-link` process per recipient (20 runs).
set -u
cd "$(dirname "$0")/.." || exit 1
R=${REBOUND:-$PWD/build/rebound}
S=${BENCH_SECONDS:-10}
command -v wrk >/dev/null || { echo "bench-links: wrk is missing (scripts/deps.sh)"; exit 1; }
export PG_FSYNC=on
. tests/lib/pg.sh
pg_start >/dev/null || { echo "bench-links: cannot start PostgreSQL"; exit 1; }
W=$PG_DIR/bench
mkdir -p "$W"
"$R" db migrate >/dev/null || { echo "bench-links: migrate failed"; exit 1; }
printf 'bench-links-secret-0123456789abcdef\n' >"$W/key"
chmod 600 "$W/key"
TOK=$("$R" serve token bench write 2>"$W/tok.line")
grep -v '^#' "$W/tok.line" >"$W/tokens"
PORT=$(free_port)
"$R" serve --tokens "$W/tokens" --listen "127.0.0.1:$PORT" \
	--threads "${BENCH_THREADS:-4}" --unsubscribe-secret-file "$W/key" \
	--unsubscribe-address unsubscribe@lists.example \
	--unsubscribe-url https://u.example 2>"$W/serve.log" &
SPID=$!
trap 'kill $SPID 2>/dev/null; wait $SPID 2>/dev/null; pg_stop' EXIT
wait_port "$PORT" 100 || { echo "bench-links: serve did not start"; exit 1; }

run() {	# BATCH NEW(1|0): links/s
	cat >"$W/links.lua" <<LUA
local n = 0
local tid = 0
setup = function(thread) tid = tid + 1; thread:set("tid", tid) end
request = function()
  n = n + 1
  local p = {}
  for i = 1, $1 do
    local k = $2 == 1 and (tid .. "x" .. n .. "x" .. i) or ("same" .. i)
    p[i] = '{"address":"s' .. k .. '@example.org","tenant":"acme","stream":"news"}'
  end
  return wrk.format("POST", "/v1/unsubscribe-links",
    {["Content-Type"] = "application/json", ["Authorization"] = "Bearer $TOK"},
    '{"links":[' .. table.concat(p, ",") .. ']}')
end
LUA
	wrk -t2 -c4 -d"${S}s" --latency -s "$W/links.lua" \
		"http://127.0.0.1:$PORT" >"$W/links.out" 2>&1
	rps=$(awk '/^Requests\/sec:/ {print $2}' "$W/links.out")
	p50=$(awk '$1 == "50%" {print $2}' "$W/links.out")
	errs=$(awk '/Non-2xx/ {print $5}' "$W/links.out")
	echo "$(echo "${rps:-0} * $1" | bc | cut -d. -f1) links/s, p50 ${p50:-?} a request, non-2xx ${errs:-0}"
}
r0=$(pg_sql "SELECT count(*) FROM unsubscribe_ids")
echo "serve unsubscribe links, batches of 100, new rows: $(run 100 1)"
echo "serve unsubscribe links, batches of 1,000, new rows: $(run 1000 1)"
echo "serve unsubscribe links, batches of 1,000, rows found: $(run 1000 0)"
echo "  rows made: $(($(pg_sql "SELECT count(*) FROM unsubscribe_ids") - r0))"
# the command, one process (and connection) per recipient
t0=$(date +%s.%N)
for i in $(seq 20); do
	"$R" unsubscribe-link --secret-file "$W/key" --mailto unsubscribe@lists.example \
		--url https://u.example --tenant acme --stream news "cli$i@example.org" >/dev/null || exit 1
done
t1=$(date +%s.%N)
echo "rebound unsubscribe-link, one process per recipient: $(echo "($t1 - $t0) * 1000 / 20" | bc) ms a link, $(echo "20 / ($t1 - $t0)" | bc) links/s; load $(cut -d' ' -f1-3 /proc/loadavg)"
