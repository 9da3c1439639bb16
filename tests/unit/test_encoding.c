/*
 * test_encoding.c - lenient extraction, strict SC check, normalisation and
 * the response_format schema of the encoding object.
 */
#include "testutil.h"

#include "base/buf.h"
#include "base/json.h"
#include "base/limits.h"
#include "base/timeutil.h"
#include "model/encoding.h"

#define GOOD                                                                                   \
	"{\"gist\":\"Deployed v1.2\",\"summary\":\"Deployed v1.2 to prod.\","                  \
	"\"content\":\"Deployed v1.2 to prod at 10:00.\",\"narrative\":\"\","                  \
	"\"concepts\":[\"deployment\"],\"structured_concepts\":{\"topics\":[{\"label\":"       \
	"\"deploy\",\"path\":\"ops/deploy\"}],\"entities\":[{\"name\":\"prod\",\"type\":"      \
	"\"system\",\"context\":\"target\"}],\"actions\":[{\"verb\":\"deployed\",\"object\":"  \
	"\"v1.2\",\"details\":\"at 10:00\"}],\"causality\":[]},\"significance\":\"notable\","   \
	"\"emotional_tone\":\"satisfying\",\"outcome\":\"success\",\"salience\":0.6}"

static json_t *extract_ok(const char *text)
{
	struct mn_err err = MN_ERR_INIT;
	json_t *v = mn_encoding_extract(text, strlen(text), &err);

	if (!v)
		fail_msg("extract failed: %s", err.msg);
	return v;
}

static void extract_fails(const char *text, const char *msg_part)
{
	struct mn_err err = MN_ERR_INIT;
	json_t *v = mn_encoding_extract(text, strlen(text), &err);

	assert_null(v);
	assert_int_equal(err.code, MN_EPARSE);
	if (!strstr(err.msg, msg_part))
		fail_msg("error '%s' does not say '%s'", err.msg, msg_part);
}

static json_t *good(void)
{
	struct mn_err err = MN_ERR_INIT;
	json_t *v = mn_json_parse(GOOD, strlen(GOOD), &err);

	assert_non_null(v);
	return v;
}

static void assert_sc_fails(json_t *enc, const char *reason)
{
	char why[64];

	assert_false(mn_encoding_check(enc, why, sizeof(why)));
	assert_string_equal(why, reason);
	json_decref(enc);
}

/* ---- extraction ---- */

static void test_extract_plain_json(void **state)
{
	json_t *v = extract_ok(GOOD);

	assert_true(mn_encoding_check(v, NULL, 0));
	json_decref(v);
}

static void test_extract_fenced_json(void **state)
{
	json_t *v = extract_ok("```json\n" GOOD "\n```\n");

	assert_string_equal(mn_json_str(v, "outcome", ""), "success");
	json_decref(v);
}

static void test_extract_after_think_block(void **state)
{
	json_t *v = extract_ok("<think>The user wants {gist}. Maybe {\"a\":1}?</think>\n" GOOD);

	assert_non_null(json_object_get(v, "gist"));
	json_decref(v);
}

static void test_extract_after_lone_closing_think(void **state)
{
	json_t *v = extract_ok("thinking about {braces} ...</think>" GOOD);

	assert_non_null(json_object_get(v, "gist"));
	json_decref(v);
}

static void test_extract_unclosed_think_hides_everything_after(void **state)
{
	extract_fails("<think>I will answer " GOOD, "no JSON object");
}

static void test_extract_with_prose_around(void **state)
{
	json_t *v = extract_ok("Sure! Here is the memory:\n\n" GOOD "\n\nLet me know if you need more.");

	assert_string_equal(mn_json_str(v, "significance", ""), "notable");
	json_decref(v);
}

static void test_extract_skips_brace_prose_before_object(void **state)
{
	json_t *v = extract_ok("Format {like this}: " GOOD);

	assert_non_null(json_object_get(v, "salience"));
	json_decref(v);
}

static void test_extract_braces_and_quotes_inside_strings(void **state)
{
	const char *t = "x {\"gist\":\"a } b { c\",\"content\":\"say \\\"}\\\" \\\\\",\"n\":{\"k\":\"}\"}} y";
	json_t *v = extract_ok(t);

	assert_string_equal(mn_json_str(v, "gist", ""), "a } b { c");
	assert_string_equal(mn_json_str(v, "content", ""), "say \"}\" \\");
	assert_string_equal(mn_json_str(json_object_get(v, "n"), "k", ""), "}");
	json_decref(v);
}

static void test_extract_truncated_object_is_error(void **state)
{
	extract_fails("```json\n{\"gist\":\"Deployed\",\"structured_concepts\":{\"topics\":[]},"
		      "\"summary\":\"Depl",
		      "truncated JSON object");
}

static void test_extract_no_json_is_error(void **state)
{
	extract_fails("I cannot encode this observation.", "no JSON object");
	extract_fails("", "no JSON object");
}

static void test_extract_invalid_balanced_object_is_error(void **state)
{
	extract_fails("{gist: 'single quotes'}", "no valid JSON object");
}

static void test_extract_finds_object_inside_array(void **state)
{
	json_t *v = extract_ok("[1, 2, {\"a\": 1}]");

	/* the first object inside is the only object there is */
	assert_int_equal(json_integer_value(json_object_get(v, "a")), 1);
	json_decref(v);
}

static void test_extract_duplicate_keys_rejected(void **state)
{
	extract_fails("{\"gist\":\"a\",\"gist\":\"b\"}", "no valid JSON object");
}

static void test_extract_deep_nesting_does_not_crash(void **state)
{
	size_t depth = 100000;
	char *t = malloc(2 * depth + 1);
	struct mn_err err = MN_ERR_INIT;
	json_t *v;

	for (size_t i = 0; i < depth; i++) {
		t[i] = '{';
		t[2 * depth - 1 - i] = '}';
	}
	t[2 * depth] = '\0';
	v = mn_encoding_extract(t, 2 * depth, &err);
	assert_null(v);
	assert_int_equal(err.code, MN_EPARSE);
	free(t);
}

/* An encoding whose outer object balances but does not parse: nothing
 * inside it (structured_concepts is a valid object) may be taken for the
 * encoding. Each case is one way jansson refuses a balanced object. */
static void test_extract_unparsable_outer_object_is_not_searched_inside(void **state)
{
	static const char sc[] = "\"structured_concepts\":{\"topics\":[],\"entities\":[],"
				 "\"actions\":[],\"causality\":[]}";
	static const char *const bad[] = {
		"\"gist\":\"a\",\"gist\":\"b\"",  /* duplicate key */
		"\"salience\":1e999",             /* number out of range */
		"\"gist\":\"x\\ud800y\"",         /* lone surrogate */
	};
	struct mn_buf t = MN_BUF_INIT;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		mn_buf_reset(&t);
		mn_buf_addf(&t, "```json\n{%s,%s,\"concepts\":[]}\n```", bad[i], sc);
		extract_fails(mn_buf_str(&t), "no valid JSON object");
	}
	/* nesting too deep for the parser, the inner object still fine */
	mn_buf_reset(&t);
	mn_buf_addf(&t, "{%s,\"narrative\":", sc);
	for (int i = 0; i < 5000; i++)
		mn_buf_addc(&t, '[');
	for (int i = 0; i < 5000; i++)
		mn_buf_addc(&t, ']');
	mn_buf_adds(&t, "}");
	extract_fails(mn_buf_str(&t), "no valid JSON object");
	mn_buf_release(&t);
}

/* The scan resumes after the whole unparsable object, so an encoding
 * that follows it is still found. */
static void test_extract_resumes_after_unparsable_object(void **state)
{
	json_t *v = extract_ok("{\"gist\":{\"a\":1},\"gist\":2}\nCorrected:\n" GOOD);

	assert_string_equal(mn_json_str(v, "gist", ""), "Deployed v1.2");
	json_decref(v);
}

/* ---- SC ---- */

static void test_check_accepts_valid_encoding(void **state)
{
	json_t *v = good();
	char why[64] = "x";

	assert_true(mn_encoding_check(v, why, sizeof(why)));
	assert_string_equal(why, "");
	json_decref(v);
}

static void test_check_rejects_non_object(void **state)
{
	assert_sc_fails(json_string("hi"), "type:object");
}

static void test_check_rejects_missing_key(void **state)
{
	for (size_t i = 0; mn_encoding_keys[i]; i++) {
		json_t *v = good();
		char reason[64];

		json_object_del(v, mn_encoding_keys[i]);
		snprintf(reason, sizeof(reason), "missing:%s", mn_encoding_keys[i]);
		assert_sc_fails(v, reason);
	}
}

static void test_check_rejects_extra_key(void **state)
{
	json_t *v = good();

	json_object_set_new(v, "confidence", json_real(0.9));
	assert_sc_fails(v, "unknown:confidence");
}

static void test_check_reason_is_cut_at_a_character_boundary(void **state)
{
	json_t *v = good();
	char why[12];

	/* "unknown:" + a key of two-byte characters: one fits in 11 bytes */
	json_object_set_new(v, "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", json_true());
	assert_false(mn_encoding_check(v, why, sizeof(why)));
	assert_string_equal(why, "unknown:\xc3\xa9");
	json_decref(v);
}

static void test_check_rejects_bad_enums(void **state)
{
	json_t *v = good();

	json_object_set_new(v, "significance", json_string("trivial"));
	assert_sc_fails(v, "enum:significance");
	v = good();
	json_object_set_new(v, "emotional_tone", json_string("Neutral"));
	assert_sc_fails(v, "enum:emotional_tone");
	v = good();
	json_object_set_new(v, "outcome", json_string("done"));
	assert_sc_fails(v, "enum:outcome");
	v = good();
	json_object_set_new(v, "outcome", json_integer(1));
	assert_sc_fails(v, "type:outcome");
}

static void test_check_rejects_enum_with_embedded_nul(void **state)
{
	json_t *v = good();

	json_object_set_new(v, "outcome", json_stringn("success\0x", 9));
	assert_sc_fails(v, "enum:outcome");
}

static void test_check_rejects_salience_out_of_range(void **state)
{
	json_t *v = good();

	json_object_set_new(v, "salience", json_real(1.01));
	assert_sc_fails(v, "range:salience");
	v = good();
	json_object_set_new(v, "salience", json_integer(-1));
	assert_sc_fails(v, "range:salience");
}

static void test_check_rejects_salience_not_a_number(void **state)
{
	json_t *v = good();

	json_object_set_new(v, "salience", json_string("0.5"));
	assert_sc_fails(v, "type:salience");
	v = good();
	json_object_set_new(v, "salience", json_true());
	assert_sc_fails(v, "type:salience");
}

static void test_check_accepts_salience_bounds_and_integers(void **state)
{
	json_t *v = good();

	json_object_set_new(v, "salience", json_integer(1));
	assert_true(mn_encoding_check(v, NULL, 0));
	json_object_set_new(v, "salience", json_real(0.0));
	assert_true(mn_encoding_check(v, NULL, 0));
	json_decref(v);
}

static void test_check_gist_limit_counts_characters(void **state)
{
	json_t *v = good();
	char gist[200] = "";

	/* 60 two-byte characters: 120 bytes but within the limit */
	for (int i = 0; i < 60; i++)
		strcat(gist, "\xc3\xa9");
	json_object_set_new(v, "gist", json_string(gist));
	assert_true(mn_encoding_check(v, NULL, 0));
	strcat(gist, "a");
	json_object_set_new(v, "gist", json_string(gist));
	assert_sc_fails(v, "length:gist");
}

static void test_check_summary_limit(void **state)
{
	json_t *v = good();
	char s[402];

	memset(s, 'x', 400);
	s[400] = '\0';
	json_object_set_new(v, "summary", json_string(s));
	assert_true(mn_encoding_check(v, NULL, 0));
	s[400] = 'x';
	s[401] = '\0';
	json_object_set_new(v, "summary", json_string(s));
	assert_sc_fails(v, "length:summary");
}

static void test_check_rejects_wrong_string_types(void **state)
{
	json_t *v = good();

	json_object_set_new(v, "content", json_null());
	assert_sc_fails(v, "type:content");
	v = good();
	json_object_set_new(v, "narrative", json_array());
	assert_sc_fails(v, "type:narrative");
}

static void test_check_rejects_concepts_not_strings(void **state)
{
	json_t *v = good();

	json_object_set_new(v, "concepts", json_string("a, b"));
	assert_sc_fails(v, "type:concepts");
	v = good();
	json_array_append_new(json_object_get(v, "concepts"), json_integer(3));
	assert_sc_fails(v, "type:concepts");
}

static void test_check_rejects_bad_structured_concepts(void **state)
{
	json_t *v = good();

	json_object_set_new(v, "structured_concepts", json_array());
	assert_sc_fails(v, "type:structured_concepts");
	v = good();
	json_object_del(json_object_get(v, "structured_concepts"), "causality");
	assert_sc_fails(v, "missing:structured_concepts.causality");
	v = good();
	json_object_set_new(json_object_get(v, "structured_concepts"), "topics",
			    json_string("x"));
	assert_sc_fails(v, "type:structured_concepts.topics");
	v = good();
	json_array_append_new(json_object_get(json_object_get(v, "structured_concepts"),
					      "causality"),
			      json_string("because"));
	assert_sc_fails(v, "type:structured_concepts.causality");
}

static void test_check_rejects_structured_item_fields(void **state)
{
	json_t *v = good();
	json_t *ent = json_array_get(
		json_object_get(json_object_get(v, "structured_concepts"), "entities"), 0);

	json_object_del(ent, "context");
	assert_sc_fails(v, "missing:structured_concepts.entities.context");
	v = good();
	ent = json_array_get(json_object_get(json_object_get(v, "structured_concepts"), "actions"),
			     0);
	json_object_set_new(ent, "verb", json_integer(2));
	assert_sc_fails(v, "type:structured_concepts.actions.verb");
}

static void test_check_why_may_be_null_or_short(void **state)
{
	json_t *v = good();
	char why[4];

	json_object_del(v, "gist");
	assert_false(mn_encoding_check(v, NULL, 0));
	assert_false(mn_encoding_check(v, why, sizeof(why)));
	assert_string_equal(why, "mis");
	json_decref(v);
}

/* ---- normalisation ---- */

static void test_normalize_lowercases_enums_and_concepts(void **state)
{
	json_t *v = good(), *n;

	json_object_set_new(v, "significance", json_string(" Notable "));
	json_object_set_new(v, "outcome", json_string("SUCCESS"));
	json_object_set_new(v, "concepts", json_pack("[s,s,s,i]", "Docker", "docker ", "", 3));
	n = mn_encoding_normalize(v);
	assert_string_equal(mn_json_str(n, "significance", ""), "notable");
	assert_string_equal(mn_json_str(n, "outcome", ""), "success");
	assert_int_equal(json_array_size(json_object_get(n, "concepts")), 1);
	assert_string_equal(json_string_value(json_array_get(json_object_get(n, "concepts"), 0)),
			    "docker");
	assert_true(mn_encoding_check(n, NULL, 0));
	/* the input is untouched */
	assert_string_equal(mn_json_str(v, "outcome", ""), "SUCCESS");
	json_decref(v);
	json_decref(n);
}

static void test_normalize_splits_concept_string(void **state)
{
	json_t *v = good(), *n;

	json_object_set_new(v, "concepts", json_string("Go, SQLite ,testing"));
	n = mn_encoding_normalize(v);
	assert_int_equal(json_array_size(json_object_get(n, "concepts")), 3);
	assert_string_equal(json_string_value(json_array_get(json_object_get(n, "concepts"), 1)),
			    "sqlite");
	json_decref(v);
	json_decref(n);
}

static void test_normalize_concept_with_nul_byte(void **state)
{
	json_t *v = good(), *n;
	const json_t *c;

	/* found by fuzz_extract: strndup stopped at the NUL, the loop did not */
	json_object_set_new(v, "concepts", json_pack("[s%]", "A\0B ", (size_t)4));
	n = mn_encoding_normalize(v);
	c = json_array_get(json_object_get(n, "concepts"), 0);
	assert_int_equal(json_string_length(c), 3);
	assert_memory_equal(json_string_value(c), "a\0b", 3);
	json_decref(v);
	json_decref(n);
}

static void test_normalize_salience_string_with_nul_is_not_a_number(void **state)
{
	json_t *v = good(), *n;

	json_object_set_new(v, "salience", json_stringn("0.5\0x", 5));
	n = mn_encoding_normalize(v);
	assert_true(json_is_string(json_object_get(n, "salience")));
	json_decref(v);
	json_decref(n);
}

static void test_normalize_clamps_and_coerces_salience(void **state)
{
	json_t *v = good(), *n;

	json_object_set_new(v, "salience", json_string(" 0.75 "));
	n = mn_encoding_normalize(v);
	assert_true(json_is_real(json_object_get(n, "salience")));
	assert_true(mn_json_num(n, "salience", -1) == 0.75);
	json_decref(n);
	json_object_set_new(v, "salience", json_integer(7));
	n = mn_encoding_normalize(v);
	assert_true(mn_json_num(n, "salience", -1) == 1.0);
	json_decref(n);
	json_object_set_new(v, "salience", json_real(-0.2));
	n = mn_encoding_normalize(v);
	assert_true(mn_json_num(n, "salience", -1) == 0.0);
	json_decref(n);
	json_object_set_new(v, "salience", json_string("high"));
	n = mn_encoding_normalize(v);
	assert_string_equal(mn_json_str(n, "salience", ""), "high");
	json_decref(n);
	json_decref(v);
}

static void test_normalize_trims_gist_at_character_boundary(void **state)
{
	json_t *v = good(), *n;
	char gist[300] = "";

	for (int i = 0; i < 70; i++)
		strcat(gist, "\xe2\x82\xac"); /* euro sign, 3 bytes */
	json_object_set_new(v, "gist", json_string(gist));
	n = mn_encoding_normalize(v);
	assert_int_equal(json_string_length(json_object_get(n, "gist")), 180);
	assert_true(mn_encoding_check(n, NULL, 0));
	json_decref(v);
	json_decref(n);
}

static void test_normalize_fills_missing_arrays(void **state)
{
	json_t *v = good(), *n, *sc;

	json_object_del(v, "concepts");
	json_object_del(json_object_get(v, "structured_concepts"), "actions");
	n = mn_encoding_normalize(v);
	assert_true(json_is_array(json_object_get(n, "concepts")));
	sc = json_object_get(n, "structured_concepts");
	assert_true(json_is_array(json_object_get(sc, "actions")));
	assert_int_equal(json_array_size(json_object_get(sc, "topics")), 1);
	assert_true(mn_encoding_check(n, NULL, 0));
	json_decref(n);
	json_object_del(v, "structured_concepts");
	n = mn_encoding_normalize(v);
	assert_true(mn_encoding_check(n, NULL, 0));
	json_decref(n);
	json_decref(v);
}

static void test_normalize_does_not_invent_content(void **state)
{
	json_t *v = good(), *n;
	char why[64];

	json_object_del(v, "gist");
	json_object_del(v, "salience");
	json_object_set_new(v, "extra", json_true());
	n = mn_encoding_normalize(v);
	assert_null(json_object_get(n, "gist"));
	assert_null(json_object_get(n, "salience"));
	assert_non_null(json_object_get(n, "extra"));
	assert_false(mn_encoding_check(n, why, sizeof(why)));
	assert_string_equal(why, "missing:gist");
	json_decref(v);
	json_decref(n);
}

static void test_normalize_puts_keys_in_canonical_order(void **state)
{
	struct mn_err err = MN_ERR_INIT;
	const char *t = "{\"salience\":0.5,\"gist\":\"g\"}";
	json_t *v = mn_json_parse(t, strlen(t), &err), *n = mn_encoding_normalize(v);
	char *s = mn_json_dumps(n);

	assert_string_equal(s, "{\"gist\":\"g\",\"concepts\":[],\"structured_concepts\":{\"topics\":"
			       "[],\"entities\":[],\"actions\":[],\"causality\":[]},"
			       "\"salience\":0.5}");
	free(s);
	json_decref(v);
	json_decref(n);
}

static void test_normalize_non_object_is_copied(void **state)
{
	json_t *v = json_string("x"), *n = mn_encoding_normalize(v);

	assert_true(json_equal(v, n));
	json_decref(v);
	json_decref(n);
}

/* A reply with n concepts: "c0", "c1", ... when distinct, else cycling
 * through the first `distinct` names. */
static json_t *with_concepts(size_t n, size_t distinct)
{
	json_t *v = good(), *arr = json_array();
	char name[32];

	for (size_t i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "C%zu", distinct ? i % distinct : i);
		json_array_append_new(arr, json_string(name));
	}
	json_object_set_new(v, "concepts", arr);
	return v;
}

static void test_normalize_caps_concepts(void **state)
{
	json_t *v = with_concepts(MN_LIMIT_ENCODING_CONCEPTS + 36, 0);
	json_t *n = mn_encoding_normalize(v), *c = json_object_get(n, "concepts");
	char name[32];

	assert_int_equal(json_array_size(c), MN_LIMIT_ENCODING_CONCEPTS);
	for (size_t i = 0; i < MN_LIMIT_ENCODING_CONCEPTS; i++) {
		snprintf(name, sizeof(name), "c%zu", i);
		assert_string_equal(json_string_value(json_array_get(c, i)), name);
	}
	assert_true(mn_encoding_check(n, NULL, 0));
	json_decref(n);
	json_decref(v);
}

/* Duplicates do not use up the cap: the first distinct ones are kept. */
static void test_normalize_dedups_before_capping(void **state)
{
	json_t *v = with_concepts(1000, 10), *n = mn_encoding_normalize(v);

	assert_int_equal(json_array_size(json_object_get(n, "concepts")), 10);
	json_decref(n);
	json_decref(v);
}

static void test_normalize_caps_structured_lists(void **state)
{
	json_t *v = good(), *n, *sc, *topics = json_array();

	for (int i = 0; i < 3 * MN_LIMIT_ENCODING_LIST_ITEMS; i++)
		json_array_append_new(topics, json_pack("{s:s,s:s}", "label", "t", "path", "p"));
	json_object_set_new(json_object_get(v, "structured_concepts"), "topics", topics);
	json_object_set_new(json_object_get(v, "structured_concepts"), "other", json_true());
	n = mn_encoding_normalize(v);
	sc = json_object_get(n, "structured_concepts");
	assert_int_equal(json_array_size(json_object_get(sc, "topics")),
			 MN_LIMIT_ENCODING_LIST_ITEMS);
	assert_int_equal(json_array_size(json_object_get(sc, "entities")), 1);
	assert_true(json_equal(json_object_get(sc, "actions"),
			       json_object_get(json_object_get(v, "structured_concepts"),
					       "actions")));
	/* what is not a list of its own is left for SC to judge */
	assert_true(json_is_true(json_object_get(sc, "other")));
	json_decref(n);
	json_decref(v);
}

/* De-duplication was quadratic: 80,000 concepts took 23 s and 200,000
 * never finished. Now each shape of a 100,000-concept reply is cheap
 * (the bound is generous for sanitizers on a loaded machine). */
static void test_normalize_many_concepts_is_fast(void **state)
{
	const size_t n = 100000;
	json_t *cases[4], *csv = good();
	struct mn_buf t = MN_BUF_INIT;
	int64_t t0;

	cases[0] = with_concepts(n, 0);                              /* all distinct */
	cases[1] = with_concepts(n, MN_LIMIT_ENCODING_CONCEPTS - 1); /* cap never reached */
	cases[2] = with_concepts(n, 1);                              /* one, repeated */
	for (size_t i = 0; i < n; i++)
		mn_buf_addf(&t, "%sc%zu", i ? "," : "", i);
	json_object_set_new(csv, "concepts", json_stringn(t.data, t.len));
	cases[3] = csv;
	t0 = mn_time_mono_ms();
	for (size_t i = 0; i < 4; i++) {
		json_t *out = mn_encoding_normalize(cases[i]);

		assert_true(json_array_size(json_object_get(out, "concepts")) <=
			    MN_LIMIT_ENCODING_CONCEPTS);
		assert_true(mn_encoding_check(out, NULL, 0));
		json_decref(out);
		json_decref(cases[i]);
	}
	if (mn_time_mono_ms() - t0 > 2000)
		fail_msg("normalising 4 x %zu concepts took %lld ms", n,
			 (long long)(mn_time_mono_ms() - t0));
	mn_buf_release(&t);
}

/* ---- schema ---- */

static void assert_enum(const json_t *schema, const char *key, const char *const *values)
{
	const json_t *e = json_object_get(json_object_get(json_object_get(schema, "properties"),
							  key),
					  "enum");
	size_t n = 0;

	assert_true(json_is_array(e));
	for (; values[n]; n++)
		assert_string_equal(json_string_value(json_array_get(e, n)), values[n]);
	assert_int_equal(json_array_size(e), n);
}

static void test_schema_has_enums(void **state)
{
	json_t *s = mn_encoding_json_schema();

	assert_enum(s, "significance", mn_encoding_significance);
	assert_enum(s, "emotional_tone", mn_encoding_tones);
	assert_enum(s, "outcome", mn_encoding_outcomes);
	json_decref(s);
}

static void test_schema_requires_all_keys_and_no_others(void **state)
{
	json_t *s = mn_encoding_json_schema();
	const json_t *req = json_object_get(s, "required");

	assert_string_equal(mn_json_str(s, "type", ""), "object");
	assert_true(json_is_false(json_object_get(s, "additionalProperties")));
	for (size_t i = 0; mn_encoding_keys[i]; i++) {
		assert_string_equal(json_string_value(json_array_get(req, i)), mn_encoding_keys[i]);
		assert_non_null(json_object_get(json_object_get(s, "properties"),
						mn_encoding_keys[i]));
	}
	assert_int_equal(json_array_size(req), 10);
	json_decref(s);
}

static void test_schema_salience_range(void **state)
{
	json_t *s = mn_encoding_json_schema();
	const json_t *sal = json_object_get(json_object_get(s, "properties"), "salience");

	assert_string_equal(mn_json_str(sal, "type", ""), "number");
	assert_true(mn_json_num(sal, "minimum", -1) == 0);
	assert_true(mn_json_num(sal, "maximum", -1) == 1);
	json_decref(s);
}

static void test_schema_structured_concepts_items(void **state)
{
	json_t *s = mn_encoding_json_schema();
	const json_t *sc = json_object_get(json_object_get(s, "properties"), "structured_concepts");
	const json_t *ent = json_object_get(
		json_object_get(json_object_get(json_object_get(sc, "properties"), "entities"),
				"items"),
		"required");
	char *dump = mn_json_dumps(ent);

	assert_string_equal(dump, "[\"name\",\"type\",\"context\"]");
	assert_int_equal(json_array_size(json_object_get(sc, "required")), 4);
	free(dump);
	json_decref(s);
}

static void test_enum_index(void **state)
{
	assert_int_equal(mn_encoding_enum_index(mn_encoding_outcomes, "ongoing"), 2);
	assert_int_equal(mn_encoding_enum_index(mn_encoding_outcomes, "Ongoing"), -1);
	assert_int_equal(mn_encoding_enum_index(mn_encoding_outcomes, NULL), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_extract_plain_json),
		cmocka_unit_test(test_extract_fenced_json),
		cmocka_unit_test(test_extract_after_think_block),
		cmocka_unit_test(test_extract_after_lone_closing_think),
		cmocka_unit_test(test_extract_unclosed_think_hides_everything_after),
		cmocka_unit_test(test_extract_with_prose_around),
		cmocka_unit_test(test_extract_skips_brace_prose_before_object),
		cmocka_unit_test(test_extract_braces_and_quotes_inside_strings),
		cmocka_unit_test(test_extract_truncated_object_is_error),
		cmocka_unit_test(test_extract_no_json_is_error),
		cmocka_unit_test(test_extract_invalid_balanced_object_is_error),
		cmocka_unit_test(test_extract_finds_object_inside_array),
		cmocka_unit_test(test_extract_duplicate_keys_rejected),
		cmocka_unit_test(test_extract_deep_nesting_does_not_crash),
		cmocka_unit_test(test_extract_unparsable_outer_object_is_not_searched_inside),
		cmocka_unit_test(test_extract_resumes_after_unparsable_object),
		cmocka_unit_test(test_check_accepts_valid_encoding),
		cmocka_unit_test(test_check_rejects_non_object),
		cmocka_unit_test(test_check_rejects_missing_key),
		cmocka_unit_test(test_check_rejects_extra_key),
		cmocka_unit_test(test_check_reason_is_cut_at_a_character_boundary),
		cmocka_unit_test(test_check_rejects_bad_enums),
		cmocka_unit_test(test_check_rejects_enum_with_embedded_nul),
		cmocka_unit_test(test_check_rejects_salience_out_of_range),
		cmocka_unit_test(test_check_rejects_salience_not_a_number),
		cmocka_unit_test(test_check_accepts_salience_bounds_and_integers),
		cmocka_unit_test(test_check_gist_limit_counts_characters),
		cmocka_unit_test(test_check_summary_limit),
		cmocka_unit_test(test_check_rejects_wrong_string_types),
		cmocka_unit_test(test_check_rejects_concepts_not_strings),
		cmocka_unit_test(test_check_rejects_bad_structured_concepts),
		cmocka_unit_test(test_check_rejects_structured_item_fields),
		cmocka_unit_test(test_check_why_may_be_null_or_short),
		cmocka_unit_test(test_normalize_lowercases_enums_and_concepts),
		cmocka_unit_test(test_normalize_splits_concept_string),
		cmocka_unit_test(test_normalize_concept_with_nul_byte),
		cmocka_unit_test(test_normalize_salience_string_with_nul_is_not_a_number),
		cmocka_unit_test(test_normalize_clamps_and_coerces_salience),
		cmocka_unit_test(test_normalize_trims_gist_at_character_boundary),
		cmocka_unit_test(test_normalize_fills_missing_arrays),
		cmocka_unit_test(test_normalize_does_not_invent_content),
		cmocka_unit_test(test_normalize_puts_keys_in_canonical_order),
		cmocka_unit_test(test_normalize_non_object_is_copied),
		cmocka_unit_test(test_normalize_caps_concepts),
		cmocka_unit_test(test_normalize_dedups_before_capping),
		cmocka_unit_test(test_normalize_caps_structured_lists),
		cmocka_unit_test(test_normalize_many_concepts_is_fast),
		cmocka_unit_test(test_schema_has_enums),
		cmocka_unit_test(test_schema_requires_all_keys_and_no_others),
		cmocka_unit_test(test_schema_salience_range),
		cmocka_unit_test(test_schema_structured_concepts_items),
		cmocka_unit_test(test_enum_index),
	};

	return cmocka_run_group_tests(tests, 0, NULL);
}
