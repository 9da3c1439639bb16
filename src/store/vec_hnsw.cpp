/*
 * vec_hnsw.cpp - the plugin mnemo-hnsw.so: hnswlib's HNSW graph behind
 * the table of vec_index_internal.h, loaded by vec_index.c
 * (docs/vectors.md). The only C++ in the tree: it catches every exception
 * at the boundary, and exports one symbol.
 *
 * The distance is our own (1 - inner product, hnswlib's convention for
 * inner product spaces): hnswlib picks its SIMD at compile time from
 * -mavx and the like, which a portable build does not pass; this one is
 * built for AVX2 and for plain x86-64, and the loader picks what the CPU
 * has, like store_vec.c's scan.
 */
#include "store/vec_index_internal.h"

/* hnswlib 0.6.2's SSE path prefetches the link after the last one of a
 * node's list, a read 4 bytes past its allocation (harmless in practice, gone in
 * later hnswlib, but AddressSanitizer stops on it): sanitizer builds leave
 * the prefetches out. */
#if defined(__SANITIZE_ADDRESS__)
#define NO_MANUAL_VECTORIZATION 1
#endif

#include <hnswlib/hnswlib.h>

#include <new>

#include "base/err.h"

namespace {

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
__attribute__((target_clones("avx2", "default")))
#endif
float
ip_distance(const void *pa, const void *pb, const void *param)
{
	const float *a = static_cast<const float *>(pa), *b = static_cast<const float *>(pb);
	size_t n = *static_cast<const size_t *>(param), i = 0;
	float acc[16] = { 0 }, s = 0;

	/* sixteen partial sums: vector registers without -ffast-math */
	for (; i + 16 <= n; i += 16)
		for (size_t j = 0; j < 16; j++)
			acc[j] += a[i + j] * b[i + j];
	for (; i < n; i++)
		s += a[i] * b[i];
	for (size_t j = 0; j < 16; j++)
		s += acc[j];
	return 1.0f - s;
}

class ip_space : public hnswlib::SpaceInterface<float> {
      public:
	explicit ip_space(size_t dim) : dim_(dim) {}
	size_t get_data_size() override { return dim_ * sizeof(float); }
	hnswlib::DISTFUNC<float> get_dist_func() override { return ip_distance; }
	void *get_dist_func_param() override { return &dim_; }

      private:
	size_t dim_;
};

} // namespace

struct mn_vec_index {
	ip_space space;
	hnswlib::HierarchicalNSW<float> graph;
	size_t dim;

	mn_vec_index(int d, size_t capacity, size_t m, size_t ef_build)
		: space(static_cast<size_t>(d)), graph(&space, capacity, m, ef_build, 100),
		  dim(static_cast<size_t>(d))
	{
	}
};

namespace {

struct mn_vec_index *hnsw_new(int dim, size_t capacity,
				      const struct mn_vec_index_params *p)
{
	size_t m = p && p->m > 1 ? static_cast<size_t>(p->m) : 16;
	size_t ef = p && p->ef_build > 0 ? static_cast<size_t>(p->ef_build) : 100;

	if (dim <= 0)
		return nullptr;
	try {
		return new mn_vec_index(dim, capacity ? capacity : 1024, m, ef);
	} catch (...) {
		return nullptr;
	}
}

void hnsw_free(struct mn_vec_index *x)
{
	delete x;
}

int hnsw_add(struct mn_vec_index *x, int64_t label, const float *v)
{
	try {
		hnswlib::HierarchicalNSW<float> &g = x->graph;

		if (g.cur_element_count >= g.max_elements_ &&
		    g.label_lookup_.find(static_cast<hnswlib::labeltype>(label)) ==
			    g.label_lookup_.end())
			g.resizeIndex(g.max_elements_ * 2);
		g.addPoint(v, static_cast<hnswlib::labeltype>(label));
		return 0;
	} catch (...) {
		return MN_EFAIL;
	}
}

int hnsw_remove(struct mn_vec_index *x, int64_t label)
{
	hnswlib::HierarchicalNSW<float> &g = x->graph;
	auto it = g.label_lookup_.find(static_cast<hnswlib::labeltype>(label));

	if (it == g.label_lookup_.end() || g.isMarkedDeleted(it->second))
		return MN_ENOTFOUND;
	g.markDeletedInternal(it->second);
	return 0;
}

size_t hnsw_search(struct mn_vec_index *x, const float *q, size_t k, size_t ef,
			   int64_t *labels, float *sims)
{
	try {
		x->graph.setEf(ef < k ? k : ef);
		auto top = x->graph.searchKnn(q, k);
		size_t n = top.size();

		/* the queue pops the farthest first */
		for (size_t i = n; i-- > 0; top.pop()) {
			labels[i] = static_cast<int64_t>(top.top().second);
			sims[i] = 1.0f - top.top().first;
		}
		return n;
	} catch (...) {
		return 0;
	}
}

size_t hnsw_size(const struct mn_vec_index *x)
{
	return x->graph.cur_element_count;
}

size_t hnsw_deleted(const struct mn_vec_index *x)
{
	return x->graph.num_deleted_;
}

size_t hnsw_bytes(const struct mn_vec_index *x)
{
	const hnswlib::HierarchicalNSW<float> &g = x->graph;

	/* the bottom layer (links, vector, label) for every slot, the upper
	 * layers' links for the nodes that have them (1 in m), the label
	 * table */
	return g.max_elements_ * g.size_data_per_element_ +
	       g.cur_element_count * (g.size_links_per_element_ / g.M_ + sizeof(void *)) +
	       g.label_lookup_.size() * (sizeof(hnswlib::labeltype) + 4 + 2 * sizeof(void *));
}

const struct mn_vec_index_ops ops = {
	MN_VEC_INDEX_ABI, hnsw_new,    hnsw_free, hnsw_add,  hnsw_remove,
	hnsw_search,	  hnsw_size,   hnsw_deleted, hnsw_bytes,
};

} // namespace

extern "C" __attribute__((visibility("default"))) const struct mn_vec_index_ops *
mn_vec_hnsw_ops(void)
{
	return &ops;
}
