/*
 * model_ops.c - operations on the student or the learned ranker
 * (model_ops.h).
 */
#include "app/model_ops.h"

#include <string.h>

#include "app/ops.h"
#include "base/json.h"
#include "train/ranker_run.h"
#include "train/registry.h"

static bool is_ranker(const char *model)
{
	return model && !strcmp(model, MN_MODEL_RANKER);
}

bool mn_op_model_known(const char *name)
{
	return !name || !strcmp(name, MN_MODEL_STUDENT) || !strcmp(name, MN_MODEL_RANKER);
}

int mn_op_ranker_train(struct mn_ctx *a, const char *trigger, const char *reason, bool force,
		       json_t **out, struct mn_err *err)
{
	struct mn_ranker_run_opts o = { trigger ? trigger : "manual", reason, force };
	struct mn_err e = MN_ERR_INIT;
	json_t *run = NULL;
	int ret = mn_ranker_run(a, &o, &run, &e);

	*out = NULL;
	if (ret == MN_EDECLINED || ret == MN_EBUSY) {
		*out = json_pack("{s:b,s:s,s:n,s:s,s:s,s:n}", "accepted", 0, "state", "declined",
				 "request_id", "reason", e.msg, "runner", "synchronous", "run");
		return 0;
	}
	if (ret)
		return mn_err_set(err, ret, "%s", e.msg);
	*out = json_pack("{s:b,s:s,s:s,s:n,s:s,s:o}", "accepted", 1, "state",
			 mn_json_str(run, "state", ""), "request_id", mn_json_str(run, "id", ""),
			 "reason", "runner", "synchronous", "run", run);
	return 0;
}

static json_t *ranker_state(struct mn_ctx *a)
{
	return mn_op_model_state(a, MN_REGISTRY_RANKER);
}

int mn_op_ranker_versions(struct mn_ctx *a, json_t **out, struct mn_err *err)
{
	json_t *versions = NULL, *learning;
	int ret = mn_registry_list_json_for(a, MN_REGISTRY_RANKER, &versions, err);

	*out = NULL;
	if (ret)
		return ret;
	*out = ranker_state(a);
	learning = mn_ranker_state_json(a);
	json_object_set(*out, "source", json_object_get(learning, "source"));
	json_object_set_new(*out, "versions", versions);
	json_object_set_new(*out, "learning", learning);
	return 0;
}

int mn_op_model_list_for(struct mn_ctx *a, const char *model, json_t **out, struct mn_err *err)
{
	return is_ranker(model) ? mn_op_ranker_versions(a, out, err)
				: mn_op_model_versions(a, out, err);
}

int mn_op_model_show_for(struct mn_ctx *a, const char *model, const char *version, json_t **out,
			 struct mn_err *err)
{
	return is_ranker(model)
		       ? mn_registry_show_json_for(a, MN_REGISTRY_RANKER, out, version, err)
		       : mn_registry_show_json(a, out, version, err);
}

int mn_op_model_rollback_for(struct mn_ctx *a, const char *model, const char *version,
			     json_t **out, struct mn_err *err)
{
	char to[16];
	int ret;

	if (!is_ranker(model))
		return mn_op_model_rollback(a, version, out, err);
	*out = NULL;
	ret = mn_registry_rollback(a, to, MN_REGISTRY_RANKER, version, "manual rollback", err);
	if (!ret)
		*out = ranker_state(a);
	return ret;
}

int mn_op_model_pin_for(struct mn_ctx *a, const char *model, const char *version, json_t **out,
			struct mn_err *err)
{
	int ret;

	if (!is_ranker(model))
		return mn_op_model_pin(a, version, out, err);
	*out = NULL;
	ret = mn_registry_pin(a, MN_REGISTRY_RANKER, version, err);
	if (!ret)
		*out = ranker_state(a);
	return ret;
}

int mn_op_model_unpin_for(struct mn_ctx *a, const char *model, json_t **out,
			  struct mn_err *err)
{
	int ret;

	if (!is_ranker(model))
		return mn_op_model_unpin(a, out, err);
	*out = NULL;
	ret = mn_registry_unpin(a, MN_REGISTRY_RANKER, err);
	if (!ret)
		*out = ranker_state(a);
	return ret;
}
