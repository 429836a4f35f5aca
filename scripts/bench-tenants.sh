#!/bin/sh
# Scoped suppressions (make bench-tenants; also run by make bench): filter
# and single lookups against a 1,000,000-row list, first as one global
# list, then with the same rows spread over 1,000 tenants (a fifth stays
# global) and the question asked for one tenant.  Target: the scoped
# figures not more than 20% below the single-list ones.
#  BENCH_LIST=N rows, BENCH_FILTER=N addresses filtered, BENCH_LOOKUPS=N
#  single lookups (one `rebound query` with N addresses: a round trip
#  each).
set -u
cd "$(dirname "$0")/.." || exit 1
R=${REBOUND:-$PWD/build/rebound}
L=${BENCH_LIST:-1000000}
F=${BENCH_FILTER:-1000000}
Q=${BENCH_LOOKUPS:-5000}
. tests/lib/pg.sh
pg_start >/dev/null || { echo "bench-tenants: cannot start PostgreSQL"; exit 1; }
W=$PG_DIR/bench-tenants
mkdir -p "$W"
"$R" db migrate >/dev/null || { echo "bench-tenants: migrate failed"; exit 1; }
pg_sql "INSERT INTO suppressions (addr_key, address, domain, class, reason, rule, created_at, updated_at)
	SELECT 'list' || i || '@d' || (i % 1000) || '.example', 'List' || i || '@d' || (i % 1000) || '.example',
	       'd' || (i % 1000) || '.example', 'complaint', 'abuse', 'bench', now(), now()
	FROM generate_series(1, $L) i ON CONFLICT DO NOTHING; ANALYZE suppressions" >/dev/null
python3 - "$F" "$L" "$Q" "$W" <<'PY'
import sys, random
f, l, q, w = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
random.seed(1)
def addr(j):
    if j % 2 == 0:
        i = random.randint(1, l)
        return "List%d@D%d.example" % (i, i % 1000)
    return "fresh%d@d%d.example" % (j, j % 1000)
open(w + "/filter.in", "w").write("\n".join(addr(j) for j in range(f)) + "\n")
open(w + "/lookups.in", "w").write("\n".join(addr(j) for j in range(q)) + "\n")
PY

run() {	# label, options...
	label=$1; shift
	t0=$(date +%s.%N)
	"$R" filter "$@" <"$W/filter.in" >"$W/filter.out"; rc=$?
	tf=$(date +%s.%N)
	[ $rc -le 3 ] || { echo "bench-tenants: filter failed ($rc)"; exit 1; }
	# lookups: the best of three runs (the machine is shared)
	lr=0
	for _r in 1 2 3; do
		t1=$(date +%s.%N)
		xargs "$R" query "$@" <"$W/lookups.in" >/dev/null 2>&1
		t2=$(date +%s.%N)
		lr=$(echo "$Q $t1 $t2 $lr" | awk '{r = $1 / ($3 - $2); printf "%.0f", (r > $4 ? r : $4)}')
	done
	fr=$(echo "$F $t0 $tf" | awk '{printf "%.0f", $1 / ($3 - $2)}')
	echo "$label: filter $F addresses in $(echo "$t0 $tf" | awk '{printf "%.2f", $2 - $1}') s = $fr addresses/s ($(wc -l <"$W/filter.out") kept); $Q lookups = $lr lookups/s"
	eval "${label}_f=$fr ${label}_l=$lr"
}
run single
# the same rows over 1,000 tenants (every fifth row stays global)
pg_sql "UPDATE suppressions SET scope = 't' || (hashtext(addr_key) & 1023) % 1000
	WHERE hashtext(addr_key) % 5 <> 0" >/dev/null
pg_sql "VACUUM ANALYZE suppressions" >/dev/null
echo "  scopes: $(pg_sql "SELECT count(DISTINCT scope) - 1 FROM suppressions") tenants, $(pg_sql "SELECT count(*) FROM suppressions WHERE scope = ''") global rows of $(pg_sql "SELECT count(*) FROM suppressions")"
run tenant --tenant t42
echo "tenants vs single list: filter $(echo "$tenant_f $single_f" | awk '{printf "%.0f%%", 100 * $1 / $2}'), lookups $(echo "$tenant_l $single_l" | awk '{printf "%.0f%%", 100 * $1 / $2}') (target >= 80%)"
