#!/bin/sh
# Run every test suite against the build in $MNEMO_BUILD (default: build) and
# end with one line "N passed, N failed" summing them all.
set -u
cd "$(dirname "$0")/.."
B=${MNEMO_BUILD:-build}
export MNEMO_BIN="$PWD/$B/mnemo"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export TMPDIR=${TMPDIR:-/tmp}
PASSED=0
FAILED=0
LOG=$(mktemp)

add() { PASSED=$((PASSED + $1)); FAILED=$((FAILED + $2)); }

echo "== unit tests ($B)"
for t in "$B"/tests/test_*; do
	[ -x "$t" ] || continue
	# the binaries live in $B/tests: point them at the shipped data
	MNEMO_DATADIR=${MNEMO_DATADIR:-$PWD/data} "$t" >"$LOG" 2>&1
	rc=$?
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$LOG" | tail -1)
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$LOG" | tail -1)
	p=${p:-0}; f=${f:-0}
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
	if [ "$f" -ne 0 ]; then
		echo "-- $(basename "$t"): $p passed, $f failed"; cat "$LOG"
	else
		echo "   $(basename "$t"): $p passed"
	fi
	add "$p" "$f"
done

echo "== fuzz corpus replay"
for t in "$B"/fuzz/fuzz_*; do
	[ -x "$t" ] || continue
	name=$(basename "$t")
	dir="tests/fuzz/corpus/${name#fuzz_}"
	if MNEMO_DATADIR=${MNEMO_DATADIR:-$PWD/data} "$t" "$dir" >"$LOG" 2>&1; then
		echo "   $name: $(tail -1 "$LOG")"; add 1 0
	else
		echo "-- $name failed"; cat "$LOG"; add 0 1
	fi
done

echo "== integration tests"
for t in tests/integration/test_*.sh; do
	[ -f "$t" ] || continue
	sh "$t" >"$LOG" 2>&1
	rc=$?
	p=$(grep -c '^PASS ' "$LOG")
	f=$(grep -c '^FAIL ' "$LOG")
	# a test that cannot run here says why on a SKIP line
	grep '^SKIP ' "$LOG" | sed 's/^/   /'
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
	if [ "$f" -ne 0 ]; then
		echo "-- $(basename "$t"): $p passed, $f failed"; cat "$LOG"
	else
		echo "   $(basename "$t"): $p passed"
	fi
	add "$p" "$f"
done
rm -f "$LOG"
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
