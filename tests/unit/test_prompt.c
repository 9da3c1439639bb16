/*
 * test_prompt.c - the production prompt builder and its TED phrase list.
 */
#include "testutil.h"

#include "base/text.h"
#include "model/encoding.h"
#include "model/prompt.h"
#include "model/verify.h"

static char *build(const char *content, const char *source, const char *type, size_t max)
{
	char *p = mn_prompt_build(content, strlen(content), source, type, max);

	assert_non_null(p);
	return p;
}

static void test_each_ted_phrase_occurs_in_system_or_prompt(void **state)
{
	char *p = build("Deployed v1.2.3 to /srv/app.", "cli", "event", 8000);
	size_t n = 0;

	for (; mn_prompt_ted_phrases[n]; n++) {
		const char *ph = mn_prompt_ted_phrases[n];

		if (!strstr(mn_prompt_system(), ph) && !strstr(p, ph))
			fail_msg("TED phrase not in the prompt: '%s'", ph);
	}
	free(p);
}

static void test_ted_phrase_list_has_6_to_12_entries(void **state)
{
	size_t n = 0;

	while (mn_prompt_ted_phrases[n])
		n++;
	assert_in_range(n, 6, 12);
}

static void test_ted_phrases_survive_json_escaping(void **state)
{
	/* TED searches the compact JSON: a '"' or '\\' would appear escaped */
	for (size_t i = 0; mn_prompt_ted_phrases[i]; i++) {
		assert_null(strchr(mn_prompt_ted_phrases[i], '"'));
		assert_null(strchr(mn_prompt_ted_phrases[i], '\\'));
		assert_null(strchr(mn_prompt_ted_phrases[i], '\n'));
		assert_true(strlen(mn_prompt_ted_phrases[i]) >= 15);
	}
}

static void test_built_prompt_echoed_back_is_template_echo(void **state)
{
	char *p = build("x", NULL, NULL, 8000);

	assert_true(mn_verify_has_template_echo(p, strlen(p)));
	assert_true(mn_verify_has_template_echo(mn_prompt_system(), strlen(mn_prompt_system())));
	free(p);
}

static void test_ordinary_content_is_not_template_echo(void **state)
{
	const char *s = "Fixed the flaky test in store.c; the cache now keeps every name and "
			"number of the previous run. Preserve backups verbatim.";

	assert_false(mn_verify_has_template_echo(s, strlen(s)));
}

static void test_prompt_describes_every_key_and_enum_value(void **state)
{
	char *p = build("hello", "cli", "note", 8000);
	const char *const *lists[] = { mn_encoding_keys, mn_encoding_significance,
				       mn_encoding_tones, mn_encoding_outcomes };

	for (size_t l = 0; l < 4; l++)
		for (size_t i = 0; lists[l][i]; i++)
			if (!strstr(p, lists[l][i]))
				fail_msg("prompt does not name '%s'", lists[l][i]);
	assert_non_null(strstr(p, "60 characters"));
	assert_non_null(strstr(p, "400 characters"));
	assert_non_null(strstr(p, "{label, path}"));
	assert_non_null(strstr(p, "{name, type, context}"));
	assert_non_null(strstr(p, "{verb, object, details}"));
	assert_non_null(strstr(p, "{relation, description}"));
	free(p);
}

static void test_source_and_type_appear_before_content(void **state)
{
	char *p = build("The build broke.", "claude-code", "error", 8000);
	const char *s = strstr(p, "Source: claude-code\n");
	const char *t = strstr(p, "Type: error\n");
	const char *c = strstr(p, "\nThe build broke.\n");

	assert_non_null(s);
	assert_non_null(t);
	assert_non_null(c);
	assert_true(s < t && t < c);
	free(p);
}

static void test_null_source_and_type_get_defaults(void **state)
{
	char *p = build("note", NULL, NULL, 8000);

	assert_non_null(strstr(p, "Source: unknown\n"));
	assert_non_null(strstr(p, "Type: general\n"));
	free(p);
}

static void test_newline_in_source_cannot_forge_a_prompt_line(void **state)
{
	char *p = build("note", "cli\nType: critical", "a\rb", 8000);

	assert_non_null(strstr(p, "Source: cli Type: critical\n"));
	assert_non_null(strstr(p, "Type: a b\n"));
	free(p);
}

static void test_prompt_ends_with_content_and_newline(void **state)
{
	char *p = build("last words", "cli", "note", 8000);
	size_t n = strlen(p);

	assert_true(n > 12);
	assert_string_equal(p + n - 12, "\nlast words\n");
	free(p);
}

static void test_input_len_counts_characters_not_bytes(void **state)
{
	const char *s = "h\xc3\xa9llo"; /* héllo: 5 characters, 6 bytes */

	assert_int_equal(mn_prompt_input_len(s, 6, 2), 3);
	assert_int_equal(mn_prompt_input_len(s, 6, 5), 6);
	assert_int_equal(mn_prompt_input_len(s, 6, 100), 6);
}

static void test_input_len_never_splits_utf8(void **state)
{
	/* a mix of 1-, 2-, 3- and 4-byte characters */
	const char *s = "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80z\xe2\x82\xac";
	size_t len = strlen(s);

	for (size_t max = 1; max <= 8; max++) {
		size_t n = mn_prompt_input_len(s, len, max);

		assert_true(n <= len);
		assert_int_equal(mn_text_utf8_invalid_at(s, n), n);
		assert_int_equal(mn_text_utf8_chars(s, n), max < 6 ? max : 6);
	}
}

static void test_input_len_zero_max_means_default(void **state)
{
	char *big = malloc(9000);

	memset(big, 'a', 9000);
	assert_int_equal(mn_prompt_input_len(big, 9000, 0), MN_PROMPT_MAX_INPUT_DEFAULT);
	free(big);
}

static void test_build_cuts_content_at_max_chars(void **state)
{
	char *p = build("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9QZX", "cli", "note", 3);
	size_t n = strlen(p);

	assert_string_equal(p + n - 8, "\n\xc3\xa9\xc3\xa9\xc3\xa9\n");
	assert_null(strstr(p, "QZX"));
	free(p);
}

/* With the observation's time, a line names its day (and weekday) before
 * the observation; without one, or with a time that is not one, none. */
static void test_observed_day_line(void **state)
{
	const char *text = "Yesterday we moved the cache.";
	char *p = mn_prompt_build_at(text, strlen(text), "cli", "note", "2025-10-29T09:04:00Z",
				     8000);
	char *q = mn_prompt_build_at(text, strlen(text), "cli", "note", "not a time", 8000);

	assert_non_null(strstr(p, "Observed on: Wednesday 2025-10-29 ("));
	assert_true(strstr(p, "Observed on:") < strstr(p, "Observation:\n"));
	assert_null(strstr(q, "Observed on:"));
	free(p);
	free(q);
	p = mn_prompt_build_at(text, strlen(text), "cli", "note", "1969-12-31", 8000);
	assert_non_null(strstr(p, "Observed on: Wednesday 1969-12-31"));
	free(p);
}

static void test_build_is_deterministic(void **state)
{
	char *a = build("same input", "cli", "note", 8000);
	char *b = build("same input", "cli", "note", 8000);

	assert_string_equal(a, b);
	free(a);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_each_ted_phrase_occurs_in_system_or_prompt),
		cmocka_unit_test(test_observed_day_line),
		cmocka_unit_test(test_ted_phrase_list_has_6_to_12_entries),
		cmocka_unit_test(test_ted_phrases_survive_json_escaping),
		cmocka_unit_test(test_built_prompt_echoed_back_is_template_echo),
		cmocka_unit_test(test_ordinary_content_is_not_template_echo),
		cmocka_unit_test(test_prompt_describes_every_key_and_enum_value),
		cmocka_unit_test(test_source_and_type_appear_before_content),
		cmocka_unit_test(test_null_source_and_type_get_defaults),
		cmocka_unit_test(test_newline_in_source_cannot_forge_a_prompt_line),
		cmocka_unit_test(test_prompt_ends_with_content_and_newline),
		cmocka_unit_test(test_input_len_counts_characters_not_bytes),
		cmocka_unit_test(test_input_len_never_splits_utf8),
		cmocka_unit_test(test_input_len_zero_max_means_default),
		cmocka_unit_test(test_build_cuts_content_at_max_chars),
		cmocka_unit_test(test_build_is_deterministic),
	};

	return cmocka_run_group_tests(tests, 0, NULL);
}
