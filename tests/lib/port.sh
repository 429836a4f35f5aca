# tests/lib/port.sh: loopback ports for the test servers (source it; POSIX
# sh, so no /dev/tcp).  Sourced by pg.sh and dovecot.sh.
#
#   free_port          print a TCP port in 20000-49999 that nothing listens
#                      on now (random, checked with ss); the server may
#                      still lose a race to another test: callers retry
#   wait_port PORT [N] wait until something listens on 127.0.0.1:PORT,
#                      at most N tries 50 ms apart (default 100); 1 if not

free_port() {
	for _fp in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
		_p=$(( ($(od -An -N2 -tu2 /dev/urandom) % 30000) + 20000 ))
		if ! ss -Htan 2>/dev/null | awk '{print $4}' | grep -q ":$_p\$"; then
			echo "$_p"
			return 0
		fi
	done
	echo $(( ($$ % 30000) + 20000 ))
}

wait_port() {
	_wp=0
	while ! ss -Htln 2>/dev/null | awk '{print $4}' | grep -q ":$1\$"; do
		_wp=$((_wp + 1))
		[ $_wp -gt "${2:-100}" ] && return 1
		sleep 0.05
	done
	return 0
}
