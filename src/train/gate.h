/*
 * gate.h - the quality gate (DESIGN §7.3): judge a candidate's evaluation
 * metrics against absolute bounds and against the incumbent's metrics on
 * the same eval set.
 *
 * Metrics objects are mn_evaluate_run's (evalset.h reports): {"n",
 * "n_failed","epr","fr","np","sc_rate","ted_rate","mig_rate","acc_*",
 * "enum_acc","concept_f1","salience_mae"} for the whole eval set, with
 * the same for its parts under "probe" and "holdout". Bounds: n >= 1,
 * n_failed = 0, epr >= min_epr, sc_rate >= min_sc, fr <= max_fr,
 * ted_rate <= max_ted_rate. Regressions against the incumbent: faithfulness
 * metrics on the whole set; agreement metrics (acc_*, enum_acc,
 * concept_f1, salience_mae) on each part present, the probe set and the
 * holdout alike (the whole set when the report has no parts). A drop fails
 * when it exceeds max_regression_pp, one item of the part it is measured
 * on (100/n points) and 1.645 standard errors of the difference
 * (100*sqrt((c(1-c)+i(1-i))/n), one-sided 95%; c and i smoothed as
 * (p*n+1)/(n+2)): a small part never rejects on noise and,
 * every check being required, never passes a candidate another part
 * rejects. Pure computation: no files, no database.
 */
#ifndef MN_GATE_H
#define MN_GATE_H

#include <jansson.h>
#include <stdbool.h>

#include "core/config.h"

/* Judge cand (required) against cfg->learning.gate and inc (NULL = no
 * incumbent: only the absolute bounds apply). Returns a new object
 * {"verdict":"pass"|"fail","reasons":[..],"checks":[{"name","metric",
 * "kind":"absolute"|"regression"|"info","candidate","incumbent","threshold",
 * "verdict":"pass"|"fail"|"skip"|"info"}],"max_regression_pp":..,"rule"}.
 * Judged regression checks also carry "part" (all|probe|holdout), "n",
 * "drop_pp", "one_item_pp", "std_error_pp" and "tolerance_pp". */
json_t *mn_gate_judge(const json_t *cand, const json_t *inc, const struct mn_config *cfg);
/* True when the gate object's verdict is "pass". */
bool mn_gate_passed(const json_t *gate);

#endif
