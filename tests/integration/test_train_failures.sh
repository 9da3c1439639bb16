#!/bin/sh
# Failure paths: a trainer that crashes, one that hangs past its timeout,
# one killed with SIGKILL, the orchestrator itself killed mid-run, cancel.
# Each ends failed (or cancelled), hooks.after ran, and the next run works.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/train_lib.sh"

# a scripted teacher's batch (train_lib.sh): new knowledge the shipped default
# lacks, so a run that completes deploys against it
mk_batch "$T/b" 200
AFTER="      after: [sh, -c, 'echo \$MNEMO_REQUEST_ID >> $T/after.txt']"
ran_after() { grep -q "$1" "$T/after.txt" 2>/dev/null; }

# crash
write_config "learning:" "  training:" "    trainer:" \
	"      command: [sh, $SUP/trainer_crash.sh, '{out}']" "    hooks:" "$AFTER"
"$MNEMO" train request --batch-dir "$T/b" --wait --json > "$T/r.json" 2>/dev/null
ID=$(json_get "$T/r.json" "d['id']")
check "crash: failed" test "$(json_get "$T/r.json" "d['state']")" = failed
check "crash: error names the exit" sh -c "grep -q 'exit 3' '$T/r.json'"
check "crash: hooks.after ran" ran_after "$ID"
check "crash: trainer output in train.log" grep -q "trainer_crash: giving up" "$MNEMO_HOME/training/requests/$ID/train.log"
check "crash: nothing deployed" test "$(current)" = default

# hang past the timeout
write_config "learning:" "  training:" "    trainer:" \
	"      command: [sh, $SUP/trainer_hang.sh, '{out}']" "      timeout_s: 2" "    hooks:" "$AFTER"
"$MNEMO" train request --batch-dir "$T/b" --wait --json > "$T/r.json" 2>/dev/null
ID=$(json_get "$T/r.json" "d['id']")
check "timeout: failed" test "$(json_get "$T/r.json" "d['state']")" = failed
check "timeout: error says timed out" sh -c "grep -q 'timed out' '$T/r.json'"
check "timeout: hooks.after ran" ran_after "$ID"
check "timeout: trainer is gone" dead "$(cat "$MNEMO_HOME/training/requests/$ID/hang.pid")"

# trainer killed with SIGKILL mid-run
write_config "learning:" "  training:" "    trainer:" \
	"      command: [sh, $SUP/trainer_hang.sh, '{out}']" "    hooks:" "$AFTER"
ID=$("$MNEMO" train request --batch-dir "$T/b" 2>/dev/null)
D="$MNEMO_HOME/training/requests/$ID"
kill -9 "$(wait_hang "$D")"
check "sigkill trainer: failed" wait_state "$ID" failed 60
check "sigkill trainer: error says signal 9" sh -c "'$MNEMO' train status '$ID' --json | grep -q 'signal 9'"
check "sigkill trainer: hooks.after ran" eventually 20 grep -q "$ID" "$T/after.txt"
check "sigkill trainer: result.json" test -s "$D/result.json"

# the orchestrator itself killed mid-run -> recovery on the next request
ID=$("$MNEMO" train request --batch-dir "$T/b" 2>/dev/null)
D="$MNEMO_HOME/training/requests/$ID"
TPID=$(wait_hang "$D")
# Recovery finds the orphan through trainer.pid, which the orchestrator writes
# at its first heartbeat tick, up to 500 ms after the trainer started: kill it
# after that. (Killed before, the trainer is never stopped: a product bug,
# reported separately; this check is about the recorded case.)
i=0; while [ ! -s "$D/trainer.pid" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
check "orchestrator running: state training" test "$(run_state "$ID")" = training
OPID=$(json_get "$T/st.json" "d['runs'][0]['pid']")
expect_rc "in-flight run declines a new request" 5 "$MNEMO" train request --batch-dir "$T/b"
check "decline names the run" grep -q "run $ID is in flight" "$T/err"
kill -9 "$OPID"
sleep 0.3
check "orchestrator killed: its trainer outlives it (own process group)" alive "$TPID"
write_config "learning:" "  training:" "    hooks:" "$AFTER"
"$MNEMO" train request --batch-dir "$T/b" --wait --json > "$T/r.json" 2>/dev/null
check "orchestrator killed: run failed" test "$(run_state "$ID")" = failed
check "orchestrator killed: says orchestrator died" sh -c "'$MNEMO' train status '$ID' --json | grep -q 'orchestrator died'"
check "orchestrator killed: hooks.after ran" ran_after "$ID"
check "orchestrator killed: orphaned trainer stopped" eventually 20 dead "$TPID"
check "next run works" test "$(json_get "$T/r.json" "d['state']")" = deployed

# cancel a running run: SIGTERM to the orchestrator -> cancelled, hooks.after
write_config "learning:" "  training:" "    trainer:" \
	"      command: [sh, $SUP/trainer_hang.sh, '{out}']" "    hooks:" "$AFTER"
ID=$("$MNEMO" train request --batch-dir "$T/b" 2>/dev/null)
D="$MNEMO_HOME/training/requests/$ID"
wait_hang "$D" >/dev/null
check "cancel running run" "$MNEMO" train cancel "$ID"
check "cancelled" wait_state "$ID" cancelled 60
check "cancel: hooks.after ran" ran_after "$ID"
check "cancel: current untouched" test "$(current)" = v0001
expect_rc "cancel an ended run: invalid" 4 "$MNEMO" train cancel "$ID"

# systemd runner: a request only writes pending.json; train run --pending runs it
write_config "learning:" "  training:" "    runner: systemd"
ID=$("$MNEMO" train request --batch-dir "$T/b" 2>/dev/null)
check "systemd runner: pending.json names the request" test "$(json_get "$MNEMO_HOME/training/pending.json" "d['request_id']")" = "$ID"
check "systemd runner: run stays requested" test "$(run_state "$ID")" = requested
check "cancel a requested run" "$MNEMO" train cancel "$ID"
check "requested run cancelled, pending.json gone" sh -c "test ! -e '$MNEMO_HOME/training/pending.json'"
ID=$("$MNEMO" train request --batch-dir "$T/b" 2>/dev/null)
"$MNEMO" train run --pending >/dev/null 2>&1
check "train run --pending runs it" test "$(run_state "$ID")" = deployed
check "pending.json removed" test ! -e "$MNEMO_HOME/training/pending.json"
expect_rc "train run --pending with nothing pending: not found" 3 "$MNEMO" train run --pending

# e-stop
touch "$MNEMO_HOME/training.disabled"
expect_rc "e-stop declines manual requests" 5 "$MNEMO" train request --batch-dir "$T/b"
check "e-stop reason" grep -q "training is disabled by $MNEMO_HOME/training.disabled" "$T/err"
rm -f "$MNEMO_HOME/training.disabled"
write_config "learning:" "  training:" "    min_new_examples: 50"
expect_rc "too little data declines" 5 "$MNEMO" train request
check "too-little-data reason" grep -q "too little data: 0 eligible examples, need 50" "$T/err"
