#!/bin/sh
# A trainer that "succeeds" with an unusable artifact: exit 0, garbage
# model.bin. The candidate cannot be loaded, so the gate must reject it.
# usage: trainer_garbage.sh OUT
printf 'this is not a model\n' > "$1/model.bin"
echo '{"note":"garbage"}' > "$1/metrics.json"
exit 0
