#!/bin/sh
# mnemo's MCP server over Streamable HTTP under the official MCP TypeScript
# SDK client (tests/mcp/sdk_http_test.mjs): every tool with its
# structuredContent validated, the same tools and results as stdio, 8 HTTP
# clients and a stdio client on one store, sessions ended.
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
mcp_ensure_weights || fail "weights" "could not train test weights"
MNEMO_BIN="$MNEMO" TMPDIR="$T" node "$DIR/sdk_http_test.mjs"
