/*
 * store_stats.h - aggregates over time for the dashboard's learning view
 * (docs/dashboard.md): experience-buffer rows, corrections and recall
 * feedback counted per UTC day. Part of the store module (store_stats.c
 * shares store_internal.h); read-only, one statement each.
 *
 * Days are "YYYY-MM-DD" (the first ten characters of the store's times).
 * `since` is a store time or day; NULL or "" = from the beginning.
 */
#ifndef MN_STORE_STATS_H
#define MN_STORE_STATS_H

#include <jansson.h>

#include "base/err.h"
#include "store/store.h"

/* New experience-buffer rows per day by their category now, oldest day
 * first: [{day, gold, needs_improvement, ambiguous, excluded, total}]. */
int mn_store_stats_experience_daily(struct mn_store *st, const char *since, json_t **out,
				    struct mn_err *err);
/* Corrections per day by who made them, oldest first:
 * [{day, teacher, human}] (by corrected_at). */
int mn_store_stats_corrections_daily(struct mn_store *st, const char *since, json_t **out,
				     struct mn_err *err);
/* Recall feedback per day, oldest first: [{day, helpful, partial,
 * irrelevant, total, helpful_rate}]; helpful_rate = helpful / total. */
int mn_store_stats_feedback_daily(struct mn_store *st, const char *since, json_t **out,
				  struct mn_err *err);

#endif
