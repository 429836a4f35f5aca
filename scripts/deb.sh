#!/bin/sh
# The Debian package: build/rebound_VERSION_ARCH.deb (or OUT).
#   scripts/deb.sh [BUILD_DIR [OUT]]      (`make deb`)
# Installs the build into a staging root (`make install`, PREFIX=/usr),
# strips the binary, compresses the man pages, writes DEBIAN/ from
# packaging/debian (control with the shared-library dependencies that
# dpkg-shlibdeps finds, conffiles, maintainer scripts) and runs
# dpkg-deb.  Needs only dpkg-dev and binutils (scripts/deps.sh).
set -eu
cd "$(dirname "$0")/.."
B=${1:-build}
SAN=0
[ "$B" = build-san ] && SAN=1
[ -x "$B/rebound" ] || { echo "deb: $B/rebound is not built (make all)" >&2; exit 1; }
V=$(sed -n 's/^#define RB_VERSION "\(.*\)"$/\1/p' core/version.h)
A=$(dpkg --print-architecture)
OUT=${2:-$B/rebound_${V}_$A.deb}
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
R=$W/root
make --no-print-directory SANITIZE=$SAN install DESTDIR="$R" PREFIX=/usr \
	SYSCONFDIR=/etc UNITDIR=/lib/systemd/system \
	SYSUSERSDIR=/usr/lib/sysusers.d >"$W/install.log" 2>&1 ||
	{ cat "$W/install.log" >&2; exit 1; }
[ "$SAN" = 1 ] || strip --strip-unneeded --remove-section=.comment \
	--remove-section=.note "$R/usr/bin/rebound"
gzip -9n "$R/usr/share/man/man1/rebound.1" "$R/usr/share/man/man5/rebound.conf.5"
install -m 644 packaging/debian/copyright "$R/usr/share/doc/rebound/copyright"

mkdir -p "$R/DEBIAN" "$W/debian"
# dpkg-shlibdeps reads debian/control of the current directory
printf 'Source: rebound\n\nPackage: rebound\nArchitecture: any\n' >"$W/debian/control"
shlibs=$(cd "$W" && dpkg-shlibdeps -O root/usr/bin/rebound 2>"$W/shlibdeps.log" |
	sed -n 's/^shlibs:Depends=//p') || true
[ -n "$shlibs" ] || { cat "$W/shlibdeps.log" >&2; echo "deb: dpkg-shlibdeps found nothing" >&2; exit 1; }
size=$(du -sk --exclude=DEBIAN "$R" | cut -f1)
sed -e "s/@VERSION@/$V/" -e "s/@ARCH@/$A/" -e "s/@SIZE@/$size/" \
	-e "s/@SHLIBS@/$shlibs/" packaging/debian/control.in >"$R/DEBIAN/control"
(cd "$R" && find etc -type f | sed 's|^|/|' | sort) >"$R/DEBIAN/conffiles"
for s in postinst prerm postrm; do
	install -m 755 "packaging/debian/$s" "$R/DEBIAN/$s"
done
(cd "$R" && find . -path ./DEBIAN -prune -o -type f -print0 | sort -z |
	xargs -0 md5sum | sed 's|  \./|  |') >"$R/DEBIAN/md5sums"
chmod 644 "$R/DEBIAN/control" "$R/DEBIAN/conffiles" "$R/DEBIAN/md5sums"
dpkg-deb --root-owner-group -Zxz --build "$R" "$OUT" >/dev/null
echo "$OUT"
