#!/bin/sh
# rebound config check: effective settings with secrets masked; errors name
# the line (unknown key, bad value, unreadable password file, plaintext).
cd "$(dirname "$0")/.." || exit 1
: "${REBOUND:=build/rebound}"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
echo 's3cret-pw' >"$T/pw"
ok() { echo "ok - $1"; }
no() { echo "not ok - $1"; }

cat >"$T/good.conf" <<EOC
db = host=db.invalid user=rb password=topsecret dbname=rb
[mailbox b1]
host = imap.example.net
user = bounces
password_file = $T/pw
folders = INBOX, Junk
max_size = 2M
EOC
out=$(REBOUND_DB= "$REBOUND" config check --config "$T/good.conf" 2>&1)
[ $? -eq 0 ] && ok "good config accepted" || no "good config accepted: $out"
case "$out" in *topsecret*|*s3cret*) no "secrets masked" ;; *) ok "secrets masked" ;; esac
echo "$out" | grep -q '^port = 993$' && ok "implicit TLS default port 993" || no "port default"
echo "$out" | grep -q '^folders = INBOX, Junk$' && ok "folder list" || no "folder list"
echo "$out" | grep -q '^max_size = 2097152$' && ok "size suffix" || no "size suffix"
echo "$out" | grep -q 'processed_folder = rebound/Processed' && ok "default processed folder" || no "default processed folder"
out=$(REBOUND_DB='postgresql://u:hunter2@h/db' "$REBOUND" config check --config "$T/good.conf" 2>&1)
case "$out" in *hunter2*) no "REBOUND_DB masked" ;; *"REBOUND_DB"*) ok "REBOUND_DB overrides and is masked" ;; *) no "REBOUND_DB override" ;; esac

bad() {	# name expected-substring config-text
	printf '%s\n' "$3" >"$T/bad.conf"
	out=$("$REBOUND" config check --config "$T/bad.conf" 2>&1)
	rc=$?
	case "$out" in
	*"$2"*) [ $rc -ne 0 ] && ok "$1" || no "$1 (exit 0)" ;;
	*) no "$1: $out" ;;
	esac
}
bad "unknown key names the line" "bad.conf:3: unknown key 'hots'" "[mailbox a]
user = u
hots = x"
bad "bad value names the line" "bad.conf:4: tls: expected implicit|starttls|none" "[mailbox a]
host = h
user = u
tls = maybe
password_file = $T/pw"
bad "bad number" "bad.conf:2: batch_size: expected a number" "[mailbox a]
batch_size = lots"
bad "unreadable password file" "cannot read password_file $T/nope" "[mailbox a]
host = h
user = u
password_file = $T/nope"
bad "plaintext needs allow_plaintext" "needs allow_plaintext = yes" "[mailbox a]
host = 127.0.0.1
user = u
tls = none
password_file = $T/pw"
bad "plaintext only to loopback" "only allowed to a loopback host" "[mailbox a]
host = imap.example.net
user = u
tls = none
allow_plaintext = yes
password_file = $T/pw"
bad "password in file refused" "passwords are not accepted" "[mailbox a]
password = x"
out=$("$REBOUND" config check --config "$T/missing.conf" 2>&1)
[ $? -ne 0 ] && case "$out" in *"missing.conf: cannot read"*) true ;; *) false ;; esac &&
    ok "missing config file" || no "missing config file: $out"
bad "global key in section" "global setting" "[mailbox a]
db = x"
out=$(FOO_PW=x "$REBOUND" config check --config /dev/stdin 2>&1 <<EOC
[mailbox a]
host = 127.0.0.1
user = u
tls = none
allow_plaintext = yes
password_env = FOO_PW
EOC
)
[ $? -eq 0 ] && ok "plaintext to loopback with password_env" || no "plaintext loopback: $out"
