#!/bin/sh
# The approximate-index comparison behind docs/vectors.md (bench/bench_vec_ann.cpp):
# hnswlib against FAISS at 100k x 384. Needs libhnswlib-dev, libfaiss-dev,
# libblas-dev and liblapack-dev (FAISS is not a dependency of mnemo: install
# them to rerun this). Not part of make bench. BENCH_ANN_N, BENCH_ANN_DIM,
# BENCH_ANN_ONLY (hnswlib | faiss-hnsw | faiss-ivf). OMP_NUM_THREADS=1 keeps
# FAISS's build and search on one core like mnemo's.
set -eu
cd "$(dirname "$0")/.."
B=${MNEMO_BUILD:-build-bench}
if [ ! -f /usr/include/faiss/IndexHNSW.h ] || [ ! -f /usr/include/hnswlib/hnswlib.h ]; then
	echo "bench_vec_ann: needs libfaiss-dev and libhnswlib-dev; skipped" >&2
	exit 0
fi
mkdir -p "$B/bench"
g++ -std=c++17 -O2 -march=x86-64-v2 bench/bench_vec_ann.cpp -o "$B/bench/bench_vec_ann" \
	-lfaiss -llapack -lblas -fopenmp
OMP_NUM_THREADS=${OMP_NUM_THREADS:-1} "$B/bench/bench_vec_ann"
