# Sourced by the MCP tests: until default student weights ship in data/,
# train a tiny builtin model with `mnemo trainer builtin` and point
# MNEMO_DATADIR at it, so remember encodes inline as in a real install.
# Needs $MNEMO (the binary) and $T (a scratch directory).
mcp_ensure_weights() {
	if MNEMO_HOME="$T/probe-home" "$MNEMO" encode --json "probe: weights present?" >/dev/null 2>&1; then
		return 0
	fi
	mkdir -p "$T/weights/batch"
	python3 - "$T/weights/batch/train.raw.jsonl" <<'PY'
import json, sys
sig = ["routine", "notable", "important", "critical"]
tone = ["neutral", "satisfying", "frustrating", "exciting", "concerning"]
out = ["success", "failure", "ongoing", "unknown"]
with open(sys.argv[1], "w") as f:
    for i in range(40):
        t = f"Observation {i}: fixed a bug in parser.c after {i} tries."
        enc = {"gist": f"Fixed parser bug {i}", "summary": "Fixed a bug in parser.c.", "content": t,
               "narrative": "", "concepts": ["parser", "bug"],
               "structured_concepts": {"topics": [], "entities": [], "actions": [], "causality": []},
               "significance": sig[i % 4], "emotional_tone": tone[i % 5], "outcome": out[i % 4],
               "salience": (i % 10) / 10}
        f.write(json.dumps({"raw_input": t, "encoded": enc, "task_type": "encoding",
                            "memory_id": f"m{i}", "source": "test", "epr": 1.0}) + "\n")
PY
	"$MNEMO" trainer builtin --batch-dir "$T/weights/batch" --out "$T/weights/default-model" --quiet >/dev/null 2>&1 || return 1
	export MNEMO_DATADIR="$T/weights"
}
