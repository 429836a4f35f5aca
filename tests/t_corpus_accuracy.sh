#!/bin/sh
# Accuracy against Sisimai's judgement on ../shared/corpus, when present:
# recipient sets, reasons and hard/soft must not fall below the ratchet in
# scripts/corpus-check.py nor below issue 3's floors (98% / 92% / 95%),
# no phantom recipient on non-bounces, and every
# real bounce that Sisimai 4.25 misses (DragonFly, Mimecast) is found.
cd "$(dirname "$0")/.." || exit 1
: "${REBOUND:=build/rebound}"
if [ ! -f ../shared/corpus/expected.jsonl ]; then
	echo "ok - corpus accuracy skipped (no ../shared/corpus)"
	exit 0
fi
out=$(python3 scripts/corpus-check.py --rebound "$REBOUND" --ratchet 2>&1)
lines=$(printf '%s\n' "$out" | grep -E '^(ok|not ok) ')
if [ -z "$lines" ]; then
	echo "not ok - corpus-check did not run"
	printf '%s\n' "$out" | tail -5 | sed 's/^/# /'
	exit 1
fi
printf '%s\n' "$lines"
