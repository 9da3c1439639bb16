/*
 * store_internal.h - shared by the store module's files only (store.c and
 * store_<area>.c). Not for other modules.
 */
#ifndef MN_STORE_INTERNAL_H
#define MN_STORE_INTERNAL_H

#include <sqlite3.h>
#include <stdbool.h>

#include "store/store.h"

#define MN_STORE_STMT_CACHE 256

struct mn_store {
	sqlite3 *db;
	char *path;
	int ncached;
	const char *sql[MN_STORE_STMT_CACHE];
	sqlite3_stmt *stmt[MN_STORE_STMT_CACHE];
	int txn_depth;
	bool readonly; /* opened read-only (a read-only data home) */
	bool recall_ready; /* the ranking functions are registered */
};

/* Cached prepared statement for a static SQL string (keyed by pointer),
 * reset and unbound; NULL with err set on failure. */
sqlite3_stmt *mn_store_stmt(struct mn_store *st, const char *sql, struct mn_err *err);
/* Map the last SQLite error to MN_EIO/MN_EBUSY with `what` as context. */
int mn_store_fail(struct mn_store *st, struct mn_err *err, const char *what);
/* Bind helpers: NULL text binds SQL NULL. */
void mn_store_bind_text(sqlite3_stmt *s, int i, const char *v);
/* Borrowed column text or NULL. */
const char *mn_store_col_text(sqlite3_stmt *s, int i);
/* Copy column text into a fixed buffer ("" for NULL, cut to fit). */
void mn_store_col_copy(char *dst, size_t cap, sqlite3_stmt *s, int i);
/* Heap copy of column text or NULL. */
char *mn_store_col_dup(sqlite3_stmt *s, int i);
/* Parse a JSON text column into a new reference (NULL when NULL/invalid). */
json_t *mn_store_col_json(sqlite3_stmt *s, int i);
/* Run a statement that returns no rows (expects SQLITE_DONE). */
int mn_store_step_done(struct mn_store *st, sqlite3_stmt *s, struct mn_err *err,
		       const char *what);

/* The date keys of a raw memory (base/dates.h): the day it happened and
 * the dates its text mentions, resolved against that day. New string. */
char *mn_store_date_keys(const char *content, size_t len, const char *occurred_at);
/* The key terms of an encoding's structured_concepts (entity names and
 * topic labels), space separated. New string. */
char *mn_store_keyterms(const json_t *structured_concepts);

/* The columns mn_store_read_memory reads, from `memories m`. */
#define MN_STORE_MEM_COLS \
	"m.id, m.raw_id, m.encoding_json, m.encoder, m.encoder_version, m.fallback," \
	" m.epr, m.fr, m.np, m.confidence, m.sc, m.ted, m.mig, m.flags, m.salience," \
	" m.feedback_score, m.source, m.type, m.project, m.created_at, m.gist," \
	" m.summary, m.content, m.narrative, m.concepts, m.structured_concepts," \
	" m.significance, m.emotional_tone, m.outcome, m.base_salience, m.state," \
	" (SELECT occurred_at FROM raw_memories WHERE id = m.raw_id)"
/* Number of MN_STORE_MEM_COLS columns: extra columns follow from here. */
#define MN_STORE_MEM_NCOLS 32
/* Fill m (zeroed first) from a row that starts with MN_STORE_MEM_COLS. */
void mn_store_read_memory(struct mn_memory *m, sqlite3_stmt *s);

/* Register store_browse.c's SQL functions (mn_norm_hash) on a new
 * connection, before the migrations that use them. */
int mn_store_browse_register(sqlite3 *db);
/* The key of a text's whitespace-normalised form (raw_memories.norm_hash,
 * exact duplicates; store_browse.c). */
int64_t mn_store_norm_hash(const char *s, size_t len);

#endif
