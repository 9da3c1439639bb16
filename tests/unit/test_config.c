/*
 * test_config.c - YAML configuration: defaults, every key, errors with
 * file:line:key, file resolution, API keys, the JSON view, and the shipped
 * example and docs staying in step with the code.
 */
#include "testutil.h"

#include <sys/stat.h>
#include <yaml.h>

#include "base/buf.h"
#include "base/json.h"
#include "base/limits.h"
#include "base/mem.h"
#include "core/config.h"

/* Every test gets a fresh temporary HOME and none of mnemo's variables. */
static int setup(void **state)
{
	char *dir = tu_tmpdir();

	assert_non_null(dir);
	setenv("HOME", dir, 1);
	unsetenv("MNEMO_CONFIG");
	unsetenv("MNEMO_HOME");
	unsetenv("XDG_CONFIG_HOME");
	unsetenv("XDG_DATA_HOME");
	unsetenv("MN_TEST_KEY");
	unsetenv("MNEMO_LOG_LEVEL");
	*state = dir;
	return 0;
}

static int teardown(void **state)
{
	tu_rmtree(*state);
	return 0;
}

static char *join(const char *a, const char *b)
{
	return mn_xasprintf("%s/%s", a, b);
}

/* Load text into a fresh default config; returns the result code. */
static int load(struct mn_config *c, struct mn_err *err, const char *text)
{
	mn_config_init(c);
	return mn_config_load_string(c, text, strlen(text), "t.yaml", err);
}

/* Expect text to fail with exactly message msg. */
static void expect_error(const char *text, const char *msg)
{
	struct mn_config c;
	struct mn_err err = MN_ERR_INIT;

	assert_int_equal(load(&c, &err, text), MN_EINVAL);
	assert_int_equal(err.code, MN_EINVAL);
	assert_string_equal(err.msg, msg);
	mn_config_release(&c);
}

/* Expect text to fail with a message starting with prefix. */
static void expect_error_prefix(const char *text, const char *prefix)
{
	struct mn_config c;
	struct mn_err err = MN_ERR_INIT;

	assert_int_equal(load(&c, &err, text), MN_EINVAL);
	if (strncmp(err.msg, prefix, strlen(prefix)))
		fail_msg("message '%s' does not start with '%s'", err.msg, prefix);
	mn_config_release(&c);
}

static void assert_defaults(const struct mn_config *c)
{
	assert_string_equal(c->student.provider, "builtin");
	assert_null(c->student.endpoint);
	assert_null(c->student.model);
	assert_null(c->student.api_key_env);
	assert_int_equal(c->student.timeout_s, 120);
	assert_string_equal(c->teacher.provider, "none");
	assert_int_equal(c->teacher.timeout_s, 120);
	assert_int_equal(c->encoding.max_input_chars, 8000);
	assert_int_equal(c->encoding.max_text_bytes, 1048576);
	assert_int_equal(c->encoding.workers, 1);
	assert_int_equal(c->encoding.max_attempts, 3);
	assert_int_equal(c->dreaming.interval_ms, 3 * 3600 * 1000LL);
	assert_int_equal(c->dreaming.startup_delay_ms, 90000);
	assert_true(c->learning.enabled);
	assert_true(c->learning.min_confidence == 0.5);
	assert_int_equal(c->learning.curriculum.min_needs_improvement, 10);
	assert_int_equal(c->learning.curriculum.max_corrections_per_cycle, 20);
	assert_true(c->learning.curriculum.cooldown_hours == 24);
	assert_int_equal(c->learning.curriculum.max_correction_attempts, 2);
	assert_int_equal(c->learning.training.min_new_examples, 50);
	assert_int_equal(c->learning.training.max_examples_per_run, 200);
	assert_true(c->learning.training.replay_ratio == 0.3);
	assert_null(c->learning.training.replay_dataset);
	assert_true(c->learning.training.holdout_fraction == 0.1);
	assert_int_equal(c->learning.training.seed, 42);
	assert_string_equal(c->learning.training.runner, "supervised");
	assert_null(c->learning.training.trainer_command.v);
	assert_int_equal(c->learning.training.trainer_command.n, 0);
	assert_int_equal(c->learning.training.trainer_timeout_s, 1800);
	assert_null(c->learning.training.evaluate_serve_command.v);
	assert_null(c->learning.training.evaluate_endpoint);
	assert_null(c->learning.training.evaluate_model);
	assert_int_equal(c->learning.training.evaluate_ready_timeout_s, 120);
	assert_null(c->learning.training.hooks_before.v);
	assert_null(c->learning.training.hooks_after.v);
	assert_false(c->learning.training.pause_student);
	assert_true(c->learning.gate.min_epr == 0.90);
	assert_true(c->learning.gate.min_sc == 0.95);
	assert_true(c->learning.gate.max_fr == 0.05);
	assert_true(c->learning.gate.max_ted_rate == 0);
	assert_true(c->learning.gate.max_regression_pp == 2);
	assert_null(c->learning.gate.probe_set);
	assert_true(c->learning.trigger.auto_);
	assert_true(c->learning.trigger.manual);
	assert_string_equal(c->learning.trigger.window, "02:00-06:00");
	assert_int_equal(c->learning.trigger.window_start_min, 120);
	assert_int_equal(c->learning.trigger.window_end_min, 360);
	assert_int_equal(c->learning.trigger.max_consecutive_failures, 3);
	assert_true(c->learning.trigger.failure_cooldown_hours == 24);
	assert_true(c->learning.trigger.success_cooldown_hours == 12);
	assert_int_equal(c->learning.registry.keep, 3);
	assert_null(c->learning.registry.deploy_command.v);
	assert_int_equal(c->learning.monitor.window, 50);
	assert_true(c->learning.monitor.max_drop_pp == 5);
	assert_string_equal(c->log.level, "info");
	assert_null(c->log.file);
}

/* ---- defaults and overrides ---- */

static void test_defaults_without_file(void **state)
{
	struct mn_config c;
	struct mn_err err = MN_ERR_INIT;

	mn_config_init(&c);
	assert_int_equal(mn_config_open(&c, NULL, &err), 0);
	assert_null(c.path);
	assert_defaults(&c);
	mn_config_release(&c);
}

static void test_empty_file_gives_defaults(void **state)
{
	char *path = join(*state, "empty.yaml");
	struct mn_config c;
	struct mn_err err = MN_ERR_INIT;

	tu_write(path, "");
	mn_config_init(&c);
	assert_int_equal(mn_config_load(&c, path, &err), 0);
	assert_string_equal(c.path, path);
	assert_defaults(&c);
	mn_config_release(&c);
	free(path);
}

static void test_comments_only_gives_defaults(void **state)
{
	struct mn_config c;
	struct mn_err err = MN_ERR_INIT;

	assert_int_equal(load(&c, &err, "# nothing here\n---\n"), 0);
	assert_defaults(&c);
	mn_config_release(&c);
}

static const char every_key[] =
	"student:\n"
	"  provider: openai\n"
	"  endpoint: http://127.0.0.1:8080/v1\n"
	"  model: qwen\n"
	"  api_key_env: STUDENT_KEY\n"
	"  timeout_s: 30\n"
	"teacher:\n"
	"  provider: openai\n"
	"  endpoint: https://api.openai.com/v1\n"
	"  model: gpt-4o-mini\n"
	"  api_key_env: OPENAI_API_KEY\n"
	"  timeout_s: 200\n"
	"encoding: {max_input_chars: 4000, max_text_bytes: 2048, workers: 2, max_attempts: 5}\n"
	"dreaming: {interval: 15m, startup_delay: 0}\n"
	"learning:\n"
	"  enabled: false\n"
	"  min_confidence: 0.25\n"
	"  curriculum:\n"
	"    min_needs_improvement: 1\n"
	"    max_corrections_per_cycle: 7\n"
	"    cooldown_hours: 1.5\n"
	"    max_correction_attempts: 4\n"
	"  training:\n"
	"    min_new_examples: 5\n"
	"    max_examples_per_run: 9\n"
	"    replay_ratio: 0\n"
	"    replay_dataset: /data/replay.jsonl\n"
	"    holdout_fraction: 0.2\n"
	"    seed: 7\n"
	"    runner: systemd\n"
	"    trainer:\n"
	"      command: [python3, train.py, --out, '{out}']\n"
	"      timeout_s: 60\n"
	"    evaluate:\n"
	"      serve_command:\n"
	"        - llama-server\n"
	"        - -m\n"
	"        - '{artifact}'\n"
	"      endpoint: http://127.0.0.1:9000/v1\n"
	"      model: cand\n"
	"      ready_timeout_s: 10\n"
	"    hooks:\n"
	"      before: [systemctl, --user, stop, llama]\n"
	"      after: [systemctl, --user, start, llama]\n"
	"    pause_student: true\n"
	"  gate:\n"
	"    min_epr: 0.8\n"
	"    min_sc: 0.9\n"
	"    max_fr: 0.1\n"
	"    max_ted_rate: 0.01\n"
	"    max_regression_pp: 3.5\n"
	"    probe_set: /data/probes.jsonl\n"
	"  trigger:\n"
	"    auto: false\n"
	"    manual: false\n"
	"    window: \"22:30-05:15\"\n"
	"    max_consecutive_failures: 5\n"
	"    failure_cooldown_hours: 48\n"
	"    success_cooldown_hours: 0\n"
	"  registry:\n"
	"    keep: 0\n"
	"    deploy_command: [curl, -X, POST, 'http://127.0.0.1:8080/load?m={artifact}']\n"
	"  monitor: {window: 10, max_drop_pp: 1}\n"
	"log: {level: debug, file: /tmp/mnemo.log}\n";

static void test_every_section_overridden(void **state)
{
	struct mn_config c;
	struct mn_err err = MN_ERR_INIT;
	const struct mn_argv *a;

	assert_int_equal(load(&c, &err, every_key), 0);
	assert_string_equal(c.student.provider, "openai");
	assert_string_equal(c.student.endpoint, "http://127.0.0.1:8080/v1");
	assert_string_equal(c.student.model, "qwen");
	assert_string_equal(c.student.api_key_env, "STUDENT_KEY");
	assert_int_equal(c.student.timeout_s, 30);
	assert_string_equal(c.teacher.provider, "openai");
	assert_string_equal(c.teacher.endpoint, "https://api.openai.com/v1");
	assert_string_equal(c.teacher.model, "gpt-4o-mini");
	assert_string_equal(c.teacher.api_key_env, "OPENAI_API_KEY");
	assert_int_equal(c.teacher.timeout_s, 200);
	assert_int_equal(c.encoding.max_input_chars, 4000);
	assert_int_equal(c.encoding.max_text_bytes, 2048);
	assert_int_equal(c.encoding.workers, 2);
	assert_int_equal(c.encoding.max_attempts, 5);
	assert_int_equal(c.dreaming.interval_ms, 900000);
	assert_int_equal(c.dreaming.startup_delay_ms, 0);
	assert_false(c.learning.enabled);
	assert_true(c.learning.min_confidence == 0.25);
	assert_int_equal(c.learning.curriculum.min_needs_improvement, 1);
	assert_int_equal(c.learning.curriculum.max_corrections_per_cycle, 7);
	assert_true(c.learning.curriculum.cooldown_hours == 1.5);
	assert_int_equal(c.learning.curriculum.max_correction_attempts, 4);
	assert_int_equal(c.learning.training.min_new_examples, 5);
	assert_int_equal(c.learning.training.max_examples_per_run, 9);
	assert_true(c.learning.training.replay_ratio == 0);
	assert_string_equal(c.learning.training.replay_dataset, "/data/replay.jsonl");
	assert_true(c.learning.training.holdout_fraction == 0.2);
	assert_int_equal(c.learning.training.seed, 7);
	assert_string_equal(c.learning.training.runner, "systemd");
	a = &c.learning.training.trainer_command;
	assert_int_equal(a->n, 4);
	assert_string_equal(a->v[0], "python3");
	assert_string_equal(a->v[3], "{out}");
	assert_null(a->v[4]);
	assert_int_equal(c.learning.training.trainer_timeout_s, 60);
	a = &c.learning.training.evaluate_serve_command;
	assert_int_equal(a->n, 3);
	assert_string_equal(a->v[2], "{artifact}");
	assert_string_equal(c.learning.training.evaluate_endpoint, "http://127.0.0.1:9000/v1");
	assert_string_equal(c.learning.training.evaluate_model, "cand");
	assert_int_equal(c.learning.training.evaluate_ready_timeout_s, 10);
	assert_int_equal(c.learning.training.hooks_before.n, 4);
	assert_string_equal(c.learning.training.hooks_before.v[2], "stop");
	assert_int_equal(c.learning.training.hooks_after.n, 4);
	assert_string_equal(c.learning.training.hooks_after.v[2], "start");
	assert_true(c.learning.training.pause_student);
	assert_true(c.learning.gate.min_epr == 0.8);
	assert_true(c.learning.gate.min_sc == 0.9);
	assert_true(c.learning.gate.max_fr == 0.1);
	assert_true(c.learning.gate.max_ted_rate == 0.01);
	assert_true(c.learning.gate.max_regression_pp == 3.5);
	assert_string_equal(c.learning.gate.probe_set, "/data/probes.jsonl");
	assert_false(c.learning.trigger.auto_);
	assert_false(c.learning.trigger.manual);
	assert_string_equal(c.learning.trigger.window, "22:30-05:15");
	assert_int_equal(c.learning.trigger.max_consecutive_failures, 5);
	assert_true(c.learning.trigger.failure_cooldown_hours == 48);
	assert_true(c.learning.trigger.success_cooldown_hours == 0);
	assert_int_equal(c.learning.registry.keep, 0);
	assert_int_equal(c.learning.registry.deploy_command.n, 4);
	assert_int_equal(c.learning.monitor.window, 10);
	assert_true(c.learning.monitor.max_drop_pp == 1);
	assert_string_equal(c.log.level, "debug");
	assert_string_equal(c.log.file, "/tmp/mnemo.log");
	mn_config_release(&c);
}

static void test_partial_file_keeps_other_defaults(void **state)
{
	struct mn_config c;
	struct mn_err err = MN_ERR_INIT;

	assert_int_equal(load(&c, &err, "learning:\n  gate:\n    min_epr: 0.85\n"), 0);
	assert_true(c.learning.gate.min_epr == 0.85);
	assert_true(c.learning.gate.min_sc == 0.95);
	assert_int_equal(c.learning.training.seed, 42);
	mn_config_release(&c);
}

static void test_null_section_is_empty(void **state)
{
	struct mn_config c;
	struct mn_err err = MN_ERR_INIT;

	assert_int_equal(load(&c, &err, "teacher:\n  # provider: openai\nlog:\n"), 0);
	assert_string_equal(c.teacher.provider, "none");
	mn_config_release(&c);
}

static void test_null_and_empty_string_unset(void **state)
{
	struct mn_config c;
	struct mn_err err = MN_ERR_INIT;

	mn_config_init(&c);
	assert_int_equal(mn_config_load_string(&c, "log: {file: /a}\n", 16, "a", &err), 0);
	assert_string_equal(c.log.file, "/a");
	assert_int_equal(mn_config_load_string(&c, "log: {file: ~}\n", 15, "b", &err), 0);
	assert_null(c.log.file);
	assert_int_equal(mn_config_load_string(&c, "log: {file: ''}\n", 16, "c", &err), 0);
	assert_null(c.log.file);
	mn_config_release(&c);
}

static void test_tilde_in_path_keys_expands_to_home(void **state)
{
	struct mn_config c;
	struct mn_err err = MN_ERR_INIT;
	char *want = join(*state, "logs/mnemo.log");

	assert_int_equal(load(&c, &err, "log: {file: ~/logs/mnemo.log}\n"), 0);
	assert_string_equal(c.log.file, want);
	mn_config_release(&c);
	free(want);
}

static void test_anchors_and_aliases_allowed(void **state)
{
	struct mn_config c;
	struct mn_err err = MN_ERR_INIT;

	assert_int_equal(load(&c, &err,
			      "student: {provider: openai, endpoint: &e 'http://h:1/v1', model: m}\n"
			      "teacher: {provider: openai, endpoint: *e, model: big}\n"),
			 0);
	assert_string_equal(c.teacher.endpoint, "http://h:1/v1");
	mn_config_release(&c);
}

/* ---- errors: unknown keys, types, ranges ---- */

static void test_unknown_key_names_file_line_and_key(void **state)
{
	expect_error("learning:\n  gate:\n    min_epr: 0.9\n    min_eprr: 0.9\n",
		     "t.yaml:4: key 'learning.gate.min_eprr': unknown key");
}

static void test_unknown_top_level_key(void **state)
{
	expect_error("student: {}\nteachers:\n  provider: openai\n",
		     "t.yaml:2: key 'teachers': unknown key");
}

static void test_dotted_key_is_unknown(void **state)
{
	expect_error("student.model: x\n", "t.yaml:1: key 'student.model': unknown key");
}

static void test_unknown_key_in_real_file_names_path(void **state)
{
	char *path = join(*state, "config.yaml");
	char *want;
	struct mn_config c;
	struct mn_err err = MN_ERR_INIT;

	tu_write(path, "log:\n  level: info\n  colour: true\n");
	mn_config_init(&c);
	assert_int_equal(mn_config_load(&c, path, &err), MN_EINVAL);
	want = mn_xasprintf("%s:3: key 'log.colour': unknown key", path);
	assert_string_equal(err.msg, want);
	assert_null(c.path);
	mn_config_release(&c);
	free(want);
	free(path);
}

static void test_duplicate_key_rejected(void **state)
{
	expect_error("log:\n  level: info\n  level: debug\n",
		     "t.yaml:3: key 'log.level': duplicate key (first set on line 2)");
}

static void test_integer_key_rejects_text(void **state)
{
	expect_error("encoding:\n  workers: two\n",
		     "t.yaml:2: key 'encoding.workers': expected an integer, got 'two'");
}

static void test_integer_key_rejects_fraction(void **state)
{
	expect_error("student: {timeout_s: 1.5}\n",
		     "t.yaml:1: key 'student.timeout_s': expected an integer, got '1.5'");
}

static void test_integer_key_rejects_quoted_string(void **state)
{
	expect_error("encoding:\n  workers: \"2\"\n",
		     "t.yaml:2: key 'encoding.workers': expected an integer, got a quoted string");
}

static void test_bool_key_rejects_yes(void **state)
{
	expect_error("learning:\n  enabled: yes\n",
		     "t.yaml:2: key 'learning.enabled': expected true or false, got 'yes'");
}

static void test_number_key_rejects_sequence(void **state)
{
	expect_error("learning:\n  gate:\n    min_sc: [1]\n",
		     "t.yaml:3: key 'learning.gate.min_sc': expected a number, got a sequence");
}

static void test_section_rejects_scalar(void **state)
{
	expect_error("learning:\n  gate: strict\n",
		     "t.yaml:2: key 'learning.gate': expected a mapping of keys, got a scalar");
}

static void test_string_key_rejects_mapping(void **state)
{
	expect_error("student:\n  model: {name: x}\n",
		     "t.yaml:2: key 'student.model': expected a string, got a mapping");
}

static void test_root_must_be_mapping(void **state)
{
	expect_error("- student\n",
		     "t.yaml:1: the configuration must be a mapping of keys (such as 'student:'), "
		     "not a sequence");
}

static void test_fraction_above_one_rejected(void **state)
{
	expect_error("learning:\n  gate:\n    min_epr: 1.5\n",
		     "t.yaml:3: key 'learning.gate.min_epr': must be between 0 and 1, got 1.5");
}

static void test_negative_fraction_rejected(void **state)
{
	expect_error("learning:\n  training: {replay_ratio: -0.1}\n",
		     "t.yaml:2: key 'learning.training.replay_ratio': must be between 0 and 1, "
		     "got -0.1");
}

static void test_zero_workers_rejected(void **state)
{
	expect_error("encoding: {workers: 0}\n",
		     "t.yaml:1: key 'encoding.workers': must be between 1 and 64, got 0");
}

static void test_negative_count_rejected(void **state)
{
	expect_error_prefix("learning:\n  curriculum:\n    min_needs_improvement: -1\n",
			    "t.yaml:3: key 'learning.curriculum.min_needs_improvement': must be "
			    "between 0 and ");
}

static void test_negative_seed_rejected(void **state)
{
	expect_error("learning: {training: {seed: -3}}\n",
		     "t.yaml:1: key 'learning.training.seed': must be at least 0, got -3");
}

static void test_max_text_bytes_over_ceiling_rejected(void **state)
{
	expect_error_prefix("encoding: {max_text_bytes: 999999999999}\n",
			    "t.yaml:1: key 'encoding.max_text_bytes': must be between 1 and ");
}

static void test_unknown_student_provider_rejected(void **state)
{
	expect_error("student:\n  provider: none\n",
		     "t.yaml:2: key 'student.provider': expected one of builtin, openai, got "
		     "'none'");
}

static void test_unknown_teacher_provider_rejected(void **state)
{
	expect_error("teacher:\n  provider: builtin\n",
		     "t.yaml:2: key 'teacher.provider': expected one of none, openai, got "
		     "'builtin'");
}

static void test_unknown_runner_rejected(void **state)
{
	expect_error("learning:\n  training:\n    runner: docker\n",
		     "t.yaml:3: key 'learning.training.runner': expected one of supervised, "
		     "systemd, got 'docker'");
}

static void test_unknown_log_level_rejected(void **state)
{
	expect_error("log:\n  level: verbose\n",
		     "t.yaml:2: key 'log.level': expected one of debug, info, warn, error, got "
		     "'verbose'");
}

static void test_endpoint_must_be_http_url(void **state)
{
	expect_error("teacher:\n  endpoint: api.openai.com/v1\n",
		     "t.yaml:2: key 'teacher.endpoint': expected an http:// or https:// URL, got "
		     "'api.openai.com/v1'");
}

static void test_api_key_env_must_be_variable_name(void **state)
{
	expect_error_prefix("teacher:\n  api_key_env: ../../etc/passwd\n",
			    "t.yaml:2: key 'teacher.api_key_env': expected an environment "
			    "variable name");
}

static void test_failed_load_leaves_config_unchanged(void **state)
{
	struct mn_config c;
	struct mn_err err = MN_ERR_INIT;
	const char *bad = "encoding: {workers: 4}\nlog: {level: loud}\n";

	mn_config_init(&c);
	assert_int_equal(mn_config_load_string(&c, bad, strlen(bad), "x", &err), MN_EINVAL);
	assert_defaults(&c);
	mn_config_release(&c);
}

static void test_config_over_size_limit_rejected(void **state)
{
	char *path = join(*state, "big.yaml");
	char *text = mn_xmalloc(MN_LIMIT_CONFIG_BYTES + 2);
	struct mn_config c;
	struct mn_err err = MN_ERR_INIT;

	memset(text, '#', MN_LIMIT_CONFIG_BYTES + 1);
	text[MN_LIMIT_CONFIG_BYTES + 1] = '\0';
	tu_write(path, text);
	mn_config_init(&c);
	assert_int_equal(mn_config_load(&c, path, &err), MN_EINVAL);
	assert_non_null(strstr(err.msg, "larger than"));
	mn_config_release(&c);
	free(text);
	free(path);
}

/* ---- windows and durations ---- */

static void test_malformed_window_rejected(void **state)
{
	expect_error("learning:\n  trigger:\n    window: 2-6\n",
		     "t.yaml:3: key 'learning.trigger.window': expected a local time window "
		     "\"HH:MM-HH:MM\" (24-hour), got '2-6'");
	expect_error_prefix("learning: {trigger: {window: \"25:00-06:00\"}}\n",
			    "t.yaml:1: key 'learning.trigger.window': expected a local time window");
	expect_error_prefix("learning: {trigger: {window: \"02:00 06:00\"}}\n",
			    "t.yaml:1: key 'learning.trigger.window': expected a local time window");
	expect_error_prefix("learning: {trigger: {window: ~}}\n",
			    "t.yaml:1: key 'learning.trigger.window': expected a local time window");
}

static void test_window_may_wrap_midnight(void **state)
{
	struct mn_config c;
	struct mn_err err = MN_ERR_INIT;

	assert_int_equal(load(&c, &err, "learning: {trigger: {window: \"22:00-04:30\"}}\n"), 0);
	assert_int_equal(c.learning.trigger.window_start_min, 22 * 60);
	assert_int_equal(c.learning.trigger.window_end_min, 4 * 60 + 30);
	assert_string_equal(c.learning.trigger.window, "22:00-04:30");
	mn_config_release(&c);
}

static void test_durations_take_units(void **state)
{
	struct mn_config c;
	struct mn_err err = MN_ERR_INIT;

	assert_int_equal(load(&c, &err, "dreaming: {interval: 3h, startup_delay: 90s}\n"), 0);
	assert_int_equal(c.dreaming.interval_ms, 10800000);
	assert_int_equal(c.dreaming.startup_delay_ms, 90000);
	mn_config_release(&c);
	assert_int_equal(load(&c, &err, "dreaming: {interval: 15m, startup_delay: 500ms}\n"), 0);
	assert_int_equal(c.dreaming.interval_ms, 900000);
	assert_int_equal(c.dreaming.startup_delay_ms, 500);
	mn_config_release(&c);
	assert_int_equal(load(&c, &err, "dreaming: {interval: 2d, startup_delay: 30}\n"), 0);
	assert_int_equal(c.dreaming.interval_ms, 2 * 86400000LL);
	assert_int_equal(c.dreaming.startup_delay_ms, 30000);
	mn_config_release(&c);
}

static void test_bad_duration_rejected(void **state)
{
	expect_error("dreaming:\n  interval: 3 hours\n",
		     "t.yaml:2: key 'dreaming.interval': expected a duration such as 500ms, 90s, "
		     "15m, 3h or 2d, got '3 hours'");
	expect_error("dreaming:\n  interval: 0s\n",
		     "t.yaml:2: key 'dreaming.interval': must be greater than zero");
}

/* ---- argv templates ---- */

static void test_argv_block_and_flow_sequences(void **state)
{
	struct mn_config c;
	struct mn_err err = MN_ERR_INIT;
	const struct mn_argv *a;

	assert_int_equal(load(&c, &err,
			      "learning:\n"
			      "  training:\n"
			      "    trainer:\n"
			      "      command:\n"
			      "        - sbatch\n"
			      "        - --wait\n"
			      "        - \"train job.sh\"\n"
			      "        - '{batch_dir}'\n"
			      "    hooks: {before: [a, 'b c', \"\"]}\n"),
			 0);
	a = &c.learning.training.trainer_command;
	assert_int_equal(a->n, 4);
	assert_string_equal(a->v[0], "sbatch");
	assert_string_equal(a->v[2], "train job.sh");
	assert_string_equal(a->v[3], "{batch_dir}");
	assert_null(a->v[4]);
	a = &c.learning.training.hooks_before;
	assert_int_equal(a->n, 3);
	assert_string_equal(a->v[1], "b c");
	assert_string_equal(a->v[2], "");
	mn_config_release(&c);
}

static void test_argv_null_or_empty_clears(void **state)
{
	struct mn_config c;
	struct mn_err err = MN_ERR_INIT;
	const char *set = "learning: {registry: {deploy_command: [reload, x]}}\n";
	const char *clear = "learning: {registry: {deploy_command: []}}\n";
	const char *unset = "learning: {registry: {deploy_command: ~}}\n";

	mn_config_init(&c);
	assert_int_equal(mn_config_load_string(&c, set, strlen(set), "a", &err), 0);
	assert_int_equal(c.learning.registry.deploy_command.n, 2);
	assert_int_equal(mn_config_load_string(&c, clear, strlen(clear), "b", &err), 0);
	assert_int_equal(c.learning.registry.deploy_command.n, 0);
	assert_null(c.learning.registry.deploy_command.v);
	assert_int_equal(mn_config_load_string(&c, set, strlen(set), "a", &err), 0);
	assert_int_equal(mn_config_load_string(&c, unset, strlen(unset), "c", &err), 0);
	assert_null(c.learning.registry.deploy_command.v);
	mn_config_release(&c);
}

static void test_argv_rejects_plain_string(void **state)
{
	expect_error("learning:\n  training:\n    trainer:\n      command: python3 train.py\n",
		     "t.yaml:4: key 'learning.training.trainer.command': expected a sequence of "
		     "strings such as [program, arg], got a scalar (commands run without a shell)");
}

static void test_argv_rejects_nested_item(void **state)
{
	expect_error("learning:\n  training:\n    hooks:\n      after:\n        - x\n"
		     "        - [y]\n",
		     "t.yaml:6: key 'learning.training.hooks.after': item 2: expected a string, "
		     "got a sequence");
}

static void test_argv_rejects_empty_program(void **state)
{
	expect_error("learning: {training: {evaluate: {serve_command: ['', x]}}}\n",
		     "t.yaml:1: key 'learning.training.evaluate.serve_command': the program "
		     "(first item) is empty");
}

static void test_argv_rejects_too_many_items(void **state)
{
	struct mn_buf b = MN_BUF_INIT;

	mn_buf_adds(&b, "learning: {training: {trainer: {command: [");
	for (int i = 0; i <= MN_LIMIT_ARGV; i++)
		mn_buf_addf(&b, "%sa%d", i ? ", " : "", i);
	mn_buf_adds(&b, "]}}}\n");
	expect_error_prefix(mn_buf_str(&b),
			    "t.yaml:1: key 'learning.training.trainer.command': has 65 items");
	mn_buf_release(&b);
}

static void test_argv_copy_is_deep(void **state)
{
	struct mn_config c;
	struct mn_err err = MN_ERR_INIT;
	struct mn_argv copy;

	assert_int_equal(load(&c, &err, "learning: {training: {hooks: {after: [a, b]}}}\n"), 0);
	mn_argv_copy(&copy, &c.learning.training.hooks_after);
	mn_config_release(&c);
	assert_int_equal(copy.n, 2);
	assert_string_equal(copy.v[1], "b");
	assert_null(copy.v[2]);
	mn_argv_release(&copy);
	mn_argv_release(&copy);
}

/* ---- YAML syntax ---- */

static void test_yaml_syntax_error_names_file_and_line(void **state)
{
	struct mn_config c;
	struct mn_err err = MN_ERR_INIT;

	assert_int_equal(load(&c, &err, "log:\n  level: info\n  file: [a\n"), MN_EINVAL);
	assert_true(!strncmp(err.msg, "t.yaml:", 7));
	assert_non_null(strstr(err.msg, "YAML syntax error"));
	mn_config_release(&c);
	assert_int_equal(load(&c, &err, "log:\n  level: info\n bad: x\n"), MN_EINVAL);
	assert_true(!strncmp(err.msg, "t.yaml:3: YAML syntax error: ", 29));
	mn_config_release(&c);
}

static void test_invalid_utf8_is_syntax_error(void **state)
{
	expect_error_prefix("log:\n  file: \"\xff\"\n", "t.yaml:2: YAML syntax error: ");
}

static void test_second_document_rejected(void **state)
{
	expect_error("log: {level: info}\n---\nlog: {level: warn}\n",
		     "t.yaml:3: more than one YAML document; a config file holds one");
}

static void test_document_after_empty_one_rejected(void **state)
{
	expect_error("---\n---\nlog: {level: warn}\n",
		     "t.yaml:3: more than one YAML document; a config file holds one");
}

/* ---- resolution ---- */

static void test_missing_explicit_file_is_error(void **state)
{
	char *path = join(*state, "nope.yaml");
	char *want = mn_xasprintf("config file '%s' (from --config) does not exist", path);
	struct mn_config c;
	struct mn_err err = MN_ERR_INIT;

	mn_config_init(&c);
	assert_int_equal(mn_config_open(&c, path, &err), MN_ENOTFOUND);
	assert_string_equal(err.msg, want);
	mn_config_release(&c);
	free(want);
	free(path);
}

static void test_missing_env_file_is_error(void **state)
{
	char *path = join(*state, "nope.yaml");
	struct mn_config c;
	struct mn_err err = MN_ERR_INIT;

	setenv("MNEMO_CONFIG", path, 1);
	mn_config_init(&c);
	assert_int_equal(mn_config_open(&c, NULL, &err), MN_ENOTFOUND);
	assert_non_null(strstr(err.msg, "$MNEMO_CONFIG"));
	mn_config_release(&c);
	free(path);
}

static void test_resolve_order(void **state)
{
	const char *home = *state;
	char *want;
	char *p;
	bool must = false;

	/* nothing set: ~/.config */
	p = mn_config_resolve_path(NULL, &must);
	want = join(home, ".config/mnemo/config.yaml");
	assert_string_equal(p, want);
	assert_false(must);
	free(p);
	free(want);
	/* a relative XDG_CONFIG_HOME is ignored, an absolute one wins over HOME */
	setenv("XDG_CONFIG_HOME", "relative/dir", 1);
	p = mn_config_resolve_path(NULL, &must);
	want = join(home, ".config/mnemo/config.yaml");
	assert_string_equal(p, want);
	free(p);
	free(want);
	setenv("XDG_CONFIG_HOME", "/xdg/conf", 1);
	p = mn_config_resolve_path(NULL, &must);
	assert_string_equal(p, "/xdg/conf/mnemo/config.yaml");
	assert_false(must);
	free(p);
	/* $MNEMO_CONFIG over XDG */
	setenv("MNEMO_CONFIG", "/env/mnemo.yaml", 1);
	p = mn_config_resolve_path(NULL, &must);
	assert_string_equal(p, "/env/mnemo.yaml");
	assert_true(must);
	free(p);
	/* --config over everything */
	must = false;
	p = mn_config_resolve_path("/cli/c.yaml", &must);
	assert_string_equal(p, "/cli/c.yaml");
	assert_true(must);
	free(p);
}

static void test_open_reads_xdg_default(void **state)
{
	char *dir = join(*state, "conf/mnemo");
	char *path = join(*state, "conf/mnemo/config.yaml");
	char *xdg = join(*state, "conf");
	struct mn_config c;
	struct mn_err err = MN_ERR_INIT;

	assert_int_equal(mn_file_mkdir_p(dir, 0700, &err), 0);
	tu_write(path, "encoding: {workers: 3}\n");
	setenv("XDG_CONFIG_HOME", xdg, 1);
	mn_config_init(&c);
	assert_int_equal(mn_config_open(&c, NULL, &err), 0);
	assert_string_equal(c.path, path);
	assert_int_equal(c.encoding.workers, 3);
	mn_config_release(&c);
	free(dir);
	free(path);
	free(xdg);
}

static void test_data_home_order(void **state)
{
	char *p = mn_config_data_home();
	char *want = join(*state, ".local/share/mnemo");

	assert_string_equal(p, want);
	free(p);
	free(want);
	setenv("XDG_DATA_HOME", "/xdg/data", 1);
	p = mn_config_data_home();
	assert_string_equal(p, "/xdg/data/mnemo");
	free(p);
	setenv("MNEMO_HOME", "/srv/mnemo", 1);
	p = mn_config_data_home();
	assert_string_equal(p, "/srv/mnemo");
	free(p);
}

/* An MCP client starts mnemo in a directory nobody chose: a relative
 * MNEMO_HOME would be a different data home each time. */
static void test_open_refuses_relative_mnemo_home(void **state)
{
	struct mn_config c;
	struct mn_err err = MN_ERR_INIT;

	(void)state;
	setenv("MNEMO_HOME", "data/mnemo", 1);
	mn_config_init(&c);
	assert_int_equal(mn_config_open(&c, NULL, &err), MN_EINVAL);
	assert_non_null(strstr(err.msg, "MNEMO_HOME 'data/mnemo' is a relative path"));
	mn_config_release(&c);
	setenv("MNEMO_HOME", "~/mnemo", 1); /* no shell expanded it: relative too */
	mn_config_init(&c);
	assert_int_equal(mn_config_open(&c, NULL, &err), MN_EINVAL);
	mn_config_release(&c);
}

static void test_open_refuses_relative_mnemo_config(void **state)
{
	char *path = join(*state, "c.yaml");
	struct mn_config c;
	struct mn_err err = MN_ERR_INIT;

	tu_write(path, "encoding: {workers: 2}\n");
	setenv("MNEMO_CONFIG", "c.yaml", 1);
	mn_config_init(&c);
	assert_int_equal(mn_config_open(&c, NULL, &err), MN_EINVAL);
	assert_non_null(strstr(err.msg, "MNEMO_CONFIG 'c.yaml' is a relative path"));
	mn_config_release(&c);
	/* --config is typed by the user in their own directory: it wins, and
	 * the variable it overrides is not looked at. */
	mn_config_init(&c);
	assert_int_equal(mn_config_open(&c, path, &err), 0);
	assert_int_equal(c.encoding.workers, 2);
	mn_config_release(&c);
	free(path);
}

static void test_open_refuses_unknown_log_level_env(void **state)
{
	struct mn_config c;
	struct mn_err err = MN_ERR_INIT;

	(void)state;
	setenv("MNEMO_LOG_LEVEL", "verbose", 1);
	mn_config_init(&c);
	assert_int_equal(mn_config_open(&c, NULL, &err), MN_EINVAL);
	assert_string_equal(err.msg, "MNEMO_LOG_LEVEL 'verbose' is not a log level; use one of "
				     "debug, info, warn, error");
	mn_config_release(&c);
}

static void test_log_level_env_overrides_file(void **state)
{
	char *path = join(*state, "c.yaml");
	struct mn_config c;
	struct mn_err err = MN_ERR_INIT;

	tu_write(path, "log: {level: error}\n");
	setenv("MNEMO_LOG_LEVEL", "debug", 1);
	mn_config_init(&c);
	assert_int_equal(mn_config_open(&c, path, &err), 0);
	assert_string_equal(c.log.level, "debug");
	mn_config_release(&c);
	setenv("MNEMO_LOG_LEVEL", "", 1); /* empty is unset */
	mn_config_init(&c);
	assert_int_equal(mn_config_open(&c, path, &err), 0);
	assert_string_equal(c.log.level, "error");
	mn_config_release(&c);
	free(path);
}

/* ---- API keys ---- */

static void write_key(const char *home, const char *name, const char *text, mode_t mode)
{
	char *dir = join(home, "keys");
	char *path = mn_xasprintf("%s/%s", dir, name);
	struct mn_err err = MN_ERR_INIT;

	assert_int_equal(mn_file_mkdir_p(dir, 0700, &err), 0);
	tu_write(path, text);
	assert_int_equal(chmod(path, mode), 0);
	free(dir);
	free(path);
}

static void test_api_key_from_env(void **state)
{
	struct mn_model_cfg m = { NULL, NULL, "gpt", "MN_TEST_KEY", 120 };
	struct mn_err err = MN_ERR_INIT;
	char *key = NULL;

	setenv("MN_TEST_KEY", "sk-env-123\n", 1);
	write_key(*state, "MN_TEST_KEY", "sk-file\n", 0600);
	assert_int_equal(mn_config_api_key(&key, &m, *state, &err), 0);
	assert_string_equal(key, "sk-env-123");
	free(key);
}

static void test_api_key_file_0600_accepted(void **state)
{
	struct mn_model_cfg m = { NULL, NULL, "gpt", "MN_TEST_KEY", 120 };
	struct mn_err err = MN_ERR_INIT;
	char *key = NULL;

	setenv("MN_TEST_KEY", "", 1); /* empty counts as unset */
	write_key(*state, "MN_TEST_KEY", "sk-file-456\r\n", 0600);
	assert_int_equal(mn_config_api_key(&key, &m, *state, &err), 0);
	assert_string_equal(key, "sk-file-456");
	free(key);
}

static void test_api_key_file_0644_refused(void **state)
{
	struct mn_model_cfg m = { NULL, NULL, "gpt", "MN_TEST_KEY", 120 };
	struct mn_err err = MN_ERR_INIT;
	char *key = NULL;

	write_key(*state, "MN_TEST_KEY", "sk-secret-789\n", 0644);
	assert_int_equal(mn_config_api_key(&key, &m, *state, &err), MN_EINVAL);
	assert_null(key);
	assert_non_null(strstr(err.msg, "mode 0644"));
	assert_non_null(strstr(err.msg, "chmod 600"));
	assert_null(strstr(err.msg, "sk-secret"));
}

static void test_api_key_file_named_by_model(void **state)
{
	struct mn_model_cfg m = { NULL, NULL, "gemini-2.0-flash", NULL, 120 };
	struct mn_err err = MN_ERR_INIT;
	char *key = NULL;

	write_key(*state, "gemini-2.0-flash", "g-key\n", 0600);
	assert_int_equal(mn_config_api_key(&key, &m, *state, &err), 0);
	assert_string_equal(key, "g-key");
	free(key);
}

static void test_api_key_none_configured_is_null(void **state)
{
	struct mn_model_cfg m = { NULL, NULL, "qwen", NULL, 120 };
	struct mn_model_cfg slash = { NULL, NULL, "org/model", NULL, 120 };
	struct mn_err err = MN_ERR_INIT;
	char *key = (char *)"x";

	assert_int_equal(mn_config_api_key(&key, &m, *state, &err), 0);
	assert_null(key);
	assert_int_equal(mn_config_api_key(&key, &slash, *state, &err), 0);
	assert_null(key);
}

static void test_api_key_named_but_missing_is_not_found(void **state)
{
	struct mn_model_cfg m = { NULL, NULL, "qwen", "MN_TEST_KEY", 120 };
	struct mn_err err = MN_ERR_INIT;
	char *key = NULL;

	assert_int_equal(mn_config_api_key(&key, &m, *state, &err), MN_ENOTFOUND);
	assert_null(key);
	assert_non_null(strstr(err.msg, "$MN_TEST_KEY is not set"));
}

static void test_api_key_with_two_lines_refused(void **state)
{
	struct mn_model_cfg m = { NULL, NULL, "gpt", "MN_TEST_KEY", 120 };
	struct mn_err err = MN_ERR_INIT;
	char *key = NULL;

	write_key(*state, "MN_TEST_KEY", "sk-one\nsk-two\n", 0600);
	assert_int_equal(mn_config_api_key(&key, &m, *state, &err), MN_EINVAL);
	assert_null(key);
	assert_null(strstr(err.msg, "sk-"));
}

/* A FIFO in keys/ made `remember` wait forever for a writer in open(2).
 * The alarm turns a hang back into a failure. */
static void test_api_key_fifo_refused_without_blocking(void **state)
{
	struct mn_model_cfg m = { NULL, NULL, "gpt", "MN_TEST_KEY", 120 };
	struct mn_err err = MN_ERR_INIT;
	char *dir = join(*state, "keys");
	char *path = mn_xasprintf("%s/MN_TEST_KEY", dir);
	char *key = NULL;

	setenv("MN_TEST_KEY", "", 1);
	assert_int_equal(mn_file_mkdir_p(dir, 0700, &err), 0);
	assert_int_equal(mkfifo(path, 0600), 0);
	alarm(10);
	assert_int_equal(mn_config_api_key(&key, &m, *state, &err), MN_EINVAL);
	alarm(0);
	assert_null(key);
	assert_non_null(strstr(err.msg, "not a regular file"));
	free(dir);
	free(path);
}

/* The file judged is the one in keys/: a link is refused, not followed. */
static void test_api_key_symlink_refused(void **state)
{
	struct mn_model_cfg m = { NULL, NULL, "gpt", "MN_TEST_KEY", 120 };
	struct mn_err err = MN_ERR_INIT;
	char *target = mn_xasprintf("%s/keys/real", (const char *)*state);
	char *link = mn_xasprintf("%s/keys/MN_TEST_KEY", (const char *)*state);
	char *key = NULL;

	setenv("MN_TEST_KEY", "", 1);
	write_key(*state, "real", "sk-linked\n", 0600);
	assert_int_equal(symlink(target, link), 0);
	assert_int_equal(mn_config_api_key(&key, &m, *state, &err), MN_EINVAL);
	assert_null(key);
	assert_non_null(strstr(err.msg, "symbolic link"));
	free(target);
	free(link);
}

static void test_api_key_default_home_is_data_home(void **state)
{
	struct mn_model_cfg m = { NULL, NULL, "gpt", "MN_TEST_KEY", 120 };
	struct mn_err err = MN_ERR_INIT;
	char *home = join(*state, "data");
	char *key = NULL;

	setenv("MNEMO_HOME", home, 1);
	write_key(home, "MN_TEST_KEY", "sk-home\n", 0600);
	assert_int_equal(mn_config_api_key(&key, &m, NULL, &err), 0);
	assert_string_equal(key, "sk-home");
	free(key);
	free(home);
}

/* ---- cross-field checks ---- */

static void test_openai_student_needs_endpoint_and_model(void **state)
{
	expect_error("student:\n  provider: openai\n",
		     "t.yaml:2: key 'student.provider': openai needs student.endpoint and "
		     "student.model");
	expect_error("student:\n  provider: openai\n  endpoint: http://127.0.0.1:8080/v1\n",
		     "t.yaml:2: key 'student.provider': openai needs student.model");
}

static void test_openai_teacher_needs_endpoint_and_model(void **state)
{
	expect_error("teacher:\n  model: gpt-4o\n  provider: openai\n",
		     "t.yaml:3: key 'teacher.provider': openai needs teacher.endpoint");
}

static void test_builtin_student_needs_nothing(void **state)
{
	struct mn_config c;
	struct mn_err err = MN_ERR_INIT;

	assert_int_equal(load(&c, &err, "student: {provider: builtin}\nteacher: {provider: none}\n"),
			 0);
	mn_config_release(&c);
}

/* ---- JSON view ---- */

static void test_to_json_never_contains_key_value(void **state)
{
	struct mn_config c;
	struct mn_err err = MN_ERR_INIT;
	json_t *j;
	char *text;

	setenv("MN_TEST_KEY", "sk-topsecret", 1);
	write_key(*state, "gpt-4o-mini", "sk-filesecret\n", 0600);
	assert_int_equal(load(&c, &err,
			      "teacher: {provider: openai, endpoint: 'https://api.openai.com/v1',"
			      " model: gpt-4o-mini, api_key_env: MN_TEST_KEY}\n"),
			 0);
	j = mn_config_to_json(&c);
	text = mn_json_dumps(j);
	assert_null(strstr(text, "sk-"));
	assert_null(strstr(text, "secret"));
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "teacher"),
							      "api_key_env")),
			    "MN_TEST_KEY");
	free(text);
	json_decref(j);
	mn_config_release(&c);
}

static void test_to_json_shape(void **state)
{
	struct mn_config c;
	json_t *j, *training;

	mn_config_init(&c);
	j = mn_config_to_json(&c);
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "dreaming"),
							      "interval")),
			    "3h");
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "dreaming"),
							      "startup_delay")),
			    "90s");
	training = json_object_get(json_object_get(j, "learning"), "training");
	assert_true(json_is_null(json_object_get(json_object_get(training, "trainer"),
						 "command")));
	assert_int_equal(json_integer_value(json_object_get(training, "seed")), 42);
	assert_true(json_is_true(json_object_get(json_object_get(json_object_get(j, "learning"),
								   "trigger"),
						 "auto")));
	json_decref(j);
	mn_config_release(&c);
}

static void test_to_json_reads_back_as_config(void **state)
{
	struct mn_config c, back;
	struct mn_err err = MN_ERR_INIT;
	json_t *j, *j2;
	char *text;

	assert_int_equal(load(&c, &err, every_key), 0);
	j = mn_config_to_json(&c);
	text = mn_json_dumps(j);
	/* JSON is YAML: the view loads as a config and gives the same view. */
	mn_config_init(&back);
	assert_int_equal(mn_config_load_string(&back, text, strlen(text), "json", &err), 0);
	j2 = mn_config_to_json(&back);
	assert_true(json_equal(j, j2));
	free(text);
	json_decref(j);
	json_decref(j2);
	mn_config_release(&c);
	mn_config_release(&back);
}

/* ---- the shipped example and docs ---- */

/* Dotted paths of the leaves of a JSON object into `out` (as keys). */
static void json_leaves(json_t *out, const json_t *obj, const char *prefix)
{
	const char *k;
	json_t *v;

	json_object_foreach((json_t *)obj, k, v) {
		char *path = prefix ? mn_xasprintf("%s.%s", prefix, k) : mn_xstrdup(k);

		if (json_is_object(v))
			json_leaves(out, v, path);
		else
			json_object_set_new(out, path, json_true());
		free(path);
	}
}

/* Dotted paths of the leaves of a YAML mapping (sequences count as leaves). */
static void yaml_leaves(json_t *out, yaml_document_t *doc, yaml_node_t *map, const char *prefix)
{
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = yaml_document_get_node(doc, p->key);
		yaml_node_t *v = yaml_document_get_node(doc, p->value);
		const char *name = (const char *)k->data.scalar.value;
		char *path = prefix ? mn_xasprintf("%s.%s", prefix, name) : mn_xstrdup(name);

		if (v->type == YAML_MAPPING_NODE)
			yaml_leaves(out, doc, v, path);
		else
			json_object_set_new(out, path, json_true());
		free(path);
	}
}

static void test_example_config_equals_defaults(void **state)
{
	char *path = tu_src_path("contrib/config.example.yaml");
	struct mn_config def, ex;
	struct mn_err err = MN_ERR_INIT;
	json_t *jd, *je;

	mn_config_init(&def);
	mn_config_init(&ex);
	if (mn_config_load(&ex, path, &err))
		fail_msg("%s", err.msg);
	jd = mn_config_to_json(&def);
	je = mn_config_to_json(&ex);
	if (!json_equal(jd, je)) {
		char *a = mn_json_dumps(jd), *b = mn_json_dumps(je);

		fail_msg("example differs from defaults:\n%s\n%s", a, b);
	}
	json_decref(jd);
	json_decref(je);
	mn_config_release(&def);
	mn_config_release(&ex);
	free(path);
}

static void test_example_config_sets_every_key(void **state)
{
	char *path = tu_src_path("contrib/config.example.yaml");
	struct mn_buf text = MN_BUF_INIT;
	struct mn_err err = MN_ERR_INIT;
	struct mn_config def;
	yaml_parser_t parser;
	yaml_document_t doc;
	json_t *want = json_object(), *have = json_object(), *jd;
	const char *k;
	json_t *v;

	assert_int_equal(mn_file_read(&text, path, MN_LIMIT_CONFIG_BYTES, &err), 0);
	assert_true(yaml_parser_initialize(&parser));
	yaml_parser_set_input_string(&parser, (const unsigned char *)text.data, text.len);
	assert_true(yaml_parser_load(&parser, &doc));
	yaml_leaves(have, &doc, yaml_document_get_root_node(&doc), NULL);
	mn_config_init(&def);
	jd = mn_config_to_json(&def);
	json_leaves(want, jd, NULL);
	json_object_foreach(want, k, v) {
		if (!json_object_get(have, k))
			fail_msg("contrib/config.example.yaml does not set '%s'", k);
	}
	json_decref(jd);
	json_decref(want);
	json_decref(have);
	mn_config_release(&def);
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	mn_buf_release(&text);
	free(path);
}

static void test_docs_name_every_key(void **state)
{
	char *path = tu_src_path("docs/configuration.md");
	struct mn_buf text = MN_BUF_INIT;
	struct mn_err err = MN_ERR_INIT;
	struct mn_config def;
	json_t *want = json_object(), *jd;
	const char *k;
	json_t *v;

	assert_int_equal(mn_file_read(&text, path, MN_LIMIT_CONFIG_BYTES, &err), 0);
	mn_config_init(&def);
	jd = mn_config_to_json(&def);
	json_leaves(want, jd, NULL);
	json_object_foreach(want, k, v) {
		char *needle = mn_xasprintf("`%s`", k);

		if (!strstr(text.data, needle))
			fail_msg("docs/configuration.md does not document %s", needle);
		free(needle);
	}
	json_decref(jd);
	json_decref(want);
	mn_config_release(&def);
	mn_buf_release(&text);
	free(path);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_defaults_without_file),
		T(test_open_refuses_relative_mnemo_home),
		T(test_open_refuses_relative_mnemo_config),
		T(test_open_refuses_unknown_log_level_env),
		T(test_log_level_env_overrides_file),
		T(test_empty_file_gives_defaults),
		T(test_comments_only_gives_defaults),
		T(test_every_section_overridden),
		T(test_partial_file_keeps_other_defaults),
		T(test_null_section_is_empty),
		T(test_null_and_empty_string_unset),
		T(test_tilde_in_path_keys_expands_to_home),
		T(test_anchors_and_aliases_allowed),
		T(test_unknown_key_names_file_line_and_key),
		T(test_unknown_top_level_key),
		T(test_dotted_key_is_unknown),
		T(test_unknown_key_in_real_file_names_path),
		T(test_duplicate_key_rejected),
		T(test_integer_key_rejects_text),
		T(test_integer_key_rejects_fraction),
		T(test_integer_key_rejects_quoted_string),
		T(test_bool_key_rejects_yes),
		T(test_number_key_rejects_sequence),
		T(test_section_rejects_scalar),
		T(test_string_key_rejects_mapping),
		T(test_root_must_be_mapping),
		T(test_fraction_above_one_rejected),
		T(test_negative_fraction_rejected),
		T(test_zero_workers_rejected),
		T(test_negative_count_rejected),
		T(test_negative_seed_rejected),
		T(test_max_text_bytes_over_ceiling_rejected),
		T(test_unknown_student_provider_rejected),
		T(test_unknown_teacher_provider_rejected),
		T(test_unknown_runner_rejected),
		T(test_unknown_log_level_rejected),
		T(test_endpoint_must_be_http_url),
		T(test_api_key_env_must_be_variable_name),
		T(test_failed_load_leaves_config_unchanged),
		T(test_config_over_size_limit_rejected),
		T(test_malformed_window_rejected),
		T(test_window_may_wrap_midnight),
		T(test_durations_take_units),
		T(test_bad_duration_rejected),
		T(test_argv_block_and_flow_sequences),
		T(test_argv_null_or_empty_clears),
		T(test_argv_rejects_plain_string),
		T(test_argv_rejects_nested_item),
		T(test_argv_rejects_empty_program),
		T(test_argv_rejects_too_many_items),
		T(test_argv_copy_is_deep),
		T(test_yaml_syntax_error_names_file_and_line),
		T(test_invalid_utf8_is_syntax_error),
		T(test_second_document_rejected),
		T(test_document_after_empty_one_rejected),
		T(test_missing_explicit_file_is_error),
		T(test_missing_env_file_is_error),
		T(test_resolve_order),
		T(test_open_reads_xdg_default),
		T(test_data_home_order),
		T(test_api_key_from_env),
		T(test_api_key_file_0600_accepted),
		T(test_api_key_file_0644_refused),
		T(test_api_key_file_named_by_model),
		T(test_api_key_none_configured_is_null),
		T(test_api_key_named_but_missing_is_not_found),
		T(test_api_key_with_two_lines_refused),
		T(test_api_key_fifo_refused_without_blocking),
		T(test_api_key_symlink_refused),
		T(test_api_key_default_home_is_data_home),
		T(test_openai_student_needs_endpoint_and_model),
		T(test_openai_teacher_needs_endpoint_and_model),
		T(test_builtin_student_needs_nothing),
		T(test_to_json_never_contains_key_value),
		T(test_to_json_shape),
		T(test_to_json_reads_back_as_config),
		T(test_example_config_equals_defaults),
		T(test_example_config_sets_every_key),
		T(test_docs_name_every_key),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
