#!/bin/sh
# Migrations from empty, re-run (no-op), status, and the objects they make.
. "$(dirname "$0")/lib/setup.sh"
start_pg

ok() { if [ "$1" = 0 ]; then echo "ok - $2"; else echo "not ok - $2"; fi; }

"$REBOUND" db status >/dev/null 2>&1
ok $([ $? -eq 1 ] && echo 0 || echo 1) "db status on an empty database exits 1 (migrations pending)"
out=$("$REBOUND" db migrate 2>&1)
ok $? "db migrate from empty"
case "$out" in "0 migration"*) ok 1 "migrate applied something ($out)" ;; *) ok 0 "migrate applied migrations" ;; esac
out=$("$REBOUND" db migrate 2>&1)
ok $? "db migrate again"
[ "$out" = "0 migration(s) applied" ]; ok $? "second migrate is a no-op ($out)"
"$REBOUND" db status >/dev/null 2>&1; ok $? "db status after migrate exits 0"
n=$(pg_sql "SELECT count(*) FROM schema_version WHERE version < 100")
[ "$n" -ge 1 ]; ok $? "schema_version records store migrations ($n)"
for t in messages events suppressions suppression_history; do
	[ "$(pg_sql "SELECT to_regclass('$t') IS NOT NULL")" = t ]; ok $? "table $t exists"
done
[ "$(pg_sql "SELECT has_table_privilege('rebound_reader', 'rebound_active_suppressions', 'SELECT')")" = t ]
ok $? "rebound_reader may read the view"
[ "$(pg_sql "SELECT has_table_privilege('rebound_reader', 'suppressions', 'SELECT')")" = f ]
ok $? "rebound_reader may not read the table"
pg_sql "INSERT INTO suppression_history (addr_key, address, action, at) VALUES ('a', 'a', 'added', now())" >/dev/null
pg_sql "DELETE FROM suppression_history" >/dev/null 2>&1
ok $([ $? -ne 0 ] && echo 0 || echo 1) "history is append-only"
# a password never appears in an error; a password on --db is refused
out=$(REBOUND_DB="host=127.0.0.1 port=1 user=x password=s3cr3tPW dbname=x" "$REBOUND" db status 2>&1)
case "$out" in *s3cr3tPW*) ok 1 "password leaked: $out" ;; *) ok 0 "connection error does not show the password" ;; esac
out=$("$REBOUND" db status --db "postgresql://x:s3cr3tPW@127.0.0.1:1/x" 2>&1)
rc=$?
case "$out" in *s3cr3tPW*) ok 1 "password leaked" ;; *) ok $([ $rc -ne 0 ] && echo 0 || echo 1) "--db with a password is refused" ;; esac
out=$("$REBOUND" db status --db "host='unterminated password=s3cr3tPW" 2>&1)
case "$out" in *s3cr3tPW*) ok 1 "password leaked on bad conninfo" ;; *) ok 0 "bad conninfo not echoed" ;; esac
out=$(REBOUND_DB="host='unterminated password=s3cr3tPW" "$REBOUND" db status 2>&1)
case "$out" in *s3cr3tPW*) ok 1 "password leaked on bad REBOUND_DB" ;; *) ok 0 "bad REBOUND_DB not echoed" ;; esac
# 202 drops the redundant events (kind, event_at) index; status lists it
[ "$(pg_sql "SELECT to_regclass('events_kind_at') IS NULL AND to_regclass('events_kind_reason') IS NOT NULL")" = t ]
ok $? "events_kind_at dropped by 202, events_kind_reason kept"
"$REBOUND" db status 2>&1 | grep -q "202.*drop_events_kind_at"
ok $? "db status shows migration 202"
