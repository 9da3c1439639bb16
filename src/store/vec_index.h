/*
 * vec_index.h - the approximate vector index (docs/vectors.md): an HNSW
 * graph from hnswlib (Debian's libhnswlib-dev, header-only C++) behind a
 * C interface.
 *
 * The graph lives in a plugin, mnemo-hnsw.so (vec_hnsw.cpp, the tree's
 * only C++), loaded with dlopen the first time an index is made: a
 * process that never builds one (every lexical-only one, every one-shot
 * command) loads neither it nor libstdc++. It is looked for in
 * $MNEMO_LIBDIR, then beside the executable, in its parent folder (build
 * trees: tests/ and bench/ sit below the binary) and in ../lib/mnemo
 * (installed). Without it, mn_vec_index_new fails and says why
 * (mn_vec_index_unavailable); searches stay exact.
 *
 * Labels are the caller's (raw rowids); similarity is the inner product
 * (vectors are unit length, so it is the cosine). One index is not
 * thread-safe: its owner (store_vec.c) serialises every call. No function
 * throws: hnswlib's exceptions (out of memory) become MN_EFAIL.
 */
#ifndef MN_VEC_INDEX_H
#define MN_VEC_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct mn_vec_index;

/* NULL when the plugin is loaded (or loads now), else why it cannot be. */
const char *mn_vec_index_unavailable(void);

/* The graph's shape: m links a node (2 m on the bottom layer), ef_build
 * candidates while inserting. */
struct mn_vec_index_params {
	int m;        /* [16] */
	int ef_build; /* [100] */
};

/* A new empty index for vectors of dim floats with room for capacity (it
 * grows as needed). NULL when memory is short or the plugin is missing. */
struct mn_vec_index *mn_vec_index_new(int dim, size_t capacity,
				      const struct mn_vec_index_params *p);
void mn_vec_index_free(struct mn_vec_index *x);
/* Insert v under label; a label already present (deleted or not) gets
 * the new vector and is live again. 0 or MN_EFAIL (out of memory). */
int mn_vec_index_add(struct mn_vec_index *x, int64_t label, const float *v);
/* Mark label deleted: searches skip it (its node stays in the graph as a
 * way through). 0, or MN_ENOTFOUND when it is not there or already
 * deleted. */
int mn_vec_index_remove(struct mn_vec_index *x, int64_t label);
/* Up to k labels nearest to q, best first, with their similarities;
 * ef (>= k) candidates are kept while walking the graph: more is slower
 * and closer to exact. Returns how many were written. */
size_t mn_vec_index_search(struct mn_vec_index *x, const float *q, size_t k, size_t ef,
			   int64_t *labels, float *sims);
/* Nodes in the graph, and how many of them are marked deleted. */
size_t mn_vec_index_size(const struct mn_vec_index *x);
size_t mn_vec_index_deleted(const struct mn_vec_index *x);
/* Bytes the index holds (vectors, links, label table), approximately. */
size_t mn_vec_index_bytes(const struct mn_vec_index *x);

#ifdef __cplusplus
}
#endif

#endif
