/*
 * store_rank.c - the learned ranker's examples: rated recalls with the
 * features their results were ranked by (docs/ranker.md).
 */
#include "store/store_rank.h"

#include <string.h>

#include "base/json.h"
#include "base/text.h"
#include "store/store_internal.h"

uint32_t mn_rank_split_hash(const char *query)
{
	uint32_t h = 2166136261u;
	bool space = false, any = false;

	for (const unsigned char *p = (const unsigned char *)(query ? query : ""); *p; p++) {
		unsigned char c = (unsigned char)mn_ascii_lower((char)*p);

		if (mn_ascii_space(c)) {
			space = any;
			continue;
		}
		if (space) {
			h = (h ^ ' ') * 16777619u;
			space = false;
		}
		h = (h ^ c) * 16777619u;
		any = true;
	}
	return h;
}

bool mn_rank_is_holdout(const char *query, int holdout_pct)
{
	return (int)(mn_rank_split_hash(query) % 100u) < holdout_pct;
}

/* The ratings of one query: {memory_id: rating}. */
static int ratings_of(struct mn_store *st, json_t **out, const char *query_id,
		      struct mn_err *err)
{
	static const char *const sql =
		"SELECT memory_id, rating FROM recall_feedback WHERE query_id = ?1";
	sqlite3_stmt *s = mn_store_stmt(st, sql, err);
	int rc;

	*out = json_object();
	if (!s)
		return MN_EIO;
	sqlite3_bind_text(s, 1, query_id, -1, SQLITE_TRANSIENT);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		json_object_set_new(*out, mn_store_col_text(s, 0),
				    json_string(mn_store_col_text(s, 1)));
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return mn_store_fail(st, err, "read ratings");
	return 0;
}

/* The example of one logged recall; NULL when none of its results has
 * features. */
static json_t *example_of(sqlite3_stmt *s, const json_t *ratings, int holdout_pct)
{
	const char *query = mn_store_col_text(s, 1);
	json_t *results = mn_store_col_json(s, 4), *items = json_array();
	const json_t *r;
	size_t i;

	json_array_foreach(results, i, r) {
		const char *mid = mn_json_str(r, "memory_id", "");
		const json_t *f = json_object_get(r, "features");
		const json_t *rating = *mid ? json_object_get(ratings, mid) : NULL;

		/* a recall logged by an earlier version has fewer features:
		 * the ones it has keep their positions, the rest count 0 */
		if (!json_is_array(f) || !json_array_size(f) || json_array_size(f) > MN_RANK_NF)
			continue;
		json_array_append_new(
			items, json_pack("{s:s,s:O,s:O,s:O}", "memory_id", mid, "rank",
					 json_object_get(r, "rank"), "rating",
					 rating ? rating : json_null(), "features", f));
	}
	json_decref(results);
	if (!json_array_size(items)) {
		json_decref(items);
		return NULL;
	}
	return json_pack("{s:s,s:s,s:s,s:s,s:s,s:o}", "query_id", mn_store_col_text(s, 0), "query",
			 query, "created_at", mn_store_col_text(s, 2), "ranker",
			 mn_store_col_text(s, 3), "split",
			 mn_rank_is_holdout(query, holdout_pct) ? "holdout" : "train", "items",
			 items);
}

int mn_store_rank_examples(struct mn_store *st, json_t **out, const char *since,
			   int holdout_pct, struct mn_err *err)
{
	static const char *const sql =
		"SELECT l.query_id, l.query, l.created_at, coalesce(l.ranker, 'hand'), l.results"
		" FROM recall_log l WHERE EXISTS (SELECT 1 FROM recall_feedback f"
		"  WHERE f.query_id = l.query_id AND (?1 IS NULL OR f.created_at > ?1))"
		" ORDER BY l.created_at, l.query_id";
	sqlite3_stmt *s = mn_store_stmt(st, sql, err);
	json_t *arr = json_array();
	int rc, ret = 0;

	*out = NULL;
	if (!s) {
		json_decref(arr);
		return MN_EIO;
	}
	mn_store_bind_text(s, 1, since);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		json_t *ratings = NULL, *ex;

		/* a second statement while this one steps: mn_store_stmt
		 * caches one statement per SQL text, so they do not collide */
		ret = ratings_of(st, &ratings, mn_store_col_text(s, 0), err);
		if (ret) {
			json_decref(ratings);
			break;
		}
		ex = example_of(s, ratings, holdout_pct);
		json_decref(ratings);
		if (ex)
			json_array_append_new(arr, ex);
	}
	sqlite3_reset(s);
	if (ret || rc != SQLITE_DONE) {
		json_decref(arr);
		return ret ? ret : mn_store_fail(st, err, "read rated recalls");
	}
	*out = arr;
	return 0;
}

int mn_store_rank_feedback_count(struct mn_store *st, int64_t *out_n, const char *since,
				 struct mn_err *err)
{
	static const char *const sql =
		"SELECT count(*) FROM recall_feedback WHERE ?1 IS NULL OR created_at > ?1";
	sqlite3_stmt *s = mn_store_stmt(st, sql, err);
	int rc;

	*out_n = 0;
	if (!s)
		return MN_EIO;
	mn_store_bind_text(s, 1, since);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*out_n = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	if (rc != SQLITE_ROW)
		return mn_store_fail(st, err, "count ratings");
	return 0;
}
