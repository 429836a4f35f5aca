#!/bin/sh
# Store benchmarks (make bench-store; also run by make bench):
#  1. ingest throughput from local files into a private PostgreSQL with
#     durable commits (fsync, synchronous_commit, full_page_writes on);
#     target >= 5,000 messages/s.  N mails (default 20,000): 60% hard
#     bounces, 25% soft, 10% ARF complaints, 5% delays.
#  2. filter throughput: 1,000,000 addresses (half suppressed) against a
#     1,000,000-row suppression list; target >= 100,000 addresses/s.
#  Peak RSS of both (GNU time).  Prints one line per figure.
#  BENCH_MAILS=N, BENCH_LIST=N, BENCH_FILTER=N change the sizes.
set -u
cd "$(dirname "$0")/.." || exit 1
R=${REBOUND:-$PWD/build/rebound}
N=${BENCH_MAILS:-20000}
L=${BENCH_LIST:-1000000}
F=${BENCH_FILTER:-1000000}
export PG_FSYNC=on
. tests/lib/pg.sh
pg_start >/dev/null || { echo "bench-store: cannot start PostgreSQL"; exit 1; }
W=$PG_DIR/bench
mkdir -p "$W/mail"
TIME=/usr/bin/time
[ -x "$TIME" ] || TIME=

# CPU seconds used so far by the whole PostgreSQL cluster: the
# postmaster's reaped children (exited backends) plus its live children.
# On a shared, loaded machine wall-clock rates say little; CPU seconds
# of client + server give the rate an idle machine would reach (serial
# sum: a conservative figure, since ingest overlaps parsing and storing).
pg_cpu() {
	pm=$(head -1 "$PG_DIR/data/postmaster.pid")
	{ awk '{print $16 + $17}' "/proc/$pm/stat"
	  for c in $(cat /proc/$pm/task/*/children 2>/dev/null); do
		awk '{print $14 + $15}' "/proc/$c/stat" 2>/dev/null
	  done; } | awk -v hz="$(getconf CLK_TCK)" '{s += $1} END {printf "%.2f", s / hz}'
}

python3 - "$W/mail" "$N" <<'PY'
import os, sys
d, n = sys.argv[1], int(sys.argv[2])
dsn = """From: MAILER-DAEMON@mx{m}.example.net
To: bounces@sender.example
Subject: Undelivered Mail Returned to Sender
Date: Mon, 06 Jan 2025 {h:02d}:{mi:02d}:00 +0000
Message-ID: <bench-{i}@mx{m}.example.net>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: text/plain

Your message could not be delivered to one or more recipients.

--B
Content-Type: message/delivery-status

Reporting-MTA: dns; mx{m}.example.net
Arrival-Date: Mon, 06 Jan 2025 {h:02d}:{mi:02d}:00 +0000

Final-Recipient: rfc822; user{i}@domain{dom}.example
Action: {action}
Status: {status}
Diagnostic-Code: smtp; {diag}

--B
Content-Type: text/rfc822-headers

From: news@sender.example
To: user{i}@domain{dom}.example
Subject: Newsletter {i}
Message-ID: <orig-{i}@sender.example>
X-Campaign-ID: spring-{c}

--B--
"""
arf = """From: fbl@isp{m}.example
To: fbl@sender.example
Subject: Abuse report
Date: Mon, 06 Jan 2025 {h:02d}:{mi:02d}:00 +0000
Message-ID: <bench-{i}@isp{m}.example>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=feedback-report; boundary="B"

--B
Content-Type: text/plain

This is an abuse report.

--B
Content-Type: message/feedback-report

Feedback-Type: abuse
User-Agent: ISP-FBL/1.0
Version: 1
Original-Rcpt-To: user{i}@domain{dom}.example
Arrival-Date: Mon, 06 Jan 2025 {h:02d}:{mi:02d}:00 +0000

--B
Content-Type: message/rfc822

From: news@sender.example
To: user{i}@domain{dom}.example
Subject: Newsletter {i}
Message-ID: <orig-{i}@sender.example>

hello
--B--
"""
for i in range(n):
    k = i % 20
    args = dict(i=i, m=i % 7, dom=i % 500, c=i % 13, h=(i // 60) % 24, mi=i % 60)
    if k < 12:
        t = dsn.format(action="failed", status="5.1.1", diag="550 5.1.1 <user%d@domain%d.example>: Recipient address rejected: User unknown" % (i, i % 500), **args)
    elif k < 17:
        t = dsn.format(action="failed", status="4.2.2", diag="452 4.2.2 Mailbox full", **args)
    elif k < 19:
        t = arf.format(**args)
    else:
        t = dsn.format(action="delayed", status="4.4.1", diag="451 4.4.1 Connection timed out", **args)
    with open(os.path.join(d, "%06d.eml" % i), "w") as f:
        f.write(t)
PY

"$R" db migrate >/dev/null || exit 1
echo "bench-store: PostgreSQL with fsync=on synchronous_commit=on; $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg)"
c0=$(pg_cpu)
t0=$(date +%s.%N)
$TIME -f "%M %U %S" -o "$W/rss1" "$R" ingest --quiet "$W/mail" >/dev/null || { echo "bench-store: ingest failed"; exit 1; }
t1=$(date +%s.%N)
c1=$(pg_cpu)
rate=$(echo "$N $t0 $t1" | awk '{printf "%.0f", $1 / ($3 - $2)}')
read -r rss cu cs <"$W/rss1"
echo "ingest: $N messages in $(echo "$t0 $t1" | awk '{printf "%.2f", $2 - $1}') s wall = $rate messages/s (target >= 5000), peak RSS ${rss:-?} KB"
echo "  CPU: client $(echo "$cu $cs" | awk '{printf "%.2f", $1 + $2}') s, server $(echo "$c0 $c1" | awk '{printf "%.2f", $2 - $1}') s -> $(echo "$N $cu $cs $c0 $c1" | awk '{printf "%.0f", $1 / ($2 + $3 + $5 - $4)}') messages per CPU-second (client + server)"
echo "  stored: $(pg_sql "SELECT count(*) FROM messages") messages, $(pg_sql "SELECT count(*) FROM events") events, $(pg_sql "SELECT count(*) FROM suppressions") suppressions"

# a 1M-row list (on top of what ingest made), then 1M addresses to scrub
pg_sql "INSERT INTO suppressions (addr_key, address, domain, class, reason, rule, created_at, updated_at)
	SELECT 'list' || i || '@d' || (i % 1000) || '.example', 'List' || i || '@d' || (i % 1000) || '.example',
	       'd' || (i % 1000) || '.example', 'hard', 'userunknown', 'bench', now(), now()
	FROM generate_series(1, $L) i ON CONFLICT DO NOTHING; ANALYZE suppressions" >/dev/null
python3 - "$F" "$L" >"$W/filter.in" <<'PY'
import sys, random
f, l = int(sys.argv[1]), int(sys.argv[2])
random.seed(1)
out = []
for j in range(f):
    if j % 2 == 0:
        i = random.randint(1, l)
        out.append("List%d@D%d.example" % (i, i % 1000))
    else:
        out.append("fresh%d@d%d.example" % (j, j % 1000))
sys.stdout.write("\n".join(out) + "\n")
PY
c0=$(pg_cpu)
t0=$(date +%s.%N)
$TIME -f "%M %U %S" -o "$W/rss2" "$R" filter <"$W/filter.in" >"$W/filter.out" || { echo "bench-store: filter failed"; exit 1; }
t1=$(date +%s.%N)
c1=$(pg_cpu)
read -r rss2 fu fs <"$W/rss2"
kept=$(wc -l <"$W/filter.out")
rate=$(echo "$F $t0 $t1" | awk '{printf "%.0f", $1 / ($3 - $2)}')
echo "filter: $F addresses against $(pg_sql "SELECT count(*) FROM suppressions") suppressions in $(echo "$t0 $t1" | awk '{printf "%.2f", $2 - $1}') s wall = $rate addresses/s (target >= 100000), $kept kept, peak RSS ${rss2:-?} KB"
echo "  CPU: client $(echo "$fu $fs" | awk '{printf "%.2f", $1 + $2}') s, server $(echo "$c0 $c1" | awk '{printf "%.2f", $2 - $1}') s -> $(echo "$F $fu $fs $c0 $c1" | awk '{printf "%.0f", $1 / ($2 + $3 + $5 - $4)}') addresses per CPU-second (client + server)"
[ "$kept" -eq $((F / 2)) ] || echo "bench-store: WARNING: expected $((F / 2)) kept"
