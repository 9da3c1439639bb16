/*
 * store_rank.h - what the learned ranker learns from (docs/ranker.md):
 * the recalls that were rated, each with the features its results were
 * ranked by (logged by mn_store_recall) and their ratings.
 */
#ifndef MN_STORE_RANK_H
#define MN_STORE_RANK_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/err.h"
#include "store/store.h"

/* Which side of the stable split a query falls on: FNV-1a of its
 * lower-cased text with runs of white space as one, so the same question
 * asked again always lands on the same side. */
uint32_t mn_rank_split_hash(const char *query);
bool mn_rank_is_holdout(const char *query, int holdout_pct);

/* The rated recalls, oldest first, into a new array of
 * {"query_id","query","created_at","ranker","split":"train"|"holdout",
 *  "items":[{"memory_id","rank","rating" (or null),"features"}]}:
 * every recall with at least one rating (rated after `since` when not
 * NULL), its results in logged order. A result logged without features
 * (a vector-only match, or a recall logged before schema 6) is left out;
 * so is a recall left with none. */
int mn_store_rank_examples(struct mn_store *st, json_t **out, const char *since,
			   int holdout_pct, struct mn_err *err);
/* Ratings recorded after `since` (NULL = all) into *out_n. */
int mn_store_rank_feedback_count(struct mn_store *st, int64_t *out_n, const char *since,
				 struct mn_err *err);

#endif
