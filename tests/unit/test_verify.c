/*
 * test_verify.c - the verifier of DESIGN §5: entity extraction, every
 * metric and the flags, on hand-made cases whose expected values were
 * worked out from the §5 definitions (and checked against the reference
 * evaluator's Python regexes).
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "testutil.h"

#include <math.h>
#include <pcre2.h>
#include <pthread.h>
#include <time.h>

#include "base/json.h"
#include "base/text.h"
#include "model/prompt.h"
#include "model/verify.h"

/* ---- helpers ---- */

static bool has_entity(const struct mn_entities *e, const char *s)
{
	for (size_t i = 0; i < e->n; i++)
		if (!strcmp(e->items[i], s))
			return true;
	return false;
}

/* Assert that the entities of text are exactly the listed ones (any
 * order), NULL-terminated. */
static void assert_entities(const char *text, const char *const *want)
{
	struct mn_entities e;
	size_t n = 0;

	mn_verify_entities(&e, text, strlen(text));
	for (; want[n]; n++)
		if (!has_entity(&e, want[n]))
			fail_msg("'%s': missing entity '%s'", text, want[n]);
	if (e.n != n) {
		for (size_t i = 0; i < e.n; i++)
			print_message("  got '%s'\n", e.items[i]);
		fail_msg("'%s': %zu entities, want %zu", text, e.n, n);
	}
	mn_entities_release(&e);
}

#define ENTITIES(text, ...)                                                                    \
	do {                                                                                   \
		const char *const want_[] = { __VA_ARGS__, NULL };                             \
		assert_entities(text, want_);                                                  \
	} while (0)
#define NO_ENTITIES(text) assert_entities(text, (const char *const[]){ NULL })

/* A schema-valid encoding whose text fields are given. */
static json_t *encoding(const char *gist, const char *content)
{
	return json_pack("{s:s,s:s,s:s,s:s,s:[],s:{s:[],s:[],s:[],s:[]},s:s,s:s,s:s,s:f}",
			 "gist", gist, "summary", "", "content", content, "narrative", "",
			 "concepts", "structured_concepts", "topics", "entities", "actions",
			 "causality", "significance", "routine", "emotional_tone", "neutral",
			 "outcome", "success", "salience", 0.5);
}

static void score(struct mn_metrics *m, const char *input, json_t *enc)
{
	mn_verify_score(m, input, strlen(input), enc);
	json_decref(enc);
}

static bool has_flag(const struct mn_metrics *m, const char *flag)
{
	size_t i;
	json_t *f;

	json_array_foreach(m->flags, i, f)
		if (!strcmp(json_string_value(f), flag))
			return true;
	return false;
}

#define assert_near(a, b) assert_true(fabs((a) - (b)) < 1e-9)

/* ---- entities: numbers ---- */

static void test_comma_grouped_number_is_one_entity_without_commas(void **state)
{
	ENTITIES("paid 1,234.5 today", "1234.5");
	ENTITIES("12,345,678 rows", "12345678");
}

static void test_scientific_notation_lower_case_e(void **state)
{
	ENTITIES("rate 1.5e10 now", "1.5e10");
}

static void test_scientific_notation_upper_case_e_and_sign(void **state)
{
	/* stored as written, normalised to lower case */
	ENTITIES("error 1.5E-3 and 2.3e+4", "1.5e-3", "2.3e+4");
}

static void test_percent_sign_is_part_of_the_number(void **state)
{
	ENTITIES("grew 12.5% then 40%", "12.5%", "40%");
}

static void test_fraction_is_one_entity(void **state)
{
	ENTITIES("3/4 of 12.8/16", "3/4", "12.8", "16");
}

static void test_minus_sign_kept_without_word_boundary(void **state)
{
	/* "x-5": the integer form has no sign, the decimal one keeps it */
	ENTITIES("x-5 and -5.5", "5", "-5.5");
}

static void test_number_forms_are_tried_leftmost_first(void **state)
{
	/* at offset 0 only the integer form matches: "234,567" is never tried */
	ENTITIES("1234,567", "1234", "567");
}

static void test_numbers_come_first_and_are_counted(void **state)
{
	struct mn_entities e;
	const char *t = "Maria Chen shipped v2.4.0 on 2024-03-14";

	mn_verify_entities(&e, t, strlen(t));
	assert_int_equal(e.n_numbers, 5); /* 2.4 0 2024 03 14 */
	assert_string_equal(e.items[0], "2.4");
	assert_string_equal(e.items[1], "0");
	for (size_t i = e.n_numbers; i < e.n; i++)
		assert_true(strchr("0123456789", e.items[i][0]) == NULL);
	mn_entities_release(&e);
}

static void test_unicode_digits_are_digits(void **state)
{
	/* ARABIC-INDIC DIGITS ONE TWO THREE: \d in Python and in PCRE2 UCP */
	ENTITIES("n=\xd9\xa1\xd9\xa2\xd9\xa3", "\xd9\xa1\xd9\xa2\xd9\xa3");
}

/* The hand-written number scanner must find exactly what the §5 regex
 * finds (Python findall semantics) on arbitrary text. */
static void test_number_scanner_agrees_with_section5_regex(void **state)
{
	static const char *const pieces[] = {
		"0", "1", "9", "12", "123", "1234", ",", ",", ".", ".", "-", "-", "%", "/", "e",
		"E", "+", " ", "a", "\xd9\xa3", "\xc3\xa9", "x", ",000", ".5",
	};
	const char *re_src = "-?\\d{1,3}(?:,\\d{3})+(?:\\.\\d+)?|-?\\d+\\.\\d+[eE][+-]?\\d+"
			     "|-?\\d+\\.\\d+%|-?\\d+%|-?\\d+\\.\\d+|-?\\d+(?:/\\d+)|\\d+";
	int code;
	PCRE2_SIZE eoff;
	pcre2_code *re = pcre2_compile((PCRE2_SPTR)re_src, PCRE2_ZERO_TERMINATED,
				       PCRE2_UTF | PCRE2_UCP, &code, &eoff, NULL);
	pcre2_match_data *md = pcre2_match_data_create(2, NULL);
	unsigned seed = 12345;

	assert_non_null(re);
	for (int round = 0; round < 20000; round++) {
		char text[256] = "";
		char raw[64][64], want[64][64];
		size_t nwant = 0, off = 0, len;
		int pieces_n = (int)(rand_r(&seed) % 16);
		struct mn_entities e;

		for (int i = 0; i < pieces_n; i++)
			strcat(text, pieces[rand_r(&seed) % (sizeof(pieces) / sizeof(pieces[0]))]);
		len = strlen(text);
		/* findall, commas dropped, de-duplicated by spelling, lowercased */
		while (off < len && pcre2_match(re, (PCRE2_SPTR)text, len, off, 0, md, NULL) > 0) {
			PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
			char w[64];
			size_t n = 0;
			bool dup = false;

			for (size_t i = ov[0]; i < ov[1]; i++)
				if (text[i] != ',')
					w[n++] = text[i];
			w[n] = '\0';
			for (size_t i = 0; i < nwant; i++)
				dup = dup || !strcmp(raw[i], w);
			if (!dup) {
				strcpy(raw[nwant], w);
				for (size_t i = 0; i <= n; i++)
					w[i] = w[i] == 'E' ? 'e' : w[i];
				strcpy(want[nwant++], w);
			}
			off = ov[1];
		}
		mn_verify_entities(&e, text, len);
		if (e.n_numbers != nwant)
			fail_msg("'%s': %zu numbers, regex finds %zu", text, e.n_numbers, nwant);
		for (size_t i = 0; i < nwant; i++)
			if (strcmp(e.items[i], want[i]))
				fail_msg("'%s': number %zu is '%s', regex finds '%s'", text, i,
					 e.items[i], want[i]);
		mn_entities_release(&e);
	}
	pcre2_match_data_free(md);
	pcre2_code_free(re);
}

/* ---- entities: paths and versions ---- */

static void test_relative_paths_with_known_extensions(void **state)
{
	ENTITIES("edited src/main.go and store.c, not notes.rst", "src/main.go", "store.c");
}

static void test_absolute_paths(void **state)
{
	/* the extension form wins where both match: one entity */
	ENTITIES("/etc/nginx/nginx.conf and /home/u/a.py", "/etc/nginx/nginx.conf",
		 "/home/u/a.py");
}

static void test_absolute_path_not_after_less_than(void **state)
{
	ENTITIES("<b>/usr/lib</b> and </static/app>", "/usr/lib");
}

static void test_path_runs_match_whole_text_scan(void **state)
{
	/* paths are scanned run by run; on text with no other entity kind the
	 * result must equal a findall of the §5 pattern over the whole text */
	static const char *const pieces[] = { "a", "b", "/", "/", "-", "~", ".", ".py", ".c",
					      ".jsonl", ".h", "/usr", "/home", "/static", "<",
					      "_", " ", "\xc3\xa9", "x", ".cpp", "/tmp", "pyx" };
	const char *re_src = "[a-zA-Z_~/][\\w/~-]+\\.(?:go|py|js|ts|html|css|yaml|yml|json|jsonl"
			     "|toml|md|sh|sql|gguf|db|txt|log|patch|cuh|cpp|c|h)\\b"
			     "|(?<![<])/(?:home|usr|etc|var|tmp|opt|api|static)[\\w./~-]+";
	int code;
	PCRE2_SIZE eoff;
	pcre2_code *re = pcre2_compile((PCRE2_SPTR)re_src, PCRE2_ZERO_TERMINATED,
				       PCRE2_UTF | PCRE2_UCP, &code, &eoff, NULL);
	pcre2_match_data *md = pcre2_match_data_create(2, NULL);
	unsigned seed = 777;

	assert_non_null(re);
	for (int round = 0; round < 20000; round++) {
		char text[256] = "";
		size_t off = 0, len, nwant = 0;
		struct mn_entities e;

		for (int i = (int)(rand_r(&seed) % 20); i > 0; i--)
			strcat(text, pieces[rand_r(&seed) % (sizeof(pieces) / sizeof(pieces[0]))]);
		len = strlen(text);
		mn_verify_entities(&e, text, len);
		while (off < len && pcre2_match(re, (PCRE2_SPTR)text, len, off, 0, md, NULL) > 0) {
			PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
			char w[256];

			memcpy(w, text + ov[0], ov[1] - ov[0]);
			w[ov[1] - ov[0]] = '\0';
			if (!has_entity(&e, w))
				fail_msg("'%s': regex finds '%s', verifier does not", text, w);
			nwant++;
			off = ov[1];
		}
		if (e.n > nwant)
			fail_msg("'%s': %zu entities, regex finds %zu", text, e.n, nwant);
		mn_entities_release(&e);
	}
	pcre2_match_data_free(md);
	pcre2_code_free(re);
}

/* Names are only tried at capitals that pass a cheap test; on text with no
 * other entity kind the result must equal findall of the three §5 name
 * patterns over the whole text (with the length and "The " filter). */
static void test_name_prefilter_matches_whole_text_scan(void **state)
{
	static const char *const pieces[] = {
		"A", "Ab", "Abc", "Maria", "Chen", "The", "a", "ab", "x", " ", " ", "  ", "\t",
		"\n", ",", ";", "_", "B_c", "\xc3\xa9", "\xc3\x89", "\xc2\xa0", /* NBSP */
		"\xe2\x80\x83", /* EM SPACE */ "Foo", "Bar", "FooBar", "SQLITE", "ReactDOM",
		"-", "'", "Q", "Zz",
	};
	static const char *const res[] = {
		"\\b[A-Z][a-z]+(?:\\s+[A-Z][a-z]+)+\\b",
		"(?<=[a-z,;]\\s)[A-Z][a-z]{2,}\\b",
		"\\b[A-Z][a-z]+[A-Z]\\w+\\b",
	};
	pcre2_code *re[3];
	pcre2_match_data *md = pcre2_match_data_create(2, NULL);
	unsigned seed = 4242;

	for (int k = 0; k < 3; k++) {
		int code;
		PCRE2_SIZE eoff;

		re[k] = pcre2_compile((PCRE2_SPTR)res[k], PCRE2_ZERO_TERMINATED,
				      PCRE2_UTF | PCRE2_UCP, &code, &eoff, NULL);
		assert_non_null(re[k]);
	}
	for (int round = 0; round < 20000; round++) {
		char text[512] = "";
		size_t len, nwant = 0;
		char want[128][128];
		struct mn_entities e;

		for (int i = (int)(rand_r(&seed) % 24); i > 0; i--)
			strcat(text, pieces[rand_r(&seed) % (sizeof(pieces) / sizeof(pieces[0]))]);
		len = strlen(text);
		for (int k = 0; k < 3; k++) {
			size_t off = 0;

			while (off < len &&
			       pcre2_match(re[k], (PCRE2_SPTR)text, len, off, 0, md, NULL) > 0) {
				PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
				size_t n = ov[1] - ov[0];
				bool dup = false;

				off = ov[1];
				if (mn_text_utf8_chars(text + ov[0], n) < 3 ||
				    (n >= 4 && !memcmp(text + ov[0], "The ", 4)))
					continue;
				memcpy(want[nwant], text + ov[0], n);
				want[nwant][n] = '\0';
				for (size_t i = 0; i < nwant; i++)
					dup = dup || !strcmp(want[i], want[nwant]);
				nwant += !dup;
			}
		}
		mn_verify_entities(&e, text, len);
		if (e.n != nwant)
			fail_msg("'%s': %zu entities, the regexes find %zu", text, e.n, nwant);
		for (size_t i = 0; i < nwant; i++) {
			for (char *c = want[i]; *c; c++)
				*c = (char)(*c >= 'A' && *c <= 'Z' ? *c + 32 : *c);
			/* (the only non-ASCII letters here fold as \xc3\x89 -> \xc3\xa9) */
			for (char *c = want[i]; c[0] && c[1]; c++)
				if ((unsigned char)c[0] == 0xc3 && (unsigned char)c[1] == 0x89)
					c[1] = (char)0xa9;
			if (!has_entity(&e, want[i]))
				fail_msg("'%s': the regexes find '%s', the verifier does not", text,
					 want[i]);
		}
		mn_entities_release(&e);
	}
	for (int k = 0; k < 3; k++)
		pcre2_code_free(re[k]);
	pcre2_match_data_free(md);
}

static void test_version_also_yields_its_numbers(void **state)
{
	ENTITIES("v2.4.0 shipped", "v2.4.0", "2.4", "0");
}

/* ---- entities: proper nouns ---- */

static void test_multi_word_proper_noun(void **state)
{
	/* "Chen" is also a single capitalised word after "a " */
	ENTITIES("Maria Chen fixed it", "maria chen", "chen");
}

static void test_single_word_after_lowercase_letter(void **state)
{
	ENTITIES("we use Redis", "redis");
}

static void test_single_word_after_comma(void **state)
{
	ENTITIES("first, Redis", "redis");
}

static void test_single_word_after_semicolon(void **state)
{
	ENTITIES("ok; Redis", "redis");
}

static void test_single_word_needs_a_preceding_word_and_three_letters(void **state)
{
	NO_ENTITIES("Redis is up, use Go now");
}

static void test_mention_is_the_name_without_at(void **state)
{
	ENTITIES("@alice and @bo", "alice");
}

static void test_camel_case_identifiers(void **state)
{
	ENTITIES("WorkerPool and PostgreSQL", "workerpool", "postgresql");
}

static void test_names_starting_with_the_are_dropped(void **state)
{
	/* "The Big Bang" is one multi-word match and is dropped; "Big" and
	 * "Bang" still count as single words after a lowercase letter */
	ENTITIES("The Big Bang happened", "big", "bang");
}

static void test_entities_are_deduplicated_by_spelling(void **state)
{
	ENTITIES("Redis and Redis", "redis");
	/* two spellings, two entities (as in a set of strings) */
	ENTITIES("1.5E3 vs 1.5e3", "1.5e3", "1.5e3");
}

static void test_empty_text_has_no_entities(void **state)
{
	struct mn_entities e;

	mn_verify_entities(&e, "", 0);
	assert_int_equal(e.n, 0);
	mn_entities_release(&e);
	mn_verify_entities(&e, NULL, 5);
	assert_int_equal(e.n, 0);
	mn_entities_release(&e);
}

static void test_invalid_utf8_is_scanned_as_replacement_characters(void **state)
{
	ENTITIES("caf\xe9 v1.2 \xff\xfe Maria Chen", "v1.2", "1.2", "maria chen", "chen");
}

static void test_non_ascii_letters_are_word_characters(void **state)
{
	/* \w is Unicode: the path takes the accented letter, the mention too */
	ENTITIES("open caf\xc3\xa9.py for @j\xc3\xb6rg", "caf\xc3\xa9.py", "j\xc3\xb6rg");
}

/* ---- EPR ---- */

static void test_epr_is_one_for_input_without_entities(void **state)
{
	struct mn_metrics m;

	score(&m, "", encoding("g", "c"));
	assert_near(m.epr, 1.0);
	assert_near(m.np, 1.0);
	assert_int_equal(m.n_entities, 0);
	mn_metrics_release(&m);
	score(&m, "nothing special here", encoding("g", "c"));
	assert_near(m.epr, 1.0);
	mn_metrics_release(&m);
}

static void test_epr_is_share_of_input_entities_in_output(void **state)
{
	struct mn_metrics m;

	/* entities: 1.2, /etc/app.yaml, v1.2, maria chen, chen; the path is lost */
	score(&m, "Maria Chen deployed v1.2 to /etc/app.yaml",
	      encoding("Maria Chen deployed v1.2", "deployed"));
	assert_int_equal(m.n_entities, 5);
	assert_near(m.epr, 0.8);
	mn_metrics_release(&m);
}

static void test_epr_matching_ignores_case(void **state)
{
	struct mn_metrics m;

	score(&m, "ask Kubernetes", encoding("KUBERNETES", "x"));
	assert_near(m.epr, 1.0);
	mn_metrics_release(&m);
}

static void test_epr_matching_ignores_commas_on_both_sides(void **state)
{
	struct mn_metrics m;

	score(&m, "1,234 rows", encoding("1234 rows", "x"));
	assert_near(m.epr, 1.0);
	mn_metrics_release(&m);
	score(&m, "1234567 rows", encoding("1,234,567 rows", "x"));
	assert_near(m.epr, 1.0);
	mn_metrics_release(&m);
}

static void test_epr_searches_the_whole_compact_json(void **state)
{
	struct mn_metrics m;
	json_t *enc = encoding("g", "c");

	/* the 0.5 is the salience; "/" is not escaped in the compact form */
	json_array_append_new(json_object_get(enc, "concepts"), json_string("src/a.go"));
	score(&m, "set 0.5 in src/a.go", enc);
	assert_near(m.epr, 1.0);
	mn_metrics_release(&m);
}

static void test_epr_matches_substrings(void **state)
{
	struct mn_metrics m;

	/* "5" is found inside "15" */
	score(&m, "5", encoding("15", "x"));
	assert_near(m.epr, 1.0);
	mn_metrics_release(&m);
}

static void test_epr_against_non_ascii_output(void **state)
{
	struct mn_metrics m;

	/* non-ASCII stays unescaped in the compact JSON and folds case */
	score(&m, "@\xc3\x89mile edits caf\xc3\xa9.py", encoding("\xc3\xa9mile: CAF\xc3\x89.PY", "x"));
	assert_int_equal(m.n_entities, 2);
	assert_near(m.epr, 1.0);
	mn_metrics_release(&m);
}

static void test_low_epr_flag(void **state)
{
	struct mn_metrics m;

	score(&m, "Maria Chen moved 1,200 files to /tmp/out", encoding("moved files", "x"));
	assert_true(m.epr < 0.7);
	assert_true(has_flag(&m, "low_epr"));
	mn_metrics_release(&m);
}

/* ---- NP ---- */

static void test_np_is_share_of_input_numbers_in_output(void **state)
{
	struct mn_metrics m;

	/* numbers 12.5%, 40, 7; names do not count */
	score(&m, "Maria Chen saw 12.5% of 40 runs fail 7 times",
	      encoding("12.5% of 40 failed", "Maria Chen"));
	assert_int_equal(m.n_numbers, 3);
	assert_near(m.np, 2.0 / 3.0);
	mn_metrics_release(&m);
}

static void test_np_percent_needs_the_percent_sign(void **state)
{
	struct mn_metrics m;

	score(&m, "grew 40%", encoding("grew 40 percent", "x"));
	assert_near(m.np, 0.0);
	mn_metrics_release(&m);
}

static void test_np_is_one_without_input_numbers(void **state)
{
	struct mn_metrics m;

	score(&m, "Maria Chen", encoding("x", "y"));
	assert_near(m.np, 1.0);
	mn_metrics_release(&m);
}

/* ---- FR ---- */

static void test_fr_is_zero_without_output_entities(void **state)
{
	struct mn_metrics m;

	score(&m, "Maria Chen", encoding("nothing", "at all"));
	assert_near(m.fr, 0.0);
	mn_metrics_release(&m);
}

static void test_fr_counts_fabricated_entities(void **state)
{
	struct mn_metrics m;

	/* output entities: maria chen, chen, bob smith, bob, smith, 2.0, v2.0;
	 * the last five are not in the input */
	score(&m, "Maria Chen fixed it", encoding("fix", "Maria Chen and Bob Smith fixed v2.0"));
	assert_near(m.fr, 5.0 / 7.0);
	assert_true(has_flag(&m, "high_fr"));
	mn_metrics_release(&m);
}

static void test_fr_reads_only_the_content_fields(void **state)
{
	struct mn_metrics m;
	json_t *enc = encoding("fix", "fixed");

	json_array_append_new(json_object_get(enc, "concepts"), json_string("Invented Name"));
	json_object_set_new(enc, "significance", json_string("Routine Work"));
	score(&m, "fixed", enc);
	assert_near(m.fr, 0.0);
	mn_metrics_release(&m);
}

static void test_fr_fields_are_joined_with_spaces(void **state)
{
	struct mn_metrics m;
	json_t *enc = encoding("Maria", "x");

	/* gist "Maria" + " " + summary "Chen says" reads "Maria Chen says" */
	json_object_set_new(enc, "summary", json_string("Chen says"));
	score(&m, "Maria Chen", enc);
	assert_near(m.fr, 0.0);
	mn_metrics_release(&m);
}

/* ---- TED ---- */

static void test_ted_detects_an_instruction_phrase(void **state)
{
	struct mn_metrics m;
	char content[256];

	snprintf(content, sizeof(content), "Remember to %s.", mn_prompt_ted_phrases[2]);
	score(&m, "hello", encoding("hello", content));
	assert_true(m.ted);
	assert_true(has_flag(&m, "template_echo"));
	mn_metrics_release(&m);
}

static void test_ted_is_case_insensitive(void **state)
{
	struct mn_metrics m;

	score(&m, "hello", encoding("KEEP SHORT INPUT SHORT", "x"));
	assert_true(m.ted);
	mn_metrics_release(&m);
}

static void test_ted_keeps_commas_of_the_phrase(void **state)
{
	const char *with = "x One of Success, failure, ongoing, unknown x";
	const char *without = "x one of success failure ongoing unknown x";

	assert_true(mn_verify_has_template_echo(with, strlen(with)));
	assert_false(mn_verify_has_template_echo(without, strlen(without)));
}

static void test_ted_false_on_ordinary_output(void **state)
{
	struct mn_metrics m;

	score(&m, "Deployed the fix to production.",
	      encoding("Deployed the fix", "Deployed the fix to production."));
	assert_false(m.ted);
	mn_metrics_release(&m);
}

/* ---- MIG ---- */

static void test_mig_flags_short_input_with_long_content(void **state)
{
	struct mn_metrics m;
	char content[302];

	memset(content, 'x', 301);
	content[301] = '\0';
	score(&m, "tests pass", encoding("tests pass", content));
	assert_true(m.mig);
	assert_true(has_flag(&m, "minimal_input_padded"));
	mn_metrics_release(&m);
}

static void test_mig_content_of_300_characters_is_fine(void **state)
{
	struct mn_metrics m;
	char content[301];

	memset(content, 'x', 300);
	content[300] = '\0';
	score(&m, "tests pass", encoding("tests pass", content));
	assert_false(m.mig);
	mn_metrics_release(&m);
}

static void test_mig_counts_non_space_characters_of_input(void **state)
{
	struct mn_metrics m;
	char content[400], input[200];

	memset(content, 'x', 399);
	content[399] = '\0';
	/* 49 letters in spaces: short; 50 letters: not */
	memset(input, ' ', sizeof(input));
	for (int i = 0; i < 49; i++)
		input[2 * i] = 'a';
	input[120] = '\0';
	score(&m, input, encoding("g", content));
	assert_true(m.mig);
	mn_metrics_release(&m);
	input[120] = 'b';
	input[121] = '\0';
	score(&m, input, encoding("g", content));
	assert_false(m.mig);
	mn_metrics_release(&m);
}

static void test_mig_content_length_is_in_characters(void **state)
{
	struct mn_metrics m;
	char content[700] = "";

	/* 200 two-byte characters: 400 bytes, 200 characters */
	for (int i = 0; i < 200; i++)
		strcat(content, "\xc3\xa9");
	score(&m, "ok", encoding("ok", content));
	assert_false(m.mig);
	mn_metrics_release(&m);
}

/* ---- SC and flags ---- */

static void test_schema_failure_is_a_flag_with_its_reason(void **state)
{
	struct mn_metrics m;
	json_t *enc = encoding("g", "c");

	json_object_del(enc, "gist");
	score(&m, "g", enc);
	assert_false(m.sc);
	assert_string_equal(m.sc_reason, "missing:gist");
	assert_true(has_flag(&m, "schema:missing:gist"));
	mn_metrics_release(&m);
}

static void test_flags_are_an_empty_array_when_clean(void **state)
{
	struct mn_metrics m;
	json_t *j;
	char *s;

	score(&m, "Maria Chen shipped v1.2", encoding("Maria Chen shipped v1.2", "shipped"));
	assert_true(m.sc);
	assert_true(json_is_array(m.flags));
	assert_int_equal(json_array_size(m.flags), 0);
	j = mn_metrics_to_json(&m);
	s = mn_json_dumps(j);
	assert_string_equal(s, "{\"epr\":1.0,\"fr\":0.0,\"np\":1.0,\"ted\":false,\"mig\":false,"
			       "\"sc\":true,\"flags\":[]}");
	free(s);
	json_decref(j);
	mn_metrics_release(&m);
}

static void test_flags_come_in_documented_order(void **state)
{
	struct mn_metrics m;
	json_t *enc = encoding("Keep short input short", "");
	char content[400];
	char *s;

	memset(content, 'x', 399);
	content[399] = '\0';
	json_object_set_new(enc, "content", json_string(content));
	json_object_set_new(enc, "narrative", json_string("Invented Person said v9.9"));
	json_object_set_new(enc, "outcome", json_string("done"));
	score(&m, "Maria Chen", enc);
	s = mn_json_dumps(m.flags);
	assert_string_equal(s, "[\"template_echo\",\"minimal_input_padded\",\"low_epr\","
			       "\"high_fr\",\"schema:enum:outcome\"]");
	free(s);
	mn_metrics_release(&m);
}

static void test_non_object_output_scores_against_its_text(void **state)
{
	struct mn_metrics m;

	score(&m, "Maria Chen", json_string("Maria Chen did it"));
	assert_false(m.sc);
	assert_true(has_flag(&m, "schema:type:object"));
	assert_near(m.epr, 1.0);
	assert_near(m.fr, 0.0);
	mn_metrics_release(&m);
	mn_verify_score(&m, "Maria Chen", 10, NULL);
	assert_false(m.sc);
	assert_near(m.epr, 0.0);
	mn_metrics_release(&m);
}

static void test_metrics_release_twice_is_safe(void **state)
{
	struct mn_metrics m;

	score(&m, "x", encoding("x", "x"));
	mn_metrics_release(&m);
	mn_metrics_release(&m);
	mn_metrics_release(NULL);
}

/* ---- robustness ---- */

static void test_long_degenerate_output_is_scored_in_linear_time(void **state)
{
	size_t n = 200000;
	char *s = malloc(n + 1);
	struct mn_metrics m;
	time_t t0 = time(NULL);

	for (size_t i = 0; i < n; i++)
		s[i] = "a/Ab -1.v@"[i % 10];
	s[n] = '\0';
	score(&m, s, encoding("g", s));
	/* quadratic behaviour would take minutes here */
	assert_true(time(NULL) - t0 < 30);
	mn_metrics_release(&m);
	free(s);
}

struct thread_arg {
	const char *input;
	json_t *enc;
	double epr;
};

static void *score_thread(void *p)
{
	struct thread_arg *a = p;

	for (int i = 0; i < 200; i++) {
		struct mn_metrics m;

		mn_verify_score(&m, a->input, strlen(a->input), a->enc);
		a->epr = m.epr;
		mn_metrics_release(&m);
	}
	return NULL;
}

static void test_concurrent_scoring_gives_the_same_result(void **state)
{
	const char *input = "Maria Chen deployed v1.2 to /etc/app.yaml";
	json_t *enc = encoding("Maria Chen deployed v1.2", "deployed");
	struct thread_arg args[4];
	pthread_t th[4];

	for (int i = 0; i < 4; i++) {
		args[i] = (struct thread_arg){ input, enc, -1 };
		assert_int_equal(pthread_create(&th[i], NULL, score_thread, &args[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		assert_near(args[i].epr, 0.8);
	}
	json_decref(enc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_comma_grouped_number_is_one_entity_without_commas),
		cmocka_unit_test(test_scientific_notation_lower_case_e),
		cmocka_unit_test(test_scientific_notation_upper_case_e_and_sign),
		cmocka_unit_test(test_percent_sign_is_part_of_the_number),
		cmocka_unit_test(test_fraction_is_one_entity),
		cmocka_unit_test(test_minus_sign_kept_without_word_boundary),
		cmocka_unit_test(test_number_forms_are_tried_leftmost_first),
		cmocka_unit_test(test_numbers_come_first_and_are_counted),
		cmocka_unit_test(test_unicode_digits_are_digits),
		cmocka_unit_test(test_number_scanner_agrees_with_section5_regex),
		cmocka_unit_test(test_relative_paths_with_known_extensions),
		cmocka_unit_test(test_absolute_paths),
		cmocka_unit_test(test_absolute_path_not_after_less_than),
		cmocka_unit_test(test_path_runs_match_whole_text_scan),
		cmocka_unit_test(test_name_prefilter_matches_whole_text_scan),
		cmocka_unit_test(test_version_also_yields_its_numbers),
		cmocka_unit_test(test_multi_word_proper_noun),
		cmocka_unit_test(test_single_word_after_lowercase_letter),
		cmocka_unit_test(test_single_word_after_comma),
		cmocka_unit_test(test_single_word_after_semicolon),
		cmocka_unit_test(test_single_word_needs_a_preceding_word_and_three_letters),
		cmocka_unit_test(test_mention_is_the_name_without_at),
		cmocka_unit_test(test_camel_case_identifiers),
		cmocka_unit_test(test_names_starting_with_the_are_dropped),
		cmocka_unit_test(test_entities_are_deduplicated_by_spelling),
		cmocka_unit_test(test_empty_text_has_no_entities),
		cmocka_unit_test(test_invalid_utf8_is_scanned_as_replacement_characters),
		cmocka_unit_test(test_non_ascii_letters_are_word_characters),
		cmocka_unit_test(test_epr_is_one_for_input_without_entities),
		cmocka_unit_test(test_epr_is_share_of_input_entities_in_output),
		cmocka_unit_test(test_epr_matching_ignores_case),
		cmocka_unit_test(test_epr_matching_ignores_commas_on_both_sides),
		cmocka_unit_test(test_epr_searches_the_whole_compact_json),
		cmocka_unit_test(test_epr_matches_substrings),
		cmocka_unit_test(test_epr_against_non_ascii_output),
		cmocka_unit_test(test_low_epr_flag),
		cmocka_unit_test(test_np_is_share_of_input_numbers_in_output),
		cmocka_unit_test(test_np_percent_needs_the_percent_sign),
		cmocka_unit_test(test_np_is_one_without_input_numbers),
		cmocka_unit_test(test_fr_is_zero_without_output_entities),
		cmocka_unit_test(test_fr_counts_fabricated_entities),
		cmocka_unit_test(test_fr_reads_only_the_content_fields),
		cmocka_unit_test(test_fr_fields_are_joined_with_spaces),
		cmocka_unit_test(test_ted_detects_an_instruction_phrase),
		cmocka_unit_test(test_ted_is_case_insensitive),
		cmocka_unit_test(test_ted_keeps_commas_of_the_phrase),
		cmocka_unit_test(test_ted_false_on_ordinary_output),
		cmocka_unit_test(test_mig_flags_short_input_with_long_content),
		cmocka_unit_test(test_mig_content_of_300_characters_is_fine),
		cmocka_unit_test(test_mig_counts_non_space_characters_of_input),
		cmocka_unit_test(test_mig_content_length_is_in_characters),
		cmocka_unit_test(test_schema_failure_is_a_flag_with_its_reason),
		cmocka_unit_test(test_flags_are_an_empty_array_when_clean),
		cmocka_unit_test(test_flags_come_in_documented_order),
		cmocka_unit_test(test_non_object_output_scores_against_its_text),
		cmocka_unit_test(test_metrics_release_twice_is_safe),
		cmocka_unit_test(test_long_degenerate_output_is_scored_in_linear_time),
		cmocka_unit_test(test_concurrent_scoring_gives_the_same_result),
	};

	return cmocka_run_group_tests(tests, 0, NULL);
}
