/*
 * batch.h - training batch assembly (DESIGN §7.1) and row accounting.
 *
 * Calling sequence: mn_batch_assemble() writes every file of a batch
 * atomically into opts.out_dir and (when opts.claim_rows) tags the rows it
 * used with the batch id; then exactly one of mn_batch_mark_trained (the
 * run deployed) or mn_batch_release (the run failed or was rejected: rows
 * become eligible again).
 */
#ifndef MN_BATCH_H
#define MN_BATCH_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "learn/ctx.h"
#include "base/err.h"

struct mn_batch_opts {
	const char *out_dir;     /* the batch directory (created) */
	const char *batch_id;    /* id stored on rows; usually the request id
				  * (NULL: a fresh UUID, see result.batch_id) */
	bool claim_rows;         /* tag used rows with batch_id */
};

struct mn_batch_result {
	size_t n_train, n_valid, n_preference;
	size_t n_replay;         /* of n_train */
	char batch_id[64];       /* the id used */
	json_t *manifest;        /* the manifest.json content (owned) */
};

void mn_batch_result_release(struct mn_batch_result *r);
/* Assemble from the experience buffer with the config's
 * learning.training settings. MN_EDECLINED when there is nothing to train
 * on. */
int mn_batch_assemble(struct mn_ctx *a, struct mn_batch_result *out,
		      const struct mn_batch_opts *o, struct mn_err *err);
/* Is this row (by memory id) in the holdout? A stable hash of the id
 * against fraction (learning.training.holdout_fraction): the same row is
 * holdout in every batch and never trained on. */
bool mn_batch_is_holdout(const char *memory_id, double fraction);
/* Untrained, unbatched, eligible rows (gold or corrected, not excluded,
 * not in the holdout). */
int mn_batch_count_eligible(struct mn_ctx *a, int *out, struct mn_err *err);
/* The run deployed: rows of batch_id count as trained in run_id. */
int mn_batch_mark_trained(struct mn_ctx *a, const char *batch_id, const char *run_id,
			  struct mn_err *err);
/* The run failed or was rejected: rows leave the batch and stay eligible. */
int mn_batch_release(struct mn_ctx *a, const char *batch_id, struct mn_err *err);

#endif
