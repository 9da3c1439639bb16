/*
 * cli_reindex.c - `mnemo reindex --embeddings`: (re)build the memories'
 * vectors in the foreground, with progress (docs/vectors.md).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "learn/embedder.h"
#include "model/embed.h"
#include "store/store_vec.h"

static const char reindex_help[] =
	"usage: mnemo reindex --embeddings [options]\n"
	"\n"
	"Give every memory a vector of the configured embedding model\n"
	"(embedding.* in the configuration, docs/vectors.md): memories without\n"
	"one, and memories whose vector was made by another model or size. The\n"
	"daemon does the same in the background; this runs it now, in batches of\n"
	"32, and prints progress on stderr. Safe while the daemon runs.\n"
	"\n"
	"      --embeddings       rebuild vectors (the only index this command builds)\n"
	"      --all              re-embed every memory, also those that have a vector\n"
	"      --json             machine-readable result on stdout\n"
	"      --config FILE      configuration file\n"
	"  -h, --help             this help\n"
	"\n"
	"Exit status: 0 done; 1 the embedding server could not be reached or timed\n"
	"out; 4 no embedding provider is configured, or the server's replies are\n"
	"not usable (wrong dimensions, not an embedding list). What was embedded\n"
	"before a failure stays.\n";

int mn_cli_reindex(int argc, char **argv)
{
	static const struct option lo[] = { MN_CLI_COMMON_OPTIONS,
					    { "embeddings", no_argument, NULL, 'e' },
					    { "all", no_argument, NULL, 'a' },
					    { 0 } };
	const char *config = NULL;
	bool json = false, embeddings = false, all = false;
	struct mn_ctx a;
	struct mn_err err = MN_ERR_INIT;
	struct mn_embedder *e = NULL;
	struct mn_embedder_batch b;
	int64_t cursor = 0, have = 0, missing = 0, total;
	long long stored = 0, skipped = 0, seen = 0;
	int c, code;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(reindex_help, stdout);
			return 0;
		case 'j':
			json = true;
			break;
		case 'C':
			config = optarg;
			break;
		case 'e':
			embeddings = true;
			break;
		case 'a':
			all = true;
			break;
		default:
			return mn_cli_bad_option("reindex", argv);
		}
	}
	if (optind != argc)
		return mn_cli_usage("reindex", "unexpected argument '%s'", argv[optind]);
	if (!embeddings)
		return mn_cli_usage("reindex", "say what to rebuild: --embeddings");
	code = mn_cli_open(&a, config);
	if (code)
		return code;
	if (!mn_embed_configured(&a.cfg)) {
		mn_err_set(&err, MN_EINVAL,
			   "no embedding provider is configured (embedding.provider, "
			   "docs/vectors.md)");
		code = mn_cli_fail(&err);
		goto out;
	}
	if (mn_embedder_new(&e, &a.cfg, a.home, &err) ||
	    mn_store_vec_count(a.store, &have, &missing, a.cfg.embedding.model,
			       a.cfg.embedding_dimensions, &err)) {
		code = mn_cli_fail(&err);
		goto out;
	}
	total = all ? have + missing : missing;
	for (;;) {
		if (mn_embedder_batch(e, a.store, &cursor, all, &b, &err)) {
			fprintf(stderr, "\n");
			code = mn_cli_fail(&err);
			goto out;
		}
		if (!b.seen)
			break;
		seen += b.seen;
		stored += b.stored;
		skipped += b.skipped;
		fprintf(stderr, "\rembedded %lld of %lld%s", stored, (long long)total,
			skipped ? " (some skipped)" : "");
	}
	if (seen)
		fprintf(stderr, "\n");
	if (mn_store_vec_count(a.store, &have, &missing, a.cfg.embedding.model,
			       a.cfg.embedding_dimensions, &err)) {
		code = mn_cli_fail(&err);
		goto out;
	}
	if (json) {
		json_t *o =
			json_pack("{s:s,s:i,s:I,s:I,s:I,s:I}", "model", a.cfg.embedding.model,
				  "dimensions", a.cfg.embedding_dimensions, "embedded",
				  (json_int_t)stored, "skipped", (json_int_t)skipped, "with_vector",
				  (json_int_t)have, "without_vector", (json_int_t)missing);

		mn_cli_print_json(o);
		json_decref(o);
	} else {
		mn_cli_printf(
			"embedded %lld memories with '%s' (%d dimensions); %lld with a vector, "
			"%lld without%s\n",
			stored, a.cfg.embedding.model, a.cfg.embedding_dimensions, (long long)have,
			(long long)missing,
			skipped ? " (the server refused some texts, see the log)" : "");
	}
	code = 0;
out:
	mn_embedder_free(e);
	mn_ctx_close(&a);
	return code;
}
