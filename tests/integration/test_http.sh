#!/bin/sh
# `mnemo serve --http` (docs/http.md): the JSON API against the CLI's --json
# objects, MCP over Streamable HTTP by hand, malformed and hostile requests,
# 8 concurrent clients (tests/integration/test_http.py); the token mode;
# refusals at start (non-loopback without a token, a readable token file);
# a clean stop.
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/mcp/weights.sh"
mcp_ensure_weights || fail "weights" "could not train test weights"

# http_start NAME ARGS...: start a daemon, wait for <home>/http.addr, set URL
http_start() {
	name=$1; shift
	rm -f "$MNEMO_HOME/http.addr"
	"$MNEMO" serve --no-dream "$@" >"$T/$name.log" 2>&1 &
	SERVE_PID=$!
	echo "$SERVE_PID" >>"$T/pids"
	if ! eventually 30 test -s "$MNEMO_HOME/http.addr"; then
		fail "$name starts" "no http.addr: $(tail -5 "$T/$name.log")"
		return 1
	fi
	URL=$(cat "$MNEMO_HOME/http.addr")
	pass "$name starts and writes http.addr ($URL)"
}
# http_stop NAME: SIGTERM, wait, check the clean stop
http_stop() {
	kill -TERM "$SERVE_PID"
	n=300
	while kill -0 "$SERVE_PID" 2>/dev/null && [ $n -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
	wait "$SERVE_PID"; rc=$?
	if [ "$rc" -eq 0 ] && grep -q "http: stopped" "$T/$1.log" &&
		grep -q "stopped cleanly" "$T/$1.log" && [ ! -e "$MNEMO_HOME/http.addr" ]; then
		pass "$1 stops cleanly on SIGTERM (http.addr removed)"
	else
		fail "$1 stops cleanly" "rc $rc: $(tail -5 "$T/$1.log")"
	fi
}

# ---- open (loopback, no token) ----
if http_start open --http 127.0.0.1:0; then
	MNEMO_BIN="$MNEMO" python3 "$ROOT/tests/integration/test_http.py" open "$URL" "$MNEMO"
	http_stop open
fi

# ---- refusals at start ----
expect_rc "a non-loopback address without a token is refused" 4 \
	"$MNEMO" serve --no-dream --http 0.0.0.0:0
if grep -q "not a loopback address" "$T/err"; then pass "the refusal says why"; else
	fail "the refusal says why" "$(cat "$T/err")"; fi
printf 'a-token-of-thirty-two-characters\n' >"$T/token"
chmod 0644 "$T/token"
printf 'http:\n  listen: 127.0.0.1:0\n  token_file: %s\n' "$T/token" >"$T/http.yaml"
expect_rc "a token file readable by others is refused" 4 \
	"$MNEMO" serve --no-dream --config "$T/http.yaml"
if grep -q "readable by others" "$T/err"; then pass "the token-file refusal says why"; else
	fail "the token-file refusal says why" "$(cat "$T/err")"; fi
expect_rc "a bad listen address is refused" 4 "$MNEMO" serve --no-dream --http 127.0.0.1:99999

# ---- token mode (http.listen from the config file) ----
chmod 0600 "$T/token"
if http_start token --config "$T/http.yaml"; then
	python3 "$ROOT/tests/integration/test_http.py" token "$URL" "a-token-of-thirty-two-characters"
	http_stop token
fi
