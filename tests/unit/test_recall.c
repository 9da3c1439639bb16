/* Unit tests for recall (store_recall.c) and the date finder (base/dates.c):
 * real SQLite files in a temp directory. */
#include "testutil.h"

#include <sqlite3.h>

#include "base/buf.h"
#include "base/dates.h"
#include "base/json.h"
#include "base/timeutil.h"
#include "store/store.h"
#include "store/store_internal.h"
#include "store/store_rank.h"
#include "store/store_schema.h"

struct fixture {
	char *dir;
	char *db;
	struct mn_store *st;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct mn_err err = MN_ERR_INIT;

	f->dir = tu_tmpdir();
	f->db = malloc(strlen(f->dir) + 16);
	sprintf(f->db, "%s/mnemo.db", f->dir);
	if (mn_store_open(&f->st, f->db, &err))
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	mn_store_close(f->st);
	free(f->db);
	tu_rmtree(f->dir);
	free(f);
	return 0;
}

/* ---- dates ---- */

static int64_t ms_of(const char *iso)
{
	int64_t t = 0;

	assert_true(mn_time_parse(&t, iso));
	return t;
}

/* The first date found in text, as its query key. */
static char *first_key(const char *text, const char *ref)
{
	struct mn_date d[MN_DATES_MAX];
	struct mn_buf b = MN_BUF_INIT;
	size_t n = mn_dates_find(d, MN_DATES_MAX, text, strlen(text), ms_of(ref));

	if (!n)
		return strdup("none");
	mn_dates_query_key(&b, &d[0]);
	return mn_buf_detach(&b, NULL);
}

static void expect_key(const char *text, const char *ref, const char *want)
{
	char *got = first_key(text, ref);

	if (strcmp(got, want))
		fail_msg("'%s' at %s: got %s, want %s", text, ref, got, want);
	free(got);
}

static void test_dates_absolute_and_relative(void **state)
{
	(void)state;
	/* 2025-10-29 is a Wednesday */
	expect_key("shipped on 2025-10-27 at noon", "2025-10-29", "d20251027");
	expect_key("Design review on 24 December: agreed", "2025-12-24", "md1224");
	expect_key("decisions from Dec 24", "2026-12-04", "md1224");
	expect_key("what was agreed on March 3, 2026", "2026-12-04", "d20260303");
	expect_key("the 5th of March 2024", "2026-12-04", "d20240305");
	expect_key("in the retro yesterday we agreed", "2026-03-04", "d20260303");
	expect_key("as we said two days ago", "2025-10-29", "d20251027");
	expect_key("a couple of days ago", "2025-10-29", "d20251027");
	expect_key("last Friday the cache died", "2025-10-29", "d20251024");
	expect_key("on Monday we paired", "2025-10-29", "d20251027");
	expect_key("next Tuesday", "2025-10-29", "d20251104");
	expect_key("in 3 days", "2025-10-29", "d20251101");
	expect_key("last week", "2025-10-29", "w2025w43");
	expect_key("a few weeks ago", "2025-10-29", "w2025w41");
	expect_key("next month", "2025-12-15", "m202601");
	expect_key("in March", "2026-01-10", "m202603");
	expect_key("last year", "2026-01-10", "y2025");
	/* not dates */
	expect_key("we may 3x the cache", "2026-01-10", "none");
	expect_key("version 2.4 of the march planner", "2026-01-10", "none");
	expect_key("the day after the outage", "2026-01-10", "none");
}

static void test_dates_offset_from_an_event(void **state)
{
	struct mn_date_offset o;
	const char *t1 = "what did we do the day after the search cluster outage?";
	const char *t2 = "the day after releasing 2.9, what did we fix";
	const char *t3 = "what did we write two days before the export worker outage";

	(void)state;
	assert_true(mn_dates_find_offset(&o, t1, strlen(t1)));
	assert_int_equal(o.days, 1);
	assert_int_equal(strncmp(t1 + o.start, "the day after", 13), 0);
	assert_int_equal((int)(o.anchor_end - o.anchor_start), (int)strlen("the search cluster outage"));
	assert_true(mn_dates_find_offset(&o, t2, strlen(t2)));
	assert_int_equal(strncmp(t2 + o.anchor_start, "releasing 2.9", o.anchor_end - o.anchor_start), 0);
	assert_true(mn_dates_find_offset(&o, t3, strlen(t3)));
	assert_int_equal(o.days, -2);
	assert_false(mn_dates_find_offset(&o, "after the outage", 16));
}

static void test_dates_index_keys_of_a_day(void **state)
{
	struct mn_date d;
	struct mn_buf b = MN_BUF_INIT;

	(void)state;
	mn_dates_day(&d, ms_of("2026-01-01T23:59:00Z"));
	mn_dates_index_keys(&b, &d);
	/* 2026-01-01 is in ISO week 1 of 2026 */
	assert_string_equal(mn_buf_str(&b), "d20260101 md0101 w2026w01 m202601 y2026 ");
	mn_buf_release(&b);
	mn_dates_day(&d, ms_of("2024-12-30"));
	mn_dates_index_keys(&b, &d);
	assert_non_null(strstr(mn_buf_str(&b), "w2025w01"));
	mn_buf_release(&b);
}

/* ---- recall ---- */

static void put_raw_at(struct mn_store *st, char id[37], const char *text, const char *project,
		       const char *time)
{
	struct mn_raw r;
	struct mn_err err = MN_ERR_INIT;

	memset(&r, 0, sizeof(r));
	r.content = (char *)text;
	r.content_len = strlen(text);
	r.source = "test";
	r.project = (char *)project;
	if (time)
		mn_time_format(r.occurred_at, ms_of(time));
	assert_int_equal(mn_store_put_raw(st, &r, &err), 0);
	strcpy(id, r.id);
}

/* Encode a raw row with gist = text, concept = concept. */
static void encode(struct mn_store *st, const char *raw_id, const char *gist, const char *concept)
{
	struct mn_memory m;
	struct mn_err err = MN_ERR_INIT;
	json_t *enc = json_pack("{s:s,s:s,s:s,s:s,s:[s],s:{s:[{s:s,s:s}],s:[],s:[],s:[]},s:s,"
				"s:s,s:s,s:f}",
				"gist", gist, "summary", gist, "content", gist, "narrative", "",
				"concepts", concept, "structured_concepts", "topics", "label",
				concept, "path", concept, "entities", "actions", "causality",
				"significance", "notable", "emotional_tone", "neutral", "outcome",
				"success", "salience", 0.5);

	memset(&m, 0, sizeof(m));
	snprintf(m.raw_id, sizeof(m.raw_id), "%s", raw_id);
	m.encoding = enc;
	m.encoding_json = mn_json_dumps(enc);
	m.encoder = "builtin";
	m.encoder_version = "default";
	m.sc = true;
	m.salience = 0.5;
	m.flags = json_array();
	assert_int_equal(mn_store_put_memory(st, &m, "gold", NULL, &err), 0);
	free(m.encoding_json);
	json_decref(enc);
	json_decref(m.flags);
}

static void recall(struct mn_store *st, struct mn_recall_result *r, const char *q,
		   const char *project)
{
	struct mn_recall_opts o = { .query = q, .limit = 10, .project = project };
	struct mn_err err = MN_ERR_INIT;

	assert_int_equal(mn_store_recall(st, r, &o, &err), 0);
}

static void assert_index_intact(struct mn_store *st)
{
	char *msg = NULL;
	int rc = sqlite3_exec(st->db,
			      "INSERT INTO recall_fts(recall_fts, rank) VALUES ('integrity-check', 1)",
			      NULL, NULL, &msg);

	if (rc != SQLITE_OK)
		fail_msg("recall index: %s", msg ? msg : "?");
}

static void test_inflections_and_function_words(void **state)
{
	struct fixture *f = *state;
	struct mn_recall_result r;
	char a[37], b[37];

	put_raw_at(f->st, a, "Migrated the billing host to the new rack", NULL, NULL);
	put_raw_at(f->st, b, "What did you do with the the the the rack?", NULL, NULL);
	recall(f->st, &r, "which hosts did we migrate", NULL);
	assert_true(r.n >= 1);
	assert_string_equal(r.items[0].raw_id, a);
	/* scores are a share of the query: between 0 and 1 */
	assert_true(r.items[0].score > 0.3 && r.items[0].score < 1.2);
	mn_recall_result_release(&r);
}

static void test_more_of_the_query_ranks_first(void **state)
{
	struct fixture *f = *state;
	struct mn_recall_result r;
	char a[37], b[37], c[37];

	put_raw_at(f->st, a, "redis redis redis redis cache", NULL, NULL);
	put_raw_at(f->st, b, "the redis eviction policy was changed to allkeys-lru", NULL, NULL);
	put_raw_at(f->st, c, "postgres vacuum settings", NULL, NULL);
	recall(f->st, &r, "redis eviction policy", NULL);
	assert_int_equal(r.n, 2);
	assert_string_equal(r.items[0].raw_id, b);
	assert_true(r.items[0].score > r.items[1].score);
	mn_recall_result_release(&r);
}

static void test_synonyms_and_irregular_forms(void **state)
{
	struct fixture *f = *state;
	struct mn_recall_result r;
	char a[37], b[37];

	put_raw_at(f->st, a, "We chose SQLite WAL as the database engine for the store", NULL, NULL);
	put_raw_at(f->st, b, "Lunch order: pizza for the team", NULL, NULL);
	recall(f->st, &r, "which db did we pick", NULL);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.items[0].raw_id, a);
	assert_non_null(r.items[0].explain);
	mn_recall_result_release(&r);
}

static void test_raw_and_encoded_share_one_ranking(void **state)
{
	struct fixture *f = *state;
	struct mn_recall_result r;
	char a[37], b[37];
	double raw_score;

	put_raw_at(f->st, a, "the deploy pipeline timed out on the arm runners", NULL, NULL);
	recall(f->st, &r, "deploy pipeline timeout", NULL);
	assert_int_equal(r.n, 1);
	assert_null(r.items[0].id[0] ? r.items[0].id : NULL);
	raw_score = r.items[0].score;
	mn_recall_result_release(&r);
	encode(f->st, a, "deploy pipeline timed out on arm runners", "ci");
	put_raw_at(f->st, b, "unrelated note about lunch", NULL, NULL);
	recall(f->st, &r, "deploy pipeline timeout", NULL);
	assert_int_equal(r.n, 1);
	assert_true(r.items[0].id[0]);
	/* the encoding adds evidence, on the same scale */
	assert_true(r.items[0].score >= raw_score && r.items[0].score < raw_score * 2.0);
	mn_recall_result_release(&r);
	assert_index_intact(f->st);
}

static void test_filters_select_inside_the_search(void **state)
{
	struct fixture *f = *state;
	struct mn_recall_result r;
	char id[37], want[37];
	char text[128];

	/* 300 strong matches in other projects, one weak one in ours */
	for (int i = 0; i < 300; i++) {
		snprintf(text, sizeof(text), "retry budget retry budget set to %d in service %d", i,
			 i);
		put_raw_at(f->st, id, text, "other", NULL);
	}
	put_raw_at(f->st, want, "we talked about a retry", "ours", NULL);
	recall(f->st, &r, "retry budget", "ours");
	assert_int_equal(r.n, 1);
	assert_string_equal(r.items[0].raw_id, want);
	mn_recall_result_release(&r);
}

static void test_event_time_dates_and_time_filters(void **state)
{
	struct fixture *f = *state;
	struct mn_recall_result r;
	struct mn_recall_opts o = { .limit = 10 };
	struct mn_err err = MN_ERR_INIT;
	char a[37], b[37], c[37];

	put_raw_at(f->st, a, "Reminder: in the retro yesterday we agreed to charge for exports",
		   NULL, "2026-03-04T11:00:00Z");
	put_raw_at(f->st, b, "Weekly sync: agreed to ship dark mode", NULL, "2026-02-11T10:00:00Z");
	put_raw_at(f->st, c, "Nothing agreed today", NULL, "2026-05-01T10:00:00Z");
	recall(f->st, &r, "what was agreed on March 3", NULL);
	assert_true(r.n >= 1);
	assert_string_equal(r.items[0].raw_id, a);
	assert_string_equal(r.items[0].occurred_at, "2026-03-04T11:00:00.000Z");
	mn_recall_result_release(&r);
	recall(f->st, &r, "decisions from 11 February", NULL);
	assert_true(r.n >= 1);
	assert_string_equal(r.items[0].raw_id, b);
	mn_recall_result_release(&r);
	o.query = "agreed";
	o.since = "2026-02-12T00:00:00.000Z";
	o.until = "2026-04-01T00:00:00.000Z";
	assert_int_equal(mn_store_recall(f->st, &r, &o, &err), 0);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.items[0].raw_id, a);
	mn_recall_result_release(&r);
}

static void test_forget_and_reencode_keep_the_index_intact(void **state)
{
	struct fixture *f = *state;
	struct mn_recall_result r;
	struct mn_err err = MN_ERR_INIT;
	char a[37], b[37];

	put_raw_at(f->st, a, "kafka consumer lag alert fired", NULL, NULL);
	put_raw_at(f->st, b, "kafka partitions raised to 64", NULL, NULL);
	encode(f->st, a, "kafka consumer lag alert", "monitoring");
	encode(f->st, b, "kafka partitions raised", "kafka");
	assert_int_equal(mn_store_forget(f->st, a, &err), 0);
	assert_index_intact(f->st);
	/* a raw row deleted directly: its memory goes by the cascade */
	assert_int_equal(sqlite3_exec(f->st->db, "DELETE FROM raw_memories", NULL, NULL, NULL),
			 SQLITE_OK);
	assert_index_intact(f->st);
	recall(f->st, &r, "kafka", NULL);
	assert_int_equal(r.n, 0);
	mn_recall_result_release(&r);
}

/* Feedback breaks a near-tie: of two memories that match alike, the one
 * rated helpful comes first; it cannot lift a memory that matches far
 * less of the query above one that matches it all. */
static void test_helpful_feedback_lifts_a_near_tie(void **state)
{
	struct fixture *f = *state;
	struct mn_recall_result r;
	struct mn_err err = MN_ERR_INIT;
	char a[37], b[37], c[37], ida[37], idb[37];
	const char *ids[1];
	size_t n = 0;

	put_raw_at(f->st, a, "the canary deploy of the ingest service paused at ten percent",
		   NULL, NULL);
	put_raw_at(f->st, b, "the canary deploy of the billing service paused at ten percent",
		   NULL, NULL);
	put_raw_at(f->st, c, "canary", NULL, NULL);
	encode(f->st, a, "canary deploy of ingest paused", "deploy");
	encode(f->st, b, "canary deploy of billing paused", "deploy");
	recall(f->st, &r, "canary deploy paused service", NULL);
	assert_true(r.n >= 2);
	snprintf(ida, sizeof(ida), "%s", r.items[0].raw_id);
	snprintf(idb, sizeof(idb), "%s", r.items[1].id);
	ids[0] = idb;
	assert_int_equal(mn_store_feedback(f->st, &n, r.query_id, "helpful", ids, 1, NULL, &err),
			 0);
	mn_recall_result_release(&r);
	recall(f->st, &r, "canary deploy paused service", NULL);
	assert_string_equal(r.items[0].id, idb);
	assert_string_not_equal(r.items[0].raw_id, ida);
	/* the one-word memory stays under both */
	assert_string_equal(r.items[r.n - 1].raw_id, c);
	mn_recall_result_release(&r);
}

/* On a large store the common words only score what the rarer words
 * select, and a query of common words ranks the recent window: an old
 * memory with a rare word is still found, with every term it matched. */
static void test_large_store_common_words(void **state)
{
	struct fixture *f = *state;
	struct mn_recall_result r;
	struct mn_err err = MN_ERR_INIT;
	char old_id[37], id[37], text[96];

	put_raw_at(f->st, old_id, "the nightly build broke on the zebrafish runner", NULL, NULL);
	assert_int_equal(mn_store_begin(f->st, &err), 0);
	for (int i = 0; i < 21000; i++) {
		snprintf(text, sizeof(text), "nightly build %d passed on runner %d", i, i % 7);
		put_raw_at(f->st, id, text, NULL, NULL);
	}
	assert_int_equal(mn_store_commit(f->st, &err), 0);
	recall(f->st, &r, "nightly build zebrafish", NULL);
	assert_true(r.n >= 1);
	assert_string_equal(r.items[0].raw_id, old_id);
	assert_int_equal(json_array_size(json_object_get(r.items[0].explain, "matched")), 3);
	mn_recall_result_release(&r);
	recall(f->st, &r, "nightly build", NULL);
	assert_int_equal(r.n, 10);
	mn_recall_result_release(&r);
}

/* A store made by the first schema is migrated in place: its memories are
 * found by the new index, with their dates. */
static void test_migration_rebuilds_the_index(void **state)
{
	char *dir = tu_tmpdir(), path[512];
	sqlite3 *db;
	struct mn_store *st;
	struct mn_recall_result r;
	struct mn_err err = MN_ERR_INIT;

	(void)state;
	snprintf(path, sizeof(path), "%s/old.db", dir);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	for (const char *const *q = mn_store_migrations[0]; *q; q++)
		assert_int_equal(sqlite3_exec(db, *q, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
		"INSERT INTO raw_memories(id, content, content_hash, state, created_at, updated_at)"
		" VALUES ('r1', 'Hosting moved to the Frankfurt region yesterday', 'h', 'queued',"
		" '2025-10-29T10:00:00.000Z', '2025-10-29T10:00:00.000Z');"
		"PRAGMA user_version = 1;", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(mn_store_open(&st, path, &err), 0);
	recall(st, &r, "host frankfurt", NULL);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.items[0].raw_id, "r1");
	mn_recall_result_release(&r);
	recall(st, &r, "what moved on 2025-10-28", NULL);
	assert_int_equal(r.n, 1);
	mn_recall_result_release(&r);
	assert_index_intact(st);
	mn_store_close(st);
	tu_rmtree(dir);
}

/* ---- the learned ranker's features and examples (docs/ranker.md) ---- */

static void test_features_logged_and_rated_recalls_become_examples(void **state)
{
	struct fixture *f = *state;
	struct mn_recall_result r;
	struct mn_err err = MN_ERR_INIT;
	char a[37], b[37], c[37], rated[37];
	const char *ids[1];
	json_t *ex = NULL, *items;
	sqlite3_stmt *s;
	size_t n = 0;

	put_raw_at(f->st, a, "the redis eviction policy was changed to allkeys-lru", NULL, NULL);
	put_raw_at(f->st, b, "redis cache hit rate dropped after the deploy", NULL, NULL);
	put_raw_at(f->st, c, "postgres vacuum settings", NULL, NULL);
	encode(f->st, a, "redis eviction policy changed", "redis");
	assert_int_equal(sqlite3_exec(f->st->db, "UPDATE raw_memories SET type = 'Decision'"
				      " WHERE content LIKE 'the redis eviction%'", NULL, NULL, NULL),
			 SQLITE_OK);
	recall(f->st, &r, "redis eviction policy", NULL);
	assert_int_equal(r.n, 2);
	/* the type's indicator, whatever its case; none for an untyped memory */
	assert_float_equal(r.items[0].rank_features[MN_RANK_TYPE_DECISION], 1, 0);
	assert_float_equal(r.items[0].rank_features[MN_RANK_TYPE_NOTE], 0, 0);
	assert_float_equal(r.items[1].rank_features[MN_RANK_TYPE_DECISION], 0, 0);
	for (size_t i = 0; i < r.n; i++) {
		const float *x = r.items[i].rank_features;

		assert_true(r.items[i].has_rank_features);
		/* no ranker given: the order is the hand-tuned base score */
		assert_float_equal(x[MN_RANK_BASE], r.items[i].score, 1e-6);
		assert_true(x[MN_RANK_COVERAGE] > 0 && x[MN_RANK_COVERAGE] <= 1.0001f);
		assert_true(x[MN_RANK_CONTENT] > 0);
	}
	/* the encoded memory matched in its gist too and is encoded */
	assert_string_equal(r.items[0].raw_id, a);
	assert_true(r.items[0].rank_features[MN_RANK_GIST] > 0);
	assert_float_equal(r.items[0].rank_features[MN_RANK_ENCODED], 1, 0);
	assert_float_equal(r.items[1].rank_features[MN_RANK_ENCODED], 0, 0);
	assert_float_equal(r.items[1].rank_features[MN_RANK_GIST], 0, 0);
	/* every query word matched the first one, fewer the second */
	assert_true(r.items[0].rank_features[MN_RANK_COVERAGE] >
		    r.items[1].rank_features[MN_RANK_COVERAGE]);
	snprintf(rated, sizeof(rated), "%s", r.items[0].id);
	ids[0] = rated;
	assert_int_equal(mn_store_feedback(f->st, &n, r.query_id, "helpful", ids, 1, NULL, &err),
			 0);

	/* the log says which ranker ordered it and carries the features */
	s = mn_store_stmt(f->st, "SELECT ranker, results FROM recall_log WHERE query_id = ?1",
			  &err);
	assert_non_null(s);
	sqlite3_bind_text(s, 1, r.query_id, -1, SQLITE_TRANSIENT);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(s, 0), "hand");
	assert_non_null(strstr((const char *)sqlite3_column_text(s, 1), "\"features\":["));
	sqlite3_reset(s);

	assert_int_equal(mn_store_rank_examples(f->st, &ex, NULL, 50, &err), 0);
	assert_int_equal(json_array_size(ex), 1);
	assert_string_equal(mn_json_str(json_array_get(ex, 0), "query_id", ""), r.query_id);
	assert_string_equal(mn_json_str(json_array_get(ex, 0), "split", ""),
			    mn_rank_is_holdout("redis eviction policy", 50) ? "holdout" : "train");
	items = json_object_get(json_array_get(ex, 0), "items");
	assert_int_equal(json_array_size(items), 2);
	assert_string_equal(mn_json_str(json_array_get(items, 0), "rating", ""), "helpful");
	assert_true(json_is_null(json_object_get(json_array_get(items, 1), "rating")));
	assert_int_equal(json_array_size(json_object_get(json_array_get(items, 0), "features")),
			 MN_RANK_NF);
	json_decref(ex);
	/* ratings after a time: none after now */
	assert_int_equal(mn_store_rank_examples(f->st, &ex, "9999-01-01T00:00:00.000Z", 50, &err),
			 0);
	assert_int_equal(json_array_size(ex), 0);
	json_decref(ex);
	mn_recall_result_release(&r);
}

/* A ranker that prefers what the hand-tuned score puts last. */
static double prefer_unencoded(void *ctx, const float *x)
{
	(*(int *)ctx)++;
	return x[MN_RANK_BASE] - 10.0 * x[MN_RANK_ENCODED];
}

static void test_a_ranker_orders_the_results_and_is_logged(void **state)
{
	struct fixture *f = *state;
	struct mn_recall_result r;
	struct mn_err err = MN_ERR_INIT;
	char a[37], b[37];
	int calls = 0;
	struct mn_recall_opts o = { .query = "redis eviction policy", .limit = 10,
				    .rank_fn = prefer_unencoded, .rank_ctx = &calls,
				    .ranker_version = "v0007" };
	sqlite3_stmt *s;

	put_raw_at(f->st, a, "the redis eviction policy was changed to allkeys-lru", NULL, NULL);
	put_raw_at(f->st, b, "redis cache hit rate dropped after the deploy", NULL, NULL);
	encode(f->st, a, "redis eviction policy changed", "redis");
	assert_int_equal(mn_store_recall(f->st, &r, &o, &err), 0);
	assert_int_equal(r.n, 2);
	assert_true(calls >= 2);
	assert_string_equal(r.items[0].raw_id, b);
	assert_true(r.items[0].score > r.items[1].score);
	s = mn_store_stmt(f->st, "SELECT ranker FROM recall_log WHERE query_id = ?1", &err);
	assert_non_null(s);
	sqlite3_bind_text(s, 1, r.query_id, -1, SQLITE_TRANSIENT);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(s, 0), "v0007");
	sqlite3_reset(s);
	mn_recall_result_release(&r);
}

static void test_split_is_stable_under_case_and_spacing(void **state)
{
	(void)state;
	assert_int_equal(mn_rank_split_hash("Which DB  did we pick?"),
			 mn_rank_split_hash("  which db did\twe PICK?"));
	assert_int_not_equal(mn_rank_split_hash("which db did we pick"),
			     mn_rank_split_hash("which db did we choose"));
	assert_false(mn_rank_is_holdout("anything", 0));
	assert_true(mn_rank_is_holdout("anything", 100));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dates_absolute_and_relative),
		cmocka_unit_test(test_dates_offset_from_an_event),
		cmocka_unit_test(test_dates_index_keys_of_a_day),
		cmocka_unit_test_setup_teardown(test_inflections_and_function_words, setup, teardown),
		cmocka_unit_test_setup_teardown(test_more_of_the_query_ranks_first, setup, teardown),
		cmocka_unit_test_setup_teardown(test_synonyms_and_irregular_forms, setup, teardown),
		cmocka_unit_test_setup_teardown(test_raw_and_encoded_share_one_ranking, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_filters_select_inside_the_search, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_event_time_dates_and_time_filters, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_forget_and_reencode_keep_the_index_intact, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_helpful_feedback_lifts_a_near_tie, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_large_store_common_words, setup, teardown),
		cmocka_unit_test(test_migration_rebuilds_the_index),
		cmocka_unit_test_setup_teardown(test_features_logged_and_rated_recalls_become_examples,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_ranker_orders_the_results_and_is_logged, setup,
						teardown),
		cmocka_unit_test(test_split_is_stable_under_case_and_spacing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
