/*
 * recall_vec.c - the query's vector for recall (recall_vec.h).
 */
#include "app/recall_vec.h"

#include <stdio.h>
#include <stdlib.h>

#include "base/log.h"
#include "base/mem.h"
#include "model/embed.h"

int mn_app_recall_vector(struct mn_ctx *a, float **out, const char *query, char *note,
			 size_t note_len)
{
	struct mn_err err = MN_ERR_INIT;
	struct mn_embed *e = NULL;
	float *v = NULL;
	const char *texts[1] = { query };

	*out = NULL;
	if (!mn_embed_configured(&a->cfg))
		return 1;
	/* one attempt, bounded: a recall never waits long for meaning */
	if (mn_embed_open(&e, &a->cfg, a->home, a->cfg.embedding_query_timeout_ms, -1, &err))
		goto fail;
	v = mn_xmalloc(sizeof(float) * (size_t)mn_embed_dim(e));
	if (mn_embed_texts(e, v, texts, 1, &err))
		goto fail;
	mn_embed_free(e);
	*out = v;
	return 0;
fail:
	mn_embed_free(e);
	free(v);
	mn_warn("recall", "lexical only: query not embedded: %s", err.msg);
	snprintf(note, note_len, "unavailable: %s", err.msg);
	return -1;
}
