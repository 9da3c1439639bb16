#include "train/monitor.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "base/json.h"
#include "base/log.h"
#include "base/timeutil.h"
#include "train/registry.h"
#include "store/store_train.h"
#include "learn/worker.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static char settled[16]; /* last version whose window is complete */

int mn_monitor_check(struct mn_ctx *a, struct mn_store *st, json_t **out, struct mn_err *err)
{
	struct mn_ctx view = *a;
	struct mn_model_version v;
	char student[64], cur[16] = "", pinned[16] = "", to[16];
	double gate_epr, gate_sc, epr = 0, sc = 0, drop_epr, drop_sc;
	double max_drop = a->cfg.learning.monitor.max_drop_pp;
	int n = 0, window = a->cfg.learning.monitor.window, ret;
	const char *verdict = "idle";
	json_t *live = NULL;

	memset(&v, 0, sizeof(v));
	if (out)
		*out = NULL;
	/* Registry calls must use the caller's connection (one per thread). */
	view.store = st ? st : a->store;
	view.encoder = NULL;
	/* A rollback takes the registry flock and runs deploy.command: never
	 * inside a store transaction (store.h). */
	if (mn_store_in_transaction(view.store))
		return mn_err_set(err, MN_EBUSY,
				  "post-deploy monitor called inside a store transaction");
	mn_registry_student(student, &a->cfg);
	if (strcmp(student, "builtin"))
		goto report; /* external students report their own model name */
	mn_registry_current(&view, student, cur);
	if (!cur[0])
		goto report;
	pthread_mutex_lock(&lock);
	ret = !strcmp(settled, cur);
	pthread_mutex_unlock(&lock);
	if (ret)
		goto report;
	ret = mn_store_model_get(view.store, &v, student, cur, err);
	if (ret)
		return ret;
	if (!v.training_run || !v.gate_metrics || !v.deployed_at[0] ||
	    json_is_string(json_object_get(v.live_metrics, "verdict"))) {
		pthread_mutex_lock(&lock);
		snprintf(settled, sizeof(settled), "%s", cur);
		pthread_mutex_unlock(&lock);
		goto report;
	}
	ret = mn_registry_pinned(&view, student, pinned, err);
	if (ret)
		goto out;
	ret = mn_store_train_live_quality(view.store, &n, &epr, &sc, cur, v.deployed_at, window,
					  err);
	if (ret)
		goto out;
	verdict = "watching";
	if (n < window)
		goto report;
	gate_epr = mn_json_num(v.gate_metrics, "epr", 0);
	gate_sc = mn_json_num(v.gate_metrics, "sc_rate", 0);
	drop_epr = (gate_epr - epr) * 100.0;
	drop_sc = (gate_sc - sc) * 100.0;
	verdict = "ok";
	if ((drop_epr > max_drop || drop_sc > max_drop) && !pinned[0]) {
		char why[256];

		snprintf(why, sizeof(why),
			 "post-deploy monitor: %s over its first %d encodings: EPR %.3f (gate %.3f),"
			 " SC %.3f (gate %.3f); drop above max_drop_pp %g",
			 cur, n, epr, gate_epr, sc, gate_sc, max_drop);
		mn_warn("monitor", "%s: rolling back", why);
		ret = mn_registry_rollback(&view, to, student, NULL, why, err);
		if (ret)
			goto out;
		verdict = "rolled_back";
	}
	live = json_pack("{s:i,s:f,s:f,s:f,s:f,s:s,s:s}", "n", n, "epr", epr, "sc", sc,
			 "gate_epr", gate_epr, "gate_sc", gate_sc, "verdict", verdict,
			 "checked_at", "");
	{
		char now[MN_TIME_LEN];

		mn_time_now_str(now);
		json_object_set_new(live, "checked_at", json_string(now));
	}
	ret = mn_store_model_set_live(view.store, student, cur, live, err);
	if (ret)
		goto out;
	mn_info("monitor", "%s: live EPR %.3f SC %.3f over %d encodings: %s", cur, epr, sc, n,
		verdict);
	pthread_mutex_lock(&lock);
	snprintf(settled, sizeof(settled), "%s", cur);
	pthread_mutex_unlock(&lock);
report:
	if (out)
		*out = json_pack("{s:s,s:i,s:f,s:f,s:i,s:s}", "version", cur[0] ? cur : "",
				 "n", n, "epr", epr, "sc", sc, "window", window, "verdict",
				 verdict);
	ret = 0;
out:
	json_decref(live);
	mn_model_version_release(&v);
	return ret;
}

static void observe(void *payload, struct mn_store *st, const char *encoder_version)
{
	struct mn_err err = MN_ERR_INIT;

	/* Only encodings of a registry version can move the monitor. */
	if (!encoder_version || encoder_version[0] != 'v')
		return;
	if (mn_monitor_check(payload, st, NULL, &err))
		mn_warn("monitor", "%s", err.msg);
}

void mn_monitor_install(struct mn_ctx *a)
{
	/* Written once: later calls (every supervision tick, every dream)
	 * leave the struct alone while worker threads read *a. */
	if (a->observer.fn != observe)
		a->observer = (struct mn_worker_observer){ .fn = observe, .payload = a };
}
