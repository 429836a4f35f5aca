#!/bin/sh
# IMAP transport security against a real Dovecot: implicit TLS and STARTTLS
# with the test CA work (by name and by IP address); an untrusted
# certificate and a certificate for another host name are refused before
# LOGIN (Dovecot sees no authentication attempt); a wrong password gives a
# clear error at once; plaintext only where allowed.
. "$(dirname "$0")/lib/setup.sh"
echo secret >"$T/pw"
echo wrong >"$T/badpw"
chmod 600 "$T/pw" "$T/badpw"
# --connect also checks the database run would use
start_pg
"$REBOUND" db migrate >/dev/null 2>&1 || no "db migrate"

conf() {	# host port tls pwfile [extra]
	cat >"$T/r.conf" <<EOC
[mailbox t]
host = $1
port = $2
tls = $3
ca_file = $DC_CA
user = alice
password_file = $4
timeout = 10
$5
EOC
}
check() {	# name expect(ok|fail) pattern
	out=$("$REBOUND" config check --connect --config "$T/r.conf" 2>&1)
	rc=$?
	if [ "$2" = ok ] && [ $rc -eq 0 ] && echo "$out" | grep -q "$3"; then
		ok "$1"
	elif [ "$2" = fail ] && [ $rc -ne 0 ] && echo "$out" | grep -q "$3"; then
		ok "$1"
	else
		no "$1" "rc=$rc" "$(echo "$out" | tail -2)"
	fi
}
no_auth_attempt() {	# name
	if grep -q 'auth failed\|Login: user=' "$DC_DIR/dovecot.log"; then
		no "$1: no credentials reached the server" "$(grep 'auth\|Login' "$DC_DIR/dovecot.log" | tail -2)"
	else
		ok "$1: no credentials reached the server"
	fi
}

mkdir -p "$T/good" "$T/untrusted" "$T/wronghost"
dc_start "$T/good" good || { no "dovecot start"; exit 1; }
dc_user alice secret
conf localhost "$DC_PORTS" implicit "$T/pw"
check "implicit TLS with the test CA" ok "certificate verified"
conf 127.0.0.1 "$DC_PORTS" implicit "$T/pw"
check "implicit TLS to an IP address (IP SAN)" ok "certificate verified"
conf localhost "$DC_PORT" starttls "$T/pw"
check "STARTTLS with the test CA" ok "starttls, certificate verified"
conf localhost "$DC_PORTS" implicit "$T/pw"
sed -i '/^ca_file/d' "$T/r.conf"
check "test CA not in the system store: refused" fail "issuer is unknown"
conf 127.0.0.1 "$DC_PORT" none "$T/pw" "allow_plaintext = yes"
check "plaintext to loopback when allowed" ok "logged in"
conf localhost "$DC_PORT" implicit "$T/pw"
sed -i 's/^timeout = 10/timeout = 2/' "$T/r.conf"
check "implicit TLS against a plain port: error, no hang" fail "FAILED"
# last: Dovecot delays later logins from an address that failed one
conf localhost "$DC_PORTS" implicit "$T/badpw"
start=$(date +%s)
check "wrong password: clear error" fail "login as alice refused: .*Authentication failed"
[ $(( $(date +%s) - start )) -le 3 ] && ok "wrong password: fails at once" || no "wrong password: fails at once"
dc_stop

for kind in untrusted wronghost; do
	dc_start "$T/$kind" "$kind" || { no "dovecot start $kind"; exit 1; }
	dc_user alice secret
	want="issuer is unknown"
	[ $kind = wronghost ] && want="name in the certificate does not match"
	conf localhost "$DC_PORTS" implicit "$T/pw"
	check "$kind certificate refused (implicit TLS)" fail "$want"
	conf localhost "$DC_PORT" starttls "$T/pw"
	check "$kind certificate refused (STARTTLS)" fail "$want"
	no_auth_attempt "$kind"
	dc_stop
done
