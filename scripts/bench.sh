#!/bin/sh
# make bench: parse throughput and peak RSS of rebound and of Sisimai
# (libsisimai-perl, Sisimai->make) in the same run on the same files, and
# what a bare gmime parse of the same messages costs (the old ceiling:
# rebound parsed with gmime's object tree until it got its own MIME
# scanner, parsers/mime.c; gmime still decodes).
#
# The shared corpus's messages (bounces, old Sendmail DSNs, non-bounces)
# are hard-linked into a private Maildir-like directory until there are
# BENCH_MESSAGES of them (default 20000), so every tool sees identical
# bytes.  Figures are wall-clock over the whole run (process start
# included): CPU seconds (user + system, the figure that stays stable when
# other jobs share the machine) and wall-clock seconds, and the peak
# resident set size, all from GNU time.
#
#   BENCH_MESSAGES=20000 BENCH_SISIMAI=1 scripts/bench.sh
# BENCH_SISIMAI=0 skips Sisimai (it takes ~20 s per 20k messages here).
set -eu
cd "$(dirname "$0")/.."
B=${REBOUND_BUILD:-build}
REBOUND=${REBOUND:-$B/rebound}
N=${BENCH_MESSAGES:-20000}
CORPUS=${CORPUS:-}
if [ -z "$CORPUS" ]; then
	for c in "$(cd .. && pwd)/shared/corpus" "$(cd ../.. && pwd)/shared/corpus"; do
		[ -d "$c/maildir" ] && CORPUS=$c && break
	done
fi
[ -n "$CORPUS" ] || { echo "bench: no corpus found (set CORPUS)"; exit 2; }
[ -x "$REBOUND" ] || { echo "bench: build $REBOUND first"; exit 2; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/rebound-bench.XXXXXX")
trap 'rm -rf "$TMP"' EXIT INT TERM
mkdir -p "$TMP/cur"

# the message files (not the empty/garbage ones, not the mbox), linked
# into one directory per copy of the corpus (cp -al: one process a copy)
find "$CORPUS/maildir" -type f -name '*.eml' -size +0 | sort >"$TMP/list"
nsrc=$(wc -l <"$TMP/list")
mkdir -p "$TMP/src"
i=0
while read -r f; do
	ln "$f" "$TMP/src/$i.eml" 2>/dev/null || cp "$f" "$TMP/src/$i.eml"
	i=$((i + 1))
done <"$TMP/list"
copies=$(((N + nsrc - 1) / nsrc))
k=0
while [ "$k" -lt "$copies" ]; do
	cp -al "$TMP/src" "$TMP/cur/$k"
	k=$((k + 1))
done
N=$((copies * nsrc))
bytes=$(xargs cat <"$TMP/list" | wc -c)
bytes=$((bytes * copies))

cc -O2 $(pkg-config --cflags gmime-3.0) -o "$TMP/gmime_ceiling" \
	bench/gmime_ceiling.c $(pkg-config --libs gmime-3.0)

# run NAME CMD...: prints "NAME cpu_seconds maxrss_kb wall_seconds"
run() {
	name=$1
	shift
	/usr/bin/time -f '%U %S %M %e' -o "$TMP/time.$name" "$@" >"$TMP/out.$name" 2>"$TMP/err.$name" || {
		echo "bench: $name failed:"; tail -5 "$TMP/err.$name"; exit 1; }
	awk -v n="$name" '{ printf "%s %.2f %s %s\n", n, $1 + $2, $3, $4 }' "$TMP/time.$name"
}
rate() { awk -v n="$N" -v s="$1" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }'; }

echo "bench: load average $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"
echo "bench: $N messages ($nsrc distinct corpus files, $((bytes / 1024 / 1024)) MiB) in $TMP"
set -- $(run rebound "$REBOUND" parse "$TMP/cur")
r_s=$2 r_kb=$3 r_w=$4
r_ev=$(wc -l <"$TMP/out.rebound")
# the gmime ceiling gets the file names on its command line, in batches
set -- $(run gmime sh -c 'find "$1" -type f | xargs "$2" >/dev/null' sh "$TMP/cur" "$TMP/gmime_ceiling")
g_s=$2 g_kb=$3 g_w=$4
# memory flat as the number of messages grows: one copy of the corpus
set -- $(run rebound_small "$REBOUND" parse "$TMP/cur/0")
rs_kb=$3

printf '%-22s %8s %12s %8s %14s\n' tool cpu_s msg/cpu_s wall_s peak_RSS_MiB
printf '%-22s %8s %12s %8s %14.1f\n' "rebound parse" "$r_s" "$(rate "$r_s")" "$r_w" "$(echo "$r_kb / 1024" | bc -l)"
printf '%-22s %8s %12s %8s %14.1f\n' "gmime parse (ceiling)" "$g_s" "$(rate "$g_s")" "$g_w" "$(echo "$g_kb / 1024" | bc -l)"
if [ "${BENCH_SISIMAI:-1}" = 1 ]; then
	if perl -MSisimai -e 1 2>/dev/null; then
		set -- $(run sisimai perl -MSisimai -e \
			'my $n = 0; for my $d (glob("$ARGV[0]/*")) { my $v = Sisimai->make($d) || []; $n += @$v } print "$n\n"' "$TMP/cur")
		s_s=$2 s_kb=$3 s_w=$4
		printf '%-22s %8s %12s %8s %14.1f\n' "Sisimai 4.25 make" "$s_s" "$(rate "$s_s")" "$s_w" "$(echo "$s_kb / 1024" | bc -l)"
		echo "ratio rebound/Sisimai: $(awk -v a="$s_s" -v b="$r_s" 'BEGIN { printf "%.1fx", (b > 0 ? a / b : 0) }') (events: rebound $r_ev, Sisimai $(cat "$TMP/out.sisimai"))"
	else
		echo "Sisimai: not installed (libsisimai-perl)"
	fi
fi
echo "rebound / bare gmime parse: $(awk -v a="$g_s" -v b="$r_s" 'BEGIN { printf "%.1fx", (b > 0 ? a / b : 0) }') (above 1: faster than gmime's own parse)"
echo "rebound peak RSS: $((rs_kb / 1024)) MiB for $nsrc messages, $((r_kb / 1024)) MiB for $N"
