#!/bin/sh
# recall and status only read: they answer while another process holds
# the database's write lock (the recall log is best-effort) and on a data
# home the user may read but not write.
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/mcp/weights.sh"
mcp_ensure_weights || fail "weights" "could not train test weights"

now_ms() { echo $(($(date +%s%N) / 1000000)); }
"$MNEMO" remember "The tide tables were printed on blue paper." >/dev/null 2>&1
"$MNEMO" remember "The harbour crane was repainted yellow." >/dev/null 2>&1
check "memories stored" test "$(sqlite3 "$MNEMO_HOME/mnemo.db" 'select count(*) from raw_memories')" -eq 2

# another process holds the write lock for longer than busy_timeout (10 s)
python3 - "$MNEMO_HOME/mnemo.db" "$T/locked" "$T/release" <<'PY' &
import os, sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN IMMEDIATE")
open(sys.argv[2], "w").close()
end = time.time() + 60
while not os.path.exists(sys.argv[3]) and time.time() < end:
    time.sleep(0.05)
db.execute("ROLLBACK")
PY
LOCKER=$!
echo $LOCKER >>"$T/pids"
eventually 20 test -f "$T/locked"
t0=$(now_ms)
"$MNEMO" recall "tide tables" >"$T/recall.out" 2>"$T/recall.err"
rc=$?
took=$(($(now_ms) - t0))
check "recall answers while another process holds the write lock (rc $rc, ${took} ms)" \
	test $rc -eq 0 -a $took -lt 5000
check "and finds the memory" grep -q "blue paper" "$T/recall.out"
t0=$(now_ms)
"$MNEMO" status --json >"$T/status.out" 2>"$T/status.err"
rc=$?
took=$(($(now_ms) - t0))
check "status answers while another process holds the write lock (rc $rc, ${took} ms)" \
	test $rc -eq 0 -a $took -lt 5000
touch "$T/release"
wait $LOCKER

# a read-only data home (as root, permissions only bind another user)
as_reader() { "$@"; }
if [ "$(id -u)" -eq 0 ]; then
	if command -v setpriv >/dev/null 2>&1; then
		chown -R 65534:65534 "$MNEMO_HOME"
		chmod 755 "$T"
		[ -d "$T/weights" ] && chmod -R a+rX "$T/weights"
		as_reader() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
	else
		as_reader() { return 77; }
	fi
fi
chmod -R a-w "$MNEMO_HOME"
as_reader true
if [ $? -eq 77 ]; then
	pass "read-only data home (skipped: running as root without setpriv)"
else
	as_reader "$MNEMO" recall "harbour crane" >"$T/ro-recall.out" 2>"$T/ro-recall.err"
	rc=$?
	check "recall works on a read-only data home (rc $rc: $(cat "$T/ro-recall.err"))" test $rc -eq 0
	check "and finds the memory" grep -q "repainted yellow" "$T/ro-recall.out"
	as_reader "$MNEMO" status --json >"$T/ro-status.out" 2>"$T/ro-status.err"
	rc=$?
	check "status works on a read-only data home (rc $rc: $(cat "$T/ro-status.err"))" test $rc -eq 0
	check "and counts the memories" test "$(json_get "$T/ro-status.out" 'd["memories"]')" -eq 2
	as_reader "$MNEMO" remember "This cannot be stored." >"$T/ro-remember.out" 2>&1
	rc=$?
	check "remember on a read-only data home fails, with a message" \
		test $rc -ne 0 -a -s "$T/ro-remember.out"
fi
chmod -R u+w "$MNEMO_HOME"
