/*
 * embedder.h - the embedding worker (docs/vectors.md): gives every raw
 * memory a vector of the configured embedding model, in batches, outside
 * any store transaction (read the texts; call the server with no
 * transaction open; write the vectors in one short transaction).
 * `remember` never waits for it: the daemon runs it on a thread of its
 * own, and `mnemo reindex --embeddings` runs it in the foreground.
 *
 * A memory needs a vector when it has none, or one of another model or
 * size (embedding.model / embedding.dimensions changed): such vectors are
 * replaced, and until then the memory is found lexically.
 */
#ifndef MN_EMBEDDER_H
#define MN_EMBEDDER_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/err.h"
#include "learn/ctx.h"

struct mn_embedder;

/* Texts per request of the daemon and of reindex. */
#define MN_EMBEDDER_BATCH 32

/* *out NULL (and 0) when no embedding provider is configured. timeout_s
 * and retries as mn_embed_open. */
int mn_embedder_new(struct mn_embedder **out, const struct mn_config *cfg, const char *home,
		    struct mn_err *err);
void mn_embedder_free(struct mn_embedder *e);

/* What one batch did. */
struct mn_embedder_batch {
	int seen;    /* memories read */
	int stored;  /* vectors written */
	int skipped; /* texts the server refused alone (the rest of the batch went on) */
};

/* Embed the next batch of memories after *cursor (rowid) that need a
 * vector (all: every memory) and advance *cursor past them. seen 0 =
 * none left after *cursor. An error of the server for the whole batch
 * (down, slow, wrong dimensions) is returned with *cursor unchanged. */
int mn_embedder_batch(struct mn_embedder *e, struct mn_store *st, int64_t *cursor, bool all,
		      struct mn_embedder_batch *out, struct mn_err *err);

/* The daemon's step: a batch when one is due, else nothing. After a
 * server error it waits (1 s, doubling to 60 s) before trying again;
 * when nothing is left it looks again every 2 s (new memories, edited
 * texts, a model change). *out_done = vectors stored. */
int mn_embedder_step(struct mn_embedder *e, struct mn_store *st, int *out_done, struct mn_err *err);

/* The daemon's thread: its own store connection and client, steps until
 * *stop. *out NULL (and 0) when no provider is configured. */
struct mn_embedder_thread;
int mn_embedder_thread_start(struct mn_embedder_thread **out, struct mn_ctx *a,
			     volatile sig_atomic_t *stop, struct mn_err *err);
/* Wait for the thread to see *stop and end (NULL is fine). */
void mn_embedder_thread_join(struct mn_embedder_thread *t);

#endif
