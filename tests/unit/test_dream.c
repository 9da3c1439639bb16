/*
 * test_dream.c - the dream cycle (DESIGN §1, §6): phases recorded with
 * timing and counts, the hard-example report, the drift audit and its
 * signal, interruption, one cycle at a time, recovery of stale rows.
 */
#include "testutil.h"

#include <fcntl.h>
#include <sys/file.h>

#include "train/dream.h"
#include "learn/drift.h"
#include "learn_fixture.h"
#include "store/store_learn.h"

static int setup(void **state)
{
	struct lf *f = calloc(1, sizeof(*f));
	char path[600];

	lf_open(f);
	/* never start a real training run from a unit test: e-stop + no auto */
	snprintf(path, sizeof(path), "%s/training.disabled", f->home);
	tu_write(path, "test\n");
	f->a.cfg.learning.trigger.auto_ = false;
	f->a.cfg.learning.monitor.window = 10;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct lf *f = *state;

	lf_close(f);
	free(f);
	return 0;
}

static json_t *cycle(struct lf *f, volatile sig_atomic_t *stop, int want)
{
	struct mn_err err = MN_ERR_INIT;
	json_t *rep = NULL;
	int ret = mn_dream_run(&f->a, "manual", stop, &rep, &err);

	if (ret != want)
		fail_msg("dream returned %d (%s), want %d", ret, err.msg, want);
	assert_non_null(rep);
	return rep;
}

static const json_t *phase(const json_t *rep, const char *name)
{
	const json_t *v;
	size_t i;

	json_array_foreach(json_object_get(rep, "phases"), i, v)
		if (!strcmp(mn_json_str(v, "name", ""), name))
			return v;
	fail_msg("no phase %s", name);
	return NULL;
}

static void test_cycle_records_every_phase(void **state)
{
	struct lf *f = *state;
	const char *names[] = { "recover", "reclassify", "curriculum", "report", "drift",
				"training", "ranker", NULL };
	struct lf_mem ni = { .content = "x 1", .epr = 1.0, .sc = true, .confidence = 0.9,
			     .category = "needs_improvement" };
	json_t *rep, *list = NULL, *st;
	struct mn_err err = MN_ERR_INIT;
	int total = 0;
	char *v;

	lf_add_gold(f, NULL, "Nightly backup of 12 GB finished on nas-1.");
	lf_add(f, NULL, &ni); /* reclassify will promote it */
	rep = cycle(f, NULL, 0);
	assert_string_equal(mn_json_str(rep, "status", ""), "completed");
	assert_int_equal(json_array_size(json_object_get(rep, "phases")), 7);
	for (int i = 0; names[i]; i++) {
		const json_t *p = json_array_get(json_object_get(rep, "phases"), (size_t)i);

		assert_string_equal(mn_json_str(p, "name", ""), names[i]);
		assert_true(json_is_integer(json_object_get(p, "ms")));
		assert_non_null(json_object_get(p, "status"));
	}
	assert_int_equal(json_integer_value(json_object_get(phase(rep, "reclassify"), "changed")),
			 1);
	assert_string_equal(mn_json_str(phase(rep, "curriculum"), "status", ""), "skipped");
	assert_non_null(strstr(mn_json_str(phase(rep, "curriculum"), "reason", ""), "no teacher"));
	/* recorded */
	assert_int_equal(mn_store_learn_cycle_list(f->a.store, &list, &total, 5, &err), 0);
	assert_int_equal(total, 1);
	assert_string_equal(mn_json_str(json_array_get(list, 0), "status", ""), "completed");
	assert_int_equal(json_array_size(json_object_get(json_array_get(list, 0), "phases")), 7);
	v = lf_sql(f, "SELECT count(*) FROM dream_cycles WHERE finished_at IS NOT NULL", NULL);
	assert_string_equal(v, "1");
	free(v);
	/* summarised for status */
	st = mn_dream_status_json(&f->a);
	assert_int_equal(json_integer_value(json_object_get(st, "cycles")), 1);
	assert_string_equal(mn_json_str(json_object_get(st, "last_cycle"), "status", ""),
			    "completed");
	assert_string_equal(mn_json_str(json_object_get(json_object_get(st, "last_cycle"),
							 "phases"),
					"curriculum", ""),
			    "skipped");
	assert_non_null(json_object_get(st, "hard_examples"));
	json_decref(st);
	json_decref(list);
	json_decref(rep);
}

static void test_hard_example_report(void **state)
{
	struct lf *f = *state;
	struct mn_err err = MN_ERR_INIT;
	char dense[37], shortf[37], ted[37], lowc[37], plain[37];
	struct lf_mem d = { .content = "Rates: 1, 2, 3, 4 and 5 per 6 hours.", .epr = 0.5,
			    .sc = true, .confidence = 0.9, .category = "needs_improvement" };
	struct lf_mem s = { .content = "ok", .epr = 1.0, .sc = true, .confidence = 0.9,
			    .flags = "[\"minimal_input_padded\"]", .category = "ambiguous" };
	struct lf_mem t = { .content = "Something long enough to not be short input at all, by a good margin of words.",
			    .epr = 1.0, .sc = true, .ted = true, .confidence = 0.9,
			    .flags = "[\"template_echo\"]", .category = "needs_improvement" };
	struct lf_mem l = { .content = "Low confidence about the weather today, I think.",
			    .epr = 1.0, .sc = true, .confidence = 0.1,
			    .category = "needs_improvement" };
	json_t *rep, *stored = NULL, *cats;

	lf_add(f, dense, &d);
	lf_add(f, shortf, &s);
	lf_add(f, ted, &t);
	lf_add(f, lowc, &l);
	lf_add_gold(f, plain, "A calm plain observation with nothing special in it.");
	mn_time_sleep_ms(5); /* the window is ">= last start", in milliseconds */
	rep = cycle(f, NULL, 0);
	assert_int_equal(mn_dream_last_report(&f->a, &stored, &err), 0);
	assert_non_null(stored);
	assert_string_equal(mn_json_str(stored, "cycle_id", ""), mn_json_str(rep, "id", "x"));
	assert_int_equal(json_integer_value(json_object_get(stored, "rows_examined")), 5);
	cats = json_object_get(stored, "categories");
#define CAT(name) json_object_get(cats, name)
#define COUNT(name) json_integer_value(json_object_get(CAT(name), "count"))
#define FIRST(name) json_string_value(json_array_get(json_object_get(CAT(name), "sample_ids"), 0))
	assert_int_equal(COUNT("dense_numbers"), 1);
	assert_string_equal(FIRST("dense_numbers"), dense);
	assert_int_equal(COUNT("short_input_flagged"), 1);
	assert_string_equal(FIRST("short_input_flagged"), shortf);
	assert_int_equal(COUNT("template_echo"), 1);
	assert_string_equal(FIRST("template_echo"), ted);
	assert_int_equal(COUNT("low_confidence"), 1);
	assert_string_equal(FIRST("low_confidence"), lowc);
	/* every row says "note": new only where it first appears */
	assert_int_equal(COUNT("new_concepts"), 1);
	assert_string_equal(FIRST("new_concepts"), dense);
	/* the phase carries the same counts */
	assert_int_equal(json_integer_value(json_object_get(
				 json_object_get(phase(rep, "report"), "counts"), "dense_numbers")),
			 1);
	json_decref(rep);
	json_decref(stored);
	/* next cycle looks only at what arrived since */
	{
		struct lf_mem n = LF_GOLD("Fresh topic with zebra 9.");
		json_t *enc = json_pack("{s:s,s:s,s:s,s:s,s:[s,s],s:{s:[],s:[],s:[],s:[]},"
					"s:s,s:s,s:s,s:f}",
					"gist", "zebra", "summary", "zebra", "content",
					"Fresh topic with zebra 9.", "narrative", "", "concepts",
					"note", "zebra", "structured_concepts", "topics",
					"entities", "actions", "causality", "significance",
					"routine", "emotional_tone", "neutral", "outcome",
					"unknown", "salience", 0.5);
		char nid[37];

		n.encoding = enc;
		mn_time_sleep_ms(5);
		lf_add(f, nid, &n);
		rep = cycle(f, NULL, 0);
		assert_int_equal(mn_dream_last_report(&f->a, &stored, &err), 0);
		cats = json_object_get(stored, "categories");
		assert_int_equal(json_integer_value(json_object_get(stored, "rows_examined")), 1);
		assert_int_equal(COUNT("new_concepts"), 1);
		assert_string_equal(FIRST("new_concepts"), nid);
		assert_string_equal(json_string_value(json_array_get(
					    json_object_get(CAT("new_concepts"), "concepts"), 0)),
				    "zebra");
		json_decref(enc);
		json_decref(rep);
		json_decref(stored);
	}
#undef CAT
#undef COUNT
#undef FIRST
}

static void add_window(struct lf *f, int n, double epr, bool sc)
{
	for (int i = 0; i < n; i++) {
		struct lf_mem m = { .content = "w 1", .epr = epr, .sc = sc, .confidence = 0.9,
				    .category = "ambiguous" };

		lf_add(f, NULL, &m);
	}
}

static void test_drift_needs_two_degrading_audits(void **state)
{
	struct lf *f = *state;
	json_t *rep;
	const json_t *d;

	add_window(f, 3, 1.0, true);
	rep = cycle(f, NULL, 0);
	assert_string_equal(mn_json_str(phase(rep, "drift"), "state", ""), "insufficient_data");
	json_decref(rep);
	add_window(f, 10, 0.95, true);
	rep = cycle(f, NULL, 0);
	assert_string_equal(mn_json_str(phase(rep, "drift"), "state", ""), "baseline_set");
	json_decref(rep);
	/* nothing new: no verdict can count twice */
	rep = cycle(f, NULL, 0);
	assert_string_equal(mn_json_str(phase(rep, "drift"), "state", ""), "no_new_data");
	json_decref(rep);
	add_window(f, 10, 0.5, true);
	rep = cycle(f, NULL, 0);
	d = phase(rep, "drift");
	assert_string_equal(mn_json_str(d, "state", ""), "degrading");
	assert_false(json_is_true(json_object_get(d, "drift")));
	assert_false(json_is_true(json_object_get(phase(rep, "training"), "drift")));
	json_decref(rep);
	add_window(f, 10, 0.6, false);
	rep = cycle(f, NULL, 0);
	d = phase(rep, "drift");
	assert_string_equal(mn_json_str(d, "state", ""), "degrading");
	assert_int_equal(json_integer_value(json_object_get(d, "consecutive_degrading")), 2);
	assert_true(json_is_true(json_object_get(d, "drift")));
	/* the signal reaches the training check */
	assert_true(json_is_true(json_object_get(phase(rep, "training"), "drift")));
	json_decref(rep);
	/* recovery resets the count and moves the baseline */
	add_window(f, 10, 0.97, true);
	rep = cycle(f, NULL, 0);
	d = phase(rep, "drift");
	assert_string_equal(mn_json_str(d, "state", ""), "stable");
	assert_int_equal(json_integer_value(json_object_get(d, "consecutive_degrading")), 0);
	json_decref(rep);
}

static void test_fallback_encodings_do_not_count_for_drift(void **state)
{
	struct lf *f = *state;
	json_t *rep;

	add_window(f, 10, 0.95, true);
	rep = cycle(f, NULL, 0);
	json_decref(rep);
	for (int i = 0; i < 10; i++) {
		struct lf_mem m = { .content = "fb 2", .epr = 0.0, .sc = false, .fallback = true,
				    .category = "excluded" };

		lf_add(f, NULL, &m);
	}
	add_window(f, 1, 0.95, true);
	rep = cycle(f, NULL, 0);
	assert_string_equal(mn_json_str(phase(rep, "drift"), "state", ""), "stable");
	json_decref(rep);
}

static void test_stop_before_cycle_is_interrupted(void **state)
{
	struct lf *f = *state;
	volatile sig_atomic_t stop = 1;
	json_t *rep;
	char *v;

	rep = cycle(f, &stop, MN_EINTR);
	assert_string_equal(mn_json_str(rep, "status", ""), "interrupted");
	assert_string_equal(mn_json_str(phase(rep, "curriculum"), "status", ""), "skipped");
	assert_string_equal(mn_json_str(phase(rep, "curriculum"), "reason", ""), "interrupted");
	v = lf_sql(f, "SELECT status FROM dream_cycles", NULL);
	assert_string_equal(v, "interrupted");
	free(v);
	json_decref(rep);
}

static void test_one_cycle_at_a_time(void **state)
{
	struct lf *f = *state;
	struct mn_err err = MN_ERR_INIT;
	char path[600];
	json_t *rep = NULL;
	int fd;

	snprintf(path, sizeof(path), "%s/dream.lock", f->home);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(flock(fd, LOCK_EX | LOCK_NB), 0);
	assert_int_equal(mn_dream_run(&f->a, "manual", NULL, &rep, &err), MN_EBUSY);
	assert_null(rep);
	assert_non_null(strstr(err.msg, "another dream cycle"));
	close(fd);
	rep = cycle(f, NULL, 0);
	json_decref(rep);
}

static void test_stale_running_rows_are_recovered(void **state)
{
	struct lf *f = *state;
	struct mn_err err = MN_ERR_INIT;
	char cur[37], cyc[37];
	json_t *rep;
	const json_t *rec;
	char *v;

	/* a crashed process left both running */
	assert_int_equal(mn_store_learn_curriculum_begin(f->a.store, cur, "t", &err), 0);
	assert_int_equal(mn_store_learn_cycle_begin(f->a.store, cyc, "scheduled", &err), 0);
	rep = cycle(f, NULL, 0);
	rec = phase(rep, "recover");
	assert_int_equal(json_integer_value(json_object_get(rec, "curriculum_runs_interrupted")),
			 1);
	assert_int_equal(json_integer_value(json_object_get(rec, "dream_cycles_interrupted")), 1);
	v = lf_sql(f, "SELECT status FROM curriculum_runs WHERE id = ?1", cur);
	assert_string_equal(v, "interrupted");
	free(v);
	v = lf_sql(f, "SELECT status FROM dream_cycles WHERE id = ?1", cyc);
	assert_string_equal(v, "interrupted");
	free(v);
	json_decref(rep);
}

static void test_curriculum_runs_inside_the_cycle(void **state)
{
	struct lf *f = *state;
	struct lf_mem m = { .content = "Ticket 4411 escalated by Dana Reyes.", .epr = 0.2,
			    .sc = true, .confidence = 0.1, .category = "needs_improvement" };
	char id[37];
	struct mn_exp_row r;
	json_t *rep, *st;

	lf_fake_start(f, "{\"encode\":\"echo\"}");
	lf_teacher(f, 10);
	f->a.cfg.learning.curriculum.min_needs_improvement = 1;
	lf_add(f, id, &m);
	rep = cycle(f, NULL, 0);
	assert_string_equal(mn_json_str(phase(rep, "curriculum"), "status", ""), "completed");
	assert_int_equal(json_integer_value(json_object_get(phase(rep, "curriculum"), "passed")),
			 1);
	lf_row(f, &r, id);
	assert_string_equal(r.correction_source, "teacher-model");
	mn_exp_row_release(&r);
	st = mn_dream_status_json(&f->a);
	assert_string_equal(mn_json_str(json_object_get(st, "last_curriculum"), "status", ""),
			    "completed");
	json_decref(st);
	json_decref(rep);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_cycle_records_every_phase, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hard_example_report, setup, teardown),
		cmocka_unit_test_setup_teardown(test_drift_needs_two_degrading_audits, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_fallback_encodings_do_not_count_for_drift,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop_before_cycle_is_interrupted, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_one_cycle_at_a_time, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stale_running_rows_are_recovered, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_curriculum_runs_inside_the_cycle, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
