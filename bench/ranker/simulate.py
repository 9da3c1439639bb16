#!/usr/bin/env python3
"""simulate.py - does the learned ranker learn from an agent's feedback? (bench/ranker/README.md)

On the recall benchmark's dataset (bench/recall/data, seed 20260412):

  1. load every memory into a fresh MNEMO_HOME (`mnemo remember --jsonl`, encoded inline
     by the configured student);
  2. an agent asks each question of half A (odd-numbered ids; half B = even ones, 22 or 23
     per category each) through one `mnemo mcp` session with the serving ranker (the
     registry's, else the shipped default), recall limit 10, and rates the results with
     the feedback tool: the question's evidence memories helpful, every other one
     irrelevant;
  3. `mnemo train ranker --force --json` trains, evaluates and gates a candidate and
     deploys it when the gate passes;
  4. half B is asked with the baseline ranker(s) (MNEMO_RANKER=default, hand) and with
     the serving one (the deployed ranker when the run deployed), each in its own MCP
     session, and with the candidate when the gate rejected it (what the gate kept out);
     R@1/5/10 and MRR of the first evidence memory are printed per ranker.

Modes (--mode):
  honest      the ratings above
  shuffle     the same ratings permuted at random among the rated results of each query
              (seeded): a ranker learnt from them must be rejected by the gate
  contradict  every question of half A asked twice: the first recall rated honestly, the
              second inverted (evidence irrelevant, the rest helpful); and every fourth
              question's first recall has its evidence rated helpful and then irrelevant
              (the later rating replaces the earlier): the run must not fail and what
              serves afterwards must not be worse on half B than the baseline (within
              --tolerance)

Exit status: 0 when the mode's expectation holds (honest: the run ended, deployed or
rejected, and the serving ranker's MRR on half B is not lower than the first baseline's;
with --require-target also at least 10% higher (the issue's target, printed in any case);
shuffle: not deployed; contradict: the run ended and half B MRR of the serving ranker >=
baseline - tolerance), 1 otherwise, 2 on usage errors.

Usage: simulate.py [--data DIR] [--mode honest|shuffle|contradict] [--baselines default,hand]
                   [--seed N] [--default RANKER.json|none] [--json FILE|-] [--keep-home]
                   [--require-target] [--categories C1,C2]
"""
import argparse
import json
import os
import random
import shlex
import shutil
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ranklib as R  # noqa: E402

KS = (1, 5, 10)


def log(s):
    print(s, file=sys.stderr, flush=True)


def rate_query(agent, q, qid, ranked, mode, rng):
    """Rate one recall; returns the number of ratings given."""
    gold = [m for m, ids in ranked if R.is_gold(ids, q)]
    other = [m for m, ids in ranked if not R.is_gold(ids, q)]
    if mode == "shuffle":
        labels = [True] * len(gold) + [False] * len(other)
        rng.shuffle(labels)
        ids = [m for m, _ in ranked]
        gold = [m for m, g in zip(ids, labels) if g]
        other = [m for m, g in zip(ids, labels) if not g]
    elif mode == "invert":
        gold, other = other, gold
    agent.rate(qid, "helpful", gold)
    agent.rate(qid, "irrelevant", other)
    return len(gold) + len(other)


def feed(home, qs, mode, seed, limit):
    rng = random.Random(seed)
    agent = R.Agent(home)
    n_rated = n_recalls = 0
    hits = {}
    t0 = time.perf_counter()
    for q in qs:
        qid, ranked = agent.ask(q, limit)
        n_recalls += 1
        hits[q["id"]] = R.first_hit(ranked, q)
        n_rated += rate_query(agent, q, qid, ranked, "shuffle" if mode == "shuffle" else "honest", rng)
        if mode == "contradict":
            if len(hits) % 4 == 0:
                # the same recall's evidence rated again the other way (the later
                # rating replaces the earlier one)
                agent.rate(qid, "irrelevant", [m for m, ids in ranked if R.is_gold(ids, q)])
            qid2, ranked2 = agent.ask(q, limit)
            n_recalls += 1
            n_rated += rate_query(agent, q, qid2, ranked2, "invert", rng)
    agent.close()
    return {"recalls": n_recalls, "ratings": n_rated, "s": time.perf_counter() - t0,
            "serving_metrics": R.metrics(qs, hits)["overall"]}


def measure(home, qs, ranker, limit=10):
    """Ask every question with MNEMO_RANKER=ranker (None: the serving choice)."""
    agent = R.Agent(home, ranker)
    ranks, qids = {}, []
    for q in qs:
        qid, ranked = agent.ask(q, limit)
        ranks[q["id"]] = R.first_hit(ranked, q)
        qids.append(qid)
    agent.close()
    db = home.db()
    used = {}
    for (v,) in db.execute("SELECT ranker FROM recall_log WHERE query_id IN (%s)"
                           % ",".join("?" * len(qids)), qids):
        used[v] = used.get(v, 0) + 1
    db.close()
    return {"ranker_env": ranker or "(serving)", "ordered_by": used,
            "scores": R.metrics(qs, ranks), "first_hit": ranks}


def train(home, extra_args):
    t0 = time.perf_counter()
    p = home.mnemo("train", "ranker", "--force", "--json", *extra_args)
    out = {"rc": p.returncode, "s": time.perf_counter() - t0}
    try:
        out["run"] = json.loads(p.stdout)
    except ValueError:
        out["stdout"] = p.stdout.decode(errors="replace")[-2000:]
    if p.returncode != 0:
        out["stderr"] = p.stderr.decode(errors="replace")[-2000:]
    return out


def deployed(tr):
    return (tr.get("run") or {}).get("state") == "deployed"


def print_table(rep):
    evs = rep["eval"]
    names = list(evs)
    print(f"ranker simulation ({rep['mode']}, default ranker {rep['default']}, "
          f"categories {rep['categories']}): "
          f"{rep['memories']} memories; agent rated "
          f"{rep['feed']['ratings']} results of {rep['feed']['recalls']} recalls of half A "
          f"({rep['questions_a']} questions); measured on half B ({rep['questions_b']})")
    tr = rep["train"]
    run = tr.get("run") or {}
    print(f"mnemo train ranker: rc {tr['rc']}, {tr['s']:.1f} s, deployed: {rep['deployed']}"
          f"{', version ' + str(run.get('deployed_version')) if run.get('deployed_version') else ''}"
          f", state {run.get('state')}, gate {run.get('gate_verdict')}"
          f"{': ' + '; '.join(map(str, run.get('gate_reasons') or [])) if run.get('gate_reasons') else ''}")
    for side in ("candidate_metrics", "incumbent_metrics"):
        m = run.get(side) or {}
        print(f"  {side.split('_')[0]:9s} " + ", ".join(
            f"{k} NDCG@10 {v.get('ndcg10', 0):.3f} MRR {v.get('mrr', 0):.3f} (n {v.get('n')})"
            for k, v in m.items() if isinstance(v, dict)))
    top = f"{'':23s}"
    head = f"{'category':18s} {'n':>4s}"
    for nm in names:
        top += f" | {nm[:19]:^19s}"
        head += " |  R@1  R@5 R@10  MRR"
    print(top)
    print(head)
    print("-" * len(head))
    cats = ["overall"] + sorted(c for c in evs[names[0]]["scores"] if c != "overall")
    for c in cats:
        line = f"{c:18s} {evs[names[0]]['scores'][c]['n']:4d}"
        for nm in names:
            sc = evs[nm]["scores"][c]
            line += f" | {sc['R@1']:.2f} {sc['R@5']:.2f} {sc['R@10']:.2f} {sc['MRR']:.2f}"
        print(line)
    print("ordered by: " + "; ".join(f"{nm}: {evs[nm]['ordered_by']}" for nm in names))
    if "rejected candidate" in evs:
        c = evs["rejected candidate"]["scores"]["overall"]
        print(f"the rejected candidate would have given MRR {c['MRR']:.3f}, R@10 {c['R@10']:.3f}")
    for b, g in rep["gain"].items():
        print(f"serving vs {b}: MRR {g['mrr_base']:.3f} -> {g['mrr']:.3f} ({g['mrr_rel'] * 100:+.1f}%), "
              f"R@10 {g['r10_base']:.3f} -> {g['r10']:.3f}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default=R.RECALL_DATA)
    ap.add_argument("--mode", choices=("honest", "shuffle", "contradict"), default="honest")
    ap.add_argument("--baselines", default="default,hand",
                    help="MNEMO_RANKER values to compare the serving ranker with [default,hand]")
    ap.add_argument("--seed", type=int, default=1, help="seed of the shuffle [1]")
    ap.add_argument("--limit", type=int, default=10, help="results the agent rates [10]")
    ap.add_argument("--tolerance", type=float, default=0.02,
                    help="contradict: how much lower half B's MRR may be [0.02]")
    ap.add_argument("--train-args", default="", help="more arguments to `mnemo train ranker`")
    ap.add_argument("--require-target", action="store_true",
                    help="honest: exit 1 unless half B's MRR is up 10%% over the first baseline")
    ap.add_argument("--default", default="",
                    help="the shipped default ranker of the run: a ranker.json, or 'none' "
                         "(no default: the hand order serves until a deploy) [the tree's "
                         "data/ranker/default.json]")
    ap.add_argument("--categories", default="",
                    help="only questions of these categories (comma-separated), e.g. a user "
                         "who asks only date questions [all]")
    ap.add_argument("--json", help="also write the report as JSON to FILE ('-': stdout)")
    ap.add_argument("--keep-home", action="store_true")
    a = ap.parse_args()

    mems, qs = R.load_dataset(a.data)
    if a.categories:
        cats = {c.strip() for c in a.categories.split(",") if c.strip()}
        unknown = cats - {q["category"] for q in qs}
        if unknown:
            ap.error(f"no questions of categories {sorted(unknown)}")
        qs = [q for q in qs if q["category"] in cats]
    qa = [q for q in qs if R.half(q) == "A"]
    qb = [q for q in qs if R.half(q) == "B"]
    datadir = None
    if a.default:
        datadir = R.datadir_with_default(None if a.default == "none" else a.default)
    log(f"loading {len(mems)} memories")
    home = R.Home(mems, log=log,
                  env_extra={"MNEMO_DATADIR": datadir} if datadir else None)
    rep = {"mode": a.mode, "data": a.data, "default": a.default or "data/ranker/default.json",
           "categories": a.categories or "all", "binary": home.binary, "memories": len(mems),
           "questions_a": len(qa), "questions_b": len(qb), "load": home.load_counts}
    baselines = [b for b in a.baselines.split(",") if b]
    try:
        if baselines:
            # what the first baseline does on half B before any rating: the ratings
            # also move each rated memory's feedback prior, for every ranker after them
            log(f"half B with MNEMO_RANKER={baselines[0]}, before any feedback")
            before = measure(home, qb, baselines[0])
        log(f"agent: {len(qa)} questions of half A ({a.mode})")
        rep["feed"] = feed(home, qa, a.mode, a.seed, a.limit)
        log("mnemo train ranker --force --json")
        rep["train"] = train(home, shlex.split(a.train_args))
        rep["deployed"] = deployed(rep["train"])
        rep["eval"] = {}
        if baselines:
            rep["eval"][baselines[0] + " (before)"] = before
        for b in baselines:
            log(f"half B with MNEMO_RANKER={b}")
            rep["eval"][b] = measure(home, qb, b)
        log("half B with the serving ranker")
        rep["eval"]["serving"] = measure(home, qb, None)
        cand = os.path.join((rep["train"].get("run") or {}).get("request_dir") or "",
                            "candidate", "ranker.json")
        if not rep["deployed"] and os.path.exists(cand):
            # what the gate kept out: the rejected candidate on half B
            log("half B with the rejected candidate")
            rep["eval"]["rejected candidate"] = measure(home, qb, cand)
        rep["gain"] = {}
        sv = rep["eval"]["serving"]["scores"]["overall"]
        for b in baselines:
            bs = rep["eval"][b]["scores"]["overall"]
            rep["gain"][b] = {"mrr_base": bs["MRR"], "mrr": sv["MRR"],
                              "mrr_rel": sv["MRR"] / bs["MRR"] - 1 if bs["MRR"] else 0.0,
                              "r10_base": bs["R@10"], "r10": sv["R@10"]}
    finally:
        if a.keep_home:
            rep["home"] = home.home
            log(f"kept {home.home}")
        else:
            shutil.rmtree(home.home, ignore_errors=True)
        if datadir:
            shutil.rmtree(datadir, ignore_errors=True)
    for e in rep["eval"].values():
        e.pop("first_hit", None)

    print_table(rep)
    base = rep["gain"].get(baselines[0]) if baselines else None
    if a.mode == "honest":
        ok = rep["train"]["rc"] in (0, 1) and (base is None or base["mrr"] >= base["mrr_base"])
        why = ("the run ended (%s) and half B is not worse" % ("deployed" if rep["deployed"]
                                                              else "rejected")
               if ok else "the run failed, or half B got worse")
        if base is not None:
            met = base["mrr_rel"] >= 0.10
            rep["target"] = {"met": met, "mrr_rel": base["mrr_rel"], "against": baselines[0]}
            print(f"target (issue 15: half B MRR +10% over {baselines[0]}): "
                  f"{'met' if met else 'NOT met'} ({base['mrr_rel'] * 100:+.1f}%)")
            if a.require_target and not met:
                ok, why = False, "the +10% target is not met"
    elif a.mode == "shuffle":
        ok = rep["train"]["rc"] in (0, 1) and not rep["deployed"]
        why = "rejected" if ok else "shuffled feedback was deployed (or train failed oddly)"
    else:
        ok = rep["train"]["rc"] in (0, 1) and (
            base is None or base["mrr"] >= base["mrr_base"] - a.tolerance)
        why = "no crash, nothing worse serves" if ok else "train crashed, or half B got worse"
    rep["expectation"] = {"ok": ok, "why": why}
    print(f"expectation ({a.mode}): {'OK' if ok else 'FAILED'}: {why}")
    if a.json:
        js = json.dumps(rep, indent=1)
        if a.json == "-":
            print(js)
        else:
            with open(a.json, "w") as fh:
                fh.write(js + "\n")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
