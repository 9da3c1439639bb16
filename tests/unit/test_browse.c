/* Unit tests for store_browse: listing, duplicates, corrections in place,
 * near duplicates, export and import, on real SQLite files. */
#include "testutil.h"

#include "base/json.h"
#include "store/store.h"
#include "store/store_browse.h"

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

static void put_raw(struct mn_store *st, struct mn_raw *r, const char *text, const char *project)
{
	struct mn_err err = MN_ERR_INIT;

	memset(r, 0, sizeof(*r));
	r->content = (char *)text;
	r->content_len = strlen(text);
	r->source = "test";
	r->project = (char *)project;
	assert_int_equal(mn_store_put_raw(st, r, &err), 0);
}

static json_t *encoding(const char *gist)
{
	return json_pack("{s:s,s:s,s:s,s:s,s:[s],s:{s:[],s:[],s:[],s:[]},s:s,s:s,s:s,s:f}", "gist",
			 gist, "summary", gist, "content", gist, "narrative", "", "concepts",
			 "store", "structured_concepts", "topics", "entities", "actions",
			 "causality", "significance", "notable", "emotional_tone", "neutral",
			 "outcome", "success", "salience", 0.5);
}

static void put_memory(struct mn_store *st, const char *raw_id, const char *gist, char *id_out)
{
	struct mn_memory m;
	struct mn_err err = MN_ERR_INIT;
	json_t *enc = encoding(gist);

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

static void norm_text_collapses_white_space(void **state)
{
	size_t n;
	char *t = mn_store_norm_text("  a \t b\n\nc  ", 12, &n);

	(void)state;
	assert_string_equal(t, "a b c");
	assert_int_equal(n, 5);
	free(t);
	assert_true(mn_store_norm_hash("a b c", 5) == mn_store_norm_hash(" a\tb  c\n", 8));
	assert_true(mn_store_norm_hash("a b c", 5) != mn_store_norm_hash("a b d", 5));
}

static void repeat_counts_the_same_text_of_the_same_project(void **state)
{
	struct fixture *f = *state;
	struct mn_err err = MN_ERR_INIT;
	struct mn_dup_hit hit;
	struct mn_raw r;
	bool found = true;

	put_raw(f->st, &r, "deploy uses  ship.sh", "p");
	assert_int_equal(mn_store_browse_repeat(f->st, &hit, &found, "deploy uses ship.sh", 19,
						"other", &err), 0);
	assert_false(found);
	assert_int_equal(mn_store_browse_repeat(f->st, &hit, &found, "deploy uses ship.sh", 19,
						NULL, &err), 0);
	assert_false(found);
	assert_int_equal(mn_store_browse_repeat(f->st, &hit, &found, " deploy\nuses ship.sh ",
						21, "p", &err), 0);
	assert_true(found);
	assert_string_equal(hit.raw_id, r.id);
	assert_int_equal(hit.repeat_count, 2);
	assert_true(hit.last_seen_at[0] != '\0');
}

static void list_pages_are_stable_and_complete(void **state)
{
	struct fixture *f = *state;
	struct mn_err err = MN_ERR_INIT;
	struct mn_browse_filter flt = { .project = "p" };
	struct mn_browse_pos pos = { "", 0 };
	struct mn_raw r;
	char text[64], seen[12][37];
	size_t total = 0;
	bool more = true;

	for (int i = 0; i < 11; i++) {
		snprintf(text, sizeof(text), "note number %d", i);
		put_raw(f->st, &r, text, i == 5 ? "q" : "p");
	}
	while (more) {
		struct mn_browse_item *items = NULL;
		size_t n = 0;

		assert_int_equal(mn_store_browse_list(f->st, &items, &n, &more, &flt, &pos, 3, &err),
				 0);
		for (size_t i = 0; i < n; i++) {
			assert_true(total < 10);
			for (size_t j = 0; j < total; j++)
				assert_string_not_equal(seen[j], items[i].m.raw_id);
			strcpy(seen[total++], items[i].m.raw_id);
			assert_string_equal(items[i].m.state, "queued");
		}
		if (n)
			pos = items[n - 1].pos;
		mn_browse_items_free(items, n);
	}
	assert_int_equal(total, 10);
}

static void replace_keeps_the_previous_encoding_in_history(void **state)
{
	struct fixture *f = *state;
	struct mn_err err = MN_ERR_INIT;
	struct mn_browse_item it;
	struct mn_raw r;
	char id[37];
	json_t *enc = encoding("corrected gist"), *hist = NULL;
	struct mn_browse_reencode re = { .encoding = enc };

	put_raw(f->st, &r, "the original text", NULL);
	put_memory(f->st, r.id, "first gist", id);
	assert_int_equal(mn_store_browse_replace(f->st, id, "amend", &re, NULL, 0, &err), 0);
	assert_int_equal(mn_store_browse_get(f->st, &it, id, &err), 0);
	assert_string_equal(mn_json_str(it.m.encoding, "gist", ""), "corrected gist");
	assert_string_equal(it.text, "the original text");
	mn_browse_item_release(&it);
	assert_int_equal(mn_store_browse_history(f->st, &hist, r.id, &err), 0);
	assert_int_equal(json_array_size(hist), 1);
	assert_string_equal(mn_json_str(json_array_get(hist, 0), "kind", ""), "amend");
	assert_string_equal(
		mn_json_str(json_object_get(json_array_get(hist, 0), "encoding"), "gist", ""),
		"first gist");
	assert_null(json_object_get(json_array_get(hist, 0), "text"));
	json_decref(hist);
	/* an edit changes the text too and keeps the old one */
	re.encoding_json = "{}";
	assert_int_equal(mn_store_browse_replace(f->st, id, "edit", &re, "new text", 8, &err), 0);
	assert_int_equal(mn_store_browse_history(f->st, &hist, r.id, &err), 0);
	assert_string_equal(mn_json_str(json_array_get(hist, 1), "text", ""),
			    "the original text");
	json_decref(hist);
	assert_int_equal(mn_store_browse_get(f->st, &it, r.id, &err), 0);
	assert_string_equal(it.text, "new text");
	mn_browse_item_release(&it);
	json_decref(enc);
}

static void near_duplicates_are_paired_within_a_project(void **state)
{
	struct fixture *f = *state;
	struct mn_err err = MN_ERR_INIT;
	struct mn_near_dup *pairs = NULL;
	struct mn_raw a, b, c, d;
	size_t n = 0;

	put_raw(f->st, &a, "raised the indexer batch size from 500 to 1000 rows after timeouts on "
			   "build 41", "p");
	put_raw(f->st, &b, "raised the indexer batch size from 500 to 1000 rows after timeouts on "
			   "build 42", "p");
	put_raw(f->st, &c, "raised the indexer batch size from 500 to 1000 rows after timeouts on "
			   "build 43", "other");
	put_raw(f->st, &d, "lunch on friday", "p");
	assert_int_equal(mn_store_browse_near_dups(f->st, &pairs, &n, NULL, 0.8, &err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(pairs[0].keep, a.id);
	assert_string_equal(pairs[0].drop, b.id);
	assert_true(pairs[0].similarity >= 0.8 && pairs[0].similarity < 1.0);
	assert_int_equal(mn_store_browse_merge(f->st, a.id, b.id, &err), 0);
	free(pairs);
	assert_int_equal(mn_store_browse_near_dups(f->st, &pairs, &n, "p", 0.8, &err), 0);
	assert_int_equal(n, 0);
	free(pairs);
}

struct lines {
	json_t *arr;
};

static int collect(void *payload, const json_t *line)
{
	json_array_append((json_t *)payload, (json_t *)line);
	return 0;
}

static void export_import_round_trip(void **state)
{
	struct fixture *f = *state;
	struct mn_err err = MN_ERR_INIT;
	struct mn_store *st2 = NULL;
	struct mn_raw r1, r2;
	char id[37], *path = malloc(strlen(f->dir) + 16);
	json_t *a = json_array(), *b = json_array();
	enum mn_import_result res;

	put_raw(f->st, &r1, "first observation", "p");
	put_memory(f->st, r1.id, "first gist", id);
	put_raw(f->st, &r2, "second, not encoded", NULL);
	assert_int_equal(mn_store_browse_export(f->st, NULL, collect, a, &err), 0);
	assert_int_equal(json_array_size(a), 2);
	sprintf(path, "%s/two.db", f->dir);
	assert_int_equal(mn_store_open(&st2, path, &err), 0);
	for (size_t i = 0; i < json_array_size(a); i++) {
		assert_int_equal(mn_store_browse_import(st2, &res, json_array_get(a, i), &err), 0);
		assert_int_equal(res, MN_IMPORT_ADDED);
	}
	assert_int_equal(mn_store_browse_import(st2, &res, json_array_get(a, 0), &err), 0);
	assert_int_equal(res, MN_IMPORT_PRESENT);
	assert_int_equal(mn_store_browse_export(st2, NULL, collect, b, &err), 0);
	assert_true(json_equal(a, b));
	mn_store_close(st2);
	json_decref(a);
	json_decref(b);
	free(path);
}

static void import_rejects_a_line_without_text(void **state)
{
	struct fixture *f = *state;
	struct mn_err err = MN_ERR_INIT;
	enum mn_import_result res;
	json_t *line = json_pack("{s:s,s:s,s:s}", "format", "mnemo.memory/1", "raw_id", "r1",
				 "created_at", "2026-01-01T00:00:00.000Z");

	assert_int_equal(mn_store_browse_import(f->st, &res, line, &err), MN_EINVAL);
	assert_non_null(strstr(err.msg, "text"));
	json_decref(line);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(norm_text_collapses_white_space),
		cmocka_unit_test_setup_teardown(repeat_counts_the_same_text_of_the_same_project,
						setup, teardown),
		cmocka_unit_test_setup_teardown(list_pages_are_stable_and_complete, setup, teardown),
		cmocka_unit_test_setup_teardown(replace_keeps_the_previous_encoding_in_history, setup,
						teardown),
		cmocka_unit_test_setup_teardown(near_duplicates_are_paired_within_a_project, setup,
						teardown),
		cmocka_unit_test_setup_teardown(export_import_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(import_rejects_a_line_without_text, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
