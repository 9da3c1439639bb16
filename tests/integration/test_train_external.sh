#!/bin/sh
# External student (student.provider openai): a script trainer writes the
# artifact, evaluate.serve_command serves it (fake_llm.py), the production
# student (another fake_llm.py) is the incumbent; full cycle to deploy, with
# registry.deploy_command told about the new artifact.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/train_lib.sh"

echo '{"encode": "echo"}' > "$T/echo.json"
python3 "$SUP/fake_llm.py" --port 0 --port-file "$T/port" --script "$T/echo.json" &
echo $! >> "$T/pids"
i=0; while [ ! -s "$T/port" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
PORT=$(cat "$T/port")

write_config "student:" \
	"  provider: openai" \
	"  endpoint: http://127.0.0.1:$PORT/v1" \
	"  model: fake-model" \
	"  timeout_s: 10" \
	"learning:" \
	"  training:" \
	"    trainer:" \
	"      command: [sh, $SUP/trainer_external.sh, '{batch_dir}', '{out}']" \
	"    evaluate:" \
	"      serve_command: [sh, $SUP/trainer_serve_candidate.sh, '{artifact}', '{port}']" \
	"      ready_timeout_s: 20" \
	"    hooks:" \
	"      after: [sh, -c, 'echo \$MNEMO_REQUEST_ID >> $T/after.txt']" \
	"  registry:" \
	"    deploy_command: [sh, -c, 'echo \"\$0 \$1\" >> $T/deployed.txt', '{version}', '{artifact}']"

# the external student (echo encodings) ignores what the batch teaches
mk_seed_batch "$T/b" 1 30
"$MNEMO" train request --batch-dir "$T/b" --wait --json > "$T/r.json" 2>"$T/err"
ID=$(json_get "$T/r.json" "d['id']")
D="$MNEMO_HOME/training/requests/$ID"
check "external: deployed" test "$(json_get "$T/r.json" "d['state']")" = deployed
check "external: candidate was served and scored" test "$(json_get "$D/gate.json" "d['candidate']['n']")" -ge 40
check "external: incumbent (production student) scored" test "$(json_get "$D/gate.json" "d['incumbent']['n']")" -ge 40
check "external: no candidate encode failed" test "$(json_get "$D/gate.json" "d['candidate']['n_failed']")" = 0
check "external: registry under the model's name" test "$(readlink "$MNEMO_HOME/models/fake-model/current")" = v0001
check "external: artifact copied in" test -s "$MNEMO_HOME/models/fake-model/v0001/script.json"
check "external: deploy_command got version and artifact" grep -q "v0001 $MNEMO_HOME/models/fake-model/v0001" "$T/deployed.txt"
check "external: hooks.after ran" grep -q "$ID" "$T/after.txt"
check "external: serve command stopped" sh -c "! pgrep -f 'fake_ll[m].py --port [0-9]* --script $MNEMO_HOME' >/dev/null"
check "external: server output in train.log" grep -q "evaluating on" "$D/train.log"

# a second run: the incumbent is now the registered artifact, served the same way
"$MNEMO" train request --batch-dir "$T/b" --wait --json > "$T/r2.json" 2>/dev/null
D2="$MNEMO_HOME/training/requests/$(json_get "$T/r2.json" "d['id']")"
check "external: second run against v0001" test "$(json_get "$D2/gate.json" "d['incumbent_version']")" = v0001
check "external: second run deployed" test "$(json_get "$T/r2.json" "d['state']")" = deployed
check "external: model list" sh -c "'$MNEMO' model list --json | grep -q '\"v0002\"'"

# a rollback back to the shipped default tells the server too: {version}
# "default", {artifact} "" (the server goes back to its base model)
check "external: rollback to the default" "$MNEMO" model rollback default
check "external: no current link after rollback to the default" test ! -e "$MNEMO_HOME/models/fake-model/current"
check "external: deploy_command told about the default" test "$(tail -n 1 "$T/deployed.txt")" = "default "
