/*
 * cli_mcp.c - `mnemo mcp`: the MCP server (mcp.h) on stdin/stdout, with
 * its own signal handling.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "base/mem.h"
#include "base/signal.h"
#include "cli/cli.h"
#include "mcp/mcp.h"

static volatile sig_atomic_t stop_flag;

static const char mcp_help[] =
	"usage: mnemo mcp [--config FILE] [--project P]\n"
	"\n"
	"Run the MCP server on stdio for agents (Claude Code and other MCP clients):\n"
	"JSON-RPC 2.0, one message per line. stdout carries only protocol messages;\n"
	"logs go to stderr (or log.file). Register it with Claude Code:\n"
	"\n"
	"  claude mcp add mnemo -- mnemo mcp\n"
	"\n"
	"Tools: remember, recall, feedback, amend, forget, status, audit_encodings,\n"
	"train_model, training_status, model_versions. See docs/mcp.md.\n"
	"\n"
	"      --config FILE      configuration file\n"
	"      --project P        scope the server to project P: remember, recall and\n"
	"                         list_memories calls that name no project use P (an\n"
	"                         explicit \"project\": null still means every project).\n"
	"                         Project names match exactly (case-sensitive).\n"
	"                         Default: the config key project, else none.\n"
	"  -h, --help             this help\n";

int mn_cli_mcp(int argc, char **argv)
{
	static const struct option lo[] = { { "help", no_argument, NULL, 'h' },
					    { "config", required_argument, NULL, 'C' },
					    { "project", required_argument, NULL, 'P' },
					    { 0 } };
	const char *config = NULL, *project = NULL;
	sigset_t block, wait_mask;
	struct mn_ctx a;
	struct mn_err err = MN_ERR_INIT;
	struct mn_mcp *m = NULL;
	int c, code, proto_fd = -1;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(mcp_help, stdout);
			return 0;
		case 'C':
			config = optarg;
			break;
		case 'P':
			if (!optarg[0])
				return mn_cli_usage("mcp", "--project needs a non-empty name");
			project = optarg;
			break;
		default:
			return mn_cli_bad_option("mcp", argv);
		}
	}
	if (optind != argc)
		return mn_cli_usage("mcp", "unexpected argument '%s'", argv[optind]);
	/* stdout belongs to the protocol: keep a private descriptor for it and
	 * point fd 1 at stderr, so nothing else (a library, a stray printf)
	 * can ever write a byte between our messages. */
	fflush(stdout);
	proto_fd = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
	if (proto_fd < 0 || dup2(STDERR_FILENO, STDOUT_FILENO) < 0) {
		fprintf(stderr, "mnemo: could not set up stdout: %s\n", strerror(errno));
		if (proto_fd >= 0)
			close(proto_fd);
		return MN_EXIT_FAIL;
	}
	code = mn_cli_open(&a, config);
	if (code) {
		close(proto_fd);
		return code;
	}
	if (project) {
		free(a.cfg.project);
		a.cfg.project = mn_xstrdup(project);
	}
	/* no SA_RESTART: a wait is interrupted */
	mn_signal_stop_on(&stop_flag, (const int[]){ SIGTERM, SIGINT, SIGHUP, 0 },
			  (const int[]){ SIGPIPE, 0 });
	/* Signals stay blocked while a request runs and are taken only while
	 * waiting for input: a request in progress always finishes. */
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGHUP);
	sigprocmask(SIG_BLOCK, &block, &wait_mask);
	sigdelset(&wait_mask, SIGTERM);
	sigdelset(&wait_mask, SIGINT);
	sigdelset(&wait_mask, SIGHUP);
	m = mn_mcp_new(&a);
	mn_info("mcp", "serving %s on stdio (data home %s%s%s)", MN_VERSION, a.home,
		a.cfg.project ? ", project " : "", a.cfg.project ? a.cfg.project : "");
	if (mn_mcp_serve(m, STDIN_FILENO, proto_fd, &stop_flag, &wait_mask, &err)) {
		code = mn_cli_fail(&err);
	} else {
		mn_info("mcp", "%s, exiting", stop_flag ? "signal received" : "end of input");
		code = MN_EXIT_OK;
	}
	mn_mcp_free(m);
	mn_ctx_close(&a);
	close(proto_fd);
	return code;
}
