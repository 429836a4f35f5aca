#!/bin/sh
# Install every Debian package rebound needs to build, test and run.
# A no-op when everything is present.  Must run as root on a fresh
# Debian 12 machine (or be given sudo).
#   scripts/deps.sh          install what is missing
#   scripts/deps.sh --list   print the package names, one a line
# Every program that the scripts, the tests and the Makefile run comes
# from one of these packages, named here, or from Debian's essential and
# required set (tests/t_deps.sh checks).
set -eu
PKGS="build-essential pkg-config clang libclang-rt-14-dev xxd
libgmime-3.0-dev libetpan-dev libgnutls28-dev libpq-dev libpcre2-dev libjansson-dev
libglib2.0-dev libidn2-dev libmicrohttpd-dev
postgresql postgresql-client dovecot-imapd dovecot-core openssl
libsisimai-perl chromium fonts-droid-fallback ca-certificates procps
time bc curl iproute2 python3 python3-psycopg2 wrk
gcc make binutils git postgresql-client-common
dpkg-dev groff-base systemd"
if [ "${1:-}" = "--list" ]; then
	for p in $PKGS; do echo "$p"; done
	exit 0
fi
missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
	    grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0
echo "deps: installing:$missing" >&2
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
