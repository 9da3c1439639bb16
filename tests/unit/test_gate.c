/* Unit tests for gate.c: absolute bounds, regressions against the
 * incumbent, direction of "worse", skipped checks without an incumbent. */
#include "testutil.h"

#include "base/json.h"
#include "core/config.h"
#include "train/gate.h"

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
	/* 3 points on 5000 items: far beyond chance (one standard error 0.6) */
	json_object_set_new(inc, "n", json_integer(5000));
	json_object_set_new(c, "n", json_integer(5000));
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
	json_object_set_new(inc, "n", json_integer(5000));
	json_object_set_new(worse, "n", json_integer(5000));
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

/* metrics() for a part of n items */
static json_t *part(int n, double enum_acc)
{
	json_t *m = metrics(0.95, 1.0, 0.01, 0, enum_acc, 0.1);

	json_object_set_new(m, "n", json_integer(n));
	return m;
}

/* Agreement with the targets is judged on the holdout (the teacher's
 * targets) and on the probe set: a candidate that follows the teacher
 * better passes only when it does not agree less with the probe set. */
static void test_agreement_is_judged_on_the_holdout(void **state)
{
	struct mn_config cfg;
	json_t *c = metrics(0.95, 1.0, 0.01, 0, 0.70, 0.1), *i = metrics(0.95, 1.0, 0.01, 0, 0.90, 0.1);
	json_t *g;

	(void)state;
	mn_config_init(&cfg);
	json_object_set_new(c, "probe", part(80, 0.68));
	json_object_set_new(i, "probe", part(80, 0.68));
	json_object_set_new(c, "holdout", part(60, 0.95));
	json_object_set_new(i, "holdout", part(60, 0.40));
	g = mn_gate_judge(c, i, &cfg);
	assert_true(mn_gate_passed(g));
	assert_string_equal(mn_json_str(find_check(g, "enum_acc (holdout) regression <= 2 pp"),
					"verdict", ""), "pass");
	assert_string_equal(mn_json_str(find_check(g, "enum_acc (probe) regression <= 2 pp"),
					"verdict", ""), "pass");
	assert_string_equal(mn_json_str(find_check(g, "enum_acc (whole eval set, info)"),
					"verdict", ""), "info");
	json_decref(g);
	/* swap the holdouts: now the candidate is worse on the teacher's targets */
	json_object_set_new(c, "holdout", part(60, 0.40));
	json_object_set_new(i, "holdout", part(60, 0.95));
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

/* The shuffled-labels trainer of issue 10: worse on the shipped probe set
 * (0.35 against 0.68), no worse on a 26-item holdout. Rejected. */
static void test_probe_regression_fails_whatever_a_small_holdout_says(void **state)
{
	struct mn_config cfg;
	json_t *c = metrics(0.95, 1.0, 0.01, 0, 0.45, 0.1), *i = metrics(0.95, 1.0, 0.01, 0, 0.60, 0.1);
	json_t *g;
	const json_t *chk;

	(void)state;
	mn_config_init(&cfg);
	json_object_set_new(c, "probe", part(80, 0.35));
	json_object_set_new(i, "probe", part(80, 0.68));
	json_object_set_new(c, "holdout", part(26, 0.80));
	json_object_set_new(i, "holdout", part(26, 0.40));
	g = mn_gate_judge(c, i, &cfg);
	assert_false(mn_gate_passed(g));
	chk = find_check(g, "enum_acc (probe) regression <= 2 pp");
	assert_non_null(chk);
	assert_string_equal(mn_json_str(chk, "verdict", ""), "fail");
	assert_string_equal(mn_json_str(chk, "part", ""), "probe");
	assert_int_equal((int)mn_json_num(chk, "n", 0), 80);
	assert_string_equal(mn_json_str(find_check(g, "enum_acc (holdout) regression <= 2 pp"),
					"verdict", ""), "pass");
	assert_non_null(strstr(json_string_value(json_array_get(json_object_get(g, "reasons"), 0)),
			       "on the probe set"));
	json_decref(g);
	json_decref(c);
	json_decref(i);
	mn_config_release(&cfg);
}

/* A drop counts only beyond chance: on a 26-item holdout losing a few
 * items is noise (1.645 standard errors are about 20 points) and does not
 * reject; losing half of them does. On a large set max_regression_pp rules. */
static void test_regression_must_exceed_chance(void **state)
{
	struct mn_config cfg;
	json_t *c = metrics(0.95, 1.0, 0.01, 0, 0.70, 0.1), *i = metrics(0.95, 1.0, 0.01, 0, 0.70, 0.1);
	json_t *g;
	const json_t *chk;

	(void)state;
	mn_config_init(&cfg);
	json_object_set_new(c, "probe", part(80, 0.68));
	json_object_set_new(i, "probe", part(80, 0.68));
	json_object_set_new(i, "holdout", part(26, 20.0 / 26));
	json_object_set_new(c, "holdout", part(26, 17.0 / 26));
	g = mn_gate_judge(c, i, &cfg);
	assert_true(mn_gate_passed(g));
	chk = find_check(g, "enum_acc (holdout) regression <= 2 pp");
	assert_true(mn_json_num(chk, "tolerance_pp", 0) > 10);
	assert_true(mn_json_num(chk, "one_item_pp", 0) > 3.84);
	json_decref(g);
	json_object_set_new(c, "holdout", part(26, 8.0 / 26));
	g = mn_gate_judge(c, i, &cfg);
	assert_false(mn_gate_passed(g));
	assert_non_null(strstr(json_string_value(json_array_get(json_object_get(g, "reasons"), 0)),
			       "standard errors"));
	json_decref(g);
	/* 2.5 points on a 5000-item probe set: beyond chance and beyond 2 pp */
	json_object_set_new(c, "holdout", part(26, 20.0 / 26));
	json_object_set_new(c, "probe", part(5000, 0.655));
	json_object_set_new(i, "probe", part(5000, 0.68));
	g = mn_gate_judge(c, i, &cfg);
	assert_false(mn_gate_passed(g));
	json_decref(g);
	json_decref(c);
	json_decref(i);
	mn_config_release(&cfg);
}

/* gate.json lists every check, passing ones included. */
static void test_every_check_is_listed(void **state)
{
	struct mn_config cfg;
	json_t *c = metrics(0.95, 1.0, 0.01, 0, 0.9, 0.1), *g;

	(void)state;
	mn_config_init(&cfg);
	g = mn_gate_judge(c, c, &cfg);
	assert_true(mn_gate_passed(g));
	assert_string_equal(mn_json_str(find_check(g, "n_failed == 0"), "verdict", ""), "pass");
	assert_string_equal(mn_json_str(find_check(g, "n >= 1"), "verdict", ""), "pass");
	assert_string_equal(mn_json_str(find_check(g, "concept_f1 regression <= 2 pp"), "verdict",
					""), "pass");
	assert_non_null(mn_json_str(g, "rule", NULL));
	json_decref(g);
	json_decref(c);
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
		cmocka_unit_test(test_probe_regression_fails_whatever_a_small_holdout_says),
		cmocka_unit_test(test_regression_must_exceed_chance),
		cmocka_unit_test(test_every_check_is_listed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
