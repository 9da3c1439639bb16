/* Unit tests for the training side: run state transitions (store_train),
 * argv templates (orch), recovery of dead runs and the auto-trigger
 * conditions (train) - real SQLite, real files, real child processes, the
 * clock set through MNEMO_FAKE_NOW. */
#include "testutil.h"

#include <limits.h>
#include <math.h>
#include <time.h>
#include <unistd.h>

#include "app/app.h"
#include "base/json.h"
#include "base/mem.h"
#include "base/timeutil.h"
#include "train/orch.h"
#include "train/registry.h"
#include "store/store_train.h"
#include "train/train.h"
#include "learn_fixture.h"

struct fx {
	char *dir;
	struct mn_ctx a;
};

/* Like tu_tmpdir, with allocations that cannot return NULL (keeps
 * -Wformat-overflow quiet under the sanitizer build's inlining). */
static char *tmpdir(void)
{
	const char *base = getenv("TMPDIR");
	char *p = mn_xasprintf("%s/mnemo-test-XXXXXX", base && *base ? base : "/tmp");

	assert_non_null(mkdtemp(p));
	return p;
}

static int setup(void **state)
{
	struct fx *f = mn_xcalloc(1, sizeof(*f));
	struct mn_err err = MN_ERR_INIT;
	char *home;

	f->dir = tmpdir();
	home = mn_xasprintf("%s/home", f->dir);
	setenv("MNEMO_HOME", home, 1);
	setenv("XDG_CONFIG_HOME", f->dir, 1);
	unsetenv("MNEMO_CONFIG");
	unsetenv("MNEMO_FAKE_NOW");
	free(home);
	assert_int_equal(mn_ctx_open(&f->a, NULL, &err), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	unsetenv("MNEMO_FAKE_NOW");
	mn_ctx_close(&f->a);
	tu_rmtree(f->dir);
	free(f);
	return 0;
}

static void test_transition_is_compare_and_set(void **state)
{
	struct fx *f = *state;
	struct mn_err err = MN_ERR_INIT;
	struct mn_train_run r;

	assert_int_equal(mn_store_train_insert(f->a.store, "r1", "manual", NULL, NULL, &err), 0);
	assert_int_equal(mn_store_train_transition(f->a.store, "r1", "requested", "training", NULL,
						   &err),
			 0);
	assert_int_equal(mn_store_train_transition(f->a.store, "r1", "requested", "training", NULL,
						   &err),
			 MN_EBUSY);
	assert_int_equal(mn_store_train_transition(f->a.store, "r1", "training,evaluating",
						   "failed", "boom", &err),
			 0);
	assert_int_equal(mn_store_train_get(f->a.store, &r, "r1", &err), 0);
	assert_string_equal(r.state, "failed");
	assert_string_equal(r.error, "boom");
	assert_true(r.started_at[0] && r.finished_at[0]);
	mn_train_run_release(&r);
	assert_int_equal(mn_store_train_transition(f->a.store, "nope", NULL, "failed", NULL, &err),
			 MN_ENOTFOUND);
}

static void test_expand_placeholders(void **state)
{
	char *v[] = { "t", "--in={batch_dir}/x", "--incumbent", "{incumbent}", "{out}", "{other}",
		      NULL };
	struct mn_argv tmpl = { v, 6 };
	struct mn_argv_var vars[] = { { "batch_dir", "/b" }, { "incumbent", NULL }, { "out", "/o" } };
	char **x = mn_argv_expand(&tmpl, vars, 3);

	(void)state;
	assert_non_null(x);
	assert_string_equal(x[0], "t");
	assert_string_equal(x[1], "--in=/b/x");
	assert_string_equal(x[2], "/o");       /* --incumbent {incumbent} dropped */
	assert_string_equal(x[3], "{other}"); /* unknown words stay */
	assert_null(x[4]);
	mn_argv_free(x);
	vars[1].value = "/inc";
	x = mn_argv_expand(&tmpl, vars, 3);
	assert_string_equal(x[2], "--incumbent");
	assert_string_equal(x[3], "/inc");
	mn_argv_free(x);
}

static void test_recover_dead_run_runs_hooks_after(void **state)
{
	struct fx *f = *state;
	struct mn_err err = MN_ERR_INIT;
	struct mn_train_patch p = MN_TRAIN_PATCH_INIT;
	struct mn_train_run r;
	char dir[PATH_MAX], marker[PATH_MAX + 32], script[PATH_MAX + 64];
	char *argv[] = { "sh", "-c", script, NULL };
	int n = 0;

	snprintf(dir, sizeof(dir), "%s/training/requests/r1", f->a.home);
	assert_int_equal(mn_file_mkdir_p(dir, 0700, &err), 0);
	snprintf(marker, sizeof(marker), "%s/after", f->dir);
	snprintf(script, sizeof(script), "echo $MNEMO_REQUEST_ID > %s", marker);
	f->a.cfg.learning.training.hooks_after.v = argv;
	f->a.cfg.learning.training.hooks_after.n = 3;
	assert_int_equal(mn_store_train_insert(f->a.store, "r1", "manual", NULL, dir, &err), 0);
	assert_int_equal(mn_store_train_transition(f->a.store, "r1", "requested", "training", NULL,
						   &err),
			 0);
	p.pid = 999999; /* no such process; and no orchestrator holds the lock */
	assert_int_equal(mn_store_train_update(f->a.store, "r1", &p, &err), 0);
	assert_int_equal(mn_train_recover_dead(&f->a, &n, &err), 0);
	f->a.cfg.learning.training.hooks_after.v = NULL;
	f->a.cfg.learning.training.hooks_after.n = 0;
	assert_int_equal(n, 1);
	assert_int_equal(mn_store_train_get(f->a.store, &r, "r1", &err), 0);
	assert_string_equal(r.state, "failed");
	assert_string_equal(r.error, "orchestrator died");
	assert_true(r.hooks_after_ran);
	mn_train_run_release(&r);
	assert_true(mn_file_exists(marker));
	snprintf(marker, sizeof(marker), "%s/result.json", dir);
	assert_true(mn_file_exists(marker));
}

/* Killed between the switch of `current` and its own record: the model is
 * serving, so recovery records the run as deployed, not failed. */
static void test_recover_run_that_switched_current(void **state)
{
	struct fx *f = *state;
	struct mn_err err = MN_ERR_INIT;
	struct mn_train_patch p = MN_TRAIN_PATCH_INIT;
	struct mn_train_run r;
	char dir[PATH_MAX], models[PATH_MAX], link[PATH_MAX + 16];
	int n = 0;

	char version[16];

	snprintf(dir, sizeof(dir), "%s/training/requests/r2", f->a.home);
	snprintf(models, sizeof(models), "%s/artifact", f->dir);
	assert_int_equal(mn_file_mkdir_p(dir, 0700, &err), 0);
	assert_int_equal(mn_file_mkdir_p(models, 0700, &err), 0);
	snprintf(link, sizeof(link), "%s/model.bin", models);
	tu_write(link, "weights");
	assert_int_equal(mn_registry_register(&f->a, version, "builtin", models, "r2", NULL, &err),
			 0);
	assert_string_equal(version, "v0001");
	snprintf(link, sizeof(link), "%s/models/builtin/current", f->a.home);
	assert_int_equal(symlink("v0001", link), 0);
	assert_int_equal(mn_store_train_insert(f->a.store, "r2", "manual", NULL, dir, &err), 0);
	assert_int_equal(mn_store_train_transition(f->a.store, "r2", "requested", "evaluating",
						   NULL, &err),
			 0);
	p.pid = 999999;
	p.candidate_version = "v0001";
	assert_int_equal(mn_store_train_update(f->a.store, "r2", &p, &err), 0);
	assert_int_equal(mn_train_recover_dead(&f->a, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(mn_store_train_get(f->a.store, &r, "r2", &err), 0);
	assert_string_equal(r.state, "deployed");
	assert_string_equal(r.deployed_version, "v0001");
	assert_true(r.finished_at[0] != '\0');
	mn_train_run_release(&r);
	snprintf(link, sizeof(link), "%s/result.json", dir);
	assert_true(mn_file_exists(link));
	{
		struct mn_model_version v;

		assert_int_equal(mn_store_model_get(f->a.store, &v, "builtin", "v0001", &err), 0);
		assert_string_equal(v.state, "deployed");
		mn_model_version_release(&v);
	}
}

/* Killed inside its ending: the state is final but hooks.after and
 * result.json are missing. Recovery does the rest, once. */
static void test_recover_finishes_an_interrupted_ending(void **state)
{
	struct fx *f = *state;
	struct mn_err err = MN_ERR_INIT;
	struct mn_train_run r;
	char dir[PATH_MAX], path[PATH_MAX + 32];
	int n = 0;

	snprintf(dir, sizeof(dir), "%s/training/requests/r3", f->a.home);
	assert_int_equal(mn_file_mkdir_p(dir, 0700, &err), 0);
	assert_int_equal(mn_store_train_insert(f->a.store, "r3", "manual", NULL, dir, &err), 0);
	assert_int_equal(mn_store_train_transition(f->a.store, "r3", "requested", "training", NULL,
						   &err),
			 0);
	assert_int_equal(mn_store_train_transition(f->a.store, "r3", "training", "rejected", NULL,
						   &err),
			 0);
	assert_int_equal(mn_train_recover_dead(&f->a, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(mn_store_train_get(f->a.store, &r, "r3", &err), 0);
	assert_string_equal(r.state, "rejected");
	assert_true(r.hooks_after_ran);
	mn_train_run_release(&r);
	snprintf(path, sizeof(path), "%s/result.json", dir);
	assert_true(mn_file_exists(path));
	n = 0;
	assert_int_equal(mn_train_recover_dead(&f->a, &n, &err), 0);
	assert_int_equal(n, 0);
	/* killed after hooks.after but before result.json: only the file */
	assert_int_equal(unlink(path), 0);
	assert_int_equal(mn_train_recover_dead(&f->a, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_true(mn_file_exists(path));
}

static const char *decision(json_t *phase)
{
	return mn_json_str(phase, "decision", "");
}

static const char *reason(json_t *phase)
{
	return mn_json_str(phase, "reason", "");
}

/* 2026-04-14 03:00 local time: inside the default 02:00-06:00 window. */
static void set_clock(int hour)
{
	char buf[64];
	struct tm tm;
	time_t t;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = 2026 - 1900;
	tm.tm_mon = 3;
	tm.tm_mday = 14;
	tm.tm_hour = hour;
	tm.tm_isdst = -1;
	t = mktime(&tm);
	snprintf(buf, sizeof(buf), "%lld", (long long)t * 1000);
	setenv("MNEMO_FAKE_NOW", buf, 1);
}

static void test_auto_trigger_window_and_estop(void **state)
{
	struct fx *f = *state;
	struct mn_err err = MN_ERR_INIT;
	json_t *ph = NULL;
	char path[PATH_MAX];

	set_clock(12);
	assert_int_equal(mn_train_check_trigger(&f->a, false, &ph, &err), 0);
	assert_string_equal(decision(ph), "skipped");
	assert_non_null(strstr(reason(ph), "outside the training window"));
	json_decref(ph);
	set_clock(3);
	assert_int_equal(mn_train_check_trigger(&f->a, false, &ph, &err), 0);
	/* every other condition holds: only the data is missing */
	assert_non_null(strstr(reason(ph), "too little data"));
	json_decref(ph);
	snprintf(path, sizeof(path), "%s/training.disabled", f->a.home);
	tu_write(path, "");
	assert_int_equal(mn_train_check_trigger(&f->a, false, &ph, &err), 0);
	assert_non_null(strstr(reason(ph), "training is disabled by"));
	json_decref(ph);
	/* drift ignores the window, not the e-stop */
	set_clock(12);
	assert_int_equal(mn_train_check_trigger(&f->a, true, &ph, &err), 0);
	assert_non_null(strstr(reason(ph), "training is disabled by"));
	json_decref(ph);
	unlink(path);
	assert_int_equal(mn_train_check_trigger(&f->a, true, &ph, &err), 0);
	assert_non_null(strstr(reason(ph), "too little data"));
	json_decref(ph);
}

static void add_finished(struct fx *f, const char *id, const char *state)
{
	struct mn_err err = MN_ERR_INIT;

	assert_int_equal(mn_store_train_insert(f->a.store, id, "auto", NULL, NULL, &err), 0);
	assert_int_equal(mn_store_train_transition(f->a.store, id, NULL, state, NULL, &err), 0);
}

static void test_breaker_and_cooldowns(void **state)
{
	struct fx *f = *state;
	struct mn_err err = MN_ERR_INIT;
	json_t *ph = NULL;

	/* one failure at 03:00: failure cooldown (24 h) */
	set_clock(3);
	add_finished(f, "f1", "failed");
	assert_int_equal(mn_train_check_trigger(&f->a, false, &ph, &err), 0);
	assert_non_null(strstr(reason(ph), "failure cooldown"));
	json_decref(ph);
	/* three consecutive failures: breaker open */
	add_finished(f, "f2", "failed");
	add_finished(f, "f3", "failed");
	assert_int_equal(mn_train_check_trigger(&f->a, false, &ph, &err), 0);
	assert_non_null(strstr(reason(ph), "circuit breaker open"));
	json_decref(ph);
	/* a deploy closes it; the success cooldown (12 h) applies */
	add_finished(f, "d1", "deployed");
	f->a.cfg.learning.trigger.failure_cooldown_hours = 0;
	assert_int_equal(mn_train_check_trigger(&f->a, false, &ph, &err), 0);
	assert_non_null(strstr(reason(ph), "success cooldown"));
	json_decref(ph);
	f->a.cfg.learning.trigger.success_cooldown_hours = 0;
	assert_int_equal(mn_train_check_trigger(&f->a, false, &ph, &err), 0);
	assert_non_null(strstr(reason(ph), "too little data"));
	json_decref(ph);
	/* state for `status` */
	ph = mn_train_state_json(&f->a);
	assert_string_equal(mn_json_str(json_object_get(ph, "breaker"), "state", ""), "closed");
	assert_string_equal(mn_json_str(json_object_get(ph, "model"), "current", ""), "default");
	json_decref(ph);
}

static void test_manual_request_declines(void **state)
{
	struct fx *f = *state;
	struct mn_err err = MN_ERR_INIT;
	char id[37], path[PATH_MAX];

	assert_int_equal(mn_train_request(&f->a, "manual", NULL, id, &err), MN_EDECLINED);
	assert_non_null(strstr(err.msg, "too little data: 0 eligible examples, need 50"));
	snprintf(path, sizeof(path), "%s/training.disabled", f->a.home);
	tu_write(path, "");
	assert_int_equal(mn_train_request(&f->a, "manual", NULL, id, &err), MN_EDECLINED);
	assert_non_null(strstr(err.msg, "training is disabled by"));
	unlink(path);
	assert_int_equal(mn_store_train_insert(f->a.store, "r9", "manual", NULL, NULL, &err), 0);
	assert_int_equal(mn_train_request(&f->a, "manual", NULL, id, &err), MN_EDECLINED);
	assert_non_null(strstr(err.msg, "run r9 is in flight"));
}

static int lf_setup(void **state)
{
	struct lf *f = mn_xcalloc(1, sizeof(*f));

	lf_open(f);
	f->a.cfg.learning.training.min_new_examples = 3;
	f->a.cfg.learning.training.min_labelled_examples = 2;
	f->a.cfg.learning.training.holdout_fraction = 0;
	*state = f;
	return 0;
}

static int lf_teardown(void **state)
{
	struct lf *f = *state;

	lf_close(f);
	free(f);
	return 0;
}

/* Rows the student encoded itself are replay, never evidence: enough of
 * them still do not start a run; teacher and human corrections do count. */
static void test_request_needs_labelled_rows(void **state)
{
	struct lf *f = *state;
	struct mn_err err = MN_ERR_INIT;
	char id[37], m1[37], m2[37];
	int eligible = -1, labelled = -1;
	json_t *enc;
	char *txt;

	for (int i = 0; i < 4; i++) {
		char text[64];

		snprintf(text, sizeof(text), "Rotated the key of gateway-%d.", i);
		lf_add_gold(f, i == 0 ? m1 : i == 1 ? m2 : NULL, text);
	}
	assert_int_equal(mn_train_count_rows(&f->a, &eligible, &labelled, &err), 0);
	assert_int_equal(eligible, 4);
	assert_int_equal(labelled, 0);
	assert_int_equal(mn_train_request(&f->a, "manual", NULL, id, &err), MN_EDECLINED);
	assert_non_null(strstr(err.msg, "too few labelled examples: 0 teacher- or human-corrected"
				       " rows to train on, need 2"));
	assert_non_null(strstr(err.msg, "min_labelled_examples"));
	enc = lf_encoding("Rotated the key of gateway-0.");
	txt = mn_json_dumps(enc);
	assert_int_equal(mn_store_exp_set_correction(f->a.store, m1, txt, 1.0, 0, true, "human",
						     &err), 0);
	assert_int_equal(mn_store_exp_set_correction(f->a.store, m2, txt, 1.0, 0, true,
						     "teacher-model", &err), 0);
	free(txt);
	json_decref(enc);
	assert_int_equal(mn_train_count_rows(&f->a, &eligible, &labelled, &err), 0);
	assert_int_equal(eligible, 4);
	assert_int_equal(labelled, 2);
	/* rows in the holdout are never trained on: they do not count */
	f->a.cfg.learning.training.holdout_fraction = 1;
	assert_int_equal(mn_train_count_rows(&f->a, &eligible, &labelled, &err), 0);
	assert_int_equal(eligible, 0);
	assert_int_equal(labelled, 0);
}

/* `status` shows the teacher's calls, budget and what they bought. */
static void test_teacher_state_counts_calls_and_gain(void **state)
{
	struct fx *f = *state;
	struct mn_err err = MN_ERR_INIT;
	struct mn_train_patch p = MN_TRAIN_PATCH_INIT;
	char cid[37];
	json_t *t, *cand, *inc;

	t = mn_train_teacher_json(&f->a);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(t, "calls"), "total")),
			 0);
	assert_true(json_is_null(json_object_get(t, "agreement_gained_per_100_calls")));
	assert_int_equal(json_integer_value(json_object_get(json_object_get(t, "budget"),
							      "left_today")),
			 100);
	json_decref(t);
	assert_int_equal(mn_store_learn_curriculum_begin(f->a.store, cid, "t", &err), 0);
	assert_int_equal(mn_store_learn_curriculum_progress(f->a.store, cid, 40, 30, 10, &err), 0);
	assert_int_equal(mn_store_learn_curriculum_finish(f->a.store, cid, "completed", 50, 40, 10,
							  NULL, &err), 0);
	/* a deployed run: +6 points on its labelled holdout */
	assert_int_equal(mn_store_train_insert(f->a.store, "d1", "auto", NULL, NULL, &err), 0);
	cand = json_pack("{s:{s:i,s:f}}", "holdout", "n", 20, "enum_acc", 0.80);
	inc = json_pack("{s:{s:i,s:f}}", "holdout", "n", 20, "enum_acc", 0.74);
	p.candidate_metrics = cand;
	p.incumbent_metrics = inc;
	assert_int_equal(mn_store_train_update(f->a.store, "d1", &p, &err), 0);
	assert_int_equal(mn_store_train_transition(f->a.store, "d1", "requested", "deployed", NULL,
						   &err), 0);
	json_decref(cand);
	json_decref(inc);
	t = mn_train_state_json(&f->a);
	{
		json_t *te = json_object_get(t, "teacher");

		assert_int_equal(
			json_integer_value(json_object_get(json_object_get(te, "calls"), "total")),
			50);
		assert_int_equal(json_integer_value(
					 json_object_get(json_object_get(te, "calls"), "accepted")),
				 40);
		assert_int_equal(json_integer_value(json_object_get(te, "runs_measured")), 1);
		assert_true(fabs(json_number_value(json_object_get(te, "agreement_gained_pp")) - 6.0) <
			    1e-6);
		assert_true(fabs(json_number_value(json_object_get(
					 te, "agreement_gained_per_100_calls")) -
				 12.0) < 1e-6);
		assert_int_equal(json_integer_value(json_object_get(json_object_get(te, "budget"),
								      "left_today")),
				 50);
	}
	json_decref(t);
}

/* A pending.json that is not valid JSON: cancelling the requested run it
 * might name reads it without an error sink (err NULL) and must not crash. */
static void test_cancel_survives_a_corrupt_pending_json(void **state)
{
	struct fx *f = *state;
	struct mn_err err = MN_ERR_INIT;
	char path[PATH_MAX], st[16];

	snprintf(path, sizeof(path), "%s/training", f->a.home);
	assert_int_equal(mn_file_mkdir_p(path, 0700, &err), 0);
	snprintf(path, sizeof(path), "%s/training/pending.json", f->a.home);
	tu_write(path, "{\"request_id\": ");
	assert_int_equal(mn_store_train_insert(f->a.store, "r1", "manual", NULL, NULL, &err), 0);
	assert_int_equal(mn_train_cancel(&f->a, "r1", st, &err), 0);
	assert_string_equal(st, "cancelled");
	assert_true(mn_file_exists(path)); /* not ours to remove: it names no run */
}

static int count_runs(struct mn_ctx *a)
{
	struct mn_err err = MN_ERR_INIT;
	json_t *j = NULL;
	int n;

	assert_int_equal(mn_train_status_json(a, NULL, 100, &j, &err), 0);
	n = (int)json_array_size(j);
	json_decref(j);
	return n;
}

/* In `mnemo serve` (supervising), the orchestrator child of an ended run
 * may still be finishing: a new request is declined before it exists, not
 * created and then marked failed. This test binary stands in for the
 * orchestrator (main: argv "train ..."), living until <dir>/release exists. */
static void test_request_while_child_finishes_is_declined_not_failed(void **state)
{
	struct fx *f = *state;
	struct mn_err err = MN_ERR_INIT;
	struct mn_train_request_opts o = { 0 };
	char id1[37], id2[37], release[PATH_MAX];
	int i;

	snprintf(release, sizeof(release), "%s/release", f->dir);
	o.batch_dir = f->dir;
	mn_train_supervise_tick(&f->a); /* this process supervises from now on */
	assert_int_equal(mn_train_request_ex(&f->a, id1, &o, &err), 0);
	/* the run ends (as its orchestrator does first), its child lives on */
	assert_int_equal(mn_store_train_transition(f->a.store, id1, "requested", "cancelled",
						   "test", &err),
			 0);
	mn_err_clear(&err);
	assert_int_equal(mn_train_request_ex(&f->a, id2, &o, &err), MN_EDECLINED);
	assert_non_null(strstr(err.msg, "still finishing"));
	assert_int_equal(count_runs(&f->a), 1);
	/* once the child is gone, requests start again */
	tu_write(release, "");
	for (i = 0; i < 600; i++) {
		mn_err_clear(&err);
		if (mn_train_request_ex(&f->a, id2, &o, &err) != MN_EDECLINED)
			break;
		mn_time_sleep_ms(50);
	}
	assert_int_equal(err.code, 0);
	assert_int_equal(count_runs(&f->a), 2);
	/* reap the second stand-in */
	for (i = 0; i < 600; i++) {
		struct mn_train_run r;
		bool ended;

		mn_train_supervise_tick(&f->a);
		assert_int_equal(mn_store_train_get(f->a.store, &r, id2, &err), 0);
		ended = strcmp(r.state, "requested") != 0;
		mn_train_run_release(&r);
		if (ended)
			break;
		mn_time_sleep_ms(50);
	}
}

/* Stand-in orchestrator for the supervision test: wait for the release
 * file next to MNEMO_HOME, then exit without touching the run. */
static int fake_orchestrator(void)
{
	const char *home = getenv("MNEMO_HOME");
	char *rel = mn_xasprintf("%s/../release", home ? home : ".");

	for (int i = 0; i < 1200 && !mn_file_exists(rel); i++)
		mn_time_sleep_ms(50);
	free(rel);
	return 0;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_transition_is_compare_and_set, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cancel_survives_a_corrupt_pending_json, setup,
						teardown),
		cmocka_unit_test(test_expand_placeholders),
		cmocka_unit_test_setup_teardown(test_recover_run_that_switched_current, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_recover_finishes_an_interrupted_ending, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_recover_dead_run_runs_hooks_after, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_auto_trigger_window_and_estop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_breaker_and_cooldowns, setup, teardown),
		cmocka_unit_test_setup_teardown(test_manual_request_declines, setup, teardown),
		cmocka_unit_test_setup_teardown(test_request_needs_labelled_rows, lf_setup,
						lf_teardown),
		cmocka_unit_test_setup_teardown(test_teacher_state_counts_calls_and_gain, setup,
						teardown),
		/* last: it makes this process a supervisor */
		cmocka_unit_test_setup_teardown(
			test_request_while_child_finishes_is_declined_not_failed, setup, teardown),
	};

	if (argc > 1 && !strcmp(argv[1], "train"))
		return fake_orchestrator();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
