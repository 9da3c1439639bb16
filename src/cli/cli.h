/*
 * cli.h - the command-line front end: one function per subcommand, each
 * taking (argc, argv) with argv[0] the subcommand name and returning the
 * process exit code (docs/cli.md): 0 ok, 1 failure, 2 usage, 3 not
 * found, 4 invalid input, 5 declined or busy.
 *
 * Shared helpers for option parsing and output live here too, so every
 * command reads the same way.
 */
#ifndef MN_CLI_H
#define MN_CLI_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "app/app.h"
#include "base/buf.h"
#include "base/err.h"

#define MN_EXIT_OK 0
#define MN_EXIT_FAIL 1
#define MN_EXIT_USAGE 2
#define MN_EXIT_NOTFOUND 3
#define MN_EXIT_INVALID 4
#define MN_EXIT_DECLINED 5

/* The options every data command takes; MN_CLI_COMMON_OPTIONS spells
 * them for a getopt_long table (short codes 'h', 'j', 'C'). */
struct mn_cli_common {
	bool json;
	const char *config;
};

#define MN_CLI_COMMON_OPTIONS                                                            \
	{ "help", no_argument, NULL, 'h' }, { "json", no_argument, NULL, 'j' },          \
	{ "config", required_argument, NULL, 'C' }

/* Parse argv of a command whose only options are --help, --json and
 * --config. Returns -1 to go on (operands start at optind), else the exit
 * code to return: 0 after printing help, 2 on a usage error. */
int mn_cli_parse_common(struct mn_cli_common *o, int argc, char **argv, const char *cmd,
			const char *help);

/* Set by `mnemo --config FILE <command>`; a command's own --config wins. */
extern const char *mn_cli_config_path;

/* Print "mnemo: <msg>" to stderr (control characters escaped) and return
 * the exit code for err. */
int mn_cli_fail(const struct mn_err *err);
/* Print a usage error plus "see 'mnemo CMD --help'" and return 2. */
int mn_cli_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The usage error for the option getopt_long just refused (it returned
 * '?'): names it once. */
int mn_cli_bad_option(const char *cmd, char **argv);
/* printf to stdout for a person: after formatting, terminal control
 * characters (C0 but newline and tab, DEL, C1) are escaped, so stored or
 * outside text cannot drive the terminal. Human output goes through it;
 * --json output does not (mn_cli_print_json). */
void mn_cli_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print JSON (indented) to stdout. */
void mn_cli_print_json(const json_t *v);
/* Read the text argument, or stdin when it is "-" (size-limited). */
int mn_cli_read_text(struct mn_buf *out, const char *arg, size_t limit, struct mn_err *err);
/* Open the app with the config in effect; prints the error itself and
 * returns the exit code, 0 on success. */
int mn_cli_open(struct mn_ctx *a, const char *config_path);

int mn_cli_remember(int argc, char **argv);
int mn_cli_recall(int argc, char **argv);
int mn_cli_feedback(int argc, char **argv);
int mn_cli_amend(int argc, char **argv);
int mn_cli_forget(int argc, char **argv);
int mn_cli_status(int argc, char **argv);
int mn_cli_encode(int argc, char **argv);
int mn_cli_verify(int argc, char **argv);
int mn_cli_experience(int argc, char **argv);
int mn_cli_audit(int argc, char **argv);
/* Browse, correct, move and tidy memories (cli_browse.c). */
int mn_cli_list(int argc, char **argv);
int mn_cli_show(int argc, char **argv);
int mn_cli_edit(int argc, char **argv);
int mn_cli_dedup(int argc, char **argv);
int mn_cli_export(int argc, char **argv);
int mn_cli_import(int argc, char **argv);
/* `mnemo remember --jsonl FILE|-`: mn_cli_remember hands it over. */
int mn_cli_remember_jsonl(int argc, char **argv);
int mn_cli_serve(int argc, char **argv);
int mn_cli_trainer(int argc, char **argv);
/* `mnemo reindex --embeddings` (cli_reindex.c). */
int mn_cli_reindex(int argc, char **argv);



/* Implemented by the learning-loop commands (cli_learn.c). */
int mn_cli_experience_report(struct mn_ctx *a, bool json);
int mn_cli_dream(int argc, char **argv);
int mn_cli_train(int argc, char **argv);
int mn_cli_model(int argc, char **argv);
/* The learned ranker (cli/ranker_cli.c, docs/ranker.md): `mnemo trainer
 * ranker` (exit 0 trained, 1 failure, 2 usage, 4 too few pairs) and `mnemo
 * train ranker` (0 deployed, 1 rejected or failed, 5 declined or busy);
 * argv[0] is "ranker". */
int mn_cli_trainer_ranker(int argc, char **argv);
int mn_cli_train_ranker(int argc, char **argv);
int mn_cli_install_units(int argc, char **argv);
/* MCP server on stdio (cli_mcp.c). */
int mn_cli_mcp(int argc, char **argv);
#endif
