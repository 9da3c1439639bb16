#!/bin/sh
# Recall quality with vectors (bench/bench_vec_quality.c) against the test
# stand-in embedding server, tests/support/fake_embed.py; run by bench/run.sh.
set -eu
cd "$(dirname "$0")/.."
B=${MNEMO_BUILD:-build-bench}
LIBS="$(pkg-config --libs sqlite3 libcurl jansson libpcre2-8 yaml-0.1 libmicrohttpd zlib) -llinear -lm -lpthread"
CFL="-std=c17 -O2 -D_GNU_SOURCE -iquote src $(pkg-config --cflags jansson)"
T=$(mktemp -d)
trap 'kill $PID 2>/dev/null; rm -rf "$T"' EXIT
mkdir -p "$B/bench"
cc $CFL bench/bench_vec_quality.c "$B/libmnemo.a" $LIBS -o "$B/bench/bench_vec_quality"
python3 tests/support/fake_embed.py --port 0 --port-file "$T/port" --dim 256 &
PID=$!
i=0; while [ ! -s "$T/port" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done
BENCH_EMBED_ENDPOINT="http://127.0.0.1:$(cat "$T/port")/v1" BENCH_EMBED_DIM=256 \
	MNEMO_LOG_LEVEL=warn MNEMO_DATADIR="${MNEMO_DATADIR:-$PWD/data}" \
	"$B/bench/bench_vec_quality" bench/recall/data
