/*
 * mcp.c - `mnemo mcp`: the MCP server on stdio (DESIGN §9).
 *
 * Layers, bottom up: JSON helpers that never fail on odd bytes; the tool
 * table (argument specs from which both the inputSchema and the argument
 * check are generated, output schemas, one handler per tool calling the
 * shared app/store/train functions); JSON-RPC dispatch (mn_mcp_handle);
 * the bounded line reader (mn_mcp_serve); the command (mn_cli_mcp).
 *
 * Error policy: faults in the protocol or in the shape of the arguments
 * (missing, unknown or wrongly typed) are JSON-RPC errors; everything an
 * agent can fix by changing a value (empty text, bad enum, unknown memory
 * id) and every failure of the operation itself is a tool result with
 * isError true and a text saying what to do - without structuredContent,
 * so clients that validate it against outputSchema never trip on it.
 */
#include "mcp.h"

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
#include "cli.h"
#include "registry.h"
#include "store.h"
#include "train.h"

static const char *const protocol_versions[] = { MN_MCP_PROTOCOL_LATEST, "2025-03-26",
						 "2024-11-05", NULL };

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
	struct mn_app *app;
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

/* ---- tool table ---- */

enum arg_type { ARG_STRING, ARG_INTEGER, ARG_OBJECT, ARG_STRING_ARRAY };

struct arg_spec {
	const char *name;
	enum arg_type type;
	bool required;
	const char *description;
	const char *const *choices; /* enum for strings, NULL-terminated */
	int64_t min, max;           /* integers; min == max == 0: unbounded */
};

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
	bool read_only, destructive, idempotent;
};

static const char *const ratings[] = { "helpful", "partial", "irrelevant", NULL };
static const char *const categories[] = { "gold", "needs_improvement", "ambiguous", "excluded",
					  NULL };

#define AUDIT_LIMIT_MAX 1000
#define TRAINING_RUNS_DEFAULT 10

/* One memory as mn_cli_memory_json writes it: encoded memories carry id,
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

static const struct arg_spec remember_args[] = {
	{ "text", ARG_STRING, true,
	  "The observation, in plain words, self-contained: what happened, why it matters, "
	  "exact names, numbers, paths and versions.",
	  NULL, 0, 0 },
	{ "type", ARG_STRING, false,
	  "Kind of observation, e.g. decision, error, fix, preference, insight, note.", NULL, 0,
	  0 },
	{ "source", ARG_STRING, false, "Who or what produced it [mcp].", NULL, 0, 0 },
	{ "project", ARG_STRING, false,
	  "Project it belongs to (use the same name consistently, e.g. the repository name).",
	  NULL, 0, 0 },
	{ NULL, ARG_STRING, false, NULL, NULL, 0, 0 },
};

static const struct arg_spec recall_args[] = {
	{ "query", ARG_STRING, true, "What to look for: keywords, names, paths or a question.",
	  NULL, 0, 0 },
	{ "limit", ARG_INTEGER, false, "At most this many memories [10].", NULL, 1,
	  MN_LIMIT_RECALL_MAX },
	{ "project", ARG_STRING, false, "Only memories of this project.", NULL, 0, 0 },
	{ "type", ARG_STRING, false, "Only memories of this type.", NULL, 0, 0 },
	{ "since", ARG_STRING, false,
	  "Only memories created at or after this time (ISO-8601, e.g. 2026-04-01 or "
	  "2026-04-01T12:00:00Z).",
	  NULL, 0, 0 },
	{ NULL, ARG_STRING, false, NULL, NULL, 0, 0 },
};

static const struct arg_spec feedback_args[] = {
	{ "query_id", ARG_STRING, true, "The query_id that recall returned.", NULL, 0, 0 },
	{ "rating", ARG_STRING, true, "How useful the recalled memories were.", ratings, 0, 0 },
	{ "memory_ids", ARG_STRING_ARRAY, false,
	  "Rate only these memories (ids from that recall); omit to rate every memory the "
	  "query returned.",
	  NULL, 0, 0 },
	{ NULL, ARG_STRING, false, NULL, NULL, 0, 0 },
};

static const struct arg_spec amend_args[] = {
	{ "memory_id", ARG_STRING, true, "The memory to correct.", NULL, 0, 0 },
	{ "encoding", ARG_OBJECT, true,
	  "The corrected encoding: one object with exactly the keys gist, summary, content, "
	  "narrative, concepts, structured_concepts, significance, emotional_tone, outcome, "
	  "salience.",
	  NULL, 0, 0 },
	{ NULL, ARG_STRING, false, NULL, NULL, 0, 0 },
};

static const struct arg_spec forget_args[] = {
	{ "memory_id", ARG_STRING, true, "The memory (or raw observation) id to delete.", NULL,
	  0, 0 },
	{ NULL, ARG_STRING, false, NULL, NULL, 0, 0 },
};

static const struct arg_spec no_args[] = {
	{ NULL, ARG_STRING, false, NULL, NULL, 0, 0 },
};

static const struct arg_spec audit_args[] = {
	{ "limit", ARG_INTEGER, false, "At most this many encodings [20].", NULL, 1,
	  AUDIT_LIMIT_MAX },
	{ "category", ARG_STRING, false, "Only encodings in this experience-buffer category.",
	  categories, 0, 0 },
	{ NULL, ARG_STRING, false, NULL, NULL, 0, 0 },
};

static const struct arg_spec train_args[] = {
	{ "reason", ARG_STRING, false, "Why a training run is wanted (kept with the run).",
	  NULL, 0, 0 },
	{ NULL, ARG_STRING, false, NULL, NULL, 0, 0 },
};

static const struct arg_spec training_status_args[] = {
	{ "request_id", ARG_STRING, false,
	  "The request id train_model returned; omit for the most recent runs.", NULL, 0, 0 },
	{ NULL, ARG_STRING, false, NULL, NULL, 0, 0 },
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
	  tool_recall, false, false, false },
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
	  tool_feedback, false, false, true },
	{ "amend", "Correct a memory's encoding",
	  "Record a corrected encoding for a memory whose gist, summary or fields are wrong or "
	  "lose facts (see audit_encodings). The correction is checked against the schema, "
	  "scored against the original text, and becomes the training target for this memory; "
	  "it wins over the teacher model's.",
	  amend_args,
	  "{\"type\":\"object\",\"properties\":{\"memory_id\":{\"type\":\"string\"},"
	  "\"correction_source\":{\"type\":\"string\"},\"metrics\":{\"type\":\"object\"}},"
	  "\"required\":[\"memory_id\",\"correction_source\",\"metrics\"]}",
	  tool_amend, false, false, true },
	{ "forget", "Forget a memory",
	  "Delete a memory for good (its raw text, experience row and ratings too). Use it "
	  "for memories that are wrong, obsolete or must not be kept (secrets, personal data).",
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
	  "\"queue\":{\"type\":\"object\"},\"memories\":{\"type\":\"integer\"},"
	  "\"experience\":{\"type\":\"object\"},\"encoder\":{\"type\":\"object\"},"
	  "\"daemon\":{\"type\":\"string\"},\"training\":{\"type\":\"object\"}},"
	  "\"required\":[\"version\",\"queue\",\"memories\",\"encoder\"]}",
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
	  "\"request_id\":{\"type\":\"string\"},\"state\":{\"type\":\"string\"},"
	  "\"reason\":{\"type\":\"string\"}},\"required\":[\"accepted\"]}",
	  tool_train, false, false, false },
	{ "training_status", "Training run status",
	  "Show training runs, newest first (or the one request_id names), with their state "
	  "(requested, training, evaluating, deployed, rejected, failed, ...), gate verdict and "
	  "timings, plus the learning state.",
	  training_status_args,
	  "{\"type\":\"object\",\"properties\":{\"runs\":{\"type\":\"array\",\"items\":"
	  "{\"type\":\"object\"}},\"learning\":{\"type\":\"object\"}},\"required\":[\"runs\"]}",
	  tool_training_status, true, false, true },
	{ "model_versions", "Model versions",
	  "List the encoder model versions in the registry, which one is current, and their "
	  "gate and live quality metrics.",
	  no_args,
	  "{\"type\":\"object\",\"properties\":{\"student\":{\"type\":\"string\"},"
	  "\"current\":{\"type\":\"string\",\"description\":\"current version, 'default' for "
	  "the shipped model\"},\"versions\":{\"type\":\"array\",\"items\":{\"type\":\"object\"}},"
	  "\"learning\":{\"type\":\"object\"}},\"required\":[\"student\",\"current\",\"versions\"]}",
	  tool_model_versions, true, false, true },
	{ NULL, NULL, NULL, NULL, NULL, NULL, false, false, false },
};

static const struct tool *find_tool(const char *name)
{
	for (const struct tool *t = tools; t->name; t++)
		if (!strcmp(t->name, name))
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

static json_t *input_schema(const struct arg_spec *args)
{
	json_t *props = json_object(), *req = json_array();

	for (const struct arg_spec *a = args; a->name; a++) {
		json_t *p = json_object();

		switch (a->type) {
		case ARG_STRING:
			json_object_set_new(p, "type", json_string("string"));
			if (a->choices) {
				json_t *e = json_array();

				for (const char *const *c = a->choices; *c; c++)
					json_array_append_new(e, json_string(*c));
				json_object_set_new(p, "enum", e);
			} else if (a->required) {
				json_object_set_new(p, "minLength", json_integer(1));
			}
			break;
		case ARG_INTEGER:
			json_object_set_new(p, "type", json_string("integer"));
			if (a->min || a->max) {
				json_object_set_new(p, "minimum", json_integer(a->min));
				json_object_set_new(p, "maximum", json_integer(a->max));
			}
			break;
		case ARG_OBJECT:
			json_object_set_new(p, "type", json_string("object"));
			break;
		case ARG_STRING_ARRAY:
			json_object_set_new(p, "type", json_string("array"));
			json_object_set_new(p, "items", json_pack("{s:s}", "type", "string"));
			json_object_set_new(p, "minItems", json_integer(1));
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

static json_t *tools_list(void)
{
	json_t *arr = json_array();

	for (const struct tool *t = tools; t->name; t++) {
		json_t *o = json_object();

		json_object_set_new(o, "name", json_string(t->name));
		json_object_set_new(o, "title", json_string(t->title));
		json_object_set_new(o, "description", json_string(t->description));
		json_object_set_new(o, "inputSchema", input_schema(t->args));
		json_object_set_new(o, "outputSchema", output_schema(t->output_schema));
		json_object_set_new(o, "annotations",
				    json_pack("{s:s,s:b,s:b,s:b,s:b}", "title", t->title,
					      "readOnlyHint", t->read_only, "destructiveHint",
					      t->destructive, "idempotentHint", t->idempotent,
					      "openWorldHint", 0));
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

/* Value checks the schema states but the type check does not cover: NUL
 * bytes, blank required strings, enums, integer ranges, empty arrays.
 * false (and the call failed with a helpful text) when one does not hold. */
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
			for (size_t i = 0; i < json_array_size(v); i++) {
				const json_t *e = json_array_get(v, i);

				if (has_nul(e) || mn_text_is_blank(json_string_value(e),
								   json_string_length(e))) {
					call_fail(c, "argument '%s' item %zu is empty or has a NUL "
						  "byte", a->name, i);
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
	size_t len = s ? strlen(s) : 0, cut = mn_text_utf8_cut(s ? s : "", len, max);

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

static void add_memory_line(struct mn_buf *b, const struct mn_memory *mem, size_t rank)
{
	if (mem->id[0]) {
		mn_buf_addf(b, "%zu. [%s] ", rank, mem->id);
		add_excerpt(b, mn_json_str(mem->encoding, "gist", ""), 120);
		mn_buf_addf(b, " (score %.3f, salience %.2f, %s", mem->score, mem->salience,
			    mem->created_at);
		if (mem->project)
			mn_buf_addf(b, ", project %s", mem->project);
		if (mem->category[0])
			mn_buf_addf(b, ", %s", mem->category);
		mn_buf_adds(b, ")\n   ");
		add_excerpt(b, mn_json_str(mem->encoding, "summary", ""), 400);
		mn_buf_addc(b, '\n');
	} else {
		mn_buf_addf(b, "%zu. [raw %s, %s] ", rank, mem->raw_id, mem->state);
		add_excerpt(b, mem->raw_content, 400);
		mn_buf_addc(b, '\n');
	}
}

/* ---- tools ---- */

static void tool_remember(struct call *c)
{
	const json_t *text = json_object_get(c->args, "text");
	struct mn_remember_in in = { 0 };
	struct mn_remember_out out;
	struct mn_err err = MN_ERR_INIT;

	in.text = json_string_value(text);
	in.len = json_string_length(text);
	in.type = arg_str(c, "type");
	in.source = arg_str(c, "source") ? arg_str(c, "source") : "mcp";
	in.project = arg_str(c, "project");
	in.session = c->m->session;
	if (mn_app_remember(c->m->app, &out, &in, &err)) {
		call_fail(c, "could not remember: %s", err.msg);
		return;
	}
	c->structured = json_pack("{s:s,s:o,s:s}", "raw_id", out.raw_id, "memory_id",
				  out.memory_id[0] ? json_string(out.memory_id) : json_null(),
				  "state", out.state);
	if (out.note[0])
		json_object_set_new(c->structured, "note", safe_string(out.note));
	if (out.memory_id[0])
		mn_buf_addf(&c->text, "remembered: memory %s (raw %s), encoded", out.memory_id,
			    out.raw_id);
	else
		mn_buf_addf(&c->text, "stored raw %s, queued for encoding (%s); recall already "
			    "finds it by its text", out.raw_id, out.note[0] ? out.note : "queued");
}

static void tool_recall(struct call *c)
{
	struct mn_recall_opts o = { 0 };
	struct mn_recall_result r = { { 0 }, NULL, 0 };
	struct mn_err err = MN_ERR_INIT;
	char since[MN_TIME_LEN];
	json_t *arr;
	int64_t t;

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
	if (mn_store_recall(c->m->app->store, &r, &o, &err)) {
		call_fail(c, "recall failed: %s", err.msg);
		return;
	}
	arr = json_array();
	for (size_t i = 0; i < r.n; i++)
		json_array_append_new(arr, mn_cli_memory_json(&r.items[i]));
	c->structured = json_pack("{s:s,s:o}", "query_id", r.query_id, "memories", arr);
	mn_buf_addf(&c->text, "query_id %s: %zu memor%s\n", r.query_id, r.n,
		    r.n == 1 ? "y" : "ies");
	for (size_t i = 0; i < r.n; i++)
		add_memory_line(&c->text, &r.items[i], i + 1);
	if (r.n)
		mn_buf_adds(&c->text, "After using these, call feedback with this query_id.");
	else
		mn_buf_adds(&c->text, "No memories match; try other keywords.");
	mn_recall_result_release(&r);
}

static void tool_feedback(struct call *c)
{
	const json_t *ids_v = json_object_get(c->args, "memory_ids");
	const char *query_id = arg_str(c, "query_id"), *rating = arg_str(c, "rating");
	size_t n_ids = json_array_size(ids_v), rated = 0;
	const char **ids = n_ids ? mn_xcalloc(n_ids, sizeof(*ids)) : NULL;
	struct mn_err err = MN_ERR_INIT;

	for (size_t i = 0; i < n_ids; i++)
		ids[i] = json_string_value(json_array_get(ids_v, i));
	if (mn_store_feedback(c->m->app->store, &rated, query_id, rating, ids, n_ids,
			      c->m->session, &err)) {
		call_fail(c, "feedback failed: %s%s", err.msg,
			  err.code == MN_ENOTFOUND ? " (use the query_id and memory ids a recall "
						     "returned)" : "");
	} else {
		c->structured = json_pack("{s:s,s:s,s:I}", "query_id", query_id, "rating",
					  rating, "rated", (json_int_t)rated);
		mn_buf_addf(&c->text, "rated %zu memor%s %s for query %s", rated,
			    rated == 1 ? "y" : "ies", rating, query_id);
	}
	free(ids);
}

static void tool_amend(struct call *c)
{
	const char *id = arg_str(c, "memory_id");
	char *enc = mn_json_dumps(json_object_get(c->args, "encoding"));
	struct mn_err err = MN_ERR_INIT;
	json_t *metrics = NULL;

	if (mn_app_amend(c->m->app, id, enc, strlen(enc), &metrics, &err)) {
		call_fail(c, "amend failed: %s", err.msg);
	} else {
		c->structured = json_pack("{s:s,s:s,s:O}", "memory_id", id, "correction_source",
					  "human", "metrics", metrics);
		mn_buf_addf(&c->text, "amended %s: correction stored (epr %.2f, schema %s)", id,
			    mn_json_num(metrics, "epr", 0),
			    json_is_true(json_object_get(metrics, "sc")) ? "ok" : "not ok");
	}
	json_decref(metrics);
	free(enc);
}

static void tool_forget(struct call *c)
{
	const char *id = arg_str(c, "memory_id");
	struct mn_err err = MN_ERR_INIT;

	if (mn_store_forget(c->m->app->store, id, &err)) {
		call_fail(c, "forget failed: %s", err.msg);
		return;
	}
	c->structured = json_pack("{s:s,s:b}", "memory_id", id, "forgotten", 1);
	mn_buf_addf(&c->text, "forgot %s", id);
}

static void tool_status(struct call *c)
{
	struct mn_err err = MN_ERR_INIT;
	json_t *st = NULL;

	if (mn_app_status(c->m->app, &st, &err)) {
		call_fail(c, "status failed: %s", err.msg);
		return;
	}
	/* The learning loop adds its state through the status hook; a process
	 * where the hook is not installed still reports it. */
	if (!json_object_get(st, "training")) {
		json_t *tr = mn_train_state_json(c->m->app);

		json_object_set_new(st, "training", json_is_object(tr) ? tr : json_object());
		if (!json_is_object(tr))
			json_decref(tr);
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
	struct mn_memory *items = NULL;
	struct mn_err err = MN_ERR_INIT;
	size_t n = 0;
	json_t *arr;

	if (mn_store_list_memories(c->m->app->store, &items, &n, arg_int(c, "limit", 20),
				   arg_str(c, "category"), &err)) {
		call_fail(c, "audit failed: %s", err.msg);
		return;
	}
	arr = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, mn_cli_memory_json(&items[i]));
	c->structured = json_pack("{s:I,s:o}", "count", (json_int_t)n, "memories", arr);
	mn_buf_addf(&c->text, "%zu encoding%s, newest first\n", n, n == 1 ? "" : "s");
	for (size_t i = 0; i < n; i++) {
		char *flags = mn_json_dumps(items[i].flags);

		mn_buf_addf(&c->text, "%s [%s] epr %.2f fr %.2f sc %s conf %.2f flags %s: ",
			    items[i].id, items[i].category[0] ? items[i].category : "-",
			    items[i].epr, items[i].fr, items[i].sc ? "yes" : "no",
			    items[i].confidence, flags);
		add_excerpt(&c->text, mn_json_str(items[i].encoding, "gist", ""), 120);
		mn_buf_addc(&c->text, '\n');
		free(flags);
	}
	mn_memories_free(items, n);
}

/* The first run in what mn_train_status_json returned (array or object). */
static const json_t *first_run(const json_t *runs)
{
	return json_is_array(runs) ? json_array_get(runs, 0) : runs;
}

static void tool_train(struct call *c)
{
	struct mn_err err = MN_ERR_INIT, e2 = MN_ERR_INIT;
	char id[37] = { 0 };
	json_t *runs = NULL;
	const char *state = "requested";
	int ret = mn_train_request(c->m->app, "manual", arg_str(c, "reason"), id, &err);

	if (ret == MN_EDECLINED || ret == MN_EBUSY) {
		/* Declining is an answer, not a failure. */
		c->structured = json_pack("{s:b,s:o}", "accepted", 0, "reason",
					  safe_string(err.msg));
		mn_buf_addf(&c->text, "training not started: %s", err.msg);
		return;
	}
	if (ret) {
		call_fail(c, "train_model failed: %s", err.msg);
		return;
	}
	if (mn_train_status_json(c->m->app, id, 1, &runs, &e2) == 0 &&
	    json_is_string(json_object_get(first_run(runs), "state")))
		state = json_string_value(json_object_get(first_run(runs), "state"));
	c->structured = json_pack("{s:b,s:s,s:s}", "accepted", 1, "request_id", id, "state",
				  state);
	mn_buf_addf(&c->text, "training requested: %s (%s); follow it with training_status",
		    id, state);
	json_decref(runs);
}

static void tool_training_status(struct call *c)
{
	const char *id = arg_str(c, "request_id");
	struct mn_err err = MN_ERR_INIT;
	json_t *runs = NULL, *learning;

	if (mn_train_status_json(c->m->app, id, id ? 1 : TRAINING_RUNS_DEFAULT, &runs, &err)) {
		call_fail(c, "training_status failed: %s", err.msg);
		return;
	}
	if (!json_is_array(runs)) {
		json_t *arr = json_array();

		if (json_is_object(runs))
			json_array_append(arr, runs);
		json_decref(runs);
		runs = arr;
	}
	if (id && !json_array_size(runs)) {
		json_decref(runs);
		call_fail(c, "no training run with request id '%s'", id);
		return;
	}
	learning = mn_train_state_json(c->m->app);
	c->structured = json_pack("{s:o}", "runs", runs);
	if (json_is_object(learning))
		json_object_set_new(c->structured, "learning", learning);
	else
		json_decref(learning);
	mn_buf_addf(&c->text, "%zu training run%s\n", json_array_size(runs),
		    json_array_size(runs) == 1 ? "" : "s");
	add_pretty(&c->text, c->structured);
}

static void tool_model_versions(struct call *c)
{
	struct mn_err err = MN_ERR_INIT;
	json_t *versions = NULL, *learning;
	char student[64], current[16];

	if (mn_registry_list_json(c->m->app, &versions, &err)) {
		call_fail(c, "model_versions failed: %s", err.msg);
		return;
	}
	if (!json_is_array(versions)) {
		json_decref(versions);
		versions = json_array();
	}
	mn_registry_student(student, &c->m->app->cfg);
	mn_registry_current(c->m->app, student, current);
	learning = mn_train_state_json(c->m->app);
	c->structured = json_pack("{s:s,s:s,s:o}", "student", student, "current",
				  current[0] ? current : MN_REGISTRY_DEFAULT, "versions", versions);
	if (json_is_object(learning))
		json_object_set_new(c->structured, "learning", learning);
	else
		json_decref(learning);
	mn_buf_addf(&c->text, "student %s, current %s, %zu version%s in the registry\n",
		    student, current[0] ? current : MN_REGISTRY_DEFAULT, json_array_size(versions),
		    json_array_size(versions) == 1 ? "" : "s");
	add_pretty(&c->text, c->structured);
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

static void write_reply(struct mn_buf *out, const struct reply *r)
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
	mn_json_dump(out, o);
	mn_buf_addc(out, '\n');
	json_decref(o);
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
		if (!strcmp(*v, json_string_value(pv)))
			chosen = *v;
	snprintf(m->protocol, sizeof(m->protocol), "%s", chosen);
	mn_info("mcp", "client '%.64s' initialized, protocol %s",
		mn_json_str(json_object_get(params, "clientInfo"), "name", "?"), m->protocol);
	r->result = json_pack("{s:s,s:{s:{s:b}},s:{s:s,s:s,s:s},s:s}", "protocolVersion", chosen,
			      "capabilities", "tools", "listChanged", 0, "serverInfo", "name",
			      "mnemo", "title", "mnemo memory", "version", MN_VERSION,
			      "instructions", server_instructions);
}

/* Shape checks of the arguments: unknown, missing, wrongly typed. */
static bool check_shape(const struct tool *t, const json_t *args, struct reply *r)
{
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)args, key, v) {
		const struct arg_spec *a = t->args;

		while (a->name && strcmp(a->name, key))
			a++;
		if (!a->name) {
			struct mn_buf names = MN_BUF_INIT;

			for (a = t->args; a->name; a++)
				mn_buf_addf(&names, "%s%s", a == t->args ? "" : ", ", a->name);
			reply_error(r, MN_MCP_INVALID_PARAMS,
				    "unknown argument '%.64s' for tool '%s' (it takes: %s)", key,
				    t->name, names.len ? mn_buf_str(&names) : "no arguments");
			mn_buf_release(&names);
			return false;
		}
	}
	for (const struct arg_spec *a = t->args; a->name; a++) {
		bool ok;

		v = json_object_get(args, a->name);
		if (!v || (json_is_null(v) && !a->required)) {
			if (a->required) {
				reply_error(r, MN_MCP_INVALID_PARAMS,
					    "tool '%s' needs argument '%s' (%s)", t->name, a->name,
					    type_name(a->type));
				return false;
			}
			continue;
		}
		switch (a->type) {
		case ARG_STRING:
			ok = json_is_string(v);
			break;
		case ARG_INTEGER:
			/* 5.0 is an integer to JSON Schema too */
			ok = json_is_integer(v) ||
			     (json_is_real(v) && fabs(json_real_value(v)) < 9.0e15 &&
			      floor(json_real_value(v)) == json_real_value(v));
			break;
		case ARG_OBJECT:
			ok = json_is_object(v);
			break;
		default:
			ok = json_is_array(v);
			for (size_t i = 0; ok && i < json_array_size(v); i++)
				ok = json_is_string(json_array_get(v, i));
			break;
		}
		if (!ok) {
			reply_error(r, MN_MCP_INVALID_PARAMS, "argument '%s' of tool '%s' must be %s",
				    a->name, t->name, type_name(a->type));
			return false;
		}
	}
	return true;
}

static void do_tools_call(struct mn_mcp *m, const json_t *params, struct reply *r)
{
	const json_t *name = json_object_get(params, "name");
	const json_t *args = json_object_get(params, "arguments");
	json_t *empty = NULL;
	const struct tool *t;
	struct call c;

	if (!json_is_string(name)) {
		reply_error(r, MN_MCP_INVALID_PARAMS, "tools/call needs params.name (a string)");
		return;
	}
	t = find_tool(json_string_value(name));
	if (!t) {
		reply_error(r, MN_MCP_INVALID_PARAMS, "unknown tool '%.64s'; see tools/list",
			    json_string_value(name));
		return;
	}
	if (args && !json_is_object(args) && !json_is_null(args)) {
		reply_error(r, MN_MCP_INVALID_PARAMS, "params.arguments must be an object");
		return;
	}
	if (!json_is_object(args))
		args = empty = json_object();
	if (!check_shape(t, args, r)) {
		json_decref(empty);
		return;
	}
	memset(&c, 0, sizeof(c));
	c.m = m;
	c.args = args;
	mn_buf_init(&c.text, 0);
	if (check_values(&c, t))
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

static void dispatch(struct mn_mcp *m, const char *method, const json_t *params,
		     struct reply *r)
{
	if (!strcmp(method, "initialize")) {
		do_initialize(m, params, r);
	} else if (!strcmp(method, "ping")) {
		r->result = json_object();
	} else if (!strcmp(method, "tools/list")) {
		r->result = json_pack("{s:O}", "tools", m->tools);
	} else if (!strcmp(method, "tools/call")) {
		do_tools_call(m, params, r);
	} else {
		reply_error(r, MN_MCP_METHOD_NOT_FOUND, "method '%.64s' not found", method);
	}
}

static bool valid_id(const json_t *id)
{
	/* MCP: a string or an integer, never null. */
	return json_is_string(id) || json_is_integer(id);
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
 * request, answer it with a tool error (tools/call) or invalid params. */
static bool answer_invalid_utf8(struct mn_mcp *m, const char *line, size_t len, size_t bad,
				struct reply *r, json_t **out_msg)
{
	struct mn_buf fixed = MN_BUF_INIT;
	struct mn_err err = MN_ERR_INIT;
	const char *method, *arg;
	json_t *msg, *id, *params;
	size_t i = 0;

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
	id = json_object_get(msg, "id");
	method = json_string_value(json_object_get(msg, "method"));
	params = json_object_get(msg, "params");
	if (!json_is_object(msg) || !valid_id(id) || !method ||
	    strcmp(mn_json_str(msg, "jsonrpc", ""), "2.0")) {
		json_decref(msg);
		return false;
	}
	*out_msg = msg;
	r->id = id;
	arg = bad_argument(json_object_get(params, "arguments"));
	if (!strcmp(method, "tools/call") && json_is_string(json_object_get(params, "name"))) {
		struct mn_buf text = MN_BUF_INIT;

		if (arg)
			mn_buf_addf(&text, "argument '%s' is not valid UTF-8 (invalid byte at offset "
				    "%zu of the message); send text as UTF-8", arg, bad);
		else
			mn_buf_addf(&text, "the message is not valid UTF-8 (invalid byte at offset "
				    "%zu); send text as UTF-8", bad);
		r->result = json_pack("{s:[{s:s,s:s}],s:b}", "content", "type", "text", "text",
				      mn_buf_str(&text), "isError", 1);
		mn_buf_release(&text);
	} else {
		reply_error(r, MN_MCP_INVALID_PARAMS,
			    "the message is not valid UTF-8 (invalid byte at offset %zu)", bad);
	}
	return true;
}

void mn_mcp_handle(struct mn_mcp *m, const char *line, size_t len, struct mn_buf *out)
{
	struct reply r;
	struct mn_err err = MN_ERR_INIT;
	json_error_t je;
	json_t *msg = NULL, *id;
	const json_t *params;
	const char *method;
	bool is_note;

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
		mn_err_set(&err, MN_EPARSE, "invalid JSON at column %d: %s", je.column, je.text);
		size_t bad = mn_text_utf8_invalid_at(line, len);

		if (bad < len && answer_invalid_utf8(m, line, len, bad, &r, &msg)) {
			write_reply(out, &r);
			goto out;
		}
		reply_error(&r, MN_MCP_PARSE_ERROR, "parse error: %s", err.msg);
		write_reply(out, &r);
		goto out;
	}
	if (json_is_array(msg)) {
		reply_error(&r, MN_MCP_INVALID_REQUEST, "batch requests are not supported; send "
			    "one message per line");
		write_reply(out, &r);
		goto out;
	}
	if (!json_is_object(msg)) {
		reply_error(&r, MN_MCP_INVALID_REQUEST, "a message must be a JSON object");
		write_reply(out, &r);
		goto out;
	}
	id = json_object_get(msg, "id");
	method = json_string_value(json_object_get(msg, "method"));
	is_note = !id;
	if (id && !valid_id(id)) {
		reply_error(&r, MN_MCP_INVALID_REQUEST, "id must be a string or an integer");
		write_reply(out, &r);
		goto out;
	}
	r.id = id;
	/* A response to a request we never send: nothing to answer. */
	if (!json_object_get(msg, "method") &&
	    (json_object_get(msg, "result") || json_object_get(msg, "error")))
		goto out;
	if (!json_is_string(json_object_get(msg, "jsonrpc")) ||
	    strcmp(json_string_value(json_object_get(msg, "jsonrpc")), "2.0")) {
		reply_error(&r, MN_MCP_INVALID_REQUEST, "jsonrpc must be \"2.0\"");
		write_reply(out, &r);
		goto out;
	}
	if (!method) {
		reply_error(&r, MN_MCP_INVALID_REQUEST, "method must be a string");
		write_reply(out, &r);
		goto out;
	}
	params = json_object_get(msg, "params");
	if (params && !json_is_object(params) && !json_is_null(params)) {
		if (is_note)
			goto out;
		reply_error(&r, json_is_array(params) ? MN_MCP_INVALID_PARAMS
						      : MN_MCP_INVALID_REQUEST,
			    "params must be an object");
		write_reply(out, &r);
		goto out;
	}
	if (is_note) {
		/* notifications/initialized, notifications/cancelled, ...: requests
		 * are answered in order and at once, so there is nothing to do. */
		mn_debug("mcp", "notification %.64s", method);
		goto out;
	}
	dispatch(m, method, params, &r);
	write_reply(out, &r);
out:
	json_decref(r.result);
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
	write_reply(out, &r);
}

/* ---- server object ---- */

struct mn_mcp *mn_mcp_new(struct mn_app *a)
{
	struct mn_mcp *m = mn_xcalloc(1, sizeof(*m));
	char hex[17];

	m->app = a;
	m->tools = tools_list();
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

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static const char mcp_help[] =
	"usage: mnemo mcp [--config FILE]\n"
	"\n"
	"Run the MCP server on stdio for agents (Claude Code and other MCP clients):\n"
	"JSON-RPC 2.0, one message per line. stdout carries only protocol messages;\n"
	"logs go to stderr (or log.file). Register it with Claude Code:\n"
	"\n"
	"  claude mcp add mnemo -- mnemo mcp\n"
	"\n"
	"Tools: remember, recall, feedback, amend, forget, status, audit_encodings,\n"
	"train_model, training_status, model_versions. See docs/mcp.md.\n"
	"\n"
	"      --config FILE      configuration file\n"
	"  -h, --help             this help\n";

int mn_cli_mcp(int argc, char **argv)
{
	static const struct option lo[] = { { "help", no_argument, NULL, 'h' },
					    { "config", required_argument, NULL, 'C' },
					    { 0 } };
	const char *config = NULL;
	struct sigaction sa;
	sigset_t block, wait_mask;
	struct mn_app a;
	struct mn_err err = MN_ERR_INIT;
	struct mn_mcp *m = NULL;
	int c, code, proto_fd = -1;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(mcp_help, stdout);
			return 0;
		case 'C':
			config = optarg;
			break;
		default:
			return mn_cli_usage("mcp", "unknown option");
		}
	}
	if (optind != argc)
		return mn_cli_usage("mcp", "unexpected argument '%s'", argv[optind]);
	/* stdout belongs to the protocol: keep a private descriptor for it and
	 * point fd 1 at stderr, so nothing else (a library, a stray printf)
	 * can ever write a byte between our messages. */
	fflush(stdout);
	proto_fd = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
	if (proto_fd < 0 || dup2(STDERR_FILENO, STDOUT_FILENO) < 0) {
		fprintf(stderr, "mnemo: could not set up stdout: %s\n", strerror(errno));
		if (proto_fd >= 0)
			close(proto_fd);
		return MN_EXIT_FAIL;
	}
	code = mn_cli_open(&a, config);
	if (code) {
		close(proto_fd);
		return code;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal; /* no SA_RESTART: a wait is interrupted */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* Signals stay blocked while a request runs and are taken only while
	 * waiting for input: a request in progress always finishes. */
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGHUP);
	sigprocmask(SIG_BLOCK, &block, &wait_mask);
	sigdelset(&wait_mask, SIGTERM);
	sigdelset(&wait_mask, SIGINT);
	sigdelset(&wait_mask, SIGHUP);
	m = mn_mcp_new(&a);
	mn_info("mcp", "serving %s on stdio (data home %s)", MN_VERSION, a.home);
	if (mn_mcp_serve(m, STDIN_FILENO, proto_fd, &stop_flag, &wait_mask, &err)) {
		code = mn_cli_fail(&err);
	} else {
		mn_info("mcp", "%s, exiting", stop_flag ? "signal received" : "end of input");
		code = MN_EXIT_OK;
	}
	mn_mcp_free(m);
	mn_app_close(&a);
	close(proto_fd);
	return code;
}
