#!/bin/sh
# The systemd units as they will run: systemd-analyze verify accepts
# them; a broken configuration is not restarted forever; the built-in
# PostgreSQL lives in rebound-db.service (stopped by `rebound db stop`,
# never SIGKILLed with the daemon) with jit off under W^X; the example's
# metrics_file directory is writable under ProtectSystem=strict.
cd "$(dirname "$0")/.." || exit 1
: "${REBOUND:=build/rebound}"
R=$(cd "$(dirname "$REBOUND")" && pwd)/$(basename "$REBOUND")
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
ok() { echo "ok - $1"; }
no() { echo "not ok - $1"; shift; for l in "$@"; do echo "# $l"; done; }
U=etc/systemd

for u in rebound rebound-db rebound-serve; do
	sed "s|/usr/local/bin/rebound|$R|g" "$U/$u.service" >"$T/$u.service"
done
out=$(systemd-analyze verify --man=no "$T/rebound.service" "$T/rebound-db.service" "$T/rebound-serve.service" 2>&1)
[ $? -eq 0 ] && [ -z "$out" ] && ok "systemd-analyze verify: the three units are clean" ||
	no "systemd-analyze verify" "$out"

prop() {	# unit key value: the unit sets key=value
	grep -q "^$2=$3\$" "$U/$1.service"
}
prop rebound RestartPreventExitStatus 2 && ok "rebound.service does not restart a configuration error (exit 2)" ||
	no "RestartPreventExitStatus=2 in rebound.service"
prop rebound StartLimitBurst 5 && prop rebound StartLimitIntervalSec 600 &&
	ok "rebound.service stops retrying a start that keeps failing" || no "StartLimit* in rebound.service"
! grep -q "db start\|db init" "$U/rebound.service" && grep -q "^ExecStop=.* db stop$" "$U/rebound-db.service" &&
	ok "the built-in database runs in rebound-db.service and is stopped by db stop" ||
	no "the database's unit"
grep -q "^MemoryDenyWriteExecute=yes" "$U/rebound-db.service" && grep -q 'jit = off' store/local.c &&
	ok "W^X for the database with jit = off in the built-in cluster" || no "jit = off with W^X"
! grep -q "^RemoveIPC=yes" "$U/rebound.service" "$U/rebound-db.service" &&
	ok "no RemoveIPC (it would remove the database's shared memory)" || no "RemoveIPC"
dir=$(sed -n 's/^#*metrics_file = \(.*\)\/[^/]*$/\1/p' etc/rebound.conf.example | head -1)
grep -q "^ReadWritePaths=.*-$dir\( \|\$\)" "$U/rebound.service" &&
	ok "the example's metrics_file directory ($dir) is writable under ProtectSystem=strict" ||
	no "ReadWritePaths for $dir"

# exit 2 for a broken configuration, from run and from config check
printf '[mailbox a]\nhots = x\n' >"$T/bad.conf"
"$R" run --config "$T/bad.conf" >/dev/null 2>&1
rc=$?
[ $rc -eq 2 ] && ok "run exits 2 on a broken configuration" || no "run on a broken configuration exits $rc"
"$R" config check --config "$T/bad.conf" >/dev/null 2>&1
rc=$?
[ $rc -eq 2 ] && ok "config check exits 2 on a broken configuration" || no "config check exits $rc"
printf 'log_level = info\n' >"$T/empty.conf"
"$R" run --config "$T/empty.conf" >/dev/null 2>&1
rc=$?
[ $rc -eq 2 ] && ok "run exits 2 with no [mailbox] section" || no "run with no mailbox exits $rc"
