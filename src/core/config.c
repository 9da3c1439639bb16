#include "core/config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "base/buf.h"
#include "base/file.h"
#include "base/limits.h"
#include "base/mem.h"
#include "base/text.h"

/*
 * Every key of the file is one row of `keys` below: its dotted path, its
 * kind and where it lives in struct mn_config. Parsing, copying, freeing
 * and the JSON view all walk this one table, so a key cannot be known to
 * one of them and missing from another. Defaults live in mn_config_init,
 * next to the header's comments.
 */

/* Timeouts are turned into milliseconds in an int by their users: 7 days
 * keeps 1000 * s far from INT_MAX. */
#define MAX_TIMEOUT_S (7 * 24 * 3600)
#define MAX_HOURS 8760.0 /* cooldowns: one year */
#define MAX_COUNT 100000000
#define MAX_ENV_NAME 128
#define KEY_FILE_MAX 16384 /* an API key file; real keys are < 1 KiB */

enum kind {
	K_SECTION,  /* a mapping of further keys */
	K_STR,      /* string; null or "" = unset (NULL) */
	K_PATH,     /* K_STR with a leading "~/" expanded to $HOME */
	K_URL,      /* K_STR that must start with http:// or https:// */
	K_ENVNAME,  /* K_STR that must be an environment variable name */
	K_ENUM,     /* one of `choices` ("a|b") */
	K_BOOL,
	K_INT,      /* int within [imin, imax] */
	K_I64,      /* int64_t within [imin, imax] */
	K_REAL,     /* double within [dmin, dmax] */
	K_DURATION, /* "90s"/"15m"/"3h"/"2d"/"500ms" or seconds -> int64_t ms >= imin */
	K_WINDOW,   /* "HH:MM-HH:MM" string + the two minute fields of trigger */
	K_ARGV,     /* sequence of strings -> struct mn_argv */
};

struct key {
	const char *path;
	enum kind kind;
	size_t off;
	int64_t imin, imax;
	double dmin, dmax;
	const char *choices;
};

/* log.level and $MNEMO_LOG_LEVEL take the same names. */
#define LOG_LEVELS "debug|info|warn|error"

#define OFF(f) offsetof(struct mn_config, f)
#define SECTION(p) { p, K_SECTION, 0, 0, 0, 0, 0, NULL }
#define SKEY(p, k, f) { p, k, OFF(f), 0, 0, 0, 0, NULL }
#define ENUM(p, f, ch) { p, K_ENUM, OFF(f), 0, 0, 0, 0, ch }
#define BOOL(p, f) { p, K_BOOL, OFF(f), 0, 0, 0, 0, NULL }
#define INT(p, f, lo, hi) { p, K_INT, OFF(f), lo, hi, 0, 0, NULL }
#define I64(p, f, lo, hi) { p, K_I64, OFF(f), lo, hi, 0, 0, NULL }
#define REAL(p, f, lo, hi) { p, K_REAL, OFF(f), 0, 0, lo, hi, NULL }
#define DURATION(p, f, lo) { p, K_DURATION, OFF(f), lo, INT64_MAX, 0, 0, NULL }
#define ARGV(p, f) { p, K_ARGV, OFF(f), 0, MN_LIMIT_ARGV, 0, 0, NULL }

// NOLINTBEGIN(bugprone-macro-parentheses): sec is pasted before a field name (sec.provider), where parentheses are impossible
#define MODEL_KEYS(sec, providers)                                              \
	SECTION(#sec), ENUM(#sec ".provider", sec.provider, providers),          \
		SKEY(#sec ".endpoint", K_URL, sec.endpoint),                     \
		SKEY(#sec ".model", K_STR, sec.model),                           \
		SKEY(#sec ".api_key_env", K_ENVNAME, sec.api_key_env),           \
		INT(#sec ".timeout_s", sec.timeout_s, 1, MAX_TIMEOUT_S)
// NOLINTEND(bugprone-macro-parentheses)

static const struct key keys[] = {
	SKEY("project", K_STR, project),
	MODEL_KEYS(student, "builtin|openai"),
	MODEL_KEYS(teacher, "none|openai"),
	MODEL_KEYS(embedding, "none|openai"),
	INT("embedding.dimensions", embedding_dimensions, 0, MN_CONFIG_EMBED_DIM_MAX),
	INT("embedding.query_timeout_ms", embedding_query_timeout_ms, 50, 60000),
	REAL("embedding.weight", embedding_weight, 0, 1),
	ENUM("embedding.index", embedding_index, "auto|exact|hnsw"),
	I64("embedding.index_min", embedding_index_min, 1, 1000000000),

	SECTION("encoding"),
	INT("encoding.max_input_chars", encoding.max_input_chars, 1, MN_LIMIT_TEXT_BYTES_MAX),
	I64("encoding.max_text_bytes", encoding.max_text_bytes, 1, MN_LIMIT_TEXT_BYTES_MAX),
	INT("encoding.workers", encoding.workers, 1, 64),
	INT("encoding.max_attempts", encoding.max_attempts, 1, 100),

	SECTION("dreaming"),
	DURATION("dreaming.interval", dreaming.interval_ms, 1),
	DURATION("dreaming.startup_delay", dreaming.startup_delay_ms, 0),

	SECTION("learning"),
	BOOL("learning.enabled", learning.enabled),
	REAL("learning.min_confidence", learning.min_confidence, 0, 1),

	SECTION("learning.curriculum"),
	INT("learning.curriculum.min_needs_improvement",
	    learning.curriculum.min_needs_improvement, 0, MAX_COUNT),
	INT("learning.curriculum.max_corrections_per_cycle",
	    learning.curriculum.max_corrections_per_cycle, 0, MAX_COUNT),
	REAL("learning.curriculum.cooldown_hours", learning.curriculum.cooldown_hours, 0,
	     MAX_HOURS),
	INT("learning.curriculum.max_correction_attempts",
	    learning.curriculum.max_correction_attempts, 1, 100),
	INT("learning.curriculum.max_calls_per_day", learning.curriculum.max_calls_per_day, 0,
	    MAX_COUNT),

	SECTION("learning.training"),
	INT("learning.training.min_new_examples", learning.training.min_new_examples, 1,
	    MAX_COUNT),
	INT("learning.training.min_labelled_examples", learning.training.min_labelled_examples, 1,
	    MAX_COUNT),
	INT("learning.training.max_examples_per_run", learning.training.max_examples_per_run, 1,
	    MAX_COUNT),
	REAL("learning.training.replay_ratio", learning.training.replay_ratio, 0, 1),
	SKEY("learning.training.replay_dataset", K_PATH, learning.training.replay_dataset),
	REAL("learning.training.holdout_fraction", learning.training.holdout_fraction, 0, 1),
	I64("learning.training.seed", learning.training.seed, 0, INT64_MAX),
	ENUM("learning.training.runner", learning.training.runner, "supervised|systemd"),
	SECTION("learning.training.trainer"),
	ARGV("learning.training.trainer.command", learning.training.trainer_command),
	INT("learning.training.trainer.timeout_s", learning.training.trainer_timeout_s, 1,
	    MAX_TIMEOUT_S),
	SECTION("learning.training.evaluate"),
	ARGV("learning.training.evaluate.serve_command", learning.training.evaluate_serve_command),
	SKEY("learning.training.evaluate.endpoint", K_URL, learning.training.evaluate_endpoint),
	SKEY("learning.training.evaluate.model", K_STR, learning.training.evaluate_model),
	INT("learning.training.evaluate.ready_timeout_s",
	    learning.training.evaluate_ready_timeout_s, 1, MAX_TIMEOUT_S),
	SECTION("learning.training.hooks"),
	ARGV("learning.training.hooks.before", learning.training.hooks_before),
	ARGV("learning.training.hooks.after", learning.training.hooks_after),
	BOOL("learning.training.pause_student", learning.training.pause_student),

	SECTION("learning.gate"),
	REAL("learning.gate.min_epr", learning.gate.min_epr, 0, 1),
	REAL("learning.gate.min_sc", learning.gate.min_sc, 0, 1),
	REAL("learning.gate.max_fr", learning.gate.max_fr, 0, 1),
	REAL("learning.gate.max_ted_rate", learning.gate.max_ted_rate, 0, 1),
	REAL("learning.gate.max_regression_pp", learning.gate.max_regression_pp, 0, 100),
	SKEY("learning.gate.probe_set", K_PATH, learning.gate.probe_set),

	SECTION("learning.trigger"),
	BOOL("learning.trigger.auto", learning.trigger.auto_),
	BOOL("learning.trigger.manual", learning.trigger.manual),
	SKEY("learning.trigger.window", K_WINDOW, learning.trigger.window),
	INT("learning.trigger.max_consecutive_failures",
	    learning.trigger.max_consecutive_failures, 1, 1000),
	REAL("learning.trigger.failure_cooldown_hours", learning.trigger.failure_cooldown_hours, 0,
	     MAX_HOURS),
	REAL("learning.trigger.success_cooldown_hours", learning.trigger.success_cooldown_hours, 0,
	     MAX_HOURS),

	SECTION("learning.registry"),
	INT("learning.registry.keep", learning.registry.keep, 0, 1000),
	ARGV("learning.registry.deploy_command", learning.registry.deploy_command),

	SECTION("learning.monitor"),
	INT("learning.monitor.window", learning.monitor.window, 1, MAX_COUNT),
	REAL("learning.monitor.max_drop_pp", learning.monitor.max_drop_pp, 0, 100),

	SECTION("learning.ranker"),
	BOOL("learning.ranker.enabled", learning.ranker.enabled),
	INT("learning.ranker.min_feedback", learning.ranker.min_feedback, 1, MAX_COUNT),
	INT("learning.ranker.holdout_pct", learning.ranker.holdout_pct, 0, 100),
	REAL("learning.ranker.min_gain", learning.ranker.min_gain, 0, 1),
	REAL("learning.ranker.max_regression", learning.ranker.max_regression, 0, 1),

	SECTION("log"),
	ENUM("log.level", log.level, LOG_LEVELS),
	SKEY("log.file", K_PATH, log.file),

	SECTION("http"),
	SKEY("http.listen", K_STR, http.listen),
	SKEY("http.token_file", K_PATH, http.token_file),
	ARGV("http.allowed_origins", http.allowed_origins),
};

#define NKEYS (sizeof(keys) / sizeof(keys[0]))

static bool is_string_kind(enum kind k)
{
	return k == K_STR || k == K_PATH || k == K_URL || k == K_ENVNAME || k == K_ENUM ||
	       k == K_WINDOW;
}

static void *field(struct mn_config *c, const struct key *k)
{
	return (char *)c + k->off;
}

static const void *cfield(const struct mn_config *c, const struct key *k)
{
	return (const char *)c + k->off;
}

static const struct key *find_key(const char *path)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (!strcmp(keys[i].path, path))
			return &keys[i];
	return NULL;
}

/* ---- argv templates ---- */

void mn_argv_release(struct mn_argv *a)
{
	if (!a)
		return;
	for (int i = 0; i < a->n; i++)
		free(a->v[i]);
	free(a->v);
	a->v = NULL;
	a->n = 0;
}

void mn_argv_copy(struct mn_argv *dst, const struct mn_argv *src)
{
	dst->v = NULL;
	dst->n = 0;
	if (!src || !src->v || src->n <= 0)
		return;
	dst->v = mn_xcalloc((size_t)src->n + 1, sizeof(*dst->v));
	for (int i = 0; i < src->n; i++)
		dst->v[i] = mn_xstrdup(src->v[i]);
	dst->n = src->n;
}

/* ---- lifecycle ---- */

void mn_config_init(struct mn_config *c)
{
	memset(c, 0, sizeof(*c));
	c->student.provider = mn_xstrdup("builtin");
	c->student.timeout_s = 120;
	c->teacher.provider = mn_xstrdup("none");
	c->teacher.timeout_s = 120;
	c->embedding.provider = mn_xstrdup("none");
	c->embedding.timeout_s = 30;
	c->embedding_query_timeout_ms = 2000;
	c->embedding_weight = 1.0;
	c->embedding_index = mn_xstrdup("auto");
	c->embedding_index_min = 50000; /* MN_VEC_INDEX_MIN_DEFAULT (store_vec.h) */

	c->encoding.max_input_chars = 8000;
	c->encoding.max_text_bytes = MN_LIMIT_TEXT_BYTES_DEFAULT;
	c->encoding.workers = 1;
	c->encoding.max_attempts = 3;

	c->dreaming.interval_ms = 3 * 3600 * 1000LL;
	c->dreaming.startup_delay_ms = 90 * 1000LL;

	c->learning.enabled = true;
	c->learning.min_confidence = 0.5;
	c->learning.curriculum.min_needs_improvement = 10;
	c->learning.curriculum.max_corrections_per_cycle = 20;
	c->learning.curriculum.cooldown_hours = 24;
	c->learning.curriculum.max_correction_attempts = 2;
	c->learning.curriculum.max_calls_per_day = 100;

	c->learning.training.min_new_examples = 50;
	c->learning.training.min_labelled_examples = 20;
	c->learning.training.max_examples_per_run = 200;
	c->learning.training.replay_ratio = 0.3;
	c->learning.training.holdout_fraction = 0.1;
	c->learning.training.seed = 42;
	c->learning.training.runner = mn_xstrdup("supervised");
	c->learning.training.trainer_timeout_s = 1800;
	c->learning.training.evaluate_ready_timeout_s = 120;
	c->learning.training.pause_student = false;

	c->learning.gate.min_epr = 0.90;
	c->learning.gate.min_sc = 0.95;
	c->learning.gate.max_fr = 0.05;
	c->learning.gate.max_ted_rate = 0;
	c->learning.gate.max_regression_pp = 2;

	c->learning.trigger.auto_ = true;
	c->learning.trigger.manual = true;
	c->learning.trigger.window = mn_xstrdup("02:00-06:00");
	c->learning.trigger.window_start_min = 2 * 60;
	c->learning.trigger.window_end_min = 6 * 60;
	c->learning.trigger.max_consecutive_failures = 3;
	c->learning.trigger.failure_cooldown_hours = 24;
	c->learning.trigger.success_cooldown_hours = 12;

	c->learning.registry.keep = 3;
	c->learning.monitor.window = 50;
	c->learning.monitor.max_drop_pp = 5;
	c->learning.ranker.enabled = true;
	c->learning.ranker.min_feedback = 50;
	c->learning.ranker.holdout_pct = 20;
	c->learning.ranker.min_gain = 0.005;
	c->learning.ranker.max_regression = 0.02;

	c->log.level = mn_xstrdup("info");
}

void mn_config_release(struct mn_config *c)
{
	if (!c)
		return;
	free(c->path);
	for (size_t i = 0; i < NKEYS; i++) {
		if (is_string_kind(keys[i].kind))
			free(*(char **)field(c, &keys[i]));
		else if (keys[i].kind == K_ARGV)
			mn_argv_release(field(c, &keys[i]));
	}
	memset(c, 0, sizeof(*c));
}

/* Deep copy: the scratch config a load works on, so a failed load leaves
 * the caller's config untouched. */
static void config_copy(struct mn_config *dst, const struct mn_config *src)
{
	*dst = *src;
	dst->path = src->path ? mn_xstrdup(src->path) : NULL;
	for (size_t i = 0; i < NKEYS; i++) {
		const struct key *k = &keys[i];

		if (is_string_kind(k->kind)) {
			const char *s = *(char *const *)cfield(src, k);

			*(char **)field(dst, k) = s ? mn_xstrdup(s) : NULL;
		} else if (k->kind == K_ARGV) {
			mn_argv_copy(field(dst, k), cfield(src, k));
		}
	}
}

/* ---- parsing ---- */

struct ctx {
	const char *name;   /* file name for messages */
	yaml_document_t *doc;
	struct mn_config *c;
	struct mn_err *err;
	size_t model_line[3]; /* student, teacher, embedding: line of provider (or section),
			       * 0 = not here */
};

static size_t line_of(const yaml_node_t *n)
{
	return n ? n->start_mark.line + 1 : 0;
}

/* "FILE:LINE: key 'a.b': why"; LINE is left out when unknown. */
static int key_error(struct ctx *x, size_t line, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int key_error(struct ctx *x, size_t line, const char *path, const char *fmt, ...)
{
	char why[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (line)
		return mn_err_set(x->err, MN_EINVAL, "%s:%zu: key '%s': %s", x->name, line, path,
				  why);
	return mn_err_set(x->err, MN_EINVAL, "%s: key '%s': %s", x->name, path, why);
}

static const char *scalar(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

static bool is_plain(const yaml_node_t *n)
{
	return n->type == YAML_SCALAR_NODE && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
}

/* YAML 1.2 core schema null: empty, ~, null. */
static bool is_null(const yaml_node_t *n)
{
	static const char *const nulls[] = { "", "~", "null", "Null", "NULL" };

	if (!is_plain(n))
		return false;
	for (size_t i = 0; i < sizeof(nulls) / sizeof(nulls[0]); i++)
		if (!strcmp(scalar(n), nulls[i]))
			return true;
	return false;
}

static const char *node_kind_name(const yaml_node_t *n)
{
	if (n->type == YAML_MAPPING_NODE)
		return "a mapping";
	if (n->type == YAML_SEQUENCE_NODE)
		return "a sequence";
	if (is_null(n))
		return "null";
	if (!is_plain(n))
		return "a quoted string";
	return "a scalar";
}

/* Check a scalar's text for NUL bytes (possible through "\0" escapes). */
static int check_scalar(struct ctx *x, const yaml_node_t *n, const char *path, const char *want)
{
	if (n->type != YAML_SCALAR_NODE)
		return key_error(x, line_of(n), path, "expected %s, got %s", want,
				 node_kind_name(n));
	if (strlen(scalar(n)) != n->data.scalar.length)
		return key_error(x, line_of(n), path, "value contains a NUL byte");
	return 0;
}

static bool valid_env_name(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len > MAX_ENV_NAME || (s[0] >= '0' && s[0] <= '9'))
		return false;
	for (size_t i = 0; i < len; i++) {
		char ch = s[i];

		if (!(ch == '_' || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9')))
			return false;
	}
	return true;
}

static bool valid_url(const char *s)
{
	if (strncasecmp(s, "http://", 7) && strncasecmp(s, "https://", 8))
		return false;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p <= ' ' || *p == 0x7f)
			return false;
	return true;
}

static bool in_choices(const char *s, const char *choices)
{
	size_t len = strlen(s);

	for (const char *p = choices; *p;) {
		const char *bar = strchr(p, '|');
		size_t n = bar ? (size_t)(bar - p) : strlen(p);

		if (n == len && !strncmp(p, s, n))
			return true;
		p += n + (bar ? 1 : 0);
	}
	return false;
}

/* "a|b|c" -> "a, b, c" for messages. */
static void choices_text(char *out, size_t len, const char *choices)
{
	size_t o = 0;

	for (const char *p = choices; *p && o + 3 < len; p++) {
		if (*p == '|') {
			out[o++] = ',';
			out[o++] = ' ';
		} else {
			out[o++] = *p;
		}
	}
	out[o] = '\0';
}

static char *expand_home(const char *s);

static void set_string(char **dst, char *value)
{
	free(*dst);
	*dst = value;
}

static int set_str(struct ctx *x, const struct key *k, const char *path, const yaml_node_t *v)
{
	char **dst = field(x->c, k);
	const char *s;
	int ret;

	if (is_null(v)) {
		set_string(dst, NULL);
		return 0;
	}
	ret = check_scalar(x, v, path, "a string");
	if (ret)
		return ret;
	s = scalar(v);
	if (!*s) {
		set_string(dst, NULL);
		return 0;
	}
	if (k->kind == K_URL && !valid_url(s))
		return key_error(x, line_of(v), path,
				 "expected an http:// or https:// URL, got '%.60s'", s);
	if (k->kind == K_ENVNAME && !valid_env_name(s))
		return key_error(x, line_of(v), path,
				 "expected an environment variable name (letters, digits, _), "
				 "got '%.60s'",
				 s);
	set_string(dst, k->kind == K_PATH ? expand_home(s) : mn_xstrdup(s));
	return 0;
}

static int set_enum(struct ctx *x, const struct key *k, const char *path, const yaml_node_t *v)
{
	char list[96];
	int ret;

	choices_text(list, sizeof(list), k->choices);
	if (is_null(v))
		return key_error(x, line_of(v), path, "expected one of %s, got null", list);
	ret = check_scalar(x, v, path, "a string");
	if (ret)
		return ret;
	if (!in_choices(scalar(v), k->choices))
		return key_error(x, line_of(v), path, "expected one of %s, got '%.60s'", list,
				 scalar(v));
	set_string(field(x->c, k), mn_xstrdup(scalar(v)));
	return 0;
}

static int set_bool(struct ctx *x, const struct key *k, const char *path, const yaml_node_t *v)
{
	static const char *const yes[] = { "true", "True", "TRUE" };
	static const char *const no[] = { "false", "False", "FALSE" };
	bool *dst = field(x->c, k);

	if (is_plain(v)) {
		for (size_t i = 0; i < 3; i++) {
			if (!strcmp(scalar(v), yes[i])) {
				*dst = true;
				return 0;
			}
			if (!strcmp(scalar(v), no[i])) {
				*dst = false;
				return 0;
			}
		}
	}
	if (is_plain(v) && !is_null(v))
		return key_error(x, line_of(v), path, "expected true or false, got '%.60s'",
				 scalar(v));
	return key_error(x, line_of(v), path, "expected true or false, got %s",
			 node_kind_name(v));
}

static int set_integer(struct ctx *x, const struct key *k, const char *path,
		       const yaml_node_t *v)
{
	int64_t n;

	if (!is_plain(v) || is_null(v))
		return key_error(x, line_of(v), path, "expected an integer, got %s",
				 node_kind_name(v));
	if (strlen(scalar(v)) != v->data.scalar.length ||
	    !mn_text_parse_i64(&n, scalar(v), INT64_MIN, INT64_MAX))
		return key_error(x, line_of(v), path, "expected an integer, got '%.60s'",
				 scalar(v));
	if (n < k->imin || n > k->imax) {
		if (k->imax == INT64_MAX)
			return key_error(x, line_of(v), path, "must be at least %lld, got %lld",
					 (long long)k->imin, (long long)n);
		return key_error(x, line_of(v), path, "must be between %lld and %lld, got %lld",
				 (long long)k->imin, (long long)k->imax, (long long)n);
	}
	if (k->kind == K_INT)
		*(int *)field(x->c, k) = (int)n;
	else
		*(int64_t *)field(x->c, k) = n;
	return 0;
}

static int set_real(struct ctx *x, const struct key *k, const char *path, const yaml_node_t *v)
{
	double d;

	if (!is_plain(v) || is_null(v))
		return key_error(x, line_of(v), path, "expected a number, got %s",
				 node_kind_name(v));
	if (strlen(scalar(v)) != v->data.scalar.length || !mn_text_parse_double(&d, scalar(v)))
		return key_error(x, line_of(v), path, "expected a number, got '%.60s'",
				 scalar(v));
	if (d < k->dmin || d > k->dmax)
		return key_error(x, line_of(v), path, "must be between %g and %g, got %.60s",
				 k->dmin, k->dmax, scalar(v));
	*(double *)field(x->c, k) = d;
	return 0;
}

static int set_duration(struct ctx *x, const struct key *k, const char *path,
			const yaml_node_t *v)
{
	int64_t ms;
	int ret;

	if (is_null(v))
		return key_error(x, line_of(v), path, "expected a duration such as 90s, 15m or "
				 "3h, got null");
	ret = check_scalar(x, v, path, "a duration such as 90s, 15m or 3h");
	if (ret)
		return ret;
	if (!mn_text_parse_duration_ms(&ms, scalar(v)))
		return key_error(x, line_of(v), path,
				 "expected a duration such as 500ms, 90s, 15m, 3h or 2d, got '%.60s'",
				 scalar(v));
	if (ms < k->imin)
		return key_error(x, line_of(v), path, "must be greater than zero");
	*(int64_t *)field(x->c, k) = ms;
	return 0;
}

static int set_window(struct ctx *x, const struct key *k, const char *path,
		      const yaml_node_t *v)
{
	int start, end, ret;

	if (is_null(v))
		return key_error(x, line_of(v), path,
				 "expected a local time window \"HH:MM-HH:MM\", got null");
	ret = check_scalar(x, v, path, "a local time window \"HH:MM-HH:MM\"");
	if (ret)
		return ret;
	if (!mn_text_parse_window(&start, &end, scalar(v)))
		return key_error(x, line_of(v), path,
				 "expected a local time window \"HH:MM-HH:MM\" (24-hour), "
				 "got '%.60s'",
				 scalar(v));
	set_string(field(x->c, k), mn_xstrdup(scalar(v)));
	x->c->learning.trigger.window_start_min = start;
	x->c->learning.trigger.window_end_min = end;
	return 0;
}

static int set_argv(struct ctx *x, const struct key *k, const char *path, const yaml_node_t *v)
{
	struct mn_argv *dst = field(x->c, k);
	struct mn_argv a = { NULL, 0 };
	size_t n;
	int ret = 0;

	if (is_null(v)) {
		mn_argv_release(dst);
		return 0;
	}
	if (v->type != YAML_SEQUENCE_NODE)
		return key_error(x, line_of(v), path,
				 "expected a sequence of strings such as [program, arg], got %s "
				 "(commands run without a shell)",
				 node_kind_name(v));
	n = (size_t)(v->data.sequence.items.top - v->data.sequence.items.start);
	if (n > (size_t)k->imax)
		return key_error(x, line_of(v), path, "has %zu items, more than %lld", n,
				 (long long)k->imax);
	if (n == 0) {
		mn_argv_release(dst);
		return 0;
	}
	a.v = mn_xcalloc(n + 1, sizeof(*a.v));
	for (size_t i = 0; i < n; i++) {
		const yaml_node_t *item = yaml_document_get_node(x->doc,
							       v->data.sequence.items.start[i]);

		if (!item || item->type != YAML_SCALAR_NODE || is_null(item)) {
			ret = key_error(x, line_of(item ? item : v), path,
					"item %zu: expected a string, got %s", i + 1,
					item ? node_kind_name(item) : "nothing");
			goto out;
		}
		if (strlen(scalar(item)) != item->data.scalar.length) {
			ret = key_error(x, line_of(item), path, "item %zu contains a NUL byte",
					i + 1);
			goto out;
		}
		a.v[i] = mn_xstrdup(scalar(item));
		a.n++;
	}
	if (!a.v[0][0]) {
		ret = key_error(x, line_of(v), path, "the program (first item) is empty");
		goto out;
	}
	mn_argv_release(dst);
	*dst = a;
	a.v = NULL;
	a.n = 0;
out:
	mn_argv_release(&a);
	return ret;
}

static int set_value(struct ctx *x, const struct key *k, const char *path, const yaml_node_t *v)
{
	switch (k->kind) {
	case K_STR:
	case K_PATH:
	case K_URL:
	case K_ENVNAME:
		return set_str(x, k, path, v);
	case K_ENUM:
		return set_enum(x, k, path, v);
	case K_BOOL:
		return set_bool(x, k, path, v);
	case K_INT:
	case K_I64:
		return set_integer(x, k, path, v);
	case K_REAL:
		return set_real(x, k, path, v);
	case K_DURATION:
		return set_duration(x, k, path, v);
	case K_WINDOW:
		return set_window(x, k, path, v);
	case K_ARGV:
		return set_argv(x, k, path, v);
	case K_SECTION:
		break;
	}
	return key_error(x, line_of(v), path, "internal error: no reader for this key");
}

static void note_model_line(struct ctx *x, const char *path, const yaml_node_t *n)
{
	if (!strcmp(path, "student") && !x->model_line[0])
		x->model_line[0] = line_of(n);
	else if (!strcmp(path, "teacher") && !x->model_line[1])
		x->model_line[1] = line_of(n);
	else if (!strcmp(path, "student.provider"))
		x->model_line[0] = line_of(n);
	else if (!strcmp(path, "teacher.provider"))
		x->model_line[1] = line_of(n);
	else if (!strcmp(path, "embedding") && !x->model_line[2])
		x->model_line[2] = line_of(n);
	else if (!strcmp(path, "embedding.provider"))
		x->model_line[2] = line_of(n);
}

static int walk_mapping(struct ctx *x, const yaml_node_t *map, const char *prefix);

/* One key/value pair of the mapping at `prefix` (NULL at the top). */
static int read_pair(struct ctx *x, const yaml_node_pair_t *pair, const yaml_node_pair_t *first,
		     const char *prefix)
{
	const yaml_node_t *kn = yaml_document_get_node(x->doc, pair->key);
	const yaml_node_t *v = yaml_document_get_node(x->doc, pair->value);
	const struct key *k;
	char *path = NULL;
	int ret = 0;

	if (!kn || kn->type != YAML_SCALAR_NODE || !v ||
	    strlen(scalar(kn)) != kn->data.scalar.length)
		return key_error(x, line_of(kn), prefix ? prefix : "(top level)",
				 "keys must be plain names");
	path = prefix ? mn_xasprintf("%s.%s", prefix, scalar(kn)) : mn_xstrdup(scalar(kn));
	/* A dotted name ("student.model: x") is not a nested key. */
	k = strchr(scalar(kn), '.') ? NULL : find_key(path);
	if (!k) {
		ret = key_error(x, line_of(kn), path, "unknown key");
		goto out;
	}
	/* Unknown keys end the walk above, so this scan only ever looks at a
	 * handful of distinct known keys. */
	for (const yaml_node_pair_t *q = first; q < pair; q++) {
		const yaml_node_t *qk = yaml_document_get_node(x->doc, q->key);

		if (qk && qk->type == YAML_SCALAR_NODE && !strcmp(scalar(qk), scalar(kn))) {
			ret = key_error(x, line_of(kn), path,
					"duplicate key (first set on line %zu)", line_of(qk));
			goto out;
		}
	}
	note_model_line(x, path, k->kind == K_SECTION ? kn : v);
	if (k->kind != K_SECTION)
		ret = set_value(x, k, path, v);
	else if (is_null(v))
		ret = 0; /* "teacher:" with everything below commented out */
	else if (v->type != YAML_MAPPING_NODE)
		ret = key_error(x, line_of(v), path, "expected a mapping of keys, got %s",
				node_kind_name(v));
	else
		ret = walk_mapping(x, v, path);
out:
	free(path);
	return ret;
}

/* The recursion follows the key table, so its depth is bounded by the
 * deepest key (4) whatever the document, aliases included. */
static int walk_mapping(struct ctx *x, const yaml_node_t *map, const char *prefix)
{
	const yaml_node_pair_t *first = map->data.mapping.pairs.start;

	for (const yaml_node_pair_t *p = first; p < map->data.mapping.pairs.top; p++) {
		int ret = read_pair(x, p, first, prefix);

		if (ret)
			return ret;
	}
	return 0;
}

/* Line (1-based) of byte `offset` in text. */
static size_t line_at(const char *text, size_t len, size_t offset)
{
	size_t line = 1;

	for (size_t i = 0; i < offset && i < len; i++)
		if (text[i] == '\n')
			line++;
	return line;
}

static int syntax_error(const yaml_parser_t *p, const char *text, size_t len, const char *name,
			struct mn_err *err)
{
	size_t line;

	if (p->error == YAML_MEMORY_ERROR)
		return mn_err_set(err, MN_EFAIL, "%s: out of memory while parsing YAML", name);
	if (p->error == YAML_READER_ERROR)
		line = line_at(text, len, p->problem_offset);
	else
		line = p->problem_mark.line + 1;
	if (p->context)
		return mn_err_set(err, MN_EINVAL, "%s:%zu: YAML syntax error: %s %s", name, line,
				  p->problem ? p->problem : "invalid YAML", p->context);
	return mn_err_set(err, MN_EINVAL, "%s:%zu: YAML syntax error: %s", name, line,
			  p->problem ? p->problem : "invalid YAML");
}

static int check_model(struct ctx *x, const struct mn_model_cfg *m, const char *sec,
		       size_t line)
{
	char path[32];

	snprintf(path, sizeof(path), "%s.provider", sec);
	if (strcmp(m->provider, "openai"))
		return 0;
	if (!m->endpoint && !m->model)
		return key_error(x, line, path, "openai needs %s.endpoint and %s.model", sec, sec);
	if (!m->endpoint)
		return key_error(x, line, path, "openai needs %s.endpoint", sec);
	if (!m->model)
		return key_error(x, line, path, "openai needs %s.model", sec);
	return 0;
}

static int parse_into(struct mn_config *c, const char *text, size_t len, const char *name,
		      struct mn_err *err)
{
	struct ctx x = { name, NULL, c, err, { 0, 0, 0 } };
	yaml_parser_t parser;
	yaml_document_t doc;
	bool have_doc = false;
	const yaml_node_t *root;
	int ret = 0;

	if (!yaml_parser_initialize(&parser))
		return mn_err_set(err, MN_EFAIL, "could not initialise the YAML parser");
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &doc)) {
		ret = syntax_error(&parser, text, len, name, err);
		goto out;
	}
	have_doc = true;
	x.doc = &doc;
	root = yaml_document_get_root_node(&doc);
	/* No root, or a null one: an empty file, all defaults. */
	if (root && !is_null(root) && root->type != YAML_MAPPING_NODE) {
		ret = mn_err_set(err, MN_EINVAL,
				 "%s:%zu: the configuration must be a mapping of keys "
				 "(such as 'student:'), not %s",
				 name, line_of(root), node_kind_name(root));
		goto out;
	}
	if (root && !is_null(root)) {
		ret = walk_mapping(&x, root, NULL);
		if (ret)
			goto out;
	}
	yaml_document_delete(&doc);
	have_doc = false;
	if (!yaml_parser_load(&parser, &doc)) {
		ret = syntax_error(&parser, text, len, name, err);
		goto out;
	}
	have_doc = true;
	root = yaml_document_get_root_node(&doc);
	if (root) {
		ret = mn_err_set(err, MN_EINVAL,
				 "%s:%zu: more than one YAML document; a config file holds one",
				 name, line_of(root));
		goto out;
	}
	ret = check_model(&x, &c->student, "student", x.model_line[0]);
	if (!ret)
		ret = check_model(&x, &c->teacher, "teacher", x.model_line[1]);
	if (!ret)
		ret = check_model(&x, &c->embedding, "embedding", x.model_line[2]);
	if (!ret && !strcmp(c->embedding.provider, "openai") && !c->embedding_dimensions)
		ret = key_error(&x, x.model_line[2], "embedding.provider",
				"openai needs embedding.dimensions (the model's vector size)");
out:
	if (have_doc)
		yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	return ret;
}

static int overlay(struct mn_config *c, const char *text, size_t len, const char *name,
		   const char *path, struct mn_err *err)
{
	struct mn_config tmp;
	int ret;

	config_copy(&tmp, c);
	ret = parse_into(&tmp, text, len, name ? name : "(config)", err);
	if (ret) {
		mn_config_release(&tmp);
		return ret;
	}
	if (path)
		set_string(&tmp.path, mn_xstrdup(path));
	mn_config_release(c);
	*c = tmp;
	return 0;
}

int mn_config_load_string(struct mn_config *c, const char *text, size_t len, const char *name,
			  struct mn_err *err)
{
	if (len > MN_LIMIT_CONFIG_BYTES)
		return mn_err_set(err, MN_EINVAL, "%s: configuration is larger than %d bytes",
				  name ? name : "(config)", MN_LIMIT_CONFIG_BYTES);
	return overlay(c, text ? text : "", text ? len : 0, name, NULL, err);
}

int mn_config_load(struct mn_config *c, const char *path, struct mn_err *err)
{
	struct mn_buf text = MN_BUF_INIT;
	int ret;

	ret = mn_file_read(&text, path, MN_LIMIT_CONFIG_BYTES, err);
	if (ret)
		goto out;
	ret = overlay(c, text.data ? text.data : "", text.len, path, path, err);
out:
	mn_buf_release(&text);
	return ret;
}

/* ---- where things are ---- */

/* $HOME, else the password database; heap or NULL. */
static char *user_home(void)
{
	const char *h = getenv("HOME");
	struct passwd pw, *res = NULL;
	char buf[4096];

	if (h && *h)
		return mn_xstrdup(h);
	if (getpwuid_r(geteuid(), &pw, buf, sizeof(buf), &res) || !res || !res->pw_dir ||
	    !*res->pw_dir)
		return NULL;
	return mn_xstrdup(res->pw_dir);
}

static char *expand_home(const char *s)
{
	char *home, *out;

	if (strncmp(s, "~/", 2))
		return mn_xstrdup(s);
	home = user_home();
	if (!home)
		return mn_xstrdup(s);
	out = mn_xasprintf("%s/%s", home, s + 2);
	free(home);
	return out;
}

/* ${var}/rel when var holds an absolute path (XDG says relative ones are
 * ignored), else ~/home_rel/rel. Heap or NULL when there is no home. */
static char *xdg_path(const char *var, const char *home_rel, const char *rel)
{
	const char *base = getenv(var);
	char *home, *out;

	if (base && base[0] == '/')
		return mn_xasprintf("%s/%s", base, rel);
	home = user_home();
	if (!home)
		return NULL;
	out = mn_xasprintf("%s/%s/%s", home, home_rel, rel);
	free(home);
	return out;
}

char *mn_config_resolve_path(const char *explicit_path, bool *must_exist)
{
	const char *env = getenv("MNEMO_CONFIG");
	bool must = true;
	char *path;

	if (explicit_path)
		path = mn_xstrdup(explicit_path);
	else if (env && *env)
		path = mn_xstrdup(env);
	else {
		must = false;
		path = xdg_path("XDG_CONFIG_HOME", ".config", "mnemo/config.yaml");
	}
	if (must_exist)
		*must_exist = must;
	return path;
}

/* The environment a command runs in, checked before anything is read. An
 * MCP client or a unit starts mnemo in a directory nobody chose, so a
 * relative path in the environment would name a different file each time. */
static int check_env(const char *explicit_path, struct mn_err *err)
{
	const char *home = getenv("MNEMO_HOME");
	const char *config = getenv("MNEMO_CONFIG");
	const char *level = getenv("MNEMO_LOG_LEVEL");

	if (home && *home && home[0] != '/')
		return mn_err_set(err, MN_EINVAL,
				  "MNEMO_HOME '%s' is a relative path; set it to an absolute path "
				  "(mnemo may be started in any directory)",
				  home);
	if (!explicit_path && config && *config && config[0] != '/')
		return mn_err_set(err, MN_EINVAL,
				  "MNEMO_CONFIG '%s' is a relative path; set it to an absolute "
				  "path (mnemo may be started in any directory)",
				  config);
	if (level && *level && !in_choices(level, LOG_LEVELS))
		return mn_err_set(err, MN_EINVAL,
				  "MNEMO_LOG_LEVEL '%s' is not a log level; use one of debug, "
				  "info, warn, error",
				  level);
	return 0;
}

int mn_config_open(struct mn_config *c, const char *explicit_path, struct mn_err *err)
{
	bool must = false;
	char *path = NULL;
	const char *level = getenv("MNEMO_LOG_LEVEL");
	int ret = check_env(explicit_path, err);

	if (ret)
		return ret;
	path = mn_config_resolve_path(explicit_path, &must);
	if (!path)
		goto out; /* no home at all: nothing to look at */
	ret = mn_config_load(c, path, err);
	if (ret == MN_ENOTFOUND && !must) {
		mn_err_clear(err);
		ret = 0;
	} else if (ret == MN_ENOTFOUND) {
		ret = mn_err_set(err, MN_ENOTFOUND, "config file '%s' (from %s) does not exist",
				 path, explicit_path ? "--config" : "$MNEMO_CONFIG");
	}
out:
	/* MNEMO_LOG_LEVEL wins over log.level (checked by check_env). */
	if (!ret && level && *level)
		set_string(&c->log.level, mn_xstrdup(level));
	free(path);
	return ret;
}

char *mn_config_data_home(void)
{
	const char *h = getenv("MNEMO_HOME");

	if (h && *h)
		return mn_xstrdup(h);
	return xdg_path("XDG_DATA_HOME", ".local/share", "mnemo");
}

/* ---- API keys ---- */

/* Trim trailing whitespace; refuse an empty key or one with control bytes
 * (it goes into an HTTP header). Never puts the key into a message. */
static int check_key(char *key, size_t *len, const char *what, struct mn_err *err)
{
	size_t n = *len;

	while (n && (key[n - 1] == '\n' || key[n - 1] == '\r' || key[n - 1] == ' ' ||
		     key[n - 1] == '\t'))
		n--;
	key[n] = '\0';
	*len = n;
	if (!n)
		return mn_err_set(err, MN_EINVAL, "API key in %s is empty", what);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)key[i] < ' ' || key[i] == 0x7f)
			return mn_err_set(err, MN_EINVAL,
					  "API key in %s holds a control character or more than "
					  "one line",
					  what);
	return 0;
}

static void wipe_free(char *p, size_t len)
{
	if (!p)
		return;
	explicit_bzero(p, len);
	free(p);
}

static int read_key_file(char **out, const char *path, struct mn_err *err)
{
	char *buf = NULL;
	size_t len = 0;
	struct stat st;
	int fd, ret = 0;
	char what[PATH_MAX + 16];

	/* O_NONBLOCK: opening a FIFO would wait for a writer forever; the
	 * checks below refuse it (and any other non-regular file) instead.
	 * O_NOFOLLOW: the file judged is the file in keys/, not a link's
	 * target elsewhere. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW);
	if (fd < 0 && errno == ELOOP)
		return mn_err_set(err, MN_EINVAL,
				  "key file '%s' is a symbolic link; refusing it (put the key "
				  "in a regular file)",
				  path);
	if (fd < 0)
		return mn_err_set(err, errno == ENOENT ? MN_ENOTFOUND : MN_EIO,
				  "could not open key file '%s': %s", path, strerror(errno));
	/* Checked on the open descriptor, so the file read is the file judged. */
	if (fstat(fd, &st) < 0) {
		ret = mn_err_set(err, MN_EIO, "could not stat key file '%s': %s", path,
				 strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		ret = mn_err_set(err, MN_EINVAL, "key file '%s' is not a regular file", path);
		goto out;
	}
	if (st.st_uid != geteuid()) {
		ret = mn_err_set(err, MN_EINVAL, "key file '%s' belongs to another user", path);
		goto out;
	}
	if (st.st_mode & 077) {
		ret = mn_err_set(err, MN_EINVAL,
				 "key file '%s' is mode %04o, readable by others; refusing it "
				 "(chmod 600 it)",
				 path, (unsigned)(st.st_mode & 07777));
		goto out;
	}
	buf = mn_xmalloc(KEY_FILE_MAX + 1);
	for (;;) {
		ssize_t n = read(fd, buf + len, KEY_FILE_MAX + 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = mn_err_set(err, MN_EIO, "could not read key file '%s': %s", path,
					 strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > KEY_FILE_MAX) {
			ret = mn_err_set(err, MN_EINVAL, "key file '%s' is larger than %d bytes",
					 path, KEY_FILE_MAX);
			goto out;
		}
	}
	if (memchr(buf, '\0', len)) {
		ret = mn_err_set(err, MN_EINVAL, "key file '%s' holds a NUL byte", path);
		goto out;
	}
	buf[len] = '\0';
	snprintf(what, sizeof(what), "'%s'", path);
	ret = check_key(buf, &len, what, err);
	if (ret)
		goto out;
	*out = mn_xstrdup(buf);
out:
	wipe_free(buf, KEY_FILE_MAX + 1);
	close(fd);
	return ret;
}

int mn_config_secret_file(char **out, const char *path, struct mn_err *err)
{
	*out = NULL;
	return read_key_file(out, path, err);
}

/* A name that can only name a file directly inside keys/. */
static bool usable_file_name(const char *s)
{
	return s && *s && strcmp(s, ".") && strcmp(s, "..") && !strchr(s, '/') &&
	       strlen(s) <= NAME_MAX;
}

int mn_config_api_key(char **out, const struct mn_model_cfg *m, const char *home,
		      struct mn_err *err)
{
	const char *env = m->api_key_env && *m->api_key_env ? m->api_key_env : NULL;
	const char *val = env ? getenv(env) : NULL;
	const char *name = env ? env : m->model;
	char *dir = NULL, *path = NULL;
	int ret = 0;

	*out = NULL;
	if (val && *val) {
		char what[MAX_ENV_NAME + 8];
		size_t len = strlen(val);
		char *key = mn_xstrdup(val);

		snprintf(what, sizeof(what), "$%s", env);
		ret = check_key(key, &len, what, err);
		if (ret)
			wipe_free(key, len);
		else
			*out = key;
		return ret;
	}
	if (!usable_file_name(name))
		goto none;
	dir = home ? mn_xstrdup(home) : mn_config_data_home();
	if (!dir)
		goto none;
	path = mn_xasprintf("%s/keys/%s", dir, name);
	ret = read_key_file(out, path, err);
	if (ret == MN_ENOTFOUND)
		goto none;
	goto out;
none:
	ret = 0;
	mn_err_clear(err);
	if (env)
		ret = mn_err_set(err, MN_ENOTFOUND,
				 "no API key: $%s is not set and key file '%s' does not exist", env,
				 path ? path : "<home>/keys/<name>");
out:
	free(dir);
	free(path);
	return ret;
}

/* ---- JSON view ---- */

/* Largest whole unit: 10800000 -> "3h", 90000 -> "90s". Reads back the
 * same through mn_text_parse_duration_ms. */
static json_t *duration_json(int64_t ms)
{
	static const struct {
		int64_t ms;
		const char *unit;
	} units[] = { { 86400000, "d" }, { 3600000, "h" }, { 60000, "m" }, { 1000, "s" } };
	char buf[32];

	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (ms && ms % units[i].ms == 0) {
			snprintf(buf, sizeof(buf), "%lld%s", (long long)(ms / units[i].ms),
				 units[i].unit);
			return json_string(buf);
		}
	}
	snprintf(buf, sizeof(buf), "%lldms", (long long)ms);
	return json_string(buf);
}

static json_t *value_json(const struct mn_config *c, const struct key *k)
{
	const void *p = cfield(c, k);

	switch (k->kind) {
	case K_STR:
	case K_PATH:
	case K_URL:
	case K_ENVNAME:
	case K_ENUM:
	case K_WINDOW: {
		const char *s = *(char *const *)p;

		return s ? json_string(s) : json_null();
	}
	case K_BOOL:
		return json_boolean(*(const bool *)p);
	case K_INT:
		return json_integer(*(const int *)p);
	case K_I64:
		return json_integer(*(const int64_t *)p);
	case K_REAL:
		return json_real(*(const double *)p);
	case K_DURATION:
		return duration_json(*(const int64_t *)p);
	case K_ARGV: {
		const struct mn_argv *a = p;
		json_t *arr;

		if (!a->v || a->n <= 0)
			return json_null();
		arr = json_array();
		for (int i = 0; i < a->n; i++)
			json_array_append_new(arr, json_string(a->v[i]));
		return arr;
	}
	case K_SECTION:
		break;
	}
	return json_object();
}

json_t *mn_config_to_json(const struct mn_config *c)
{
	json_t *root = json_object();
	json_t *sections[NKEYS] = { NULL };

	for (size_t i = 0; i < NKEYS; i++) {
		const struct key *k = &keys[i];
		const char *dot = strrchr(k->path, '.');
		json_t *parent = root;
		json_t *v;

		/* Sections precede their keys in the table. */
		if (dot) {
			for (size_t j = 0; j < i; j++) {
				if (keys[j].kind == K_SECTION &&
				    strlen(keys[j].path) == (size_t)(dot - k->path) &&
				    !strncmp(keys[j].path, k->path, (size_t)(dot - k->path))) {
					parent = sections[j];
					break;
				}
			}
		}
		v = k->kind == K_SECTION ? json_object() : value_json(c, k);
		if (k->kind == K_SECTION)
			sections[i] = v;
		json_object_set_new(parent, dot ? dot + 1 : k->path, v);
	}
	return root;
}

const char *const mn_config_child_env[] = { "MNEMO_HOME",      "MNEMO_CONFIG",    "MNEMO_DATADIR",
					    "MNEMO_FAKE_NOW",  "MNEMO_LOG_LEVEL", "XDG_CONFIG_HOME",
					    "XDG_DATA_HOME",   "ASAN_OPTIONS",    "UBSAN_OPTIONS",
					    NULL };

void mn_config_key_vars(const char *out[3], const struct mn_config *cfg, bool teacher)
{
	int n = 0;

	if (cfg->student.api_key_env && *cfg->student.api_key_env)
		out[n++] = cfg->student.api_key_env;
	if (teacher && cfg->teacher.api_key_env && *cfg->teacher.api_key_env)
		out[n++] = cfg->teacher.api_key_env;
	out[n] = NULL;
}
