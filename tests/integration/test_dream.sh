#!/bin/sh
# Dream cycle, teacher curriculum, hard-example report and training batches,
# driven through the built binary. The student and the teacher are
# tests/support/fake_llm.py (real child processes): the student answers
# faithfully for every other memory and lossily for the rest, so the buffer
# holds gold rows and rows that need improvement; the teacher echoes
# faithful encodings.
. "$(dirname "$0")/lib.sh"

FAKE="$ROOT/tests/support/fake_llm.py"

# The encoder keeps the builtin student as its fallback, so it needs default
# weights; a tree without shipped weights gets some trained on the seed set.
if ! "$MNEMO" encode "weights probe 1" >/dev/null 2>&1; then
	mkdir -p "$T/seedbatch" "$T/datadir"
	cp "$ROOT/data/seed/seed.raw.jsonl" "$T/seedbatch/train.raw.jsonl"
	"$MNEMO" trainer builtin --batch-dir "$T/seedbatch" --out "$T/datadir/default-model" \
		>/dev/null 2>&1
	export MNEMO_DATADIR="$T/datadir"
fi

# start_fake NAME SCRIPT-JSON: endpoint in $T/NAME.url
start_fake() {
	printf '%s' "$2" >"$T/$1.script"
	python3 "$FAKE" --port 0 --script "$T/$1.script" --port-file "$T/$1.port" \
		--log "$T/$1.log" >/dev/null 2>&1 &
	echo $! >>"$T/pids"
	echo $! >"$T/$1.pid"
	i=0
	while [ ! -s "$T/$1.port" ] && [ $i -lt 500 ]; do sleep 0.02; i=$((i + 1)); done
	echo "http://127.0.0.1:$(cat "$T/$1.port")/v1" >"$T/$1.url"
}

LOSSY='{"gist":"x","summary":"x","content":"x","narrative":"","concepts":[],"structured_concepts":{"topics":[],"entities":[],"actions":[],"causality":[]},"significance":"routine","emotional_tone":"neutral","outcome":"unknown","salience":0.5}'
LOSSY_STEP=$(python3 -c 'import json,sys; print(json.dumps({"content": sys.argv[1]}))' "$LOSSY")
start_fake student "[{\"encode\":\"echo\"},$LOSSY_STEP,{\"encode\":\"echo\"},$LOSSY_STEP,{\"encode\":\"echo\"},$LOSSY_STEP,{\"encode\":\"echo\"},$LOSSY_STEP,$LOSSY_STEP]"
start_fake teacher '{"encode":"echo"}'

# a small replay set in train.raw.jsonl format
python3 - "$T/replay.jsonl" <<'EOF'
import json, sys
with open(sys.argv[1], "w") as f:
    for i in range(6):
        text = "Seed example %d: latency %d ms on node-%d." % (i, 100 + i, i)
        enc = {"gist": text[:60], "summary": text, "content": text, "narrative": "",
               "concepts": ["latency"], "structured_concepts": {"topics": [], "entities": [],
               "actions": [], "causality": []}, "significance": "routine",
               "emotional_tone": "neutral", "outcome": "unknown", "salience": 0.5}
        f.write(json.dumps({"raw_input": text, "encoded": enc, "task_type": "encoding",
                            "source": "gold", "epr": 1.0}) + "\n")
EOF

write_config() { # write_config TEACHER-URL
	cat >"$T/config.yaml" <<EOF
student:
  provider: openai
  endpoint: $(cat "$T/student.url")
  model: student-model
  timeout_s: 10
teacher:
  provider: openai
  endpoint: $1
  model: teacher-model
  timeout_s: 10
learning:
  curriculum:
    min_needs_improvement: 1
    cooldown_hours: 0
  training:
    replay_ratio: 0.3
    replay_dataset: $T/replay.jsonl
    holdout_fraction: 0
  trigger:
    auto: false
EOF
}
write_config "$(cat "$T/teacher.url")"
export MNEMO_CONFIG="$T/config.yaml"

for text in \
	"Deployed v2.3.1 of api-server to /opt/api/config.yaml at 14:05." \
	"Alice Smith fixed bug 4411 in parser.c after 3 hours." \
	"Backup of 120 GB finished on nas-1 in 38 minutes." \
	"Redis 7.2 failed over to replica-2 after 31 seconds." \
	"Queue depth reached 4500 on worker-7 at 09:30." \
	"Invoice 88231 for 4500 EUR from Acme Corp is due 2026-03-01." \
	"Rotated TLS certificate for gateway-2, expires 2027-01-15." \
	"Bob Jones moved the cron job from 02:00 to 03:00."; do
	"$MNEMO" remember "$text" >/dev/null 2>>"$T/remember.err"
done
check remember_encoded_all test "$("$MNEMO" status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["memories"])')" = 8

expect_rc dream_help 0 "$MNEMO" dream --help
expect_rc dream_bad_option 2 "$MNEMO" dream --nope

# one cycle: every phase reported, the teacher corrected the lossy rows
expect_rc dream_runs 0 "$MNEMO" dream --json
cp "$T/out" "$T/dream1.json"
check dream_status_completed test "$(json_get "$T/dream1.json" 'd["status"]')" = completed
check dream_seven_phases test "$(json_get "$T/dream1.json" '",".join(p["name"] for p in d["phases"])')" = \
	"recover,reclassify,curriculum,report,drift,training,ranker"
check dream_phases_timed test "$(json_get "$T/dream1.json" 'all(isinstance(p["ms"], int) for p in d["phases"])')" = True
check curriculum_completed test "$(json_get "$T/dream1.json" '[p for p in d["phases"] if p["name"]=="curriculum"][0]["status"]')" = completed
check curriculum_passed_4 test "$(json_get "$T/dream1.json" '[p for p in d["phases"] if p["name"]=="curriculum"][0]["passed"]')" = 4
check teacher_called_4 test "$(grep -c chat/completions "$T/teacher.log")" = 4

"$MNEMO" experience list --json >"$T/list.json" 2>/dev/null
check corrections_by_teacher test "$(json_get "$T/list.json" 'sorted(set(r.get("correction_source","-") for r in d if r["corrected"]))')" = "['teacher-model']"

# the hard-example report of that cycle, stored and shown later
expect_rc report_runs 0 "$MNEMO" experience report --json
check report_of_last_cycle test "$(json_get "$T/out" 'd["cycle_id"]')" = "$(json_get "$T/dream1.json" 'd["id"]')"
check report_categories test "$(json_get "$T/out" 'sorted(d["categories"])')" = \
	"['dense_numbers', 'low_confidence', 'new_concepts', 'short_input_flagged', 'template_echo']"
check report_rows test "$(json_get "$T/out" 'd["rows_examined"]')" = 8
expect_rc report_text 0 "$MNEMO" experience report
check report_text_lists grep -q "concepts new to the buffer" "$T/out"

# an on-demand batch: files, formats, hashes, ratio; nothing claimed
expect_rc batch_runs 0 "$MNEMO" train batch --out "$T/b1" --json
cp "$T/out" "$T/batch1.json"
python3 - "$T/b1" "$T/batch1.json" >"$T/batchcheck" 2>&1 <<'EOF'
import hashlib, json, os, sys
d, printed = sys.argv[1], json.load(open(sys.argv[2]))
man = json.load(open(os.path.join(d, "manifest.json")))
def rows(n):
    return [json.loads(l) for l in open(os.path.join(d, n)) if l.strip()]
def ok(name, cond):
    print(("PASS " if cond else "FAIL ") + name)
ok("manifest_printed", printed["batch_id"] == man["batch_id"])
for n, meta in man["files"].items():
    ok("sha256_" + n, hashlib.sha256(open(os.path.join(d, n), "rb").read()).hexdigest() == meta["sha256"])
c = man["counts"]
ok("counts_sources", (c["gold"], c["corrected"], c["human"]) == (4, 4, 0))
ok("replay_share", c["replay"] == 3 and c["train"] == 11)
raw = rows("train.raw.jsonl")
ok("raw_keys", all(sorted(r) == sorted(["raw_input", "encoded", "task_type", "memory_id", "source",
   "epr", "memory_type", "memory_source"]) for r in raw))
ok("raw_task_type", all(r["task_type"] == "encoding" for r in raw))
chat = rows("train.jsonl")
ok("chat_roles", all([m["role"] for m in r["messages"]] == ["system", "user", "assistant"] for r in chat))
ok("chat_targets_json", all(json.loads(r["messages"][2]["content"]) for r in chat))
ok("chat_prompt_has_input", all(r["messages"][1]["content"].endswith(x["raw_input"] + "\n") or x["raw_input"] in r["messages"][1]["content"] for r, x in zip(chat, raw)))
pref = rows("preference.jsonl")
ok("preference_pairs", len(pref) == 4 and all(sorted(p) == ["chosen", "prompt", "rejected"] for p in pref))
ok("no_dup_inputs", len(set(r["raw_input"] for r in raw)) == len(raw))
ok("corrected_targets_faithful", all(r["encoded"]["content"] != "x" for r in raw))
EOF
cat "$T/batchcheck"
check batch_not_claimed test "$("$MNEMO" experience stats --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["in_batch"])')" = 0

# same database and seed: the same files
expect_rc batch_again 0 "$MNEMO" train batch --out "$T/b2" --json
check batch_deterministic cmp -s "$T/b1/train.jsonl" "$T/b2/train.jsonl"
check batch_deterministic_raw cmp -s "$T/b1/train.raw.jsonl" "$T/b2/train.raw.jsonl"
expect_rc batch_default_dir 0 "$MNEMO" train batch --json
check batch_default_under_home test -f "$(json_get "$T/out" 'd["dir"]')/manifest.json"
case "$(json_get "$T/out" 'd["dir"]')" in
"$MNEMO_HOME"/training/batches/*) pass batch_default_path ;;
*) fail batch_default_path "$(json_get "$T/out" 'd["dir"]')" ;;
esac
expect_rc batch_help 0 "$MNEMO" train batch --help

# interruption: SIGTERM while the (slow) teacher works -> interrupted
start_fake slow '{"delay_s":2,"encode":"echo"}'
write_config "$(cat "$T/slow.url")"
for text in "Late one 101 on l-1." "Late two 202 on l-2." "Late three 303 on l-3."; do
	"$MNEMO" remember "$text" >/dev/null 2>>"$T/remember.err"
done
"$MNEMO" dream --json >"$T/dream2.json" 2>"$T/dream2.err" &
DPID=$!
i=0
while ! grep -q chat/completions "$T/slow.log" 2>/dev/null && [ $i -lt 250 ]; do sleep 0.02; i=$((i + 1)); done
kill -TERM $DPID
wait $DPID
rc=$?
if [ "$rc" -eq 1 ]; then pass dream_sigterm_rc; else fail dream_sigterm_rc "rc $rc: $(cat "$T/dream2.err")"; fi
check dream_interrupted test "$(json_get "$T/dream2.json" 'd["status"]')" = interrupted
check curriculum_interrupted test "$(json_get "$T/dream2.json" '[p for p in d["phases"] if p["name"]=="curriculum"][0]["status"]')" = interrupted
check curriculum_run_row_interrupted test "$(python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("select status from curriculum_runs order by started_at desc limit 1").fetchone()[0])' "$MNEMO_HOME/mnemo.db")" = interrupted

# no teacher: the phase says it was skipped and why
cat >"$T/none.yaml" <<EOF
teacher:
  provider: none
EOF
MNEMO_CONFIG="$T/none.yaml" "$MNEMO" dream --json >"$T/dream3.json" 2>/dev/null
check curriculum_skipped_without_teacher test "$(json_get "$T/dream3.json" '[p for p in d["phases"] if p["name"]=="curriculum"][0]["reason"]')" = \
	"no teacher configured (teacher.provider is none)"
