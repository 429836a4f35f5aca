#!/bin/sh
# `rebound --help` and README stay true: every command the help lists
# answers `--help` with its own usage (exit 0); every `rebound COMMAND`
# the README shows is in the help; an unknown command is refused.
cd "$(dirname "$0")/.." || exit 1
: "${REBOUND:=build/rebound}"
ok() { echo "ok - $1"; }
no() { echo "not ok - $1"; shift; for l in "$@"; do echo "# $l"; done; }

help=$("$REBOUND" --help) && ok "rebound --help exits 0" || no "rebound --help exits 0"
cmds=$(printf '%s\n' "$help" | sed -n '/^commands:/,/^$/p' | awk 'NF > 1 { print $1 }')
[ "$(printf '%s\n' "$cmds" | wc -l)" -ge 15 ] && ok "the help lists the commands" || no "the help lists the commands" "$cmds"
for c in $cmds; do
	out=$("$REBOUND" "$c" --help 2>&1)
	rc=$?
	if [ $rc -eq 0 ] && printf '%s\n' "$out" | grep -q "usage: rebound $c"; then
		ok "rebound $c --help"
	else
		no "rebound $c --help" "exit $rc" "$(printf '%s\n' "$out" | head -2)"
	fi
done
for c in $(grep -o '`rebound [a-z][a-z]*\|build/rebound [a-z][a-z]*' README.md | awk '{ print $2 }' | sort -u); do
	printf '%s\n' "$cmds" | grep -qx "$c" && ok "README's rebound $c is a command" ||
		no "README's rebound $c is a command"
done
"$REBOUND" --version | grep -q '^rebound [0-9]' && ok "--version" || no "--version"
"$REBOUND" no-such-command >/dev/null 2>&1
[ $? -eq 2 ] && ok "an unknown command exits 2" || no "an unknown command exits 2"
