/*
 * drift.c - rolling quality window against a baseline (drift.h).
 */
#include "learn/drift.h"

#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/timeutil.h"
#include "store/store_learn.h"

static json_t *window_json(const struct mn_learn_window *w)
{
	return json_pack("{s:i,s:f,s:f,s:s}", "n", w->n, "epr", w->mean_epr, "sc", w->sc_rate,
			 "newest_id", w->newest_id);
}

json_t *mn_drift_state_json(struct mn_ctx *a)
{
	struct mn_err err = MN_ERR_INIT;
	char *text = NULL;
	json_t *o = NULL;

	if (mn_store_meta_get(a->store, &text, MN_DRIFT_META_KEY, &err) == 0 && text)
		o = mn_json_parse(text, strlen(text), NULL);
	free(text);
	if (!json_is_object(o)) {
		json_decref(o);
		o = json_object();
	}
	return o;
}

int mn_drift_audit(struct mn_ctx *a, json_t **out_phase, bool *out_drift, struct mn_err *err)
{
	int size = a->cfg.learning.monitor.window;
	double thr = a->cfg.learning.monitor.max_drop_pp;
	struct mn_learn_window w;
	json_t *st = NULL, *base, *p = NULL;
	const char *state;
	char now[MN_TIME_LEN];
	char *text = NULL;
	int consecutive, ret, min_n = size < MN_DRIFT_MIN_WINDOW ? size : MN_DRIFT_MIN_WINDOW;
	bool drift = false;

	*out_phase = NULL;
	*out_drift = false;
	ret = mn_store_learn_quality_window(a->store, &w, size, err);
	if (ret)
		return ret;
	st = mn_drift_state_json(a);
	base = json_object_get(st, "baseline");
	consecutive = (int)json_integer_value(json_object_get(st, "consecutive_degrading"));
	p = json_pack("{s:s,s:s}", "name", "drift", "status", "ok");
	json_object_set_new(p, "window", window_json(&w));
	mn_time_now_str(now);
	if (w.n < min_n || w.n == 0) {
		state = "insufficient_data";
	} else if (!json_is_object(base)) {
		state = "baseline_set";
		json_object_set_new(st, "baseline", window_json(&w));
		consecutive = 0;
	} else if (!strcmp(w.newest_id, mn_json_str(st, "last_newest_id", ""))) {
		/* Nothing new since the last audit: it cannot count twice. */
		state = "no_new_data";
	} else {
		double d_epr = (mn_json_num(base, "epr", 0) - w.mean_epr) * 100.0;
		double d_sc = (mn_json_num(base, "sc", 0) - w.sc_rate) * 100.0;

		json_object_set_new(p, "drop_pp", json_pack("{s:f,s:f}", "epr", d_epr, "sc", d_sc));
		if (d_epr > thr || d_sc > thr) {
			state = "degrading";
			consecutive++;
			drift = consecutive >= 2;
		} else {
			state = "stable";
			consecutive = 0;
			json_object_set_new(st, "baseline", window_json(&w));
		}
	}
	json_object_set_new(p, "state", json_string(state));
	if (json_is_object(json_object_get(st, "baseline")))
		json_object_set(p, "baseline", json_object_get(st, "baseline"));
	json_object_set_new(p, "threshold_pp", json_real(thr));
	json_object_set_new(p, "consecutive_degrading", json_integer(consecutive));
	json_object_set_new(p, "drift", json_boolean(drift));
	if (w.newest_id[0] && strcmp(state, "insufficient_data"))
		json_object_set_new(st, "last_newest_id", json_string(w.newest_id));
	json_object_set_new(st, "consecutive_degrading", json_integer(consecutive));
	json_object_set_new(st, "last_state", json_string(state));
	json_object_set_new(st, "last_window", window_json(&w));
	json_object_set_new(st, "drift", json_boolean(drift));
	json_object_set_new(st, "at", json_string(now));
	text = mn_json_dumps(st);
	ret = mn_store_meta_set(a->store, MN_DRIFT_META_KEY, text, err);
	free(text);
	json_decref(st);
	if (ret) {
		json_decref(p);
		return ret;
	}
	*out_phase = p;
	*out_drift = drift;
	return 0;
}
