/*
 * config.h - configuration from YAML (libyaml), every key of DESIGN §11.
 *
 * Calling sequence: mn_config_init(&c) (built-in defaults), then
 * mn_config_load(&c, path, &err) to overlay a file; mn_config_resolve_path
 * finds which file is in effect. mn_config_release frees. An unknown key or
 * a bad value is MN_EINVAL with "FILE:LINE: key 'a.b': why".
 */
#ifndef MN_CONFIG_H
#define MN_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "base/argv.h"
#include "base/err.h"


/* embedding.dimensions at most: the largest embedding models give 4096. */
#define MN_CONFIG_EMBED_DIM_MAX 8192

struct mn_model_cfg {
	char *provider;    /* student: builtin|openai; teacher: none|openai */
	char *endpoint;    /* base URL, e.g. http://127.0.0.1:8080/v1 */
	char *model;
	char *api_key_env;
	int timeout_s;     /* [120] */
};

struct mn_config {
	char *path;        /* file in effect, NULL = built-in defaults (owned) */
	/* key project [NULL]: the project an MCP server's tool calls default to
	 * when they name none (`mnemo mcp --project` wins); exact match */
	char *project;
	struct mn_model_cfg student;   /* provider [builtin] */
	struct mn_model_cfg teacher;   /* provider [none] */
	/* provider [none]: none|openai (/v1/embeddings, docs/vectors.md);
	 * timeout_s [30] bounds the daemon's batch requests */
	struct mn_model_cfg embedding;
	int embedding_dimensions;       /* key embedding.dimensions [0 = unset] */
	int embedding_query_timeout_ms; /* key embedding.query_timeout_ms [2000] */
	double embedding_weight;        /* key embedding.weight [1]: the vector ranking's
					 * weight in recall's rank fusion */
	char *embedding_index;          /* key embedding.index [auto]: auto|exact|hnsw */
	int64_t embedding_index_min;    /* key embedding.index_min [50000]: vectors from
					 * which auto searches through the HNSW graph */
	struct {
		int max_input_chars;   /* [8000] */
		int64_t max_text_bytes;/* [1048576] */
		int workers;           /* [1] */
		int max_attempts;      /* [3] */
	} encoding;
	struct {
		int64_t interval_ms;      /* [3h] */
		int64_t startup_delay_ms; /* [90s] */
	} dreaming;
	struct {
		bool enabled;          /* [true] */
		double min_confidence; /* [0.5] */
		struct {
			int min_needs_improvement;     /* [10] */
			int max_corrections_per_cycle; /* [20] */
			double cooldown_hours;         /* [24] */
			int max_correction_attempts;   /* [2] */
			int max_calls_per_day;         /* [100] */
		} curriculum;
		struct {
			int min_new_examples;     /* [50] */
			int min_labelled_examples;/* [20] */
			int max_examples_per_run; /* [200] */
			double replay_ratio;      /* [0.3] */
			char *replay_dataset;     /* [NULL = shipped seed set] */
			double holdout_fraction;  /* [0.1] */
			int64_t seed;             /* [42] */
			char *runner;             /* supervised|systemd [supervised] */
			struct mn_argv trainer_command; /* [NULL = mnemo trainer builtin] */
			int trainer_timeout_s;    /* [1800] */
			struct mn_argv evaluate_serve_command;
			char *evaluate_endpoint;
			char *evaluate_model;
			int evaluate_ready_timeout_s; /* [120] */
			struct mn_argv hooks_before;
			struct mn_argv hooks_after;
			bool pause_student;       /* [false] */
		} training;
		struct {
			double min_epr;          /* [0.90] */
			double min_sc;           /* [0.95] */
			double max_fr;           /* [0.05] */
			double max_ted_rate;     /* [0] */
			double max_regression_pp;/* [2] */
			char *probe_set;         /* [NULL = shipped probe set] */
		} gate;
		struct {
			bool auto_;              /* key "auto" [true] */
			bool manual;             /* [true] */
			char *window;            /* ["02:00-06:00"] */
			int window_start_min, window_end_min;
			int max_consecutive_failures;  /* [3] */
			double failure_cooldown_hours; /* [24] */
			double success_cooldown_hours; /* [12] */
		} trigger;
		struct {
			int keep;                /* [3] */
			struct mn_argv deploy_command; /* optional: tell a server to load {artifact} */
		} registry;
		struct {
			int window;              /* [50] */
			double max_drop_pp;      /* [5] */
		} monitor;
		struct {                         /* the learned ranker (docs/ranker.md) */
			bool enabled;            /* [true] train in the dream cycle */
			int min_feedback;        /* [50] new ratings before a run */
			int holdout_pct;         /* [20] % of queries held out */
			double min_gain;         /* [0.005] holdout NDCG@10 gain to deploy */
			double max_regression;   /* [0.02] largest drop of any metric */
		} ranker;
	} learning;
	struct {
		char *level;   /* [info] */
		char *file;    /* [NULL = stderr] */
	} log;
	struct {
		char *listen;      /* ADDR:PORT [NULL = only with serve --http] */
		char *token_file;  /* [NULL = no token: loopback only] */
		struct mn_argv allowed_origins; /* extra browser origins */
	} http;
};

void mn_config_init(struct mn_config *c);
void mn_config_release(struct mn_config *c);
/* Overlay YAML file `path` onto c and set c->path. MN_ENOTFOUND when the
 * file is missing, MN_EINVAL on a syntax error, unknown key, bad value or
 * failed cross-check (message "FILE:LINE: key 'a.b': why"). All or nothing:
 * on any error c is left exactly as it was. */
int mn_config_load(struct mn_config *c, const char *path, struct mn_err *err);
/* Parse YAML text (name used in messages); same rules as mn_config_load,
 * c->path is not changed. */
int mn_config_load_string(struct mn_config *c, const char *text, size_t len, const char *name,
			  struct mn_err *err);
/* Which file: explicit (--config) > $MNEMO_CONFIG > XDG default. Heap string;
 * *must_exist is true for the first two (a missing file is then an error). */
char *mn_config_resolve_path(const char *explicit_path, bool *must_exist);
/* Defaults + the file in effect, if any: overlays the file of
 * mn_config_resolve_path onto c, which must be initialised (mn_config_init).
 * An explicit or $MNEMO_CONFIG file that is missing is MN_ENOTFOUND; a
 * missing XDG default leaves c as it is (path NULL = built-in defaults).
 * On any error c is unchanged and still needs mn_config_release. */
int mn_config_open(struct mn_config *c, const char *explicit_path, struct mn_err *err);
/* Data home: $MNEMO_HOME, else ${XDG_DATA_HOME:-~/.local/share}/mnemo. Heap string. */
char *mn_config_data_home(void);
/* Read an API key: env var named by api_key_env, else <home>/keys/<name>
 * where name is api_key_env or else the model name (home NULL = the data
 * home). The file must be a regular file of ours with no group/other bits
 * (0600 or 0400), else MN_EINVAL; trailing whitespace is stripped. *out is
 * heap (caller frees, never log it) or NULL when none is configured.
 * MN_ENOTFOUND when api_key_env is set but neither the variable nor the
 * key file holds a key. Messages never contain the key. */
int mn_config_api_key(char **out, const struct mn_model_cfg *m, const char *home,
		      struct mn_err *err);
/* Read a secret from path (http.token_file) with the checks of an API key
 * file: a regular file of ours, not a link, mode 0600 or 0400, no NUL,
 * surrounding whitespace stripped. *out is heap (never log it). */
int mn_config_secret_file(char **out, const char *path, struct mn_err *err);
/* The effective configuration as a new JSON object with exactly the keys
 * of the YAML file (durations as "3h"-style strings, unset values null), so
 * it can be shown and read back. API keys are never in it: only
 * api_key_env, the variable's name. Caller owns the reference. */
json_t *mn_config_to_json(const struct mn_config *c);
/* Copy an argv template. */
void mn_argv_copy(struct mn_argv *dst, const struct mn_argv *src);
void mn_argv_release(struct mn_argv *a);

/* The variables a child mnemo needs to find the same data (home, config,
 * data dir, test clock, log level, sanitizer options), NULL-terminated. */
extern const char *const mn_config_child_env[];
/* The names of the API-key variables the configuration names:
 * student.api_key_env, and teacher.api_key_env when teacher;
 * NULL-terminated, borrowed from cfg. */
void mn_config_key_vars(const char *out[3], const struct mn_config *cfg, bool teacher);

#endif
