/*
 * store_recall.h - the recall index's keys and SQL functions, shared by
 * the store module's files only (store.c, store_recall.c, store_browse.c).
 * The recall itself is mn_store_recall in store.h.
 */
#ifndef MN_STORE_RECALL_H
#define MN_STORE_RECALL_H

#include <jansson.h>
#include <stddef.h>

#include "base/err.h"
#include "store/store.h"

/* Register the SQL functions the schema and the recall use on a new
 * connection: mn_date_keys(content, occurred_at), mn_keyterms(json) and
 * the FTS5 ranking functions mn_score and mn_explain. */
int mn_store_recall_setup(struct mn_store *st, struct mn_err *err);

/* The date keys of a raw memory (base/dates.h): the day it happened and
 * the dates its text mentions, resolved against that day. New string. */
char *mn_store_date_keys(const char *content, size_t len, const char *occurred_at);

/* The key terms of an encoding's structured_concepts (entity names and
 * topic labels), space separated. New string. */
char *mn_store_keyterms(const json_t *structured_concepts);

#endif
