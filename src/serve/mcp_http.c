/*
 * mcp_http.c - the Streamable HTTP transport of the MCP server
 * (mcp_http.h, docs/http.md).
 *
 * A session is an MCP server object (mcp/mcp.h: the negotiated protocol
 * revision, the session label recorded with memories) made by an
 * initialize request. The table is guarded by one mutex, held only to find,
 * add or end a session, never while a message is handled; a session in use
 * is reference-counted, so DELETE or expiry during a request frees it when
 * that request is done.
 */
#include "serve/mcp_http.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/json.h"
#include "base/limits.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/text.h"
#include "base/timeutil.h"
#include "mcp/mcp.h"

/* A session unused this long is ended when room is needed or at the
 * next sweep. */
#define SESSION_IDLE_MS (3600 * 1000LL)
#define SESSION_ID_HEX 32 /* 128 random bits */

struct session {
	char id[SESSION_ID_HEX + 1];
	struct mn_mcp *mcp;
	int64_t last_used;
	int refs;   /* requests using it now */
	bool ended; /* removed from the table; freed at refs == 0 */
};

struct mn_mcp_http {
	struct mn_ctx *base;
	struct mn_pool *pool;
	pthread_mutex_t lock;
	struct session *slots[MN_LIMIT_HTTP_SESSIONS];
};

struct mn_mcp_http *mn_mcp_http_new(struct mn_ctx *base, struct mn_pool *pool)
{
	struct mn_mcp_http *h = mn_xcalloc(1, sizeof(*h));

	h->base = base;
	h->pool = pool;
	pthread_mutex_init(&h->lock, NULL);
	return h;
}

static void session_free(struct session *s)
{
	mn_mcp_free(s->mcp);
	free(s);
}

void mn_mcp_http_free(struct mn_mcp_http *h)
{
	if (!h)
		return;
	for (int i = 0; i < MN_LIMIT_HTTP_SESSIONS; i++)
		if (h->slots[i])
			session_free(h->slots[i]);
	pthread_mutex_destroy(&h->lock);
	free(h);
}

/* ---- the session table (callers hold h->lock) ---- */

static int find_slot(struct mn_mcp_http *h, const char *id)
{
	for (int i = 0; i < MN_LIMIT_HTTP_SESSIONS; i++)
		if (h->slots[i] && !strcmp(h->slots[i]->id, id))
			return i;
	return -1;
}

static void end_slot(struct mn_mcp_http *h, int i)
{
	struct session *s = h->slots[i];

	h->slots[i] = NULL;
	s->ended = true;
	if (!s->refs)
		session_free(s);
}

/* A free slot: sessions idle for an hour are ended first; when the table
 * is still full, the least recently used session not in use makes room
 * (its client gets 404 and starts a new one, as the specification says).
 * -1 when every session is in a request right now. */
static int free_slot(struct mn_mcp_http *h)
{
	int64_t now = mn_time_mono_ms();
	int found = -1, oldest = -1;

	for (int i = 0; i < MN_LIMIT_HTTP_SESSIONS; i++) {
		struct session *s = h->slots[i];

		if (s && !s->refs && now - s->last_used > SESSION_IDLE_MS) {
			mn_info("http", "MCP session %.8s... ended after an idle hour", s->id);
			end_slot(h, i);
			s = NULL;
		}
		if (!s && found < 0)
			found = i;
		if (s && !s->refs && (oldest < 0 || s->last_used < h->slots[oldest]->last_used))
			oldest = i;
	}
	if (found < 0 && oldest >= 0) {
		mn_info("http", "MCP session %.8s... ended: %d sessions, it was the least recently "
			"used", h->slots[oldest]->id, MN_LIMIT_HTTP_SESSIONS);
		end_slot(h, oldest);
		found = oldest;
	}
	return found;
}

static struct session *session_get(struct mn_mcp_http *h, const char *id)
{
	struct session *s = NULL;
	int i;

	pthread_mutex_lock(&h->lock);
	i = find_slot(h, id);
	if (i >= 0) {
		s = h->slots[i];
		s->refs++;
		s->last_used = mn_time_mono_ms();
	}
	pthread_mutex_unlock(&h->lock);
	return s;
}

static void session_put(struct mn_mcp_http *h, struct session *s)
{
	pthread_mutex_lock(&h->lock);
	s->refs--;
	s->last_used = mn_time_mono_ms();
	if (s->ended && !s->refs)
		session_free(s);
	pthread_mutex_unlock(&h->lock);
}

/* ---- answers ---- */

/* A transport-level error: the HTTP status with a JSON-RPC error body. */
static void rpc_error(struct mn_resp *resp, int status, int code, const char *msg)
{
	mn_resp_json(resp, status, json_pack("{s:s,s:n,s:{s:i,s:s}}", "jsonrpc", "2.0", "id",
					     "error", "code", code, "message", msg));
}

/* Whether an Accept header allows a media type: the type itself, its
 * range ("text/ *") or * / *, with q > 0. */
static bool accepts(const char *accept, const char *type)
{
	const char *slash = strchr(type, '/');
	size_t major = (size_t)(slash - type);
	const char *p = accept;

	while (p && *p) {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		char item[128];
		char *semi, *q;
		size_t a, b;

		if (n < sizeof(item)) {
			memcpy(item, p, n);
			item[n] = '\0';
			semi = strchr(item, ';');
			q = semi ? strstr(semi, "q=") : NULL;
			if (semi)
				*semi = '\0';
			a = 0;
			while (item[a] == ' ' || item[a] == '\t')
				a++;
			b = strlen(item);
			while (b > a && (item[b - 1] == ' ' || item[b - 1] == '\t'))
				item[--b] = '\0';
			if (!(q && strtod(q + 2, NULL) <= 0) &&
			    (!strcasecmp(item + a, type) || !strcmp(item + a, "*/*") ||
			     (b - a == major + 2 && !strncasecmp(item + a, type, major + 1) &&
			      item[a + major + 1] == '*')))
				return true;
		}
		p = end ? end + 1 : NULL;
	}
	return false;
}

/* Is the message an initialize request (a lone object, not a batch)? */
static bool is_initialize(const char *body, size_t len)
{
	json_error_t je;
	json_t *msg = json_loadb(body, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &je);
	bool yes = json_is_object(msg) && json_object_get(msg, "id") &&
		   mn_json_str_is(json_object_get(msg, "method"), "initialize");

	json_decref(msg);
	return yes;
}

/* What the answer is: 1 a JSON-RPC result, -1 an error that answers no
 * request (id null: the body was not JSON, not a request, or over a
 * limit), 0 anything else (an error of a request, a batch). */
static int answer_kind(const struct mn_buf *out)
{
	struct mn_err err = MN_ERR_INIT;
	json_t *v = mn_json_parse(out->data, out->len, &err);
	int kind = 0;

	if (json_is_object(v) && json_object_get(v, "result"))
		kind = 1;
	else if (json_is_object(v) && json_object_get(v, "error") &&
		 json_is_null(json_object_get(v, "id")))
		kind = -1;
	json_decref(v);
	return kind;
}

static void answer(struct mn_resp *resp, struct mn_buf *out, bool sse)
{
	while (out->len && out->data[out->len - 1] == '\n')
		out->data[--out->len] = '\0';
	mn_buf_reset(&resp->body);
	resp->status = 200;
	if (answer_kind(out) < 0) {
		/* no request to answer: an HTTP error with the JSON-RPC error */
		resp->status = 400;
		sse = false;
	}
	if (sse) {
		resp->content_type = "text/event-stream";
		mn_buf_adds(&resp->body, "event: message\ndata: ");
		mn_buf_add(&resp->body, out->data, out->len);
		mn_buf_adds(&resp->body, "\n\n");
		mn_resp_header(resp, "Cache-Control", "no-cache");
	} else {
		resp->content_type = "application/json";
		mn_buf_add(&resp->body, out->data, out->len);
	}
}

static void do_post(struct mn_mcp_http *h, const struct mn_req *req, struct mn_resp *resp)
{
	const char *accept = mn_req_header(req, "Accept");
	const char *sid = mn_req_header(req, "Mcp-Session-Id");
	struct mn_buf out = MN_BUF_INIT;
	struct session *s = NULL, *fresh = NULL;
	struct mn_mcp *server;
	struct mn_ctx *c;
	bool sse = false;

	if (!mn_req_is_json(req)) {
		rpc_error(resp, 415, MN_MCP_INVALID_REQUEST,
			  "Unsupported Media Type: POST /mcp needs Content-Type: application/json");
		return;
	}
	if (accept && !accepts(accept, "application/json")) {
		if (!accepts(accept, "text/event-stream")) {
			rpc_error(resp, 406, MN_MCP_INVALID_REQUEST,
				  "Not Acceptable: Accept must allow application/json or "
				  "text/event-stream");
			return;
		}
		sse = true;
	}
	if (mn_text_is_blank(req->body, req->len)) {
		rpc_error(resp, 400, MN_MCP_PARSE_ERROR, "Parse error: the request body is empty");
		return;
	}
	if (is_initialize(req->body, req->len)) {
		char hex[SESSION_ID_HEX + 1];

		/* a new session; any Mcp-Session-Id sent along is not ours to reuse */
		fresh = mn_xcalloc(1, sizeof(*fresh));
		fresh->mcp = mn_mcp_new(h->base);
		mn_text_random_hex(hex, SESSION_ID_HEX / 2);
		memcpy(fresh->id, hex, sizeof(fresh->id));
		server = fresh->mcp;
	} else if (!sid) {
		rpc_error(resp, 400, MN_MCP_INVALID_REQUEST,
			  "Bad Request: Mcp-Session-Id header is required (send initialize first)");
		return;
	} else {
		s = session_get(h, sid);
		if (!s) {
			rpc_error(resp, 404, MN_MCP_INVALID_REQUEST,
				  "Session not found: it ended or never existed; send initialize "
				  "to start a new one");
			return;
		}
		server = s->mcp;
	}
	c = mn_pool_get(h->pool);
	mn_mcp_handle_on(server, c, req->body, req->len, &out);
	mn_pool_put(h->pool, c);
	if (s)
		session_put(h, s);
	if (fresh && answer_kind(&out) > 0) {
		int i;

		pthread_mutex_lock(&h->lock);
		i = free_slot(h);
		if (i >= 0) {
			fresh->last_used = mn_time_mono_ms();
			h->slots[i] = fresh;
		}
		pthread_mutex_unlock(&h->lock);
		if (i < 0) {
			session_free(fresh);
			mn_buf_release(&out);
			mn_warn("http", "MCP initialize refused: all %d sessions are in a request",
				MN_LIMIT_HTTP_SESSIONS);
			rpc_error(resp, 503, MN_MCP_INTERNAL_ERROR,
				  "Service Unavailable: every MCP session is busy; retry later");
			return;
		}
		mn_resp_header(resp, "Mcp-Session-Id", fresh->id);
		mn_info("http", "MCP session %.8s... started (protocol %s)", fresh->id,
			mn_mcp_protocol(fresh->mcp));
		fresh = NULL;
	}
	if (fresh)
		session_free(fresh);
	if (!out.len)
		resp->status = 202; /* notifications and responses only */
	else
		answer(resp, &out, sse);
	mn_buf_release(&out);
}

static void do_delete(struct mn_mcp_http *h, const struct mn_req *req, struct mn_resp *resp)
{
	const char *sid = mn_req_header(req, "Mcp-Session-Id");
	int i;

	if (!sid) {
		rpc_error(resp, 400, MN_MCP_INVALID_REQUEST,
			  "Bad Request: Mcp-Session-Id header is required");
		return;
	}
	pthread_mutex_lock(&h->lock);
	i = find_slot(h, sid);
	if (i >= 0)
		end_slot(h, i);
	pthread_mutex_unlock(&h->lock);
	if (i < 0) {
		rpc_error(resp, 404, MN_MCP_INVALID_REQUEST, "Session not found");
		return;
	}
	mn_info("http", "MCP session %.8s... ended by the client", sid);
	resp->status = 204;
}

void mn_mcp_http_handle(struct mn_mcp_http *h, const struct mn_req *req, struct mn_resp *resp)
{
	const char *pv = mn_req_header(req, "MCP-Protocol-Version");

	if (pv && !mn_mcp_protocol_known(pv)) {
		rpc_error(resp, 400, MN_MCP_INVALID_REQUEST,
			  "Bad Request: unsupported MCP-Protocol-Version (supported: "
			  MN_MCP_PROTOCOL_LATEST ", 2025-06-18, 2025-03-26, 2024-11-05)");
		return;
	}
	if (!strcmp(req->method, "POST")) {
		do_post(h, req, resp);
	} else if (!strcmp(req->method, "DELETE")) {
		do_delete(h, req, resp);
	} else {
		/* GET would open a server-to-client stream; mnemo never sends a
		 * message of its own, so it offers none (the spec allows 405). */
		rpc_error(resp, 405, MN_MCP_INVALID_REQUEST,
			  "Method Not Allowed: use POST for messages and DELETE to end a session");
		mn_resp_header(resp, "Allow", "POST, DELETE");
	}
}
