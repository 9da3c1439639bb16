#include "app.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/file.h"
#include "base/json.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/text.h"
#include "encoding.h"
#include "prompt.h"
#include "verify.h"
#include "worker.h"

static mn_app_status_fn status_hook;

void mn_app_set_status_hook(mn_app_status_fn fn)
{
	status_hook = fn;
}

int mn_app_open_config(struct mn_app *a, const char *config_path, struct mn_err *err)
{
	int ret, lvl;

	memset(a, 0, sizeof(*a));
	mn_config_init(&a->cfg);
	ret = mn_config_open(&a->cfg, config_path, err);
	if (ret)
		return ret;
	a->home = mn_config_data_home();
	a->db_path = mn_xasprintf("%s/mnemo.db", a->home);
	lvl = mn_log_level_parse(a->cfg.log.level ? a->cfg.log.level : "info");
	if (lvl >= 0)
		mn_log_set_level((enum mn_log_level)lvl);
	if (getenv("MNEMO_LOG_LEVEL") && mn_log_level_parse(getenv("MNEMO_LOG_LEVEL")) >= 0)
		mn_log_set_level((enum mn_log_level)mn_log_level_parse(getenv("MNEMO_LOG_LEVEL")));
	if (a->cfg.log.file && mn_log_open_file(a->cfg.log.file) < 0)
		return mn_err_set(err, MN_EIO, "could not open log file '%s': %s",
				  a->cfg.log.file, strerror(errno));
	return 0;
}

int mn_app_open(struct mn_app *a, const char *config_path, struct mn_err *err)
{
	static const char *const subdirs[] = { "training", "training/requests", "models", NULL };
	int ret = mn_app_open_config(a, config_path, err);

	if (ret)
		return ret;
	ret = mn_file_mkdir_p(a->home, 0700, err);
	for (const char *const *d = subdirs; !ret && *d; d++) {
		char *p = mn_xasprintf("%s/%s", a->home, *d);

		ret = mn_file_mkdir_p(p, 0700, err);
		free(p);
	}
	if (ret)
		return ret;
	return mn_store_open(&a->store, a->db_path, err);
}

void mn_app_close(struct mn_app *a)
{
	mn_encoder_free(a->encoder);
	mn_store_close(a->store);
	mn_config_release(&a->cfg);
	free(a->home);
	free(a->db_path);
	memset(a, 0, sizeof(*a));
}

int mn_app_encoder(struct mn_app *a, struct mn_encoder **out, struct mn_err *err)
{
	int ret = 0;

	if (!a->encoder)
		ret = mn_encoder_open(&a->encoder, &a->cfg, a->home, err);
	*out = a->encoder;
	return ret;
}

int mn_app_remember(struct mn_app *a, struct mn_remember_out *out,
		    const struct mn_remember_in *in, struct mn_err *err)
{
	struct mn_raw raw;
	struct mn_encoder *enc = NULL;
	struct mn_err e2 = MN_ERR_INIT;
	int lock_fd = -1, ret;
	bool inline_ok;

	memset(out, 0, sizeof(*out));
	memset(&raw, 0, sizeof(raw));
	ret = mn_text_check_input(in->text, in->len, (size_t)a->cfg.encoding.max_text_bytes, err);
	if (ret)
		return ret;
	raw.content = (char *)in->text;
	raw.content_len = in->len;
	raw.source = (char *)in->source;
	raw.type = (char *)in->type;
	raw.project = (char *)in->project;
	raw.session = (char *)in->session;
	/* Encode inline only when no worker holds the lock (and the student
	 * loads); then the raw row is committed already claimed by us - one
	 * commit instead of two. Either way it is committed before encoding. */
	inline_ok = mn_worker_try_lock(&lock_fd, a->home, &e2) == 0;
	if (inline_ok && mn_app_encoder(a, &enc, &e2)) {
		snprintf(out->note, sizeof(out->note), "queued: %s", e2.msg);
		mn_warn("remember", "not encoding inline: %s", e2.msg);
		inline_ok = false;
	} else if (!inline_ok) {
		snprintf(out->note, sizeof(out->note), "queued for the running daemon");
	}
	ret = inline_ok ? mn_store_put_raw_claimed(a->store, &raw, MN_WORKER_INLINE,
						   mn_worker_lease_ms(&a->cfg), err)
			: mn_store_put_raw(a->store, &raw, err);
	if (ret)
		goto out;
	snprintf(out->raw_id, sizeof(out->raw_id), "%s", raw.id);
	out->state = "queued";
	/* From here on the raw row is committed: nothing below may lose it. */
	if (!inline_ok)
		goto out;
	if (mn_worker_encode_raw(a->store, enc, &a->cfg, &raw, MN_WORKER_INLINE, &a->observer,
				 out->memory_id, &e2)) {
		snprintf(out->note, sizeof(out->note), "queued: %s", e2.msg);
		mn_warn("remember", "stored %s but did not encode it: %s", raw.id, e2.msg);
	} else {
		out->state = "encoded";
	}
out:
	mn_worker_unlock(lock_fd);
	return ret;
}

int mn_app_amend(struct mn_app *a, const char *memory_id, const char *encoding_json,
		 size_t len, json_t **out_metrics, struct mn_err *err)
{
	struct mn_memory m;
	struct mn_raw raw;
	struct mn_metrics met;
	json_t *enc = NULL;
	char why[64];
	char *compact = NULL;
	int ret;
	size_t seen;

	memset(&m, 0, sizeof(m));
	memset(&raw, 0, sizeof(raw));
	memset(&met, 0, sizeof(met));
	*out_metrics = NULL;
	/* A correction is held to the limit of the text it encodes. */
	if (len > (size_t)a->cfg.encoding.max_text_bytes)
		return mn_err_set(err, MN_EINVAL,
				  "amended encoding is %zu bytes, over the limit of %lld "
				  "(encoding.max_text_bytes)",
				  len, (long long)a->cfg.encoding.max_text_bytes);
	enc = mn_json_parse(encoding_json, len, err);
	if (!enc)
		return MN_EINVAL;
	if (!mn_encoding_check(enc, why, sizeof(why))) {
		ret = mn_err_set(err, MN_EINVAL, "amended encoding does not fit the schema (%s)",
				 why);
		goto out;
	}
	ret = mn_store_get_memory(a->store, &m, memory_id, err);
	if (!ret)
		ret = mn_store_get_raw(a->store, &raw, m.raw_id, err);
	if (ret)
		goto out;
	seen = mn_prompt_input_len(raw.content, raw.content_len,
				   (size_t)a->cfg.encoding.max_input_chars);
	mn_verify_score(&met, raw.content, seen, enc);
	compact = mn_json_dumps(enc);
	ret = mn_store_exp_set_correction(a->store, m.id, compact, met.epr, met.fr, met.sc,
					  "human", err);
	if (!ret)
		*out_metrics = mn_metrics_to_json(&met);
out:
	free(compact);
	mn_metrics_release(&met);
	json_decref(enc);
	mn_memory_release(&m);
	mn_raw_release(&raw);
	return ret;
}

int mn_app_status(struct mn_app *a, json_t **out, struct mn_err *err)
{
	json_t *o = json_object(), *counts = NULL, *paths, *enc;
	struct mn_encoder *e = NULL;
	struct mn_err e2 = MN_ERR_INIT;
	int ret;

	*out = NULL;
	ret = mn_store_counts(a->store, &counts, err);
	if (ret) {
		json_decref(o);
		return ret;
	}
	json_object_set_new(o, "version", json_string(MN_VERSION));
	json_object_set_new(o, "schema_version",
			    json_integer(mn_store_schema_version(a->store)));
	paths = json_pack("{s:s,s:s,s:s?}", "home", a->home, "database", a->db_path, "config",
			  a->cfg.path);
	json_object_set_new(o, "paths", paths);
	json_object_set_new(o, "config_file", a->cfg.path ? json_string(a->cfg.path) : json_null());
	json_object_set_new(o, "queue", json_deep_copy(json_object_get(counts, "raw")));
	json_object_set_new(o, "memories", json_deep_copy(json_object_get(counts, "memories")));
	json_object_set_new(o, "recalls", json_deep_copy(json_object_get(counts, "recalls")));
	json_object_set_new(o, "ratings", json_deep_copy(json_object_get(counts, "ratings")));
	json_object_set_new(o, "experience", json_deep_copy(json_object_get(counts, "experience")));
	json_decref(counts);
	enc = json_object();
	json_object_set_new(enc, "student_provider", json_string(a->cfg.student.provider));
	if (a->cfg.student.model)
		json_object_set_new(enc, "student_model", json_string(a->cfg.student.model));
	json_object_set_new(enc, "teacher_provider", json_string(a->cfg.teacher.provider));
	if (a->cfg.teacher.model)
		json_object_set_new(enc, "teacher_model", json_string(a->cfg.teacher.model));
	if (mn_app_encoder(a, &e, &e2) == 0)
		json_object_set_new(enc, "current", json_string(mn_encoder_describe(e)));
	else
		json_object_set_new(enc, "error", json_string(e2.msg));
	json_object_set_new(o, "encoder", enc);
	/* serve.lock, not worker.lock: an inline encoder is not a daemon, and
	 * the probe needs no write access to the data home. */
	json_object_set_new(o, "daemon", json_string(mn_worker_daemon_running(a->home)
							     ? "running"
							     : "not running"));
	if (status_hook)
		status_hook(a, o);
	*out = o;
	return 0;
}
