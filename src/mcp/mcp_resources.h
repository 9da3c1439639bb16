/*
 * mcp_resources.h - memories as MCP resources: mnemo://memory/ID, listed
 * page by page (resources/list, cursor in, nextCursor out, newest first),
 * read as the get_memory object (resources/read, application/json), and
 * one template (resources/templates/list). The protocol (mcp.c) declares
 * the capability (MN_MCP_RESOURCES_CAPABILITY) and hands these methods
 * over.
 */
#ifndef MN_MCP_RESOURCES_H
#define MN_MCP_RESOURCES_H

#include <stdbool.h>
#include <stddef.h>

#include "app/app.h"
#include "base/json.h"

#define MN_MCP_RESOURCE_PREFIX "mnemo://memory/"
/* MCP: a resource that does not exist. */
#define MN_MCP_RESOURCE_NOT_FOUND (-32002)
/* Resources per resources/list page. */
#define MN_MCP_RESOURCES_PAGE 100

/* Whether method is one of the resources methods. */
bool mn_mcp_resources_handles(const json_t *method);
/* The "resources" capability object for initialize (new reference). */
json_t *mn_mcp_resources_capability(void);
/* Run a resources method: 0 and *result (new reference), or a JSON-RPC
 * error code with the message in msg and *result NULL. */
int mn_mcp_resources_call(struct mn_ctx *app, const json_t *method, const json_t *params,
			  json_t **result, char *msg, size_t msg_size);

#endif
