/*
 * test_batch.c - training batch assembly (DESIGN §7.1) against a real
 * store and real files: formats, holdout stability and leakage, ratios,
 * de-duplication, determinism, manifest hashes and row accounting.
 */
#include "testutil.h"

#include "learn/batch.h"
#include "base/sha256.h"
#include "model/encoding.h"
#include "learn_fixture.h"
#include "model/prompt.h"

static int setup(void **state)
{
	struct lf *f = calloc(1, sizeof(*f));

	lf_open(f);
	/* No replay unless a test asks: the shipped seed set may not exist. */
	f->a.cfg.learning.training.replay_ratio = 0;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct lf *f = *state;

	lf_close(f);
	free(f);
	return 0;
}

/* A JSON array of the lines of a .jsonl file. */
static json_t *read_jsonl(const char *dir, const char *name)
{
	struct mn_buf b = MN_BUF_INIT;
	struct mn_err err = MN_ERR_INIT;
	char path[1024];
	json_t *arr = json_array();
	char *line, *next;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_int_equal(mn_file_read(&b, path, 64 << 20, &err), 0);
	for (line = b.data; line && *line; line = next) {
		json_t *o;

		next = strchr(line, '\n');
		assert_non_null(next); /* every line ends with a newline */
		*next++ = '\0';
		o = json_loads(line, 0, NULL);
		assert_non_null(o);
		json_array_append_new(arr, o);
	}
	mn_buf_release(&b);
	return arr;
}

static char *file_text(const char *dir, const char *name)
{
	struct mn_buf b = MN_BUF_INIT;
	struct mn_err err = MN_ERR_INIT;
	char path[1024];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_int_equal(mn_file_read(&b, path, 64 << 20, &err), 0);
	return mn_buf_detach(&b, NULL);
}

static void assemble(struct lf *f, struct mn_batch_result *r, const char *sub, bool claim,
		     const char *id)
{
	struct mn_err err = MN_ERR_INIT;
	struct mn_batch_opts o = { 0 };
	char dir[1024];

	snprintf(dir, sizeof(dir), "%s/%s", f->dir, sub);
	o.out_dir = dir;
	o.batch_id = id;
	o.claim_rows = claim;
	if (mn_batch_assemble(&f->a, r, &o, &err))
		fail_msg("assemble: %s", err.msg);
}

static char *sub_dir(struct lf *f, const char *sub)
{
	return mn_xasprintf("%s/%s", f->dir, sub);
}

static void add_golds(struct lf *f, int from, int n)
{
	for (int i = from; i < from + n; i++) {
		char text[128];

		snprintf(text, sizeof(text), "Observation %d: build %d passed on host%d.", i,
			 i * 7, i);
		lf_add_gold(f, NULL, text);
	}
}

static void add_corrected(struct lf *f, char id[37], const char *text, const char *source)
{
	struct mn_err err = MN_ERR_INIT;
	struct lf_mem m = { .content = text, .epr = 0.4, .confidence = 0.2, .sc = true,
			    .category = "needs_improvement" };
	json_t *fix = lf_encoding(text);
	char *fixed;

	json_object_set_new(fix, "significance", json_string("notable"));
	fixed = mn_json_dumps(fix);
	lf_add(f, id, &m);
	assert_int_equal(mn_store_exp_set_correction(f->a.store, id, fixed, 1.0, 0, true, source,
						     &err),
			 0);
	free(fixed);
	json_decref(fix);
}

static bool id_in(const json_t *arr, const char *id)
{
	const json_t *v;
	size_t i;

	json_array_foreach(arr, i, v)
		if (json_is_string(v) && !strcmp(json_string_value(v), id))
			return true;
	return false;
}

static void test_declines_when_nothing_is_eligible(void **state)
{
	struct lf *f = *state;
	struct mn_err err = MN_ERR_INIT;
	struct mn_batch_result r;
	struct mn_batch_opts o = { 0 };
	struct lf_mem amb = { .content = "something vague", .epr = 0.8, .sc = true,
			      .confidence = 0.9, .category = "ambiguous" };
	char *dir = sub_dir(f, "b");

	lf_add(f, NULL, &amb);
	o.out_dir = dir;
	assert_int_equal(mn_batch_assemble(&f->a, &r, &o, &err), MN_EDECLINED);
	assert_false(mn_file_exists(dir));
	mn_batch_result_release(&r);
	free(dir);
}

static void test_chat_and_raw_formats(void **state)
{
	struct lf *f = *state;
	struct mn_batch_result r;
	struct lf_mem m = LF_GOLD("Deployed v2.3.1 of api-server to /opt/api/config.yaml at 14:05.");
	char id[37];
	char *dir = sub_dir(f, "b");
	json_t *chat, *raw, *msgs, *row, *enc;
	char *prompt, *encjson;
	const char *keys[] = { "raw_input", "encoded", "task_type", "memory_id", "source",
			       "epr", "memory_type", "memory_source", NULL };

	f->a.cfg.learning.training.holdout_fraction = 0;
	m.source = "claude-code";
	m.type = "decision";
	lf_add(f, id, &m);
	assemble(f, &r, "b", false, NULL);
	assert_int_equal(r.n_train, 1);
	chat = read_jsonl(dir, "train.jsonl");
	raw = read_jsonl(dir, "train.raw.jsonl");
	assert_int_equal(json_array_size(chat), 1);
	msgs = json_object_get(json_array_get(chat, 0), "messages");
	assert_int_equal(json_array_size(msgs), 3);
	assert_string_equal(mn_json_str(json_array_get(msgs, 0), "role", ""), "system");
	assert_string_equal(mn_json_str(json_array_get(msgs, 0), "content", ""),
			    mn_prompt_system());
	prompt = mn_prompt_build(m.content, strlen(m.content), "claude-code", "decision",
				 (size_t)f->a.cfg.encoding.max_input_chars);
	assert_string_equal(mn_json_str(json_array_get(msgs, 1), "role", ""), "user");
	assert_string_equal(mn_json_str(json_array_get(msgs, 1), "content", ""), prompt);
	assert_string_equal(mn_json_str(json_array_get(msgs, 2), "role", ""), "assistant");
	/* The target is the encoding exactly as produced. */
	{
		/* as the store keeps it (packed since schema 7) */
		struct mn_memory mem;
		struct mn_err e2 = MN_ERR_INIT;

		assert_int_equal(mn_store_get_memory(f->a.store, &mem, id, &e2), 0);
		encjson = mn_xstrdup(mem.encoding_json);
		mn_memory_release(&mem);
	}
	assert_string_equal(mn_json_str(json_array_get(msgs, 2), "content", ""), encjson);
	row = json_array_get(raw, 0);
	assert_int_equal(json_object_size(row), 8);
	for (int i = 0; keys[i]; i++)
		assert_non_null(json_object_get(row, keys[i]));
	assert_string_equal(mn_json_str(row, "raw_input", ""), m.content);
	assert_string_equal(mn_json_str(row, "task_type", ""), "encoding");
	assert_string_equal(mn_json_str(row, "memory_id", ""), id);
	assert_string_equal(mn_json_str(row, "source", ""), "gold");
	assert_string_equal(mn_json_str(row, "memory_type", ""), "decision");
	assert_string_equal(mn_json_str(row, "memory_source", ""), "claude-code");
	assert_true(mn_json_num(row, "epr", 0) == 1.0);
	enc = json_object_get(row, "encoded");
	assert_true(json_is_object(enc));
	assert_true(mn_encoding_check(enc, NULL, 0));
	free(prompt);
	free(encjson);
	json_decref(chat);
	json_decref(raw);
	mn_batch_result_release(&r);
	free(dir);
}

static void test_raw_input_is_the_cut_text(void **state)
{
	struct lf *f = *state;
	struct mn_batch_result r;
	char *text = malloc(3001), *dir = sub_dir(f, "b");
	json_t *raw, *chat;
	char *prompt;

	memset(text, 'a', 3000);
	memcpy(text + 2990, " end 12345", 10);
	text[3000] = '\0';
	f->a.cfg.learning.training.holdout_fraction = 0;
	f->a.cfg.encoding.max_input_chars = 1000;
	lf_add_gold(f, NULL, text);
	assemble(f, &r, "b", false, NULL);
	raw = read_jsonl(dir, "train.raw.jsonl");
	chat = read_jsonl(dir, "train.jsonl");
	assert_int_equal(strlen(mn_json_str(json_array_get(raw, 0), "raw_input", "")), 1000);
	prompt = mn_prompt_build(text, 3000, NULL, NULL, 1000);
	assert_string_equal(
		mn_json_str(json_array_get(json_object_get(json_array_get(chat, 0), "messages"), 1),
			    "content", ""),
		prompt);
	free(prompt);
	free(text);
	json_decref(raw);
	json_decref(chat);
	mn_batch_result_release(&r);
	free(dir);
}

static void test_sources_targets_and_preference(void **state)
{
	struct lf *f = *state;
	struct mn_batch_result r;
	char hid[37], tid[37];
	char *dir = sub_dir(f, "b");
	json_t *raw, *pref, *row, *v;
	size_t i;
	int seen_h = 0, seen_t = 0;

	f->a.cfg.learning.training.holdout_fraction = 0;
	add_golds(f, 0, 3);
	add_corrected(f, hid, "Alice Smith moved the cron job to 03:00.", "human");
	add_corrected(f, tid, "Redis 7.2 failed over to replica-2 after 31 seconds.",
		      "teacher-model");
	assemble(f, &r, "b", false, NULL);
	assert_int_equal(r.n_train, 5);
	assert_int_equal(r.n_preference, 2);
	v = json_object_get(r.manifest, "counts");
	assert_int_equal(json_integer_value(json_object_get(v, "gold")), 3);
	assert_int_equal(json_integer_value(json_object_get(v, "human")), 1);
	assert_int_equal(json_integer_value(json_object_get(v, "corrected")), 1);
	assert_int_equal(json_integer_value(json_object_get(v, "replay")), 0);
	raw = read_jsonl(dir, "train.raw.jsonl");
	json_array_foreach(raw, i, row) {
		const char *id = mn_json_str(row, "memory_id", "");

		if (!strcmp(id, hid) || !strcmp(id, tid)) {
			/* the correction is the target, never the student's output */
			assert_string_equal(
				mn_json_str(json_object_get(row, "encoded"), "significance", ""),
				"notable");
			assert_string_equal(mn_json_str(row, "source", ""),
					    !strcmp(id, hid) ? "human" : "corrected");
			seen_h += !strcmp(id, hid);
			seen_t += !strcmp(id, tid);
		}
	}
	assert_int_equal(seen_h, 1);
	assert_int_equal(seen_t, 1);
	pref = read_jsonl(dir, "preference.jsonl");
	assert_int_equal(json_array_size(pref), 2);
	json_array_foreach(pref, i, row) {
		json_t *chosen = json_loads(mn_json_str(row, "chosen", ""), 0, NULL);
		json_t *rejected = json_loads(mn_json_str(row, "rejected", ""), 0, NULL);

		assert_int_equal(json_object_size(row), 3);
		assert_non_null(strstr(mn_json_str(row, "prompt", ""), "Observation:"));
		assert_string_equal(mn_json_str(chosen, "significance", ""), "notable");
		assert_string_equal(mn_json_str(rejected, "significance", ""), "routine");
		json_decref(chosen);
		json_decref(rejected);
	}
	json_decref(raw);
	json_decref(pref);
	mn_batch_result_release(&r);
	free(dir);
}

static void test_excluded_fallback_and_uncorrected_rows_never_train(void **state)
{
	struct lf *f = *state;
	struct mn_batch_result r;
	struct lf_mem fb = LF_GOLD("fallback encoding of 42 things");
	struct lf_mem ni = { .content = "needs work 17", .epr = 0.3, .sc = true,
			     .confidence = 0.1, .category = "needs_improvement" };
	struct lf_mem amb = { .content = "ambiguous 99", .epr = 0.8, .sc = true,
			      .confidence = 0.9, .category = "ambiguous" };
	char gid[37], fid[37], nid[37], aid[37];
	json_t *ids;

	f->a.cfg.learning.training.holdout_fraction = 0;
	fb.fallback = true;
	lf_add_gold(f, gid, "A good one: 3 servers rebooted.");
	lf_add(f, fid, &fb);
	lf_add(f, nid, &ni);
	lf_add(f, aid, &amb);
	assemble(f, &r, "b", false, NULL);
	assert_int_equal(r.n_train, 1);
	ids = json_object_get(r.manifest, "train_memory_ids");
	assert_true(id_in(ids, gid));
	assert_false(id_in(ids, fid));
	assert_false(id_in(ids, nid));
	assert_false(id_in(ids, aid));
	mn_batch_result_release(&r);
}

static void test_holdout_is_stable_and_never_trained(void **state)
{
	struct lf *f = *state;
	struct mn_batch_result r1, r2;
	json_t *v1, *v2, *t2, *v;
	size_t i;

	f->a.cfg.learning.training.holdout_fraction = 0.3;
	f->a.cfg.learning.training.max_examples_per_run = 1000;
	add_golds(f, 0, 40);
	assemble(f, &r1, "b1", false, NULL);
	assert_true(r1.n_valid > 0);
	add_golds(f, 100, 40);
	assemble(f, &r2, "b2", false, NULL);
	v1 = json_object_get(r1.manifest, "valid_memory_ids");
	v2 = json_object_get(r2.manifest, "valid_memory_ids");
	t2 = json_object_get(r2.manifest, "train_memory_ids");
	assert_true(json_array_size(v2) > json_array_size(v1));
	json_array_foreach(v1, i, v)
		assert_true(id_in(v2, json_string_value(v)));
	/* the holdout is exactly the hash rule, and disjoint from training */
	json_array_foreach(v2, i, v) {
		assert_true(mn_batch_is_holdout(json_string_value(v), 0.3));
		assert_false(id_in(t2, json_string_value(v)));
	}
	json_array_foreach(t2, i, v)
		assert_false(mn_batch_is_holdout(json_string_value(v), 0.3));
	assert_int_equal(json_array_size(v2) + json_array_size(t2), 80);
	mn_batch_result_release(&r1);
	mn_batch_result_release(&r2);
}

static void test_holdout_input_never_repeats_in_training(void **state)
{
	struct lf *f = *state;
	struct mn_batch_result r;
	char *dir = sub_dir(f, "b");
	json_t *train, *valid, *row;
	size_t i, j;
	int holdout_found = 0;

	/* Same text under many memories: whichever copy is holdout, no
	 * training row may carry that text. */
	f->a.cfg.learning.training.holdout_fraction = 0.5;
	for (int k = 0; k < 30; k++)
		lf_add_gold(f, NULL, "The same observation 7 times over.");
	add_golds(f, 0, 10);
	assemble(f, &r, "b", false, NULL);
	train = read_jsonl(dir, "train.raw.jsonl");
	valid = read_jsonl(dir, "valid.raw.jsonl");
	json_array_foreach(valid, i, row) {
		const char *in = mn_json_str(row, "raw_input", "");
		json_t *t;

		if (!strcmp(in, "The same observation 7 times over."))
			holdout_found++;
		json_array_foreach(train, j, t)
			assert_string_not_equal(mn_json_str(t, "raw_input", ""), in);
	}
	assert_int_equal(holdout_found, 1);
	json_decref(train);
	json_decref(valid);
	mn_batch_result_release(&r);
	free(dir);
}

static void test_no_duplicate_inputs(void **state)
{
	struct lf *f = *state;
	struct mn_batch_result r;
	char *dir = sub_dir(f, "b"), *rp = sub_dir(f, "replay.jsonl");
	json_t *train, *row, *enc = lf_encoding("Replay only: 5 items.");
	json_t *dupenc = lf_encoding("Twice stored: 2 copies.");
	struct mn_buf rb = MN_BUF_INIT;
	size_t i, j;

	f->a.cfg.learning.training.holdout_fraction = 0;
	lf_add_gold(f, NULL, "Twice stored: 2 copies.");
	lf_add_gold(f, NULL, "Twice stored: 2 copies.");
	lf_add_gold(f, NULL, "Once: 1 copy.");
	/* the replay set repeats a stored input and itself */
	mn_buf_addf(&rb, "{\"raw_input\":\"Twice stored: 2 copies.\",\"encoded\":");
	mn_json_dump(&rb, dupenc);
	mn_buf_addf(&rb, "}\n{\"raw_input\":\"Replay only: 5 items.\",\"encoded\":");
	mn_json_dump(&rb, enc);
	mn_buf_addf(&rb, "}\n{\"raw_input\":\"Replay only: 5 items.\",\"encoded\":");
	mn_json_dump(&rb, enc);
	mn_buf_addf(&rb, "}\nnot json\n");
	tu_write(rp, mn_buf_str(&rb));
	lf_set_str(&f->a.cfg.learning.training.replay_dataset, rp);
	f->a.cfg.learning.training.replay_ratio = 0.9;
	assemble(f, &r, "b", false, NULL);
	train = read_jsonl(dir, "train.raw.jsonl");
	assert_int_equal(json_array_size(train), 3);
	json_array_foreach(train, i, row) {
		json_t *o;

		json_array_foreach(train, j, o)
			if (i != j)
				assert_string_not_equal(mn_json_str(row, "raw_input", ""),
							mn_json_str(o, "raw_input", ""));
	}
	assert_int_equal(r.n_replay, 1);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(r.manifest, "counts"),
							    "replay_unusable")),
			 1);
	json_decref(train);
	json_decref(enc);
	json_decref(dupenc);
	mn_buf_release(&rb);
	mn_batch_result_release(&r);
	free(dir);
	free(rp);
}

static void write_replay(struct lf *f, const char *path, int n)
{
	struct mn_buf b = MN_BUF_INIT;

	for (int i = 0; i < n; i++) {
		char text[96];
		json_t *row;

		snprintf(text, sizeof(text), "Seed example %d: latency %d ms on node-%d.", i,
			 100 + i, i);
		row = json_pack("{s:s,s:o,s:s,s:s,s:f}", "raw_input", text, "encoded",
				lf_encoding(text), "task_type", "encoding", "source", "gold", "epr",
				1.0);
		mn_json_dump(&b, row);
		mn_buf_addc(&b, '\n');
		json_decref(row);
	}
	tu_write(path, mn_buf_str(&b));
	mn_buf_release(&b);
	lf_set_str(&f->a.cfg.learning.training.replay_dataset, path);
}

static void test_replay_ratio_and_cap(void **state)
{
	struct lf *f = *state;
	struct mn_batch_result r;
	char *rp = sub_dir(f, "replay.jsonl"), *dir = sub_dir(f, "b");
	json_t *counts, *raw, *row;
	size_t i;
	int replay = 0;

	f->a.cfg.learning.training.holdout_fraction = 0;
	f->a.cfg.learning.training.max_examples_per_run = 10;
	f->a.cfg.learning.training.replay_ratio = 0.3;
	write_replay(f, rp, 50);
	add_golds(f, 0, 30);
	assemble(f, &r, "b", false, NULL);
	counts = json_object_get(r.manifest, "counts");
	/* 10 at most: 7 new rows, 3 replay (30%) */
	assert_int_equal(r.n_train, 10);
	assert_int_equal(r.n_replay, 3);
	assert_int_equal(json_integer_value(json_object_get(counts, "gold")), 7);
	assert_int_equal(json_integer_value(json_object_get(counts, "deferred")), 23);
	raw = read_jsonl(dir, "train.raw.jsonl");
	json_array_foreach(raw, i, row)
		replay += !strcmp(mn_json_str(row, "source", ""), "replay");
	assert_int_equal(replay, 3);
	json_decref(raw);
	mn_batch_result_release(&r);

	/* few new rows: replay keeps its share, not the whole cap */
	f->a.cfg.learning.training.max_examples_per_run = 200;
	assemble(f, &r, "b2", false, NULL);
	assert_int_equal(r.n_train - r.n_replay, 30);
	assert_int_equal(r.n_replay, 13); /* round(30 * 0.3 / 0.7) */
	mn_batch_result_release(&r);
	free(rp);
	free(dir);
}

static void test_deterministic_for_a_seed(void **state)
{
	struct lf *f = *state;
	struct mn_batch_result r1, r2, r3;
	char *rp = sub_dir(f, "replay.jsonl");
	char *d1 = sub_dir(f, "b1"), *d2 = sub_dir(f, "b2"), *d3 = sub_dir(f, "b3");
	const char *names[] = { "train.jsonl", "train.raw.jsonl", "preference.jsonl",
				"valid.jsonl", "valid.raw.jsonl", NULL };
	char cid[37];

	f->a.cfg.learning.training.holdout_fraction = 0.2;
	f->a.cfg.learning.training.replay_ratio = 0.3;
	write_replay(f, rp, 20);
	add_golds(f, 0, 25);
	add_corrected(f, cid, "Bob fixed bug 1234 in parser.c.", "teacher-model");
	assemble(f, &r1, "b1", false, NULL);
	assemble(f, &r2, "b2", false, NULL);
	for (int i = 0; names[i]; i++) {
		char *a = file_text(d1, names[i]), *b = file_text(d2, names[i]);

		assert_string_equal(a, b);
		free(a);
		free(b);
	}
	f->a.cfg.learning.training.seed = 7;
	assemble(f, &r3, "b3", false, NULL);
	{
		char *a = file_text(d1, "train.jsonl"), *c = file_text(d3, "train.jsonl");
		char *va = file_text(d1, "valid.jsonl"), *vc = file_text(d3, "valid.jsonl");

		assert_string_not_equal(a, c); /* another order (and replay draw) */
		assert_string_equal(va, vc); /* the holdout does not follow the seed */
		free(a);
		free(c);
		free(va);
		free(vc);
	}
	mn_batch_result_release(&r1);
	mn_batch_result_release(&r2);
	mn_batch_result_release(&r3);
	free(rp);
	free(d1);
	free(d2);
	free(d3);
}

static void test_manifest_hashes_match_files(void **state)
{
	struct lf *f = *state;
	struct mn_batch_result r;
	struct mn_err err = MN_ERR_INIT;
	char *dir = sub_dir(f, "b"), *path;
	json_t *man, *files, *v;
	const char *name;
	char cid[37];

	f->a.cfg.learning.training.holdout_fraction = 0.2;
	add_golds(f, 0, 20);
	add_corrected(f, cid, "Carol rotated key k-9 on 2026-01-02.", "human");
	assemble(f, &r, "b", false, "batch-xyz");
	path = mn_xasprintf("%s/manifest.json", dir);
	man = mn_json_load_file(path, &err);
	assert_non_null(man);
	assert_true(json_equal(man, r.manifest));
	assert_string_equal(mn_json_str(man, "batch_id", ""), "batch-xyz");
	assert_non_null(json_object_get(man, "created_at"));
	assert_int_equal(json_integer_value(json_object_get(man, "seed")), 42);
	assert_non_null(json_object_get(json_object_get(man, "config"), "holdout_fraction"));
	assert_int_equal(json_integer_value(json_object_get(json_object_get(man, "encoder_versions"),
							    "v0001")),
			 (json_int_t)r.n_train);
	files = json_object_get(man, "files");
	assert_int_equal(json_object_size(files), 5);
	json_object_foreach(files, name, v) {
		char hex[65], *fp = mn_xasprintf("%s/%s", dir, name);

		assert_int_equal(mn_file_sha256(hex, fp, &err), 0);
		assert_string_equal(hex, mn_json_str(v, "sha256", ""));
		free(fp);
	}
	assert_int_equal(json_integer_value(json_object_get(json_object_get(files, "train.jsonl"),
							    "lines")),
			 (json_int_t)r.n_train);
	json_decref(man);
	free(path);
	mn_batch_result_release(&r);
	free(dir);
}

static void test_claim_release_and_mark_trained(void **state)
{
	struct lf *f = *state;
	struct mn_err err = MN_ERR_INIT;
	struct mn_batch_result r;
	struct mn_batch_opts o = { 0 };
	int n = -1;
	char *d = sub_dir(f, "b3");
	char *v;

	f->a.cfg.learning.training.holdout_fraction = 0;
	add_golds(f, 0, 6);
	assert_int_equal(mn_batch_count_eligible(&f->a, &n, &err), 0);
	assert_int_equal(n, 6);
	/* on demand: nothing claimed */
	assemble(f, &r, "b0", false, "od");
	mn_batch_result_release(&r);
	assert_int_equal(mn_batch_count_eligible(&f->a, &n, &err), 0);
	assert_int_equal(n, 6);
	/* a run's batch claims its rows */
	assemble(f, &r, "b1", true, "run-1");
	assert_int_equal(r.n_train, 6);
	mn_batch_result_release(&r);
	assert_int_equal(mn_batch_count_eligible(&f->a, &n, &err), 0);
	assert_int_equal(n, 0);
	o.out_dir = d;
	o.claim_rows = true;
	assert_int_equal(mn_batch_assemble(&f->a, &r, &o, &err), MN_EDECLINED);
	mn_batch_result_release(&r);
	v = lf_sql(f, "SELECT count(*) FROM experience_buffer WHERE batch_id = ?1", "run-1");
	assert_string_equal(v, "6");
	free(v);
	/* failed run: released, eligible again */
	assert_int_equal(mn_batch_release(&f->a, "run-1", &err), 0);
	assert_int_equal(mn_batch_count_eligible(&f->a, &n, &err), 0);
	assert_int_equal(n, 6);
	/* deployed run: trained, never eligible again, release cannot undo it */
	assemble(f, &r, "b2", true, "run-2");
	mn_batch_result_release(&r);
	add_golds(f, 50, 2);
	assert_int_equal(mn_batch_mark_trained(&f->a, "run-2", "run-2", &err), 0);
	assert_int_equal(mn_batch_release(&f->a, "run-2", &err), 0);
	assert_int_equal(mn_batch_count_eligible(&f->a, &n, &err), 0);
	assert_int_equal(n, 2);
	v = lf_sql(f, "SELECT count(*) FROM experience_buffer WHERE trained_in_run = ?1",
		   "run-2");
	assert_string_equal(v, "6");
	free(v);
	free(d);
}

/* Rows a deployed run trained on come back as replay, so the next version
 * keeps what the last one learned; they are never claimed again. */
static void test_trained_rows_are_replayed(void **state)
{
	struct lf *f = *state;
	struct mn_err err = MN_ERR_INIT;
	struct mn_batch_result r;
	char *dir = sub_dir(f, "next"), *rp = sub_dir(f, "empty.jsonl");
	json_t *raw, *row;
	size_t i;
	int old_replayed = 0;

	f->a.cfg.learning.training.holdout_fraction = 0;
	f->a.cfg.learning.training.replay_ratio = 0.5;
	write_replay(f, rp, 0); /* an empty replay set: the pool is the trained rows */
	add_golds(f, 0, 8);
	assemble(f, &r, "first", true, "run-1");
	mn_batch_result_release(&r);
	assert_int_equal(mn_batch_mark_trained(&f->a, "run-1", "run-1", &err), 0);
	add_golds(f, 100, 8);
	assemble(f, &r, "next", true, "run-2");
	assert_int_equal(r.n_train - r.n_replay, 8);
	assert_true(r.n_replay > 0);
	raw = read_jsonl(dir, "train.raw.jsonl");
	json_array_foreach(raw, i, row) {
		if (strcmp(mn_json_str(row, "source", ""), "replay"))
			continue;
		/* replayed rows are the first run's observations (0..7) */
		if (strstr(mn_json_str(row, "raw_input", ""), "Observation ") &&
		    atoi(mn_json_str(row, "raw_input", "") + 12) < 8)
			old_replayed++;
	}
	assert_int_equal((size_t)old_replayed, r.n_replay);
	json_decref(raw);
	mn_batch_result_release(&r);
	/* still trained in run-1 only: replay never claims */
	{
		char *v = lf_sql(f, "SELECT count(*) FROM experience_buffer WHERE batch_id = ?1",
				 "run-2");

		assert_string_equal(v, "8");
		free(v);
	}
	free(rp);
	free(dir);
}

/* A seed set many times larger than what earlier versions learned must not
 * crowd it out: replay takes from both in turn. */
static void test_replay_balances_seed_and_learned(void **state)
{
	struct lf *f = *state;
	struct mn_err err = MN_ERR_INIT;
	struct mn_batch_result r;
	char *dir = sub_dir(f, "next"), *rp = sub_dir(f, "seed.jsonl");
	json_t *raw, *row;
	size_t i;
	int learned = 0, seed = 0;

	f->a.cfg.learning.training.holdout_fraction = 0;
	f->a.cfg.learning.training.replay_ratio = 0.5;
	write_replay(f, rp, 400);
	add_golds(f, 0, 10);
	assemble(f, &r, "first", true, "run-1");
	mn_batch_result_release(&r);
	assert_int_equal(mn_batch_mark_trained(&f->a, "run-1", "run-1", &err), 0);
	add_golds(f, 100, 10);
	assemble(f, &r, "next", true, "run-2");
	assert_int_equal(r.n_train - r.n_replay, 10);
	assert_int_equal(r.n_replay, 10);
	raw = read_jsonl(dir, "train.raw.jsonl");
	json_array_foreach(raw, i, row) {
		const char *in = mn_json_str(row, "raw_input", "");

		if (strcmp(mn_json_str(row, "source", ""), "replay"))
			continue;
		if (!strncmp(in, "Seed example", 12))
			seed++;
		else if (strstr(in, "Observation ") && atoi(strstr(in, "Observation ") + 12) < 10)
			learned++;
	}
	/* uniform sampling from the union would give about 10 * 10/410 */
	assert_int_equal(learned, 5);
	assert_int_equal(seed, 5);
	json_decref(raw);
	mn_batch_result_release(&r);
	free(rp);
	free(dir);
}

static void test_count_eligible_leaves_out_holdout(void **state)
{
	struct lf *f = *state;
	struct mn_err err = MN_ERR_INIT;
	struct mn_batch_result r;
	int n = 0;

	f->a.cfg.learning.training.holdout_fraction = 0.5;
	add_golds(f, 0, 30);
	assemble(f, &r, "b", false, NULL);
	assert_int_equal(mn_batch_count_eligible(&f->a, &n, &err), 0);
	assert_int_equal((size_t)n, r.n_train);
	assert_int_equal(r.n_train + r.n_valid, 30);
	mn_batch_result_release(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_declines_when_nothing_is_eligible, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_chat_and_raw_formats, setup, teardown),
		cmocka_unit_test_setup_teardown(test_raw_input_is_the_cut_text, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sources_targets_and_preference, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_excluded_fallback_and_uncorrected_rows_never_train,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_holdout_is_stable_and_never_trained, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_holdout_input_never_repeats_in_training, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_no_duplicate_inputs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replay_ratio_and_cap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deterministic_for_a_seed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_manifest_hashes_match_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_claim_release_and_mark_trained, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_trained_rows_are_replayed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replay_balances_seed_and_learned, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_count_eligible_leaves_out_holdout, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
