#!/bin/sh
# `mnemo mcp` under the official MCP TypeScript SDK client (tests/mcp/):
# tools/list, every tool with its structuredContent validated against the
# declared outputSchema, remember -> recall -> feedback -> status, and two
# clients beside a running `mnemo serve` on one home. The SDK is installed
# from npm into tests/mcp/node_modules (gitignored) when missing.
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/mcp/weights.sh"
DIR="$ROOT/tests/mcp"

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
	fail "node" "node and npm are needed for the MCP SDK test (apt-get install nodejs npm)"
	exit 1
fi
if [ ! -f "$DIR/node_modules/@modelcontextprotocol/sdk/package.json" ] ||
	[ ! -f "$DIR/node_modules/ajv/package.json" ]; then
	if ! (cd "$DIR" && npm ci --no-audit --no-fund >"$T/npm.log" 2>&1); then
		fail "npm ci" "could not install the MCP SDK: $(tail -5 "$T/npm.log")"
		exit 1
	fi
fi
pass "MCP SDK installed ($(node -p "require('$DIR/node_modules/@modelcontextprotocol/sdk/package.json').version"))"
mcp_ensure_weights || fail "weights" "could not train test weights"
MNEMO_BIN="$MNEMO" TMPDIR="$T" node "$DIR/sdk_test.mjs"
