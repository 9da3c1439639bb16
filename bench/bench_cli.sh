#!/bin/sh
# bench_cli.sh - what one CLI process costs, against sqlite3 in the same run.
#
#   bench/bench_cli.sh [MNEMO_BIN] [RUNS]
#
# Runs `mnemo version`, `mnemo recall x`, `mnemo remember x` and
# `sqlite3 :memory: 'select 1'` RUNS times each (default 50) on a fresh data
# home (no config: the builtin student, no HTTP model) and prints, per
# command, the mean user+system CPU time per process and, where `perf` can
# count them, the mean instructions per process (without hardware counters,
# as in most VMs: one run under valgrind's callgrind), then each as a ratio
# to sqlite3. Targets (issue 13): version and recall within 2x of sqlite3,
# remember within 3x.
set -eu

BIN=${1:-${MNEMO_BIN:-build/mnemo}}
RUNS=${2:-50}
command -v sqlite3 >/dev/null || { echo "bench_cli: sqlite3 not found" >&2; exit 1; }
[ -x "$BIN" ] || { echo "bench_cli: $BIN is not executable" >&2; exit 1; }

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
export MNEMO_HOME="$TMP/home"
: >"$TMP/config.yaml"
export MNEMO_CONFIG="$TMP/config.yaml"
export MNEMO_DATADIR="${MNEMO_DATADIR:-$(pwd)/data}"
"$BIN" remember "bench warm-up: the data home exists before timing" >/dev/null 2>&1

PERF=""
if command -v perf >/dev/null 2>&1 &&
	perf stat -x, -e instructions:u true 2>&1 >/dev/null | grep -q '^[0-9]'; then
	PERF=perf
fi

VG=""
if [ -z "$PERF" ] && command -v valgrind >/dev/null 2>&1; then
	VG="valgrind (one run)"
fi

# loop NAME CMD... : runs CMD RUNS times; prints "NAME cpu_ms instr"
loop() {
	name=$1
	shift
	cat >"$TMP/loop.sh" <<LOOP
i=0
while [ \$i -lt $RUNS ]; do "\$@" >/dev/null 2>&1 || true; i=\$((i+1)); done
LOOP
	# CPU time of the loop's children, from the shell's `times`
	cpu=$(sh -c '. "$0"; times' "$TMP/loop.sh" "$@" | tail -1 |
		awk -v n="$RUNS" '{ t=0; for (f=1; f<=2; f++) { split($f, a, "m"); sub("s", "", a[2]); t += a[1]*60 + a[2] } printf "%.3f", t*1000/n }')
	ins=-
	if [ -n "$PERF" ]; then
		ins=$(perf stat -x, -e instructions:u sh "$TMP/loop.sh" "$@" 2>&1 >/dev/null |
			awk -F, -v n="$RUNS" '/instructions/ { printf "%.0f", $1/n }')
	elif [ -n "$VG" ]; then
		# no hardware counters (a VM): one run under callgrind, loader included
		ins=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 >/dev/null |
			awk '/Collected :/ { print $NF }')
	fi
	echo "$name $cpu $ins"
}

{
	loop sqlite3 sqlite3 :memory: 'select 1'
	loop version "$BIN" version
	loop recall "$BIN" recall x
	loop remember "$BIN" remember x
} >"$TMP/res"

echo "runs per command: $RUNS; binary: $BIN; instructions: ${PERF:-${VG:-none}}"
awk '
NR == 1 { bc = $2; bi = $3 }
{
	rc = (bc > 0) ? sprintf("%.2fx", $2 / bc) : "-"
	ri = ($3 != "-" && bi > 0) ? sprintf("%.2fx", $3 / bi) : "-"
	printf "%-9s cpu %7.2f ms/run (%6s)   instructions %11s/run (%6s)\n", $1, $2, rc, $3, ri
}' "$TMP/res"
