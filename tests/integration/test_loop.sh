#!/bin/sh
# The whole loop, end to end, as a user sees it: a daemon on the builtin
# student with a teacher configured; the user only keeps remembering. The
# teacher (a scripted OpenAI-compatible server) labels by rules the shipped
# weights do not know. Without any further command: uncertain encodings are
# corrected, a run starts in the window, a candidate is trained, evaluated
# against the shipped default on the same eval set, deployed, and new
# encodings come from it and follow the teacher.
. "$(dirname "$0")/lib.sh"
export MNEMO_DATADIR="$ROOT/data"

cat >"$T/teacher.json" <<'J'
{"encode": "echo",
 "rules": [
  {"contains": "zorblat", "significance": "critical", "emotional_tone": "frustrating", "outcome": "failure", "salience": 0.95},
  {"contains": "quenvix", "significance": "notable", "emotional_tone": "satisfying", "outcome": "success", "salience": 0.6}
 ],
 "default": {"significance": "routine", "emotional_tone": "neutral", "outcome": "ongoing", "salience": 0.3}}
J
# This teacher's conventions differ from the shipped probe set's on purpose,
# and the gate guards agreement on the probe set (docs/training.md): so the
# user's probe set is the shipped one's inputs encoded by this teacher.
python3 - "$T/teacher.json" "$ROOT/data/probe/probe.raw.jsonl" "$T/probe.raw.jsonl" \
	"$ROOT/tests/support" <<'PY'
import json, sys
sys.path.insert(0, sys.argv[4])
from fake_llm import echo_encoding
t = json.load(open(sys.argv[1]))
with open(sys.argv[3], "w") as out:
    for line in open(sys.argv[2]):
        row = json.loads(line)
        row["encoded"] = echo_encoding(row["raw_input"], t.get("rules"), t.get("default"))
        out.write(json.dumps(row) + "\n")
PY
python3 "$ROOT/tests/support/fake_llm.py" --port 0 --script "$T/teacher.json" \
	--port-file "$T/port" --log "$T/teacher.log" 2>"$T/fake.err" &
echo $! >>"$T/pids"
i=0; while [ ! -s "$T/port" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done
PORT=$(cat "$T/port")

export MNEMO_CONFIG="$T/config.yaml"
cat >"$MNEMO_CONFIG" <<Y
teacher:
  provider: openai
  endpoint: http://127.0.0.1:$PORT/v1
  model: scripted-teacher
  timeout_s: 10
dreaming:
  interval: 4s
  startup_delay: 1s
learning:
  min_confidence: 0.99
  gate:
    probe_set: $T/probe.raw.jsonl
  curriculum:
    min_needs_improvement: 5
    max_corrections_per_cycle: 400
    # the scripted teacher costs nothing: it may label all 640 observations
    # within the test's minutes (the default allows 100 calls a day)
    max_calls_per_day: 100000
    cooldown_hours: 0
  training:
    min_new_examples: 40
  trigger:
    window: "00:00-00:00"
    success_cooldown_hours: 0
    failure_cooldown_hours: 0
Y

# the user's observations (before the daemon: encoded inline)
python3 - "$T/obs.txt" <<'PY'
import random, sys
r = random.Random(7)
subj = ["the nightly sync", "our deploy of the api", "the billing export", "the search indexer",
        "the cache warmer", "the backup job", "the auth service", "the metrics pipeline"]
tail = ["on host db-%d" % i for i in range(1, 9)] + ["after %d retries" % i for i in range(2, 9)]
out = []
for i in range(240):
    k = i % 3
    s = r.choice(subj)
    if k == 0:
        t = "The zorblat in %s showed up again %s, ticket %d." % (s, r.choice(tail), 1000 + i)
    elif k == 1:
        t = "Quenvix check for %s came back clean %s, build %d." % (s, r.choice(tail), 500 + i)
    else:
        t = "Looked at %s %s and took notes, item %d." % (s, r.choice(tail), 200 + i)
    out.append(t)
open(sys.argv[1], "w").write("\n".join(out) + "\n")
PY
n=0
while IFS= read -r line; do
	"$MNEMO" remember --type note "$line" >/dev/null 2>>"$T/remember.err" && n=$((n+1))
done <"$T/obs.txt"
check "240 observations remembered" test "$n" -eq 240
"$MNEMO" encode --json "The zorblat in the search indexer showed up again on host db-3, ticket 9001." >"$T/before.json"
BEFORE=$(json_get "$T/before.json" "d['encoding']['outcome']")

"$MNEMO" serve >"$T/serve.log" 2>&1 &
SERVE=$!
echo $SERVE >>"$T/pids"
deployed=""
i=0
while [ $i -lt 900 ]; do
	deployed=$(readlink "$MNEMO_HOME/models/builtin/current" 2>/dev/null)
	[ -n "$deployed" ] && break
	sleep 0.2; i=$((i+1))
done
check "a new version was deployed without any user command ($deployed)" test "$deployed" = v0001
# The orchestrator swaps `current`, then records the run and writes
# result.json: wait for the record too (a loaded machine shows the gap).
run_recorded() {
	"$MNEMO" train status --json >"$T/runs.json" 2>/dev/null
	python3 -c "
import json, os, sys
d=json.load(open('$T/runs.json'))
runs=d if isinstance(d,list) else d.get('runs',[d])
r=[x for x in runs if x['state']=='deployed' and x.get('deployed_version')==sys.argv[1]]
sys.exit(0 if r and os.path.exists(r[0]['request_dir']+'/result.json') else 1)" "$1"
}
eventually 30 run_recorded v0001 >/dev/null 2>&1
"$MNEMO" experience stats --json >"$T/stats.json"
check "teacher corrections accumulated" \
	python3 -c "import json; d=json.load(open('$T/stats.json')); assert d['corrected'] >= 40, d"
check "teacher got the identical production prompt with response_format" \
	python3 -c "
import json
rows=[json.loads(l) for l in open('$T/teacher.log')]
b=rows[0]['body']
assert b['response_format']['type']=='json_schema', b
assert 'Observation' in b['messages'][1]['content'] or 'content' in b['messages'][1]['content'].lower()
"
check "the run is recorded as deployed with a gate table" \
	python3 -c "
import json; d=json.load(open('$T/runs.json'))
runs=d if isinstance(d,list) else d.get('runs',[d])
r=[x for x in runs if x['state']=='deployed']
assert r, runs
" 
RID=$(python3 -c "
import json; d=json.load(open('$T/runs.json'))
runs=d if isinstance(d,list) else d.get('runs',[d])
print([x for x in runs if x['state']=='deployed'][0]['id'])")
G="$MNEMO_HOME/training/requests/$RID/gate.json"
check "gate compared candidate and the shipped default on the same eval set" \
	python3 -c "
import json; g=json.load(open('$G'))
assert g['verdict'] in ('pass','deploy','deployed') or g.get('passed') is True, g.get('verdict')
assert g['incumbent'] and g['candidate']
"
check "candidate agrees with the teacher on the holdout better than the default" \
	python3 -c "
import json; g=json.load(open('$G'))
c,i=g['candidate']['holdout'],g['incumbent']['holdout']
assert c['enum_acc'] > i['enum_acc'], (c['enum_acc'], i['enum_acc'])
"
check "hooks.after-style result file written" test -s "$MNEMO_HOME/training/requests/$RID/result.json"

# new encodings come from the new version and follow the teacher
"$MNEMO" remember --json "The zorblat in the backup job showed up again on host db-7, ticket 4242." >"$T/after.json" 2>>"$T/remember.err"
i=0
while [ $i -lt 150 ]; do
	"$MNEMO" recall --full --json "ticket 4242" >"$T/rec.json"
	python3 -c "import json,sys; d=json.load(open('$T/rec.json')); sys.exit(0 if d['memories'] and d['memories'][0].get('encoder_version') and '4242' in d['memories'][0]['encoding']['content'] else 1)" && break
	sleep 0.2; i=$((i+1))
done
# v0001 or a later version: the daemon keeps learning, and on a fast
# machine its next run can deploy v0002 before this memory is encoded
check "new memory encoded by a deployed version, not the shipped default" \
	python3 -c "import json; d=json.load(open('$T/rec.json')); m=d['memories'][0]; assert '4242' in m['encoding']['content'], m; v=m['encoder_version']; assert v.startswith('v') and v >= 'v0001', v"
"$MNEMO" encode --json "The zorblat in the search indexer showed up again on host db-3, ticket 9001." >"$T/after_enc.json"
check "the student learned the teacher's rule (outcome was '$BEFORE')" \
	test "$(json_get "$T/after_enc.json" "d['encoding']['outcome']")" = failure
"$MNEMO" status --json >"$T/status.json"
check "status shows the learning state and current model" \
	python3 -c "import json; d=json.load(open('$T/status.json')); assert 'learning' in d, d.keys()"

# the user keeps working: the loop closes again, on top of v0001. The gate
# may reject a candidate (a few holdout items decide a 2-point regression
# check); the user keeps remembering, and a later run with more data gets
# through. How many more cycles run meanwhile depends on the machine's
# speed, so wait for any version after v0001, then look at the run that
# deployed v0002 and check it was trained on top of v0001.
python3 - "$T/obs2.txt" <<'PY'
import random, sys
r = random.Random(11)
subj = ["the release train", "the log shipper", "the queue consumer", "the feature flags",
        "the image resizer", "the mail relay"]
out = []
for i in range(400):
    s = r.choice(subj)
    if i % 2:
        t = "Quenvix check for %s came back clean after run %d." % (s, 3000 + i)
    else:
        t = "The zorblat in %s hit again during run %d." % (s, 4000 + i)
    out.append(t)
open(sys.argv[1], "w").write("\n".join(out) + "\n")
PY
cur=v0001
round=0
while [ $round -lt 8 ]; do
	sed -n "$((round * 50 + 1)),$((round * 50 + 50))p" "$T/obs2.txt" >"$T/round.txt"
	while IFS= read -r line; do
		"$MNEMO" remember --type note "$line" >/dev/null 2>>"$T/remember.err"
	done <"$T/round.txt"
	i=0
	while [ $i -lt 150 ]; do
		cur=$(readlink "$MNEMO_HOME/models/builtin/current" 2>/dev/null)
		[ -n "$cur" ] && [ "$cur" != v0001 ] && break
		sleep 0.2; i=$((i+1))
	done
	[ -n "$cur" ] && [ "$cur" != v0001 ] && break
	round=$((round+1))
done
[ -n "$cur" ] && [ "$cur" != v0001 ] && eventually 30 run_recorded v0002 >/dev/null 2>&1
"$MNEMO" train status --json >"$T/runs2.json"
if [ "$cur" = v0001 ] || [ -z "$cur" ]; then
	# say why, so a failure on another machine can be read from its log
	echo "--- no second version; runs:"
	"$MNEMO" train status 2>&1 | head -60
	echo "--- daemon log (tail):"
	tail -40 "$T/serve.log"
fi
check "a second version was deployed on top of the first (now $cur)" \
	python3 -c "
import json
d=json.load(open('$T/runs2.json'))
runs=d if isinstance(d,list) else d.get('runs',[d])
assert '$cur' > 'v0001', '$cur'
r=[x for x in runs if x.get('deployed_version')=='v0002']
assert r, [(x['id'], x['state'], x.get('deployed_version')) for x in runs]
g=json.load(open(r[0]['request_dir']+'/gate.json'))
assert g['incumbent_version']=='v0001', g.get('incumbent_version')
"
check "the second run replayed what the first one trained on" \
	python3 -c "
import json
d=json.load(open('$T/runs2.json'))
runs=d if isinstance(d,list) else d.get('runs',[d])
r=[x for x in runs if x.get('deployed_version')=='v0002'][0]
m=json.load(open(r['request_dir']+'/batch/manifest.json'))
assert m['counts']['replay'] > 0, m['counts']
"
kill -TERM $SERVE; wait $SERVE; rc=$?
check "daemon stops cleanly" test "$rc" -eq 0
