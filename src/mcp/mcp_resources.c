/*
 * mcp_resources.c - memories as MCP resources (mcp_resources.h), built on
 * the list and show operations every front end shares (app/browse.h).
 */
#include "mcp/mcp_resources.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/browse.h"
#include "base/mem.h"
#include "base/text.h"
#include "mcp/mcp_tools.h"

bool mn_mcp_resources_handles(const json_t *method)
{
	return mn_json_str_is(method, "resources/list") ||
	       mn_json_str_is(method, "resources/read") ||
	       mn_json_str_is(method, "resources/templates/list");
}

json_t *mn_mcp_resources_capability(void)
{
	return json_pack("{s:b,s:b}", "subscribe", 0, "listChanged", 0);
}

/* A short, single-line name for a listed memory. */
static json_t *resource_of(const json_t *item)
{
	const char *id = mn_json_str(item, "id", NULL);
	const char *key = id ? id : mn_json_str(item, "raw_id", "");
	const json_t *enc = json_object_get(item, "encoding");
	const char *title = mn_json_str(enc, "gist", NULL);
	struct mn_buf name = MN_BUF_INIT;
	char *uri = mn_xasprintf(MN_MCP_RESOURCE_PREFIX "%s", key);
	json_t *r;
	size_t len, cut;

	if (!title || !*title)
		title = mn_json_str(item, "text", "");
	len = strlen(title);
	cut = mn_text_utf8_cut(title, len, 100);
	for (size_t i = 0; i < cut; i++)
		mn_buf_addc(&name, title[i] == '\n' || title[i] == '\r' || title[i] == '\t'
					   ? ' '
					   : title[i]);
	if (cut < len)
		mn_buf_adds(&name, "...");
	r = json_pack("{s:s,s:s,s:o,s:s,s:s}", "uri", uri, "name", key, "title",
		      mn_json_safe_stringn(mn_buf_str(&name), name.len), "description",
		      mn_json_str(item, "project", NULL) ? mn_json_str(item, "project", "")
							  : "memory",
		      "mimeType", "application/json");
	json_object_set_new(r, "annotations",
			    json_pack("{s:[s],s:s}", "audience", "assistant", "lastModified",
				      mn_json_str(item, "remembered_at", "")));
	mn_buf_release(&name);
	free(uri);
	return r;
}

static int do_list(struct mn_ctx *app, const json_t *params, json_t **result, char *msg,
		   size_t msg_size)
{
	const json_t *cursor = json_object_get(params, "cursor");
	struct mn_browse_filter f = { 0 };
	struct mn_err err = MN_ERR_INIT;
	const json_t *mems;
	json_t *page = NULL, *arr;

	if (cursor && !json_is_null(cursor) && (!json_is_string(cursor) || mn_json_has_nul(cursor))) {
		snprintf(msg, msg_size, "invalid cursor: pass the nextCursor of the previous page");
		return MN_MCP_INVALID_PARAMS;
	}
	if (mn_op_list(app, &f, json_string_value(cursor), MN_MCP_RESOURCES_PAGE, &page, &err)) {
		snprintf(msg, msg_size, "%s", err.msg);
		return err.code == MN_EINVAL ? MN_MCP_INVALID_PARAMS : MN_MCP_INTERNAL_ERROR;
	}
	arr = json_array();
	mems = json_object_get(page, "memories");
	for (size_t i = 0; i < json_array_size(mems); i++)
		json_array_append_new(arr, resource_of(json_array_get(mems, i)));
	*result = json_pack("{s:o}", "resources", arr);
	if (json_is_string(json_object_get(page, "nextCursor")))
		json_object_set(*result, "nextCursor", json_object_get(page, "nextCursor"));
	json_decref(page);
	return 0;
}

static int do_read(struct mn_ctx *app, const json_t *params, json_t **result, char *msg,
		   size_t msg_size)
{
	const json_t *uri = json_object_get(params, "uri");
	const size_t plen = strlen(MN_MCP_RESOURCE_PREFIX);
	struct mn_err err = MN_ERR_INIT;
	const char *u = json_string_value(uri);
	json_t *obj = NULL;
	char *text;

	if (!json_is_string(uri) || mn_json_has_nul(uri)) {
		snprintf(msg, msg_size, "resources/read needs params.uri (a string)");
		return MN_MCP_INVALID_PARAMS;
	}
	if (strncmp(u, MN_MCP_RESOURCE_PREFIX, plen) || !u[plen] ||
	    strlen(u + plen) > MN_MCP_ID_MAX) {
		snprintf(msg, msg_size, "resource '%.100s' not found: mnemo serves "
			 MN_MCP_RESOURCE_PREFIX "ID", u);
		return MN_MCP_RESOURCE_NOT_FOUND;
	}
	if (mn_op_show(app, u + plen, &obj, &err)) {
		snprintf(msg, msg_size, "resource '%.100s' not found: %s", u, err.msg);
		return err.code == MN_ENOTFOUND ? MN_MCP_RESOURCE_NOT_FOUND : MN_MCP_INTERNAL_ERROR;
	}
	text = mn_json_dumps(obj);
	*result = json_pack("{s:[{s:s,s:s,s:o}]}", "contents", "uri", u, "mimeType",
			    "application/json", "text", mn_json_safe_string(text));
	free(text);
	json_decref(obj);
	return 0;
}

int mn_mcp_resources_call(struct mn_ctx *app, const json_t *method, const json_t *params,
			  json_t **result, char *msg, size_t msg_size)
{
	*result = NULL;
	if (params && !json_is_object(params) && !json_is_null(params)) {
		snprintf(msg, msg_size, "params must be an object");
		return MN_MCP_INVALID_PARAMS;
	}
	if (mn_json_str_is(method, "resources/list"))
		return do_list(app, params, result, msg, msg_size);
	if (mn_json_str_is(method, "resources/read"))
		return do_read(app, params, result, msg, msg_size);
	*result = json_pack("{s:[{s:s,s:s,s:s,s:s,s:s}]}", "resourceTemplates", "uriTemplate",
			    MN_MCP_RESOURCE_PREFIX "{id}", "name", "memory", "title",
			    "A memory by id", "description",
			    "One memory (memory id or raw id): text, encoding, metrics, ratings "
			    "and history, as get_memory returns it.",
			    "mimeType", "application/json");
	return 0;
}
