/*
 * test_vec_index.c - the approximate vector index (docs/vectors.md,
 * store_vec.h, vec_index.h) on a real SQLite store: its recall against
 * brute force on a deterministic set of topic-shaped vectors, how it
 * follows the memory_vectors table (new vectors, replaced vectors,
 * forgotten memories, a change of model), filters, and the switch-over
 * between exact search and the graph (embedding.index, index_min).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>

#include "testutil.h"

#include "base/log.h"
#include "base/mem.h"
#include "store/store.h"
#include "store/store_vec.h"
#include "store/vec_index.h"

#define D 64
#define N 3000
#define TOPICS 30

struct fix {
	char *dir;
	struct mn_store *st;
	int64_t rowid[N];
	char id[N][37];
	float *vecs; /* N * D */
};

static unsigned rnd(unsigned *x)
{
	*x = *x * 1103515245u + 12345u;
	return *x >> 8;
}

static double gauss(unsigned *x)
{
	double u1 = ((double)(rnd(x) % 1000000) + 1) / 1000001.0;
	double u2 = (double)(rnd(x) % 1000000) / 1000000.0;

	return sqrt(-2 * log(u1)) * cos(2 * M_PI * u2);
}

static void normalize(float *v)
{
	double n = 0;

	for (int i = 0; i < D; i++)
		n += (double)v[i] * v[i];
	for (int i = 0; i < D; i++)
		v[i] = (float)(v[i] / sqrt(n));
}

/* Memory i: the centre of topic i % TOPICS plus a direction of its own,
 * so a topic's memories are alike (as texts on one subject are). */
static void mem_vector(float *v, unsigned i)
{
	unsigned xc = 7919u * (i % TOPICS) + 1, xo = 104729u * i + 3;

	for (int d = 0; d < D; d++)
		v[d] = (float)(gauss(&xc) / sqrt(D) + 0.8 * gauss(&xo) / sqrt(D));
	normalize(v);
}

/* A query close to memory i (noise about a third of its length). */
static void query_near(float *q, const float *v, unsigned seed)
{
	unsigned x = seed * 31u + 5;

	for (int d = 0; d < D; d++)
		q[d] = v[d] + (float)(0.04 * gauss(&x));
	normalize(q);
}

static float dotf(const float *a, const float *b)
{
	double s = 0;

	for (int i = 0; i < D; i++)
		s += (double)a[i] * b[i];
	return (float)s;
}

static int setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));
	struct mn_err err = MN_ERR_INIT;
	char *db;

	f->dir = tu_tmpdir();
	if (!f->dir)
		return -1;
	mn_log_set_level(MN_LOG_ERROR);
	db = mn_xasprintf("%s/mnemo.db", f->dir);
	if (mn_store_open(&f->st, db, &err))
		return -1;
	free(db);
	mn_store_vec_cache_reset();
	mn_store_vec_index_config("auto", 0);
	f->vecs = mn_xmalloc(sizeof(float) * N * D);
	if (mn_store_begin(f->st, &err))
		return -1;
	for (int i = 0; i < N; i++) {
		char text[48];
		struct mn_raw r = { .source = "test", .type = "note" };

		snprintf(text, sizeof(text), "memory number %d", i);
		r.content = text;
		r.content_len = strlen(text);
		r.project = i % 2 ? "odd" : (i % 20 ? "even" : "twentieth");
		if (mn_store_put_raw(f->st, &r, &err))
			return -1;
		memcpy(f->id[i], r.id, sizeof(f->id[i]));
		/* a fresh store numbers raw rows from 1 */
		f->rowid[i] = i + 1;
		mem_vector(f->vecs + (size_t)i * D, (unsigned)i);
	}
	if (mn_store_commit(f->st, &err))
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;

	mn_store_vec_index_wait();
	mn_store_vec_cache_reset();
	mn_store_vec_index_config("auto", 0);
	mn_store_close(f->st);
	mn_log_set_level(MN_LOG_INFO);
	tu_rmtree(f->dir);
	free(f->vecs);
	free(f);
	return 0;
}

static void put_all(struct fix *f, const char *model)
{
	struct mn_err err = MN_ERR_INIT;

	assert_int_equal(mn_store_vec_put(f->st, f->rowid, f->vecs, N, D, model, &err), 0);
}

static size_t search(struct fix *f, const float *q, const char *model, const char *project,
		     size_t k, struct mn_vec_hit **h)
{
	struct mn_recall_opts o = { .query_vec = q,
				    .query_dim = D,
				    .vec_model = model,
				    .project = project };
	struct mn_err err = MN_ERR_INIT;
	size_t n = 0;

	*h = NULL;
	assert_int_equal(mn_store_vec_search(f->st, h, &n, &o, k, &err), 0);
	return n;
}

/* Search twice (the second starts the build), wait for the build, and
 * check the graph is there. */
static void build_index(struct fix *f, const char *model)
{
	struct mn_vec_index_stats s;
	struct mn_vec_hit *h;
	float q[D];

	query_near(q, f->vecs, 1);
	search(f, q, model, NULL, 10, &h);
	free(h);
	search(f, q, model, NULL, 10, &h);
	free(h);
	mn_store_vec_index_wait();
	mn_store_vec_index_stats(f->st, &s);
	assert_true(s.ready);
	assert_false(s.building);
}

static int64_t index_searches(struct fix *f)
{
	struct mn_vec_index_stats s;

	mn_store_vec_index_stats(f->st, &s);
	return s.searches_index;
}

/* The graph alone: labels and similarities, deletion, revival. */
static void test_graph_interface(void **state)
{
	struct fix *f = *state;
	struct mn_vec_index_params p = { 16, 100 };
	struct mn_vec_index *x = mn_vec_index_new(D, 16, &p);
	int64_t labels[5];
	float sims[5];
	size_t n;

	(void)f;
	assert_non_null(x);
	assert_null(mn_vec_index_new(0, 16, &p));
	/* past the first capacity: it grows */
	for (int i = 0; i < 200; i++)
		assert_int_equal(mn_vec_index_add(x, 1000 + i, f->vecs + (size_t)i * D), 0);
	assert_int_equal(mn_vec_index_size(x), 200);
	n = mn_vec_index_search(x, f->vecs + 37 * D, 5, 50, labels, sims);
	assert_int_equal(n, 5);
	assert_int_equal(labels[0], 1037);
	assert_true(fabsf(sims[0] - 1.0f) < 1e-4f);
	for (size_t i = 1; i < n; i++)
		assert_true(sims[i - 1] >= sims[i]);
	assert_int_equal(mn_vec_index_remove(x, 1037), 0);
	assert_int_equal(mn_vec_index_remove(x, 1037), MN_ENOTFOUND);
	assert_int_equal(mn_vec_index_remove(x, 5), MN_ENOTFOUND);
	assert_int_equal(mn_vec_index_deleted(x), 1);
	n = mn_vec_index_search(x, f->vecs + 37 * D, 5, 50, labels, sims);
	for (size_t i = 0; i < n; i++)
		assert_true(labels[i] != 1037);
	/* a deleted label added again is live, with its new vector */
	assert_int_equal(mn_vec_index_add(x, 1037, f->vecs + 38 * D), 0);
	assert_int_equal(mn_vec_index_deleted(x), 0);
	n = mn_vec_index_search(x, f->vecs + 38 * D, 2, 50, labels, sims);
	assert_int_equal(n, 2);
	assert_true(labels[0] == 1037 || labels[0] == 1038);
	assert_true(labels[1] == 1037 || labels[1] == 1038);
	assert_true(mn_vec_index_bytes(x) > 200 * D * sizeof(float));
	mn_vec_index_free(x);
}

/* recall@10 of the graph against brute force, at the settings mnemo
 * uses (k 100 as recall asks, the first 10 compared): at least 0.95. */
static void test_recall_against_brute_force(void **state)
{
	struct fix *f = *state;
	enum { Q = 100 };
	double found = 0;
	float *sims = mn_xmalloc(sizeof(float) * N);

	mn_store_vec_index_config("hnsw", 0);
	put_all(f, "m");
	build_index(f, "m");
	for (int t = 0; t < Q; t++) {
		unsigned target = (unsigned)(t * 29 % N);
		struct mn_vec_hit *h;
		float q[D], tenth;
		size_t n;

		query_near(q, f->vecs + (size_t)target * D, (unsigned)t);
		for (int i = 0; i < N; i++)
			sims[i] = dotf(q, f->vecs + (size_t)i * D);
		/* the tenth best similarity: the truth is every row reaching it */
		{
			float top[10];

			for (int j = 0; j < 10; j++)
				top[j] = -2;
			for (int i = 0; i < N; i++)
				if (sims[i] > top[9]) {
					int j = 9;

					while (j > 0 && top[j - 1] < sims[i]) {
						top[j] = top[j - 1];
						j--;
					}
					top[j] = sims[i];
				}
			tenth = top[9];
		}
		n = search(f, q, "m", NULL, 100, &h);
		assert_true(n >= 10);
		assert_int_equal(h[0].rowid, (int64_t)target + 1);
		for (size_t j = 0; j < 10; j++) {
			assert_true(fabsf(h[j].sim - sims[h[j].rowid - 1]) < 1e-4f);
			found += sims[h[j].rowid - 1] >= tenth - 1e-6f;
		}
		free(h);
	}
	print_message("recall@10 of the graph against brute force: %.3f\n", found / (Q * 10));
	assert_true(found / (Q * 10) >= 0.95);
	/* every search went through the graph */
	assert_true(index_searches(f) >= Q);
	free(sims);
}

/* The graph follows the table: a new vector is found, a replaced one is
 * found by its new vector only, a forgotten memory is gone, all without
 * a rebuild and without falling back to exact search. */
static void test_follows_new_replaced_and_forgotten(void **state)
{
	struct fix *f = *state;
	struct mn_err err = MN_ERR_INIT;
	struct mn_vec_index_stats s;
	struct mn_vec_hit *h;
	float q[D];
	int64_t before;
	size_t n;

	mn_store_vec_index_config("hnsw", 0);
	/* all but the last memory have vectors */
	assert_int_equal(mn_store_vec_put(f->st, f->rowid, f->vecs, N - 1, D, "m", &err), 0);
	build_index(f, "m");
	before = index_searches(f);

	/* new: the last memory's vector arrives after the build */
	query_near(q, f->vecs + (size_t)(N - 1) * D, 3);
	n = search(f, q, "m", NULL, 10, &h);
	assert_true(n > 0);
	assert_int_not_equal(h[0].rowid, f->rowid[N - 1]);
	free(h);
	assert_int_equal(mn_store_vec_put(f->st, &f->rowid[N - 1], f->vecs + (size_t)(N - 1) * D,
					  1, D, "m", &err),
			 0);
	n = search(f, q, "m", NULL, 10, &h);
	assert_true(n > 0);
	assert_int_equal(h[0].rowid, f->rowid[N - 1]);
	free(h);

	/* replaced: memory 100 gets memory 2000's vector (an edit, re-embedded) */
	query_near(q, f->vecs + 100 * D, 4);
	n = search(f, q, "m", NULL, 10, &h);
	assert_int_equal(h[0].rowid, f->rowid[100]);
	free(h);
	assert_int_equal(mn_store_vec_put(f->st, &f->rowid[100], f->vecs + 2000 * D, 1, D, "m",
					  &err),
			 0);
	n = search(f, q, "m", NULL, 10, &h);
	for (size_t i = 0; i < n; i++)
		assert_int_not_equal(h[i].rowid, f->rowid[100]);
	free(h);
	query_near(q, f->vecs + 2000 * D, 5);
	n = search(f, q, "m", NULL, 10, &h);
	assert_true(n >= 2);
	/* both now hold the same vector */
	assert_true((h[0].rowid == f->rowid[100] && h[1].rowid == f->rowid[2000]) ||
		    (h[0].rowid == f->rowid[2000] && h[1].rowid == f->rowid[100]));
	free(h);

	/* forgotten: memory 500 and its vector */
	query_near(q, f->vecs + 500 * D, 6);
	n = search(f, q, "m", NULL, 10, &h);
	assert_int_equal(h[0].rowid, f->rowid[500]);
	free(h);
	assert_int_equal(mn_store_forget(f->st, f->id[500], &err), 0);
	n = search(f, q, "m", NULL, 10, &h);
	assert_true(n > 0);
	for (size_t i = 0; i < n; i++)
		assert_int_not_equal(h[i].rowid, f->rowid[500]);
	free(h);

	mn_store_vec_index_stats(f->st, &s);
	assert_true(s.ready);
	assert_int_equal(s.vectors, N - 1); /* N, less the forgotten one */
	assert_int_equal(s.indexed, N);     /* nodes stay, marked */
	assert_int_equal(s.deleted, 1);
	assert_int_equal(s.searches_index - before, 7);
}

/* A change of model: the old model's graph is dropped (searches of the
 * new model are exact, over the new vectors only) and a new one built. */
static void test_model_change_rebuilds(void **state)
{
	struct fix *f = *state;
	struct mn_vec_index_stats s;
	struct mn_vec_hit *h;
	float q[D];
	size_t n;

	mn_store_vec_index_config("hnsw", 0);
	put_all(f, "old");
	build_index(f, "old");
	/* the new model's vectors: the same, reversed in order */
	for (int i = 0; i < N / 2; i++)
		for (int d = 0; d < D; d++) {
			float t = f->vecs[(size_t)i * D + d];

			f->vecs[(size_t)i * D + d] = f->vecs[(size_t)(N - 1 - i) * D + d];
			f->vecs[(size_t)(N - 1 - i) * D + d] = t;
		}
	put_all(f, "new");
	query_near(q, f->vecs + 10 * D, 7);
	n = search(f, q, "new", NULL, 10, &h);
	assert_true(n > 0);
	assert_int_equal(h[0].rowid, f->rowid[10]);
	free(h);
	mn_store_vec_index_stats(f->st, &s);
	assert_false(s.ready);
	assert_int_equal(s.searches_exact, 1);
	build_index(f, "new");
	n = search(f, q, "new", NULL, 10, &h);
	assert_int_equal(h[0].rowid, f->rowid[10]);
	free(h);
	mn_store_vec_index_stats(f->st, &s);
	assert_int_equal(s.indexed, N);
	assert_true(s.searches_index >= 1);
}

/* Filters: a broad one (half the memories) goes through the graph and
 * keeps only passing rows; a narrow one (one in twenty) is exact. */
static void test_filters(void **state)
{
	struct fix *f = *state;
	struct mn_vec_index_stats s0, s1;
	struct mn_vec_hit *h;
	float q[D];
	size_t n;

	mn_store_vec_index_config("hnsw", 0);
	put_all(f, "m");
	build_index(f, "m");
	/* memory 33 is odd */
	query_near(q, f->vecs + 33 * D, 8);
	mn_store_vec_index_stats(f->st, &s0);
	n = search(f, q, "m", "odd", 20, &h);
	assert_true(n > 0);
	assert_int_equal(h[0].rowid, f->rowid[33]);
	for (size_t i = 0; i < n; i++)
		assert_true(h[i].rowid % 2 == 0); /* rowid = i + 1: odd i */
	free(h);
	mn_store_vec_index_stats(f->st, &s1);
	assert_int_equal(s1.searches_index, s0.searches_index + 1);
	/* memory 40 is a twentieth */
	query_near(q, f->vecs + 40 * D, 9);
	n = search(f, q, "m", "twentieth", 20, &h);
	assert_true(n > 0);
	assert_int_equal(h[0].rowid, f->rowid[40]);
	for (size_t i = 0; i < n; i++)
		assert_true((h[i].rowid - 1) % 20 == 0);
	free(h);
	mn_store_vec_index_stats(f->st, &s0);
	assert_int_equal(s0.searches_exact, s1.searches_exact + 1);
}

/* auto builds the graph from index_min vectors up, from a process's
 * second search; exact never does; a first search never starts a build
 * (a one-shot command). */
static void test_switch_over(void **state)
{
	struct fix *f = *state;
	struct mn_err err = MN_ERR_INIT;
	struct mn_vec_index_stats s;
	struct mn_vec_hit *h;
	float q[D];

	query_near(q, f->vecs, 10);
	mn_store_vec_index_config("auto", N);
	assert_int_equal(mn_store_vec_put(f->st, f->rowid, f->vecs, N - 1, D, "m", &err), 0);
	for (int i = 0; i < 3; i++) {
		search(f, q, "m", NULL, 10, &h);
		free(h);
	}
	mn_store_vec_index_wait();
	mn_store_vec_index_stats(f->st, &s);
	assert_false(s.ready);
	assert_false(s.building);
	assert_int_equal(s.searches_exact, 3);
	/* the N-th vector reaches index_min */
	assert_int_equal(mn_store_vec_put(f->st, &f->rowid[N - 1], f->vecs + (size_t)(N - 1) * D,
					  1, D, "m", &err),
			 0);
	search(f, q, "m", NULL, 10, &h);
	free(h);
	mn_store_vec_index_wait();
	mn_store_vec_index_stats(f->st, &s);
	assert_true(s.ready);
	assert_int_equal(s.indexed, N);
	search(f, q, "m", NULL, 10, &h);
	assert_int_equal(h[0].rowid, f->rowid[0]);
	free(h);
	mn_store_vec_index_stats(f->st, &s);
	assert_int_equal(s.searches_index, 1);
	/* exact: the graph is dropped */
	mn_store_vec_index_config("exact", 0);
	search(f, q, "m", NULL, 10, &h);
	assert_int_equal(h[0].rowid, f->rowid[0]);
	free(h);
	mn_store_vec_index_stats(f->st, &s);
	assert_false(s.ready);
	assert_int_equal(s.searches_index, 1);
	/* a fresh copy (a new process): its first search starts nothing */
	mn_store_vec_cache_reset();
	mn_store_vec_index_config("hnsw", 0);
	search(f, q, "m", NULL, 10, &h);
	free(h);
	mn_store_vec_index_stats(f->st, &s);
	assert_false(s.building);
	assert_false(s.ready);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_graph_interface, setup, teardown),
		cmocka_unit_test_setup_teardown(test_recall_against_brute_force, setup, teardown),
		cmocka_unit_test_setup_teardown(test_follows_new_replaced_and_forgotten, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_model_change_rebuilds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_filters, setup, teardown),
		cmocka_unit_test_setup_teardown(test_switch_over, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
