/*
 * store_stats.c - per-day aggregates for the dashboard (store_stats.h).
 */
#include "store/store_stats.h"

#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "store/store_internal.h"

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Run sql (?1 = since), whose rows are (day, key), one per counted row,
 * into [{day, key: count...}] oldest day first, every key of keys present
 * (a key not listed is counted too); total (rows of the day) when
 * with_total. The counting is done here: SQLite groups by sorting every
 * row, which costs more than the scan itself at 100k rows. */
static int daily(struct mn_store *st, const char *sql, const char *since,
		 const char *const *keys, bool with_total, json_t **out, struct mn_err *err)
{
	sqlite3_stmt *s = mn_store_stmt(st, sql, err);
	json_t *byday, *arr;
	const char **days;
	const char *day;
	json_t *row;
	size_t n = 0;
	int rc;

	*out = NULL;
	if (!s)
		return MN_EIO;
	byday = json_object();
	mn_store_bind_text(s, 1, since ? since : "");
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *d = mn_store_col_text(s, 0), *key = mn_store_col_text(s, 1);
		json_t *v;

		if (!d || !key)
			continue;
		row = json_object_get(byday, d);
		if (!row) {
			row = json_pack("{s:s}", "day", d);
			for (size_t i = 0; keys[i]; i++)
				json_object_set_new(row, keys[i], json_integer(0));
			if (with_total)
				json_object_set_new(row, "total", json_integer(0));
			json_object_set_new(byday, d, row);
		}
		v = json_object_get(row, key);
		if (v)
			json_integer_set(v, json_integer_value(v) + 1);
		else
			json_object_set_new(row, key, json_integer(1));
		if (with_total) {
			v = json_object_get(row, "total");
			json_integer_set(v, json_integer_value(v) + 1);
		}
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		json_decref(byday);
		return mn_store_fail(st, err, "daily statistics");
	}
	days = mn_xcalloc(json_object_size(byday) + 1, sizeof(*days));
	json_object_foreach(byday, day, row)
		days[n++] = day;
	qsort(days, n, sizeof(*days), cmp_str);
	arr = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append(arr, json_object_get(byday, days[i]));
	free(days);
	json_decref(byday);
	*out = arr;
	return 0;
}

int mn_store_stats_experience_daily(struct mn_store *st, const char *since, json_t **out,
				    struct mn_err *err)
{
	static const char *const sql =
		"SELECT substr(created_at, 1, 10), category FROM experience_buffer"
		" WHERE created_at >= ?1";
	static const char *const keys[] = { "gold", "needs_improvement", "ambiguous",
					    "excluded", NULL };

	return daily(st, sql, since, keys, true, out, err);
}

int mn_store_stats_corrections_daily(struct mn_store *st, const char *since, json_t **out,
				     struct mn_err *err)
{
	static const char *const sql =
		"SELECT substr(corrected_at, 1, 10),"
		" CASE correction_source WHEN 'human' THEN 'human' ELSE 'teacher' END"
		" FROM experience_buffer WHERE corrected_output IS NOT NULL AND corrected_at >= ?1";
	static const char *const keys[] = { "teacher", "human", NULL };

	return daily(st, sql, since, keys, false, out, err);
}

int mn_store_stats_feedback_daily(struct mn_store *st, const char *since, json_t **out,
				  struct mn_err *err)
{
	static const char *const sql =
		"SELECT substr(created_at, 1, 10), rating FROM recall_feedback WHERE created_at >= ?1";
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
