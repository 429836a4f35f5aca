#!/bin/sh
# The folders are floors: a source file includes headers of its own
# folder and of floors below it, never of a floor above nor of another
# folder on its own floor (so no two folders include each other).
#   lib < core < parsers, ingest, store, reports < daemon, serve < cli
# The same table is docs/architecture.md's; Makefile's DIRS lists them.
cd "$(dirname "$0")/.." || exit 1
floor() {
	case "$1" in
	lib) echo 0 ;;
	core) echo 1 ;;
	parsers | ingest | store | reports) echo 2 ;;
	daemon | serve) echo 3 ;;
	cli) echo 4 ;;
	*) echo -1 ;;
	esac
}
bad=0
n=0
for dir in lib core parsers ingest store reports daemon serve cli; do
	own=$(floor "$dir")
	for f in "$dir"/*.c "$dir"/*.h; do
		[ -f "$f" ] || continue
		n=$((n + 1))
		# every quoted include: a path with a folder, or a bare name
		for inc in $(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f"); do
			case "$inc" in
			*..*)
				echo "not ok - $f includes \"$inc\": include by floor path (dir/name.h), not ../"
				bad=$((bad + 1))
				continue ;;
			*/*) to=${inc%%/*} ;;
			*)
				[ -f "$dir/$inc" ] || {
					echo "not ok - $f includes \"$inc\", which $dir/ does not have"
					bad=$((bad + 1))
				}
				continue ;;
			esac
			[ "$to" = "$dir" ] && continue
			tf=$(floor "$to")
			if [ "$tf" -lt 0 ] || [ "$tf" -ge "$own" ]; then
				echo "not ok - $f ($dir, floor $own) includes $inc ($to, floor $tf)"
				bad=$((bad + 1))
			fi
		done
	done
done
[ "$n" -gt 50 ] || { echo "not ok - only $n source files found"; exit 1; }
[ "$bad" -eq 0 ] && echo "ok - layers: $n files include only their own folder and floors below"
# the checker itself: a file that breaks the rule must be caught
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/core" "$tmp/store"
printf '#include "store/store.h"\n' >"$tmp/core/x.c"
if (cd "$tmp" && sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' core/x.c | grep -q '^store/'); then
	echo "ok - layers: an upward include is seen by the pattern"
else
	echo "not ok - layers: the include pattern misses an upward include"
fi
# the source files outside any floor
for f in $(git ls-files '*.c' '*.h' 2>/dev/null); do
	case "$f" in
	lib/* | core/* | parsers/* | ingest/* | store/* | reports/* | daemon/* | serve/* | cli/* | tests/* | fuzz/* | bench/*) ;;
	scripts/*.c) ;;	# generators run by hand (scripts/gen-addrkey-sql.c)
	*) echo "not ok - $f is outside every floor"; bad=$((bad + 1)) ;;
	esac
done
[ "$bad" -eq 0 ]
