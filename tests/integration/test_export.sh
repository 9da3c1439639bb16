#!/bin/sh
# Move memories (issue 13): export, import into an empty data home, export
# again gives the same file; import is idempotent; a malformed line is
# rejected with its line number and the lines before it are kept; the
# same texts under other ids count as repetitions.
. "$(dirname "$0")/lib.sh"
M=$MNEMO
A="$T/a" B="$T/b" C="$T/c"

python3 - >"$T/in.jsonl" <<'PY'
import json
for i in range(40):
    print(json.dumps({"text": "Export note %d: the %s service restarts after config reload %d" % (i, ["api", "worker", "db"][i % 3], i),
                      "project": ["one", "two"][i % 2], "type": "note", "source": "test",
                      "time": "2026-02-%02dT09:30:00Z" % (i % 28 + 1)}))
PY
MNEMO_HOME=$A check "load 40 observations" $M remember --jsonl "$T/in.jsonl"
# a rating, an amendment and an edit, so the file carries feedback and history
Q=$(MNEMO_HOME=$A $M recall --json "service restarts" | python3 -c 'import json,sys; print(json.load(sys.stdin)["query_id"])')
MNEMO_HOME=$A $M feedback "$Q" helpful >/dev/null 2>&1
ID=$(MNEMO_HOME=$A $M list --json -n 1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["memories"][0]["id"])')
MNEMO_HOME=$A $M edit "$ID" --text "Export note edited: the api service no longer restarts" >/dev/null 2>&1
ID2=$(MNEMO_HOME=$A $M list --json -n 2 | python3 -c 'import json,sys; print(json.load(sys.stdin)["memories"][1]["id"])')
MNEMO_HOME=$A $M show --json "$ID2" | python3 -c 'import json,sys; e=json.load(sys.stdin)["encoding"]; e["gist"]="Amended gist for the export"; print(json.dumps(e))' >"$T/enc.json"
MNEMO_HOME=$A $M amend "$ID2" "$T/enc.json" >/dev/null 2>&1
MNEMO_HOME=$A $M export >"$T/a.jsonl" 2>"$T/err"
n=$(wc -l <"$T/a.jsonl")
[ "$n" -eq 40 ] && pass "export writes one line per memory" || fail "export writes one line per memory" "$n lines $(cat "$T/err")"
if python3 - "$T/a.jsonl" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
ok = all(l["format"] == "mnemo.memory/1" and l["text"] and l["encoder_version"] and "metrics" in l for l in lines)
ok &= any(l["feedback"] for l in lines) and any(l["history"] for l in lines)
ok &= all(l["occurred_at"].startswith("2026-02-") or l["history"] for l in lines)
amended = [l for l in lines if l["encoding"]["gist"] == "Amended gist for the export"]
ok &= len(amended) == 1 and "encoder_output" in amended[0]
ok &= sum("encoder_output" in l for l in lines) == 1
sys.exit(0 if ok else 1)
PY
then pass "lines carry format, encoding, metrics, feedback, history, times; encoder_output only after amend"; else fail "lines carry format, encoding, metrics, feedback, history, times; encoder_output only after amend" "$(head -c 500 "$T/a.jsonl")"; fi
MNEMO_HOME=$A $M export -p one >"$T/one.jsonl"
[ "$(wc -l <"$T/one.jsonl")" -eq 20 ] && pass "export --project" || fail "export --project" "$(wc -l <"$T/one.jsonl")"

MNEMO_HOME=$B $M import --json "$T/a.jsonl" >"$T/imp" 2>"$T/err"
[ "$(json_get "$T/imp" 'd["added"]')" = 40 ] && pass "import into an empty home" || fail "import into an empty home" "$(cat "$T/imp" "$T/err")"
grep -q "imported" "$T/err" && fail "no progress when stderr is not a terminal" "$(cat "$T/err")" || pass "no progress when stderr is not a terminal"
MNEMO_HOME=$B $M export >"$T/b.jsonl"
cmp -s "$T/a.jsonl" "$T/b.jsonl" && pass "export after import reproduces the file" || fail "export after import reproduces the file" "$(diff "$T/a.jsonl" "$T/b.jsonl" | head -c 600)"
MNEMO_HOME=$B $M import --json "$T/a.jsonl" >"$T/imp2" 2>&1
if [ "$(json_get "$T/imp2" 'd["added"]')" = 0 ] && [ "$(json_get "$T/imp2" 'd["present"]')" = 40 ] &&
   [ "$(MNEMO_HOME=$B $M list --json -n 1000 | python3 -c 'import json,sys; print(json.load(sys.stdin)["count"])')" = 40 ]; then
	pass "import twice adds nothing"
else
	fail "import twice adds nothing" "$(cat "$T/imp2")"
fi
MNEMO_HOME=$B $M recall --json "service restarts" >"$T/rc"
[ "$(json_get "$T/rc" 'len(d["memories"])')" -gt 0 ] && pass "imported memories are recalled" || fail "imported memories are recalled" "$(head -c 300 "$T/rc")"

# the same texts under new ids: repetitions, not copies
python3 - "$T/a.jsonl" >"$T/dup.jsonl" <<'PY'
import json, sys, uuid
for l in open(sys.argv[1]):
    d = json.loads(l)
    d["raw_id"] = str(uuid.uuid4())
    if d["memory_id"]:
        d["memory_id"] = str(uuid.uuid4())
    print(json.dumps(d))
PY
MNEMO_HOME=$B $M import --json "$T/dup.jsonl" >"$T/imp3" 2>&1
[ "$(json_get "$T/imp3" 'd["duplicates"]')" = 40 ] && pass "the same texts under other ids count as repetitions" || fail "the same texts under other ids count as repetitions" "$(cat "$T/imp3")"

# malformed lines
head -5 "$T/a.jsonl" >"$T/bad.jsonl"
echo '{"format": "mnemo.memory/1", "raw_id": "x1", "created_at": "2026-01-01T00:00:00Z"}' >>"$T/bad.jsonl"
tail -3 "$T/a.jsonl" >>"$T/bad.jsonl"
MNEMO_HOME=$C $M import "$T/bad.jsonl" >"$T/out" 2>"$T/err"; rc=$?
n=$(MNEMO_HOME=$C $M list --json -n 100 | python3 -c 'import json,sys; print(json.load(sys.stdin)["count"])')
if [ "$rc" = 4 ] && grep -q "line 6" "$T/err" && [ "$n" = 5 ]; then
	pass "a malformed line is rejected with its number, the lines before it kept"
else
	fail "a malformed line is rejected with its number, the lines before it kept" "rc $rc, $n kept: $(cat "$T/err")"
fi
printf '%s\n' "$(sed -n 6p "$T/a.jsonl")" 'not json at all' >"$T/bad2.jsonl"
MNEMO_HOME=$C $M import "$T/bad2.jsonl" >"$T/out" 2>"$T/err"; rc=$?
[ "$rc" = 4 ] && grep -q "line 2" "$T/err" && pass "a line that is not JSON is rejected with its number" || fail "a line that is not JSON is rejected with its number" "rc $rc $(cat "$T/err")"
echo '{"format": "mnemo.memory/9", "raw_id": "x2", "text": "t", "created_at": "2026-01-01T00:00:00Z"}' >"$T/bad3.jsonl"
expect_rc "an unknown format version is refused" 4 env MNEMO_HOME=$C $M import "$T/bad3.jsonl"
printf '{"text": "ok line"}\n{"txt": "no text"}\n' >"$T/bad4.jsonl"
MNEMO_HOME=$C $M remember --jsonl "$T/bad4.jsonl" >"$T/out" 2>"$T/err"; rc=$?
MNEMO_HOME=$C $M list --json -n 100 >"$T/l"
[ "$rc" = 4 ] && grep -q "line 2" "$T/err" && grep -q "ok line" "$T/l" && pass "remember --jsonl rejects a bad line by number, keeping those before" || fail "remember --jsonl rejects a bad line by number, keeping those before" "rc $rc $(cat "$T/err")"
