# Shared helpers for integration tests: each check prints "PASS name" or
# "FAIL name: why"; tests/run.sh counts them. Every test gets a fresh
# MNEMO_HOME and no config file.
set -u
MNEMO=${MNEMO_BIN:-$(cd "$(dirname "$0")/../.." && pwd)/build/mnemo}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
T=$(mktemp -d "${TMPDIR:-/tmp}/mnemo-it-XXXXXX")
export MNEMO_HOME="$T/home"
export MNEMO_CONFIG="$T/none.yaml"
export XDG_CONFIG_HOME="$T/xdg"
unset MNEMO_FAKE_NOW
cleanup() {
	for p in $(cat "$T"/pids 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
	# KEEP_T=1 keeps the test's files for debugging
	if [ -n "${KEEP_T:-}" ]; then echo "kept $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT
# no config file in effect unless a test writes one
unset MNEMO_CONFIG

pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: ${2:-}"; }
# show_output FILE: the last lines of a failed command's output, indented
# so that no line of it can be counted as a PASS or FAIL of its own
show_output() { tail -n 20 "$1" | cut -c 1-300 | sed 's/^/    | /'; }
# check NAME COMMAND...: pass when the command succeeds; on failure the FAIL
# line gives the exit status, and the command's stdout and stderr follow it
check() {
	name=$1; shift
	"$@" >"$T/check.out" 2>&1; _check_rc=$?
	if [ "$_check_rc" -eq 0 ]; then pass "$name"; else fail "$name" "rc $_check_rc: $*"; show_output "$T/check.out"; fi
}
# expect_rc NAME RC COMMAND...
expect_rc() {
	name=$1; want=$2; shift 2
	"$@" >"$T/out" 2>"$T/err"; got=$?
	if [ "$got" -eq "$want" ]; then pass "$name"; else fail "$name" "rc $got, want $want: $(cat "$T/err")"; fi
}
# json_get FILE PYTHON-EXPR (d is the parsed JSON)
json_get() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"; }
# eventually SECS COMMAND...: succeed as soon as the command does, within SECS
eventually() {
	n=$(($1 * 10)); shift
	while [ "$n" -gt 0 ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1; n=$((n - 1))
	done
	"$@"
}
