/*
 * mcp_http.h - MCP over Streamable HTTP (protocol revisions 2025-11-25 and
 * 2025-06-18) at /mcp: sessions (Mcp-Session-Id), the MCP-Protocol-Version
 * check, JSON or event-stream answers. Each message is handled by the same
 * function as on stdio (mn_mcp_handle_on); see docs/http.md.
 *
 * Calling sequence: mn_mcp_http_new(base, pool); mn_mcp_http_handle from
 * any number of server threads at once; mn_mcp_http_free after the last.
 */
#ifndef MN_MCP_HTTP_H
#define MN_MCP_HTTP_H

#include "learn/ctx.h"
#include "serve/pool.h"
#include "serve/req.h"

struct mn_mcp_http;

/* base (the daemon's context: configuration for the tool list) and pool
 * are borrowed and must outlive the transport. Never NULL. */
struct mn_mcp_http *mn_mcp_http_new(struct mn_ctx *base, struct mn_pool *pool);
void mn_mcp_http_free(struct mn_mcp_http *h);

/* Answer one request to /mcp (any method) into resp. Thread-safe. */
void mn_mcp_http_handle(struct mn_mcp_http *h, const struct mn_req *req, struct mn_resp *resp);

#endif
