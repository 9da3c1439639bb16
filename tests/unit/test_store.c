/* Unit tests for the SQLite store: real SQLite files in a temp directory. */
#include "testutil.h"

#include <sqlite3.h>
#include <sys/stat.h>

#include "base/json.h"
#include "base/timeutil.h"
#include "store/store.h"
#include "store/store_learn.h"
/* for the connection: tests step in between a recall's statements */
#include "store/store_internal.h"

#define MN_STR_(x) #x
#define MN_STR(x) MN_STR_(x)

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
	unsetenv("MNEMO_FAKE_NOW");
	return 0;
}

static void put_raw(struct mn_store *st, struct mn_raw *r, const char *text)
{
	struct mn_err err = MN_ERR_INIT;

	memset(r, 0, sizeof(*r));
	r->content = (char *)text;
	r->content_len = strlen(text);
	r->source = "test";
	assert_int_equal(mn_store_put_raw(st, r, &err), 0);
}

static void put_memory(struct mn_store *st, const char *raw_id, const char *text, char *id_out)
{
	struct mn_memory m;
	struct mn_err err = MN_ERR_INIT;
	json_t *enc = json_pack("{s:s,s:s,s:s,s:s,s:[s],s:{s:[],s:[],s:[],s:[]},s:s,s:s,s:s,s:f}",
				"gist", text, "summary", text, "content", text, "narrative", "",
				"concepts", "store", "structured_concepts", "topics", "entities",
				"actions", "causality", "significance", "notable",
				"emotional_tone", "neutral", "outcome", "success", "salience", 0.5);

	memset(&m, 0, sizeof(m));
	snprintf(m.raw_id, sizeof(m.raw_id), "%s", raw_id);
	m.encoding = enc;
	m.encoding_json = mn_json_dumps(enc);
	m.encoder = "builtin";
	m.encoder_version = "default";
	m.epr = 1.0;
	m.sc = true;
	m.salience = 0.5;
	m.confidence = 0.9;
	m.flags = json_array();
	assert_int_equal(mn_store_put_memory(st, &m, "gold", NULL, &err), 0);
	strcpy(id_out, m.id);
	free(m.encoding_json);
	json_decref(m.flags);
	json_decref(enc);
}

static void test_open_creates_private_wal_database(void **state)
{
	struct fixture *f = *state;
	struct stat sb;
	sqlite3 *db;
	sqlite3_stmt *s;

	assert_int_equal(stat(f->db, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(mn_store_schema_version(f->st), MN_STORE_SCHEMA_VERSION);
	assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(s, 0), "wal");
	sqlite3_finalize(s);
	sqlite3_close(db);
}

/* A database put straight into a shared directory (/tmp) leaves the
 * directory's mode alone. */
static void test_shared_directory_keeps_its_mode(void **state)
{
	struct fixture *f = *state;
	struct mn_store *st = NULL;
	struct mn_err err = MN_ERR_INIT;
	char dir[600], db[640];
	struct stat sb;

	snprintf(dir, sizeof(dir), "%s/shared", f->dir);
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(chmod(dir, 01777), 0);
	snprintf(db, sizeof(db), "%s/x.db", dir);
	assert_int_equal(mn_store_open(&st, db, &err), 0);
	mn_store_close(st);
	assert_int_equal(stat(dir, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 01777);
}

static void test_newer_database_is_refused(void **state)
{
	struct fixture *f = *state;
	struct mn_store *st2 = NULL;
	struct mn_err err = MN_ERR_INIT;
	sqlite3 *db;

	mn_store_close(f->st);
	f->st = NULL;
	assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 999", NULL, NULL, NULL), 0);
	sqlite3_close(db);
	assert_int_equal(mn_store_open(&st2, f->db, &err), MN_EVERSION);
	assert_non_null(strstr(err.msg, "newer"));
	assert_null(st2);
	/* put it back so teardown can close something */
	assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
	sqlite3_exec(db, "PRAGMA user_version = " MN_STR(MN_STORE_SCHEMA_VERSION), NULL, NULL, NULL);
	sqlite3_close(db);
	assert_int_equal(mn_store_open(&f->st, f->db, &err), 0);
}

static void test_reopen_keeps_data_and_version(void **state)
{
	struct fixture *f = *state;
	struct mn_raw r, got;
	struct mn_err err = MN_ERR_INIT;

	put_raw(f->st, &r, "persist me");
	mn_store_close(f->st);
	assert_int_equal(mn_store_open(&f->st, f->db, &err), 0);
	assert_int_equal(mn_store_get_raw(f->st, &got, r.id, &err), 0);
	assert_string_equal(got.content, "persist me");
	assert_string_equal(got.state, "queued");
	mn_raw_release(&got);
}

static void test_claim_takes_oldest_and_sets_lease(void **state)
{
	struct fixture *f = *state;
	struct mn_raw a, b, c;
	struct mn_err err = MN_ERR_INIT;

	setenv("MNEMO_FAKE_NOW", "2026-01-01T00:00:00.000Z", 1);
	put_raw(f->st, &a, "first");
	setenv("MNEMO_FAKE_NOW", "2026-01-01T00:00:01.000Z", 1);
	put_raw(f->st, &b, "second");
	assert_int_equal(mn_store_claim_raw(f->st, &c, "w1", 60000, &err), 0);
	assert_string_equal(c.id, a.id);
	assert_string_equal(c.state, "claimed");
	assert_int_equal(c.attempts, 1);
	mn_raw_release(&c);
	assert_int_equal(mn_store_claim_raw(f->st, &c, "w1", 60000, &err), 0);
	assert_string_equal(c.id, b.id);
	mn_raw_release(&c);
	assert_int_equal(mn_store_claim_raw(f->st, &c, "w1", 60000, &err), MN_ENOTFOUND);
}

static void test_expired_lease_returns_to_queue(void **state)
{
	struct fixture *f = *state;
	struct mn_raw a, c;
	struct mn_err err = MN_ERR_INIT;

	setenv("MNEMO_FAKE_NOW", "2026-01-01T00:00:00.000Z", 1);
	put_raw(f->st, &a, "crashy");
	assert_int_equal(mn_store_claim_raw(f->st, &c, "dead-worker", 1000, &err), 0);
	mn_raw_release(&c);
	/* not expired yet: nothing to claim, nothing to recover */
	assert_int_equal(mn_store_claim_raw(f->st, &c, "w2", 1000, &err), MN_ENOTFOUND);
	assert_int_equal(mn_store_recover_leases(f->st, &err), 0);
	setenv("MNEMO_FAKE_NOW", "2026-01-01T00:00:05.000Z", 1);
	assert_int_equal(mn_store_recover_leases(f->st, &err), 1);
	assert_int_equal(mn_store_claim_raw(f->st, &c, "w2", 1000, &err), 0);
	assert_string_equal(c.id, a.id);
	assert_int_equal(c.attempts, 2);
	mn_raw_release(&c);
}

static void test_failures_mark_failed_after_max_attempts(void **state)
{
	struct fixture *f = *state;
	struct mn_raw a, c, got;
	struct mn_err err = MN_ERR_INIT;

	put_raw(f->st, &a, "always fails");
	for (int i = 0; i < 3; i++) {
		assert_int_equal(mn_store_claim_raw(f->st, &c, "w", 60000, &err), 0);
		assert_int_equal(mn_store_fail_raw(f->st, c.id, "model exploded", 3, NULL, &err), 0);
		mn_raw_release(&c);
	}
	assert_int_equal(mn_store_get_raw(f->st, &got, a.id, &err), 0);
	assert_string_equal(got.state, "failed");
	assert_int_equal(got.attempts, 3);
	assert_string_equal(got.last_error, "model exploded");
	mn_raw_release(&got);
	assert_int_equal(mn_store_claim_raw(f->st, &c, "w", 60000, &err), MN_ENOTFOUND);
}

static void test_failed_raw_is_found_by_its_text(void **state)
{
	struct fixture *f = *state;
	struct mn_raw a, c;
	struct mn_recall_result r;
	struct mn_recall_opts o = { .query = "zebrafish", .limit = 5 };
	struct mn_err err = MN_ERR_INIT;

	put_raw(f->st, &a, "the zebrafish experiment failed to encode");
	assert_int_equal(mn_store_claim_raw(f->st, &c, "w", 60000, &err), 0);
	assert_int_equal(mn_store_fail_raw(f->st, c.id, "boom", 1, NULL, &err), 0);
	mn_raw_release(&c);
	assert_int_equal(mn_store_recall(f->st, &r, &o, &err), 0);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.items[0].raw_id, a.id);
	assert_string_equal(r.items[0].state, "failed");
	mn_recall_result_release(&r);
}

static void test_memory_roundtrip_and_recall(void **state)
{
	struct fixture *f = *state;
	struct mn_raw a, c;
	struct mn_memory got;
	struct mn_recall_result r;
	struct mn_recall_opts o = { .query = "store", .limit = 5 };
	struct mn_err err = MN_ERR_INIT;
	char id[37];

	put_raw(f->st, &a, "chose SQLite WAL for the store");
	assert_int_equal(mn_store_claim_raw(f->st, &c, "w", 60000, &err), 0);
	mn_raw_release(&c);
	put_memory(f->st, a.id, "chose SQLite WAL for the store", id);
	assert_int_equal(mn_store_get_memory(f->st, &got, id, &err), 0);
	assert_string_equal(mn_json_str(got.encoding, "gist", ""), "chose SQLite WAL for the store");
	assert_string_equal(got.encoder_version, "default");
	mn_memory_release(&got);
	assert_int_equal(mn_store_recall(f->st, &r, &o, &err), 0);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.items[0].id, id);
	assert_true(r.items[0].score > 0);
	mn_recall_result_release(&r);
}

static void test_recall_query_punctuation_is_not_fts_syntax(void **state)
{
	struct fixture *f = *state;
	struct mn_recall_result r;
	struct mn_recall_opts o = { .query = "\"unbalanced AND (OR* NEAR", .limit = 5 };
	struct mn_err err = MN_ERR_INIT;

	assert_int_equal(mn_store_recall(f->st, &r, &o, &err), 0);
	assert_int_equal(r.n, 0);
	mn_recall_result_release(&r);
}

static void test_feedback_later_rating_replaces_earlier(void **state)
{
	struct fixture *f = *state;
	struct mn_raw a, c;
	struct mn_recall_result r;
	struct mn_recall_opts o = { .query = "store", .limit = 5 };
	struct mn_exp_row *rows = NULL;
	struct mn_memory got;
	struct mn_err err = MN_ERR_INIT;
	size_t n = 0, rated = 0;
	char id[37];

	put_raw(f->st, &a, "store text");
	assert_int_equal(mn_store_claim_raw(f->st, &c, "w", 60000, &err), 0);
	mn_raw_release(&c);
	put_memory(f->st, a.id, "store text", id);
	assert_int_equal(mn_store_recall(f->st, &r, &o, &err), 0);
	assert_int_equal(mn_store_feedback(f->st, &rated, r.query_id, "irrelevant", NULL, 0, NULL,
					   &err), 0);
	assert_int_equal(rated, 1);
	assert_int_equal(mn_store_feedback(f->st, &rated, r.query_id, "helpful", NULL, 0, NULL,
					   &err), 0);
	assert_int_equal(mn_store_exp_list(f->st, &rows, &n, NULL, 0, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(rows[0].recall_count, 1);
	assert_true(rows[0].recall_score > 0.99);
	mn_exp_rows_free(rows, n);
	assert_int_equal(mn_store_get_memory(f->st, &got, id, &err), 0);
	assert_true(got.feedback_score > 0.99);
	assert_true(got.salience > 0.5);
	mn_memory_release(&got);
	assert_int_equal(mn_store_feedback(f->st, &rated, r.query_id, "great", NULL, 0, NULL, &err),
			 MN_EINVAL);
	assert_int_equal(mn_store_feedback(f->st, &rated, "no-such-query", "helpful", NULL, 0, NULL,
					   &err), MN_ENOTFOUND);
	mn_recall_result_release(&r);
}

static void test_forget_cascades(void **state)
{
	struct fixture *f = *state;
	struct mn_raw a, c;
	struct mn_recall_result r;
	struct mn_recall_opts o = { .query = "cascade", .limit = 5 };
	struct mn_exp_row *rows = NULL;
	struct mn_memory got;
	struct mn_err err = MN_ERR_INIT;
	size_t n = 0, rated = 0;
	char id[37];

	put_raw(f->st, &a, "cascade test");
	assert_int_equal(mn_store_claim_raw(f->st, &c, "w", 60000, &err), 0);
	mn_raw_release(&c);
	put_memory(f->st, a.id, "cascade test", id);
	assert_int_equal(mn_store_recall(f->st, &r, &o, &err), 0);
	assert_int_equal(mn_store_feedback(f->st, &rated, r.query_id, "helpful", NULL, 0, NULL,
					   &err), 0);
	mn_recall_result_release(&r);
	assert_int_equal(mn_store_forget(f->st, id, &err), 0);
	assert_int_equal(mn_store_get_memory(f->st, &got, id, &err), MN_ENOTFOUND);
	assert_int_equal(mn_store_exp_list(f->st, &rows, &n, NULL, 0, &err), 0);
	assert_int_equal(n, 0);
	free(rows);
	assert_int_equal(mn_store_forget(f->st, id, &err), MN_ENOTFOUND);
	assert_int_equal(mn_store_recall(f->st, &r, &o, &err), 0);
	assert_int_equal(r.n, 0);
	mn_recall_result_release(&r);
}

static void test_claims_on_two_connections_take_different_rows(void **state)
{
	struct fixture *f = *state;
	struct mn_store *st2 = NULL;
	struct mn_raw a, b, c1, c2;
	struct mn_err err = MN_ERR_INIT;

	assert_int_equal(mn_store_open(&st2, f->db, &err), 0);
	put_raw(f->st, &a, "first for two workers");
	put_raw(f->st, &b, "second for two workers");
	assert_int_equal(mn_store_claim_raw(f->st, &c1, "w1", 60000, &err), 0);
	assert_int_equal(mn_store_claim_raw(st2, &c2, "w2", 60000, &err), 0);
	assert_string_not_equal(c1.id, c2.id);
	/* neither claim holds a transaction open */
	assert_false(mn_store_in_transaction(f->st));
	assert_false(mn_store_in_transaction(st2));
	mn_raw_release(&c1);
	mn_raw_release(&c2);
	mn_store_close(st2);
}

static void test_result_of_a_lost_claim_is_dropped(void **state)
{
	struct fixture *f = *state;
	struct mn_raw a, c1, c2, got;
	struct mn_memory m, mem;
	struct mn_err err = MN_ERR_INIT;
	struct mn_claim old, cur;
	json_t *enc = json_pack("{s:s,s:s,s:s,s:s,s:[],s:{},s:s,s:s,s:s,s:f}", "gist", "slow",
				"summary", "slow", "content", "slow", "narrative", "", "concepts",
				"structured_concepts", "significance", "routine", "emotional_tone",
				"neutral", "outcome", "unknown", "salience", 0.5);

	setenv("MNEMO_FAKE_NOW", "2026-01-01T00:00:00.000Z", 1);
	put_raw(f->st, &a, "encoded too slowly");
	assert_int_equal(mn_store_claim_raw(f->st, &c1, "slow-worker", 1000, &err), 0);
	old = (struct mn_claim){ "slow-worker", c1.attempts };
	/* the lease runs out while the model still thinks; another worker
	 * takes the row */
	setenv("MNEMO_FAKE_NOW", "2026-01-01T00:00:05.000Z", 1);
	assert_int_equal(mn_store_recover_leases(f->st, &err), 1);
	assert_int_equal(mn_store_claim_raw(f->st, &c2, "fast-worker", 60000, &err), 0);
	cur = (struct mn_claim){ "fast-worker", c2.attempts };
	assert_string_equal(c2.id, a.id);

	memset(&m, 0, sizeof(m));
	snprintf(m.raw_id, sizeof(m.raw_id), "%s", a.id);
	m.encoding = enc;
	m.encoding_json = "{}";
	m.flags = json_array();
	assert_int_equal(mn_store_put_memory(f->st, &m, "gold", &old, &err), MN_ENOTFOUND);
	assert_false(mn_store_in_transaction(f->st));
	assert_int_equal(mn_store_get_memory(f->st, &mem, a.id, &err), MN_ENOTFOUND);
	/* the stale worker's failure does not touch the new claim either */
	assert_int_equal(mn_store_fail_raw(f->st, a.id, "too slow", 1, &old, &err), 0);
	assert_int_equal(mn_store_get_raw(f->st, &got, a.id, &err), 0);
	assert_string_equal(got.state, "claimed");
	mn_raw_release(&got);
	/* the current claim writes */
	assert_int_equal(mn_store_put_memory(f->st, &m, "gold", &cur, &err), 0);
	assert_int_equal(mn_store_get_raw(f->st, &got, a.id, &err), 0);
	assert_string_equal(got.state, "encoded");
	mn_raw_release(&got);
	/* and a forgotten row drops the result too */
	assert_int_equal(mn_store_forget(f->st, a.id, &err), 0);
	assert_int_equal(mn_store_put_memory(f->st, &m, "gold", &cur, &err), MN_ENOTFOUND);
	json_decref(m.flags);
	json_decref(enc);
	mn_raw_release(&c1);
	mn_raw_release(&c2);
}

/* Runs SQL-triggered work on a second connection the moment a recall
 * starts the statement whose text contains `when`. */
struct interleave {
	const char *when;
	struct mn_store *other;
	char raw_id[37];
	char memory_id[37];
	bool fired;
};

static int on_statement(unsigned type, void *payload, void *p, void *x)
{
	struct interleave *il = payload;
	struct mn_err err = MN_ERR_INIT;

	(void)p;
	if (type != SQLITE_TRACE_STMT || il->fired || !strstr((const char *)x, il->when))
		return 0;
	il->fired = true;
	if (il->memory_id[0]) {
		assert_int_equal(mn_store_forget(il->other, il->memory_id, &err), 0);
	} else {
		char id[37];

		put_memory(il->other, il->raw_id, "interleaved zebrafish", id);
	}
	return 0;
}

static void test_recall_sees_memory_encoded_while_it_runs(void **state)
{
	struct fixture *f = *state;
	struct interleave il = { .when = "mn_score(recall_fts" };
	struct mn_raw a;
	struct mn_recall_result r;
	struct mn_recall_opts o = { .query = "zebrafish", .limit = 5 };
	struct mn_err err = MN_ERR_INIT;

	assert_int_equal(mn_store_open(&il.other, f->db, &err), 0);
	put_raw(f->st, &a, "interleaved zebrafish");
	snprintf(il.raw_id, sizeof(il.raw_id), "%s", a.id);
	/* encoded by another connection as the search starts */
	sqlite3_trace_v2(f->st->db, SQLITE_TRACE_STMT, on_statement, &il);
	assert_int_equal(mn_store_recall(f->st, &r, &o, &err), 0);
	sqlite3_trace_v2(f->st->db, 0, NULL, NULL);
	assert_true(il.fired);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.items[0].raw_id, a.id);
	mn_recall_result_release(&r);
	mn_store_close(il.other);
}

static void test_recall_of_memory_forgotten_while_it_runs_is_not_an_error(void **state)
{
	struct fixture *f = *state;
	struct interleave il = { .when = "SELECT id FROM raw_memories WHERE rowid" };
	struct mn_raw a, c;
	struct mn_recall_result r;
	struct mn_recall_opts o = { .query = "store", .limit = 5 };
	struct mn_err err = MN_ERR_INIT;

	assert_int_equal(mn_store_open(&il.other, f->db, &err), 0);
	put_raw(f->st, &a, "forgotten during recall store");
	assert_int_equal(mn_store_claim_raw(f->st, &c, "w", 60000, &err), 0);
	mn_raw_release(&c);
	put_memory(f->st, a.id, "forgotten during recall store", il.memory_id);
	/* forgotten between ranking and loading the winners */
	sqlite3_trace_v2(f->st->db, SQLITE_TRACE_STMT, on_statement, &il);
	assert_int_equal(mn_store_recall(f->st, &r, &o, &err), 0);
	sqlite3_trace_v2(f->st->db, 0, NULL, NULL);
	assert_true(il.fired);
	/* what the recall's snapshot held, or nothing: never half a row */
	assert_true(r.n <= 1);
	if (r.n)
		assert_string_equal(r.items[0].id, il.memory_id);
	mn_recall_result_release(&r);
	mn_store_close(il.other);
}

static void test_recall_answers_while_another_writer_holds_the_lock(void **state)
{
	struct fixture *f = *state;
	struct mn_store *st2 = NULL;
	struct mn_raw a;
	struct mn_recall_result r;
	struct mn_recall_opts o = { .query = "blocked", .limit = 5 };
	struct mn_err err = MN_ERR_INIT;
	int64_t t0;

	put_raw(f->st, &a, "recall while blocked");
	assert_int_equal(mn_store_open(&st2, f->db, &err), 0);
	assert_int_equal(mn_store_begin(st2, &err), 0);
	t0 = mn_time_mono_ms();
	assert_int_equal(mn_store_recall(f->st, &r, &o, &err), 0);
	/* the log is skipped, not waited for (busy_timeout is 10 s) */
	assert_true(mn_time_mono_ms() - t0 < 5000);
	assert_int_equal(r.n, 1);
	mn_recall_result_release(&r);
	mn_store_rollback(st2);
	mn_store_close(st2);
}

static void test_human_correction_wins_over_teacher(void **state)
{
	struct fixture *f = *state;
	struct mn_raw a, c;
	struct mn_exp_row *rows = NULL;
	struct mn_err err = MN_ERR_INIT;
	size_t n = 0;
	char id[37];

	put_raw(f->st, &a, "correct me");
	assert_int_equal(mn_store_claim_raw(f->st, &c, "w", 60000, &err), 0);
	mn_raw_release(&c);
	put_memory(f->st, a.id, "correct me", id);
	assert_int_equal(mn_store_exp_set_correction(f->st, id, "{\"h\":1}", 1, 0, true, "human",
						     &err), 0);
	assert_int_equal(mn_store_exp_set_correction(f->st, id, "{\"t\":1}", 1, 0, true, "teacher",
						     &err), MN_ENOTFOUND);
	assert_int_equal(mn_store_exp_list(f->st, &rows, &n, NULL, 0, &err), 0);
	assert_string_equal(rows[0].corrected_output, "{\"h\":1}");
	assert_string_equal(rows[0].correction_source, "human");
	mn_exp_rows_free(rows, n);
}

static void test_meta_set_get_delete(void **state)
{
	struct fixture *f = *state;
	struct mn_err err = MN_ERR_INIT;
	char *v = NULL;

	assert_int_equal(mn_store_meta_set(f->st, "k", "v1", &err), 0);
	assert_int_equal(mn_store_meta_set(f->st, "k", "v2", &err), 0);
	assert_int_equal(mn_store_meta_get(f->st, &v, "k", &err), 0);
	assert_string_equal(v, "v2");
	free(v);
	assert_int_equal(mn_store_meta_set(f->st, "k", NULL, &err), 0);
	assert_int_equal(mn_store_meta_get(f->st, &v, "k", &err), 0);
	assert_null(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_open_creates_private_wal_database, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shared_directory_keeps_its_mode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_newer_database_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reopen_keeps_data_and_version, setup, teardown),
		cmocka_unit_test_setup_teardown(test_claim_takes_oldest_and_sets_lease, setup, teardown),
		cmocka_unit_test_setup_teardown(test_expired_lease_returns_to_queue, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failures_mark_failed_after_max_attempts, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_failed_raw_is_found_by_its_text, setup, teardown),
		cmocka_unit_test_setup_teardown(test_memory_roundtrip_and_recall, setup, teardown),
		cmocka_unit_test_setup_teardown(test_recall_query_punctuation_is_not_fts_syntax, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_feedback_later_rating_replaces_earlier, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_forget_cascades, setup, teardown),
		cmocka_unit_test_setup_teardown(test_claims_on_two_connections_take_different_rows,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_result_of_a_lost_claim_is_dropped, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_recall_sees_memory_encoded_while_it_runs, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			test_recall_of_memory_forgotten_while_it_runs_is_not_an_error, setup, teardown),
		cmocka_unit_test_setup_teardown(test_recall_answers_while_another_writer_holds_the_lock,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_human_correction_wins_over_teacher, setup, teardown),
		cmocka_unit_test_setup_teardown(test_meta_set_get_delete, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
