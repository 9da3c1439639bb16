#!/bin/sh
# Foundation round trips through the CLI, as a user would: remember, recall,
# feedback, forget, status, --json parsed by python, --help everywhere,
# input limits, config errors, a database from a newer version.
. "$(dirname "$0")/lib.sh"

# --help on every command exits 0 and prints usage
for c in serve mcp remember recall feedback amend forget status audit encode verify dream \
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
check "audit --json lists the memory with its category" \
	sh -c "\"$MNEMO\" audit --json | python3 -c \"import json,sys; d=json.load(sys.stdin); assert d['count']==1 and d['memories'][0]['id']=='$MID' and 'category' in d['memories'][0], d\""
expect_rc "audit --limit 0 is a usage error" 2 "$MNEMO" audit --limit 0
expect_rc "audit --category best is a usage error" 2 "$MNEMO" audit --category best
"$MNEMO" forget --json "$MID" >"$T/f.json"
check "forget --json says memory_id and forgotten" \
	python3 -c "import json; d=json.load(open('$T/f.json')); assert d=={'memory_id':'$MID','forgotten':True}, d"
expect_rc "forget again is not found" 3 "$MNEMO" forget "$MID"
"$MNEMO" forget --json "$MID" >"$T/f.json" 2>/dev/null
check "forget --json again says forgotten false" \
	python3 -c "import json; d=json.load(open('$T/f.json')); assert d=={'memory_id':'$MID','forgotten':False}, d"
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
schema_version=$(sqlite3 "$MNEMO_HOME/mnemo.db" "PRAGMA user_version")
sqlite3 "$MNEMO_HOME/mnemo.db" "PRAGMA user_version = 99"
"$MNEMO" status >"$T/out" 2>"$T/err"; rc=$?
if [ $rc -ne 0 ] && grep -q "newer" "$T/err"; then pass "newer database refused"; else fail "newer database" "rc $rc $(cat "$T/err")"; fi
sqlite3 "$MNEMO_HOME/mnemo.db" "PRAGMA user_version = $schema_version"
check "database file is mode 0600" sh -c "[ \$(stat -c %a \"$MNEMO_HOME/mnemo.db\") = 600 ]"

# check() shows what the failed command printed, not only its name
out=$(MNEMO_BIN="$MNEMO" sh -c '. "$1/tests/integration/lib.sh"; check selftest sh -c "echo the-stdout-detail; echo the-stderr-detail >&2; exit 3"' sh "$ROOT" 2>&1)
case $out in
*"FAIL selftest: rc 3"*the-stdout-detail*the-stderr-detail*) pass "check() prints a failed command's output" ;;
*) fail "check() prints a failed command's output" "$(printf '%s' "$out" | head -5 | tr '\n' ' ')" ;;
esac
if printf '%s\n' "$out" | grep -q '^the-'; then
	fail "check() output is indented" "$out"; else pass "check() output is indented"; fi

# human output escapes terminal control sequences; --json keeps them exact
ESCTEXT=$(printf 'escape test \033]0;owned\007 \033[31mred\033[0m csi \302\233 del \177 end')
"$MNEMO" remember --type note "$ESCTEXT" >/dev/null 2>&1
"$MNEMO" recall "escape test" >"$T/esc.out" 2>&1
if grep -q "escape test" "$T/esc.out" && ! LC_ALL=C grep -q "$(printf '[\001-\010\013-\037\177]')" "$T/esc.out" &&
	! LC_ALL=C grep -q "$(printf '\302[\200-\237]')" "$T/esc.out" && grep -qF '\x1b[31mred' "$T/esc.out"; then
	pass "recall escapes control characters"; else fail "recall escapes control characters" "$(od -c "$T/esc.out" | head -8)"; fi
"$MNEMO" experience list >"$T/esc.out" 2>&1
if LC_ALL=C grep -q "$(printf '\033')" "$T/esc.out"; then
	fail "experience list escapes control characters" "$(od -c "$T/esc.out" | head -8)"; else pass "experience list escapes control characters"; fi
"$MNEMO" recall --full --json "escape test" >"$T/esc.json"
check "recall --json keeps the exact text" \
	python3 -c "import json,sys; d=json.load(open('$T/esc.json')); m=d['memories'][0]; assert '\x1b[31mred' in m['encoding']['content'] + m['encoding']['gist'] + m['encoding']['summary'], m['encoding']"

# every numeric option is parsed strictly: garbage, negative, zero, out of range
for v in abc -1 0 101 99999999999999999999 ' 5' 5x ''; do
	expect_rc "recall --limit '$v' is a usage error" 2 "$MNEMO" recall --limit "$v" store
done
expect_rc "recall --limit 100 is fine" 0 "$MNEMO" recall --limit 100 store
for v in abc -5 0 1e3 100001; do
	expect_rc "experience list --limit '$v' is a usage error" 2 "$MNEMO" experience list --limit "$v"
done
for v in abc -5 0 3x 10001; do
	expect_rc "train status --limit '$v' is a usage error" 2 "$MNEMO" train status --limit "$v"
done
expect_rc "train status --limit 5 is fine" 0 "$MNEMO" train status --limit 5

# the environment: relative MNEMO_HOME / MNEMO_CONFIG refused, unknown log level refused
mkdir -p "$T/cwd"
(cd "$T/cwd" && MNEMO_HOME=rel/home "$MNEMO" status >"$T/out" 2>"$T/err"); rc=$?
if [ $rc -eq 4 ] && grep -q "MNEMO_HOME 'rel/home' is a relative path" "$T/err" && [ ! -e "$T/cwd/rel" ]; then
	pass "relative MNEMO_HOME refused"; else fail "relative MNEMO_HOME refused" "rc $rc $(cat "$T/err")"; fi
(cd "$T/cfg" && MNEMO_CONFIG=small.yaml "$MNEMO" status >"$T/out" 2>"$T/err"); rc=$?
if [ $rc -eq 4 ] && grep -q "MNEMO_CONFIG 'small.yaml' is a relative path" "$T/err"; then
	pass "relative MNEMO_CONFIG refused"; else fail "relative MNEMO_CONFIG refused" "rc $rc $(cat "$T/err")"; fi
MNEMO_LOG_LEVEL=verbose "$MNEMO" status >"$T/out" 2>"$T/err"; rc=$?
if [ $rc -eq 4 ] && grep -q "MNEMO_LOG_LEVEL 'verbose' is not a log level; use one of debug, info, warn, error" "$T/err"; then
	pass "unknown MNEMO_LOG_LEVEL refused"; else fail "unknown MNEMO_LOG_LEVEL refused" "rc $rc $(cat "$T/err")"; fi
expect_rc "MNEMO_LOG_LEVEL=debug accepted" 0 env MNEMO_LOG_LEVEL=debug "$MNEMO" status

# log.file in a directory that does not exist yet: created, private
printf 'log:\n  file: %s/logs/deep/mnemo.log\n  level: debug\n' "$T" >"$T/cfg/log.yaml"
expect_rc "log.file in a missing directory works" 0 "$MNEMO" --config "$T/cfg/log.yaml" remember "log file directory test"
check "log.file directory created 0700 and written" \
	sh -c "[ \$(stat -c %a \"$T/logs/deep\") = 700 ] && [ -s \"$T/logs/deep/mnemo.log\" ]"

# a data home and database left open to others are made private at open
H="$T/loose"
MNEMO_HOME=$H "$MNEMO" remember "loose permissions test" >/dev/null 2>&1
chmod 0755 "$H"; chmod 0644 "$H/mnemo.db"
expect_rc "status on a loose data home" 0 env MNEMO_HOME="$H" "$MNEMO" status
check "data home tightened to 0700, database to 0600" \
	sh -c "[ \$(stat -c %a \"$H\") = 700 ] && [ \$(stat -c %a \"$H/mnemo.db\") = 600 ]"

# an empty, a garbage and a foreign database are refused with the path and a way out
for kind in empty garbage foreign; do
	H="$T/db-$kind"; mkdir -p "$H"
	case $kind in
	empty) : >"$H/mnemo.db" ;;
	garbage) python3 -c "import sys; sys.stdout.write('this is not a database\n' * 400)" >"$H/mnemo.db" ;;
	foreign) sqlite3 "$H/mnemo.db" "CREATE TABLE photos(id INTEGER PRIMARY KEY, path TEXT)" ;;
	esac
	size=$(stat -c %s "$H/mnemo.db")
	MNEMO_HOME=$H "$MNEMO" remember "must not be stored" >"$T/out" 2>"$T/err"; rc=$?
	if [ $rc -eq 1 ] && grep -qF "database '$H/mnemo.db' is" "$T/err" && grep -q "move it aside to start fresh or restore a backup" "$T/err" &&
		[ "$(stat -c %s "$H/mnemo.db")" = "$size" ]; then
		pass "$kind database refused, named, untouched"
	else
		fail "$kind database refused, named, untouched" "rc $rc $(cat "$T/err")"
	fi
done
check "no temporary database left behind" sh -c "! ls \"$T\"/*/mnemo.db.new-* 2>/dev/null"

# amend is held to encoding.max_text_bytes
MID2=$("$MNEMO" remember --json "amend limit test memory" | python3 -c "import json,sys; print(json.load(sys.stdin)['memory_id'])")
python3 - "$T/huge.json" <<'PY'
import json, sys
enc = {"gist": "g", "summary": "s", "content": "x" * (20 * 1024 * 1024), "narrative": "",
       "concepts": [], "structured_concepts": {"topics": [], "entities": [], "actions": [],
       "causality": []}, "significance": "routine", "emotional_tone": "neutral",
       "outcome": "unknown", "salience": 0.5}
json.dump(enc, open(sys.argv[1], "w"))
PY
expect_rc "amend of a 20 MB encoding is invalid input" 4 "$MNEMO" amend "$MID2" "$T/huge.json"
expect_rc "amend of a 20 MB encoding on stdin is invalid input" 4 sh -c "\"$MNEMO\" amend \"$MID2\" - <\"$T/huge.json\""
python3 -c "
import json; e=json.load(open('$T/huge.json')); e['content']='amend limit test memory'; json.dump(e, open('$T/small.json','w'))"
expect_rc "amend within the limit works" 0 "$MNEMO" amend "$MID2" "$T/small.json"
printf 'encoding:\n  max_text_bytes: 100\n' >"$T/cfg/tiny.yaml"
expect_rc "amend over a configured max_text_bytes is invalid input" 4 "$MNEMO" --config "$T/cfg/tiny.yaml" amend "$MID2" "$T/small.json"

# dream exits 1 and names the phase when a phase failed
cat >"$T/cfg/dream.yaml" <<EOC
teacher:
  provider: openai
  endpoint: http://127.0.0.1:9/v1
  model: teacher-model
  api_key_env: MNEMO_TEST_UNSET_KEY
learning:
  min_confidence: 1
  curriculum:
    min_needs_improvement: 1
    cooldown_hours: 0
  trigger:
    auto: false
EOC
unset MNEMO_TEST_UNSET_KEY
"$MNEMO" --config "$T/cfg/dream.yaml" dream >"$T/out" 2>"$T/err"; rc=$?
if [ $rc -eq 1 ] && grep -q "phase curriculum failed" "$T/err" && grep -q "dream cycle .*: partial" "$T/out"; then
	pass "dream with a failed phase exits 1 and names it"; else fail "dream with a failed phase exits 1 and names it" "rc $rc $(cat "$T/out" "$T/err")"; fi
