/*
 * learning.h - the learning view's history for the dashboard
 * (docs/dashboard.md): what the learning loop did over time, gathered from
 * the store in one object so the dashboard draws its curves from one
 * request. GET /api/v1/learning/history answers with it.
 */
#ifndef MN_APP_LEARNING_H
#define MN_APP_LEARNING_H

#include <jansson.h>

#include "base/err.h"
#include "learn/ctx.h"

/* Days of daily series returned by default, and the most allowed. */
#define MN_APP_HISTORY_DAYS 90
#define MN_APP_HISTORY_MAX_DAYS 3650
/* Dream cycles, runs and versions returned at most (the newest). */
#define MN_APP_HISTORY_MAX_ITEMS 200

/* {days, since, student,
 *  cycles: [{id, trigger, status, started_at, finished_at,
 *            buffer: {gold, needs_improvement, ambiguous, excluded, total, ...} | null,
 *            curriculum: {status, attempted, passed, rejected, errors, ...} | null,
 *            training: {...} | null}],
 *  cycles_total,
 *  experience_daily: [{day, gold, needs_improvement, ambiguous, excluded, total}],
 *  corrections_daily: [{day, teacher, human}],
 *  feedback_daily: [{day, helpful, partial, irrelevant, total, helpful_rate}],
 *  runs: [{id, state, trigger, created_at, finished_at, gate_verdict,
 *          candidate_version, deployed_version, candidate, incumbent}],
 *  versions: [{version, state, training_run, parent, created_at, deployed_at,
 *              gate_metrics, live_metrics}]}
 * Every list is oldest first. days: 1..MN_APP_HISTORY_MAX_DAYS (0 = the
 * default); MN_EINVAL outside. */
int mn_app_learning_history(struct mn_ctx *a, int days, json_t **out, struct mn_err *err);

#endif
