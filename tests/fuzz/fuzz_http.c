/*
 * Fuzz target: the HTTP server (outside bytes: whatever a client sends to
 * `mnemo serve --http`). A server is started once in process on a free
 * loopback port over a temporary MNEMO_HOME; each input is sent as the raw
 * bytes of one connection, and the answer must be nothing (the connection
 * closed) or an HTTP/1.x status line. After each input the server must
 * still answer GET /api/v1/status.
 *
 * So that inputs reach the handlers past the checks, "@CSRF@" in an input
 * is replaced by the server's anti-forgery token and "@SID@" by the id of
 * an MCP session started at start-up. Training is switched off with the
 * e-stop file; logs are off.
 */
#include <arpa/inet.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/file.h"
#include "base/mem.h"
#include "serve/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct mn_ctx app;
static struct mn_http *server;
static char *home_dir;
static int port;
static char csrf[65], sid[65];

static void shut_down(void)
{
	struct mn_err err = MN_ERR_INIT;

	mn_http_stop(server);
	mn_ctx_close(&app);
	if (home_dir)
		mn_file_remove_tree(home_dir, &err);
	free(home_dir);
}

/* Send (data, len) on a new connection; the answer until the server
 * closes (at most 2 s of silence, 1 MiB kept) into out. */
static void exchange(const char *data, size_t len, struct mn_buf *out)
{
	struct sockaddr_in sa;
	char chunk[65536];
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		abort();
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
		abort(); /* the server is gone */
	while (len) {
		ssize_t n = send(fd, data, len, MSG_NOSIGNAL);

		if (n <= 0)
			break; /* the server answered and closed early */
		data += n;
		len -= (size_t)n;
	}
	shutdown(fd, SHUT_WR);
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 2000) <= 0)
			break;
		n = recv(fd, chunk, sizeof(chunk), 0);
		if (n <= 0)
			break;
		if (out->len < (1 << 20))
			mn_buf_add(out, chunk, (size_t)n);
	}
	close(fd);
}

/* The value after `key":"` in s (up to the next quote) into v. */
static void grab(const char *s, const char *key, char v[65])
{
	const char *p = strstr(s, key);
	size_t n;

	if (!p)
		abort();
	p += strlen(key);
	n = strcspn(p, "\"\r\n");
	if (n > 64)
		abort();
	memcpy(v, p, n);
	v[n] = '\0';
}

static void start(void)
{
	static const char init[] =
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":"
		"{\"protocolVersion\":\"2025-11-25\"}}";
	struct mn_err err = MN_ERR_INIT;
	struct mn_buf out = MN_BUF_INIT;
	const char *tmp = getenv("TMPDIR");
	char *p, *estop, *req;

	home_dir = mn_xasprintf("%s/mnemo-fuzz-http-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(home_dir))
		abort();
	p = mn_xasprintf("%s/home", home_dir);
	setenv("MNEMO_HOME", p, 1);
	setenv("MNEMO_LOG_LEVEL", "error", 1);
	unsetenv("MNEMO_CONFIG");
	setenv("XDG_CONFIG_HOME", home_dir, 1);
	free(p);
	if (mn_ctx_open(&app, NULL, &err) || mn_http_start(&server, &app, "127.0.0.1:0", &err)) {
		fprintf(stderr, "fuzz_http: could not start: %s\n", err.msg);
		abort();
	}
	estop = mn_xasprintf("%s/training.disabled", app.home);
	if (mn_file_write_atomic(estop, "fuzz\n", 5, 0600, &err)) {
		fprintf(stderr, "fuzz_http: %s\n", err.msg);
		abort();
	}
	free(estop);
	port = atoi(strrchr(mn_http_url(server), ':') + 1);
	atexit(shut_down);
	req = mn_xasprintf("GET /api/v1/csrf HTTP/1.1\r\nHost: 127.0.0.1\r\n"
			   "Connection: close\r\n\r\n");
	exchange(req, strlen(req), &out);
	grab(mn_buf_str(&out), "\"csrf_token\":\"", csrf);
	free(req);
	mn_buf_reset(&out);
	req = mn_xasprintf("POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
			   "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
			   sizeof(init) - 1, init);
	exchange(req, strlen(req), &out);
	grab(mn_buf_str(&out), "Mcp-Session-Id: ", sid);
	free(req);
	mn_buf_release(&out);
}

/* data with every @CSRF@ and @SID@ replaced. */
static void expand(const uint8_t *data, size_t size, struct mn_buf *out)
{
	for (size_t i = 0; i < size;) {
		if (size - i >= 6 && !memcmp(data + i, "@CSRF@", 6)) {
			mn_buf_adds(out, csrf);
			i += 6;
		} else if (size - i >= 5 && !memcmp(data + i, "@SID@", 5)) {
			mn_buf_adds(out, sid);
			i += 5;
		} else {
			mn_buf_addc(out, (char)data[i++]);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char alive[] = "GET /api/v1/status HTTP/1.1\r\nHost: 127.0.0.1\r\n"
				    "Connection: close\r\n\r\n";
	struct mn_buf in = MN_BUF_INIT, out = MN_BUF_INIT;

	if (!server)
		start();
	expand(data, size, &in);
	exchange(in.data ? in.data : "", in.len, &out);
	if (out.len && (out.len < 12 || memcmp(out.data, "HTTP/1.", 7)))
		abort(); /* an answer that is not HTTP */
	mn_buf_reset(&out);
	exchange(alive, sizeof(alive) - 1, &out);
	if (out.len < 12 || memcmp(out.data, "HTTP/1.1 200", 12))
		abort(); /* the server stopped answering */
	mn_buf_release(&in);
	mn_buf_release(&out);
	return 0;
}
