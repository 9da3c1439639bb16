/* Unit tests for gate.c: absolute bounds, regressions against the
 * incumbent, direction of "worse", skipped checks without an incumbent. */
#include "testutil.h"

#include "base/json.h"
#include "config.h"
#include "gate.h"

static json_t *metrics(double epr, double sc, double fr, double ted, double enum_acc,
		       double mae)
{
	return json_pack("{s:i,s:i,s:f,s:f,s:f,s:f,s:f,s:f,s:f,s:f}", "n", 100, "n_failed", 0,
			 "epr", epr, "sc_rate", sc, "fr", fr, "ted_rate", ted, "np", 1.0,
			 "enum_acc", enum_acc, "concept_f1", 0.8, "salience_mae", mae);
}

static const json_t *find_check(const json_t *gate, const char *name)
{
	size_t i;
	json_t *c;

	json_array_foreach(json_object_get(gate, "checks"), i, c)
		if (!strcmp(mn_json_str(c, "name", ""), name))
			return c;
	return NULL;
}

static void test_passes_good_candidate_without_incumbent(void **state)
{
	struct mn_config cfg;
	json_t *c = metrics(0.95, 1.0, 0.01, 0, 0.9, 0.1), *g;

	(void)state;
	mn_config_init(&cfg);
	g = mn_gate_judge(c, NULL, &cfg);
	assert_true(mn_gate_passed(g));
	assert_string_equal(mn_json_str(find_check(g, "epr regression <= 2 pp"), "verdict", ""),
			    "skip");
	assert_int_equal(json_array_size(json_object_get(g, "reasons")), 0);
	json_decref(g);
	json_decref(c);
	mn_config_release(&cfg);
}

static void test_fails_each_absolute_bound(void **state)
{
	struct mn_config cfg;
	json_t *c = metrics(0.85, 0.90, 0.10, 0.02, 0.9, 0.1), *g;

	(void)state;
	mn_config_init(&cfg);
	g = mn_gate_judge(c, NULL, &cfg);
	assert_false(mn_gate_passed(g));
	assert_string_equal(mn_json_str(find_check(g, "epr >= min_epr"), "verdict", ""), "fail");
	assert_string_equal(mn_json_str(find_check(g, "sc_rate >= min_sc"), "verdict", ""), "fail");
	assert_string_equal(mn_json_str(find_check(g, "fr <= max_fr"), "verdict", ""), "fail");
	assert_string_equal(mn_json_str(find_check(g, "ted_rate <= max_ted_rate"), "verdict", ""),
			    "fail");
	assert_int_equal(json_array_size(json_object_get(g, "reasons")), 4);
	json_decref(g);
	json_decref(c);
	mn_config_release(&cfg);
}

static void test_bounds_are_inclusive(void **state)
{
	struct mn_config cfg;
	json_t *c = metrics(0.90, 0.95, 0.05, 0, 0.9, 0.1), *g;

	(void)state;
	mn_config_init(&cfg);
	g = mn_gate_judge(c, NULL, &cfg);
	assert_true(mn_gate_passed(g));
	json_decref(g);
	json_decref(c);
	mn_config_release(&cfg);
}

static void test_regression_beyond_pp_fails(void **state)
{
	struct mn_config cfg;
	json_t *inc = metrics(0.99, 1.0, 0.0, 0, 0.90, 0.10);
	json_t *c = metrics(0.99, 1.0, 0.0, 0, 0.87, 0.10), *g;
	const json_t *chk;

	(void)state;
	mn_config_init(&cfg);
	g = mn_gate_judge(c, inc, &cfg);
	assert_false(mn_gate_passed(g));
	chk = find_check(g, "enum_acc regression <= 2 pp");
	assert_non_null(chk);
	assert_string_equal(mn_json_str(chk, "verdict", ""), "fail");
	assert_true(mn_json_num(chk, "incumbent", 0) > 0.89);
	json_decref(g);
	json_decref(c);
	json_decref(inc);
	mn_config_release(&cfg);
}

static void test_regression_within_pp_passes(void **state)
{
	struct mn_config cfg;
	json_t *inc = metrics(0.99, 1.0, 0.0, 0, 0.90, 0.10);
	json_t *c = metrics(0.98, 1.0, 0.01, 0, 0.89, 0.11), *g;

	(void)state;
	mn_config_init(&cfg);
	g = mn_gate_judge(c, inc, &cfg);
	assert_true(mn_gate_passed(g));
	json_decref(g);
	json_decref(c);
	json_decref(inc);
	mn_config_release(&cfg);
}

static void test_lower_is_better_for_errors(void **state)
{
	struct mn_config cfg;
	json_t *inc = metrics(0.99, 1.0, 0.0, 0, 0.90, 0.10);
	json_t *worse = metrics(0.99, 1.0, 0.0, 0, 0.90, 0.15);
	json_t *better = metrics(0.99, 1.0, 0.0, 0, 0.90, 0.01), *g;

	(void)state;
	mn_config_init(&cfg);
	g = mn_gate_judge(worse, inc, &cfg);
	assert_false(mn_gate_passed(g));
	assert_string_equal(
		mn_json_str(find_check(g, "salience_mae regression <= 2 pp"), "verdict", ""),
		"fail");
	json_decref(g);
	g = mn_gate_judge(better, inc, &cfg);
	assert_true(mn_gate_passed(g));
	json_decref(g);
	json_decref(worse);
	json_decref(better);
	json_decref(inc);
	mn_config_release(&cfg);
}

static void test_encode_failures_and_empty_set_fail(void **state)
{
	struct mn_config cfg;
	json_t *c = metrics(0.99, 1.0, 0.0, 0, 0.9, 0.1), *g;

	(void)state;
	mn_config_init(&cfg);
	json_object_set_new(c, "n_failed", json_integer(2));
	g = mn_gate_judge(c, NULL, &cfg);
	assert_false(mn_gate_passed(g));
	json_decref(g);
	json_object_set_new(c, "n_failed", json_integer(0));
	json_object_set_new(c, "n", json_integer(0));
	g = mn_gate_judge(c, NULL, &cfg);
	assert_false(mn_gate_passed(g));
	json_decref(g);
	json_decref(c);
	mn_config_release(&cfg);
}

static void test_threshold_follows_config(void **state)
{
	struct mn_config cfg;
	json_t *inc = metrics(0.99, 1.0, 0.0, 0, 0.90, 0.10);
	json_t *c = metrics(0.99, 1.0, 0.0, 0, 0.80, 0.10), *g;

	(void)state;
	mn_config_init(&cfg);
	cfg.learning.gate.max_regression_pp = 15;
	g = mn_gate_judge(c, inc, &cfg);
	assert_true(mn_gate_passed(g));
	assert_true(mn_json_num(g, "max_regression_pp", 0) == 15);
	json_decref(g);
	json_decref(c);
	json_decref(inc);
	mn_config_release(&cfg);
}

/* Agreement with teacher/human targets is judged on the holdout: a
 * candidate that follows the teacher better there passes even when it
 * agrees less with the probe set's seed conventions; one that is worse on
 * the holdout fails whatever the probe says. */
static void test_agreement_is_judged_on_the_holdout(void **state)
{
	struct mn_config cfg;
	json_t *c = metrics(0.95, 1.0, 0.01, 0, 0.70, 0.1), *i = metrics(0.95, 1.0, 0.01, 0, 0.90, 0.1);
	json_t *g;

	(void)state;
	mn_config_init(&cfg);
	json_object_set_new(c, "holdout", metrics(0.95, 1.0, 0.01, 0, 0.95, 0.1));
	json_object_set_new(i, "holdout", metrics(0.95, 1.0, 0.01, 0, 0.40, 0.1));
	g = mn_gate_judge(c, i, &cfg);
	assert_true(mn_gate_passed(g));
	assert_string_equal(mn_json_str(find_check(g, "enum_acc (holdout) regression <= 2 pp"),
					"verdict", ""), "pass");
	assert_string_equal(mn_json_str(find_check(g, "enum_acc (whole eval set, info)"),
					"verdict", ""), "info");
	json_decref(g);
	/* swap the holdouts: now the candidate is worse on the teacher's targets */
	json_object_set_new(c, "holdout", metrics(0.95, 1.0, 0.01, 0, 0.40, 0.1));
	json_object_set_new(i, "holdout", metrics(0.95, 1.0, 0.01, 0, 0.95, 0.1));
	json_object_set_new(c, "enum_acc", json_real(0.99));
	g = mn_gate_judge(c, i, &cfg);
	assert_false(mn_gate_passed(g));
	assert_string_equal(mn_json_str(find_check(g, "enum_acc (holdout) regression <= 2 pp"),
					"verdict", ""), "fail");
	json_decref(g);
	json_decref(c);
	json_decref(i);
	mn_config_release(&cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_passes_good_candidate_without_incumbent),
		cmocka_unit_test(test_fails_each_absolute_bound),
		cmocka_unit_test(test_bounds_are_inclusive),
		cmocka_unit_test(test_regression_beyond_pp_fails),
		cmocka_unit_test(test_regression_within_pp_passes),
		cmocka_unit_test(test_lower_is_better_for_errors),
		cmocka_unit_test(test_encode_failures_and_empty_set_fail),
		cmocka_unit_test(test_threshold_follows_config),
		cmocka_unit_test(test_agreement_is_judged_on_the_holdout),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
