#!/bin/sh
# Hostile trainers and external students (issue 10): special files in
# {out} are refused without being opened and leave no lock behind; a
# trainer's background children die with it; a model worse on the shipped
# probe set is rejected whatever a small holdout says; an API key given
# only through api_key_env reaches the evaluation of candidate and incumbent.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/train_lib.sh"

mk_batch "$T/b" 60
AFTER="      after: [sh, -c, 'echo \$MNEMO_REQUEST_ID >> $T/after.txt']"
ran_after() { grep -q "$1" "$T/after.txt" 2>/dev/null; }
# hostile CMD...: config with that trainer command
hostile() {
	write_config "learning:" "  training:" "    trainer:" \
		"      command: [$*]" "      timeout_s: 60" "    hooks:" "$AFTER"
}
# request_wait OUT: a run to its end; a hung orchestrator must not hang the test
request_wait() {
	timeout 120 "$MNEMO" train request --batch-dir "$T/b" --wait --json > "$1" 2>"$T/err"
}

# a deployed version, so that rollback has somewhere to go
"$MNEMO" train request --batch-dir "$T/b" --wait --json > "$T/r0.json" 2>/dev/null
check "setup: first run deploys" test "$(current)" = v0001

for kind in fifo model-fifo symlink socket dirlink; do
	hostile "sh, $SUP/trainer_special_file.sh, $MNEMO, '{batch_dir}', '{out}', $kind"
	request_wait "$T/r.json"
	ID=$(json_get "$T/r.json" "d['id']" 2>/dev/null)
	check "$kind in {out}: run ends failed" test "$(json_get "$T/r.json" "d['state']")" = failed
	check "$kind in {out}: error says refused" grep -q "trainer output refused" "$T/r.json"
	check "$kind in {out}: hooks.after ran" ran_after "$ID"
	check "$kind in {out}: nothing registered" test ! -e "$MNEMO_HOME/models/builtin/v0002"
	check "$kind in {out}: current untouched" test "$(current)" = v0001
done
check "fifo: error names the FIFO" sh -c "'$MNEMO' train status --json | grep -q 'is a FIFO'"
check "symlink: error names the link" sh -c "'$MNEMO' train status --json | grep -q 'is a symbolic link'"
check "socket: error names the socket" sh -c "'$MNEMO' train status --json | grep -q 'is a socket'"
check "locks released: rollback works" timeout 60 "$MNEMO" model rollback
check "rollback went to the default" test "$(current)" = default
write_config "learning:" "  training:" "    hooks:" "$AFTER"
request_wait "$T/r.json"
check "locks released: the next run deploys" test "$(json_get "$T/r.json" "d['state']")" = deployed

# a trainer's background child dies with it
hostile "sh, $SUP/trainer_background.sh, $MNEMO, '{batch_dir}', '{out}'"
request_wait "$T/r.json"
ID=$(json_get "$T/r.json" "d['id']")
D="$MNEMO_HOME/training/requests/$ID"
BG=$(cat "$D/bg.pid" 2>/dev/null); echo "$BG" >> "$T/pids"
check "background child: run deployed" test "$(json_get "$T/r.json" "d['state']")" = deployed
check "background child: killed with the trainer" eventually 30 dead "$BG"

# shuffled labels with a holdout that agrees with them: worse on the probe
# set than the shipped default, so rejected however the holdout looks
mk_batch "$T/w" 60
python3 - "$T/w/valid.raw.jsonl" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()][:26]
with open(sys.argv[1], "w") as f:
    for r in rows:
        enc = r["encoded"] if isinstance(r["encoded"], dict) else json.loads(r["encoded"])
        enc.update(significance="critical", emotional_tone="exciting", outcome="failure",
                   salience=1.0, concepts=["zzzz"])
        r["encoded"] = enc
        f.write(json.dumps(r) + "\n")
PY
"$MNEMO" model rollback default >/dev/null 2>&1
check "wrong labels: starts from the shipped default" test "$(current)" = default
write_config "learning:" "  training:" "    trainer:" \
	"      command: [python3, $SUP/trainer_wrong_labels.py, $MNEMO, '{batch_dir}', '{out}', '{seed}']"
timeout 120 "$MNEMO" train request --batch-dir "$T/w" --wait --json > "$T/r.json" 2>/dev/null
ID=$(json_get "$T/r.json" "d['id']")
G="$MNEMO_HOME/training/requests/$ID/gate.json"
check "wrong labels: 26-item holdout" test "$(json_get "$G" "d['eval_set']['n_holdout']")" = 26
check "wrong labels: rejected against the shipped default" test "$(json_get "$T/r.json" "d['state']")" = rejected
check "wrong labels: the probe-set check failed" python3 -c "
import json,sys; g=json.load(open(sys.argv[1]))
sys.exit(0 if any(c.get('part')=='probe' and c['verdict']=='fail' for c in g['checks']) and any('on the probe set' in r for r in g['reasons']) else 1)" "$G"
check "wrong labels: nothing deployed" test "$(current)" = default

# external student, key only in the environment (api_key_env)
echo '{"encode": "echo"}' > "$T/echo.json"
python3 "$SUP/fake_llm.py" --port 0 --port-file "$T/port" --script "$T/echo.json" --log "$T/prod.log" &
echo $! >> "$T/pids"
i=0; while [ ! -s "$T/port" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
PORT=$(cat "$T/port")
export MN_TEST_STUDENT_KEY=sk-test-only-in-env
export MN_TEST_UNRELATED=not-for-children
write_config "student:" \
	"  provider: openai" \
	"  endpoint: http://127.0.0.1:$PORT/v1" \
	"  model: fake-model" \
	"  api_key_env: MN_TEST_STUDENT_KEY" \
	"  timeout_s: 10" \
	"learning:" \
	"  training:" \
	"    trainer:" \
	"      command: [sh, $SUP/trainer_external.sh, '{batch_dir}', '{out}']" \
	"    evaluate:" \
	"      serve_command: [sh, -c, 'env > $T/serve.env; exec python3 $SUP/fake_llm.py --port \$1 --script \$0/script.json --log $T/cand.log', '{artifact}', '{port}']" \
	"      ready_timeout_s: 30"
mk_seed_batch "$T/s" 1 30
timeout 120 "$MNEMO" train request --batch-dir "$T/s" --wait --json > "$T/r.json" 2>"$T/err"
check "api_key_env: external run deployed" test "$(json_get "$T/r.json" "d['state']")" = deployed
check "api_key_env: incumbent called with the key" grep -q "Bearer sk-test-only-in-env" "$T/prod.log"
check "api_key_env: candidate called with the key" grep -q "Bearer sk-test-only-in-env" "$T/cand.log"
check "api_key_env: serve command got the key variable" grep -q "^MN_TEST_STUDENT_KEY=" "$T/serve.env"
check "api_key_env: and no other variable" sh -c "! grep -q MN_TEST_UNRELATED '$T/serve.env'"
check "api_key_env: key not in train.log" sh -c "! grep -rq sk-test-only-in-env '$MNEMO_HOME/training'"
