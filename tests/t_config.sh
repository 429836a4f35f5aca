#!/bin/sh
# rebound config check: effective settings with secrets masked; errors name
# the line (unknown key, bad value, unreadable password file, plaintext).
cd "$(dirname "$0")/.." || exit 1
: "${REBOUND:=build/rebound}"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
echo 's3cret-pw' >"$T/pw"
chmod 600 "$T/pw"
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

# every spelling of a password that libpq accepts is masked: the
# setting is parsed by libpq, not matched by a pattern
for db in "host=h password = Sp4cedPw dbname=d" \
	"host=h password ='Qu0ted Pw' dbname=d" \
	"host=h password='it\\'sPw9' dbname=d" \
	"postgresql://u@h/d?pass%77ord=Enc0dedPw" \
	"postgresql://u:Ur1Pw@h/d" \
	"postgresql://u@h/d?password=Qu3ryPw&sslmode=require"; do
	out=$(REBOUND_DB="$db" "$REBOUND" config check --config "$T/good.conf" 2>&1)
	case "$out" in
	*Pw*) no "password masked in: $db" ;;
	*"password=****"*) ok "password masked in: $db" ;;
	*) no "password masked in: $db (no password shown as ****): $(echo "$out" | grep '^db')" ;;
	esac
done
out=$(REBOUND_DB="host=h password=Unt3rmPw 'x" "$REBOUND" config check --config "$T/good.conf" 2>&1)
case "$out" in *Unt3rmPw*) no "a setting libpq cannot parse is not shown" ;; *) ok "a setting libpq cannot parse is not shown" ;; esac

# a password file everyone may read is refused, as ssh refuses a key
echo 'open-secret' >"$T/pw-open"
chmod 644 "$T/pw-open"
printf '[mailbox a]\nhost = h\nuser = u\npassword_file = %s\n' "$T/pw-open" >"$T/open.conf"
out=$(REBOUND_DB= "$REBOUND" config check --config "$T/open.conf" --connect 2>&1)
rc=$?
case "$out" in
*"may be read or written by other users (mode 0644)"*) [ $rc -ne 0 ] && ok "world-readable password_file refused" || no "world-readable password_file refused (exit 0)" ;;
*) no "world-readable password_file refused: $out" ;;
esac
chmod 640 "$T/pw-open"
out=$(REBOUND_DB= "$REBOUND" config check --config "$T/open.conf" --connect 2>&1)
case "$out" in *"other users"*) no "a group-readable (0640) password_file is accepted" ;; *) ok "a group-readable (0640) password_file is accepted" ;; esac

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

# the suppression policy in the main configuration: [policy] and
# policy_file, layered under $REBOUND_POLICY and --policy
printf 'soft_threshold = 5\nreason.blocked = hard\nsoft_window = 21d\n' >"$T/pol.conf"
cat >"$T/p.conf" <<EOC
policy_file = $T/pol.conf
[policy]
soft_threshold = 4
reason.mailboxfull = hard
EOC
out=$(REBOUND_POLICY= "$REBOUND" config check --config "$T/p.conf" 2>/dev/null)
echo "$out" | grep -q "^soft_threshold = 4	# $T/p.conf:3$" && ok "config check shows [policy] keys with FILE:LINE" || no "config check [policy]: $out"
echo "$out" | grep -q "^soft_window = 21d	# $T/pol.conf:3$" && ok "config check shows policy_file keys" || no "config check policy_file: $out"
out=$(REBOUND_POLICY= "$REBOUND" policy show --config "$T/p.conf" 2>&1)
echo "$out" | grep -q "^reason.mailboxfull = hard	# $T/p.conf:4$" && ok "policy show: [policy] overrides a reason" || no "policy show [policy]: $out"
echo "$out" | grep -q "^reason.blocked = hard	# $T/pol.conf:2$" && ok "policy show: policy_file layer" || no "policy show policy_file: $out"
echo "$out" | grep -q "^soft_expiry = 30d$" && ok "policy show: untouched keys are built in" || no "policy show built-in: $out"
printf 'soft_threshold = 6\n' >"$T/env.conf"
printf 'soft_threshold = 7\n' >"$T/cli.conf"
out=$(REBOUND_POLICY="$T/env.conf" "$REBOUND" policy show --config "$T/p.conf" 2>&1)
echo "$out" | grep -q "^soft_threshold = 6	# $T/env.conf:1$" && ok "\$REBOUND_POLICY over the configuration" || no "env layer: $out"
out=$(REBOUND_POLICY="$T/env.conf" "$REBOUND" policy show --config "$T/p.conf" --policy "$T/cli.conf" 2>&1)
echo "$out" | grep -q "^soft_threshold = 7	# $T/cli.conf:1$" && ok "--policy over \$REBOUND_POLICY" || no "cli layer: $out"
echo "$out" | grep -q "^reason.mailboxfull = hard	# $T/p.conf:4$" && ok "layers keep the keys they do not set" || no "layering: $out"
out=$(REBOUND_CONFIG="$T/p.conf" REBOUND_POLICY= "$REBOUND" policy show 2>&1)
echo "$out" | grep -q "^soft_threshold = 4	" && ok "\$REBOUND_CONFIG names the configuration" || no "REBOUND_CONFIG: $out"
bad "[policy] bad value names the line" "bad.conf:3: soft_threshold must be 1..60" "# x
[policy]
soft_threshold = lots"
bad "[policy] unknown key names the line" "bad.conf:2: unknown key: reasons.blocked" "[policy]
reasons.blocked = hard"
bad "[policy] soft_expiry = never refused at its line" "bad.conf:3: soft_expiry must be a duration" "[policy]
soft_window = 7d
soft_expiry = never"
bad "policy key outside [policy]" "bad.conf:1: soft_threshold is a policy key: put it in the [policy] section" "soft_threshold = 3"
bad "global key inside [policy]" "bad.conf:2: db is a global setting" "[policy]
db = x"
bad "missing policy_file names the line" "bad.conf:2: policy_file: cannot read policy file $T/nope" "
policy_file = $T/nope"
bad "[policy] twice" "bad.conf:3: [policy] defined twice" "[policy]
[mailbox a]
[policy]"
printf 'soft_threshold = 0\n' >"$T/badpol.conf"
bad "error in policy_file names that file" "$T/badpol.conf:1: soft_threshold" "policy_file = $T/badpol.conf"
out=$("$REBOUND" policy check --config "$T/p.conf" --policy "$T/badpol.conf" 2>&1)
[ $? -ne 0 ] && case "$out" in *"badpol.conf:1"*) true ;; *) false ;; esac && ok "policy check names --policy FILE:LINE" || no "policy check: $out"
# the shipped example parses (its mailbox password file does not exist
# here: commands other than run/config check do not read secrets)
out=$(REBOUND_POLICY= "$REBOUND" policy show --config etc/rebound.conf.example 2>&1)
[ $? -eq 0 ] && ok "etc/rebound.conf.example parses (comments after values)" || no "example config: $out"
printf '[mailbox a]\nhost = h   # the server\nuser = u\npassword_file = %s\nprocessed_flag = "$A #1"\n' "$T/pw" >"$T/c.conf"
out=$("$REBOUND" config check --config "$T/c.conf" 2>&1)
echo "$out" | grep -q '^host = h$' && ok "comment after a value" || no "comment after a value: $out"
