#!/bin/sh
# Request paths of `mnemo serve --http` with escapes (docs/http.md): %HH is
# decoded, but an encoded NUL (%00) never cuts a path short: it is a 400
# ("/index.html%00.png" was served as "/index.html").
. "$(dirname "$0")/lib.sh"

rm -f "$MNEMO_HOME/http.addr"
"$MNEMO" serve --no-dream --http 127.0.0.1:0 >"$T/serve.log" 2>&1 &
SERVE_PID=$!
echo "$SERVE_PID" >>"$T/pids"
if ! eventually 30 test -s "$MNEMO_HOME/http.addr"; then
	fail "serve --http starts" "no http.addr: $(tail -5 "$T/serve.log")"
	exit 1
fi
URL=$(cat "$MNEMO_HOME/http.addr")

# status PATH: the HTTP status of a GET of PATH exactly as written
status() {
	python3 - "$URL" "$1" <<'EOF'
import http.client, sys, urllib.parse
u = urllib.parse.urlsplit(sys.argv[1])
c = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
c.putrequest("GET", sys.argv[2], skip_accept_encoding=True)
c.endheaders()
print(c.getresponse().status)
EOF
}

# expect NAME PATH STATUS
expect() {
	got=$(status "$2" 2>&1)
	if [ "$got" = "$3" ]; then pass "$1"; else fail "$1" "GET $2: $got, want $3"; fi
}

expect "the dashboard's index is served" /index.html 200
expect "an escaped path is decoded (%2E)" /index%2Ehtml 200
expect "a %00 in a static file path is a 400, not a shorter path" /index.html%00.png 400
expect "a %00 at the end of a static file path is a 400" /index.html%00 400
expect "a %00 in an API path is a 400" /api/v1/memories/abc%00def 400
expect "an escaped dot-dot is still not found" /%2e%2e/README.md 404

kill -TERM "$SERVE_PID"
n=300
while kill -0 "$SERVE_PID" 2>/dev/null && [ $n -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
wait "$SERVE_PID" 2>/dev/null
