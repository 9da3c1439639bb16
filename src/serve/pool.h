/*
 * pool.h - the contexts the HTTP server's threads work with: each a copy
 * of the daemon's context (configuration, paths) with its own store
 * connection, so no two threads ever share a SQLite connection and no
 * request waits on another's transaction.
 *
 * Calling sequence: mn_pool_new(&p, &daemon_ctx, n, &err); per request
 * c = mn_pool_get(p), the operation on c, mn_pool_put(p, c) before the
 * response is written; mn_pool_free(p) after the last request.
 */
#ifndef MN_POOL_H
#define MN_POOL_H

#include "base/err.h"
#include "learn/ctx.h"

struct mn_pool;

/* n contexts over base, which is borrowed (its configuration and paths are
 * shared read-only) and must outlive the pool. Each opens its own store
 * connection now. */
int mn_pool_new(struct mn_pool **out, const struct mn_ctx *base, int n, struct mn_err *err);
/* Take a free context, waiting while all are in use. Never NULL. */
struct mn_ctx *mn_pool_get(struct mn_pool *p);
void mn_pool_put(struct mn_pool *p, struct mn_ctx *c);
/* Close every connection; no context may be in use. NULL is fine. */
void mn_pool_free(struct mn_pool *p);

#endif
