#!/bin/sh
# bench_cli.sh - what one CLI process costs, against sqlite3 in the same run.
#
#   bench/bench_cli.sh [MNEMO_BIN] [RUNS]
#
# Runs each command RUNS times (default 50) on a fresh data home (no config:
# the builtin student encoding inline, no daemon, no HTTP model) and prints,
# per command, the mean user+system CPU time per process and, where `perf`
# can count them, the mean instructions per process (without hardware
# counters, as in most VMs: one run under valgrind's callgrind), then each
# as a ratio to sqlite3:
#   sqlite3       sqlite3 :memory: 'select 1' (the yardstick)
#   version       mnemo version
#   recall        mnemo recall x
#   remember      mnemo remember TEXT, a new TEXT every run (a counter in
#                 it): stored, encoded by the builtin student, indexed
#   remember-dup  the same TEXT every run: the duplicate path (no encoding)
#   remember-hash as remember, on a data home whose verified-digest cache
#                 cannot be written (cache/ is a file), so every process
#                 hashes model.bin in full (docs/model-format.md, Checksum):
#                 what a first remember costs, and what each one cost before
#   remember-daemon as remember, with `mnemo serve` running on its data home:
#                 the text is stored and queued for the daemon (an agent's
#                 hook under the embedded default); the daemon's CPU is not
#                 counted
# Targets (issue 13): version and recall within 2x of sqlite3, remember
# within 3x. The last line checks that every remember was encoded inline.
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

# loop NAME CMD... : runs CMD RUNS times; prints "NAME cpu_ms instr".
# With DISTINCT=1 each run gets one more argument, a new observation text
# (the loop shell's pid and a counter make it unique across passes).
loop() {
	name=$1
	shift
	if [ "${DISTINCT:-0}" = 1 ]; then
		cat >"$TMP/loop.sh" <<LOOP
i=0
while [ \$i -lt $RUNS ]; do
	"\$@" "bench observation \$\$-\$i: the deploy of service \$i failed at 10:42 because the disk was full" >/dev/null 2>&1 || true
	i=\$((i+1))
done
LOOP
	else
		cat >"$TMP/loop.sh" <<LOOP
i=0
while [ \$i -lt $RUNS ]; do "\$@" >/dev/null 2>&1 || true; i=\$((i+1)); done
LOOP
	fi
	# CPU time of the loop's children, from the shell's `times`
	cpu=$(sh -c '. "$0"; times' "$TMP/loop.sh" "$@" | tail -1 |
		awk -v n="$RUNS" '{ t=0; for (f=1; f<=2; f++) { split($f, a, "m"); sub("s", "", a[2]); t += a[1]*60 + a[2] } printf "%.3f", t*1000/n }')
	ins=-
	if [ -n "$PERF" ]; then
		ins=$(perf stat -x, -e instructions:u sh "$TMP/loop.sh" "$@" 2>&1 >/dev/null |
			awk -F, -v n="$RUNS" '/instructions/ { printf "%.0f", $1/n }')
	elif [ -n "$VG" ]; then
		# no hardware counters (a VM): one run under callgrind, loader included
		if [ "${DISTINCT:-0}" = 1 ]; then
			set -- "$@" "bench observation under callgrind: the disk of host $name filled at 10:42"
		fi
		ins=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 >/dev/null |
			awk '/Collected :/ { print $NF }')
	fi
	echo "$name $cpu $ins"
}

# a second data home whose digest cache cannot be written: every process
# hashes model.bin (the remember-hash line)
mkdir -p "$TMP/nocache"
: >"$TMP/nocache/cache"
MNEMO_HOME="$TMP/nocache" "$BIN" remember "bench warm-up: no digest cache" >/dev/null 2>&1

# a third data home with the daemon running: remember only queues the text
# for it (what an agent's hook costs under `mnemo serve`, the embedded
# default that `make run` starts); the daemon's own CPU is not counted
mkdir -p "$TMP/daemon"
MNEMO_HOME="$TMP/daemon" "$BIN" serve >"$TMP/serve.log" 2>&1 &
SERVE=$!
trap 'kill $SERVE 2>/dev/null; wait $SERVE 2>/dev/null; rm -rf "$TMP"' EXIT
i=0
until MNEMO_HOME="$TMP/daemon" "$BIN" status 2>/dev/null | grep -q '^daemon  *running'; do
	i=$((i + 1))
	[ $i -lt 600 ] || { echo "bench_cli: the daemon did not start" >&2; exit 1; }
	sleep 0.1
done

{
	loop sqlite3 sqlite3 :memory: 'select 1'
	loop version "$BIN" version
	loop recall "$BIN" recall x
	(DISTINCT=1 && loop remember "$BIN" remember)
	loop remember-dup "$BIN" remember x
	(MNEMO_HOME="$TMP/nocache" && DISTINCT=1 && loop remember-hash "$BIN" remember)
	(MNEMO_HOME="$TMP/daemon" && DISTINCT=1 && loop remember-daemon "$BIN" remember)
} >"$TMP/res"
kill $SERVE 2>/dev/null
wait $SERVE 2>/dev/null || true

echo "runs per command: $RUNS; binary: $BIN; instructions: ${PERF:-${VG:-none}}"
awk '
NR == 1 { bc = $2; bi = $3 }
{
	rc = (bc > 0) ? sprintf("%.2fx", $2 / bc) : "-"
	ri = ($3 != "-" && bi > 0) ? sprintf("%.2fx", $3 / bi) : "-"
	printf "%-15s cpu %7.2f ms/run (%6s)   instructions %11s/run (%6s)\n", $1, $2, rc, $3, ri
}' "$TMP/res"
# every remember stored and encoded inline: nothing queued, nothing failed
# (warm-up, x, RUNS new texts per timed pass, one under callgrind)
passes=1
[ -z "$PERF" ] || passes=2
vgrun=0
[ -z "$VG" ] || vgrun=1
want=$((2 + RUNS * passes + vgrun))
"$BIN" status 2>/dev/null | awk -v want="$want" '
/^  (queued|claimed|encoded|failed) / { n[$1] = $2 }
END { printf "remember check: %d encoded inline (expected %d), %d queued, %d failed\n", n["encoded"], want, n["queued"] + n["claimed"], n["failed"] }'

