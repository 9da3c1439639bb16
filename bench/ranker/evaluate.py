#!/usr/bin/env python3
"""evaluate.py - NDCG@10 and MRR of rankers re-ranking the items of examples files.

The same metrics as the gate's (model/ranker.c mn_ranker_eval): gain 2 helpful, 1
partial; MRR of the first helpful item; queries with neither are skipped.

Usage: evaluate.py --ranker hand|RANKER.json [--ranker ...] [--split S] EXAMPLES...
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ranklib as R  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ranker", action="append", required=True,
                    help="'hand' or a ranker.json (repeat to compare)")
    ap.add_argument("--split", help="only queries of this split (train, holdout)")
    ap.add_argument("examples", nargs="+")
    a = ap.parse_args()
    for path in a.examples:
        names, qs = R.read_examples(path)
        for r in a.ranker:
            m = R.eval_examples(R.ranker_weights(r, names), names, qs, a.split)
            print(f"{os.path.basename(path)}: {r}: NDCG@10 {m['ndcg10']:.4f}, MRR {m['mrr']:.4f} "
                  f"({m['n']} queries)")


if __name__ == "__main__":
    main()
