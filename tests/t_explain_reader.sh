#!/bin/sh
# rebound explain as a member of the read-only role (rebound_reader):
# the same suppressions, history and events as the owner sees, through
# the functions of migration 012, without an event's diagnostic or its
# mail's source; the role still reads no table behind them.
. "$(dirname "$0")/lib/setup.sh"
start_pg
"$R" db migrate >/dev/null || { no "db migrate"; exit 1; }
pg_sql "CREATE ROLE mailer LOGIN; GRANT rebound_reader TO mailer; CREATE ROLE outsider LOGIN" >/dev/null
RDB="host=127.0.0.1 port=$PGPORT user=mailer dbname=rebound"
as_role() {	# ROLE SQL
	"$PG_BIN/psql" -XAtq -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PGPORT" -U "$1" -d rebound -c "$2"
}
mk_dsn "$D/b.eml" bounced@example.com 5.1.1 "550 5.1.1 mailbox zq-secret-diagnostic unknown"
"$R" ingest --quiet "$D/b.eml" >/dev/null || no "ingest"
"$R" suppress --reason asked --actor ops gone@example.com >/dev/null
"$R" unsuppress --reason mistake --actor ops gone@example.com >/dev/null

"$R" explain bounced@example.com gone@example.com never@example.com >"$T/owner.out" 2>&1
orc=$?
"$R" explain --db "$RDB" bounced@example.com gone@example.com never@example.com >"$T/reader.out" 2>"$T/reader.err"
rrc=$?
is "explain as the read-only role: exit 3 (one suppressed), as the owner" "$rrc" "$orc"
check "... no error" '[ ! -s "$T/reader.err" ]'
check "... the bounce's suppression, its rule and its event" \
	'grep -q "^bounced@example.com: SUPPRESSED" "$T/reader.out" && grep -q "^events:" "$T/reader.out" && grep -q -- "-> rule " "$T/reader.out"'
check "... a removed suppression and its history" \
	'grep -q "^gone@example.com: not suppressed" "$T/reader.out" && grep -q "removed  manual by rule manual by ops (mistake)" "$T/reader.out"'
check "... an address never suppressed" 'grep -q "^never@example.com: never suppressed" "$T/reader.out"'
grep -v -e "diagnostic" -e "mail: " "$T/owner.out" >"$T/owner.cmp"
grep -v -e "diagnostic" -e "mail: " "$T/reader.out" >"$T/reader.cmp"
check "... every other line as the owner's" 'cmp -s "$T/owner.cmp" "$T/reader.cmp"'
check "the owner sees the diagnostic" 'grep -q "zq-secret-diagnostic" "$T/owner.out"'
check "the read-only role does not" '! grep -q "zq-secret-diagnostic" "$T/reader.out"'
check "... nor where the mail is kept" '! grep -q "$D" "$T/reader.out" && grep -q "mail: (not shown to this role)" "$T/reader.out"'
check "... and is told so" 'grep -q "diagnostics are not shown to the read-only role" "$T/reader.out"'

# what the role still may not do
check "the role reads no event" '! as_role mailer "SELECT doc FROM events LIMIT 1" >/dev/null 2>&1'
check "... no mail" '! as_role mailer "SELECT source FROM messages LIMIT 1" >/dev/null 2>&1'
check "... no suppression row behind the view" '! as_role mailer "SELECT 1 FROM suppressions LIMIT 1" >/dev/null 2>&1'
is "... the events function has no diagnostic column" \
	"$(as_role mailer "SELECT count(*) FROM rebound_explain_events('bounced@example.com')") $(pg_sql "SELECT count(*) FROM pg_proc p, unnest(p.proargnames) a WHERE p.proname = 'rebound_explain_events' AND a IN ('doc', 'diagnostic', 'source', 'raw')")" "1 0"
check "a role outside rebound_reader may not call the functions" \
	'! as_role outsider "SELECT * FROM rebound_explain_events('"'"'bounced@example.com'"'"')" >/dev/null 2>&1 && ! as_role outsider "SELECT * FROM rebound_explain_history('"'"'bounced@example.com'"'"')" >/dev/null 2>&1 && ! as_role outsider "SELECT * FROM rebound_explain_suppressions('"'"'bounced@example.com'"'"')" >/dev/null 2>&1'
is "the functions run as their owner with a pinned search_path" \
	"$(pg_sql "SELECT count(*) FROM pg_proc WHERE proname LIKE 'rebound\_explain\_%' AND prosecdef AND array_to_string(proconfig, ',') LIKE '%search_path=%'")" 3
