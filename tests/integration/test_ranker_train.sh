#!/bin/sh
# test_ranker_train.sh - `mnemo train ranker` end to end on a real store
# (docs/ranker.md "Training", "Gate", "Registry"): remember, recall, rate with
# `mnemo feedback`, train (the trainer a real subprocess), deploy, list, roll
# back; declines and rejections say why; the dream cycle's ranker phase.
. "$(dirname "$0")/lib.sh"

cfg() { # cfg MIN_GAIN MAX_REGRESSION
	cat >"$T/config.yaml" <<EOF
learning:
  ranker:
    min_feedback: 20
    holdout_pct: 25
    min_gain: $1
    max_regression: $2
  monitor:
    window: 5
EOF
}
cfg 0 1
M() { "$MNEMO" --config "$T/config.yaml" "$@"; }

# -- the trainer on its own
expect_rc "trainer ranker without --examples is a usage error" 2 "$MNEMO" trainer ranker --out "$T/x"
printf '%s\n' '{"format":"mnemo.ranker-examples/1","features":["base","recency"]}' \
	'{"query":"q","split":"train","items":[{"rating":"helpful","features":[1,0]},{"rating":"irrelevant","features":[0,1]}]}' \
	>"$T/few.jsonl"
expect_rc "trainer ranker: too few pairs exits 4" 4 "$MNEMO" trainer ranker --examples "$T/few.jsonl" --out "$T/few"
check "trainer ranker: too few pairs says so" grep -q "too few pairs" "$T/err"
check "trainer ranker: nothing written when declined" test ! -e "$T/few/ranker.json"

# -- no ratings yet: declined with the count
expect_rc "train ranker with no ratings is declined (exit 5)" 5 M train ranker
check "train ranker says how many ratings arrived" grep -q "0 new rating(s).*min_feedback = 20" "$T/err"

# -- a store, recalls, ratings
i=1
while [ $i -le 12 ]; do
	M remember "decision $i: we picked storage engine number $i for the service svc$i (fast writes)" >/dev/null
	M remember "meeting $i: the svc$i team talked about lunch and the service roadmap" >/dev/null
	i=$((i + 1))
done
i=1
while [ $i -le 12 ]; do
	M recall "which storage engine did we pick for the service svc$i" --json >"$T/r.json" || fail "recall $i"
	qid=$(json_get "$T/r.json" 'd["query_id"]')
	json_get "$T/r.json" '"\n".join(m["id"] + " " + ("helpful" if ("svc%d " % '$i') in m["text"] and m["text"].startswith("decision") else "irrelevant") for m in d["memories"])' >"$T/rate.txt"
	while read -r id rating; do
		M feedback "$qid" "$rating" --memory "$id" >/dev/null || fail "feedback $qid $id"
	done <"$T/rate.txt"
	i=$((i + 1))
done

# -- a run that deploys
M train ranker --json >"$T/run1.json"; rc=$?
check "train ranker deploys (exit 0)" test "$rc" -eq 0
check "the run is deployed as v0001" test "$(json_get "$T/run1.json" 'd["state"] + " " + str(d["deployed_version"])')" = "deployed v0001"
check "the run is a ranker row" test "$(json_get "$T/run1.json" 'd["model"]')" = ranker
check "the gate was judged on held-out recalls" test "$(json_get "$T/run1.json" 'd["candidate_metrics"]["holdout"]["n"] > 0 and d["gate"]["verdict"] == "pass"')" = True
check "registry link models/ranker/current -> v0001" test "$(readlink "$MNEMO_HOME/models/ranker/current")" = v0001
check "the version holds ranker.json and meta.json" test -s "$MNEMO_HOME/models/ranker/v0001/ranker.json" -a -s "$MNEMO_HOME/models/ranker/v0001/meta.json"
dir=$(json_get "$T/run1.json" 'd["request_dir"]')
check "the run dir keeps examples, gate, log, result" test -s "$dir/examples.jsonl" -a -s "$dir/gate.json" -a -s "$dir/train.log" -a -s "$dir/result.json"
check "the trainer ran as a subprocess (train.log)" grep -q "trainer ended: exit 0" "$dir/train.log"
M model list --model ranker --json >"$T/ml.json"
check "model list --model ranker: v0001 current with gate metrics" test "$(json_get "$T/ml.json" '[(v["version"], v["current"], "holdout" in v["gate_metrics"]) for v in d["versions"]]')" = "[('v0001', True, True)]"
check "model list --model ranker names what recall uses" test "$(json_get "$T/ml.json" 'd["source"]')" = v0001
check "model list (the student) does not list ranker versions" test "$(M model list --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["versions"]))')" = 0
M train status --json >"$T/ts.json"
check "train status lists the ranker run with its model" test "$(json_get "$T/ts.json" '[r["model"] for r in d["runs"]]')" = "['ranker']"
check "the student's learning state has no run in flight" test "$(json_get "$T/ts.json" 'd["learning"]["training"]["in_flight"] if "training" in d["learning"] else None')" = None

# -- no new ratings: declined; forced but no gain: rejected with the reason
expect_rc "train ranker again without new ratings is declined" 5 M train ranker
cfg 1 1
M train ranker --force >"$T/run2.txt"; rc=$?
check "a candidate below min_gain is rejected (exit 1)" test "$rc" -eq 1
check "the rejection names min_gain" grep -q "below learning.ranker.min_gain 1" "$T/run2.txt"
check "a rejected run registers nothing" test ! -e "$MNEMO_HOME/models/ranker/v0002"

# -- rollback, pin
check "model rollback --model ranker" M model rollback --model ranker
check "rollback removes the current link (shipped default)" test ! -e "$MNEMO_HOME/models/ranker/current"
check "the version is rolled_back" test "$(M model list --model ranker --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["versions"][0]["state"])')" = rolled_back
check "the run that deployed it is rolled_back" test "$(M train status "$(json_get "$T/run1.json" 'd["id"]')" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["runs"][0]["state"])')" = rolled_back
check "model pin --model ranker v0001" M model pin v0001 --model ranker
check "pin points current at v0001" test "$(readlink "$MNEMO_HOME/models/ranker/current")" = v0001
check "model unpin --model ranker" M model unpin --model ranker
expect_rc "model --model other is a usage error" 2 M model list --model other

# -- the dream cycle's ranker phase
M dream --json >"$T/dream.json" 2>"$T/dream.err"
check "dream: a ranker phase, declined without new ratings" test "$(json_get "$T/dream.json" '[(p["status"], p["decision"]) for p in d["phases"] if p["name"] == "ranker"]')" = "[('ok', 'declined')]"
check "dream: the ranker monitor reports on the current version" test "$(json_get "$T/dream.json" '[p["monitor"]["version"] for p in d["phases"] if p["name"] == "ranker"]')" = "['v0001']"

# -- the post-deploy monitor: the rated recalls after the deploy are worse
# than those before it (all had a helpful result): the next dream cycle rolls
# back (max_regression back to a small drop)
cfg 1 0.1
i=1
while [ $i -le 6 ]; do
	M recall "what did the svc$i team talk about" --json >"$T/r.json" || fail "recall $i"
	qid=$(json_get "$T/r.json" 'd["query_id"]')
	M feedback "$qid" irrelevant >/dev/null || fail "feedback $qid"
	i=$((i + 1))
done
M dream --json >"$T/dream2.json" 2>"$T/dream2.err"
check "dream: the monitor rolled the ranker back" test "$(json_get "$T/dream2.json" '[p["monitor"]["verdict"] for p in d["phases"] if p["name"] == "ranker"]')" = "['rolled_back']"
check "after the monitor's rollback recall uses the shipped default" test ! -e "$MNEMO_HOME/models/ranker/current"
check "the version keeps the monitor's live metrics" test "$(M model list --model ranker --json | python3 -c 'import json,sys; v=json.load(sys.stdin)["versions"][0]; print(v["state"], v["live_metrics"]["verdict"], v["live_metrics"]["n"])')" = "rolled_back rolled_back 6"
