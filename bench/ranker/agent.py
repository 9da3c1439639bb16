#!/usr/bin/env python3
"""agent.py - the simulated agent of bench/ranker, one step at a time, on $MNEMO_HOME.

  agent.py load    --data DIR                      remember the dataset's memories
  agent.py feed    --data DIR [--half A] [--mode honest|shuffle|contradict] [--seed N]
                   [--per-category N]
                   ask each question of the half over MCP and rate its top 10
                   (simulate.py's modes); prints {"recalls", "ratings"}
  agent.py measure --data DIR [--half B] [--ranker hand|default|FILE] [--per-category N]
                   ask each question of the half, print {"ranker_env", "ordered_by",
                   "scores": {category: {n, R@1, R@5, R@10, MRR}}}

Halves as in simulate.py (A: odd-numbered questions, B: even). Used by
tests/integration/test_ranker_e2e.sh; the clock and data directory are ranklib's
defaults unless the environment sets MNEMO_FAKE_NOW / MNEMO_DATADIR.
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ranklib as R  # noqa: E402
import simulate as S  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("step", choices=("load", "feed", "measure"))
    ap.add_argument("--data", default=R.RECALL_DATA)
    ap.add_argument("--half", choices=("A", "B"))
    ap.add_argument("--mode", choices=("honest", "shuffle", "contradict"), default="honest")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--ranker", help="MNEMO_RANKER for measure (default: the serving one)")
    ap.add_argument("--per-category", type=int, default=0,
                    help="only the first N questions of each category of the half (0: all)")
    a = ap.parse_args()
    home_dir = os.environ.get("MNEMO_HOME")
    if not home_dir:
        sys.exit("agent.py: set MNEMO_HOME")
    mems, qs = R.load_dataset(a.data)
    if a.per_category:
        seen = {}
        keep = []
        for q in qs:
            k = (R.half(q), q["category"])
            seen[k] = seen.get(k, 0) + 1
            if seen[k] <= a.per_category:
                keep.append(q)
        qs = keep
    home = R.Home(mems, home=home_dir, load=(a.step == "load"))
    if a.step == "load":
        out = home.load_counts
    elif a.step == "feed":
        half = [q for q in qs if R.half(q) == (a.half or "A")]
        out = S.feed(home, half, a.mode, a.seed, 10)
    else:
        half = [q for q in qs if R.half(q) == (a.half or "B")]
        out = S.measure(home, half, a.ranker)
        out.pop("first_hit", None)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
