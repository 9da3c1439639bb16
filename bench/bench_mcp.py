#!/usr/bin/env python3
"""bench_mcp.py - MCP round-trip latency of `mnemo mcp` over stdio.

Seeds N memories (default 10 000) through the MCP `remember` tool in one
session - the real path an agent uses, inline encoding included - then
measures from the client side, over the same pipes:

  * `ping` round trips (the baseline: framing, JSON, pipes, no work),
  * `recall` tool-call round trips (limit 10) with queries drawn from the
    same vocabulary, so most return a full page.

Prints p50/p90/p99/mean for both and the recall/ping ratio. Usage:

  bench/bench_mcp.py [--memories N] [--recalls N] [--pings N] [--json]

The binary is $MNEMO_BIN, else $MNEMO_BUILD/mnemo, else build/mnemo. A fresh
MNEMO_HOME in a temporary directory is used and removed afterwards.
"""
import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

WORDS = ("parser compiler linker cache index query planner scheduler worker queue lease "
         "socket buffer allocator arena checkpoint snapshot replica leader follower vote "
         "migration schema column trigger backup restore rollback deploy canary release "
         "latency throughput timeout retry backoff circuit breaker quota token session "
         "cookie header payload gzip brotli utf8 unicode locale timezone calendar cron "
         "kernel driver firmware sensor battery thermal fan clock governor frequency "
         "gradient optimizer tokenizer embedding attention adapter quantization shard "
         "kubernetes docker podman systemd journald nginx envoy postgres sqlite redis "
         "kafka rabbitmq grpc protobuf avro parquet arrow numpy pandas torch jax").split()
VERBS = ["fixed", "measured", "rewrote", "profiled", "removed", "added", "tuned",
         "documented", "replaced", "debugged", "benchmarked", "reverted"]


def observation(rng, i):
    a, b, c = rng.sample(WORDS, 3)
    v = rng.choice(VERBS)
    n = rng.randint(2, 9000)
    return (f"Observation {i}: {v} the {a} {b} path in src/{c}/{a}.c; "
            f"{c} now handles {n} requests per second after the change to v{rng.randint(1, 9)}."
            f"{rng.randint(0, 20)} (see /var/log/{b}.log).")


class Session:
    def __init__(self, binary, env):
        self.p = subprocess.Popen([binary, "mcp"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.DEVNULL, env=env)
        self.out = self.p.stdout
        self.next_id = 0

    def rpc(self, method, params=None):
        self.next_id += 1
        msg = {"jsonrpc": "2.0", "id": self.next_id, "method": method}
        if params is not None:
            msg["params"] = params
        self.p.stdin.write((json.dumps(msg) + "\n").encode())
        self.p.stdin.flush()
        line = self.out.readline()
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
        self.p.wait(timeout=30)


def pct(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q / 100 * (len(xs) - 1))))]


def summary(xs):
    return {"p50_ms": pct(xs, 50), "p90_ms": pct(xs, 90), "p99_ms": pct(xs, 99),
            "mean_ms": statistics.fmean(xs), "n": len(xs)}


def ensure_weights(binary, tmp, env):
    """Train tiny builtin weights when no default ships (tests/mcp/weights.sh)."""
    script = f'. "{ROOT}/tests/mcp/weights.sh"; mcp_ensure_weights && echo "${{MNEMO_DATADIR:-}}"'
    r = subprocess.run(["sh", "-c", script], env={**env, "MNEMO": binary, "T": tmp},
                       capture_output=True, text=True)
    if r.returncode == 0 and r.stdout.strip():
        env["MNEMO_DATADIR"] = r.stdout.strip()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--memories", type=int, default=10000)
    ap.add_argument("--recalls", type=int, default=1000)
    ap.add_argument("--pings", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--json", action="store_true", help="print the results as JSON")
    a = ap.parse_args()

    binary = os.environ.get("MNEMO_BIN") or os.path.join(
        ROOT, os.environ.get("MNEMO_BUILD", "build"), "mnemo")
    tmp = tempfile.mkdtemp(prefix="mnemo-bench-mcp-")
    env = {k: v for k, v in os.environ.items() if k != "MNEMO_CONFIG"}
    env.update({"MNEMO_HOME": os.path.join(tmp, "home"), "XDG_CONFIG_HOME": os.path.join(tmp, "xdg"),
                "MNEMO_LOG_LEVEL": "warn"})
    rng = random.Random(a.seed)
    try:
        ensure_weights(binary, tmp, env)
        s = Session(binary, env)
        s.rpc("initialize", {"protocolVersion": "2025-06-18", "capabilities": {},
                             "clientInfo": {"name": "bench", "version": "1"}})
        t0 = time.perf_counter()
        states = {}
        for i in range(a.memories):
            r = s.tool("remember", {"text": observation(rng, i), "project": "bench"})
            states[r["state"]] = states.get(r["state"], 0) + 1
        seed_s = time.perf_counter() - t0

        for _ in range(50):  # warm caches
            s.rpc("ping")
            s.tool("recall", {"query": " ".join(rng.sample(WORDS, 2))})
        pings, recalls, hits = [], [], []
        for _ in range(a.pings):
            t = time.perf_counter()
            s.rpc("ping")
            pings.append((time.perf_counter() - t) * 1000)
        for _ in range(a.recalls):
            q = " ".join(rng.sample(WORDS, 2))
            t = time.perf_counter()
            r = s.tool("recall", {"query": q, "limit": 10})
            recalls.append((time.perf_counter() - t) * 1000)
            hits.append(len(r["memories"]))
        s.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    res = {
        "memories": a.memories, "seed_states": states, "seed_seconds": seed_s,
        "remember_per_second": a.memories / seed_s if seed_s else 0,
        "ping": summary(pings), "recall": summary(recalls),
        "recall_mean_hits": statistics.fmean(hits),
    }
    res["recall_over_ping_p50"] = res["recall"]["p50_ms"] / res["ping"]["p50_ms"]
    if a.json:
        print(json.dumps(res, indent=2))
        return
    print(f"mcp bench: {a.memories} memories seeded via remember in {seed_s:.1f}s "
          f"({res['remember_per_second']:.0f}/s, {states})")
    for name in ("ping", "recall"):
        r = res[name]
        print(f"  {name:6s} round trip  p50 {r['p50_ms']:.3f} ms  p90 {r['p90_ms']:.3f} ms  "
              f"p99 {r['p99_ms']:.3f} ms  mean {r['mean_ms']:.3f} ms  (n={r['n']})")
    print(f"  recall returned {res['recall_mean_hits']:.1f} memories on average (limit 10)")
    print(f"  recall/ping p50 ratio {res['recall_over_ping_p50']:.1f}x")


if __name__ == "__main__":
    sys.exit(main())
