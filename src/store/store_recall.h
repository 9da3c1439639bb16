/*
 * store_recall.h - the recall index's ranking (store_recall.c), private to
 * the store module. The recall itself is mn_store_recall in store.h; the
 * index and its keys are built by store.c (schema migration 2).
 */
#ifndef MN_STORE_RECALL_H
#define MN_STORE_RECALL_H

#include "base/err.h"
#include "store/store.h"

/* Register the FTS5 ranking functions mn_score and mn_explain on the
 * connection, once (mn_store_recall calls it). */
int mn_store_recall_setup(struct mn_store *st, struct mn_err *err);

#endif
