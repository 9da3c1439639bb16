#!/bin/sh
# The learned ranker end to end (docs/ranker.md) on a small generated set, with
# the simulated agent of bench/ranker (agent.py: recall and feedback over one
# `mnemo mcp` session): honest feedback -> `mnemo train ranker` deploys a
# ranker that serves recall and beats the default on the questions nobody
# rated; rollback -> the default serves again; self-contradicting feedback ->
# a run that ends normally and nothing worse serves; shuffled feedback (in a
# second store, against the shipped default) -> rejected.
#
# The shipped default (data/ranker/default.json) is trained on the same
# generator and is hard to beat with a few hundred ratings (docs/ranker.md,
# "Benchmark"), so the first store gets a weak default of its own: mostly
# recency, a little lexical. The gate's benchmark examples are the shipped
# data/ranker/bench.jsonl in both.
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null 2>&1 || { echo "SKIP test_ranker_e2e: no python3"; exit 0; }
AG="$ROOT/bench/ranker/agent.py"
# 8 questions of each category per half: 64 asked and rated, 64 held out
Q="--per-category 8"
DS="$T/ds"

# a data directory: the tree's, with this test's default ranker
D="$T/data"
mkdir -p "$D/ranker"
for e in "$ROOT"/data/*; do
	[ "$(basename "$e")" = ranker ] || ln -s "$e" "$D/"
done
if [ -f "$ROOT/data/ranker/bench.jsonl" ]; then
	ln -s "$ROOT/data/ranker/bench.jsonl" "$D/ranker/bench.jsonl"
	pass "shipped benchmark examples exist"
else
	fail "shipped benchmark examples exist" "no data/ranker/bench.jsonl"
fi
cat > "$D/ranker/default.json" <<'EOF'
{"format": "mnemo.ranker/1", "features": ["lexical", "recency"], "weights": [0.2, 1.0],
 "trained_on": {"source": "test_ranker_e2e.sh: a weak default (newest first)"}}
EOF
export MNEMO_DATADIR="$D"
# the benchmark's clock: the day after the generated set's last memory
export MNEMO_FAKE_NOW=2026-03-28T12:00:00Z

python3 "$ROOT/bench/recall/gen_dataset.py" --seed 4242 --memories 600 \
	--sessions-per-project 10 --out "$DS" >/dev/null ||
	fail "generate the dataset" "gen_dataset.py failed"
check "load the memories" python3 "$AG" load --data "$DS"

# serving_version: the ranker that ordered a recall now (recall --explain)
serving_version() {
	"$MNEMO" recall --explain --json --limit 1 "database" > "$T/sv.json" 2>"$T/sv.err" &&
		json_get "$T/sv.json" "d['memories'][0]['explain']['ranker']['version']"
}
# mrr FILE: overall MRR of an agent.py measure
mrr() { json_get "$1" "d['scores']['overall']['MRR']"; }
# state FILE: a train ranker run's state
state() { json_get "$1" "d.get('state')" 2>/dev/null; }

check "the default serves before any training" test "$(serving_version)" = default
python3 "$AG" measure --data "$DS" $Q --half B > "$T/m0.json" 2>"$T/m0.err" ||
	fail "measure half B with the default" "$(tail -2 "$T/m0.err")"

# (1) honest feedback on half A: deployed, serves, better on half B
check "feed honest ratings" python3 "$AG" feed --data "$DS" $Q --half A --mode honest
"$MNEMO" train ranker --force --json > "$T/t1.json" 2>"$T/t1.err"
rc=$?
if [ "$rc" -eq 0 ] && [ "$(state "$T/t1.json")" = deployed ]; then
	pass "honest feedback: the run deploys"
else
	fail "honest feedback: the run deploys" "rc $rc, state $(state "$T/t1.json"): $(json_get "$T/t1.json" "d.get('gate_reasons')" 2>/dev/null) $(tail -3 "$T/t1.err")"
fi
V1=$(json_get "$T/t1.json" "d.get('deployed_version')" 2>/dev/null)
check "the gate compared with the default" test "$(json_get "$T/t1.json" "d['gate']['incumbent_version']" 2>/dev/null)" = default
check "the gate used the benchmark examples" python3 -c "
import json,sys; g=json.load(open(sys.argv[1]))['gate']
sys.exit(0 if any(c['name'].startswith('bench') and c['verdict']=='pass' for c in g['checks']) else 1)" "$T/t1.json"
check "the deployed ranker serves recall" test "$(serving_version)" = "$V1"
check "model list names it current" sh -c "'$MNEMO' model list --model ranker --json | grep -q '$V1'"
python3 "$AG" measure --data "$DS" $Q --half B > "$T/m1.json" 2>"$T/m1.err" ||
	fail "measure half B with the deployed ranker" "$(tail -2 "$T/m1.err")"
check "deployed ranker ordered half B" python3 -c "
import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if d['ordered_by']=={sys.argv[2]: d['scores']['overall']['n']} else 1)" "$T/m1.json" "$V1"
M0=$(mrr "$T/m0.json"); M1=$(mrr "$T/m1.json")
check "half B MRR up at least 10% over the default ($M0 -> $M1)" python3 -c "
import sys; sys.exit(0 if float(sys.argv[2]) >= 1.10 * float(sys.argv[1]) else 1)" "$M0" "$M1"

# (2) rollback: the default again
check "model rollback --model ranker" "$MNEMO" model rollback --model ranker
check "after the rollback the default serves" test "$(serving_version)" = default

# (3) self-contradicting feedback: a run that ends, and nothing worse serves
check "feed contradicting ratings" python3 "$AG" feed --data "$DS" $Q --half A --mode contradict
"$MNEMO" train ranker --force --json > "$T/t3.json" 2>"$T/t3.err"
rc=$?
S3=$(state "$T/t3.json")
case "$rc/$S3" in
0/deployed | 1/rejected) pass "contradicting feedback: the run ends ($S3)" ;;
*) fail "contradicting feedback: the run ends" "rc $rc, state $S3: $(tail -3 "$T/t3.err")" ;;
esac
python3 "$AG" measure --data "$DS" $Q --half B > "$T/m3.json" 2>"$T/m3.err" ||
	fail "measure half B after contradicting feedback" "$(tail -2 "$T/m3.err")"
M3=$(mrr "$T/m3.json")
check "after contradicting feedback half B is not worse than the default ($M0 -> $M3)" python3 -c "
import sys; sys.exit(0 if float(sys.argv[2]) >= float(sys.argv[1]) - 0.02 else 1)" "$M0" "$M3"

# (4) shuffled feedback in a store of its own (the ratings above would make half
# of its examples honest), against the shipped default: rejected
export MNEMO_HOME="$T/home2" MNEMO_DATADIR="$ROOT/data"
check "load the memories (second store)" python3 "$AG" load --data "$DS"
check "the shipped default serves" test "$(serving_version)" = default
check "feed shuffled ratings" python3 "$AG" feed --data "$DS" $Q --half A --mode shuffle --seed 7
"$MNEMO" train ranker --force --json > "$T/t4.json" 2>"$T/t4.err"
rc=$?
if [ "$rc" -eq 1 ] && [ "$(state "$T/t4.json")" = rejected ]; then
	pass "shuffled feedback: the run is rejected"
else
	fail "shuffled feedback: the run is rejected" "rc $rc, state $(state "$T/t4.json"): $(tail -3 "$T/t4.err")"
fi
check "after the rejection the shipped default still serves" test "$(serving_version)" = default
