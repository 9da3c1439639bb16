/*
 * evaluate.h - score a model on the frozen eval set of a run (DESIGN
 * §7.3): the shipped probe set plus the batch's holdout, both in the
 * *.raw.jsonl format ({"raw_input","encoded",...}). Candidate and
 * incumbent are always scored on the same loaded set.
 *
 * Scoring is evalset.h's (the one verifier, agreement with the targets);
 * the metrics object is mn_eval_report_to_json's (n, n_failed, epr, fr,
 * np, sc_rate, ted_rate, mig_rate, acc_*, enum_acc, concept_f1,
 * salience_mae) with the holdout's own report under "holdout".
 *
 * Builtin students run in-process; external ones through
 * evaluate.serve_command (started in the background with {artifact} and
 * {port}, awaited with mn_llm_wait_ready, stopped afterwards) or an
 * already running evaluate.endpoint with the evaluate.model template.
 */
#ifndef MN_EVALUATE_H
#define MN_EVALUATE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "base/err.h"
#include "core/config.h"
#include "model/evalset.h"

/* Called between items (heartbeat, stop); return false to stop (the run
 * then fails with MN_EINTR). */
struct mn_evaluate_ctl {
	bool (*tick)(void *payload);
	void *payload;
	int log_fd; /* server output goes here; -1 = /dev/null */
};

/* The probe set in effect: learning.gate.probe_set, else the shipped
 * probe/probe.raw.jsonl; NULL when there is none. Heap string. */
char *mn_evaluate_probe_path(const struct mn_config *cfg);
/* The frozen eval set of a run: the whole set (probe + holdout) the gate
 * judges, and the holdout alone for the per-subset report. */
struct mn_evaluate_set {
	struct mn_evalset all, holdout;
	size_t n_probe;
};

/* Load probe (may be NULL) and holdout (may be NULL or missing) files. */
int mn_evaluate_load(struct mn_evaluate_set *out, const char *probe_path,
		     const char *holdout_path, struct mn_err *err);
void mn_evaluate_release(struct mn_evaluate_set *s);
/* Score with fn (evalset.h): the report of the whole set with the
 * holdout's report under "holdout". MN_EINTR when ctl's tick said stop. */
int mn_evaluate_run(json_t **out, const struct mn_evaluate_set *s, mn_eval_encode_fn fn,
		    void *payload, const struct mn_evaluate_ctl *ctl, struct mn_err *err);
/* The builtin student in model_dir (NULL = the shipped default). */
int mn_evaluate_builtin(json_t **out, const struct mn_evaluate_set *s, const char *model_dir,
			const struct mn_config *cfg, const struct mn_evaluate_ctl *ctl,
			struct mn_err *err);
/* An external student: artifact served by evaluate.serve_command or named
 * through evaluate.endpoint/model; artifact NULL = the configured
 * production student (student.endpoint/model). */
int mn_evaluate_external(json_t **out, const struct mn_evaluate_set *s, const char *artifact,
			 const struct mn_config *cfg, const char *home,
			 const struct mn_evaluate_ctl *ctl, struct mn_err *err);

#endif
