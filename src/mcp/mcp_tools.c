/*
 * mcp_tools.c - the MCP server's tools (DESIGN §9), apart from the protocol
 * in mcp.c.
 *
 * The tool table: argument specs from which both the inputSchema and the
 * argument check are generated, output schemas, one handler per tool
 * calling the shared app/store/train functions.
 *
 * Error policy (SEP-1303, MCP 2025-11-25): a request that is not a valid
 * CallToolRequest or names an unknown tool is a JSON-RPC error (returned
 * to mcp.c as a code); every invalid argument (missing, unknown, wrongly
 * typed, out of range, too long, an unknown id) and every failure of the
 * operation itself is a tool result with isError true and a text saying
 * what to do, so the model sees it and can correct its call. Tool errors
 * carry no structuredContent, so clients that validate it against
 * outputSchema never trip on it.
 *
 * Strings from the client may hold NUL bytes (JSON_ALLOW_NUL): they are
 * compared with their length, never as C strings.
 */
#include "mcp/mcp_tools.h"

#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/json.h"
#include "base/limits.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/text.h"
#include "app/app.h"
#include "app/browse.h"
#include "app/model_ops.h"
#include "app/ops.h"
#include "model/encoding.h"
#include "train/registry.h"
#include "store/store.h"
#include "train/train.h"

/* ---- JSON helpers ---- */

/* ---- tool table ---- */

enum arg_type { ARG_STRING, ARG_INTEGER, ARG_OBJECT, ARG_STRING_ARRAY, ARG_BOOLEAN };

struct arg_spec {
	const char *name;
	enum arg_type type;
	bool required;
	const char *description;
	const char *const *choices; /* enum for strings, NULL-terminated */
	int64_t min, max;           /* integers: range; arrays: item count; 0, 0: unbounded */
	size_t max_len;             /* strings (array items): bytes; 0: only choices */
	json_t *(*schema)(void);    /* objects: their JSON schema (new reference), or NULL */
};

/* max_len of remember's text: encoding.max_text_bytes, enforced by
 * mn_app_remember (no message can carry more than the message limit). */
#define LEN_TEXT SIZE_MAX

struct call {
	struct mn_ctx *app;
	const char *session;
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
	"\"project\":{\"type\":[\"string\",\"null\"]},\"created_at\":{\"type\":\"string\"},"
	"\"time\":{\"type\":\"string\",\"description\":\"when it happened (ISO-8601)\"},"
	"\"text\":{\"type\":\"string\",\"description\":\"summary, gist or raw text (recall)\"},"
	"\"matched\":{\"type\":\"array\",\"items\":{\"type\":\"string\"},"
	"\"description\":\"query terms this memory matched (recall)\"},"
	"\"explain\":{\"type\":\"object\",\"description\":\"score components (recall explain)\"}},"
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
static void tool_list_memories(struct call *c);
static void tool_get_memory(struct call *c);
static void tool_update_memory(struct call *c);

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
	{ .name = "time", .type = ARG_STRING,
	  .description = "When it happened, ISO-8601 (e.g. 2026-04-01 or 2026-04-01T12:00:00Z); "
			 "default now. Relative dates in the text (\"yesterday\", \"last "
			 "Friday\") are resolved against it.",
	  .max_len = MN_MCP_ID_MAX },
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
	{ .name = "source", .type = ARG_STRING, .description = "Only memories from this source.",
	  .max_len = MN_MCP_LABEL_MAX },
	{ .name = "since", .type = ARG_STRING,
	  .description = "Only memories that happened at or after this time (ISO-8601, e.g. "
			 "2026-04-01 or 2026-04-01T12:00:00Z).",
	  .max_len = MN_MCP_ID_MAX },
	{ .name = "until", .type = ARG_STRING,
	  .description = "Only memories that happened before this time (ISO-8601).",
	  .max_len = MN_MCP_ID_MAX },
	{ .name = "full", .type = ARG_BOOLEAN,
	  .description = "Return whole memories (encoding, metrics) instead of the compact "
			 "form (id, time, text, score, matched) [false]." },
	{ .name = "explain", .type = ARG_BOOLEAN,
	  .description = "Add each result's score components [false]." },
	{ .name = "max_chars", .type = ARG_INTEGER,
	  .description = "Return only as many whole results as fit in this many characters of "
			 "JSON (at least one); 'omitted' counts the rest.",
	  .min = 100, .max = 10000000 },
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
	  .schema = mn_encoding_json_schema,
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

static const char *const train_models[] = { "student", "ranker", NULL };

static const struct arg_spec model_versions_args[] = {
	{ .name = "model", .type = ARG_STRING,
	  .description = "Which registry: the encoder's student (default) or the learned ranker "
			 "that orders recall results.",
	  .choices = train_models },
	END_ARGS,
};

static const struct arg_spec train_args[] = {
	{ .name = "reason", .type = ARG_STRING,
	  .description = "Why a training run is wanted (kept with the run).",
	  .max_len = MN_MCP_NOTE_MAX },
	{ .name = "model", .type = ARG_STRING,
	  .description = "What to train: the encoder's student (default; asynchronous) or the "
			 "learned ranker that orders recall results (synchronous, seconds; "
			 "learns from feedback ratings).",
	  .choices = train_models },
	{ .name = "force", .type = ARG_BOOLEAN,
	  .description = "Ranker only: train even when fewer than learning.ranker.min_feedback "
			 "ratings arrived since the last ranker run." },
	END_ARGS,
};

static const struct arg_spec training_status_args[] = {
	{ .name = "request_id", .type = ARG_STRING,
	  .description = "The request id train_model returned; omit for the most recent runs.",
	  .max_len = MN_MCP_ID_MAX },
	END_ARGS,
};

static const char *const raw_states[] = { "queued", "claimed", "encoded", "failed", NULL };

static const struct arg_spec list_args[] = {
	{ .name = "project", .type = ARG_STRING,
	  .description = "Only memories of this project (exact, case-sensitive).",
	  .max_len = MN_MCP_LABEL_MAX },
	{ .name = "type", .type = ARG_STRING, .description = "Only memories of this type.",
	  .max_len = MN_MCP_LABEL_MAX },
	{ .name = "source", .type = ARG_STRING, .description = "Only memories from this source.",
	  .max_len = MN_MCP_LABEL_MAX },
	{ .name = "state", .type = ARG_STRING,
	  .description = "Only observations in this state (encoded, or not yet: queued, "
			 "claimed, failed).",
	  .choices = raw_states },
	{ .name = "category", .type = ARG_STRING,
	  .description = "Only memories in this experience-buffer category.",
	  .choices = categories },
	{ .name = "since", .type = ARG_STRING,
	  .description = "Only memories that happened at or after this time (ISO-8601).",
	  .max_len = MN_MCP_ID_MAX },
	{ .name = "until", .type = ARG_STRING,
	  .description = "Only memories that happened before this time (ISO-8601).",
	  .max_len = MN_MCP_ID_MAX },
	{ .name = "oldest", .type = ARG_BOOLEAN,
	  .description = "Oldest first instead of newest first [false]." },
	{ .name = "limit", .type = ARG_INTEGER, .description = "At most this many per page [20].",
	  .min = 1, .max = MN_BROWSE_PAGE_MAX },
	{ .name = "cursor", .type = ARG_STRING,
	  .description = "The nextCursor of the previous page; omit for the first page.",
	  .max_len = 256 },
	END_ARGS,
};

static const struct arg_spec get_args[] = {
	{ .name = "memory_id", .type = ARG_STRING, .required = true,
	  .description = "The memory id (or raw id) to show.", .max_len = MN_MCP_ID_MAX },
	END_ARGS,
};

static const struct arg_spec update_args[] = {
	{ .name = "memory_id", .type = ARG_STRING, .required = true,
	  .description = "The memory id (or raw id) whose text to replace.",
	  .max_len = MN_MCP_ID_MAX },
	{ .name = "text", .type = ARG_STRING, .required = true,
	  .description = "The corrected observation, self-contained, replacing the old text.",
	  .max_len = LEN_TEXT },
	END_ARGS,
};

/* A listed memory: the memory object (id null while not yet encoded)
 * plus its text, times and repetitions. */
#define ITEM_PROPS                                                                       \
	"\"id\":{\"type\":[\"string\",\"null\"]},\"raw_id\":{\"type\":\"string\"},"            \
	"\"state\":{\"type\":\"string\"},\"encoding\":{\"type\":\"object\"},"                  \
	"\"encoder\":{\"type\":\"string\"},\"encoder_version\":{\"type\":\"string\"},"         \
	"\"metrics\":{\"type\":\"object\"},\"flags\":{\"type\":\"array\","                     \
	"\"items\":{\"type\":\"string\"}},\"category\":{\"type\":\"string\"},"                 \
	"\"source\":{\"type\":[\"string\",\"null\"]},\"type\":{\"type\":[\"string\",\"null\"]}," \
	"\"project\":{\"type\":[\"string\",\"null\"]},\"text\":{\"type\":\"string\"},"       \
	"\"remembered_at\":{\"type\":\"string\"},\"created_at\":{\"type\":\"string\"},"       \
	"\"time\":{\"type\":\"string\"},\"salience\":{\"type\":\"number\"},"                   \
	"\"feedback_score\":{\"type\":\"number\"},\"content\":{\"type\":\"string\"},"           \
	"\"repeat_count\":{\"type\":\"integer\",\"minimum\":1},"                              \
	"\"last_seen_at\":{\"type\":[\"string\",\"null\"]}"
#define ITEM_REQUIRED                                                                    \
	"\"id\",\"raw_id\",\"state\",\"text\",\"remembered_at\",\"repeat_count\",\"last_seen_at\""
#define ITEM_SCHEMA                                                                      \
	"{\"type\":\"object\",\"properties\":{" ITEM_PROPS "},\"required\":[" ITEM_REQUIRED "]}"

static const struct tool tools[] = {
	{ "remember", "Remember an observation",
	  "Store an observation in long-term memory. Call it when you learn something worth "
	  "keeping for later sessions: a decision and its reason, an error and its fix, a "
	  "convention, a user preference, a command that worked. The text is stored at once; "
	  "it is encoded right away (state 'encoded', memory_id set) or queued for the mnemo "
	  "daemon (state 'queued', memory_id null) - either way recall finds it. The same text "
	  "of the same project again is not stored twice: its memory comes back with duplicate "
	  "true and the repetition is counted.",
	  remember_args,
	  "{\"type\":\"object\",\"properties\":{\"raw_id\":{\"type\":\"string\"},"
	  "\"memory_id\":{\"type\":[\"string\",\"null\"]},"
	  "\"state\":{\"type\":\"string\",\"enum\":[\"encoded\",\"queued\"]},"
	  "\"note\":{\"type\":\"string\"},\"duplicate\":{\"type\":\"boolean\",\"description\":"
	  "\"the same text of this project was stored already: these are its ids\"},"
	  "\"repeat_count\":{\"type\":\"integer\",\"minimum\":2}},"
	  "\"required\":[\"raw_id\",\"memory_id\",\"state\"]}",
	  tool_remember, false, false, false },
	{ "recall", "Recall memories",
	  "Search long-term memory. Call recall before starting a task, and whenever earlier "
	  "decisions, errors, conventions or context might matter. Ask in plain words or "
	  "keywords; other word forms, common synonyms and dates (\"on March 3\", \"last "
	  "week\", \"the day after the X outage\") are understood. Results are compact (id, "
	  "time, text, score, matched terms), best first by relevance, then salience and past "
	  "feedback; ask full for whole memories, explain for the score. Keep the query_id: "
	  "after using the results, call feedback with it.",
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
	  "\"projects\":{\"type\":\"object\",\"additionalProperties\":{\"type\":\"integer\"}},"
	  "\"recalls\":{\"type\":\"integer\"},\"ratings\":{\"type\":\"integer\"},"
	  "\"experience\":{\"type\":\"object\"},\"encoder\":{\"type\":\"object\"},"
	  "\"daemon\":{\"type\":\"string\",\"enum\":[\"running\",\"not running\"]},"
	  "\"learning\":{\"type\":\"object\"}},"
	  "\"required\":[\"version\",\"schema_version\",\"paths\",\"config_file\",\"queue\","
	  "\"memories\",\"projects\",\"recalls\",\"ratings\",\"experience\",\"encoder\","
	  "\"daemon\",\"learning\"]}",
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
	  "Ask mnemo to retrain its encoder now from the collected experience (model student, "
	  "the default; asynchronous: returns a request id to follow with training_status), or "
	  "its recall ranker from the feedback ratings (model ranker; runs to its end and "
	  "returns the run). Returns accepted false and the reason when it declines (training "
	  "disabled, a run in flight, too little data). The new model is deployed only if it "
	  "passes the quality gate.",
	  train_args,
	  "{\"type\":\"object\",\"properties\":{\"accepted\":{\"type\":\"boolean\"},"
	  "\"state\":{\"type\":\"string\",\"description\":\"declined, or the run's state "
	  "(requested, training, ...)\"},"
	  "\"request_id\":{\"type\":[\"string\",\"null\"]},"
	  "\"reason\":{\"type\":[\"string\",\"null\"],\"description\":\"why it was "
	  "declined\"},\"runner\":{\"type\":\"string\"},"
	  "\"run\":{\"type\":[\"object\",\"null\"],\"description\":\"ranker: the "
	  "finished run\"}},"
	  "\"required\":[\"accepted\",\"state\",\"request_id\",\"reason\",\"runner\"]}",
	  tool_train, false, false, false },
	{ "training_status", "Training run status",
	  "Show training runs of the student and the ranker (each run names its model), newest "
	  "first (or the one request_id names), with their state (requested, training, "
	  "evaluating, deployed, rejected, failed, ...), gate verdict and timings, plus the "
	  "learning state.",
	  training_status_args,
	  "{\"type\":\"object\",\"properties\":{\"runs\":{\"type\":\"array\",\"items\":"
	  "{\"type\":\"object\"}},\"learning\":{\"type\":\"object\"}},"
	  "\"required\":[\"runs\",\"learning\"]}",
	  tool_training_status, true, false, true },
	{ "model_versions", "Model versions",
	  "List the model versions in the registry, which one is current, and their gate and "
	  "live quality metrics: the encoder's student, or with model ranker the learned recall "
	  "ranker (then learning is the ranker's state: ratings since its last run, last run).",
	  model_versions_args,
	  "{\"type\":\"object\",\"properties\":{\"student\":{\"type\":\"string\"},"
	  "\"current\":{\"type\":\"string\",\"description\":\"current version, 'default' for "
	  "the shipped model\"},\"pinned\":{\"type\":[\"string\",\"null\"]},"
	  "\"versions\":{\"type\":\"array\",\"items\":{\"type\":\"object\"}},"
	  "\"learning\":{\"type\":\"object\"},"
	  "\"source\":{\"type\":\"string\",\"description\":\"ranker: what recall uses "
	  "(version, default or hand)\"}},"
	  "\"required\":[\"student\",\"current\",\"pinned\",\"versions\",\"learning\"]}",
	  tool_model_versions, true, false, true },
	{ "list_memories", "List memories",
	  "Browse stored memories, newest first, one page at a time, filtered by project, "
	  "type, source, state, time or category. Pass the returned nextCursor as cursor for "
	  "the next page; nextCursor null means the last page.",
	  list_args,
	  "{\"type\":\"object\",\"properties\":{\"memories\":{\"type\":\"array\",\"items\":"
	  ITEM_SCHEMA "},\"count\":{\"type\":\"integer\",\"minimum\":0},"
	  "\"nextCursor\":{\"type\":[\"string\",\"null\"]},"
	  "\"projects\":{\"type\":\"object\",\"description\":\"how many memories the "
	  "filters select (all pages) by project; '' for those without one\","
	  "\"additionalProperties\":{\"type\":\"integer\"}}},"
	  "\"required\":[\"memories\",\"count\",\"nextCursor\",\"projects\"]}",
	  tool_list_memories, true, false, true },
	{ "get_memory", "Show a memory",
	  "Show one memory in full: its text, encoding, metrics, flags, experience-buffer "
	  "category and correction, ratings, repetitions and history (earlier encodings and "
	  "texts after amend, update_memory or dedup).",
	  get_args,
	  "{\"type\":\"object\",\"properties\":{" ITEM_PROPS ","
	  "\"raw\":{\"type\":\"object\"},\"experience\":{\"type\":[\"object\",\"null\"]},"
	  "\"feedback\":{\"type\":\"array\",\"items\":{\"type\":\"object\"}},"
	  "\"history\":{\"type\":\"array\",\"items\":{\"type\":\"object\"}}},"
	  "\"required\":[" ITEM_REQUIRED ",\"raw\",\"experience\",\"feedback\",\"history\"]}",
	  tool_get_memory, true, false, true },
	{ "update_memory", "Correct a memory's text",
	  "Replace the text of an observation that is wrong or out of date. The memory keeps "
	  "its id and ratings, is encoded again from the new text at once, and keeps the old "
	  "text and encoding in its history. To fix only the encoding, use amend.",
	  update_args,
	  "{\"type\":\"object\",\"properties\":{\"raw_id\":{\"type\":\"string\"},"
	  "\"memory_id\":{\"type\":[\"string\",\"null\"]},\"state\":{\"type\":\"string\"},"
	  "\"reencoded\":{\"type\":\"boolean\"},\"memory\":" ITEM_SCHEMA "},"
	  "\"required\":[\"raw_id\",\"memory_id\",\"state\",\"reencoded\",\"memory\"]}",
	  tool_update_memory, false, true, true },
	{ NULL, NULL, NULL, NULL, NULL, NULL, false, false, false },
};

static const struct tool *find_tool(const json_t *name)
{
	for (const struct tool *t = tools; t->name; t++)
		if (mn_json_str_is(name, t->name))
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
	case ARG_BOOLEAN:
		return "a boolean";
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
			p = a->schema ? a->schema() : json_pack("{s:s}", "type", "object");
			break;
		case ARG_BOOLEAN:
			p = json_pack("{s:s}", "type", "boolean");
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

json_t *mn_mcp_tools_list(size_t text_max)
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
	case ARG_BOOLEAN:
		return json_is_boolean(v);
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
				  t->name, type_name(a->type), mn_json_kind(v));
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
			if (strcmp(a->name, "text") && mn_json_has_nul(v)) {
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

				if (mn_json_has_nul(e) || mn_text_is_blank(json_string_value(e),
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

	if (!enc && json_is_string(json_object_get(mem, "text"))) {
		/* a compact recall result */
		mn_buf_addf(b, "%zu. [%s] %.10s ", rank,
			    mn_json_str(mem, "id", mn_json_str(mem, "raw_id", "")),
			    mn_json_str(mem, "time", ""));
		add_excerpt(b, mn_json_str(mem, "text", ""), 400);
		mn_buf_addf(b, " (score %.3f", mn_json_num(mem, "score", 0));
		if (mn_json_str(mem, "project", NULL))
			mn_buf_addf(b, ", project %s", mn_json_str(mem, "project", ""));
		if (!json_is_string(json_object_get(mem, "id")))
			mn_buf_addf(b, ", %s", mn_json_str(mem, "state", ""));
		mn_buf_adds(b, ")\n");
		return;
	}
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
	in.session = c->session;
	in.time = arg_str(c, "time");
	if (mn_op_remember(c->app, &in, &o, &err)) {
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
	char since[MN_TIME_LEN], until[MN_TIME_LEN];
	const json_t *mems;
	json_t *res;
	int64_t t;
	size_t n;

	o.query = arg_str(c, "query");
	o.limit = arg_int(c, "limit", 10);
	o.project = arg_str(c, "project");
	o.type = arg_str(c, "type");
	o.session = c->session;
	if (arg_str(c, "since")) {
		if (!mn_time_parse(&t, arg_str(c, "since"))) {
			call_fail(c, "argument 'since' is not an ISO-8601 time (e.g. 2026-04-01 "
				  "or 2026-04-01T12:00:00Z)");
			return;
		}
		mn_time_format(since, t);
		o.since = since;
	}
	if (arg_str(c, "until")) {
		if (!mn_time_parse(&t, arg_str(c, "until"))) {
			call_fail(c, "argument 'until' is not an ISO-8601 time (e.g. 2026-04-01 "
				  "or 2026-04-01T12:00:00Z)");
			return;
		}
		mn_time_format(until, t);
		o.until = until;
	}
	o.source = arg_str(c, "source");
	o.full = json_is_true(json_object_get(c->args, "full"));
	o.explain = json_is_true(json_object_get(c->args, "explain"));
	o.max_chars = (size_t)arg_int(c, "max_chars", 0);
	if (mn_op_recall(c->app, &o, &res, &err)) {
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
	if (mn_op_feedback(c->app, query_id, rating, ids, n_ids, c->session, &o, &err)) {
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

	if (mn_op_amend(c->app, id, enc, strlen(enc), &o, &err)) {
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
	if (mn_op_forget(c->app, id, &o, &err)) {
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

	if (mn_op_status(c->app, &st, &err)) {
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

	if (mn_op_audit(c->app, arg_int(c, "limit", 20), arg_str(c, "category"), &o, &err)) {
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

static void tool_train_ranker(struct call *c)
{
	struct mn_err err = MN_ERR_INIT;
	json_t *res;

	if (mn_op_ranker_train(c->app, "mcp", arg_str(c, "reason"),
			       json_is_true(json_object_get(c->args, "force")), &res, &err)) {
		call_fail(c, "train_model failed: %s", err.msg);
		return;
	}
	c->structured = res;
	if (!json_is_true(json_object_get(res, "accepted")))
		mn_buf_addf(&c->text, "ranker training not started: %s",
			    mn_json_str(res, "reason", ""));
	else
		mn_buf_addf(&c->text, "ranker run %s: %s", mn_json_str(res, "request_id", ""),
			    mn_json_str(res, "state", ""));
}

static void tool_train(struct call *c)
{
	struct mn_train_request_opts o = { .trigger = "manual" };
	struct mn_err err = MN_ERR_INIT;
	json_t *res;

	if (arg_str(c, "model") && !strcmp(arg_str(c, "model"), "ranker")) {
		tool_train_ranker(c);
		return;
	}
	o.reason = arg_str(c, "reason");
	if (mn_op_train_request(c->app, &o, &res, &err)) {
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

	if (mn_op_training_status(c->app, id, id ? 1 : TRAINING_RUNS_DEFAULT, &o, &err)) {
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

	if (mn_op_model_list_for(c->app, arg_str(c, "model"), &o, &err)) {
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

static void tool_list_memories(struct call *c)
{
	struct mn_browse_filter f = { 0 };
	struct mn_err err = MN_ERR_INIT;
	const json_t *mems, *m;
	json_t *o;
	size_t i;

	f.project = arg_str(c, "project");
	f.type = arg_str(c, "type");
	f.source = arg_str(c, "source");
	f.state = arg_str(c, "state");
	f.category = arg_str(c, "category");
	f.since = arg_str(c, "since");
	f.until = arg_str(c, "until");
	f.oldest_first = json_is_true(json_object_get(c->args, "oldest"));
	if (mn_op_list(c->app, &f, arg_str(c, "cursor"), arg_int(c, "limit", 0), &o, &err)) {
		call_fail(c, "list_memories failed: %s", err.msg);
		return;
	}
	c->structured = o;
	mems = json_object_get(o, "memories");
	mn_buf_addf(&c->text, "%zu memor%s\n", json_array_size(mems),
		    json_array_size(mems) == 1 ? "y" : "ies");
	json_array_foreach(mems, i, m) {
		mn_buf_addf(&c->text, "%zu. [%s] %s %s: ", i + 1,
			    mn_json_str(m, "id", mn_json_str(m, "raw_id", "")),
			    mn_json_str(m, "remembered_at", ""), mn_json_str(m, "state", ""));
		add_excerpt(&c->text, mn_json_str(m, "text", ""), 200);
		mn_buf_addc(&c->text, '\n');
	}
	if (mn_json_str(o, "nextCursor", NULL))
		mn_buf_addf(&c->text, "more: call list_memories with cursor %s",
			    mn_json_str(o, "nextCursor", ""));
}

static void tool_get_memory(struct call *c)
{
	struct mn_err err = MN_ERR_INIT;
	json_t *o;

	if (mn_op_show(c->app, arg_str(c, "memory_id"), &o, &err)) {
		call_fail(c, "get_memory failed: %s", err.msg);
		return;
	}
	c->structured = o;
	add_pretty(&c->text, o);
}

static void tool_update_memory(struct call *c)
{
	const json_t *text = json_object_get(c->args, "text");
	struct mn_err err = MN_ERR_INIT;
	json_t *o;

	if (mn_op_edit(c->app, arg_str(c, "memory_id"), json_string_value(text),
		       json_string_length(text), &o, &err)) {
		call_fail(c, "update_memory failed: %s", err.msg);
		return;
	}
	c->structured = o;
	mn_buf_addf(&c->text, "%s %s; the old text is kept in its history",
		    json_is_true(json_object_get(o, "reencoded")) ? "re-encoded" : "changed the text of",
		    mn_json_str(o, "memory_id", mn_json_str(o, "raw_id", "")));
}

/* ---- tools/call ---- */

int mn_mcp_tools_call(struct mn_ctx *app, const char *session, const json_t *name,
		      const json_t *args, json_t **result, char *msg, size_t msg_size)
{
	json_t *empty = NULL, *scoped = NULL;
	const struct tool *t;
	struct call c;
	int code = 0;

	*result = NULL;
	/* Not a valid CallToolRequest, or no such tool: protocol errors. */
	if (!json_is_string(name)) {
		snprintf(msg, msg_size, "tools/call needs params.name (a string)");
		return MN_MCP_INVALID_PARAMS;
	}
	t = find_tool(name);
	if (!t) {
		snprintf(msg, msg_size, "unknown tool '%.64s%s'; see tools/list",
			 json_string_value(name), mn_json_has_nul(name) ? "\\u0000..." : "");
		return MN_MCP_INVALID_PARAMS;
	}
	if (args && !json_is_object(args) && !json_is_null(args)) {
		snprintf(msg, msg_size, "params.arguments must be an object");
		return MN_MCP_INVALID_PARAMS;
	}
	if (!json_is_object(args))
		args = empty = json_object();
	/* A server scoped to a project (`mnemo mcp --project P`, config key
	 * project) names it in every call of a tool with a project argument
	 * that leaves it out; an explicit null still means every project. */
	if (app->cfg.project && !json_object_get(args, "project")) {
		for (const struct arg_spec *a = t->args; a->name; a++) {
			if (strcmp(a->name, "project") != 0)
				continue;
			scoped = json_object();
			json_object_update(scoped, (json_t *)args); // NOLINT: read only
			json_object_set_new(scoped, "project", json_string(app->cfg.project));
			args = scoped;
			break;
		}
	}
	/* Everything about the arguments themselves is the model's to fix:
	 * a tool error it can read (SEP-1303). */
	memset(&c, 0, sizeof(c));
	c.app = app;
	c.session = session;
	c.args = args;
	mn_buf_init(&c.text, 0);
	if (check_shape(&c, t) && check_values(&c, t))
		t->run(&c);
	if (!c.is_error && !c.structured) {
		/* A handler that neither succeeded nor failed is our bug. */
		snprintf(msg, msg_size, "tool '%s' produced no result", t->name);
		code = MN_MCP_INTERNAL_ERROR;
	} else {
		*result = json_object();
		json_object_set_new(*result, "content",
				    json_pack("[{s:s,s:o}]", "type", "text",
					      "text", mn_json_safe_stringn(c.text.data ? c.text.data : "",
								   c.text.len)));
		if (c.structured)
			json_object_set_new(*result, "structuredContent", c.structured);
		json_object_set_new(*result, "isError", json_boolean(c.is_error));
		c.structured = NULL;
		if (c.is_error)
			mn_info("mcp", "tool %s: %s", t->name, mn_buf_str(&c.text));
	}
	json_decref(c.structured);
	mn_buf_release(&c.text);
	json_decref(empty);
	json_decref(scoped);
	return code;
}
