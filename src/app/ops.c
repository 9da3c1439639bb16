/*
 * ops.c - the result object of every user-visible operation, built once
 * for the CLI, MCP and any later front end (docs/results.md).
 */
#include "app/ops.h"

#include <string.h>

#include "app/ranking.h"
#include "app/recall_vec.h"
#include "base/json.h"
#include "store/store_vec.h"

#include "train/registry.h"

int mn_op_remember(struct mn_ctx *a, const struct mn_remember_in *in, json_t **out,
		   struct mn_err *err)
{
	struct mn_remember_out r;
	int ret = mn_app_remember(a, &r, in, err);

	*out = NULL;
	if (ret)
		return ret;
	*out = json_pack("{s:s,s:o,s:s}", "raw_id", r.raw_id, "memory_id",
			 r.memory_id[0] ? json_string(r.memory_id) : json_null(), "state",
			 r.state);
	if (r.note[0]) /* an encoder's message may not be valid UTF-8 */
		json_object_set_new(*out, "note", mn_json_safe_string(r.note));
	if (r.duplicate) {
		json_object_set_new(*out, "duplicate", json_true());
		json_object_set_new(*out, "repeat_count", json_integer(r.repeat_count));
	}
	return 0;
}

int mn_op_recall(struct mn_ctx *a, const struct mn_recall_opts *o, json_t **out,
		 struct mn_err *err)
{
	struct mn_recall_result r = { { 0 }, NULL, 0 };
	struct mn_recall_opts vo = *o;
	json_t *arr;
	size_t used = 0, omitted = 0;
	float *qv = NULL;
	char vnote[320] = "";
	const struct mn_ranker *rk;
	/* the query's vector, when a provider is configured (docs/vectors.md):
	 * embedded before the store's read transaction, never inside it */
	int vstate = o->query_vec ? 1 : mn_app_recall_vector(a, &qv, o->query, vnote,
							     sizeof(vnote));
	int ret;

	if (qv) {
		vo.query_vec = qv;
		vo.query_dim = a->cfg.embedding_dimensions;
		vo.vec_model = a->cfg.embedding.model;
		vo.vec_weight = a->cfg.embedding_weight;
		mn_store_vec_index_config(a->cfg.embedding_index, a->cfg.embedding_index_min);
	}
	rk = mn_app_ranker(a);
	vo.rank_fn = mn_ranker_score_cb;
	vo.rank_ctx = (void *)rk;
	vo.ranker_version = rk->version;
	ret = mn_store_recall(a->store, &r, &vo, err);
	free(qv);
	*out = NULL;
	if (ret)
		return ret;
	arr = json_array();
	for (size_t i = 0; i < r.n; i++) {
		json_t *item = mn_app_recall_item_json(&r.items[i], o->full, o->explain);

		if (o->explain && r.items[i].has_rank_features)
			json_object_set_new(json_object_get(item, "explain"), "ranker",
					    mn_ranker_explain(rk, r.items[i].rank_features));

		if (o->max_chars) {
			/* whole results only: the first that does not fit ends
			 * the list (always at least one result) */
			char *text = mn_json_dumps(item);
			size_t len = strlen(text);

			free(text);
			if (used + len > o->max_chars && json_array_size(arr)) {
				json_decref(item);
				omitted = r.n - i;
				break;
			}
			used += len;
		}
		json_array_append_new(arr, item);
	}
	*out = json_pack("{s:s,s:o}", "query_id", r.query_id, "memories", arr);
	if (o->max_chars)
		json_object_set_new(*out, "omitted", json_integer((json_int_t)omitted));
	if (vstate <= 0)
		json_object_set_new(*out, "vector",
				    vstate == 0 ? json_string("used") : mn_json_safe_string(vnote));
	mn_recall_result_release(&r);
	return 0;
}

int mn_op_feedback(struct mn_ctx *a, const char *query_id, const char *rating,
		   const char *const *memory_ids, size_t n_ids, const char *session, json_t **out,
		   struct mn_err *err)
{
	size_t rated = 0;
	int ret = mn_store_feedback(a->store, &rated, query_id, rating, memory_ids, n_ids, session,
				    err);

	*out = NULL;
	if (ret)
		return ret;
	*out = json_pack("{s:s,s:s,s:I}", "query_id", query_id, "rating", rating, "rated",
			 (json_int_t)rated);
	return 0;
}

int mn_op_amend(struct mn_ctx *a, const char *memory_id, const char *encoding_json, size_t len,
		json_t **out, struct mn_err *err)
{
	json_t *metrics = NULL;
	int ret = mn_app_amend(a, memory_id, encoding_json, len, &metrics, err);

	*out = NULL;
	if (ret)
		return ret;
	*out = json_pack("{s:s,s:s,s:o}", "memory_id", memory_id, "correction_source", "human",
			 "metrics", metrics ? metrics : json_object());
	return 0;
}

int mn_op_forget(struct mn_ctx *a, const char *id, json_t **out, struct mn_err *err)
{
	int ret = mn_store_forget(a->store, id, err);

	*out = NULL;
	if (ret && ret != MN_ENOTFOUND)
		return ret;
	*out = json_pack("{s:s,s:b}", "memory_id", id, "forgotten", ret == 0);
	return 0;
}

int mn_op_status(struct mn_ctx *a, json_t **out, struct mn_err *err)
{
	return mn_app_status(a, out, err);
}

int mn_op_audit(struct mn_ctx *a, int limit, const char *category, json_t **out,
		struct mn_err *err)
{
	struct mn_memory *items = NULL;
	size_t n = 0;
	json_t *arr;
	int ret = mn_store_list_memories(a->store, &items, &n, limit, category, err);

	*out = NULL;
	if (ret)
		return ret;
	arr = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, mn_app_memory_json(&items[i]));
	*out = json_pack("{s:I,s:o}", "count", (json_int_t)n, "memories", arr);
	mn_memories_free(items, n);
	return 0;
}

int mn_op_train_request(struct mn_ctx *a, const struct mn_train_request_opts *o, json_t **out,
			struct mn_err *err)
{
	struct mn_err e2 = MN_ERR_INIT;
	char id[37] = { 0 };
	json_t *run = NULL;
	const char *state = "requested";
	int ret = mn_train_request_ex(a, id, o, err);

	*out = NULL;
	if (ret == MN_EDECLINED || ret == MN_EBUSY) {
		json_t *reason = json_string(err->msg);

		*out = json_pack("{s:b,s:s,s:n,s:o,s:s}", "accepted", 0, "state", "declined",
				 "request_id", "reason", reason ? reason : json_string("declined"),
				 "runner", a->cfg.learning.training.runner);
		return 0;
	}
	if (ret)
		return ret;
	if (mn_train_status_json(a, id, 1, &run, &e2) == 0 &&
	    json_is_string(json_object_get(run, "state")))
		state = json_string_value(json_object_get(run, "state"));
	*out = json_pack("{s:b,s:s,s:s,s:n,s:s}", "accepted", 1, "state", state, "request_id", id,
			 "reason", "runner", a->cfg.learning.training.runner);
	json_decref(run);
	return 0;
}

int mn_op_training_status(struct mn_ctx *a, const char *request_id, int limit, json_t **out,
			  struct mn_err *err)
{
	json_t *runs = NULL, *learning;
	int ret = mn_train_status_json(a, request_id, limit, &runs, err);

	*out = NULL;
	if (ret)
		return ret;
	if (!json_is_array(runs)) {
		json_t *arr = json_array();

		if (json_is_object(runs))
			json_array_append(arr, runs);
		json_decref(runs);
		runs = arr;
	}
	if (request_id && !json_array_size(runs)) {
		json_decref(runs);
		return mn_err_set(err, MN_ENOTFOUND, "no training run with request id '%s'",
				  request_id);
	}
	learning = mn_app_learning_json(a);
	*out = json_pack("{s:o,s:o}", "runs", runs, "learning",
			 json_is_object(learning) ? learning : json_object());
	if (!json_is_object(learning))
		json_decref(learning);
	return 0;
}

/* {student, current, pinned} as the registry has them now. */
json_t *mn_op_model_state(struct mn_ctx *a, const char *student)
{
	struct mn_err e = MN_ERR_INIT;
	char current[16] = "", pinned[16] = "";

	mn_registry_current(a, student, current);
	if (mn_registry_pinned(a, student, pinned, &e))
		pinned[0] = '\0';
	return json_pack("{s:s,s:s,s:o}", "student", student, "current",
			 current[0] ? current : MN_REGISTRY_DEFAULT, "pinned",
			 pinned[0] ? json_string(pinned) : json_null());
}

int mn_op_model_versions(struct mn_ctx *a, json_t **out, struct mn_err *err)
{
	json_t *versions = NULL, *learning;
	char student[64];
	int ret = mn_registry_list_json(a, &versions, err);

	*out = NULL;
	if (ret)
		return ret;
	if (!json_is_array(versions)) {
		json_decref(versions);
		versions = json_array();
	}
	mn_registry_student(student, &a->cfg);
	*out = mn_op_model_state(a, student);
	json_object_set_new(*out, "versions", versions);
	learning = mn_app_learning_json(a);
	json_object_set_new(*out, "learning", json_is_object(learning) ? learning : json_object());
	if (!json_is_object(learning))
		json_decref(learning);
	return 0;
}

int mn_op_model_rollback(struct mn_ctx *a, const char *version, json_t **out,
			 struct mn_err *err)
{
	char student[64], to[16];
	int ret;

	*out = NULL;
	mn_registry_student(student, &a->cfg);
	ret = mn_registry_rollback(a, to, student, version, "manual rollback", err);
	if (!ret)
		*out = mn_op_model_state(a, student);
	return ret;
}

int mn_op_model_pin(struct mn_ctx *a, const char *version, json_t **out, struct mn_err *err)
{
	char student[64];
	int ret;

	*out = NULL;
	mn_registry_student(student, &a->cfg);
	ret = mn_registry_pin(a, student, version, err);
	if (!ret)
		*out = mn_op_model_state(a, student);
	return ret;
}

int mn_op_model_unpin(struct mn_ctx *a, json_t **out, struct mn_err *err)
{
	char student[64];
	int ret;

	*out = NULL;
	mn_registry_student(student, &a->cfg);
	ret = mn_registry_unpin(a, student, err);
	if (!ret)
		*out = mn_op_model_state(a, student);
	return ret;
}
