#!/usr/bin/env python3
"""bench/ranker_trainer_params.py - how `mnemo trainer ranker`'s C and --prior
behave with few ratings (docs/ranker.md, "Training").

Splits an examples file (default data/ranker/bench.jsonl) at random into a test
part and a pool, trains on the first N queries of the pool for each (C, prior)
and scores the result on the test part (NDCG@10, MRR of the first helpful
result; gains and tie-break as model/ranker.c), averaged over --reps splits.
The incumbent is --incumbent (default data/ranker/default.json; '' = the
hand-tuned order).

Usage: python3 bench/ranker_trainer_params.py [--mnemo build/mnemo]
       [--examples FILE] [--incumbent FILE] [--sizes 15,40,120] [--test 100]
       [--reps 3] [--grid 1:0,1:1,1:10,0.1:10,100:0]
"""
import argparse
import json
import math
import os
import random
import subprocess
import tempfile


def gain(it):
    return {"helpful": 2, "partial": 1}.get(it.get("rating"), 0)


def evaluate(w, queries):
    nd = rr = 0.0
    n = 0
    for q in queries:
        its = q["items"]
        if not any(gain(i) for i in its):
            continue
        s = sorted(its, key=lambda i: (-sum(a * b for a, b in zip(w, i["features"])),
                                       -i["features"][0]))
        dcg = sum((2 ** gain(i) - 1) / math.log2(k + 2) for k, i in enumerate(s[:10]))
        best = sorted(its, key=lambda i: -gain(i))[:10]
        ideal = sum((2 ** gain(i) - 1) / math.log2(k + 2) for k, i in enumerate(best))
        nd += dcg / ideal if ideal else 0
        rr += next((1 / (k + 1) for k, i in enumerate(s) if gain(i) == 2), 0)
        n += 1
    return (nd / n, rr / n) if n else (0.0, 0.0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mnemo", default=os.environ.get("MNEMO_BIN", "build/mnemo"))
    ap.add_argument("--examples", default="data/ranker/bench.jsonl")
    ap.add_argument("--incumbent", default="data/ranker/default.json")
    ap.add_argument("--sizes", default="15,40,120")
    ap.add_argument("--test", type=int, default=100)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--grid", default="1:0,1:1,1:10,0.1:10,10:10,100:0")
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args()
    lines = [json.loads(x) for x in open(a.examples) if x.strip()]
    header, queries = lines[0], lines[1:]
    if a.incumbent:
        inc_w = json.load(open(a.incumbent))["weights"]
    else:
        inc_w = [1.0] + [0.0] * (len(header["features"]) - 1)
    grid = [tuple(float(v) for v in g.split(":")) for g in a.grid.split(",")]
    sizes = [int(s) for s in a.sizes.split(",")]
    rng = random.Random(a.seed)
    res = {}
    with tempfile.TemporaryDirectory() as tmp:
        ex, out = os.path.join(tmp, "ex.jsonl"), os.path.join(tmp, "out")
        for _ in range(a.reps):
            idx = list(range(len(queries)))
            rng.shuffle(idx)
            test = [queries[i] for i in idx[:a.test]]
            pool = [queries[i] for i in idx[a.test:]]
            for n in sizes:
                with open(ex, "w") as f:
                    f.write(json.dumps(header) + "\n")
                    for q in pool[:n]:
                        f.write(json.dumps(dict(q, split="train")) + "\n")
                res.setdefault((n, "incumbent"), []).append(evaluate(inc_w, test))
                for c, prior in grid:
                    r = subprocess.run([a.mnemo, "trainer", "ranker", "--examples", ex, "--out",
                                        out, "--incumbent", a.incumbent, "--c", str(c),
                                        "--prior", str(prior)], capture_output=True, text=True)
                    if r.returncode:
                        continue
                    w = json.load(open(os.path.join(out, "ranker.json")))["weights"]
                    res.setdefault((n, f"C={c:g} prior={prior:g}"), []).append(evaluate(w, test))
    print(f"{'train queries':>13}  {'model':<20} {'NDCG@10':>8} {'MRR':>8}")
    for (n, name), v in sorted(res.items(), key=lambda kv: (kv[0][0], kv[0][1] != "incumbent")):
        print(f"{n:>13}  {name:<20} {sum(x[0] for x in v) / len(v):8.4f} "
              f"{sum(x[1] for x in v) / len(v):8.4f}")


if __name__ == "__main__":
    main()
