#!/bin/sh
# One result per operation (docs/results.md): on one data home, every
# operation is run through `mnemo <cmd> --json` and through the MCP tool
# (tools/call over stdio), and the two objects are compared; each MCP
# result is also checked against the tool's outputSchema.
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/mcp/weights.sh"
mcp_ensure_weights || fail "weights" "could not train test weights"

python3 - "$MNEMO" "$MNEMO_HOME" <<'PY'
import json, os, select, subprocess, sys, time

MNEMO, HOME = sys.argv[1], sys.argv[2]

def report(name, ok, why=""):
    print(("PASS %s" % name) if ok else ("FAIL %s: %s" % (name, str(why)[:600])), flush=True)

class Server:
    def __init__(self):
        self.p = subprocess.Popen([MNEMO, "mcp"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.DEVNULL)
        self.buf = b""
        self.id = 0

    def rpc(self, method, params=None, timeout=30):
        self.id += 1
        m = {"jsonrpc": "2.0", "id": self.id, "method": method}
        if params is not None:
            m["params"] = params
        self.p.stdin.write(json.dumps(m).encode() + b"\n")
        self.p.stdin.flush()
        end = time.time() + timeout
        while b"\n" not in self.buf:
            r, _, _ = select.select([self.p.stdout], [], [], max(0, end - time.time()))
            if not r:
                return None
            chunk = os.read(self.p.stdout.fileno(), 1 << 20)
            if not chunk:
                return None
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def close(self):
        self.p.stdin.close()
        return self.p.wait(timeout=20)

TYPES = {"object": dict, "array": list, "string": str, "boolean": bool, "null": type(None)}
def validate(v, s, path="$"):
    t = s.get("type")
    if t is not None:
        ok = False
        for x in (t if isinstance(t, list) else [t]):
            if x == "integer":
                ok |= isinstance(v, int) and not isinstance(v, bool)
            elif x == "number":
                ok |= isinstance(v, (int, float)) and not isinstance(v, bool)
            else:
                ok |= isinstance(v, TYPES[x])
        if not ok:
            return "%s: %r is not %s" % (path, v, t)
    if "enum" in s and v not in s["enum"]:
        return "%s: %r not in enum" % (path, v)
    if isinstance(v, dict):
        for k in s.get("required", []):
            if k not in v:
                return "%s: missing %s" % (path, k)
        for k, sub in s.get("properties", {}).items():
            if k in v:
                e = validate(v[k], sub, path + "." + k)
                if e:
                    return e
    if isinstance(v, list) and "items" in s:
        for i, x in enumerate(v):
            e = validate(x, s["items"], "%s[%d]" % (path, i))
            if e:
                return e
    return None

def undeclared(v, s):
    """Top-level keys of a result that its outputSchema does not name."""
    return sorted(set(v) - set(s.get("properties", {})))

srv = Server()
srv.rpc("initialize", {"protocolVersion": "2025-06-18", "capabilities": {},
                       "clientInfo": {"name": "results", "version": "1"}})
schemas = {t["name"]: t["outputSchema"] for t in srv.rpc("tools/list")["result"]["tools"]}

def cli(*args, rc=0):
    p = subprocess.run([MNEMO] + list(args) + ["--json"], capture_output=True, text=True,
                       timeout=120)
    if p.returncode != rc:
        report("cli %s exits %d" % (" ".join(args), rc), False,
               "rc %d: %s" % (p.returncode, p.stderr))
    try:
        return json.loads(p.stdout)
    except ValueError:
        report("cli %s prints JSON" % " ".join(args), False, p.stdout + p.stderr)
        return None

def mcp(tool, args):
    r = srv.rpc("tools/call", {"name": tool, "arguments": args})
    res = (r or {}).get("result", {})
    sc = res.get("structuredContent")
    if res.get("isError") or sc is None:
        report("mcp %s succeeds" % tool, False, r)
        return None
    e = validate(sc, schemas[tool])
    report("mcp %s matches its outputSchema" % tool, e is None, e)
    extra = undeclared(sc, schemas[tool])
    report("mcp %s: outputSchema names every key" % tool, not extra, extra)
    return sc

def without(o, *keys):
    return {k: v for k, v in (o or {}).items() if k not in keys}

TIME_KEYS = ("_at", "_time", "last_", "next_", "age", "elapsed", "now")
def untimed(v):
    if isinstance(v, dict):
        return {k: untimed(x) for k, x in v.items()
                if not any(t in k for t in TIME_KEYS)}
    if isinstance(v, list):
        return [untimed(x) for x in v]
    return v

def diff(a, b, path="$"):
    """The first few paths where a and b differ."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for k in sorted(set(a) | set(b)):
            out += diff(a.get(k, "<absent>"), b.get(k, "<absent>"), path + "." + k)
        return out
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        out = []
        for i, (x, y) in enumerate(zip(a, b)):
            out += diff(x, y, "%s[%d]" % (path, i))
        return out
    return [] if a == b else ["%s: cli %s, mcp %s" % (path, json.dumps(a)[:80], json.dumps(b)[:80])]

def same(name, a, b):
    report(name, a is not None and a == b, "; ".join(diff(a, b)[:5]))

# remember: the same keys and state (ids differ)
c = cli("remember", "Decided to pin SQLite at 3.45 because FTS5 ranking changed in 3.46.")
m = mcp("remember", {"text": "Decided to keep jansson over cJSON: it has JSON_PRESERVE_ORDER."})
report("remember: same keys", c is not None and m is not None and sorted(c) == sorted(m), (c, m))
report("remember: same state", c is not None and m is not None and c["state"] == m["state"], (c, m))
report("remember: memory_id is the key of the memory id",
       bool(c and "memory_id" in c and "id" not in c), c)
mid = (c or {}).get("memory_id") or (c or {}).get("raw_id")

# recall: everything but the query id
c = cli("recall", "SQLite FTS5")
m = mcp("recall", {"query": "SQLite FTS5"})
same("recall: same result but query_id", without(c, "query_id"), without(m, "query_id"))
qid = (c or {}).get("query_id")

# audit (mnemo audit = audit_encodings)
same("audit: same result", cli("audit", "--limit", "10"), mcp("audit_encodings", {"limit": 10}))

# feedback: the same query rated twice (the later rating replaces the earlier)
same("feedback: same result", cli("feedback", qid or "x", "helpful"),
     mcp("feedback", {"query_id": qid or "x", "rating": "helpful"}))

# amend: the same correction of the same memory
enc = {"gist": "Pinned SQLite at 3.45", "summary": "SQLite is pinned at 3.45: FTS5 ranking changed in 3.46.",
       "content": "Decided to pin SQLite at 3.45 because FTS5 ranking changed in 3.46.",
       "narrative": "", "concepts": ["sqlite", "fts5"],
       "structured_concepts": {"topics": [], "entities": [], "actions": [], "causality": []},
       "significance": "notable", "emotional_tone": "neutral", "outcome": "success", "salience": 0.6}
with open(os.path.join(HOME, "..", "amend.json"), "w") as f:
    json.dump(enc, f)
same("amend: same result", cli("amend", mid or "x", os.path.join(HOME, "..", "amend.json")),
     mcp("amend", {"memory_id": mid or "x", "encoding": enc}))

# status: everything but times
same("status: same result but times", untimed(cli("status")), untimed(mcp("status", {})))

# train request: declined by the e-stop, the same answer
estop = os.path.join(HOME, "training.disabled")
open(estop, "w").write("results test\n")
c = cli("train", "request", rc=5)
m = mcp("train_model", {})
same("train request declined: same result", c, m)
report("train request declined: accepted false, state declined, reason",
       bool(c and c["accepted"] is False and c["state"] == "declined" and c["reason"]
            and c["request_id"] is None), c)
os.unlink(estop)

# training status and model versions
same("training status: same result", cli("train", "status"), mcp("training_status", {}))
same("model versions: same result", cli("model", "list"), mcp("model_versions", {}))

# forget: of a present memory (ids differ), then of an absent one
a = cli("remember", "Throwaway one: rotate the staging keys weekly.")
b = mcp("remember", {"text": "Throwaway two: rotate the prod keys monthly."})
ida = (a or {}).get("memory_id") or (a or {}).get("raw_id")
idb = (b or {}).get("memory_id") or (b or {}).get("raw_id")
c = cli("forget", ida or "x")
m = mcp("forget", {"memory_id": idb or "x"})
same("forget: same result but the id", without(c, "memory_id"), without(m, "memory_id"))
report("forget: memory_id and forgotten true", bool(c and c.get("memory_id") == ida and c["forgotten"] is True), c)
same("forget of an absent memory: same result (CLI exits 3)", cli("forget", ida or "x", rc=3),
     mcp("forget", {"memory_id": ida or "x"}))

# list, show (get_memory), edit (update_memory), duplicates (issue 13)
same("list: same page", cli("list", "--limit", "5"), mcp("list_memories", {"limit": 5}))
c = cli("list", "--limit", "1")
nxt = (c or {}).get("nextCursor")
report("list: a nextCursor when more follow", isinstance(nxt, str), c)
same("list: same next page", cli("list", "--limit", "1", "--cursor", nxt or "x"),
     mcp("list_memories", {"limit": 1, "cursor": nxt or "x"}))
same("show: same result", cli("show", mid or "x"), mcp("get_memory", {"memory_id": mid or "x"}))
a = cli("remember", "Edit target one: the cache lives in /var/cache/app.")
b = mcp("remember", {"text": "Edit target two: the cache lives in /var/cache/app."})
c = cli("edit", (a or {}).get("memory_id") or "x", "--text", "Edited: the cache moved to /srv/cache.")
m = mcp("update_memory", {"memory_id": (b or {}).get("memory_id") or "x",
                          "text": "Edited: the cache moved to /srv/cache/app."})
report("edit: same keys", c is not None and m is not None and sorted(c) == sorted(m), (c, m))
report("edit: re-encoded in place", bool(c and m and c["reencoded"] and m["reencoded"]
       and c["memory_id"] == a["memory_id"] and m["memory_id"] == b["memory_id"]), (c, m))
c = cli("remember", "Decided to pin SQLite at 3.45 because FTS5 ranking changed in 3.46.")
m = mcp("remember", {"text": "Decided to pin SQLite at 3.45 because FTS5 ranking changed in 3.46."})
report("remember of the same text: duplicate, the same memory",
       bool(c and m and c.get("duplicate") and m.get("duplicate") and c["raw_id"] == m["raw_id"]
            and m["repeat_count"] == c["repeat_count"] + 1), (c, m))
r = srv.rpc("resources/list")
res = ((r or {}).get("result") or {}).get("resources") or []
report("resources/list lists memories", any(x.get("uri") == "mnemo://memory/" + (mid or "x") for x in res), r)
r = srv.rpc("resources/read", {"uri": "mnemo://memory/" + (mid or "x")})
cont = (((r or {}).get("result") or {}).get("contents") or [{}])[0]
report("resources/read gives the get_memory object",
       cont.get("mimeType") == "application/json" and json.loads(cont.get("text", "{}")) == mcp("get_memory", {"memory_id": mid or "x"}), r)
r = srv.rpc("resources/read", {"uri": "mnemo://memory/no-such-id"})
report("resources/read of an unknown memory: -32002", ((r or {}).get("error") or {}).get("code") == -32002, r)

report("mcp server exits cleanly", srv.close() == 0)
PY
