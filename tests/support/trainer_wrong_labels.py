#!/usr/bin/env python3
"""A trainer that produces a worse builtin model: it rewrites every target
of the batch with deliberately wrong judgment labels (significance,
tone, outcome, salience, concepts), then runs the real builtin trainer on
that. The model stays faithful (EPR/SC are extractive) but disagrees with
the targets, so the gate's regression checks must reject it.

usage: trainer_wrong_labels.py MNEMO BATCH_DIR OUT [SEED]
"""
import json
import os
import subprocess
import sys
import tempfile

mnemo, batch, out = sys.argv[1:4]
seed = sys.argv[4] if len(sys.argv) > 4 else "42"
tmp = tempfile.TemporaryDirectory(prefix="wrong-")  # removed on exit
work = tmp.name
with open(os.path.join(batch, "train.raw.jsonl")) as f, \
        open(os.path.join(work, "train.raw.jsonl"), "w") as g:
    for line in f:
        if not line.strip():
            continue
        row = json.loads(line)
        enc = row["encoded"]
        if isinstance(enc, str):
            enc = json.loads(enc)
        enc["significance"] = "critical"
        enc["emotional_tone"] = "exciting"
        enc["outcome"] = "failure"
        enc["salience"] = 1.0
        enc["concepts"] = ["zzzz"]
        row["encoded"] = enc
        g.write(json.dumps(row) + "\n")
rc = subprocess.call([mnemo, "trainer", "builtin", "--batch-dir", work, "--out", out,
                      "--seed", seed, "--quiet"])
tmp.cleanup()
sys.exit(rc)
