/*
 * web.h - the dashboard's static files (issue 14), served by the HTTP
 * server (serve/http.c) for every GET or HEAD that is not /mcp or /api/...
 *
 * The HTTP server owns the connection, authentication, the Origin/Host
 * checks and the security headers; this module only maps a request path to
 * a file of the installed web directory (or an error) and never touches the
 * store. docs/http.md is the contract between the two.
 *
 * Calling sequence (the server does this):
 *   mn_web_open(&w, &err) once at start (finds the web directory);
 *   mn_web_serve(w, method, path, &reply) from any number of threads at
 *   once (w is read-only after open), then mn_web_reply_release(&reply);
 *   mn_web_free(w) at stop.
 */
#ifndef MN_WEB_H
#define MN_WEB_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

struct mn_web;

/* What to send for one request. The server sends exactly this: status,
 * content_type, then either the open file fd (size bytes from offset 0;
 * the server takes ownership of fd and closes it) or body (len bytes, owned
 * by the reply). content_type and cache_control are static strings or NULL.
 * csp, when not NULL, replaces the server's default Content-Security-Policy
 * ("default-src 'self'; ..."; see docs/http.md). */
struct mn_web_reply {
	int status;               /* 200, 304, 404, 405, ... */
	const char *content_type; /* e.g. "text/html; charset=utf-8" */
	const char *cache_control;
	const char *csp;
	int fd;                   /* -1: send body instead */
	uint64_t size;
	char *body;               /* malloc'd; NULL with len 0 = empty body */
	size_t len;
};

#define MN_WEB_REPLY_INIT { 0, NULL, NULL, NULL, -1, 0, NULL, 0 }

/* Find the installed web directory (mn_datadir_find("web")). A missing
 * directory is not an error: every request then gets a 404 saying so.
 * *out is never NULL on 0. */
int mn_web_open(struct mn_web **out, struct mn_err *err);
void mn_web_free(struct mn_web *w);

/* Answer method ("GET" or "HEAD") for path (the URL path, percent-decoded
 * by the server, without the query string; always starts with '/'). Never
 * fails: every problem is a reply with its status (404 for anything outside
 * the web directory, dot files, symlinks out, ...) and a short body. */
void mn_web_serve(const struct mn_web *w, const char *method, const char *path,
		  struct mn_web_reply *out);

/* Free the body and close fd if the server did not take it (fd >= 0). */
void mn_web_reply_release(struct mn_web_reply *r);

#endif
