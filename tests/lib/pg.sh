# tests/lib/pg.sh: a private PostgreSQL for one test script.  Source it,
# then call pg_start:
#
#     . "$(dirname "$0")/lib/pg.sh"
#     pg_start || exit 1        # exports REBOUND_DB, PGHOST, PGPORT, ...
#     ... "$REBOUND" ingest ... ; pg_sql 'SELECT count(*) FROM events'
#
# The cluster lives in a mktemp directory, listens on 127.0.0.1 on a port
# chosen free at run time (retrying on a clash: several people run tests
# at once), fsync off (tests, not benchmarks: set PG_FSYNC=on to change),
# trust authentication, one database "rebound".  As root it runs as the
# user postgres (PostgreSQL refuses root).  pg_start installs an EXIT trap
# that stops the server and removes the directory; a script that needs
# its own EXIT trap calls pg_stop from it.  About 1 s to start.
#
#   pg_sql SQL       run SQL in the test database, print tuples unaligned
#                    (psql -XAtq), exit status of psql
#   pg_stop          stop and clean up (idempotent)
#   pg_kill          stop immediately (crash-like: -m immediate), no cleanup
#   pg_restart       start again after pg_kill / pg_ctl stop
#   PG_BIN           the server binaries directory

PG_BIN=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}
PG_DIR=
PG_RUNAS=

pg__as() {	# run a server tool as the server user
	if [ -n "$PG_RUNAS" ]; then
		runuser -u "$PG_RUNAS" -- "$@"
	else
		"$@"
	fi
}

pg__port() {	# a port that nothing listens on now (the server may still
		# lose a race: pg_start retries)
	for _i in 1 2 3 4 5 6 7 8 9 10; do
		_p=$(( ( $(od -An -N2 -tu2 /dev/urandom) % 20000 ) + 30000 ))
		if ! (echo >"/dev/tcp/127.0.0.1/$_p") 2>/dev/null; then
			echo "$_p"
			return 0
		fi
	done 2>/dev/null
	echo $(( ( $$ % 20000 ) + 30000 ))
}

pg_start() {
	[ -x "$PG_BIN/initdb" ] || { echo "not ok - pg.sh: no PostgreSQL binaries (PG_BIN)"; return 1; }
	PG_DIR=$(mktemp -d /tmp/rebound-pg.XXXXXX) || return 1
	chmod 755 "$PG_DIR"
	if [ "$(id -u)" -eq 0 ]; then
		PG_RUNAS=postgres
		chown postgres "$PG_DIR"
	fi
	trap pg_stop EXIT
	trap 'exit 130' INT TERM
	( cd "$PG_DIR" && pg__as "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres \
		-A trust -E UTF8 --locale=C.UTF-8 --no-sync >"$PG_DIR/initdb.log" 2>&1 ) || {
		echo "not ok - pg.sh: initdb failed"; sed 's/^/# /' "$PG_DIR/initdb.log"; return 1; }
	for _try in 1 2 3 4 5; do
		PGPORT=$(pg__port)
		cat >>"$PG_DIR/data/postgresql.conf" <<EOC
listen_addresses = '127.0.0.1'
port = $PGPORT
unix_socket_directories = '$PG_DIR'
fsync = ${PG_FSYNC:-off}
synchronous_commit = ${PG_FSYNC:-off}
full_page_writes = ${PG_FSYNC:-off}
max_connections = 30
shared_buffers = 64MB
EOC
		if ( cd "$PG_DIR" && pg__as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -w -t 30 start >/dev/null 2>&1 ); then
			break
		fi
		PGPORT=
	done
	[ -n "$PGPORT" ] || { echo "not ok - pg.sh: server did not start"; sed 's/^/# /' "$PG_DIR/log" | tail -20; return 1; }
	export PGHOST=127.0.0.1 PGPORT PGUSER=postgres PGDATABASE=rebound
	pg__as "$PG_BIN/psql" -XAtq -h 127.0.0.1 -p "$PGPORT" -U postgres -d postgres \
		-c 'CREATE DATABASE rebound' >/dev/null || return 1
	export REBOUND_DB="host=127.0.0.1 port=$PGPORT user=postgres dbname=rebound"
	# never let a test touch the user's own state directory
	export REBOUND_STATE_DIR="$PG_DIR/state"
	return 0
}

pg_sql() {
	"$PG_BIN/psql" -XAtq -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PGPORT" -U postgres -d rebound -c "$1"
}

pg_kill() {
	[ -n "$PG_DIR" ] && ( cd "$PG_DIR" && pg__as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate -w stop >/dev/null 2>&1 )
}

pg_restart() {
	( cd "$PG_DIR" && pg__as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -w -t 30 start >/dev/null 2>&1 )
}

pg_stop() {
	[ -n "$PG_DIR" ] || return 0
	if [ -f "$PG_DIR/data/postmaster.pid" ]; then
		( cd "$PG_DIR" && pg__as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate -w stop >/dev/null 2>&1 )
	fi
	rm -rf "$PG_DIR"
	PG_DIR=
}
