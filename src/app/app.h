/*
 * app.h - what every front end (CLI, MCP server, daemon) needs: the
 * configuration in effect, the data home, the store, the encoder, and the
 * operations they share so no behaviour is implemented twice.
 *
 * Calling sequence: mn_ctx_open(&a, config_path, &err); use a.store etc.;
 * mn_ctx_close(&a).
 */
#ifndef MN_APP_H
#define MN_APP_H

#include <stdbool.h>
#include <stddef.h>

#include "base/err.h"
#include "learn/ctx.h"

struct mn_remember_in {
	const char *text;
	size_t len;
	const char *type, *source, *project, *session;
	const char *time; /* when it happened, ISO-8601; NULL = now */
};

struct mn_remember_out {
	char raw_id[37];
	char memory_id[37]; /* "" when only queued */
	const char *state;  /* "encoded" | "queued" */
	char note[320];     /* why it was only queued, or encode error */
	/* The same text (after whitespace normalisation) of the same project
	 * was stored already: the ids are that memory's, its repetition is
	 * counted (repeat_count, last_seen_at) and nothing new is stored. */
	bool duplicate;
	long long repeat_count;
};

/* Check the input, commit the raw row, then encode inline when no worker
 * holds worker.lock (otherwise the daemon will). The raw row is durable
 * before this returns 0, whatever happens to encoding. */
int mn_app_remember(struct mn_ctx *a, struct mn_remember_out *out,
		    const struct mn_remember_in *in, struct mn_err *err);

/* Human amendment: validate the encoding (must pass the schema check),
 * score it against the raw input, store it as a correction with source
 * "human" (wins over the teacher). */
int mn_app_amend(struct mn_ctx *a, const char *memory_id, const char *encoding_json,
		 size_t len, json_t **out_metrics, struct mn_err *err);

/* The status object shared by `mnemo status --json` and MCP `status`,
 * with the learning state (training, models, dream) under "learning". */
/* The learning state: training, models, dream (new reference). */
json_t *mn_app_learning_json(struct mn_ctx *a);
int mn_app_status(struct mn_ctx *a, json_t **out, struct mn_err *err);


/* One memory as every front end returns it (recall results, lists):
 * new reference. */
json_t *mn_app_memory_json(const struct mn_memory *m);
/* One recall result (docs/results.md): compact by default - id, raw_id,
 * state, time, text (the summary, else the gist, else the raw text, cut
 * at a word), score, matched terms, project, type; with full the whole
 * memory object besides; with explain the score's components. */
json_t *mn_app_recall_item_json(const struct mn_memory *m, bool full, bool explain);

#endif
