#!/bin/sh
# A trainer that forks a background child which outlives it (detached from
# the trainer's output, as a careless `cmd &` in a wrapper script would be),
# then trains normally and exits 0. The child writes its pid to
# OUT/../bg.pid and would keep writing into {out} if left alive.
# usage: trainer_background.sh MNEMO BATCH_DIR OUT
out=$3
( trap '' HUP; while :; do date >> "$out/late.txt"; sleep 1; done ) </dev/null >/dev/null 2>&1 &
echo $! > "$out/../bg.pid"
exec "$1" trainer builtin --batch-dir "$2" --out "$out" --seed 42 --quiet
