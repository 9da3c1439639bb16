#!/usr/bin/env python3
"""The HTTP server of `mnemo serve --http` with real clients (docs/http.md):
the JSON API against the CLI's --json objects, MCP over Streamable HTTP by
hand, hostile and malformed requests, 8 concurrent clients, the token mode.

Run by tests/integration/test_http.sh, which starts the daemons:
  test_http.py open URL MNEMO     a loopback server without a token
  test_http.py token URL TOKEN    a loopback server with a token
Prints PASS/FAIL lines (tests/run.sh counts them)."""
import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.parse

FAILS = 0


def check(name, ok, why=""):
    global FAILS
    if ok:
        print("PASS " + name)
    else:
        FAILS += 1
        print("FAIL %s: %s" % (name, str(why)[:400].replace("\n", " ")))
    sys.stdout.flush()
    return ok


class Client:
    def __init__(self, url, headers=None):
        u = urllib.parse.urlsplit(url)
        self.host, self.port = u.hostname, u.port
        self.base = {"Host": "%s:%d" % (self.host, self.port)}
        self.base.update(headers or {})

    def req(self, method, path, body=None, headers=None, raw=None):
        c = http.client.HTTPConnection(self.host, self.port, timeout=60)
        h = dict(self.base)
        h.update(headers or {})
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
            h.setdefault("Content-Type", "application/json")
        c.request(method, path, body=data, headers=h)
        r = c.getresponse()
        text = r.read()
        hdrs = {k.lower(): v for k, v in r.getheaders()}
        c.close()
        try:
            js = json.loads(text) if text else None
        except ValueError:
            js = None
        return r.status, hdrs, js, text


def raw_exchange(host, port, data, read_timeout=10):
    """Send raw bytes, return what comes back until the peer closes or a
    whole response is in."""
    s = socket.create_connection((host, port), timeout=read_timeout)
    try:
        s.sendall(data)
    except OSError:
        pass
    out = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            out += chunk
            if b"\r\n\r\n" in out:
                head, _, rest = out.partition(b"\r\n\r\n")
                cl = [l for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")]
                if cl and len(rest) >= int(cl[0].split(b":")[1]):
                    break
    except OSError:
        pass
    s.close()
    return out


def cli(mnemo, *args):
    r = subprocess.run([mnemo, *args], capture_output=True, text=True, timeout=120)
    return r.returncode, (json.loads(r.stdout) if r.stdout.strip().startswith(("{", "[")) else None)


def mcp_init(c, version="2025-11-25", accept="application/json, text/event-stream"):
    st, h, js, _ = c.req("POST", "/mcp", {
        "jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"protocolVersion": version, "capabilities": {},
                   "clientInfo": {"name": "test_http", "version": "1"}}},
        headers={"Accept": accept})
    sid = h.get("mcp-session-id")
    if st == 200 and sid:
        c.req("POST", "/mcp", {"jsonrpc": "2.0", "method": "notifications/initialized"},
              headers={"Accept": accept, "Mcp-Session-Id": sid,
                       "MCP-Protocol-Version": version})
    return st, sid, js


def mcp_call(c, sid, mid, method, params, version="2025-11-25"):
    return c.req("POST", "/mcp", {"jsonrpc": "2.0", "id": mid, "method": method,
                                  "params": params},
                 headers={"Accept": "application/json, text/event-stream",
                          "Mcp-Session-Id": sid, "MCP-Protocol-Version": version})


def open_mode(url, mnemo):
    c = Client(url)
    u = urllib.parse.urlsplit(url)

    # ---- reads, and the same objects as the CLI ----
    st, h, status, _ = c.req("GET", "/api/v1/status")
    rc, cli_status = cli(mnemo, "status", "--json")
    check("GET /api/v1/status is the status object of `mnemo status --json`",
          st == 200 and cli_status and set(status) == set(cli_status)
          and status["daemon"] == "running", (st, status))
    check("API answers carry nosniff and no-store",
          h.get("x-content-type-options") == "nosniff" and h.get("cache-control") == "no-store",
          h)
    check("no CORS headers", not any(k.startswith("access-control") for k in h), h)
    st, _, doc, _ = c.req("GET", "/api/v1/openapi.json")
    check("GET /api/v1/openapi.json is an OpenAPI 3.1 document",
          st == 200 and doc and doc.get("openapi", "").startswith("3.1") and
          "/recall" in doc.get("paths", {}), st)

    # ---- anti-forgery ----
    def stored(q):
        return sum(q.get(k, 0) for k in ("queued", "claimed", "encoded", "failed"))
    before = stored(status["queue"])
    st, _, js, _ = c.req("POST", "/api/v1/remember", {"text": "no token, no memory"})
    check("POST without the anti-forgery token is 403 csrf_required",
          st == 403 and js["error"]["code"] == "csrf_required", (st, js))
    st, _, js, _ = c.req("POST", "/api/v1/remember", {"text": "wrong token"},
                         headers={"X-Mnemo-CSRF": "0" * 32})
    check("POST with a wrong anti-forgery token is 403", st == 403, (st, js))
    st, _, js, _ = c.req("GET", "/api/v1/csrf")
    csrf = (js or {}).get("csrf_token", "")
    check("GET /api/v1/csrf gives the token", st == 200 and len(csrf) == 32, js)
    st, _, js, _ = c.req("GET", "/api/v1/csrf", headers={"Sec-Fetch-Site": "cross-site"})
    check("a cross-site page cannot fetch the anti-forgery token", st == 403, st)
    w = Client(url, {"X-Mnemo-CSRF": csrf})

    # ---- every operation ----
    st, _, rem, _ = w.req("POST", "/api/v1/remember", {
        "text": "Decided to deploy the billing service with blue-green releases because "
                "rollbacks took 40 minutes.", "project": "billing", "type": "decision"})
    check("POST /api/v1/remember", st == 200 and set(rem) >= {"raw_id", "memory_id", "state"},
          (st, rem))
    raw_id = rem["raw_id"]
    mem_id = rem.get("memory_id")
    deadline = time.time() + 60
    while not mem_id and time.time() < deadline:
        st, _, js, _ = w.req("POST", "/api/v1/recall", {"query": "blue-green billing"})
        for m in js.get("memories", []):
            if m.get("raw_id") == raw_id and m.get("id"):
                mem_id = m["id"]
        if not mem_id:
            time.sleep(0.2)
    check("the daemon encodes what the API remembered", mem_id, rem)
    st, _, rec, _ = w.req("POST", "/api/v1/recall", {"query": "blue-green billing", "limit": 5,
                                                     "project": "billing"})
    rc, cli_rec = cli(mnemo, "recall", "--json", "--project", "billing", "blue-green billing")
    ids = [m.get("id") for m in rec.get("memories", [])]
    check("POST /api/v1/recall finds it, as the CLI's recall does",
          st == 200 and mem_id in ids and cli_rec and
          ids == [m.get("id") for m in cli_rec["memories"]] and
          set(rec["memories"][0]) == set(cli_rec["memories"][0]), (st, rec, cli_rec))
    st, _, fb, _ = w.req("POST", "/api/v1/feedback", {"query_id": rec["query_id"],
                                                     "rating": "helpful"})
    check("POST /api/v1/feedback", st == 200 and fb.get("rated", 0) >= 1, (st, fb))
    st, _, js, _ = w.req("POST", "/api/v1/feedback", {"query_id": "nope", "rating": "helpful"})
    check("feedback on an unknown query is 404", st == 404 and js["error"]["code"] == "not_found",
          (st, js))
    st, _, js, _ = w.req("POST", "/api/v1/feedback", {"query_id": rec["query_id"],
                                                     "rating": "great"})
    check("feedback with a bad rating is 400 naming the field",
          st == 400 and "rating" in js["error"]["message"], (st, js))
    st, _, au, _ = c.req("GET", "/api/v1/experience?limit=50")
    enc = [m for m in au.get("memories", []) if m.get("id") == mem_id][0]["encoding"]
    enc2 = dict(enc)
    enc2["gist"] = "Billing deploys blue-green: rollbacks took 40 minutes"
    st, _, am, _ = w.req("POST", "/api/v1/memories/%s/amend" % mem_id, {"encoding": enc2})
    check("POST /api/v1/memories/{id}/amend", st == 200 and am.get("correction_source") == "human"
          and am.get("memory_id") == mem_id, (st, am))
    st, _, js, _ = w.req("POST", "/api/v1/memories/%s/amend" % mem_id, {"encoding": "x"})
    check("amend without an encoding object is 400", st == 400, (st, js))
    st, _, au, _ = c.req("GET", "/api/v1/experience?limit=5")
    rc, cli_au = cli(mnemo, "audit", "--json", "--limit", "5")
    check("GET /api/v1/experience is `mnemo audit --json`",
          st == 200 and cli_au and au["count"] == cli_au["count"], (st, au, cli_au))
    st, _, js, _ = c.req("GET", "/api/v1/experience?limit=zero")
    check("a bad query argument is 400", st == 400 and "limit" in js["error"]["message"], js)
    st, _, runs, _ = c.req("GET", "/api/v1/training/runs")
    check("GET /api/v1/training/runs", st == 200 and set(runs) == {"runs", "learning"}, runs)
    st, _, js, _ = c.req("GET", "/api/v1/training/runs/0000")
    check("GET /api/v1/training/runs/{unknown} is 404", st == 404, (st, js))
    st, _, tr, _ = w.req("POST", "/api/v1/training/runs", {"reason": "test"})
    check("POST /api/v1/training/runs answers the train request object",
          st == 200 and set(tr) >= {"accepted", "state", "request_id", "reason", "runner"},
          (st, tr))
    st, _, mv, _ = c.req("GET", "/api/v1/models")
    rc, cli_mv = cli(mnemo, "model", "list", "--json")
    check("GET /api/v1/models is `mnemo model list --json`",
          st == 200 and cli_mv and set(mv) == set(cli_mv) and mv["current"] == cli_mv["current"],
          (st, mv))
    st, _, js, _ = w.req("POST", "/api/v1/models/pin", {"version": "v-none"})
    check("pinning an unknown version is an error with its status",
          st in (400, 404) and "error" in js, (st, js))
    st, _, js, _ = w.req("POST", "/api/v1/models/pin", {})
    check("pin without a version is 400", st == 400, (st, js))
    st, _, js, _ = w.req("POST", "/api/v1/models/unpin")
    check("POST /api/v1/models/unpin", st == 200 and js.get("pinned") is None, (st, js))
    st, _, js, _ = w.req("POST", "/api/v1/models/rollback", {})
    check("POST /api/v1/models/rollback with nothing to roll back to is a JSON error",
          st in (400, 404, 409) and "error" in js, (st, js))
    st, _, js, _ = c.req("GET", "/api/v1/learning")
    check("GET /api/v1/learning", st == 200 and "dream" in js, js)
    st, _, js, _ = c.req("GET", "/api/v1/learning/history?days=7")
    check("GET /api/v1/learning/history", st == 200 and isinstance(js, dict), (st, js))

    # ---- malformed requests: clear errors, nothing stored ----
    st, _, js, _ = w.req("POST", "/api/v1/remember", raw=b"{not json",
                         headers={"Content-Type": "application/json"})
    check("bad JSON is 400 bad_json", st == 400 and js["error"]["code"] == "bad_json", (st, js))
    st, _, js, _ = w.req("POST", "/api/v1/remember", raw=b"[1,2]",
                         headers={"Content-Type": "application/json"})
    check("a JSON array body is 400", st == 400 and js["error"]["code"] == "bad_json", (st, js))
    st, _, js, _ = w.req("POST", "/api/v1/remember", raw=b"text=hello",
                         headers={"Content-Type": "application/x-www-form-urlencoded"})
    check("a form body is 415", st == 415, (st, js))
    st, _, js, _ = w.req("POST", "/api/v1/remember", {"txt": "typo"})
    check("a missing field is 400 naming it", st == 400 and "text" in js["error"]["message"],
          (st, js))
    st, _, js, _ = w.req("POST", "/api/v1/recall", {"query": "x", "limit": 1000})
    check("an out-of-range limit is 400", st == 400, (st, js))
    st, h, js, _ = c.req("PUT", "/api/v1/status")
    check("a wrong method is 405", st == 405 and js["error"]["code"] == "method_not_allowed",
          (st, js))
    st, h, js, _ = w.req("DELETE", "/api/v1/status")
    check("405 names the allowed methods", st == 405 and "GET" in h.get("allow", ""), (st, h))
    st, _, js, _ = c.req("GET", "/api/v1/nothing")
    check("an unknown route is 404", st == 404 and js["error"]["code"] == "not_found", (st, js))
    st, _, js, _ = c.req("OPTIONS", "/api/v1/status", headers={
        "Origin": "http://evil.example", "Access-Control-Request-Method": "POST"})
    check("a CORS preflight is refused", st in (403, 405), st)
    # the answer comes as soon as the headers are in: the body is never read
    out = raw_exchange(u.hostname, u.port, b"POST /api/v1/remember HTTP/1.1\r\nHost: %s:%d\r\n"
                       b"Content-Type: application/json\r\nX-Mnemo-CSRF: %s\r\n"
                       b"Content-Length: %d\r\n\r\n" % (u.hostname.encode(), u.port,
                                                        csrf.encode(), 5 * 1024 * 1024))
    check("a body over 4 MiB (Content-Length) is 413 before it is sent",
          out.startswith(b"HTTP/1.1 413") and b"too_large" in out, out[:200])
    out = raw_exchange(u.hostname, u.port, b"POST /api/v1/remember HTTP/1.1\r\nHost: %s:%d\r\n"
                       b"Content-Type: application/json\r\nX-Mnemo-CSRF: %s\r\n"
                       b"Transfer-Encoding: chunked\r\n\r\n" % (u.hostname.encode(), u.port,
                                                                csrf.encode()) +
                       b"".join(b"%x\r\n%s\r\n" % (65536, b"b" * 65536) for _ in range(70)) +
                       b"0\r\n\r\n")
    check("a chunked body over 4 MiB is 413", out.startswith(b"HTTP/1.1 413"), out[:80])
    out = raw_exchange(u.hostname, u.port, b"GET /api/v1/status HTTP/1.1\r\nHost: %s:%d\r\n"
                       b"X-Big: %s\r\n\r\n" % (u.hostname.encode(), u.port, b"h" * 100000))
    check("headers over 64 KiB are refused (431) or the connection closed",
          out == b"" or out.split(b" ")[1] in (b"431", b"413", b"400"), out[:80])
    out = raw_exchange(u.hostname, u.port, b"GARBAGE\r\n\r\n")
    check("a garbage request line is 400", out.startswith(b"HTTP/1.1 400") or out == b"",
          out[:80])
    st, _, js, _ = c.req("GET", "/api/v1/status", headers={"Host": "evil.example:%d" % u.port})
    check("a foreign Host is 403 (DNS rebinding)",
          st == 403 and js["error"]["code"] == "forbidden_host", (st, js))
    st, _, js, _ = c.req("GET", "/api/v1/status", headers={"Origin": "http://evil.example"})
    check("a foreign Origin is 403", st == 403 and js["error"]["code"] == "forbidden_origin",
          (st, js))
    st, _, js, _ = w.req("POST", "/api/v1/remember", {"text": "from evil"},
                         headers={"Origin": "http://evil.example"})
    check("a foreign Origin cannot change anything", st == 403, (st, js))
    st, _, js, _ = c.req("GET", "/api/v1/status", headers={"Origin": "null"})
    check("Origin: null is 403", st == 403, st)
    st, _, js, _ = c.req("GET", "/api/v1/status", headers={"Origin": url})
    check("the server's own Origin is allowed", st == 200, (st, js))
    st, _, js, _ = c.req("GET", "/api/v1/status", headers={"Host": "localhost:%d" % u.port,
                                                           "Origin": "http://localhost:%d" % u.port})
    check("localhost Host and Origin are allowed", st == 200, (st, js))
    st, _, js, _ = c.req("GET", "/api/v1/status")
    check("nothing was stored by a refused request",
          stored(js["queue"]) == before + 1, (before, js["queue"]))
    st, _, js, _ = c.req("POST", "/index.html")
    check("POST to a dashboard path is 405", st == 405, st)

    # ---- MCP by hand ----
    st, h, js, _ = c.req("POST", "/mcp", {"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
                         headers={"Accept": "application/json, text/event-stream"})
    check("MCP without a session is 400", st == 400 and js.get("error"), (st, js))
    st, sid, js = mcp_init(c)
    check("MCP initialize gives a session and 2025-11-25",
          st == 200 and sid and len(sid) == 32 and
          js["result"]["protocolVersion"] == "2025-11-25", (st, js))
    st, sid2, js = mcp_init(c, "2025-06-18")
    check("MCP initialize with 2025-06-18 negotiates it",
          st == 200 and js["result"]["protocolVersion"] == "2025-06-18", js)
    st, h, js, _ = mcp_call(c, sid, 2, "tools/list", {})
    tools = [t["name"] for t in js["result"]["tools"]] if st == 200 else []
    check("MCP tools/list", st == 200 and "recall" in tools and "remember" in tools, (st, js))
    st, h, js, _ = mcp_call(c, sid, 3, "tools/call", {"name": "recall",
                                                      "arguments": {"query": "blue-green"}})
    sc = js["result"].get("structuredContent", {}) if st == 200 else {}
    check("MCP recall over HTTP finds the memory the API stored",
          mem_id in [m.get("id") for m in sc.get("memories", [])], js)
    st, h, js, _ = mcp_call(c, sid, 4, "tools/list", {}, version="1999-01-01")
    check("an unknown MCP-Protocol-Version is 400", st == 400, (st, js))
    st, h, js, _ = mcp_call(c, "f" * 32, 5, "tools/list", {})
    check("an unknown session is 404", st == 404, (st, js))
    st, h, _, text = c.req("POST", "/mcp", {"jsonrpc": "2.0", "id": 6, "method": "ping"},
                           headers={"Accept": "text/event-stream", "Mcp-Session-Id": sid})
    check("Accept: text/event-stream gets one SSE event",
          st == 200 and h.get("content-type", "").startswith("text/event-stream") and
          text.startswith(b"event: message\ndata: {") and text.endswith(b"\n\n"), (st, text))
    st, h, js, _ = c.req("POST", "/mcp", {"jsonrpc": "2.0", "id": 7, "method": "ping"},
                         headers={"Accept": "text/html", "Mcp-Session-Id": sid})
    check("an Accept without JSON or SSE is 406", st == 406, st)
    st, h, js, _ = c.req("POST", "/mcp", raw=b'{"jsonrpc":"2.0","id":8,"method":"ping"}',
                         headers={"Content-Type": "text/plain", "Mcp-Session-Id": sid})
    check("MCP with a non-JSON Content-Type is 415", st == 415, st)
    st, h, js, text = c.req("POST", "/mcp", {"jsonrpc": "2.0", "method": "notifications/x"},
                            headers={"Accept": "application/json", "Mcp-Session-Id": sid})
    check("a notification is 202 without a body", st == 202 and not text, (st, text))
    st, h, js, _ = c.req("POST", "/mcp", raw=b'{"jsonrpc":"2.0","id":9,',
                         headers={"Content-Type": "application/json", "Mcp-Session-Id": sid,
                                  "Accept": "application/json"})
    check("bad JSON on /mcp is 400 with a JSON-RPC parse error",
          st == 400 and js and js.get("error", {}).get("code") == -32700, (st, js))
    st, h, js, _ = c.req("POST", "/mcp", {"jsonrpc": "2.0", "id": 9, "method": "no/such"},
                         headers={"Accept": "application/json", "Mcp-Session-Id": sid})
    check("an unknown method is 200 with a JSON-RPC error for its id",
          st == 200 and js.get("id") == 9 and js["error"]["code"] == -32601, (st, js))
    st, h, js, _ = c.req("GET", "/mcp", headers={"Accept": "text/event-stream",
                                                 "Mcp-Session-Id": sid})
    check("GET /mcp is 405 (no server-initiated stream)",
          st == 405 and "POST" in h.get("allow", ""), (st, h))
    st, h, js, _ = c.req("POST", "/mcp", {"jsonrpc": "2.0", "id": 1, "method": "ping"},
                         headers={"Origin": "http://evil.example", "Mcp-Session-Id": sid,
                                  "Accept": "application/json"})
    check("MCP with a foreign Origin is 403", st == 403, st)
    st, h, _, _ = c.req("DELETE", "/mcp", headers={"Mcp-Session-Id": sid2})
    check("DELETE /mcp ends a session", st in (200, 204), st)
    st, h, js, _ = mcp_call(c, sid2, 10, "tools/list", {}, version="2025-06-18")
    check("an ended session is 404", st == 404, st)

    # ---- 8 concurrent MCP clients ----
    n_clients, per = 8, 15
    errors = []

    def agent(k):
        try:
            cc = Client(url)
            st, s, _ = mcp_init(cc)
            if st != 200:
                errors.append("init %d" % st)
                return
            for i in range(per):
                st, _, js, _ = mcp_call(cc, s, 100 + i, "tools/call", {
                    "name": "remember",
                    "arguments": {"text": "agent %d note %d: the cache key includes the "
                                          "tenant id" % (k, i), "project": "conc"}})
                if st != 200 or js["result"].get("isError"):
                    errors.append(("remember", st, js))
                st, _, js, _ = mcp_call(cc, s, 200 + i, "tools/call", {
                    "name": "recall", "arguments": {"query": "cache key tenant"}})
                if st != 200 or js["result"].get("isError"):
                    errors.append(("recall", st, js))
            cc.req("DELETE", "/mcp", headers={"Mcp-Session-Id": s})
        except Exception as e:  # noqa: BLE001 - any failure is a test failure
            errors.append(repr(e))
    ths = [threading.Thread(target=agent, args=(k,)) for k in range(n_clients)]
    for t in ths:
        t.start()
    for t in ths:
        t.join()
    check("8 concurrent MCP clients, remember and recall, no errors", not errors, errors[:3])
    st, _, js, _ = c.req("GET", "/api/v1/status")
    check("every concurrent remember was stored",
          stored(js["queue"]) == before + 1 + n_clients * per, (before, js["queue"]))

    # ---- browsing: list, show, edit, dedup, export ----
    st, _, ls, _ = c.req("GET", "/api/v1/memories?limit=5&project=conc")
    rc, cli_ls = cli(mnemo, "list", "--json", "--limit", "5", "--project", "conc")
    check("GET /api/v1/memories is `mnemo list --json`",
          st == 200 and cli_ls is not None and
          [m.get("raw_id") for m in ls["memories"]] == [m.get("raw_id") for m in cli_ls["memories"]]
          and len(ls["memories"]) == 5 and ls.get("nextCursor"), (st, ls, cli_ls))
    st, _, ls2, _ = c.req("GET", "/api/v1/memories?limit=5&project=conc&cursor=" +
                          urllib.parse.quote(ls.get("nextCursor") or ""))
    check("GET /api/v1/memories with nextCursor gives the next page",
          st == 200 and not set(m["raw_id"] for m in ls2["memories"]) &
          set(m["raw_id"] for m in ls["memories"]), (st, ls2))
    st, _, js, _ = c.req("GET", "/api/v1/memories?cursor=bogus")
    check("a bad cursor is 400", st == 400, (st, js))
    st, _, sh, _ = c.req("GET", "/api/v1/memories/%s" % mem_id)
    rc, cli_sh = cli(mnemo, "show", "--json", mem_id)
    check("GET /api/v1/memories/{id} is `mnemo show --json`",
          st == 200 and cli_sh is not None and set(sh) == set(cli_sh), (st, sh))
    st, _, js, _ = c.req("GET", "/api/v1/memories/no-such-id")
    check("GET of an unknown memory is 404", st == 404, (st, js))
    st, _, ed, _ = w.req("POST", "/api/v1/memories/%s/edit" % mem_id, {
        "text": "Decided to deploy the billing service blue-green: rollbacks took 40 minutes."})
    check("POST /api/v1/memories/{id}/edit", st == 200 and ed.get("raw_id"), (st, ed))
    st, _, dd, _ = w.req("POST", "/api/v1/dedup", {"project": "conc"})
    check("POST /api/v1/dedup reports without applying",
          st == 200 and dd.get("dry_run") is True and "pairs" in dd, (st, dd))
    st, h, _, text = c.req("GET", "/api/v1/export?project=billing")
    lines = [json.loads(x) for x in text.decode().splitlines() if x.strip()]
    check("GET /api/v1/export is JSON Lines",
          st == 200 and h.get("content-type") == "application/x-ndjson" and len(lines) == 1,
          (st, text[:200]))

    # ---- forget last: 200, then 404 ----
    st, _, js, _ = w.req("DELETE", "/api/v1/memories/%s" % mem_id)
    check("DELETE /api/v1/memories/{id}", st == 200 and js == {"memory_id": mem_id,
                                                              "forgotten": True}, (st, js))
    st, _, js, _ = w.req("DELETE", "/api/v1/memories/%s" % mem_id)
    check("DELETE of a forgotten memory is 404 with forgotten false",
          st == 404 and js["error"]["forgotten"] is False, (st, js))

    # ---- the session limit: the least recently used session makes room ----
    st, first, _ = mcp_init(c)
    last = None
    for _ in range(260):
        st, last, _ = mcp_init(c)
        if st != 200:
            break
    check("260 sessions can be started (over the limit of 256)", st == 200, st)
    st, _, js, _ = mcp_call(c, first, 1, "tools/list", {})
    check("the least recently used session was ended (404: initialize again)", st == 404, st)
    st, _, js, _ = mcp_call(c, last, 1, "tools/list", {})
    check("the newest session works", st == 200, st)


def token_mode(url, token):
    c = Client(url)
    st, h, js, _ = c.req("GET", "/api/v1/status")
    check("with a token: no Authorization is 401 with WWW-Authenticate",
          st == 401 and "bearer" in h.get("www-authenticate", "").lower(), (st, h))
    st, _, js, _ = c.req("GET", "/api/v1/status", headers={"Authorization": "Bearer " + "x" * 32})
    check("with a token: a wrong token is 401", st == 401, st)
    st, _, js, _ = c.req("GET", "/api/v1/status", headers={"Authorization": "Basic Zm9vOmJhcg=="})
    check("with a token: Basic auth is 401", st == 401, st)
    a = Client(url, {"Authorization": "Bearer " + token})
    st, _, js, _ = a.req("GET", "/api/v1/status")
    check("with a token: the right token reads", st == 200 and "memories" in js, st)
    st, _, js, _ = a.req("POST", "/api/v1/remember", {"text": "the token is enough to write"})
    check("with a token: the bearer token is enough to write (no anti-forgery token)",
          st == 200 and js.get("raw_id"), (st, js))
    st, _, js, _ = c.req("GET", "/api/v1/openapi.json")
    check("with a token: the OpenAPI document is public", st == 200, st)
    st, _, js, _ = c.req("POST", "/mcp", {"jsonrpc": "2.0", "id": 1, "method": "initialize",
                                          "params": {"protocolVersion": "2025-11-25"}},
                         headers={"Accept": "application/json"})
    check("with a token: /mcp without it is 401", st == 401, st)
    st, sid, js = mcp_init(a)
    check("with a token: /mcp with it works", st == 200 and sid, (st, js))


def main():
    mode, url, arg = sys.argv[1], sys.argv[2], sys.argv[3]
    if mode == "open":
        open_mode(url, arg)
    else:
        token_mode(url, arg)
    sys.exit(1 if FAILS else 0)


if __name__ == "__main__":
    main()
