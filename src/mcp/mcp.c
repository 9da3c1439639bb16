/*
 * mcp.c - `mnemo mcp`: the MCP server on stdio (DESIGN §9).
 *
 * Layers, bottom up: JSON helpers that never fail on odd bytes; the tool
 * table (argument specs from which both the inputSchema and the argument
 * check are generated, output schemas, one handler per tool calling the
 * shared app/store/train functions); JSON-RPC dispatch (mn_mcp_handle);
 * the bounded line reader (mn_mcp_serve); the command (mn_cli_mcp).
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
#include "app/ops.h"
#include "train/registry.h"
#include "store/store.h"
#include "train/train.h"

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

/* A JSON string of (s, len), cut before the first invalid UTF-8 byte so
 * text from messages, errors or truncated buffers can never make jansson
 * return NULL. */
static json_t *safe_stringn(const char *s, size_t len)
{
	size_t ok = mn_text_utf8_invalid_at(s, len);
	json_t *v = json_stringn(s, ok);

	return v ? v : json_string("");
}

static json_t *safe_string(const char *s)
{
	return safe_stringn(s ? s : "", s ? strlen(s) : 0);
}

/* Does (s, len) hold a NUL byte? (strings may, JSON_ALLOW_NUL) */
static bool has_nul(const json_t *v)
{
	return memchr(json_string_value(v), '\0', json_string_length(v)) != NULL;
}

/* Is v a string of exactly the bytes of lit? A NUL inside v never cuts the
 * comparison short. */
static bool str_is(const json_t *v, const char *lit)
{
	size_t n = strlen(lit);

	return json_is_string(v) && json_string_length(v) == n &&
	       !memcmp(json_string_value(v), lit, n);
}

/* The JSON type of v, for messages. */
static const char *json_kind(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
		return "an integer";
	case JSON_REAL:
		return "a number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	default:
		return "null";
	}
}

/* ---- tool table ---- */

enum arg_type { ARG_STRING, ARG_INTEGER, ARG_OBJECT, ARG_STRING_ARRAY };

struct arg_spec {
	const char *name;
	enum arg_type type;
	bool required;
	const char *description;
	const char *const *choices; /* enum for strings, NULL-terminated */
	int64_t min, max;           /* integers: range; arrays: item count; 0, 0: unbounded */
	size_t max_len;             /* strings (array items): bytes; 0: only choices */
};

/* max_len of remember's text: encoding.max_text_bytes, enforced by
 * mn_app_remember (no message can carry more than the message limit). */
#define LEN_TEXT SIZE_MAX

struct call {
	struct mn_mcp *m;
	const json_t *args;
	json_t *structured;  /* result on success */
	struct mn_buf text;  /* content text (summary or the error) */
	bool is_error;
};

typedef void (*tool_fn)(struct call *c);

struct tool {
	const char *name;
	const char *title;
	const char *description;
	const struct arg_spec *args; /* terminated by a NULL name */
	const char *output_schema;  /* JSON text; "@memory" stands for the memory schema */
	tool_fn run;
	/* annotations: read_only - no change a client need care about (recall
	 * logs the query for feedback, nothing else); destructive - may
	 * overwrite or delete (feedback and amend replace an earlier rating or
	 * correction); idempotent - a repeat with the same arguments changes
	 * nothing more and succeeds (forget of an absent memory too). */
	bool read_only, destructive, idempotent;
};

static const char *const ratings[] = { "helpful", "partial", "irrelevant", NULL };
static const char *const categories[] = { "gold", "needs_improvement", "ambiguous", "excluded",
					  NULL };

#define AUDIT_LIMIT_MAX 1000
#define TRAINING_RUNS_DEFAULT 10

/* One memory as mn_app_memory_json writes it: encoded memories carry id,
 * encoding, metrics and flags; raw rows not (yet) encoded carry id null,
 * their state and raw content. */
static const char memory_schema[] =
	"{\"type\":\"object\",\"properties\":{"
	"\"id\":{\"type\":[\"string\",\"null\"],\"description\":\"memory id, null while the "
	"observation is only queued or failed to encode\"},"
	"\"raw_id\":{\"type\":\"string\"},"
	"\"state\":{\"type\":\"string\",\"description\":\"encoded, queued, claimed or failed\"},"
	"\"encoding\":{\"type\":\"object\"},"
	"\"content\":{\"type\":\"string\",\"description\":\"raw text (not yet encoded rows)\"},"
	"\"encoder\":{\"type\":\"string\"},\"encoder_version\":{\"type\":\"string\"},"
	"\"salience\":{\"type\":\"number\"},\"feedback_score\":{\"type\":\"number\"},"
	"\"metrics\":{\"type\":\"object\",\"properties\":{\"epr\":{\"type\":\"number\"},"
	"\"fr\":{\"type\":\"number\"},\"np\":{\"type\":\"number\"},\"sc\":{\"type\":\"boolean\"},"
	"\"ted\":{\"type\":\"boolean\"},\"mig\":{\"type\":\"boolean\"},"
	"\"confidence\":{\"type\":\"number\"}}},"
	"\"flags\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}},"
	"\"category\":{\"type\":\"string\"},\"score\":{\"type\":\"number\"},"
	"\"source\":{\"type\":[\"string\",\"null\"]},\"type\":{\"type\":[\"string\",\"null\"]},"
	"\"project\":{\"type\":[\"string\",\"null\"]},\"created_at\":{\"type\":\"string\"}},"
	"\"required\":[\"id\",\"raw_id\",\"state\"]}";

static void tool_remember(struct call *c);
static void tool_recall(struct call *c);
static void tool_feedback(struct call *c);
static void tool_amend(struct call *c);
static void tool_forget(struct call *c);
static void tool_status(struct call *c);
static void tool_audit(struct call *c);
static void tool_train(struct call *c);
static void tool_training_status(struct call *c);
static void tool_model_versions(struct call *c);

#define END_ARGS { .name = NULL }

static const struct arg_spec remember_args[] = {
	{ .name = "text", .type = ARG_STRING, .required = true,
	  .description = "The observation, in plain words, self-contained: what happened, why it "
			 "matters, exact names, numbers, paths and versions.",
	  .max_len = LEN_TEXT },
	{ .name = "type", .type = ARG_STRING,
	  .description = "Kind of observation, e.g. decision, error, fix, preference, insight, "
			 "note.",
	  .max_len = MN_MCP_LABEL_MAX },
	{ .name = "source", .type = ARG_STRING, .description = "Who or what produced it [mcp].",
	  .max_len = MN_MCP_LABEL_MAX },
	{ .name = "project", .type = ARG_STRING,
	  .description = "Project it belongs to (use the same name consistently, e.g. the "
			 "repository name).",
	  .max_len = MN_MCP_LABEL_MAX },
	END_ARGS,
};

static const struct arg_spec recall_args[] = {
	{ .name = "query", .type = ARG_STRING, .required = true,
	  .description = "What to look for: keywords, names, paths or a question.",
	  .max_len = MN_LIMIT_QUERY_BYTES },
	{ .name = "limit", .type = ARG_INTEGER, .description = "At most this many memories [10].",
	  .min = 1, .max = MN_LIMIT_RECALL_MAX },
	{ .name = "project", .type = ARG_STRING, .description = "Only memories of this project.",
	  .max_len = MN_MCP_LABEL_MAX },
	{ .name = "type", .type = ARG_STRING, .description = "Only memories of this type.",
	  .max_len = MN_MCP_LABEL_MAX },
	{ .name = "since", .type = ARG_STRING,
	  .description = "Only memories created at or after this time (ISO-8601, e.g. "
			 "2026-04-01 or 2026-04-01T12:00:00Z).",
	  .max_len = MN_MCP_ID_MAX },
	END_ARGS,
};

static const struct arg_spec feedback_args[] = {
	{ .name = "query_id", .type = ARG_STRING, .required = true,
	  .description = "The query_id that recall returned.", .max_len = MN_MCP_ID_MAX },
	{ .name = "rating", .type = ARG_STRING, .required = true,
	  .description = "How useful the recalled memories were.", .choices = ratings },
	{ .name = "memory_ids", .type = ARG_STRING_ARRAY,
	  .description = "Rate only these memories (ids from that recall); omit to rate every "
			 "memory the query returned.",
	  .min = 1, .max = MN_LIMIT_RECALL_MAX, .max_len = MN_MCP_ID_MAX },
	END_ARGS,
};

static const struct arg_spec amend_args[] = {
	{ .name = "memory_id", .type = ARG_STRING, .required = true,
	  .description = "The memory to correct.", .max_len = MN_MCP_ID_MAX },
	{ .name = "encoding", .type = ARG_OBJECT, .required = true,
	  .description = "The corrected encoding: one object with exactly the keys gist, "
			 "summary, content, narrative, concepts, structured_concepts, "
			 "significance, emotional_tone, outcome, salience." },
	END_ARGS,
};

static const struct arg_spec forget_args[] = {
	{ .name = "memory_id", .type = ARG_STRING, .required = true,
	  .description = "The memory (or raw observation) id to delete.",
	  .max_len = MN_MCP_ID_MAX },
	END_ARGS,
};

static const struct arg_spec no_args[] = {
	END_ARGS,
};

static const struct arg_spec audit_args[] = {
	{ .name = "limit", .type = ARG_INTEGER, .description = "At most this many encodings [20].",
	  .min = 1, .max = AUDIT_LIMIT_MAX },
	{ .name = "category", .type = ARG_STRING,
	  .description = "Only encodings in this experience-buffer category.",
	  .choices = categories },
	END_ARGS,
};

static const struct arg_spec train_args[] = {
	{ .name = "reason", .type = ARG_STRING,
	  .description = "Why a training run is wanted (kept with the run).",
	  .max_len = MN_MCP_NOTE_MAX },
	END_ARGS,
};

static const struct arg_spec training_status_args[] = {
	{ .name = "request_id", .type = ARG_STRING,
	  .description = "The request id train_model returned; omit for the most recent runs.",
	  .max_len = MN_MCP_ID_MAX },
	END_ARGS,
};

static const struct tool tools[] = {
	{ "remember", "Remember an observation",
	  "Store an observation in long-term memory. Call it when you learn something worth "
	  "keeping for later sessions: a decision and its reason, an error and its fix, a "
	  "convention, a user preference, a command that worked. The text is stored at once; "
	  "it is encoded right away (state 'encoded', memory_id set) or queued for the mnemo "
	  "daemon (state 'queued', memory_id null) - either way recall finds it.",
	  remember_args,
	  "{\"type\":\"object\",\"properties\":{\"raw_id\":{\"type\":\"string\"},"
	  "\"memory_id\":{\"type\":[\"string\",\"null\"]},"
	  "\"state\":{\"type\":\"string\",\"enum\":[\"encoded\",\"queued\"]},"
	  "\"note\":{\"type\":\"string\"}},\"required\":[\"raw_id\",\"memory_id\",\"state\"]}",
	  tool_remember, false, false, false },
	{ "recall", "Recall memories",
	  "Search long-term memory. Call recall before starting a task, and whenever earlier "
	  "decisions, errors, conventions or context might matter. Results are ranked by "
	  "relevance, salience and past feedback. Keep the query_id: after using the results, "
	  "call feedback with it.",
	  recall_args,
	  "{\"type\":\"object\",\"properties\":{\"query_id\":{\"type\":\"string\"},"
	  "\"memories\":{\"type\":\"array\",\"items\":@memory}},"
	  "\"required\":[\"query_id\",\"memories\"]}",
	  tool_recall, true, false, true },
	{ "feedback", "Rate recalled memories",
	  "After using recalled memories, call feedback with the recall's query_id: helpful, "
	  "partial or irrelevant, for all of its memories or only memory_ids. Ratings improve "
	  "ranking and teach mnemo's encoder which memories are good; a later rating of the "
	  "same memory for the same query replaces the earlier one.",
	  feedback_args,
	  "{\"type\":\"object\",\"properties\":{\"query_id\":{\"type\":\"string\"},"
	  "\"rating\":{\"type\":\"string\",\"enum\":[\"helpful\",\"partial\",\"irrelevant\"]},"
	  "\"rated\":{\"type\":\"integer\",\"minimum\":0}},"
	  "\"required\":[\"query_id\",\"rating\",\"rated\"]}",
	  tool_feedback, false, true, true },
	{ "amend", "Correct a memory's encoding",
	  "Record a corrected encoding for a memory whose gist, summary or fields are wrong or "
	  "lose facts (see audit_encodings). The correction is checked against the schema, "
	  "scored against the original text, and becomes the training target for this memory; "
	  "it wins over the teacher model's.",
	  amend_args,
	  "{\"type\":\"object\",\"properties\":{\"memory_id\":{\"type\":\"string\"},"
	  "\"correction_source\":{\"type\":\"string\"},\"metrics\":{\"type\":\"object\"}},"
	  "\"required\":[\"memory_id\",\"correction_source\",\"metrics\"]}",
	  tool_amend, false, true, true },
	{ "forget", "Forget a memory",
	  "Delete a memory for good (its raw text, experience row and ratings too). Use it "
	  "for memories that are wrong, obsolete or must not be kept (secrets, personal data). "
	  "Forgetting an id that is already gone succeeds with forgotten false.",
	  forget_args,
	  "{\"type\":\"object\",\"properties\":{\"memory_id\":{\"type\":\"string\"},"
	  "\"forgotten\":{\"type\":\"boolean\"}},\"required\":[\"memory_id\",\"forgotten\"]}",
	  tool_forget, false, true, true },
	{ "status", "mnemo status",
	  "Show mnemo's state: memory counts, the encoding queue, the encoder in use, the "
	  "experience buffer, whether the daemon runs, and the learning state (training, "
	  "models). Use it when memories stay queued or to check the learning loop.",
	  no_args,
	  "{\"type\":\"object\",\"properties\":{\"version\":{\"type\":\"string\"},"
	  "\"schema_version\":{\"type\":\"integer\"},\"paths\":{\"type\":\"object\"},"
	  "\"config_file\":{\"type\":[\"string\",\"null\"]},"
	  "\"queue\":{\"type\":\"object\"},\"memories\":{\"type\":\"integer\"},"
	  "\"recalls\":{\"type\":\"integer\"},\"ratings\":{\"type\":\"integer\"},"
	  "\"experience\":{\"type\":\"object\"},\"encoder\":{\"type\":\"object\"},"
	  "\"daemon\":{\"type\":\"string\",\"enum\":[\"running\",\"not running\"]},"
	  "\"learning\":{\"type\":\"object\"}},"
	  "\"required\":[\"version\",\"schema_version\",\"paths\",\"config_file\",\"queue\","
	  "\"memories\",\"recalls\",\"ratings\",\"experience\",\"encoder\",\"daemon\","
	  "\"learning\"]}",
	  tool_status, true, false, true },
	{ "audit_encodings", "Audit recent encodings",
	  "List recent encodings, newest first, with their quality metrics (EPR entity "
	  "preservation, FR fabrication, SC schema compliance, ...), flags and experience-"
	  "buffer category. Use it to spot poor encodings to amend, or to check the encoder "
	  "after a model change.",
	  audit_args,
	  "{\"type\":\"object\",\"properties\":{\"count\":{\"type\":\"integer\",\"minimum\":0},"
	  "\"memories\":{\"type\":\"array\",\"items\":@memory}},"
	  "\"required\":[\"count\",\"memories\"]}",
	  tool_audit, true, false, true },
	{ "train_model", "Request a training run",
	  "Ask mnemo to retrain its encoder now from the collected experience. Asynchronous: "
	  "returns a request id to follow with training_status, or accepted false and the "
	  "reason when it declines (training disabled, a run in flight, too little data). The "
	  "new model is deployed only if it passes the quality gate.",
	  train_args,
	  "{\"type\":\"object\",\"properties\":{\"accepted\":{\"type\":\"boolean\"},"
	  "\"state\":{\"type\":\"string\",\"description\":\"declined, or the run's state "
	  "(requested, training, ...)\"},"
	  "\"request_id\":{\"type\":[\"string\",\"null\"]},"
	  "\"reason\":{\"type\":[\"string\",\"null\"],\"description\":\"why it was "
	  "declined\"},\"runner\":{\"type\":\"string\"}},"
	  "\"required\":[\"accepted\",\"state\",\"request_id\",\"reason\",\"runner\"]}",
	  tool_train, false, false, false },
	{ "training_status", "Training run status",
	  "Show training runs, newest first (or the one request_id names), with their state "
	  "(requested, training, evaluating, deployed, rejected, failed, ...), gate verdict and "
	  "timings, plus the learning state.",
	  training_status_args,
	  "{\"type\":\"object\",\"properties\":{\"runs\":{\"type\":\"array\",\"items\":"
	  "{\"type\":\"object\"}},\"learning\":{\"type\":\"object\"}},"
	  "\"required\":[\"runs\",\"learning\"]}",
	  tool_training_status, true, false, true },
	{ "model_versions", "Model versions",
	  "List the encoder model versions in the registry, which one is current, and their "
	  "gate and live quality metrics.",
	  no_args,
	  "{\"type\":\"object\",\"properties\":{\"student\":{\"type\":\"string\"},"
	  "\"current\":{\"type\":\"string\",\"description\":\"current version, 'default' for "
	  "the shipped model\"},\"pinned\":{\"type\":[\"string\",\"null\"]},"
	  "\"versions\":{\"type\":\"array\",\"items\":{\"type\":\"object\"}},"
	  "\"learning\":{\"type\":\"object\"}},"
	  "\"required\":[\"student\",\"current\",\"pinned\",\"versions\",\"learning\"]}",
	  tool_model_versions, true, false, true },
	{ NULL, NULL, NULL, NULL, NULL, NULL, false, false, false },
};

static const struct tool *find_tool(const json_t *name)
{
	for (const struct tool *t = tools; t->name; t++)
		if (str_is(name, t->name))
			return t;
	return NULL;
}

static const char *type_name(enum arg_type t)
{
	switch (t) {
	case ARG_STRING:
		return "a string";
	case ARG_INTEGER:
		return "an integer";
	case ARG_OBJECT:
		return "an object";
	default:
		return "an array of strings";
	}
}

/* The byte limit of a string argument; text_max stands for LEN_TEXT. */
static size_t arg_max_len(const struct arg_spec *a, size_t text_max)
{
	size_t n = 0;

	if (a->max_len == LEN_TEXT)
		return text_max;
	if (a->max_len || !a->choices)
		return a->max_len;
	for (const char *const *c = a->choices; *c; c++)
		if (strlen(*c) > n)
			n = strlen(*c);
	return n;
}

static json_t *string_schema(const struct arg_spec *a, size_t text_max)
{
	json_t *p = json_pack("{s:s}", "type", "string");

	if (a->choices) {
		json_t *e = json_array();

		for (const char *const *c = a->choices; *c; c++)
			json_array_append_new(e, json_string(*c));
		json_object_set_new(p, "enum", e);
	} else if (a->required) {
		json_object_set_new(p, "minLength", json_integer(1));
	}
	json_object_set_new(p, "maxLength", json_integer((json_int_t)arg_max_len(a, text_max)));
	return p;
}

static json_t *input_schema(const struct arg_spec *args, size_t text_max)
{
	json_t *props = json_object(), *req = json_array();

	for (const struct arg_spec *a = args; a->name; a++) {
		json_t *p;

		switch (a->type) {
		case ARG_STRING:
			p = string_schema(a, text_max);
			break;
		case ARG_INTEGER:
			p = json_pack("{s:s}", "type", "integer");
			if (a->min || a->max) {
				json_object_set_new(p, "minimum", json_integer(a->min));
				json_object_set_new(p, "maximum", json_integer(a->max));
			}
			break;
		case ARG_OBJECT:
			p = json_pack("{s:s}", "type", "object");
			break;
		default:
			p = json_pack("{s:s,s:o,s:I,s:I}", "type", "array", "items",
				      string_schema(a, text_max), "minItems", (json_int_t)a->min,
				      "maxItems", (json_int_t)a->max);
			break;
		}
		json_object_set_new(p, "description", json_string(a->description));
		json_object_set_new(props, a->name, p);
		if (a->required)
			json_array_append_new(req, json_string(a->name));
	}
	return json_pack("{s:s,s:o,s:o,s:b}", "type", "object", "properties", props, "required",
			 req, "additionalProperties", 0);
}

static json_t *output_schema(const char *text)
{
	struct mn_buf b = MN_BUF_INIT;
	struct mn_err err = MN_ERR_INIT;
	const char *p = text, *at;
	json_t *v;

	while ((at = strstr(p, "@memory"))) {
		mn_buf_add(&b, p, (size_t)(at - p));
		mn_buf_adds(&b, memory_schema);
		p = at + strlen("@memory");
	}
	mn_buf_adds(&b, p);
	v = mn_json_parse(b.data, b.len, &err);
	/* The schemas are compiled in: a broken one is our bug, not input. */
	if (!v) {
		mn_error("mcp", "built-in output schema is broken: %s", err.msg);
		abort();
	}
	mn_buf_release(&b);
	return v;
}

static json_t *tools_list(size_t text_max)
{
	json_t *arr = json_array();

	for (const struct tool *t = tools; t->name; t++) {
		json_t *o = json_object(), *ann;

		json_object_set_new(o, "name", json_string(t->name));
		json_object_set_new(o, "title", json_string(t->title));
		json_object_set_new(o, "description", json_string(t->description));
		json_object_set_new(o, "inputSchema", input_schema(t->args, text_max));
		json_object_set_new(o, "outputSchema", output_schema(t->output_schema));
		ann = json_pack("{s:s,s:b,s:b}", "title", t->title, "readOnlyHint", t->read_only,
				"openWorldHint", 0);
		/* The spec gives these meaning only for tools that change state. */
		if (!t->read_only) {
			json_object_set_new(ann, "destructiveHint", json_boolean(t->destructive));
			json_object_set_new(ann, "idempotentHint", json_boolean(t->idempotent));
		}
		json_object_set_new(o, "annotations", ann);
		json_array_append_new(arr, o);
	}
	return arr;
}

/* ---- tool helpers ---- */

static void call_fail(struct call *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void call_fail(struct call *c, const char *fmt, ...)
{
	va_list ap;

	c->is_error = true;
	json_decref(c->structured);
	c->structured = NULL;
	mn_buf_reset(&c->text);
	va_start(ap, fmt);
	mn_buf_vaddf(&c->text, fmt, ap);
	va_end(ap);
}

/* Borrowed string argument or NULL when absent (or null). */
static const char *arg_str(const struct call *c, const char *name)
{
	return json_string_value(json_object_get(c->args, name));
}

/* The names of the tool's arguments, for messages. */
static void add_arg_names(struct mn_buf *b, const struct tool *t)
{
	for (const struct arg_spec *a = t->args; a->name; a++)
		mn_buf_addf(b, "%s%s", a == t->args ? "" : ", ", a->name);
	if (!t->args->name)
		mn_buf_adds(b, "no arguments");
}

static bool arg_type_ok(const struct arg_spec *a, const json_t *v)
{
	bool ok;

	switch (a->type) {
	case ARG_STRING:
		return json_is_string(v);
	case ARG_INTEGER:
		/* 5.0 is an integer to JSON Schema too */
		return json_is_integer(v) ||
		       (json_is_real(v) && fabs(json_real_value(v)) < 9.0e15 &&
			floor(json_real_value(v)) == json_real_value(v));
	case ARG_OBJECT:
		return json_is_object(v);
	default:
		ok = json_is_array(v);
		for (size_t i = 0; ok && i < json_array_size(v); i++)
			ok = json_is_string(json_array_get(v, i));
		return ok;
	}
}

/* The shape of the arguments against the inputSchema: no unknown names
 * (compared with their length: a key may hold a NUL), every required one
 * present, each of its type. false (and the call failed with a text the
 * model can act on) when one does not hold. */
static bool check_shape(struct call *c, const struct tool *t)
{
	const char *key;
	size_t key_len;
	json_t *v;

	json_object_keylen_foreach((json_t *)c->args, key, key_len, v) {
		const struct arg_spec *a = t->args;

		while (a->name && (strlen(a->name) != key_len || memcmp(a->name, key, key_len)))
			a++;
		if (!a->name) {
			call_fail(c, "unknown argument '%.64s%s' for tool '%s'; it takes: ", key,
				  memchr(key, '\0', key_len) ? "\\u0000..." : "", t->name);
			add_arg_names(&c->text, t);
			return false;
		}
	}
	for (const struct arg_spec *a = t->args; a->name; a++) {
		v = json_object_get(c->args, a->name);
		if (!v || (json_is_null(v) && !a->required)) {
			if (a->required) {
				call_fail(c, "missing argument '%s' (%s): tool '%s' needs it",
					  a->name, type_name(a->type), t->name);
				return false;
			}
			continue;
		}
		if (!arg_type_ok(a, v)) {
			call_fail(c, "argument '%s' of tool '%s' must be %s, not %s", a->name,
				  t->name, type_name(a->type), json_kind(v));
			return false;
		}
	}
	return true;
}

/* Value checks the schema states but the type check does not cover: NUL
 * bytes, blank required strings, enums, lengths, integer ranges, item
 * counts. false (and the call failed with a helpful text) when one does
 * not hold. */
static bool check_values(struct call *c, const struct tool *t)
{
	for (const struct arg_spec *a = t->args; a->name; a++) {
		const json_t *v = json_object_get(c->args, a->name);

		if (!v || json_is_null(v))
			continue;
		if (a->type == ARG_STRING) {
			const char *s = json_string_value(v);

			/* remember's text is checked by mn_app_remember itself */
			if (strcmp(a->name, "text") && has_nul(v)) {
				call_fail(c, "argument '%s' contains a NUL byte", a->name);
				return false;
			}
			if (a->required && strcmp(a->name, "text") &&
			    mn_text_is_blank(s, json_string_length(v))) {
				call_fail(c, "argument '%s' is empty", a->name);
				return false;
			}
			/* remember's text: mn_app_remember checks its configured limit */
			if (a->max_len != LEN_TEXT && !a->choices &&
			    json_string_length(v) > a->max_len) {
				call_fail(c, "argument '%s' is %zu bytes long, over its limit of %zu "
					  "bytes (maxLength)", a->name, json_string_length(v),
					  a->max_len);
				return false;
			}
			if (a->choices) {
				const char *const *ch = a->choices;

				while (*ch && strcmp(*ch, s))
					ch++;
				if (!*ch) {
					struct mn_buf list = MN_BUF_INIT;

					for (ch = a->choices; *ch; ch++)
						mn_buf_addf(&list, "%s%s", ch == a->choices ? "" : ", ",
							    *ch);
					call_fail(c, "argument '%s' must be one of %s, not '%.64s'",
						  a->name, mn_buf_str(&list), s);
					mn_buf_release(&list);
					return false;
				}
			}
		} else if (a->type == ARG_INTEGER && (a->min || a->max)) {
			double d = json_number_value(v);

			if (d < (double)a->min || d > (double)a->max) {
				call_fail(c, "argument '%s' must be %lld to %lld", a->name,
					  (long long)a->min, (long long)a->max);
				return false;
			}
		} else if (a->type == ARG_STRING_ARRAY) {
			if (!json_array_size(v)) {
				call_fail(c, "argument '%s' is empty; omit it to mean all", a->name);
				return false;
			}
			if (json_array_size(v) > (size_t)a->max) {
				call_fail(c, "argument '%s' has %zu items, over its limit of %lld",
					  a->name, json_array_size(v), (long long)a->max);
				return false;
			}
			for (size_t i = 0; i < json_array_size(v); i++) {
				const json_t *e = json_array_get(v, i);

				if (has_nul(e) || mn_text_is_blank(json_string_value(e),
								   json_string_length(e))) {
					call_fail(c, "argument '%s' item %zu is empty or has a NUL "
						  "byte", a->name, i);
					return false;
				}
				if (json_string_length(e) > a->max_len) {
					call_fail(c, "argument '%s' item %zu is %zu bytes long, over "
						  "its limit of %zu bytes", a->name, i,
						  json_string_length(e), a->max_len);
					return false;
				}
			}
		}
	}
	return true;
}

static int arg_int(const struct call *c, const char *name, int def)
{
	const json_t *v = json_object_get(c->args, name);

	return json_is_number(v) ? (int)json_number_value(v) : def;
}

/* Append a readable one-line view of (s) cut to max bytes on a UTF-8
 * boundary, newlines folded to spaces. */
static void add_excerpt(struct mn_buf *b, const char *s, size_t max)
{
	size_t len, cut;

	if (!s)
		s = "";
	len = strlen(s);
	cut = mn_text_utf8_cut(s, len, max);
	for (size_t i = 0; i < cut; i++)
		mn_buf_addc(b, s[i] == '\n' || s[i] == '\r' || s[i] == '\t' ? ' ' : s[i]);
	if (cut < len)
		mn_buf_adds(b, "...");
}

static void add_pretty(struct mn_buf *b, const json_t *v)
{
	char *s = json_dumps(v, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));

	if (s) {
		mn_buf_adds(b, s);
		free(s);
	}
}

static void add_memory_line(struct mn_buf *b, const json_t *mem, size_t rank)
{
	const json_t *enc = json_object_get(mem, "encoding");

	if (json_is_string(json_object_get(mem, "id"))) {
		mn_buf_addf(b, "%zu. [%s] ", rank, mn_json_str(mem, "id", ""));
		add_excerpt(b, mn_json_str(enc, "gist", ""), 120);
		mn_buf_addf(b, " (score %.3f, salience %.2f, %s", mn_json_num(mem, "score", 0),
			    mn_json_num(mem, "salience", 0), mn_json_str(mem, "created_at", ""));
		if (mn_json_str(mem, "project", NULL))
			mn_buf_addf(b, ", project %s", mn_json_str(mem, "project", ""));
		if (mn_json_str(mem, "category", NULL))
			mn_buf_addf(b, ", %s", mn_json_str(mem, "category", ""));
		mn_buf_adds(b, ")\n   ");
		add_excerpt(b, mn_json_str(enc, "summary", ""), 400);
		mn_buf_addc(b, '\n');
	} else {
		mn_buf_addf(b, "%zu. [raw %s, %s] ", rank, mn_json_str(mem, "raw_id", ""),
			    mn_json_str(mem, "state", ""));
		add_excerpt(b, mn_json_str(mem, "content", ""), 400);
		mn_buf_addc(b, '\n');
	}
}

/* ---- tools ---- */

/* Every tool's result is the operation's object from app/ops.c, as
 * `mnemo <cmd> --json` prints it (docs/results.md); the text content is a
 * rendering of it. */

static void tool_remember(struct call *c)
{
	const json_t *text = json_object_get(c->args, "text");
	struct mn_remember_in in = { 0 };
	struct mn_err err = MN_ERR_INIT;
	json_t *o;

	in.text = json_string_value(text);
	in.len = json_string_length(text);
	in.type = arg_str(c, "type");
	in.source = arg_str(c, "source") ? arg_str(c, "source") : "mcp";
	in.project = arg_str(c, "project");
	in.session = c->m->session;
	if (mn_op_remember(c->m->app, &in, &o, &err)) {
		call_fail(c, "could not remember: %s", err.msg);
		return;
	}
	c->structured = o;
	if (json_is_string(json_object_get(o, "memory_id")))
		mn_buf_addf(&c->text, "remembered: memory %s (raw %s), encoded",
			    mn_json_str(o, "memory_id", ""), mn_json_str(o, "raw_id", ""));
	else
		mn_buf_addf(&c->text, "stored raw %s, queued for encoding (%s); recall already "
			    "finds it by its text", mn_json_str(o, "raw_id", ""),
			    mn_json_str(o, "note", "queued"));
}

static void tool_recall(struct call *c)
{
	struct mn_recall_opts o = { 0 };
	struct mn_err err = MN_ERR_INIT;
	char since[MN_TIME_LEN];
	const json_t *mems;
	json_t *res;
	int64_t t;
	size_t n;

	o.query = arg_str(c, "query");
	o.limit = arg_int(c, "limit", 10);
	o.project = arg_str(c, "project");
	o.type = arg_str(c, "type");
	o.session = c->m->session;
	if (arg_str(c, "since")) {
		if (!mn_time_parse(&t, arg_str(c, "since"))) {
			call_fail(c, "argument 'since' is not an ISO-8601 time (e.g. 2026-04-01 "
				  "or 2026-04-01T12:00:00Z)");
			return;
		}
		mn_time_format(since, t);
		o.since = since;
	}
	if (mn_op_recall(c->m->app, &o, &res, &err)) {
		call_fail(c, "recall failed: %s", err.msg);
		return;
	}
	c->structured = res;
	mems = json_object_get(res, "memories");
	n = json_array_size(mems);
	mn_buf_addf(&c->text, "query_id %s: %zu memor%s\n", mn_json_str(res, "query_id", ""), n,
		    n == 1 ? "y" : "ies");
	for (size_t i = 0; i < n; i++)
		add_memory_line(&c->text, json_array_get(mems, i), i + 1);
	if (n)
		mn_buf_adds(&c->text, "After using these, call feedback with this query_id.");
	else
		mn_buf_adds(&c->text, "No memories match; try other keywords.");
}

static void tool_feedback(struct call *c)
{
	const json_t *ids_v = json_object_get(c->args, "memory_ids");
	const char *query_id = arg_str(c, "query_id"), *rating = arg_str(c, "rating");
	size_t n_ids = json_array_size(ids_v);
	const char **ids = n_ids ? mn_xcalloc(n_ids, sizeof(*ids)) : NULL;
	struct mn_err err = MN_ERR_INIT;
	json_t *o;

	for (size_t i = 0; i < n_ids; i++)
		ids[i] = json_string_value(json_array_get(ids_v, i));
	if (mn_op_feedback(c->m->app, query_id, rating, ids, n_ids, c->m->session, &o, &err)) {
		call_fail(c, "feedback failed: %s%s", err.msg,
			  err.code == MN_ENOTFOUND ? " (use the query_id and memory ids a recall "
						     "returned)" : "");
	} else {
		json_int_t rated = json_integer_value(json_object_get(o, "rated"));

		c->structured = o;
		mn_buf_addf(&c->text, "rated %lld memor%s %s for query %s", (long long)rated,
			    rated == 1 ? "y" : "ies", rating, query_id);
	}
	free(ids);
}

static void tool_amend(struct call *c)
{
	const char *id = arg_str(c, "memory_id");
	char *enc = mn_json_dumps(json_object_get(c->args, "encoding"));
	struct mn_err err = MN_ERR_INIT;
	json_t *o;

	if (mn_op_amend(c->m->app, id, enc, strlen(enc), &o, &err)) {
		call_fail(c, "amend failed: %s", err.msg);
	} else {
		const json_t *metrics = json_object_get(o, "metrics");

		c->structured = o;
		mn_buf_addf(&c->text, "amended %s: correction stored (epr %.2f, schema %s)", id,
			    mn_json_num(metrics, "epr", 0),
			    json_is_true(json_object_get(metrics, "sc")) ? "ok" : "not ok");
	}
	free(enc);
}

static void tool_forget(struct call *c)
{
	const char *id = arg_str(c, "memory_id");
	struct mn_err err = MN_ERR_INIT;
	json_t *o;

	/* Idempotent, as its annotation says: what is gone stays gone, and a
	 * repeat (a retry after a lost answer) is no failure. */
	if (mn_op_forget(c->m->app, id, &o, &err)) {
		call_fail(c, "forget failed: %s", err.msg);
		return;
	}
	c->structured = o;
	if (!json_is_true(json_object_get(o, "forgotten")))
		mn_buf_addf(&c->text, "nothing to forget: no memory or raw observation has id "
			    "'%s' (already forgotten, or not an id recall returned)", id);
	else
		mn_buf_addf(&c->text, "forgot %s", id);
}

static void tool_status(struct call *c)
{
	struct mn_err err = MN_ERR_INIT;
	json_t *st = NULL;

	if (mn_op_status(c->m->app, &st, &err)) {
		call_fail(c, "status failed: %s", err.msg);
		return;
	}
	c->structured = st;
	mn_buf_addf(&c->text, "mnemo %s: %lld memories, %lld queued, daemon %s\n",
		    mn_json_str(st, "version", "?"),
		    (long long)json_integer_value(json_object_get(st, "memories")),
		    (long long)json_integer_value(
			    json_object_get(json_object_get(st, "queue"), "queued")),
		    mn_json_str(st, "daemon", "?"));
	add_pretty(&c->text, st);
}

static void tool_audit(struct call *c)
{
	struct mn_err err = MN_ERR_INIT;
	const json_t *mems, *m;
	json_t *o;
	size_t n, i;

	if (mn_op_audit(c->m->app, arg_int(c, "limit", 20), arg_str(c, "category"), &o, &err)) {
		call_fail(c, "audit failed: %s", err.msg);
		return;
	}
	c->structured = o;
	mems = json_object_get(o, "memories");
	n = json_array_size(mems);
	mn_buf_addf(&c->text, "%zu encoding%s, newest first\n", n, n == 1 ? "" : "s");
	json_array_foreach(mems, i, m) {
		const json_t *met = json_object_get(m, "metrics");
		char *flags = mn_json_dumps(json_object_get(m, "flags"));

		mn_buf_addf(&c->text, "%s [%s] epr %.2f fr %.2f sc %s conf %.2f flags %s: ",
			    mn_json_str(m, "id", mn_json_str(m, "raw_id", "")),
			    mn_json_str(m, "category", "-"), mn_json_num(met, "epr", 0),
			    mn_json_num(met, "fr", 0),
			    json_is_true(json_object_get(met, "sc")) ? "yes" : "no",
			    mn_json_num(met, "confidence", 0), flags ? flags : "[]");
		add_excerpt(&c->text, mn_json_str(json_object_get(m, "encoding"), "gist", ""), 120);
		mn_buf_addc(&c->text, '\n');
		free(flags);
	}
}

static void tool_train(struct call *c)
{
	struct mn_train_request_opts o = { .trigger = "manual" };
	struct mn_err err = MN_ERR_INIT;
	json_t *res;

	o.reason = arg_str(c, "reason");
	if (mn_op_train_request(c->m->app, &o, &res, &err)) {
		call_fail(c, "train_model failed: %s", err.msg);
		return;
	}
	/* Declining is an answer, not a failure. */
	c->structured = res;
	if (!json_is_true(json_object_get(res, "accepted")))
		mn_buf_addf(&c->text, "training not started: %s", mn_json_str(res, "reason", ""));
	else
		mn_buf_addf(&c->text, "training requested: %s (%s); follow it with "
			    "training_status", mn_json_str(res, "request_id", ""),
			    mn_json_str(res, "state", ""));
}

static void tool_training_status(struct call *c)
{
	const char *id = arg_str(c, "request_id");
	struct mn_err err = MN_ERR_INIT;
	json_t *o;
	size_t n;

	if (mn_op_training_status(c->m->app, id, id ? 1 : TRAINING_RUNS_DEFAULT, &o, &err)) {
		call_fail(c, "training_status failed: %s", err.msg);
		return;
	}
	c->structured = o;
	n = json_array_size(json_object_get(o, "runs"));
	mn_buf_addf(&c->text, "%zu training run%s\n", n, n == 1 ? "" : "s");
	add_pretty(&c->text, o);
}

static void tool_model_versions(struct call *c)
{
	struct mn_err err = MN_ERR_INIT;
	json_t *o;
	size_t n;

	if (mn_op_model_versions(c->m->app, &o, &err)) {
		call_fail(c, "model_versions failed: %s", err.msg);
		return;
	}
	c->structured = o;
	n = json_array_size(json_object_get(o, "versions"));
	mn_buf_addf(&c->text, "student %s, current %s, %zu version%s in the registry\n",
		    mn_json_str(o, "student", ""), mn_json_str(o, "current", ""), n,
		    n == 1 ? "" : "s");
	add_pretty(&c->text, o);
}

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
					      safe_string(r->msg)));
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
		if (str_is(pv, *v))
			chosen = *v;
	snprintf(m->protocol, sizeof(m->protocol), "%s", chosen);
	mn_info("mcp", "client '%.64s' initialized, protocol %s",
		mn_json_str(json_object_get(params, "clientInfo"), "name", "?"), m->protocol);
	r->result = json_pack("{s:s,s:{s:{s:b}},s:{s:s,s:s,s:s},s:s}", "protocolVersion", chosen,
			      "capabilities", "tools", "listChanged", 0, "serverInfo", "name",
			      "mnemo", "title", "mnemo memory", "version", MN_VERSION,
			      "instructions", server_instructions);
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

static void do_tools_call(struct mn_mcp *m, const json_t *params, struct reply *r)
{
	const json_t *name = json_object_get(params, "name");
	const json_t *args = json_object_get(params, "arguments");
	json_t *empty = NULL;
	const struct tool *t;
	struct call c;

	/* Not a valid CallToolRequest, or no such tool: protocol errors. */
	if (!json_is_string(name)) {
		reply_error(r, MN_MCP_INVALID_PARAMS, "tools/call needs params.name (a string)");
		return;
	}
	t = find_tool(name);
	if (!t) {
		reply_error(r, MN_MCP_INVALID_PARAMS, "unknown tool '%.64s%s'; see tools/list",
			    json_string_value(name), has_nul(name) ? "\\u0000..." : "");
		return;
	}
	if (args && !json_is_object(args) && !json_is_null(args)) {
		reply_error(r, MN_MCP_INVALID_PARAMS, "params.arguments must be an object");
		return;
	}
	if (!json_is_object(args))
		args = empty = json_object();
	/* Everything about the arguments themselves is the model's to fix:
	 * a tool error it can read (SEP-1303). */
	memset(&c, 0, sizeof(c));
	c.m = m;
	c.args = args;
	mn_buf_init(&c.text, 0);
	if (check_shape(&c, t) && check_values(&c, t))
		t->run(&c);
	if (!c.is_error && !c.structured) {
		/* A handler that neither succeeded nor failed is our bug. */
		reply_error(r, MN_MCP_INTERNAL_ERROR, "tool '%s' produced no result", t->name);
	} else {
		r->result = json_object();
		json_object_set_new(r->result, "content",
				    json_pack("[{s:s,s:o}]", "type", "text",
					      "text", safe_stringn(c.text.data ? c.text.data : "",
								   c.text.len)));
		if (c.structured)
			json_object_set_new(r->result, "structuredContent", c.structured);
		json_object_set_new(r->result, "isError", json_boolean(c.is_error));
		c.structured = NULL;
		if (c.is_error)
			mn_info("mcp", "tool %s: %s", t->name, mn_buf_str(&c.text));
	}
	json_decref(c.structured);
	mn_buf_release(&c.text);
	json_decref(empty);
}

static void dispatch(struct mn_mcp *m, const json_t *method, const json_t *params,
		     bool in_batch, struct reply *r)
{
	if (str_is(method, "initialize")) {
		if (in_batch)
			reply_error(r, MN_MCP_INVALID_REQUEST,
				    "initialize must not be part of a JSON-RPC batch");
		else
			do_initialize(m, params, r);
	} else if (str_is(method, "ping")) {
		r->result = json_object();
	} else if (str_is(method, "tools/list")) {
		do_tools_list(m, params, r);
	} else if (str_is(method, "tools/call")) {
		do_tools_call(m, params, r);
	} else {
		reply_error(r, MN_MCP_METHOD_NOT_FOUND, "method '%.64s%s' not found",
			    json_string_value(method), has_nul(method) ? "\\u0000..." : "");
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
static json_t *answer_message(struct mn_mcp *m, const json_t *msg, bool in_batch)
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
	if (!str_is(json_object_get(msg, "jsonrpc"), "2.0")) {
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
	dispatch(m, method, params, in_batch, &r);
answer:
	resp = reply_json(&r);
	json_decref(r.result);
	return resp;
}

/* A JSON-RPC batch: accepted under the revision that requires them, an
 * Invalid Request otherwise. The answers to its requests come back as one
 * array on one line, in order; none at all when it held only
 * notifications and responses (JSON-RPC 2.0 §6). */
static void answer_batch(struct mn_mcp *m, const json_t *batch, struct mn_buf *out)
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
		json_t *resp = answer_message(m, json_array_get(batch, i), true);

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
	    !str_is(json_object_get(msg, "jsonrpc"), "2.0")) {
		answered = false;
		goto out;
	}
	r.id = id;
	arg = bad_argument(json_object_get(params, "arguments"));
	if (str_is(json_object_get(msg, "method"), "tools/call") &&
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
		answer_batch(m, msg, out);
	} else {
		resp = answer_message(m, msg, false);
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
	m->tools = tools_list((size_t)a->cfg.encoding.max_text_bytes < MN_LIMIT_MCP_MESSAGE_BYTES
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
