#!/bin/sh
# Real replies of mainland-China providers (when the shared data set is
# present beside the checkout, or named by REBOUND_CN_REPLIES): each placed
# in a standard DSN must read in the right family of reason (docs/cn.md,
# "Measured"), no live address hard, no dead address missed.  Skipped
# without the data set.  The floor is what the rules reach today: it may
# only go up.
cd "$(dirname "$0")/.." || exit 1
: "${REBOUND:=build/rebound}"
out=$(python3 scripts/cn-replies-check.py --rebound "$REBOUND" --tap --min-family 100 2>&1)
printf '%s\n' "$out"
printf '%s\n' "$out" | grep -q '^ok - cn replies\|^ok - cn replies check skipped' || exit 1
! printf '%s\n' "$out" | grep -q '^not ok'
