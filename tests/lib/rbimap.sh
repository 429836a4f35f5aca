# tests/lib/rbimap.sh: shared set-up for the daemon tests (source it after
# dovecot.sh, pg.sh and mailgen.sh): rb_conf FILE [extra lines] writes a
# configuration for alice's INBOX on the test Dovecot over implicit TLS
# with the test CA; rb_counts prints "messages events quarantined" from
# the database; rb_folders prints "inbox processed unknown quarantine".

rb_conf() {
	f=$1
	shift
	echo secret >"$DC_DIR/alice.pw"
	chmod 600 "$DC_DIR/alice.pw"
	{
		echo "log_level = ${RB_LOG_LEVEL:-warning}"
		echo "lease_seconds = ${RB_LEASE:-6}"
		echo "parse_timeout = 5"
		echo "[mailbox alice]"
		echo "host = localhost"
		echo "port = $DC_PORTS"
		echo "tls = implicit"
		echo "ca_file = $DC_CA"
		echo "user = alice"
		echo "password_file = $DC_DIR/alice.pw"
		echo "batch_size = ${RB_BATCH:-100}"
		echo "max_size = 64K"
		echo "unknown_action = move"
		echo "poll_interval = 2"
		echo "timeout = 10"
		for l in "$@"; do echo "$l"; done
	} >"$f"
}

rb_counts() {
	pg_sql "SELECT (SELECT count(*) FROM messages), (SELECT count(*) FROM events), (SELECT count(*) FROM imap_quarantine)" | tr '|' ' '
}

rb_folders() {	# one doveadm call (each costs a process start)
	doveadm -c "$DC_CONF" mailbox status -u alice messages '*' 2>/dev/null |
	    awk '{ sub("messages=", "", $2); n[$1] = $2 }
		END { printf "%d %d %d %d\n", n["INBOX"], n["rebound/Processed"], n["rebound/Unknown"], n["rebound/Quarantine"] }'
}

rb_fill() {	# N TAG [big] [deep]
	new=$DC_DIR/home/alice/Maildir/new
	mailgen "$new" "$1" "$2"
	[ "${3:-}" = big ] && mailgen_big "$new" 100000 "$2"
	[ "${4:-}" = deep ] && mailgen_deep "$new" "$2"
	chown -R 65534:65534 "$DC_DIR/home/alice/Maildir"
}
