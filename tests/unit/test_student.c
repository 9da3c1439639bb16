/*
 * test_student.c - the builtin student: faithful encodings, the model file,
 * the deterministic trainer, learning, warm start, the eval helpers and the
 * shipped default weights.
 */
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "testutil.h"

#include "base/buf.h"
#include "base/file.h"
#include "base/json.h"
#include "base/sha256.h"
#include "base/text.h"
#include "model/encoding.h"
#include "model/evalset.h"
#include "model/student.h"
#include "train/student_train.h"
#include "cli/student_cli.h"
#include "model/verify.h"

/* One model trained on the seed set, shared by the read-only tests. */
static char *g_dir;
static struct mn_student *g_student;

static char *path_join(const char *a, const char *b)
{
	char *p = malloc(strlen(a) + strlen(b) + 2);

	sprintf(p, "%s/%s", a, b);
	return p;
}

static void read_all(struct mn_buf *out, const char *path)
{
	struct mn_err err = MN_ERR_INIT;

	mn_buf_release(out);
	assert_int_equal(mn_file_read(out, path, 1 << 28, &err), 0);
}

static void write_bytes(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
}

/* A batch dir holding a copy of the seed set as train.raw.jsonl. */
static char *seed_batch(void)
{
	char *dir = tu_tmpdir(), *src = tu_src_path("data/seed/seed.raw.jsonl");
	char *dst = path_join(dir, "train.raw.jsonl");
	struct mn_buf b = MN_BUF_INIT;

	read_all(&b, src);
	write_bytes(dst, b.data, b.len);
	mn_buf_release(&b);
	free(src);
	free(dst);
	return dir;
}

static int train_into(const char *batch, const char *out, const char *incumbent, uint64_t seed,
		      struct mn_err *err)
{
	struct mn_student_train_opts o = { batch, out, incumbent, seed, false };

	return mn_student_train(&o, err);
}

static int group_setup(void **state)
{
	struct mn_err err = MN_ERR_INIT;
	char *batch = seed_batch();
	char *src = tu_src_path("data");

	(void)state;
	setenv("MNEMO_DATADIR", src, 1);
	free(src);
	g_dir = tu_tmpdir();
	if (train_into(batch, g_dir, NULL, 42, &err) || mn_student_load(&g_student, g_dir, &err)) {
		fprintf(stderr, "setup: %s\n", err.msg);
		return -1;
	}
	tu_rmtree(batch);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	mn_student_free(g_student);
	tu_rmtree(g_dir);
	return 0;
}

/* Encode text and check SC, EPR, FR and the length limits. */
static json_t *encode_checked(const char *text, size_t len, double min_epr)
{
	json_t *enc = NULL;
	double conf = -1;
	struct mn_metrics m;
	char why[64];

	assert_int_equal(mn_student_encode(g_student, &enc, &conf, text, len, "cli", "note"), 0);
	assert_non_null(enc);
	assert_true(conf >= 0.0 && conf <= 1.0);
	if (!mn_encoding_check(enc, why, sizeof(why)))
		fail_msg("not schema compliant: %s", why);
	mn_verify_score(&m, text, len, enc);
	if (m.epr < min_epr || m.fr > 0.0 || !m.sc || m.mig) {
		char *j = mn_json_dumps(enc);

		fail_msg("epr %.3f fr %.3f sc %d mig %d for %s", m.epr, m.fr, m.sc, m.mig, j);
	}
	mn_metrics_release(&m);
	return enc;
}

/* ---- encoding ---- */

static void test_encode_is_faithful_on_varied_inputs(void **state)
{
	static const char *const inputs[] = {
		"ok",
		"tests pass",
		"a",
		"Deployed auth-service v2.3.1 to production. Health checks are green.",
		"Decided to use SQLite instead of Postgres for the cache because it is simpler.",
		"Traceback (most recent call last):\n  File \"api/handlers/users.py\", line 42, in get\n"
		"KeyError: 'user_id'",
		"p99 latency 1,234 ms over 98,000 requests; error rate 0.42%; CPU 87% on 3/4 nodes",
		"Met with Alice Chen and Bob Martinez about the Q3 roadmap. Alice Chen will draft "
		"it by Friday.",
		"Déploiement de billing-api v1.2 terminé 🎉 — José Núñez a validé. デプロイ完了",
		"Set max_connections to 200 in /etc/postgresql/postgresql.conf and restarted.",
		"line one\r\nline two\r\n\r\n\r\n\r\nline three with\ttab",
		"  \n\n  leading and trailing blank lines  \n\n",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
		json_t *enc = encode_checked(inputs[i], strlen(inputs[i]), 0.9);
		const char *content = json_string_value(json_object_get(enc, "content"));

		/* extractive: content is the input, whitespace-normalised */
		assert_true(strlen(content) <= strlen(inputs[i]));
		json_decref(enc);
	}
}

static void test_encode_short_input_stays_short(void **state)
{
	json_t *enc = encode_checked("ok", 2, 1.0);

	(void)state;
	assert_string_equal(json_string_value(json_object_get(enc, "content")), "ok");
	assert_string_equal(json_string_value(json_object_get(enc, "narrative")), "");
	assert_true(json_array_size(json_object_get(enc, "concepts")) <= 1);
	assert_true(json_real_value(json_object_get(enc, "salience")) <= 0.3);
	json_decref(enc);
}

static void test_encode_empty_and_blank_input(void **state)
{
	json_t *enc = NULL;
	double conf;
	char why[64];

	(void)state;
	assert_int_equal(mn_student_encode(g_student, &enc, &conf, "", 0, NULL, NULL), 0);
	assert_true(mn_encoding_check(enc, why, sizeof(why)));
	assert_string_equal(json_string_value(json_object_get(enc, "content")), "");
	json_decref(enc);
	assert_int_equal(mn_student_encode(g_student, &enc, &conf, " \n\t ", 4, NULL, NULL), 0);
	assert_true(mn_encoding_check(enc, why, sizeof(why)));
	json_decref(enc);
	assert_int_equal(mn_student_encode(g_student, &enc, &conf, NULL, 3, NULL, NULL), MN_EINVAL);
	assert_null(enc);
}

static void test_encode_8kb_input(void **state)
{
	struct mn_buf b = MN_BUF_INIT;
	json_t *enc;
	const char *summary, *gist;

	(void)state;
	for (int i = 0; b.len < 8000; i++)
		mn_buf_addf(&b,
			    "[%04d] worker-%d processed batch %d of /var/log/app/run-%d.log in "
			    "%d ms; Grace Kim checked v1.%d.%d.\n",
			    i, i % 7, i * 13, i, 100 + i, i % 9, i % 5);
	enc = encode_checked(b.data, b.len, 0.9);
	summary = json_string_value(json_object_get(enc, "summary"));
	gist = json_string_value(json_object_get(enc, "gist"));
	assert_true(mn_text_utf8_chars(summary, strlen(summary)) <= 400);
	assert_true(mn_text_utf8_chars(gist, strlen(gist)) <= 60);
	json_decref(enc);
	mn_buf_release(&b);
}

static void test_encode_repairs_invalid_utf8_and_nul(void **state)
{
	static const char bad[] = "bad \xff\xfe bytes and a \0 NUL in v1.2.3 of app.py";
	json_t *enc = NULL;
	double conf;
	char why[64];

	(void)state;
	assert_int_equal(
		mn_student_encode(g_student, &enc, &conf, bad, sizeof(bad) - 1, NULL, NULL), 0);
	assert_true(mn_encoding_check(enc, why, sizeof(why)));
	json_decref(enc);
}

static void test_encode_long_input_drops_repeated_lines(void **state)
{
	struct mn_buf b = MN_BUF_INIT;
	json_t *enc;

	(void)state;
	mn_buf_adds(&b, "Running migrations for billing-api.\n");
	for (int i = 0; i < 60; i++)
		mn_buf_adds(&b, "WARN: lock wait exceeded 500 ms, retrying\n\n");
	mn_buf_adds(&b, "ERROR: migration 0071_step.sql failed: disk full.");
	enc = encode_checked(b.data, b.len, 1.0);
	assert_string_equal(json_string_value(json_object_get(enc, "content")),
			    "Running migrations for billing-api.\n"
			    "WARN: lock wait exceeded 500 ms, retrying\n"
			    "ERROR: migration 0071_step.sql failed: disk full.");
	json_decref(enc);
	mn_buf_release(&b);
}

static void test_encode_never_joins_title_words(void **state)
{
	/* a gist ending in "Prod" followed by a summary starting "Deployed" would
	 * read as the proper noun "Prod Deployed": FR must stay 0. (EPR is not
	 * checked: a proper noun spanning a line break, "Staging\nBob Jones", is
	 * an entity no JSON output can contain, its newline being escaped.) */
	static const char *const inputs[] = {
		"Deployed billing-api to Prod",
		"Alice restarted the worker on Staging\nBob Jones looked at Grafana",
		"Rolled back the release of the Search Indexer Service Component Today Again Now",
		"Deploy to Prod\n\n\nAlice Smith restarted it",
		"Deploy to Prod\r\nAlice Smith restarted it\r\n",
		"Smith/Prod",
		"SmithCamelCaseProdAliceDeployFailedBecauseOfTheRedisClusterCamelCaseAgain",
		"Synced /etc/app/Prod",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++)
		json_decref(encode_checked(inputs[i], strlen(inputs[i]), 0.0));
}

/* Random inputs from pieces that stress the text rules (proper nouns,
 * paths, numbers, CR LF, blank lines, long words): always schema compliant,
 * never an entity the input does not have. */
static void test_encode_random_inputs_never_fabricate(void **state)
{
	static const char *const pieces[] = {
		"a",         "B",        " ",        "\n",   ".",           "!",
		"?",         "-",        "_",        "/",    "Alice ",      "Smith",
		"v1.2.3",    "1,234",    "\xc3\xa9", "\r\n", "\t",          "deploy",
		"failed. ",  "because ", "Prod",     "x.py", "/etc/a.conf", "@bob",
		"CamelCase", ";",        ",",        "  ",   "\n\n",        "\xe3\x83\x87"
	};
	struct mn_buf b = MN_BUF_INIT;
	uint64_t r = 12345;

	(void)state;
	for (int it = 0; it < 400; it++) {
		size_t n;

		r = r * 6364136223846793005ULL + 1442695040888963407ULL;
		n = (size_t)(r >> 33) % (it % 40 ? 120 : 3000);
		mn_buf_reset(&b);
		for (size_t k = 0; k < n; k++) {
			r = r * 6364136223846793005ULL + 1442695040888963407ULL;
			mn_buf_adds(&b, pieces[(r >> 33) % (sizeof(pieces) / sizeof(pieces[0]))]);
		}
		json_decref(encode_checked(b.data ? b.data : "", b.len, 0.0));
	}
	mn_buf_release(&b);
}

static void test_encode_is_deterministic_and_labelled(void **state)
{
	const char *text = "Production outage: auth-service was down for 12 minutes.";
	json_t *a = NULL, *b = NULL;
	double ca, cb;
	char *ja, *jb;
	const char *v = mn_student_version(g_student);

	(void)state;
	assert_int_equal(mn_student_encode(g_student, &a, &ca, text, strlen(text), "cli", "error"),
			 0);
	assert_int_equal(mn_student_encode(g_student, &b, &cb, text, strlen(text), "cli", "error"),
			 0);
	ja = mn_json_dumps(a);
	jb = mn_json_dumps(b);
	assert_string_equal(ja, jb);
	assert_true(ca == cb);
	assert_int_equal(strlen(v), strlen("builtin-") + 12);
	assert_memory_equal(v, "builtin-", 8);
	free(ja);
	free(jb);
	json_decref(a);
	json_decref(b);
}

/* ---- what a careful person would write ---- */

static const char *const careful_inputs[] = {
	"Bob restarted the payments service at 14:30 on 2024-03-05 because Redis ran out of "
	"memory after the cache grew to 512 MB; checkout was down for 30 s.",
	"Deployed v1.2.3 of billing-api to production on March 5, 2024. No errors in the logs, "
	"latency is back to normal.",
	"Alice decided we will stop paying $40k a year for the Datadog contract and move "
	"metrics to Grafana by 5 Mar.",
	"The nightly backup job failed again: /var/lib/postgres/data is full and pg_dump "
	"exited with code 1. Not critical yet, but it needs a fix this week.",
	"Upgraded the CI runners to Python 3.11 and the test suite now finishes in 4 minutes "
	"instead of 12, which is great.",
};

static bool has_entity(const json_t *enc, const char *name, const char *type)
{
	const json_t *ents = json_object_get(json_object_get(enc, "structured_concepts"), "entities");
	size_t i;
	json_t *e;

	json_array_foreach(ents, i, e)
	{
		if (!strcmp(json_string_value(json_object_get(e, "name")), name))
			return !type || !strcmp(json_string_value(json_object_get(e, "type")), type);
	}
	return false;
}

static void test_encode_gist_is_a_complete_phrase(void **state)
{
	static const char *const expect[] = {
		"Bob restarted the payments service at 14:30 on 2024-03-05",
		"Deployed v1.2.3 of billing-api to production",
		"Alice decided we will stop paying $40k a year",
		"The nightly backup job failed again",
		"Upgraded the CI runners to Python 3.11",
	};
	static const char *const dangling[] = { " the", " a", " of", " for", " to", " on",
						 " and", " with", " in", NULL };

	(void)state;
	for (size_t i = 0; i < sizeof(careful_inputs) / sizeof(*careful_inputs); i++) {
		const char *in = careful_inputs[i];
		json_t *enc = encode_checked(in, strlen(in), 1.0);
		const char *g = json_string_value(json_object_get(enc, "gist"));
		size_t n = strlen(g);

		assert_true(mn_text_utf8_chars(g, n) <= 60);
		assert_string_equal(g, expect[i]);
		/* a prefix of the input that ends at a word boundary */
		assert_memory_equal(g, in, n);
		assert_false(in[n] >= 'a' && in[n] <= 'z');
		for (size_t k = 0; dangling[k]; k++) {
			size_t d = strlen(dangling[k]);

			assert_false(n >= d && !strcmp(g + n - d, dangling[k]));
		}
		json_decref(enc);
	}
}

static void test_encode_entities_a_person_would_list(void **state)
{
	json_t *enc[5];

	(void)state;
	for (size_t i = 0; i < 5; i++)
		enc[i] = encode_checked(careful_inputs[i], strlen(careful_inputs[i]), 1.0);
	/* a sentence-initial name, an ISO date as one entity, a time, units */
	assert_true(has_entity(enc[0], "Bob", "name"));
	assert_true(has_entity(enc[0], "2024-03-05", "date"));
	assert_false(has_entity(enc[0], "03", NULL));
	assert_false(has_entity(enc[0], "2024", NULL));
	assert_true(has_entity(enc[0], "14:30", "time"));
	assert_true(has_entity(enc[0], "Redis", "name"));
	assert_true(has_entity(enc[0], "512 MB", "quantity"));
	assert_true(has_entity(enc[0], "30 s", "quantity"));
	/* a version and a written date */
	assert_true(has_entity(enc[1], "v1.2.3", "version"));
	assert_true(has_entity(enc[1], "March 5, 2024", "date"));
	assert_false(has_entity(enc[1], "Deployed", NULL));
	/* money keeps its unit, a day-month date */
	assert_true(has_entity(enc[2], "$40k", "money"));
	assert_false(has_entity(enc[2], "40", NULL));
	assert_true(has_entity(enc[2], "Alice", "name"));
	assert_true(has_entity(enc[2], "Datadog", "name"));
	assert_true(has_entity(enc[2], "5 Mar", "date"));
	/* paths */
	assert_true(has_entity(enc[3], "/var/lib/postgres/data", "file"));
	assert_false(has_entity(enc[3], "The", NULL));
	/* a product with its version */
	assert_true(has_entity(enc[4], "Python 3.11", "version"));
	assert_true(has_entity(enc[4], "4 minutes", "quantity"));
	assert_false(has_entity(enc[4], "Upgraded", NULL));
	for (size_t i = 0; i < 5; i++) {
		/* concepts are never empty for text with content words */
		assert_true(json_array_size(json_object_get(enc[i], "concepts")) > 0);
		json_decref(enc[i]);
	}
	{
		const char *t = "Review comments from Omar Aziz on SSO login are addressed.";
		json_t *e = encode_checked(t, strlen(t), 1.0);

		assert_true(has_entity(e, "Omar Aziz", "name"));
		assert_false(has_entity(e, "Review", NULL));
		json_decref(e);
	}
}

static void test_salience_prints_in_its_shortest_form(void **state)
{
	const char *t = "Learned that grafana keeps idle connections open for 10 minutes.";
	json_t *enc = encode_checked(t, strlen(t), 1.0);
	char *pretty = mn_json_dumps_indent(enc, 2);
	const char *sal = strstr(pretty, "\"salience\": ");
	char num[32];

	(void)state;
	assert_non_null(sal);
	mn_json_format_real(num, json_real_value(json_object_get(enc, "salience")));
	assert_true(strlen(num) <= 4); /* 0.43, never 0.42999999999999999 */
	assert_memory_equal(sal + strlen("\"salience\": "), num, strlen(num));
	free(pretty);
	json_decref(enc);
}

/* Expected calibration error of the judgment fields' confidence against
 * the probe set's targets, over 10 equal-width bins. */
static double probe_ece(const struct mn_student *s, double *joint_ece)
{
	static const char *const keys[3] = { "significance", "emotional_tone", "outcome" };
	char *p = tu_src_path("data/probe/probe.raw.jsonl");
	struct mn_evalset set;
	struct mn_err err = MN_ERR_INIT;
	double conf[2][10] = { { 0 } }, hit[2][10] = { { 0 } }, cnt[2][10] = { { 0 } }, ece[2] = { 0 };
	size_t total[2] = { 0 };

	mn_evalset_init(&set);
	assert_int_equal(mn_evalset_load(&set, p, &err), 0);
	for (size_t i = 0; i < set.n; i++) {
		const struct mn_eval_item *it = &set.items[i];
		struct mn_student_confidence c;
		json_t *enc = NULL;
		bool all = true;

		assert_int_equal(mn_student_encode_detail(s, &enc, &c, it->input, strlen(it->input),
							  it->source, it->type),
				 0);
		for (size_t f = 0; f < 4; f++) {
			bool ok;
			double q = f < 3 ? c.field[f] : c.all;
			size_t b = q >= 1 ? 9 : (size_t)(q * 10), g = f < 3 ? 0 : 1;

			assert_true(q >= 0 && q <= 1);
			if (f < 3) {
				ok = !strcmp(json_string_value(json_object_get(enc, keys[f])),
					     json_string_value(json_object_get(it->target, keys[f])));
				all &= ok;
			} else {
				ok = all;
			}
			conf[g][b] += q;
			hit[g][b] += ok;
			cnt[g][b]++;
			total[g]++;
		}
		json_decref(enc);
	}
	for (size_t g = 0; g < 2; g++)
		for (size_t b = 0; b < 10; b++)
			if (cnt[g][b])
				ece[g] += fabs(conf[g][b] - hit[g][b]) / (double)total[g];
	mn_evalset_release(&set);
	free(p);
	*joint_ece = ece[1];
	return ece[0];
}

static void test_confidence_is_calibrated_on_the_probe_set(void **state)
{
	double joint, fields = probe_ece(g_student, &joint);

	(void)state;
	/* the target is 0.05 for the fields (bench/calibration.c) */
	assert_true(fields < 0.05);
	assert_true(joint < 0.08);
}

/* A model file of format 1 (no calibration section) still loads. */
static void test_load_reads_format_1(void **state)
{
	char *p = path_join(g_dir, "model.bin"), *dir = tu_tmpdir(), *q = path_join(dir, "model.bin");
	struct mn_buf b = MN_BUF_INIT, v1 = MN_BUF_INIT;
	struct mn_err err = MN_ERR_INIT;
	struct mn_student *s = NULL;
	const size_t parent_at = 72, cal_len = 4 + 4 * 8;
	size_t cal_at;
	json_t *enc = NULL;
	double conf = -1;

	(void)state;
	read_all(&b, p);
	cal_at = parent_at + 2 + ((size_t)(unsigned char)b.data[parent_at] |
				  (size_t)(unsigned char)b.data[parent_at + 1] << 8);
	mn_buf_add(&v1, b.data, cal_at);
	mn_buf_add(&v1, b.data + cal_at + cal_len, b.len - 32 - cal_at - cal_len);
	v1.data[8] = 1;
	{
		struct mn_sha256 c;
		unsigned char d[32];

		mn_sha256_init(&c);
		mn_sha256_update(&c, v1.data, v1.len);
		mn_sha256_final(&c, d);
		mn_buf_add(&v1, d, 32);
	}
	write_bytes(q, v1.data, v1.len);
	assert_int_equal(mn_student_load(&s, dir, &err), 0);
	assert_int_equal(mn_student_encode(s, &enc, &conf, "deploy failed", 13, NULL, NULL), 0);
	assert_true(conf >= 0 && conf <= 1);
	json_decref(enc);
	mn_student_free(s);
	mn_buf_release(&b);
	mn_buf_release(&v1);
	free(p);
	free(q);
	tu_rmtree(dir);
}

/* ---- model file ---- */

static int load_file_bytes(const void *data, size_t len, struct mn_err *err)
{
	char *dir = tu_tmpdir(), *p = path_join(dir, "model.bin");
	struct mn_student *s = NULL;
	int ret;

	write_bytes(p, data, len);
	ret = mn_student_load(&s, dir, err);
	if (!ret)
		assert_non_null(s);
	else
		assert_null(s);
	mn_student_free(s);
	free(p);
	tu_rmtree(dir);
	return ret;
}

static void test_load_refuses_corrupt_truncated_and_wrong_version(void **state)
{
	char *p = path_join(g_dir, "model.bin");
	struct mn_buf b = MN_BUF_INIT;
	struct mn_err err = MN_ERR_INIT;
	unsigned char *copy;

	(void)state;
	read_all(&b, p);
	copy = malloc(b.len);
	assert_int_equal(load_file_bytes(b.data, b.len, &err), 0);

	/* one flipped bit in the weights */
	memcpy(copy, b.data, b.len);
	copy[b.len / 2] ^= 0x10;
	assert_int_equal(load_file_bytes(copy, b.len, &err), MN_EINVAL);
	assert_non_null(strstr(err.msg, "checksum"));

	/* truncated */
	assert_int_equal(load_file_bytes(b.data, b.len - 100, &err), MN_EINVAL);
	assert_non_null(strstr(err.msg, "corrupt or truncated"));
	assert_int_equal(load_file_bytes(b.data, 10, &err), MN_EINVAL);
	assert_int_equal(load_file_bytes(b.data, 0, &err), MN_EINVAL);

	/* bad magic */
	memcpy(copy, b.data, b.len);
	copy[0] = 'X';
	assert_int_equal(load_file_bytes(copy, b.len, &err), MN_EINVAL);
	assert_non_null(strstr(err.msg, "not a mnemo student model"));

	/* a newer format version */
	memcpy(copy, b.data, b.len);
	copy[8] = 3;
	assert_int_equal(load_file_bytes(copy, b.len, &err), MN_EVERSION);
	assert_non_null(strstr(err.msg, "format version 3"));

	/* a newer feature extractor, checksum made valid again */
	memcpy(copy, b.data, b.len);
	copy[12] = 99;
	{
		struct mn_sha256 c;

		mn_sha256_init(&c);
		mn_sha256_update(&c, copy, b.len - 32);
		mn_sha256_final(&c, copy + b.len - 32);
	}
	assert_int_equal(load_file_bytes(copy, b.len, &err), MN_EVERSION);
	assert_non_null(strstr(err.msg, "feature extractor version 99"));

	/* missing */
	{
		char *dir = tu_tmpdir();
		struct mn_student *s = NULL;

		assert_int_equal(mn_student_load(&s, dir, &err), MN_ENOTFOUND);
		assert_null(s);
		tu_rmtree(dir);
	}
	free(copy);
	free(p);
	mn_buf_release(&b);
}

static void write_rule_batch(const char *dir, int n);

/* Every short prefix and a sweep of corrupted header bytes with a valid
 * checksum must be refused or loaded, never crash (run under ASan). A small
 * model keeps the sweep fast. */
static void test_load_never_crashes_on_bad_fields(void **state)
{
	char *batch = tu_tmpdir(), *out = tu_tmpdir(), *p = path_join(out, "model.bin");
	struct mn_buf b = MN_BUF_INIT;
	struct mn_err err = MN_ERR_INIT;
	unsigned char *copy;
	size_t header = 300; /* header, heads and the first weight section */

	(void)state;
	write_rule_batch(batch, 12);
	assert_int_equal(train_into(batch, out, NULL, 1, &err), 0);
	read_all(&b, p);
	assert_true(b.len > header + 32);
	copy = malloc(b.len);
	for (size_t n = 0; n < header; n += 7)
		assert_int_not_equal(load_file_bytes(b.data, n, &err), 0);
	for (size_t off = 12; off < header; off++) {
		static const unsigned char junk[] = { 0xff, 0x7f, 0x00, 0x80 };

		for (size_t j = 0; j < sizeof(junk); j++) {
			struct mn_sha256 c;

			memcpy(copy, b.data, b.len);
			if (copy[off] == junk[j])
				continue;
			copy[off] = junk[j];
			mn_sha256_init(&c);
			mn_sha256_update(&c, copy, b.len - 32);
			mn_sha256_final(&c, copy + b.len - 32);
			/* a changed threshold or weight may still load: what matters is
			 * no crash, and no success with broken sizes (ASan checks) */
			(void)load_file_bytes(copy, b.len, &err);
		}
	}
	free(copy);
	free(p);
	mn_buf_release(&b);
	tu_rmtree(batch);
	tu_rmtree(out);
}

/* ---- trainer ---- */

static void test_train_is_deterministic(void **state)
{
	char *batch = seed_batch(), *out1 = tu_tmpdir(), *out2 = tu_tmpdir();
	char *m1 = path_join(out1, "model.bin"), *m2 = path_join(out2, "model.bin");
	char *j1 = path_join(out1, "metrics.json"), *j2 = path_join(out2, "metrics.json");
	struct mn_buf a = MN_BUF_INIT, b = MN_BUF_INIT;
	struct mn_err err = MN_ERR_INIT;

	(void)state;
	assert_int_equal(train_into(batch, out1, NULL, 7, &err), 0);
	assert_int_equal(train_into(batch, out2, NULL, 7, &err), 0);
	read_all(&a, m1);
	read_all(&b, m2);
	assert_int_equal(a.len, b.len);
	assert_memory_equal(a.data, b.data, a.len);
	read_all(&a, j1);
	read_all(&b, j2);
	assert_string_equal(a.data, b.data);
	mn_buf_release(&a);
	mn_buf_release(&b);
	free(m1);
	free(m2);
	free(j1);
	free(j2);
	tu_rmtree(batch);
	tu_rmtree(out1);
	tu_rmtree(out2);
}

/* Rows for a rule the seed set does not know: the made-up word "zorblat"
 * means a critical, concerning failure; "quuxly" a routine, satisfying
 * success. */
static void write_rule_batch(const char *dir, int n)
{
	static const char *const things[] = { "the cache",       "the importer", "the build",
					      "the nightly job", "the api",      "the parser",
					      "the scheduler",   "the sync" };
	char *p = path_join(dir, "train.raw.jsonl");
	FILE *f = fopen(p, "w");

	assert_non_null(f);
	for (int i = 0; i < n; i++) {
		bool bad = i % 2;
		char text[200];
		json_t *row, *enc;
		char *line;

		snprintf(text, sizeof(text), "%s %s again on host%d", things[i % 8],
			 bad ? "zorblat" : "quuxly", i);
		enc = json_pack("{s:s,s:s,s:s,s:s,s:[],s:{s:[],s:[],s:[],s:[]},s:s,s:s,s:s,s:f}",
				"gist", text, "summary", text, "content", text, "narrative", "",
				"concepts", "structured_concepts", "topics", "entities", "actions",
				"causality", "significance", bad ? "critical" : "routine",
				"emotional_tone", bad ? "concerning" : "satisfying", "outcome",
				bad ? "failure" : "success", "salience", bad ? 0.9 : 0.2);
		row = json_pack("{s:s,s:o,s:s,s:n,s:s,s:f}", "raw_input", text, "encoded", enc,
				"task_type", "encoding", "memory_id", "source", "corrected", "epr",
				1.0);
		line = mn_json_dumps(row);
		fprintf(f, "%s\n", line);
		free(line);
		json_decref(row);
	}
	fclose(f);
	free(p);
}

static const char *predict(struct mn_student *s, const char *text, const char *key)
{
	static char out[32];
	json_t *enc = NULL;
	double conf;

	assert_int_equal(mn_student_encode(s, &enc, &conf, text, strlen(text), NULL, NULL), 0);
	snprintf(out, sizeof(out), "%s", json_string_value(json_object_get(enc, key)));
	json_decref(enc);
	return out;
}

static void test_heads_learn_a_keyword_rule(void **state)
{
	char *batch = tu_tmpdir(), *out = tu_tmpdir();
	struct mn_err err = MN_ERR_INIT;
	struct mn_student *s = NULL;

	(void)state;
	write_rule_batch(batch, 80);
	assert_int_equal(train_into(batch, out, NULL, 42, &err), 0);
	assert_int_equal(mn_student_load(&s, out, &err), 0);
	/* unseen sentences: only the keyword decides */
	assert_string_equal(predict(s, "the deploy zorblat on host77", "outcome"), "failure");
	assert_string_equal(predict(s, "the deploy quuxly on host77", "outcome"), "success");
	assert_string_equal(predict(s, "the deploy zorblat on host77", "significance"), "critical");
	assert_string_equal(predict(s, "the deploy quuxly on host77", "significance"), "routine");
	assert_string_equal(predict(s, "the deploy zorblat on host77", "emotional_tone"),
			    "concerning");
	assert_string_equal(predict(s, "the deploy quuxly on host77", "emotional_tone"),
			    "satisfying");
	mn_student_free(s);
	tu_rmtree(batch);
	tu_rmtree(out);
}

static void test_warm_start_from_incumbent(void **state)
{
	char *batch = tu_tmpdir(), *out = tu_tmpdir(), *out2 = tu_tmpdir();
	char *mj = path_join(out, "metrics.json"), *m1 = path_join(out, "model.bin"),
	     *m2 = path_join(out2, "model.bin");
	struct mn_err err = MN_ERR_INIT;
	struct mn_student *s = NULL;
	struct mn_buf a = MN_BUF_INIT, b = MN_BUF_INIT;
	json_t *metrics;

	(void)state;
	write_rule_batch(batch, 60);
	assert_int_equal(train_into(batch, out, g_dir, 42, &err), 0);
	metrics = mn_json_load_file(mj, &err);
	assert_non_null(metrics);
	assert_true(json_is_true(json_object_get(metrics, "warm_start")));
	assert_string_equal(mn_json_str(metrics, "parent", ""), mn_student_version(g_student));
	json_decref(metrics);
	assert_int_equal(mn_student_load(&s, out, &err), 0);
	assert_string_equal(predict(s, "the deploy zorblat on host5", "outcome"), "failure");
	mn_student_free(s);
	/* warm starts are deterministic too */
	assert_int_equal(train_into(batch, out2, g_dir, 42, &err), 0);
	read_all(&a, m1);
	read_all(&b, m2);
	assert_int_equal(a.len, b.len);
	assert_memory_equal(a.data, b.data, a.len);
	/* an unusable incumbent is a cold start, not a failure */
	assert_int_equal(train_into(batch, out2, "/nonexistent/model", 42, &err), 0);
	mn_buf_release(&a);
	mn_buf_release(&b);
	free(mj);
	free(m1);
	free(m2);
	tu_rmtree(batch);
	tu_rmtree(out);
	tu_rmtree(out2);
}

static void test_train_skips_bad_lines_and_needs_rows(void **state)
{
	char *batch = tu_tmpdir(), *out = tu_tmpdir(), *p = path_join(batch, "train.raw.jsonl");
	char *v = path_join(batch, "valid.raw.jsonl"), *mj = path_join(out, "metrics.json");
	struct mn_err err = MN_ERR_INIT;
	json_t *metrics;

	(void)state;
	assert_int_equal(train_into(batch, out, NULL, 1, &err), MN_ENOTFOUND);
	tu_write(p, "not json\n{\"raw_input\":\"x\"}\n\n{\"raw_input\":\"\",\"encoded\":{}}\n");
	assert_int_equal(train_into(batch, out, NULL, 1, &err), MN_EINVAL);
	assert_non_null(strstr(err.msg, "no usable training rows"));
	write_rule_batch(batch, 20);
	{
		FILE *f = fopen(p, "a");

		fputs("{\"raw_input\":\"a\",\"encoded\":{\"significance\":\"huge\"}}\n[1,2]\n", f);
		fclose(f);
	}
	/* the holdout: two rule rows */
	{
		struct mn_buf b = MN_BUF_INIT;
		char *nl;

		read_all(&b, p);
		nl = strchr(b.data, '\n');
		nl = strchr(nl + 1, '\n');
		write_bytes(v, b.data, (size_t)(nl - b.data) + 1);
		mn_buf_release(&b);
	}
	assert_int_equal(train_into(batch, out, NULL, 1, &err), 0);
	metrics = mn_json_load_file(mj, &err);
	assert_non_null(metrics);
	assert_int_equal(
		json_integer_value(json_object_get(json_object_get(metrics, "train"), "rows")), 20);
	assert_int_equal(
		json_integer_value(json_object_get(json_object_get(metrics, "train"), "skipped")),
		2);
	assert_int_equal(
		json_integer_value(json_object_get(json_object_get(metrics, "valid"), "n")), 2);
	json_decref(metrics);
	free(p);
	free(v);
	free(mj);
	tu_rmtree(batch);
	tu_rmtree(out);
}

/* ---- eval helpers ---- */

struct fake {
	json_t *outputs[8];
	size_t next;
	size_t longest; /* the longest input the encoder was given */
};

static int fake_fn(void *payload, json_t **out, const char *input, size_t len, const char *source,
		   const char *type, struct mn_err *err)
{
	struct fake *f = payload;
	json_t *o = f->outputs[f->next++];

	(void)input;
	(void)source;
	(void)type;
	if (len > f->longest)
		f->longest = len;
	if (!o)
		return mn_err_set(err, MN_EFAIL, "fake failure");
	*out = json_incref(o);
	return 0;
}

static json_t *enc_of(const char *text, const char *sig, const char *tone, const char *outcome,
		      double sal, json_t *concepts)
{
	return json_pack("{s:s,s:s,s:s,s:s,s:o,s:{s:[],s:[],s:[],s:[]},s:s,s:s,s:s,s:f}", "gist",
			 text, "summary", text, "content", text, "narrative", "", "concepts",
			 concepts, "structured_concepts", "topics", "entities", "actions",
			 "causality", "significance", sig, "emotional_tone", tone, "outcome",
			 outcome, "salience", sal);
}

static void test_evalset_metrics_on_hand_made_cases(void **state)
{
	char *dir = tu_tmpdir(), *p = path_join(dir, "probe.raw.jsonl");
	struct mn_evalset set;
	struct mn_eval_report r;
	struct mn_err err = MN_ERR_INIT;
	struct fake f = { { NULL }, 0, 0 };
	FILE *fp;
	json_t *t1, *t2, *t3, *row;
	char *line;

	(void)state;
	/* targets */
	t1 = enc_of("deploy v1.2 ok", "notable", "satisfying", "success", 0.5,
		    json_pack("[s,s]", "deploy", "release"));
	t2 = enc_of("tests fail", "routine", "frustrating", "failure", 0.2,
		    json_pack("[s]", "tests"));
	t3 = enc_of("noted", "routine", "neutral", "unknown", 0.1, json_array());
	fp = fopen(p, "w");
	for (int i = 0; i < 3; i++) {
		json_t *t = i == 0 ? t1 : i == 1 ? t2 : t3;

		row = json_pack("{s:s,s:O,s:s,s:n,s:s,s:f,s:s}", "raw_input",
				json_string_value(json_object_get(t, "content")), "encoded", t,
				"task_type", "encoding", "memory_id", "source", "gold", "epr", 1.0,
				"memory_type", "note");
		line = mn_json_dumps(row);
		fprintf(fp, "%s\n", line);
		free(line);
		json_decref(row);
	}
	fputs("garbage line\n", fp);
	fclose(fp);

	mn_evalset_init(&set);
	assert_int_equal(mn_evalset_run(&r, &set, fake_fn, &f, &err), MN_EINVAL);
	assert_int_equal(mn_evalset_load(&set, "/nonexistent/x.raw.jsonl", &err), MN_ENOTFOUND);
	assert_int_equal(mn_evalset_load(&set, p, &err), 0);
	assert_int_equal(set.n, 3);
	assert_string_equal(set.items[0].type, "note");
	assert_null(set.items[0].source);

	/* item 1: all enums right, concepts {deploy} vs {deploy, release}: F1 2/3,
	 * salience off by 0.25; item 2: significance and outcome wrong, tone right,
	 * concepts equal, salience exact; item 3: encoder failure */
	f.outputs[0] = enc_of("deploy v1.2 ok", "notable", "satisfying", "success", 0.75,
			      json_pack("[s]", "Deploy"));
	f.outputs[1] = enc_of("tests fail", "notable", "frustrating", "ongoing", 0.2,
			      json_pack("[s]", "tests"));
	f.outputs[2] = NULL;
	assert_int_equal(mn_evalset_run(&r, &set, fake_fn, &f, &err), 0);
	assert_int_equal(r.n, 3);
	assert_int_equal(r.n_failed, 1);
	assert_true(fabs(r.acc_significance - 1.0 / 3) < 1e-9);
	assert_true(fabs(r.acc_tone - 2.0 / 3) < 1e-9);
	assert_true(fabs(r.acc_outcome - 1.0 / 3) < 1e-9);
	assert_true(fabs(r.enum_acc - 4.0 / 9) < 1e-9);
	assert_true(fabs(r.concept_f1 - (2.0 / 3 + 1.0 + 0.0) / 3) < 1e-9);
	assert_true(fabs(r.salience_mae - (0.25 + 0.0 + 1.0) / 3) < 1e-9);
	assert_true(fabs(r.sc_rate - 2.0 / 3) < 1e-9);
	assert_true(fabs(r.epr - 2.0 / 3) < 1e-9); /* failure counts as EPR 0 */
	{
		json_t *j = mn_eval_report_to_json(&r);

		assert_int_equal(json_integer_value(json_object_get(j, "n_failed")), 1);
		assert_true(json_is_real(json_object_get(j, "concept_f1")));
		json_decref(j);
	}

	/* the student adapter runs the whole set */
	assert_int_equal(mn_evalset_run(&r, &set, mn_student_encode_fn, g_student, &err), 0);
	assert_int_equal(r.n_failed, 0);
	assert_true(r.sc_rate == 1.0);
	assert_true(r.epr >= 0.9);

	/* inputs are cut where the set says (the production encoder's limit) */
	assert_int_equal(f.longest, strlen("deploy v1.2 ok"));
	f.next = 0;
	f.longest = 0;
	set.max_input_chars = 4;
	assert_int_equal(mn_evalset_run(&r, &set, fake_fn, &f, &err), 0);
	assert_true(f.longest > 0 && f.longest <= 4);

	for (int i = 0; i < 2; i++)
		json_decref(f.outputs[i]);
	json_decref(t1);
	json_decref(t2);
	json_decref(t3);
	mn_evalset_release(&set);
	free(p);
	tu_rmtree(dir);
}

static void test_probe_set_quality(void **state)
{
	char *p = tu_src_path("data/probe/probe.raw.jsonl");
	struct mn_evalset set;
	struct mn_eval_report r;
	struct mn_err err = MN_ERR_INIT;

	(void)state;
	mn_evalset_init(&set);
	assert_int_equal(mn_evalset_load(&set, p, &err), 0);
	assert_true(set.n >= 60 && set.n <= 100);
	assert_int_equal(mn_evalset_run(&r, &set, mn_student_encode_fn, g_student, &err), 0);
	/* the gate's absolute bounds (DESIGN §7.3) with room to spare */
	assert_true(r.epr >= 0.95);
	assert_true(r.sc_rate == 1.0);
	assert_true(r.fr <= 0.01);
	assert_true(r.ted_rate == 0.0);
	assert_true(r.enum_acc >= 0.8);
	mn_evalset_release(&set);
	free(p);
}

/* ---- shipped weights, default loading, CLI ---- */

static void test_shipped_default_weights_match_training_on_seed(void **state)
{
	char *shipped = tu_src_path("data/default-model/model.bin");
	char *fresh = path_join(g_dir, "model.bin");
	struct mn_buf a = MN_BUF_INIT, b = MN_BUF_INIT;

	(void)state;
	/* g_dir was trained on data/seed/seed.raw.jsonl with seed 42, exactly as
	 * scripts/train-default.sh does; rerun that script when this fails */
	read_all(&a, shipped);
	read_all(&b, fresh);
	assert_int_equal(a.len, b.len);
	assert_memory_equal(a.data, b.data, a.len);
	mn_buf_release(&a);
	mn_buf_release(&b);
	free(shipped);
	free(fresh);
}

static void test_load_default(void **state)
{
	struct mn_student *s = NULL;
	struct mn_err err = MN_ERR_INIT;
	char *old = getenv("MNEMO_DATADIR") ? strdup(getenv("MNEMO_DATADIR")) : NULL;

	(void)state;
	assert_int_equal(mn_student_load_default(&s, &err), 0);
	assert_string_equal(mn_student_version(s), mn_student_version(g_student));
	mn_student_free(s);
	setenv("MNEMO_DATADIR", "/nonexistent", 1);
	/* the source tree is still found through MN_SRCDIR, so only check the
	 * error path shape when nothing is found at all */
	if (mn_student_load_default(&s, &err)) {
		assert_int_equal(err.code, MN_ENOTFOUND);
		assert_non_null(strstr(err.msg, "default student weights not found"));
	} else {
		mn_student_free(s);
	}
	setenv("MNEMO_DATADIR", old ? old : "", 1);
	free(old);
}

static void test_cli_train(void **state)
{
	char *batch = tu_tmpdir(), *out = tu_tmpdir(), *m = path_join(out, "model.bin");
	char bd[512], od[512];

	(void)state;
	write_rule_batch(batch, 20);
	snprintf(bd, sizeof(bd), "--batch-dir=%s", batch);
	snprintf(od, sizeof(od), "%s", out);
	{
		char *argv[] = { "builtin", "--help", NULL };

		assert_int_equal(mn_student_cli_train(2, argv), 0);
	}
	{
		char *argv[] = { "builtin", "--out", od, NULL };

		assert_int_equal(mn_student_cli_train(3, argv), 2);
	}
	{
		char *argv[] = { "builtin", bd, "--out", od, "--seed", "x", NULL };

		assert_int_equal(mn_student_cli_train(6, argv), 2);
	}
	{
		char *argv[] = { "builtin", bd, "--bogus", NULL };

		assert_int_equal(mn_student_cli_train(3, argv), 2);
	}
	{
		char *argv[] = { "builtin", bd, "--out", NULL };

		assert_int_equal(mn_student_cli_train(3, argv), 2);
	}
	{
		char *argv[] = { "builtin", "--batch-dir", "/nonexistent", "--out", od,
				 "--quiet", NULL };

		assert_int_equal(mn_student_cli_train(6, argv), 1);
	}
	{
		char *argv[] = { "builtin", bd,        "--out",       od, "--seed",
				 "3",       "--quiet", "--incumbent", "", NULL };

		assert_int_equal(mn_student_cli_train(9, argv), 0);
		assert_true(mn_file_exists(m));
	}
	free(m);
	tu_rmtree(batch);
	tu_rmtree(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encode_is_faithful_on_varied_inputs),
		cmocka_unit_test(test_encode_short_input_stays_short),
		cmocka_unit_test(test_encode_empty_and_blank_input),
		cmocka_unit_test(test_encode_8kb_input),
		cmocka_unit_test(test_encode_repairs_invalid_utf8_and_nul),
		cmocka_unit_test(test_encode_long_input_drops_repeated_lines),
		cmocka_unit_test(test_encode_never_joins_title_words),
		cmocka_unit_test(test_encode_random_inputs_never_fabricate),
		cmocka_unit_test(test_encode_is_deterministic_and_labelled),
		cmocka_unit_test(test_encode_gist_is_a_complete_phrase),
		cmocka_unit_test(test_encode_entities_a_person_would_list),
		cmocka_unit_test(test_salience_prints_in_its_shortest_form),
		cmocka_unit_test(test_confidence_is_calibrated_on_the_probe_set),
		cmocka_unit_test(test_load_reads_format_1),
		cmocka_unit_test(test_load_refuses_corrupt_truncated_and_wrong_version),
		cmocka_unit_test(test_load_never_crashes_on_bad_fields),
		cmocka_unit_test(test_train_is_deterministic),
		cmocka_unit_test(test_heads_learn_a_keyword_rule),
		cmocka_unit_test(test_warm_start_from_incumbent),
		cmocka_unit_test(test_train_skips_bad_lines_and_needs_rows),
		cmocka_unit_test(test_evalset_metrics_on_hand_made_cases),
		cmocka_unit_test(test_probe_set_quality),
		cmocka_unit_test(test_shipped_default_weights_match_training_on_seed),
		cmocka_unit_test(test_load_default),
		cmocka_unit_test(test_cli_train),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
