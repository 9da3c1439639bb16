/*
 * http.h - the HTTP server of `mnemo serve --http` (docs/http.md): MCP over
 * Streamable HTTP at /mcp (serve/mcp_http.h), the JSON API under /api/v1/
 * (serve/api.h) and the dashboard's static files (serve/web.h), on
 * libmicrohttpd's own threads beside the daemon's.
 *
 * Calling sequence: mn_http_start(&h, &daemon_ctx, listen, &err) after the
 * daemon has its locks; mn_http_stop(h) before the context is closed (it
 * waits for the requests in progress).
 */
#ifndef MN_HTTP_H
#define MN_HTTP_H

#include "base/err.h"
#include "learn/ctx.h"

/* Used by `serve --http` without an address when http.listen is unset. */
#define MN_HTTP_DEFAULT_LISTEN "127.0.0.1:8377"

struct mn_http;

/* Listen on listen ("ADDR:PORT", "[V6]:PORT", "localhost:PORT"; port 0
 * picks a free one) and serve. base is borrowed (configuration, paths) and
 * must outlive the server; its store is never used by the server's threads.
 * Reads http.token_file and refuses a non-loopback address without one
 * (MN_EINVAL). Writes the URL to <home>/http.addr. */
int mn_http_start(struct mn_http **out, struct mn_ctx *base, const char *listen,
		  struct mn_err *err);
/* The base URL ("http://127.0.0.1:8377"); borrowed. */
const char *mn_http_url(const struct mn_http *h);
/* Stop listening, finish the requests in progress, free everything and
 * remove <home>/http.addr. NULL is fine. */
void mn_http_stop(struct mn_http *h);

#endif
