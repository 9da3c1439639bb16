#!/bin/sh
# 20 consecutive training cycles on the builtin student, half of them with a
# deliberately worse trainer (wrong labels, or a garbage artifact). Reports
# deployed/rejected counts, whether any deployed version regressed on the
# holdout against the version it replaced (must be zero), the final holdout
# agreement measured independently with `mnemo encode --model`, and the
# orchestration overhead (run time minus trainer and evaluation).
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
MNEMO=${MNEMO_BIN:-$ROOT/build/mnemo}
T=$(mktemp -d "${TMPDIR:-/tmp}/mnemo-cycles-XXXXXX")
trap 'rm -rf "$T"' EXIT
export MNEMO_HOME="$T/home" MNEMO_DATADIR="$ROOT/data" MNEMO_CONFIG="$T/config.yaml"
export MNEMO_LOG_LEVEL=warn
SUP="$ROOT/tests/support"
: >"$T/runs.txt"
i=1
while [ $i -le 20 ]; do
	n=$((40 + 15 * i))
	python3 "$SUP/gen_rule_batch.py" --out "$T/b$i" --train $n --seed 1 >/dev/null
	if [ $((i % 2)) -eq 0 ]; then
		if [ $((i % 4)) -eq 0 ]; then
			kind=garbage
			printf 'learning:\n  training:\n    trainer:\n      command: [sh, %s, "{out}"]\n' \
				"$SUP/trainer_garbage.sh" >"$MNEMO_CONFIG"
		else
			kind=wrong-labels
			printf 'learning:\n  training:\n    trainer:\n      command: [python3, %s, %s, "{batch_dir}", "{out}", "{seed}"]\n' \
				"$SUP/trainer_wrong_labels.py" "$MNEMO" >"$MNEMO_CONFIG"
		fi
	else
		kind=builtin
		: >"$MNEMO_CONFIG"
	fi
	"$MNEMO" train request --batch-dir "$T/b$i" --wait --json >"$T/r$i.json" 2>/dev/null || true
	python3 - "$T/r$i.json" "$kind" "$n" >>"$T/runs.txt" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
g = {c["name"]: c for c in d.get("gate") or []}
h = g.get("enum_acc (holdout) regression <= 2 pp", {})
t = d.get("timings") or {}
over = (t.get("total_ms") or 0) - (t.get("train_ms") or 0) - (t.get("evaluate_ms") or 0)
print(json.dumps({"kind": sys.argv[2], "n": int(sys.argv[3]), "state": d["state"],
                  "cand": h.get("candidate"), "inc": h.get("incumbent"),
                  "version": d.get("deployed_version"), "overhead_ms": over,
                  "total_ms": t.get("total_ms"), "gate": g}))
PY
	i=$((i + 1))
done
python3 - "$T/runs.txt" "$MNEMO" "$T/b20/valid.raw.jsonl" "$MNEMO_HOME" <<'PY'
import json, subprocess, sys, os
runs = [json.loads(l) for l in open(sys.argv[1])]
mnemo, holdout, home = sys.argv[2], sys.argv[3], sys.argv[4]
print("cycle kind          batch  state      holdout enum_acc cand/inc   overhead")
regress = 0
for i, r in enumerate(runs, 1):
    c, n = r["cand"], r["inc"]
    print("%5d %-13s %5d  %-9s  %s / %s   %d ms" % (i, r["kind"], r["n"], r["state"],
          "%.3f" % c if c is not None else "  -  ", "%.3f" % n if n is not None else "  -  ",
          r["overhead_ms"]))
    if r["state"] == "deployed":
        for ch in r["gate"].values():
            if ch.get("kind") == "regression" and ch.get("verdict") == "fail":
                regress += 1
deployed = [r for r in runs if r["state"] == "deployed"]
bad_deployed = [r for r in deployed if r["kind"] != "builtin"]
print("deployed %d, rejected %d, other %d; worse trainers deployed: %d; deployed with a failed regression check: %d"
      % (len(deployed), sum(r["state"] == "rejected" for r in runs),
         sum(r["state"] not in ("deployed", "rejected") for r in runs), len(bad_deployed), regress))
over = sorted(r["overhead_ms"] for r in runs)
print("orchestration overhead (total - trainer - evaluation): median %d ms, max %d ms"
      % (over[len(over) // 2], over[-1]))
# independent check of the final model on the holdout
def agree(model):
    ok = tot = 0
    for line in open(holdout):
        row = json.loads(line)
        args = [mnemo, "encode", "--json", row["raw_input"]]
        if model:
            args[2:2] = ["--model", model]
        out = json.loads(subprocess.check_output(args, stderr=subprocess.DEVNULL))["encoding"]
        for k in ("significance", "emotional_tone", "outcome"):
            ok += out[k] == row["encoded"][k]
            tot += 1
    return ok / tot
cur = os.path.join(home, "models", "builtin", "current")
print("final holdout enum agreement: current %s %.3f vs shipped default %.3f"
      % (os.readlink(cur) if os.path.islink(cur) else "default", agree(None),
         agree(os.path.join(os.environ["MNEMO_DATADIR"], "default-model"))))
PY
