#!/usr/bin/env python3
"""run.py - recall quality of mnemo next to bare SQLite FTS5 baselines, same run.

Loads bench/recall/data/{memories,questions}.jsonl (see gen_dataset.py) into

  fts5        a bare FTS5 table (tokenize unicode61, default bm25); the query is an OR of
              its words after stripping punctuation; a question's project is a WHERE clause
  fts5-porter the same with tokenize 'porter unicode61' and English stop words dropped
              from the query (all words kept when nothing else is left)
  mnemo       the real binary ($MNEMO_BIN, else $MNEMO_BUILD/mnemo, else build/mnemo) in a
              fresh MNEMO_HOME: every memory goes in through one `mnemo mcp` process with
              tools/call remember (text, project, type; plus time/session when the tool's
              inputSchema offers them), which encodes inline with the configured student
              (the builtin one by default) since no daemon runs; then every question is a
              tools/call recall (limit 10, project when the question has one)

and prints R@1, R@5, R@10 and MRR per category and overall for each system, the ratio
mnemo R@10 / fts5 R@10, and recall latency p50/p99. A question hits at k when any of its
evidence memories is in the top k; two-fact questions are also scored "all" (every piece of
evidence in the top k) on their own row. MRR uses the first evidence memory found.

Usage: run.py [--data DIR] [--systems fts5,fts5-porter,mnemo] [--json FILE|-]
              [--questions N] [--keep-home]
"""
import argparse
import json
import os
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
KS = (1, 5, 10)

# A standard English stop-word list (function words: articles, pronouns, auxiliaries,
# prepositions, conjunctions, question words), used only by the fts5-porter baseline.
STOP = set("""
a about above after again against all am an and any are aren't as at be because been before
being below between both but by can can't cannot could couldn't did didn't do does doesn't
doing don't down during each few for from further had hadn't has hasn't have haven't having he
he'd he'll he's her here here's hers herself him himself his how how's i i'd i'll i'm i've if
in into is isn't it it's its itself let's me more most mustn't my myself no nor not of off on
once only or other ought our ours ourselves out over own same shan't she she'd she'll she's
should shouldn't so some such than that that's the their theirs them themselves then there
there's these they they'd they'll they're they've this those through to too under until up
very was wasn't we we'd we'll we're we've were weren't what what's when when's where where's
which while who who's whom why why's will with won't would wouldn't you you'd you'll you're
you've your yours yourself yourselves s t just now also
""".split())

WORD = re.compile(r"\w+", re.UNICODE)


def load(data):
    with open(os.path.join(data, "memories.jsonl"), encoding="utf-8") as fh:
        mems = [json.loads(l) for l in fh]
    with open(os.path.join(data, "questions.jsonl"), encoding="utf-8") as fh:
        qs = [json.loads(l) for l in fh]
    return mems, qs


# ---------------------------------------------------------------- FTS5 baselines

class Fts5:
    def __init__(self, mems, porter):
        self.porter = porter
        self.db = sqlite3.connect(":memory:")
        tok = "porter unicode61" if porter else "unicode61"
        self.db.execute(f"CREATE VIRTUAL TABLE docs USING fts5(text, id UNINDEXED, "
                        f"project UNINDEXED, tokenize='{tok}')")
        self.db.executemany("INSERT INTO docs(text, id, project) VALUES (?, ?, ?)",
                            [(m["text"], m["id"], m["project"]) for m in mems])
        self.db.commit()

    def query(self, q, project=None, limit=10):
        words = [w.lower() for w in WORD.findall(q)]
        if self.porter:
            content = [w for w in words if w not in STOP]
            words = content or words
        if not words:
            return []
        seen = []
        for w in words:
            if w not in seen:
                seen.append(w)
        match = " OR ".join('"' + w.replace('"', '""') + '"' for w in seen)
        sql = "SELECT id FROM docs WHERE docs MATCH ?"
        args = [match]
        if project:
            sql += " AND project = ?"
            args.append(project)
        sql += " ORDER BY bm25(docs) LIMIT ?"
        args.append(limit)
        return [r[0] for r in self.db.execute(sql, args)]


# ---------------------------------------------------------------- mnemo over MCP

def mnemo_bin():
    if os.environ.get("MNEMO_BIN"):
        return os.environ["MNEMO_BIN"]
    return os.path.join(ROOT, os.environ.get("MNEMO_BUILD", "build"), "mnemo")


class Mcp:
    def __init__(self, binary, env):
        self.p = subprocess.Popen([binary, "mcp"], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
        self.n = 0

    def rpc(self, method, params=None):
        self.n += 1
        msg = {"jsonrpc": "2.0", "id": self.n, "method": method}
        if params is not None:
            msg["params"] = params
        self.p.stdin.write((json.dumps(msg) + "\n").encode())
        self.p.stdin.flush()
        line = self.p.stdout.readline()
        if not line:
            raise RuntimeError("mnemo mcp closed stdout")
        resp = json.loads(line)
        if "error" in resp:
            raise RuntimeError(f"{method}: {resp['error']}")
        return resp["result"]

    def tool(self, name, args):
        res = self.rpc("tools/call", {"name": name, "arguments": args})
        if res.get("isError"):
            raise RuntimeError(f"{name}: {res['content'][0]['text']}")
        return res["structuredContent"]

    def close(self):
        self.p.stdin.close()
        self.p.wait(timeout=60)


class Mnemo:
    def __init__(self, mems, keep_home=False, log=print):
        self.home = tempfile.mkdtemp(prefix="mnemo-recall-bench-")
        self.keep = keep_home
        env = dict(os.environ, MNEMO_HOME=self.home, MNEMO_LOG_LEVEL="warn")
        self.binary = mnemo_bin()
        self.mcp = Mcp(self.binary, env)
        self.mcp.rpc("initialize", {"protocolVersion": "2025-11-25", "capabilities": {},
                                    "clientInfo": {"name": "bench-recall", "version": "1"}})
        self.mcp.p.stdin.write(b'{"jsonrpc":"2.0","method":"notifications/initialized"}\n')
        tools = {t["name"]: t for t in self.mcp.rpc("tools/list")["tools"]}
        props = tools["remember"]["inputSchema"].get("properties", {})
        self.recall_props = tools["recall"]["inputSchema"].get("properties", {})
        self.extra = [k for k in ("time", "session") if k in props]
        self.by_raw = {}
        self.by_mem = {}
        self.states = {}
        t0 = time.perf_counter()
        for i, m in enumerate(mems):
            args = {"text": m["text"], "project": m["project"], "type": m["type"]}
            if "time" in self.extra:
                args["time"] = m["occurred_at"]
            if "session" in self.extra:
                args["session"] = m["session"]
            sc = self.mcp.tool("remember", args)
            if sc.get("duplicate") and sc["raw_id"] in self.by_raw:
                # the same text of the same project is stored once: that
                # memory stands for every dataset id that remembered it
                prev = self.by_raw[sc["raw_id"]]
                self.by_raw[sc["raw_id"]] = (prev if isinstance(prev, list) else [prev]) + [m["id"]]
            else:
                self.by_raw[sc["raw_id"]] = m["id"]
            if sc.get("memory_id"):
                self.by_mem[sc["memory_id"]] = self.by_raw[sc["raw_id"]]
            self.states[sc["state"]] = self.states.get(sc["state"], 0) + 1
            if (i + 1) % 500 == 0:
                log(f"  mnemo: remembered {i + 1}/{len(mems)} "
                    f"({time.perf_counter() - t0:.1f} s)")
        self.load_s = time.perf_counter() - t0

    def query(self, q, project=None, limit=10):
        args = {"query": q, "limit": limit}
        if project:
            args["project"] = project
        sc = self.mcp.tool("recall", args)
        out = []
        for m in sc["memories"]:
            did = self.by_raw.get(m.get("raw_id")) or self.by_mem.get(m.get("id"))
            out.append(did)
        return out

    def close(self):
        self.mcp.close()
        if not self.keep:
            shutil.rmtree(self.home, ignore_errors=True)


# ---------------------------------------------------------------- scoring

def hit(d, ev):
    """d: a dataset id, or the list of ids one stored memory stands for."""
    return any(x in ev for x in d) if isinstance(d, list) else d in ev


def score(qs, results):
    """results[qid] = ranked ids. Returns {category: {metric: value, n: count}}."""
    rows = {}

    def add(cat, hit_rank_any, hit_all):
        r = rows.setdefault(cat, {"n": 0, "rr": 0.0, **{f"r{k}": 0 for k in KS}})
        r["n"] += 1
        for k in KS:
            if hit_all is not None:
                r[f"r{k}"] += hit_all[k]
            else:
                r[f"r{k}"] += 1 if hit_rank_any and hit_rank_any <= k else 0
        if hit_all is None and hit_rank_any:
            r["rr"] += 1.0 / hit_rank_any

    for q in qs:
        ranked = results[q["id"]]
        ev = set(q["evidence"])
        ranks = [i + 1 for i, d in enumerate(ranked) if hit(d, ev)]
        first = ranks[0] if ranks else None
        add(q["category"], first, None)
        add("overall", first, None)
        if q["evidence_mode"] == "all":
            found = {k: int(len({x for d in ranked[:k] for x in (d if isinstance(d, list) else [d])
                                 if x in ev}) == len(ev)) for k in KS}
            add(q["category"] + " (all)", None, found)
    out = {}
    for cat, r in rows.items():
        n = r["n"]
        out[cat] = {"n": n, **{f"R@{k}": r[f"r{k}"] / n for k in KS}}
        if not cat.endswith("(all)"):
            out[cat]["MRR"] = r["rr"] / n
    return out


def pct(xs, p):
    xs = sorted(xs)
    if not xs:
        return 0.0
    i = min(len(xs) - 1, max(0, int(round(p / 100.0 * len(xs) + 0.5)) - 1))
    return xs[i]


def run_system(name, sys_obj, qs):
    results, lat = {}, []
    for q in qs:
        t0 = time.perf_counter()
        results[q["id"]] = sys_obj.query(q["query"], q.get("project"), 10)
        lat.append((time.perf_counter() - t0) * 1000.0)
    return results, {"p50_ms": pct(lat, 50), "p99_ms": pct(lat, 99),
                     "mean_ms": statistics.fmean(lat)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default=os.path.join(HERE, "data"))
    ap.add_argument("--systems", default="fts5,fts5-porter,mnemo")
    ap.add_argument("--json", help="also write the results as JSON to FILE ('-': stdout)")
    ap.add_argument("--questions", type=int, default=0, help="only the first N questions")
    ap.add_argument("--keep-home", action="store_true", help="keep mnemo's MNEMO_HOME")
    a = ap.parse_args()

    log = lambda s: print(s, file=sys.stderr, flush=True)
    if not os.path.exists(os.path.join(a.data, "memories.jsonl")):
        log("generating the dataset")
        subprocess.run([sys.executable, os.path.join(HERE, "gen_dataset.py"), "--out", a.data],
                       check=True, stdout=subprocess.DEVNULL)
    mems, qs = load(a.data)
    if a.questions:
        qs = qs[:a.questions]
    systems = [s.strip() for s in a.systems.split(",") if s.strip()]
    report = {"memories": len(mems), "questions": len(qs), "systems": {}}
    for name in systems:
        log(f"{name}: loading {len(mems)} memories")
        if name == "fts5":
            s = Fts5(mems, porter=False)
        elif name == "fts5-porter":
            s = Fts5(mems, porter=True)
        elif name == "mnemo":
            s = Mnemo(mems, a.keep_home, log)
        else:
            sys.exit(f"unknown system {name}")
        log(f"{name}: {len(qs)} questions")
        res, lat = run_system(name, s, qs)
        entry = {"scores": score(qs, res), "latency": lat}
        if name == "mnemo":
            entry.update(binary=s.binary, remember_states=s.states, load_s=s.load_s,
                         remember_extra_args=s.extra,
                         unmapped_results=sum(1 for v in res.values() for d in v if d is None))
            if a.keep_home:
                entry["home"] = s.home
            s.close()
        entry["results"] = res
        report["systems"][name] = entry

    print_table(report, systems)
    if a.json:
        js = json.dumps(report, indent=1)
        if a.json == "-":
            print(js)
        else:
            with open(a.json, "w") as fh:
                fh.write(js + "\n")


def print_table(report, systems):
    print(f"recall benchmark: {report['memories']} memories, {report['questions']} questions"
          f" (hit@k = any evidence in the top k; '(all)' rows need every piece)")
    cats = list(report["systems"][systems[0]]["scores"])
    order = ["overall"] + sorted(c for c in cats if c != "overall")
    head = f"{'category':26s} {'n':>4s}"
    for s in systems:
        head += f" | {s[:11]:>11s} R@1  R@5 R@10  MRR"
    print(head)
    print("-" * len(head))
    for c in order:
        sc0 = report["systems"][systems[0]]["scores"][c]
        line = f"{c:26s} {sc0['n']:4d}"
        for s in systems:
            sc = report["systems"][s]["scores"][c]
            mrr = f"{sc['MRR']:.2f}" if "MRR" in sc else "  - "
            line += f" | {'':11s} {sc['R@1']:.2f} {sc['R@5']:.2f} {sc['R@10']:.2f} {mrr}"
        print(line)
    print()
    for s in systems:
        e = report["systems"][s]
        extra = ""
        if s == "mnemo":
            extra = (f"  remember: {e['remember_states']} in {e['load_s']:.1f} s, "
                     f"extra args {e['remember_extra_args'] or 'none'}, "
                     f"unmapped results {e['unmapped_results']}")
        print(f"{s:12s} recall latency p50 {e['latency']['p50_ms']:.2f} ms, "
              f"p99 {e['latency']['p99_ms']:.2f} ms{extra}")
    base = report["systems"].get("fts5")
    for s in systems:
        if s != "fts5" and base:
            b = base["scores"]["overall"]["R@10"]
            v = report["systems"][s]["scores"]["overall"]["R@10"]
            print(f"ratio {s} R@10 / fts5 R@10 = {v / b if b else float('nan'):.2f}"
                  f"  ({v:.3f} / {b:.3f})")


if __name__ == "__main__":
    main()
