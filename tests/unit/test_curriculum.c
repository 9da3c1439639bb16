/*
 * test_curriculum.c - teacher corrections (DESIGN §6) with
 * tests/support/fake_llm.py as the teacher: thresholds, cooldown, the
 * selection (value, diversity) and the teacher budget, verification, attempts and the move to ambiguous, teacher errors and
 * timeouts, human corrections, interruption.
 */
#include "testutil.h"

#include <pthread.h>

#include "learn/curriculum.h"
#include "learn_fixture.h"
#include "model/prompt.h"

static int setup(void **state)
{
	struct lf *f = calloc(1, sizeof(*f));

	lf_open(f);
	f->a.cfg.learning.curriculum.min_needs_improvement = 1;
	f->a.cfg.learning.curriculum.cooldown_hours = 0;
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

/* A needs_improvement row whose input has entities the echo teacher keeps. */
static void add_needy(struct lf *f, char id[37], const char *text, double epr, double conf)
{
	struct lf_mem m = { .content = text, .epr = epr, .confidence = conf, .sc = true,
			    .category = "needs_improvement", .flags = "[\"low_epr\"]" };
	json_t *bad = lf_encoding("something else entirely");

	m.encoding = bad; /* the student's poor output */
	lf_add(f, id, &m);
	json_decref(bad);
}

static json_t *run(struct lf *f, volatile sig_atomic_t *stop)
{
	struct mn_err err = MN_ERR_INIT;
	json_t *p = NULL;

	if (mn_curriculum_run(&f->a, stop, &p, &err))
		fail_msg("curriculum: %s", err.msg);
	assert_non_null(p);
	return p;
}

static void assert_phase(const json_t *p, const char *status)
{
	if (strcmp(mn_json_str(p, "status", ""), status)) {
		char *s = json_dumps(p, 0);

		fail_msg("phase status %s, want %s: %s", mn_json_str(p, "status", ""), status, s);
	}
}

static long long num(const json_t *p, const char *k)
{
	return (long long)json_integer_value(json_object_get(p, k));
}

static char *sql1(struct lf *f, const char *col, const char *memory_id)
{
	char sql[256];

	snprintf(sql, sizeof(sql), "SELECT %s FROM experience_buffer WHERE memory_id = ?1", col);
	return lf_sql(f, sql, memory_id);
}

/* Script whose every reply is this encoding (as the model's text). */
static char *script_reply(const json_t *enc)
{
	char *text = mn_json_dumps(enc);
	json_t *step = json_pack("{s:s}", "content", text);
	char *s = json_dumps(step, 0);

	free(text);
	json_decref(step);
	return s;
}

static void test_skipped_without_teacher(void **state)
{
	struct lf *f = *state;
	char id[37];
	json_t *p;

	add_needy(f, id, "Disk /dev/sda1 at 91% on db-3.", 0.2, 0.1);
	p = run(f, NULL);
	assert_phase(p, "skipped");
	assert_non_null(strstr(mn_json_str(p, "reason", ""), "no teacher"));
	json_decref(p);
}

static void test_skipped_below_min_needs_improvement(void **state)
{
	struct lf *f = *state;
	char id[37];
	json_t *p;

	lf_fake_start(f, "{\"encode\":\"echo\"}");
	lf_teacher(f, 10);
	f->a.cfg.learning.curriculum.min_needs_improvement = 3;
	add_needy(f, id, "Disk /dev/sda1 at 91% on db-3.", 0.2, 0.1);
	add_needy(f, id, "Queue depth 4500 on worker-7.", 0.2, 0.1);
	p = run(f, NULL);
	assert_phase(p, "skipped");
	assert_int_equal(num(p, "waiting"), 2);
	assert_non_null(strstr(mn_json_str(p, "reason", ""), "min_needs_improvement"));
	assert_int_equal(lf_fake_count(f), 0);
	json_decref(p);
}

static void test_accepts_verified_corrections_with_the_production_prompt(void **state)
{
	struct lf *f = *state;
	char id[37];
	struct mn_exp_row r;
	json_t *p, *reqs;
	struct mn_buf b = MN_BUF_INIT;
	struct mn_err err = MN_ERR_INIT;
	const char *text = "Deploy of v1.4.2 to /opt/app/config.yaml took 38 seconds.";
	char *prompt, *v;

	lf_fake_start(f, "{\"encode\":\"echo\"}");
	lf_teacher(f, 10);
	add_needy(f, id, text, 0.3, 0.2);
	p = run(f, NULL);
	assert_phase(p, "completed");
	assert_int_equal(num(p, "attempted"), 1);
	assert_int_equal(num(p, "passed"), 1);
	assert_string_equal(mn_json_str(p, "teacher", ""), "teacher-model");
	lf_row(f, &r, id);
	assert_non_null(r.corrected_output);
	assert_string_equal(r.correction_source, "teacher-model");
	assert_true(r.corrected_epr >= 0.9);
	assert_int_equal(r.correction_attempts, 1);
	mn_exp_row_release(&r);
	v = lf_sql(f, "SELECT status || ' ' || attempted || ' ' || passed FROM curriculum_runs",
		   NULL);
	assert_string_equal(v, "completed 1 1");
	free(v);
	/* the teacher saw exactly the production prompt */
	assert_int_equal(mn_file_read(&b, f->req_log, 1 << 20, &err), 0);
	reqs = json_loads(mn_buf_str(&b), JSON_DISABLE_EOF_CHECK, NULL);
	prompt = mn_prompt_build(text, strlen(text), NULL, NULL,
				 (size_t)f->a.cfg.encoding.max_input_chars);
	{
		json_t *msgs = json_object_get(json_object_get(reqs, "body"), "messages");

		assert_string_equal(mn_json_str(json_array_get(msgs, 0), "content", ""),
				    mn_prompt_system());
		assert_string_equal(mn_json_str(json_array_get(msgs, 1), "content", ""), prompt);
	}
	free(prompt);
	json_decref(reqs);
	mn_buf_release(&b);
	json_decref(p);
}

/* Value first (uncertainty + hardness), then diversity: of four reports
 * of one kind, the two most valuable that differ most go to the teacher. */
static void test_most_useful_first_up_to_the_cap(void **state)
{
	struct lf *f = *state;
	char a[37], b[37], c[37], d[37];
	struct mn_exp_row r;
	json_t *p;

	char t[37];
	json_t *enc = lf_encoding("Invoice 88231 for 4,500 EUR from Acme Corp is due 2026-03-01.");
	char *txt = mn_json_dumps(enc);
	struct mn_err err = MN_ERR_INIT;

	lf_fake_start(f, "{\"encode\":\"echo\"}");
	lf_teacher(f, 10);
	f->a.cfg.learning.curriculum.max_corrections_per_cycle = 2;
	/* the teacher has taught something already (not a cold start), of
	 * another kind than the rows below */
	lf_add_gold(f, t, "Invoice 88231 for 4,500 EUR from Acme Corp is due 2026-03-01.");
	assert_int_equal(mn_store_exp_set_correction(f->a.store, t, txt, 1.0, 0, true, "teacher-model",
						     &err), 0);
	free(txt);
	json_decref(enc);
	/* value = (1 - confidence) + (0.9 - epr) + 0.1 (flags) */
	add_needy(f, a, "Alpha job 1 failed on host-1.", 0.6, 0.1);  /* 1.3 */
	add_needy(f, b, "Beta job 2 failed on host-2.", 0.1, 0.5);   /* 1.4 */
	add_needy(f, c, "Gamma job 3 failed on host-3.", 0.1, 0.2);  /* 1.7 */
	add_needy(f, d, "Delta job 4 failed on host-4.", 0.4, 0.1);  /* 1.5 */
	p = run(f, NULL);
	assert_int_equal(num(p, "attempted"), 2);
	assert_int_equal(num(p, "waiting"), 4);
	lf_row(f, &r, c);
	assert_non_null(r.corrected_output);
	mn_exp_row_release(&r);
	lf_row(f, &r, d);
	assert_non_null(r.corrected_output);
	mn_exp_row_release(&r);
	lf_row(f, &r, a);
	assert_null(r.corrected_output);
	mn_exp_row_release(&r);
	lf_row(f, &r, b);
	assert_null(r.corrected_output);
	mn_exp_row_release(&r);
	json_decref(p);
}

/* Near-duplicates share the budget: after the most uncertain of three
 * copies, a different report beats the other copies. */
static void test_select_spreads_over_different_inputs(void **state)
{
	const char *dup = "The nightly import failed again on host db-3 with a timeout.";
	const char *other = "Alice rotated the TLS certificate of the gateway.";
	struct mn_curriculum_cand c[4] = {
		{ .text = dup, .len = strlen(dup), .confidence = 0.10, .epr = 1.0 },
		{ .text = dup, .len = strlen(dup), .confidence = 0.12, .epr = 1.0 },
		{ .text = dup, .len = strlen(dup), .confidence = 0.11, .epr = 1.0 },
		{ .text = other, .len = strlen(other), .confidence = 0.40, .epr = 1.0 },
	};
	size_t out[4];

	(void)state;
	assert_int_equal(mn_curriculum_select(out, c, 4, 2), 2);
	assert_int_equal(out[0], 0);
	assert_int_equal(out[1], 3);
	/* all of them when the budget allows, each once */
	assert_int_equal(mn_curriculum_select(out, c, 4, 9), 4);
	assert_true(out[0] != out[1] && out[1] != out[2] && out[2] != out[3]);
	assert_int_equal(mn_curriculum_select(out, c, 0, 9), 0);
}

/* Before anything was taught, the student's confidence says little about
 * this teacher: the first row is the most typical one, not the least
 * confident odd one out. */
static void test_select_starts_with_typical_rows(void **state)
{
	const char *t1 = "The nightly import failed on host db-3 after the schema change.";
	const char *t2 = "The nightly import failed on host db-4 after the index change.";
	const char *t3 = "The nightly export failed on host db-5 after the schema change.";
	const char *odd = "Lunch order: two pizzas for the offsite.";
	const char *done = "Rotated the TLS certificate of the gateway.";
	struct mn_curriculum_cand c[5] = {
		{ .text = odd, .len = strlen(odd), .confidence = 0.05, .epr = 1.0 },
		{ .text = t1, .len = strlen(t1), .confidence = 0.3, .epr = 1.0 },
		{ .text = t2, .len = strlen(t2), .confidence = 0.3, .epr = 1.0 },
		{ .text = t3, .len = strlen(t3), .confidence = 0.3, .epr = 1.0 },
		{ .text = done, .len = strlen(done), .confidence = 0.9, .epr = 1.0 },
	};
	size_t out[5];

	(void)state;
	assert_int_equal(mn_curriculum_select(out, c, 4, 1), 1);
	assert_true(out[0] >= 1 && out[0] <= 3);
	/* once something was taught, uncertainty leads */
	c[4].labelled = true;
	assert_int_equal(mn_curriculum_select(out, c, 5, 1), 1);
	assert_int_equal(out[0], 0);
}

/* What the student was taught and still gets wrong makes the rows like it
 * worth less than a different kind of row; labelled rows are never
 * chosen. */
static void test_select_leaves_what_the_student_cannot_learn(void **state)
{
	const char *stuck = "Emberline report for log shipping: overnight shift, paged.";
	const char *like = "Emberline report for log shipping: daytime shift, paged.";
	const char *fresh = "Bob restarted the mail relay after the disk filled up.";
	struct mn_curriculum_cand c[3] = {
		{ .text = like, .len = strlen(like), .confidence = 0.1, .epr = 1.0 },
		{ .text = fresh, .len = strlen(fresh), .confidence = 0.5, .epr = 1.0 },
		{ .text = stuck, .len = strlen(stuck), .confidence = 0.1, .epr = 1.0,
		  .labelled = true, .unlearned = 1.0 },
	};
	size_t out[3];

	(void)state;
	assert_int_equal(mn_curriculum_select(out, c, 3, 1), 1);
	assert_int_equal(out[0], 1);
	/* taught and learned: only half the overlap counts, the uncertain one wins */
	c[2].unlearned = 0;
	assert_int_equal(mn_curriculum_select(out, c, 3, 3), 2);
	assert_int_equal(out[0], 0);
	assert_int_equal(out[1], 1);
}

/* Hard examples and uncertainty raise the value; earlier rejected teacher
 * answers lower it. */
static void test_value_of_a_correction(void **state)
{
	struct mn_curriculum_cand sure = { .text = "x", .len = 1, .confidence = 0.9, .epr = 1.0 };
	struct mn_curriculum_cand unsure = sure, broken = sure, lossy = sure, rated = sure,
				  tried = sure;

	(void)state;
	unsure.confidence = 0.2;
	broken.broken = true;
	lossy.epr = 0.4;
	rated.recall_count = 3;
	rated.recall_score = 0.1;
	tried.confidence = 0.2;
	tried.attempts = 1;
	assert_true(mn_curriculum_value(&unsure) > mn_curriculum_value(&sure));
	assert_true(mn_curriculum_value(&broken) > mn_curriculum_value(&sure));
	assert_true(mn_curriculum_value(&lossy) > mn_curriculum_value(&sure));
	assert_true(mn_curriculum_value(&rated) > mn_curriculum_value(&sure));
	assert_true(mn_curriculum_value(&tried) < mn_curriculum_value(&unsure));
	assert_true(mn_curriculum_value(&sure) > 0);
}

/* max_calls_per_day spans cycles: what one run spent, the next cannot. The
 * calls are counted as they are made. */
static void test_daily_budget_spans_cycles(void **state)
{
	struct lf *f = *state;
	char id[37];
	int calls = -1, accepted = -1;
	struct mn_err err = MN_ERR_INIT;
	json_t *p, *b;

	lf_fake_start(f, "{\"encode\":\"echo\"}");
	lf_teacher(f, 10);
	f->a.cfg.learning.curriculum.max_corrections_per_cycle = 2;
	f->a.cfg.learning.curriculum.max_calls_per_day = 3;
	for (int i = 0; i < 5; i++) {
		char text[96];

		snprintf(text, sizeof(text), "Report %c: disk /dev/sd%c at 9%d%% on db-%d.", 'A' + i,
			 'a' + i, i, i);
		add_needy(f, id, text, 0.2, 0.1);
	}
	p = run(f, NULL);
	assert_phase(p, "completed");
	assert_int_equal(num(p, "attempted"), 2);
	b = json_object_get(p, "budget");
	assert_int_equal(num(b, "per_cycle"), 2);
	assert_int_equal(num(b, "per_day"), 3);
	assert_int_equal(num(b, "used_24h"), 2);
	assert_int_equal(num(b, "left"), 1);
	json_decref(p);
	p = run(f, NULL);
	assert_phase(p, "completed");
	assert_int_equal(num(p, "attempted"), 1);
	json_decref(p);
	p = run(f, NULL);
	assert_phase(p, "skipped");
	assert_non_null(strstr(mn_json_str(p, "reason", ""), "teacher budget is spent: 3 calls"));
	assert_int_equal(num(json_object_get(p, "budget"), "left"), 0);
	json_decref(p);
	assert_int_equal(lf_fake_count(f), 3);
	assert_int_equal(mn_store_learn_teacher_calls(f->a.store, "", &calls, &accepted, &err), 0);
	assert_int_equal(calls, 3);
	assert_int_equal(accepted, 3);
	/* a day later the budget is back */
	assert_int_equal(mn_store_learn_teacher_calls(f->a.store, "9999", &calls, NULL, &err), 0);
	assert_int_equal(calls, 0);
}

static void test_rejects_unverified_then_moves_to_ambiguous(void **state)
{
	struct lf *f = *state;
	char id[37];
	struct mn_exp_row r;
	json_t *p, *lossy = lf_encoding("lost everything");
	char *script = script_reply(lossy), *e;

	lf_fake_start(f, script);
	lf_teacher(f, 10);
	add_needy(f, id, "Invoice 88231 for 4,500 EUR from Acme Corp is due 2026-03-01.", 0.2,
		  0.1);
	p = run(f, NULL);
	assert_phase(p, "completed");
	assert_int_equal(num(p, "rejected"), 1);
	assert_int_equal(num(p, "passed"), 0);
	assert_int_equal(num(p, "moved_to_ambiguous"), 0);
	json_decref(p);
	lf_row(f, &r, id);
	assert_null(r.corrected_output);
	assert_int_equal(r.correction_attempts, 1);
	assert_string_equal(r.category, "needs_improvement");
	mn_exp_row_release(&r);
	e = sql1(f, "correction_error", id);
	assert_non_null(e);
	assert_non_null(strstr(e, "epr"));
	free(e);
	/* second rejection: max_correction_attempts (2) reached */
	p = run(f, NULL);
	assert_int_equal(num(p, "moved_to_ambiguous"), 1);
	json_decref(p);
	lf_row(f, &r, id);
	assert_int_equal(r.correction_attempts, 2);
	assert_string_equal(r.category, "ambiguous");
	mn_exp_row_release(&r);
	/* it no longer blocks the queue */
	p = run(f, NULL);
	assert_phase(p, "skipped");
	assert_int_equal(lf_fake_count(f), 2);
	json_decref(p);
	json_decref(lossy);
	free(script);
}

static void test_rejects_template_echo_and_schema_errors(void **state)
{
	struct lf *f = *state;
	const char *text = "Port 8080 opened on gateway-2.";
	char id[37], id2[37];
	json_t *p, *echo = lf_encoding(text), *noschema = lf_encoding(text);
	json_t *steps = json_array();
	char *e1, *e2, *s;

	/* an echo of the instructions, then an invalid enum */
	json_object_set_new(echo, "narrative",
			    json_string("I will state only what the observation states."));
	json_object_set_new(noschema, "outcome", json_string("great"));
	s = mn_json_dumps(echo);
	json_array_append_new(steps, json_pack("{s:s}", "content", s));
	free(s);
	s = mn_json_dumps(noschema);
	json_array_append_new(steps, json_pack("{s:s}", "content", s));
	free(s);
	s = json_dumps(steps, 0);
	lf_fake_start(f, s);
	free(s);
	lf_teacher(f, 10);
	add_needy(f, id, text, 0.1, 0.1);
	add_needy(f, id2, text, 0.2, 0.1);
	p = run(f, NULL);
	assert_int_equal(num(p, "rejected"), 2);
	assert_int_equal(num(p, "passed"), 0);
	e1 = sql1(f, "correction_error", id);
	e2 = sql1(f, "correction_error", id2);
	assert_non_null(strstr(e1, "ted yes"));
	assert_non_null(strstr(e2, "sc no"));
	free(e1);
	free(e2);
	json_decref(p);
	json_decref(echo);
	json_decref(noschema);
	json_decref(steps);
}

static void test_teacher_errors_do_not_count_as_attempts(void **state)
{
	struct lf *f = *state;
	char a[37], b[37], c[37];
	struct mn_exp_row r;
	json_t *p;
	char *e;

	lf_fake_start(f, "{\"status\":500}");
	lf_teacher(f, 10);
	add_needy(f, a, "One 1 on h-1.", 0.1, 0.1);
	add_needy(f, b, "Two 2 on h-2.", 0.2, 0.1);
	add_needy(f, c, "Three 3 on h-3.", 0.3, 0.1);
	p = run(f, NULL);
	/* two failures in a row: the teacher is down, stop asking */
	assert_phase(p, "failed");
	assert_int_equal(num(p, "attempted"), 2);
	assert_int_equal(num(p, "errors"), 2);
	assert_non_null(strstr(mn_json_str(p, "reason", ""), "teacher unavailable"));
	lf_row(f, &r, a);
	assert_int_equal(r.correction_attempts, 0);
	assert_string_equal(r.category, "needs_improvement");
	mn_exp_row_release(&r);
	e = sql1(f, "correction_error", a);
	assert_non_null(strstr(e, "teacher unavailable"));
	free(e);
	e = lf_sql(f, "SELECT status FROM curriculum_runs", NULL);
	assert_string_equal(e, "failed");
	free(e);
	json_decref(p);
	/* a failed run starts no cooldown */
	f->a.cfg.learning.curriculum.cooldown_hours = 24;
	p = run(f, NULL);
	assert_phase(p, "failed");
	json_decref(p);
}

static void test_teacher_timeout_uses_the_teacher_timeout(void **state)
{
	struct lf *f = *state;
	char a[37], b[37];
	json_t *p;
	int64_t t0;

	lf_fake_start(f, "{\"delay_s\":4,\"encode\":\"echo\"}");
	lf_teacher(f, 1);
	add_needy(f, a, "Slow 1 on s-1.", 0.1, 0.1);
	add_needy(f, b, "Slow 2 on s-2.", 0.2, 0.1);
	t0 = mn_time_mono_ms();
	p = run(f, NULL);
	assert_true(mn_time_mono_ms() - t0 < 3900 * 2);
	assert_phase(p, "failed");
	assert_int_equal(num(p, "errors"), 2);
	assert_int_equal(num(p, "passed"), 0);
	json_decref(p);
}

static void test_human_correction_wins(void **state)
{
	struct lf *f = *state;
	struct mn_err err = MN_ERR_INIT;
	char id[37], id2[37];
	struct mn_exp_row r;
	json_t *p, *human = lf_encoding("Human view of 12 things.");
	char *h = mn_json_dumps(human);

	lf_fake_start(f, "{\"encode\":\"echo\"}");
	lf_teacher(f, 10);
	add_needy(f, id, "Human 12 things on box-12.", 0.1, 0.1);
	add_needy(f, id2, "Other 13 things on box-13.", 0.2, 0.1);
	assert_int_equal(mn_store_exp_set_correction(f->a.store, id, h, 0.5, 0, true, "human",
						     &err),
			 0);
	p = run(f, NULL);
	assert_int_equal(num(p, "attempted"), 1); /* only the other row */
	lf_row(f, &r, id);
	assert_string_equal(r.correction_source, "human");
	assert_string_equal(r.corrected_output, h);
	mn_exp_row_release(&r);
	/* and the store refuses a teacher over a human */
	assert_int_equal(mn_store_exp_set_correction(f->a.store, id, "{}", 1, 0, true,
						     "teacher-model", &err),
			 MN_ENOTFOUND);
	json_decref(p);
	json_decref(human);
	free(h);
}

static void test_cooldown_after_completed_run(void **state)
{
	struct lf *f = *state;
	char id[37];
	json_t *p;

	lf_fake_start(f, "{\"encode\":\"echo\"}");
	lf_teacher(f, 10);
	f->a.cfg.learning.curriculum.cooldown_hours = 24;
	setenv("MNEMO_FAKE_NOW", "2026-05-01T10:00:00.000Z", 1);
	add_needy(f, id, "First 1 at f-1.", 0.1, 0.1);
	p = run(f, NULL);
	assert_phase(p, "completed");
	json_decref(p);
	add_needy(f, id, "Second 2 at f-2.", 0.1, 0.1);
	setenv("MNEMO_FAKE_NOW", "2026-05-02T09:00:00.000Z", 1);
	p = run(f, NULL);
	assert_phase(p, "skipped");
	assert_non_null(strstr(mn_json_str(p, "reason", ""), "cooldown"));
	json_decref(p);
	setenv("MNEMO_FAKE_NOW", "2026-05-02T10:00:01.000Z", 1);
	p = run(f, NULL);
	assert_phase(p, "completed");
	assert_int_equal(num(p, "passed"), 1);
	json_decref(p);
}

struct stopper {
	volatile sig_atomic_t *flag;
	int after_ms;
};

static void *stop_later(void *arg)
{
	struct stopper *s = arg;

	mn_time_sleep_ms(s->after_ms);
	*s->flag = 1;
	return NULL;
}

static void test_interruption_is_recorded_as_interrupted(void **state)
{
	struct lf *f = *state;
	static volatile sig_atomic_t stop;
	struct stopper s = { &stop, 300 };
	pthread_t t;
	char id[37];
	json_t *p;
	char *v;

	lf_fake_start(f, "{\"delay_s\":1,\"encode\":\"echo\"}");
	lf_teacher(f, 10);
	f->a.cfg.learning.curriculum.cooldown_hours = 24;
	for (int i = 0; i < 4; i++) {
		char text[64];

		snprintf(text, sizeof(text), "Row %d on node-%d.", i, i);
		add_needy(f, id, text, 0.1 * i, 0.1);
	}
	stop = 0;
	assert_int_equal(pthread_create(&t, NULL, stop_later, &s), 0);
	p = run(f, &stop);
	pthread_join(t, NULL);
	assert_phase(p, "interrupted");
	assert_int_equal(num(p, "attempted"), 1);
	json_decref(p);
	v = lf_sql(f, "SELECT status || ' ' || attempted FROM curriculum_runs", NULL);
	assert_string_equal(v, "interrupted 1");
	free(v);
	/* not completed: no cooldown, the next cycle carries on */
	stop = 0;
	lf_fake_stop(f);
	lf_fake_start(f, "{\"encode\":\"echo\"}");
	lf_teacher(f, 10);
	p = run(f, &stop);
	assert_phase(p, "completed");
	assert_int_equal(num(p, "attempted"), 3);
	json_decref(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_skipped_without_teacher, setup, teardown),
		cmocka_unit_test_setup_teardown(test_skipped_below_min_needs_improvement, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			test_accepts_verified_corrections_with_the_production_prompt, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_most_useful_first_up_to_the_cap, setup,
						teardown),
		cmocka_unit_test(test_select_spreads_over_different_inputs),
		cmocka_unit_test(test_value_of_a_correction),
		cmocka_unit_test(test_select_leaves_what_the_student_cannot_learn),
		cmocka_unit_test(test_select_starts_with_typical_rows),
		cmocka_unit_test_setup_teardown(test_daily_budget_spans_cycles, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rejects_unverified_then_moves_to_ambiguous,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_rejects_template_echo_and_schema_errors, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_teacher_errors_do_not_count_as_attempts, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_teacher_timeout_uses_the_teacher_timeout, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_human_correction_wins, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cooldown_after_completed_run, setup, teardown),
		cmocka_unit_test_setup_teardown(test_interruption_is_recorded_as_interrupted, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
