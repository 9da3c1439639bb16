#!/bin/sh
# Retrain the shipped default weights of the builtin student
# (data/default-model/model.bin + metrics.json) from the seed set
# (data/seed/seed.raw.jsonl) with seed 42, using the real binary:
#
#   make && scripts/train-default.sh [path/to/mnemo]
#
# The result is deterministic: tests/unit/test_student.c checks that the
# committed model.bin is byte-identical to what this produces. Run it (and
# commit its output) after any change to the seed set, the feature code or
# the trainer in src/student.c. To regenerate the seed and probe sets first,
# run scripts/gen-seed-data.py.
set -eu
cd "$(dirname "$0")/.."
MNEMO=${1:-build/mnemo}
if [ ! -x "$MNEMO" ]; then
	echo "train-default.sh: '$MNEMO' not found; run make first" >&2
	exit 1
fi
BATCH=$(mktemp -d "${TMPDIR:-/tmp}/mnemo-seed-batch.XXXXXX")
trap 'rm -rf "$BATCH"' EXIT INT TERM
cp data/seed/seed.raw.jsonl "$BATCH/train.raw.jsonl"
"$MNEMO" trainer builtin --batch-dir "$BATCH" --out data/default-model --seed 42
echo "data/default-model: $(sha256sum data/default-model/model.bin | cut -c1-12)"
