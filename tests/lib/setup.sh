# tests/lib/setup.sh: the common start of the test scripts that run real
# servers (t_store_*, t_imap_*, t_cn_store, t_reports).  First thing in
# the script:
#
#     . "$(dirname "$0")/lib/setup.sh"
#     start_pg                  # a private PostgreSQL (tests/lib/pg.sh)
#     start_dovecot             # a private Dovecot with user alice/secret
#
# Sourcing it goes to the repository root, defaults $REBOUND to
# build/rebound, sources the other tests/lib helpers, makes a scratch
# directory $T (mktemp, mode 0755) and installs ONE exit trap that, on
# any exit (success, failure, INT/TERM), first calls the script's own
# on_exit function when it defines one (to stop its daemons), then stops
# Dovecot and PostgreSQL and removes their directories and $T.  Both
# servers listen on 127.0.0.1 on ports chosen free at run time
# (tests/lib/port.sh) and live in their own mktemp directories.
#
#   start_pg            pg_start (set PG_FSYNC=on before, for durable
#                       commits), or "not ok" and exit 1; then
#                       D=$PG_DIR/mail (an empty directory for test mail)
#                       and R=$REBOUND
#   start_dovecot       dc_start "$T/dc" and dc_user alice secret, or
#                       "not ok - dovecot" and exit 1 ($DC_EXTRA passes
#                       through to dc_start)
# Result lines:
#   ok NAME / no NAME [DETAIL...] / is NAME GOT WANT
#   check NAME EXPR     ok when `eval EXPR` succeeds
#   counts              messages/events/suppressions/suppression_history
# A script may redefine any of these after sourcing.

cd "$(dirname "$0")/.." || exit 1
: "${REBOUND:=build/rebound}"
. tests/lib/pg.sh
. tests/lib/dovecot.sh
. tests/lib/mail.sh
. tests/lib/mailgen.sh
. tests/lib/rbimap.sh

t__exit() {
	if command -v on_exit >/dev/null 2>&1; then
		on_exit
	fi
	dc_stop
	pg_stop
	rm -rf "$T"
}
T=$(mktemp -d) || exit 1
chmod 755 "$T"
trap t__exit EXIT
trap 'exit 130' INT TERM

start_pg() {
	pg_start
	_rc=$?
	trap t__exit EXIT	# pg_start installs its own: one trap for all
	[ $_rc -eq 0 ] || exit 1
	D=$PG_DIR/mail
	mkdir -p "$D"
	R=$REBOUND
}

start_dovecot() {
	dc_start "$T/dc" || { no "dovecot"; exit 1; }
	dc_user alice secret
}

ok() { echo "ok - $1"; }
no() { echo "not ok - $1"; shift; for l in "$@"; do echo "# $l"; done; }
is() { if [ "$2" = "$3" ]; then ok "$1"; else no "$1" "got '$2'" "want '$3'"; fi; }
check() { if eval "$2"; then printf "ok - %s\n" "$1"; else printf "not ok - %s\n" "$1"; fi; }
counts() { pg_sql "SELECT (SELECT count(*) FROM messages) || '/' || (SELECT count(*) FROM events) || '/' || (SELECT count(*) FROM suppressions) || '/' || (SELECT count(*) FROM suppression_history)"; }
