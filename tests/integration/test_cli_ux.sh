#!/bin/sh
# What a new user meets first (issue 13): a short command loads no HTTP
# client, a mistyped command gets a suggestion, version --json, help lists
# every subcommand, an MCP server scoped to a project, status per project.
. "$(dirname "$0")/lib.sh"

# -- the HTTP client, server and trainer libraries are loaded on first use
"$MNEMO" remember "warm up the data home" >/dev/null 2>&1
for c in "version" "recall x" "remember y" "status"; do
	# shellcheck disable=SC2086
	LD_DEBUG=libs "$MNEMO" $c >/dev/null 2>"$T/ld" || true
	if grep -q "libc.so" "$T/ld" && ! grep -q -e "libcurl" -e "libmicrohttpd" -e "liblinear" "$T/ld"; then
		pass "'$c' loads no libcurl, libmicrohttpd or liblinear"
	else
		fail "'$c' loads no libcurl, libmicrohttpd or liblinear" "$(grep -o 'lib[a-z0-9_-]*\.so[.0-9]*' "$T/ld" | sort -u | tr '\n' ' ')"
	fi
done

# -- a mistyped command
"$MNEMO" recal >"$T/out" 2>"$T/err"; rc=$?
check "recal is a usage error (2)" test "$rc" -eq 2
check "recal suggests recall" grep -q "did you mean 'recall'" "$T/err"
"$MNEMO" statsu >/dev/null 2>"$T/err"
check "statsu suggests status" grep -q "did you mean 'status'" "$T/err"
"$MNEMO" frobnicate >/dev/null 2>"$T/err"
check "a word near nothing gets no guess" sh -c "! grep -q 'did you mean' '$T/err'"

# -- an option error is said once, naming the option
"$MNEMO" recall --bogus x >/dev/null 2>"$T/err"; rc=$?
check "an unknown option is a usage error (2)" test "$rc" -eq 2
check "it is named in one message line" \
	sh -c "[ \$(grep -c bogus '$T/err') -eq 1 ] && [ \$(grep -vc '^see ' '$T/err') -eq 1 ]"
"$MNEMO" recall -n >/dev/null 2>"$T/err"
check "a missing value is named once" \
	sh -c "[ \$(grep -c -- '-n' '$T/err') -eq 1 ] && [ \$(grep -vc '^see ' '$T/err') -eq 1 ]"

# -- version --json
"$MNEMO" version --json >"$T/v.json"
check "version --json" python3 -c "import json; d=json.load(open('$T/v.json')); assert d['name']=='mnemo' and d['version'], d"
expect_rc "version with a stray argument is a usage error" 2 "$MNEMO" version now

# -- every subcommand is in its command's --help (and in the subcommand's)
for pair in "experience stats" "experience list" "experience reclassify" "experience report" \
	"model list" "model show" "model rollback" "model pin" "model unpin" \
	"train batch" "train request" "train run" "train status" "train cancel" "train ranker"; do
	cmd=${pair% *}; sub=${pair#* }
	# shellcheck disable=SC2086
	"$MNEMO" $pair --help >"$T/h" 2>&1
	if grep -q -e "^ *$sub\b" -e "usage: mnemo $pair\b" "$T/h"; then
		pass "'mnemo $pair --help' describes $sub"
	else
		fail "'mnemo $pair --help' describes $sub" "$(head -3 "$T/h")"
	fi
	"$MNEMO" "$cmd" --help >"$T/h" 2>&1
	check "'mnemo $cmd --help' lists $sub" grep -q "^ *$sub\b" "$T/h"
done

# -- an MCP server scoped to a project
"$MNEMO" remember --project Alpha "alpha note about the parser" >/dev/null 2>&1
mcp_calls() {
	printf '%s\n' \
		'{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}' \
		'{"jsonrpc":"2.0","method":"notifications/initialized"}' \
		'{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"remember","arguments":{"text":"beta note about the parser"}}}' \
		'{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"recall","arguments":{"query":"parser note"}}}' \
		'{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"recall","arguments":{"query":"parser note","project":null}}}' \
		'{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"recall","arguments":{"query":"parser note","project":"Alpha"}}}' \
		'{"jsonrpc":"2.0","id":6,"method":"tools/call","params":{"name":"list_memories","arguments":{}}}'
}
mcp_calls | "$MNEMO" mcp --project Beta >"$T/mcp.out" 2>"$T/mcp.err"
cat >"$T/scoped.py" <<'PY'
import json, sys
want = sys.argv[2]
r = {}
for line in open(sys.argv[1]):
    m = json.loads(line)
    if m["id"] >= 2:
        r[m["id"]] = m["result"]["structuredContent"]
def projects(i):
    return sorted({x.get("project") or "" for x in r[i]["memories"]})
assert projects(3) == [want], ("default", projects(3))
assert {"Alpha", want} <= set(projects(4)), ("null = every project", projects(4))
assert projects(5) == ["Alpha"], ("explicit", projects(5))
assert projects(6) == [want], ("list_memories", projects(6))
PY
check "mcp --project Beta: calls that name no project use Beta" python3 "$T/scoped.py" "$T/mcp.out" Beta
printf 'project: Gamma\n' >"$T/gamma.yaml"
mcp_calls | "$MNEMO" --config "$T/gamma.yaml" mcp >"$T/mcp2.out" 2>"$T/mcp2.err"
check "config key project: Gamma scopes the server" python3 "$T/scoped.py" "$T/mcp2.out" Gamma
mcp_calls | "$MNEMO" mcp --config "$T/gamma.yaml" --project beta >"$T/mcp3.out" 2>"$T/mcp3.err"
check "--project wins over the key; names are case-sensitive (beta is not Beta)" \
	python3 "$T/scoped.py" "$T/mcp3.out" beta
expect_rc "mcp --project '' is a usage error" 2 "$MNEMO" mcp --project ""

# -- status counts per project
"$MNEMO" status --json >"$T/s.json"
check "status: projects {name: count}" python3 -c "
import json; d = json.load(open('$T/s.json'))['projects']
assert d == {'': 2, 'Alpha': 1, 'Beta': 1, 'Gamma': 1, 'beta': 1}, d"
