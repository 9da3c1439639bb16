/*
 * ranker_cli.c - `mnemo trainer ranker` and `mnemo train ranker`
 * (declared in cli.h; docs/ranker.md).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/model_ops.h"
#include "base/json.h"
#include "base/text.h"
#include "cli/cli.h"
#include "store/store_train.h"
#include "train/ranker_train.h"

static const char trainer_help[] =
	"usage: mnemo trainer ranker --examples FILE --out DIR [--incumbent DIR] [--seed N]\n"
	"                            [--c C] [--prior K]\n"
	"\n"
	"Train the learned ranker (docs/ranker.md) on an examples file: pairwise\n"
	"L2-regularised logistic regression (LIBLINEAR) on the feature differences of\n"
	"the rated results of each train-split recall (helpful > partial > irrelevant;\n"
	"unrated results are left out). Writes DIR/ranker.json (weights scaled so the\n"
	"largest |w| is 1) and DIR/metrics.json.\n"
	"\n"
	"  --examples FILE  JSON lines: the mnemo.ranker-examples/1 header, then one\n"
	"                   rated recall per line (what `mnemo train ranker` exports)\n"
	"  --out DIR        output directory (created if missing)\n"
	"  --incumbent DIR  the ranker to improve on (DIR/ranker.json or a ranker.json);\n"
	"                   empty or absent = the hand-tuned order (base score)\n"
	"  --seed N         seed (default 42); the solver is deterministic\n"
	"  --c C            LIBLINEAR's C [1]\n"
	"  --prior K        scale of the incumbent's-score column; larger keeps the\n"
	"                   candidate closer to the incumbent, 0 = none [10]\n"
	"  -h, --help       this help\n"
	"\n"
	"Exit: 0 trained, 1 failure, 2 usage error, 4 too few pairs (fewer than 20).\n";

int mn_cli_trainer_ranker(int argc, char **argv)
{
	static const struct option lo[] = { { "help", no_argument, NULL, 'h' },
					    { "examples", required_argument, NULL, 'e' },
					    { "out", required_argument, NULL, 'o' },
					    { "incumbent", required_argument, NULL, 'i' },
					    { "seed", required_argument, NULL, 's' },
					    { "c", required_argument, NULL, 'c' },
					    { "prior", required_argument, NULL, 'p' },
					    { "quiet", no_argument, NULL, 'q' },
					    { 0 } };
	struct mn_ranker_train_opts o = { NULL, NULL, NULL, 42, 0, -1 };
	struct mn_err err = MN_ERR_INIT;
	json_t *m = NULL;
	int64_t seed;
	char *end;
	int c, ret;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(trainer_help, stdout);
			return 0;
		case 'e':
			o.examples = optarg;
			break;
		case 'o':
			o.out_dir = optarg;
			break;
		case 'i':
			o.incumbent = *optarg ? optarg : NULL;
			break;
		case 's':
			if (!mn_text_parse_i64(&seed, optarg, 0, INT64_MAX))
				return mn_cli_usage("trainer ranker",
						    "bad --seed '%s' (want a non-negative integer)",
						    optarg);
			o.seed = (uint64_t)seed;
			break;
		case 'c':
			o.c = strtod(optarg, &end);
			if (*end || !(o.c > 0) || o.c > 1e6)
				return mn_cli_usage("trainer ranker", "--c must be a number in (0, 1e6]");
			break;
		case 'p':
			o.prior = strtod(optarg, &end);
			if (*end || !(o.prior >= 0) || o.prior > 1e6)
				return mn_cli_usage("trainer ranker",
						    "--prior must be a number in [0, 1e6]");
			break;
		case 'q':
			break;
		default:
			return mn_cli_bad_option("trainer ranker", argv);
		}
	}
	if (optind != argc)
		return mn_cli_usage("trainer ranker", "unexpected argument '%s'", argv[optind]);
	if (!o.examples || !*o.examples)
		return mn_cli_usage("trainer ranker", "--examples is required");
	if (!o.out_dir || !*o.out_dir)
		return mn_cli_usage("trainer ranker", "--out is required");
	ret = mn_ranker_train(&o, &m, &err);
	if (ret) {
		fprintf(stderr, "mnemo trainer ranker: %s\n", err.msg);
		return ret == MN_EDECLINED ? MN_EXIT_INVALID : MN_EXIT_FAIL;
	}
	fprintf(stderr,
		"mnemo trainer ranker: %lld pair(s) from %lld recall(s); train NDCG@10 %.4f"
		" (incumbent %.4f), MRR %.4f (incumbent %.4f)\n",
		(long long)json_integer_value(json_object_get(m, "pairs")),
		(long long)json_integer_value(json_object_get(m, "train_queries")),
		mn_json_num(m, "train_ndcg10", 0), mn_json_num(m, "incumbent_train_ndcg10", 0),
		mn_json_num(m, "train_mrr", 0), mn_json_num(m, "incumbent_train_mrr", 0));
	json_decref(m);
	return 0;
}

static const char train_help[] =
	"usage: mnemo train ranker [--force] [--reason TEXT] [--json]\n"
	"\n"
	"Train the learned ranker now (docs/ranker.md) and wait for the result: export\n"
	"the rated recalls, train a candidate (`mnemo trainer ranker`), evaluate it and\n"
	"the ranker in use on the held-out recalls and the shipped benchmark, and deploy\n"
	"it as models/ranker/vNNNN when it passes the gate. Declines (exit 5, with the\n"
	"reason) with fewer than learning.ranker.min_feedback ratings since the last\n"
	"ranker run, or too few rated pairs to learn from.\n"
	"\n"
	"      --force           skip the learning.ranker.min_feedback count\n"
	"      --reason TEXT     why (stored with the run)\n"
	"      --json            JSON output (the run, as `mnemo train status ID --json`)\n"
	"      --config FILE     configuration file\n"
	"  -h, --help            this help\n"
	"\n"
	"Exit: 0 deployed, 1 rejected by the gate or failed, 5 declined or busy.\n";

static void print_metrics(const char *what, const json_t *c, const json_t *i)
{
	if (!c)
		return;
	mn_cli_printf("  %-10s  n %-5lld NDCG@10 %.4f (incumbent %.4f)  MRR %.4f (incumbent %.4f)\n",
		      what, (long long)json_integer_value(json_object_get(c, "n")),
		      mn_json_num(c, "ndcg10", 0), mn_json_num(i, "ndcg10", 0),
		      mn_json_num(c, "mrr", 0), mn_json_num(i, "mrr", 0));
}

static void print_ranker_run(const json_t *r)
{
	const json_t *gate = json_object_get(r, "gate"), *c;
	const json_t *cm = json_object_get(r, "candidate_metrics");
	const json_t *im = json_object_get(r, "incumbent_metrics");
	const json_t *counts = json_object_get(json_object_get(r, "counts"), "by_source");
	size_t i;

	mn_cli_printf("ranker run %s\n", mn_json_str(r, "id", "?"));
	mn_cli_printf("  state:      %s\n", mn_json_str(r, "state", "?"));
	mn_cli_printf("  trigger:    %s%s%s\n", mn_json_str(r, "trigger", "?"),
		      mn_json_str(r, "reason", NULL) ? " - " : "", mn_json_str(r, "reason", ""));
	mn_cli_printf("  incumbent:  %s\n", mn_json_str(r, "incumbent", "?"));
	if (counts)
		mn_cli_printf("  examples:   %lld rated recall(s) (%lld train, %lld holdout),"
			      " %lld pair(s), %lld new rating(s)\n",
			      (long long)json_integer_value(json_object_get(counts, "queries")),
			      (long long)json_integer_value(
				      json_object_get(json_object_get(r, "counts"), "n_train")),
			      (long long)json_integer_value(
				      json_object_get(json_object_get(r, "counts"), "n_valid")),
			      (long long)json_integer_value(json_object_get(counts, "pairs")),
			      (long long)json_integer_value(json_object_get(counts, "new_ratings")));
	if (mn_json_str(r, "trainer_exit", NULL))
		mn_cli_printf("  trainer:    %s\n", mn_json_str(r, "trainer_exit", ""));
	print_metrics("holdout", json_object_get(cm, "holdout"), json_object_get(im, "holdout"));
	print_metrics("benchmark", json_object_get(cm, "bench"), json_object_get(im, "bench"));
	if (mn_json_str(r, "gate_verdict", NULL))
		mn_cli_printf("  gate:       %s\n", mn_json_str(r, "gate_verdict", ""));
	json_array_foreach(json_object_get(gate, "reasons"), i, c)
		mn_cli_printf("    - %s\n", json_string_value(c) ? json_string_value(c) : "");
	if (json_array_size(json_object_get(gate, "checks"))) {
		mn_cli_printf("  %-28s %10s %10s %10s  %s\n", "check", "candidate", "incumbent",
			      "threshold", "verdict");
		json_array_foreach(json_object_get(gate, "checks"), i, c)
			mn_cli_printf("  %-28s %10.4f %10.4f %10g  %s\n",
				      mn_json_str(c, "name", ""), mn_json_num(c, "candidate", 0),
				      mn_json_num(c, "incumbent", 0),
				      mn_json_num(c, "threshold", 0), mn_json_str(c, "verdict", ""));
	}
	if (mn_json_str(r, "deployed_version", NULL))
		mn_cli_printf("  deployed:   ranker/%s\n", mn_json_str(r, "deployed_version", ""));
	else if (mn_json_str(r, "candidate_version", NULL))
		mn_cli_printf("  registered: ranker/%s\n", mn_json_str(r, "candidate_version", ""));
	if (mn_json_str(r, "note", NULL))
		mn_cli_printf("  note:       %s\n", mn_json_str(r, "note", ""));
	if (mn_json_str(r, "error", NULL))
		mn_cli_printf("  error:      %s\n", mn_json_str(r, "error", ""));
	if (mn_json_str(r, "request_dir", NULL))
		mn_cli_printf("  files:      %s\n", mn_json_str(r, "request_dir", ""));
}

int mn_cli_train_ranker(int argc, char **argv)
{
	static const struct option lo[] = { MN_CLI_COMMON_OPTIONS,
					    { "force", no_argument, NULL, 'f' },
					    { "reason", required_argument, NULL, 'r' },
					    { 0 } };
	struct mn_ctx a;
	struct mn_err err = MN_ERR_INIT;
	const char *config = NULL, *reason = NULL;
	json_t *res = NULL, *run;
	bool json = false, force = false;
	int c, code;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(train_help, stdout);
			return 0;
		case 'j':
			json = true;
			break;
		case 'C':
			config = optarg;
			break;
		case 'f':
			force = true;
			break;
		case 'r':
			reason = optarg;
			break;
		default:
			return mn_cli_bad_option("train ranker", argv);
		}
	}
	if (optind != argc)
		return mn_cli_usage("train ranker", "unexpected argument '%s'", argv[optind]);
	code = mn_cli_open(&a, config);
	if (code)
		return code;
	if (mn_op_ranker_train(&a, "manual", reason, force, &res, &err)) {
		code = mn_cli_fail(&err);
		goto out;
	}
	if (!json_is_true(json_object_get(res, "accepted"))) {
		/* Declined is an answer (the object says why) and exit 5. */
		if (json)
			mn_cli_print_json(res);
		mn_err_set(&err, MN_EDECLINED, "%s", mn_json_str(res, "reason", "declined"));
		code = mn_cli_fail(&err);
		goto out;
	}
	/* The finished run, as `mnemo train request --wait --json`. */
	run = json_object_get(res, "run");
	if (json)
		mn_cli_print_json(run);
	else
		print_ranker_run(run);
	code = strcmp(mn_json_str(run, "state", ""), MN_RUN_DEPLOYED) ? MN_EXIT_FAIL : MN_EXIT_OK;
out:
	json_decref(res);
	mn_ctx_close(&a);
	return code;
}
