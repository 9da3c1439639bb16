/*
 * mcp.c - the MCP server (DESIGN §9), independent of the transport.
 *
 * The protocol; the tools are in mcp_tools.c. Layers, bottom up: JSON
 * helpers that never fail on odd bytes; JSON-RPC dispatch
 * (mn_mcp_handle_on, the one function every transport calls); the bounded
 * line reader of stdio (mn_mcp_serve). The commands are mn_cli_mcp in
 * cli/cli_mcp.c (stdio) and the Streamable HTTP transport in
 * serve/mcp_http.c.
 *
 * Error policy (SEP-1303, MCP 2025-11-25): faults in the protocol - a
 * request that is not a valid CallToolRequest, an unknown tool - are
 * JSON-RPC errors; every invalid argument (missing, unknown, wrongly typed,
 * out of range, too long, an unknown id) and every failure of the operation
 * itself is a tool result with isError true and a text saying what to do,
 * so the model sees it and can correct its call. Tool errors carry no
 * structuredContent, so clients that validate it against outputSchema
 * never trip on it.
 *
 * Strings from the client may hold NUL bytes (JSON_ALLOW_NUL): they are
 * compared with their length, never as C strings.
 */
#include "mcp/mcp.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/json.h"
#include "base/limits.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/text.h"
#include "base/timeutil.h"
#include "app/app.h"
#include "mcp/mcp_resources.h"
#include "mcp/mcp_tools.h"

static const char *const protocol_versions[] = { MN_MCP_PROTOCOL_LATEST, "2025-06-18",
						 "2025-03-26", "2024-11-05", NULL };

/* The one revision that requires servers to accept JSON-RPC batches; the
 * earlier one never had them and 2025-06-18 removed them. */
static const char batch_protocol[] = "2025-03-26";

static const char server_instructions[] =
	"mnemo is your long-term memory across sessions. Call recall before starting a task "
	"to see what earlier sessions learned (decisions, errors and their fixes, conventions, "
	"paths). Call remember when you learn something worth keeping: a decision and why, a "
	"bug and its fix, a user preference, a command that worked. After using recalled "
	"memories, call feedback with the query_id and whether they were helpful, partial or "
	"irrelevant - this trains how memories are ranked and encoded. Use forget for "
	"memories that are wrong or must not be kept, amend to correct a poor encoding, "
	"status and audit_encodings to inspect mnemo, and train_model / training_status / "
	"model_versions to drive the learning loop.";

struct mn_mcp {
	struct mn_ctx *app;
	json_t *tools;         /* the tools/list array, built once */
	size_t max_message;
	char protocol[16];     /* negotiated at initialize */
	char session[40];      /* recorded with remembered memories and ratings */
};

/* ---- JSON helpers ---- */

/* ---- JSON-RPC ---- */

struct reply {
	json_t *id;     /* borrowed; NULL = null */
	json_t *result; /* owned */
	int code;       /* error when non-zero */
	char msg[320];
};

static void reply_error(struct reply *r, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void reply_error(struct reply *r, int code, const char *fmt, ...)
{
	va_list ap;

	json_decref(r->result);
	r->result = NULL;
	r->code = code;
	va_start(ap, fmt);
	vsnprintf(r->msg, sizeof(r->msg), fmt, ap);
	va_end(ap);
}

/* The response object for r (new reference). */
static json_t *reply_json(const struct reply *r)
{
	json_t *o = json_object();

	json_object_set_new(o, "jsonrpc", json_string("2.0"));
	json_object_set_new(o, "id", r->id ? json_incref(r->id) : json_null());
	if (r->code)
		json_object_set_new(o, "error",
				    json_pack("{s:i,s:o}", "code", r->code, "message",
					      mn_json_safe_string(r->msg)));
	else
		json_object_set_new(o, "result", r->result ? json_incref(r->result)
							     : json_object());
	return o;
}

/* Append v as one compact line and drop the reference. */
static void write_line(struct mn_buf *out, json_t *v)
{
	mn_json_dump(out, v);
	mn_buf_addc(out, '\n');
	json_decref(v);
}

static void do_initialize(struct mn_mcp *m, const json_t *params, struct reply *r)
{
	const json_t *pv = json_object_get(params, "protocolVersion");
	const char *chosen = MN_MCP_PROTOCOL_LATEST;

	if (pv && !json_is_string(pv)) {
		reply_error(r, MN_MCP_INVALID_PARAMS, "protocolVersion must be a string");
		return;
	}
	for (const char *const *v = protocol_versions; pv && *v; v++)
		if (mn_json_str_is(pv, *v))
			chosen = *v;
	snprintf(m->protocol, sizeof(m->protocol), "%s", chosen);
	mn_info("mcp", "client '%.64s' initialized, protocol %s",
		mn_json_str(json_object_get(params, "clientInfo"), "name", "?"), m->protocol);
	r->result = json_pack("{s:s,s:{s:{s:b}},s:{s:s,s:s,s:s},s:s}", "protocolVersion", chosen,
			      "capabilities", "tools", "listChanged", 0, "serverInfo", "name",
			      "mnemo", "title", "mnemo memory", "version", MN_VERSION,
			      "instructions", server_instructions);
	json_object_set_new(json_object_get(r->result, "capabilities"), "resources",
			    mn_mcp_resources_capability());
}

static void do_tools_list(struct mn_mcp *m, const json_t *params, struct reply *r)
{
	const json_t *cursor = json_object_get(params, "cursor");

	/* Every tool fits one page, so no cursor was ever handed out: any
	 * cursor is one the server cannot resume from (spec: -32602). */
	if (cursor && !json_is_null(cursor)) {
		reply_error(r, MN_MCP_INVALID_PARAMS, "invalid cursor: tools/list returns every "
			    "tool in one page and never gives a nextCursor; list without a cursor");
		return;
	}
	r->result = json_pack("{s:O}", "tools", m->tools);
}

static void do_tools_call(struct mn_mcp *m, struct mn_ctx *a, const json_t *params,
			  struct reply *r)
{
	json_decref(r->result);
	r->result = NULL;
	r->code = mn_mcp_tools_call(a, m->session, json_object_get(params, "name"),
				    json_object_get(params, "arguments"), &r->result, r->msg,
				    sizeof(r->msg));
}

static void dispatch(struct mn_mcp *m, struct mn_ctx *a, const json_t *method,
		     const json_t *params, bool in_batch, struct reply *r)
{
	if (mn_json_str_is(method, "initialize")) {
		if (in_batch)
			reply_error(r, MN_MCP_INVALID_REQUEST,
				    "initialize must not be part of a JSON-RPC batch");
		else
			do_initialize(m, params, r);
	} else if (mn_json_str_is(method, "ping")) {
		r->result = json_object();
	} else if (mn_json_str_is(method, "tools/list")) {
		do_tools_list(m, params, r);
	} else if (mn_json_str_is(method, "tools/call")) {
		do_tools_call(m, a, params, r);
	} else if (mn_mcp_resources_handles(method)) {
		json_decref(r->result);
		r->code = mn_mcp_resources_call(a, method, params, &r->result, r->msg,
						sizeof(r->msg));
	} else {
		reply_error(r, MN_MCP_METHOD_NOT_FOUND, "method '%.64s%s' not found",
			    json_string_value(method), mn_json_has_nul(method) ? "\\u0000..." : "");
	}
}

static bool valid_id(const json_t *id)
{
	/* MCP: a string or an integer, never null. */
	return json_is_string(id) || json_is_integer(id);
}

/* A response (result or error, no method) to a request we never send:
 * answering it would start an endless exchange, so it gets nothing -
 * whatever its id, null included. */
static bool is_client_response(const json_t *msg)
{
	return json_is_object(msg) && !json_object_get(msg, "method") &&
	       (json_object_get(msg, "result") || json_object_get(msg, "error"));
}

/* The answer to one message (a line, or one element of a batch): a new
 * response object, or NULL for notifications and client responses. */
static json_t *answer_message(struct mn_mcp *m, struct mn_ctx *a, const json_t *msg,
			      bool in_batch)
{
	struct reply r;
	const json_t *id, *method, *params;
	json_t *resp = NULL;
	bool is_note;

	memset(&r, 0, sizeof(r));
	if (!json_is_object(msg)) {
		reply_error(&r, MN_MCP_INVALID_REQUEST, "a message must be a JSON object");
		goto answer;
	}
	if (is_client_response(msg))
		return NULL;
	id = json_object_get(msg, "id");
	method = json_object_get(msg, "method");
	is_note = !id;
	if (id && !valid_id(id)) {
		reply_error(&r, MN_MCP_INVALID_REQUEST, "id must be a string or an integer");
		goto answer;
	}
	r.id = (json_t *)id;
	if (!mn_json_str_is(json_object_get(msg, "jsonrpc"), "2.0")) {
		reply_error(&r, MN_MCP_INVALID_REQUEST, "jsonrpc must be \"2.0\"");
		goto answer;
	}
	if (!json_is_string(method)) {
		reply_error(&r, MN_MCP_INVALID_REQUEST, "method must be a string");
		goto answer;
	}
	params = json_object_get(msg, "params");
	if (params && !json_is_object(params) && !json_is_null(params)) {
		if (is_note)
			return NULL;
		reply_error(&r, json_is_array(params) ? MN_MCP_INVALID_PARAMS
						      : MN_MCP_INVALID_REQUEST,
			    "params must be an object");
		goto answer;
	}
	if (is_note) {
		/* notifications/initialized, notifications/cancelled, ...: requests
		 * are answered in order and at once, so there is nothing to do. */
		mn_debug("mcp", "notification %.64s", json_string_value(method));
		return NULL;
	}
	dispatch(m, a, method, params, in_batch, &r);
answer:
	resp = reply_json(&r);
	json_decref(r.result);
	return resp;
}

/* A JSON-RPC batch: accepted under the revision that requires them, an
 * Invalid Request otherwise. The answers to its requests come back as one
 * array on one line, in order; none at all when it held only
 * notifications and responses (JSON-RPC 2.0 §6). */
static void answer_batch(struct mn_mcp *m, struct mn_ctx *a, const json_t *batch,
			 struct mn_buf *out)
{
	struct reply r;
	json_t *all;
	size_t n = json_array_size(batch);

	memset(&r, 0, sizeof(r));
	if (strcmp(m->protocol, batch_protocol)) {
		reply_error(&r, MN_MCP_INVALID_REQUEST, "JSON-RPC batches are not part of MCP %s "
			    "(only of %s); send one message per line", m->protocol,
			    batch_protocol);
	} else if (!n) {
		reply_error(&r, MN_MCP_INVALID_REQUEST, "an empty batch is not a request");
	} else if (n > MN_MCP_BATCH_MAX) {
		reply_error(&r, MN_MCP_INVALID_REQUEST, "a batch of %zu messages is over the "
			    "limit of %d", n, MN_MCP_BATCH_MAX);
	}
	if (r.code) {
		write_line(out, reply_json(&r));
		return;
	}
	all = json_array();
	for (size_t i = 0; i < n; i++) {
		json_t *resp = answer_message(m, a, json_array_get(batch, i), true);

		if (resp)
			json_array_append_new(all, resp);
	}
	if (json_array_size(all))
		write_line(out, all);
	else
		json_decref(all);
}

/* Find the first string argument that holds the placeholder put where an
 * invalid UTF-8 byte was; its name, or NULL. */
#define BAD_BYTE "\xef\xbf\xbd" /* U+FFFD */

static const char *bad_argument(const json_t *args)
{
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)args, key, v) {
		if (json_is_string(v) && strstr(json_string_value(v), BAD_BYTE))
			return key;
	}
	return NULL;
}

/* A line that is not valid UTF-8 is not JSON, but when it is a tools/call
 * whose only fault is the encoding of an argument, the agent is better
 * served by an answer to its request than by a parse error it cannot
 * correlate. Parse a copy with each invalid byte replaced; when that is a
 * request, answer it with a tool error (tools/call) or invalid params; when
 * it is a client response, stay silent. false: answer a parse error. */
static bool answer_invalid_utf8(const char *line, size_t len, size_t bad, struct mn_buf *out)
{
	struct mn_buf fixed = MN_BUF_INIT;
	struct mn_err err = MN_ERR_INIT;
	struct reply r;
	const char *arg;
	json_t *msg, *id, *params;
	size_t i = 0;
	bool answered = true;

	memset(&r, 0, sizeof(r));
	while (i < len) {
		size_t ok = mn_text_utf8_invalid_at(line + i, len - i);

		mn_buf_add(&fixed, line + i, ok);
		i += ok;
		if (i < len) {
			mn_buf_adds(&fixed, BAD_BYTE);
			i++;
		}
	}
	msg = mn_json_parse(fixed.data, fixed.len, &err);
	mn_buf_release(&fixed);
	if (is_client_response(msg))
		goto out;
	id = json_object_get(msg, "id");
	params = json_object_get(msg, "params");
	if (!json_is_object(msg) || !valid_id(id) ||
	    !json_is_string(json_object_get(msg, "method")) ||
	    !mn_json_str_is(json_object_get(msg, "jsonrpc"), "2.0")) {
		answered = false;
		goto out;
	}
	r.id = id;
	arg = bad_argument(json_object_get(params, "arguments"));
	if (mn_json_str_is(json_object_get(msg, "method"), "tools/call") &&
	    json_is_string(json_object_get(params, "name"))) {
		struct mn_buf text = MN_BUF_INIT;

		if (arg)
			mn_buf_addf(&text, "argument '%s' is not valid UTF-8 (invalid byte at offset "
				    "%zu of the message); send text as UTF-8", arg, bad);
		else
			mn_buf_addf(&text, "the message is not valid UTF-8 (invalid byte at offset "
				    "%zu); send text as UTF-8", bad);
		r.result = json_pack("{s:[{s:s,s:s}],s:b}", "content", "type", "text", "text",
				     mn_buf_str(&text), "isError", 1);
		mn_buf_release(&text);
	} else {
		reply_error(&r, MN_MCP_INVALID_PARAMS,
			    "the message is not valid UTF-8 (invalid byte at offset %zu)", bad);
	}
	write_line(out, reply_json(&r));
out:
	json_decref(r.result);
	json_decref(msg);
	return answered;
}

void mn_mcp_handle(struct mn_mcp *m, const char *line, size_t len, struct mn_buf *out)
{
	mn_mcp_handle_on(m, m->app, line, len, out);
}

void mn_mcp_handle_on(struct mn_mcp *m, struct mn_ctx *a, const char *line, size_t len,
		      struct mn_buf *out)
{
	struct reply r;
	json_error_t je;
	json_t *msg, *resp;

	memset(&r, 0, sizeof(r));
	while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	if (mn_text_is_blank(line, len))
		return;
	if (len > m->max_message) {
		mn_mcp_oversized(m, len, out);
		return;
	}
	/* mn_json_parse's flags plus any top-level value, so that "42" is an
	 * invalid request, not a parse error (JSON-RPC 2.0 §5.1). */
	msg = json_loadb(line, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL | JSON_DECODE_ANY,
			 &je);
	if (!msg) {
		size_t bad = mn_text_utf8_invalid_at(line, len);

		if (bad < len && answer_invalid_utf8(line, len, bad, out))
			return;
		reply_error(&r, MN_MCP_PARSE_ERROR, "parse error: invalid JSON at column %d: %s",
			    je.column, je.text);
		write_line(out, reply_json(&r));
		return;
	}
	if (json_is_array(msg)) {
		answer_batch(m, a, msg, out);
	} else {
		resp = answer_message(m, a, msg, false);
		if (resp)
			write_line(out, resp);
	}
	json_decref(msg);
}

void mn_mcp_oversized(struct mn_mcp *m, size_t len, struct mn_buf *out)
{
	struct reply r;

	memset(&r, 0, sizeof(r));
	reply_error(&r, MN_MCP_INVALID_REQUEST,
		    "message of %zu bytes is over the limit of %zu bytes and was skipped", len,
		    m->max_message);
	mn_warn("mcp", "skipped a message of %zu bytes (limit %zu)", len, m->max_message);
	write_line(out, reply_json(&r));
}

/* ---- server object ---- */

struct mn_mcp *mn_mcp_new(struct mn_ctx *a)
{
	struct mn_mcp *m = mn_xcalloc(1, sizeof(*m));
	char hex[17];

	m->app = a;
	/* remember's text: no message carries more than the message limit */
	m->tools = mn_mcp_tools_list(
		(size_t)a->cfg.encoding.max_text_bytes < MN_LIMIT_MCP_MESSAGE_BYTES
			? (size_t)a->cfg.encoding.max_text_bytes
			: MN_LIMIT_MCP_MESSAGE_BYTES);
	m->max_message = MN_LIMIT_MCP_MESSAGE_BYTES;
	snprintf(m->protocol, sizeof(m->protocol), "%s", MN_MCP_PROTOCOL_LATEST);
	mn_text_random_hex(hex, 8);
	snprintf(m->session, sizeof(m->session), "mcp-%s", hex);
	return m;
}

void mn_mcp_free(struct mn_mcp *m)
{
	if (!m)
		return;
	json_decref(m->tools);
	free(m);
}

void mn_mcp_set_message_limit(struct mn_mcp *m, size_t limit)
{
	m->max_message = limit;
}

bool mn_mcp_protocol_known(const char *version)
{
	for (const char *const *v = protocol_versions; version && *v; v++)
		if (!strcmp(version, *v))
			return true;
	return false;
}

const char *mn_mcp_protocol(const struct mn_mcp *m)
{
	return m->protocol;
}

/* ---- stream ---- */

/* Write all of (data, len); false when the reader is gone or writing
 * fails. */
static bool write_all(int fd, const char *data, size_t len)
{
	while (len) {
		ssize_t n = write(fd, data, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (errno != EPIPE)
				mn_error("mcp", "could not write to stdout: %s", strerror(errno));
			return false;
		}
		data += n;
		len -= (size_t)n;
	}
	return true;
}

/* Wait until in_fd is readable (or a signal): 0 ready, 1 interrupted. */
static int wait_input(int fd, const sigset_t *mask)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int n = mask ? ppoll(&p, 1, NULL, mask) : poll(&p, 1, -1);

	return n < 0 && errno == EINTR ? 1 : 0;
}

int mn_mcp_serve(struct mn_mcp *m, int in_fd, int out_fd, volatile sig_atomic_t *stop,
		 const sigset_t *wait_mask, struct mn_err *err)
{
	char chunk[65536];
	struct mn_buf line = MN_BUF_INIT, out = MN_BUF_INIT;
	size_t skipped = 0; /* bytes of an oversized line seen so far */
	bool skipping = false, open = true;
	int ret = 0;

	while (open && !(stop && *stop)) {
		ssize_t n;

		if (wait_input(in_fd, wait_mask))
			continue;
		n = read(in_fd, chunk, sizeof(chunk));
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			ret = mn_err_set(err, MN_EIO, "could not read stdin: %s", strerror(errno));
			break;
		}
		if (n == 0) {
			/* EOF: a last message without a newline still counts. */
			mn_buf_reset(&out);
			if (skipping)
				mn_mcp_oversized(m, skipped, &out);
			else if (line.len)
				mn_mcp_handle(m, line.data, line.len, &out);
			if (out.len)
				write_all(out_fd, out.data, out.len);
			break;
		}
		for (size_t i = 0; i < (size_t)n && open;) {
			const char *nl = memchr(chunk + i, '\n', (size_t)n - i);
			size_t seg = nl ? (size_t)(nl - (chunk + i)) : (size_t)n - i;

			if (skipping) {
				skipped += seg;
			} else if (line.len + seg > m->max_message) {
				/* never hold more than the limit: drop what we have */
				skipping = true;
				skipped = line.len + seg;
				mn_buf_release(&line);
			} else {
				mn_buf_add(&line, chunk + i, seg);
			}
			i += seg;
			if (!nl)
				break;
			i++; /* the newline */
			mn_buf_reset(&out);
			if (skipping)
				mn_mcp_oversized(m, skipped, &out);
			else
				mn_mcp_handle(m, line.data ? line.data : "", line.len, &out);
			skipping = false;
			skipped = 0;
			mn_buf_reset(&line);
			if (out.len && !write_all(out_fd, out.data, out.len))
				open = false;
			if (stop && *stop)
				open = false;
		}
	}
	mn_buf_release(&line);
	mn_buf_release(&out);
	return ret;
}

/* ---- command ---- */
