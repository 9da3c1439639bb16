/*
 * pool.c - a fixed set of contexts with their own store connections
 * (pool.h).
 */
#include "serve/pool.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"

struct mn_pool {
	pthread_mutex_t lock;
	pthread_cond_t freed;
	struct mn_ctx *ctx;  /* n of them */
	struct mn_ctx **idle; /* a stack of the free ones */
	int n, n_idle;
};

int mn_pool_new(struct mn_pool **out, const struct mn_ctx *base, int n, struct mn_err *err)
{
	struct mn_pool *p = mn_xcalloc(1, sizeof(*p));
	int ret = 0;

	*out = NULL;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->freed, NULL);
	p->ctx = mn_xcalloc((size_t)n, sizeof(*p->ctx));
	p->idle = mn_xcalloc((size_t)n, sizeof(struct mn_ctx *));
	for (int i = 0; i < n; i++) {
		struct mn_ctx *c = &p->ctx[i];

		/* configuration and paths shared, read-only; the store, the
		 * lazily opened encoder and the observer are this context's own */
		*c = *base;
		c->store = NULL;
		c->encoder = NULL;
		c->ranker = NULL; /* each loads its own on first recall */
		c->ranker_default = NULL;
		memset(&c->observer, 0, sizeof(c->observer));
		ret = mn_store_open(&c->store, base->db_path, err);
		if (ret)
			break;
		p->n = i + 1;
		p->idle[p->n_idle++] = c;
	}
	if (ret) {
		mn_pool_free(p);
		return ret;
	}
	*out = p;
	return 0;
}

struct mn_ctx *mn_pool_get(struct mn_pool *p)
{
	struct mn_ctx *c;

	pthread_mutex_lock(&p->lock);
	while (!p->n_idle)
		pthread_cond_wait(&p->freed, &p->lock);
	c = p->idle[--p->n_idle];
	pthread_mutex_unlock(&p->lock);
	return c;
}

void mn_pool_put(struct mn_pool *p, struct mn_ctx *c)
{
	pthread_mutex_lock(&p->lock);
	p->idle[p->n_idle++] = c;
	pthread_cond_signal(&p->freed);
	pthread_mutex_unlock(&p->lock);
}

void mn_pool_free(struct mn_pool *p)
{
	if (!p)
		return;
	for (int i = 0; i < p->n; i++) {
		mn_encoder_free(p->ctx[i].encoder);
		mn_store_close(p->ctx[i].store);
		free(p->ctx[i].ranker);
		free(p->ctx[i].ranker_default);
	}
	free(p->ctx);
	free(p->idle);
	pthread_cond_destroy(&p->freed);
	pthread_mutex_destroy(&p->lock);
	free(p);
}
