/*
 * http.c - the HTTP server (http.h, docs/http.md): the listening socket,
 * libmicrohttpd's thread pool, the checks every request passes before it
 * reaches a handler (method, size, Host, Origin, token, anti-forgery), the
 * routing to /mcp, /api/ and the web files, and writing the answer.
 *
 * A request's handler runs once its whole body is in (within
 * MN_LIMIT_HTTP_BODY_BYTES) and builds the complete response, taking a
 * store connection from the pool and giving it back inside the handler;
 * only then is the response queued. So no store transaction is ever open
 * while a client is read or written, however slow it is.
 */
#include "serve/http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/file.h"
#include "base/limits.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/text.h"
#include "base/timeutil.h"
#include "serve/api.h"
#include "serve/mcp_http.h"
#include "serve/pool.h"
#include "serve/req.h"
#include "serve/web.h"

#define THREADS 4            /* libmicrohttpd's pool, and as many store connections */
#define IDLE_TIMEOUT_S 60    /* an idle connection is closed */
#define TOKEN_MIN 16
#define CSRF_HEX 32
#define MAX_ORIGINS 64

static const char default_csp[] =
	"default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
	"frame-ancestors 'none'";

struct mn_http {
	struct MHD_Daemon *daemon;
	struct mn_ctx *base;
	struct mn_pool *pool;
	struct mn_api *api;
	struct mn_mcp_http *mcp;
	struct mn_web *web;
	char *token;          /* NULL: none configured */
	char csrf[CSRF_HEX + 1];
	bool loopback;
	char url[128];
	char *addr_file;
	char *origins[MAX_ORIGINS]; /* allowed Origin values */
	int n_origins;
	char *hosts[MAX_ORIGINS];   /* allowed Host names (no port) on loopback */
	int n_hosts;
};

/* What one request collects while its body arrives. */
struct conn_state {
	struct mn_buf body;
	bool too_big;
	bool answered; /* a response was queued at the first call */
	int64_t start;
};

/* ---- small helpers ---- */

static bool const_eq(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned char d = la != lb;

	for (size_t i = 0; i < la && i < lb; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return !d;
}

static void add_origin(struct mn_http *h, const char *o)
{
	if (h->n_origins < MAX_ORIGINS)
		h->origins[h->n_origins++] = mn_xstrdup(o);
}

static void add_host(struct mn_http *h, const char *host, size_t len)
{
	if (h->n_hosts < MAX_ORIGINS)
		h->hosts[h->n_hosts++] = mn_xstrndup(host, len);
}

/* The host part of a Host header or of an origin's authority (without
 * port and brackets) into (start, len). */
static void host_part(const char *s, const char **start, size_t *len)
{
	if (*s == '[') {
		const char *end = strchr(s, ']');

		*start = s + 1;
		*len = end ? (size_t)(end - s - 1) : strlen(s + 1);
		return;
	}
	*start = s;
	*len = strcspn(s, ":/");
}

static bool is_loopback_name(const char *host, size_t len)
{
	char tmp[64];
	struct in_addr a4;

	if (len >= sizeof(tmp))
		return false;
	memcpy(tmp, host, len);
	tmp[len] = '\0';
	if (!strcasecmp(tmp, "localhost") || !strcmp(tmp, "::1"))
		return true;
	return inet_pton(AF_INET, tmp, &a4) == 1 && (ntohl(a4.s_addr) >> 24) == 127;
}

static bool is_loopback_addr(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) == 127;
	if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;

		return IN6_IS_ADDR_LOOPBACK(a) ||
		       (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
	}
	return false;
}

/* ---- answering ---- */

static void add_common_headers(struct MHD_Response *r)
{
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
}

static enum MHD_Result queue(struct MHD_Connection *conn, struct mn_resp *resp, bool web)
{
	struct MHD_Response *r;
	enum MHD_Result ok;
	size_t len = resp->body.len;
	char *data = len ? mn_buf_detach(&resp->body, &len) : NULL;

	if (data)
		r = MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
	else
		r = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
	if (!r) {
		free(data);
		return MHD_NO;
	}
	add_common_headers(r);
	if (resp->content_type)
		MHD_add_response_header(r, "Content-Type", resp->content_type);
	if (!web)
		MHD_add_response_header(r, "Cache-Control", "no-store");
	for (int i = 0; i < resp->nheaders; i++)
		MHD_add_response_header(r, resp->hname[i], resp->hvalue[i]);
	ok = MHD_queue_response(conn, (unsigned)resp->status, r);
	MHD_destroy_response(r);
	return ok;
}

static enum MHD_Result queue_web(struct MHD_Connection *conn, struct mn_web_reply *w)
{
	struct MHD_Response *r;
	enum MHD_Result ok;

	if (w->fd >= 0) {
		r = MHD_create_response_from_fd64(w->size, w->fd);
		if (r)
			w->fd = -1; /* libmicrohttpd closes it */
	} else if (w->len) {
		r = MHD_create_response_from_buffer(w->len, w->body, MHD_RESPMEM_MUST_COPY);
	} else {
		r = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
	}
	if (!r)
		return MHD_NO;
	add_common_headers(r);
	if (w->content_type)
		MHD_add_response_header(r, "Content-Type", w->content_type);
	if (w->cache_control)
		MHD_add_response_header(r, "Cache-Control", w->cache_control);
	MHD_add_response_header(r, "Content-Security-Policy", w->csp ? w->csp : default_csp);
	ok = MHD_queue_response(conn, (unsigned)w->status, r);
	MHD_destroy_response(r);
	return ok;
}

/* ---- the checks before any handler ---- */

static bool host_ok(const struct mn_http *h, const char *host_hdr)
{
	const char *host;
	size_t len;

	if (!h->loopback || !host_hdr)
		return true;
	host_part(host_hdr, &host, &len);
	if (is_loopback_name(host, len))
		return true;
	for (int i = 0; i < h->n_hosts; i++)
		if (strlen(h->hosts[i]) == len && !strncasecmp(h->hosts[i], host, len))
			return true;
	return false;
}

static bool origin_ok(const struct mn_http *h, const char *origin)
{
	if (!origin)
		return true;
	for (int i = 0; i < h->n_origins; i++)
		if (!strcasecmp(h->origins[i], origin))
			return true;
	return false;
}

static bool token_ok(const struct mn_http *h, const char *auth)
{
	if (!auth || strncasecmp(auth, "Bearer ", 7))
		return false;
	auth += 7;
	while (*auth == ' ')
		auth++;
	return const_eq(auth, h->token);
}

static bool is_api(const char *path)
{
	return !strncmp(path, "/api/", 5) || !strcmp(path, "/api");
}

/* The first check that fails, answered into resp; false when all pass. */
static bool refuse(struct mn_http *h, struct MHD_Connection *conn, const char *method,
		   const char *path, struct mn_resp *resp)
{
	const char *host = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Host");
	const char *origin = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Origin");
	const char *clen = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
	bool mcp = !strcmp(path, "/mcp"), api = is_api(path);
	bool reading = !strcmp(method, "GET") || !strcmp(method, "HEAD");

	if (!host_ok(h, host)) {
		mn_resp_error(resp, 403, "forbidden_host", "Host '%.100s' is not this server "
			      "(DNS-rebinding protection; see http.allowed_origins)", host);
		return true;
	}
	if (!origin_ok(h, origin)) {
		mn_resp_error(resp, 403, "forbidden_origin", "Origin '%.100s' is not allowed "
			      "(add it to http.allowed_origins)", origin);
		return true;
	}
	if (!strcmp(method, "OPTIONS") ||
	    (strcmp(method, "POST") && strcmp(method, "DELETE") && !reading)) {
		mn_resp_error(resp, 405, "method_not_allowed", "method %.20s is not allowed",
			      method);
		mn_resp_header(resp, "Allow", mcp ? "POST, DELETE" : api ? "GET, POST, DELETE"
									 : "GET, HEAD");
		return true;
	}
	if (h->token && (mcp || (api && strcmp(path, "/api/v1/openapi.json"))) &&
	    !token_ok(h, MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization"))) {
		mn_resp_error(resp, 401, "unauthorized", "missing or wrong bearer token "
			      "(Authorization: Bearer <token from http.token_file>)");
		mn_resp_header(resp, "WWW-Authenticate", "Bearer realm=\"mnemo\"");
		return true;
	}
	if (api && !reading && !h->token) {
		const char *t = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Mnemo-CSRF");

		if (!t || !const_eq(t, h->csrf)) {
			mn_resp_error(resp, 403, "csrf_required", "a change needs the anti-forgery "
				      "token in X-Mnemo-CSRF (GET /api/v1/csrf) or a bearer token");
			return true;
		}
	}
	if (clen && strtoull(clen, NULL, 10) > MN_LIMIT_HTTP_BODY_BYTES) {
		mn_resp_error(resp, 413, "too_large", "the body of %.20s bytes is over the limit "
			      "of %d bytes", clen, MN_LIMIT_HTTP_BODY_BYTES);
		return true;
	}
	return false;
}

/* ---- dispatch ---- */

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* libmicrohttpd's unescaping (%HH, in place), except that %00 stays as it
 * is: decoded, it would end the path early ("/index.html%00.png" would be
 * served as "/index.html"), so on_request refuses a path that holds it. */
static size_t unescape(void *cls, struct MHD_Connection *c, char *s)
{
	char *out = s;

	for (const char *in = s; *in; out++) {
		int hi = in[0] == '%' ? hex_value(in[1]) : -1;
		int lo = hi >= 0 ? hex_value(in[2]) : -1;

		if (lo >= 0 && (hi || lo)) {
			*out = (char)(hi * 16 + lo);
			in += 3;
		} else {
			*out = *in++;
		}
	}
	*out = '\0';
	return (size_t)(out - s);
}

/* A path with an encoded NUL (or a literal "%00", "%2500" decoded) is a
 * 400: no route or file has one. */
static bool bad_path(const char *url, struct mn_resp *resp)
{
	if (!strstr(url, "%00"))
		return false;
	mn_resp_error(resp, 400, "bad_request", "the request path holds an encoded NUL (%%00)");
	return true;
}

static void route(struct mn_http *h, const struct mn_req *req, struct mn_resp *resp)
{
	if (!strcmp(req->path, "/mcp")) {
		mn_mcp_http_handle(h->mcp, req, resp);
	} else if (!strcmp(req->path, "/api/v1/csrf")) {
		const char *site = mn_req_header(req, "Sec-Fetch-Site");

		if (strcmp(req->method, "GET") && strcmp(req->method, "HEAD")) {
			mn_resp_error(resp, 405, "method_not_allowed", "use GET");
			mn_resp_header(resp, "Allow", "GET");
		} else if (site && !strcmp(site, "cross-site")) {
			mn_resp_error(resp, 403, "forbidden_origin", "the anti-forgery token is "
				      "for same-origin pages only");
		} else {
			mn_resp_json(resp, 200, json_pack("{s:s}", "csrf_token", h->csrf));
		}
	} else {
		mn_api_handle(h->api, req, resp);
	}
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_size, void **con_cls)
{
	struct mn_http *h = cls;
	struct conn_state *cs = *con_cls;
	struct mn_resp resp = MN_RESP_INIT;
	struct mn_req req;
	enum MHD_Result ok;

	if (!cs) {
		cs = mn_xcalloc(1, sizeof(*cs));
		cs->start = mn_time_mono_ms();
		*con_cls = cs;
		if (!refuse(h, conn, method, url, &resp) && !bad_path(url, &resp)) {
			if (!strcmp(url, "/mcp") || is_api(url))
				return MHD_YES; /* the body follows */
			if (strcmp(method, "GET") && strcmp(method, "HEAD")) {
				mn_resp_error(&resp, 405, "method_not_allowed", "only GET and HEAD "
					      "are allowed here");
				mn_resp_header(&resp, "Allow", "GET, HEAD");
			} else {
				struct mn_web_reply w = MN_WEB_REPLY_INIT;

				mn_web_serve(h->web, method, url, &w);
				cs->answered = true;
				ok = queue_web(conn, &w);
				mn_debug("http", "%s %.200s %d", method, url, w.status);
				mn_web_reply_release(&w);
				return ok;
			}
		}
		cs->answered = true;
		mn_debug("http", "%s %.200s refused: %d", method, url, resp.status);
		ok = queue(conn, &resp, false);
		mn_resp_release(&resp);
		return ok;
	}
	if (cs->answered) {
		*upload_size = 0;
		return MHD_YES;
	}
	if (*upload_size) {
		if (cs->too_big || cs->body.len + *upload_size > MN_LIMIT_HTTP_BODY_BYTES) {
			cs->too_big = true; /* drained, not kept */
			mn_buf_release(&cs->body);
		} else {
			mn_buf_add(&cs->body, upload_data, *upload_size);
		}
		*upload_size = 0;
		return MHD_YES;
	}
	if (cs->too_big) {
		mn_resp_error(&resp, 413, "too_large", "the body is over the limit of %d bytes",
			      MN_LIMIT_HTTP_BODY_BYTES);
	} else {
		req.conn = conn;
		req.method = method;
		req.path = url;
		req.body = cs->body.data ? cs->body.data : "";
		req.len = cs->body.len;
		route(h, &req, &resp);
	}
	if (!resp.status)
		mn_resp_error(&resp, 500, "internal", "no answer");
	cs->answered = true;
	ok = queue(conn, &resp, false);
	mn_debug("http", "%s %.200s %d (%lld ms)", method, url, resp.status,
		 (long long)(mn_time_mono_ms() - cs->start));
	mn_resp_release(&resp);
	return ok;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct conn_state *cs = *con_cls;

	if (!cs)
		return;
	mn_buf_release(&cs->body);
	free(cs);
	*con_cls = NULL;
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	size_t n;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		msg[--n] = '\0';
	mn_debug("http", "libmicrohttpd: %s", msg);
}

/* ---- start and stop ---- */

/* Resolve "ADDR:PORT" and bind a listening socket; *fd and the address
 * bound (with the port actually given) into ss. */
static int bind_listen(int *fd, struct sockaddr_storage *ss, const char *listen_at,
		       struct mn_err *err)
{
	struct addrinfo hints, *res = NULL;
	char host[256], port[16];
	const char *colon;
	socklen_t sl = sizeof(*ss);
	size_t hl;
	int s = -1, one = 1, rc;

	*fd = -1;
	if (listen_at[0] == '[') {
		const char *end = strchr(listen_at, ']');

		if (!end || end[1] != ':')
			return mn_err_set(err, MN_EINVAL, "listen address '%s' is not [V6ADDR]:PORT",
					  listen_at);
		hl = (size_t)(end - listen_at - 1);
		colon = end + 1;
		if (hl >= sizeof(host))
			return mn_err_set(err, MN_EINVAL, "listen address '%s' is too long",
					  listen_at);
		memcpy(host, listen_at + 1, hl);
	} else {
		colon = strrchr(listen_at, ':');
		if (!colon)
			return mn_err_set(err, MN_EINVAL, "listen address '%s' is not ADDR:PORT "
					  "(e.g. 127.0.0.1:8377)", listen_at);
		hl = (size_t)(colon - listen_at);
		if (hl >= sizeof(host))
			return mn_err_set(err, MN_EINVAL, "listen address '%s' is too long",
					  listen_at);
		memcpy(host, listen_at, hl);
	}
	host[hl] = '\0';
	if (!hl)
		snprintf(host, sizeof(host), "127.0.0.1");
	if (strlen(colon + 1) >= sizeof(port) || !colon[1] ||
	    strspn(colon + 1, "0123456789") != strlen(colon + 1) || atoi(colon + 1) > 65535)
		return mn_err_set(err, MN_EINVAL, "listen address '%s': the port must be a number "
				  "from 0 to 65535", listen_at);
	snprintf(port, sizeof(port), "%s", colon + 1);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	rc = getaddrinfo(host, port, &hints, &res);
	if (rc)
		return mn_err_set(err, MN_EINVAL, "listen address '%s': %s", listen_at,
				  gai_strerror(rc));
	s = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0) {
		rc = mn_err_set(err, MN_EIO, "could not make a socket: %s", strerror(errno));
		goto out;
	}
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (res->ai_family == AF_INET6)
		setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(s, res->ai_addr, res->ai_addrlen) < 0 || listen(s, 128) < 0 ||
	    getsockname(s, (struct sockaddr *)ss, &sl) < 0) {
		rc = mn_err_set(err, MN_EIO, "could not listen on %s: %s", listen_at,
				strerror(errno));
		goto out;
	}
	*fd = s;
	s = -1;
	rc = 0;
out:
	if (s >= 0)
		close(s);
	freeaddrinfo(res);
	return rc;
}

static void format_addr(char *out, size_t size, const struct sockaddr_storage *ss, int *port)
{
	char ip[INET6_ADDRSTRLEN] = "?";

	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;

		inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof(ip));
		*port = ntohs(a->sin6_port);
		snprintf(out, size, "[%s]", ip);
	} else {
		const struct sockaddr_in *a = (const struct sockaddr_in *)ss;

		inet_ntop(AF_INET, &a->sin_addr, ip, sizeof(ip));
		*port = ntohs(a->sin_port);
		snprintf(out, size, "%s", ip);
	}
}

static int load_token(struct mn_http *h, struct mn_err *err)
{
	const char *path = h->base->cfg.http.token_file;
	int ret;

	if (!path)
		return 0;
	ret = mn_config_secret_file(&h->token, path, err);
	if (ret) {
		char why[sizeof(err->msg)];

		snprintf(why, sizeof(why), "%s", err->msg);
		return mn_err_set(err, ret, "http.token_file: %s", why);
	}
	if (strlen(h->token) < TOKEN_MIN || strlen(h->token) > MN_LIMIT_HTTP_TOKEN_BYTES ||
	    strchr(h->token, ' ')) {
		explicit_bzero(h->token, strlen(h->token));
		free(h->token);
		h->token = NULL;
		return mn_err_set(err, MN_EINVAL, "http.token_file '%s' must hold one token of %d "
				  "to %d characters without spaces", path, TOKEN_MIN,
				  MN_LIMIT_HTTP_TOKEN_BYTES);
	}
	return 0;
}

static void allow_origins(struct mn_http *h, const char *host, int port)
{
	static const char *const own[] = { "127.0.0.1", "localhost", "[::1]", NULL };
	const struct mn_argv *extra = &h->base->cfg.http.allowed_origins;
	char o[320];

	for (const char *const *n = own; *n; n++) {
		snprintf(o, sizeof(o), "http://%s:%d", *n, port);
		add_origin(h, o);
	}
	snprintf(o, sizeof(o), "http://%s:%d", host, port);
	add_origin(h, o);
	add_host(h, host[0] == '[' ? host + 1 : host,
		 host[0] == '[' ? strlen(host) - 2 : strlen(host));
	for (int i = 0; i < extra->n; i++) {
		const char *e = extra->v[i], *auth = strstr(e, "://"), *hp;
		size_t hl;

		add_origin(h, e);
		if (auth) {
			host_part(auth + 3, &hp, &hl);
			add_host(h, hp, hl);
		}
	}
}

int mn_http_start(struct mn_http **out, struct mn_ctx *base, const char *listen_at,
		  struct mn_err *err)
{
	struct mn_http *h = mn_xcalloc(1, sizeof(*h));
	struct sockaddr_storage ss;
	char host[INET6_ADDRSTRLEN + 2];
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ERROR_LOG;
	int fd = -1, port = 0, ret;

	*out = NULL;
	memset(&ss, 0, sizeof(ss));
	h->base = base;
	ret = load_token(h, err);
	if (!ret)
		ret = bind_listen(&fd, &ss, listen_at, err);
	if (ret)
		goto fail;
	h->loopback = is_loopback_addr((const struct sockaddr *)&ss);
	if (!h->loopback && !h->token) {
		ret = mn_err_set(err, MN_EINVAL, "refusing to serve HTTP on %s, which is not a "
				 "loopback address, without a token: set http.token_file "
				 "(docs/http.md)", listen_at);
		goto fail;
	}
	format_addr(host, sizeof(host), &ss, &port);
	snprintf(h->url, sizeof(h->url), "http://%s:%d", host, port);
	allow_origins(h, host, port);
	mn_text_random_hex(h->csrf, CSRF_HEX / 2);
	ret = mn_pool_new(&h->pool, base, THREADS, err);
	if (ret)
		goto fail;
	ret = mn_web_open(&h->web, err);
	if (ret)
		goto fail;
	h->api = mn_api_new(h->pool);
	h->mcp = mn_mcp_http_new(base, h->pool);
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	h->daemon = MHD_start_daemon(
		flags, 0, NULL, NULL, on_request, h, MHD_OPTION_LISTEN_SOCKET, fd,
		MHD_OPTION_THREAD_POOL_SIZE, (unsigned)THREADS, MHD_OPTION_CONNECTION_LIMIT,
		(unsigned)MN_LIMIT_HTTP_CONNECTIONS, MHD_OPTION_CONNECTION_TIMEOUT,
		(unsigned)IDLE_TIMEOUT_S, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
		(size_t)MN_LIMIT_HTTP_HEADER_BYTES + 16 * 1024, MHD_OPTION_NOTIFY_COMPLETED,
		on_completed, h, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, h,
		MHD_OPTION_UNESCAPE_CALLBACK, unescape, NULL, MHD_OPTION_END);
	if (!h->daemon) {
		ret = mn_err_set(err, MN_EIO, "could not start the HTTP server on %s", listen_at);
		goto fail;
	}
	fd = -1; /* the daemon's now */
	h->addr_file = mn_xasprintf("%s/http.addr", base->home);
	{
		char line[160];
		int n = snprintf(line, sizeof(line), "%s\n", h->url);
		struct mn_err e2 = MN_ERR_INIT;

		if (mn_file_write_atomic(h->addr_file, line, (size_t)n, 0600, &e2))
			mn_warn("http", "could not write %s: %s", h->addr_file, e2.msg);
	}
	mn_info("http", "listening on %s (%s%s; MCP at %s/mcp, dashboard at %s/)", h->url,
		h->loopback ? "loopback" : "all addresses given",
		h->token ? ", bearer token required" : ", no token", h->url, h->url);
	*out = h;
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	mn_http_stop(h);
	return ret;
}

const char *mn_http_url(const struct mn_http *h)
{
	return h->url;
}

void mn_http_stop(struct mn_http *h)
{
	if (!h)
		return;
	if (h->daemon) {
		MHD_stop_daemon(h->daemon);
		mn_info("http", "stopped");
	}
	if (h->addr_file)
		unlink(h->addr_file);
	mn_mcp_http_free(h->mcp);
	mn_api_free(h->api);
	mn_web_free(h->web);
	mn_pool_free(h->pool);
	if (h->token) {
		explicit_bzero(h->token, strlen(h->token));
		free(h->token);
	}
	for (int i = 0; i < h->n_origins; i++)
		free(h->origins[i]);
	for (int i = 0; i < h->n_hosts; i++)
		free(h->hosts[i]);
	free(h->addr_file);
	free(h);
}
