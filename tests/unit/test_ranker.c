/* Unit tests for the learned ranker's model (model/ranker.c): files,
 * scoring, explain and evaluation. */
#include "testutil.h"

#include <math.h>

#include "base/json.h"
#include "model/ranker.h"

static char *write_tmp(const char *dir, const char *name, const char *text)
{
	char *p = malloc(strlen(dir) + strlen(name) + 2);
	FILE *f;

	sprintf(p, "%s/%s", dir, name);
	f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return p;
}

static void test_save_load_round_trip(void **state)
{
	char *dir = tu_tmpdir(), *path = malloc(strlen(dir) + 16);
	struct mn_ranker r, back;
	struct mn_err err = MN_ERR_INIT;
	json_t *on = json_pack("{s:i}", "queries", 12);

	(void)state;
	sprintf(path, "%s/ranker.json", dir);
	mn_ranker_hand(&r);
	r.w[MN_RANK_DATES] = -0.25;
	r.w[MN_RANK_COVERAGE] = 0.5;
	assert_int_equal(mn_ranker_save(&r, path, on, &err), 0);
	mn_ranker_hand(&back);
	back.w[MN_RANK_BASE] = 0;
	assert_int_equal(mn_ranker_load(&back, path, &err), 0);
	for (int i = 0; i < MN_RANK_NF; i++)
		assert_float_equal(back.w[i], r.w[i], 1e-12);
	json_decref(on);
	free(path);
	tu_rmtree(dir); /* frees dir */
}

static void test_features_are_matched_by_name(void **state)
{
	char *dir = tu_tmpdir();
	char *p = write_tmp(dir, "r.json",
			    "{\"format\":\"mnemo.ranker/1\",\"features\":[\"dates\",\"from_the_future\","
			    "\"lexical\"],\"weights\":[2,7,0.5]}");
	struct mn_ranker r;
	struct mn_err err = MN_ERR_INIT;
	float f[MN_RANK_NF] = {0};

	(void)state;
	mn_ranker_hand(&r);
	assert_int_equal(mn_ranker_load(&r, p, &err), 0);
	/* base is not named: it weighs 0 now; the unknown name is ignored */
	assert_float_equal(r.w[MN_RANK_BASE], 0, 0);
	assert_float_equal(r.w[MN_RANK_DATES], 2, 0);
	assert_float_equal(r.w[MN_RANK_LEXICAL], 0.5, 0);
	f[MN_RANK_DATES] = 1;
	f[MN_RANK_LEXICAL] = 0.5f;
	f[MN_RANK_BASE] = 100;
	assert_float_equal(mn_ranker_score(&r, f), 2.25, 1e-9);
	free(p);
	tu_rmtree(dir); /* frees dir */
}

static void test_bad_files_are_refused(void **state)
{
	static const char *const bad[] = {
		"{\"format\":\"mnemo.ranker/2\",\"features\":[],\"weights\":[]}",
		"{\"format\":\"mnemo.ranker/1\",\"features\":[\"base\"],\"weights\":[1,2]}",
		"{\"format\":\"mnemo.ranker/1\",\"features\":[\"base\"],\"weights\":[\"1\"]}",
		"{\"format\":\"mnemo.ranker/1\",\"features\":[\"base\"]}",
		"[1,2,3]",
		"{\"format\":",
	};
	char *dir = tu_tmpdir();

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *p = write_tmp(dir, "bad.json", bad[i]);
		struct mn_ranker r;
		struct mn_err err = MN_ERR_INIT;

		mn_ranker_hand(&r);
		assert_int_not_equal(mn_ranker_load(&r, p, &err), 0);
		/* a refused file leaves the ranker as it was */
		assert_float_equal(r.w[MN_RANK_BASE], 1, 0);
		assert_true(err.msg[0] != '\0');
		free(p);
	}
	tu_rmtree(dir); /* frees dir */
}

/* One query of n items whose feature k is given; ratings as given. */
static json_t *query(const char *split, int k, const double *x, const char *const *rating,
		     size_t n)
{
	json_t *items = json_array();

	for (size_t i = 0; i < n; i++) {
		json_t *f = json_array();

		for (int j = 0; j < MN_RANK_NF; j++)
			json_array_append_new(f, json_real(j == k ? x[i] : 0.0));
		json_array_append_new(items, json_pack("{s:i,s:s?,s:o}", "rank", (int)i + 1,
						       "rating", rating[i], "features", f));
	}
	return json_pack("{s:s,s:o}", "split", split, "items", items);
}

static void test_eval_ndcg_and_mrr(void **state)
{
	static const double cov[] = {0.1, 0.9, 0.5};
	static const char *const rating[] = {"irrelevant", "helpful", NULL};
	static const char *const none[] = {"irrelevant", "irrelevant", NULL};
	json_t *qs = json_array();
	struct mn_ranker good, bad;
	double ndcg, mrr;
	size_t n;

	(void)state;
	json_array_append_new(qs, query("holdout", MN_RANK_COVERAGE, cov, rating, 3));
	json_array_append_new(qs, query("train", MN_RANK_COVERAGE, cov, rating, 3));
	/* no helpful or partial item: not scored */
	json_array_append_new(qs, query("holdout", MN_RANK_COVERAGE, cov, none, 3));
	memset(&good, 0, sizeof(good));
	good.w[MN_RANK_COVERAGE] = 1;
	bad = good;
	bad.w[MN_RANK_COVERAGE] = -1;
	assert_int_equal(mn_ranker_eval(&good, qs, "holdout", &ndcg, &mrr, &n), 0);
	assert_int_equal(n, 1);
	assert_float_equal(ndcg, 1.0, 1e-9);
	assert_float_equal(mrr, 1.0, 1e-9);
	assert_int_equal(mn_ranker_eval(&bad, qs, "holdout", &ndcg, &mrr, &n), 0);
	/* the helpful item comes last of three: 1/3, and its gain discounted */
	assert_float_equal(mrr, 1.0 / 3.0, 1e-9);
	assert_float_equal(ndcg, 1.0 / log2(4.0), 1e-9);
	assert_int_equal(mn_ranker_eval(&good, qs, NULL, &ndcg, &mrr, &n), 0);
	assert_int_equal(n, 2);
	json_decref(qs);
}

static void test_explain_shows_contributions(void **state)
{
	struct mn_ranker r;
	float f[MN_RANK_NF] = {0};
	json_t *x;

	(void)state;
	mn_ranker_hand(&r);
	r.w[MN_RANK_DATES] = 0.5;
	f[MN_RANK_BASE] = 0.4f;
	f[MN_RANK_DATES] = 1;
	x = mn_ranker_explain(&r, f);
	assert_string_equal(mn_json_str(x, "version", ""), "hand");
	assert_float_equal(mn_json_num(x, "score", 0), 0.9, 1e-6);
	assert_float_equal(mn_json_num(json_object_get(x, "contributions"), "dates", 0), 0.5,
			   1e-9);
	/* a weight of zero contributes nothing and is not listed */
	assert_null(json_object_get(json_object_get(x, "contributions"), "lexical"));
	assert_int_equal(json_object_size(json_object_get(x, "features")), MN_RANK_NF);
	json_decref(x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_save_load_round_trip),
		cmocka_unit_test(test_features_are_matched_by_name),
		cmocka_unit_test(test_bad_files_are_refused),
		cmocka_unit_test(test_eval_ndcg_and_mrr),
		cmocka_unit_test(test_explain_shows_contributions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
