/*
 * api.c - the JSON API under /api/v1/ (api.h, docs/http.md).
 *
 * Every route checks its input first, then takes a context from the pool,
 * runs the operation (mn_op_*: the same function and result object as the
 * CLI's --json and MCP), gives the context back, and only then is the
 * answer written by the server: no store connection or transaction is held
 * while a client is read from or written to.
 */
#include "serve/api.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "base/file.h"
#include "base/json.h"
#include "base/limits.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/timeutil.h"
#include "core/datadir.h"
#include "app/app.h"
#include "app/browse.h"
#include "app/learning.h"
#include "app/model_ops.h"
#include "app/ops.h"

#define API_PREFIX "/api/v1"
#define LABEL_MAX 256 /* type, source, project, session, category, reason */
#define ID_MAX 64     /* memory, query, run ids; model versions */
#define REASON_MAX 4096

struct mn_api {
	struct mn_pool *pool;
	char *openapi; /* the document, or NULL when it is not installed */
	size_t openapi_len;
};

struct mn_api *mn_api_new(struct mn_pool *pool)
{
	struct mn_api *api = mn_xcalloc(1, sizeof(*api));
	char *path = mn_datadir_find("openapi.json");
	struct mn_err err = MN_ERR_INIT;
	json_t *doc = path ? mn_json_load_file(path, &err) : NULL;

	api->pool = pool;
	if (doc) {
		api->openapi = mn_json_dumps(doc);
		api->openapi_len = strlen(api->openapi);
	} else {
		mn_warn("http", "no OpenAPI document (openapi.json in the data directory)%s%s",
			path ? ": " : "", path ? err.msg : "");
	}
	json_decref(doc);
	free(path);
	return api;
}

void mn_api_free(struct mn_api *api)
{
	if (!api)
		return;
	free(api->openapi);
	free(api);
}

/* ---- input ---- */

/* The body as a JSON object into *out (new reference); an empty body is
 * {}. false with resp answered otherwise. */
static bool body_object(const struct mn_req *req, struct mn_resp *resp, json_t **out)
{
	json_error_t je;

	*out = NULL;
	if (!req->len) {
		*out = json_object();
		return true;
	}
	if (!mn_req_is_json(req)) {
		mn_resp_error(resp, 415, "unsupported_media_type",
			      "the body must be JSON (Content-Type: application/json)");
		return false;
	}
	*out = json_loadb(req->body, req->len, JSON_REJECT_DUPLICATES, &je);
	if (!*out) {
		mn_resp_error(resp, 400, "bad_json", "the body is not valid JSON: line %d column "
			      "%d: %s", je.line, je.column, je.text);
		return false;
	}
	if (!json_is_object(*out)) {
		mn_resp_error(resp, 400, "bad_json", "the body must be a JSON object, not %s",
			      mn_json_kind(*out));
		json_decref(*out);
		*out = NULL;
		return false;
	}
	return true;
}

/* Field name of o as a string of at most max bytes without NUL into *out
 * (borrowed from o; NULL when absent or null). false with resp answered
 * when it is of another type, too long, or required and absent. */
static bool field_str(const json_t *o, const char *name, size_t max, bool required,
		      const char **out, struct mn_resp *resp)
{
	const json_t *v = json_object_get(o, name);

	*out = NULL;
	if (!v || json_is_null(v)) {
		if (required)
			mn_resp_error(resp, 400, "bad_request", "field '%s' is required", name);
		return !required;
	}
	if (!json_is_string(v)) {
		mn_resp_error(resp, 400, "bad_request", "field '%s' must be a string, not %s", name,
			      mn_json_kind(v));
		return false;
	}
	if (mn_json_has_nul(v)) {
		mn_resp_error(resp, 400, "bad_request", "field '%s' must not contain NUL", name);
		return false;
	}
	if (json_string_length(v) > max) {
		mn_resp_error(resp, 400, "bad_request", "field '%s' is %zu bytes, over the limit "
			      "of %zu", name, json_string_length(v), max);
		return false;
	}
	if (required && !json_string_length(v)) {
		mn_resp_error(resp, 400, "bad_request", "field '%s' must not be empty", name);
		return false;
	}
	*out = json_string_value(v);
	return true;
}

/* An integer from the JSON field or query argument name, def when absent,
 * within [lo, hi]. */
static bool field_int(const json_t *o, const char *name, int def, int lo, int hi, int *out,
		      struct mn_resp *resp)
{
	const json_t *v = json_object_get(o, name);

	*out = def;
	if (!v || json_is_null(v))
		return true;
	if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi) {
		mn_resp_error(resp, 400, "bad_request", "field '%s' must be an integer from %d to %d",
			      name, lo, hi);
		return false;
	}
	*out = (int)json_integer_value(v);
	return true;
}

/* An ISO-8601 time field, normalised into buf; *out NULL when absent. */
static bool field_time(const json_t *o, const char *name, char buf[MN_TIME_LEN],
		       const char **out, struct mn_resp *resp)
{
	int64_t t;

	if (!field_str(o, name, ID_MAX, false, out, resp))
		return false;
	if (!*out)
		return true;
	if (!mn_time_parse(&t, *out)) {
		mn_resp_error(resp, 400, "bad_request", "field '%s' is not an ISO-8601 time (e.g. "
			      "2026-04-01 or 2026-04-01T12:00:00Z)", name);
		return false;
	}
	mn_time_format(buf, t);
	*out = buf;
	return true;
}

static bool field_bool(const json_t *o, const char *name, bool *out, struct mn_resp *resp)
{
	const json_t *v = json_object_get(o, name);

	*out = false;
	if (!v || json_is_null(v))
		return true;
	if (!json_is_boolean(v)) {
		mn_resp_error(resp, 400, "bad_request", "field '%s' must be true or false", name);
		return false;
	}
	*out = json_is_true(v);
	return true;
}

static bool query_int(const struct mn_req *req, const char *name, int def, int lo, int hi,
		      int *out, struct mn_resp *resp)
{
	const char *s = mn_req_query(req, name);
	char *end;
	long v;

	*out = def;
	if (!s)
		return true;
	errno = 0;
	v = strtol(s, &end, 10);
	if (!*s || *end || errno || v < lo || v > hi) {
		mn_resp_error(resp, 400, "bad_request",
			      "query argument '%s' must be an integer from %d to %d", name, lo, hi);
		return false;
	}
	*out = (int)v;
	return true;
}

static bool query_str(const struct mn_req *req, const char *name, size_t max, const char **out,
		      struct mn_resp *resp)
{
	*out = mn_req_query(req, name);
	if (*out && strlen(*out) > max) {
		mn_resp_error(resp, 400, "bad_request", "query argument '%s' is over %zu bytes",
			      name, max);
		return false;
	}
	if (*out && !**out)
		*out = NULL;
	return true;
}

/* ---- running an operation ---- */

/* The answer for an operation's outcome: 200 with its object, or the
 * error with its status. */
static void op_answer(struct mn_resp *resp, int ret, json_t *o, const struct mn_err *err,
		      const char *what)
{
	int status;

	if (!ret) {
		mn_resp_json(resp, 200, o);
		return;
	}
	json_decref(o);
	status = mn_resp_status_of(ret);
	if (status == 500)
		mn_error("http", "%s failed: %s", what, err->msg);
	mn_resp_error(resp, status, mn_resp_code_of(status), "%s: %s", what, err->msg);
}

#define RUN(api, call, what)                                          \
	do {                                                          \
		struct mn_err err_ = MN_ERR_INIT;                     \
		json_t *o_ = NULL;                                    \
		struct mn_ctx *c = mn_pool_get((api)->pool);          \
		int ret_ = (call);                                    \
		mn_pool_put((api)->pool, c);                          \
		op_answer(resp, ret_, o_, &err_, (what));             \
	} while (0)

/* ---- routes ---- */

static void r_status(struct mn_api *api, const struct mn_req *req, const char *arg,
		     struct mn_resp *resp)
{
	RUN(api, mn_op_status(c, &o_, &err_), "status");
}

static void r_learning(struct mn_api *api, const struct mn_req *req, const char *arg,
		       struct mn_resp *resp)
{
	struct mn_ctx *c = mn_pool_get(api->pool);
	json_t *o = mn_app_learning_json(c);

	mn_pool_put(api->pool, c);
	mn_resp_json(resp, 200, o);
}

static void r_history(struct mn_api *api, const struct mn_req *req, const char *arg,
		      struct mn_resp *resp)
{
	int days;

	if (!query_int(req, "days", 0, 0, MN_APP_HISTORY_MAX_DAYS, &days, resp))
		return;
	RUN(api, mn_app_learning_history(c, days, &o_, &err_), "learning history");
}

static void r_remember(struct mn_api *api, const struct mn_req *req, const char *arg,
		       struct mn_resp *resp)
{
	struct mn_remember_in in = { 0 };
	const json_t *text;
	json_t *b;

	if (!body_object(req, resp, &b))
		return;
	text = json_object_get(b, "text");
	if (!json_is_string(text)) {
		mn_resp_error(resp, 400, "bad_request", "field 'text' is required and must be a "
			      "string");
		goto out;
	}
	in.text = json_string_value(text);
	in.len = json_string_length(text);
	if (!field_str(b, "type", LABEL_MAX, false, &in.type, resp) ||
	    !field_str(b, "source", LABEL_MAX, false, &in.source, resp) ||
	    !field_str(b, "project", LABEL_MAX, false, &in.project, resp) ||
	    !field_str(b, "session", LABEL_MAX, false, &in.session, resp) ||
	    !field_str(b, "time", ID_MAX, false, &in.time, resp))
		goto out;
	if (!in.source)
		in.source = "http";
	RUN(api, mn_op_remember(c, &in, &o_, &err_), "could not remember");
out:
	json_decref(b);
}

static void r_recall(struct mn_api *api, const struct mn_req *req, const char *arg,
		     struct mn_resp *resp)
{
	struct mn_recall_opts o = { 0 };
	char since[MN_TIME_LEN], until[MN_TIME_LEN];
	int max_chars;
	json_t *b;

	if (!body_object(req, resp, &b))
		return;
	if (!field_str(b, "query", MN_LIMIT_QUERY_BYTES, true, &o.query, resp) ||
	    !field_int(b, "limit", 10, 1, MN_LIMIT_RECALL_MAX, &o.limit, resp) ||
	    !field_str(b, "type", LABEL_MAX, false, &o.type, resp) ||
	    !field_str(b, "project", LABEL_MAX, false, &o.project, resp) ||
	    !field_str(b, "source", LABEL_MAX, false, &o.source, resp) ||
	    !field_str(b, "session", LABEL_MAX, false, &o.session, resp) ||
	    !field_time(b, "since", since, &o.since, resp) ||
	    !field_time(b, "until", until, &o.until, resp) ||
	    !field_bool(b, "full", &o.full, resp) || !field_bool(b, "explain", &o.explain, resp) ||
	    !field_int(b, "max_chars", 0, 0, 10000000, &max_chars, resp))
		goto out;
	o.max_chars = (size_t)max_chars;
	RUN(api, mn_op_recall(c, &o, &o_, &err_), "recall failed");
out:
	json_decref(b);
}

static void r_feedback(struct mn_api *api, const struct mn_req *req, const char *arg,
		       struct mn_resp *resp)
{
	static const char *const ratings[] = { "helpful", "partial", "irrelevant", NULL };
	const char *query_id, *rating, *session, **ids = NULL;
	const json_t *ids_v;
	size_t n_ids = 0;
	bool ok = false;
	json_t *b;

	if (!body_object(req, resp, &b))
		return;
	if (!field_str(b, "query_id", ID_MAX, true, &query_id, resp) ||
	    !field_str(b, "rating", LABEL_MAX, true, &rating, resp) ||
	    !field_str(b, "session", LABEL_MAX, false, &session, resp))
		goto out;
	for (const char *const *r = ratings; *r; r++)
		ok = ok || !strcmp(*r, rating);
	if (!ok) {
		mn_resp_error(resp, 400, "bad_request", "field 'rating' must be helpful, partial "
			      "or irrelevant");
		goto out;
	}
	ids_v = json_object_get(b, "memory_ids");
	if (ids_v && !json_is_null(ids_v)) {
		if (!json_is_array(ids_v) || json_array_size(ids_v) > MN_LIMIT_RECALL_MAX) {
			mn_resp_error(resp, 400, "bad_request", "field 'memory_ids' must be an "
				      "array of at most %d ids", MN_LIMIT_RECALL_MAX);
			goto out;
		}
		n_ids = json_array_size(ids_v);
		ids = n_ids ? mn_xcalloc(n_ids, sizeof(*ids)) : NULL;
		for (size_t i = 0; i < n_ids; i++) {
			const json_t *v = json_array_get(ids_v, i);

			if (!json_is_string(v) || json_string_length(v) > ID_MAX ||
			    mn_json_has_nul(v)) {
				mn_resp_error(resp, 400, "bad_request", "memory_ids[%zu] must be an "
					      "id string", i);
				goto out;
			}
			ids[i] = json_string_value(v);
		}
	}
	RUN(api, mn_op_feedback(c, query_id, rating, ids, n_ids, session ? session : "http",
				&o_, &err_), "feedback failed");
out:
	free(ids);
	json_decref(b);
}

static bool valid_id(const char *id, struct mn_resp *resp)
{
	size_t n = strlen(id);

	if (!n || n > ID_MAX) {
		mn_resp_error(resp, 404, "not_found", "no such id");
		return false;
	}
	return true;
}

static void r_amend(struct mn_api *api, const struct mn_req *req, const char *id,
		    struct mn_resp *resp)
{
	const json_t *enc;
	char *text = NULL;
	json_t *b;

	if (!valid_id(id, resp) || !body_object(req, resp, &b))
		return;
	enc = json_object_get(b, "encoding");
	if (!json_is_object(enc)) {
		mn_resp_error(resp, 400, "bad_request", "field 'encoding' is required and must be an "
			      "object (the corrected encoding)");
		goto out;
	}
	text = mn_json_dumps(enc);
	RUN(api, mn_op_amend(c, id, text, strlen(text), &o_, &err_), "amend failed");
out:
	free(text);
	json_decref(b);
}

static void r_forget(struct mn_api *api, const struct mn_req *req, const char *id,
		     struct mn_resp *resp)
{
	struct mn_err err = MN_ERR_INIT;
	struct mn_ctx *c;
	json_t *o = NULL;
	int ret;

	if (!valid_id(id, resp))
		return;
	c = mn_pool_get(api->pool);
	ret = mn_op_forget(c, id, &o, &err);
	mn_pool_put(api->pool, c);
	if (!ret && !json_is_true(json_object_get(o, "forgotten"))) {
		/* the CLI's exit 3: nothing had that id */
		json_t *e = json_pack("{s:i,s:s,s:s}", "status", 404, "code", "not_found",
				      "message", "no memory or raw observation has this id");

		json_object_update(e, o);
		json_decref(o);
		mn_resp_json(resp, 404, json_pack("{s:o}", "error", e));
		return;
	}
	op_answer(resp, ret, o, &err, "forget failed");
}

static void r_list(struct mn_api *api, const struct mn_req *req, const char *arg,
		   struct mn_resp *resp)
{
	struct mn_browse_filter f;
	const char *cursor, *order;
	int limit;

	memset(&f, 0, sizeof(f));
	if (!query_int(req, "limit", MN_BROWSE_PAGE_DEFAULT, 1, MN_BROWSE_PAGE_MAX, &limit, resp) ||
	    !query_str(req, "project", LABEL_MAX, &f.project, resp) ||
	    !query_str(req, "type", LABEL_MAX, &f.type, resp) ||
	    !query_str(req, "source", LABEL_MAX, &f.source, resp) ||
	    !query_str(req, "state", LABEL_MAX, &f.state, resp) ||
	    !query_str(req, "category", LABEL_MAX, &f.category, resp) ||
	    !query_str(req, "since", ID_MAX, &f.since, resp) ||
	    !query_str(req, "until", ID_MAX, &f.until, resp) ||
	    !query_str(req, "order", LABEL_MAX, &order, resp) ||
	    !query_str(req, "cursor", 1024, &cursor, resp))
		return;
	if (order && strcmp(order, "oldest") && strcmp(order, "newest")) {
		mn_resp_error(resp, 400, "bad_request", "query argument 'order' must be oldest or "
			      "newest");
		return;
	}
	f.oldest_first = order && !strcmp(order, "oldest");
	RUN(api, mn_op_list(c, &f, cursor, limit, &o_, &err_), "list failed");
}

static void r_show(struct mn_api *api, const struct mn_req *req, const char *id,
		   struct mn_resp *resp)
{
	if (!valid_id(id, resp))
		return;
	RUN(api, mn_op_show(c, id, &o_, &err_), "show failed");
}

static void r_edit(struct mn_api *api, const struct mn_req *req, const char *id,
		   struct mn_resp *resp)
{
	const json_t *text;
	json_t *b;

	if (!valid_id(id, resp) || !body_object(req, resp, &b))
		return;
	text = json_object_get(b, "text");
	if (!json_is_string(text))
		mn_resp_error(resp, 400, "bad_request", "field 'text' is required and must be a "
			      "string");
	else
		RUN(api, mn_op_edit(c, id, json_string_value(text), json_string_length(text), &o_,
				    &err_), "edit failed");
	json_decref(b);
}

static void r_dedup(struct mn_api *api, const struct mn_req *req, const char *arg,
		    struct mn_resp *resp)
{
	const json_t *th, *ap;
	const char *project;
	double threshold = MN_DEDUP_THRESHOLD;
	json_t *b;

	if (!body_object(req, resp, &b))
		return;
	th = json_object_get(b, "threshold");
	ap = json_object_get(b, "apply");
	if (!field_str(b, "project", LABEL_MAX, false, &project, resp))
		goto out;
	if (th && (!json_is_number(th) || json_number_value(th) <= 0 ||
		   json_number_value(th) > 1)) {
		mn_resp_error(resp, 400, "bad_request", "field 'threshold' must be a number in "
			      "(0, 1]");
		goto out;
	}
	if (ap && !json_is_boolean(ap)) {
		mn_resp_error(resp, 400, "bad_request", "field 'apply' must be true or false");
		goto out;
	}
	if (th)
		threshold = json_number_value(th);
	RUN(api, mn_op_dedup(c, project, threshold, json_is_true(ap), &o_, &err_),
	    "dedup failed");
out:
	json_decref(b);
}

static int export_line(void *payload, const json_t *line)
{
	mn_json_dump(payload, line);
	mn_buf_addc(payload, '\n');
	return 0;
}

static void r_export(struct mn_api *api, const struct mn_req *req, const char *arg,
		     struct mn_resp *resp)
{
	struct mn_err err = MN_ERR_INIT;
	struct mn_buf lines = MN_BUF_INIT;
	const char *project;
	struct mn_ctx *c;
	int ret;

	if (!query_str(req, "project", LABEL_MAX, &project, resp))
		return;
	c = mn_pool_get(api->pool);
	ret = mn_app_export(c, project, export_line, &lines, &err);
	mn_pool_put(api->pool, c);
	if (ret) {
		mn_buf_release(&lines);
		op_answer(resp, ret, NULL, &err, "export failed");
		return;
	}
	mn_buf_release(&resp->body);
	resp->body = lines;
	resp->status = 200;
	resp->content_type = "application/x-ndjson";
	mn_resp_header(resp, "Content-Disposition", "attachment; filename=\"mnemo.jsonl\"");
}

static void r_experience(struct mn_api *api, const struct mn_req *req, const char *arg,
			 struct mn_resp *resp)
{
	const char *category;
	int limit;

	if (!query_int(req, "limit", 20, 1, 1000, &limit, resp) ||
	    !query_str(req, "category", LABEL_MAX, &category, resp))
		return;
	RUN(api, mn_op_audit(c, limit, category, &o_, &err_), "audit failed");
}

static void r_runs(struct mn_api *api, const struct mn_req *req, const char *arg,
		   struct mn_resp *resp)
{
	int limit;

	if (!query_int(req, "limit", 20, 1, 1000, &limit, resp))
		return;
	RUN(api, mn_op_training_status(c, NULL, limit, &o_, &err_), "training status failed");
}

static void r_run(struct mn_api *api, const struct mn_req *req, const char *id,
		  struct mn_resp *resp)
{
	if (!valid_id(id, resp))
		return;
	RUN(api, mn_op_training_status(c, id, 1, &o_, &err_), "training status failed");
}

/* ?model=student|ranker (absent = student) into *out; false after a 400. */
static bool query_model(const struct mn_req *req, const char **out, struct mn_resp *resp)
{
	if (!query_str(req, "model", LABEL_MAX, out, resp))
		return false;
	if (!mn_op_model_known(*out)) {
		mn_resp_error(resp, 400, "bad_request", "model must be student or ranker");
		return false;
	}
	return true;
}

static void r_train(struct mn_api *api, const struct mn_req *req, const char *arg,
		    struct mn_resp *resp)
{
	struct mn_train_request_opts o = { .trigger = "manual" };
	const char *model = NULL;
	bool force = false;
	json_t *b;

	if (!body_object(req, resp, &b))
		return;
	if (!field_str(b, "reason", REASON_MAX, false, &o.reason, resp) ||
	    !field_str(b, "model", LABEL_MAX, false, &model, resp) ||
	    !field_bool(b, "force", &force, resp)) {
		json_decref(b);
		return;
	}
	if (!mn_op_model_known(model))
		mn_resp_error(resp, 400, "bad_request", "model must be student or ranker");
	else if (model && !strcmp(model, MN_MODEL_RANKER))
		RUN(api, mn_op_ranker_train(c, "manual", o.reason, force, &o_, &err_),
		    "ranker training failed");
	else
		RUN(api, mn_op_train_request(c, &o, &o_, &err_), "train request failed");
	json_decref(b);
}

static void r_models(struct mn_api *api, const struct mn_req *req, const char *arg,
		     struct mn_resp *resp)
{
	const char *model;

	if (query_model(req, &model, resp))
		RUN(api, mn_op_model_list_for(c, model, &o_, &err_), "model list failed");
}

static void r_rollback(struct mn_api *api, const struct mn_req *req, const char *arg,
		       struct mn_resp *resp)
{
	const char *version, *model;
	json_t *b;

	if (!body_object(req, resp, &b))
		return;
	if (query_model(req, &model, resp) && field_str(b, "version", ID_MAX, false, &version, resp))
		RUN(api, mn_op_model_rollback_for(c, model, version, &o_, &err_), "rollback failed");
	json_decref(b);
}

static void r_pin(struct mn_api *api, const struct mn_req *req, const char *arg,
		  struct mn_resp *resp)
{
	const char *version, *model;
	json_t *b;

	if (!body_object(req, resp, &b))
		return;
	if (query_model(req, &model, resp) && field_str(b, "version", ID_MAX, true, &version, resp))
		RUN(api, mn_op_model_pin_for(c, model, version, &o_, &err_), "pin failed");
	json_decref(b);
}

static void r_unpin(struct mn_api *api, const struct mn_req *req, const char *arg,
		    struct mn_resp *resp)
{
	const char *model;

	if (query_model(req, &model, resp))
		RUN(api, mn_op_model_unpin_for(c, model, &o_, &err_), "unpin failed");
}

static void r_openapi(struct mn_api *api, const struct mn_req *req, const char *arg,
		      struct mn_resp *resp)
{
	if (!api->openapi) {
		mn_resp_error(resp, 404, "not_found", "the OpenAPI document is not installed "
			      "(openapi.json in the data directory)");
		return;
	}
	mn_buf_reset(&resp->body);
	mn_buf_add(&resp->body, api->openapi, api->openapi_len);
	resp->status = 200;
	resp->content_type = "application/json";
}

/* ---- the route table ---- */

typedef void (*route_fn)(struct mn_api *api, const struct mn_req *req, const char *arg,
			 struct mn_resp *resp);

/* A pattern is a path under /api/v1 where "*" stands for one segment (an
 * id), passed to the handler as arg. */
struct route {
	const char *method;
	const char *pattern;
	route_fn fn;
};

static const struct route routes[] = {
	{ "GET", "/status", r_status },
	{ "GET", "/learning", r_learning },
	{ "GET", "/learning/history", r_history },
	{ "POST", "/remember", r_remember },
	{ "POST", "/recall", r_recall },
	{ "GET", "/memories", r_list },
	{ "GET", "/memories/*", r_show },
	{ "POST", "/memories/*/amend", r_amend },
	{ "POST", "/memories/*/edit", r_edit },
	{ "DELETE", "/memories/*", r_forget },
	{ "POST", "/dedup", r_dedup },
	{ "GET", "/export", r_export },
	{ "POST", "/feedback", r_feedback },
	{ "GET", "/experience", r_experience },
	{ "GET", "/training/runs", r_runs },
	{ "GET", "/training/runs/*", r_run },
	{ "POST", "/training/runs", r_train },
	{ "GET", "/models", r_models },
	{ "POST", "/models/rollback", r_rollback },
	{ "POST", "/models/pin", r_pin },
	{ "POST", "/models/unpin", r_unpin },
	{ "GET", "/openapi.json", r_openapi },
};

/* Match path against pattern; the "*" segment goes to arg (arg_size
 * bytes). */
static bool match(const char *pattern, const char *path, char *arg, size_t arg_size)
{
	arg[0] = '\0';
	while (*pattern && *path) {
		if (*pattern == '*') {
			size_t n = strcspn(path, "/");

			if (!n || n >= arg_size)
				return false;
			memcpy(arg, path, n);
			arg[n] = '\0';
			path += n;
			pattern++;
		} else if (*pattern++ != *path++) {
			return false;
		}
	}
	return !*pattern && !*path;
}

void mn_api_handle(struct mn_api *api, const struct mn_req *req, struct mn_resp *resp)
{
	const char *path = req->path + strlen(API_PREFIX);
	char arg[ID_MAX + 2], allow[64] = "";
	bool known = false;
	bool head = !strcmp(req->method, "HEAD");

	if (strncmp(req->path, API_PREFIX "/", sizeof(API_PREFIX))) {
		mn_resp_error(resp, 404, "not_found", "no such API: the API is under " API_PREFIX
			      "/ (see " API_PREFIX "/openapi.json)");
		return;
	}
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		const struct route *r = &routes[i];

		if (!match(r->pattern, path, arg, sizeof(arg)))
			continue;
		if (!strcmp(r->method, req->method) || (head && !strcmp(r->method, "GET"))) {
			r->fn(api, req, arg, resp);
			return;
		}
		known = true;
		if (strlen(allow) + strlen(r->method) + 3 < sizeof(allow))
			snprintf(allow + strlen(allow), sizeof(allow) - strlen(allow), "%s%s",
				 allow[0] ? ", " : "", r->method);
	}
	if (known) {
		mn_resp_error(resp, 405, "method_not_allowed", "%s is not allowed on %s (allowed: "
			      "%s)", req->method, req->path, allow);
		mn_resp_header(resp, "Allow", allow);
		return;
	}
	mn_resp_error(resp, 404, "not_found", "no such API route: %.200s (see " API_PREFIX
		      "/openapi.json)", req->path);
}
