/*
 * drift.h - the drift audit of the dream cycle (DESIGN §7.5): a rolling
 * quality window of recent encodings against a baseline.
 *
 * The window is the last learning.monitor.window encodings that did not
 * come from a fallback: mean EPR and SC rate. The baseline is the window
 * of the last audit that was not degrading (stored in meta "drift.state").
 * An audit is `degrading` when the window's EPR or SC rate is more than
 * learning.monitor.max_drop_pp points below the baseline; degrading in two
 * consecutive audits (with new encodings in between) is the drift signal
 * the training check receives. While degrading the baseline stays put, so
 * a slow slide is measured against the last good window.
 */
#ifndef MN_DRIFT_H
#define MN_DRIFT_H

#include <jansson.h>
#include <stdbool.h>

#include "learn/ctx.h"
#include "base/err.h"

/* Fewer encodings than this in the window: no verdict. */
#define MN_DRIFT_MIN_WINDOW 5
/* meta key of the audit state. */
#define MN_DRIFT_META_KEY "drift.state"

/* Run one audit and persist its state. *out_phase (new reference) is
 * {"name":"drift","status":"ok","state":"stable|degrading|baseline_set|
 * insufficient_data|no_new_data","window":{n,epr,sc},"baseline":{..},
 * "drop_pp":{epr,sc},"consecutive_degrading":k,"drift":bool};
 * *out_drift is the signal for mn_train_check_trigger. */
int mn_drift_audit(struct mn_ctx *a, json_t **out_phase, bool *out_drift, struct mn_err *err);
/* The stored audit state (new reference; {} when no audit ran yet). */
json_t *mn_drift_state_json(struct mn_ctx *a);

#endif
