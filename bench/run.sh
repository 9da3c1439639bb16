#!/bin/sh
# Build and run every benchmark against $MNEMO_BUILD (an optimised build).
set -eu
cd "$(dirname "$0")/.."
B=${MNEMO_BUILD:-build-bench}
# the benchmark binaries live in $B/bench: point them at the shipped data
export MNEMO_DATADIR=${MNEMO_DATADIR:-$PWD/data}
LIBS="$(pkg-config --libs sqlite3 libcurl jansson libpcre2-8 yaml-0.1 zlib) -llinear -lm -lpthread"
CFL="-std=c17 -O2 -D_GNU_SOURCE -iquote src $(pkg-config --cflags jansson)"
mkdir -p "$B/bench"
cc $CFL bench/bench_core.c "$B/libmnemo.a" $LIBS -o "$B/bench/bench_core"
MNEMO_LOG_LEVEL=warn "$B/bench/bench_core"
if [ -f bench/learn.c ]; then
	cc $CFL bench/learn.c "$B/libmnemo.a" $LIBS -o "$B/bench/learn"
	MNEMO_LOG_LEVEL=warn "$B/bench/learn"
fi
cc $CFL bench/calibration.c "$B/libmnemo.a" $LIBS -o "$B/bench/calibration"
MNEMO_LOG_LEVEL=warn "$B/bench/calibration"
for b in bench/bench_*.sh; do [ -f "$b" ] && MNEMO_BIN="$PWD/$B/mnemo" sh "$b"; done
if [ -f bench/bench_mcp.py ]; then MNEMO_BIN="$PWD/$B/mnemo" python3 bench/bench_mcp.py; fi
if [ -f bench/bench_http.py ]; then MNEMO_BIN="$PWD/$B/mnemo" python3 bench/bench_http.py || true; fi
if [ -f bench/bench_mcp.js ]; then MNEMO_BIN="$PWD/$B/mnemo" node bench/bench_mcp.js; fi
if [ -f bench/recall/run.py ]; then MNEMO_BIN="$PWD/$B/mnemo" python3 bench/recall/run.py; fi
if [ -f bench/ranker/simulate.py ]; then MNEMO_BIN="$PWD/$B/mnemo" python3 bench/ranker/simulate.py || true; fi
exit 0
