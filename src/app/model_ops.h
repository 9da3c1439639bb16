/*
 * model_ops.h - the operations on a named model, the encoder's student or
 * the learned ranker (docs/ranker.md), shared by the CLI (`mnemo model
 * --model`, `mnemo train ranker`), MCP (train_model, model_versions) and the
 * JSON API. Same conventions as ops.h: 0 and *out a new reference, or an
 * error with err set.
 */
#ifndef MN_APP_MODEL_OPS_H
#define MN_APP_MODEL_OPS_H

#include <jansson.h>
#include <stdbool.h>

#include "app/app.h"
#include "base/err.h"

#define MN_MODEL_STUDENT "student"
#define MN_MODEL_RANKER "ranker"

/* true when name is NULL, "student" or "ranker". */
bool mn_op_model_known(const char *name);

/* A ranker run, synchronously: {accepted, state ("declined" or the run's
 * final state), request_id (string|null), reason (string|null), runner:
 * "synchronous", run (the run, or null)}. Declined or busy is an answer
 * (returns 0, accepted false). */
int mn_op_ranker_train(struct mn_ctx *a, const char *trigger, const char *reason, bool force,
		       json_t **out, struct mn_err *err);
/* {student: "ranker", current, pinned (string|null), source ("vNNNN",
 * "default" or "hand": what recall uses), versions: [version], learning:
 * the ranker's state (ratings since the last run, last run, ...)} */
int mn_op_ranker_versions(struct mn_ctx *a, json_t **out, struct mn_err *err);

/* `mnemo model` on model (NULL or "student" = the configured student, as
 * ops.h's mn_op_model_*; "ranker" = the learned ranker). Results as there:
 * {student, current, pinned}; list as mn_op_model_versions /
 * mn_op_ranker_versions; show one version with its meta.json. */
int mn_op_model_list_for(struct mn_ctx *a, const char *model, json_t **out, struct mn_err *err);
int mn_op_model_show_for(struct mn_ctx *a, const char *model, const char *version, json_t **out,
			 struct mn_err *err);
int mn_op_model_rollback_for(struct mn_ctx *a, const char *model, const char *version,
			     json_t **out, struct mn_err *err);
int mn_op_model_pin_for(struct mn_ctx *a, const char *model, const char *version, json_t **out,
			struct mn_err *err);
int mn_op_model_unpin_for(struct mn_ctx *a, const char *model, json_t **out,
			  struct mn_err *err);

#endif
