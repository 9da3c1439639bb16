#!/bin/sh
# Reference "external" trainer for tests: instead of a LoRA adapter it
# writes the script that tests/support/fake_llm.py serves, so the served
# candidate answers with faithful (echo) encodings.
# usage: trainer_external.sh BATCH_DIR OUT
test -s "$1/train.jsonl" -o -s "$1/train.raw.jsonl" || { echo "no batch in $1" >&2; exit 2; }
echo '{"encode": "echo"}' > "$2/script.json"
printf '{"trainer":"external-test","rows":%s}\n' "$(wc -l < "$1/train.raw.jsonl")" > "$2/metrics.json"
echo "trainer_external: wrote $2/script.json" >&2
