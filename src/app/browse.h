/*
 * browse.h - the everyday memory operations shared by every front end
 * (issue 13): list, show, edit, dedup, export, import and batched
 * remember. Each mn_op_* builds its result object once (docs/results.md);
 * nothing here prints.
 */
#ifndef MN_APP_BROWSE_H
#define MN_APP_BROWSE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "app/app.h"
#include "base/err.h"
#include "store/store_browse.h"

/* Default and largest page of list. */
#define MN_BROWSE_PAGE_DEFAULT 20
#define MN_BROWSE_PAGE_MAX 1000
/* Near-duplicate threshold of dedup: word-3-shingle Jaccard. */
#define MN_DEDUP_THRESHOLD 0.8

/* One listed memory: the memory object (mn_app_memory_json) plus text,
 * remembered_at, repeat_count and last_seen_at (new reference). */
json_t *mn_app_item_json(const struct mn_browse_item *it);

/* {memories: [item], count, nextCursor: string|null, projects: {name:
 * count}} - projects counts every memory the filter selects (all pages), ""
 * for those without a project. cursor: NULL for the first page, else a
 * nextCursor an earlier page returned (MN_EINVAL when it is not one). Times
 * in f are ISO-8601 as given (normalised here). */
int mn_op_list(struct mn_ctx *a, const struct mn_browse_filter *f, const char *cursor,
	       int limit, json_t **out, struct mn_err *err);
/* The item plus raw {state, attempts, last_error, session}, experience,
 * feedback [..] and history [..]. MN_ENOTFOUND for an unknown id. */
int mn_op_show(struct mn_ctx *a, const char *id, json_t **out, struct mn_err *err);
/* Replace the observation's text: an encoded memory is re-encoded (same
 * id, old text and encoding kept in its history); a raw row not yet
 * encoded gets the new text (old one in history) and is queued.
 * {raw_id, memory_id: string|null, state, reencoded: bool, memory: item}. */
int mn_op_edit(struct mn_ctx *a, const char *id, const char *text, size_t len, json_t **out,
	       struct mn_err *err);
/* {threshold, dry_run, pairs: [{keep, drop, similarity, keep_text,
 * drop_text}], merged}. apply false: only report. */
int mn_op_dedup(struct mn_ctx *a, const char *project, double threshold, bool apply,
		json_t **out, struct mn_err *err);

/* Export every memory (of project, NULL = all), oldest first: fn gets
 * each line object (docs/export-format.md). */
int mn_app_export(struct mn_ctx *a, const char *project, mn_browse_export_fn fn,
		  void *payload, struct mn_err *err);
/* Import one line of an export file (text, len): parse, check, insert.
 * MN_EINVAL/MN_EPARSE with err for a line that does not fit. */
int mn_app_import_line(struct mn_ctx *a, enum mn_import_result *out, const char *line,
		       size_t len, struct mn_err *err);

/* Remember n observations in batched transactions: the raw rows of the
 * batch in one commit, then each encoded inline when this process gets
 * worker.lock (else queued for the daemon). Exact duplicates count a
 * repetition instead (outs[i].duplicate). outs has n entries. On error
 * the rows committed so far stay committed; *out_done says how many. */
int mn_app_remember_batch(struct mn_ctx *a, struct mn_remember_out *outs, size_t *out_done,
			  const struct mn_remember_in *ins, size_t n, struct mn_err *err);

#endif
