#!/bin/sh
# The closed loop on the builtin student: request -> batch -> trainer ->
# evaluate candidate and incumbent -> gate -> deploy | reject -> hooks.after
# -> result; registry rollback/pin; worse models rejected.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/train_lib.sh"

write_config "learning:" \
	"  training:" \
	"    min_new_examples: 5" \
	"    hooks:" \
	"      before: [sh, -c, 'echo before \$MNEMO_REQUEST_ID >> $T/hooks.txt']" \
	"      after: [sh, -c, 'echo after \$MNEMO_REQUEST_ID >> $T/hooks.txt']"

# A scripted teacher's batches (train_lib.sh mk_batch): 60 and 300 rows
# labelled by rules on invented words the shipped default never saw, plus the
# seed set as replay; both share one holdout of 60 rows of the same rules.
mk_batch "$T/small" 60
mk_batch "$T/big" 300
# seed rows only: nothing the shipped default (trained on all of them) lacks
mk_seed_batch "$T/seedonly" 1 40

# better_on_holdout GATE_JSON: the candidate agrees with the holdout's targets
# more than the incumbent does (enum accuracy + concept F1)
better_on_holdout() {
	python3 -c "
import json,sys
g=json.load(open(sys.argv[1]))
c,i=g['candidate']['holdout'],g['incumbent']['holdout']
sys.exit(0 if c['enum_acc']+c['concept_f1'] > i['enum_acc']+i['concept_f1'] else 1)" "$1"
}

# (a) the shipped default is the incumbent of the first run: a batch that
# teaches it nothing new gives a worse candidate, which the gate rejects
"$MNEMO" train request --batch-dir "$T/seedonly" --wait --json > "$T/r0.json" 2>"$T/err"
R0=$(json_get "$T/r0.json" "d['id']")
check "seed-only batch rejected against the shipped default" test "$(json_get "$T/r0.json" "d['state']")" = rejected
check "seed-only batch: gate compared with the default" python3 -c "
import json,sys; g=json.load(open(sys.argv[1]))
sys.exit(0 if g['incumbent_version']=='default' and g['incumbent'] and any('worse than the incumbent' in r for r in g['reasons']) else 1)" "$MNEMO_HOME/training/requests/$R0/gate.json"
check "seed-only batch: nothing deployed" test "$(current)" = default

# first run, small batch of new knowledge: better than the default -> deployed
"$MNEMO" train request --batch-dir "$T/small" --wait --json > "$T/r1.json" 2>"$T/err"
check "first run deploys" test "$(json_get "$T/r1.json" "d['state']")" = deployed
R1=$(json_get "$T/r1.json" "d['id']")
check "current points at v0001" test "$(current)" = v0001
D1="$MNEMO_HOME/training/requests/$R1"
check "request files are there" test -s "$D1/request.json" -a -s "$D1/result.json" -a -s "$D1/gate.json" -a -s "$D1/train.log"
check "result.json says deployed" test "$(json_get "$D1/result.json" "d['state']")" = deployed
check "first run compared with the shipped default" test "$(json_get "$D1/gate.json" "d['incumbent_version']")" = default
check "first candidate scores better than the default on the holdout" better_on_holdout "$D1/gate.json"
check "hooks ran before and after" test "$(grep -c "$R1" "$T/hooks.txt")" = 2
check "meta.json has checksums" test "$(json_get "$MNEMO_HOME/models/builtin/v0001/meta.json" "len(d['sha256'])")" -ge 1
check "pending.json not used by supervised runner" test ! -e "$MNEMO_HOME/training/pending.json"

# second run, bigger batch: evaluated against v0001 on the same eval set
"$MNEMO" train request --batch-dir "$T/big" --reason "more data" --wait --json > "$T/r2.json" 2>"$T/err"
check "second run deploys" test "$(json_get "$T/r2.json" "d['state']")" = deployed
R2=$(json_get "$T/r2.json" "d['id']")
D2="$MNEMO_HOME/training/requests/$R2"
check "gate compared with the incumbent" test "$(json_get "$D2/gate.json" "d['incumbent_version']")" = v0001
check "candidate scores better on the holdout" better_on_holdout "$D2/gate.json"
check "gate.json lists checks with both values" python3 -c "
import json,sys
g=json.load(open(sys.argv[1]))
ok=all(set(('name','candidate','incumbent','threshold','verdict'))<=set(c) for c in g['checks'])
sys.exit(0 if ok and any(c['verdict']=='pass' and c['kind']=='regression' for c in g['checks']) else 1)" "$D2/gate.json"
check "current points at v0002" test "$(current)" = v0002

# (b) a worse model (wrong labels) is rejected; current untouched
write_config "learning:" \
	"  training:" \
	"    trainer:" \
	"      command: [python3, $SUP/trainer_wrong_labels.py, $MNEMO, '{batch_dir}', '{out}', '{seed}']" \
	"    hooks:" \
	"      after: [sh, -c, 'echo after \$MNEMO_REQUEST_ID >> $T/hooks.txt']"
expect_rc "worse model: exit 1" 1 "$MNEMO" train request --batch-dir "$T/big" --wait --json
cp "$T/out" "$T/r3.json"
check "worse model rejected" test "$(json_get "$T/r3.json" "d['state']")" = rejected
check "rejection names a regression" python3 -c "
import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if any('worse than the incumbent' in r for r in d['gate_reasons']) else 1)" "$T/r3.json"
check "current untouched after rejection" test "$(current)" = v0002
check "rejected candidate not registered" test ! -e "$MNEMO_HOME/models/builtin/v0003"

# garbage artifact: exit 0 but unusable -> rejected
write_config "learning:" "  training:" "    trainer:" "      command: [sh, $SUP/trainer_garbage.sh, '{out}']"
"$MNEMO" train request --batch-dir "$T/big" --wait --json > "$T/r4.json" 2>/dev/null
check "garbage artifact rejected" test "$(json_get "$T/r4.json" "d['state']")" = rejected
check "current untouched after garbage" test "$(current)" = v0002

# registry: list, show, rollback, pin, unpin
write_config "learning:" "  training:" "    min_new_examples: 5"
"$MNEMO" model list --json > "$T/list.json"
check "model list shows two versions, v0002 current" python3 -c "
import json,sys; d=json.load(open(sys.argv[1]))['versions']
sys.exit(0 if [v['version'] for v in d]==['v0001','v0002'] and d[1]['current'] and 'epr' in d[1]['gate_metrics'] else 1)" "$T/list.json"
check "model show v0001" "$MNEMO" model show v0001 --json
expect_rc "model show unknown: not found" 3 "$MNEMO" model show v0099
check "rollback to previous" "$MNEMO" model rollback
check "current is v0001 after rollback" test "$(current)" = v0001
check "rolled-back run marked" test "$(run_state "$R2")" = rolled_back
check "encoder follows the symlink" sh -c "'$MNEMO' status --json | grep -q 'builtin@v0001'"
check "pin v0002" "$MNEMO" model pin v0002
check "current is v0002 after pin" test "$(current)" = v0002
"$MNEMO" train request --batch-dir "$T/big" --wait --json > "$T/r5.json" 2>/dev/null
check "run while pinned does not switch" test "$(current)" = v0002
check "run while pinned registers its version" test -d "$MNEMO_HOME/models/builtin/v0003"
check "result says pinned" test "$(json_get "$MNEMO_HOME/training/requests/$(json_get "$T/r5.json" "d['id']")/result.json" "d.get('pinned')")" = v0002
check "unpin" "$MNEMO" model unpin
check "rollback to a named version" "$MNEMO" model rollback v0003
check "current is v0003" test "$(current)" = v0003

# the assembled path: remembered memories (encoded by the deployed model),
# human corrections, a run on the assembled batch. A remembered memory is an
# eligible (gold) row only when the model is confident about it
# (learning.min_confidence); how confident a model trained on the teacher's
# invented words is about ordinary text is not what this tests, so every
# faithful encoding counts as gold here. Gold rows are the student's own
# output: replay, never evidence, so a run needs labelled rows
# (min_labelled_examples, 2 here). No holdout: which rows a hash puts there
# must not decide whether the two corrections are left to train on.
write_config "learning:" "  min_confidence: 0" "  training:" "    min_new_examples: 5" \
	"    min_labelled_examples: 2" "    holdout_fraction: 0"
i=0
while [ $i -lt 12 ]; do
	i=$((i + 1))
	"$MNEMO" remember --json "Deployed version v1.$i of the Redis cache on host db$i after fixing /etc/redis/redis$i.conf; latency dropped to $((i * 3)) ms." > "$T/rem.json" 2>/dev/null
done
MID=$(json_get "$T/rem.json" "d['memory_id']")
expect_rc "only the student's own encodings: the run is declined" 5 "$MNEMO" train request
"$MNEMO" train request --json > "$T/decl.json" 2>/dev/null
check "the declined request says why" python3 -c "
import json,sys; d=json.load(open(sys.argv[1]))
sys.exit(0 if d['accepted'] is False and 'too few labelled examples: 0' in d['reason'] else 1)" "$T/decl.json"
# amend_like MEMORY_ID TEXT: a human correction of a remembered memory
amend_like() {
	python3 -c "
import json,sys
t=sys.argv[1]; g=t[:60].rsplit(' ',1)[0]
print(json.dumps({'gist':g,'summary':t,'content':t,'narrative':'','concepts':['storage'],
 'structured_concepts':{'topics':[{'label':'storage','path':'storage'}],'entities':[],'actions':[],'causality':[]},
 'significance':'notable','emotional_tone':'satisfying','outcome':'success','salience':0.6}))" "$2" > "$T/amend2.json"
	"$MNEMO" amend "$1" - < "$T/amend2.json" >/dev/null 2>&1
}
"$MNEMO" remember --json "Resized the volume of db13 to 40 GB." > "$T/rem2.json" 2>/dev/null
check "second human correction recorded" amend_like "$(json_get "$T/rem2.json" "d['memory_id']")" "Resized the volume of db13 to 40 GB."
TXT="Deployed version v1.12 of the Redis cache on host db12 after fixing /etc/redis/redis12.conf; latency dropped to 36 ms."
python3 -c "
import json,sys
t=sys.argv[1]; s=t.split('; ')[0]+'.'
print(json.dumps({'gist':'Deployed version v1.12 of the Redis cache on host db12','summary':t,'content':t,'narrative':'',
 'concepts':['redis','cache','latency'],'structured_concepts':{'topics':[{'label':'redis','path':'redis'},{'label':'cache','path':'cache'}],
 'entities':[{'name':'/etc/redis/redis12.conf','type':'file','context':s[:60]}],'actions':[],'causality':[]},
 'significance':'notable','emotional_tone':'satisfying','outcome':'success','salience':0.6}))" "$TXT" > "$T/amend.json"
check "human correction recorded" "$MNEMO" amend "$MID" - < "$T/amend.json"
"$MNEMO" experience stats --json > "$T/stats.json" 2>/dev/null
check "remembered memories are eligible rows" python3 -c "
import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if d['corrected']==2 and d['gold']+d['corrected']>=13 else 1)" "$T/stats.json"
"$MNEMO" train request --reason "assembled" --wait --json > "$T/r6.json" 2>/dev/null
S6=$(json_get "$T/r6.json" "d['state']")
check "assembled batch run ends deployed or rejected" sh -c "test '$S6' = deployed -o '$S6' = rejected"
check "assembled run recorded batch counts" test "$(json_get "$T/r6.json" "d['counts']['n_train']")" -ge 1
check "status shows learning state" sh -c "'$MNEMO' train status | grep -q deployed"

# a failed run on an assembled batch releases its rows
i=0
while [ $i -lt 8 ]; do
	i=$((i + 1))
	"$MNEMO" remember --json "Moved the nightly backup of volume vol$i to 0$i:30 UTC; it now writes /var/backups/vol$i.tar." > "$T/rem3.json" 2>/dev/null
	[ $i -le 2 ] && amend_like "$(json_get "$T/rem3.json" "d['memory_id']")" \
		"Moved the nightly backup of volume vol$i to 0$i:30 UTC; it now writes /var/backups/vol$i.tar."
done
write_config "learning:" "  min_confidence: 0" "  training:" "    min_new_examples: 5" \
	"    min_labelled_examples: 2" "    holdout_fraction: 0" "    trainer:" \
	"      command: [sh, $SUP/trainer_crash.sh, '{out}']"
"$MNEMO" train request --wait --json > "$T/r7.json" 2>/dev/null
check "crash on assembled batch: failed" test "$(json_get "$T/r7.json" "d['state']")" = failed
check "crash on assembled batch: batch had rows" test "$(json_get "$T/r7.json" "d['counts']['n_train']")" -ge 1
"$MNEMO" experience stats --json > "$T/stats.json" 2>/dev/null
check "failed run released its rows" test "$(json_get "$T/stats.json" "d['in_batch']")" = 0
expect_rc "released rows are eligible again (run starts, crashes)" 1 "$MNEMO" train request --wait

# install-units
"$MNEMO" install-units --dir "$T/units" --json > "$T/units.json"
check "units written" test -s "$T/units/mnemo.service" -a -s "$T/units/mnemo-train.path" -a -s "$T/units/mnemo-train.service"
check "service is Type=notify with the real exe" sh -c "grep -q '^Type=notify' '$T/units/mnemo.service' && grep -q \"\$(readlink -f '$MNEMO')\" '$T/units/mnemo.service'"
check "path unit watches pending.json" grep -q "PathExists=$MNEMO_HOME/training/pending.json" "$T/units/mnemo-train.path"
check "train service runs --pending" grep -q 'train run --pending' "$T/units/mnemo-train.service"
