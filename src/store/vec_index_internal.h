/*
 * vec_index_internal.h - the table of functions the HNSW plugin
 * (mnemo-hnsw.so, vec_hnsw.cpp) hands to its loader (vec_index.c): one
 * symbol, MN_VEC_INDEX_ENTRY, returns it. abi changes with any change
 * here; a plugin of another abi is refused.
 */
#ifndef MN_VEC_INDEX_INTERNAL_H
#define MN_VEC_INDEX_INTERNAL_H

#include "store/vec_index.h"

#define MN_VEC_INDEX_ABI 1
#define MN_VEC_INDEX_ENTRY "mn_vec_hnsw_ops"

struct mn_vec_index_ops {
	int abi;
	struct mn_vec_index *(*create)(int dim, size_t capacity,
				       const struct mn_vec_index_params *p);
	void (*destroy)(struct mn_vec_index *x);
	int (*add)(struct mn_vec_index *x, int64_t label, const float *v);
	int (*remove)(struct mn_vec_index *x, int64_t label);
	size_t (*search)(struct mn_vec_index *x, const float *q, size_t k, size_t ef,
			 int64_t *labels, float *sims);
	size_t (*size)(const struct mn_vec_index *x);
	size_t (*deleted)(const struct mn_vec_index *x);
	size_t (*bytes)(const struct mn_vec_index *x);
};

#endif
