#!/bin/sh
# A trainer that never finishes (until killed): for timeout, SIGKILL and
# cancel tests. Writes its pid to OUT/../hang.pid so a test can find it.
# usage: trainer_hang.sh OUT
echo $$ > "$1/../hang.pid"
echo "trainer_hang: sleeping" >&2
while :; do sleep 1; done
