/* Unit tests for the compact store (schema 7): packed encodings, each
 * thing stored once, and the migration of a schema-6 store (a dump made by
 * the mnemo of commit 466d26d, tests/data/store-v6.sql). */
#include "testutil.h"

#include <sqlite3.h>
#include <sys/stat.h>

#include "base/buf.h"
#include "base/json.h"
#include "base/mem.h"
#include "store/store.h"
#include "store/store_browse.h"
#include "store/store_internal.h"


struct fixture {
	char *dir;
	char *db;
	struct mn_store *st;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	f->dir = tu_tmpdir();
	f->db = malloc(strlen(f->dir) + 16);
	sprintf(f->db, "%s/mnemo.db", f->dir);
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

static void assert_index_intact(struct mn_store *st)
{
	char *msg = NULL;
	int rc = sqlite3_exec(st->db,
			      "INSERT INTO recall_fts(recall_fts, rank) VALUES ('integrity-check', 1)",
			      NULL, NULL, &msg);

	if (rc != SQLITE_OK)
		fail_msg("recall index: %s", msg ? msg : "?");
	assert_int_equal(sqlite3_exec(st->db, "PRAGMA integrity_check", NULL, NULL, NULL),
			 SQLITE_OK);
}

static void roundtrip(const char *text, size_t len)
{
	size_t n = 0, m = 0;
	void *p = mn_store_pack(text, len, &n);
	char *back = mn_store_unpack(p, n, &m);

	assert_non_null(back);
	assert_int_equal(m, len);
	assert_memory_equal(back, text, len);
	assert_int_equal(back[len], '\0');
	free(back);
	free(p);
}

#define ENC \
	"{\"gist\":\"Deployed v1.2.0 to staging\",\"summary\":\"Deployed v1.2.0 to staging; the" \
	" WAL checkpoint latency regression is gone.\",\"content\":\"Deployed v1.2.0 to staging;" \
	" the WAL checkpoint latency regression is gone.\",\"narrative\":\"\",\"concepts\":" \
	"[\"regression\",\"staging\"],\"structured_concepts\":{\"topics\":[{\"label\":" \
	"\"regression\",\"path\":\"regression\"}],\"entities\":[{\"name\":\"v1.2.0\",\"type\":" \
	"\"version\",\"context\":\"Deployed v1.2.0 to staging\"},{\"name\":\"WAL\",\"type\":" \
	"\"name\",\"context\":\"Deployed v1.2.0 to staging\"}],\"actions\":[{\"verb\":" \
	"\"deployed\",\"object\":\"v1.2.0 to staging\",\"details\":\"\"}],\"causality\":[]}," \
	"\"significance\":\"routine\",\"emotional_tone\":\"satisfying\",\"outcome\":\"success\"," \
	"\"salience\":0.48}"

static void test_pack_roundtrip(void **state)
{
	unsigned char noise[600];
	unsigned x = 12345;
	size_t n = 0;
	void *p;

	roundtrip("", 0);
	roundtrip("x", 1);
	roundtrip(ENC, strlen(ENC));
	/* incompressible bytes are kept as they are, one byte longer */
	for (size_t i = 0; i < sizeof(noise); i++) {
		x = x * 1103515245u + 12345u;
		noise[i] = (unsigned char)(x >> 16);
	}
	roundtrip((const char *)noise, sizeof(noise));
	p = mn_store_pack((const char *)noise, sizeof(noise), &n);
	assert_int_equal(n, sizeof(noise) + 1);
	free(p);
	/* an encoding packs to well under half */
	p = mn_store_pack(ENC, strlen(ENC), &n);
	assert_true(n * 2 < strlen(ENC));
	/* what is not a packed value is refused, never misread */
	assert_null(mn_store_unpack(p, n - 3, NULL));
	((unsigned char *)p)[0] = 9;
	assert_null(mn_store_unpack(p, n, NULL));
	assert_null(mn_store_unpack(p, 0, NULL));
	free(p);
}

static void put(struct mn_store *st, struct mn_memory *m, const char *text, const char *output,
		json_t *enc)
{
	struct mn_err err = MN_ERR_INIT;
	struct mn_raw r;

	memset(&r, 0, sizeof(r));
	r.content = (char *)text;
	r.content_len = strlen(text);
	r.source = "test";
	assert_int_equal(mn_store_put_raw(st, &r, &err), 0);
	memset(m, 0, sizeof(*m));
	snprintf(m->raw_id, sizeof(m->raw_id), "%s", r.id);
	m->encoding = enc;
	m->encoding_json = (char *)output;
	m->encoder = "builtin";
	m->encoder_version = "v1";
	m->salience = 0.5;
	m->epr = 1;
	assert_int_equal(mn_store_put_memory(st, m, "gold", NULL, &err), 0);
	json_decref(enc);
}

static int count(struct mn_store *st, const char *sql)
{
	sqlite3_stmt *s = NULL;
	int n = -1;

	assert_int_equal(sqlite3_prepare_v2(st->db, sql, -1, &s, NULL), SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return n;
}

static void test_each_thing_once(void **state)
{
	struct fixture *f = *state;
	struct mn_err err = MN_ERR_INIT;
	struct mn_memory a, b, got;
	json_t *enc = json_loads(ENC, 0, NULL);
	/* an LLM's output: the same encoding, other spacing and a key more */
	const char *llm = "{ \"gist\": \"Deployed v1.2.0 to staging\", \"extra\": 1 }";
	struct mn_recall_opts o = { .query = "checkpoint regression", .limit = 5 };
	struct mn_recall_result res;

	assert_int_equal(mn_store_open(&f->st, f->db, &err), 0);
	assert_int_equal(mn_store_schema_version(f->st), 7);
	put(f->st, &a, "Deployed v1.2.0 to staging; the WAL checkpoint latency regression is gone.",
	    ENC, json_loads(ENC, 0, NULL));
	put(f->st, &b, "Rolled the proxy certificate on the edge hosts.", llm,
	    json_pack("{s:s,s:s,s:s}", "gist", "Rolled the proxy certificate", "summary",
		      "Rolled the proxy certificate on the edge hosts.", "content",
		      "Rolled the proxy certificate on the edge hosts."));
	/* the builtin's output is the normalised encoding: stored once */
	assert_int_equal(count(f->st, "SELECT count(*) FROM memories WHERE encoding IS NULL"), 1);
	assert_int_equal(count(f->st, "SELECT count(*) FROM pragma_table_info('memories')"
				      " WHERE name IN ('gist', 'summary', 'structured_concepts',"
				      " 'encoding_json', 'keyterms')"),
			 0);
	assert_int_equal(count(f->st, "SELECT max(length(encoder_output)) FROM memories"
				      " WHERE encoding IS NULL") * 2 < (int)strlen(ENC),
			 1);
	assert_int_equal(mn_store_get_memory(f->st, &got, a.id, &err), 0);
	assert_string_equal(got.encoding_json, ENC);
	assert_true(json_equal(got.encoding, enc));
	mn_memory_release(&got);
	/* an output that is not the normalised encoding keeps both, exactly */
	assert_int_equal(mn_store_get_memory(f->st, &got, b.id, &err), 0);
	assert_string_equal(got.encoding_json, llm);
	assert_string_equal(mn_json_str(got.encoding, "gist", ""), "Rolled the proxy certificate");
	assert_null(json_object_get(got.encoding, "extra"));
	assert_string_equal(mn_json_str(got.encoding, "significance", "?"), "?");
	mn_memory_release(&got);
	assert_index_intact(f->st);
	/* recall finds it by the fields of its encoding and by its text */
	assert_int_equal(mn_store_recall(f->st, &res, &o, &err), 0);
	assert_true(res.n >= 1);
	assert_string_equal(res.items[0].id, a.id);
	assert_string_equal(res.items[0].encoding_json, ENC);
	mn_recall_result_release(&res);
	/* the index follows a forget */
	assert_int_equal(mn_store_forget(f->st, a.id, &err), 0);
	assert_index_intact(f->st);
	json_decref(enc);
}

/* The fixture as the schema-6 mnemo left it: what each memory said. */
struct before {
	char id[37];
	char *output, *gist;
};

static void load_fixture(const char *db, struct before *b, int *n)
{
	char *path = mn_xasprintf("%s/tests/data/store-v6.sql", MN_SRCDIR);
	struct mn_err err = MN_ERR_INIT;
	sqlite3_stmt *s = NULL;
	struct mn_buf sql = MN_BUF_INIT;
	sqlite3 *h = NULL;

	assert_int_equal(mn_file_read(&sql, path, 1 << 24, &err), 0);
	assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
	assert_int_equal(sqlite3_exec(h, sql.data, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(h, "SELECT id, encoding_json, gist FROM memories"
					       " ORDER BY id", -1, &s, NULL),
			 SQLITE_OK);
	*n = 0;
	while (sqlite3_step(s) == SQLITE_ROW && *n < 32) {
		snprintf(b[*n].id, sizeof(b[*n].id), "%s", sqlite3_column_text(s, 0));
		b[*n].output = mn_xstrdup((const char *)sqlite3_column_text(s, 1));
		b[*n].gist = mn_xstrdup((const char *)sqlite3_column_text(s, 2));
		(*n)++;
	}
	sqlite3_finalize(s);
	/* a row an older mnemo left with concepts that are not JSON migrates
	 * with none, instead of stopping the migration */
	assert_int_equal(sqlite3_exec(h, "UPDATE memories SET concepts = 'not json' WHERE id = (SELECT"
				      " max(id) FROM memories)", NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(h);
	mn_buf_release(&sql);
	free(path);
}

static void test_migrate_v6(void **state)
{
	struct fixture *f = *state;
	struct mn_err err = MN_ERR_INIT;
	struct before b[32];
	struct mn_memory got;
	int n = 0, amended = 0;
	struct stat sb;

	load_fixture(f->db, b, &n);
	assert_true(n >= 4);
	assert_int_equal(mn_store_open(&f->st, f->db, &err), 0);
	assert_int_equal(mn_store_schema_version(f->st), 7);
	assert_index_intact(f->st);
	for (int i = 0; i < n; i++) {
		assert_int_equal(mn_store_get_memory(f->st, &got, b[i].id, &err), 0);
		/* the encoder's output byte for byte; what the memory says */
		assert_string_equal(got.encoding_json, b[i].output);
		assert_string_equal(mn_json_str(got.encoding, "gist", ""), b[i].gist);
		amended += !strstr(b[i].output, b[i].gist);
		mn_memory_release(&got);
		free(b[i].output);
		free(b[i].gist);
	}
	assert_int_equal(mn_store_get_memory(f->st, &got, b[n - 1].id, &err), 0);
	assert_int_equal(json_array_size(json_object_get(got.encoding, "concepts")), 0);
	mn_memory_release(&got);
	/* the normalised encoding is kept apart where it is not the output:
	 * the amended memory, the LLM's output (imported) and the damaged row */
	assert_true(amended >= 1);
	assert_int_equal(count(f->st, "SELECT count(*) FROM memories WHERE encoding IS NOT NULL"),
			 3);
	/* VACUUMed after the migration: no free pages, no WAL left over */
	assert_int_equal(count(f->st, "PRAGMA freelist_count"), 0);
	/* the index triggers work on the migrated rows */
	assert_int_equal(mn_store_forget(f->st, b[0].id, &err), 0);
	assert_index_intact(f->st);
	assert_int_equal(stat(f->db, &sb), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pack_roundtrip),
		cmocka_unit_test_setup_teardown(test_each_thing_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrate_v6, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
