# Helpers shared by the test_train_*.sh scripts (sourced after lib.sh).
SUP="$ROOT/tests/support"
SEED="$ROOT/data/seed/seed.raw.jsonl"
export MNEMO_DATADIR="$ROOT/data"

# mk_batch DIR N [SEED]: a hand-made batch (train.raw.jsonl, valid.raw.jsonl)
# that teaches the builtin student something the shipped default does not
# know: N rows labelled by a scripted teacher's rules on invented words, plus
# the seed set as replay; the holdout is 60 clean rows of the same rules.
# The default was trained on every seed row, so a batch cut from the seed set
# could never beat it. Batches with the same SEED (default 1) share their
# holdout, and a bigger N extends a smaller one's rows (more data, better
# model). See tests/support/gen_rule_batch.py.
mk_batch() {
	python3 "$SUP/gen_rule_batch.py" --out "$1" --train "$2" --holdout 60 --seed "${3:-1}" ||
		echo "FAIL mk_batch $1: gen_rule_batch.py failed"
}

# mk_seed_batch DIR FIRST LAST: seed rows FIRST..LAST as train, the last 40
# seed rows as holdout: data the shipped default already knows (it was
# trained on all of it), so it cannot teach the student anything.
mk_seed_batch() {
	mkdir -p "$1"
	sed -n "$2,$3p" "$SEED" > "$1/train.raw.jsonl"
	tail -40 "$SEED" > "$1/valid.raw.jsonl"
}

# write_config LINES...: the config file in effect (YAML lines).
write_config() {
	export MNEMO_CONFIG="$T/config.yaml"
	printf '%s\n' "$@" > "$MNEMO_CONFIG"
}

# run_state ID: the run's state
run_state() {
	"$MNEMO" train status "$1" --json 2>/dev/null > "$T/st.json" && json_get "$T/st.json" "d['runs'][0]['state']"
}

# wait_state ID STATE SECONDS
wait_state() {
	i=0
	while [ $i -lt $(($3 * 10)) ]; do
		[ "$(run_state "$1")" = "$2" ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

current() { readlink "$MNEMO_HOME/models/builtin/current" 2>/dev/null || echo default; }

# dead PID: the process is gone or a zombie (killed, not yet reaped: its
# parent died and the reaper it was handed to - PID 1 of a container - may
# be slow). kill -0 succeeds on a zombie, so it cannot tell.
dead() {
	st=$(ps -o stat= -p "$1" 2>/dev/null)
	case $st in
	'' | Z*) return 0 ;;
	*) return 1 ;;
	esac
}
alive() { ! dead "$1"; }

# wait_hang REQUEST_DIR: wait for trainer_hang.sh to write its pid; print it
# and note it for cleanup (a trainer left running by a failed check)
wait_hang() {
	i=0; while [ ! -s "$1/hang.pid" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
	cat "$1/hang.pid" 2>/dev/null | tee -a "$T/pids"
}
