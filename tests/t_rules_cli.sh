#!/bin/sh
# rebound rules --check / parse --rules: a user's rules file is checked
# (errors name file:line), and its rules are tried before the built-in
# ones, which still apply.
cd "$(dirname "$0")/.." || exit 1
: "${REBOUND:=build/rebound}"
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
ok() { echo "ok - $1"; }
nok() { echo "not ok - $1"; }

"$REBOUND" rules --check >"$d/out" 2>&1 && grep -q 'rules OK (built-in)' "$d/out" &&
	ok "built-in rules check" || nok "built-in rules check: $(cat "$d/out")"

cat >"$d/good.rules" <<'R'
# "disabled", at our provider, means the account is gone for good
rule acme-disabled-is-gone
reason  userunknown
match   tried to reach is disabled
example 550 5.2.1 The email account that you tried to reach is disabled.
R
"$REBOUND" rules --check --rules "$d/good.rules" >"$d/out" 2>&1 &&
	grep -q '^1 rules OK' "$d/out" && ok "user rules check counts its own rules" ||
	nok "user rules check: $(cat "$d/out")"

printf 'rule bad\nreason userunknown\nmatch user unknown\nexample mailbox full\n' >"$d/bad.rules"
"$REBOUND" rules --check --rules "$d/bad.rules" >"$d/out" 2>&1
rc=$?
[ $rc -ne 0 ] && grep -q "bad.rules:1: rule bad does not match its own example" "$d/out" &&
	ok "a rule that misses its example is refused with file:line" ||
	nok "bad rules: rc=$rc $(cat "$d/out")"
"$REBOUND" parse --rules "$d/bad.rules" tests/fixtures/dsn-multi.eml >/dev/null 2>&1 &&
	nok "parse with a bad rules file must fail" || ok "parse refuses a bad rules file"

# the user's rule wins over the built-in "disabled" wording (5.2.1 is not
# a decisive status); the built-in rules still classify the others
"$REBOUND" parse tests/fixtures/dsn-no-blank-line.eml | grep -q '"recipient":"frank@example.com".*"reason":"suspend"' ||
	nok "fixture precondition: frank is suspend with the built-in rules"
"$REBOUND" parse --rules "$d/good.rules" tests/fixtures/dsn-no-blank-line.eml tests/fixtures/dsn-rfc1894.eml >"$d/out" 2>&1
grep -q '"recipient":"frank@example.com",.*"sender":"bulk@sender.example.org","reason":"userunknown"' "$d/out" &&
	ok "user rule tried before the built-in ones" || nok "user rule did not win: $(head -c 300 "$d/out")"
grep -q '"recipient":"student99@example.edu".*"reason":"userunknown"' "$d/out" &&
	ok "built-in rules still apply with --rules" || nok "built-in rules lost"
