#!/bin/sh
# rebound parse --verp-separator: a complaint that names nobody is tied to
# the send by the VERP address it was sent to; the separator is
# configurable and '' turns decoding off.
cd "$(dirname "$0")/.." || exit 1
: "${REBOUND:=build/rebound}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sed 's/bounces+subscriber=example.net@/bounces-subscriber=example.net@/' \
    tests/fixtures/mta-arf-verp.eml >"$tmp/dash.eml"

rcpt() { sed -n 's/.*"recipient":\([^,]*\),.*/\1/p'; }

got=$("$REBOUND" parse tests/fixtures/mta-arf-verp.eml | rcpt)
[ "$got" = '"subscriber@example.net"' ] && echo "ok - default separator '+' decodes" ||
	echo "not ok - default separator: got $got"
got=$("$REBOUND" parse --verp-separator - "$tmp/dash.eml" | rcpt)
[ "$got" = '"subscriber@example.net"' ] && echo "ok - --verp-separator - decodes" ||
	echo "not ok - --verp-separator -: got $got"
got=$("$REBOUND" parse "$tmp/dash.eml" | rcpt)
[ "$got" = 'null' ] && echo "ok - wrong separator: no recipient invented" ||
	echo "not ok - wrong separator: got $got"
got=$("$REBOUND" parse --verp-separator '' tests/fixtures/mta-arf-verp.eml | rcpt)
[ "$got" = 'null' ] && echo "ok - --verp-separator '' disables decoding" ||
	echo "not ok - separator '': got $got"
# a bounce that names its recipient keeps it
sed 's/^To: sender@example.org/To: bounces+other=example.com@example.org/' \
    tests/fixtures/mta-yahoo.eml >"$tmp/yahoo.eml"
got=$("$REBOUND" parse "$tmp/yahoo.eml" | rcpt | head -1)
[ "$got" = '"nouser@example.net"' ] && echo "ok - a named recipient wins over VERP" ||
	echo "not ok - named recipient: got $got"
