/*
 * learning.c - the learning view's history (learning.h).
 */
#include "app/learning.h"

#include <string.h>

#include "base/json.h"
#include "base/timeutil.h"
#include "store/store_learn.h"
#include "store/store_stats.h"
#include "store/store_train.h"
#include "train/registry.h"

/* A new array holding arr's elements in reverse order (stolen from arr). */
static json_t *reversed(json_t *arr)
{
	json_t *r = json_array();

	for (size_t i = json_array_size(arr); i > 0; i--)
		json_array_append(r, json_array_get(arr, i - 1));
	json_decref(arr);
	return r;
}

/* The body of the phase named `name` in a cycle's phases, without name. */
static json_t *phase_body(const json_t *phases, const char *name)
{
	size_t i;
	json_t *p;

	json_array_foreach(phases, i, p) {
		if (json_is_object(p) && !strcmp(mn_json_str(p, "name", ""), name)) {
			json_t *o = json_deep_copy(p);

			json_object_del(o, "name");
			return o;
		}
	}
	return json_null();
}

static int cycles_json(struct mn_ctx *a, json_t *o, struct mn_err *err)
{
	json_t *list = NULL, *out = json_array(), *c;
	int total = 0, ret;
	size_t i;

	ret = mn_store_learn_cycle_list(a->store, &list, &total, MN_APP_HISTORY_MAX_ITEMS, err);
	if (ret) {
		json_decref(out);
		return ret;
	}
	list = reversed(list);
	json_array_foreach(list, i, c) {
		const json_t *ph = json_object_get(c, "phases");
		json_t *reclass = phase_body(ph, "reclassify");
		json_t *row = json_pack("{s:O,s:O,s:O,s:O,s:O}", "id", json_object_get(c, "id"),
					"trigger", json_object_get(c, "trigger"), "status",
					json_object_get(c, "status"), "started_at",
					json_object_get(c, "started_at"), "finished_at",
					json_object_get(c, "finished_at"));

		if (!row)
			row = json_object();
		json_object_set(row, "buffer", json_is_object(json_object_get(reclass, "buffer"))
						       ? json_object_get(reclass, "buffer")
						       : json_null());
		json_decref(reclass);
		json_object_set_new(row, "curriculum", phase_body(ph, "curriculum"));
		json_object_set_new(row, "training", phase_body(ph, "training"));
		json_array_append_new(out, row);
	}
	json_decref(list);
	json_object_set_new(o, "cycles", out);
	json_object_set_new(o, "cycles_total", json_integer(total));
	return 0;
}

static json_t *json_or_null(const json_t *v)
{
	return v ? json_incref((json_t *)v) : json_null();
}

static json_t *str_or_null(const char *s)
{
	return s && *s ? json_string(s) : json_null();
}

static int runs_json(struct mn_ctx *a, json_t *o, struct mn_err *err)
{
	struct mn_train_run *runs = NULL;
	size_t n = 0;
	json_t *out;
	int ret = mn_store_train_list(a->store, &runs, &n, MN_APP_HISTORY_MAX_ITEMS, err);

	if (ret)
		return ret;
	out = json_array();
	for (size_t i = n; i > 0; i--) {
		const struct mn_train_run *r = &runs[i - 1];
		json_t *row = json_object();

		json_object_set_new(row, "id", json_string(r->id));
		json_object_set_new(row, "model", json_string(r->model[0] ? r->model : "student"));
		json_object_set_new(row, "state", json_string(r->state));
		json_object_set_new(row, "trigger", json_string(r->trigger));
		json_object_set_new(row, "created_at", json_string(r->created_at));
		json_object_set_new(row, "finished_at", str_or_null(r->finished_at));
		json_object_set_new(row, "gate_verdict", str_or_null(r->gate_verdict));
		json_object_set_new(row, "candidate_version", str_or_null(r->candidate_version));
		json_object_set_new(row, "deployed_version", str_or_null(r->deployed_version));
		json_object_set_new(row, "candidate", json_or_null(r->candidate_metrics));
		json_object_set_new(row, "incumbent", json_or_null(r->incumbent_metrics));
		json_array_append_new(out, row);
	}
	mn_train_runs_free(runs, n);
	json_object_set_new(o, "runs", out);
	return 0;
}

static int versions_json(struct mn_ctx *a, const char *student, json_t *o, struct mn_err *err)
{
	struct mn_model_version *v = NULL;
	size_t n = 0, first;
	json_t *out;
	int ret = mn_store_model_list(a->store, &v, &n, student, err);

	if (ret)
		return ret;
	out = json_array();
	first = n > MN_APP_HISTORY_MAX_ITEMS ? n - MN_APP_HISTORY_MAX_ITEMS : 0;
	for (size_t i = first; i < n; i++) {
		json_t *row = json_object();

		json_object_set_new(row, "version", json_string(v[i].version));
		json_object_set_new(row, "state", json_string(v[i].state));
		json_object_set_new(row, "training_run", str_or_null(v[i].training_run));
		json_object_set_new(row, "parent", str_or_null(v[i].parent));
		json_object_set_new(row, "created_at", json_string(v[i].created_at));
		json_object_set_new(row, "deployed_at", str_or_null(v[i].deployed_at));
		json_object_set_new(row, "gate_metrics", json_or_null(v[i].gate_metrics));
		json_object_set_new(row, "live_metrics", json_or_null(v[i].live_metrics));
		json_array_append_new(out, row);
	}
	mn_model_versions_free(v, n);
	json_object_set_new(o, "versions", out);
	return 0;
}

int mn_app_learning_history(struct mn_ctx *a, int days, json_t **out, struct mn_err *err)
{
	char since[MN_TIME_LEN], student[64];
	json_t *o, *series = NULL;
	int ret;

	*out = NULL;
	if (days == 0)
		days = MN_APP_HISTORY_DAYS;
	if (days < 1 || days > MN_APP_HISTORY_MAX_DAYS)
		return mn_err_set(err, MN_EINVAL, "days must be 1 to %d", MN_APP_HISTORY_MAX_DAYS);
	/* from the start of the day `days - 1` days ago (UTC) */
	mn_time_format(since, mn_time_now_ms() - (int64_t)(days - 1) * 86400000);
	since[10] = '\0';
	mn_registry_student(student, &a->cfg);
	o = json_pack("{s:i,s:s,s:s}", "days", days, "since", since, "student", student);
	ret = cycles_json(a, o, err);
	if (!ret)
		ret = mn_store_stats_experience_daily(a->store, since, &series, err);
	if (!ret) {
		json_object_set_new(o, "experience_daily", series);
		ret = mn_store_stats_corrections_daily(a->store, since, &series, err);
	}
	if (!ret) {
		json_object_set_new(o, "corrections_daily", series);
		ret = mn_store_stats_feedback_daily(a->store, since, &series, err);
	}
	if (!ret) {
		json_object_set_new(o, "feedback_daily", series);
		ret = runs_json(a, o, err);
	}
	if (!ret)
		ret = versions_json(a, student, o, err);
	if (ret) {
		json_decref(o);
		return ret;
	}
	*out = o;
	return 0;
}
