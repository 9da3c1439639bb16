#!/bin/sh
# Recall with vectors at 10k and 100k memories, exact and through the HNSW
# graph (bench/bench_vec.c), run by bench/run.sh against $MNEMO_BUILD (an
# optimised build; its mnemo-hnsw.so is found beside $B/bench/).
set -eu
cd "$(dirname "$0")/.."
B=${MNEMO_BUILD:-build-bench}
LIBS="$(pkg-config --libs sqlite3 libcurl jansson libpcre2-8 yaml-0.1 libmicrohttpd zlib) -lm -lpthread -ldl"
CFL="-std=c17 -O2 -D_GNU_SOURCE -iquote src $(pkg-config --cflags jansson)"
mkdir -p "$B/bench"
cc $CFL bench/bench_vec.c "$B/libmnemo.a" $LIBS -o "$B/bench/bench_vec"
MNEMO_LOG_LEVEL=warn MNEMO_DATADIR="${MNEMO_DATADIR:-$PWD/data}" "$B/bench/bench_vec"
