/*
 * browse.c - list, show, edit, dedup, export, import and batched remember
 * (browse.h): one result object per operation for the CLI and MCP.
 */
#include "app/browse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/mem.h"
#include "base/text.h"
#include "base/timeutil.h"
#include "learn/experience.h"
#include "learn/worker.h"
#include "model/encoder.h"

json_t *mn_app_item_json(const struct mn_browse_item *it)
{
	json_t *o = mn_app_memory_json(&it->m);

	json_object_del(o, "score");
	json_object_set_new(o, "text", json_string(it->text ? it->text : ""));
	json_object_set_new(o, "remembered_at", json_string(it->pos.created_at));
	json_object_set_new(o, "repeat_count", json_integer(it->repeat_count));
	json_object_set_new(o, "last_seen_at",
			    it->last_seen_at[0] ? json_string(it->last_seen_at) : json_null());
	return o;
}

/* ---- cursors: opaque to clients, "c1" + hex of "<rowid>:<created_at>" ---- */

static char *cursor_make(const struct mn_browse_pos *p)
{
	char plain[96];
	int n = snprintf(plain, sizeof(plain), "%lld:%s", (long long)p->rowid, p->created_at);
	char *out = mn_xmalloc(2 + 2 * (size_t)n + 1);

	out[0] = 'c';
	out[1] = '1';
	out[2] = '\0';
	for (int i = 0; i < n; i++)
		snprintf(out + 2 + 2 * i, 3, "%02x", (unsigned char)plain[i]);
	return out;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static bool cursor_parse(struct mn_browse_pos *p, const char *c)
{
	char plain[96], *colon, *end;
	size_t len = strlen(c), n;
	long long rowid;

	if (len < 4 || strncmp(c, "c1", 2) || (len - 2) % 2 || (len - 2) / 2 >= sizeof(plain))
		return false;
	n = (len - 2) / 2;
	for (size_t i = 0; i < n; i++) {
		int hi = hexval(c[2 + 2 * i]), lo = hexval(c[3 + 2 * i]);

		if (hi < 0 || lo < 0)
			return false;
		plain[i] = (char)(hi * 16 + lo);
	}
	plain[n] = '\0';
	colon = strchr(plain, ':');
	if (!colon)
		return false;
	*colon = '\0';
	rowid = strtoll(plain, &end, 10);
	if (*end || rowid <= 0 || strlen(colon + 1) >= sizeof(p->created_at))
		return false;
	p->rowid = rowid;
	snprintf(p->created_at, sizeof(p->created_at), "%s", colon + 1);
	return true;
}

static int norm_time(char out[MN_TIME_LEN], const char *in, const char *what,
		     struct mn_err *err)
{
	int64_t t;

	if (!in)
		return 0;
	if (!mn_time_parse(&t, in))
		return mn_err_set(err, MN_EINVAL, "%s '%s' is not an ISO-8601 time", what, in);
	mn_time_format(out, t);
	return 0;
}

int mn_op_list(struct mn_ctx *a, const struct mn_browse_filter *f, const char *cursor,
	       int limit, json_t **out, struct mn_err *err)
{
	struct mn_browse_filter g = *f;
	struct mn_browse_pos pos = { "", 0 };
	struct mn_browse_item *items = NULL;
	char since[MN_TIME_LEN], until[MN_TIME_LEN];
	size_t n = 0;
	bool more = false;
	json_t *arr, *projects = NULL;
	int ret;

	*out = NULL;
	if (limit <= 0)
		limit = MN_BROWSE_PAGE_DEFAULT;
	if (limit > MN_BROWSE_PAGE_MAX)
		return mn_err_set(err, MN_EINVAL, "limit must be 1 to %d", MN_BROWSE_PAGE_MAX);
	if (cursor && !cursor_parse(&pos, cursor))
		return mn_err_set(err, MN_EINVAL, "invalid cursor '%.80s': pass a nextCursor an "
				  "earlier list returned", cursor);
	ret = norm_time(since, f->since, "since", err);
	if (!ret)
		ret = norm_time(until, f->until, "until", err);
	if (ret)
		return ret;
	g.since = f->since ? since : NULL;
	g.until = f->until ? until : NULL;
	ret = mn_store_browse_list(a->store, &items, &n, &more, &g, &pos, limit, err);
	if (!ret)
		ret = mn_store_browse_projects(a->store, &projects, &g, err);
	if (ret) {
		mn_browse_items_free(items, n);
		return ret;
	}
	arr = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, mn_app_item_json(&items[i]));
	*out = json_pack("{s:o,s:I,s:o}", "memories", arr, "count", (json_int_t)n, "projects",
			 projects);
	if (more && n) {
		char *c = cursor_make(&items[n - 1].pos);

		json_object_set_new(*out, "nextCursor", json_string(c));
		free(c);
	} else {
		json_object_set_new(*out, "nextCursor", json_null());
	}
	mn_browse_items_free(items, n);
	return 0;
}

int mn_op_show(struct mn_ctx *a, const char *id, json_t **out, struct mn_err *err)
{
	struct mn_browse_item it;
	json_t *o = NULL, *v = NULL;
	int ret = mn_store_browse_get(a->store, &it, id, err);

	*out = NULL;
	if (ret)
		return ret;
	o = mn_app_item_json(&it);
	json_object_set_new(o, "raw", json_pack("{s:s,s:i,s:o,s:o,s:s}", "state", it.raw_state,
						"attempts", it.attempts, "last_error",
						it.last_error ? json_string(it.last_error)
							      : json_null(),
						"session",
						it.session ? json_string(it.session) : json_null(),
						"updated_at", it.updated_at));
	if (it.m.id[0]) {
		ret = mn_store_browse_experience(a->store, &v, it.m.id, err);
		if (ret)
			goto out;
		json_object_set_new(o, "experience", v);
		ret = mn_store_browse_feedback(a->store, &v, it.m.id, err);
		if (ret)
			goto out;
		json_object_set_new(o, "feedback", v);
	} else {
		json_object_set_new(o, "experience", json_null());
		json_object_set_new(o, "feedback", json_array());
	}
	ret = mn_store_browse_history(a->store, &v, it.m.raw_id, err);
	if (ret)
		goto out;
	json_object_set_new(o, "history", v);
	*out = o;
	o = NULL;
out:
	json_decref(o);
	mn_browse_item_release(&it);
	return ret;
}

int mn_op_edit(struct mn_ctx *a, const char *id, const char *text, size_t len, json_t **out,
	       struct mn_err *err)
{
	struct mn_browse_item it, after;
	struct mn_encode_out enc;
	struct mn_encoder *e = NULL;
	bool reencoded = false;
	int ret;

	*out = NULL;
	memset(&enc, 0, sizeof(enc));
	memset(&after, 0, sizeof(after));
	ret = mn_text_check_input(text, len, (size_t)a->cfg.encoding.max_text_bytes, err);
	if (ret)
		return ret;
	ret = mn_store_browse_get(a->store, &it, id, err);
	if (ret)
		return ret;
	if (!it.m.id[0]) {
		if (!strcmp(it.raw_state, "claimed")) {
			ret = mn_err_set(err, MN_EBUSY, "raw observation '%s' is being encoded; try "
					 "again in a moment", it.m.raw_id);
			goto out;
		}
		ret = mn_store_browse_edit_raw(a->store, it.m.raw_id, text, len, err);
	} else {
		struct mn_browse_reencode re;

		/* the model call runs outside any transaction (store.h) */
		ret = mn_ctx_encoder(a, &e, err);
		if (!ret)
			ret = mn_encoder_encode(e, &enc, text, len, it.m.source, it.m.type, err);
		if (ret)
			goto out;
		re = (struct mn_browse_reencode){
			.encoding = enc.encoding,
			.encoding_json = enc.encoding_json,
			.encoder = enc.encoder,
			.encoder_version = enc.encoder_version,
			.fallback = enc.fallback,
			.epr = enc.metrics.epr,
			.fr = enc.metrics.fr,
			.np = enc.metrics.np,
			.confidence = enc.confidence,
			.sc = enc.metrics.sc,
			.ted = enc.metrics.ted,
			.mig = enc.metrics.mig,
			.flags = enc.metrics.flags,
		};
		ret = mn_store_browse_replace(a->store, it.m.id, "edit", &re, text, len, err);
		reencoded = !ret;
	}
	if (!ret)
		ret = mn_store_browse_get(a->store, &after, it.m.raw_id, err);
	if (ret)
		goto out;
	*out = json_pack("{s:s,s:o,s:s,s:b,s:o}", "raw_id", after.m.raw_id, "memory_id",
			 after.m.id[0] ? json_string(after.m.id) : json_null(), "state",
			 after.raw_state, "reencoded", reencoded, "memory",
			 mn_app_item_json(&after));
out:
	mn_encode_out_release(&enc);
	mn_browse_item_release(&it);
	mn_browse_item_release(&after);
	return ret;
}

static json_t *text_of(struct mn_ctx *a, const char *raw_id)
{
	struct mn_err e = MN_ERR_INIT;
	struct mn_browse_item it;
	json_t *t;

	if (mn_store_browse_get(a->store, &it, raw_id, &e))
		return json_null();
	t = json_string(it.text);
	mn_browse_item_release(&it);
	return t ? t : json_null();
}

int mn_op_dedup(struct mn_ctx *a, const char *project, double threshold, bool apply,
		json_t **out, struct mn_err *err)
{
	struct mn_near_dup *pairs = NULL;
	size_t n = 0, merged = 0;
	json_t *arr;
	int ret;

	*out = NULL;
	if (!(threshold > 0 && threshold <= 1))
		return mn_err_set(err, MN_EINVAL, "threshold must be above 0 and at most 1");
	ret = mn_store_browse_near_dups(a->store, &pairs, &n, project, threshold, err);
	if (ret)
		return ret;
	arr = json_array();
	for (size_t i = 0; i < n; i++) {
		json_t *p = json_pack("{s:s,s:s,s:f}", "keep", pairs[i].keep, "drop", pairs[i].drop,
				      "similarity", pairs[i].similarity);

		json_object_set_new(p, "keep_text", text_of(a, pairs[i].keep));
		json_object_set_new(p, "drop_text", text_of(a, pairs[i].drop));
		json_array_append_new(arr, p);
	}
	/* a chain a~b~c merges b and c into a: follow each keeper to the end */
	for (size_t i = 0; apply && i < n; i++) {
		const char *keep = pairs[i].keep;

		for (size_t j = 0; j < n; j++)
			if (!strcmp(pairs[j].drop, keep)) {
				keep = pairs[j].keep;
				j = (size_t)-1;
			}
		ret = mn_store_browse_merge(a->store, keep, pairs[i].drop, err);
		if (ret == MN_ENOTFOUND) {
			ret = 0; /* gone meanwhile */
			continue;
		}
		if (ret)
			break;
		merged++;
	}
	free(pairs);
	if (ret) {
		json_decref(arr);
		return ret;
	}
	*out = json_pack("{s:f,s:b,s:o,s:I}", "threshold", threshold, "dry_run", !apply, "pairs",
			 arr, "merged", (json_int_t)merged);
	return 0;
}

int mn_app_export(struct mn_ctx *a, const char *project, mn_browse_export_fn fn,
		  void *payload, struct mn_err *err)
{
	return mn_store_browse_export(a->store, project, fn, payload, err);
}

int mn_app_import_line(struct mn_ctx *a, enum mn_import_result *out, const char *line,
		       size_t len, struct mn_err *err)
{
	json_t *v = mn_json_parse(line, len, err);
	const char *fmt;
	int ret;

	*out = MN_IMPORT_ADDED;
	if (!v)
		return MN_EPARSE;
	if (!json_is_object(v)) {
		json_decref(v);
		return mn_err_set(err, MN_EINVAL, "a line must be a JSON object");
	}
	fmt = json_string_value(json_object_get(v, "format"));
	if (!fmt || strcmp(fmt, "mnemo.memory/1")) {
		json_decref(v);
		return mn_err_set(err, MN_EINVAL, "format must be \"mnemo.memory/1\"%s",
				  fmt ? " (written by a newer mnemo?)" : "");
	}
	{
		const char *text = json_string_value(json_object_get(v, "text"));

		ret = text ? mn_text_check_input(text, json_string_length(json_object_get(v, "text")),
						 (size_t)a->cfg.encoding.max_text_bytes, err)
			   : 0;
	}
	if (!ret)
		ret = mn_store_browse_import(a->store, out, v, err);
	json_decref(v);
	return ret;
}

/* Encode the batch's new rows outside any transaction, then write the
 * memories in one commit (one FTS update for the batch, not one per row);
 * the observers run after it. If that commit fails, each is written on its
 * own, which records its failure on its row. */
static void encode_batch(struct mn_ctx *a, struct mn_encoder *enc, struct mn_raw *raws,
			 struct mn_remember_out *outs, size_t n)
{
	struct mn_encode_out *eo = mn_xcalloc(n ? n : 1, sizeof(*eo));
	bool *ok = mn_xcalloc(n ? n : 1, sizeof(*ok));
	struct mn_err e2 = MN_ERR_INIT;
	int ret;

	for (size_t i = 0; i < n; i++) {
		const struct mn_claim claim = { MN_WORKER_INLINE, raws[i].attempts };

		if (outs[i].duplicate)
			continue;
		if (mn_encoder_encode(enc, &eo[i], raws[i].content, raws[i].content_len,
				      raws[i].source, raws[i].type, &e2)) {
			mn_store_fail_raw(a->store, raws[i].id, e2.msg,
					  a->cfg.encoding.max_attempts, &claim, NULL);
			snprintf(outs[i].note, sizeof(outs[i].note), "queued: %s", e2.msg);
			continue;
		}
		ok[i] = true;
	}
	ret = mn_store_begin(a->store, &e2);
	for (size_t i = 0; i < n && !ret; i++)
		if (ok[i])
			ret = mn_worker_store_encoded(a->store, &a->cfg, &raws[i], MN_WORKER_INLINE,
						      &eo[i], NULL, outs[i].memory_id, &e2);
	if (!ret)
		ret = mn_store_commit(a->store, &e2);
	else
		mn_store_rollback(a->store);
	for (size_t i = 0; i < n; i++) {
		if (!ok[i])
			continue;
		if (ret) {
			outs[i].memory_id[0] = '\0';
			if (mn_worker_store_encoded(a->store, &a->cfg, &raws[i], MN_WORKER_INLINE,
						    &eo[i], &a->observer, outs[i].memory_id, &e2)) {
				snprintf(outs[i].note, sizeof(outs[i].note), "queued: %s", e2.msg);
				mn_encode_out_release(&eo[i]);
				continue;
			}
		} else if (a->observer.fn && !eo[i].fallback) {
			a->observer.fn(a->observer.payload, a->store, eo[i].encoder_version);
		}
		outs[i].state = "encoded";
		mn_encode_out_release(&eo[i]);
	}
	free(eo);
	free(ok);
}

int mn_app_remember_batch(struct mn_ctx *a, struct mn_remember_out *outs, size_t *out_done,
			  const struct mn_remember_in *ins, size_t n, struct mn_err *err)
{
	struct mn_raw *raws = mn_xcalloc(n ? n : 1, sizeof(*raws));
	struct mn_encoder *enc = NULL;
	struct mn_err e2 = MN_ERR_INIT;
	int lock_fd = -1, ret = 0;
	bool inline_ok;
	size_t i;

	*out_done = 0;
	memset(outs, 0, n * sizeof(*outs));
	for (i = 0; i < n; i++) {
		int64_t t;

		ret = mn_text_check_input(ins[i].text, ins[i].len,
					  (size_t)a->cfg.encoding.max_text_bytes, err);
		if (!ret && ins[i].time && !mn_time_parse(&t, ins[i].time))
			ret = mn_err_set(err, MN_EINVAL, "time '%s' is not an ISO-8601 date or time",
					 ins[i].time);
		if (ret) {
			char msg[sizeof(err->msg)];

			snprintf(msg, sizeof(msg), "%s", err->msg);
			free(raws);
			return mn_err_set(err, ret, "observation %zu: %s", i + 1, msg);
		}
		if (ins[i].time)
			mn_time_format(raws[i].occurred_at, t);
	}
	inline_ok = mn_worker_try_lock(&lock_fd, a->home, &e2) == 0;
	if (inline_ok && mn_ctx_encoder(a, &enc, &e2))
		inline_ok = false;
	/* the raw rows of the batch: one commit */
	ret = mn_store_begin(a->store, err);
	for (i = 0; i < n && !ret; i++) {
		struct mn_dup_hit hit;
		bool found = false;

		ret = mn_store_browse_repeat(a->store, &hit, &found, ins[i].text, ins[i].len,
					     ins[i].project, err);
		if (ret)
			break;
		if (found) {
			outs[i].duplicate = true;
			outs[i].repeat_count = (long long)hit.repeat_count;
			snprintf(outs[i].raw_id, sizeof(outs[i].raw_id), "%s", hit.raw_id);
			snprintf(outs[i].memory_id, sizeof(outs[i].memory_id), "%s", hit.memory_id);
			outs[i].state = hit.memory_id[0] ? "encoded" : "queued";
			continue;
		}
		raws[i].content = (char *)ins[i].text;
		raws[i].content_len = ins[i].len;
		raws[i].source = (char *)ins[i].source;
		raws[i].type = (char *)ins[i].type;
		raws[i].project = (char *)ins[i].project;
		raws[i].session = (char *)ins[i].session;
		ret = inline_ok ? mn_store_put_raw_claimed(a->store, &raws[i], MN_WORKER_INLINE,
							   mn_worker_lease_ms(&a->cfg), err)
				: mn_store_put_raw(a->store, &raws[i], err);
		if (ret)
			break;
		snprintf(outs[i].raw_id, sizeof(outs[i].raw_id), "%s", raws[i].id);
		outs[i].state = "queued";
		if (!inline_ok)
			snprintf(outs[i].note, sizeof(outs[i].note), "%s",
				 enc ? "queued for the running daemon" : "queued");
	}
	if (!ret)
		ret = mn_store_commit(a->store, err);
	else
		mn_store_rollback(a->store);
	if (ret)
		goto out;
	*out_done = n;
	if (inline_ok)
		encode_batch(a, enc, raws, outs, n);
out:
	mn_worker_unlock(lock_fd);
	free(raws);
	return ret;
}
