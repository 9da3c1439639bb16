/*
 * api.h - the JSON API under /api/v1/ (docs/http.md): one route per
 * operation of the CLI, each answering with the operation's result object
 * (app/ops.h, docs/results.md), plus the OpenAPI description.
 *
 * Authentication, Origin/Host and anti-forgery checks are done by the
 * server (serve/http.c) before a request gets here.
 */
#ifndef MN_API_H
#define MN_API_H

#include "base/err.h"
#include "serve/pool.h"
#include "serve/req.h"

struct mn_api;

/* Over a borrowed pool; loads the OpenAPI document (data/openapi.json,
 * found with mn_datadir_find; missing is not fatal, the route then says
 * so). Never NULL. */
struct mn_api *mn_api_new(struct mn_pool *pool);
void mn_api_free(struct mn_api *api);

/* Answer req (path under /api/) into resp. Thread-safe. */
void mn_api_handle(struct mn_api *api, const struct mn_req *req, struct mn_resp *resp);

#endif
