#!/bin/sh
# `mnemo serve` and inline encoders share worker.lock: a daemon started
# while a CLI `remember` encodes inline waits for it instead of refusing;
# only another daemon makes it refuse, and the message names that daemon.
# `status` reports a daemon only when one runs.
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
EOF2
export MNEMO_CONFIG="$T/config.yaml"
# has_requests N: the student has received at least N requests
has_requests() { [ -f "$T/student.log" ] && [ "$(wc -l <"$T/student.log")" -ge "$1" ]; }
daemon_state() { "$MNEMO" status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["daemon"])'; }

# an inline remember is encoding (its model request is in flight)
"$MNEMO" remember --json "The ferry left the pier at noon." >"$T/inline.out" 2>"$T/inline.err" &
INLINE=$!
eventually 20 has_requests 1
"$MNEMO" serve --no-dream >"$T/serve.log" 2>&1 &
SERVE=$!
echo $SERVE >>"$T/pids"
wait $INLINE
check "the inline remember encodes" grep -q '"encoded"' "$T/inline.out"
eventually 30 grep -q "serving" "$T/serve.log"
check "serve waits for the inline encoder, then starts" grep -q "serving" "$T/serve.log"
check "serve said what it waited for" grep -q "waiting for an inline encoder (pid $INLINE" "$T/serve.log"
check "status sees the daemon" test "$(daemon_state)" = "running"

# a second daemon is refused at once, naming the first
timeout 30 "$MNEMO" serve --no-dream >"$T/serve2.out" 2>&1
rc=$?
check "a second serve is refused" test $rc -ne 0
check "the refusal names the running daemon ($(cat "$T/serve2.out"))" \
	grep -q "another mnemo serve is running.*pid $SERVE" "$T/serve2.out"
check "the first daemon still runs" kill -0 $SERVE

# with the daemon running, remember only queues
"$MNEMO" remember --json "The lighthouse lamp was replaced." >"$T/queued.out" 2>&1
check "remember queues while the daemon runs" grep -q '"queued"' "$T/queued.out"
eventually 60 sh -c "[ \"\$(sqlite3 '$MNEMO_HOME/mnemo.db' \"select count(*) from raw_memories where state = 'encoded'\")\" -eq 2 ]"
check "the daemon encodes it" \
	test "$(sqlite3 "$MNEMO_HOME/mnemo.db" "select count(*) from raw_memories where state = 'encoded'")" -eq 2
kill -TERM $SERVE
wait $SERVE
rc=$?
check "daemon stops cleanly" test $rc -eq 0
check "status after the daemon stopped: no daemon" test "$(daemon_state)" = "not running"

# an inline encoder holds worker.lock, but it is no daemon
"$MNEMO" remember --json "The harbour master rang the bell." >"$T/inline2.out" 2>&1 &
INLINE=$!
eventually 20 has_requests 3
check "status while an inline encoder runs: no daemon" test "$(daemon_state)" = "not running"
wait $INLINE
check "that remember encodes inline" grep -q '"encoded"' "$T/inline2.out"
