/*
 * embedder.c - the embedding worker (embedder.h).
 */
#include "learn/embedder.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/mem.h"
#include "base/timeutil.h"
#include "model/embed.h"
#include "store/store_vec.h"

#define BACKOFF_MIN_MS 1000
#define BACKOFF_MAX_MS 60000
#define IDLE_RESCAN_MS 2000

struct mn_embedder {
	struct mn_embed *client;
	int64_t cursor;	    /* the daemon's scan position */
	int64_t next_ms;    /* monotonic time of the next step */
	int64_t backoff_ms; /* 0 = none */
	float *vecs;	    /* MN_EMBEDDER_BATCH vectors */
};

int mn_embedder_new(struct mn_embedder **out, const struct mn_config *cfg, const char *home,
		    struct mn_err *err)
{
	struct mn_embedder *e;
	int ret;

	*out = NULL;
	if (!mn_embed_configured(cfg))
		return 0;
	e = mn_xcalloc(1, sizeof(*e));
	/* one attempt per request: the step's own backoff paces retries */
	ret = mn_embed_open(&e->client, cfg, home, 0, -1, err);
	if (ret) {
		free(e);
		return ret;
	}
	e->vecs = mn_xmalloc(sizeof(float) * (size_t)mn_embed_dim(e->client) * MN_EMBEDDER_BATCH);
	*out = e;
	return 0;
}

void mn_embedder_free(struct mn_embedder *e)
{
	if (!e)
		return;
	mn_embed_free(e->client);
	free(e->vecs);
	free(e);
}

int mn_embedder_batch(struct mn_embedder *e, struct mn_store *st, int64_t *cursor, bool all,
		      struct mn_embedder_batch *out, struct mn_err *err)
{
	const char *model = mn_embed_model(e->client);
	int dim = mn_embed_dim(e->client);
	struct mn_vec_todo *t = NULL;
	const char **texts = NULL;
	int64_t *rowids = NULL;
	size_t n = 0;
	int ret;

	memset(out, 0, sizeof(*out));
	ret = mn_store_vec_missing(st, &t, &n, model, dim, *cursor, MN_EMBEDDER_BATCH, all, err);
	if (ret || !n)
		goto out;
	out->seen = (int)n;
	texts = mn_xcalloc(n, sizeof(*texts));
	rowids = mn_xcalloc(n, sizeof(*rowids));
	for (size_t i = 0; i < n; i++) {
		texts[i] = t[i].text;
		rowids[i] = t[i].rowid;
	}
	/* no transaction is open here: the network call waits on nobody */
	ret = mn_embed_texts(e->client, e->vecs, texts, n, err);
	if (!ret) {
		ret = mn_store_vec_put(st, rowids, e->vecs, n, dim, model, err);
		if (ret)
			goto out;
		out->stored = (int)n;
		*cursor = rowids[n - 1];
		goto out;
	}
	if (n == 1)
		goto out;
	/* The batch failed: one text the server refuses (too long for
	 * its context, say) must not hold back the others. The first text
	 * alone tells a refused text from a server that is not answering. */
	for (size_t i = 0; i < n; i++) {
		struct mn_err one = MN_ERR_INIT;

		if (mn_embed_texts(e->client, e->vecs, &texts[i], 1, &one)) {
			if (i == 0 || one.code == MN_ETIMEOUT ||
			    (one.code == MN_EHTTP && strstr(one.msg, "could not reach"))) {
				if (i == 0)
					*err = one;
				ret = i == 0 ? one.code : 0;
				break;
			}
			mn_warn("embed", "memory row %lld not embedded: %s", (long long)rowids[i],
				one.msg);
			out->skipped++;
		} else {
			ret = mn_store_vec_put(st, &rowids[i], e->vecs, 1, dim, model, err);
			if (ret)
				goto out;
			out->stored++;
		}
		*cursor = rowids[i];
		ret = 0;
	}
out:
	free(texts);
	free(rowids);
	mn_vec_todos_free(t, n);
	return ret;
}

int mn_embedder_step(struct mn_embedder *e, struct mn_store *st, int *out_done, struct mn_err *err)
{
	struct mn_embedder_batch b;
	int64_t now = mn_time_mono_ms();
	int ret;

	*out_done = 0;
	if (now < e->next_ms)
		return 0;
	ret = mn_embedder_batch(e, st, &e->cursor, false, &b, err);
	if (ret) {
		e->backoff_ms = e->backoff_ms ? e->backoff_ms * 2 : BACKOFF_MIN_MS;
		if (e->backoff_ms > BACKOFF_MAX_MS)
			e->backoff_ms = BACKOFF_MAX_MS;
		e->next_ms = mn_time_mono_ms() + e->backoff_ms;
		return ret;
	}
	if (e->backoff_ms)
		mn_info("embed", "embedding server answers again");
	e->backoff_ms = 0;
	*out_done = b.stored;
	if (!b.seen) {
		/* all done up to here: look again from the start soon */
		e->cursor = 0;
		e->next_ms = now + IDLE_RESCAN_MS;
	}
	return 0;
}

/* ---- the daemon's thread ---- */

struct mn_embedder_thread {
	pthread_t tid;
	struct mn_ctx *app;
	struct mn_embedder *e;
	volatile sig_atomic_t *stop;
};

static void *thread_main(void *arg)
{
	struct mn_embedder_thread *t = arg;
	struct mn_store *st = NULL;
	struct mn_err err = MN_ERR_INIT;
	char last[256] = "";

	if (mn_store_open(&st, t->app->db_path, &err)) {
		mn_error("embed", "embedding worker could not start: %s", err.msg);
		return NULL;
	}
	while (!*t->stop) {
		int done = 0;

		mn_err_clear(&err);
		if (mn_embedder_step(t->e, st, &done, &err)) {
			/* the same failure once, not every second */
			if (strcmp(last, err.msg))
				mn_warn("embed", "embedding worker: %s", err.msg);
			snprintf(last, sizeof(last), "%s", err.msg);
		} else if (done) {
			last[0] = '\0';
			mn_debug("embed", "embedded %d memories", done);
		}
		if (!done)
			mn_time_sleep_ms(100);
	}
	mn_store_close(st);
	return NULL;
}

int mn_embedder_thread_start(struct mn_embedder_thread **out, struct mn_ctx *a,
			     volatile sig_atomic_t *stop, struct mn_err *err)
{
	struct mn_embedder_thread *t;
	struct mn_embedder *e = NULL;
	int ret;

	*out = NULL;
	ret = mn_embedder_new(&e, &a->cfg, a->home, err);
	if (ret || !e)
		return ret;
	t = mn_xcalloc(1, sizeof(*t));
	t->app = a;
	t->e = e;
	t->stop = stop;
	if (pthread_create(&t->tid, NULL, thread_main, t)) {
		mn_embedder_free(e);
		free(t);
		return mn_err_set(err, MN_EFAIL, "could not start the embedding thread");
	}
	mn_info("embed", "embedding memories with '%s' (%d dimensions)", a->cfg.embedding.model,
		a->cfg.embedding_dimensions);
	*out = t;
	return 0;
}

void mn_embedder_thread_join(struct mn_embedder_thread *t)
{
	if (!t)
		return;
	pthread_join(t->tid, NULL);
	mn_embedder_free(t->e);
	free(t);
}
