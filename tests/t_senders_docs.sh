#!/bin/sh
# The Python and curl examples of docs/senders.md, run as they are
# written, against a real PostgreSQL (as the read-only role) and a real
# rebound serve: what they print is what a sender would send to.
. "$(dirname "$0")/lib/setup.sh"
start_pg
"$R" suppress --reason test --actor t carol@example.org >/dev/null
# the blocks marked "tested" in the document, by language
python3 - docs/senders.md "$T" <<'PY'
import re, sys
doc, out = open(sys.argv[1]).read(), sys.argv[2]
for lang, body in re.findall(r"<!-- tested: [^>]*-->\n```(\w+)\n(.*?)```", doc, re.S):
    open("%s/example.%s" % (out, {"python": "py", "sh": "sh"}[lang]), "w").write(body)
PY
check "the document has a tested Python and a tested curl example" '[ -s "$T/example.py" ] && [ -s "$T/example.sh" ]'

pg_sql "CREATE ROLE mailer LOGIN; GRANT rebound_reader TO mailer" >/dev/null
export REBOUND_DSN="host=127.0.0.1 port=$PGPORT dbname=rebound user=mailer"
is "Python: the sendable addresses only" "$(python3 "$T/example.py")" "dave@example.org"
is "Python: given addresses, a non-address is not sendable" \
	"$(python3 "$T/example.py" 'Dave <dave@example.org>' 'not an address' 'CAROL@EXAMPLE.ORG')" "Dave <dave@example.org>"
REBOUND_DSN="host=127.0.0.1 port=1 dbname=rebound user=mailer" python3 "$T/example.py" >"$T/py.out" 2>/dev/null
is "Python: no database, nothing sendable (exit 4)" "$?:$(cat "$T/py.out")" "4:"

TOK=$("$R" serve token docs read 2>"$T/line")
grep -v '^#' "$T/line" >"$T/tokens"
PORT=$(free_port)
"$R" serve --tokens "$T/tokens" --listen "127.0.0.1:$PORT" --threads 1 2>"$T/serve.log" &
SPID=$!
on_exit() { kill "$SPID" 2>/dev/null; wait "$SPID" 2>/dev/null; }
wait_port "$PORT" 100 || no "serve starts"
export REBOUND_URL="http://127.0.0.1:$PORT" REBOUND_TOKEN="$TOK"
is "curl: carol is held back, the batch gives dave only" "$(sh "$T/example.sh")" \
	"$(printf 'do not send to carol\ndave@example.org')"
REBOUND_TOKEN=wrong sh "$T/example.sh" >"$T/sh.out" 2>/dev/null
is "curl: a refused token, nothing sendable (exit 4)" "$?:$(cat "$T/sh.out")" "4:"
