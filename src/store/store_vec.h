/*
 * store_vec.h - optional vectors in the store (docs/vectors.md): one
 * float32 vector per raw memory (memory_vectors, keyed by the raw row's
 * rowid like recall_fts), the model that made it, and exact top-k cosine
 * search with recall's filters.
 *
 * Search runs over an in-memory copy of the vectors of one model per
 * database file, shared by the process's connections and kept current by
 * vector_state: a search reads one row to learn what changed, loads only
 * new vectors and, after deletions, drops the rows whose seq is gone.
 * Large copies are searched through an approximate index (below).
 * Vectors are unit length, so cosine is a dot product.
 *
 * Nothing here waits on the network: the embedding call happens outside
 * (learn/embedder.c) and mn_store_vec_put writes its result in one short
 * transaction.
 */
#ifndef MN_STORE_VEC_H
#define MN_STORE_VEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "store/store.h"

struct mn_vec_hit {
	int64_t rowid; /* raw_memories rowid */
	float sim;     /* cosine similarity */
};

/* A raw memory that needs a vector: none yet, or one of another model or
 * size. text is heap. */
struct mn_vec_todo {
	int64_t rowid;
	char *text;
};

void mn_vec_todos_free(struct mn_vec_todo *t, size_t n);

/* Store n vectors of dim floats (unit length) for raw rowids, made by
 * model, replacing any earlier vector of the same row, in one short
 * transaction (or inside the caller's). A rowid whose raw row is gone is
 * skipped (forgotten while it was embedded). */
int mn_store_vec_put(struct mn_store *st, const int64_t *rowids, const float *vecs, size_t n,
		     int dim, const char *model, struct mn_err *err);
/* The vector of one raw row: *out heap (dim floats), model_out (may be
 * NULL) heap. MN_ENOTFOUND when the row has none. */
int mn_store_vec_get(struct mn_store *st, float **out, int *out_dim, char **model_out,
		     int64_t rowid, struct mn_err *err);
/* Up to limit raw memories with rowid > after, ascending, that need a
 * vector of (model, dim); with all, every raw memory. */
int mn_store_vec_missing(struct mn_store *st, struct mn_vec_todo **out, size_t *out_n,
			 const char *model, int dim, int64_t after, int limit, bool all,
			 struct mn_err *err);
/* How many raw memories have a vector of (model, dim) and how many do
 * not (either may be NULL). */
int mn_store_vec_count(struct mn_store *st, int64_t *out_have, int64_t *out_missing,
		       const char *model, int dim, struct mn_err *err);
/* Delete every vector (reindex --embeddings --all). */
int mn_store_vec_clear(struct mn_store *st, struct mn_err *err);
/* The k most similar vectors of (o->vec_model, o->query_dim) to
 * o->query_vec, among raw memories that pass o's filters (project, type,
 * source, since, until), best first, keeping only those whose similarity
 * is positive and at least one standard deviation above the mean
 * similarity of all the candidates. *out heap (NULL when none). Thread-
 * safe across connections. */
int mn_store_vec_search(struct mn_store *st, struct mn_vec_hit **out, size_t *out_n,
			const struct mn_recall_opts *o, size_t k, struct mn_err *err);
/* Drop the process's in-memory copies and their indexes (tests,
 * benchmarks); waits for index builds in flight. */
void mn_store_vec_cache_reset(void);

/* ---- the approximate index (docs/vectors.md) ----
 *
 * mode "exact": every search scans the copy (two passes, exact top k).
 * "hnsw": an HNSW graph (vec_index.h) answers, at any size. "auto" [the
 * default]: the graph from min_vectors vectors of the searched model up.
 * The graph is built by a thread of its own, starting at a process's
 * second search of a store (a one-shot `mnemo recall` never builds one);
 * until it is ready, and for searches whose filters leave few memories,
 * the search is exact. Once built it follows the copy: new vectors are
 * inserted, deleted or replaced ones marked deleted; a change of model,
 * many deletions or a large batch of new vectors rebuild it. Process-
 * wide; an unknown mode is "auto". */
#define MN_VEC_INDEX_MIN_DEFAULT 50000
void mn_store_vec_index_config(const char *mode, int64_t min_vectors);
/* Block until no index build is in flight (tests, benchmarks). */
void mn_store_vec_index_wait(void);

struct mn_vec_index_stats {
	int64_t vectors;         /* in the copy (of the last searched model) */
	bool ready;              /* a graph answers searches */
	bool building;           /* a build is in flight */
	int64_t indexed;         /* nodes in the graph */
	int64_t deleted;         /* of them, marked deleted */
	size_t bytes;            /* the graph's memory */
	int64_t searches_exact;  /* since the copy was made */
	int64_t searches_index;
	double build_ms;         /* the last build's wall-clock time */
	double build_cpu_ms;     /* and its thread's CPU time */
};
/* The state of st's copy and index (zeros when it has none). */
void mn_store_vec_index_stats(struct mn_store *st, struct mn_vec_index_stats *out);

#endif
