#!/bin/sh
# The README's first command: rebound's main job on a built-in default,
# with nothing configured.
#   1. the machine's built-in PostgreSQL cluster (`rebound db init`);
#   2. a throw-away local Dovecot (loopback, TLS with a throw-away CA)
#      whose INBOX is filled with the sample bounces and complaints in
#      tests/fixtures;
#   3. one pass of the daemon: `rebound run --once`;
#   4. the resulting suppression list (`rebound list`).
# The Dovecot is stopped at the end; the database keeps running (stop it
# with `build/rebound db stop`).
set -e
cd "$(dirname "$0")/.."
R=$PWD/build/rebound
. tests/lib/dovecot.sh
D=$(mktemp -d /tmp/rebound-demo.XXXXXX)
trap 'dc_stop; rm -rf "$D"' EXIT
unset REBOUND_DB REBOUND_CONFIG

echo "== 1. built-in database"
"$R" db init

echo "== 2. demo mailbox: Dovecot on 127.0.0.1, sample mail from tests/fixtures"
dc_start "$D/dovecot" >/dev/null
dc_user demo demo-password
# every sample mail (several copies of a report would count once anyway)
dc_fill demo tests/fixtures/*.eml
echo "   $(dc_count demo INBOX) mails in INBOX (port $DC_PORTS, TLS)"
(umask 077; echo demo-password >"$D/password")
cat >"$D/rebound.conf" <<EOC
log_level = info
[mailbox demo]
host = localhost
port = $DC_PORTS
tls = implicit
ca_file = $DC_CA
user = demo
password_file = $D/password
unknown_action = move
EOC

echo "== 3. rebound run --once --config $D/rebound.conf"
"$R" run --once --config "$D/rebound.conf"
echo "   INBOX now: $(dc_count demo INBOX); rebound/Processed: $(dc_count demo rebound/Processed);" \
	"rebound/Unknown: $(dc_count demo rebound/Unknown); rebound/Quarantine: $(dc_count demo rebound/Quarantine)"

echo "== 4. suppression list (rebound list)"
"$R" list
echo
echo "Try: build/rebound query ADDRESS, build/rebound explain ADDRESS."
echo "The database keeps running; stop it with: build/rebound db stop"
