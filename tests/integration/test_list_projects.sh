#!/bin/sh
# `mnemo list` counts per project (issue 13): the human output ends with a
# "projects:" line, --json and MCP list_memories carry a projects object;
# both count what the filters select, all pages together.
. "$(dirname "$0")/lib.sh"
M=$MNEMO

for t in "alpha one: the parser lives in src/parse.c" "alpha two: the lexer is generated" \
	"alpha three: tokens are interned"; do
	$M remember -p alpha -t fact "$t" >/dev/null 2>&1 || fail "remember alpha" "$t"
done
$M remember -p beta -t decision "beta: we ship on Fridays" >/dev/null 2>&1
$M remember "no project: the office plant needs water" >/dev/null 2>&1

$M list --limit 2 >"$T/h" 2>"$T/err"
if grep -qx 'projects: alpha 3, beta 1, (none) 1 (5 in all)' "$T/h" &&
   [ "$(grep -c '^more: ' "$T/h")" = 1 ]; then
	pass "list prints every page's project counts, those without a project last"
else
	fail "list prints every page's project counts, those without a project last" "$(cat "$T/h" "$T/err")"
fi

$M list --json --limit 2 >"$T/j" 2>"$T/err"
if [ "$(json_get "$T/j" 'sorted(d["projects"].items())')" = "[('', 1), ('alpha', 3), ('beta', 1)]" ] &&
   [ "$(json_get "$T/j" 'd["count"]')" = 2 ]; then
	pass "list --json has projects {name: count} over all pages"
else
	fail "list --json has projects {name: count} over all pages" "$(cat "$T/j" "$T/err")"
fi

$M list --json -t fact >"$T/f" 2>"$T/err"
$M list -p beta >"$T/b" 2>&1
if [ "$(json_get "$T/f" 'd["projects"]')" = "{'alpha': 3}" ] &&
   grep -qx 'projects: beta 1' "$T/b"; then
	pass "the project counts follow the filters"
else
	fail "the project counts follow the filters" "$(cat "$T/f" "$T/b")"
fi

$M list -p nobody >"$T/n" 2>&1
if grep -qx 'no memories' "$T/n" && ! grep -q '^projects:' "$T/n"; then
	pass "an empty list prints no project line"
else
	fail "an empty list prints no project line" "$(cat "$T/n")"
fi

printf '%s\n' \
	'{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}' \
	'{"jsonrpc":"2.0","method":"notifications/initialized"}' \
	'{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"list_memories","arguments":{"limit":1}}}' |
	$M mcp >"$T/mcp" 2>"$T/mcp.err"
if python3 - "$T/mcp" <<'EOF'
import json, sys
for line in open(sys.argv[1]):
    m = json.loads(line)
    if m.get("id") == 2:
        sc = m["result"]["structuredContent"]
        assert sc["projects"] == {"": 1, "alpha": 3, "beta": 1}, sc["projects"]
        assert sc["count"] == 1
        sys.exit(0)
sys.exit(1)
EOF
then
	pass "MCP list_memories has the same projects object"
else
	fail "MCP list_memories has the same projects object" "$(cat "$T/mcp" "$T/mcp.err" | head -c 800)"
fi
