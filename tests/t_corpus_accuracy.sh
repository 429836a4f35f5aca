#!/bin/sh
# Accuracy against Sisimai's judgement on the shared bounce corpus
# (REBOUND_CORPUS, default shared/corpus beside the checkout), when present:
# recipient sets, reasons and hard/soft must not fall below the floors in
# scripts/corpus-check.py, no phantom recipient on non-bounces, the
# corpus-ext category and recipient floors, and every
# real bounce that Sisimai 4.25 misses (DragonFly, Mimecast) is found;
# and the corpus mails perturbed in ways that keep their meaning
# (scripts/perturb.py) change no more answers than its ceiling.
cd "$(dirname "$0")/.." || exit 1
: "${REBOUND:=build/rebound}"
C=${REBOUND_CORPUS:-$(cd .. && pwd)/shared/corpus}
if [ ! -f "$C/expected.jsonl" ]; then
	echo "ok - corpus accuracy skipped (no corpus at $C)"
	exit 0
fi
# ratchet NAME COMMAND...: the command's ok/not ok lines; a command that
# printed none did not run, which is a failure too
ratchet() {
	name=$1
	shift
	out=$("$@" 2>&1)
	lines=$(printf '%s\n' "$out" | grep -E '^(ok|not ok) ')
	if [ -z "$lines" ]; then
		echo "not ok - $name did not run"
		printf '%s\n' "$out" | tail -5 | sed 's/^/# /'
		return 1
	fi
	printf '%s\n' "$lines"
}
ratchet corpus-check python3 scripts/corpus-check.py --rebound "$REBOUND" \
	--corpus "$C" --ext "${REBOUND_CORPUS_EXT:-$(dirname "$C")/corpus-ext}" \
	--ratchet || exit 1
ratchet "perturbation check" python3 scripts/perturb.py --rebound "$REBOUND" \
	--corpus "$C" --ratchet || exit 1
