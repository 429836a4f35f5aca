#!/bin/sh
# Every program that the scripts, the tests, the Makefile's recipes and
# .ci/run call must exist on a fresh Debian 12 machine after
# scripts/deps.sh: it is found on the system PATH alone
# (/usr/sbin:/usr/bin:/sbin:/bin, nothing from /usr/local) and belongs
# to a package that scripts/deps.sh installs by name, or that one of
# those depends on directly (Depends, Pre-Depends: postgresql ->
# postgresql-15), or to Debian's essential or required set (present on
# every installation).  Shell
# builtins are the only names allowed without a package.
# tests/lib/shcmds.py finds the calls.
cd "$(dirname "$0")/.." || exit 1
SYS_PATH=/usr/sbin:/usr/bin:/sbin:/bin
# builtins of dash (/bin/sh) and bash: no program is run for them
BUILTINS=". : [ alias bg break cd command continue echo eval exec exit export
false fg getopts hash jobs kill local printf pwd read readonly return set shift
test times trap true type ulimit umask unalias unset wait"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)

# the package that owns a file, following symbolic links (and the
# alternatives system) until a package owns a step; merged /usr: /bin/x
# is registered as either /bin/x or /usr/bin/x.  With --paths: the paths
# it would look up, without looking.
owner() {	# FILE [--paths]
	_f=$1
	for _i in 1 2 3 4 5 6; do
		for _c in "$_f" "${_f#/usr}" "/usr$_f"; do
			[ "${2:-}" = --paths ] && { echo "$_c"; continue; }
			_o=$(dpkg_S "$_c" | grep -v '^diversion by' |
			    sed -n "s|^\([^:, ]*\)\(:[a-z0-9]*\)\{0,1\}: $_c\$|\1|p" | head -1)
			[ -n "$_o" ] && { echo "$_o"; return 0; }
		done
		[ -L "$_f" ] || break
		_n=$(readlink "$_f")
		case "$_n" in /*) _f=$_n ;; *) _f=$(dirname "$_f")/$_n ;; esac
	done
	return 1
}

# dpkg -S reads dpkg's whole file database on each call (about 0.3 s):
# the paths asked in one call beforehand ($T/asked) are answered from
# its output ($T/owners)
dpkg_S() {
	if grep -qxF "$1" "$T/asked" 2>/dev/null; then
		grep -F ": $1" "$T/owners"
	else
		dpkg -S "$1" 2>/dev/null
	fi
}

# on the system PATH only
find_prog() {
	IFS=:
	for _d in $SYS_PATH; do
		if [ -f "$_d/$1" ] && [ -x "$_d/$1" ]; then
			unset IFS
			echo "$_d/$1"
			return 0
		fi
	done
	unset IFS
	return 1
}

# check NAME WHERE PKGLIST: prints an ok / not ok line
check() {
	_name=$1 _where=$2 _pkgs=$3
	case " $(echo $BUILTINS) " in *" $_name "*) return 0 ;; esac
	case "$_name" in
	'$PG_BIN/'*)
		[ -n "$PG_BIN" ] || { echo "not ok - deps: $_name ($_where): no /usr/lib/postgresql/*/bin"; return 1; }
		_path=$PG_BIN/${_name#*/} ;;
	/*) _path=$_name ;;
	*/*)
		# a file of the source tree (or the build): its interpreter
		case "$_name" in ./build*|build*) return 0 ;; esac
		[ -f "$_name" ] || { echo "not ok - deps: $_name ($_where) is not in the source tree"; return 1; }
		_sb=$(sed -n '1s/^#![[:space:]]*//p' "$_name")
		[ -n "$_sb" ] || { echo "not ok - deps: $_name ($_where) has no #! line"; return 1; }
		set -- $_sb
		if [ "$1" = /usr/bin/env ]; then _prog=$2; else _prog=$1; fi
		check "$_prog" "#! of $_name" "$_pkgs"
		return $? ;;
	*)
		_path=$(find_prog "$_name") || {
			echo "not ok - deps: $_name ($_where) is not on $SYS_PATH"
			return 1
		} ;;
	esac
	[ -e "$_path" ] || { echo "not ok - deps: $_path ($_where) does not exist"; return 1; }
	_pkg=$(owner "$_path") || {
		echo "not ok - deps: $_path ($_where) belongs to no Debian package"
		return 1
	}
	_pkg=${_pkg%%:*}
	if printf '%s\n' $_pkgs | grep -qx "$_pkg"; then
		echo "ok - deps: $_name is $_path from $_pkg (scripts/deps.sh)"
		return 0
	fi
	_prio=$(dpkg-query -W -f='${Essential} ${Priority}' "$_pkg" 2>/dev/null)
	case "$_prio" in
	yes\ * | *\ required)
		echo "ok - deps: $_name is $_path from $_pkg ($_prio)"
		return 0 ;;
	esac
	_via=$(awk -v p="$_pkg" '$2 == p { print $1; exit }' "$T/depends")
	if [ -n "$_via" ]; then
		echo "ok - deps: $_name is $_path from $_pkg (a dependency of $_via, scripts/deps.sh)"
		return 0
	fi
	echo "not ok - deps: $_name ($_where) is $_path from $_pkg, which scripts/deps.sh does not install (add it by name)"
	return 1
}

PKGS=$(sh scripts/deps.sh --list)
[ "$(echo "$PKGS" | wc -l)" -gt 10 ] || echo "not ok - deps: scripts/deps.sh --list printed $(echo "$PKGS" | wc -l) packages"
# the direct dependencies of those packages: "LISTED DEPENDENCY" lines
for p in $PKGS; do
	dpkg-query -W -f='${Depends}, ${Pre-Depends}\n' "$p" 2>/dev/null |
	    tr ',|' '\n\n' | sed 's/(.*//; s/:any//; s/[[:space:]]//g' |
	    grep -v '^$' | sed "s/^/$p /"
done >"$T/depends"
python3 tests/lib/shcmds.py scripts/*.sh tests/*.sh tests/lib/*.sh Makefile .ci/run >"$T/calls" ||
	echo "not ok - deps: tests/lib/shcmds.py failed"
n=$(cut -f1 "$T/calls" | sort -u | wc -l)
[ "$n" -gt 40 ] && echo "ok - deps: $n programs named in the scripts, tests and Makefile" ||
	echo "not ok - deps: only $n programs found (the scanner is broken)"
# the first place each program is called
awk -F'\t' '!seen[$1]++' "$T/calls" >"$T/first"
# every path the checks look up, in one dpkg -S
while IFS="$(printf '\t')" read -r name where; do
	case "$name" in
	'$PG_BIN/'*) owner "$PG_BIN/${name#*/}" --paths ;;
	/*) owner "$name" --paths ;;
	*/*) ;;
	*) _p=$(find_prog "$name") && owner "$_p" --paths ;;
	esac
done <"$T/first" | sort -u >"$T/ask"
xargs dpkg -S <"$T/ask" >"$T/owners" 2>/dev/null
mv "$T/ask" "$T/asked"
while IFS="$(printf '\t')" read -r name where; do
	check "$name" "$where" "$PKGS"
done <"$T/first"

# the checker itself: what it must refuse
cat >"$T/x.sh" <<'X'
#!/bin/sh
out=$(rebound-no-such-program --x | sort)
trap 'psql -c x; rm -f y' EXIT
case "$out" in
lib) echo 0 ;;
esac
for f in a b; do nice -n 5 timeout 3 xxd "$f" | tr '|' ' '; done
X
python3 tests/lib/shcmds.py "$T/x.sh" | cut -f1 | sort | tr '\n' ' ' >"$T/xcalls"
[ "$(cat "$T/xcalls")" = "echo nice psql rebound-no-such-program rm sort timeout tr trap xxd " ] &&
	echo "ok - deps: the scanner finds calls in \$( ), pipes, trap, loops and wrappers" ||
	echo "not ok - deps: the scanner found: $(cat "$T/xcalls")"
out=$(check rebound-no-such-program x.sh:2 "$PKGS")
case "$out" in "not ok - deps: rebound-no-such-program (x.sh:2) is not on"*)
	echo "ok - deps: a program missing from the system PATH is refused" ;;
*)	echo "not ok - deps: a missing program gave: $out" ;; esac
: >"$T/depends"
out=$(check xxd x.sh:8 "coreutils")
case "$out" in "not ok - deps: xxd (x.sh:8) is /usr/bin/xxd from xxd, which scripts/deps.sh does not install"*)
	echo "ok - deps: a program of a package scripts/deps.sh lacks is refused" ;;
*)	echo "not ok - deps: xxd without its package gave: $out" ;; esac
