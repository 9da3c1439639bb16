/*
 * embed.h - OpenAI-compatible /v1/embeddings client (docs/vectors.md), on
 * the LLM client's transport (llm.c: one HTTP client, the same retries,
 * caps and key handling). Ollama, llama-server --embeddings, vLLM and
 * OpenAI all speak it.
 *
 * Calling sequence: mn_embed_open(&e, &cfg, home, timeout_ms, retries,
 * &err); mn_embed_texts(...) any number of times; mn_embed_free(e). One
 * client per thread.
 */
#ifndef MN_EMBED_H
#define MN_EMBED_H

#include <stddef.h>

#include "base/err.h"
#include "core/config.h"

struct mn_embed;

/* Texts longer than this are cut (at a UTF-8 boundary) before they are
 * sent: small embedding models read 512 tokens at most. */
#define MN_EMBED_MAX_TEXT_BYTES 2048
/* Texts per request at most. */
#define MN_EMBED_MAX_BATCH 64

/* True when cfg names an embedding provider (embedding.provider openai). */
bool mn_embed_configured(const struct mn_config *cfg);
/* A client for cfg's embedding section; its key is read as for the
 * student (mn_config_api_key; home NULL = the data home). timeout_ms 0 =
 * embedding.timeout_s; max_retries < 0 = none, 0 = the client's default.
 * MN_EINVAL when no provider is configured. */
int mn_embed_open(struct mn_embed **out, const struct mn_config *cfg, const char *home,
		  long timeout_ms, int max_retries, struct mn_err *err);
void mn_embed_free(struct mn_embed *e);
/* The configured model name and dimensions (borrowed). */
const char *mn_embed_model(const struct mn_embed *e);
int mn_embed_dim(const struct mn_embed *e);
/* Embed n (<= MN_EMBED_MAX_BATCH) texts in one request: out holds n *
 * mn_embed_dim(e) floats, each vector scaled to unit length (cosine =
 * dot product). MN_EHTTP / MN_ETIMEOUT as mn_llm_chat; MN_EPARSE when the
 * reply is not an embedding list for every input, has the wrong number of
 * dimensions ("returned 3 dimensions, embedding.dimensions is 384") or a
 * non-finite or all-zero vector. On failure out is undefined. */
int mn_embed_texts(struct mn_embed *e, float *out, const char *const *texts, size_t n,
		   struct mn_err *err);

#endif
