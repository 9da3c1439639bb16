#!/bin/sh
# Crash safety: SIGKILL `mnemo serve` in the middle of a burst of concurrent
# `remember` calls; every remember that returned success must still be
# there, and the next start must recover the queue and encode everything.
. "$(dirname "$0")/lib.sh"

"$MNEMO" serve --no-dream >"$T/serve.log" 2>&1 &
SERVE=$!
echo $SERVE >>"$T/pids"
i=0
while [ $i -lt 300 ] && ! grep -q "serving" "$T/serve.log"; do sleep 0.1; i=$((i+1)); done
check "daemon started" grep -q "serving" "$T/serve.log"

# four writers, 40 memories each, while the daemon encodes
for w in 1 2 3 4; do
	(
		n=0
		while [ $n -lt 40 ]; do
			if "$MNEMO" remember --json "writer $w observation $n about crash safety" >>"$T/ok.$w" 2>>"$T/err.$w"; then :; fi
			n=$((n+1))
		done
	) &
	echo $! >>"$T/writers"
done
# kill the daemon once a few remembers were acknowledged (however slow the machine)
i=0
while [ $i -lt 200 ] && [ "$(cat "$T"/ok.* 2>/dev/null | grep -c raw_id)" -lt 8 ]; do
	sleep 0.05; i=$((i+1))
done
kill -9 $SERVE
for p in $(cat "$T/writers"); do wait "$p"; done
wait $SERVE 2>/dev/null

OK=$(cat "$T"/ok.* | python3 -c "import sys,json; print(sum(1 for l in sys.stdin if l.strip().startswith('\"raw_id\"')))")
check "some remembers succeeded during the burst" test "$OK" -gt 0
cat "$T"/ok.* | python3 -c "
import sys, json, re
ids = re.findall(r'\"raw_id\": \"([0-9a-f-]{36})\"', sys.stdin.read())
open('$T/ids', 'w').write('\n'.join(ids))
print(len(ids))
" >/dev/null
LOST=$(python3 - "$MNEMO_HOME/mnemo.db" "$T/ids" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
ids = [l.strip() for l in open(sys.argv[2]) if l.strip()]
have = {r[0] for r in db.execute("select id from raw_memories")}
print(sum(1 for i in ids if i not in have))
PY
)
check "no acknowledged memory lost ($OK acknowledged)" test "$LOST" -eq 0

# restart: the queue is recovered and drained
MNEMO_FAKE_NOW= "$MNEMO" serve --no-dream >"$T/serve2.log" 2>&1 &
S2=$!
echo $S2 >>"$T/pids"
i=0
while [ $i -lt 100 ]; do
	left=$(sqlite3 "$MNEMO_HOME/mnemo.db" "select count(*) from raw_memories where state in ('queued','claimed')")
	[ "$left" -eq 0 ] && break
	sleep 0.2; i=$((i+1))
done


queued=$(sqlite3 "$MNEMO_HOME/mnemo.db" "select count(*) from raw_memories where state='queued'")
check "restart drains the queue" test "$queued" -eq 0
kill -TERM $S2
wait $S2; rc=$?
check "SIGTERM shuts down cleanly (exit 0)" test "$rc" -eq 0
check "clean shutdown logged" grep -q "stopped cleanly" "$T/serve2.log"
check "integrity check passes" sh -c "[ \"\$(sqlite3 \"$MNEMO_HOME/mnemo.db\" 'pragma integrity_check')\" = ok ]"
