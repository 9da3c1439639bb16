#!/bin/sh
# The same text remembered by several processes at the same instant is
# stored once (issue 13): exactly one of them stores it, every other one
# returns that memory with duplicate: true, and each repetition is counted.
. "$(dirname "$0")/lib.sh"
M=$MNEMO
N=5        # processes per round
ROUNDS=4

# The first command creates the data home: no round races its migration.
$M remember -p warm "the data home exists" >/dev/null 2>&1

ok=1
r=1
while [ $r -le $ROUNDS ]; do
	rm -f "$T/go" "$T"/ready.* "$T"/out.*
	i=1
	while [ $i -le $N ]; do
		# each waits for the same go file, so all start within one poll
		# (whitespace differs: the same text after normalisation)
		(
			: >"$T/ready.$i"
			while [ ! -e "$T/go" ]; do sleep 0.01; done
			case $i in
			1) text="Race round $r: the build cache lives in /var/cache/ci" ;;
			*) text="Race round $r:  the build cache lives in
/var/cache/ci " ;;
			esac
			exec "$M" remember --json -p race "$text"
		) >"$T/out.$i" 2>"$T/err.$i" &
		echo $! >>"$T/pids"
		i=$((i + 1))
	done
	# start them together once all are waiting
	n=0
	while [ "$(ls "$T" | grep -c '^ready\.')" -lt $N ] && [ $n -lt 3000 ]; do
		sleep 0.01; n=$((n + 1))
	done
	: >"$T/go"
	wait
	res=$(python3 - "$T" $N <<'EOF'
import json, sys
t, n = sys.argv[1], int(sys.argv[2])
outs = []
for i in range(1, n + 1):
    try:
        outs.append(json.load(open("%s/out.%d" % (t, i))))
    except Exception as e:
        print("process %d printed no result (%s): %s" % (i, e, open("%s/err.%d" % (t, i)).read()))
        sys.exit()
stored = [o for o in outs if not o.get("duplicate")]
ids = {o.get("raw_id") for o in outs}
counts = sorted(o.get("repeat_count", 1) for o in outs)
if len(stored) != 1 or len(ids) != 1:
    print("%d of %d stored it, raw ids %s" % (len(stored), n, sorted(ids)))
elif counts != list(range(1, n + 1)):
    print("repeat counts %s, want 1..%d" % (counts, n))
else:
    print("ok")
EOF
)
	if [ "$res" != ok ]; then
		fail "$N processes remembering the same text at once store it once (round $r)" "$res"
		ok=0
		break
	fi
	r=$((r + 1))
done
[ $ok = 1 ] && pass "$N processes remembering the same text at once store it once ($ROUNDS rounds)"

# and the store agrees: one memory per round's text, counted N times
$M list -p race --json >"$T/list" 2>"$T/err"
if [ $ok = 1 ] && [ "$(json_get "$T/list" 'd["count"]')" = $ROUNDS ]; then
	pass "list shows each raced text once"
elif [ $ok = 1 ]; then
	fail "list shows each raced text once" "$(head -c 600 "$T/list") $(cat "$T/err")"
fi
