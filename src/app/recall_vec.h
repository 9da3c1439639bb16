/*
 * recall_vec.h - the query's vector for recall (docs/vectors.md): when an
 * embedding provider is configured, recall embeds its query, bounded by
 * embedding.query_timeout_ms and without retries, and falls back to
 * lexical recall on any failure, saying why.
 */
#ifndef MN_APP_RECALL_VEC_H
#define MN_APP_RECALL_VEC_H

#include <stddef.h>

#include "app/app.h"

/* Embed query with a's embedding configuration. Returns 1 (nothing set)
 * when no provider is configured; 0 with *out a heap vector of
 * embedding.dimensions floats; -1 with *out NULL and note set to
 * "unavailable: <why>" when the provider could not answer in time. */
int mn_app_recall_vector(struct mn_ctx *a, float **out, const char *query, char *note,
			 size_t note_len);

#endif
