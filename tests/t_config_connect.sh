#!/bin/sh
# rebound config check tests what `rebound run` needs: without --connect
# a metrics_listen address run would refuse is an error; with --connect
# the database must be reachable and migrated and every folder present,
# else it exits non-zero and names what failed.
. "$(dirname "$0")/lib/setup.sh"
start_pg
start_dovecot
rb_conf "$T/good.conf"

# metrics_listen: only loopback (run refuses anything else)
for a in 0.0.0.0:9465 192.0.2.7:9465 '[::]:9465'; do
	{ echo "metrics_listen = $a"; cat "$T/good.conf"; } >"$T/m.conf"
	out=$("$REBOUND" config check --config "$T/m.conf" 2>&1)
	rc=$?
	[ $rc -ne 0 ] && echo "$out" | grep -q "metrics_listen" &&
		ok "metrics_listen = $a refused by config check" || no "metrics_listen = $a accepted (exit $rc)" "$(echo "$out" | tail -1)"
done
{ echo "metrics_listen = 127.0.0.1:9465"; cat "$T/good.conf"; } >"$T/m.conf"
"$REBOUND" config check --config "$T/m.conf" >/dev/null 2>&1
is "metrics_listen = 127.0.0.1:9465 accepted" $? 0

# the database unreachable
p=$(free_port)
{ echo "db = host=127.0.0.1 port=$p dbname=rebound user=postgres connect_timeout=3"; cat "$T/good.conf"; } >"$T/nodb.conf"
out=$(env -u REBOUND_DB "$REBOUND" config check --connect --config "$T/nodb.conf" 2>&1)
rc=$?
[ $rc -ne 0 ] && ok "--connect: unreachable database exits $rc" || no "--connect: unreachable database exits 0" "$(echo "$out" | tail -3)"
echo "$out" | grep -qi "database.*FAILED" && ok "--connect: says the database failed" || no "--connect: database failure not named" "$(echo "$out" | tail -3)"

# reachable but not migrated
out=$("$REBOUND" config check --connect --config "$T/good.conf" 2>&1)
rc=$?
[ $rc -ne 0 ] && echo "$out" | grep -qi "migrat" && ok "--connect: unmigrated database refused (exit $rc)" ||
	no "--connect: unmigrated database (exit $rc)" "$(echo "$out" | tail -3)"

"$REBOUND" db migrate >/dev/null 2>&1 || no "db migrate"
out=$("$REBOUND" config check --connect --config "$T/good.conf" 2>&1)
is "--connect: migrated database, folders present: exit 0 $(echo "$out" | grep FAILED)" $? 0
echo "$out" | grep -qi "database.*migrated\|database.*schema" && ok "--connect: reports the database" || no "--connect: no database line" "$(echo "$out" | tail -5)"

# a folder missing
rb_conf "$T/f.conf" "folders = INBOX, Bounces/FBL"
out=$("$REBOUND" config check --connect --config "$T/f.conf" 2>&1)
rc=$?
[ $rc -ne 0 ] && ok "--connect: a missing folder exits $rc" || no "--connect: missing folder exits 0"
echo "$out" | grep -q "Bounces/FBL.*FAILED\|FAILED.*Bounces/FBL" && ok "--connect: names the missing folder" || no "--connect: missing folder not named" "$out"
