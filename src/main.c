/*
 * main.c - argv to subcommand. Each command lives in cli*.c / serve.c /
 * mcp.c and returns its exit code (docs/cli.md).
 */
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "model/llm.h"
#include "train/train.h"

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static int cmd_version(int argc, char **argv);

static const struct command commands[] = {
	{ "serve", mn_cli_serve, "run the daemon: encoding worker, dream cycles, training" },
	{ "mcp", mn_cli_mcp, "MCP server on stdio for agents" },
	{ "remember", mn_cli_remember, "store an observation" },
	{ "recall", mn_cli_recall, "search memories (prints a query id)" },
	{ "feedback", mn_cli_feedback, "rate what a recall returned" },
	{ "amend", mn_cli_amend, "record a human correction of an encoding" },
	{ "forget", mn_cli_forget, "delete a memory" },
	{ "list", mn_cli_list, "list memories with filters, page by page" },
	{ "show", mn_cli_show, "one memory: encoding, metrics, feedback, history" },
	{ "edit", mn_cli_edit, "change an observation's text (re-encodes it)" },
	{ "dedup", mn_cli_dedup, "find and merge near-duplicate memories" },
	{ "export", mn_cli_export, "write memories as JSON lines" },
	{ "import", mn_cli_import, "read memories written by export" },
	{ "status", mn_cli_status, "counts, queue, encoder, learning state, paths" },
	{ "encode", mn_cli_encode, "show the current student's encoding of a text" },
	{ "verify", mn_cli_verify, "score an encoding against its raw text" },
	{ "dream", mn_cli_dream, "run one dream cycle now" },
	{ "reindex", mn_cli_reindex, "rebuild memory vectors (--embeddings)" },
	{ "audit", mn_cli_audit, "recent memories with quality metrics and category" },
	{ "experience", mn_cli_experience, "experience buffer: stats, list, reclassify, report" },
	{ "train", mn_cli_train, "training runs: batch, request, run, status, cancel, ranker" },
	{ "model", mn_cli_model, "model registry: list, show, rollback, pin" },
	{ "trainer", mn_cli_trainer, "trainers: trainer builtin ..., trainer ranker ..." },
	{ "install-units", mn_cli_install_units, "write systemd user units" },
	{ "version", cmd_version, "print the version" },
	{ NULL, NULL, NULL },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: mnemo [--config FILE] COMMAND [options]\n\n"
		   "mnemo is a local-first memory daemon for AI agents.\n\ncommands:\n");
	for (const struct command *c = commands; c->name; c++)
		fprintf(f, "  %-14s %s\n", c->name, c->summary);
	fprintf(f, "\n'mnemo COMMAND --help' describes a command. Exit codes: 0 ok, 1 failure,\n"
		   "2 usage, 3 not found, 4 invalid input, 5 declined or busy.\n"
		   "Data home: $MNEMO_HOME or ~/.local/share/mnemo. Config: --config,\n"
		   "$MNEMO_CONFIG or ~/.config/mnemo/config.yaml (optional).\n");
}

static int cmd_version(int argc, char **argv)
{
	bool json = false;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			printf("usage: mnemo version [--json]\n\nPrint the version.\n\n"
			       "      --json             {\"name\": \"mnemo\", \"version\": \"X.Y.Z\"}\n"
			       "  -h, --help             this help\n");
			return 0;
		}
		if (strcmp(argv[i], "--json") != 0) {
			fprintf(stderr, "mnemo version: unknown argument '%s'; see 'mnemo version "
					"--help'\n", argv[i]);
			return 2;
		}
		json = true;
	}
	if (json)
		printf("{\"name\":\"mnemo\",\"version\":\"%s\"}\n", MN_VERSION);
	else
		printf("mnemo %s\n", MN_VERSION);
	return 0;
}

/* Levenshtein distance of a and b, stopping at MN_SUGGEST_MAX + 1. */
#define MN_SUGGEST_MAX 2
#define MN_SUGGEST_LEN 32

static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), row[MN_SUGGEST_LEN + 1];

	if (la > MN_SUGGEST_LEN || lb > MN_SUGGEST_LEN)
		return MN_SUGGEST_MAX + 1;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];

		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j], best = diag + (a[i - 1] != b[j - 1]);

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

/* The command nearest to `word` (at most MN_SUGGEST_MAX edits, or a
 * command it is a prefix of), NULL when none is near or two tie. */
static const char *nearest_command(const char *word)
{
	const char *best = NULL;
	size_t best_d = MN_SUGGEST_MAX + 1, wl = strlen(word);
	bool tie = false;

	for (const struct command *c = commands; c->name; c++) {
		size_t d = edit_distance(word, c->name);

		/* "rec" -> recall is a guess too, but only when one command starts so */
		if (d > MN_SUGGEST_MAX && wl >= 3 && !strncmp(c->name, word, wl))
			d = MN_SUGGEST_MAX;
		if (d < best_d) {
			best = c->name;
			best_d = d;
			tie = false;
		} else if (d == best_d && best) {
			tie = true;
		}
	}
	return tie ? NULL : best;
}

int main(int argc, char **argv)
{
	int i = 1;

	opterr = 0; /* a refused option is reported once, by mn_cli_bad_option */

	while (i < argc && argv[i][0] == '-') {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 0;
		}
		if (!strcmp(argv[i], "--version")) {
			printf("mnemo %s\n", MN_VERSION);
			return 0;
		}
		if (!strcmp(argv[i], "--config") && i + 1 < argc) {
			mn_cli_config_path = argv[i + 1];
			i += 2;
			continue;
		}
		fprintf(stderr, "mnemo: unknown option '%s'\n", argv[i]);
		usage(stderr);
		return 2;
	}
	if (i >= argc) {
		usage(stderr);
		return 2;
	}
	/* A closed pipe is an error return from write, not a silent death. */
	signal(SIGPIPE, SIG_IGN);
	for (const struct command *c = commands; c->name; c++) {
		if (!strcmp(c->name, argv[i])) {
			int code = c->run(argc - i, argv + i);

			mn_llm_global_cleanup();
			return code;
		}
	}
	if (nearest_command(argv[i]))
		fprintf(stderr, "mnemo: unknown command '%s'; did you mean '%s'? (see 'mnemo --help')\n",
			argv[i], nearest_command(argv[i]));
	else
		fprintf(stderr, "mnemo: unknown command '%s'; see 'mnemo --help'\n", argv[i]);
	return 2;
}
