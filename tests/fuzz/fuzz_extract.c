/*
 * fuzz_extract.c - fuzz target for the parser of model output: the bytes
 * are a model's reply. Runs lenient extraction, the SC check, normalisation
 * and the verifier (the bytes also serve as the input the encoder saw), and
 * aborts when an invariant breaks:
 *   - extraction fails only with MN_EPARSE and a message;
 *   - normalisation is idempotent;
 *   - metrics are in [0, 1], flags an array of strings, [] when clean.
 * Built with replay.c as a corpus replayer by the Makefile, or with
 * clang -fsanitize=fuzzer for a real fuzzing run.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/err.h"
#include "encoding.h"
#include "verify.h"

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
		(void)mn_encoding_check(enc, why, sizeof(why));
		norm = mn_encoding_normalize(enc);
		again = mn_encoding_normalize(norm);
		check(json_equal(norm, again), "normalisation is not idempotent");
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
