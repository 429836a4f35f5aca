#!/bin/sh
# Run every test against one or more build directories (default: build)
# and print the closing line "N passed, N failed".
#
# Test programs and scripts print "ok - ..." / "not ok - ..." lines;
# a program or script that exits non-zero without printing "not ok"
# counts as one failure (a crash is never a pass).
#   tests/run.sh [BUILD_DIR...]      e.g. tests/run.sh build build-san
#   TESTS=pattern tests/run.sh       only tests whose name matches
set -u
cd "$(dirname "$0")/.." || exit 1
[ $# -gt 0 ] || set -- "${REBOUND_BUILD:-build}"
pass=0
fail=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

run_one() {	# name command...
	name=$1
	shift
	case "$name" in *${TESTS:-}*) ;; *) return ;; esac
	"$@" >"$log" 2>&1
	rc=$?
	p=$(grep -c '^ok ' "$log")
	f=$(grep -c '^not ok ' "$log")
	if grep -q 'ERROR: AddressSanitizer\|runtime error:\|ERROR: LeakSanitizer' "$log"; then
		f=$((f + 1))
		echo "not ok - $name: sanitizer report"
	fi
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
		echo "not ok - $name exited $rc"
	fi
	grep '^not ok \|^#' "$log" | head -50
	pass=$((pass + p))
	fail=$((fail + f))
	printf '%-40s %4d passed %4d failed\n' "$name" "$p" "$f"
}

for B in "$@"; do
	[ -x "$B/rebound" ] || { echo "not ok - $B/rebound is not built"; fail=$((fail + 1)); continue; }
	echo "== build: $B"
	export REBOUND="$PWD/$B/rebound" REBOUND_BUILD="$B"
	export REBOUND_TEST_HOOKS=1
	export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:exitcode=99"
	export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
	for t in "$B"/tests/test_*; do
		[ -x "$t" ] || continue
		run_one "$B:$(basename "$t")" "$t"
	done
	run_one "$B:fuzz_replay" "$B/tests/fuzz_replay" fuzz/seeds tests/fixtures
	for t in tests/t_*.sh; do
		[ -f "$t" ] || continue
		run_one "$B:$(basename "$t" .sh)" sh "$t"
	done
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
