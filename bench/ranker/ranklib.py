"""ranklib.py - shared pieces of the ranker benchmarks (bench/ranker/README.md).

Python 3 standard library only. A data home is loaded with `mnemo remember --jsonl`
(one process, every memory encoded inline by the configured student since no daemon
runs), its stored memories are mapped back to dataset ids through the store's
raw_memories table, and an agent talks to one `mnemo mcp` process (recall, feedback)
as bench/recall/run.py does.
"""
import json
import math
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "recall"))
import run as recall_run  # noqa: E402  (bench/recall/run.py: the MCP client)

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
RECALL_DATA = os.path.join(ROOT, "bench", "recall", "data")
EXAMPLES_FORMAT = "mnemo.ranker-examples/1"
# The clock of every mnemo process of these benchmarks (MNEMO_FAKE_NOW, unless the
# caller sets one): the day after the generated datasets' last memory (they span
# September 2025 to March 2026), so the recency feature spreads over 0.1..1 as it does
# for a user who recalls what they worked on lately, and the numbers do not drift with
# the date the benchmark runs on.
BENCH_NOW = "2026-03-28T12:00:00Z"


def mnemo_bin():
    if os.environ.get("MNEMO_BIN"):
        return os.environ["MNEMO_BIN"]
    return os.path.join(ROOT, os.environ.get("MNEMO_BUILD", "build"), "mnemo")


def load_dataset(data):
    with open(os.path.join(data, "memories.jsonl"), encoding="utf-8") as fh:
        mems = [json.loads(l) for l in fh]
    with open(os.path.join(data, "questions.jsonl"), encoding="utf-8") as fh:
        qs = [json.loads(l) for l in fh]
    return mems, qs


def qnum(q):
    """The number of a question id ("q0042" -> 42)."""
    m = re.search(r"(\d+)$", q["id"])
    return int(m.group(1)) if m else 0


def half(q):
    """The stable split of the simulation: odd-numbered questions are asked and rated
    ("A", the agent's half), even-numbered ones are held out ("B"). The generator writes
    45 questions per category in a row, so each half holds 22 or 23 of every category."""
    return "A" if qnum(q) % 2 == 1 else "B"


def base_env(home, extra=None):
    env = dict(os.environ, MNEMO_HOME=home, MNEMO_LOG_LEVEL="warn")
    # the tree's data (student weights, ranker/default.json, ranker/bench.jsonl) unless
    # the caller points elsewhere
    env.setdefault("MNEMO_DATADIR", os.path.join(ROOT, "data"))
    env.setdefault("MNEMO_FAKE_NOW", BENCH_NOW)
    env.pop("MNEMO_RANKER", None)
    if extra:
        env.update(extra)
    return env


class Home:
    """A data home holding the dataset's memories: a fresh one loaded here (home=None
    or load=True), or an existing one (load=False) whose memories are only mapped."""

    def __init__(self, mems, home=None, env_extra=None, log=None, load=True):
        self.home = home or tempfile.mkdtemp(prefix="mnemo-ranker-bench-")
        self.env_extra = env_extra or {}
        self.binary = mnemo_bin()
        self.load_counts, self.load_s = None, 0.0
        if load:
            self._load(mems, log)
        self._map(mems)

    def _load(self, mems, log):
        t0 = time.perf_counter()
        lines = "".join(json.dumps({"text": m["text"], "project": m["project"],
                                    "type": m["type"], "session": m["session"],
                                    "time": m["occurred_at"]}) + "\n" for m in mems)
        p = subprocess.run([self.binary, "remember", "--jsonl", "-", "--json"],
                           input=lines.encode(), capture_output=True, env=self.env())
        if p.returncode != 0:
            raise RuntimeError(f"remember --jsonl: rc {p.returncode}: {p.stderr.decode()[-500:]}")
        self.load_counts = json.loads(p.stdout)
        self.load_s = time.perf_counter() - t0
        if log:
            log(f"  loaded {len(mems)} memories in {self.load_s:.1f} s: {self.load_counts}")

    def _map(self, mems):
        # stored memory -> the dataset ids it stands for (the same text of the same
        # project is stored once)
        by_key = {}
        for m in mems:
            by_key.setdefault((m["text"], m["project"]), []).append(m["id"])
        db = self.db()
        self.by_raw, self.by_mem = {}, {}
        for raw_id, mem_id, content, project in db.execute(
                "SELECT r.id, m.id, r.content, r.project FROM raw_memories r "
                "LEFT JOIN memories m ON m.raw_id = r.id"):
            ids = by_key.get((content, project), [])
            self.by_raw[raw_id] = ids
            if mem_id:
                self.by_mem[mem_id] = ids
        db.close()

    def env(self, extra=None):
        e = dict(self.env_extra)
        if extra:
            e.update(extra)
        return base_env(self.home, e)

    def db(self):
        return sqlite3.connect(f"file:{os.path.join(self.home, 'mnemo.db')}?mode=ro", uri=True)

    def mnemo(self, *args, extra=None, check=False):
        p = subprocess.run([self.binary, *args], capture_output=True, env=self.env(extra))
        if check and p.returncode != 0:
            raise RuntimeError(f"mnemo {' '.join(args)}: rc {p.returncode}: "
                               f"{p.stderr.decode()[-800:]}")
        return p


def datadir_with_default(default):
    """A temporary data directory: the tree's data/ (linked) with ranker/default.json
    replaced by `default` (a ranker.json path; None: no default ranker); the gate's
    ranker/bench.jsonl stays. The caller removes it."""
    src = os.path.join(ROOT, "data")
    d = tempfile.mkdtemp(prefix="mnemo-ranker-datadir-")
    for name in os.listdir(src):
        if name != "ranker":
            os.symlink(os.path.join(src, name), os.path.join(d, name))
    os.mkdir(os.path.join(d, "ranker"))
    bench = os.path.join(src, "ranker", "bench.jsonl")
    if os.path.exists(bench):
        os.symlink(bench, os.path.join(d, "ranker", "bench.jsonl"))
    if default:
        shutil.copyfile(default, os.path.join(d, "ranker", "default.json"))
    return d


class Mcp(recall_run.Mcp):
    """bench/recall's MCP client over `mnemo mcp` on stdio, initialised."""

    def __init__(self, binary, env):
        super().__init__(binary, env)
        self.rpc("initialize", {"protocolVersion": "2025-11-25", "capabilities": {},
                                "clientInfo": {"name": "bench-ranker", "version": "1"}})
        self.p.stdin.write(b'{"jsonrpc":"2.0","method":"notifications/initialized"}\n')


class Agent:
    """One MCP session over a Home, with the ranker chosen by MNEMO_RANKER (None: the
    serving choice, i.e. the registry's current ranker, else the shipped default)."""

    def __init__(self, home, ranker=None):
        self.home = home
        self.mcp = Mcp(home.binary, home.env({"MNEMO_RANKER": ranker} if ranker else None))

    def ask(self, q, limit=10):
        """Recall q's query; returns (query_id, [(memory_id, [dataset ids])])."""
        args = {"query": q["query"], "limit": limit}
        if q.get("project"):
            args["project"] = q["project"]
        sc = self.mcp.tool("recall", args)
        out = []
        for m in sc["memories"]:
            ids = self.home.by_raw.get(m.get("raw_id")) or self.home.by_mem.get(m.get("id")) or []
            out.append((m["id"], ids))
        return sc["query_id"], out

    def rate(self, query_id, rating, memory_ids):
        ids = [m for m in memory_ids if m]  # a memory not encoded yet has no id
        if ids:
            self.mcp.tool("feedback", {"query_id": query_id, "rating": rating,
                                       "memory_ids": ids})

    def close(self):
        self.mcp.close()


def is_gold(ids, q):
    ev = set(q["evidence"])
    return any(d in ev for d in ids)


def first_hit(ranked, q):
    """1-based rank of the first evidence memory in ranked [(mem_id, ids)], or None."""
    for i, (_, ids) in enumerate(ranked):
        if is_gold(ids, q):
            return i + 1
    return None


def metrics(qs, ranks, ks=(1, 5, 10)):
    """ranks[qid] = first hit rank or None; {n, R@k, MRR} overall and per category."""
    rows = {}
    for q in qs:
        r = ranks[q["id"]]
        for cat in ("overall", q["category"]):
            row = rows.setdefault(cat, {"n": 0, "rr": 0.0, **{k: 0 for k in ks}})
            row["n"] += 1
            if r:
                row["rr"] += 1.0 / r
                for k in ks:
                    row[k] += 1 if r <= k else 0
    out = {}
    for cat, row in rows.items():
        n = row["n"]
        out[cat] = {"n": n, **{f"R@{k}": row[k] / n for k in ks}, "MRR": row["rr"] / n}
    return out


SPEC_FEATURES = ["base", "lexical", "coverage", "content", "gist", "summary", "concepts",
                 "keyterms", "dates", "exact", "recency", "salience", "feedback", "encoded",
                 "repeats"]


def feature_names(home, query):
    """The store's feature names in the order recall logs them: the keys of a recall
    --explain's ranker features (the spec's list when that fails)."""
    p = home.mnemo("recall", "--explain", "--json", "--limit", "1", query,
                   extra={"MNEMO_RANKER": "hand"})
    try:
        mems = json.loads(p.stdout)["memories"]
        return list(mems[0]["explain"]["ranker"]["features"])
    except (ValueError, KeyError, IndexError, TypeError):
        return list(SPEC_FEATURES)


def logged_results(home, query_ids):
    """{query_id: (ranker, [result objects with memory_id, rank, features])} from the
    recall log."""
    out = {}
    db = home.db()
    for qid, ranker, results in db.execute("SELECT query_id, ranker, results FROM recall_log"):
        if qid in query_ids:
            out[qid] = (ranker, json.loads(results))
    db.close()
    return out


def gold_examples(home, asked, split_of=None):
    """Example objects (docs/ranker.md, "Examples") of recalls asked as
    [(question, query_id, ranked)], every logged item rated from the gold labels:
    helpful when it is evidence of the question, else irrelevant. split_of(q) gives
    "train"/"holdout" (default "train"). Items whose memory maps to no dataset id are
    left unrated."""
    logged = logged_results(home, {qid for _, qid, _ in asked})
    out = []
    for q, qid, ranked in asked:
        ranker, results = logged.get(qid, ("hand", []))
        items = []
        for it in results:
            ids = home.by_mem.get(it.get("memory_id")) or home.by_raw.get(it.get("raw_id"))
            rating = None
            if ids:
                rating = "helpful" if is_gold(ids, q) else "irrelevant"
            items.append({"memory_id": (ids[0] if ids else it.get("memory_id")),
                          "rank": it.get("rank"), "rating": rating,
                          "features": it.get("features")})
        out.append({"query_id": q["id"], "query": q["query"], "ranker": ranker,
                    "split": split_of(q) if split_of else "train", "items": items})
    return out


def write_examples(path, queries, names):
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(json.dumps({"format": EXAMPLES_FORMAT, "features": names}) + "\n")
        for o in queries:
            fh.write(json.dumps(o, separators=(",", ":")) + "\n")


def read_examples(path):
    """(feature names, [query objects]) of an examples file."""
    with open(path, encoding="utf-8") as fh:
        head = json.loads(fh.readline())
        if head.get("format") != EXAMPLES_FORMAT:
            raise ValueError(f"{path}: not an examples file")
        return head["features"], [json.loads(l) for l in fh if l.strip()]


def ranker_weights(spec, names):
    """Weights aligned with names for a ranker.json path, or "hand" (base only)."""
    if spec == "hand":
        return [1.0 if n == "base" else 0.0 for n in names]
    with open(spec, encoding="utf-8") as fh:
        r = json.load(fh)
    w = dict(zip(r["features"], r["weights"]))
    return [float(w.get(n, 0.0)) for n in names]


def eval_examples(weights, names, queries, split=None):
    """mn_ranker_eval's metrics in Python: mean NDCG@10 (gain 2 helpful, 1 partial) and
    MRR of the first helpful item of each query whose split matches, re-ranked by the
    weights (ties by base); queries without a helpful or partial item are skipped."""
    gain = {"helpful": 2.0, "partial": 1.0}
    ib = names.index("base") if "base" in names else 0
    nd = rr = 0.0
    n = 0
    for q in queries:
        if split and q.get("split") != split:
            continue
        items = [i for i in q["items"] if i.get("features")]
        gains = [gain.get(i.get("rating"), 0.0) for i in items]
        if not any(gains):
            continue
        order = sorted(range(len(items)), key=lambda k: (
            -sum(w * x for w, x in zip(weights, items[k]["features"])),
            -items[k]["features"][ib]))
        dcg = sum((2 ** gains[k] - 1) / math.log2(r + 2) for r, k in enumerate(order[:10]))
        ideal = sorted(gains, reverse=True)[:10]
        idcg = sum((2 ** g - 1) / math.log2(r + 2) for r, g in enumerate(ideal))
        nd += dcg / idcg if idcg else 0.0
        first = next((r for r, k in enumerate(order) if items[k].get("rating") == "helpful"), None)
        rr += 1.0 / (first + 1) if first is not None else 0.0
        n += 1
    return {"n": n, "ndcg10": nd / n if n else 0.0, "mrr": rr / n if n else 0.0}
