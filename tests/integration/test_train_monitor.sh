#!/bin/sh
# Post-deploy monitor: the first monitor.window encodings of a new version
# score far below its gate scores -> automatic rollback to the previous
# version, run rolled_back, live metrics recorded. Once through the daemon's
# worker observer, once through the dream cycle (CLI inline encodings).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/train_lib.sh"

write_config "learning:" "  monitor:" "    window: 3" "    max_drop_pp: 5" \
	"  trigger:" "    auto: false"
# a scripted teacher's batches (train_lib.sh): 60 and 300 rows of new
# knowledge sharing one holdout; the second deploys against the first
mk_batch "$T/small" 60
mk_batch "$T/big" 300
"$MNEMO" train request --batch-dir "$T/small" --wait >/dev/null 2>&1
"$MNEMO" train request --batch-dir "$T/big" --wait --json > "$T/r2.json" 2>/dev/null
R2=$(json_get "$T/r2.json" "d['id']")
check "two versions deployed" test "$(current)" = v0002

# A live drop is simulated by raising the gate scores v0002 must hold live
# (the builtin student is extractive: its live EPR/SC do not drop by
# themselves).
raise_gate() {
	python3 -c "
import sqlite3,sys
db=sqlite3.connect(sys.argv[1])
db.execute(\"UPDATE model_versions SET gate_metrics='{\\\"epr\\\":1.5,\\\"sc_rate\\\":1.5}', live_metrics=NULL WHERE version=?\", (sys.argv[2],))
db.commit()" "$MNEMO_HOME/mnemo.db" "$1"
}
raise_gate v0002

# through the daemon's worker observer
"$MNEMO" serve --no-dream >"$T/serve.log" 2>&1 &
SP=$!
echo $SP >> "$T/pids"
sleep 1
for i in 1 2 3 4; do
	"$MNEMO" remember "Rotated the TLS certificate on host web$i; expires 2027-0$i-01." >/dev/null 2>&1
done
i=0; while [ "$(current)" != v0001 ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
check "observer rolled back to v0001" test "$(current)" = v0001
# the daemon swaps `current` first, then records the run: wait for both
state_is() { test "$(run_state "$1")" = "$2"; }
check "run marked rolled_back" eventually 20 state_is "$R2" rolled_back
check "version marked rolled_back with live metrics" eventually 20 python3 -c "
import json,sys,subprocess
d=json.loads(subprocess.check_output([sys.argv[1],'model','list','--json']))
v=[x for x in d['versions'] if x['version']=='v0002'][0]
sys.exit(0 if v['state']=='rolled_back' and v['live_metrics']['verdict']=='rolled_back' and v['live_metrics']['n']==3 else 1)" "$MNEMO"
check "monitor logged the rollback" eventually 20 grep -q "post-deploy monitor" "$T/serve.log"
kill -TERM $SP; wait $SP 2>/dev/null

# through the dream cycle: deploy again, encode inline with the CLI, dream
"$MNEMO" train request --batch-dir "$T/big" --wait --json > "$T/r3.json" 2>/dev/null
R3=$(json_get "$T/r3.json" "d['id']")
V3=$(json_get "$T/r3.json" "d['deployed_version']")
check "third run deployed" test "$(current)" = "$V3"
raise_gate "$V3"
for i in 1 2 3; do
	"$MNEMO" remember "Upgraded PostgreSQL to v16.$i on db$i; migration took $i minutes." >/dev/null 2>&1
done
check "inline encodings used the new version" test "$(current)" = "$V3"
"$MNEMO" dream --json > "$T/dream.json" 2>"$T/dream.err"
check "dream cycle rolled back" test "$(current)" = v0001
check "third run rolled_back" test "$(run_state "$R3")" = rolled_back
