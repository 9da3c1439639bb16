/*
 * test_mcp.c - the MCP server core: JSON-RPC framing and error codes,
 * version negotiation, tools/list, every tool against a real store in a
 * fresh MNEMO_HOME, and the stream reader (oversized lines, EOF).
 */
#include "testutil.h"

#include <fcntl.h>
#include <sys/stat.h>

#include "app/app.h"
#include "base/buf.h"
#include "base/json.h"
#include "base/limits.h"
#include "base/mem.h"
#include "core/datadir.h"
#include "mcp/mcp.h"
#include "model/student.h"
#include "train/student_train.h"

struct fixture {
	char *dir;
	struct mn_ctx app;
	struct mn_mcp *m;
};

/* A fresh directory under $TMPDIR (heap path). Not tu_tmpdir: its
 * unchecked malloc trips -Werror=format-overflow under -O1 + sanitizers. */
static char *new_tmpdir(void)
{
	const char *base = getenv("TMPDIR");
	char *p = mn_xasprintf("%s/mnemo-test-XXXXXX", base && *base ? base : "/tmp");

	if (!mkdtemp(p))
		fail_msg("mkdtemp '%s' failed", p);
	return p;
}

/* Until default student weights ship in data/, train a tiny model with
 * the builtin trainer so remember encodes inline as it will in a real
 * install. Done once for the whole group. */
static char *weights_dir;

static int group_setup(void **state)
{
	static const char *const sig[] = { "routine", "notable", "important", "critical" };
	static const char *const tone[] = { "neutral", "satisfying", "frustrating", "exciting",
					    "concerning" };
	static const char *const outcome[] = { "success", "failure", "ongoing", "unknown" };
	struct mn_student_train_opts o = { 0 };
	struct mn_err err = MN_ERR_INIT;
	char *have = mn_datadir_find("default-model/" MN_STUDENT_MODEL_FILE);
	char *batch, *path;
	FILE *fp;

	(void)state;
	if (have) {
		free(have);
		return 0;
	}
	weights_dir = new_tmpdir();
	batch = mn_xasprintf("%s/batch", weights_dir);
	mkdir(batch, 0700);
	path = mn_xasprintf("%s/train.raw.jsonl", batch);
	fp = fopen(path, "w");
	for (int i = 0; i < 40; i++)
		fprintf(fp,
			"{\"raw_input\":\"Observation %d: fixed a bug in parser.c after %d tries.\","
			"\"encoded\":{\"gist\":\"Fixed parser bug %d\",\"summary\":\"Fixed a bug in "
			"parser.c.\",\"content\":\"Observation %d: fixed a bug in parser.c after %d "
			"tries.\",\"narrative\":\"\",\"concepts\":[\"parser\",\"bug\"],"
			"\"structured_concepts\":{\"topics\":[],\"entities\":[],\"actions\":[],"
			"\"causality\":[]},\"significance\":\"%s\",\"emotional_tone\":\"%s\","
			"\"outcome\":\"%s\",\"salience\":%.1f},\"task_type\":\"encoding\","
			"\"memory_id\":\"m%d\",\"source\":\"test\",\"epr\":1.0}\n",
			i, i, i, i, i, sig[i % 4], tone[i % 5], outcome[i % 4], (i % 10) / 10.0, i);
	fclose(fp);
	free(path);
	path = mn_xasprintf("%s/default-model", weights_dir);
	o.batch_dir = batch;
	o.out_dir = path;
	o.seed = 42;
	if (mn_student_train(&o, &err))
		fail_msg("could not train test weights: %s", err.msg);
	setenv("MNEMO_DATADIR", weights_dir, 1);
	free(batch);
	free(path);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	tu_rmtree(weights_dir);
	return 0;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct mn_err err = MN_ERR_INIT;
	char *home, *xdg;

	f->dir = new_tmpdir();
	assert_non_null(f->dir);
	home = mn_xasprintf("%s/home", f->dir);
	xdg = mn_xasprintf("%s/xdg", f->dir);
	setenv("MNEMO_HOME", home, 1);
	setenv("XDG_CONFIG_HOME", xdg, 1);
	unsetenv("MNEMO_CONFIG");
	setenv("MNEMO_LOG_LEVEL", "error", 1);
	free(home);
	free(xdg);
	if (mn_ctx_open(&f->app, NULL, &err))
		fail_msg("mn_ctx_open: %s", err.msg);
	f->m = mn_mcp_new(&f->app);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	mn_mcp_free(f->m);
	mn_ctx_close(&f->app);
	tu_rmtree(f->dir);
	free(f);
	return 0;
}

/* Send one line; return the parsed response (NULL when there was none).
 * Asserts the output is at most one line ending in a newline. */
static json_t *send_raw(struct fixture *f, const char *line, size_t len)
{
	struct mn_buf out = MN_BUF_INIT;
	struct mn_err err = MN_ERR_INIT;
	json_t *v;

	mn_mcp_handle(f->m, line, len, &out);
	if (!out.len) {
		mn_buf_release(&out);
		return NULL;
	}
	assert_int_equal(out.data[out.len - 1], '\n');
	assert_null(memchr(out.data, '\n', out.len - 1));
	v = mn_json_parse(out.data, out.len - 1, &err);
	if (!v)
		fail_msg("response is not JSON (%s): %s", err.msg, out.data);
	assert_string_equal(mn_json_str(v, "jsonrpc", ""), "2.0");
	mn_buf_release(&out);
	return v;
}

static json_t *send(struct fixture *f, const char *line)
{
	return send_raw(f, line, strlen(line));
}

/* Send a batch line; return the parsed answer (an array of responses, or
 * one error object), NULL when there was none. */
static json_t *send_batch(struct fixture *f, const char *line)
{
	struct mn_buf out = MN_BUF_INIT;
	struct mn_err err = MN_ERR_INIT;
	json_t *v;

	mn_mcp_handle(f->m, line, strlen(line), &out);
	if (!out.len) {
		mn_buf_release(&out);
		return NULL;
	}
	assert_int_equal(out.data[out.len - 1], '\n');
	assert_null(memchr(out.data, '\n', out.len - 1));
	v = mn_json_parse(out.data, out.len - 1, &err);
	if (!v)
		fail_msg("answer is not JSON (%s): %s", err.msg, out.data);
	mn_buf_release(&out);
	return v;
}

static void initialize(struct fixture *f, const char *version)
{
	char *line = mn_xasprintf("{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\","
				  "\"params\":{\"protocolVersion\":\"%s\",\"capabilities\":{}}}",
				  version);
	json_t *r = send(f, line);

	assert_string_equal(mn_json_str(json_object_get(r, "result"), "protocolVersion", ""),
			    version);
	json_decref(r);
	free(line);
}

/* Call a tool with arguments given as JSON text; returns the result object
 * (a new reference) or fails the test on a JSON-RPC error. */
static json_t *call_tool(struct fixture *f, const char *name, const char *args)
{
	char *line = mn_xasprintf("{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\","
				  "\"params\":{\"name\":\"%s\",\"arguments\":%s}}",
				  name, args);
	json_t *resp = send(f, line), *res;

	free(line);
	assert_non_null(resp);
	if (json_object_get(resp, "error"))
		fail_msg("%s: unexpected error %s", name, mn_json_dumps(json_object_get(resp, "error")));
	assert_int_equal(json_integer_value(json_object_get(resp, "id")), 7);
	res = json_incref(json_object_get(resp, "result"));
	json_decref(resp);
	assert_true(json_is_array(json_object_get(res, "content")));
	assert_string_equal(mn_json_str(json_array_get(json_object_get(res, "content"), 0), "type",
					""),
			    "text");
	return res;
}

/* A successful tool call's structuredContent (new reference). */
static json_t *call_ok(struct fixture *f, const char *name, const char *args)
{
	json_t *res = call_tool(f, name, args), *sc;

	if (json_is_true(json_object_get(res, "isError")))
		fail_msg("%s failed: %s", name,
			 mn_json_str(json_array_get(json_object_get(res, "content"), 0), "text", ""));
	sc = json_incref(json_object_get(res, "structuredContent"));
	assert_true(json_is_object(sc));
	json_decref(res);
	return sc;
}

/* A failing tool call: isError, no structuredContent; returns the text
 * (heap). */
static char *call_err(struct fixture *f, const char *name, const char *args)
{
	json_t *res = call_tool(f, name, args);
	char *text;

	if (!json_is_true(json_object_get(res, "isError")))
		fail_msg("%s: expected isError, got %s", name, mn_json_dumps(res));
	assert_null(json_object_get(res, "structuredContent"));
	text = mn_xstrdup(mn_json_str(json_array_get(json_object_get(res, "content"), 0), "text",
				      ""));
	json_decref(res);
	return text;
}

/* Expect a JSON-RPC error with this code; id_null: the id must be null. */
static void expect_error(struct fixture *f, const char *line, int code, bool id_null)
{
	json_t *resp = send(f, line);

	if (!resp)
		fail_msg("no response to %s", line);
	if (!json_object_get(resp, "error"))
		fail_msg("expected error %d for %s, got %s", code, line, mn_json_dumps(resp));
	assert_int_equal(json_integer_value(json_object_get(json_object_get(resp, "error"), "code")),
			 code);
	assert_true(json_is_string(json_object_get(json_object_get(resp, "error"), "message")));
	assert_null(json_object_get(resp, "result"));
	if (id_null)
		assert_true(json_is_null(json_object_get(resp, "id")));
	json_decref(resp);
}

static void assert_contains(const char *hay, const char *needle)
{
	if (!strstr(hay, needle))
		fail_msg("'%s' does not contain '%s'", hay, needle);
}

/* ---- protocol ---- */

static void test_initialize_echoes_a_supported_version(void **state)
{
	struct fixture *f = *state;
	json_t *r = send(f, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":"
			    "{\"protocolVersion\":\"2025-03-26\",\"capabilities\":{},"
			    "\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}");
	json_t *res = json_object_get(r, "result");

	assert_string_equal(mn_json_str(res, "protocolVersion", ""), "2025-03-26");
	assert_true(json_is_false(json_object_get(
		json_object_get(json_object_get(res, "capabilities"), "tools"), "listChanged")));
	assert_string_equal(mn_json_str(json_object_get(res, "serverInfo"), "name", ""), "mnemo");
	assert_string_equal(mn_json_str(json_object_get(res, "serverInfo"), "version", ""),
			    MN_VERSION);
	assert_true(strlen(mn_json_str(res, "instructions", "")) > 50);
	json_decref(r);
}

static void test_initialize_answers_latest_for_unknown_version(void **state)
{
	struct fixture *f = *state;
	json_t *r = send(f, "{\"jsonrpc\":\"2.0\",\"id\":\"a\",\"method\":\"initialize\",\"params\":"
			    "{\"protocolVersion\":\"1999-01-01\",\"capabilities\":{}}}");

	assert_string_equal(mn_json_str(json_object_get(r, "result"), "protocolVersion", ""),
			    MN_MCP_PROTOCOL_LATEST);
	assert_string_equal(mn_json_str(r, "id", ""), "a");
	json_decref(r);
	r = send(f, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"initialize\",\"params\":"
		    "{\"protocolVersion\":\"2024-11-05\"}}");
	assert_string_equal(mn_json_str(json_object_get(r, "result"), "protocolVersion", ""),
			    "2024-11-05");
	json_decref(r);
}

static void test_ping_returns_empty_result(void **state)
{
	struct fixture *f = *state;
	json_t *r = send(f, "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"ping\"}");

	assert_true(json_is_object(json_object_get(r, "result")));
	assert_int_equal(json_object_size(json_object_get(r, "result")), 0);
	assert_int_equal(json_integer_value(json_object_get(r, "id")), 3);
	json_decref(r);
}

static void test_notifications_get_no_reply(void **state)
{
	struct fixture *f = *state;

	assert_null(send(f, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}"));
	assert_null(send(f, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\","
			    "\"params\":{\"requestId\":1,\"reason\":\"x\"}}"));
	assert_null(send(f, "{\"jsonrpc\":\"2.0\",\"method\":\"no/such/notification\"}"));
	/* a response from the client to nothing we asked */
	assert_null(send(f, "{\"jsonrpc\":\"2.0\",\"id\":9,\"result\":{}}"));
	assert_null(send(f, "   "));
	assert_null(send(f, ""));
}

static void test_parse_errors_are_32700(void **state)
{
	struct fixture *f = *state;

	expect_error(f, "{\"jsonrpc\":\"2.0\",", MN_MCP_PARSE_ERROR, true);
	expect_error(f, "not json", MN_MCP_PARSE_ERROR, true);
	expect_error(f, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"} trailing",
		     MN_MCP_PARSE_ERROR, true);
}

static void test_duplicate_keys_are_a_parse_error(void **state)
{
	struct fixture *f = *state;

	expect_error(f, "{\"jsonrpc\":\"2.0\",\"id\":1,\"id\":2,\"method\":\"ping\"}",
		     MN_MCP_PARSE_ERROR, true);
	expect_error(f, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":"
			"{\"name\":\"recall\",\"arguments\":{\"query\":\"a\",\"query\":\"b\"}}}",
		     MN_MCP_PARSE_ERROR, true);
}

static void test_invalid_requests_are_32600(void **state)
{
	struct fixture *f = *state;
	json_t *r;

	expect_error(f, "{\"jsonrpc\":\"1.0\",\"id\":1,\"method\":\"ping\"}",
		     MN_MCP_INVALID_REQUEST, false);
	r = send(f, "{\"jsonrpc\":\"1.0\",\"id\":11,\"method\":\"ping\"}");
	assert_int_equal(json_integer_value(json_object_get(r, "id")), 11);
	json_decref(r);
	expect_error(f, "{\"id\":1,\"method\":\"ping\"}", MN_MCP_INVALID_REQUEST, false);
	expect_error(f, "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}]",
		     MN_MCP_INVALID_REQUEST, true);
	expect_error(f, "[]", MN_MCP_INVALID_REQUEST, true);
	expect_error(f, "42", MN_MCP_INVALID_REQUEST, true);
	expect_error(f, "\"ping\"", MN_MCP_INVALID_REQUEST, true);
	expect_error(f, "{\"jsonrpc\":\"2.0\",\"id\":null,\"method\":\"ping\"}",
		     MN_MCP_INVALID_REQUEST, true);
	expect_error(f, "{\"jsonrpc\":\"2.0\",\"id\":true,\"method\":\"ping\"}",
		     MN_MCP_INVALID_REQUEST, true);
	expect_error(f, "{\"jsonrpc\":\"2.0\",\"id\":1.5,\"method\":\"ping\"}",
		     MN_MCP_INVALID_REQUEST, true);
	expect_error(f, "{\"jsonrpc\":\"2.0\",\"id\":{},\"method\":\"ping\"}",
		     MN_MCP_INVALID_REQUEST, true);
	expect_error(f, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":5}", MN_MCP_INVALID_REQUEST,
		     false);
	expect_error(f, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\",\"params\":3}",
		     MN_MCP_INVALID_REQUEST, false);
}

static void test_unknown_method_is_32601(void **state)
{
	struct fixture *f = *state;

	expect_error(f, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"prompts/list\"}",
		     MN_MCP_METHOD_NOT_FOUND, false);
	expect_error(f, "{\"jsonrpc\":\"2.0\",\"id\":\"x\",\"method\":\"\"}",
		     MN_MCP_METHOD_NOT_FOUND, false);
}

static void test_bad_tool_calls_are_32602(void **state)
{
	struct fixture *f = *state;
	/* Not a valid CallToolRequest, or no such tool: protocol errors. */
	static const char *const lines[] = {
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":"
		"{\"name\":\"nope\",\"arguments\":{}}}",
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{}}",
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\"}",
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":"
		"{\"name\":5,\"arguments\":{}}}",
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":"
		"{\"name\":\"remember\",\"arguments\":[\"x\"]}}",
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":"
		"{\"name\":\"remember\",\"arguments\":\"text\"}}",
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":[\"recall\"]}",
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":"
		"{\"protocolVersion\":20250618}}",
		NULL,
	};

	for (const char *const *l = lines; *l; l++)
		expect_error(f, *l, MN_MCP_INVALID_PARAMS, false);
}

static void test_invalid_arguments_are_tool_errors(void **state)
{
	struct fixture *f = *state;
	/* SEP-1303: whatever is wrong with the arguments themselves is a tool
	 * result the model reads and can fix: (tool, arguments, text). */
	static const char *const cases[][3] = {
		{ "remember", "{}", "missing argument 'text'" },
		{ "remember", "{\"text\":5}", "'text' of tool 'remember' must be a string, not an "
					      "integer" },
		{ "remember", "{\"text\":null}", "'text' of tool 'remember' must be a string, not "
						   "null" },
		{ "remember", "{\"text\":\"x\",\"colour\":\"red\"}",
		  "unknown argument 'colour' for tool 'remember'; it takes: text, type, source, "
		  "project" },
		{ "recall", "{\"query\":\"x\",\"limit\":\"5\"}", "'limit' of tool 'recall' must be "
								  "an integer, not a string" },
		{ "recall", "{\"query\":\"x\",\"limit\":2.5}", "must be an integer, not a number" },
		{ "recall", "{\"query\":\"x\",\"limit\":1e300}", "must be an integer" },
		{ "feedback", "{\"query_id\":\"q\",\"rating\":\"helpful\",\"memory_ids\":[1]}",
		  "'memory_ids' of tool 'feedback' must be an array of strings, not an array" },
		{ "amend", "{\"memory_id\":\"m\",\"encoding\":\"{}\"}",
		  "'encoding' of tool 'amend' must be an object, not a string" },
		{ "status", "{\"verbose\":true}", "it takes: no arguments" },
		{ NULL, NULL, NULL },
	};

	for (size_t i = 0; cases[i][0]; i++) {
		char *t = call_err(f, cases[i][0], cases[i][1]);

		assert_contains(t, cases[i][2]);
		free(t);
	}
}

static void test_error_messages_name_the_argument(void **state)
{
	struct fixture *f = *state;
	char *t = call_err(f, "recall", "{\"query\":\"x\",\"lmit\":3}");

	assert_contains(t, "'lmit'");
	assert_contains(t, "limit");
	free(t);
}

static void test_tools_list_declares_every_tool(void **state)
{
	static const char *const names[] = { "remember", "recall", "feedback", "amend", "forget",
					     "status", "audit_encodings", "train_model",
					     "training_status", "model_versions", "list_memories",
					     "get_memory", "update_memory", NULL };
	struct fixture *f = *state;
	json_t *r = send(f, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}");
	json_t *list = json_object_get(json_object_get(r, "result"), "tools");

	assert_int_equal(json_array_size(list), 13);
	for (size_t i = 0; names[i]; i++) {
		json_t *t = json_array_get(list, i), *in, *out;

		assert_string_equal(mn_json_str(t, "name", ""), names[i]);
		assert_true(strlen(mn_json_str(t, "description", "")) > 40);
		in = json_object_get(t, "inputSchema");
		out = json_object_get(t, "outputSchema");
		assert_string_equal(mn_json_str(in, "type", ""), "object");
		assert_true(json_is_false(json_object_get(in, "additionalProperties")));
		assert_true(json_is_object(json_object_get(in, "properties")));
		assert_string_equal(mn_json_str(out, "type", ""), "object");
	}
	/* argument names are a contract */
	list = json_array_get(list, 1);
	assert_non_null(json_object_get(json_object_get(json_object_get(list, "inputSchema"),
							"properties"),
					"since"));
	json_decref(r);
}

static void test_initialize_negotiates_every_supported_version(void **state)
{
	struct fixture *f = *state;

	assert_string_equal(MN_MCP_PROTOCOL_LATEST, "2025-11-25");
	initialize(f, "2025-11-25");
	initialize(f, "2025-06-18");
	initialize(f, "2025-03-26");
	initialize(f, "2024-11-05");
}

static void test_client_responses_get_no_reply(void **state)
{
	struct fixture *f = *state;
	static const char bad_utf8[] = "{\"jsonrpc\":\"2.0\",\"id\":4,\"result\":{\"x\":\"\xff\"}}";

	/* an error response may carry id null (JSON-RPC 2.0 §5) */
	assert_null(send(f, "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32600,"
			    "\"message\":\"Invalid Request\"}}"));
	assert_null(send(f, "{\"jsonrpc\":\"2.0\",\"id\":\"s1\",\"error\":{\"code\":-32601,"
			    "\"message\":\"Method not found\"}}"));
	assert_null(send(f, "{\"jsonrpc\":\"2.0\",\"id\":[1],\"result\":{}}"));
	assert_null(send(f, "{\"id\":3,\"result\":{}}"));
	assert_null(send_raw(f, bad_utf8, sizeof(bad_utf8) - 1));
}

static void test_nul_in_method_tool_or_version_is_not_cut(void **state)
{
	struct fixture *f = *state;
	json_t *r;

	expect_error(f, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\\u0000x\"}",
		     MN_MCP_METHOD_NOT_FOUND, false);
	expect_error(f, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\\u0000\"}",
		     MN_MCP_METHOD_NOT_FOUND, false);
	expect_error(f, "{\"jsonrpc\":\"2.0\\u0000\",\"id\":1,\"method\":\"ping\"}",
		     MN_MCP_INVALID_REQUEST, false);
	expect_error(f, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":"
			"{\"name\":\"status\\u0000rm\",\"arguments\":{}}}",
		     MN_MCP_INVALID_PARAMS, false);
	r = send(f, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":"
		    "{\"protocolVersion\":\"2025-03-26\\u0000junk\"}}");
	assert_string_equal(mn_json_str(json_object_get(r, "result"), "protocolVersion", ""),
			    MN_MCP_PROTOCOL_LATEST);
	json_decref(r);
	/* jansson refuses a NUL in an object key: not JSON to us */
	expect_error(f, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":"
			"{\"name\":\"recall\",\"arguments\":{\"query\":\"x\",\"limit\\u0000\":3}}}",
		     MN_MCP_PARSE_ERROR, true);
}

static void test_memories_are_resources(void **state)
{
	struct fixture *f = *state;
	json_t *r, *list, *rd, *c;
	const char *uri;
	char line[256];

	json_decref(send(f, "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"tools/call\",\"params\":"
			    "{\"name\":\"remember\",\"arguments\":{\"text\":\"The parser lives in "
			    "src/parse.c\"}}}"));
	r = send(f, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"resources/list\"}");
	list = json_object_get(json_object_get(r, "result"), "resources");
	assert_true(json_array_size(list) > 0);
	uri = mn_json_str(json_array_get(list, 0), "uri", "");
	assert_int_equal(strncmp(uri, "mnemo://memory/", 15), 0);
	assert_string_equal(mn_json_str(json_array_get(list, 0), "mimeType", ""),
			    "application/json");
	snprintf(line, sizeof(line),
		 "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"resources/read\",\"params\":"
		 "{\"uri\":\"%s\"}}", uri);
	rd = send(f, line);
	c = json_array_get(json_object_get(json_object_get(rd, "result"), "contents"), 0);

	assert_string_equal(mn_json_str(c, "uri", ""), uri);
	assert_non_null(strstr(mn_json_str(c, "text", ""), "\"history\""));
	json_decref(rd);
	json_decref(r);
	expect_error(f, "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"resources/read\",\"params\":"
			"{\"uri\":\"mnemo://memory/nope\"}}",
		     -32002, false);
	expect_error(f, "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"resources/list\",\"params\":"
			"{\"cursor\":\"bogus\"}}",
		     MN_MCP_INVALID_PARAMS, false);
}

static void test_tools_list_rejects_a_cursor(void **state)
{
	struct fixture *f = *state;
	json_t *r;

	expect_error(f, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\",\"params\":"
			"{\"cursor\":\"eyJwYWdlIjogMn0=\"}}",
		     MN_MCP_INVALID_PARAMS, false);
	expect_error(f, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\",\"params\":"
			"{\"cursor\":\"\"}}",
		     MN_MCP_INVALID_PARAMS, false);
	expect_error(f, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\",\"params\":"
			"{\"cursor\":7}}",
		     MN_MCP_INVALID_PARAMS, false);
	r = send(f, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\",\"params\":"
		    "{\"cursor\":null}}");
	assert_int_equal(json_array_size(json_object_get(json_object_get(r, "result"), "tools")),
			 13);
	assert_null(json_object_get(json_object_get(r, "result"), "nextCursor"));
	json_decref(r);
}

static void test_batches_only_under_2025_03_26(void **state)
{
	struct fixture *f = *state;
	static const char batch[] =
		"[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"},"
		"{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"},"
		"{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":"
		"{\"name\":\"recall\",\"arguments\":{}}},"
		"{\"jsonrpc\":\"2.0\",\"id\":9,\"result\":{}},"
		"42,"
		"{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"initialize\",\"params\":{}}]";
	json_t *r, *e;

	/* before initialize and under the revisions without batches: one
	 * Invalid Request, id null */
	expect_error(f, batch, MN_MCP_INVALID_REQUEST, true);
	initialize(f, "2025-06-18");
	expect_error(f, batch, MN_MCP_INVALID_REQUEST, true);
	initialize(f, "2025-11-25");
	expect_error(f, batch, MN_MCP_INVALID_REQUEST, true);
	initialize(f, "2024-11-05");
	expect_error(f, batch, MN_MCP_INVALID_REQUEST, true);

	initialize(f, "2025-03-26");
	r = send_batch(f, batch);
	assert_true(json_is_array(r));
	assert_int_equal(json_array_size(r), 4);
	e = json_array_get(r, 0);
	assert_int_equal(json_integer_value(json_object_get(e, "id")), 1);
	assert_int_equal(json_object_size(json_object_get(e, "result")), 0);
	e = json_array_get(r, 1);
	assert_int_equal(json_integer_value(json_object_get(e, "id")), 2);
	assert_true(json_is_true(json_object_get(json_object_get(e, "result"), "isError")));
	e = json_array_get(r, 2);
	assert_true(json_is_null(json_object_get(e, "id")));
	assert_int_equal(json_integer_value(json_object_get(json_object_get(e, "error"), "code")),
			 MN_MCP_INVALID_REQUEST);
	e = json_array_get(r, 3);
	assert_int_equal(json_integer_value(json_object_get(e, "id")), 3);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(e, "error"), "code")),
			 MN_MCP_INVALID_REQUEST);
	json_decref(r);
	/* only notifications and responses: nothing at all */
	assert_null(send_batch(f, "[{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"},"
				  "{\"jsonrpc\":\"2.0\",\"id\":5,\"result\":{}}]"));
	expect_error(f, "[]", MN_MCP_INVALID_REQUEST, true);
}

static void test_oversized_batch_is_one_error(void **state)
{
	struct fixture *f = *state;
	struct mn_buf b = MN_BUF_INIT;

	initialize(f, "2025-03-26");
	mn_buf_addc(&b, '[');
	for (int i = 0; i <= MN_MCP_BATCH_MAX; i++)
		mn_buf_addf(&b, "%s{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":\"ping\"}",
			    i ? "," : "", i);
	mn_buf_addc(&b, ']');
	expect_error(f, mn_buf_str(&b), MN_MCP_INVALID_REQUEST, true);
	mn_buf_release(&b);
}

/* The tool named name in tools/list (borrowed from list). */
static json_t *listed_tool(json_t *list, const char *name)
{
	for (size_t i = 0; i < json_array_size(list); i++)
		if (!strcmp(mn_json_str(json_array_get(list, i), "name", ""), name))
			return json_array_get(list, i);
	fail_msg("no tool %s", name);
	return NULL;
}

static void test_annotations_tell_the_truth(void **state)
{
	struct fixture *f = *state;
	json_t *r = send(f, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}");
	json_t *list = json_object_get(json_object_get(r, "result"), "tools"), *a;
	static const char *const read_only[] = { "recall", "status", "audit_encodings",
						 "training_status", "model_versions", NULL };
	/* name, destructive, idempotent */
	static const struct {
		const char *name;
		bool destructive, idempotent;
	} writers[] = {
		{ "remember", false, false }, { "feedback", true, true }, { "amend", true, true },
		{ "forget", true, true },     { "train_model", false, false },
	};

	for (size_t i = 0; read_only[i]; i++) {
		a = json_object_get(listed_tool(list, read_only[i]), "annotations");
		assert_true(json_is_true(json_object_get(a, "readOnlyHint")));
	}
	for (size_t i = 0; i < sizeof(writers) / sizeof(writers[0]); i++) {
		a = json_object_get(listed_tool(list, writers[i].name), "annotations");
		assert_true(json_is_false(json_object_get(a, "readOnlyHint")));
		assert_int_equal(json_is_true(json_object_get(a, "destructiveHint")),
				 writers[i].destructive);
		assert_int_equal(json_is_true(json_object_get(a, "idempotentHint")),
				 writers[i].idempotent);
	}
	json_decref(r);
}

static void test_string_arguments_declare_max_length(void **state)
{
	struct fixture *f = *state;
	json_t *r = send(f, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}");
	json_t *list = json_object_get(json_object_get(r, "result"), "tools"), *p, *text, *query;
	const char *key;

	for (size_t i = 0; i < json_array_size(list); i++) {
		json_t *props = json_object_get(
			json_object_get(json_array_get(list, i), "inputSchema"), "properties");

		json_object_foreach(props, key, p) {
			if (!strcmp(mn_json_str(p, "type", ""), "array")) {
				assert_true(json_integer_value(json_object_get(p, "maxItems")) > 0);
				p = json_object_get(p, "items");
			}
			if (strcmp(mn_json_str(p, "type", ""), "string"))
				continue;
			if (json_integer_value(json_object_get(p, "maxLength")) <= 0)
				fail_msg("%s.%s has no maxLength",
					 mn_json_str(json_array_get(list, i), "name", ""), key);
		}
	}
	text = json_object_get(json_object_get(json_object_get(listed_tool(list, "remember"),
								"inputSchema"),
					       "properties"),
			       "text");
	assert_int_equal(json_integer_value(json_object_get(text, "maxLength")),
			 f->app.cfg.encoding.max_text_bytes);
	query = json_object_get(json_object_get(json_object_get(listed_tool(list, "recall"),
								 "inputSchema"),
						"properties"),
				"query");
	assert_int_equal(json_integer_value(json_object_get(query, "maxLength")),
			 MN_LIMIT_QUERY_BYTES);
	json_decref(r);
}

/* ---- tools ---- */

static char *remember(struct fixture *f, const char *text)
{
	char *args = mn_xasprintf("{\"text\":\"%s\",\"project\":\"demo\",\"type\":\"note\"}", text);
	json_t *sc = call_ok(f, "remember", args);
	char *id;

	free(args);
	assert_string_equal(mn_json_str(sc, "state", ""), "encoded");
	assert_true(json_is_string(json_object_get(sc, "raw_id")));
	id = mn_xstrdup(mn_json_str(sc, "memory_id", ""));
	assert_int_equal(strlen(id), 36);
	json_decref(sc);
	return id;
}

static void test_remember_recall_feedback_round_trip(void **state)
{
	struct fixture *f = *state;
	char *id = remember(f, "Switched the build to meson 1.4 because make was too slow.");
	json_t *sc, *mem, *res;
	char *args;

	sc = call_ok(f, "recall", "{\"query\":\"meson build\",\"project\":\"demo\",\"full\":true}");
	assert_int_equal(strlen(mn_json_str(sc, "query_id", "")), 36);
	assert_int_equal(json_array_size(json_object_get(sc, "memories")), 1);
	mem = json_array_get(json_object_get(sc, "memories"), 0);
	assert_string_equal(mn_json_str(mem, "id", ""), id);
	assert_string_equal(mn_json_str(mem, "source", ""), "mcp");
	assert_string_equal(mn_json_str(mem, "project", ""), "demo");
	assert_true(json_is_object(json_object_get(mem, "encoding")));
	res = call_tool(f, "recall", "{\"query\":\"meson\"}");
	assert_contains(mn_json_str(json_array_get(json_object_get(res, "content"), 0), "text", ""),
			id);
	json_decref(res);

	args = mn_xasprintf("{\"query_id\":\"%s\",\"rating\":\"helpful\",\"memory_ids\":[\"%s\"]}",
			    mn_json_str(sc, "query_id", ""), id);
	json_decref(sc);
	sc = call_ok(f, "feedback", args);
	assert_int_equal(json_integer_value(json_object_get(sc, "rated")), 1);
	assert_string_equal(mn_json_str(sc, "rating", ""), "helpful");
	json_decref(sc);
	free(args);
	free(id);
}

static void test_recall_filters_and_empty_results(void **state)
{
	struct fixture *f = *state;
	char *id = remember(f, "The cache lives in /var/cache/demo and holds 512 entries.");
	json_t *sc;

	sc = call_ok(f, "recall", "{\"query\":\"cache\",\"project\":\"other\"}");
	assert_int_equal(json_array_size(json_object_get(sc, "memories")), 0);
	json_decref(sc);
	sc = call_ok(f, "recall", "{\"query\":\"cache\",\"since\":\"2999-01-01\",\"limit\":5.0}");
	assert_int_equal(json_array_size(json_object_get(sc, "memories")), 0);
	json_decref(sc);
	sc = call_ok(f, "recall", "{\"query\":\"cache\",\"type\":\"note\",\"since\":\"2000-01-01\"}");
	assert_int_equal(json_array_size(json_object_get(sc, "memories")), 1);
	json_decref(sc);
	free(id);
}

static void test_bad_values_are_tool_errors(void **state)
{
	struct fixture *f = *state;
	struct mn_buf b = MN_BUF_INIT;
	char *t, *args;

	t = call_err(f, "remember", "{\"text\":\"\"}");
	assert_contains(t, "empty");
	free(t);
	t = call_err(f, "remember", "{\"text\":\"   \\n\"}");
	assert_contains(t, "empty");
	free(t);
	t = call_err(f, "remember", "{\"text\":\"a\\u0000b\"}");
	assert_contains(t, "NUL");
	free(t);
	t = call_err(f, "recall", "{\"query\":\"\"}");
	assert_contains(t, "query");
	free(t);
	t = call_err(f, "recall", "{\"query\":\"x\",\"limit\":0}");
	assert_contains(t, "limit");
	free(t);
	t = call_err(f, "recall", "{\"query\":\"x\",\"limit\":101}");
	assert_contains(t, "limit");
	free(t);
	t = call_err(f, "recall", "{\"query\":\"x\",\"since\":\"yesterday\"}");
	assert_contains(t, "since");
	free(t);
	t = call_err(f, "feedback", "{\"query_id\":\"q\",\"rating\":\"great\"}");
	assert_contains(t, "helpful, partial, irrelevant");
	free(t);
	t = call_err(f, "feedback", "{\"query_id\":\"nope\",\"rating\":\"partial\"}");
	assert_contains(t, "nope");
	free(t);
	t = call_err(f, "feedback", "{\"query_id\":\"q\",\"rating\":\"partial\",\"memory_ids\":[]}");
	assert_contains(t, "memory_ids");
	free(t);
	args = mn_xasprintf("{\"query\":\"x\",\"project\":\"%0300d\"}", 0);
	t = call_err(f, "recall", args);
	assert_contains(t, "'project' is 300 bytes long, over its limit of 256");
	free(t);
	free(args);
	args = mn_xasprintf("{\"query\":\"%04097d\"}", 0);
	t = call_err(f, "recall", args);
	assert_contains(t, "'query' is 4097 bytes long, over its limit of 4096");
	free(t);
	free(args);
	mn_buf_adds(&b, "{\"query_id\":\"q\",\"rating\":\"partial\",\"memory_ids\":[\"a\"");
	for (int i = 0; i < MN_LIMIT_RECALL_MAX; i++)
		mn_buf_adds(&b, ",\"a\"");
	mn_buf_adds(&b, "]}");
	t = call_err(f, "feedback", mn_buf_str(&b));
	mn_buf_release(&b);
	assert_contains(t, "'memory_ids' has 101 items, over its limit of 100");
	free(t);
	t = call_err(f, "feedback", "{\"query_id\":\"q\",\"rating\":\"partial\",\"memory_ids\":"
		     "[\"0123456789012345678901234567890123456789012345678901234567890123456789\"]}");
	assert_contains(t, "item 0 is 70 bytes long");
	free(t);
	t = call_err(f, "audit_encodings", "{\"category\":\"best\"}");
	assert_contains(t, "category");
	free(t);
	t = call_err(f, "amend", "{\"memory_id\":\"x\",\"encoding\":{\"gist\":\"g\"}}");
	assert_contains(t, "schema");
	free(t);
}

static void test_invalid_utf8_in_remember_is_a_tool_error(void **state)
{
	struct fixture *f = *state;
	static const char line[] = "{\"jsonrpc\":\"2.0\",\"id\":42,\"method\":\"tools/call\","
				   "\"params\":{\"name\":\"remember\",\"arguments\":"
				   "{\"text\":\"bad \xff\xfe bytes\"}}}";
	json_t *r = send_raw(f, line, sizeof(line) - 1), *res;

	assert_int_equal(json_integer_value(json_object_get(r, "id")), 42);
	res = json_object_get(r, "result");
	assert_true(json_is_true(json_object_get(res, "isError")));
	assert_contains(mn_json_str(json_array_get(json_object_get(res, "content"), 0), "text", ""),
			"'text' is not valid UTF-8");
	json_decref(r);
	/* outside a request it is a parse error */
	expect_error(f, "{\"jsonrpc\":\"2.0\",\"method\":\"x\xff\"}", MN_MCP_PARSE_ERROR, true);
}

static void test_forget_removes_the_memory(void **state)
{
	struct fixture *f = *state;
	char *id = remember(f, "Temporary token rotation happens every Friday.");
	char *args = mn_xasprintf("{\"memory_id\":\"%s\"}", id);
	json_t *sc = call_ok(f, "forget", args);

	assert_true(json_is_true(json_object_get(sc, "forgotten")));
	json_decref(sc);
	sc = call_ok(f, "recall", "{\"query\":\"token rotation\"}");
	assert_int_equal(json_array_size(json_object_get(sc, "memories")), 0);
	json_decref(sc);
	/* idempotent, as annotated: forgetting it again is no error */
	sc = call_ok(f, "forget", args);
	assert_true(json_is_false(json_object_get(sc, "forgotten")));
	json_decref(sc);
	sc = call_ok(f, "forget", "{\"memory_id\":\"no-such-id\"}");
	assert_true(json_is_false(json_object_get(sc, "forgotten")));
	json_decref(sc);
	free(args);
	free(id);
}

static void test_amend_stores_a_human_correction(void **state)
{
	struct fixture *f = *state;
	char *id = remember(f, "Deployed release v2.3.1 to the staging cluster on Monday.");
	char *args = mn_xasprintf(
		"{\"memory_id\":\"%s\",\"encoding\":{\"gist\":\"Deployed v2.3.1 to staging\","
		"\"summary\":\"Release v2.3.1 went to the staging cluster on Monday.\","
		"\"content\":\"Deployed release v2.3.1 to the staging cluster on Monday.\","
		"\"narrative\":\"\",\"concepts\":[\"deploy\",\"staging\"],"
		"\"structured_concepts\":{\"topics\":[],\"entities\":[],\"actions\":[],"
		"\"causality\":[]},\"significance\":\"notable\",\"emotional_tone\":\"neutral\","
		"\"outcome\":\"success\",\"salience\":0.6}}",
		id);
	json_t *sc = call_ok(f, "amend", args);

	assert_string_equal(mn_json_str(sc, "memory_id", ""), id);
	assert_string_equal(mn_json_str(sc, "correction_source", ""), "human");
	assert_true(json_is_number(json_object_get(json_object_get(sc, "metrics"), "epr")));
	json_decref(sc);
	free(args);
	free(id);
}

static void test_audit_lists_newest_first_with_metrics(void **state)
{
	struct fixture *f = *state;
	char *a = remember(f, "First observation about parsing 12 files.");
	char *b = remember(f, "Second observation about linking 3 libraries.");
	json_t *sc = call_ok(f, "audit_encodings", "{\"limit\":5}"), *first;

	assert_int_equal(json_integer_value(json_object_get(sc, "count")), 2);
	first = json_array_get(json_object_get(sc, "memories"), 0);
	assert_string_equal(mn_json_str(first, "id", ""), b);
	assert_true(json_is_object(json_object_get(first, "metrics")));
	assert_true(json_is_array(json_object_get(first, "flags")));
	assert_true(json_is_string(json_object_get(first, "category")));
	json_decref(sc);
	sc = call_ok(f, "audit_encodings", "{\"limit\":1}");
	assert_int_equal(json_array_size(json_object_get(sc, "memories")), 1);
	json_decref(sc);
	sc = call_ok(f, "audit_encodings", "{}");
	assert_int_equal(json_array_size(json_object_get(sc, "memories")), 2);
	json_decref(sc);
	free(a);
	free(b);
}

static void test_status_reports_queue_encoder_and_learning(void **state)
{
	struct fixture *f = *state;
	char *id = remember(f, "Status check observation.");
	json_t *sc = call_ok(f, "status", "{}");

	assert_string_equal(mn_json_str(sc, "version", ""), MN_VERSION);
	assert_int_equal(json_integer_value(json_object_get(sc, "memories")), 1);
	assert_true(json_is_object(json_object_get(sc, "queue")));
	assert_true(json_is_object(json_object_get(sc, "encoder")));
	assert_true(json_is_object(json_object_get(sc, "learning")));
	assert_null(json_object_get(sc, "training"));
	json_decref(sc);
	sc = call_ok(f, "status", "null");
	json_decref(sc);
	free(id);
}

static void test_train_model_declines_with_a_reason(void **state)
{
	struct fixture *f = *state;
	char *estop = mn_xasprintf("%s/training.disabled", f->app.home);
	json_t *sc;

	tu_write(estop, "test\n");
	sc = call_ok(f, "train_model", "{\"reason\":\"unit test\"}");
	assert_true(json_is_false(json_object_get(sc, "accepted")));
	assert_string_equal(mn_json_str(sc, "state", ""), "declined");
	assert_true(json_is_null(json_object_get(sc, "request_id")));
	assert_true(strlen(mn_json_str(sc, "reason", "")) > 0);
	json_decref(sc);
	free(estop);
}

static void test_training_status_and_model_versions(void **state)
{
	struct fixture *f = *state;
	json_t *sc = call_ok(f, "training_status", "{}");
	char *t;

	assert_true(json_is_array(json_object_get(sc, "runs")));
	json_decref(sc);
	t = call_err(f, "training_status", "{\"request_id\":\"no-such-request\"}");
	assert_contains(t, "no-such-request");
	free(t);
	sc = call_ok(f, "model_versions", "{}");
	assert_true(json_is_array(json_object_get(sc, "versions")));
	assert_string_equal(mn_json_str(sc, "current", ""), "default");
	json_decref(sc);
}

/* ---- stream ---- */

static char *serve_file(struct fixture *f, const char *input, size_t len)
{
	char *in_path = mn_xasprintf("%s/in", f->dir), *out_path = mn_xasprintf("%s/out", f->dir);
	struct mn_err err = MN_ERR_INIT;
	struct mn_buf out = MN_BUF_INIT;
	FILE *fp = fopen(in_path, "wb");
	int in_fd, out_fd;

	assert_non_null(fp);
	assert_int_equal(fwrite(input, 1, len, fp), len);
	fclose(fp);
	in_fd = open(in_path, O_RDONLY | O_CLOEXEC);
	out_fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(in_fd >= 0 && out_fd >= 0);
	assert_int_equal(mn_mcp_serve(f->m, in_fd, out_fd, NULL, NULL, &err), 0);
	close(in_fd);
	close(out_fd);
	assert_int_equal(mn_file_read(&out, out_path, 1 << 20, &err), 0);
	free(in_path);
	free(out_path);
	return mn_buf_detach(&out, NULL);
}

static void test_serve_skips_oversized_lines_and_continues(void **state)
{
	struct fixture *f = *state;
	struct mn_buf in = MN_BUF_INIT;
	char *out, *second;
	json_t *r;
	struct mn_err err = MN_ERR_INIT;

	mn_mcp_set_message_limit(f->m, 1000);
	mn_buf_adds(&in, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{"
			 "\"name\":\"remember\",\"arguments\":{\"text\":\"");
	for (int i = 0; i < 200000; i++)
		mn_buf_addc(&in, 'a');
	mn_buf_adds(&in, "\"}}}\n{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"ping\"}\n");
	out = serve_file(f, in.data, in.len);
	second = strchr(out, '\n');
	assert_non_null(second);
	r = mn_json_parse(out, (size_t)(second - out), &err);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(r, "error"), "code")),
			 MN_MCP_INVALID_REQUEST);
	assert_contains(mn_json_str(json_object_get(r, "error"), "message", ""), "limit");
	json_decref(r);
	r = mn_json_parse(second + 1, strlen(second + 1), &err);
	assert_non_null(r);
	assert_int_equal(json_integer_value(json_object_get(r, "id")), 2);
	json_decref(r);
	free(out);
	mn_buf_release(&in);
}

static void test_serve_answers_a_last_line_without_newline(void **state)
{
	struct fixture *f = *state;
	static const char in[] = "\n\r\n{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}\n"
				 "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}\r\n"
				 "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"ping\"}";
	char *out = serve_file(f, in, sizeof(in) - 1);

	assert_string_equal(out, "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}\n"
				 "{\"jsonrpc\":\"2.0\",\"id\":2,\"result\":{}}\n");
	free(out);
}

static void test_handle_survives_binary_garbage(void **state)
{
	struct fixture *f = *state;
	char junk[512];

	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (char)(i * 37 + 11);
	json_decref(send_raw(f, junk, sizeof(junk)));
	json_decref(send_raw(f, "\0{}", 3));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
		T(test_initialize_echoes_a_supported_version),
		T(test_initialize_answers_latest_for_unknown_version),
		T(test_ping_returns_empty_result),
		T(test_notifications_get_no_reply),
		T(test_parse_errors_are_32700),
		T(test_duplicate_keys_are_a_parse_error),
		T(test_invalid_requests_are_32600),
		T(test_unknown_method_is_32601),
		T(test_bad_tool_calls_are_32602),
		T(test_invalid_arguments_are_tool_errors),
		T(test_initialize_negotiates_every_supported_version),
		T(test_client_responses_get_no_reply),
		T(test_nul_in_method_tool_or_version_is_not_cut),
		T(test_tools_list_rejects_a_cursor),
		T(test_memories_are_resources),
		T(test_batches_only_under_2025_03_26),
		T(test_oversized_batch_is_one_error),
		T(test_annotations_tell_the_truth),
		T(test_string_arguments_declare_max_length),
		T(test_error_messages_name_the_argument),
		T(test_tools_list_declares_every_tool),
		T(test_remember_recall_feedback_round_trip),
		T(test_recall_filters_and_empty_results),
		T(test_bad_values_are_tool_errors),
		T(test_invalid_utf8_in_remember_is_a_tool_error),
		T(test_forget_removes_the_memory),
		T(test_amend_stores_a_human_correction),
		T(test_audit_lists_newest_first_with_metrics),
		T(test_status_reports_queue_encoder_and_learning),
		T(test_train_model_declines_with_a_reason),
		T(test_training_status_and_model_versions),
		T(test_serve_skips_oversized_lines_and_continues),
		T(test_serve_answers_a_last_line_without_newline),
		T(test_handle_survives_binary_garbage),
#undef T
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
