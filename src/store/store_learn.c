/*
 * store_learn.c - SQL of the learning loop (store_learn.h). Statements are
 * static strings cached by pointer (mn_store_stmt); values are always
 * bound.
 */
#include "store/store_learn.h"

#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "base/text.h"
#include "store/store_internal.h"

void mn_learn_rows_free(struct mn_learn_row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct mn_learn_row *r = &rows[i];

		free(r->content);
		free(r->source);
		free(r->type);
		free(r->encoding_json);
		free(r->encoder_version);
		free(r->corrected_output);
		free(r->correction_source);
		free(r->batch_id);
		free(r->trained_in_run);
		json_decref(r->flags);
		json_decref(r->concepts);
	}
	free(rows);
}

/* A buffer row's raw id, encoder version, metrics and flags are its
 * memory's (schema 7). */
#define LEARN_COLS                                                                       \
	"b.id, b.memory_id, m.raw_id, b.category, r.content, r.source, r.type,"           \
	" m.encoder_output, m.encoder_version, b.corrected_output, b.correction_source,"  \
	" m.epr, b.corrected_epr, m.confidence, b.recall_score, b.recall_count,"         \
	" b.correction_attempts, m.sc, m.ted, m.fallback, m.flags,"                      \
	" json_extract(mn_unpack(coalesce(m.encoding, m.encoder_output)), '$.concepts'),"  \
	" b.batch_id, b.trained_in_run, b.created_at"
#define LEARN_FROM                                                                       \
	" FROM experience_buffer b JOIN memories m ON m.id = b.memory_id"                 \
	" JOIN raw_memories r ON r.id = m.raw_id"

static void read_row(struct mn_learn_row *r, sqlite3_stmt *s)
{
	memset(r, 0, sizeof(*r));
	mn_store_col_copy(r->id, sizeof(r->id), s, 0);
	mn_store_col_copy(r->memory_id, sizeof(r->memory_id), s, 1);
	mn_store_col_copy(r->raw_id, sizeof(r->raw_id), s, 2);
	mn_store_col_copy(r->category, sizeof(r->category), s, 3);
	r->content = mn_store_col_dup(s, 4);
	r->content_len = (size_t)sqlite3_column_bytes(s, 4);
	if (!r->content) {
		r->content = mn_xstrdup("");
		r->content_len = 0;
	}
	r->source = mn_store_col_dup(s, 5);
	r->type = mn_store_col_dup(s, 6);
	r->encoding_json = mn_store_unpack_col(s, 7);
	r->encoder_version = mn_store_col_dup(s, 8);
	r->corrected_output = mn_store_col_dup(s, 9);
	r->correction_source = mn_store_col_dup(s, 10);
	r->epr = sqlite3_column_double(s, 11);
	r->corrected_epr = sqlite3_column_double(s, 12);
	r->confidence = sqlite3_column_double(s, 13);
	r->recall_score = sqlite3_column_type(s, 14) == SQLITE_NULL ? -1.0
								    : sqlite3_column_double(s, 14);
	r->recall_count = sqlite3_column_int(s, 15);
	r->correction_attempts = sqlite3_column_int(s, 16);
	r->sc = sqlite3_column_int(s, 17) != 0;
	r->ted = sqlite3_column_int(s, 18) != 0;
	r->fallback = sqlite3_column_int(s, 19) != 0;
	r->flags = mn_store_col_json(s, 20);
	if (!json_is_array(r->flags)) {
		json_decref(r->flags);
		r->flags = json_array();
	}
	r->concepts = mn_store_col_json(s, 21);
	if (!json_is_array(r->concepts)) {
		json_decref(r->concepts);
		r->concepts = json_array();
	}
	r->batch_id = mn_store_col_dup(s, 22);
	r->trained_in_run = mn_store_col_dup(s, 23);
	mn_store_col_copy(r->created_at, sizeof(r->created_at), s, 24);
}

/* Step a prepared row query to the end, collecting rows. */
static int collect_rows(struct mn_store *st, sqlite3_stmt *s, struct mn_learn_row **out,
			size_t *out_n, struct mn_err *err, const char *what)
{
	struct mn_learn_row *rows = NULL;
	size_t n = 0, alloc = 0;
	int rc;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		rows = mn_xgrow(rows, &alloc, n + 1, sizeof(*rows));
		read_row(&rows[n++], s);
	}
	if (rc != SQLITE_DONE) {
		int ret = mn_store_fail(st, err, what);

		sqlite3_reset(s);
		mn_learn_rows_free(rows, n);
		return ret;
	}
	sqlite3_reset(s);
	*out = rows;
	*out_n = n;
	return 0;
}

static int changes(struct mn_store *st)
{
	return sqlite3_changes(st->db);
}

/* ---- dream cycles ---- */

int mn_store_learn_cycle_begin(struct mn_store *st, char out_id[37], const char *trigger,
			       struct mn_err *err)
{
	static const char *const sql =
		"INSERT INTO dream_cycles(id, trigger, started_at, status, phases)"
		" VALUES (?1, ?2, ?3, 'running', '[]')";
	sqlite3_stmt *s = mn_store_stmt(st, sql, err);
	char now[MN_TIME_LEN];

	if (!s)
		return MN_EIO;
	mn_text_uuid4(out_id);
	mn_time_now_str(now);
	sqlite3_bind_text(s, 1, out_id, -1, SQLITE_STATIC);
	mn_store_bind_text(s, 2, trigger);
	sqlite3_bind_text(s, 3, now, -1, SQLITE_STATIC);
	return mn_store_step_done(st, s, err, "record dream cycle");
}

int mn_store_learn_cycle_finish(struct mn_store *st, const char *id, const char *status,
				const json_t *phases, const char *error, struct mn_err *err)
{
	static const char *const sql =
		"UPDATE dream_cycles SET status = ?2, finished_at = ?3, phases = ?4, error = ?5"
		" WHERE id = ?1";
	sqlite3_stmt *s = mn_store_stmt(st, sql, err);
	char now[MN_TIME_LEN];
	char *text;
	int ret;

	if (!s)
		return MN_EIO;
	text = json_dumps(phases, JSON_COMPACT | JSON_PRESERVE_ORDER);
	mn_time_now_str(now);
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, status, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, now, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, text ? text : "[]", -1, SQLITE_STATIC);
	mn_store_bind_text(s, 5, error);
	ret = mn_store_step_done(st, s, err, "finish dream cycle");
	free(text);
	return ret;
}

int mn_store_learn_cycle_recover(struct mn_store *st, int *out_n, struct mn_err *err)
{
	static const char *const sql =
		"UPDATE dream_cycles SET status = 'interrupted', finished_at = ?1,"
		" error = coalesce(error, 'the process running it ended')"
		" WHERE status = 'running'";
	sqlite3_stmt *s = mn_store_stmt(st, sql, err);
	char now[MN_TIME_LEN];
	int ret;

	*out_n = 0;
	if (!s)
		return MN_EIO;
	mn_time_now_str(now);
	sqlite3_bind_text(s, 1, now, -1, SQLITE_STATIC);
	ret = mn_store_step_done(st, s, err, "recover dream cycles");
	if (!ret)
		*out_n = changes(st);
	return ret;
}

int mn_store_learn_cycle_list(struct mn_store *st, json_t **out, int *out_total, int limit,
			      struct mn_err *err)
{
	static const char *const sql =
		"SELECT id, trigger, started_at, finished_at, status, phases, error,"
		" (SELECT count(*) FROM dream_cycles)"
		" FROM dream_cycles ORDER BY started_at DESC, rowid DESC LIMIT ?1";
	sqlite3_stmt *s = mn_store_stmt(st, sql, err);
	json_t *arr = json_array();
	int rc, total = 0;

	*out = NULL;
	if (out_total)
		*out_total = 0;
	if (!s) {
		json_decref(arr);
		return MN_EIO;
	}
	sqlite3_bind_int(s, 1, limit > 0 ? limit : -1);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		json_t *o = json_object(), *phases = mn_store_col_json(s, 5);
		const char *fin = mn_store_col_text(s, 3), *e = mn_store_col_text(s, 6);
		const char *trig = mn_store_col_text(s, 1);

		json_object_set_new(o, "id", json_string(mn_store_col_text(s, 0)));
		json_object_set_new(o, "trigger", trig ? json_string(trig) : json_null());
		json_object_set_new(o, "started_at", json_string(mn_store_col_text(s, 2)));
		json_object_set_new(o, "finished_at", fin ? json_string(fin) : json_null());
		json_object_set_new(o, "status", json_string(mn_store_col_text(s, 4)));
		json_object_set_new(o, "phases", phases ? phases : json_array());
		json_object_set_new(o, "error", e ? json_string(e) : json_null());
		total = sqlite3_column_int(s, 7);
		json_array_append_new(arr, o);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		json_decref(arr);
		return mn_store_fail(st, err, "list dream cycles");
	}
	if (out_total)
		*out_total = total;
	*out = arr;
	return 0;
}

int mn_store_learn_cycle_last_start(struct mn_store *st, char out[MN_TIME_LEN],
				    const char *except_id, struct mn_err *err)
{
	static const char *const sql =
		"SELECT started_at FROM dream_cycles"
		" WHERE status IN ('completed','partial') AND id != ?1"
		" ORDER BY started_at DESC, rowid DESC LIMIT 1";
	sqlite3_stmt *s = mn_store_stmt(st, sql, err);
	int rc;

	out[0] = '\0';
	if (!s)
		return MN_EIO;
	sqlite3_bind_text(s, 1, except_id ? except_id : "", -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		mn_store_col_copy(out, MN_TIME_LEN, s, 0);
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return mn_store_fail(st, err, "read last dream cycle");
	return 0;
}

/* ---- curriculum ---- */

int mn_store_learn_curriculum_begin(struct mn_store *st, char out_id[37], const char *teacher,
				    struct mn_err *err)
{
	static const char *const sql =
		"INSERT INTO curriculum_runs(id, started_at, status, teacher)"
		" VALUES (?1, ?2, 'running', ?3)";
	sqlite3_stmt *s = mn_store_stmt(st, sql, err);
	char now[MN_TIME_LEN];

	if (!s)
		return MN_EIO;
	mn_text_uuid4(out_id);
	mn_time_now_str(now);
	sqlite3_bind_text(s, 1, out_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, now, -1, SQLITE_STATIC);
	mn_store_bind_text(s, 3, teacher);
	return mn_store_step_done(st, s, err, "record curriculum run");
}

int mn_store_learn_curriculum_finish(struct mn_store *st, const char *id, const char *status,
				     int attempted, int passed, int failed, const char *error,
				     struct mn_err *err)
{
	static const char *const sql =
		"UPDATE curriculum_runs SET status = ?2, finished_at = ?3, attempted = ?4,"
		" passed = ?5, failed = ?6, error = ?7 WHERE id = ?1";
	sqlite3_stmt *s = mn_store_stmt(st, sql, err);
	char now[MN_TIME_LEN];

	if (!s)
		return MN_EIO;
	mn_time_now_str(now);
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, status, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, now, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 4, attempted);
	sqlite3_bind_int(s, 5, passed);
	sqlite3_bind_int(s, 6, failed);
	mn_store_bind_text(s, 7, error);
	return mn_store_step_done(st, s, err, "finish curriculum run");
}

int mn_store_learn_curriculum_progress(struct mn_store *st, const char *id, int attempted,
				       int passed, int failed, struct mn_err *err)
{
	static const char *const sql =
		"UPDATE curriculum_runs SET attempted = ?2, passed = ?3, failed = ?4"
		" WHERE id = ?1 AND status = 'running'";
	sqlite3_stmt *s = mn_store_stmt(st, sql, err);

	if (!s)
		return MN_EIO;
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 2, attempted);
	sqlite3_bind_int(s, 3, passed);
	sqlite3_bind_int(s, 4, failed);
	return mn_store_step_done(st, s, err, "record curriculum progress");
}

int mn_store_learn_teacher_calls(struct mn_store *st, const char *since, int *out_calls,
				 int *out_accepted, struct mn_err *err)
{
	static const char *const sql =
		"SELECT coalesce(sum(attempted), 0), coalesce(sum(passed), 0)"
		" FROM curriculum_runs WHERE started_at >= ?1";
	sqlite3_stmt *s = mn_store_stmt(st, sql, err);
	int rc;

	*out_calls = 0;
	if (out_accepted)
		*out_accepted = 0;
	if (!s)
		return MN_EIO;
	sqlite3_bind_text(s, 1, since ? since : "", -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*out_calls = sqlite3_column_int(s, 0);
		if (out_accepted)
			*out_accepted = sqlite3_column_int(s, 1);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_ROW)
		return mn_store_fail(st, err, "count teacher calls");
	return 0;
}

int mn_store_learn_curriculum_recover(struct mn_store *st, int *out_n, struct mn_err *err)
{
	static const char *const sql =
		"UPDATE curriculum_runs SET status = 'interrupted', finished_at = ?1,"
		" error = coalesce(error, 'the process running it ended')"
		" WHERE status = 'running'";
	sqlite3_stmt *s = mn_store_stmt(st, sql, err);
	char now[MN_TIME_LEN];
	int ret;

	*out_n = 0;
	if (!s)
		return MN_EIO;
	mn_time_now_str(now);
	sqlite3_bind_text(s, 1, now, -1, SQLITE_STATIC);
	ret = mn_store_step_done(st, s, err, "recover curriculum runs");
	if (!ret)
		*out_n = changes(st);
	return ret;
}

int mn_store_learn_curriculum_last_completed(struct mn_store *st, char out[MN_TIME_LEN],
					     struct mn_err *err)
{
	static const char *const sql =
		"SELECT coalesce(finished_at, started_at) FROM curriculum_runs"
		" WHERE status = 'completed' ORDER BY coalesce(finished_at, started_at) DESC"
		" LIMIT 1";
	sqlite3_stmt *s = mn_store_stmt(st, sql, err);
	int rc;

	out[0] = '\0';
	if (!s)
		return MN_EIO;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		mn_store_col_copy(out, MN_TIME_LEN, s, 0);
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return mn_store_fail(st, err, "read last curriculum run");
	return 0;
}

int mn_store_learn_curriculum_last(struct mn_store *st, json_t **out, struct mn_err *err)
{
	static const char *const sql =
		"SELECT id, started_at, finished_at, attempted, passed, failed, status, teacher,"
		" error FROM curriculum_runs ORDER BY started_at DESC, rowid DESC LIMIT 1";
	sqlite3_stmt *s = mn_store_stmt(st, sql, err);
	int rc;

	*out = NULL;
	if (!s)
		return MN_EIO;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		json_t *o = json_object();
		const char *fin = mn_store_col_text(s, 2), *t = mn_store_col_text(s, 7);
		const char *e = mn_store_col_text(s, 8);

		json_object_set_new(o, "id", json_string(mn_store_col_text(s, 0)));
		json_object_set_new(o, "started_at", json_string(mn_store_col_text(s, 1)));
		json_object_set_new(o, "finished_at", fin ? json_string(fin) : json_null());
		json_object_set_new(o, "attempted", json_integer(sqlite3_column_int(s, 3)));
		json_object_set_new(o, "passed", json_integer(sqlite3_column_int(s, 4)));
		json_object_set_new(o, "failed", json_integer(sqlite3_column_int(s, 5)));
		json_object_set_new(o, "status", json_string(mn_store_col_text(s, 6)));
		json_object_set_new(o, "teacher", t ? json_string(t) : json_null());
		json_object_set_new(o, "error", e ? json_string(e) : json_null());
		*out = o;
	}
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return mn_store_fail(st, err, "read last curriculum run");
	return 0;
}

#define NEEDS_WHERE                                                                      \
	" WHERE b.category = 'needs_improvement' AND b.corrected_output IS NULL"           \
	" AND (SELECT fallback FROM memories WHERE id = b.memory_id) = 0"

int mn_store_learn_count_needs(struct mn_store *st, int *out, struct mn_err *err)
{
	static const char *const sql = "SELECT count(*) FROM experience_buffer b" NEEDS_WHERE;
	sqlite3_stmt *s = mn_store_stmt(st, sql, err);
	int rc;

	*out = 0;
	if (!s)
		return MN_EIO;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int(s, 0);
	sqlite3_reset(s);
	if (rc != SQLITE_ROW)
		return mn_store_fail(st, err, "count rows that need improvement");
	return 0;
}

int mn_store_learn_curriculum_rows(struct mn_store *st, struct mn_learn_row **out,
				   size_t *out_n, int limit, struct mn_err *err)
{
	static const char *const sql =
		"SELECT " LEARN_COLS LEARN_FROM NEEDS_WHERE
		" ORDER BY coalesce(m.epr, 0) ASC, coalesce(m.confidence, 0) ASC,"
		" b.created_at ASC, b.rowid ASC LIMIT ?1";
	sqlite3_stmt *s = mn_store_stmt(st, sql, err);

	*out = NULL;
	*out_n = 0;
	if (!s)
		return MN_EIO;
	sqlite3_bind_int(s, 1, limit);
	return collect_rows(st, s, out, out_n, err, "list curriculum candidates");
}

int mn_store_learn_record_attempt(struct mn_store *st, const char *memory_id,
				  const char *error, bool counted, struct mn_err *err)
{
	static const char *const sql =
		"UPDATE experience_buffer SET correction_error = ?2,"
		" correction_attempts = correction_attempts + ?3, updated_at = ?4"
		" WHERE memory_id = ?1";
	sqlite3_stmt *s = mn_store_stmt(st, sql, err);
	char now[MN_TIME_LEN];

	if (!s)
		return MN_EIO;
	mn_time_now_str(now);
	sqlite3_bind_text(s, 1, memory_id, -1, SQLITE_STATIC);
	mn_store_bind_text(s, 2, error);
	sqlite3_bind_int(s, 3, counted ? 1 : 0);
	sqlite3_bind_text(s, 4, now, -1, SQLITE_STATIC);
	return mn_store_step_done(st, s, err, "record correction attempt");
}

/* ---- training batches ---- */

int mn_store_learn_batch_rows(struct mn_store *st, struct mn_learn_row **out, size_t *out_n,
			      struct mn_err *err)
{
	static const char *const sql =
		"SELECT " LEARN_COLS LEARN_FROM
		" WHERE b.category != 'excluded' AND m.fallback = 0"
		" AND (b.category = 'gold' OR b.corrected_output IS NOT NULL)"
		" AND b.batch_id IS NULL AND b.trained_in_run IS NULL"
		" ORDER BY b.created_at ASC, b.id ASC";
	sqlite3_stmt *s = mn_store_stmt(st, sql, err);

	*out = NULL;
	*out_n = 0;
	if (!s)
		return MN_EIO;
	return collect_rows(st, s, out, out_n, err, "list batch rows");
}

int mn_store_learn_trained_rows(struct mn_store *st, struct mn_learn_row **out, size_t *out_n,
				struct mn_err *err)
{
	static const char *const sql =
		"SELECT " LEARN_COLS LEARN_FROM
		" WHERE b.category != 'excluded' AND m.fallback = 0"
		" AND (b.category = 'gold' OR b.corrected_output IS NOT NULL)"
		" AND b.trained_in_run IS NOT NULL"
		" ORDER BY b.created_at ASC, b.id ASC";
	sqlite3_stmt *s = mn_store_stmt(st, sql, err);

	*out = NULL;
	*out_n = 0;
	if (!s)
		return MN_EIO;
	return collect_rows(st, s, out, out_n, err, "list trained rows");
}

int mn_store_learn_claim(struct mn_store *st, const char *batch_id, char *const *memory_ids,
			 size_t n, int *out_n, struct mn_err *err)
{
	static const char *const sql =
		"UPDATE experience_buffer SET batch_id = ?2, updated_at = ?3"
		" WHERE memory_id = ?1 AND batch_id IS NULL AND trained_in_run IS NULL";
	char now[MN_TIME_LEN];
	int claimed = 0, ret = 0;

	*out_n = 0;
	mn_time_now_str(now);
	for (size_t i = 0; i < n && !ret; i++) {
		sqlite3_stmt *s = mn_store_stmt(st, sql, err);

		if (!s)
			return MN_EIO;
		sqlite3_bind_text(s, 1, memory_ids[i], -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 2, batch_id, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 3, now, -1, SQLITE_STATIC);
		ret = mn_store_step_done(st, s, err, "claim batch rows");
		if (!ret)
			claimed += changes(st);
	}
	*out_n = claimed;
	return ret;
}

int mn_store_learn_mark_trained(struct mn_store *st, const char *batch_id, const char *run_id,
				int *out_n, struct mn_err *err)
{
	static const char *const sql =
		"UPDATE experience_buffer SET trained_in_run = ?2, updated_at = ?3"
		" WHERE batch_id = ?1 AND trained_in_run IS NULL";
	sqlite3_stmt *s = mn_store_stmt(st, sql, err);
	char now[MN_TIME_LEN];
	int ret;

	*out_n = 0;
	if (!s)
		return MN_EIO;
	mn_time_now_str(now);
	sqlite3_bind_text(s, 1, batch_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, run_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, now, -1, SQLITE_STATIC);
	ret = mn_store_step_done(st, s, err, "mark batch rows trained");
	if (!ret)
		*out_n = changes(st);
	return ret;
}

int mn_store_learn_release(struct mn_store *st, const char *batch_id, int *out_n,
			   struct mn_err *err)
{
	static const char *const sql =
		"UPDATE experience_buffer SET batch_id = NULL, updated_at = ?2"
		" WHERE batch_id = ?1 AND trained_in_run IS NULL";
	sqlite3_stmt *s = mn_store_stmt(st, sql, err);
	char now[MN_TIME_LEN];
	int ret;

	*out_n = 0;
	if (!s)
		return MN_EIO;
	mn_time_now_str(now);
	sqlite3_bind_text(s, 1, batch_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, now, -1, SQLITE_STATIC);
	ret = mn_store_step_done(st, s, err, "release batch rows");
	if (!ret)
		*out_n = changes(st);
	return ret;
}

/* ---- hard-example report and drift ---- */

int mn_store_learn_recent_rows(struct mn_store *st, struct mn_learn_row **out, size_t *out_n,
			       const char *since, int limit, struct mn_err *err)
{
	static const char *const sql =
		"SELECT " LEARN_COLS LEARN_FROM
		" WHERE b.category != 'excluded' AND b.created_at >= ?1"
		" ORDER BY b.created_at DESC, b.rowid DESC LIMIT ?2";
	sqlite3_stmt *s = mn_store_stmt(st, sql, err);

	*out = NULL;
	*out_n = 0;
	if (!s)
		return MN_EIO;
	sqlite3_bind_text(s, 1, since ? since : "", -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 2, limit > 0 ? limit : -1);
	return collect_rows(st, s, out, out_n, err, "list recent buffer rows");
}

int mn_store_learn_each_concepts_before(struct mn_store *st, const char *since, int limit,
					void (*fn)(void *payload, const char *concepts_json),
					void *payload, struct mn_err *err)
{
	static const char *const sql =
		"SELECT json_extract(mn_unpack(coalesce(encoding, encoder_output)), '$.concepts')"
		" FROM memories WHERE created_at < ?1"
		" ORDER BY created_at DESC, rowid DESC LIMIT ?2";
	sqlite3_stmt *s = mn_store_stmt(st, sql, err);
	int rc;

	if (!s)
		return MN_EIO;
	sqlite3_bind_text(s, 1, since ? since : "", -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 2, limit > 0 ? limit : -1);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *t = mn_store_col_text(s, 0);

		if (t)
			fn(payload, t);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return mn_store_fail(st, err, "read concepts");
	return 0;
}

int mn_store_learn_quality_window(struct mn_store *st, struct mn_learn_window *out, int size,
				  struct mn_err *err)
{
	static const char *const sql =
		"SELECT id, coalesce(epr, 0), coalesce(sc, 0) FROM memories WHERE fallback = 0"
		" ORDER BY created_at DESC, rowid DESC LIMIT ?1";
	sqlite3_stmt *s = mn_store_stmt(st, sql, err);
	double sum_epr = 0, sum_sc = 0;
	int rc, n = 0;

	memset(out, 0, sizeof(*out));
	if (!s)
		return MN_EIO;
	sqlite3_bind_int(s, 1, size);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (n == 0)
			mn_store_col_copy(out->newest_id, sizeof(out->newest_id), s, 0);
		sum_epr += sqlite3_column_double(s, 1);
		sum_sc += sqlite3_column_int(s, 2) ? 1.0 : 0.0;
		n++;
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return mn_store_fail(st, err, "read quality window");
	out->n = n;
	out->mean_epr = n ? sum_epr / n : 0;
	out->sc_rate = n ? sum_sc / n : 0;
	return 0;
}

/* ---- experience buffer ---- */

void mn_exp_row_release(struct mn_exp_row *r)
{
	if (!r)
		return;
	free(r->encoder_version);
	json_decref(r->flags);
	free(r->corrected_output);
	free(r->correction_source);
	free(r->batch_id);
	free(r->trained_in_run);
	free(r->gist);
	memset(r, 0, sizeof(*r));
}

void mn_exp_rows_free(struct mn_exp_row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++)
		mn_exp_row_release(&rows[i]);
	free(rows);
}

#define EXP_COLS "b.id, b.memory_id, m.raw_id, m.encoder_version, m.epr, m.fr, m.np," \
		 " m.confidence, m.sc, m.ted, m.mig, m.fallback, m.flags, b.recall_score," \
		 " b.recall_count, b.category, b.corrected_output, b.corrected_epr," \
		 " b.correction_source, b.correction_attempts, b.batch_id, b.trained_in_run," \
		 " mn_doc(m.encoding, m.encoder_output, 'gist'), b.created_at"

void mn_store_read_exp_row(struct mn_exp_row *r, sqlite3_stmt *s);

void mn_store_read_exp_row(struct mn_exp_row *r, sqlite3_stmt *s)
{
	memset(r, 0, sizeof(*r));
	mn_store_col_copy(r->id, sizeof(r->id), s, 0);
	mn_store_col_copy(r->memory_id, sizeof(r->memory_id), s, 1);
	mn_store_col_copy(r->raw_id, sizeof(r->raw_id), s, 2);
	r->encoder_version = mn_store_col_dup(s, 3);
	r->epr = sqlite3_column_double(s, 4);
	r->fr = sqlite3_column_double(s, 5);
	r->np = sqlite3_column_double(s, 6);
	r->confidence = sqlite3_column_double(s, 7);
	r->sc = sqlite3_column_int(s, 8);
	r->ted = sqlite3_column_int(s, 9);
	r->mig = sqlite3_column_int(s, 10);
	r->fallback = sqlite3_column_int(s, 11);
	r->flags = mn_store_col_json(s, 12);
	if (!r->flags)
		r->flags = json_array();
	r->recall_score = sqlite3_column_type(s, 13) == SQLITE_NULL ? -1.0
								    : sqlite3_column_double(s, 13);
	r->recall_count = sqlite3_column_int(s, 14);
	mn_store_col_copy(r->category, sizeof(r->category), s, 15);
	r->corrected_output = mn_store_col_dup(s, 16);
	r->corrected_epr = sqlite3_column_double(s, 17);
	r->correction_source = mn_store_col_dup(s, 18);
	r->correction_attempts = sqlite3_column_int(s, 19);
	r->batch_id = mn_store_col_dup(s, 20);
	r->trained_in_run = mn_store_col_dup(s, 21);
	r->gist = mn_store_col_dup(s, 22);
	mn_store_col_copy(r->created_at, sizeof(r->created_at), s, 23);
}

int mn_store_exp_list(struct mn_store *st, struct mn_exp_row **out, size_t *out_n,
		      const char *category, int limit, struct mn_err *err)
{
	static const char *const sql =
		"SELECT " EXP_COLS " FROM experience_buffer b JOIN memories m ON m.id = b.memory_id"
		" WHERE (?1 IS NULL OR b.category = ?1)"
		" ORDER BY b.created_at DESC, b.rowid DESC LIMIT ?2";
	sqlite3_stmt *s = mn_store_stmt(st, sql, err);
	struct mn_exp_row *rows = NULL;
	size_t n = 0, alloc = 0;
	int rc;

	*out = NULL;
	*out_n = 0;
	if (!s)
		return MN_EIO;
	mn_store_bind_text(s, 1, category);
	sqlite3_bind_int(s, 2, limit > 0 ? limit : -1);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		rows = mn_xgrow(rows, &alloc, n + 1, sizeof(*rows));
		mn_store_read_exp_row(&rows[n++], s);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		mn_exp_rows_free(rows, n);
		return mn_store_fail(st, err, "list experience buffer");
	}
	*out = rows;
	*out_n = n;
	return 0;
}

int mn_store_exp_set_category(struct mn_store *st, const char *id, const char *category,
			      struct mn_err *err)
{
	static const char *const sql =
		"UPDATE experience_buffer SET category = ?2, updated_at = ?3"
		" WHERE id = ?1 AND category != ?2";
	sqlite3_stmt *s = mn_store_stmt(st, sql, err);
	char now[MN_TIME_LEN];

	if (!s)
		return MN_EIO;
	mn_time_now_str(now);
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, category, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, now, -1, SQLITE_STATIC);
	return mn_store_step_done(st, s, err, "set experience category");
}

int mn_store_exp_set_correction(struct mn_store *st, const char *memory_id,
				const char *corrected_json, double epr, double fr, bool sc,
				const char *source, struct mn_err *err)
{
	/* A human correction wins: a teacher never overwrites it. */
	static const char *const sql =
		"UPDATE experience_buffer SET corrected_output = ?2, corrected_epr = ?3,"
		" corrected_fr = ?4, corrected_sc = ?5, correction_source = ?6, corrected_at = ?7,"
		" correction_error = NULL, updated_at = ?7"
		" WHERE memory_id = ?1 AND (?6 = 'human' OR correction_source IS NULL"
		"   OR correction_source != 'human')";
	sqlite3_stmt *s = mn_store_stmt(st, sql, err);
	char now[MN_TIME_LEN];
	int ret;

	if (!s)
		return MN_EIO;
	mn_time_now_str(now);
	sqlite3_bind_text(s, 1, memory_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, corrected_json, -1, SQLITE_STATIC);
	sqlite3_bind_double(s, 3, epr);
	sqlite3_bind_double(s, 4, fr);
	sqlite3_bind_int(s, 5, sc);
	sqlite3_bind_text(s, 6, source, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 7, now, -1, SQLITE_STATIC);
	ret = mn_store_step_done(st, s, err, "store correction");
	if (!ret && sqlite3_changes(st->db) == 0)
		ret = mn_err_set(err, MN_ENOTFOUND,
				 "no experience row for memory '%s' (or it has a human correction)",
				 memory_id);
	return ret;
}

/* ---- status ---- */
