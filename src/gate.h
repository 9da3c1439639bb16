/*
 * gate.h - the quality gate (DESIGN §7.3): judge a candidate's evaluation
 * metrics against absolute bounds and against the incumbent's metrics on
 * the same eval set.
 *
 * Metrics objects are mn_eval_report_to_json's (evalset.h): {"n",
 * "n_failed","epr","fr","np","sc_rate","ted_rate","mig_rate","acc_*",
 * "enum_acc","concept_f1","salience_mae"}. Bounds: epr >= min_epr,
 * sc_rate >= min_sc, fr <= max_fr, ted_rate <= max_ted_rate; every metric
 * may regress by at most max_regression_pp points against the incumbent.
 * A candidate that failed to encode any item fails. Pure computation: no
 * files, no database.
 */
#ifndef MN_GATE_H
#define MN_GATE_H

#include <jansson.h>
#include <stdbool.h>

#include "config.h"

/* Judge cand (required) against cfg->learning.gate and inc (NULL = no
 * incumbent: only the absolute bounds apply). Returns a new object
 * {"verdict":"pass"|"fail","reasons":[..],"checks":[{"name","metric",
 * "kind":"absolute"|"regression","candidate","incumbent","threshold",
 * "verdict":"pass"|"fail"|"skip"}],"max_regression_pp":..}. */
json_t *mn_gate_judge(const json_t *cand, const json_t *inc, const struct mn_config *cfg);
/* True when the gate object's verdict is "pass". */
bool mn_gate_passed(const json_t *gate);

#endif
