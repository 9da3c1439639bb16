/*
 * bench_vec.c - recall with vectors (docs/vectors.md): p50/p99 of
 * mn_store_recall at 10k and 100k memories with 384-dimension vectors,
 * beside lexical-only recall on the same store and query words, and the
 * vector search alone; first with exact search, then, in the same run and
 * on the same queries, through the HNSW graph (embedding.index: hnsw),
 * with its build time, memory and recall@10 against the exact top 10.
 * The query's embedding (a call to the embedding server) is not timed:
 * it is the model's time, not mnemo's.
 *
 * Memories are raw rows written in one transaction (recall indexes raw
 * text from the moment it is stored); their vectors are deterministic
 * pseudo-random unit vectors (BENCH_VEC_DATA, below), each query's vector
 * a noisy copy of one memory's. BENCH_VEC_DIM (384), BENCH_VEC_SIZES
 * ("10000,100000"), BENCH_VEC_WEIGHT (embedding.weight, 1).
 * Built and run by bench/bench_vec.sh (make bench).
 */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/buf.h"
#include "base/file.h"
#include "base/mem.h"
#include "store/store.h"
#include "store/store_vec.h"

/* BENCH_CLOCK=cpu: the thread's CPU time instead of wall-clock time, for
 * a machine that other work shares (it leaves out waiting for a core). */
static clockid_t bench_clock = CLOCK_MONOTONIC;
/* BENCH_VEC_WEIGHT: embedding.weight [1] */
static double vec_weight = 1.0;

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(bench_clock, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static unsigned rnd(unsigned *x)
{
	*x = *x * 1103515245u + 12345u;
	return *x >> 8;
}

/* A word of the bench's vocabulary: rank r of 20000 pseudo-words. */
static void word(char *out, size_t cap, unsigned r)
{
	static const char *const syl[] = { "ba", "de", "fi", "go", "hu", "ka", "le", "mo",
					   "nu", "pi", "ra", "se", "to", "vu", "wy", "zo" };

	snprintf(out, cap, "%s%s%s", syl[r % 16], syl[(r / 16) % 16], syl[(r / 256) % 16]);
	if (r >= 4096)
		snprintf(out + strlen(out), cap - strlen(out), "%u", r / 4096);
}

/* Word ranks skewed toward the common ones (rank = 20000 * u^3). */
static unsigned skewed_rank(unsigned *x)
{
	double u = (double)(rnd(x) % 1000000) / 1e6;

	return (unsigned)(20000.0 * u * u * u);
}

static char *make_text(unsigned seed)
{
	struct mn_buf b = MN_BUF_INIT;
	unsigned x = seed * 2654435761u + 7, n = 30 + rnd(&x) % 40;

	for (unsigned i = 0; i < n; i++) {
		char w[32];

		word(w, sizeof(w), skewed_rank(&x));
		mn_buf_addf(&b, "%s%s", i ? " " : "", w);
	}
	return mn_buf_detach(&b, NULL);
}

static double gauss(unsigned *x)
{
	double u1 = ((double)(rnd(x) % 1000000) + 1) / 1000001.0;
	double u2 = (double)(rnd(x) % 1000000) / 1000000.0;

	return sqrt(-2 * log(u1)) * cos(2 * M_PI * u2);
}

static void unit_vector(float *v, int dim, unsigned seed)
{
	unsigned x = seed * 40503u + 11;
	double n = 0;

	for (int i = 0; i < dim; i++) {
		v[i] = (float)gauss(&x);
		n += (double)v[i] * v[i];
	}
	for (int i = 0; i < dim; i++)
		v[i] = (float)(v[i] / sqrt(n));
}

/* BENCH_VEC_DATA: "topics" [the default]: memory i's vector is the
 * centre of one of 1000 topics plus a direction of its own (0.8 of the
 * centre's length), so memories of a topic are alike (cosine about 0.6),
 * as texts on one subject are; "random": independent unit vectors, no
 * structure at all (the worst case for an approximate index). */
static bool topics = true;

static void mem_vector(float *v, int dim, unsigned seed)
{
	float *c;
	double n = 0;

	unit_vector(v, dim, seed);
	if (!topics)
		return;
	c = mn_xmalloc(sizeof(float) * (size_t)dim);
	unit_vector(c, dim, 1000000u + (seed * 2654435761u >> 7) % 1000u);
	for (int i = 0; i < dim; i++) {
		v[i] = c[i] + 0.8f * v[i];
		n += (double)v[i] * v[i];
	}
	for (int i = 0; i < dim; i++)
		v[i] = (float)(v[i] / sqrt(n));
	free(c);
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void fill(struct mn_store *st, int from, int to, int dim)
{
	struct mn_err err = MN_ERR_INIT;
	float *v = mn_xmalloc(sizeof(float) * (size_t)dim);

	if (mn_store_begin(st, &err))
		goto fail;
	for (int i = from; i < to; i++) {
		struct mn_raw r = { .source = "bench", .type = "note" };
		int64_t rowid;

		r.content = make_text((unsigned)i);
		r.content_len = strlen(r.content);
		if (mn_store_put_raw(st, &r, &err))
			goto fail;
		free(r.content);
		/* raw rows are numbered in insert order from 1 */
		rowid = (int64_t)i + 1;
		mem_vector(v, dim, (unsigned)i);
		if (mn_store_vec_put(st, &rowid, v, 1, dim, "bench-384", &err))
			goto fail;
		if ((i + 1) % 20000 == 0)
			fprintf(stderr, "  ... %d memories\n", i + 1);
	}
	if (mn_store_commit(st, &err))
		goto fail;
	free(v);
	return;
fail:
	fprintf(stderr, "fill: %s\n", err.msg);
	exit(1);
}

static void report(const char *what, int size, double *lat, int n)
{
	qsort(lat, (size_t)n, sizeof(*lat), cmp_d);
	printf("vec @%6d memories  %-26s p50 %7.3f ms  p99 %7.3f ms\n", size, what, lat[n / 2],
	       lat[n * 99 / 100]);
}

/* One size's queries: two words of mid frequency, as a person would ask,
 * and a vector close to one memory's. */
struct query {
	char text[80];
	unsigned target;
	float *vec;
};

static void make_queries(struct query *qs, int n, int size, int dim)
{
	unsigned x = 4242;

	for (int i = 0; i < n; i++) {
		char w1[32], w2[32];
		unsigned y;
		double nn = 0;

		qs[i].target = rnd(&x) % (unsigned)size;
		y = qs[i].target * 7 + 1;
		word(w1, sizeof(w1), 50 + rnd(&x) % 3000);
		word(w2, sizeof(w2), 50 + rnd(&x) % 3000);
		snprintf(qs[i].text, sizeof(qs[i].text), "%s %s", w1, w2);
		qs[i].vec = mn_xmalloc(sizeof(float) * (size_t)dim);
		mem_vector(qs[i].vec, dim, qs[i].target);
		for (int d = 0; d < dim; d++) {
			qs[i].vec[d] += (float)(0.05 * gauss(&y));
			nn += (double)qs[i].vec[d] * qs[i].vec[d];
		}
		for (int d = 0; d < dim; d++)
			qs[i].vec[d] = (float)(qs[i].vec[d] / sqrt(nn));
	}
}

/* The first vector search of a copy (it loads the vectors). */
static double first_search(struct mn_store *st, int dim)
{
	float *q = mn_xmalloc(sizeof(float) * (size_t)dim);
	struct mn_recall_opts o = { .query_vec = q, .query_dim = dim, .vec_model = "bench-384" };
	struct mn_err err = MN_ERR_INIT;
	struct mn_vec_hit *h = NULL;
	size_t nh = 0;
	double t0;

	unit_vector(q, dim, 1);
	t0 = now_ms();
	if (mn_store_vec_search(st, &h, &nh, &o, 10, &err)) {
		fprintf(stderr, "search: %s\n", err.msg);
		exit(1);
	}
	t0 = now_ms() - t0;
	free(h);
	free(q);
	return t0;
}

/* Lexical, fused and vector-only latency of every query; with truth
 * (exact top 10 of each query, 10 rowids, 0 = none) set, the share of it
 * the vector search found, else truth is filled. */
static void run_queries(struct mn_store *st, const char *how, int size, int dim,
			const struct query *qs, int n, int64_t *truth)
{
	double *lex = mn_xcalloc((size_t)n, sizeof(double));
	double *fused = mn_xcalloc((size_t)n, sizeof(double));
	double *vec = mn_xcalloc((size_t)n, sizeof(double));
	struct mn_err err = MN_ERR_INIT;
	double found = 0, asked = 0, t0;
	int agree = 0;
	char what[64];

	for (int i = 0; i < n; i++) {
		struct mn_recall_opts o = { .query = qs[i].text, .limit = 10 };
		struct mn_recall_result r;
		struct mn_vec_hit *h = NULL;
		size_t nh = 0;

		t0 = now_ms();
		if (mn_store_recall(st, &r, &o, &err))
			goto fail;
		lex[i] = now_ms() - t0;
		mn_recall_result_release(&r);

		o.query_vec = qs[i].vec;
		o.query_dim = dim;
		o.vec_model = "bench-384";
		o.vec_weight = vec_weight;
		t0 = now_ms();
		if (mn_store_recall(st, &r, &o, &err))
			goto fail;
		fused[i] = now_ms() - t0;
		for (size_t k = 0; k < r.n; k++)
			agree += r.items[k].rowid == (int64_t)qs[i].target + 1;
		mn_recall_result_release(&r);

		t0 = now_ms();
		if (mn_store_vec_search(st, &h, &nh, &o, 100, &err))
			goto fail;
		vec[i] = now_ms() - t0;
		for (size_t k = 0; k < 10; k++) {
			int64_t *t = &truth[(size_t)i * 10 + k];

			if (!how[0]) {
				*t = k < nh ? h[k].rowid : 0;
				continue;
			}
			if (!*t)
				continue;
			asked++;
			for (size_t m = 0; m < nh && m < 10; m++)
				if (h[m].rowid == *t) {
					found++;
					break;
				}
		}
		free(h);
	}
	report(how[0] ? "lexical only (again)" : "lexical only", size, lex, n);
	snprintf(what, sizeof(what), "lexical + vectors%s", how);
	report(what, size, fused, n);
	snprintf(what, sizeof(what), "vector top-100%s", how[0] ? how : " (exact)");
	report(what, size, vec, n);
	printf("vec @%6d memories  target memory in the fused top 10: %d/%d", size, agree, n);
	if (how[0])
		printf("; vector recall@10 against exact %.3f", asked ? found / asked : 0);
	printf("\n");
	free(lex);
	free(fused);
	free(vec);
	return;
fail:
	fprintf(stderr, "recall: %s\n", err.msg);
	exit(1);
}

static void bench(struct mn_store *st, int size, int dim, int queries)
{
	struct query *qs = mn_xcalloc((size_t)queries, sizeof(*qs));
	int64_t *truth = mn_xcalloc((size_t)queries * 10, sizeof(*truth));
	struct mn_vec_index_stats ix;
	double cold;

	make_queries(qs, queries, size, dim);
	/* exact: the first search loads the process's copy of the vectors */
	mn_store_vec_cache_reset();
	mn_store_vec_index_config("exact", 0);
	cold = first_search(st, dim);
	run_queries(st, "", size, dim, qs, queries, truth);
	printf("vec @%6d memories  first search (loads %d-dim vectors) %.1f ms\n", size, dim,
	       cold);
	/* approximate: the second search starts the graph's build */
	mn_store_vec_index_config("hnsw", 0);
	first_search(st, dim);
	first_search(st, dim);
	mn_store_vec_index_wait();
	mn_store_vec_index_stats(st, &ix);
	printf("vec @%6d memories  HNSW build (its own thread) %.0f ms CPU, %.0f ms wall-clock; "
	       "%lld nodes, %.0f MB\n",
	       size, ix.build_cpu_ms, ix.build_ms, (long long)ix.indexed,
	       (double)ix.bytes / 1048576.0);
	run_queries(st, " (HNSW)", size, dim, qs, queries, truth);
	mn_store_vec_index_stats(st, &ix);
	printf("vec @%6d memories  searches through the graph %lld, exact %lld\n", size,
	       (long long)ix.searches_index, (long long)ix.searches_exact);
	mn_store_vec_index_config("auto", 0);
	for (int i = 0; i < queries; i++)
		free(qs[i].vec);
	free(qs);
	free(truth);
}

int main(void)
{
	char dir[] = "/tmp/mnemo-bench-vec-XXXXXX";
	const char *sizes = getenv("BENCH_VEC_SIZES") ? getenv("BENCH_VEC_SIZES") : "10000,100000";
	int dim = getenv("BENCH_VEC_DIM") ? atoi(getenv("BENCH_VEC_DIM")) : 384;
	struct mn_err err = MN_ERR_INIT;
	struct mn_store *st = NULL;
	char *path;
	int have = 0;

	if (!mkdtemp(dir) || dim <= 0)
		return 1;
	if (getenv("BENCH_VEC_DATA") && !strcmp(getenv("BENCH_VEC_DATA"), "random"))
		topics = false;
	if (getenv("BENCH_VEC_WEIGHT"))
		vec_weight = atof(getenv("BENCH_VEC_WEIGHT"));
	if (getenv("BENCH_CLOCK") && !strcmp(getenv("BENCH_CLOCK"), "cpu"))
		bench_clock = CLOCK_THREAD_CPUTIME_ID;
	path = mn_xasprintf("%s/mnemo.db", dir);
	if (mn_store_open(&st, path, &err)) {
		fprintf(stderr, "open: %s\n", err.msg);
		return 1;
	}
	printf("== mnemo vector benchmarks (%d dimensions, exact search and HNSW, %s time)\n", dim,
	       bench_clock == CLOCK_MONOTONIC ? "wall-clock" : "CPU");
	for (const char *p = sizes; *p;) {
		int size = atoi(p);

		if (size > have) {
			fill(st, have, size, dim);
			have = size;
		}
		bench(st, size, dim, size >= 100000 ? 300 : 500);
		p += strcspn(p, ",");
		if (*p == ',')
			p++;
	}
	mn_store_close(st);
	mn_file_remove_tree(dir, &err);
	free(path);
	return 0;
}
