/*
 * ranker_run.h - a training run of the learned ranker (docs/ranker.md,
 * "Training", "Gate", "Registry"): export the rated recalls, train a
 * candidate with `mnemo trainer ranker` (a real subprocess), evaluate it
 * and the incumbent on the held-out recalls and on the shipped benchmark
 * examples, gate, register and deploy as models/ranker/vNNNN. The run is a
 * training_runs row with model 'ranker'; it runs synchronously in the
 * process that asks (the dream cycle or `mnemo train ranker`), under the
 * flock <home>/training/ranker.lock, and leaves its files in
 * <home>/training/ranker/<id>/ (examples.jsonl, candidate/, gate.json,
 * train.log, result.json).
 *
 * Also the ranker's post-deploy monitor.
 */
#ifndef MN_RANKER_RUN_H
#define MN_RANKER_RUN_H

#include <jansson.h>
#include <stdbool.h>

#include "base/err.h"
#include "learn/ctx.h"

struct mn_ranker_run_opts {
	const char *trigger; /* "manual" (default), "dream", "mcp" */
	const char *reason;  /* may be NULL */
	bool force;          /* skip the learning.ranker.min_feedback count */
};

/* Run one ranker training to its end. 0 with *out = the run (as in
 * mn_train_status_json, plus "gate" = gate.json) when it reached a final
 * state: deployed, rejected or failed. MN_EDECLINED (reason in err, no row)
 * when there is nothing to do: e-stop, too few new ratings, too few pairs;
 * MN_EBUSY when another ranker run holds the lock. */
int mn_ranker_run(struct mn_ctx *a, const struct mn_ranker_run_opts *o, json_t **out,
		  struct mn_err *err);

/* The dream cycle's phase "ranker": the post-deploy monitor, then a run
 * when learning.ranker.enabled and enough new ratings arrived. *out_phase
 * gets {"monitor":{...},"decision":"trained"|"declined"|"disabled"|"busy",
 * "reason","run_id","state"}. 0 unless the store failed. */
int mn_ranker_dream_phase(struct mn_ctx *a, json_t **out_phase, struct mn_err *err);

/* The ranker's learning state: {"current","pinned","source" (registry
 * version, "default" or "hand"),"enabled","ratings_since_last_run",
 * "min_feedback","last_run" (or null)}. New reference. */
json_t *mn_ranker_state_json(struct mn_ctx *a);

/* Post-deploy monitor: the share of rated recalls with a helpful result,
 * over those ordered by the current version since its deploy, against the
 * newest as many rated recalls before the deploy. Once
 * learning.monitor.window rated recalls arrived, a drop by more than
 * learning.ranker.max_regression and by more than 1.645 standard errors
 * rolls back (unless pinned). *out (may be NULL) gets {"version","n",
 * "helpful_share","before_n","before_share","window","verdict":
 * "idle"|"watching"|"ok"|"rolled_back"}. */
int mn_ranker_monitor_check(struct mn_ctx *a, json_t **out, struct mn_err *err);

#endif
