#!/usr/bin/env python3
"""fake_llm.py - a scripted stand-in for an OpenAI-compatible chat API.

Test suites (llm, teacher, external students, integration) start it as a
real child process and point an endpoint at http://127.0.0.1:PORT/v1.
Python 3 standard library only.

Usage:
    python3 tests/support/fake_llm.py --port 0 --script FILE --port-file PATH
                                      [--log PATH] [--host 127.0.0.1]
                                      [--ready-delay SECONDS]

    --port 0        bind any free port; the bound port is written (decimal,
                    newline) to --port-file, atomically, once listening.
    --script FILE   JSON: a list of steps, consumed one per chat request in
                    order (the last step repeats forever), or one step
                    object (repeats forever).
    --log PATH      append one JSON line per request received:
                    {"n", "method", "path", "client_port" (equal ports
                     mean a kept-alive connection), "headers" (lower-case
                     names), "body" (parsed JSON, or the raw text)}.
    --ready-delay S GET /models answers 503 for the first S seconds.

Endpoints:
    GET  /v1/models, /models           200 {"object":"list","data":[...]}
    POST .../chat/completions          the next script step
    anything else                      404

Step keys (combine freely; "delay_s" applies before any reply):
    {"content": "TEXT"}                200 chat completion with TEXT as the
                                       assistant message ("finish_reason"
                                       optional, default "stop")
    {"encode": "echo", "rules": [...], "default": {...}}  (rules optional: a
                                       scripted teacher; see echo_encoding)
    {"encode": "echo"}                 200 chat completion whose content is a
                                       faithful, schema-valid encoding
                                       (DESIGN §4) of the observation in the
                                       user prompt: content = the text
                                       verbatim, gist/summary = its first
                                       sentence (cut to 60/400 chars),
                                       concepts = up to 6 non-stopwords,
                                       routine/neutral/unknown, salience 0.5
    {"status": N, "body": "TEXT"}      status N with TEXT as body (default
                                       body: an OpenAI-style error object;
                                       with status 200 TEXT is sent raw)
    {"status": 429, "retry_after": 1}  adds a Retry-After header
    {"delay_s": 3, ...}                sleep first (slow model)
    {"oversize": N}                    200 with an N-byte body and no
                                       Content-Length (close-delimited)
    {"reset": true}                    read the request, then reset the
                                       connection (TCP RST) without a reply
    {"close": true}                    read the request, then close the
                                       connection (FIN) without a reply
"""

import argparse
import json
import os
import re
import socket
import struct
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MODEL_ID = "fake-model"

STOPWORDS = set("""
a about above after again against all also am an and any are as at be because
been before being below between both but by can could did do does doing down
during each few for from further had has have having he her here hers him his
how i if in into is it its itself just me more most my no nor not now of off on
once only or other our ours out over own same she should so some such than that
the their theirs them then there these they this those through to too under
until up very was we were what when where which while who whom why will with
would you your yours yet into onto upon via per
""".split())

# The production prompt (src/prompt.c) ends with
#     Source: <source>\nType: <type>\n[Observed on: <day> ...\n]Observation:\n<content>\n
# The first such header is the real one: the instructions come before it
# and the content, which might quote it, after it.
PROMPT_HEADER = re.compile(r"^Source: [^\n]*\nType: [^\n]*\n(?:Observed on: [^\n]*\n)?"
                           r"Observation:\n", re.M)
# Fallbacks for prompts of other shapes: a labelled last section.
OTHER_MARKERS = [
    re.compile(r"<(?:content|input|observation)>\n?(.*?)\n?</(?:content|input|observation)>", re.S),
    re.compile(r"^(?:#+\s*)?(?:observation|content|input|text)\s*:[ \t]*\n?(.*)\Z", re.S | re.I | re.M),
]


def prompt_content(user):
    """The text to encode, found in the user prompt."""
    m = PROMPT_HEADER.search(user)
    if m:
        text = user[m.end():]
        return text[:-1] if text.endswith("\n") else text
    for rx in OTHER_MARKERS:
        found = list(rx.finditer(user))
        if found:
            return found[-1].group(1).strip()
    parts = [p for p in re.split(r"\n\s*\n", user) if p.strip()]
    return (parts[-1] if parts else user).strip()


def first_sentence(text):
    line = text.strip().split("\n", 1)[0]
    m = re.search(r"(?<=[.!?])\s", line)
    return (line[:m.start()] if m else line).strip()


def cut(text, limit):
    if len(text) <= limit:
        return text
    t = text[:limit]
    sp = t.rfind(" ")
    return (t[:sp] if sp > limit // 2 else t).rstrip()


LABEL_KEYS = ("significance", "emotional_tone", "outcome", "salience")


def echo_encoding(text, rules=None, default=None):
    """A faithful, schema-valid encoding of text. With rules (a scripted
    teacher), the judgment fields come from the first rule whose "contains"
    word occurs in the text (case-insensitive), else from default."""
    sentence = first_sentence(text) or text
    concepts = []
    for w in re.findall(r"[A-Za-z][A-Za-z0-9_-]{2,}", text):
        w = w.lower()
        if w in STOPWORDS or w in concepts:
            continue
        concepts.append(w)
        if len(concepts) == 6:
            break
    return {
        "gist": cut(sentence, 60),
        "summary": cut(sentence, 400),
        "content": text,
        "narrative": "",
        "concepts": concepts,
        "structured_concepts": {
            "topics": [{"label": c, "path": c} for c in concepts[:2]],
            "entities": [],
            "actions": [],
            "causality": [],
        },
        **labels_for(text, rules, default),
    }


def labels_for(text, rules, default):
    labels = {"significance": "routine", "emotional_tone": "neutral",
              "outcome": "unknown", "salience": 0.5}
    low = text.lower()
    for rule in rules or []:
        if rule.get("contains", "").lower() in low:
            labels.update({k: rule[k] for k in LABEL_KEYS if k in rule})
            return labels
    labels.update({k: (default or {})[k] for k in LABEL_KEYS if k in (default or {})})
    return labels


class Script:
    def __init__(self, steps):
        self.steps = steps
        self.i = 0
        self.lock = threading.Lock()

    def next(self):
        with self.lock:
            step = self.steps[min(self.i, len(self.steps) - 1)]
            self.i += 1
            return step


class Log:
    def __init__(self, path):
        self.f = open(path, "a", encoding="utf-8") if path else None
        self.n = 0
        self.lock = threading.Lock()

    def write(self, method, path, headers, raw, client_port):
        with self.lock:
            self.n += 1
            if not self.f:
                return
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = raw.decode("utf-8", "replace")
            rec = {"n": self.n, "method": method, "path": path, "client_port": client_port,
                   "headers": {k.lower(): v for k, v in headers.items()},
                   "body": body}
            self.f.write(json.dumps(rec, ensure_ascii=False) + "\n")
            self.f.flush()


def completion(content, model, finish="stop"):
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model or MODEL_ID,
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": content},
            "finish_reason": finish,
        }],
        "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
    }


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as real servers do
    server_version = "fake_llm/1"

    def log_message(self, fmt, *args):  # quiet: tests read --log instead
        pass

    def handle_one_request(self):
        # a client that gave up (timeout, size cap, keep-alive close) is
        # part of the tests, not an error of the fake
        try:
            super().handle_one_request()
        except (ConnectionResetError, BrokenPipeError):
            self.close_connection = True

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n > 0 else b""

    def send(self, status, body, ctype="application/json", extra=None):
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self.server.log.write("GET", self.path, self.headers, b"", self.client_address[1])
        path = self.path.split("?", 1)[0].rstrip("/")
        if path in ("/v1/models", "/models"):
            if time.monotonic() < self.server.ready_at:
                self.send(503, '{"error":{"message":"loading model"}}')
                return
            self.send(200, json.dumps({"object": "list", "data": [
                {"id": MODEL_ID, "object": "model", "owned_by": "fake"}]}))
            return
        self.send(404, '{"error":{"message":"not found"}}')

    def do_POST(self):
        raw = self.read_body()
        self.server.log.write("POST", self.path, self.headers, raw, self.client_address[1])
        if not self.path.split("?", 1)[0].rstrip("/").endswith("/chat/completions"):
            self.send(404, '{"error":{"message":"not found"}}')
            return
        try:
            req = json.loads(raw)
        except ValueError:
            req = None
        self.reply(self.server.script.next(), req if isinstance(req, dict) else {})

    def reply(self, step, req):
        if step.get("delay_s"):
            time.sleep(float(step["delay_s"]))
        model = req.get("model")
        if step.get("reset"):
            # RST rather than FIN: the client sees "connection reset by peer"
            self.close_connection = True
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
            self.connection.close()
            return
        if step.get("close"):
            self.close_connection = True  # FIN without a reply: "empty reply"
            return
        if "oversize" in step:
            n = int(step["oversize"])
            self.close_connection = True
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Connection", "close")
            self.end_headers()
            chunk = b"x" * 65536
            while n > 0:
                self.wfile.write(chunk[:min(n, len(chunk))])
                n -= len(chunk)
            return
        status = int(step.get("status", 200))
        if status != 200 or ("body" in step and "content" not in step):
            extra = {}
            if "retry_after" in step:
                extra["Retry-After"] = str(step["retry_after"])
            body = step.get("body")
            if body is None:
                body = json.dumps({"error": {"message": "fake error %d" % status,
                                             "type": "server_error"}})
            self.send(status, body, extra=extra)
            return
        if step.get("encode") == "echo":
            user = ""
            for m in req.get("messages") or []:
                if isinstance(m, dict) and m.get("role") == "user":
                    user = m.get("content") or ""
            content = json.dumps(echo_encoding(prompt_content(user), step.get("rules"),
                                               step.get("default")), ensure_ascii=False)
        else:
            content = step.get("content", "")
        self.send(200, json.dumps(completion(content, model, step.get("finish_reason", "stop")),
                                  ensure_ascii=False))


def main():
    ap = argparse.ArgumentParser(description="scripted OpenAI-compatible fake")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--script", required=True)
    ap.add_argument("--port-file")
    ap.add_argument("--log")
    ap.add_argument("--ready-delay", type=float, default=0.0)
    a = ap.parse_args()

    with open(a.script, encoding="utf-8") as f:
        steps = json.load(f)
    if isinstance(steps, dict):
        steps = [steps]
    if not isinstance(steps, list) or not steps or not all(isinstance(s, dict) for s in steps):
        sys.exit("fake_llm: --script must hold a step object or a non-empty list of them")

    srv = ThreadingHTTPServer((a.host, a.port), Handler)
    srv.daemon_threads = True
    srv.script = Script(steps)
    srv.log = Log(a.log)
    srv.ready_at = time.monotonic() + a.ready_delay
    port = srv.server_address[1]
    if a.port_file:
        tmp = a.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        os.replace(tmp, a.port_file)
    else:
        print(port, flush=True)
    try:
        srv.serve_forever(poll_interval=0.1)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
