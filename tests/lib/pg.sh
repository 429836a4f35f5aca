# tests/lib/pg.sh: a private PostgreSQL for one test script.  Source it,
# then call pg_start:
#
#     . "$(dirname "$0")/lib/pg.sh"
#     pg_start || exit 1        # exports REBOUND_DB, PGHOST, PGPORT, ...
#     ... "$REBOUND" ingest ... ; pg_sql 'SELECT count(*) FROM events'
#
# The cluster lives in a mktemp directory, listens on 127.0.0.1 on a port
# chosen free at run time (retrying on a clash: several people run tests
# at once; tests/lib/port.sh), fsync off (tests, not benchmarks: set PG_FSYNC=on to change),
# trust authentication, one database "rebound".  The cluster is copied
# from an initdb'ed template kept in $TMPDIR (made on first use).  As root it runs as the
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

command -v free_port >/dev/null 2>&1 || . tests/lib/port.sh

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

# An initdb'ed template, made once per machine and PostgreSQL version and
# copied for each test (initdb is most of the start-up time).  Made in a
# temporary directory and renamed into place, so concurrent first runs
# are safe; trusted only when it is a real directory owned by us or the
# server user.
pg__template() {
	_t=${TMPDIR:-/tmp}/rebound-pg-template2-$(id -u)-$(basename "$(dirname "$PG_BIN")")
	if [ -d "$_t" ] && [ ! -L "$_t" ] && [ -f "$_t/ready" ]; then
		_o=$(stat -c %u "$_t")
		if [ "$_o" = "$(id -u)" ] || { [ -n "$PG_RUNAS" ] && [ "$_o" = "$(id -u "$PG_RUNAS")" ]; }; then
			echo "$_t"
			return 0
		fi
	fi
	_tmp=$(mktemp -d "$_t.XXXXXX") || return 1
	chmod 755 "$_tmp"
	[ -n "$PG_RUNAS" ] && chown "$PG_RUNAS" "$_tmp"
	( cd "$_tmp" && pg__as "$PG_BIN/initdb" -D "$_tmp/data" -U postgres \
		-A trust -E UTF8 --locale=C.UTF-8 --no-sync >"$_tmp/initdb.log" 2>&1 ) || {
		sed 's/^/# /' "$_tmp/initdb.log"; rm -rf "$_tmp"; return 1; }
	# the test database too (CREATE DATABASE is the other slow step)
	( cd "$_tmp" && pg__as "$PG_BIN/pg_ctl" -D "$_tmp/data" -w -t 60 \
		-o "-c listen_addresses= -c unix_socket_directories=$_tmp -c port=5432 -c fsync=off" \
		-l "$_tmp/log" start >/dev/null 2>&1 &&
	  pg__as "$PG_BIN/psql" -XAtq -h "$_tmp" -p 5432 -U postgres -d postgres \
		-c 'CREATE DATABASE rebound' >/dev/null;
	  _rc=$?;
	  pg__as "$PG_BIN/pg_ctl" -D "$_tmp/data" -w -m fast stop >/dev/null 2>&1;
	  exit $_rc ) || { rm -rf "$_tmp"; return 1; }
	touch "$_tmp/ready"
	if ! mv -T "$_tmp" "$_t" 2>/dev/null; then
		rm -rf "$_tmp"	# another test made it first
		[ -f "$_t/ready" ] || return 1
	fi
	echo "$_t"
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
	_tpl=$(pg__template) || { echo "not ok - pg.sh: initdb failed"; return 1; }
	cp -a "$_tpl/data" "$PG_DIR/data" || { echo "not ok - pg.sh: cannot copy the template"; return 1; }
	for _try in 1 2 3 4 5; do
		PGPORT=$(free_port)
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
