#!/bin/sh
# The dashboard's first page at 100k memories (issue 14: under 300 ms).
# Seeds a data home with BENCH_DASH_N memories (default 100000) through the
# real remember path (bench_dashboard_seed.c), starts `mnemo serve --http`,
# and measures, from a client on the same machine:
#   * the first page over the API: index.html, uPlot's stylesheet,
#     style.css, app.js and GET /api/v1/status, fetched one after another by
#     a fresh connection (a browser fetches them in parallel), 30 times;
#   * each API call of the other pages (learning/history, training/runs,
#     models, experience, recall);
#   * with chromium and tests/web/node_modules present: a real browser's
#     navigation to the overview drawn (main[data-ready]), 10 times.
# Run by `make bench` (bench/run.sh); alone: MNEMO_BIN=build-bench/mnemo sh bench/bench_dashboard.sh
# BENCH_DASH_HOME=DIR seeds DIR once and measures it as it is on later runs
# (the data home is then kept).
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
B=${MNEMO_BUILD:-build-bench}
MNEMO=${MNEMO_BIN:-$ROOT/$B/mnemo}
B=$(dirname "$MNEMO")
N=${BENCH_DASH_N:-100000}
T=$(mktemp -d "${TMPDIR:-/tmp}/mnemo-bench-dash-XXXXXX")
SERVE=""
cleanup() {
	[ -n "$SERVE" ] && kill "$SERVE" 2>/dev/null && wait "$SERVE" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT INT TERM
export MNEMO_HOME="${BENCH_DASH_HOME:-$T/home}" XDG_CONFIG_HOME="$T/xdg" MNEMO_DATADIR=${MNEMO_DATADIR:-$ROOT/data}
export MNEMO_WEBDIR="$ROOT/web" MNEMO_LOG_LEVEL=warn
unset MNEMO_CONFIG

make -s -C "$ROOT" web >/dev/null
LIBS="$(pkg-config --libs sqlite3 libcurl jansson libpcre2-8 yaml-0.1 libmicrohttpd zlib) -llinear -lm -lpthread"
mkdir -p "$B/bench"
cc -std=c17 -O2 -D_GNU_SOURCE -iquote "$ROOT/src" $(pkg-config --cflags jansson) \
	"$ROOT/bench/bench_dashboard_seed.c" "$B/libmnemo.a" $LIBS -o "$B/bench/bench_dashboard_seed"
if [ -n "${BENCH_DASH_HOME:-}" ] && [ -s "$MNEMO_HOME/mnemo.db" ]; then
	echo "== dashboard on the data home $MNEMO_HOME"
else
	echo "== dashboard at $N memories"
	t0=$(date +%s)
	"$B/bench/bench_dashboard_seed" "$N"
	echo "   seeded in $(($(date +%s) - t0)) s"
fi
rm -f "$MNEMO_HOME/http.addr"

"$MNEMO" serve --no-dream --http 127.0.0.1:0 >"$T/serve.log" 2>&1 &
SERVE=$!
i=0; while [ ! -s "$MNEMO_HOME/http.addr" ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
BASE=$(cat "$MNEMO_HOME/http.addr")

python3 - "$BASE" <<'PY'
import http.client, json, statistics, sys, time, urllib.parse
base = urllib.parse.urlparse(sys.argv[1])

def get(conn, path, method="GET", body=None, headers=None):
    conn.request(method, path, body=body, headers=headers or {})
    r = conn.getresponse()
    data = r.read()
    if r.status != 200:
        raise SystemExit(f"{method} {path}: {r.status} {data[:200]!r}")
    return data

def timed(fn, n):
    lat = []
    for _ in range(n):
        t = time.perf_counter(); fn(); lat.append((time.perf_counter() - t) * 1000)
    lat.sort()
    return lat[len(lat) // 2], lat[int(len(lat) * 0.9)], lat[-1]

conn = http.client.HTTPConnection(base.hostname, base.port, timeout=60)
# what the overview loads (uPlot's script waits for the first chart)
first = ["/", "/vendor/uplot-1.6.32/uPlot.min.css", "/style.css", "/app.js", "/api/v1/status"]
def first_page():
    c = http.client.HTTPConnection(base.hostname, base.port, timeout=60)  # a fresh browser
    for p in first:
        get(c, p)
    c.close()
mem = json.loads(get(conn, "/api/v1/status"))["memories"]
p50, p90, mx = timed(first_page, 30)
print(f"   first page ({len(first)} requests in a row, {mem} memories): p50 {p50:.1f} ms  p90 {p90:.1f} ms  max {mx:.1f} ms  (target < 300 ms)")
csrf = json.loads(get(conn, "/api/v1/csrf"))["csrf_token"]
for label, path, method, body in [
        ("status", "/api/v1/status", "GET", None),
        ("learning/history", "/api/v1/learning/history", "GET", None),
        ("training/runs", "/api/v1/training/runs?limit=50", "GET", None),
        ("models", "/api/v1/models", "GET", None),
        ("experience (20)", "/api/v1/experience?limit=20", "GET", None),
        ("recall (20)", "/api/v1/recall", "POST", json.dumps({"query": "redis latency", "limit": 20}))]:
    h = {"Content-Type": "application/json", "X-Mnemo-CSRF": csrf} if body else {}
    p50, p90, mx = timed(lambda: get(conn, path, method, body, h), 20)
    print(f"   {label:<18} p50 {p50:7.1f} ms  p90 {p90:7.1f} ms  max {mx:7.1f} ms")
PY

CHROMIUM=$(command -v chromium || true)
if [ -n "$CHROMIUM" ] && [ -f "$ROOT/tests/web/node_modules/puppeteer-core/package.json" ]; then
	CHROMIUM="$CHROMIUM" BASE="$BASE" node "$ROOT/tests/web/bench_nav.mjs" || true
fi
