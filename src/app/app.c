#include "app/app.h"

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
#include "store/store_browse.h"
#include "store/store_learn.h"
#include "train/dream.h"
#include "model/encoding.h"
#include "model/prompt.h"
#include "train/ranker_run.h"
#include "train/train.h"
#include "model/verify.h"
#include "learn/worker.h"

/* The same text of the same project again: count it on the memory that
 * holds it (out->duplicate) instead of storing it twice. */
static int remember_repeat(struct mn_ctx *a, struct mn_remember_out *out,
			   const struct mn_remember_in *in, struct mn_err *err)
{
	struct mn_dup_hit hit;
	bool found = false;
	int ret = mn_store_browse_repeat(a->store, &hit, &found, in->text, in->len, in->project,
					 err);

	if (ret || !found)
		return ret;
	out->duplicate = true;
	out->repeat_count = (long long)hit.repeat_count;
	snprintf(out->raw_id, sizeof(out->raw_id), "%s", hit.raw_id);
	snprintf(out->memory_id, sizeof(out->memory_id), "%s", hit.memory_id);
	out->state = hit.memory_id[0] ? "encoded" : "queued";
	return 0;
}

int mn_app_remember(struct mn_ctx *a, struct mn_remember_out *out,
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
	ret = remember_repeat(a, out, in, err);
	if (ret || out->duplicate)
		return ret;
	raw.content = (char *)in->text;
	raw.content_len = in->len;
	raw.source = (char *)in->source;
	raw.type = (char *)in->type;
	raw.project = (char *)in->project;
	raw.session = (char *)in->session;
	if (in->time) {
		int64_t t;

		if (!mn_time_parse(&t, in->time))
			return mn_err_set(err, MN_EINVAL,
					  "time '%s' is not an ISO-8601 date or time", in->time);
		mn_time_format(raw.occurred_at, t);
	}
	/* Encode inline only when no worker holds the lock (and the student
	 * loads); then the raw row is committed already claimed by us - one
	 * commit instead of two. Either way it is committed before encoding. */
	inline_ok = mn_worker_try_lock(&lock_fd, a->home, &e2) == 0;
	if (inline_ok && mn_ctx_encoder(a, &enc, &e2)) {
		snprintf(out->note, sizeof(out->note), "queued: %s", e2.msg);
		mn_warn("remember", "not encoding inline: %s", e2.msg);
		inline_ok = false;
	} else if (!inline_ok) {
		snprintf(out->note, sizeof(out->note), "queued for the running daemon");
	}
	/* The check again, and the insert, in one write transaction (BEGIN
	 * IMMEDIATE): of processes remembering the same text at once, one
	 * stores it and each other one finds it (the check above only spares
	 * a repetition the student's loading). */
	ret = mn_store_begin(a->store, err);
	if (!ret)
		ret = remember_repeat(a, out, in, err);
	if (!ret && !out->duplicate)
		ret = inline_ok ? mn_store_put_raw_claimed(a->store, &raw, MN_WORKER_INLINE,
							   mn_worker_lease_ms(&a->cfg), err)
				: mn_store_put_raw(a->store, &raw, err);
	if (!ret)
		ret = mn_store_commit(a->store, err);
	else
		mn_store_rollback(a->store);
	if (ret || out->duplicate) {
		out->note[0] = '\0';
		goto out;
	}
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

int mn_app_amend(struct mn_ctx *a, const char *memory_id, const char *encoding_json,
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
	/* The memory itself says what the human wrote from now on (its earlier
	 * encoding goes to its history), and the correction is the training
	 * target: both or neither. */
	ret = mn_store_begin(a->store, err);
	if (!ret) {
		struct mn_browse_reencode re = { .encoding = enc };

		ret = mn_store_browse_replace(a->store, m.id, "amend", &re, NULL, 0, err);
	}
	if (!ret)
		ret = mn_store_exp_set_correction(a->store, m.id, compact, met.epr, met.fr, met.sc,
						  "human", err);
	if (!ret)
		ret = mn_store_commit(a->store, err);
	else
		mn_store_rollback(a->store);
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

json_t *mn_app_learning_json(struct mn_ctx *a)
{
	json_t *o = mn_train_state_json(a), *dream = mn_dream_status_json(a);

	json_object_set_new(o, "dream", dream ? dream : json_null());
	/* the learned ranker's own: which serves, ratings since its last run */
	json_object_set_new(o, "ranker", mn_ranker_state_json(a));
	return o;
}

int mn_app_status(struct mn_ctx *a, json_t **out, struct mn_err *err)
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
	json_object_set_new(o, "projects", json_deep_copy(json_object_get(counts, "projects")));
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
	if (mn_ctx_encoder(a, &e, &e2) == 0)
		json_object_set_new(enc, "current", json_string(mn_encoder_describe(e)));
	else
		json_object_set_new(enc, "error", json_string(e2.msg));
	json_object_set_new(o, "encoder", enc);
	/* serve.lock, not worker.lock: an inline encoder is not a daemon, and
	 * the probe needs no write access to the data home. */
	json_object_set_new(o, "daemon", json_string(mn_worker_daemon_running(a->home)
							     ? "running"
							     : "not running"));
	json_object_set_new(o, "learning", mn_app_learning_json(a));
	*out = o;
	return 0;
}

json_t *mn_app_memory_json(const struct mn_memory *m)
{
	json_t *o = json_object();

	if (m->id[0]) {
		json_object_set_new(o, "id", json_string(m->id));
		json_object_set_new(o, "raw_id", json_string(m->raw_id));
		json_object_set_new(o, "state", json_string("encoded"));
		json_object_set_new(o, "encoding", json_deep_copy(m->encoding));
		json_object_set_new(o, "encoder", json_string(m->encoder ? m->encoder : ""));
		json_object_set_new(o, "encoder_version",
				    json_string(m->encoder_version ? m->encoder_version : ""));
		json_object_set_new(o, "salience", json_real(m->salience));
		json_object_set_new(o, "feedback_score", json_real(m->feedback_score));
		json_object_set_new(o, "metrics",
				    json_pack("{s:f,s:f,s:f,s:b,s:b,s:b,s:f}", "epr", m->epr, "fr",
					      m->fr, "np", m->np, "sc", m->sc, "ted", m->ted, "mig",
					      m->mig, "confidence", m->confidence));
		json_object_set_new(o, "flags", json_deep_copy(m->flags));
	} else {
		json_object_set_new(o, "id", json_null());
		json_object_set_new(o, "raw_id", json_string(m->raw_id));
		json_object_set_new(o, "state", json_string(m->state));
		json_object_set_new(o, "content",
				    json_string(m->raw_content ? m->raw_content : ""));
	}
	if (m->category[0])
		json_object_set_new(o, "category", json_string(m->category));
	json_object_set_new(o, "score", json_real(m->score));
	json_object_set_new(o, "source", m->source ? json_string(m->source) : json_null());
	json_object_set_new(o, "type", m->type ? json_string(m->type) : json_null());
	json_object_set_new(o, "project", m->project ? json_string(m->project) : json_null());
	json_object_set_new(o, "created_at", json_string(m->created_at));
	json_object_set_new(o, "time", json_string(m->occurred_at[0] ? m->occurred_at
								     : m->created_at));
	return o;
}

/* Longest prefix of text within max bytes that ends at a word (and never
 * inside a UTF-8 sequence), with an ellipsis when cut. */
static json_t *cut_text(const char *text, size_t max)
{
	size_t len = strlen(text), end;
	char *s;
	json_t *o;

	if (len <= max)
		return mn_json_safe_string(text);
	end = max;
	while (end > max / 2 && text[end] != ' ')
		end--;
	if (text[end] != ' ')
		end = mn_text_utf8_cut(text, len, max);
	s = mn_xasprintf("%.*s…", (int)end, text);
	o = mn_json_safe_string(s);
	free(s);
	return o;
}

#define RECALL_TEXT_MAX 280

json_t *mn_app_recall_item_json(const struct mn_memory *m, bool full, bool explain)
{
	json_t *o = full ? mn_app_memory_json(m) : json_object();
	const char *text = m->raw_content ? m->raw_content : "";

	if (m->id[0]) {
		const char *summary = mn_json_str(m->encoding, "summary", "");
		const char *gist = mn_json_str(m->encoding, "gist", "");

		text = *summary && strlen(summary) <= RECALL_TEXT_MAX ? summary
		       : *gist ? gist : summary;
	}
	if (!full) {
		json_object_set_new(o, "id", m->id[0] ? json_string(m->id) : json_null());
		json_object_set_new(o, "raw_id", json_string(m->raw_id));
		json_object_set_new(o, "state", json_string(m->id[0] ? "encoded" : m->state));
		json_object_set_new(o, "time", json_string(m->occurred_at[0] ? m->occurred_at
									     : m->created_at));
		json_object_set_new(o, "score", json_real(m->score));
		json_object_set_new(o, "project",
				    m->project ? json_string(m->project) : json_null());
		json_object_set_new(o, "type", m->type ? json_string(m->type) : json_null());
		json_object_set_new(o, "source", m->source ? json_string(m->source) : json_null());
	}
	json_object_set_new(o, "text", cut_text(text, RECALL_TEXT_MAX));
	json_object_set_new(o, "matched",
			    json_deep_copy(json_object_get(m->explain, "matched")
						   ? json_object_get(m->explain, "matched")
						   : json_array()));
	if (explain && m->explain)
		json_object_set_new(o, "explain", json_deep_copy(m->explain));
	return o;
}
