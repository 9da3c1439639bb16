#!/bin/sh
# bench/ranker/train_default.sh - rebuild the shipped ranker files (docs/ranker.md,
# "Benchmark"):
#
#   data/ranker/default.json  the default ranker: `mnemo trainer ranker` on the examples
#                             of a dataset generated with seed $TRAIN_SEED (every question
#                             asked once with the hand-tuned order, its top $LIMIT rated
#                             from the gold labels: what an agent rating every result
#                             would leave in the recall log)
#   data/ranker/bench.jsonl   the gate's benchmark examples: the same for the first
#                             $BENCH_PER_CATEGORY questions of each category of a dataset of
#                             seed $BENCH_SEED (those with an evidence memory in the top
#                             $LIMIT: the metrics skip the others)
#
# Neither seed is the recall benchmark's own (20260412, bench/recall/data), on which
# bench/ranker/simulate.py measures. Deterministic for a given binary: the datasets, the
# clock (MNEMO_FAKE_NOW, ranklib.BENCH_NOW) and the solver are fixed.
#
# Usage: [MNEMO_BIN=build/mnemo] sh bench/ranker/train_default.sh [OUTDIR]   (default: data/ranker)
# Environment: TRAIN_SEED [20261111], BENCH_SEED [20261212], LIMIT [10], C [100],
#   BENCH_PER_CATEGORY [30], KEEP=1 (keep the work dir)
set -eu
cd "$(dirname "$0")/../.."
ROOT=$PWD
MNEMO=${MNEMO_BIN:-$ROOT/${MNEMO_BUILD:-build}/mnemo}
OUT=${1:-data/ranker}
TRAIN_SEED=${TRAIN_SEED:-20261111}
BENCH_SEED=${BENCH_SEED:-20261212}
LIMIT=${LIMIT:-10}
C=${C:-100}
BENCH_PER_CATEGORY=${BENCH_PER_CATEGORY:-30}
TRAIN_RATE=${TRAIN_RATE---rate --order-seed $TRAIN_SEED}
[ -x "$MNEMO" ] || { echo "train_default: no mnemo binary at $MNEMO (set MNEMO_BIN)" >&2; exit 2; }
W=$(mktemp -d "${TMPDIR:-/tmp}/mnemo-ranker-default-XXXXXX")
if [ -n "${KEEP:-}" ]; then echo "train_default: keeping $W" >&2; else trap 'rm -rf "$W"' EXIT; fi
export MNEMO_BIN="$MNEMO"
# the student's weights from the tree; the hand-tuned order whatever default is there now
export MNEMO_DATADIR="${MNEMO_DATADIR:-$ROOT/data}"
export MNEMO_FAKE_NOW="${MNEMO_FAKE_NOW:-$(python3 -c 'import sys; sys.path.insert(0, "bench/ranker"); import ranklib; print(ranklib.BENCH_NOW)')}"
mkdir -p "$OUT"

echo "train_default: datasets (seeds $TRAIN_SEED, $BENCH_SEED)" >&2
python3 bench/recall/gen_dataset.py --seed "$TRAIN_SEED" --out "$W/train-data" >/dev/null
python3 bench/recall/gen_dataset.py --seed "$BENCH_SEED" --out "$W/bench-data" >/dev/null

echo "train_default: examples" >&2
python3 bench/ranker/gold_examples.py --data "$W/train-data" --out "$W/train.jsonl" \
	--limit "$LIMIT" --ranker hand --split train $TRAIN_RATE
python3 bench/ranker/gold_examples.py --data "$W/bench-data" --out "$W/bench.jsonl" \
	--limit "$LIMIT" --ranker hand --split holdout --per-category "$BENCH_PER_CATEGORY" --drop-unrated

echo "train_default: $MNEMO trainer ranker --c $C --prior 0" >&2
"$MNEMO" trainer ranker --examples "$W/train.jsonl" --out "$W/model" --c "$C" --prior 0 \
	--seed 1 >&2

# name the source in trained_on (the trainer writes the examples' path), then install
python3 - "$W/model/ranker.json" "$OUT/default.json" "$TRAIN_SEED" "$LIMIT" "$C" <<'EOF'
import json, sys
src, dst, seed, limit, c = sys.argv[1:]
r = json.load(open(src))
t = r.get("trained_on") or {}
t["source"] = (f"bench/ranker/train_default.sh: gen_dataset.py --seed {seed}, every question's "
               f"top {limit} (hand order) rated from the gold labels; trainer ranker --c {c} "
               f"--prior 0")
r["trained_on"] = t
with open(dst, "w") as fh:
    json.dump(r, fh, indent=2)
    fh.write("\n")
EOF
cp "$W/bench.jsonl" "$OUT/bench.jsonl"
python3 bench/ranker/evaluate.py --ranker hand --ranker "$OUT/default.json" "$OUT/bench.jsonl" >&2
echo "train_default: wrote $OUT/default.json and $OUT/bench.jsonl" >&2
