#!/usr/bin/env python3
"""fake_embed.py - a deterministic stand-in for an OpenAI-compatible
/v1/embeddings server (docs/vectors.md), for tests and benchmarks.
Python 3 standard library only.

Usage:
    python3 tests/support/fake_embed.py --port 0 --port-file PATH
                                        [--dim 64] [--mode ok] [--log PATH]

    --port 0       bind any free port; the bound port is written (decimal,
                   newline) to --port-file, atomically, once listening.
    --dim N        dimensions of the vectors it returns [64]
    --mode M       ok | slow | error | wrongdim  [ok]
    --delay S      seconds a "slow" reply waits [10]
    --log PATH     one JSON line per request: {"n", "path", "inputs"}

Endpoints:
    POST .../embeddings     {"data": [{"index", "embedding"}], "model", ...}
    POST /control           {"mode": M, "delay": S}: change the mode live
    GET  .../models         200 model list
Modes: ok answers; slow sleeps --delay first; error answers 503;
wrongdim answers with dim + 3 dimensions. To play a server that is down,
kill the process (connections are then refused).

Vectors: a hashed bag of words. Each content word (lower case, function
words dropped, a crude stem) and each character trigram of it adds +-1 at
a hashed position; words of one CONCEPTS group count as the same word, so
paraphrases that use them share dimensions while plain lexical search
cannot match them. Same text, same vector, on every machine.
"""

import argparse
import hashlib
import json
import os
import re
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

STOPWORDS = set("""
a about after all also an and any are as at be been but by can could did do does
for from had has have how i if in into is it its just me my no not of on or our
so than that the their them then there these they this to was we were what when
where which who why will with would you your
""".split())

# Made-up words on purpose: recall's own lexicon cannot know them, so only
# the vectors can join a query in one to a memory in the other.
CONCEPTS = [
    {"zorblax", "quintessa", "vellumite"},
    {"db", "database", "datastore"},
    {"pick", "picked", "chose", "chosen", "choose", "select", "selected"},
]

state = {"mode": "ok", "delay": 10.0, "n": 0}
lock = threading.Lock()


def stem(w):
    for suf in ("ing", "ed", "es", "s"):
        if len(w) > len(suf) + 2 and w.endswith(suf):
            return w[: -len(suf)]
    return w


def concept(w):
    for i, group in enumerate(CONCEPTS):
        if w in group:
            return "#concept%d" % i
    return None


def slot(token, dim):
    h = hashlib.sha256(token.encode("utf-8")).digest()
    return int.from_bytes(h[:4], "little") % dim, (1.0 if h[4] & 1 else -1.0)


def embed(text, dim):
    v = [0.0] * dim
    words = re.findall(r"[a-z0-9]+", text.lower())
    for w in words:
        if w in STOPWORDS:
            continue
        c = concept(w)
        feats = [c] if c else [stem(w)] + ["~" + stem(w)[i:i + 3]
                                           for i in range(max(1, len(stem(w)) - 2))]
        for f in feats:
            i, s = slot(f, dim)
            v[i] += s * (2.0 if not f.startswith("~") else 0.5)
    if not any(v):
        i, s = slot("#empty", dim)
        v[i] = 1.0
    return v


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def reply(self, status, obj):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path.rstrip("/").endswith("/models"):
            self.reply(200, {"object": "list", "data": [{"id": "fake-embed", "object": "model"}]})
        else:
            self.reply(404, {"error": {"message": "not found"}})

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n)
        try:
            req = json.loads(raw or b"{}")
        except ValueError:
            self.reply(400, {"error": {"message": "bad json"}})
            return
        if self.path == "/control":
            with lock:
                state.update({k: req[k] for k in ("mode", "delay") if k in req})
            self.reply(200, dict(state))
            return
        if not self.path.rstrip("/").endswith("/embeddings"):
            self.reply(404, {"error": {"message": "not found"}})
            return
        inputs = req.get("input")
        if isinstance(inputs, str):
            inputs = [inputs]
        with lock:
            state["n"] += 1
            mode, delay, count = state["mode"], state["delay"], state["n"]
        if args.log:
            with open(args.log, "a") as f:
                f.write(json.dumps({"n": count, "path": self.path, "inputs": inputs}) + "\n")
        if mode == "slow":
            time.sleep(float(delay))
        if mode == "error":
            self.reply(503, {"error": {"message": "model is loading"}})
            return
        if not isinstance(inputs, list) or not all(isinstance(t, str) for t in inputs):
            self.reply(400, {"error": {"message": "input must be a string or a list"}})
            return
        dim = args.dim + (3 if mode == "wrongdim" else 0)
        data = [{"object": "embedding", "index": i, "embedding": embed(t, dim)}
                for i, t in enumerate(inputs)]
        self.reply(200, {"object": "list", "model": req.get("model", "fake-embed"),
                         "data": data, "usage": {"prompt_tokens": 0, "total_tokens": 0}})


def main():
    global args
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port-file")
    ap.add_argument("--dim", type=int, default=64)
    ap.add_argument("--mode", default="ok", choices=["ok", "slow", "error", "wrongdim"])
    ap.add_argument("--delay", type=float, default=10.0)
    ap.add_argument("--log")
    args = ap.parse_args()
    state["mode"] = args.mode
    state["delay"] = args.delay
    srv = ThreadingHTTPServer((args.host, args.port), Handler)
    srv.daemon_threads = True
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % srv.server_address[1])
        os.replace(tmp, args.port_file)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
