/*
 * bench_vec.c - recall with vectors (docs/vectors.md): p50/p99 of
 * mn_store_recall at 10k and 100k memories with 384-dimension vectors
 * (exact search, reciprocal rank fusion), beside lexical-only recall on
 * the same store and query words, and the exact vector search alone.
 * The query's embedding (a call to the embedding server) is not timed:
 * it is the model's time, not mnemo's.
 *
 * Memories are raw rows written in one transaction (recall indexes raw
 * text from the moment it is stored); their vectors are deterministic
 * pseudo-random unit vectors, each query's vector a noisy copy of one
 * memory's. BENCH_VEC_DIM (384), BENCH_VEC_SIZES ("10000,100000"),
 * BENCH_VEC_WEIGHT (embedding.weight, 1).
 * Built and run by bench/bench_vec.sh (make bench).
 */
#include <math.h>
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
		unit_vector(v, dim, (unsigned)i);
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

static void bench(struct mn_store *st, int size, int dim, int queries)
{
	double *lex = mn_xcalloc((size_t)queries, sizeof(double));
	double *fused = mn_xcalloc((size_t)queries, sizeof(double));
	double *vec = mn_xcalloc((size_t)queries, sizeof(double));
	float *q = mn_xmalloc(sizeof(float) * (size_t)dim);
	struct mn_err err = MN_ERR_INIT;
	unsigned x = 4242;
	double t0, cold;
	int agree = 0;

	/* the first search loads the process's copy of the vectors */
	mn_store_vec_cache_reset();
	unit_vector(q, dim, 1);
	{
		struct mn_recall_opts o = { .query_vec = q,
					    .query_dim = dim,
					    .vec_model = "bench-384" };
		struct mn_vec_hit *h = NULL;
		size_t nh = 0;

		t0 = now_ms();
		if (mn_store_vec_search(st, &h, &nh, &o, 10, &err)) {
			fprintf(stderr, "search: %s\n", err.msg);
			exit(1);
		}
		cold = now_ms() - t0;
		free(h);
	}
	for (int i = 0; i < queries; i++) {
		char w1[32], w2[32], text[80];
		unsigned target = rnd(&x) % (unsigned)size, y = target * 7 + 1;
		struct mn_recall_opts o = { .query = text, .limit = 10 };
		struct mn_recall_result r;
		struct mn_vec_hit *h = NULL;
		size_t nh = 0;
		double nn = 0;

		/* two words of mid frequency, as a person would ask */
		word(w1, sizeof(w1), 50 + rnd(&x) % 3000);
		word(w2, sizeof(w2), 50 + rnd(&x) % 3000);
		snprintf(text, sizeof(text), "%s %s", w1, w2);
		/* the query's meaning: close to one memory's */
		unit_vector(q, dim, target);
		for (int d = 0; d < dim; d++) {
			q[d] += (float)(0.05 * gauss(&y));
			nn += (double)q[d] * q[d];
		}
		for (int d = 0; d < dim; d++)
			q[d] = (float)(q[d] / sqrt(nn));

		t0 = now_ms();
		if (mn_store_recall(st, &r, &o, &err))
			goto fail;
		lex[i] = now_ms() - t0;
		mn_recall_result_release(&r);

		o.query_vec = q;
		o.query_dim = dim;
		o.vec_model = "bench-384";
		o.vec_weight = vec_weight;
		t0 = now_ms();
		if (mn_store_recall(st, &r, &o, &err))
			goto fail;
		fused[i] = now_ms() - t0;
		for (size_t k = 0; k < r.n; k++)
			agree += r.items[k].rowid == (int64_t)target + 1;
		mn_recall_result_release(&r);

		t0 = now_ms();
		if (mn_store_vec_search(st, &h, &nh, &o, 100, &err))
			goto fail;
		vec[i] = now_ms() - t0;
		free(h);
	}
	report("lexical only", size, lex, queries);
	report("lexical + vectors (RRF)", size, fused, queries);
	report("exact vector top-100 alone", size, vec, queries);
	printf("vec @%6d memories  first search (loads %d-dim vectors) %.1f ms; target memory in "
	       "the fused top 10: %d/%d\n",
	       size, dim, cold, agree, queries);
	free(lex);
	free(fused);
	free(vec);
	free(q);
	return;
fail:
	fprintf(stderr, "recall: %s\n", err.msg);
	exit(1);
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
	if (getenv("BENCH_VEC_WEIGHT"))
		vec_weight = atof(getenv("BENCH_VEC_WEIGHT"));
	if (getenv("BENCH_CLOCK") && !strcmp(getenv("BENCH_CLOCK"), "cpu"))
		bench_clock = CLOCK_THREAD_CPUTIME_ID;
	path = mn_xasprintf("%s/mnemo.db", dir);
	if (mn_store_open(&st, path, &err)) {
		fprintf(stderr, "open: %s\n", err.msg);
		return 1;
	}
	printf("== mnemo vector benchmarks (one core, %d dimensions, exact search, %s time)\n", dim,
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
