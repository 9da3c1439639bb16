#!/bin/sh
# A slow student never blocks the store: while `mnemo serve` encodes with
# an OpenAI-compatible student that takes 5 s per encoding, every
# `remember` (CLI and MCP) is acknowledged at once, `recall` answers at
# once and finds the not-yet-encoded memories, and encoding.workers: 4
# encodes four memories at a time. The model call runs outside any store
# transaction (claim -> encode -> write result).
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/mcp/weights.sh"
mcp_ensure_weights || fail "weights" "could not train test weights"

FAKE="$ROOT/tests/support/fake_llm.py"
printf '%s' '{"delay_s": 5, "encode": "echo"}' >"$T/student.script"
python3 "$FAKE" --port 0 --script "$T/student.script" --port-file "$T/student.port" \
	--log "$T/student.log" >/dev/null 2>&1 &
echo $! >>"$T/pids"
i=0
while [ ! -s "$T/student.port" ] && [ $i -lt 500 ]; do sleep 0.02; i=$((i + 1)); done
cat >"$T/config.yaml" <<EOF2
student:
  provider: openai
  endpoint: http://127.0.0.1:$(cat "$T/student.port")/v1
  model: slow-model
  timeout_s: 60
encoding:
  workers: 4
EOF2
export MNEMO_CONFIG="$T/config.yaml"

now_ms() { echo $(($(date +%s%N) / 1000000)); }
DB="$MNEMO_HOME/mnemo.db"
count() { sqlite3 "$DB" "select count(*) from raw_memories where state = '$1'"; }

"$MNEMO" serve --no-dream >"$T/serve.log" 2>&1 &
SERVE=$!
echo $SERVE >>"$T/pids"
eventually 30 grep -q "serving" "$T/serve.log"
check "daemon started" grep -q "serving" "$T/serve.log"

# The first memory is being encoded (its model request is in flight) ...
"$MNEMO" remember --json "Lighthouse keeper 1 logged the storm at dawn." >"$T/remember.1" 2>&1
# has_requests N: the student has received at least N requests
has_requests() { [ -f "$T/student.log" ] && [ "$(wc -l <"$T/student.log")" -ge "$1" ]; }
eventually 20 has_requests 1
# ... when the next ones arrive. 2 s is far above a remember's real cost
# and far below one encoding (5 s).
slowest=0
for n in 2 3 4; do
	t0=$(now_ms)
	"$MNEMO" remember --json "Lighthouse keeper $n logged the storm at dawn." \
		>"$T/remember.$n" 2>>"$T/remember.err"
	rc=$?
	took=$(($(now_ms) - t0))
	[ $rc -eq 0 ] || slowest=999999
	[ $took -gt $slowest ] && slowest=$took
done
check "every remember acknowledged while the model is slow (slowest ${slowest} ms)" \
	test "$slowest" -lt 2000
check "remembers queued for the daemon" grep -q '"queued"' "$T/remember.4"

# four workers: four rows claimed (encoding) at the same time
eventually 20 sh -c "[ \"\$(sqlite3 '$DB' \"select count(*) from raw_memories where state = 'claimed'\")\" -eq 4 ]"
check "four memories encode at a time with encoding.workers: 4" test "$(count claimed)" -eq 4

t0=$(now_ms)
"$MNEMO" recall "lighthouse storm" >"$T/recall.out" 2>"$T/recall.err"
rc=$?
took=$(($(now_ms) - t0))
check "recall answers while encodings run (${took} ms)" test $rc -eq 0 -a "$took" -lt 2000
check "recall finds the memories being encoded" grep -q "Lighthouse keeper 3" "$T/recall.out"

# an MCP client's remember is acknowledged at once too
python3 - "$MNEMO" >"$T/mcp.out" 2>&1 <<'PY'
import json, subprocess, sys, time
p = subprocess.Popen([sys.argv[1], "mcp"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                     stderr=subprocess.DEVNULL)
def rpc(m):
    p.stdin.write((json.dumps(m) + "\n").encode()); p.stdin.flush()
    return json.loads(p.stdout.readline()) if "id" in m else None
rpc({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "2025-03-26",
     "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}})
rpc({"jsonrpc": "2.0", "method": "notifications/initialized"})
t0 = time.monotonic()
r = rpc({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "remember",
     "arguments": {"text": "The fog horn sounded twice over the harbour."}}})
took = int((time.monotonic() - t0) * 1000)
p.stdin.close(); p.wait(timeout=30)
ok = "result" in r and not r["result"].get("isError")
print("OK" if ok and took < 2000 else "SLOW", took, json.dumps(r)[:300])
PY
check "MCP remember acknowledged while the model is slow ($(cat "$T/mcp.out"))" grep -q "^OK" "$T/mcp.out"

# the time an observation happened reaches the LLM student's prompt, so
# the model can resolve "yesterday" (2025-10-29 was a Wednesday)
"$MNEMO" remember --time 2025-10-29T09:00:00Z "Yesterday the harbour light failed." \
	>/dev/null 2>>"$T/remember.err"

eventually 90 sh -c "[ \"\$(sqlite3 '$DB' \"select count(*) from raw_memories where state = 'encoded'\")\" -eq 6 ]"
check "every memory is encoded by the slow student" test "$(count encoded)" -eq 6
check "by the student, not the fallback" \
	test "$(sqlite3 "$DB" "select count(*) from memories where fallback = 0")" -eq 6
check "the student's prompt names the day the observation happened" \
	grep -q "Observed on: Wednesday 2025-10-29" "$T/student.log"
kill -TERM $SERVE
wait $SERVE
rc=$?
check "daemon stops cleanly" test $rc -eq 0
check "integrity check passes" test "$(sqlite3 "$DB" 'pragma integrity_check')" = ok
