#!/usr/bin/env python3
"""bench_http.py - MCP over Streamable HTTP (`mnemo serve --http`).

Seeds N memories (default 10 000) through MCP `remember` on stdio (inline
encoding, as bench_mcp.py does), starts `mnemo serve --http 127.0.0.1:0` on
that home, and measures from a client on the same machine, each client with
its own MCP session over one keep-alive connection:

  * `ping` round trips (the baseline: HTTP, JSON-RPC, no work),
  * `recall` tool calls (limit 10) with two-word queries from the seeding
    vocabulary (issue 14 target: p50 under 5 ms at 10k memories),
  * the same recall from 8 concurrent clients: every call must succeed;
    p50/p99 per call and calls per second overall.

Usage: bench/bench_http.py [--memories N] [--recalls N] [--clients N] [--json]
The binary is $MNEMO_BIN, else $MNEMO_BUILD/mnemo, else build/mnemo. A fresh
MNEMO_HOME in a temporary directory is used and removed afterwards.
"""
import argparse
import http.client
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_mcp import WORDS, Session, ensure_weights, observation, summary  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class HttpSession:
    """One MCP session over one keep-alive HTTP connection."""

    def __init__(self, host, port):
        self.c = http.client.HTTPConnection(host, port, timeout=60)
        self.sid = None
        self.next_id = 0
        self.rpc("initialize", {"protocolVersion": "2025-11-25", "capabilities": {},
                                "clientInfo": {"name": "bench_http", "version": "1"}})
        self.post({"jsonrpc": "2.0", "method": "notifications/initialized"})

    def post(self, msg):
        h = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
        if self.sid:
            h["Mcp-Session-Id"] = self.sid
            h["MCP-Protocol-Version"] = "2025-11-25"
        self.c.request("POST", "/mcp", body=json.dumps(msg), headers=h)
        r = self.c.getresponse()
        body = r.read()
        if r.status not in (200, 202):
            raise RuntimeError(f"HTTP {r.status}: {body[:200]!r}")
        if not self.sid:
            self.sid = r.getheader("Mcp-Session-Id")
        return json.loads(body) if body else None

    def rpc(self, method, params=None):
        self.next_id += 1
        msg = {"jsonrpc": "2.0", "id": self.next_id, "method": method}
        if params is not None:
            msg["params"] = params
        resp = self.post(msg)
        if "error" in resp:
            raise RuntimeError(f"{method}: {resp['error']}")
        return resp["result"]

    def tool(self, name, args):
        res = self.rpc("tools/call", {"name": name, "arguments": args})
        if res.get("isError"):
            raise RuntimeError(f"{name}: {res['content'][0]['text']}")
        return res["structuredContent"]

    def close(self):
        h = {"Mcp-Session-Id": self.sid}
        self.c.request("DELETE", "/mcp", headers=h)
        self.c.getresponse().read()
        self.c.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--memories", type=int, default=10000)
    ap.add_argument("--recalls", type=int, default=1000)
    ap.add_argument("--pings", type=int, default=500)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--per-client", type=int, default=200)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()

    binary = os.environ.get("MNEMO_BIN") or os.path.join(
        ROOT, os.environ.get("MNEMO_BUILD", "build"), "mnemo")
    tmp = tempfile.mkdtemp(prefix="mnemo-bench-http-")
    env = {k: v for k, v in os.environ.items() if k != "MNEMO_CONFIG"}
    env.update({"MNEMO_HOME": os.path.join(tmp, "home"),
                "XDG_CONFIG_HOME": os.path.join(tmp, "xdg"), "MNEMO_LOG_LEVEL": "warn"})
    rng = random.Random(a.seed)
    serve = None
    try:
        ensure_weights(binary, tmp, env)
        s = Session(binary, env)
        s.rpc("initialize", {"protocolVersion": "2025-06-18", "capabilities": {},
                             "clientInfo": {"name": "bench", "version": "1"}})
        t0 = time.perf_counter()
        for i in range(a.memories):
            s.tool("remember", {"text": observation(rng, i), "project": "bench"})
        seed_s = time.perf_counter() - t0
        s.close()

        serve = subprocess.Popen([binary, "serve", "--no-dream", "--http", "127.0.0.1:0"],
                                 env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        addr = os.path.join(env["MNEMO_HOME"], "http.addr")
        for _ in range(300):
            if os.path.exists(addr):
                break
            time.sleep(0.1)
        url = open(addr).read().strip()
        host, port = url.split("//")[1].rsplit(":", 1)
        port = int(port)

        h = HttpSession(host, port)
        for _ in range(50):  # warm caches
            h.rpc("ping")
            h.tool("recall", {"query": " ".join(rng.sample(WORDS, 2))})
        pings, recalls, hits = [], [], []
        for _ in range(a.pings):
            t = time.perf_counter()
            h.rpc("ping")
            pings.append((time.perf_counter() - t) * 1000)
        for _ in range(a.recalls):
            q = " ".join(rng.sample(WORDS, 2))
            t = time.perf_counter()
            r = h.tool("recall", {"query": q, "limit": 10})
            recalls.append((time.perf_counter() - t) * 1000)
            hits.append(len(r["memories"]))
        h.close()

        lat, errors, lock = [], [], threading.Lock()

        def client(k):
            r2 = random.Random(k)
            try:
                c = HttpSession(host, port)
            except Exception as e:  # noqa: BLE001 - counted as an error
                with lock:
                    errors.append(repr(e))
                return
            mine = []
            for _ in range(a.per_client):
                q = " ".join(r2.sample(WORDS, 2))
                t = time.perf_counter()
                try:
                    c.tool("recall", {"query": q, "limit": 10})
                    mine.append((time.perf_counter() - t) * 1000)
                except Exception as e:  # noqa: BLE001 - counted as an error
                    with lock:
                        errors.append(repr(e))
            c.close()
            with lock:
                lat.extend(mine)
        ths = [threading.Thread(target=client, args=(k,)) for k in range(a.clients)]
        t0 = time.perf_counter()
        for t in ths:
            t.start()
        for t in ths:
            t.join()
        wall = time.perf_counter() - t0
    finally:
        if serve:
            serve.send_signal(signal.SIGTERM)
            try:
                serve.wait(timeout=30)
            except subprocess.TimeoutExpired:
                serve.kill()
        shutil.rmtree(tmp, ignore_errors=True)

    res = {"memories": a.memories, "seed_seconds": seed_s, "ping": summary(pings),
           "recall": summary(recalls), "recall_mean_hits": sum(hits) / len(hits),
           "concurrent": {"clients": a.clients, "calls": len(lat), "errors": len(errors),
                          "first_errors": errors[:3],
                          "calls_per_second": len(lat) / wall if wall else 0,
                          **(summary(lat) if lat else {})}}
    if a.json:
        print(json.dumps(res, indent=2))
    else:
        print(f"http bench: {a.memories} memories seeded in {seed_s:.1f}s; MCP over "
              f"Streamable HTTP (JSON answers, one keep-alive connection per client)")
        for name in ("ping", "recall"):
            r = res[name]
            print(f"  {name:6s} round trip  p50 {r['p50_ms']:.3f} ms  p90 {r['p90_ms']:.3f} ms  "
                  f"p99 {r['p99_ms']:.3f} ms  mean {r['mean_ms']:.3f} ms  (n={r['n']})")
        print(f"  recall returned {res['recall_mean_hits']:.1f} memories on average (limit 10)")
        c = res["concurrent"]
        print(f"  {c['clients']} concurrent clients: {c['calls']} recalls, {c['errors']} errors, "
              f"{c['calls_per_second']:.0f}/s, p50 {c.get('p50_ms', 0):.3f} ms "
              f"p99 {c.get('p99_ms', 0):.3f} ms")
    return 1 if errors or res["recall"]["p50_ms"] >= 5 else 0


if __name__ == "__main__":
    sys.exit(main())
