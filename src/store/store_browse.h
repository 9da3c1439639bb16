/*
 * store_browse.h - the SQL of the everyday memory operations (issue 13):
 * listing with filters and keyset paging, one memory with its feedback
 * and history, corrections that change the memory itself (amend, edit),
 * exact-duplicate detection on remember, near-duplicate merging, and the
 * rows of export and import.
 *
 * A memory's identity is its raw row: the history (memory_history) hangs
 * off the raw id and goes with it when the memory is forgotten.
 */
#ifndef MN_STORE_BROWSE_H
#define MN_STORE_BROWSE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "store/store.h"

/* ---- normalised text ---- */

/* Whitespace-normalised form of text: runs of ASCII white space become one
 * space, none at either end. New heap string; *out_len its length. */
char *mn_store_norm_text(const char *s, size_t len, size_t *out_len);
/* The 63-bit key of the normalised text (raw_memories.norm_hash). */
int64_t mn_store_norm_hash(const char *s, size_t len);

/* ---- list ---- */

struct mn_browse_filter {
	const char *project, *type, *source; /* exact match, NULL = any */
	const char *state;                   /* queued|claimed|encoded|failed */
	const char *category;                /* experience-buffer category */
	const char *since, *until;           /* created_at >= since, < until (store times) */
	bool oldest_first;
};

/* The place after which a page starts (exclusive); rowid 0 = from the start. */
struct mn_browse_pos {
	char created_at[MN_TIME_LEN];
	int64_t rowid;
};

struct mn_browse_item {
	struct mn_memory m;   /* id "" for a raw row not (yet) encoded */
	char *text;           /* the observation */
	char *session;
	char raw_state[12];
	int attempts;
	char *last_error;
	int64_t repeat_count;
	char last_seen_at[MN_TIME_LEN]; /* "" when never repeated */
	char updated_at[MN_TIME_LEN];
	struct mn_browse_pos pos;
};

void mn_browse_item_release(struct mn_browse_item *it);
void mn_browse_items_free(struct mn_browse_item *items, size_t n);
/* One page (at most limit) in created_at order, newest first unless
 * f->oldest_first, starting after *after (NULL or rowid 0: the start).
 * *out_more: another page follows. */
int mn_store_browse_list(struct mn_store *st, struct mn_browse_item **out, size_t *out_n,
			 bool *out_more, const struct mn_browse_filter *f,
			 const struct mn_browse_pos *after, int limit, struct mn_err *err);
/* How many memories the filter selects (f->oldest_first aside), by
 * project: a new object {project: count}, "" for those without one. */
int mn_store_browse_projects(struct mn_store *st, json_t **out,
			     const struct mn_browse_filter *f, struct mn_err *err);
/* One memory by memory id or raw id (raw rows not yet encoded too).
 * MN_ENOTFOUND when neither exists. */
int mn_store_browse_get(struct mn_store *st, struct mn_browse_item *out, const char *id,
			struct mn_err *err);
/* The ratings of a memory, oldest first: [{query_id, query, rating,
 * session, created_at}] (new reference). */
int mn_store_browse_feedback(struct mn_store *st, json_t **out, const char *memory_id,
			     struct mn_err *err);
/* The history of a raw row, oldest first: [{kind, at, text?, encoding?,
 * encoder?, encoder_version?, detail?}] (new reference). */
int mn_store_browse_history(struct mn_store *st, json_t **out, const char *raw_id,
			    struct mn_err *err);
/* The experience-buffer row of a memory as an object (category, recall
 * score and count, correction), or JSON null when there is none. */
int mn_store_browse_experience(struct mn_store *st, json_t **out, const char *memory_id,
			       struct mn_err *err);

/* ---- duplicates ---- */

struct mn_dup_hit {
	char raw_id[37];
	char memory_id[37]; /* "" when not (yet) encoded */
	char state[12];     /* raw state */
	int64_t repeat_count;
	char last_seen_at[MN_TIME_LEN];
};

/* If a raw row of the same project (NULL matches NULL) holds the same text
 * after whitespace normalisation, count the repetition on the oldest such
 * row (repeat_count + 1, last_seen_at = now) and return it: 0 and
 * *out_found true. Otherwise 0 and *out_found false. */
int mn_store_browse_repeat(struct mn_store *st, struct mn_dup_hit *out, bool *out_found,
			   const char *text, size_t len, const char *project,
			   struct mn_err *err);

/* A pair of near-duplicate memories (same project). */
struct mn_near_dup {
	char keep[37], drop[37]; /* raw ids: the older is kept */
	double similarity;       /* Jaccard of word 3-shingles */
	size_t keep_rank, drop_rank; /* age order (0 = oldest) */
};

/* Near-duplicate pairs: word-3-shingle Jaccard >= threshold, within one
 * project, estimated with MinHash bands and then computed exactly.
 * project NULL = every project (still never across projects). */
int mn_store_browse_near_dups(struct mn_store *st, struct mn_near_dup **out, size_t *out_n,
			      const char *project, double threshold, struct mn_err *err);
/* Merge drop into keep (raw ids), in one transaction: keep counts drop's
 * repetitions, takes its ratings (a rating keep already has for the same
 * query wins), its history, and a "merge" history row with drop's text
 * and encoding; then drop is deleted. */
int mn_store_browse_merge(struct mn_store *st, const char *keep, const char *drop,
			  struct mn_err *err);

/* ---- corrections ---- */

/* What replaces a memory's encoding (amend, edit). The encoding is the
 * normalised object; encoding_json the exact text to keep. */
struct mn_browse_reencode {
	const json_t *encoding;
	const char *encoding_json;
	const char *encoder, *encoder_version;
	bool fallback;
	double epr, fr, np, confidence;
	bool sc, ted, mig;
	const json_t *flags;
};

/* Replace the memory's encoding in place (same id; the FTS index follows
 * through its triggers), keeping the previous one in its history under
 * kind ("amend" or "edit"). With new_text (edit), the raw text changes
 * too and the old text is kept in the same history row. One transaction. */
int mn_store_browse_replace(struct mn_store *st, const char *memory_id, const char *kind,
			    const struct mn_browse_reencode *e, const char *new_text,
			    size_t new_len, struct mn_err *err);
/* Change the text of a raw row not (yet) encoded (queued, or failed: back
 * to queued) and keep the old text in its history. MN_EBUSY while a
 * worker holds its claim. */
int mn_store_browse_edit_raw(struct mn_store *st, const char *raw_id, const char *new_text,
			     size_t new_len, struct mn_err *err);

/* ---- export / import ---- */

/* Call fn for every raw row (of project, NULL = all), oldest first, with
 * the line object of docs/export-format.md (borrowed for the call). A
 * non-zero return from fn stops and is returned. One read transaction. */
typedef int (*mn_browse_export_fn)(void *payload, const json_t *line);
int mn_store_browse_export(struct mn_store *st, const char *project, mn_browse_export_fn fn,
			   void *payload, struct mn_err *err);

enum mn_import_result { MN_IMPORT_ADDED, MN_IMPORT_PRESENT, MN_IMPORT_DUPLICATE };

/* Insert one export line (already checked by the caller for its shape;
 * what is missing takes its default). A raw id already stored is
 * MN_IMPORT_PRESENT; the same text of the same project under another id
 * counts a repetition there and is MN_IMPORT_DUPLICATE. MN_EINVAL with
 * err for a line that does not fit. Joins the caller's transaction. */
int mn_store_browse_import(struct mn_store *st, enum mn_import_result *out, const json_t *line,
			   struct mn_err *err);

#endif
