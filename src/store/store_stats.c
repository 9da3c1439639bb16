/*
 * store_stats.c - per-day aggregates for the dashboard (store_stats.h).
 */
#include "store/store_stats.h"

#include <string.h>

#include "store/store_internal.h"

/* The day row for `day` at the end of arr (rows arrive ordered by day),
 * appended with zeroed keys when it is a new day. */
static json_t *day_row(json_t *arr, const char *day, const char *const *keys)
{
	json_t *last = json_array_get(arr, json_array_size(arr) - 1);

	if (!last || strcmp(json_string_value(json_object_get(last, "day")), day) != 0) {
		last = json_pack("{s:s}", "day", day);
		for (size_t i = 0; keys[i]; i++)
			json_object_set_new(last, keys[i], json_integer(0));
		json_array_append_new(arr, last);
	}
	return last;
}

/* Run sql (?1 = since) whose rows are (day, key, count) ordered by day into
 * [{day, key: count...}] with every key of keys present; total when
 * with_total. */
static int daily(struct mn_store *st, const char *sql, const char *since,
		 const char *const *keys, bool with_total, json_t **out, struct mn_err *err)
{
	sqlite3_stmt *s = mn_store_stmt(st, sql, err);
	json_t *arr;
	int rc;

	*out = NULL;
	if (!s)
		return MN_EIO;
	arr = json_array();
	mn_store_bind_text(s, 1, since ? since : "");
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *day = mn_store_col_text(s, 0), *key = mn_store_col_text(s, 1);
		json_t *row;

		if (!day || !key)
			continue;
		row = day_row(arr, day, keys);
		json_object_set_new(row, key, json_integer(sqlite3_column_int64(s, 2)));
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		json_decref(arr);
		return mn_store_fail(st, err, "daily statistics");
	}
	if (with_total) {
		size_t i;
		json_t *row;

		json_array_foreach(arr, i, row) {
			json_int_t t = 0;

			for (size_t k = 0; keys[k]; k++)
				t += json_integer_value(json_object_get(row, keys[k]));
			json_object_set_new(row, "total", json_integer(t));
		}
	}
	*out = arr;
	return 0;
}

int mn_store_stats_experience_daily(struct mn_store *st, const char *since, json_t **out,
				    struct mn_err *err)
{
	static const char *const sql =
		"SELECT substr(created_at, 1, 10) AS d, category, count(*) FROM experience_buffer"
		" WHERE created_at >= ?1 GROUP BY d, category ORDER BY d";
	static const char *const keys[] = { "gold", "needs_improvement", "ambiguous",
					    "excluded", NULL };

	return daily(st, sql, since, keys, true, out, err);
}

int mn_store_stats_corrections_daily(struct mn_store *st, const char *since, json_t **out,
				     struct mn_err *err)
{
	static const char *const sql =
		"SELECT substr(corrected_at, 1, 10) AS d,"
		" CASE correction_source WHEN 'human' THEN 'human' ELSE 'teacher' END AS who,"
		" count(*) FROM experience_buffer"
		" WHERE corrected_output IS NOT NULL AND corrected_at IS NOT NULL"
		" AND corrected_at >= ?1 GROUP BY d, who ORDER BY d";
	static const char *const keys[] = { "teacher", "human", NULL };

	return daily(st, sql, since, keys, false, out, err);
}

int mn_store_stats_feedback_daily(struct mn_store *st, const char *since, json_t **out,
				  struct mn_err *err)
{
	static const char *const sql =
		"SELECT substr(created_at, 1, 10) AS d, rating, count(*) FROM recall_feedback"
		" WHERE created_at >= ?1 GROUP BY d, rating ORDER BY d";
	static const char *const keys[] = { "helpful", "partial", "irrelevant", NULL };
	size_t i;
	json_t *row;
	int ret = daily(st, sql, since, keys, true, out, err);

	if (ret)
		return ret;
	json_array_foreach(*out, i, row) {
		json_int_t t = json_integer_value(json_object_get(row, "total"));
		json_int_t h = json_integer_value(json_object_get(row, "helpful"));

		json_object_set_new(row, "helpful_rate",
				    t > 0 ? json_real((double)h / (double)t) : json_null());
	}
	return 0;
}
