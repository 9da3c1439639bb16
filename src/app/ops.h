/*
 * ops.h - one function per user-visible operation, shared by every front
 * end. Each builds the operation's result object once (docs/results.md):
 * `mnemo <cmd> --json` prints it, the MCP tool returns it as
 * structuredContent, and the human renderings are drawn from it.
 *
 * Every function returns 0 and sets *out to a new reference, or returns an
 * error code with err set and *out NULL. Nothing here prints.
 */
#ifndef MN_APP_OPS_H
#define MN_APP_OPS_H

#include <jansson.h>
#include <stddef.h>

#include "app/app.h"
#include "base/err.h"
#include "store/store.h"
#include "train/train.h"

/* {raw_id, memory_id (string|null), state ("encoded"|"queued"), note?} */
int mn_op_remember(struct mn_ctx *a, const struct mn_remember_in *in, json_t **out,
		   struct mn_err *err);
/* {query_id, memories: [memory]} */
int mn_op_recall(struct mn_ctx *a, const struct mn_recall_opts *o, json_t **out,
		 struct mn_err *err);
/* {query_id, rating, rated}; MN_ENOTFOUND for an unknown query or memory. */
int mn_op_feedback(struct mn_ctx *a, const char *query_id, const char *rating,
		   const char *const *memory_ids, size_t n_ids, const char *session, json_t **out,
		   struct mn_err *err);
/* {memory_id, correction_source, metrics} */
int mn_op_amend(struct mn_ctx *a, const char *memory_id, const char *encoding_json, size_t len,
		json_t **out, struct mn_err *err);
/* {memory_id, forgotten}: idempotent, an absent id is forgotten false
 * (returns 0); a front end may still report it as not found. */
int mn_op_forget(struct mn_ctx *a, const char *id, json_t **out, struct mn_err *err);
/* The status object (mn_app_status). */
int mn_op_status(struct mn_ctx *a, json_t **out, struct mn_err *err);
/* {count, memories: [memory]}: recent memories, newest first, with their
 * experience-buffer category; category NULL = all. */
int mn_op_audit(struct mn_ctx *a, int limit, const char *category, json_t **out,
		struct mn_err *err);
/* {accepted, state, request_id (string|null), reason (string|null), runner}.
 * A declined or busy request is an answer, not a failure: returns 0 with
 * accepted false, state "declined" and the reason. With o->wait the run
 * has ended and state is its final state. */
int mn_op_train_request(struct mn_ctx *a, const struct mn_train_request_opts *o, json_t **out,
			struct mn_err *err);
/* {runs: [run], learning}: newest first, at most limit; only the run
 * request_id names when given (MN_ENOTFOUND when there is none). */
int mn_op_training_status(struct mn_ctx *a, const char *request_id, int limit, json_t **out,
			  struct mn_err *err);
/* {student, current, pinned (string|null)}: a registry entry (the
 * configured student's name, or "ranker") as it is now. New reference. */
json_t *mn_op_model_state(struct mn_ctx *a, const char *student);
/* {student, current, pinned (string|null), versions: [version], learning} */
int mn_op_model_versions(struct mn_ctx *a, json_t **out, struct mn_err *err);
/* {student, current, pinned (string|null)} after the change. version NULL:
 * the previously deployed version. */
int mn_op_model_rollback(struct mn_ctx *a, const char *version, json_t **out,
			 struct mn_err *err);
int mn_op_model_pin(struct mn_ctx *a, const char *version, json_t **out, struct mn_err *err);
int mn_op_model_unpin(struct mn_ctx *a, json_t **out, struct mn_err *err);

#endif
