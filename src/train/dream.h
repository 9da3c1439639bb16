/*
 * dream.h - the dream cycle (DESIGN §1, §6): recover stale state,
 * reclassify the buffer, curriculum (teacher corrections), hard-example
 * report, drift audit, training check, the learned ranker. A failing phase
 * is logged and recorded; the others still run. Every cycle is a
 * dream_cycles row.
 */
#ifndef MN_DREAM_H
#define MN_DREAM_H

#include <jansson.h>
#include <signal.h>

#include "learn/ctx.h"
#include "base/err.h"

/* Run one cycle now. trigger: "scheduled", "startup", "manual". *stop is
 * polled between and inside phases (SIGTERM mid-cycle: the curriculum run
 * is recorded as interrupted). *out_report (may be NULL) gets
 * {"id","trigger","status","started_at","phases":[{"name","status","ms",
 * ...counts}]}. status: completed | partial (a phase failed) |
 * interrupted. Returns 0 when the cycle ran (completed or partial),
 * MN_EINTR when it was interrupted (report still set), MN_EBUSY when
 * another cycle holds <home>/dream.lock. */
int mn_dream_run(struct mn_ctx *a, const char *trigger, volatile sig_atomic_t *stop,
		 json_t **out_report, struct mn_err *err);
/* Summary of the last cycles for `status`. New reference. */
json_t *mn_dream_status_json(struct mn_ctx *a);
/* The hard-example report of the last cycle (DESIGN §6), stored in meta
 * under MN_DREAM_REPORT_KEY. *out is a new reference, or NULL when no
 * cycle has produced one yet. */
#define MN_DREAM_REPORT_KEY "dream.last_report"
int mn_dream_last_report(struct mn_ctx *a, json_t **out, struct mn_err *err);
/* Rows examined by the report at most (newest first). */
#define MN_DREAM_REPORT_MAX_ROWS 1000
/* Sample ids per report category. */
#define MN_DREAM_REPORT_SAMPLES 5

#endif
