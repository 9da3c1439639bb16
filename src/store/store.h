/*
 * store.h - the SQLite store (DESIGN §2, §3). All SQL lives in the store
 * module: store.c (open, migrations, raw queue, memories, recall,
 * feedback, experience buffer) and store_<area>.c files for the learning
 * loop (exported as mn_store_<area>_*), which share store_internal.h.
 *
 * Calling sequence: mn_store_open(&st, path, &err) ... mn_store_close(st).
 * One struct mn_store per thread. WAL, busy_timeout, foreign_keys=ON,
 * file mode 0600; migrations are numbered, forward-only, one transaction
 * each, tracked by PRAGMA user_version; a newer database is refused. A
 * database the process may read but not write opens read-only: reads
 * (recall, status) work, writes fail.
 *
 * The rule every caller keeps: no store transaction ever waits on the
 * network, a model, a subprocess, an flock or a sleep. Every process
 * shares one write lock; a transaction held across a 15 s model call
 * stops every `remember` of every client for 15 s. Work that blocks runs
 * between short transactions: encoding is claim (one statement, sets a
 * lease) -> model call (no transaction) -> write the result (one short
 * transaction that checks the claim still holds, see struct mn_claim).
 * The same for the post-deploy monitor's rollback (registry flock,
 * deploy command) and for hooks.
 */
#ifndef MN_STORE_H
#define MN_STORE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "base/timeutil.h"

struct mn_store;

#define MN_STORE_SCHEMA_VERSION 7
/* How long a statement waits for another process's write lock. */
#define MN_STORE_BUSY_MS 10000

int mn_store_open(struct mn_store **out, const char *path, struct mn_err *err);
void mn_store_close(struct mn_store *st);
int mn_store_schema_version(struct mn_store *st);
/* True when the database was opened read-only. */
bool mn_store_readonly(const struct mn_store *st);
/* BEGIN IMMEDIATE / COMMIT / ROLLBACK. Transactions nest: an inner
 * begin/commit joins the outer transaction, which commits once at the
 * outermost commit. A rollback at any level rolls back everything, and the
 * outer commit then fails. */
int mn_store_begin(struct mn_store *st, struct mn_err *err);
int mn_store_commit(struct mn_store *st, struct mn_err *err);
void mn_store_rollback(struct mn_store *st);
bool mn_store_in_transaction(const struct mn_store *st);

/* ---- raw memories (the queue) ---- */

struct mn_raw {
	char id[37];
	char *content;
	size_t content_len;
	char *source, *type, *project, *session; /* may be NULL */
	char content_hash[65];
	char state[12]; /* queued|claimed|encoded|failed */
	int attempts;
	char *last_error;
	char created_at[MN_TIME_LEN];
	char occurred_at[MN_TIME_LEN]; /* when it happened; "" = now (put_raw) */
};

/* One claim of a raw row: the worker that claimed it and the attempt the
 * claim counted (mn_raw.attempts right after the claim). A later claim of
 * the same row, by anyone, counts a new attempt, so the pair names this
 * claim only. */
struct mn_claim {
	const char *worker;
	int attempt;
};

void mn_raw_release(struct mn_raw *r);
/* Commit a new raw row (state queued) and return its id in r->id. The
 * content is stored as given; the caller has checked input limits. */
int mn_store_put_raw(struct mn_store *st, struct mn_raw *r, struct mn_err *err);
/* Commit a new raw row already claimed by worker (inline encoding by the
 * holder of worker.lock): one commit instead of two. */
int mn_store_put_raw_claimed(struct mn_store *st, struct mn_raw *r, const char *worker,
			     int64_t lease_ms, struct mn_err *err);
/* Claim the oldest queued row (indexed; expired leases come back to the
 * queue through mn_store_recover_leases): state claimed, claimed_by =
 * worker, lease_until = now + lease_ms, attempts + 1, in one statement
 * (its own short transaction outside a caller's): concurrent workers on
 * other connections always claim different rows. MN_ENOTFOUND when the
 * queue is empty. */
int mn_store_claim_raw(struct mn_store *st, struct mn_raw *out, const char *worker,
		       int64_t lease_ms, struct mn_err *err);
/* Claim a specific row (inline encoding right after remember). */
int mn_store_claim_raw_id(struct mn_store *st, struct mn_raw *out, const char *id,
			  const char *worker, int64_t lease_ms, struct mn_err *err);
/* Record a failed attempt: back to queued, or failed after max_attempts.
 * With claim (may be NULL), only while that claim still holds. */
int mn_store_fail_raw(struct mn_store *st, const char *id, const char *error, int max_attempts,
		      const struct mn_claim *claim, struct mn_err *err);
/* Expired leases return to the queue; returns how many (>= 0) or error. */
int mn_store_recover_leases(struct mn_store *st, struct mn_err *err);
/* Every claimed row back to the queue. Only for the holder of worker.lock
 * at start-up: no other encoder can be running then. */
int mn_store_recover_claims(struct mn_store *st, struct mn_err *err);
int mn_store_get_raw(struct mn_store *st, struct mn_raw *out, const char *id,
		     struct mn_err *err);

/* ---- memories ---- */

/* The learned ranker's features of a recall candidate (docs/ranker.md),
 * computed by the store's ranking (store_recall.c), each roughly 0..1. */
enum {
	MN_RANK_BASE,     /* the hand-tuned score: lexical x bounded priors */
	MN_RANK_LEXICAL,  /* BM25F share of the query matched */
	MN_RANK_COVERAGE, /* idf-weighted share of term groups matched at all */
	MN_RANK_CONTENT,  /* ... whose best phrase matched the raw text */
	MN_RANK_GIST,
	MN_RANK_SUMMARY,
	MN_RANK_CONCEPTS,
	MN_RANK_KEYTERMS,
	MN_RANK_DATES,
	MN_RANK_EXACT,    /* ... matched by the query's own word, not a synonym */
	MN_RANK_RECENCY,  /* exp(-days/90) */
	MN_RANK_SALIENCE, /* 0.5 when not encoded */
	MN_RANK_FEEDBACK, /* the memory's feedback score, -1..1 */
	MN_RANK_ENCODED,  /* 1 when encoded */
	MN_RANK_REPEATS,  /* min(1, log2(repeat count) / 4) */
	/* 1 when the memory's type is this one (the kinds remember's
	 * description suggests, and their neighbours): a learned prior over
	 * what kinds of memory answer questions */
	MN_RANK_TYPE_DECISION,
	MN_RANK_TYPE_ERROR,
	MN_RANK_TYPE_FIX,
	MN_RANK_TYPE_PREFERENCE,
	MN_RANK_TYPE_INSIGHT,
	MN_RANK_TYPE_NOTE,
	MN_RANK_TYPE_CONVERSATION,
	MN_RANK_TYPE_CONFIG,
	MN_RANK_TYPE_INCIDENT,
	MN_RANK_NF
};

extern const char *const mn_rank_feature_names[MN_RANK_NF];

/* A ranker: the score of a candidate from its features (higher first). */
typedef double (*mn_rank_fn)(void *ctx, const float *features);

struct mn_memory {
	char id[37];
	char raw_id[37];
	json_t *encoding;      /* normalised encoding object (the ten keys) */
	char *encoding_json;   /* the encoder's output exactly as produced */
	char *encoder;         /* "builtin" | "openai:<model>" ... */
	char *encoder_version; /* model version */
	bool fallback;         /* produced by the fallback encoder */
	double epr, fr, np, confidence;
	bool sc, ted, mig;
	json_t *flags;         /* array */
	double salience;       /* effective salience (after TED penalty/feedback) */
	double feedback_score;
	char *source, *type, *project;
	char created_at[MN_TIME_LEN];
	char occurred_at[MN_TIME_LEN]; /* when the observation happened */
	/* filled by search */
	double score;
	json_t *explain;       /* {matched, terms, lexical, score} (recall) */
	char *raw_content;     /* for failed/queued raws found by raw text */
	char state[12];        /* memory state, or raw state for raw-only hits */
	char category[20];     /* buffer category (listings only) */
	int64_t rowid;         /* store-internal row id (recall ranking) */
	/* the ranker's features of this result (recall), docs/ranker.md */
	float rank_features[MN_RANK_NF];
	bool has_rank_features;
};

void mn_memory_release(struct mn_memory *m);
/* In one transaction: mark the raw row encoded, insert the memory, insert
 * an experience-buffer row (category given; excluded for fallback). Sets
 * m->id. With claim (may be NULL), only while that claim of m->raw_id
 * still holds: MN_ENOTFOUND, nothing written, when the row was forgotten,
 * its lease expired and it went back to the queue, or another worker
 * claimed it since; the caller drops its result. */
int mn_store_put_memory(struct mn_store *st, struct mn_memory *m, const char *category,
			const struct mn_claim *claim, struct mn_err *err);
int mn_store_get_memory(struct mn_store *st, struct mn_memory *out, const char *id,
			struct mn_err *err);
/* Newest first, with their buffer category; category NULL = all. */
int mn_store_list_memories(struct mn_store *st, struct mn_memory **out, size_t *out_n,
			   int limit, const char *category, struct mn_err *err);
void mn_memories_free(struct mn_memory *items, size_t n);
/* Delete a memory (by memory id or raw id) and its raw row; cascades to
 * buffer and feedback rows. MN_ENOTFOUND when neither exists. */
int mn_store_forget(struct mn_store *st, const char *id, struct mn_err *err);

/* ---- recall and feedback ---- */

struct mn_recall_opts {
	const char *query;
	int limit;            /* [10] */
	const char *project;  /* may be NULL */
	const char *type;     /* may be NULL */
	const char *source;   /* may be NULL */
	const char *since;    /* ISO time, may be NULL: occurred_at >= since */
	const char *until;    /* ISO time, may be NULL: occurred_at < until */
	const char *session;  /* may be NULL */
	/* the query's vector (unit length) when an embedding provider is
	 * configured (docs/vectors.md): vector candidates of vec_model are
	 * fused with the lexical ones; NULL = lexical only */
	const float *query_vec;
	int query_dim;
	const char *vec_model;
	double vec_weight;    /* the vector ranking's weight in the fusion, 0..1 */
	/* the learned ranker (docs/ranker.md): NULL = order by the hand-tuned
	 * score; its version is logged with the recall */
	mn_rank_fn rank_fn;
	void *rank_ctx;
	const char *ranker_version;
	/* how the front ends present the results (mn_op_recall); the store
	 * ignores them */
	bool full;            /* the whole memory, not the compact form */
	bool explain;         /* each result's score components */
	size_t max_chars;     /* 0 = no budget; else whole results that fit */
};

struct mn_recall_result {
	char query_id[37];
	struct mn_memory *items;
	size_t n;
};

void mn_recall_result_release(struct mn_recall_result *r);
/* Ranked search (store_recall.c, docs/recall.md): every raw memory is in
 * the index from the moment it is stored, its encoding's fields join it
 * once encoded, one ranking scores both. The filters select inside the
 * search. Read in one read transaction; a memory forgotten meanwhile is
 * left out. Each item carries its explain object. Then logs the query and
 * what it returned in recall_log, best-effort: on a read-only database or
 * when another writer holds the lock for long, the recall succeeds
 * unlogged (feedback on its query id then reports it unknown). */
int mn_store_recall(struct mn_store *st, struct mn_recall_result *out,
		    const struct mn_recall_opts *o, struct mn_err *err);

/* Record a rating for memory_ids (NULL/0 = every memory the query
 * returned); one per (query, memory): a later rating replaces an earlier
 * one. Updates recall_score/recall_count of the buffer rows and
 * feedback_score/salience of the memories. MN_ENOTFOUND for an unknown
 * query id or a memory the query did not return. *out_n = rows rated. */
int mn_store_feedback(struct mn_store *st, size_t *out_n, const char *query_id,
		      const char *rating, const char *const *memory_ids, size_t n_ids,
		      const char *session, struct mn_err *err);

/* ---- status ---- */

/* Experience-buffer counts per category into a new JSON object
 * {"gold":n,...,"total":n}. */
int mn_store_exp_stats(struct mn_store *st, json_t **out, struct mn_err *err);

/* Counts for `mnemo status`: raw by state, memories, buffer by category,
 * recall log size. New JSON object. */
int mn_store_counts(struct mn_store *st, json_t **out, struct mn_err *err);

/* ---- key/value state (pins, audit history, breaker) ---- */
int mn_store_meta_get(struct mn_store *st, char **out, const char *key, struct mn_err *err);
int mn_store_meta_set(struct mn_store *st, const char *key, const char *value,
		      struct mn_err *err);

#endif
