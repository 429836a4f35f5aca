#!/bin/sh
# "May I send to X?" never gets a wrong yes from the command line:
# another user reaches the same database or none (never a new empty one),
# every ordinary way of writing an address finds its suppression, input
# that holds no address is reported, never passed silently, and the exit
# status means the same in every command (rebound --help).
. "$(dirname "$0")/lib/setup.sh"
start_pg
export REBOUND_NOW=2025-01-31T12:00:00Z
"$R" suppress --reason test --actor t carol@example.org bob@example.invalid >/dev/null ||
	no "suppress (setup)"
rc() { "$@" >/dev/null 2>&1; echo $?; }

# ---- one database per machine, or none ----
# as another user, with no database configured and none created: the
# old behaviour was a fresh empty cluster under ~/.local/state
mkdir -p "$T/home" && chown nobody "$T/home"
as_nobody() {
	runuser -u nobody -- env -u REBOUND_DB -u REBOUND_STATE_DIR -u PGHOST \
		-u PGPORT -u PGUSER -u PGDATABASE HOME="$T/home" \
		STATE_DIRECTORY="$T/nostate" "$@"
}
out=$(as_nobody "$R" query bob@example.invalid 2>&1)
code=$?
is "another user without a database: query fails closed (exit 4)" "$code" 4
check "... saying there is no database" 'echo "$out" | grep -q "no database"'
out=$(printf 'bob@example.invalid\n' | as_nobody "$R" filter 2>/dev/null)
code=$?
check "... filter lets nothing through (exit $code)" '[ -z "$out" ] && [ "$code" = 4 ]'
check "... and no database was created anywhere" \
	'[ ! -e "$T/home/.local" ] && [ ! -e "$T/nostate" ]'
as_nobody "$PG_BIN/pg_ctl" -D "$T/home/.local/state/rebound/pg" -m immediate stop >/dev/null 2>&1

# the machine's built-in database, made by root in the systemd state
# directory, reached by a member of the group "rebound" (the sending
# application's user) through the socket; the group is made when missing
getent group rebound >/dev/null 2>&1 || groupadd --system rebound
mkdir -p "$T/sys" && chmod 755 "$T/sys"
as_root_sys() {
	env -u REBOUND_DB -u REBOUND_STATE_DIR -u PGHOST -u PGPORT -u PGUSER \
		-u PGDATABASE STATE_DIRECTORY="$T/sys/state" "$@"
}
on_exit() { as_root_sys "$R" db stop >/dev/null 2>&1; }
as_root_sys "$R" db init >"$T/init.out" 2>&1
is "db init creates the built-in database in \$STATE_DIRECTORY" "$?" 0
as_root_sys "$R" suppress --reason test --actor t bob@example.invalid >/dev/null
as_member() {
	runuser -u nobody -g rebound -- env -u REBOUND_DB -u REBOUND_STATE_DIR \
		-u PGHOST -u PGPORT -u PGUSER -u PGDATABASE HOME="$T/home" \
		STATE_DIRECTORY="$T/sys/state" "$@"
}
is "a member of the group rebound sees root's suppression (exit 3)" \
	"$(rc as_member "$R" query bob@example.invalid)" 3
is "... and filter holds it back" \
	"$(printf 'bob@example.invalid\nok@example.com\n' | as_member "$R" filter 2>/dev/null | tr '\n' ' ')" "ok@example.com "
is "... but may not change the list (exit 1)" \
	"$(rc as_member "$R" unsuppress --reason x bob@example.invalid)" 1
is "the list is unchanged" "$(rc as_root_sys "$R" query bob@example.invalid)" 3
is "a user outside the group: no database (exit 4), not 'not suppressed'" \
	"$(rc runuser -u nobody -- env -u REBOUND_DB -u REBOUND_STATE_DIR HOME="$T/home" STATE_DIRECTORY="$T/sys/state" "$R" query bob@example.invalid)" 4
check "the socket is the group's, no TCP listener" \
	'[ "$(stat -c %G "$T/sys/state/run/.s.PGSQL.5432")" = rebound ] && grep -q "^listen_addresses = '"''"'" "$T/sys/state/pg/rebound.conf"'
check "jit is off in the built-in cluster" 'grep -q "^jit = off" "$T/sys/state/pg/rebound.conf"'
as_root_sys "$R" db stop >/dev/null 2>&1
is "the built-in database stopped: query fails closed for its users" \
	"$(rc as_member "$R" query bob@example.invalid)" 4
as_root_sys "$R" db start >/dev/null 2>&1

# an unreachable configured database: fail closed, never "not suppressed"
out=$(REBOUND_DB="host=127.0.0.1 port=1 dbname=x connect_timeout=2" "$R" query bob@example.invalid 2>&1)
is "an unreachable database: query exits 4" "$?" 4
out=$(printf 'new@example.com\n' | REBOUND_DB="host=127.0.0.1 port=1 dbname=x connect_timeout=2" "$R" filter 2>/dev/null)
is "... filter exits 4 and passes nothing" "$?:$out" "4:"

# ---- addresses as people have them ----
filt() { printf "$1" | "$R" filter 2>/dev/null; }
is "filter: a display name and brackets" "$(filt '"Carol" <carol@example.org>\n')" ""
is "filter: CSV with a second column" "$(filt 'carol@example.org,extra\n')" ""
is "filter: TSV with a name" "$(filt 'bob@example.invalid\t张三\n')" ""
is "filter: a byte order mark before the first address" "$(filt '\357\273\277carol@example.org\nok@example.com\n')" "ok@example.com"
is "filter: CRLF, spaces, case" "$(filt '  CAROL@Example.ORG \r\nok@example.com\r\n' | tr -d '\r')" "ok@example.com"
is "query: 'Carol <carol@example.org>' is suppressed (exit 3)" "$(rc "$R" query 'Carol <carol@example.org>')" 3
is "query: surrounding space and case (exit 3)" "$(rc "$R" query '  CAROL@EXAMPLE.ORG  ')" 3
printf 'ok@example.com\nnot an address\nfoo@@bar\nx@\n\nok2@example.com\n' >"$T/mixed.txt"
out=$("$R" filter <"$T/mixed.txt" 2>"$T/err")
code=$?
is "filter: lines without an address are not passed" "$(echo "$out" | tr '\n' ' ')" "ok@example.com ok2@example.com "
is "... the exit status says some were dropped (5)" "$code" 5
check "... each is reported with its line number" \
	'grep -q "line 2: not an address" "$T/err" && grep -q "line 3: " "$T/err" && grep -q "line 4: " "$T/err"'
check "... the empty line is not reported" '! grep -q "line 5" "$T/err"'
is "filter --invalid keep passes them (exit 0)" \
	"$("$R" filter --invalid keep <"$T/mixed.txt" 2>/dev/null | wc -l):$?" "5:0"
out=$("$R" filter --invalid fail <"$T/mixed.txt" 2>/dev/null)
is "filter --invalid fail prints nothing (exit 5)" "$?:$out" "5:"
is "query '' is not an answer (exit 5)" "$(rc "$R" query '')" 5
is "query 'not an address' (exit 5)" "$(rc "$R" query 'not an address')" 5
is "query: a suppressed and an invalid address (exit 5)" "$(rc "$R" query carol@example.org foo@@bar)" 5

# CSV/TSV with a header, --column N|NAME, original lines kept
printf '\357\273\277name,email,city\r\n"Smith, Carol","Carol <carol@example.org>",Paris\r\nDave,dave@example.com,"Lyon, FR"\r\n' >"$T/list.csv"
out=$("$R" filter --column email <"$T/list.csv")
is "filter --column NAME: the header and the sendable row, bytes unchanged" \
	"$out" "$(printf '\357\273\277name,email,city\r\nDave,dave@example.com,"Lyon, FR"\r')"
is "filter --column 2 detects the header too" "$("$R" filter --column 2 <"$T/list.csv" | wc -l)" 2
is "filter --suppressed --column email" "$("$R" filter --suppressed --column email <"$T/list.csv" | tail -1 | cut -c1-14)" '"Smith, Carol"'
printf 'id\taddr\n1\tbob@example.invalid\n2\tok@example.com\n' >"$T/list.tsv"
is "filter --column addr on TSV" "$("$R" filter --column addr <"$T/list.tsv" | tr '\t\n' ': ')" "id:addr 2:ok@example.com "
is "filter --column nosuch: usage error (exit 2)" "$(rc "$R" filter --column nosuch <"$T/list.tsv")" 2

# ---- the smaller ones ----
is "list --class bogus: usage error (exit 2)" "$(rc "$R" list --class bogus)" 2
out=$("$R" list --class bogus 2>&1)
check "... naming the classes" 'echo "$out" | grep -q "hard, complaint, soft, manual"'
is "list --since 30d works" "$(rc "$R" list --since 30d)" 0
is "list --since 2025-01-01" "$("$R" list --since 2025-01-01 | wc -l)" 2
is "list --since soon: usage error (exit 2)" "$(rc "$R" list --since soon)" 2
is "suppress 'not an address' is refused (exit 5)" "$(rc "$R" suppress --reason x 'not an address')" 5
is "... and stores nothing" "$(pg_sql "SELECT count(*) FROM suppressions WHERE address = 'not an address'")" 0
is "suppress 'Dave <dave@example.com>' stores the address" \
	"$("$R" suppress --reason x 'Dave <Dave@Example.com>' >/dev/null; pg_sql "SELECT address FROM suppressions WHERE addr_key = 'dave@example.com'")" "Dave@Example.com"
printf 'address,reason\nnew1@example.com,a\nnot an address,b\nx@,c\n"Eve" <eve@example.com>,d\n' >"$T/imp.csv"
out=$("$R" import --actor t "$T/imp.csv" 2>"$T/imp.err")
is "import: rows without an address are skipped (exit 5)" "$?" 5
check "... reported with their line numbers" 'grep -q "line 3: not an address" "$T/imp.err" && grep -q "line 4:" "$T/imp.err"'
is "... the others imported, a display name as its address" \
	"$(pg_sql "SELECT string_agg(address, ' ' ORDER BY address) FROM suppressions WHERE rule = 'import'")" "eve@example.com new1@example.com"
is "import --invalid fail imports nothing" \
	"$(printf 'address\nnew2@example.com\nnope\n' | "$R" import --invalid fail - >/dev/null 2>&1; echo $?; pg_sql "SELECT count(*) FROM suppressions WHERE address = 'new2@example.com'")" "$(printf '5\n0')"
is "explain: an address never seen exits 0 (3 means suppressed)" "$(rc "$R" explain never@example.com)" 0
is "explain: a suppressed address exits 3" "$(rc "$R" explain carol@example.org)" 3
out=$("$R" --help)
check "rebound --help has the exit status table" \
	'echo "$out" | grep -q "4  no database could be reached" && echo "$out" | grep -q "5  some input was not an address"'
out=$("$R" report complaints --by campaing 2>&1)
is "report --by campaing: usage error (exit 2)" "$?" 2
check "... naming the bad key and the valid ones" 'echo "$out" | grep -q "unknown key .campaing.; the keys of this report: .*campaign"'
printf '2025/01/31,100\n' >"$T/sent.csv"
out=$("$R" sent import "$T/sent.csv" 2>&1)
check "sent import: a bad date is called a bad day, not an unknown column" \
	'echo "$out" | grep -q "line 1: bad day .2025/01/31. (want YYYY-MM-DD)" && ! echo "$out" | grep -q "unknown column"'
