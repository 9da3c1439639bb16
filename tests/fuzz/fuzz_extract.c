/*
 * fuzz_extract.c - fuzz target for the parser of model output: the bytes
 * are a model's reply. Runs lenient extraction, the SC check, normalisation
 * and the verifier (the bytes also serve as the input the encoder saw), and
 * aborts when an invariant breaks:
 *   - extraction fails only with MN_EPARSE and a message;
 *   - an object that balances but does not parse is skipped whole: what
 *     extraction returns is what it returns for the text after that
 *     object's closing brace (never an object from inside it);
 *   - normalisation is idempotent and keeps at most the documented number
 *     of concepts and of entries per structured_concepts list;
 *   - metrics are in [0, 1], flags an array of strings, [] when clean.
 * Built with replay.c as a corpus replayer by the Makefile, or with
 * clang -fsanitize=fuzzer for a real fuzzing run.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/json.h"
#include "base/limits.h"
#include "model/encoding.h"
#include "model/verify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_extract: invariant broken: %s\n", what);
		abort();
	}
}

static bool in_unit(double x)
{
	return x >= 0.0 && x <= 1.0;
}

static void check_metrics(const struct mn_metrics *m)
{
	size_t i;
	json_t *f;

	check(in_unit(m->epr) && in_unit(m->fr) && in_unit(m->np), "metric outside [0,1]");
	check(json_is_array(m->flags), "flags not an array");
	json_array_foreach(m->flags, i, f)
		check(json_is_string(f), "flag not a string");
	check(m->sc || m->sc_reason[0], "SC false without a reason");
}

/* Offset one past the '}' balancing the '{' at s[0], or 0: an oracle
 * written apart from the extractor's own scanner. */
static size_t balanced_end(const char *s, size_t len)
{
	size_t depth = 0;

	for (size_t i = 0; i < len; i++) {
		if (s[i] == '"') {
			for (i++; i < len && s[i] != '"'; i++)
				if (s[i] == '\\')
					i++;
		} else if (s[i] == '{') {
			depth++;
		} else if (s[i] == '}' && --depth == 0) {
			return i + 1;
		}
	}
	return 0;
}

/* When the first '{' of a text without <think> tags starts an object that
 * balances but does not parse, extraction must go on after it. */
static void check_skips_unparsable(const char *text, size_t size, const json_t *enc)
{
	const char *b = memchr(text, '{', size);
	size_t n;
	json_t *v, *rest;

	if (!enc || !b || memmem(text, size, "think>", 6))
		return;
	n = balanced_end(b, size - (size_t)(b - text));
	if (!n)
		return;
	v = mn_json_parse(b, n, NULL);
	if (v) {
		json_decref(v);
		return;
	}
	rest = mn_encoding_extract(b + n, size - (size_t)(b - text) - n, NULL);
	check(rest && json_equal(rest, enc), "extracted an object from inside an unparsable one");
	json_decref(rest);
}

static void check_caps(const json_t *norm)
{
	static const char *const lists[] = { "topics", "entities", "actions", "causality" };
	const json_t *sc = json_object_get(norm, "structured_concepts");

	check(json_array_size(json_object_get(norm, "concepts")) <= MN_LIMIT_ENCODING_CONCEPTS,
	      "more concepts than MN_LIMIT_ENCODING_CONCEPTS");
	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++)
		check(json_array_size(json_object_get(sc, lists[i])) <=
			      MN_LIMIT_ENCODING_LIST_ITEMS,
		      "more structured entries than MN_LIMIT_ENCODING_LIST_ITEMS");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct mn_err err = MN_ERR_INIT;
	struct mn_metrics m;
	json_t *enc, *norm = NULL, *again = NULL;
	char why[64];

	enc = mn_encoding_extract(text, size, &err);
	if (!enc) {
		check(err.code == MN_EPARSE && err.msg[0], "extract failed without MN_EPARSE");
	} else {
		check(json_is_object(enc), "extract returned a non-object");
		check_skips_unparsable(text, size, enc);
		(void)mn_encoding_check(enc, why, sizeof(why));
		norm = mn_encoding_normalize(enc);
		again = mn_encoding_normalize(norm);
		check(json_equal(norm, again), "normalisation is not idempotent");
		check_caps(norm);
		(void)mn_encoding_check(norm, why, sizeof(why));
	}

	mn_verify_score(&m, text, size, enc);
	check_metrics(&m);
	mn_metrics_release(&m);
	if (norm) {
		mn_verify_score(&m, text, size, norm);
		check_metrics(&m);
		mn_metrics_release(&m);
	}
	(void)mn_verify_has_template_echo(text, size);

	json_decref(again);
	json_decref(norm);
	json_decref(enc);
	return 0;
}
