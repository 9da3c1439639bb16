/*
 * store_browse.c - listing, one memory's detail, corrections in place,
 * duplicates, and the rows of export and import (store_browse.h).
 */
#include "store/store_browse.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/json.h"
#include "base/mem.h"
#include "base/sha256.h"
#include "base/text.h"
#include "base/timeutil.h"
#include "store/store_internal.h"

#define EXPORT_FORMAT "mnemo.memory/1"

/* ---- normalised text ---- */

static bool is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

char *mn_store_norm_text(const char *s, size_t len, size_t *out_len)
{
	char *o = mn_xmalloc(len + 1);
	size_t n = 0;
	bool gap = false;

	for (size_t i = 0; i < len; i++) {
		if (is_space((unsigned char)s[i])) {
			gap = n > 0;
			continue;
		}
		if (gap)
			o[n++] = ' ';
		gap = false;
		o[n++] = s[i];
	}
	o[n] = '\0';
	if (out_len)
		*out_len = n;
	return o;
}

int64_t mn_store_norm_hash(const char *s, size_t len)
{
	size_t n;
	char *t = mn_store_norm_text(s, len, &n);
	int64_t h = (int64_t)(mn_text_hash64(t, n, 0x6d6e656d6fULL) >> 1);

	free(t);
	return h;
}

static void sql_norm_hash(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const char *s = (const char *)sqlite3_value_text(argv[0]);

	if (!s) {
		sqlite3_result_null(ctx);
		return;
	}
	sqlite3_result_int64(ctx, mn_store_norm_hash(s, (size_t)sqlite3_value_bytes(argv[0])));
}

int mn_store_browse_register(sqlite3 *db)
{
	return sqlite3_create_function(db, "mn_norm_hash", 1,
				       SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, NULL,
				       sql_norm_hash, NULL, NULL) == SQLITE_OK
		       ? 0
		       : MN_EIO;
}

/* ---- reading rows ---- */

#define ITEM_COLS                                                                          \
	"r.rowid, r.id, r.content, r.source, r.type, r.project, r.session, r.state,"        \
	" r.attempts, r.last_error, r.created_at, r.updated_at, r.repeat_count,"           \
	" r.last_seen_at, m.id, m.encoder_output, m.encoder, m.encoder_version, m.fallback," \
	" m.epr, m.fr, m.np, m.confidence, m.sc, m.ted, m.mig, m.flags, m.salience,"       \
	" m.feedback_score, m.encoding, m.state, b.category, m.created_at, r.occurred_at"
#define ITEM_FROM                                                                          \
	" FROM raw_memories r LEFT JOIN memories m ON m.raw_id = r.id"                      \
	" LEFT JOIN experience_buffer b ON b.memory_id = m.id"

static void read_item(struct mn_browse_item *it, sqlite3_stmt *s)
{
	struct mn_memory *m = &it->m;

	memset(it, 0, sizeof(*it));
	it->pos.rowid = sqlite3_column_int64(s, 0);
	mn_store_col_copy(m->raw_id, sizeof(m->raw_id), s, 1);
	it->text = mn_store_col_dup(s, 2);
	if (!it->text)
		it->text = mn_xstrdup("");
	m->source = mn_store_col_dup(s, 3);
	m->type = mn_store_col_dup(s, 4);
	m->project = mn_store_col_dup(s, 5);
	it->session = mn_store_col_dup(s, 6);
	mn_store_col_copy(it->raw_state, sizeof(it->raw_state), s, 7);
	it->attempts = sqlite3_column_int(s, 8);
	it->last_error = mn_store_col_dup(s, 9);
	mn_store_col_copy(it->pos.created_at, sizeof(it->pos.created_at), s, 10);
	mn_store_col_copy(it->updated_at, sizeof(it->updated_at), s, 11);
	it->repeat_count = sqlite3_column_int64(s, 12);
	mn_store_col_copy(it->last_seen_at, sizeof(it->last_seen_at), s, 13);
	mn_store_col_copy(m->occurred_at, sizeof(m->occurred_at), s, 33);
	if (sqlite3_column_type(s, 14) == SQLITE_NULL) {
		/* not (yet) encoded: the raw row speaks for itself */
		snprintf(m->state, sizeof(m->state), "%s", it->raw_state);
		m->raw_content = mn_xstrdup(it->text);
		snprintf(m->created_at, sizeof(m->created_at), "%s", it->pos.created_at);
		return;
	}
	mn_store_col_copy(m->id, sizeof(m->id), s, 14);
	m->encoding_json = mn_store_unpack_col(s, 15);
	m->encoder = mn_store_col_dup(s, 16);
	m->encoder_version = mn_store_col_dup(s, 17);
	m->fallback = sqlite3_column_int(s, 18);
	m->epr = sqlite3_column_double(s, 19);
	m->fr = sqlite3_column_double(s, 20);
	m->np = sqlite3_column_double(s, 21);
	m->confidence = sqlite3_column_double(s, 22);
	m->sc = sqlite3_column_int(s, 23);
	m->ted = sqlite3_column_int(s, 24);
	m->mig = sqlite3_column_int(s, 25);
	m->flags = mn_store_col_json(s, 26);
	if (!m->flags)
		m->flags = json_array();
	m->salience = sqlite3_column_double(s, 27);
	m->feedback_score = sqlite3_column_double(s, 28);
	m->encoding = mn_store_read_encoding(s, 15, 29);
	mn_store_col_copy(m->state, sizeof(m->state), s, 30);
	mn_store_col_copy(m->category, sizeof(m->category), s, 31);
	mn_store_col_copy(m->created_at, sizeof(m->created_at), s, 32);
}

void mn_browse_item_release(struct mn_browse_item *it)
{
	mn_memory_release(&it->m);
	free(it->text);
	free(it->session);
	free(it->last_error);
	memset(it, 0, sizeof(*it));
}

void mn_browse_items_free(struct mn_browse_item *items, size_t n)
{
	for (size_t i = 0; i < n; i++)
		mn_browse_item_release(&items[i]);
	free(items);
}

/* ---- list ---- */

#define LIST_WHERE                                                                        \
	" WHERE (?1 IS NULL OR r.project = ?1) AND (?2 IS NULL OR r.type = ?2)"           \
	" AND (?3 IS NULL OR r.source = ?3) AND (?4 IS NULL OR r.state = ?4)"             \
	" AND (?5 IS NULL OR b.category = ?5) AND (?6 IS NULL OR r.occurred_at >= ?6)"    \
	" AND (?7 IS NULL OR r.occurred_at < ?7)"

int mn_store_browse_list(struct mn_store *st, struct mn_browse_item **out, size_t *out_n,
			 bool *out_more, const struct mn_browse_filter *f,
			 const struct mn_browse_pos *after, int limit, struct mn_err *err)
{
	static const char *const sql_desc =
		"SELECT " ITEM_COLS ITEM_FROM LIST_WHERE
		" AND (?8 IS NULL OR r.created_at < ?8 OR (r.created_at = ?8 AND r.rowid < ?9))"
		" ORDER BY r.created_at DESC, r.rowid DESC LIMIT ?10";
	static const char *const sql_asc =
		"SELECT " ITEM_COLS ITEM_FROM LIST_WHERE
		" AND (?8 IS NULL OR r.created_at > ?8 OR (r.created_at = ?8 AND r.rowid > ?9))"
		" ORDER BY r.created_at, r.rowid LIMIT ?10";
	sqlite3_stmt *s = mn_store_stmt(st, f->oldest_first ? sql_asc : sql_desc, err);
	struct mn_browse_item *items = NULL;
	size_t n = 0, cap = 0;
	int rc;

	*out = NULL;
	*out_n = 0;
	*out_more = false;
	if (!s)
		return MN_EIO;
	if (limit <= 0)
		limit = 20;
	mn_store_bind_text(s, 1, f->project);
	mn_store_bind_text(s, 2, f->type);
	mn_store_bind_text(s, 3, f->source);
	mn_store_bind_text(s, 4, f->state);
	mn_store_bind_text(s, 5, f->category);
	mn_store_bind_text(s, 6, f->since);
	mn_store_bind_text(s, 7, f->until);
	if (after && after->rowid > 0) {
		sqlite3_bind_text(s, 8, after->created_at, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(s, 9, after->rowid);
	}
	sqlite3_bind_int(s, 10, limit + 1);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (n == (size_t)limit) {
			*out_more = true;
			continue;
		}
		items = mn_xgrow(items, &cap, n + 1, sizeof(*items));
		read_item(&items[n++], s);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		mn_browse_items_free(items, n);
		*out_more = false;
		return mn_store_fail(st, err, "list memories");
	}
	*out = items;
	*out_n = n;
	return 0;
}

int mn_store_browse_projects(struct mn_store *st, json_t **out,
			     const struct mn_browse_filter *f, struct mn_err *err)
{
	/* without a category the joins decide nothing: leave them out */
	static const char *const sql_raw =
		"SELECT coalesce(r.project, ''), count(*) FROM raw_memories r"
		" WHERE (?1 IS NULL OR r.project = ?1) AND (?2 IS NULL OR r.type = ?2)"
		" AND (?3 IS NULL OR r.source = ?3) AND (?4 IS NULL OR r.state = ?4)"
		" AND (?6 IS NULL OR r.occurred_at >= ?6) AND (?7 IS NULL OR r.occurred_at < ?7)"
		" GROUP BY 1 ORDER BY 1";
	static const char *const sql_joined =
		"SELECT coalesce(r.project, ''), count(*)" ITEM_FROM LIST_WHERE
		" GROUP BY 1 ORDER BY 1";
	sqlite3_stmt *s = mn_store_stmt(st, f->category ? sql_joined : sql_raw, err);
	int rc;

	*out = NULL;
	if (!s)
		return MN_EIO;
	mn_store_bind_text(s, 1, f->project);
	mn_store_bind_text(s, 2, f->type);
	mn_store_bind_text(s, 3, f->source);
	mn_store_bind_text(s, 4, f->state);
	mn_store_bind_text(s, 5, f->category);
	mn_store_bind_text(s, 6, f->since);
	mn_store_bind_text(s, 7, f->until);
	*out = json_object();
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		json_object_set_new(*out, mn_store_col_text(s, 0),
				    json_integer(sqlite3_column_int64(s, 1)));
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		json_decref(*out);
		*out = NULL;
		return mn_store_fail(st, err, "count memories by project");
	}
	return 0;
}

int mn_store_browse_get(struct mn_store *st, struct mn_browse_item *out, const char *id,
			struct mn_err *err)
{
	static const char *const sql =
		"SELECT " ITEM_COLS ITEM_FROM " WHERE r.id = ?1"
		" OR r.id = (SELECT raw_id FROM memories WHERE id = ?1)";
	sqlite3_stmt *s = mn_store_stmt(st, sql, err);
	int rc, ret = 0;

	memset(out, 0, sizeof(*out));
	if (!s)
		return MN_EIO;
	sqlite3_bind_text(s, 1, id, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		read_item(out, s);
	else if (rc == SQLITE_DONE)
		ret = mn_err_set(err, MN_ENOTFOUND, "no memory or raw observation has id '%s'", id);
	else
		ret = mn_store_fail(st, err, "read memory");
	sqlite3_reset(s);
	return ret;
}

static json_t *col_json_value(sqlite3_stmt *s, int i)
{
	switch (sqlite3_column_type(s, i)) {
	case SQLITE_NULL:
		return json_null();
	case SQLITE_INTEGER:
		return json_integer(sqlite3_column_int64(s, i));
	case SQLITE_FLOAT:
		return json_real(sqlite3_column_double(s, i));
	default:
		return json_string(mn_store_col_text(s, i));
	}
}

int mn_store_browse_feedback(struct mn_store *st, json_t **out, const char *memory_id,
			     struct mn_err *err)
{
	static const char *const sql =
		"SELECT f.query_id, l.query, f.rating, f.session, f.created_at"
		" FROM recall_feedback f LEFT JOIN recall_log l ON l.query_id = f.query_id"
		" WHERE f.memory_id = ?1 ORDER BY f.created_at, f.query_id";
	sqlite3_stmt *s = mn_store_stmt(st, sql, err);
	json_t *arr = json_array();
	int rc;

	*out = NULL;
	if (!s) {
		json_decref(arr);
		return MN_EIO;
	}
	sqlite3_bind_text(s, 1, memory_id, -1, SQLITE_TRANSIENT);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		json_array_append_new(arr, json_pack("{s:o,s:o,s:o,s:o,s:o}", "query_id",
						     col_json_value(s, 0), "query",
						     col_json_value(s, 1), "rating",
						     col_json_value(s, 2), "session",
						     col_json_value(s, 3), "created_at",
						     col_json_value(s, 4)));
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		json_decref(arr);
		return mn_store_fail(st, err, "read feedback");
	}
	*out = arr;
	return 0;
}

int mn_store_browse_history(struct mn_store *st, json_t **out, const char *raw_id,
			    struct mn_err *err)
{
	static const char *const sql =
		"SELECT kind, created_at, text, encoding, encoder_output, encoder,"
		" encoder_version, detail FROM memory_history WHERE raw_id = ?1 ORDER BY id";
	sqlite3_stmt *s = mn_store_stmt(st, sql, err);
	json_t *arr = json_array();
	int rc;

	*out = NULL;
	if (!s) {
		json_decref(arr);
		return MN_EIO;
	}
	sqlite3_bind_text(s, 1, raw_id, -1, SQLITE_TRANSIENT);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		json_t *h = json_pack("{s:o,s:o}", "kind", col_json_value(s, 0), "at",
				      col_json_value(s, 1));
		json_t *v;

		if (sqlite3_column_type(s, 2) != SQLITE_NULL)
			json_object_set_new(h, "text", col_json_value(s, 2));
		v = mn_store_col_json(s, 3);
		if (v)
			json_object_set_new(h, "encoding", v);
		if (sqlite3_column_type(s, 4) != SQLITE_NULL)
			json_object_set_new(h, "encoder_output", col_json_value(s, 4));
		if (sqlite3_column_type(s, 5) != SQLITE_NULL)
			json_object_set_new(h, "encoder", col_json_value(s, 5));
		if (sqlite3_column_type(s, 6) != SQLITE_NULL)
			json_object_set_new(h, "encoder_version", col_json_value(s, 6));
		v = mn_store_col_json(s, 7);
		if (v)
			json_object_set_new(h, "detail", v);
		json_array_append_new(arr, h);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		json_decref(arr);
		return mn_store_fail(st, err, "read history");
	}
	*out = arr;
	return 0;
}

int mn_store_browse_experience(struct mn_store *st, json_t **out, const char *memory_id,
			       struct mn_err *err)
{
	static const char *const sql =
		"SELECT category, recall_score, recall_count, corrected_output,"
		" correction_source, corrected_epr, corrected_fr, corrected_sc, corrected_at"
		" FROM experience_buffer WHERE memory_id = ?1";
	sqlite3_stmt *s = mn_store_stmt(st, sql, err);
	int rc;

	*out = NULL;
	if (!s)
		return MN_EIO;
	sqlite3_bind_text(s, 1, memory_id, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		json_t *corr = json_null();

		if (sqlite3_column_type(s, 3) != SQLITE_NULL) {
			json_t *o = mn_store_col_json(s, 3);

			corr = json_pack("{s:o,s:o,s:o,s:o,s:o,s:o}", "output",
					 o ? o : col_json_value(s, 3), "source",
					 col_json_value(s, 4), "epr", col_json_value(s, 5), "fr",
					 col_json_value(s, 6), "sc", col_json_value(s, 7), "at",
					 col_json_value(s, 8));
		}
		*out = json_pack("{s:o,s:o,s:o,s:o}", "category", col_json_value(s, 0),
				 "recall_score", col_json_value(s, 1), "recall_count",
				 col_json_value(s, 2), "correction", corr);
		rc = sqlite3_step(s);
	} else if (rc == SQLITE_DONE) {
		*out = json_null();
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		json_decref(*out);
		*out = NULL;
		return mn_store_fail(st, err, "read experience row");
	}
	return 0;
}

/* ---- duplicates ---- */

/* Does the stored text equal the normalised text? */
static bool same_norm(const char *stored, size_t len, const char *norm, size_t norm_len)
{
	size_t n;
	char *t = mn_store_norm_text(stored, len, &n);
	bool same = n == norm_len && !memcmp(t, norm, n);

	free(t);
	return same;
}

/* The oldest raw row of project holding the normalised text: 0 and
 * raw_id set, or 0 and raw_id "" when there is none. */
static int find_same(struct mn_store *st, char raw_id[37], const char *text, size_t len,
		     const char *project, struct mn_err *err)
{
	static const char *const sql =
		"SELECT id, content FROM raw_memories WHERE norm_hash = ?1 AND project IS ?2"
		" ORDER BY created_at, rowid";
	sqlite3_stmt *s = mn_store_stmt(st, sql, err);
	size_t norm_len;
	char *norm;
	int rc;

	raw_id[0] = '\0';
	if (!s)
		return MN_EIO;
	norm = mn_store_norm_text(text, len, &norm_len);
	sqlite3_bind_int64(s, 1, mn_store_norm_hash(text, len));
	mn_store_bind_text(s, 2, project);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *c = mn_store_col_text(s, 1);

		if (c && same_norm(c, (size_t)sqlite3_column_bytes(s, 1), norm, norm_len)) {
			mn_store_col_copy(raw_id, 37, s, 0);
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_reset(s);
	free(norm);
	return rc == SQLITE_DONE ? 0 : mn_store_fail(st, err, "look for a duplicate");
}

static int count_repeat(struct mn_store *st, struct mn_dup_hit *out, const char *raw_id,
			int64_t times, const char *seen_at, struct mn_err *err)
{
	static const char *const sql =
		"UPDATE raw_memories SET repeat_count = repeat_count + ?2,"
		" last_seen_at = max(coalesce(last_seen_at, ''), ?3) WHERE id = ?1"
		" RETURNING id, state, repeat_count, last_seen_at,"
		" (SELECT id FROM memories WHERE raw_id = raw_memories.id)";
	sqlite3_stmt *s = mn_store_stmt(st, sql, err);
	int rc;

	if (!s)
		return MN_EIO;
	sqlite3_bind_text(s, 1, raw_id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 2, times);
	sqlite3_bind_text(s, 3, seen_at, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW && out) {
		memset(out, 0, sizeof(*out));
		mn_store_col_copy(out->raw_id, sizeof(out->raw_id), s, 0);
		mn_store_col_copy(out->state, sizeof(out->state), s, 1);
		out->repeat_count = sqlite3_column_int64(s, 2);
		mn_store_col_copy(out->last_seen_at, sizeof(out->last_seen_at), s, 3);
		mn_store_col_copy(out->memory_id, sizeof(out->memory_id), s, 4);
	}
	if (rc == SQLITE_ROW)
		rc = sqlite3_step(s);
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : mn_store_fail(st, err, "count a repetition");
}

int mn_store_browse_repeat(struct mn_store *st, struct mn_dup_hit *out, bool *out_found,
			   const char *text, size_t len, const char *project,
			   struct mn_err *err)
{
	char id[37], now[MN_TIME_LEN];
	int ret;

	*out_found = false;
	ret = mn_store_begin(st, err);
	if (ret)
		return ret;
	ret = find_same(st, id, text, len, project, err);
	if (!ret && id[0]) {
		mn_time_now_str(now);
		ret = count_repeat(st, out, id, 1, now, err);
		*out_found = !ret;
	}
	if (!ret)
		ret = mn_store_commit(st, err);
	if (ret) {
		mn_store_rollback(st);
		*out_found = false;
	}
	return ret;
}

/* ---- history ---- */

/* Keep the memory's current encoding (and with text, its raw text) as a
 * history row of kind. */
static int keep_history(struct mn_store *st, const char *memory_id, const char *kind,
			bool with_text, bool with_output, const char *now, struct mn_err *err)
{
	static const char *const sql =
		"INSERT INTO memory_history(raw_id, kind, text, encoding, encoder_output, encoder,"
		" encoder_version, detail, created_at)"
		" SELECT m.raw_id, ?2, CASE WHEN ?3 THEN r.content END,"
		" mn_unpack(coalesce(m.encoding, m.encoder_output)),"
		" CASE WHEN ?4 THEN mn_unpack(m.encoder_output) END, m.encoder, m.encoder_version,"
		" NULL, ?5"
		" FROM memories m JOIN raw_memories r ON r.id = m.raw_id WHERE m.id = ?1";
	sqlite3_stmt *s = mn_store_stmt(st, sql, err);
	int ret;

	if (!s)
		return MN_EIO;
	sqlite3_bind_text(s, 1, memory_id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 2, kind, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 3, with_text);
	sqlite3_bind_int(s, 4, with_output);
	sqlite3_bind_text(s, 5, now, -1, SQLITE_TRANSIENT);
	ret = mn_store_step_done(st, s, err, "keep the memory's history");
	if (!ret && sqlite3_changes(st->db) == 0)
		ret = mn_err_set(err, MN_ENOTFOUND, "no memory '%s'", memory_id);
	return ret;
}

/* ---- corrections ---- */

static char *dumps_or(const json_t *v, const char *def)
{
	return v ? mn_json_dumps(v) : mn_xstrdup(def);
}

static int set_raw_text(struct mn_store *st, const char *raw_id, const char *text, size_t len,
			const char *state_if, const char *now, struct mn_err *err)
{
	static const char *const sql =
		"UPDATE raw_memories SET content = ?2, norm_hash = ?4,"
		" dates = mn_date_keys(?2, occurred_at), updated_at = ?5, state = CASE WHEN state = 'failed' THEN 'queued' ELSE state END,"
		" attempts = CASE WHEN state = 'failed' THEN 0 ELSE attempts END"
		" WHERE id = ?1 AND (?6 IS NULL OR state IN ('queued', 'failed'))";
	sqlite3_stmt *s = mn_store_stmt(st, sql, err);
	int ret;

	if (!s)
		return MN_EIO;
	sqlite3_bind_text(s, 1, raw_id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 2, text, (int)len, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 4, mn_store_norm_hash(text, len));
	sqlite3_bind_text(s, 5, now, -1, SQLITE_TRANSIENT);
	mn_store_bind_text(s, 6, state_if);
	ret = mn_store_step_done(st, s, err, "change the raw text");
	if (!ret && sqlite3_changes(st->db) == 0)
		ret = mn_err_set(err, MN_EBUSY, "raw observation '%s' is being encoded; try again",
				 raw_id);
	return ret;
}

int mn_store_browse_replace(struct mn_store *st, const char *memory_id, const char *kind,
			    const struct mn_browse_reencode *e, const char *new_text,
			    size_t new_len, struct mn_err *err)
{
	/* An amendment changes what the memory says (memories.encoding, which
	 * recall reads and the FTS triggers index); encoder_output stays the
	 * encoder's exact output - the training's rejected side - and so do
	 * the encoder's metrics. An edit re-encodes: everything changes. */
	static const char *const sql_amend =
		"UPDATE memories SET encoding = CASE WHEN mn_unpack(encoder_output) = ?2 THEN NULL"
		" ELSE mn_pack(?2) END,"
		" salience = min(1.0, max(0.0, salience - base_salience + ?12)),"
		" base_salience = ?12 WHERE id = ?1";
	static const char *const sql_edit =
		"UPDATE memories SET encoding = ?3,"
		" salience = min(1.0, max(0.0, salience - base_salience + ?12)),"
		" base_salience = ?12, encoder_output = ?14, encoder = ?15,"
		" encoder_version = ?16, fallback = ?17, epr = ?18, fr = ?19, np = ?20, sc = ?21,"
		" ted = ?22, mig = ?23, flags = ?24, confidence = ?25 WHERE id = ?1";
	static const char *const sql_buf =
		"UPDATE experience_buffer SET corrected_output = NULL, corrected_epr = NULL, corrected_fr = NULL,"
		" corrected_sc = NULL, correction_source = NULL, correction_attempts = 0,"
		" correction_error = NULL, corrected_at = NULL, batch_id = NULL,"
		" category = CASE WHEN ?11 THEN 'excluded' ELSE 'ambiguous' END, updated_at = ?12"
		" WHERE memory_id = ?1";
	bool edit = new_text != NULL;
	sqlite3_stmt *s;
	char now[MN_TIME_LEN], raw_id[37] = "";
	char *flags = NULL;
	int ret;

	mn_time_now_str(now);
	ret = mn_store_begin(st, err);
	if (ret)
		return ret;
	ret = keep_history(st, memory_id, kind, edit, edit, now, err);
	if (ret)
		goto out;
	s = mn_store_stmt(st, edit ? sql_edit : sql_amend, err);
	if (!s) {
		ret = MN_EIO;
		goto out;
	}
	sqlite3_bind_text(s, 1, memory_id, -1, SQLITE_TRANSIENT);
	{
		json_t *c = mn_store_enc_canonical(e->encoding);

		sqlite3_bind_double(s, 12, mn_json_num(c, "salience", 0.5));
		if (edit)
			mn_store_bind_encoding(s, 14, 3, e->encoding_json, e->encoding);
		else
			sqlite3_bind_text(s, 2, mn_json_dumps(c), -1, free);
		json_decref(c);
	}
	if (edit) {
		flags = dumps_or(e->flags, "[]");
		sqlite3_bind_text(s, 15, e->encoder ? e->encoder : "unknown", -1,
				  SQLITE_TRANSIENT);
		sqlite3_bind_text(s, 16, e->encoder_version ? e->encoder_version : "unknown", -1,
				  SQLITE_TRANSIENT);
		sqlite3_bind_int(s, 17, e->fallback);
		sqlite3_bind_double(s, 18, e->epr);
		sqlite3_bind_double(s, 19, e->fr);
		sqlite3_bind_double(s, 20, e->np);
		sqlite3_bind_int(s, 21, e->sc);
		sqlite3_bind_int(s, 22, e->ted);
		sqlite3_bind_int(s, 23, e->mig);
		sqlite3_bind_text(s, 24, flags, -1, SQLITE_TRANSIENT);
		sqlite3_bind_double(s, 25, e->confidence);
	}
	ret = mn_store_step_done(st, s, err, "change the memory");
	if (ret || !edit)
		goto out;
	s = mn_store_stmt(st, sql_buf, err);
	if (!s) {
		ret = MN_EIO;
		goto out;
	}
	sqlite3_bind_text(s, 1, memory_id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(s, 11, e->fallback);
	sqlite3_bind_text(s, 12, now, -1, SQLITE_TRANSIENT);
	ret = mn_store_step_done(st, s, err, "refresh the experience row");
	if (ret)
		goto out;
	{
		static const char *const sql_raw = "SELECT raw_id FROM memories WHERE id = ?1";

		s = mn_store_stmt(st, sql_raw, err);
		if (!s) {
			ret = MN_EIO;
			goto out;
		}
		sqlite3_bind_text(s, 1, memory_id, -1, SQLITE_TRANSIENT);
		if (sqlite3_step(s) == SQLITE_ROW)
			mn_store_col_copy(raw_id, sizeof(raw_id), s, 0);
		sqlite3_reset(s);
	}
	ret = set_raw_text(st, raw_id, new_text, new_len, NULL, now, err);
out:
	if (!ret)
		ret = mn_store_commit(st, err);
	else
		mn_store_rollback(st);
	free(flags);
	return ret;
}

int mn_store_browse_edit_raw(struct mn_store *st, const char *raw_id, const char *new_text,
			     size_t new_len, struct mn_err *err)
{
	static const char *const sql_hist =
		"INSERT INTO memory_history(raw_id, kind, text, created_at)"
		" SELECT id, 'edit', content, ?2 FROM raw_memories WHERE id = ?1";
	sqlite3_stmt *s;
	char now[MN_TIME_LEN];
	int ret;

	mn_time_now_str(now);
	ret = mn_store_begin(st, err);
	if (ret)
		return ret;
	s = mn_store_stmt(st, sql_hist, err);
	if (!s) {
		ret = MN_EIO;
		goto out;
	}
	sqlite3_bind_text(s, 1, raw_id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 2, now, -1, SQLITE_TRANSIENT);
	ret = mn_store_step_done(st, s, err, "keep the old text");
	if (!ret && sqlite3_changes(st->db) == 0)
		ret = mn_err_set(err, MN_ENOTFOUND, "no raw observation '%s'", raw_id);
	if (!ret)
		ret = set_raw_text(st, raw_id, new_text, new_len, "queued", now, err);
out:
	if (!ret)
		ret = mn_store_commit(st, err);
	else
		mn_store_rollback(st);
	return ret;
}

/* ---- near duplicates ---- */

#define MH_BANDS 16
#define MH_ROWS 4
#define MH_N (MH_BANDS * MH_ROWS)

struct nd_doc {
	char raw_id[37];
	char *project;
	uint64_t *sh; /* sorted, unique shingle hashes */
	size_t n;
	uint64_t sig[MH_N];
};

static uint64_t mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Word 3-shingles of the lower-cased, whitespace-normalised text (a text
 * of fewer than three words is one shingle). */
static void shingles(struct nd_doc *d, const char *text, size_t len)
{
	size_t n, nw = 0, cap = 0;
	char *t = mn_store_norm_text(text, len, &n);
	size_t *starts = NULL, *lens = NULL, scap = 0;

	for (size_t i = 0; i < n; i++)
		if (t[i] >= 'A' && t[i] <= 'Z')
			t[i] = (char)(t[i] - 'A' + 'a');
	for (size_t i = 0; i < n;) {
		size_t j = i;

		while (j < n && t[j] != ' ')
			j++;
		starts = mn_xgrow(starts, &scap, nw + 1, sizeof(*starts));
		lens = mn_xrealloc(lens, scap * sizeof(*lens));
		starts[nw] = i;
		lens[nw] = j - i;
		nw++;
		i = j + 1;
	}
	d->n = 0;
	d->sh = NULL;
	for (size_t w = 0; w + 3 <= nw || (w == 0 && nw > 0); w++) {
		size_t end = nw < 3 ? nw - 1 : w + 2;
		uint64_t h = mn_text_hash64(t + starts[w], starts[end] + lens[end] - starts[w], 0);

		d->sh = mn_xgrow(d->sh, &cap, d->n + 1, sizeof(*d->sh));
		d->sh[d->n++] = h;
		if (nw < 3)
			break;
	}
	if (d->n > 1)
		qsort(d->sh, d->n, sizeof(*d->sh), cmp_u64);
	{
		size_t u = 0;

		for (size_t i = 0; i < d->n; i++)
			if (!u || d->sh[u - 1] != d->sh[i])
				d->sh[u++] = d->sh[i];
		d->n = u;
	}
	for (int k = 0; k < MH_N; k++) {
		uint64_t best = UINT64_MAX;

		for (size_t i = 0; i < d->n; i++) {
			uint64_t v = mix64(d->sh[i] ^ ((uint64_t)k * 0x2545f4914f6cdd1dULL));

			if (v < best)
				best = v;
		}
		d->sig[k] = best;
	}
	free(starts);
	free(lens);
	free(t);
}

static double jaccard(const struct nd_doc *a, const struct nd_doc *b)
{
	size_t i = 0, j = 0, inter = 0;

	if (!a->n || !b->n)
		return 0;
	while (i < a->n && j < b->n) {
		if (a->sh[i] == b->sh[j]) {
			inter++;
			i++;
			j++;
		} else if (a->sh[i] < b->sh[j]) {
			i++;
		} else {
			j++;
		}
	}
	return (double)inter / (double)(a->n + b->n - inter);
}

struct band_key {
	uint64_t h;
	size_t doc;
};

static int cmp_band(const void *a, const void *b)
{
	const struct band_key *x = a, *y = b;

	if (x->h != y->h)
		return x->h < y->h ? -1 : 1;
	return x->doc < y->doc ? -1 : x->doc > y->doc;
}

static int cmp_pair(const void *a, const void *b)
{
	const struct mn_near_dup *x = a, *y = b;

	if (x->drop_rank != y->drop_rank)
		return x->drop_rank < y->drop_rank ? -1 : 1;
	return x->keep_rank < y->keep_rank ? -1 : x->keep_rank > y->keep_rank;
}

int mn_store_browse_near_dups(struct mn_store *st, struct mn_near_dup **out, size_t *out_n,
			      const char *project, double threshold, struct mn_err *err)
{
	/* Oldest first: in a pair the earlier document is the one kept. */
	static const char *const sql =
		"SELECT id, content, coalesce(project, '') FROM raw_memories"
		" WHERE (?1 IS NULL OR project = ?1) ORDER BY created_at, rowid";
	sqlite3_stmt *s = mn_store_stmt(st, sql, err);
	struct nd_doc *docs = NULL;
	struct band_key *keys = NULL;
	struct mn_near_dup *pairs = NULL;
	size_t n = 0, cap = 0, np = 0, pcap = 0;
	int rc, ret = 0;

	*out = NULL;
	*out_n = 0;
	if (!s)
		return MN_EIO;
	mn_store_bind_text(s, 1, project);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *c = mn_store_col_text(s, 1);

		docs = mn_xgrow(docs, &cap, n + 1, sizeof(*docs));
		memset(&docs[n], 0, sizeof(docs[n]));
		mn_store_col_copy(docs[n].raw_id, sizeof(docs[n].raw_id), s, 0);
		docs[n].project = mn_store_col_dup(s, 2);
		shingles(&docs[n], c ? c : "", (size_t)sqlite3_column_bytes(s, 1));
		n++;
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		ret = mn_store_fail(st, err, "read texts");
		goto out;
	}
	keys = n ? mn_xcalloc(n, sizeof(*keys)) : NULL;
	for (int band = 0; band < MH_BANDS && n; band++) {
		for (size_t i = 0; i < n; i++) {
			uint64_t h = mn_text_hash64(docs[i].project, strlen(docs[i].project),
						    (uint64_t)band);

			for (int r = 0; r < MH_ROWS; r++)
				h = mix64(h ^ docs[i].sig[band * MH_ROWS + r]);
			keys[i].h = h;
			keys[i].doc = i;
		}
		qsort(keys, n, sizeof(*keys), cmp_band);
		for (size_t i = 0; i < n;) {
			size_t j = i + 1;

			while (j < n && keys[j].h == keys[i].h)
				j++;
			/* a bucket: every pair in it is a candidate; in a big one
			 * (a template repeated with small changes) each document
			 * is compared with the oldest few only, so the work stays
			 * linear */
			for (size_t x = i; x < j && x < i + (j - i < 64 ? j - i : 4); x++)
				for (size_t y = x + 1; y < j; y++) {
					const struct nd_doc *a = &docs[keys[x].doc],
							    *b = &docs[keys[y].doc];
					double sim;

					if (strcmp(a->project, b->project))
						continue;
					sim = jaccard(a, b);
					if (sim < threshold)
						continue;
					pairs = mn_xgrow(pairs, &pcap, np + 1, sizeof(*pairs));
					snprintf(pairs[np].keep, 37, "%s", a->raw_id);
					snprintf(pairs[np].drop, 37, "%s", b->raw_id);
					pairs[np].similarity = sim;
					pairs[np].keep_rank = keys[x].doc;
					pairs[np].drop_rank = keys[y].doc;
					np++;
				}
			i = j;
		}
	}
	/* one pair per dropped document (the first band may have found it
	 * with another partner): keep the earliest keeper */
	if (np) {
		size_t u = 0;

		qsort(pairs, np, sizeof(*pairs), cmp_pair);
		for (size_t i = 0; i < np; i++)
			if (!u || pairs[u - 1].drop_rank != pairs[i].drop_rank)
				pairs[u++] = pairs[i];
		np = u;
	}
	*out = pairs;
	*out_n = np;
	pairs = NULL;
out:
	for (size_t i = 0; i < n; i++) {
		free(docs[i].sh);
		free(docs[i].project);
	}
	free(docs);
	free(keys);
	free(pairs);
	return ret;
}

int mn_store_browse_merge(struct mn_store *st, const char *keep, const char *drop,
			  struct mn_err *err)
{
	static const char *const sql_hist =
		"INSERT INTO memory_history(raw_id, kind, text, encoding, encoder_output, encoder,"
		" encoder_version, detail, created_at)"
		" SELECT ?1, 'merge', r.content,"
		" mn_unpack(coalesce(m.encoding, m.encoder_output)),"
		" mn_unpack(m.encoder_output), m.encoder, m.encoder_version,"
		" json_object('raw_id', r.id, 'memory_id', m.id, 'created_at', r.created_at,"
		"  'repeat_count', r.repeat_count), ?3"
		" FROM raw_memories r LEFT JOIN memories m ON m.raw_id = r.id WHERE r.id = ?2";
	static const char *const sql_move_hist =
		"UPDATE memory_history SET raw_id = ?1 WHERE raw_id = ?2";
	static const char *const sql_fb =
		"INSERT OR IGNORE INTO recall_feedback(query_id, memory_id, rating, session,"
		" created_at) SELECT f.query_id, k.id, f.rating, f.session, f.created_at"
		" FROM recall_feedback f JOIN memories d ON d.id = f.memory_id AND d.raw_id = ?2"
		" JOIN memories k ON k.raw_id = ?1";
	static const char *const sql_score =
		"UPDATE memories SET feedback_score = feedback_score + coalesce((SELECT"
		" feedback_score FROM memories WHERE raw_id = ?2), 0) WHERE raw_id = ?1";
	static const char *const sql_count =
		"UPDATE raw_memories SET repeat_count = repeat_count + (SELECT repeat_count"
		" FROM raw_memories WHERE id = ?2), last_seen_at = max(coalesce(last_seen_at, ''),"
		" coalesce((SELECT coalesce(last_seen_at, created_at) FROM raw_memories"
		" WHERE id = ?2), '')) WHERE id = ?1";
	static const char *const sql_del = "DELETE FROM raw_memories WHERE id = ?1";
	const char *const steps[] = { sql_hist, sql_move_hist, sql_fb, sql_score, sql_count };
	char now[MN_TIME_LEN];
	sqlite3_stmt *s;
	int ret;

	if (!strcmp(keep, drop))
		return mn_err_set(err, MN_EINVAL, "cannot merge '%s' into itself", keep);
	mn_time_now_str(now);
	ret = mn_store_begin(st, err);
	if (ret)
		return ret;
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]) && !ret; i++) {
		s = mn_store_stmt(st, steps[i], err);
		if (!s) {
			ret = MN_EIO;
			break;
		}
		sqlite3_bind_text(s, 1, keep, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(s, 2, drop, -1, SQLITE_TRANSIENT);
		if (i == 0)
			sqlite3_bind_text(s, 3, now, -1, SQLITE_TRANSIENT);
		ret = mn_store_step_done(st, s, err, "merge duplicates");
		if (!ret && i == 0 && sqlite3_changes(st->db) == 0)
			ret = mn_err_set(err, MN_ENOTFOUND, "no raw observation '%s'", drop);
	}
	if (!ret) {
		s = mn_store_stmt(st, sql_del, err);
		if (!s)
			ret = MN_EIO;
		else {
			sqlite3_bind_text(s, 1, drop, -1, SQLITE_TRANSIENT);
			ret = mn_store_step_done(st, s, err, "drop the merged duplicate");
		}
	}
	if (!ret)
		ret = mn_store_commit(st, err);
	else
		mn_store_rollback(st);
	return ret;
}

/* ---- export ---- */

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *export_line(struct mn_store *st, const struct mn_browse_item *it,
			   struct mn_err *err)
{
	const struct mn_memory *m = &it->m;
	json_t *o = json_object(), *v = NULL;
	bool encoded = m->id[0] != '\0';
	const char *state = strcmp(it->raw_state, "claimed") ? it->raw_state : "queued";

	json_object_set_new(o, "format", json_string(EXPORT_FORMAT));
	json_object_set_new(o, "raw_id", json_string(m->raw_id));
	json_object_set_new(o, "memory_id", encoded ? json_string(m->id) : json_null());
	json_object_set_new(o, "text", json_string(it->text));
	json_object_set_new(o, "source", str_or_null(m->source));
	json_object_set_new(o, "type", str_or_null(m->type));
	json_object_set_new(o, "project", str_or_null(m->project));
	json_object_set_new(o, "session", str_or_null(it->session));
	json_object_set_new(o, "occurred_at", json_string(m->occurred_at[0] ? m->occurred_at
									 : it->pos.created_at));
	json_object_set_new(o, "created_at", json_string(it->pos.created_at));
	json_object_set_new(o, "repeat_count", json_integer(it->repeat_count));
	json_object_set_new(o, "last_seen_at",
			    it->last_seen_at[0] ? json_string(it->last_seen_at) : json_null());
	json_object_set_new(o, "state", json_string(state));
	if (!encoded) {
		json_object_set_new(o, "attempts",
				    json_integer(strcmp(state, "failed") ? 0 : it->attempts));
		json_object_set_new(o, "last_error", str_or_null(it->last_error));
	} else {
		json_t *out = m->encoding_json ? json_loads(m->encoding_json, 0, NULL) : NULL;

		json_object_set_new(o, "encoded_at", json_string(m->created_at));
		json_object_set_new(o, "encoding", json_deep_copy(m->encoding));
		/* the encoder's exact output (a string when it is not JSON),
		 * only where it differs from the encoding: after an amend */
		if (out && json_equal(out, m->encoding))
			json_decref(out);
		else
			json_object_set_new(o, "encoder_output",
					    out ? out : str_or_null(m->encoding_json));
		json_object_set_new(o, "encoder", str_or_null(m->encoder));
		json_object_set_new(o, "encoder_version", str_or_null(m->encoder_version));
		json_object_set_new(o, "fallback", json_boolean(m->fallback));
		json_object_set_new(o, "metrics",
				    json_pack("{s:f,s:f,s:f,s:b,s:b,s:b,s:f}", "epr", m->epr, "fr",
					      m->fr, "np", m->np, "sc", m->sc, "ted", m->ted,
					      "mig", m->mig, "confidence", m->confidence));
		json_object_set_new(o, "flags", json_deep_copy(m->flags));
		json_object_set_new(o, "salience", json_real(m->salience));
		json_object_set_new(o, "feedback_score", json_real(m->feedback_score));
		if (mn_store_browse_experience(st, &v, m->id, err))
			goto fail;
		json_object_set_new(o, "experience", v);
		if (mn_store_browse_feedback(st, &v, m->id, err))
			goto fail;
		json_object_set_new(o, "feedback", v);
	}
	if (mn_store_browse_history(st, &v, m->raw_id, err))
		goto fail;
	json_object_set_new(o, "history", v);
	return o;
fail:
	json_decref(o);
	return NULL;
}

int mn_store_browse_export(struct mn_store *st, const char *project, mn_browse_export_fn fn,
			   void *payload, struct mn_err *err)
{
	struct mn_browse_filter f = { .project = project, .oldest_first = true };
	struct mn_browse_pos pos = { "", 0 };
	bool own = false, more = true;
	int ret = 0;

	if (!mn_store_in_transaction(st)) {
		/* one snapshot: a memory encoded meanwhile is exported once */
		if (sqlite3_exec(st->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
			return mn_store_fail(st, err, "begin export");
		own = true;
	}
	while (more && !ret) {
		struct mn_browse_item *items = NULL;
		size_t n = 0;

		ret = mn_store_browse_list(st, &items, &n, &more, &f, &pos, 500, err);
		for (size_t i = 0; i < n && !ret; i++) {
			json_t *line = export_line(st, &items[i], err);

			if (!line) {
				ret = err->code ? err->code : MN_EIO;
				break;
			}
			ret = fn(payload, line);
			json_decref(line);
		}
		if (n)
			pos = items[n - 1].pos;
		mn_browse_items_free(items, n);
	}
	if (own)
		sqlite3_exec(st->db, ret ? "ROLLBACK" : "COMMIT", NULL, NULL, NULL);
	return ret;
}

/* ---- import ---- */

static const char *jstr(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static int bad(struct mn_err *err, const char *what)
{
	return mn_err_set(err, MN_EINVAL, "%s", what);
}

static int exec_bound(struct mn_store *st, sqlite3_stmt *s, struct mn_err *err,
		      const char *what)
{
	return mn_store_step_done(st, s, err, what);
}

static int import_memory(struct mn_store *st, const json_t *line, const char *raw_id,
			 struct mn_err *err)
{
	static const char *const sql_mem =
		"INSERT INTO memories(id, raw_id, encoding, base_salience, salience, feedback_score,"
		" encoder_output, encoder, encoder_version, fallback, epr, fr, sc, np, ted, mig,"
		" flags, confidence, created_at)"
		" VALUES (?1, ?2, ?3, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24,"
		" ?25, ?26, ?27, ?31)";
	static const char *const sql_buf =
		"INSERT INTO experience_buffer(id, memory_id, category, recall_score,"
		" recall_count, corrected_output, correction_source, corrected_epr, corrected_fr,"
		" corrected_sc, corrected_at, created_at, updated_at)"
		" VALUES (?1, ?2, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?23)";
	static const char *const sql_log =
		"INSERT OR IGNORE INTO recall_log(query_id, query, project, session, results,"
		" created_at) VALUES (?1, coalesce(?2, ''), ?3, ?4, '[]', ?5)";
	static const char *const sql_fb =
		"INSERT OR IGNORE INTO recall_feedback(query_id, memory_id, rating, session,"
		" created_at) VALUES (?1, ?2, ?3, ?4, ?5)";
	const char *mid = jstr(line, "memory_id");
	const json_t *enc = json_object_get(line, "encoding");
	const json_t *met = json_object_get(line, "metrics");
	const json_t *exp = json_object_get(line, "experience");
	const json_t *corr = json_object_get(exp, "correction");
	const json_t *out = json_object_get(line, "encoder_output");
	const json_t *fbs = json_object_get(line, "feedback");
	const char *at = jstr(line, "encoded_at") ? jstr(line, "encoded_at")
						  : jstr(line, "created_at");
	const char *category = jstr(exp, "category");
	char *out_text = NULL, *flags = NULL, *corr_text = NULL;
	char buf_id[37];
	sqlite3_stmt *s;
	bool fallback = json_is_true(json_object_get(line, "fallback"));
	int ret;

	if (!mid || strlen(mid) > 36)
		return bad(err, "memory_id must be a string of at most 36 characters");
	if (!json_is_object(enc))
		return bad(err, "an encoded line needs its encoding (an object)");
	out_text = json_is_string(out) ? mn_xstrdup(json_string_value(out))
				       : mn_json_dumps(out ? out : enc);
	flags = dumps_or(json_is_array(json_object_get(line, "flags"))
				 ? json_object_get(line, "flags")
				 : NULL,
			 "[]");
	s = mn_store_stmt(st, sql_mem, err);
	if (!s) {
		ret = MN_EIO;
		goto out;
	}
	sqlite3_bind_text(s, 1, mid, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 2, raw_id, -1, SQLITE_TRANSIENT);
	mn_store_bind_encoding(s, 16, 3, out_text, enc);
	sqlite3_bind_double(s, 13, mn_json_num(enc, "salience", 0.5));
	sqlite3_bind_double(s, 14, mn_json_num(line, "salience", mn_json_num(enc, "salience",
									      0.5)));
	sqlite3_bind_double(s, 15, mn_json_num(line, "feedback_score", 0));
	sqlite3_bind_text(s, 17, jstr(line, "encoder") ? jstr(line, "encoder") : "unknown", -1,
			  SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 18,
			  jstr(line, "encoder_version") ? jstr(line, "encoder_version")
							: "unknown",
			  -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(s, 19, fallback);
	sqlite3_bind_double(s, 20, mn_json_num(met, "epr", 0));
	sqlite3_bind_double(s, 21, mn_json_num(met, "fr", 0));
	sqlite3_bind_int(s, 22, json_is_true(json_object_get(met, "sc")));
	sqlite3_bind_double(s, 23, mn_json_num(met, "np", 0));
	sqlite3_bind_int(s, 24, json_is_true(json_object_get(met, "ted")));
	sqlite3_bind_int(s, 25, json_is_true(json_object_get(met, "mig")));
	sqlite3_bind_text(s, 26, flags, -1, SQLITE_TRANSIENT);
	sqlite3_bind_double(s, 27, mn_json_num(met, "confidence", 0));
	sqlite3_bind_text(s, 31, at, -1, SQLITE_TRANSIENT);
	ret = exec_bound(st, s, err, "import memory");
	if (ret) {
		if (sqlite3_extended_errcode(st->db) == SQLITE_CONSTRAINT_PRIMARYKEY ||
		    sqlite3_extended_errcode(st->db) == SQLITE_CONSTRAINT_UNIQUE)
			ret = mn_err_set(err, MN_EINVAL, "memory_id '%s' is already stored for "
					 "another observation", mid);
		goto out;
	}
	s = mn_store_stmt(st, sql_buf, err);
	if (!s) {
		ret = MN_EIO;
		goto out;
	}
	if (json_is_object(corr) && json_object_get(corr, "output"))
		corr_text = json_is_string(json_object_get(corr, "output"))
				    ? mn_xstrdup(jstr(corr, "output"))
				    : mn_json_dumps(json_object_get(corr, "output"));
	mn_text_uuid4(buf_id);
	sqlite3_bind_text(s, 1, buf_id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 2, mid, -1, SQLITE_TRANSIENT);
	if (!category || (strcmp(category, "gold") && strcmp(category, "needs_improvement") &&
			  strcmp(category, "ambiguous") && strcmp(category, "excluded")))
		category = fallback ? "excluded" : "ambiguous";
	sqlite3_bind_text(s, 14, category, -1, SQLITE_TRANSIENT);
	if (json_is_number(json_object_get(exp, "recall_score")))
		sqlite3_bind_double(s, 15, mn_json_num(exp, "recall_score", 0));
	sqlite3_bind_int64(s, 16, (int64_t)mn_json_num(exp, "recall_count", 0));
	mn_store_bind_text(s, 17, corr_text);
	if (corr_text) {
		mn_store_bind_text(s, 18, jstr(corr, "source"));
		if (json_is_number(json_object_get(corr, "epr")))
			sqlite3_bind_double(s, 19, mn_json_num(corr, "epr", 0));
		if (json_is_number(json_object_get(corr, "fr")))
			sqlite3_bind_double(s, 20, mn_json_num(corr, "fr", 0));
		if (json_is_number(json_object_get(corr, "sc")))
			sqlite3_bind_int(s, 21, (int)mn_json_num(corr, "sc", 0));
		mn_store_bind_text(s, 22, jstr(corr, "at"));
	}
	sqlite3_bind_text(s, 23, at, -1, SQLITE_TRANSIENT);
	ret = exec_bound(st, s, err, "import experience row");
	for (size_t i = 0; !ret && i < json_array_size(fbs); i++) {
		const json_t *f = json_array_get(fbs, i);
		const char *q = jstr(f, "query_id"), *rating = jstr(f, "rating");
		const char *fat = jstr(f, "created_at") ? jstr(f, "created_at") : at;

		if (!q || !rating || (strcmp(rating, "helpful") && strcmp(rating, "partial") &&
				      strcmp(rating, "irrelevant"))) {
			ret = mn_err_set(err, MN_EINVAL, "feedback item %zu needs a query_id and "
					 "a rating (helpful, partial or irrelevant)", i);
			break;
		}
		s = mn_store_stmt(st, sql_log, err);
		if (!s) {
			ret = MN_EIO;
			break;
		}
		sqlite3_bind_text(s, 1, q, -1, SQLITE_TRANSIENT);
		mn_store_bind_text(s, 2, jstr(f, "query"));
		mn_store_bind_text(s, 3, jstr(line, "project"));
		mn_store_bind_text(s, 4, jstr(f, "session"));
		sqlite3_bind_text(s, 5, fat, -1, SQLITE_TRANSIENT);
		ret = exec_bound(st, s, err, "import recall");
		if (ret)
			break;
		s = mn_store_stmt(st, sql_fb, err);
		if (!s) {
			ret = MN_EIO;
			break;
		}
		sqlite3_bind_text(s, 1, q, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(s, 2, mid, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(s, 3, rating, -1, SQLITE_TRANSIENT);
		mn_store_bind_text(s, 4, jstr(f, "session"));
		sqlite3_bind_text(s, 5, fat, -1, SQLITE_TRANSIENT);
		ret = exec_bound(st, s, err, "import rating");
	}
out:
	free(out_text);
	free(flags);
	free(corr_text);
	return ret;
}

static int import_history(struct mn_store *st, const json_t *line, const char *raw_id,
			  struct mn_err *err)
{
	static const char *const sql =
		"INSERT INTO memory_history(raw_id, kind, text, encoding, encoder_output, encoder,"
		" encoder_version, detail, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
	const json_t *hist = json_object_get(line, "history");
	int ret = 0;

	for (size_t i = 0; !ret && i < json_array_size(hist); i++) {
		const json_t *h = json_array_get(hist, i);
		const json_t *enc = json_object_get(h, "encoding"), *det = json_object_get(h, "detail");
		char *enc_s = json_is_object(enc) ? mn_json_dumps(enc) : NULL;
		char *det_s = det ? mn_json_dumps(det) : NULL;
		sqlite3_stmt *s;

		if (!jstr(h, "kind") || !jstr(h, "at")) {
			ret = mn_err_set(err, MN_EINVAL, "history item %zu needs kind and at", i);
		} else if (!(s = mn_store_stmt(st, sql, err))) {
			ret = MN_EIO;
		} else {
			sqlite3_bind_text(s, 1, raw_id, -1, SQLITE_TRANSIENT);
			sqlite3_bind_text(s, 2, jstr(h, "kind"), -1, SQLITE_TRANSIENT);
			mn_store_bind_text(s, 3, jstr(h, "text"));
			mn_store_bind_text(s, 4, enc_s);
			mn_store_bind_text(s, 5, jstr(h, "encoder_output"));
			mn_store_bind_text(s, 6, jstr(h, "encoder"));
			mn_store_bind_text(s, 7, jstr(h, "encoder_version"));
			mn_store_bind_text(s, 8, det_s);
			sqlite3_bind_text(s, 9, jstr(h, "at"), -1, SQLITE_TRANSIENT);
			ret = exec_bound(st, s, err, "import history");
		}
		free(enc_s);
		free(det_s);
	}
	return ret;
}

static bool raw_exists(struct mn_store *st, const char *id, int *ret, struct mn_err *err)
{
	static const char *const sql = "SELECT 1 FROM raw_memories WHERE id = ?1";
	sqlite3_stmt *s = mn_store_stmt(st, sql, err);
	int rc;

	if (!s) {
		*ret = MN_EIO;
		return false;
	}
	sqlite3_bind_text(s, 1, id, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		*ret = mn_store_fail(st, err, "look up raw id");
	return rc == SQLITE_ROW;
}

int mn_store_browse_import(struct mn_store *st, enum mn_import_result *out, const json_t *line,
			   struct mn_err *err)
{
	static const char *const sql_raw =
		"INSERT INTO raw_memories(id, content, source, type, project, session,"
		" state, attempts, last_error, created_at, updated_at,"
		" repeat_count, last_seen_at, occurred_at, dates, norm_hash)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?9, ?10, ?11, ?12, ?12, ?13, ?14, ?15,"
		" mn_date_keys(?2, ?15), ?8)";
	const char *raw_id = jstr(line, "raw_id"), *text = jstr(line, "text");
	const char *state = jstr(line, "state"), *created = jstr(line, "created_at");
	const char *occurred = jstr(line, "occurred_at");
	const json_t *rc_v = json_object_get(line, "repeat_count");
	int64_t repeat = json_is_integer(rc_v) ? json_integer_value(rc_v) : 1;
	bool encoded = json_is_string(json_object_get(line, "memory_id"));
	char same[37];
	sqlite3_stmt *s;
	int ret = 0;

	*out = MN_IMPORT_ADDED;
	if (!raw_id || !*raw_id || strlen(raw_id) > 36)
		return bad(err, "raw_id must be a non-empty string of at most 36 characters");
	if (!text || mn_text_is_blank(text, json_string_length(json_object_get(line, "text"))))
		return bad(err, "text must be a non-empty string");
	if (!created)
		return bad(err, "created_at must be a string (ISO-8601 UTC time)");
	if (!occurred)
		occurred = created;
	{
		static const char *const keys[] = { "created_at", "occurred_at", "last_seen_at",
						    "encoded_at" };
		int64_t t;

		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
			const json_t *v = json_object_get(line, keys[i]);

			if (v && !json_is_null(v) &&
			    (!json_is_string(v) || !mn_time_parse(&t, json_string_value(v))))
				return mn_err_set(err, MN_EINVAL, "%s must be an ISO-8601 time",
						  keys[i]);
		}
	}
	if (repeat < 1)
		return bad(err, "repeat_count must be an integer >= 1");
	if (!state)
		state = encoded ? "encoded" : "queued";
	if (strcmp(state, "queued") && strcmp(state, "encoded") && strcmp(state, "failed"))
		return bad(err, "state must be queued, encoded or failed");
	if (!strcmp(state, "encoded") != encoded)
		return bad(err, "state encoded and memory_id go together");
	if (raw_exists(st, raw_id, &ret, err)) {
		*out = MN_IMPORT_PRESENT;
		return 0;
	}
	if (ret)
		return ret;
	ret = find_same(st, same, text, json_string_length(json_object_get(line, "text")),
			jstr(line, "project"), err);
	if (ret)
		return ret;
	if (same[0]) {
		const char *seen = jstr(line, "last_seen_at") ? jstr(line, "last_seen_at") : created;

		*out = MN_IMPORT_DUPLICATE;
		return count_repeat(st, NULL, same, repeat, seen, err);
	}
	ret = mn_store_begin(st, err);
	if (ret)
		return ret;
	s = mn_store_stmt(st, sql_raw, err);
	if (!s) {
		ret = MN_EIO;
		goto out;
	}
	sqlite3_bind_text(s, 1, raw_id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 2, text, (int)json_string_length(json_object_get(line, "text")),
			  SQLITE_TRANSIENT);
	mn_store_bind_text(s, 3, jstr(line, "source"));
	mn_store_bind_text(s, 4, jstr(line, "type"));
	mn_store_bind_text(s, 5, jstr(line, "project"));
	mn_store_bind_text(s, 6, jstr(line, "session"));
	sqlite3_bind_int64(s, 8,
			   mn_store_norm_hash(text, json_string_length(json_object_get(line, "text"))));
	sqlite3_bind_text(s, 9, state, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 10, (int64_t)mn_json_num(line, "attempts", 0));
	mn_store_bind_text(s, 11, jstr(line, "last_error"));
	sqlite3_bind_text(s, 12, created, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 13, repeat);
	mn_store_bind_text(s, 14, jstr(line, "last_seen_at"));
	sqlite3_bind_text(s, 15, occurred, -1, SQLITE_TRANSIENT);
	ret = exec_bound(st, s, err, "import raw observation");
	if (!ret && encoded)
		ret = import_memory(st, line, raw_id, err);
	if (!ret)
		ret = import_history(st, line, raw_id, err);
out:
	if (!ret)
		ret = mn_store_commit(st, err);
	else
		mn_store_rollback(st);
	return ret;
}
