#!/bin/sh
# A trainer that fails: writes something into {out}, then exits 3.
# usage: trainer_crash.sh OUT
echo "trainer_crash: starting" >&2
echo partial > "$1/model.bin"
echo "trainer_crash: giving up" >&2
exit 3
