/*
 * test_learning_history.c - the dashboard's learning history
 * (app/learning.c, store/store_stats.c) on a real store: experience rows,
 * corrections and recall feedback counted per UTC day, the window of days,
 * and the empty lists of a new data home.
 */
#include "testutil.h"
#include "learn_fixture.h"

#include "app/learning.h"
#include "store/store_learn.h"

static json_t *day(const json_t *arr, const char *d)
{
	size_t i;
	json_t *v;

	json_array_foreach(arr, i, v) {
		if (!strcmp(json_string_value(json_object_get(v, "day")), d))
			return v;
	}
	return NULL;
}

static json_int_t num(const json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

/* Recall query and rate every memory it returns with rating. */
static void rate(struct lf *f, const char *query, const char *rating)
{
	struct mn_err err = MN_ERR_INIT;
	struct mn_recall_opts o = { .query = query, .limit = 10 };
	struct mn_recall_result r = { 0 };
	size_t n = 0;

	if (mn_store_recall(f->a.store, &r, &o, &err))
		fail_msg("recall: %s", err.msg);
	assert_true(r.n >= 1);
	if (mn_store_feedback(f->a.store, &n, r.query_id, rating, NULL, 0, NULL, &err))
		fail_msg("feedback: %s", err.msg);
	mn_recall_result_release(&r);
}

static void test_empty_home(void **state)
{
	struct lf f;
	struct mn_err err = MN_ERR_INIT;
	json_t *h = NULL;

	(void)state;
	lf_open(&f);
	assert_int_equal(mn_app_learning_history(&f.a, 0, &h, &err), 0);
	assert_int_equal(num(h, "days"), MN_APP_HISTORY_DAYS);
	assert_string_equal(json_string_value(json_object_get(h, "student")), "builtin");
	assert_int_equal(json_array_size(json_object_get(h, "cycles")), 0);
	assert_int_equal(num(h, "cycles_total"), 0);
	assert_int_equal(json_array_size(json_object_get(h, "experience_daily")), 0);
	assert_int_equal(json_array_size(json_object_get(h, "feedback_daily")), 0);
	assert_int_equal(json_array_size(json_object_get(h, "runs")), 0);
	assert_int_equal(json_array_size(json_object_get(h, "versions")), 0);
	json_decref(h);
	assert_int_equal(mn_app_learning_history(&f.a, -1, &h, &err), MN_EINVAL);
	assert_null(h);
	assert_int_equal(mn_app_learning_history(&f.a, MN_APP_HISTORY_MAX_DAYS + 1, &h, &err),
			 MN_EINVAL);
	lf_close(&f);
}

static void test_per_day(void **state)
{
	struct lf f;
	struct mn_err err = MN_ERR_INIT;
	struct lf_mem ni = { .content = "quorvan relay rebooted twice on host k7", .epr = 0.5,
			     .confidence = 0.2, .sc = true, .category = "needs_improvement" };
	char id[37];
	json_t *h = NULL, *e, *fb, *c;

	(void)state;
	lf_open(&f);
	setenv("MNEMO_FAKE_NOW", "2026-03-01T10:00:00.000Z", 1);
	lf_add_gold(&f, NULL, "quorvan cache warmed on host k1");
	lf_add_gold(&f, NULL, "quorvan cache cleared on host k2");
	lf_add(&f, id, &ni);
	rate(&f, "quorvan", "helpful");
	setenv("MNEMO_FAKE_NOW", "2026-03-02T23:59:00.000Z", 1);
	lf_add_gold(&f, NULL, "zentrix index rebuilt on host k3");
	rate(&f, "zentrix", "irrelevant");
	rate(&f, "quorvan relay", "helpful");
	if (mn_store_exp_set_correction(f.a.store, id, "{}", 1.0, 0.0, true, "human", &err))
		fail_msg("correction: %s", err.msg);

	/* a window of 2 days ending 2026-03-02 sees both days */
	assert_int_equal(mn_app_learning_history(&f.a, 2, &h, &err), 0);
	assert_string_equal(json_string_value(json_object_get(h, "since")), "2026-03-01");
	e = json_object_get(h, "experience_daily");
	assert_int_equal(json_array_size(e), 2);
	assert_int_equal(num(day(e, "2026-03-01"), "gold"), 2);
	assert_int_equal(num(day(e, "2026-03-01"), "needs_improvement"), 1);
	assert_int_equal(num(day(e, "2026-03-01"), "total"), 3);
	assert_int_equal(num(day(e, "2026-03-02"), "gold"), 1);
	assert_int_equal(num(day(e, "2026-03-02"), "excluded"), 0);
	fb = json_object_get(h, "feedback_daily");
	assert_int_equal(json_array_size(fb), 2);
	assert_int_equal(num(day(fb, "2026-03-01"), "helpful"), 3);
	assert_true(json_real_value(json_object_get(day(fb, "2026-03-01"), "helpful_rate")) == 1.0);
	/* day 2: one irrelevant, then "quorvan relay" rated helpful (what it returned) */
	assert_true(num(day(fb, "2026-03-02"), "irrelevant") == 1);
	assert_true(num(day(fb, "2026-03-02"), "helpful") >= 1);
	assert_true(json_real_value(json_object_get(day(fb, "2026-03-02"), "helpful_rate")) < 1.0);
	c = json_object_get(h, "corrections_daily");
	assert_int_equal(json_array_size(c), 1);
	assert_int_equal(num(day(c, "2026-03-02"), "human"), 1);
	assert_int_equal(num(day(c, "2026-03-02"), "teacher"), 0);
	json_decref(h);

	/* a window of 1 day: only 2026-03-02 */
	assert_int_equal(mn_app_learning_history(&f.a, 1, &h, &err), 0);
	assert_int_equal(json_array_size(json_object_get(h, "experience_daily")), 1);
	assert_null(day(json_object_get(h, "feedback_daily"), "2026-03-01"));
	json_decref(h);
	unsetenv("MNEMO_FAKE_NOW");
	lf_close(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_home),
		cmocka_unit_test(test_per_day),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
