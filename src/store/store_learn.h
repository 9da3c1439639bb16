/*
 * store_learn.h - the learning loop's SQL (DESIGN §6, §7.1): dream-cycle
 * records, curriculum runs and candidates, training-batch rows and their
 * accounting, the quality window of the drift audit. Part of the store
 * module (store_learn.c shares store_internal.h); no other file holds this
 * SQL.
 *
 * Every function takes the caller's store connection; none opens a
 * transaction unless its contract says so. Times are the store's format
 * (UTC ISO-8601 with milliseconds).
 */
#ifndef MN_STORE_LEARN_H
#define MN_STORE_LEARN_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "base/err.h"
#include "base/timeutil.h"
#include "store/store.h"

/* One experience-buffer row joined with its memory and raw input: what the
 * curriculum, the batch assembler and the hard-example report need. */
struct mn_learn_row {
	char id[37];             /* buffer row id */
	char memory_id[37];
	char raw_id[37];
	char category[20];
	char *content;           /* raw input as handed in (not cut) */
	size_t content_len;
	char *source, *type;     /* of the raw memory, may be NULL */
	char *encoding_json;     /* the student's output exactly as produced */
	char *encoder_version;
	char *corrected_output;  /* NULL when not corrected */
	char *correction_source; /* "human" or a teacher model name */
	char *batch_id, *trained_in_run;
	json_t *flags;           /* array, never NULL */
	json_t *concepts;        /* the memory's concepts array, never NULL */
	double epr, corrected_epr, confidence;
	double recall_score;     /* < 0 when no ratings */
	int recall_count, correction_attempts;
	bool sc, ted, fallback;
	char created_at[MN_TIME_LEN];
};

void mn_learn_rows_free(struct mn_learn_row *rows, size_t n);

/* ---- dream cycles ---- */

/* Insert a dream_cycles row (status running) with a fresh id in out_id. */
int mn_store_learn_cycle_begin(struct mn_store *st, char out_id[37], const char *trigger,
			       struct mn_err *err);
/* Close a cycle: status, finished_at = now, phases (JSON array), error
 * (may be NULL). */
int mn_store_learn_cycle_finish(struct mn_store *st, const char *id, const char *status,
				const json_t *phases, const char *error, struct mn_err *err);
/* Cycles left `running` by a process that died become `interrupted`;
 * call only while holding the dream lock. *out_n = rows changed. */
int mn_store_learn_cycle_recover(struct mn_store *st, int *out_n, struct mn_err *err);
/* Newest cycles first as a JSON array of {id, trigger, started_at,
 * finished_at, status, phases, error}; *out_total = all cycles recorded. */
int mn_store_learn_cycle_list(struct mn_store *st, json_t **out, int *out_total, int limit,
			      struct mn_err *err);
/* started_at of the newest cycle with status completed or partial other
 * than except_id; out[0] = '\0' when none. */
int mn_store_learn_cycle_last_start(struct mn_store *st, char out[MN_TIME_LEN],
				    const char *except_id, struct mn_err *err);

/* ---- curriculum ---- */

int mn_store_learn_curriculum_begin(struct mn_store *st, char out_id[37], const char *teacher,
				    struct mn_err *err);
int mn_store_learn_curriculum_finish(struct mn_store *st, const char *id, const char *status,
				     int attempted, int passed, int failed, const char *error,
				     struct mn_err *err);
/* The counters of a run still running, as they stand (teacher calls are
 * accounted as they are made, so a run that dies keeps its count). */
int mn_store_learn_curriculum_progress(struct mn_store *st, const char *id, int attempted,
				       int passed, int failed, struct mn_err *err);
/* Teacher calls (attempted) and accepted corrections (passed) of the
 * curriculum runs started at or after since ("" or NULL = all runs).
 * out_accepted may be NULL. */
int mn_store_learn_teacher_calls(struct mn_store *st, const char *since, int *out_calls,
				 int *out_accepted, struct mn_err *err);
/* Runs left `running` by a dead process become `interrupted`. */
int mn_store_learn_curriculum_recover(struct mn_store *st, int *out_n, struct mn_err *err);
/* finished_at of the newest *completed* run; out[0] = '\0' when none. */
int mn_store_learn_curriculum_last_completed(struct mn_store *st, char out[MN_TIME_LEN],
					     struct mn_err *err);
/* The newest run as a JSON object, or NULL (*out) when there is none. */
int mn_store_learn_curriculum_last(struct mn_store *st, json_t **out, struct mn_err *err);
/* needs_improvement rows without a correction, from a model (not a
 * fallback). */
int mn_store_learn_count_needs(struct mn_store *st, int *out, struct mn_err *err);
/* Those rows, lowest quality first (EPR, then confidence, then oldest), at
 * most limit. */
int mn_store_learn_curriculum_rows(struct mn_store *st, struct mn_learn_row **out,
				   size_t *out_n, int limit, struct mn_err *err);
/* One teacher attempt for a memory's row: correction_error = error (NULL
 * clears it); correction_attempts + 1 when counted. */
int mn_store_learn_record_attempt(struct mn_store *st, const char *memory_id,
				  const char *error, bool counted, struct mn_err *err);

/* ---- training batches ---- */

/* Rows a batch may use: not excluded, not from a fallback, gold or
 * corrected, not trained, not in any batch. Oldest first. */
int mn_store_learn_batch_rows(struct mn_store *st, struct mn_learn_row **out, size_t *out_n,
			      struct mn_err *err);
/* Tag rows (by memory id) with batch_id where still untagged and untrained.
 * Runs inside the caller's transaction if one is open. *out_n = tagged. */
/* Rows already trained in a deployed run (gold or corrected, not
 * excluded): replayed in later batches so the student keeps what earlier
 * runs taught it. */
int mn_store_learn_trained_rows(struct mn_store *st, struct mn_learn_row **out, size_t *out_n,
				struct mn_err *err);
int mn_store_learn_claim(struct mn_store *st, const char *batch_id, char *const *memory_ids,
			 size_t n, int *out_n, struct mn_err *err);
/* Rows of batch_id count as trained in run_id. */
int mn_store_learn_mark_trained(struct mn_store *st, const char *batch_id, const char *run_id,
				int *out_n, struct mn_err *err);
/* Rows of batch_id (not trained) leave the batch. */
int mn_store_learn_release(struct mn_store *st, const char *batch_id, int *out_n,
			   struct mn_err *err);

/* ---- hard-example report and drift ---- */

/* Buffer rows (any category but excluded) created at or after since (""
 * = all), newest first, at most limit. */
int mn_store_learn_recent_rows(struct mn_store *st, struct mn_learn_row **out, size_t *out_n,
			       const char *since, int limit, struct mn_err *err);
/* Call fn with the concepts JSON text of every memory created before
 * since (at most limit memories, newest first). */
int mn_store_learn_each_concepts_before(struct mn_store *st, const char *since, int limit,
					void (*fn)(void *payload, const char *concepts_json),
					void *payload, struct mn_err *err);

struct mn_learn_window {
	int n;                /* memories in the window */
	double mean_epr;      /* over the window */
	double sc_rate;       /* share with SC */
	char newest_id[37];   /* newest memory in the window ("" when empty) */
};

/* Quality of the last `size` encodings that did not come from a fallback. */
int mn_store_learn_quality_window(struct mn_store *st, struct mn_learn_window *out, int size,
				  struct mn_err *err);

/* ---- experience buffer ---- */

struct mn_exp_row {
	char id[37];
	char memory_id[37];
	char raw_id[37];
	char *encoder_version;
	double epr, fr, np, confidence;
	bool sc, ted, mig, fallback;
	json_t *flags;
	double recall_score; /* < 0 when no ratings */
	int recall_count;
	char category[20];
	char *corrected_output;  /* JSON text or NULL */
	double corrected_epr;
	char *correction_source;
	int correction_attempts;
	char *batch_id, *trained_in_run;
	char *gist;              /* of the memory, for listings */
	char created_at[MN_TIME_LEN];
};

void mn_exp_row_release(struct mn_exp_row *r);
void mn_exp_rows_free(struct mn_exp_row *rows, size_t n);
/* List rows, newest first; category NULL = all. */
int mn_store_exp_list(struct mn_store *st, struct mn_exp_row **out, size_t *out_n,
		      const char *category, int limit, struct mn_err *err);
/* Set a row's category. */
int mn_store_exp_set_category(struct mn_store *st, const char *id, const char *category,
			      struct mn_err *err);
/* Record a correction (teacher or human). metrics may be NULL. */
int mn_store_exp_set_correction(struct mn_store *st, const char *memory_id,
				const char *corrected_json, double epr, double fr, bool sc,
				const char *source, struct mn_err *err);

#endif
