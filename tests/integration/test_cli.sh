#!/bin/sh
# Foundation round trips through the CLI, as a user would: remember, recall,
# feedback, forget, status, --json parsed by python, --help everywhere,
# input limits, config errors, a database from a newer version.
. "$(dirname "$0")/lib.sh"

# --help on every command exits 0 and prints usage
for c in serve mcp remember recall feedback amend forget status encode verify dream \
	experience train model trainer install-units version; do
	if "$MNEMO" "$c" --help >"$T/help" 2>&1 && grep -qi "usage" "$T/help"; then
		pass "help $c"
	else
		fail "help $c" "$(head -3 "$T/help")"
	fi
done
expect_rc "unknown command is a usage error" 2 "$MNEMO" frobnicate
expect_rc "missing argument is a usage error" 2 "$MNEMO" remember

# remember -> recall -> feedback -> forget with --json
"$MNEMO" remember --json --type decision --project mnemo "chose SQLite WAL for the store" >"$T/r.json" 2>"$T/err"
check "remember --json is valid JSON with state encoded" \
	python3 -c "import json,sys; d=json.load(open('$T/r.json')); assert d['state']=='encoded' and d['memory_id']"
MID=$(json_get "$T/r.json" "d['memory_id']")
"$MNEMO" recall --json "store" >"$T/q.json"
check "recall finds the memory" \
	python3 -c "import json; d=json.load(open('$T/q.json')); assert d['memories'][0]['id']=='$MID', d"
QID=$(json_get "$T/q.json" "d['query_id']")
check "recall gives a query id" test -n "$QID"
check "recall --project filters" \
	sh -c "\"$MNEMO\" recall --json --project other store | python3 -c \"import json,sys; assert json.load(sys.stdin)['memories']==[]\""
check "recall --type filters in" \
	sh -c "\"$MNEMO\" recall --json --type decision store | python3 -c \"import json,sys; assert len(json.load(sys.stdin)['memories'])==1\""
check "recall --since in the future excludes" \
	sh -c "\"$MNEMO\" recall --json --since 2999-01-01 store | python3 -c \"import json,sys; assert json.load(sys.stdin)['memories']==[]\""
expect_rc "feedback helpful" 0 "$MNEMO" feedback "$QID" helpful
expect_rc "feedback replaces with partial" 0 "$MNEMO" feedback "$QID" partial --memory "$MID"
expect_rc "feedback bad rating is invalid input" 4 "$MNEMO" feedback "$QID" superb
expect_rc "feedback unknown query is not found" 3 "$MNEMO" feedback nope helpful
"$MNEMO" experience list --json >"$T/e.json"
check "one rating per query/memory pair" \
	python3 -c "import json; d=json.load(open('$T/e.json')); assert d[0]['recall_count']==1 and abs(d[0]['recall_score']-0.5)<1e-9, d"
"$MNEMO" status --json >"$T/s.json"
check "status --json counts and paths" \
	python3 -c "import json; d=json.load(open('$T/s.json')); assert d['memories']==1 and d['paths']['home']=='$MNEMO_HOME' and d['config_file'] is None and d['queue']['encoded']==1, d"
expect_rc "forget" 0 "$MNEMO" forget "$MID"
expect_rc "forget again is not found" 3 "$MNEMO" forget "$MID"
check "forgotten memory is gone from recall" \
	sh -c "\"$MNEMO\" recall --json store | python3 -c \"import json,sys; assert json.load(sys.stdin)['memories']==[]\""

# stdin input
echo "piped observation about kittens" | "$MNEMO" remember - >/dev/null 2>&1
check "remember - reads stdin" \
	sh -c "\"$MNEMO\" recall --json kittens | python3 -c \"import json,sys; assert len(json.load(sys.stdin)['memories'])==1\""

# bad input: empty, whitespace, invalid UTF-8, NUL, too large
expect_rc "empty text refused" 4 "$MNEMO" remember ""
expect_rc "blank text refused" 4 "$MNEMO" remember "   "
printf 'bad \377 byte' >"$T/bad"
"$MNEMO" remember - <"$T/bad" >"$T/out" 2>"$T/err"; rc=$?
if [ $rc -eq 4 ] && grep -q "offset 4" "$T/err"; then pass "invalid UTF-8 names the byte offset"; else fail "invalid UTF-8" "rc $rc $(cat "$T/err")"; fi
printf 'nul\000byte' >"$T/nul"
expect_rc "NUL byte refused" 4 sh -c "\"$MNEMO\" remember - <\"$T/nul\""
python3 -c "import sys; sys.stdout.write('a'*(1024*1024+1))" >"$T/big"
expect_rc "over 1 MiB refused" 4 sh -c "\"$MNEMO\" remember - <\"$T/big\""
check "nothing stored from bad input" \
	sh -c "\"$MNEMO\" status --json | python3 -c \"import json,sys; d=json.load(sys.stdin); assert d['queue']['queued']+d['queue']['encoded']+d['queue']['failed']==1, d\""

# config errors name file, line and key
mkdir -p "$T/cfg"
printf 'encoding:\n  max_atempts: 3\n' >"$T/cfg/typo.yaml"
"$MNEMO" --config "$T/cfg/typo.yaml" status >"$T/out" 2>"$T/err"; rc=$?
if [ $rc -ne 0 ] && grep -q "typo.yaml:2" "$T/err" && grep -q "max_atempts" "$T/err"; then
	pass "config typo names file, line and key"; else fail "config typo" "$(cat "$T/err")"; fi
expect_rc "missing explicit config is not found" 3 "$MNEMO" --config "$T/cfg/none.yaml" status
printf 'encoding:\n  max_text_bytes: 10\n' >"$T/cfg/small.yaml"
expect_rc "configured max_text_bytes applies" 4 "$MNEMO" --config "$T/cfg/small.yaml" remember "this is longer than ten bytes"
MNEMO_CONFIG="$T/cfg/small.yaml" "$MNEMO" status --json >"$T/s2.json" 2>/dev/null
check "status shows the config file in effect" \
	python3 -c "import json; d=json.load(open('$T/s2.json')); assert d['config_file']=='$T/cfg/small.yaml', d"

# database from a newer version is refused with a clear message
sqlite3 "$MNEMO_HOME/mnemo.db" "PRAGMA user_version = 99"
"$MNEMO" status >"$T/out" 2>"$T/err"; rc=$?
if [ $rc -ne 0 ] && grep -q "newer" "$T/err"; then pass "newer database refused"; else fail "newer database" "rc $rc $(cat "$T/err")"; fi
sqlite3 "$MNEMO_HOME/mnemo.db" "PRAGMA user_version = 1"
check "database file is mode 0600" sh -c "[ \$(stat -c %a \"$MNEMO_HOME/mnemo.db\") = 600 ]"
