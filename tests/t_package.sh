#!/bin/sh
# The product as installed: `make install` into a scratch DESTDIR, and
# the Debian package (scripts/deb.sh) unpacked into a scratch root with
# dpkg -x; the installed binary runs (--version, config check of the
# installed example), the unit names the installed binary, runs as the
# rebound user with a state directory, and every Documentation= it names
# is installed; the man pages list every command of `rebound --help` and
# every key of the configuration, and render without warnings.
cd "$(dirname "$0")/.." || exit 1
. tests/lib/setup.sh
B=${REBOUND_BUILD:-build}
SAN=0
[ "$B" = build-san ] && SAN=1

# ---- make install ----
make --no-print-directory SANITIZE=$SAN install DESTDIR="$T/inst" >"$T/install.log" 2>&1
is "make install exits 0" $? 0
for f in usr/local/bin/rebound usr/local/share/man/man1/rebound.1 \
	usr/local/share/man/man5/rebound.conf.5 \
	usr/local/lib/systemd/system/rebound.service \
	usr/local/lib/sysusers.d/rebound.conf etc/rebound/rebound.conf.example \
	usr/local/share/doc/rebound/README.md usr/local/share/doc/rebound/docs/daemon.md; do
	[ -f "$T/inst/$f" ] && ok "make install: /$f" || no "make install: /$f missing"
done
grep -q '^ExecStart=/usr/local/bin/rebound run ' "$T/inst/usr/local/lib/systemd/system/rebound.service" &&
	ok "make install: the unit runs /usr/local/bin/rebound" ||
	no "make install: ExecStart" "$(grep ExecStart "$T/inst/usr/local/lib/systemd/system/rebound.service")"

# ---- the Debian package ----
deb=$(sh scripts/deb.sh "$B" "$T/rebound.deb" 2>"$T/deb.log")
is "scripts/deb.sh exits 0 $(head -3 "$T/deb.log")" $? 0
dpkg-deb -f "$T/rebound.deb" Package Version Architecture Depends >"$T/fields" 2>&1
is "package name" "$(sed -n 's/^Package: //p' "$T/fields")" rebound
is "package version is the binary's" "rebound $(sed -n 's/^Version: //p' "$T/fields")" "$("$REBOUND" --version)"
is "package architecture" "$(sed -n 's/^Architecture: //p' "$T/fields")" "$(dpkg --print-architecture)"
grep -q '^Depends: .*libpq5.*adduser' "$T/fields" && ok "Depends: shared libraries and adduser" ||
	no "Depends" "$(cat "$T/fields")"
dpkg-deb -e "$T/rebound.deb" "$T/ctl"
is "conffiles: the example configuration" "$(cat "$T/ctl/conffiles")" /etc/rebound/rebound.conf.example
for s in postinst prerm postrm; do
	sh -n "$T/ctl/$s" && [ -x "$T/ctl/$s" ] && ok "$s: executable, sh syntax" || no "$s"
done
grep -q 'adduser --system.*rebound' "$T/ctl/postinst" && grep -q 'addgroup --system.*rebound' "$T/ctl/postinst" &&
	ok "postinst creates the system user and group rebound" || no "postinst: no system user"

R=$T/root
dpkg -x "$T/rebound.deb" "$R"
is "dpkg -x exits 0" $? 0
is "installed binary: --version" "$("$R/usr/bin/rebound" --version)" "$("$REBOUND" --version)"
out=$(REBOUND_PASSWORD_BOUNCES=x "$R/usr/bin/rebound" config check --config "$R/etc/rebound/rebound.conf.example" 2>&1)
rc=$?
is "installed binary: config check of the installed example exits 0 ($(echo "$out" | tail -1))" $rc 0
echo "$out" | grep -q '^host = imap.example.net$' && ok "config check prints the example's mailbox" ||
	no "config check output" "$out"

U=$R/lib/systemd/system/rebound.service
grep -q '^ExecStart=/usr/bin/rebound run --config /etc/rebound/rebound.conf$' "$U" &&
	ok "unit: ExecStart is the installed binary" || no "unit ExecStart" "$(grep ExecStart "$U")"
grep -q '^User=rebound$' "$U" && ok "unit: User=rebound" || no "unit: User="
grep -q '^StateDirectory=rebound$' "$U" && ok "unit: StateDirectory=rebound (/var/lib/rebound)" || no "unit: StateDirectory="
grep -q '^u rebound ' "$R/usr/lib/sysusers.d/rebound.conf" && ok "sysusers.d: user rebound" || no "sysusers.d"
ndoc=0
for d in $(sed -n 's/^Documentation=//p' "$U"); do
	ndoc=$((ndoc + 1))
	case "$d" in
	file://*) f=$R${d#file://} ;;
	man:*) p=${d#man:}; n=${p%%(*}; s=${p#*(}; s=${s%)}; f=$R/usr/share/man/man$s/$n.$s.gz ;;
	*) f=/nonexistent ;;
	esac
	[ -f "$f" ] && ok "unit: Documentation=$d is installed" || no "unit: Documentation=$d is not in the package"
done
[ "$ndoc" -ge 3 ] && ok "unit: $ndoc Documentation= entries" || no "unit: only $ndoc Documentation= entries"
[ -f "$R/usr/share/doc/rebound/copyright" ] && ok "copyright file" || no "copyright file"
[ -f "$R/usr/share/doc/rebound/README.zh-CN.md" ] && [ -f "$R/usr/share/doc/rebound/docs/zh-CN/operations.md" ] &&
	ok "the Chinese quick start and operations guide are installed" || no "Chinese docs missing from the package"

# ---- the man pages: every command, every key ----
zcat "$R/usr/share/man/man1/rebound.1.gz" >"$T/rebound.1.roff"
zcat "$R/usr/share/man/man5/rebound.conf.5.gz" >"$T/rebound.conf.5.roff"
for m in rebound.1 rebound.conf.5; do
	w=$(LC_ALL=C.UTF-8 groff -man -Tutf8 -ww -z "$T/$m.roff" 2>&1)
	is "$m renders without warnings $w" "$w" ""
	sed 's/\\-/-/g' "$T/$m.roff" >"$T/$m"	# roff's \- as -
done
"$REBOUND" --help | sed -n '/^commands:/,/^$/s/^  \([a-z][a-z]*\) .*/\1/p' >"$T/cmds"
n=0
missing=
while read -r c; do
	n=$((n + 1))
	grep -q "^\.SS $c\$" "$T/rebound.1" || missing="$missing $c"
done <"$T/cmds"
[ "$n" -gt 10 ] && [ -z "$missing" ] && ok "rebound.1 has a section for each of the $n commands of --help" ||
	no "rebound.1 lacks commands:$missing (of $n)"
grep -q 'usage: rebound report complaints|bounces' "$T/rebound.1" && ok "rebound.1 carries each command's --help" ||
	no "rebound.1 lacks the commands' --help text"
# the keys the man page lists, in GLOBAL KEYS and MAILBOX KEYS
sed -n '/^\.SH GLOBAL KEYS/,/^\.SH SECRETS/{/^\.TP$/{n;s/^\.B //p}}' "$T/rebound.conf.5" >"$T/mankeys"
# every key the example shows is listed
sed -n 's/^#\{0,1\}\([a-z_]*\) = .*/\1/p' etc/rebound.conf.example | sort -u >"$T/exkeys"
# ([policy] keys of the example are in POLICY KEYS)
"$REBOUND" policy show --policy /dev/null 2>/dev/null | sed -n 's/^\([a-z_.-]*\) = .*/\1/p' >"$T/pkeys"
missing=$(grep -vxF -f "$T/mankeys" "$T/exkeys" | grep -vxF -f "$T/pkeys" | tr '\n' ' ')
[ "$(wc -l <"$T/mankeys")" -gt 25 ] && [ -z "$missing" ] &&
	ok "rebound.conf.5 lists every key of the example ($(wc -l <"$T/mankeys") keys)" ||
	no "rebound.conf.5 lacks keys: $missing"
# and each key it lists is one the parser knows
bad=
while read -r k; do
	case "$k" in host | port | tls | allow_plaintext | ca_file | user | password_file | \
		password_env | xoauth2_command | folders | on_processed | processed_folder | \
		processed_flag | quarantine_folder | unknown_action | unknown_folder | batch_size | \
		poll_interval | max_size | idle | timeout) sec='[mailbox m]' ;;
	*) sec= ;; esac
	printf '%s\n%s = zzz\n' "$sec" "$k" >"$T/k.conf"
	"$REBOUND" config check --config "$T/k.conf" 2>&1 | grep -q "unknown key" && bad="$bad $k"
done <"$T/mankeys"
[ -z "$bad" ] && ok "every key of rebound.conf.5 is one config check knows" || no "unknown keys in rebound.conf.5:$bad"
missing=
while read -r k; do
	grep -qF "$k = " "$T/rebound.conf.5" || missing="$missing $k"
done <"$T/pkeys"
[ "$(wc -l <"$T/pkeys")" -gt 20 ] && [ -z "$missing" ] &&
	ok "rebound.conf.5 lists the built-in policy ($(wc -l <"$T/pkeys") keys)" ||
	no "rebound.conf.5 lacks policy keys:$missing"
