#!/bin/sh
# Paths of `rebound run` that need a particular server:
# - XOAUTH2 with a token printed by xoauth2_command, checked by Dovecot's
#   oauth2 passdb against an introspection URL served on loopback by a
#   tiny HTTP server started here; a wrong token is refused; the token
#   never reaches rebound's output;
# - a server without IDLE (Dovecot's imap_capability hides it): the
#   daemon says it polls, and new mail is picked up by polling;
# - an IDLE connection dropped by the server (doveadm kick): the daemon
#   logs it, retries with its backoff ("retrying in N s") and goes on.
. "$(dirname "$0")/lib/setup.sh"
start_pg
HTTP_PID=
DPID=
on_exit() {
	[ -n "$DPID" ] && kill -9 "$DPID" 2>/dev/null
	[ -n "$HTTP_PID" ] && kill "$HTTP_PID" 2>/dev/null
}

# wait until "$1" (a command) succeeds, at most $2 tenths of a second
until_ok() {
	i=0
	while ! eval "$1" && [ $i -lt "$2" ]; do sleep 0.1; i=$((i + 1)); done
	eval "$1"
}

# ---- the token introspection endpoint (RFC 7662 style, loopback) ----
TOKEN="ya29.rb-test-$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')"
echo "$TOKEN" >"$T/token"
HTTP_PORT=$(free_port)
cat >"$T/introspect.py" <<'EOF'
import http.server, json, sys, urllib.parse
port, token = int(sys.argv[1]), open(sys.argv[2]).read().strip()
class H(http.server.BaseHTTPRequestHandler):
    def answer(self, body):
        seen = self.path + " " + self.headers.get("Authorization", "") + " " + body
        ok = token in urllib.parse.unquote_plus(seen)
        out = json.dumps({"active": True, "username": "alice"} if ok else {"active": False}).encode()
        self.send_response(200 if ok else 401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)
    def do_GET(self):
        self.answer("")
    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        self.answer(self.rfile.read(n).decode("latin-1"))
    def log_message(self, *a):
        pass
http.server.HTTPServer(("127.0.0.1", port), H).serve_forever()
EOF
python3 "$T/introspect.py" "$HTTP_PORT" "$T/token" &
HTTP_PID=$!
cat >"$T/oauth2.conf.ext" <<EOF
introspection_mode = post
introspection_url = http://127.0.0.1:$HTTP_PORT/introspect
username_attribute = username
active_attribute = active
active_value = true
EOF
chmod 644 "$T/oauth2.conf.ext"

# Dovecot: XOAUTH2 through the oauth2 passdb, and no IDLE in CAPABILITY
DC_EXTRA="auth_mechanisms = plain login xoauth2 oauthbearer
imap_capability = IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE LITERAL+ UIDPLUS MOVE NAMESPACE
passdb {
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = $T/oauth2.conf.ext
}" start_dovecot
wait_port "$HTTP_PORT"

# ---- XOAUTH2 ----
cat >"$T/tok.sh" <<EOF
#!/bin/sh
cat "$T/token"
EOF
chmod 755 "$T/tok.sh"
RB_LOG_LEVEL=debug rb_conf "$T/x.conf"
sed -i "/^password_file/d" "$T/x.conf"
echo "xoauth2_command = $T/tok.sh" >>"$T/x.conf"
rb_fill 40 x
"$REBOUND" db migrate >/dev/null 2>&1	# --connect checks the schema too
"$REBOUND" config check --connect --config "$T/x.conf" >"$T/check" 2>&1
is "config check --connect logs in with XOAUTH2" $? 0
"$REBOUND" run --once --config "$T/x.conf" 2>"$T/xlog"
is "XOAUTH2: run --once exits 0" $? 0
is "XOAUTH2: every mail processed" "$(rb_counts)" "40 40 0"
grep -q "rb-test" "$T/xlog" "$T/check" && no "the token never reaches the output" "$(grep -h rb-test "$T/xlog" "$T/check" | head -2)" || ok "the token never reaches the output"
echo "ya29.rb-test-wrong" >"$T/token.bad"
sed "s|$T/tok.sh|cat $T/token.bad|" "$T/x.conf" >"$T/xbad.conf"
"$REBOUND" run --once --config "$T/xbad.conf" 2>"$T/xbadlog"
rc=$?
[ $rc -eq 1 ] && grep -q "login as alice refused" "$T/xbadlog" && ok "a wrong token is refused (exit 1, clear error)" || no "wrong token" "rc=$rc" "$(tail -2 "$T/xbadlog")"
grep -q "rb-test" "$T/xbadlog" && no "the wrong token is not logged either" || ok "the wrong token is not logged either"
printf '#!/bin/sh\nexit 3\n' >"$T/fail.sh"
chmod 755 "$T/fail.sh"
sed "s|$T/tok.sh|$T/fail.sh|" "$T/x.conf" >"$T/xfail.conf"
"$REBOUND" run --once --config "$T/xfail.conf" 2>"$T/xfaillog"
rc=$?
[ $rc -eq 1 ] && grep -q "xoauth2_command failed" "$T/xfaillog" && ok "a failing token command is reported" || no "failing token command" "rc=$rc" "$(tail -2 "$T/xfaillog")"

# ---- no IDLE: polling ----
RB_LOG_LEVEL=info rb_conf "$T/p.conf"
"$REBOUND" run --config "$T/p.conf" 2>"$T/plog" &
DPID=$!
until_ok 'grep -q "polling every" "$T/plog"' 50 && ok "without IDLE the daemon says it polls" || no "polling announced" "$(tail -3 "$T/plog")"
rb_fill 20 p
until_ok '[ "$(dc_count alice INBOX)" = 0 ]' 80
is "new mail picked up by polling" "$(rb_counts)" "60 60 0"

# ---- the connection dropped by the server while waiting ----
doveadm -c "$DC_CONF" kick alice >/dev/null 2>&1
until_ok 'grep -q "retrying in" "$T/plog"' 50 && ok "a dropped connection is logged with its backoff" || no "reconnect logged" "$(tail -3 "$T/plog")"
rb_fill 10 k
until_ok '[ "$(dc_count alice INBOX)" = 0 ]' 100
is "after the drop new mail is processed" "$(rb_counts)" "70 70 0"
kill -TERM "$DPID"
wait "$DPID"
is "daemon exit status 0" $? 0
DPID=

# ---- IDLE dropped ----
# the same server with IDLE back (imap_capability emptied)
sed -i 's/^imap_capability = .*/imap_capability = +IDLE/' "$DC_CONF"
dc_restart || no "dovecot restart"
RB_LOG_LEVEL=debug rb_conf "$T/i.conf"
sed -i 's/^poll_interval = .*/poll_interval = 30/' "$T/i.conf"
"$REBOUND" run --config "$T/i.conf" 2>"$T/ilog" &
DPID=$!
until_ok 'grep -q "connected to" "$T/ilog"' 50
sleep 1
grep -q "polling every" "$T/ilog" && no "IDLE used when offered" || ok "IDLE used when offered"
doveadm -c "$DC_CONF" kick alice >/dev/null 2>&1
until_ok 'grep -q "retrying in" "$T/ilog"' 50 && ok "a dropped IDLE connection is logged with its backoff" || no "IDLE drop logged" "$(tail -3 "$T/ilog")"
grep -q "imap: .*IDLE" "$T/ilog" && ok "the log says the IDLE connection was lost" || no "IDLE error logged" "$(grep imap: "$T/ilog" | tail -2)"
rb_fill 10 i
until_ok '[ "$(dc_count alice INBOX)" = 0 ]' 100
is "after the IDLE drop new mail is processed" "$(rb_counts)" "80 80 0"
kill -TERM "$DPID"
wait "$DPID"
is "daemon exit status 0 after IDLE" $? 0
DPID=
