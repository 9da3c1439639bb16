/* Unit tests for the learned ranker's trainer (train/ranker_train.c): a
 * separable set gives weights that order it, too few pairs is declined,
 * the examples file is read by feature name, pairs are counted as trained. */
#include "testutil.h"

#include <math.h>

#include "base/json.h"
#include "base/mem.h"
#include "model/ranker.h"
#include "train/ranker_train.h"

/* A deterministic pseudo-random number in [0, 1). */
static double rnd(unsigned *s)
{
	*s = *s * 1103515245u + 12345u;
	return (double)((*s >> 8) & 0xffff) / 65536.0;
}

/* nq queries of 8 items with random features; the helpful one is the item
 * with the highest `key` feature, the others irrelevant (every third one
 * unrated). names: the header's feature order (NULL = ours). */
static json_t *separable(int nq, int key, unsigned seed, const char *split)
{
	json_t *qs = json_array();

	for (int q = 0; q < nq; q++) {
		json_t *items = json_array();
		double best = -1;
		int bi = 0;

		for (int i = 0; i < 8; i++) {
			json_t *f = json_array();
			double kv = 0;

			for (int k = 0; k < MN_RANK_NF; k++) {
				double v = rnd(&seed);

				if (k == key)
					kv = v;
				json_array_append_new(f, json_real(v));
			}
			if (kv > best) {
				best = kv;
				bi = i;
			}
			json_array_append_new(items, json_pack("{s:s,s:i,s:o}", "memory_id", "m",
							       "rank", i + 1, "features", f));
		}
		for (int i = 0; i < 8; i++) {
			json_t *it = json_array_get(items, (size_t)i);

			json_object_set_new(it, "rating",
					    i == bi ? json_string("helpful")
					    : i % 3 == 2 ? json_null()
							 : json_string("irrelevant"));
		}
		json_array_append_new(qs, json_pack("{s:s,s:s,s:o}", "query", "q", "split", split,
						    "items", items));
	}
	return qs;
}

static void test_separable_set_is_ordered(void **state)
{
	char *dir = tu_tmpdir();
	char *ex = mn_xasprintf("%s/ex.jsonl", dir), *out = mn_xasprintf("%s/out", dir);
	char *rj = mn_xasprintf("%s/ranker.json", out), *mj = mn_xasprintf("%s/metrics.json", out);
	struct mn_err err = MN_ERR_INIT;
	struct mn_ranker r;
	json_t *train = separable(150, MN_RANK_RECENCY, 1, "train"), *m = NULL, *back = NULL;
	struct mn_ranker_train_opts o = { ex, out, NULL, 42, 10, 0 };
	double nd, rr, maxw = 0;
	size_t n;

	(void)state;
	assert_int_equal(mn_ranker_examples_write(ex, train, &err), 0);
	assert_int_equal(mn_ranker_train(&o, &m, &err), 0);
	assert_true(mn_file_exists(rj));
	assert_true(mn_file_exists(mj));
	mn_ranker_hand(&r);
	assert_int_equal(mn_ranker_load(&r, rj, &err), 0);
	/* the deciding feature carries the largest weight, scaled to 1 */
	for (int k = 0; k < MN_RANK_NF; k++)
		maxw = fmax(maxw, fabs(r.w[k]));
	assert_float_equal(maxw, 1.0, 1e-9);
	assert_float_equal(r.w[MN_RANK_RECENCY], 1.0, 1e-9);
	/* it orders the training set and a fresh set drawn the same way */
	assert_int_equal(mn_ranker_eval(&r, train, NULL, &nd, &rr, &n), 0);
	assert_int_equal(n, 150);
	assert_true(mn_json_num(m, "train_ndcg10", 0) > 0.95);
	assert_true(rr > 0.95);
	back = separable(40, MN_RANK_RECENCY, 99, "holdout");
	assert_int_equal(mn_ranker_eval(&r, back, "holdout", &nd, &rr, &n), 0);
	assert_true(nd > 0.9);
	/* metrics.json: pairs as counted (helpful x rated irrelevant, per query) */
	assert_int_equal(json_integer_value(json_object_get(m, "train_queries")), 150);
	assert_int_equal(json_integer_value(json_object_get(m, "pairs")),
			 (json_int_t)mn_ranker_count_pairs(train, NULL));
	json_decref(m);
	json_decref(back);
	json_decref(train);
	free(ex);
	free(out);
	free(rj);
	free(mj);
	tu_rmtree(dir);
}

static void test_prior_keeps_the_incumbent_without_evidence(void **state)
{
	char *dir = tu_tmpdir();
	char *ex = mn_xasprintf("%s/ex.jsonl", dir), *out = mn_xasprintf("%s/out", dir);
	char *inc = mn_xasprintf("%s/inc.json", dir), *rj = mn_xasprintf("%s/ranker.json", out);
	struct mn_err err = MN_ERR_INIT;
	struct mn_ranker r, i;
	/* the incumbent ranks by `dates`; ratings agree with it */
	json_t *train = separable(30, MN_RANK_DATES, 5, "train");
	struct mn_ranker_train_opts o = { ex, out, inc, 42, 0.1, -1 };

	(void)state;
	memset(&i, 0, sizeof(i));
	i.w[MN_RANK_DATES] = 1;
	assert_int_equal(mn_ranker_save(&i, inc, NULL, &err), 0);
	assert_int_equal(mn_ranker_examples_write(ex, train, &err), 0);
	assert_int_equal(mn_ranker_train(&o, NULL, &err), 0);
	mn_ranker_hand(&r);
	assert_int_equal(mn_ranker_load(&r, rj, &err), 0);
	assert_float_equal(r.w[MN_RANK_DATES], 1.0, 1e-9);
	for (int k = 0; k < MN_RANK_NF; k++)
		if (k != MN_RANK_DATES)
			assert_true(fabs(r.w[k]) < 0.5);
	json_decref(train);
	free(ex);
	free(out);
	free(inc);
	free(rj);
	tu_rmtree(dir);
}

static void test_too_few_pairs_is_declined(void **state)
{
	char *dir = tu_tmpdir();
	char *ex = mn_xasprintf("%s/ex.jsonl", dir), *out = mn_xasprintf("%s/out", dir);
	char *rj = mn_xasprintf("%s/ranker.json", out);
	struct mn_err err = MN_ERR_INIT;
	/* 2 queries x 5 pairs = 10 < MN_RANKER_MIN_PAIRS; holdout queries never count */
	json_t *qs = separable(2, MN_RANK_LEXICAL, 3, "train"), *hold = separable(10, 1, 4, "holdout");
	struct mn_ranker_train_opts o = { ex, out, NULL, 42, 0, -1 };

	(void)state;
	json_array_extend(qs, hold);
	assert_true(mn_ranker_count_pairs(qs, NULL) < MN_RANKER_MIN_PAIRS);
	assert_int_equal(mn_ranker_examples_write(ex, qs, &err), 0);
	assert_int_equal(mn_ranker_train(&o, NULL, &err), MN_EDECLINED);
	assert_non_null(strstr(err.msg, "too few pairs"));
	assert_false(mn_file_exists(rj));
	json_decref(qs);
	json_decref(hold);
	free(ex);
	free(out);
	free(rj);
	tu_rmtree(dir);
}

static void test_examples_are_read_by_feature_name(void **state)
{
	char *dir = tu_tmpdir(), *ex = mn_xasprintf("%s/ex.jsonl", dir);
	struct mn_err err = MN_ERR_INIT;
	json_t *qs = NULL, *f;
	size_t pq;

	(void)state;
	/* header names two features, in another order, plus an unknown one */
	tu_write(ex, "{\"format\":\"mnemo.ranker-examples/1\",\"features\":[\"recency\",\"x-new\","
		     "\"base\"]}\n"
		     "{\"query\":\"a\",\"split\":\"train\",\"items\":[{\"rating\":\"helpful\","
		     "\"features\":[0.5,9,0.25]},{\"rating\":\"partial\",\"features\":[0,9,0]},"
		     "{\"rating\":\"irrelevant\",\"features\":[0,9,0]},{\"rating\":null,"
		     "\"features\":[1,9,1]}]}\n"
		     "not json\n");
	assert_int_equal(mn_ranker_examples_load(&qs, ex, &err), 0);
	assert_int_equal(json_array_size(qs), 1);
	f = json_object_get(json_array_get(json_object_get(json_array_get(qs, 0), "items"), 0),
			    "features");
	assert_int_equal(json_array_size(f), MN_RANK_NF);
	assert_float_equal(json_real_value(json_array_get(f, MN_RANK_BASE)), 0.25, 1e-6);
	assert_float_equal(json_real_value(json_array_get(f, MN_RANK_RECENCY)), 0.5, 1e-6);
	assert_float_equal(json_real_value(json_array_get(f, MN_RANK_LEXICAL)), 0, 1e-9);
	/* helpful > partial, helpful > irrelevant, partial > irrelevant; unrated left out */
	assert_int_equal(mn_ranker_count_pairs(qs, &pq), 3);
	assert_int_equal(pq, 1);
	json_decref(qs);
	/* not an examples file */
	tu_write(ex, "{\"format\":\"mnemo.ranker/1\"}\n");
	assert_int_equal(mn_ranker_examples_load(&qs, ex, &err), MN_EINVAL);
	assert_null(qs);
	free(ex);
	tu_rmtree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_separable_set_is_ordered),
		cmocka_unit_test(test_prior_keeps_the_incumbent_without_evidence),
		cmocka_unit_test(test_too_few_pairs_is_declined),
		cmocka_unit_test(test_examples_are_read_by_feature_name),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
