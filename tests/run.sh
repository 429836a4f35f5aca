#!/bin/sh
# Run every test against one or more build directories (default: build)
# and print the closing line "N passed, N failed"; exit non-zero on any
# failure.
#
# Test programs and scripts print "ok - ..." / "not ok - ..." lines;
# a program or script that exits non-zero without printing "not ok"
# counts as one failure (a crash is never a pass), and so does a
# sanitizer report anywhere in its output.
#
#   tests/run.sh [BUILD_DIR...]      e.g. tests/run.sh build build-san
#   TESTS=pattern tests/run.sh       only tests whose name matches
#                                    (a shell pattern inside *...*)
#   TEST_JOBS=N                      tests run at once (default: the
#                                    number of processors, nproc)
#   TEST_TIMEOUT=SECONDS             a test still running after this is
#                                    stopped (SIGTERM) and fails (1800)
#
# Every test (each build's unit programs, fuzz_replay and tests/t_*.sh)
# is one job; the jobs of all the builds given share one pool, TEST_JOBS
# at a time, longest first (by BUILD_DIR/test-times, written at the end
# of each full run, else by tests/durations).  A test's
# report is printed as one block when it ends: its "not ok" and "#" lines
# and a line "BUILD:NAME  passed failed  wall  cpu"; a failing test's
# whole output follows.  The run ends with the slowest tests, the sums
# and the closing line.  Tests are isolated from each other (private
# servers on free ports in their own mktemp directories), so running
# them at once changes no result; TEST_JOBS=1 runs them one by one.
set -u
cd "$(dirname "$0")/.." || exit 1
[ $# -gt 0 ] || set -- "${REBOUND_BUILD:-build}"

jobs=${TEST_JOBS:-$(nproc 2>/dev/null || echo 2)}
case "$jobs" in '' | *[!0-9]* | 0) jobs=2 ;; esac
tmo=${TEST_TIMEOUT:-1800}
W=$(mktemp -d /tmp/rebound-run.XXXXXX) || exit 1
running=""
stop_all() {	# stop the running tests (each is a process group: timeout)
	for _i in $running; do
		[ -f "$W/$_i.pid" ] && kill -TERM "$(cat "$W/$_i.pid")" 2>/dev/null
	done
	wait
}
trap 'rm -rf "$W"' EXIT
trap 'stop_all; exit 130' INT TERM

now_ms() { echo $(($(date +%s%N) / 1000000)); }
t0=$(now_ms)

# ---- the job list: "BUILD NAME KIND PATH", longest first when known
fail=0
builds=
for B in "$@"; do
	if [ -x "$B/rebound" ]; then
		builds="$builds $B"
	else
		echo "not ok - $B/rebound is not built"
		fail=$((fail + 1))
	fi
done
for B in $builds; do
	for t in "$B"/tests/test_* "$B/tests/fuzz_replay" tests/t_*.sh; do
		[ -f "$t" ] || continue
		n=${t##*/}
		case "$t" in
		*.sh) n=${n%.sh} k=sh ;;
		*.d) continue ;;
		*) [ -x "$t" ] || continue; k=bin ;;
		esac
		case "$B:$n" in *${TESTS:-}*) ;; *) continue ;; esac
		echo "$B $n $k $t"
	done
done | awk 'BEGIN {
	# the order of the pool: the wall time (ms) of each test in an
	# earlier run, BUILD/test-times, else tests/durations (committed:
	# the times of a full run on the CI machine, for a clean clone);
	# a shell test known to neither starts first (it may be long), a
	# unit program last
	while ((getline l < "tests/durations") > 0)
		if (split(l, f, " ") == 3 && f[1] !~ /^#/)
			ms[f[1] " " f[2]] = f[3]
}
{
	if (!($1 in seen)) {
		seen[$1] = 1
		while ((getline l < ($1 "/test-times")) > 0) {
			split(l, f, " ")
			ms[$1 " " f[1]] = f[2]
		}
	}
	k = $1 " " $2
	print ((k in ms) ? ms[k] : ($3 == "sh" ? 999999999 : 0)), NR, $0
}' | sort -k1,1nr -k2,2n | cut -d' ' -f3- >"$W/list"
total=$(wc -l <"$W/list")

# ---- one test: its output in $W/N.log, "pass fail rc wall_ms cpu_s" in
# $W/N.res; then its number on the FIFO (one short write: atomic)
run_test() {	# N BUILD NAME KIND PATH
	_n=$1 _b=$2 _k=$4 _p=$5
	export REBOUND="$PWD/$_b/rebound" REBOUND_BUILD="$_b"
	_s=$(now_ms)
	# timeout runs the test in a process group of its own: on a timeout
	# (or SIGTERM from stop_all) the test and what it started get SIGTERM
	if [ "$_k" = sh ]; then
		timeout -s TERM "$tmo" sh "$_p" >"$W/$_n.log" 2>&1 </dev/null 3>&- &
	elif [ "$3" = fuzz_replay ]; then
		timeout -s TERM "$tmo" "$_p" fuzz/seeds tests/fixtures >"$W/$_n.log" 2>&1 </dev/null 3>&- &
	else
		timeout -s TERM "$tmo" "$_p" >"$W/$_n.log" 2>&1 </dev/null 3>&- &
	fi
	echo $! >"$W/$_n.pid"
	wait $!
	_rc=$?
	_e=$(now_ms)
	# CPU of this test's own processes (user+system of every child it
	# waited for; servers that detach, such as PostgreSQL, not counted)
	times >"$W/$_n.times"	# not in a pipe: that would be a new process
	_cpu=$(awk 'NR == 2 { split($1, u, "m"); split($2, s, "m"); printf "%.1f", u[1] * 60 + u[2] + s[1] * 60 + s[2] }' "$W/$_n.times")
	_pa=$(grep -c '^ok ' "$W/$_n.log")
	_fa=$(grep -c '^not ok ' "$W/$_n.log")
	echo "$_pa $_fa $_rc $((_e - _s)) $_cpu" >"$W/$_n.res"
	echo "$_n" >&3
}

# ---- print one finished test as one block
report() {	# N
	read -r _b _name _k _p <<EOF
$(sed -n "$1p" "$W/list")
EOF
	read -r _pa _fa _rc _ms _cpu <"$W/$1.res"
	_more=
	if grep -q 'ERROR: AddressSanitizer\|runtime error:\|ERROR: LeakSanitizer' "$W/$1.log"; then
		_fa=$((_fa + 1))
		_more="not ok - $_b:$_name: sanitizer report"
	fi
	if [ "$_rc" -ne 0 ] && [ "$_fa" -eq 0 ]; then
		_fa=1
		_more="not ok - $_b:$_name exited $_rc"
		[ "$_rc" -eq 124 ] && _more="not ok - $_b:$_name timed out after ${tmo}s"
	fi
	_sec=$(awk -v m="$_ms" 'BEGIN { printf "%.1f", m / 1000 }')
	if [ "$_fa" -gt 0 ]; then
		# a failure: everything the test printed
		echo "---- $_b:$_name: whole output"
		cat "$W/$1.log"
		echo "---- end of $_b:$_name"
		[ -n "$_more" ] && echo "$_more"
	else
		# its notes ("# ...") only
		grep '^#' "$W/$1.log" | head -50
	fi
	printf '%-40s %4d passed %4d failed %7ss %7ss cpu\n' "$_b:$_name" "$_pa" "$_fa" "$_sec" "$_cpu"
	pass=$((pass + _pa))
	fail=$((fail + _fa))
	echo "$_b $_name $_ms $_cpu" >>"$W/times"
}

# ---- the pool: start TEST_JOBS tests, start the next when one ends
export REBOUND_TEST_HOOKS=1
# read-only templates the tests of this run share (tests/lib/dovecot.sh:
# the test PKI)
mkdir "$W/shared" && export REBOUND_TEST_SHARED="$W/shared"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:exitcode=99"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
mkfifo "$W/done" || exit 1
exec 3<>"$W/done"
echo "== builds: $*; $total tests, $jobs at a time"
pass=0
next=1
active=0
finished=0
: >"$W/times"
while [ "$finished" -lt "$total" ]; do
	while [ "$active" -lt "$jobs" ] && [ "$next" -le "$total" ]; do
		# shellcheck disable=SC2046
		run_test "$next" $(sed -n "${next}p" "$W/list") &
		echo $! >"$W/$next.job"
		running="$running $next"
		next=$((next + 1))
		active=$((active + 1))
	done
	read -r i <&3 || break
	wait "$(cat "$W/$i.job")" 2>/dev/null
	running=$(echo "$running" | tr ' ' '\n' | grep -vx "$i" | tr '\n' ' ')
	active=$((active - 1))
	finished=$((finished + 1))
	report "$i"
done
wait

# ---- timing summary; each build's times order its next run
wall=$(($(now_ms) - t0))
echo "== slowest tests (wall, cpu of the test's own processes)"
sort -k3,3nr "$W/times" | head -"${TEST_SLOWEST:-10}" |
	awk '{ printf "   %-40s %7.1fs %7.1fs cpu\n", $1 ":" $2, $3 / 1000, $4 }'
awk -v w="$wall" -v j="$jobs" '{ s += $3; c += $4 } END {
	printf "== %d tests in %.1fs wall (%d at a time); sum of test times %.1fs, cpu %.1fs\n", NR, w / 1000, j, s / 1000, c }' "$W/times"
if [ -z "${TESTS:-}" ]; then
	for B in "$@"; do
		[ -d "$B" ] || continue
		awk -v b="$B" '$1 == b { print $2, $3, $4 }' "$W/times" >"$B/test-times.tmp" &&
			mv "$B/test-times.tmp" "$B/test-times"
	done
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
