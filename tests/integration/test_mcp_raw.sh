#!/bin/sh
# `mnemo mcp` driven over pipes by a raw JSON-RPC client (python3): framing,
# error codes, tool errors, size limit, notifications, signals, and that
# stdout carries nothing but valid JSON-RPC lines.
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/mcp/weights.sh"
mcp_ensure_weights || fail "weights" "could not train test weights"

python3 - "$MNEMO" <<'PY'
import json, os, select, signal, subprocess, sys, time

MNEMO = sys.argv[1]
LIMIT = 4 * 1024 * 1024  # MN_LIMIT_MCP_MESSAGE_BYTES

def report(name, ok, why=""):
    print(("PASS %s" % name) if ok else ("FAIL %s: %s" % (name, why)), flush=True)

class Server:
    def __init__(self):
        self.p = subprocess.Popen([MNEMO, "mcp"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE)
        self.buf = b""
        self.lines = []   # every stdout line, raw

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.p.stdin.write(data + b"\n")
        self.p.stdin.flush()

    def read(self, timeout=20):
        end = time.time() + timeout
        while b"\n" not in self.buf:
            left = end - time.time()
            if left <= 0:
                return None
            r, _, _ = select.select([self.p.stdout], [], [], left)
            if not r:
                return None
            chunk = os.read(self.p.stdout.fileno(), 1 << 20)
            if not chunk:
                return None
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        self.lines.append(line)
        return json.loads(line)

    def rpc(self, data):
        self.send(data)
        return self.read()

    def close(self):
        self.p.stdin.close()
        rest = self.p.stdout.read()
        self.lines += [l for l in (self.buf + rest).split(b"\n") if l]
        rc = self.p.wait(timeout=20)
        err = self.p.stderr.read()
        return rc, err

def req(id, method, params=None):
    m = {"jsonrpc": "2.0", "id": id, "method": method}
    if params is not None:
        m["params"] = params
    return json.dumps(m)

def call(id, name, args):
    return req(id, "tools/call", {"name": name, "arguments": args})

def err_code(r):
    return (r or {}).get("error", {}).get("code")

# --- a minimal JSON Schema check for what our output schemas use ---
TYPES = {"object": dict, "array": list, "string": str, "boolean": bool, "null": type(None)}
def validate(v, s, path="$"):
    t = s.get("type")
    if t is not None:
        ts = t if isinstance(t, list) else [t]
        ok = False
        for x in ts:
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
        if s.get("additionalProperties") is False:
            extra = set(v) - set(s.get("properties", {}))
            if extra:
                return "%s: unexpected %s" % (path, extra)
    if isinstance(v, list) and "items" in s:
        for i, x in enumerate(v):
            e = validate(x, s["items"], "%s[%d]" % (path, i))
            if e:
                return e
    if isinstance(v, (int, float)) and "minimum" in s and v < s["minimum"]:
        return "%s: below minimum" % path
    return None

s = Server()

# --- lifecycle ---
r = s.rpc(req(1, "initialize", {"protocolVersion": "2025-03-26", "capabilities": {},
                                "clientInfo": {"name": "raw", "version": "1"}}))
res = (r or {}).get("result", {})
report("initialize echoes supported version", res.get("protocolVersion") == "2025-03-26", r)
report("initialize capabilities and serverInfo",
       res.get("capabilities") == {"tools": {"listChanged": False},
                                   "resources": {"subscribe": False, "listChanged": False}}
       and res.get("serverInfo", {}).get("name") == "mnemo" and isinstance(res.get("instructions"), str), r)
s.send('{"jsonrpc":"2.0","method":"notifications/initialized"}')
r = s.rpc(req(2, "ping"))
report("notification gets no reply; ping answers {}", r == {"jsonrpc": "2.0", "id": 2, "result": {}}, r)
r = s.rpc(req(3, "initialize", {"protocolVersion": "2099-01-01", "capabilities": {}}))
report("unknown version answered with latest", r["result"]["protocolVersion"] == "2025-11-25", r)
r = s.rpc(req(3, "initialize", {"protocolVersion": "2025-11-25", "capabilities": {}}))
report("2025-11-25 (the SDK's current revision) is negotiated", r["result"]["protocolVersion"] == "2025-11-25", r)

# --- tools/list and schemas ---
r = s.rpc(req(4, "tools/list"))
tools = {t["name"]: t for t in r["result"]["tools"]}
want = ["remember", "recall", "feedback", "amend", "forget", "status", "audit_encodings",
        "train_model", "training_status", "model_versions", "list_memories", "get_memory",
        "update_memory"]
report("tools/list has every tool", sorted(tools) == sorted(want), sorted(tools))
report("every tool has input and output schema",
       all(t["inputSchema"].get("type") == "object" and t["inputSchema"].get("additionalProperties") is False
           and t["outputSchema"].get("type") == "object" for t in tools.values()))

nid = [100]
def tool(name, args):
    nid[0] += 1
    r = s.rpc(call(nid[0], name, args))
    return r

def tool_ok(name, args, check):
    r = tool(name, args)
    res = (r or {}).get("result")
    if not res or res.get("isError") or "structuredContent" not in res:
        report(check, False, r)
        return None
    e = validate(res["structuredContent"], tools[name]["outputSchema"])
    ok = e is None and res["content"][0]["type"] == "text" and res["content"][0]["text"]
    report(check, ok, e or res)
    return res["structuredContent"]

def tool_err(name, args, check, needle):
    r = tool(name, args)
    res = (r or {}).get("result") or {}
    text = (res.get("content") or [{}])[0].get("text", "")
    ok = res.get("isError") is True and "structuredContent" not in res and needle in text
    report(check, ok, r)

# --- every tool ---
m = tool_ok("remember", {"text": "Chose Postgres 16 over MySQL for the billing service in /srv/billing.",
                         "project": "billing", "type": "decision"}, "remember")
mid = m and m["memory_id"]
report("remember encodes inline", bool(m and m["state"] == "encoded" and mid), m)
rc = tool_ok("recall", {"query": "Postgres billing", "limit": 5, "project": "billing"}, "recall")
report("recall finds the memory", bool(rc and any(x["id"] == mid for x in rc["memories"])), rc)
report("recall source defaults to mcp", bool(rc and rc["memories"] and rc["memories"][0]["source"] == "mcp"), rc)
fb = tool_ok("feedback", {"query_id": rc and rc["query_id"], "rating": "helpful"}, "feedback")
report("feedback rated the recalled memory", bool(fb and fb["rated"] == 1), fb)
st = tool_ok("status", {}, "status")
report("status shows memories and learning", bool(st and st["memories"] == 1 and "learning" in st and "training" not in st), st)
au = tool_ok("audit_encodings", {"limit": 10}, "audit_encodings")
report("audit lists metrics and flags", bool(au and au["memories"] and "metrics" in au["memories"][0]
                                             and "flags" in au["memories"][0]), au)
enc = dict(au["memories"][0]["encoding"]) if au and au["memories"] else {}
enc["gist"] = "Postgres 16 chosen for billing"
tool_ok("amend", {"memory_id": mid, "encoding": enc}, "amend")
tool_ok("training_status", {}, "training_status")
tool_ok("model_versions", {}, "model_versions")
os.makedirs(os.environ["MNEMO_HOME"], exist_ok=True)
open(os.path.join(os.environ["MNEMO_HOME"], "training.disabled"), "w").write("test\n")
tm = tool_ok("train_model", {"reason": "raw test"}, "train_model declined is a result")
report("train_model declined has a reason", bool(tm and tm["accepted"] is False and tm.get("reason")), tm)
os.unlink(os.path.join(os.environ["MNEMO_HOME"], "training.disabled"))
m2 = tool_ok("remember", {"text": "Throwaway note to forget: rotate keys weekly."}, "remember second")
tool_ok("forget", {"memory_id": m2 and (m2["memory_id"] or m2["raw_id"])}, "forget")

# --- tool errors (isError) ---
tool_err("remember", {"text": ""}, "empty text is isError", "empty")
tool_err("remember", {"text": "  \n\t "}, "blank text is isError", "empty")
bad = ('{"jsonrpc":"2.0","id":"utf8","method":"tools/call","params":{"name":"remember",'
       '"arguments":{"text":"caf\xe9 \xff\xfe"}}}').encode("latin-1")
r = s.rpc(bad)
res = (r or {}).get("result") or {}
report("invalid UTF-8 text is a clear isError for that request",
       r and r.get("id") == "utf8" and res.get("isError") is True
       and "not valid UTF-8" in res["content"][0]["text"], r)
tool_err("feedback", {"query_id": "nope", "rating": "helpful"}, "unknown query id is isError", "nope")
tool_err("feedback", {"query_id": "q", "rating": "great"}, "bad rating is isError", "helpful")
tool_err("recall", {"query": "x", "since": "last week"}, "bad since is isError", "since")
tool_err("amend", {"memory_id": mid, "encoding": {"gist": 1}}, "bad encoding is isError", "schema")

# --- protocol errors ---
r = s.rpc("{not json"); report("malformed JSON is -32700 with id null", err_code(r) == -32700 and r["id"] is None, r)
r = s.rpc('{"jsonrpc":"2.0","id":5,"id":6,"method":"ping"}'); report("duplicate keys are -32700", err_code(r) == -32700, r)
r = s.rpc('{"jsonrpc":"1.0","id":7,"method":"ping"}'); report("wrong jsonrpc is -32600", err_code(r) == -32600 and r["id"] == 7, r)
r = s.rpc('[{"jsonrpc":"2.0","id":8,"method":"ping"}]'); report("batch array is -32600", err_code(r) == -32600, r)
r = s.rpc('{"jsonrpc":"2.0","id":[1],"method":"ping"}'); report("bad id type is -32600", err_code(r) == -32600 and r["id"] is None, r)
r = s.rpc(req(9, "prompts/get")); report("unknown method is -32601", err_code(r) == -32601 and r["id"] == 9, r)
r = s.rpc(call(10, "teleport", {})); report("unknown tool is -32602", err_code(r) == -32602, r)
r = s.rpc(req(11, "tools/call", {"name": "recall", "arguments": ["x"]})); report("arguments not an object is -32602", err_code(r) == -32602, r)
s.send('{"jsonrpc":"2.0","method":"tools/call","params":{"name":"remember","arguments":{"text":"from a notification"}}}')
s.send('{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":3}}')
r = s.rpc(req(15, "ping")); report("notifications (even tools/call) get no reply", r and r.get("id") == 15, r)

# --- invalid arguments are tool errors the model can act on (SEP-1303) ---
tool_err("recall", {}, "missing argument is isError", "missing argument 'query'")
tool_err("recall", {"query": 42}, "wrong type is isError", "'query' of tool 'recall' must be a string, not an integer")
tool_err("recall", {"query": "x", "limit": "ten"}, "wrong integer type is isError", "must be an integer, not a string")
tool_err("remember", {"text": "x", "tags": ["a"]}, "unknown argument is isError",
         "unknown argument 'tags' for tool 'remember'; it takes: text, type, source, project")

# --- client responses get no reply, whatever their id ---
s.send('{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"Invalid Request"}}')
s.send('{"jsonrpc":"2.0","id":"c1","error":{"code":-32601,"message":"Method not found"}}')
s.send('{"jsonrpc":"2.0","id":"c2","result":{}}')
r = s.rpc(req(30, "ping"))
report("client responses and errors get no reply", r == {"jsonrpc": "2.0", "id": 30, "result": {}}, r)

# --- a NUL inside method, tool name or version is not cut off ---
r = s.rpc('{"jsonrpc":"2.0","id":31,"method":"ping\\u0000x"}')
report("method with \\u0000 is -32601", err_code(r) == -32601 and r["id"] == 31, r)
r = s.rpc('{"jsonrpc":"2.0","id":32,"method":"tools/call","params":{"name":"status\\u0000x","arguments":{}}}')
report("tool name with \\u0000 is -32602", err_code(r) == -32602 and r["id"] == 32, r)
r = s.rpc('{"jsonrpc":"2.0","id":33,"method":"initialize","params":{"protocolVersion":"2024-11-05\\u0000x"}}')
report("protocol version with \\u0000 is unknown", (r or {}).get("result", {}).get("protocolVersion") == "2025-11-25", r)

# --- pagination: no cursor was ever given out ---
r = s.rpc(req(34, "tools/list", {"cursor": "eyJwYWdlIjogMn0="}))
report("invalid cursor is -32602", err_code(r) == -32602 and r["id"] == 34, r)

# --- annotations and limits in tools/list ---
ann = {n: t.get("annotations", {}) for n, t in tools.items()}
report("recall and status are read-only", ann["recall"].get("readOnlyHint") is True and ann["status"].get("readOnlyHint") is True, ann)
report("feedback and amend overwrite (destructive, idempotent)",
       all(ann[n].get("destructiveHint") is True and ann[n].get("idempotentHint") is True for n in ("feedback", "amend")), ann)
report("remember is additive and not idempotent",
       ann["remember"].get("destructiveHint") is False and ann["remember"].get("idempotentHint") is False, ann["remember"])
report("forget is idempotent", ann["forget"].get("idempotentHint") is True, ann["forget"])
f1 = tool_ok("forget", {"memory_id": "no-such-memory"}, "forget of an absent memory is no error")
report("forget of an absent memory says forgotten false", bool(f1 and f1["forgotten"] is False), f1)
missing = []
for n, t in tools.items():
    for k, p in t["inputSchema"].get("properties", {}).items():
        if p.get("type") == "array":
            if not p.get("maxItems"):
                missing.append(n + "." + k + " maxItems")
            p = p.get("items", {})
        if p.get("type") == "string" and not isinstance(p.get("maxLength"), int):
            missing.append(n + "." + k)
report("every string argument has maxLength", not missing, missing)
props = lambda n: tools[n]["inputSchema"]["properties"]
report("maxLength matches the enforced limits",
       props("remember")["text"].get("maxLength") == 1048576 and props("recall")["query"].get("maxLength") == 4096,
       (props("remember")["text"], props("recall")["query"]))
tool_err("remember", {"text": "x", "project": "p" * (props("remember")["project"].get("maxLength", 256) + 1)},
         "a string over its maxLength is isError", "over its limit")

# --- oversized message: answered, skipped, never held whole ---
def hwm_kb(pid):
    for l in open("/proc/%d/status" % pid):
        if l.startswith("VmHWM:"):
            return int(l.split()[1])
    return 0
before = hwm_kb(s.p.pid)
big = ('{"jsonrpc":"2.0","id":16,"method":"tools/call","params":{"name":"remember","arguments":{"text":"'
       + "x" * (40 * 1024 * 1024) + '"}}}')
r = s.rpc(big)
report("oversized message is answered with an error", err_code(r) == -32600 and "limit" in r["error"]["message"], r)
grown = hwm_kb(s.p.pid) - before
report("oversized message is not buffered whole", grown < 16 * 1024, "peak memory grew %d KiB" % grown)
r = s.rpc(req(17, "ping")); report("server continues after oversized message", r and r.get("id") == 17, r)
just = ('{"jsonrpc":"2.0","id":18,"method":"tools/call","params":{"name":"recall","arguments":{"query":"'
        + "y" * 200 + '"}}}')
r = s.rpc(just); report("message under the limit is served", r and r.get("id") == 18 and "result" in r, r)

rc, err = s.close()
report("exits 0 on EOF", rc == 0, rc)
ok, why = True, ""
for line in s.lines:
    try:
        v = json.loads(line)
        if not (isinstance(v, dict) and v.get("jsonrpc") == "2.0" and "id" in v
                and (("result" in v) != ("error" in v))):
            ok, why = False, line[:200]
    except Exception as e:
        ok, why = False, repr(line[:200])
report("stdout holds only valid JSON-RPC responses", ok and len(s.lines) >= 30, why or len(s.lines))
report("logs go to stderr", b"mcp:" in err, err[:200])

# --- JSON-RPC batches: only under 2025-03-26, the revision that requires them ---
def valid_response(v):
    return (isinstance(v, dict) and v.get("jsonrpc") == "2.0" and "id" in v
            and (("result" in v) != ("error" in v)))
s3 = Server()
batch = json.dumps([{"jsonrpc": "2.0", "id": 1, "method": "ping"},
                    {"jsonrpc": "2.0", "method": "notifications/initialized"},
                    {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "recall", "arguments": {"query": "x"}}},
                    {"jsonrpc": "2.0", "id": "c", "result": {}}])
r = s3.rpc(batch)
report("batch before initialize is one -32600", err_code(r) == -32600 and r["id"] is None, r)
for v in ("2025-11-25", "2025-06-18", "2024-11-05"):
    s3.rpc(req("i" + v, "initialize", {"protocolVersion": v, "capabilities": {}}))
    r = s3.rpc(batch)
    report("batch under %s is one -32600" % v, err_code(r) == -32600 and r["id"] is None, r)
s3.rpc(req("i", "initialize", {"protocolVersion": "2025-03-26", "capabilities": {}}))
r = s3.rpc(batch)
report("batch under 2025-03-26 is answered as an array, in order",
       isinstance(r, list) and [x.get("id") for x in r] == [1, 2] and all(valid_response(x) for x in r)
       and r[0]["result"] == {} and "query_id" in r[1]["result"].get("structuredContent", {}), r)
s3.send(json.dumps([{"jsonrpc": "2.0", "method": "notifications/initialized"}, {"jsonrpc": "2.0", "id": 7, "result": {}}]))
r = s3.rpc(req("after", "ping"))
report("batch of notifications and responses gets no reply", r == {"jsonrpc": "2.0", "id": "after", "result": {}}, r)
r = s3.rpc(json.dumps([{"jsonrpc": "2.0", "id": "x", "method": "initialize", "params": {}}]))
report("initialize inside a batch is -32600", isinstance(r, list) and err_code(r[0]) == -32600 and r[0]["id"] == "x", r)
r = s3.rpc("[]")
report("empty batch is one -32600", err_code(r) == -32600 and r["id"] is None, r)
rc, _ = s3.close()
report("stdout holds only responses and arrays of responses",
       rc == 0 and all((valid_response(v) or (isinstance(v, list) and v and all(valid_response(x) for x in v)))
                       for v in map(json.loads, s3.lines)), s3.lines[-3:])

# --- SIGTERM while idle: clean exit ---
s2 = Server()
r = s2.rpc(req(1, "ping"))
s2.p.send_signal(signal.SIGTERM)
try:
    rc = s2.p.wait(timeout=10)
except subprocess.TimeoutExpired:
    s2.p.kill(); rc = "hung"
report("exits 0 on SIGTERM", rc == 0, rc)
PY
