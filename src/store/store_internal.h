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

/* The columns mn_store_read_memory reads, from `memories m`. The
 * encoding is kept packed (store_pack.c): encoder_output, and encoding
 * where the normalised encoding is not that output; source, type,
 * project and the time it happened are the raw row's. */
#define MN_STORE_MEM_COLS \
	"m.id, m.raw_id, m.encoder_output, m.encoder, m.encoder_version, m.fallback," \
	" m.epr, m.fr, m.np, m.confidence, m.sc, m.ted, m.mig, m.flags, m.salience," \
	" m.feedback_score, (SELECT source FROM raw_memories WHERE id = m.raw_id)," \
	" (SELECT type FROM raw_memories WHERE id = m.raw_id)," \
	" (SELECT project FROM raw_memories WHERE id = m.raw_id), m.created_at, m.encoding," \
	" m.state, (SELECT occurred_at FROM raw_memories WHERE id = m.raw_id)"
/* Number of MN_STORE_MEM_COLS columns: extra columns follow from here. */
#define MN_STORE_MEM_NCOLS 23
/* Fill m (zeroed first) from a row that starts with MN_STORE_MEM_COLS. */
void mn_store_read_memory(struct mn_memory *m, sqlite3_stmt *s);

/* ---- packed encodings (store_pack.c) ---- */

/* Pack text (a format byte, then DEFLATE with a fixed dictionary, or the
 * text as it is when that is not shorter). New buffer of *out_len bytes. */
void *mn_store_pack(const char *text, size_t len, size_t *out_len);
/* Unpack a packed value into a new NUL-terminated string; NULL when blob
 * is not one. */
char *mn_store_unpack(const void *blob, size_t n, size_t *out_len);
/* Column i unpacked (a blob), copied (text) or NULL. New string. */
char *mn_store_unpack_col(sqlite3_stmt *s, int i);
/* The normalised encoding as the store keeps it: the ten keys, strings
 * for the texts ("" when missing), concepts ([]) and structured_concepts
 * ({}) as given, null for a missing label, salience a real (0.5). New
 * object; e may be NULL. */
json_t *mn_store_enc_canonical(const json_t *e);
/* Bind memories.encoder_output (the packed output, "" for NULL) at
 * i_output and memories.encoding at i_encoding: NULL when the canonical
 * encoding dumps to the output byte for byte, else its packed dump. */
void mn_store_bind_encoding(sqlite3_stmt *s, int i_output, int i_encoding, const char *output,
			    const json_t *encoding);
/* The normalised encoding of a row with those two columns (canonical
 * empty encoding when neither parses). New object. */
json_t *mn_store_read_encoding(sqlite3_stmt *s, int i_output, int i_encoding);
/* The concept strings of an encoding, space separated. New string. */
char *mn_store_concepts_text(const json_t *enc);
/* Register mn_pack, mn_unpack, mn_pack_encoding and mn_doc (the recall
 * index's fields of an encoding) on a new connection, before the
 * migrations. SQLITE_OK or an SQLite error. */
int mn_store_pack_register(sqlite3 *db);

/* Register store_browse.c's SQL functions (mn_norm_hash) on a new
 * connection, before the migrations that use them. */
int mn_store_browse_register(sqlite3 *db);
/* The key of a text's whitespace-normalised form (raw_memories.norm_hash,
 * exact duplicates; store_browse.c). */
int64_t mn_store_norm_hash(const char *s, size_t len);

#endif
