#!/bin/sh
# Golden files: every tests/fixtures/NAME.eml (and .mbox) parses to exactly
# tests/golden/NAME.jsonl.  UPDATE_GOLDEN=1 rewrites the golden files (review
# the diff before committing).
cd "$(dirname "$0")/.." || exit 1
: "${REBOUND:=build/rebound}"
for f in tests/fixtures/*.eml tests/fixtures/*.mbox; do
	[ -f "$f" ] || continue
	name=$(basename "$f")
	name=${name%.*}
	want=tests/golden/$name.jsonl
	got=$("$REBOUND" parse "$f" 2>&1)
	if [ "${UPDATE_GOLDEN:-0}" = 1 ]; then
		printf '%s\n' "$got" >"$want"
	fi
	if [ -f "$want" ] && [ "$got" = "$(cat "$want")" ]; then
		echo "ok - golden $name"
	else
		echo "not ok - golden $name"
		printf '%s\n' "$got" | diff "$want" - | head -20 | sed 's/^/# /'
	fi
done
