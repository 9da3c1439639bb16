/*
 * req.c - requests and responses of the HTTP server (req.h).
 */
#include "serve/req.h"

#include <microhttpd.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/err.h"
#include "base/json.h"
#include "base/mem.h"

const char *mn_req_header(const struct mn_req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

const char *mn_req_query(const struct mn_req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

bool mn_req_is_json(const struct mn_req *r)
{
	static const char json[] = "application/json";
	const char *ct = mn_req_header(r, "Content-Type");

	if (!ct)
		return false;
	while (*ct == ' ')
		ct++;
	return !strncasecmp(ct, json, sizeof(json) - 1) &&
	       (ct[sizeof(json) - 1] == '\0' || ct[sizeof(json) - 1] == ';' ||
		ct[sizeof(json) - 1] == ' ');
}

void mn_resp_json(struct mn_resp *r, int status, json_t *v)
{
	mn_buf_reset(&r->body);
	mn_json_dump(&r->body, v);
	json_decref(v);
	r->status = status;
	r->content_type = "application/json";
}

void mn_resp_error(struct mn_resp *r, int status, const char *code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	mn_resp_json(r, status, json_pack("{s:{s:i,s:s,s:o}}", "error", "status", status, "code",
					  code, "message", mn_json_safe_string(msg)));
}

void mn_resp_header(struct mn_resp *r, const char *name, const char *value)
{
	if (r->nheaders >= MN_RESP_HEADERS)
		return;
	r->hname[r->nheaders] = name;
	r->hvalue[r->nheaders] = mn_xstrdup(value);
	r->nheaders++;
}

void mn_resp_release(struct mn_resp *r)
{
	mn_buf_release(&r->body);
	for (int i = 0; i < r->nheaders; i++)
		free(r->hvalue[i]);
	r->nheaders = 0;
}

int mn_resp_status_of(int mn_code)
{
	switch (mn_code) {
	case MN_EINVAL:
	case MN_EPARSE:
		return 400;
	case MN_ENOTFOUND:
		return 404;
	case MN_EBUSY:
	case MN_EDECLINED:
		return 409;
	case MN_ETIMEOUT:
		return 503;
	default:
		return 500;
	}
}

const char *mn_resp_code_of(int status)
{
	switch (status) {
	case 400:
		return "bad_request";
	case 401:
		return "unauthorized";
	case 403:
		return "forbidden";
	case 404:
		return "not_found";
	case 405:
		return "method_not_allowed";
	case 406:
		return "not_acceptable";
	case 409:
		return "busy";
	case 413:
		return "too_large";
	case 415:
		return "unsupported_media_type";
	case 503:
		return "unavailable";
	default:
		return "internal";
	}
}
