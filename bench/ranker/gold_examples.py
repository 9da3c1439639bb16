#!/usr/bin/env python3
"""gold_examples.py - ranker examples of a recall dataset, rated from its gold labels.

Loads the dataset's memories into a fresh MNEMO_HOME, asks every question once through
`mnemo mcp` (recall with --limit results, the question's project when it has one) with
MNEMO_RANKER=--ranker, and writes an examples file (docs/ranker.md, "Examples"): the
header {"format":"mnemo.ranker-examples/1","features":[...]}, then one object per
question with the results exactly as the recall log holds them (their features as
recall computed them) and each rated from the dataset's labels: helpful when it is
evidence of the question, irrelevant otherwise. This is what `mnemo train ranker`
exports after an agent rated every result that way with the feedback tool (the rating
itself does not change what was logged), without the feedback round trips.

Usage: gold_examples.py --data DIR --out FILE [--limit N] [--ranker hand] [--split train]
                        [--per-category N] [--drop-unrated] [--rate] [--order-seed N]
"""
import argparse
import os
import random
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ranklib as R  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", required=True, help="dataset dir (gen_dataset.py --out)")
    ap.add_argument("--out", required=True, help="examples file to write")
    ap.add_argument("--limit", type=int, default=10, help="results per recall [10]")
    ap.add_argument("--ranker", default="hand", help="MNEMO_RANKER of the recalls [hand]")
    ap.add_argument("--split", default="train", help="split of every query [train]")
    ap.add_argument("--per-category", type=int, default=0,
                    help="ask only the first N questions of each category (0: all)")
    ap.add_argument("--drop-unrated", action="store_true",
                    help="leave out queries with no evidence memory in the results (metrics "
                         "skip them anyway)")
    ap.add_argument("--rate", action="store_true",
                    help="rate each recall with the feedback tool before the next question "
                         "(evidence helpful, the rest irrelevant), so later recalls see the "
                         "feedback priors earlier ratings left, as an agent's would")
    ap.add_argument("--order-seed", type=int, default=0,
                    help="ask the questions in an order shuffled with this seed (0: file order)")
    ap.add_argument("--keep-home", action="store_true")
    a = ap.parse_args()

    mems, qs = R.load_dataset(a.data)
    if a.per_category:
        seen = {}
        keep = []
        for q in qs:
            seen[q["category"]] = seen.get(q["category"], 0) + 1
            if seen[q["category"]] <= a.per_category:
                keep.append(q)
        qs = keep
    log = lambda s: print(s, file=sys.stderr, flush=True)
    home = R.Home(mems, log=log)
    try:
        agent = R.Agent(home, a.ranker)
        asked = []
        order = list(qs)
        if a.order_seed:
            random.Random(a.order_seed).shuffle(order)
        for q in order:
            qid, ranked = agent.ask(q, a.limit)
            asked.append((q, qid, ranked))
            if a.rate:
                agent.rate(qid, "helpful", [m for m, ids in ranked if R.is_gold(ids, q)])
                agent.rate(qid, "irrelevant", [m for m, ids in ranked if not R.is_gold(ids, q)])
        agent.close()
        ex = R.gold_examples(home, asked, lambda q: a.split)
        if a.drop_unrated:
            ex = [o for o in ex if any(i["rating"] == "helpful" for i in o["items"])]
        names = R.feature_names(home, qs[0]["query"])
    finally:
        if a.keep_home:
            log(f"kept {home.home}")
        else:
            shutil.rmtree(home.home, ignore_errors=True)
    R.write_examples(a.out, ex, names)
    rated = sum(1 for o in ex if any(i["rating"] == "helpful" for i in o["items"]))
    log(f"{a.out}: {len(ex)} queries, {rated} with an evidence memory in the top {a.limit}")


if __name__ == "__main__":
    main()
