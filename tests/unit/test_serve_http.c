/*
 * test_serve_http.c - the HTTP server (serve/http.h) in process: started on
 * a free loopback port over a real store, spoken to over real sockets.
 * tests/integration/test_http.sh drives the daemon with real clients.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/mem.h"
#include "serve/http.h"
#include "testutil.h"

struct fixture {
	char *dir;
	struct mn_ctx app;
	struct mn_http *http;
	int port;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct mn_err err = MN_ERR_INIT;
	char *home, *xdg;

	f->dir = tu_tmpdir();
	home = mn_xasprintf("%s/home", f->dir);
	xdg = mn_xasprintf("%s/xdg", f->dir);
	setenv("MNEMO_HOME", home, 1);
	setenv("XDG_CONFIG_HOME", xdg, 1);
	unsetenv("MNEMO_CONFIG");
	setenv("MNEMO_LOG_LEVEL", "error", 1);
	free(home);
	free(xdg);
	if (mn_ctx_open(&f->app, NULL, &err))
		fail_msg("mn_ctx_open: %s", err.msg);
	if (mn_http_start(&f->http, &f->app, "127.0.0.1:0", &err))
		fail_msg("mn_http_start: %s", err.msg);
	f->port = atoi(strrchr(mn_http_url(f->http), ':') + 1);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	mn_http_stop(f->http);
	mn_ctx_close(&f->app);
	tu_rmtree(f->dir);
	free(f);
	return 0;
}

/* Send a whole request, read until the server closes or a complete
 * response is in; the response (heap, NUL-terminated). */
static char *exchange(const struct fixture *f, const char *req)
{
	struct sockaddr_in sa;
	char *out = mn_xcalloc(1, 1 << 20);
	size_t len = 0;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)f->port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(write(fd, req, strlen(req)), (ssize_t)strlen(req));
	shutdown(fd, SHUT_WR);
	for (;;) {
		ssize_t n = read(fd, out + len, (1 << 20) - 1 - len);

		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	return out;
}

static char *post_mcp(const struct fixture *f, const char *headers, const char *body)
{
	char *req = mn_xasprintf("POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: close\r\n"
				 "Content-Type: application/json\r\n%sContent-Length: %zu\r\n\r\n%s",
				 f->port, headers, strlen(body), body);
	char *resp = exchange(f, req);

	free(req);
	return resp;
}

static void test_status_is_json(void **state)
{
	struct fixture *f = *state;
	char req[256], *resp;

	snprintf(req, sizeof(req), "GET /api/v1/status HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
		 "Connection: close\r\n\r\n", f->port);
	resp = exchange(f, req);
	assert_non_null(strstr(resp, "HTTP/1.1 200"));
	assert_non_null(strstr(resp, "Content-Type: application/json"));
	assert_non_null(strstr(resp, "\"schema_version\""));
	free(resp);
}

static void test_foreign_host_is_refused(void **state)
{
	struct fixture *f = *state;
	char *resp = exchange(f, "GET /api/v1/status HTTP/1.1\r\nHost: rebind.example\r\n"
				 "Connection: close\r\n\r\n");

	assert_non_null(strstr(resp, "HTTP/1.1 403"));
	assert_non_null(strstr(resp, "forbidden_host"));
	free(resp);
}

static void test_change_needs_the_anti_forgery_token(void **state)
{
	struct fixture *f = *state;
	char req[512], *resp;

	snprintf(req, sizeof(req), "POST /api/v1/remember HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
		 "Connection: close\r\nContent-Type: application/json\r\nContent-Length: 12\r\n\r\n"
		 "{\"text\":\"x\"}", f->port);
	resp = exchange(f, req);
	assert_non_null(strstr(resp, "HTTP/1.1 403"));
	assert_non_null(strstr(resp, "csrf_required"));
	free(resp);
}

static void test_mcp_initialize_starts_a_session(void **state)
{
	struct fixture *f = *state;
	char *resp = post_mcp(f, "Accept: application/json, text/event-stream\r\n",
			      "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":"
			      "{\"protocolVersion\":\"2025-06-18\"}}");
	const char *sid;
	char hdr[128];

	assert_non_null(strstr(resp, "HTTP/1.1 200"));
	sid = strstr(resp, "Mcp-Session-Id: ");
	assert_non_null(sid);
	assert_non_null(strstr(resp, "\"protocolVersion\":\"2025-06-18\""));
	snprintf(hdr, sizeof(hdr), "Mcp-Session-Id: %.32s\r\nAccept: text/event-stream\r\n",
		 sid + strlen("Mcp-Session-Id: "));
	free(resp);
	resp = post_mcp(f, hdr, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"ping\"}");
	assert_non_null(strstr(resp, "Content-Type: text/event-stream"));
	assert_non_null(strstr(resp, "event: message\ndata: {\"jsonrpc\":\"2.0\",\"id\":2,"
				     "\"result\":{}}\n\n"));
	free(resp);
}

static void test_mcp_without_session_is_400(void **state)
{
	struct fixture *f = *state;
	char *resp = post_mcp(f, "Accept: application/json\r\n",
			      "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}");

	assert_non_null(strstr(resp, "HTTP/1.1 400"));
	assert_non_null(strstr(resp, "Mcp-Session-Id"));
	free(resp);
}

static void test_mcp_unknown_protocol_version_is_400(void **state)
{
	struct fixture *f = *state;
	char *resp = post_mcp(f, "Accept: application/json\r\nMCP-Protocol-Version: 1999-01-01\r\n",
			      "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\"}");

	assert_non_null(strstr(resp, "HTTP/1.1 400"));
	assert_non_null(strstr(resp, "MCP-Protocol-Version"));
	free(resp);
}

static void test_non_loopback_without_token_is_refused(void **state)
{
	struct fixture *f = *state;
	struct mn_http *h = NULL;
	struct mn_err err = MN_ERR_INIT;

	assert_int_equal(mn_http_start(&h, &f->app, "0.0.0.0:0", &err), MN_EINVAL);
	assert_null(h);
	assert_non_null(strstr(err.msg, "not a loopback address"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_status_is_json, setup, teardown),
		cmocka_unit_test_setup_teardown(test_foreign_host_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_change_needs_the_anti_forgery_token, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_mcp_initialize_starts_a_session, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_mcp_without_session_is_400, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mcp_unknown_protocol_version_is_400, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_non_loopback_without_token_is_refused, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
