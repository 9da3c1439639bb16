/*
 * req.h - one HTTP request as the server's handlers see it (the whole body
 * already read and within its limit) and the response they build; the
 * server (serve/http.c) writes it after the handler has returned and given
 * its store connection back.
 */
#ifndef MN_REQ_H
#define MN_REQ_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"

struct MHD_Connection;

struct mn_req {
	struct MHD_Connection *conn; /* for header and query lookups */
	const char *method;          /* "GET", "POST", ... */
	const char *path;            /* percent-decoded, no query string */
	const char *body;            /* NUL-terminated; "" when none */
	size_t len;
};

#define MN_RESP_HEADERS 6

struct mn_resp {
	int status;               /* 0 = not answered yet */
	const char *content_type; /* static string */
	struct mn_buf body;
	const char *hname[MN_RESP_HEADERS]; /* static names */
	char *hvalue[MN_RESP_HEADERS];      /* owned values */
	int nheaders;
};

#define MN_RESP_INIT { 0, NULL, MN_BUF_INIT, { NULL }, { NULL }, 0 }

/* A request header (case-insensitive name) or query argument; borrowed
 * for the request's lifetime, NULL when absent. */
const char *mn_req_header(const struct mn_req *r, const char *name);
const char *mn_req_query(const struct mn_req *r, const char *name);
/* Whether the Content-Type is application/json (parameters allowed). */
bool mn_req_is_json(const struct mn_req *r);

/* Answer status with v as compact JSON; takes the reference. */
void mn_resp_json(struct mn_resp *r, int status, json_t *v);
/* Answer status with {"error": {status, code, message}}. */
void mn_resp_error(struct mn_resp *r, int status, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Add a header (name static, value copied); at most MN_RESP_HEADERS. */
void mn_resp_header(struct mn_resp *r, const char *name, const char *value);
void mn_resp_release(struct mn_resp *r);

/* The HTTP status and error code for an MN_E... code. */
int mn_resp_status_of(int mn_code);
const char *mn_resp_code_of(int status);

#endif
