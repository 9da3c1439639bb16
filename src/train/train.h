/*
 * train.h - training runs (DESIGN §7.2, §7.5): requests, triggers,
 * supervision and recovery. The orchestrator itself is orch.h; the gate
 * gate.h; the registry registry.h.
 */
#ifndef MN_TRAIN_H
#define MN_TRAIN_H

#include <jansson.h>
#include <stdbool.h>

#include "learn/ctx.h"
#include "base/err.h"

/* Mark runs whose orchestrator is gone as failed ("orchestrator died"),
 * release their rows and run hooks.after. *out_n = runs recovered. */
int mn_train_recover_dead(struct mn_ctx *a, int *out_n, struct mn_err *err);
/* Dream-cycle training check: auto trigger (window, breaker, cooldowns,
 * min_new_examples, no run in flight, e-stop) or drift. Requests and
 * starts a run when due. *out_phase gets what was decided and why. */
int mn_train_check_trigger(struct mn_ctx *a, bool drift, json_t **out_phase,
			   struct mn_err *err);
/* Manual request (CLI, MCP): respects e-stop and an in-flight run, not the
 * window. MN_EDECLINED with the reason in err. out_id receives the request
 * id; the run is started (supervised child) or left pending (systemd). */
int mn_train_request(struct mn_ctx *a, const char *trigger, const char *reason,
		     char out_id[37], struct mn_err *err);
/* Rows a run assembled now could train on (untrained, unbatched, gold or
 * corrected, not in the holdout) and, of those, the teacher- or
 * human-corrected ones: the evidence a run needs at least
 * learning.training.min_labelled_examples of. */
int mn_train_count_rows(struct mn_ctx *a, int *out_eligible, int *out_labelled,
			struct mn_err *err);
/* Runs as JSON (newest first; one run when request_id given). */
int mn_train_status_json(struct mn_ctx *a, const char *request_id, int limit, json_t **out,
			 struct mn_err *err);
/* What the teacher cost and bought: {provider, model?, calls: {total,
 * last_24h, accepted}, budget: {per_cycle, per_day, left_today},
 * runs_measured, agreement_gained_pp, agreement_gained_per_100_calls}.
 * The gain sums, over deployed runs, the candidate's enum agreement minus
 * the incumbent's on the run's labelled holdout (null when no run measured
 * it); per 100 calls divides by every teacher call made. New reference;
 * {error} when the store failed. */
json_t *mn_train_teacher_json(struct mn_ctx *a);
/* Learning state for `status` (e-stop, in-flight run, breaker, last run,
 * teacher: mn_train_teacher_json). */
json_t *mn_train_state_json(struct mn_ctx *a);
/* Options of a request beyond mn_train_request's (additive API). */
struct mn_train_request_opts {
	const char *trigger;   /* "manual" (default), "auto", "drift", "mcp" */
	const char *reason;    /* may be NULL */
	const char *batch_dir; /* a batch made by hand: copied in, no rows claimed,
				* no min_new_examples check; NULL = assemble */
	bool wait;             /* run the orchestrator and wait for its end */
};

/* Like mn_train_request with options; with o->wait the run has ended when
 * this returns 0 (see mn_train_status_json for how). */
int mn_train_request_ex(struct mn_ctx *a, char out_id[37], const struct mn_train_request_opts *o,
			struct mn_err *err);
/* Cancel: a requested run becomes cancelled; a running one gets SIGTERM
 * (its orchestrator stops the trainer, runs hooks.after, marks it
 * cancelled). *out_state (16 bytes) says which: "cancelled" or
 * "signalled". MN_EINVAL when the run has already ended. */
int mn_train_cancel(struct mn_ctx *a, const char *request_id, char out_state[16],
		    struct mn_err *err);
/* E-stop file <home>/training.disabled exists. */
bool mn_train_estopped(struct mn_ctx *a);

/* Called by `mnemo serve` about once a second: reap and watch the
 * supervised orchestrator child. */
void mn_train_supervise_tick(struct mn_ctx *a);
/* On daemon shutdown: let a running child finish or stop it cleanly. */
void mn_train_supervise_shutdown(struct mn_ctx *a);

#endif
