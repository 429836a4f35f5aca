# rebound serve for a script test, on a free loopback port: start_serve
# [OPTIONS...] starts it with the tokens file $T/tokens (2 threads; its
# log in $T/serve.log) and sets PORT and SPID, trying 5 ports before it
# fails; stop_serve stops it.  on_exit (tests/lib/setup.sh) stops one
# still running.  Source after tests/lib/setup.sh.
SPID=
on_exit() { [ -n "$SPID" ] && kill "$SPID" 2>/dev/null && wait "$SPID" 2>/dev/null; }
start_serve() {	# extra options...
	for _try in 1 2 3 4 5; do
		PORT=$(free_port)
		"$R" serve --tokens "$T/tokens" --listen "127.0.0.1:$PORT" --threads 2 "$@" \
			2>>"$T/serve.log" &
		SPID=$!
		wait_port "$PORT" 60 && return 0
		kill "$SPID" 2>/dev/null; wait "$SPID" 2>/dev/null; SPID=
	done
	return 1
}
stop_serve() { kill "$SPID" 2>/dev/null; wait "$SPID" 2>/dev/null; SPID=; }
