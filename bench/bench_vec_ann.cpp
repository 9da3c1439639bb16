// bench_vec_ann.cpp - the measurement behind the choice of approximate
// vector index (docs/vectors.md): hnswlib's HNSW against FAISS's
// IndexHNSWFlat and IndexIVFFlat (both from Debian 12's packages) at
// BENCH_ANN_N (100000) vectors of BENCH_ANN_DIM (384) dimensions: build
// time, query p50/p99 (top 100, what recall asks for), recall@10 and
// recall@100 against the exact answer, and the index's memory.
//
// Two data sets: "random" (independent Gaussian unit vectors, the worst
// case for any graph or cluster index: no structure) and "topics"
// (vectors around 1000 topic centres with a 24-dimensional spread and
// isotropic noise, closer to what embedding models produce). Queries are
// noisy copies of a stored vector, as in bench_vec.c.
//
// Built and run by bench/bench_vec_ann.sh (needs libfaiss-dev,
// libblas-dev, liblapack-dev and libhnswlib-dev; not part of make bench).
#include <faiss/IndexFlat.h>
#include <faiss/IndexHNSW.h>
#include <faiss/IndexIVFFlat.h>
#include <hnswlib/hnswlib.h>
#include <malloc.h>
#include <time.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <vector>

static double now_ms()
{
	struct timespec ts;

	/* the thread's CPU time: the machine this was measured on is shared,
	 * wall-clock time there includes waiting for a core (FAISS runs in
	 * this thread with OMP_NUM_THREADS=1) */
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static size_t heap_bytes()
{
	struct mallinfo2 mi = mallinfo2();

	return mi.uordblks + mi.hblkhd;
}

static void normalize(float *v, int d)
{
	double n = 0;

	for (int i = 0; i < d; i++)
		n += (double)v[i] * v[i];
	for (int i = 0; i < d; i++)
		v[i] = (float)(v[i] / std::sqrt(n));
}

static void make_data(std::vector<float> &x, size_t n, int d, bool topics, unsigned seed)
{
	std::mt19937 rng(seed);
	std::normal_distribution<float> g(0, 1);
	const int topics_n = 1000, spread = 24;
	std::vector<float> centre((size_t)topics_n * d), basis((size_t)spread * d);

	for (auto &c : centre)
		c = g(rng);
	for (int t = 0; t < topics_n; t++)
		normalize(&centre[(size_t)t * d], d);
	for (auto &b : basis)
		b = g(rng) / std::sqrt((float)d);
	x.resize(n * d);
	for (size_t i = 0; i < n; i++) {
		float *v = &x[i * d];

		if (!topics) {
			for (int j = 0; j < d; j++)
				v[j] = g(rng);
		} else {
			const float *c = &centre[(size_t)(rng() % topics_n) * d];
			float z[spread];

			for (int s = 0; s < spread; s++)
				z[s] = 0.35f * g(rng);
			for (int j = 0; j < d; j++) {
				float a = c[j] + 0.5f * g(rng) / std::sqrt((float)d);

				for (int s = 0; s < spread; s++)
					a += z[s] * basis[(size_t)s * d + j];
				v[j] = a;
			}
		}
		normalize(v, d);
	}
}

struct result {
	std::vector<double> ms;
	double r10 = 0, r100 = 0;
};

static void report(const char *what, const char *data, double build_ms, size_t bytes,
		   result &r, size_t nq)
{
	std::sort(r.ms.begin(), r.ms.end());
	printf("%-7s %-34s build %8.0f ms  mem %5zu MB  p50 %6.3f ms  p99 %6.3f ms  "
	       "recall@10 %.3f  recall@100 %.3f\n",
	       data, what, build_ms, bytes >> 20, r.ms[nq / 2], r.ms[nq * 99 / 100],
	       r.r10 / (double)nq, r.r100 / (double)nq);
	fflush(stdout);
}

static double overlap(const int64_t *got, size_t ng, const int64_t *truth, size_t k)
{
	size_t hit = 0;

	for (size_t i = 0; i < k; i++)
		for (size_t j = 0; j < ng && j < k; j++)
			if (got[j] == truth[i]) {
				hit++;
				break;
			}
	return (double)hit / (double)k;
}

int main()
{
	size_t n = getenv("BENCH_ANN_N") ? strtoul(getenv("BENCH_ANN_N"), nullptr, 10) : 100000;
	int d = getenv("BENCH_ANN_DIM") ? atoi(getenv("BENCH_ANN_DIM")) : 384;
	const char *only = getenv("BENCH_ANN_ONLY"); // hnswlib | faiss-hnsw | faiss-ivf
	const size_t nq = 300, k = 100;

	for (int topics = 1; topics >= 0; topics--) {
		const char *data = topics ? "topics" : "random";
		std::vector<float> x, q(nq * d);
		std::vector<int64_t> truth(nq * k), got(nq * k);
		std::vector<float> dist(nq * k);
		std::mt19937 rng(7);
		std::normal_distribution<float> g(0, 1);

		make_data(x, n, d, topics, 42);
		for (size_t i = 0; i < nq; i++) {
			const float *src = &x[(rng() % n) * d];

			for (int j = 0; j < d; j++)
				q[i * d + j] = src[j] + 0.05f * g(rng);
			normalize(&q[i * d], d);
		}
		{
			faiss::IndexFlatIP flat(d);

			flat.add((faiss::Index::idx_t)n, x.data());
			flat.search((faiss::Index::idx_t)nq, q.data(), (faiss::Index::idx_t)k, dist.data(),
				    truth.data());
		}
		if (!only || !strcmp(only, "hnswlib")) {
			for (int M : { 16 }) {
				size_t before = heap_bytes();
				double t0 = now_ms();
				hnswlib::InnerProductSpace space(d);
				auto *h = new hnswlib::HierarchicalNSW<float>(&space, n, M, 100, 100);

				for (size_t i = 0; i < n; i++)
					h->addPoint(&x[i * d], i);
				double build = now_ms() - t0;
				size_t bytes = heap_bytes() - before;

				for (int ef : { 50, 100, 200, 400 }) {
					result r;
					char what[64];

					h->setEf((size_t)ef);
					for (size_t i = 0; i < nq; i++) {
						t0 = now_ms();
						auto pq = h->searchKnn(&q[i * d], k);
						r.ms.push_back(now_ms() - t0);
						size_t m = pq.size();
						std::vector<int64_t> ids(m);
						for (size_t j = m; j-- > 0; pq.pop())
							ids[j] = (int64_t)pq.top().second;
						r.r10 += overlap(ids.data(), m, &truth[i * k], 10);
						r.r100 += overlap(ids.data(), m, &truth[i * k], k);
					}
					snprintf(what, sizeof(what), "hnswlib M=%d efC=100 ef=%d", M, ef);
					report(what, data, build, bytes, r, nq);
				}
				delete h;
			}
		}
		if (!only || !strcmp(only, "faiss-hnsw")) {
			size_t before = heap_bytes();
			double t0 = now_ms();
			faiss::IndexHNSWFlat h(d, 16, faiss::METRIC_INNER_PRODUCT);

			h.hnsw.efConstruction = 100;
			h.add((faiss::Index::idx_t)n, x.data());
			double build = now_ms() - t0;
			size_t bytes = heap_bytes() - before;

			for (int ef : { 100, 200, 400 }) {
				result r;
				char what[64];

				h.hnsw.efSearch = ef;
				for (size_t i = 0; i < nq; i++) {
					t0 = now_ms();
					h.search(1, &q[i * d], (faiss::Index::idx_t)k, &dist[i * k], &got[i * k]);
					r.ms.push_back(now_ms() - t0);
					r.r10 += overlap(&got[i * k], k, &truth[i * k], 10);
					r.r100 += overlap(&got[i * k], k, &truth[i * k], k);
				}
				snprintf(what, sizeof(what), "faiss HNSWFlat M=16 efC=100 ef=%d", ef);
				report(what, data, build, bytes, r, nq);
			}
		}
		if (!only || !strcmp(only, "faiss-ivf")) {
			size_t before = heap_bytes();
			double t0 = now_ms();
			size_t nlist = (size_t)std::sqrt((double)n);
			faiss::IndexFlatIP coarse(d);
			faiss::IndexIVFFlat ivf(&coarse, d, nlist, faiss::METRIC_INNER_PRODUCT);

			ivf.train((faiss::Index::idx_t)std::min(n, nlist * 40), x.data());
			ivf.add((faiss::Index::idx_t)n, x.data());
			double build = now_ms() - t0;
			size_t bytes = heap_bytes() - before;

			for (int np : { 8, 16, 32, 64 }) {
				result r;
				char what[64];

				ivf.nprobe = (size_t)np;
				for (size_t i = 0; i < nq; i++) {
					t0 = now_ms();
					ivf.search(1, &q[i * d], (faiss::Index::idx_t)k, &dist[i * k], &got[i * k]);
					r.ms.push_back(now_ms() - t0);
					r.r10 += overlap(&got[i * k], k, &truth[i * k], 10);
					r.r100 += overlap(&got[i * k], k, &truth[i * k], k);
				}
				snprintf(what, sizeof(what), "faiss IVFFlat nlist=%zu nprobe=%d", nlist,
					 np);
				report(what, data, build, bytes, r, nq);
			}
		}
	}
	return 0;
}
