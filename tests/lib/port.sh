# tests/lib/port.sh: loopback ports for the test servers (source it; POSIX
# sh, so no /dev/tcp).  Sourced by pg.sh and dovecot.sh.
#
#   free_port          print a TCP port in 20000-49999 that no socket uses
#                      now (random, checked against /proc/net/tcp and
#                      tcp6); the server may still lose a race to another
#                      test: callers retry
#   wait_port PORT [N] wait until something listens on PORT, at most N
#                      tries 50 ms apart (default 100); 1 if not
#
# Each costs one process per call or try: tests run several at a time,
# and starting processes is much of their CPU time.

free_port() {
	# the seed: the time and awk's own process id (read from
	# /proc/self/stat: $$ is the same in every $(free_port) of a script)
	awk 'BEGIN {
		getline st < "/proc/self/stat"
		split(st, me, " ")
		for (f = 0; f < 2; f++) {
			file = f ? "/proc/net/tcp6" : "/proc/net/tcp"
			while ((getline l < file) > 0) {
				split(l, a, " ")
				sub(/.*:/, "", a[2])
				used[a[2]] = 1
			}
			close(file)
		}
		srand()
		srand(srand() + me[1] * 7919)
		for (i = 0; i < 50; i++) {
			p = 20000 + int(rand() * 30000)
			if (!(sprintf("%04X", p) in used)) {
				print p
				exit
			}
		}
		print 20000 + me[1] % 30000
	}'
}

wait_port() {
	_wp=0
	while [ -z "$(ss -Htln "sport = :$1")" ]; do
		_wp=$((_wp + 1))
		[ $_wp -gt "${2:-100}" ] && return 1
		sleep 0.05
	done
	return 0
}
