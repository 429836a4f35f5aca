#!/bin/sh
# Every file of the shared bounce corpus (REBOUND_CORPUS, default
# shared/corpus beside the checkout; when present) parses without a crash or
# sanitizer report and yields at least one event line per message.
cd "$(dirname "$0")/.." || exit 1
: "${REBOUND:=build/rebound}"
C=${REBOUND_CORPUS:-$(cd .. && pwd)/shared/corpus}
if [ ! -d "$C" ]; then
	echo "ok - corpus smoke skipped (no corpus at $C)"
	exit 0
fi
out=$(mktemp)
err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT
"$REBOUND" parse "$C/maildir" "$C/mailbox" "$C/to-be-debugged-because" >"$out" 2>"$err"
rc=$?
[ $rc -eq 0 ] && echo "ok - parse over the corpus exits 0" || { echo "not ok - parse over the corpus exits $rc"; head -5 "$err" | sed 's/^/# /'; }
files=$(find "$C/maildir" "$C/mailbox" "$C/to-be-debugged-because" -type f | wc -l)
seen=$(python3 -c '
import json,sys
s=set()
for l in open(sys.argv[1]):
    o=json.loads(l); s.add((o["file"], o.get("index",-1)))
print(len({f for f,i in s}))' "$out")
[ "$seen" -eq "$files" ] && echo "ok - every corpus file ($files) gave an event" || echo "not ok - $seen of $files corpus files gave an event"
if grep -q 'AddressSanitizer\|runtime error' "$err"; then
	echo "not ok - sanitizer report on the corpus"
	grep -m5 'AddressSanitizer\|runtime error' "$err" | sed 's/^/# /'
else
	echo "ok - no sanitizer report on the corpus"
fi
