/*
 * store_train.h - the store's learning-loop tables: training_runs (DESIGN
 * §7.2) and model_versions (§7.4), plus the live-quality query of the
 * post-deploy monitor. All SQL of the training side lives in store_train.c.
 *
 * Every function is one statement or one transaction, so each run-state
 * transition commits on its own. One struct mn_store per thread.
 */
#ifndef MN_STORE_TRAIN_H
#define MN_STORE_TRAIN_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/err.h"
#include "base/timeutil.h"
#include "store/store.h"

/* Run states, as stored. */
#define MN_RUN_REQUESTED "requested"
#define MN_RUN_TRAINING "training"
#define MN_RUN_EVALUATING "evaluating"
#define MN_RUN_DEPLOYED "deployed"
#define MN_RUN_REJECTED "rejected"
#define MN_RUN_FAILED "failed"
#define MN_RUN_CANCELLED "cancelled"
#define MN_RUN_ROLLED_BACK "rolled_back"

/* What a run trains (training_runs.model). */
#define MN_RUN_MODEL_STUDENT "student"
#define MN_RUN_MODEL_RANKER "ranker"

struct mn_train_run {
	char id[37];
	char model[16];                  /* MN_RUN_MODEL_* */
	char trigger[16];
	char state[16];
	char *reason;
	char *request_dir, *batch_id;
	int n_train, n_valid, holdout_n; /* -1 when unknown */
	json_t *counts;                  /* manifest counts or NULL */
	char *trainer_exit;
	json_t *candidate_metrics, *incumbent_metrics; /* or NULL */
	char *gate_verdict;
	json_t *gate_reasons;            /* array or NULL */
	char *candidate_version, *deployed_version;
	json_t *timings;                 /* object or NULL */
	long pid;                        /* 0 when none */
	char heartbeat_at[MN_TIME_LEN];
	char *error;
	bool hooks_after_ran;
	char created_at[MN_TIME_LEN], started_at[MN_TIME_LEN], finished_at[MN_TIME_LEN];
	char updated_at[MN_TIME_LEN];
};

void mn_train_run_release(struct mn_train_run *r);
void mn_train_runs_free(struct mn_train_run *runs, size_t n);

/* Insert a new run in state requested. */
int mn_store_train_insert(struct mn_store *st, const char *id, const char *trigger,
			  const char *reason, const char *request_dir, struct mn_err *err);
/* Insert a new run of `model` (MN_RUN_MODEL_*) in state requested. */
int mn_store_train_insert_model(struct mn_store *st, const char *id, const char *model,
				const char *trigger, const char *reason,
				const char *request_dir, struct mn_err *err);
/* created_at of the newest run of `model` into out ("" when none). */
int mn_store_train_last_created(struct mn_store *st, char out[MN_TIME_LEN], const char *model,
				struct mn_err *err);
/* MN_ENOTFOUND when no run has that id. */
int mn_store_train_get(struct mn_store *st, struct mn_train_run *out, const char *id,
		       struct mn_err *err);
/* Newest first, at most limit (<= 0: 100). *out is a heap array. */
int mn_store_train_list(struct mn_store *st, struct mn_train_run **out, size_t *out_n,
			int limit, struct mn_err *err);
/* Runs of one model (NULL = all), newest first, at most limit. */
int mn_store_train_list_model(struct mn_store *st, struct mn_train_run **out, size_t *out_n,
			      int limit, const char *model, struct mn_err *err);
/* Id of the newest student run in requested/training/evaluating into out
 * ("" when none); ranker runs (synchronous, their own lock) never count. */
int mn_store_train_in_flight(struct mn_store *st, char out[37], struct mn_err *err);

/* Compare-and-set the state: only when the current state is one of
 * `from` (comma-separated, e.g. "training,evaluating"; NULL = any).
 * Terminal states set finished_at; error (may be NULL) is stored when
 * given. MN_EBUSY when the run was not in one of `from` (someone else moved
 * it), MN_ENOTFOUND when it does not exist. */
int mn_store_train_transition(struct mn_store *st, const char *id, const char *from,
			      const char *to, const char *error, struct mn_err *err);

/* Optional fields for mn_store_train_update; NULL / negative = unchanged. */
struct mn_train_patch {
	const char *batch_id;
	int n_train, n_valid, holdout_n;
	const json_t *counts;
	const char *trainer_exit;
	const json_t *candidate_metrics, *incumbent_metrics;
	const char *gate_verdict;
	const json_t *gate_reasons;
	const char *candidate_version, *deployed_version;
	const json_t *timings;
	long pid;          /* > 0 sets pid, started_at (if unset) and heartbeat */
	int hooks_after_ran; /* 1 sets it */
	const char *error;
};

#define MN_TRAIN_PATCH_INIT { .n_train = -1, .n_valid = -1, .holdout_n = -1, .hooks_after_ran = -1 }

int mn_store_train_update(struct mn_store *st, const char *id, const struct mn_train_patch *p,
			  struct mn_err *err);
/* heartbeat_at = now. */
int mn_store_train_heartbeat(struct mn_store *st, const char *id, struct mn_err *err);
/* States of the newest finished student runs (deployed, rejected, failed;
 * not cancelled), newest first, up to n, into a new JSON array of
 * {"id","state","finished_at"}. */
int mn_store_train_recent_finished(struct mn_store *st, json_t **out, int n,
				   struct mn_err *err);
/* finished_at (epoch ms) of the newest student run in `state`, 0 when
 * none. */
int mn_store_train_last_finished_ms(struct mn_store *st, int64_t *out, const char *state,
				    struct mn_err *err);

/* ---- model_versions ---- */

struct mn_model_version {
	char id[37];
	char student[64];
	char version[16];
	char *artifact_path, *sha256, *parent, *training_run;
	json_t *gate_metrics, *live_metrics; /* or NULL */
	char state[16];     /* registered | deployed | rolled_back | retired */
	char created_at[MN_TIME_LEN], deployed_at[MN_TIME_LEN], retired_at[MN_TIME_LEN];
};

void mn_model_version_release(struct mn_model_version *v);
void mn_model_versions_free(struct mn_model_version *v, size_t n);

/* Next free version number for student (1 when none). */
int mn_store_model_next_number(struct mn_store *st, int *out, const char *student,
			       struct mn_err *err);
int mn_store_model_insert(struct mn_store *st, const struct mn_model_version *v,
			  struct mn_err *err);
/* MN_ENOTFOUND when unknown. */
int mn_store_model_get(struct mn_store *st, struct mn_model_version *out, const char *student,
		       const char *version, struct mn_err *err);
/* Oldest first. */
int mn_store_model_list(struct mn_store *st, struct mn_model_version **out, size_t *out_n,
			const char *student, struct mn_err *err);
/* Set state; "deployed" also sets deployed_at = now, "retired" retired_at. */
int mn_store_model_set_state(struct mn_store *st, const char *student, const char *version,
			     const char *state, struct mn_err *err);
int mn_store_model_set_live(struct mn_store *st, const char *student, const char *version,
			    const json_t *live, struct mn_err *err);

/* Live quality of a version: over the first `window` memories encoded by
 * encoder_version = version (not fallback) created at or after `since`,
 * their count, mean EPR and SC rate. */
int mn_store_train_live_quality(struct mn_store *st, int *out_n, double *out_epr,
				double *out_sc, const char *version, const char *since,
				int window, struct mn_err *err);

/* The post-deploy monitor of the ranker: of the rated recalls (at least
 * one recall_feedback row) ordered by `ranker` (recall_log.ranker; NULL =
 * any) and made in [since, until) (NULL = open), the newest `limit` (<= 0 =
 * all): how many, and how many have a result rated helpful. */
int mn_store_train_rated_recalls(struct mn_store *st, int *out_n, int *out_helpful,
				 const char *ranker, const char *since, const char *until,
				 int limit, struct mn_err *err);

#endif
