/*
 * Fuzz target: the MCP server's message handler (outside bytes: whatever an
 * MCP client writes on our stdin). Each input is one message line handed to
 * mn_mcp_handle over an app opened once on a temporary MNEMO_HOME; the
 * response must be empty or exactly one newline-terminated line.
 *
 * Training is switched off with the e-stop file so a train_model call never
 * starts an orchestrator; logs are off. A batch (an input that starts with
 * '[') is handed over after an initialize for 2025-03-26, the revision
 * under which batches are answered rather than refused.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app/app.h"
#include "base/buf.h"
#include "base/file.h"
#include "base/mem.h"
#include "mcp/mcp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct mn_ctx app;
static struct mn_mcp *server;
static char *home_dir;

static void shut_down(void)
{
	struct mn_err err = MN_ERR_INIT;

	mn_mcp_free(server);
	mn_ctx_close(&app);
	if (home_dir)
		mn_file_remove_tree(home_dir, &err);
	free(home_dir);
}

static void start(void)
{
	struct mn_err err = MN_ERR_INIT;
	const char *tmp = getenv("TMPDIR");
	char *p, *estop;

	home_dir = mn_xasprintf("%s/mnemo-fuzz-mcp-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(home_dir))
		abort();
	p = mn_xasprintf("%s/home", home_dir);
	setenv("MNEMO_HOME", p, 1);
	setenv("MNEMO_LOG_LEVEL", "error", 1);
	unsetenv("MNEMO_CONFIG");
	setenv("XDG_CONFIG_HOME", home_dir, 1);
	free(p);
	if (mn_ctx_open(&app, NULL, &err)) {
		fprintf(stderr, "fuzz_mcp: could not open app: %s\n", err.msg);
		abort();
	}
	estop = mn_xasprintf("%s/training.disabled", app.home);
	if (mn_file_write_atomic(estop, "fuzz\n", 5, 0600, &err))
		abort();
	free(estop);
	server = mn_mcp_new(&app);
	atexit(shut_down);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char init_batches[] =
		"{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":"
		"{\"protocolVersion\":\"2025-03-26\"}}";
	struct mn_buf out = MN_BUF_INIT;

	if (!server)
		start();
	if (size && data[0] == '[') {
		mn_mcp_handle(server, init_batches, sizeof(init_batches) - 1, &out);
		mn_buf_reset(&out);
	}
	mn_mcp_handle(server, (const char *)data, size, &out);
	if (out.len && (out.data[out.len - 1] != '\n' || memchr(out.data, '\n', out.len - 1)))
		abort(); /* one response line or none */
	mn_buf_release(&out);
	return 0;
}
