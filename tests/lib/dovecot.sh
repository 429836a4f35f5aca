# tests/lib/dovecot.sh: a private Dovecot for tests (source it, POSIX sh).
#
#   . tests/lib/dovecot.sh
#   dc_certs "$dir"            # test CA + certificates (once per test dir)
#   dc_start "$dir" [good|untrusted|wronghost]
#   dc_user alice secret       # add a user (uid nobody, Maildir under $dir)
#   dc_fill alice FILE...      # copy files into alice's INBOX (Maildir/new)
#   dc_stop                    # SIGTERM, wait until the pid file is gone
#
# After dc_start: DC_PORT (plain IMAP, STARTTLS offered), DC_PORTS (IMAPS),
# DC_CA (the CA file that signed the "good" and "wronghost" certificates),
# DC_CONF, DC_DIR.  Everything lives under the given directory; ports are
# chosen free at runtime; nothing is registered outside it (own base_dir,
# state_dir, log_path).  Call dc_stop from the script's EXIT trap.
# DC_EXTRA: more configuration lines (e.g. "mail_fsync = never").

DC_PID=""

command -v free_port >/dev/null 2>&1 || . tests/lib/port.sh
dc_free_port() { free_port; }	# the older name

# Test PKI: ca.pem/ca.key (the test CA), good.* (CN/SAN localhost and
# 127.0.0.1, signed by the CA), wronghost.* (SAN other.invalid, signed by
# the CA), untrusted.* (self-signed localhost: no CA the client knows).
# Made once per run of tests/run.sh, in its shared directory
# $REBOUND_TEST_SHARED, and copied (openssl costs about a second); made
# in place when a test runs on its own.
dc_certs() {
	d=$1
	[ -f "$d/pki/good.pem" ] && return 0
	if [ -n "${REBOUND_TEST_SHARED:-}" ] && [ -d "$REBOUND_TEST_SHARED" ]; then
		if [ ! -f "$REBOUND_TEST_SHARED/pki/good.pem" ]; then
			# made aside and renamed: tests start at the same time
			_dt=$(mktemp -d "$REBOUND_TEST_SHARED/pki.XXXXXX") || return 1
			dc__mkcerts "$_dt" || { rm -rf "$_dt"; return 1; }
			mv -T "$_dt" "$REBOUND_TEST_SHARED/pki" 2>/dev/null || rm -rf "$_dt"
		fi
		mkdir -p "$d"
		cp -a "$REBOUND_TEST_SHARED/pki" "$d/pki" && chmod 755 "$d/pki" && return 0
		return 1
	fi
	mkdir -p "$d/pki"
	dc__mkcerts "$d/pki"
}

dc__mkcerts() {	# DIR
	(
		cd "$1" || exit 1
		ec="-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
		# shellcheck disable=SC2086
		openssl req -x509 $ec -keyout ca.key -out ca.pem -days 30 \
		    -subj "/CN=rebound test CA" \
		    -addext basicConstraints=critical,CA:TRUE \
		    -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null || exit 1
		for c in good:DNS:localhost,IP:127.0.0.1 wronghost:DNS:other.invalid; do
			n=${c%%:*}
			san=${c#*:}
			# shellcheck disable=SC2086
			openssl req $ec -keyout "$n.key" -out "$n.csr" \
			    -subj "/CN=${san#DNS:}" 2>/dev/null || exit 1
			printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth\n' \
			    "$san" >"$n.ext"
			openssl x509 -req -in "$n.csr" -CA ca.pem -CAkey ca.key \
			    -CAcreateserial -days 30 -extfile "$n.ext" \
			    -out "$n.pem" 2>/dev/null || exit 1
		done
		# shellcheck disable=SC2086
		openssl req -x509 $ec -keyout untrusted.key -out untrusted.pem \
		    -days 30 -subj /CN=localhost \
		    -addext subjectAltName=DNS:localhost,IP:127.0.0.1 2>/dev/null || exit 1
		chmod 644 ./*.pem ./*.key
	) || { echo "dc_certs: openssl failed" >&2; return 1; }
}

dc_start() {
	DC_DIR=$1
	cert=${2:-good}
	dc_certs "$DC_DIR" || return 1
	chmod 755 "$DC_DIR"
	# Dovecot's auth and mail processes run unprivileged: make every
	# parent traversable (mktemp -d makes 0700 directories)
	up=$(cd "$DC_DIR/.." && pwd)
	while [ "$up" != / ]; do
		[ -O "$up" ] && chmod o+x "$up"
		up=$(dirname "$up")
	done
	mkdir -p "$DC_DIR/run" "$DC_DIR/state" "$DC_DIR/home"
	chmod 755 "$DC_DIR/home"
	touch "$DC_DIR/passwd"
	chmod 644 "$DC_DIR/passwd"
	DC_CA=$DC_DIR/pki/ca.pem
	DC_CONF=$DC_DIR/dovecot.conf
	tries=0
	while :; do
		DC_PORT=$(free_port)
		DC_PORTS=$(free_port)
		cat >"$DC_CONF" <<EOF
base_dir = $DC_DIR/run
state_dir = $DC_DIR/state
log_path = $DC_DIR/dovecot.log
info_log_path = $DC_DIR/dovecot.log
instance_name = rebound-test-$$-$DC_PORT
protocols = imap
listen = 127.0.0.1
shutdown_clients = yes
default_internal_user = dovecot
default_login_user = dovenull
first_valid_uid = 1
ssl = yes
ssl_cert = <$DC_DIR/pki/$cert.pem
ssl_key = <$DC_DIR/pki/$cert.key
ssl_min_protocol = TLSv1.2
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
auth_cache_size = 0
mail_location = maildir:~/Maildir
namespace inbox {
  inbox = yes
  separator = /
}
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $DC_DIR/passwd
}
userdb {
  driver = passwd-file
  args = username_format=%u $DC_DIR/passwd
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $DC_PORT
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = $DC_PORTS
    ssl = yes
  }
}
${DC_EXTRA:-}
service stats {
  unix_listener stats-reader {
    mode = 0666
  }
  unix_listener stats-writer {
    mode = 0666
  }
}
EOF
		dovecot -c "$DC_CONF" 2>>"$DC_DIR/dovecot.log" && break
		tries=$((tries + 1))
		if [ $tries -ge 5 ]; then
			echo "dc_start: dovecot would not start:" >&2
			tail -5 "$DC_DIR/dovecot.log" >&2
			return 1
		fi
	done
	DC_PID=$(cat "$DC_DIR/run/master.pid" 2>/dev/null)
	# Ready when the IMAP port accepts connections.
	wait_port "$DC_PORTS" || { echo "dc_start: not listening" >&2; return 1; }
	DC_PID=$(cat "$DC_DIR/run/master.pid")
	export DC_PORT DC_PORTS DC_CA DC_CONF DC_DIR DC_PID
}

dc_stop() {
	[ -n "$DC_DIR" ] && [ -f "$DC_DIR/run/master.pid" ] || return 0
	pid=$(cat "$DC_DIR/run/master.pid")
	kill -TERM "$pid" 2>/dev/null
	i=0
	while [ -f "$DC_DIR/run/master.pid" ] && [ $i -lt 100 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	[ -f "$DC_DIR/run/master.pid" ] && kill -KILL "$pid" 2>/dev/null
	rm -f "$DC_DIR/run/master.pid"
	return 0
}

# Restart with the same ports and users (for fault tests).
dc_restart() {
	dc_stop
	dovecot -c "$DC_CONF" 2>>"$DC_DIR/dovecot.log" || return 1
	wait_port "$DC_PORTS" || return 1
	DC_PID=$(cat "$DC_DIR/run/master.pid")
}

# dc_user NAME PASSWORD: a mail user running as nobody.
dc_user() {
	u=$1
	h=$DC_DIR/home/$u
	mkdir -p "$h/Maildir/new" "$h/Maildir/cur" "$h/Maildir/tmp"
	echo "$u:{PLAIN}$2:65534:65534::$h::" >>"$DC_DIR/passwd"
	chown -R 65534:65534 "$h"
}

# dc_fill USER FILE...: deliver files into INBOX by writing Maildir/new
# directly (no ",S=" in the name: Dovecot would trust it).
dc_fill() {
	u=$1
	shift
	nd=$DC_DIR/home/$u/Maildir/new
	n=0
	pre=$(date +%s).R$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')
	for f in "$@"; do
		n=$((n + 1))
		cp "$f" "$nd/$pre.M$n.rbtest"
	done
	chown -R 65534:65534 "$DC_DIR/home/$u/Maildir"
}

# dc_count USER FOLDER: number of mails in a folder ("INBOX" or "a/b").
dc_count() {
	doveadm -c "$DC_CONF" search -u "$1" mailbox "$2" all 2>/dev/null | wc -l
}
