/*
 * test_vec.c - optional vectors (docs/vectors.md): the embedding section
 * of the configuration, the /v1/embeddings client against
 * tests/support/fake_embed.py (a real child process: ok, slow, failing,
 * wrong dimensions, gone), vectors in a real SQLite store, exact search
 * with recall's filters, fusion with lexical recall, and the embedding
 * worker's batches and model changes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <spawn.h>
#include <sys/types.h>
#include <sys/wait.h>

#include "testutil.h"

#include "base/buf.h"
#include "base/file.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/timeutil.h"
#include "core/config.h"
#include "learn/embedder.h"
#include "model/embed.h"
#include "store/store.h"
#include "store/store_vec.h"

extern char **environ;

#define DIM 64

struct fix {
	char *dir;
	pid_t pid;
	char endpoint[80];
	struct mn_config cfg;
	struct mn_store *st;
};

static int setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));
	struct mn_err err = MN_ERR_INIT;
	char *db;

	f->pid = -1;
	f->dir = tu_tmpdir();
	if (!f->dir)
		return -1;
	mn_log_set_level(MN_LOG_ERROR);
	mn_config_init(&f->cfg);
	db = mn_xasprintf("%s/mnemo.db", f->dir);
	if (mn_store_open(&f->st, db, &err))
		return -1;
	free(db);
	mn_store_vec_cache_reset();
	*state = f;
	return 0;
}

static void fake_stop(struct fix *f)
{
	int st;

	if (f->pid <= 0)
		return;
	kill(f->pid, SIGKILL);
	while (waitpid(f->pid, &st, 0) < 0 && errno == EINTR) {
	}
	f->pid = -1;
}

static int teardown(void **state)
{
	struct fix *f = *state;

	fake_stop(f);
	mn_store_close(f->st);
	mn_config_release(&f->cfg);
	mn_log_set_level(MN_LOG_INFO);
	tu_rmtree(f->dir);
	free(f);
	return 0;
}

/* Start fake_embed.py in mode (ok, slow, error, wrongdim) and point the
 * configuration's embedding section at it. */
static void fake_start(struct fix *f, const char *mode)
{
	char *py = tu_src_path("tests/support/fake_embed.py");
	char port_path[512], err_path[512], dim[16];
	posix_spawn_file_actions_t fa;
	struct mn_buf port = MN_BUF_INIT;
	struct mn_err err = MN_ERR_INIT;
	char *argv[] = { "python3", "-I",	   "-S",      py,      "--port",
			 "0",	    "--port-file", port_path, "--dim", dim,
			 "--mode",  (char *)mode,  "--delay", "5",     NULL };

	snprintf(port_path, sizeof(port_path), "%s/port", f->dir);
	snprintf(dim, sizeof(dim), "%d", DIM);
	unlink(port_path);
	snprintf(err_path, sizeof(err_path), "%s/fake.err", f->dir);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, err_path, O_WRONLY | O_CREAT | O_TRUNC,
					 0600);
	assert_int_equal(posix_spawnp(&f->pid, "python3", &fa, NULL, argv, environ), 0);
	posix_spawn_file_actions_destroy(&fa);
	/* generous: a loaded machine starts Python slowly */
	for (int i = 0; i < 3000 && !mn_file_exists(port_path); i++)
		mn_time_sleep_ms(10);
	assert_int_equal(mn_file_read(&port, port_path, 64, &err), 0);
	snprintf(f->endpoint, sizeof(f->endpoint), "http://127.0.0.1:%d/v1",
		 atoi(mn_buf_str(&port)));
	mn_buf_release(&port);
	free(py);
	free(f->cfg.embedding.provider);
	free(f->cfg.embedding.endpoint);
	free(f->cfg.embedding.model);
	f->cfg.embedding.provider = mn_xstrdup("openai");
	f->cfg.embedding.endpoint = mn_xstrdup(f->endpoint);
	f->cfg.embedding.model = mn_xstrdup("fake-embed");
	f->cfg.embedding_dimensions = DIM;
}

static int64_t remember(struct fix *f, const char *text, const char *project)
{
	struct mn_raw r = { .content = (char *)text,
			    .content_len = strlen(text),
			    .source = "test",
			    .type = "note",
			    .project = (char *)project };
	struct mn_err err = MN_ERR_INIT;
	struct mn_vec_todo *t = NULL;
	size_t n = 0;
	int64_t rowid = -1;

	assert_int_equal(mn_store_put_raw(f->st, &r, &err), 0);
	/* its rowid: the newest raw row */
	assert_int_equal(mn_store_vec_missing(f->st, &t, &n, "x", 1, 0, 100000, true, &err), 0);
	for (size_t i = 0; i < n; i++)
		if (!strcmp(t[i].text, text))
			rowid = t[i].rowid;
	mn_vec_todos_free(t, n);
	assert_true(rowid > 0);
	return rowid;
}

static void unit(float *v, int dim, unsigned seed)
{
	double n = 0;

	for (int i = 0; i < dim; i++) {
		seed = seed * 1103515245u + 12345u;
		v[i] = (float)((double)(seed >> 8) / (double)(1u << 24) - 0.5);
		n += (double)v[i] * v[i];
	}
	for (int i = 0; i < dim; i++)
		v[i] = (float)(v[i] / sqrt(n));
}

static float dotf(const float *a, const float *b, int n)
{
	double s = 0;

	for (int i = 0; i < n; i++)
		s += (double)a[i] * b[i];
	return (float)s;
}

/* ---- configuration ---- */

static void test_config_embedding_needs_dimensions(void **state)
{
	static const char no_dim[] = "embedding:\n  provider: openai\n"
				     "  endpoint: http://127.0.0.1:9/v1\n  model: m\n";
	static const char ok[] =
		"embedding:\n  provider: openai\n"
		"  endpoint: http://127.0.0.1:9/v1\n  model: m\n  dimensions: 384\n";
	struct mn_config c;
	struct mn_err err = MN_ERR_INIT;

	(void)state;
	mn_config_init(&c);
	assert_string_equal(c.embedding.provider, "none");
	assert_false(mn_embed_configured(&c));
	assert_int_equal(mn_config_load_string(&c, no_dim, strlen(no_dim), "t.yaml", &err),
			 MN_EINVAL);
	assert_non_null(strstr(err.msg, "t.yaml:2: key 'embedding.provider'"));
	assert_non_null(strstr(err.msg, "embedding.dimensions"));
	assert_int_equal(mn_config_load_string(&c, ok, strlen(ok), "t.yaml", &err), 0);
	assert_true(mn_embed_configured(&c));
	assert_int_equal(c.embedding_dimensions, 384);
	assert_int_equal(c.embedding_query_timeout_ms, 2000);
	mn_config_release(&c);
}

/* ---- the client ---- */

static void test_embed_unit_vectors_deterministic_paraphrase_closer(void **state)
{
	struct fix *f = *state;
	struct mn_embed *e = NULL;
	struct mn_err err = MN_ERR_INIT;
	const char *texts[] = { "the quintessa rollout failed", "zorblax rollout",
				"lunch was pizza", "the quintessa rollout failed" };
	float v[4 * DIM];

	fake_start(f, "ok");
	assert_int_equal(mn_embed_open(&e, &f->cfg, f->dir, 0, 0, &err), 0);
	assert_int_equal(mn_embed_dim(e), DIM);
	assert_int_equal(mn_embed_texts(e, v, texts, 4, &err), 0);
	for (int i = 0; i < 4; i++)
		assert_true(fabsf(dotf(v + i * DIM, v + i * DIM, DIM) - 1.0f) < 1e-4f);
	assert_memory_equal(v, v + 3 * DIM, sizeof(float) * DIM);
	/* a made-up synonym shares dimensions; an unrelated text does not */
	assert_true(dotf(v, v + DIM, DIM) > dotf(v, v + 2 * DIM, DIM) + 0.2f);
	mn_embed_free(e);
}

static void test_embed_wrong_dimensions_refused(void **state)
{
	struct fix *f = *state;
	struct mn_embed *e = NULL;
	struct mn_err err = MN_ERR_INIT;
	const char *texts[] = { "hello" };
	float v[DIM + 8];

	fake_start(f, "wrongdim");
	assert_int_equal(mn_embed_open(&e, &f->cfg, f->dir, 0, -1, &err), 0);
	assert_int_equal(mn_embed_texts(e, v, texts, 1, &err), MN_EPARSE);
	assert_non_null(strstr(err.msg, "returned 67 dimensions, embedding.dimensions is 64"));
	mn_embed_free(e);
}

static void test_embed_slow_server_bounded_by_timeout(void **state)
{
	struct fix *f = *state;
	struct mn_embed *e = NULL;
	struct mn_err err = MN_ERR_INIT;
	const char *texts[] = { "hello" };
	float v[DIM];
	int64_t t0;

	fake_start(f, "slow"); /* answers after 5 s */
	assert_int_equal(mn_embed_open(&e, &f->cfg, f->dir, 300, -1, &err), 0);
	t0 = mn_time_mono_ms();
	assert_int_equal(mn_embed_texts(e, v, texts, 1, &err), MN_ETIMEOUT);
	assert_true(mn_time_mono_ms() - t0 < 4000);
	mn_embed_free(e);
}

static void test_embed_server_gone_and_error_status(void **state)
{
	struct fix *f = *state;
	struct mn_embed *e = NULL;
	struct mn_err err = MN_ERR_INIT;
	const char *texts[] = { "hello" };
	float v[DIM];

	fake_start(f, "error");
	assert_int_equal(mn_embed_open(&e, &f->cfg, f->dir, 0, -1, &err), 0);
	assert_int_equal(mn_embed_texts(e, v, texts, 1, &err), MN_EHTTP);
	assert_non_null(strstr(err.msg, "HTTP 503"));
	fake_stop(f);
	assert_int_equal(mn_embed_texts(e, v, texts, 1, &err), MN_EHTTP);
	assert_non_null(strstr(err.msg, "could not reach"));
	mn_embed_free(e);
}

/* ---- storage ---- */

static void test_put_get_missing_count_and_triggers(void **state)
{
	struct fix *f = *state;
	struct mn_err err = MN_ERR_INIT;
	int64_t a = remember(f, "alpha text", NULL), b = remember(f, "beta text", NULL);
	int64_t have = -1, missing = -1;
	float v[DIM], *got = NULL;
	struct mn_vec_todo *t = NULL;
	size_t n = 0;
	char *model = NULL;
	int dim = 0;

	unit(v, DIM, 1);
	assert_int_equal(mn_store_vec_put(f->st, &a, v, 1, DIM, "m1", &err), 0);
	assert_int_equal(mn_store_vec_get(f->st, &got, &dim, &model, a, &err), 0);
	assert_int_equal(dim, DIM);
	assert_string_equal(model, "m1");
	assert_memory_equal(got, v, sizeof(v));
	free(got);
	free(model);
	assert_int_equal(mn_store_vec_get(f->st, &got, &dim, NULL, b, &err), MN_ENOTFOUND);
	assert_int_equal(mn_store_vec_count(f->st, &have, &missing, "m1", DIM, &err), 0);
	assert_int_equal(have, 1);
	assert_int_equal(missing, 1);
	/* only b needs an m1 vector; both need one of another model or size */
	assert_int_equal(mn_store_vec_missing(f->st, &t, &n, "m1", DIM, 0, 10, false, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(t[0].rowid, b);
	assert_string_equal(t[0].text, "beta text");
	mn_vec_todos_free(t, n);
	assert_int_equal(mn_store_vec_missing(f->st, &t, &n, "m2", DIM, 0, 10, false, &err), 0);
	assert_int_equal(n, 2);
	mn_vec_todos_free(t, n);
	assert_int_equal(mn_store_vec_missing(f->st, &t, &n, "m1", DIM * 2, 0, 10, false, &err), 0);
	assert_int_equal(n, 2);
	mn_vec_todos_free(t, n);
	/* a vector for a row that is gone is not stored */
	{
		int64_t gone = b + 100;

		assert_int_equal(mn_store_vec_put(f->st, &gone, v, 1, DIM, "m1", &err), 0);
		assert_int_equal(mn_store_vec_get(f->st, &got, &dim, NULL, gone, &err),
				 MN_ENOTFOUND);
	}
	/* a second put replaces the row's vector */
	assert_int_equal(mn_store_vec_put(f->st, &b, v, 1, DIM, "m1", &err), 0);
	assert_int_equal(mn_store_vec_put(f->st, &b, v, 1, DIM, "m1", &err), 0);
	assert_int_equal(mn_store_vec_count(f->st, &have, &missing, "m1", DIM, &err), 0);
	assert_int_equal(have, 2);
	assert_int_equal(missing, 0);
}

static void test_forget_drops_the_vector(void **state)
{
	struct fix *f = *state;
	struct mn_err err = MN_ERR_INIT;
	struct mn_raw r = { .content = "gamma text", .content_len = 10, .source = "t" };
	struct mn_vec_todo *t = NULL;
	size_t n = 0;
	float v[DIM], *got = NULL;
	int dim = 0;
	int64_t rowid;

	assert_int_equal(mn_store_put_raw(f->st, &r, &err), 0);
	assert_int_equal(mn_store_vec_missing(f->st, &t, &n, "m", DIM, 0, 10, false, &err), 0);
	assert_int_equal(n, 1);
	rowid = t[0].rowid;
	mn_vec_todos_free(t, n);
	unit(v, DIM, 3);
	assert_int_equal(mn_store_vec_put(f->st, &rowid, v, 1, DIM, "m", &err), 0);
	assert_int_equal(mn_store_forget(f->st, r.id, &err), 0);
	assert_int_equal(mn_store_vec_get(f->st, &got, &dim, NULL, rowid, &err), MN_ENOTFOUND);
}

/* ---- search ---- */

static void test_search_exact_top_k_with_filters_and_changes(void **state)
{
	struct fix *f = *state;
	struct mn_err err = MN_ERR_INIT;
	enum { N = 300 };
	int64_t rowid[N];
	float *vecs = mn_xmalloc(sizeof(float) * N * DIM), q[DIM];
	struct mn_recall_opts o = { .query_vec = q, .query_dim = DIM, .vec_model = "m" };
	struct mn_vec_hit *h = NULL;
	size_t n = 0;
	int best = -1;
	float best_sim = -2;

	for (int i = 0; i < N; i++) {
		char text[32];

		snprintf(text, sizeof(text), "memory number %d", i);
		rowid[i] = remember(f, text, i % 2 ? "odd" : "even");
		unit(vecs + i * DIM, DIM, (unsigned)i + 10);
	}
	assert_int_equal(mn_store_vec_put(f->st, rowid, vecs, N, DIM, "m", &err), 0);
	/* the query: close to memory 17 */
	memcpy(q, vecs + 17 * DIM, sizeof(q));
	q[0] += 0.1f;
	for (int i = 0; i < N; i++) {
		float s = dotf(q, vecs + i * DIM, DIM);

		if (s > best_sim) {
			best_sim = s;
			best = i;
		}
	}
	assert_int_equal(best, 17);
	assert_int_equal(mn_store_vec_search(f->st, &h, &n, &o, 5, &err), 0);
	assert_true(n >= 1 && n <= 5);
	assert_int_equal(h[0].rowid, rowid[17]);
	assert_true(fabsf(h[0].sim - dotf(q, vecs + 17 * DIM, DIM)) < 1e-4f);
	for (size_t i = 1; i < n; i++)
		assert_true(h[i - 1].sim >= h[i].sim);
	free(h);
	/* filters select inside the search: 17 is odd */
	o.project = "even";
	assert_int_equal(mn_store_vec_search(f->st, &h, &n, &o, 5, &err), 0);
	for (size_t i = 0; i < n; i++)
		assert_true((h[i].rowid - rowid[0]) % 2 == 0);
	free(h);
	o.project = NULL;
	/* another model's vectors are not compared */
	o.vec_model = "other";
	assert_int_equal(mn_store_vec_search(f->st, &h, &n, &o, 5, &err), 0);
	assert_int_equal(n, 0);
	o.vec_model = "m";
	/* the process's copy follows new vectors and deletions */
	{
		int64_t r2 = remember(f, "a late memory", NULL);

		assert_int_equal(mn_store_vec_put(f->st, &r2, q, 1, DIM, "m", &err), 0);
		assert_int_equal(mn_store_vec_search(f->st, &h, &n, &o, 5, &err), 0);
		assert_int_equal(h[0].rowid, r2);
		free(h);
		assert_int_equal(mn_store_vec_clear(f->st, &err), 0);
		assert_int_equal(mn_store_vec_search(f->st, &h, &n, &o, 5, &err), 0);
		assert_int_equal(n, 0);
	}
	free(vecs);
}

static int cmp_desc(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? 1 : x > y ? -1 : 0;
}

/* The bound pass never loses a row of the true top k: the similarities
 * returned are the k largest, as plain float arithmetic finds them. */
static void test_search_equals_brute_force(void **state)
{
	struct fix *f = *state;
	struct mn_err err = MN_ERR_INIT;
	enum { N = 2000, D = 384, K = 20 };
	float *vecs = mn_xmalloc(sizeof(float) * N * D), q[D];
	double *sims = mn_xmalloc(sizeof(double) * N);
	int64_t *rowids = mn_xmalloc(sizeof(int64_t) * N);
	struct mn_vec_hit *h = NULL;
	size_t n = 0;

	for (int i = 0; i < N; i++)
		unit(vecs + (size_t)i * D, D, (unsigned)i * 7 + 3);
	/* many near-ties: copies of a few rows, slightly moved */
	for (int i = 100; i < 140; i++) {
		memcpy(vecs + (size_t)i * D, vecs + 5 * D, sizeof(float) * D);
		vecs[(size_t)i * D + i % D] += 1e-3f * (float)(i - 100);
	}
	for (int trial = 0; trial < 3; trial++) {
		struct mn_recall_opts o = { .query_vec = q, .query_dim = D, .vec_model = "b" };

		if (trial == 0) {
			for (int i = 0; i < N; i++) {
				struct mn_raw r = { .source = "t" };
				char text[32];

				snprintf(text, sizeof(text), "row %d", i);
				r.content = text;
				r.content_len = strlen(text);
				assert_int_equal(mn_store_put_raw(f->st, &r, &err), 0);
			}
			{
				struct mn_vec_todo *t = NULL;
				size_t nt = 0;

				assert_int_equal(mn_store_vec_missing(f->st, &t, &nt, "b", D, 0, N,
								      false, &err),
						 0);
				assert_int_equal(nt, N);
				for (int i = 0; i < N; i++)
					rowids[i] = t[i].rowid;
				mn_vec_todos_free(t, nt);
			}
			assert_int_equal(mn_store_vec_put(f->st, rowids, vecs, N, D, "b", &err), 0);
		}
		unit(q, D, 99u + (unsigned)trial);
		if (trial == 1)
			memcpy(q, vecs + 5 * D, sizeof(q));
		for (int i = 0; i < N; i++)
			sims[i] = dotf(q, vecs + (size_t)i * D, D);
		qsort(sims, N, sizeof(*sims), cmp_desc);
		assert_int_equal(mn_store_vec_search(f->st, &h, &n, &o, K, &err), 0);
		assert_true(n > 0 && n <= K);
		for (size_t i = 0; i < n; i++)
			assert_true(fabs((double)h[i].sim - sims[i]) < 1e-5);
		free(h);
	}
	free(rowids);
	free(sims);
	free(vecs);
}

/* ---- fusion with lexical recall ---- */

static void test_recall_fuses_vectors_and_keeps_lexical(void **state)
{
	struct fix *f = *state;
	struct mn_err err = MN_ERR_INIT;
	struct mn_recall_result r;
	float v[3 * DIM], q[DIM];
	int64_t a = remember(f, "the quintessa rollout failed on friday", NULL);
	int64_t b = remember(f, "lunch was pizza with the team", NULL);
	int64_t c = remember(f, "zorblax is written without any vector yet", NULL);
	int64_t ab[2] = { a, b };
	struct mn_recall_opts o = {
		.query = "zorblax", .limit = 10, .query_vec = q, .query_dim = DIM, .vec_model = "m",
		.vec_weight = 0.5
	};
	bool saw_a = false, saw_c = false, saw_b = false;

	(void)c;
	for (int i = 0; i < 20; i++) {
		char text[48];
		int64_t x;

		snprintf(text, sizeof(text), "unrelated filler note %d", i);
		x = remember(f, text, NULL);
		unit(v + 2 * DIM, DIM, (unsigned)i + 500);
		assert_int_equal(mn_store_vec_put(f->st, &x, v + 2 * DIM, 1, DIM, "m", &err), 0);
	}
	unit(v, DIM, 7);
	unit(v + DIM, DIM, 8);
	assert_int_equal(mn_store_vec_put(f->st, ab, v, 2, DIM, "m", &err), 0);
	/* the query means what a says, in words a does not use */
	memcpy(q, v, sizeof(q));
	assert_int_equal(mn_store_recall(f->st, &r, &o, &err), 0);
	for (size_t i = 0; i < r.n; i++) {
		saw_a |= r.items[i].rowid == a;
		saw_b |= r.items[i].rowid == b;
		saw_c |= r.items[i].rowid == c;
		assert_non_null(json_object_get(r.items[i].explain, "vector"));
	}
	assert_true(saw_a); /* by meaning only */
	assert_true(saw_c); /* by its words, without a vector */
	assert_false(saw_b);
	/* at weight 0.5 the words' first beats the meaning's first */
	assert_int_equal(r.items[0].rowid, c);
	assert_int_equal(r.items[1].rowid, a);
	mn_recall_result_release(&r);
	/* without a query vector the same recall is lexical: a is not found */
	o.query_vec = NULL;
	assert_int_equal(mn_store_recall(f->st, &r, &o, &err), 0);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.items[0].rowid, c);
	assert_null(json_object_get(r.items[0].explain, "vector"));
	mn_recall_result_release(&r);
}

/* ---- the worker ---- */

static void test_embedder_batches_and_model_change(void **state)
{
	struct fix *f = *state;
	struct mn_err err = MN_ERR_INIT;
	struct mn_embedder *e = NULL;
	struct mn_embedder_batch b;
	int64_t cursor = 0, have = 0, missing = 0;
	int stored = 0;

	for (int i = 0; i < 70; i++) {
		char text[48];

		snprintf(text, sizeof(text), "observation %d about quintessa", i);
		remember(f, text, NULL);
	}
	fake_start(f, "ok");
	assert_int_equal(mn_embedder_new(&e, &f->cfg, f->dir, &err), 0);
	assert_non_null(e);
	do {
		assert_int_equal(mn_embedder_batch(e, f->st, &cursor, false, &b, &err), 0);
		assert_true(b.seen <= MN_EMBEDDER_BATCH);
		stored += b.stored;
	} while (b.seen);
	assert_int_equal(stored, 70);
	assert_int_equal(mn_store_vec_count(f->st, &have, &missing, "fake-embed", DIM, &err), 0);
	assert_int_equal(have, 70);
	assert_int_equal(missing, 0);
	mn_embedder_free(e);
	/* another model: every vector is stale and made again */
	free(f->cfg.embedding.model);
	f->cfg.embedding.model = mn_xstrdup("fake-embed-v2");
	assert_int_equal(mn_store_vec_count(f->st, &have, &missing, "fake-embed-v2", DIM, &err), 0);
	assert_int_equal(missing, 70);
	assert_int_equal(mn_embedder_new(&e, &f->cfg, f->dir, &err), 0);
	cursor = 0;
	do
		assert_int_equal(mn_embedder_batch(e, f->st, &cursor, false, &b, &err), 0);
	while (b.seen);
	assert_int_equal(mn_store_vec_count(f->st, &have, &missing, "fake-embed-v2", DIM, &err), 0);
	assert_int_equal(have, 70);
	assert_int_equal(missing, 0);
	mn_embedder_free(e);
}

static void test_embedder_server_down_keeps_cursor_and_backs_off(void **state)
{
	struct fix *f = *state;
	struct mn_err err = MN_ERR_INIT;
	struct mn_embedder *e = NULL;
	struct mn_embedder_batch b;
	int64_t cursor = 0, have = -1;
	int done = -1;

	remember(f, "one", NULL);
	remember(f, "two", NULL);
	fake_start(f, "ok");
	assert_int_equal(mn_embedder_new(&e, &f->cfg, f->dir, &err), 0);
	fake_stop(f);
	assert_int_equal(mn_embedder_batch(e, f->st, &cursor, false, &b, &err), MN_EHTTP);
	assert_int_equal(cursor, 0);
	assert_int_equal(b.stored, 0);
	assert_int_not_equal(mn_embedder_step(e, f->st, &done, &err), 0);
	/* backing off: the next step does nothing, and fails nothing */
	assert_int_equal(mn_embedder_step(e, f->st, &done, &err), 0);
	assert_int_equal(done, 0);
	assert_int_equal(mn_store_vec_count(f->st, &have, NULL, "fake-embed", DIM, &err), 0);
	assert_int_equal(have, 0);
	mn_embedder_free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_embedding_needs_dimensions),
		cmocka_unit_test_setup_teardown(
			test_embed_unit_vectors_deterministic_paraphrase_closer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_embed_wrong_dimensions_refused, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_embed_slow_server_bounded_by_timeout, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_embed_server_gone_and_error_status, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_put_get_missing_count_and_triggers, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_forget_drops_the_vector, setup, teardown),
		cmocka_unit_test_setup_teardown(test_search_exact_top_k_with_filters_and_changes,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_search_equals_brute_force, setup, teardown),
		cmocka_unit_test_setup_teardown(test_recall_fuses_vectors_and_keeps_lexical, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_embedder_batches_and_model_change, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			test_embedder_server_down_keeps_cursor_and_backs_off, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
