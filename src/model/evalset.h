/*
 * evalset.h - evaluation sets for the quality gate (DESIGN §7.3): rows of
 * the *.raw.jsonl format, encoded by any encoder through a callback, scored
 * with the one verifier and compared with their target encodings.
 *
 * Calling sequence: mn_evalset_init(&s); mn_evalset_load(&s, path, &err)
 * once per file (rows are appended); mn_evalset_run(&report, &s, fn,
 * payload, &err) for each encoder; mn_evalset_release(&s).
 */
#ifndef MN_EVALSET_H
#define MN_EVALSET_H

#include <jansson.h>
#include <stddef.h>

#include "base/err.h"

struct mn_eval_item {
	char *input;    /* raw_input */
	char *source;   /* memory_source, or NULL */
	char *type;     /* memory_type, or NULL */
	json_t *target; /* the target encoding (owned reference) */
};

struct mn_evalset {
	struct mn_eval_item *items;
	size_t n, alloc;
	size_t max_input_chars; /* inputs are cut here; 0 = the default */
};

void mn_evalset_init(struct mn_evalset *s);
void mn_evalset_release(struct mn_evalset *s);
/* Append the rows of a *.raw.jsonl file. A missing file is MN_ENOTFOUND; a
 * file over MN_LIMIT_JSON_FILE_BYTES is MN_EINVAL. Lines that are not a
 * usable row (bad JSON, no raw_input string, encoded not an object,
 * task_type other than "encoding") are skipped with a warning in the log. */
int mn_evalset_load(struct mn_evalset *s, const char *path, struct mn_err *err);

/* Encode (input, len) with source and type (either may be NULL) into
 * *out_enc (new reference). Returns 0 or a negative MN_E... code with err
 * set. */
typedef int (*mn_eval_encode_fn)(void *payload, json_t **out_enc, const char *input, size_t len,
				 const char *source, const char *type, struct mn_err *err);

struct mn_eval_report {
	size_t n, n_failed; /* items, encode failures */
	double epr, fr, np; /* means over all items */
	double sc_rate, ted_rate, mig_rate;
	double acc_significance, acc_tone, acc_outcome; /* agreement with targets */
	double enum_acc;                                /* mean of the three accuracies */
	double concept_f1;                              /* mean per-item F1 of the concept sets */
	double salience_mae;                            /* mean absolute salience error */
};

/* Encode every item with fn and score it with mn_verify_score against the
 * input the encoder saw (cut with mn_prompt_input_len at s->max_input_chars,
 * the default encoding.max_input_chars when 0), then compare with the target. An encode
 * failure counts as SC 0, EPR 0, NP 0, every agreement wrong, concept F1 0
 * and salience error 1. Agreement metrics average over the items whose
 * target has the field. MN_EINVAL for an empty set. */
int mn_evalset_run(struct mn_eval_report *out, const struct mn_evalset *s, mn_eval_encode_fn fn,
		   void *payload, struct mn_err *err);
/* The report as a JSON object (new reference); reals rounded to 1e-6. */
json_t *mn_eval_report_to_json(const struct mn_eval_report *r);

#endif
