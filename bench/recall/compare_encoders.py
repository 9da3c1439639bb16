#!/usr/bin/env python3
"""compare_encoders.py - mnemo's recall with the builtin student's encodings and with
teacher-quality encodings of the same memories (issue 12: "a better encoding must give
better recall").

Runs the `mnemo` system of run.py (same dataset, same questions, same scoring) once per
encoder, each in a fresh MNEMO_HOME:

  student     the shipped builtin student (no configuration file)
  teacher     `student: {provider: openai, endpoint: <teacher.py>, model: teacher}`:
              teacher.py writes the encodings a strong LLM would (categories of the things
              named, events, entities); see teacher.py
  no-encoding teacher.py --mode empty: every memory gets an encoding with an empty gist and
              summary and no concepts or structured concepts, so only the raw text is
              indexed (mnemo has no switch that leaves memories unencoded, and a failing
              endpoint falls back to the builtin student)

After loading it counts the memories by encoder label (memories.encoder, fallback) in the
store, so a row whose encodings did not come from the encoder it names is visible, and
fails when any memory of the teacher or no-encoding run fell back. Prints R@1/R@5/R@10/MRR
per category for the encoders side by side.

Usage: compare_encoders.py [--encoders student,teacher,no-encoding] [--data DIR]
                           [--questions N] [--json FILE] [--keep-home]
MNEMO_BIN as for run.py. Python 3 standard library only.
"""
import argparse
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import run  # noqa: E402  (bench/recall/run.py: dataset, mnemo over MCP, scoring)

log = lambda s: print(s, file=sys.stderr, flush=True)  # noqa: E731


class Teacher:
    """teacher.py as a child process on a free port."""

    def __init__(self, mode, workdir):
        self.port_file = os.path.join(workdir, f"teacher-{mode}.port")
        self.p = subprocess.Popen([sys.executable, os.path.join(HERE, "teacher.py"),
                                   "--port", "0", "--port-file", self.port_file,
                                   "--mode", mode])
        deadline = time.monotonic() + 30
        while not os.path.exists(self.port_file):
            if self.p.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("teacher.py did not start")
            time.sleep(0.05)
        with open(self.port_file) as fh:
            self.port = int(fh.read())
        self.endpoint = f"http://127.0.0.1:{self.port}/v1"

    def close(self):
        self.p.terminate()
        self.p.wait(timeout=10)


def encoder_counts(home):
    db = sqlite3.connect(f"file:{os.path.join(home, 'mnemo.db')}?mode=ro", uri=True)
    try:
        rows = db.execute("SELECT encoder, encoder_version, fallback, count(*) FROM memories "
                          "GROUP BY 1, 2, 3 ORDER BY 4 DESC").fetchall()
        raw = db.execute("SELECT count(*) FROM raw_memories").fetchone()[0]
    finally:
        db.close()
    return {"raw_memories": raw,
            "memories": [{"encoder": e, "encoder_version": v, "fallback": bool(f), "n": n}
                         for e, v, f, n in rows]}


def run_encoder(name, mems, qs, workdir, keep_home):
    teacher = None
    saved = os.environ.get("MNEMO_CONFIG")
    try:
        if name == "student":
            cfg = os.path.join(workdir, "student.yaml")
            with open(cfg, "w") as fh:
                fh.write("student:\n  provider: builtin\n")
        else:
            teacher = Teacher("empty" if name == "no-encoding" else "teacher", workdir)
            cfg = os.path.join(workdir, f"{name}.yaml")
            with open(cfg, "w") as fh:
                fh.write(f"student:\n  provider: openai\n  endpoint: {teacher.endpoint}\n"
                         f"  model: teacher\n  timeout_s: 30\n")
        os.environ["MNEMO_CONFIG"] = cfg
        log(f"{name}: loading {len(mems)} memories")
        m = run.Mnemo(mems, keep_home=True, log=log)
        counts = encoder_counts(m.home)
        log(f"{name}: encoders {counts}")
        log(f"{name}: {len(qs)} questions")
        res, lat = run.run_system(name, m, qs)
        home = m.home
        m.mcp.close()
        if not keep_home:
            shutil.rmtree(home, ignore_errors=True)
        entry = {"scores": run.score(qs, res), "latency": lat, "encoders": counts,
                 "load_s": m.load_s, "remember_states": m.states, "results": res}
        if keep_home:
            entry["home"] = home
        if name != "student":
            bad = [r for r in counts["memories"] if r["fallback"] or not r["encoder"].startswith("openai")]
            if bad:
                log(f"{name}: WARNING: memories not encoded by the endpoint: {bad}")
                entry["warning"] = "fallback encodings present"
        return entry
    finally:
        if teacher:
            teacher.close()
        if saved is None:
            os.environ.pop("MNEMO_CONFIG", None)
        else:
            os.environ["MNEMO_CONFIG"] = saved


def print_table(report, names):
    print(f"mnemo recall by encoder: {report['memories']} memories, {report['questions']} "
          f"questions (hit@k = any evidence in the top k; '(all)' rows need every piece)")
    cats = list(report["encoders"][names[0]]["scores"])
    order = ["overall"] + sorted(c for c in cats if c != "overall")
    head = f"{'category':20s} {'n':>4s}"
    for s in names:
        head += f" | {s[:11]:>11s} R@1  R@5 R@10  MRR"
    print(head)
    print("-" * len(head))
    for c in order:
        line = f"{c:20s} {report['encoders'][names[0]]['scores'][c]['n']:4d}"
        for s in names:
            sc = report["encoders"][s]["scores"][c]
            mrr = f"{sc['MRR']:.2f}" if "MRR" in sc else "  - "
            line += f" | {'':11s} {sc['R@1']:.2f} {sc['R@5']:.2f} {sc['R@10']:.2f} {mrr}"
        print(line)
    print()
    for s in names:
        e = report["encoders"][s]
        enc = ", ".join(f"{r['encoder']}/{r['encoder_version']}"
                        f"{' (fallback)' if r['fallback'] else ''}: {r['n']}"
                        for r in e["encoders"]["memories"])
        print(f"{s:12s} encoders [{enc}], remember {e['load_s']:.1f} s, "
              f"recall p50 {e['latency']['p50_ms']:.2f} ms")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--encoders", default="student,teacher,no-encoding")
    ap.add_argument("--data", default=os.path.join(HERE, "data"))
    ap.add_argument("--questions", type=int, default=0, help="only the first N questions")
    ap.add_argument("--memories", type=int, default=0,
                    help="only the first N memories (a smoke test; evidence may be missing)")
    ap.add_argument("--json", help="also write the results as JSON to FILE")
    ap.add_argument("--keep-home", action="store_true", help="keep each run's MNEMO_HOME")
    a = ap.parse_args()

    mems, qs = run.load(a.data)
    if a.memories:
        mems = mems[:a.memories]
    if a.questions:
        qs = qs[:a.questions]
    names = [s.strip() for s in a.encoders.split(",") if s.strip()]
    for n in names:
        if n not in ("student", "teacher", "no-encoding"):
            sys.exit(f"unknown encoder {n} (student, teacher, no-encoding)")
    workdir = tempfile.mkdtemp(prefix="mnemo-compare-encoders-")
    report = {"memories": len(mems), "questions": len(qs), "binary": run.mnemo_bin(),
              "encoders": {}}
    try:
        for n in names:
            report["encoders"][n] = run_encoder(n, mems, qs, workdir, a.keep_home)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print_table(report, names)
    if a.json:
        with open(a.json, "w") as fh:
            fh.write(json.dumps(report, indent=1) + "\n")
    if any("warning" in e for e in report["encoders"].values()):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
