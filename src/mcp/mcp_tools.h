/*
 * mcp_tools.h - the MCP server's tools (DESIGN §9): the tool table, the
 * argument specs from which each inputSchema and the argument check are
 * generated, the output schemas, and one handler per tool calling the
 * shared app/store/train functions (mn_op_*); nothing is implemented twice.
 *
 * The protocol (mcp/mcp.c: JSON-RPC framing, initialize, batches, the
 * stream) includes this header, never the reverse.
 */
#ifndef MN_MCP_TOOLS_H
#define MN_MCP_TOOLS_H

#include <stddef.h>

#include "app/app.h"
#include "base/json.h"

/* Limits of the server's own, on top of base/limits.h; each is the
 * maxLength (in bytes, which bounds the characters too) or maxItems its
 * inputSchema declares, and is enforced as a tool error. */
#define MN_MCP_LABEL_MAX 256  /* type, source, project */
#define MN_MCP_ID_MAX 64      /* memory, query and request ids; since */
#define MN_MCP_NOTE_MAX 4096  /* train_model's reason */

/* JSON-RPC error codes used by the server (the tools return the last two). */
#define MN_MCP_PARSE_ERROR (-32700)
#define MN_MCP_INVALID_REQUEST (-32600)
#define MN_MCP_METHOD_NOT_FOUND (-32601)
#define MN_MCP_INVALID_PARAMS (-32602)
#define MN_MCP_INTERNAL_ERROR (-32603)

/* The tools/list array (new reference); text_max is the maxLength of
 * remember's text. */
json_t *mn_mcp_tools_list(size_t text_max);

/* Run tools/call for params.name and params.arguments (either may be NULL
 * or of any JSON type) on the borrowed app; session is recorded with
 * remembered memories and ratings. Returns 0 with *result set to the
 * CallToolResult (new reference; invalid arguments and failures of the
 * operation are results with isError true), or a JSON-RPC error code
 * (MN_MCP_INVALID_PARAMS: not a valid CallToolRequest or an unknown tool;
 * MN_MCP_INTERNAL_ERROR) with *result NULL and the message in msg. */
int mn_mcp_tools_call(struct mn_ctx *app, const char *session, const json_t *name,
		      const json_t *args, json_t **result, char *msg, size_t msg_size);

#endif
