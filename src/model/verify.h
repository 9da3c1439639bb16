/*
 * verify.h - the one verifier (DESIGN §5). Runtime scoring, curriculum
 * acceptance, the quality gate and `mnemo verify` all call mn_verify_score.
 *
 * Calling sequence: mn_verify_score(&m, input, len, enc); read m;
 * mn_metrics_release(&m). The compiled PCRE2 patterns are built once per
 * process (thread-safe lazy init) and JIT-compiled where available.
 */
#ifndef MN_VERIFY_H
#define MN_VERIFY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "base/err.h"

struct mn_metrics {
	double epr;         /* entity preservation, [0,1]; 1 when input has none */
	double fr;          /* fabrication rate, [0,1]; 0 when content fields have none */
	double np;          /* number preservation, [0,1]; 1 when input has none */
	bool ted;           /* template echo */
	bool mig;           /* minimal input padded */
	bool sc;            /* schema compliance */
	char sc_reason[64]; /* first schema problem when !sc */
	size_t n_entities;  /* entities in the input */
	size_t n_numbers;   /* numbers in the input */
	json_t *flags;      /* array of strings, [] when none (owned) */
};

/* The entities of a text, normalised (lowercase, commas removed). De-duplicated
 * by spelling before normalisation, as the reference evaluator's set is, so
 * two items may be equal ("Redis" and "redis"). */
struct mn_entities {
	char **items;
	size_t n, alloc;
	size_t n_numbers; /* how many of items are numbers (they come first) */
};

void mn_entities_init(struct mn_entities *e);
void mn_entities_release(struct mn_entities *e);
/* Extract the entities of DESIGN §5 from text. out is initialised here (its
 * old contents are not freed); release it with mn_entities_release.
 * Thread-safe. */
void mn_verify_entities(struct mn_entities *out, const char *text, size_t len);
/* Score an encoding against the input the encoder saw. enc may be any JSON
 * value (a non-object scores SC false, EPR against its text). Fills out
 * (release with mn_metrics_release). */
void mn_verify_score(struct mn_metrics *out, const char *input, size_t len, const json_t *enc);
void mn_metrics_release(struct mn_metrics *m);
/* {"epr":..,"fr":..,"np":..,"ted":..,"mig":..,"sc":..,"flags":[..]} new ref. */
json_t *mn_metrics_to_json(const struct mn_metrics *m);
/* True when text contains a TED phrase (case-insensitive). */
bool mn_verify_has_template_echo(const char *text, size_t len);

#endif
