/*
 * cli_train.c - `mnemo train {batch,request,run,status,cancel}`, `mnemo
 * model {list,show,rollback,pin,unpin}` and `mnemo install-units`.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/mem.h"
#include "base/text.h"
#include "learn/batch.h"
#include "base/signal.h"
#include "cli/cli.h"
#include "app/model_ops.h"
#include "app/ops.h"
#include "train/orch.h"
#include "train/registry.h"
#include "store/store_train.h"
#include "train/train.h"
#include "app/units.h"

#define COMMON_LONGOPTS MN_CLI_COMMON_OPTIONS

static int cmd_batch(int argc, char **argv);
static int cmd_run(int argc, char **argv);

static const char train_help[] =
	"usage: mnemo train <command> [options]\n"
	"\n"
	"Training runs of the student (docs/training.md) and of the learned ranker\n"
	"(train ranker, docs/ranker.md).\n"
	"\n"
	"commands:\n"
	"  batch      assemble a training batch (see 'mnemo train batch --help')\n"
	"  request    request a run now [--reason TEXT] [--batch-dir DIR] [--wait] [--json]\n"
	"  run        run one request: --request ID | --pending (the orchestrator)\n"
	"  status     runs with state, timings, counts and gate table [ID] [--json]\n"
	"  cancel     cancel a run: cancel ID\n"
	"  ranker     train the learned ranker now [--force] [--json] (docs/ranker.md)\n";

static const char request_help[] =
	"usage: mnemo train request [--reason TEXT] [--batch-dir DIR] [--wait] [--json]\n"
	"\n"
	"Request a training run now. Respects the e-stop file <home>/training.disabled\n"
	"and a run in flight, not the training window; declines (exit 5, with the\n"
	"reason) with too little data (learning.training.min_new_examples).\n"
	"With runner supervised the orchestrator starts at once (detached, or waited\n"
	"for with --wait); with runner systemd only training/pending.json is written.\n"
	"\n"
	"      --reason TEXT     why (stored with the run)\n"
	"      --batch-dir DIR   train on this hand-made batch (*.raw.jsonl format)\n"
	"                        instead of assembling one; no data check\n"
	"      --wait            wait for the run to end and print its result\n"
	"      --json            JSON output\n"
	"      --config FILE     configuration file\n"
	"  -h, --help            this help\n"
	"\n"
	"Exit: 0 requested (with --wait: deployed), 1 the run failed, was rejected or\n"
	"cancelled, 5 declined.\n";

static void print_run_line(const json_t *r)
{
	const char *err = mn_json_str(r, "error", NULL);
	const char *ver = mn_json_str(r, "deployed_version", NULL);

	mn_cli_printf("%s  %-7s %-11s %-7s %s", mn_json_str(r, "id", "?"),
		      mn_json_str(r, "model", "student"), mn_json_str(r, "state", "?"),
		      mn_json_str(r, "trigger", "?"), mn_json_str(r, "created_at", ""));
	if (ver)
		mn_cli_printf("  -> %s", ver);
	if (err)
		mn_cli_printf("  (%s)", err);
	mn_cli_printf("\n");
}

static void print_run(const json_t *r)
{
	const json_t *gate = json_object_get(r, "gate"), *c;
	const json_t *counts = json_object_get(r, "counts");
	const json_t *reasons = json_object_get(r, "gate_reasons");
	size_t i;

	mn_cli_printf("run %s\n", mn_json_str(r, "id", "?"));
	mn_cli_printf("  model:      %s\n", mn_json_str(r, "model", "student"));
	mn_cli_printf("  state:      %s\n", mn_json_str(r, "state", "?"));
	mn_cli_printf("  trigger:    %s%s%s\n", mn_json_str(r, "trigger", "?"),
		      mn_json_str(r, "reason", NULL) ? " - " : "", mn_json_str(r, "reason", ""));
	mn_cli_printf("  created:    %s\n", mn_json_str(r, "created_at", ""));
	mn_cli_printf("  started:    %s\n", mn_json_str(r, "started_at", "-"));
	mn_cli_printf("  finished:   %s\n", mn_json_str(r, "finished_at", "-"));
	if (json_is_integer(json_object_get(r, "duration_ms")))
		mn_cli_printf("  duration:   %.1f s\n",
			      (double)json_integer_value(json_object_get(r, "duration_ms")) /
				      1000.0);
	if (counts && json_is_integer(json_object_get(counts, "n_train")))
		mn_cli_printf("  batch:      %lld train, %lld holdout\n",
			      (long long)json_integer_value(json_object_get(counts, "n_train")),
			      (long long)json_integer_value(json_object_get(counts, "n_valid")));
	if (mn_json_str(r, "trainer_exit", NULL))
		mn_cli_printf("  trainer:    %s\n", mn_json_str(r, "trainer_exit", ""));
	if (mn_json_str(r, "gate_verdict", NULL))
		mn_cli_printf("  gate:       %s\n", mn_json_str(r, "gate_verdict", ""));
	json_array_foreach(reasons, i, c)
		mn_cli_printf("    - %s\n", json_string_value(c) ? json_string_value(c) : "");
	if (json_array_size(gate)) {
		mn_cli_printf("  %-42s %10s %10s %10s  %s\n", "check", "candidate", "incumbent",
			      "threshold", "verdict");
		json_array_foreach(gate, i, c) {
			const json_t *cv = json_object_get(c, "candidate");
			const json_t *iv = json_object_get(c, "incumbent");
			char cs[32] = "-", is[32] = "-";

			if (json_is_number(cv))
				snprintf(cs, sizeof(cs), "%.4f", json_number_value(cv));
			if (json_is_number(iv))
				snprintf(is, sizeof(is), "%.4f", json_number_value(iv));
			mn_cli_printf("  %-42s %10s %10s %10g  %s\n", mn_json_str(c, "name", ""),
				      cs, is, mn_json_num(c, "threshold", 0),
				      mn_json_str(c, "verdict", ""));
		}
	}
	if (mn_json_str(r, "candidate_version", NULL))
		mn_cli_printf("  candidate:  %s\n", mn_json_str(r, "candidate_version", ""));
	if (mn_json_str(r, "deployed_version", NULL))
		mn_cli_printf("  deployed:   %s\n", mn_json_str(r, "deployed_version", ""));
	if (mn_json_str(r, "error", NULL))
		mn_cli_printf("  error:      %s\n", mn_json_str(r, "error", ""));
	if (mn_json_str(r, "request_dir", NULL))
		mn_cli_printf("  files:      %s\n", mn_json_str(r, "request_dir", ""));
}

static int cmd_request(int argc, char **argv)
{
	static const struct option lo[] = { COMMON_LONGOPTS,
					    { "reason", required_argument, NULL, 'r' },
					    { "batch-dir", required_argument, NULL, 'b' },
					    { "wait", no_argument, NULL, 'w' },
					    { 0 } };
	struct mn_train_request_opts o = { 0 };
	struct mn_ctx a;
	struct mn_err err = MN_ERR_INIT;
	const char *config = NULL;
	json_t *res = NULL;
	bool json = false;
	int c, code;

	o.trigger = "manual";
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(request_help, stdout);
			return 0;
		case 'j':
			json = true;
			break;
		case 'C':
			config = optarg;
			break;
		case 'r':
			o.reason = optarg;
			break;
		case 'b':
			o.batch_dir = optarg;
			break;
		case 'w':
			o.wait = true;
			break;
		default:
			return mn_cli_bad_option("train request", argv);
		}
	}
	if (optind != argc)
		return mn_cli_usage("train request", "unexpected argument '%s'", argv[optind]);
	code = mn_cli_open(&a, config);
	if (code)
		return code;
	if (mn_op_train_request(&a, &o, &res, &err)) {
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
	if (o.wait) {
		/* With --wait the answer is the finished run (as in training
		 * status's runs). */
		json_t *r = NULL;

		if (mn_train_status_json(&a, mn_json_str(res, "request_id", ""), 0, &r, &err)) {
			code = mn_cli_fail(&err);
			goto out;
		}
		if (json)
			mn_cli_print_json(r);
		else
			print_run(r);
		code = strcmp(mn_json_str(r, "state", ""), MN_RUN_DEPLOYED) ? MN_EXIT_FAIL
									  : MN_EXIT_OK;
		json_decref(r);
	} else if (json) {
		mn_cli_print_json(res);
	} else {
		mn_cli_printf("%s\n", mn_json_str(res, "request_id", ""));
	}
out:
	json_decref(res);
	mn_ctx_close(&a);
	return code;
}

#define TRAIN_STATUS_LIMIT_MAX 10000

static int cmd_status(int argc, char **argv)
{
	static const struct option lo[] = { COMMON_LONGOPTS,
					    { "limit", required_argument, NULL, 'n' },
					    { 0 } };
	struct mn_ctx a;
	struct mn_err err = MN_ERR_INIT;
	const char *config = NULL, *id = NULL;
	json_t *r = NULL;
	bool json = false;
	int c, code, limit = 20;
	int64_t v;

	optind = 1;
	while ((c = getopt_long(argc, argv, "hn:", lo, NULL)) != -1) {
		switch (c) {
		case 'h':
			mn_cli_printf(
				"usage: mnemo train status [ID] [--limit N] [--json]\n\n"
				"Training runs of the student and the ranker, newest first, with\n"
				"state, timings, batch counts and the gate table; one run in detail\n"
				"when ID is given.\n"
				"--limit N shows at most N runs [20, max 10000].\n");
			return 0;
		case 'j':
			json = true;
			break;
		case 'C':
			config = optarg;
			break;
		case 'n':
			if (!mn_text_parse_i64(&v, optarg, 1, TRAIN_STATUS_LIMIT_MAX))
				return mn_cli_usage("train status", "--limit must be 1..%d",
						    TRAIN_STATUS_LIMIT_MAX);
			limit = (int)v;
			break;
		default:
			return mn_cli_bad_option("train status", argv);
		}
	}
	if (optind < argc)
		id = argv[optind++];
	if (optind != argc)
		return mn_cli_usage("train status", "unexpected argument '%s'", argv[optind]);
	code = mn_cli_open(&a, config);
	if (code)
		return code;
	if (mn_op_training_status(&a, id, limit, &r, &err)) {
		code = mn_cli_fail(&err);
	} else if (json) {
		mn_cli_print_json(r);
	} else if (id) {
		print_run(json_array_get(json_object_get(r, "runs"), 0));
	} else {
		const json_t *runs = json_object_get(r, "runs");
		size_t i;
		json_t *v;

		if (json_array_size(runs) == 0)
			mn_cli_printf("no training runs yet\n");
		json_array_foreach(runs, i, v)
			print_run_line(v);
	}
	json_decref(r);
	mn_ctx_close(&a);
	return code;
}

static const char cancel_help[] =
	"usage: mnemo train cancel ID [--json]\n\n"
	"A requested run becomes cancelled; a running one is signalled: its\n"
	"orchestrator stops the trainer, runs hooks.after, marks it cancelled.\n";

static int cmd_cancel(int argc, char **argv)
{
	struct mn_cli_common opt;
	struct mn_ctx a;
	struct mn_err err = MN_ERR_INIT;
	char state[16];
	int code = mn_cli_parse_common(&opt, argc, argv, "train cancel", cancel_help);

	if (code >= 0)
		return code;
	if (optind + 1 != argc)
		return mn_cli_usage("train cancel", "expected one run id");
	code = mn_cli_open(&a, opt.config);
	if (code)
		return code;
	if (mn_train_cancel(&a, argv[optind], state, &err)) {
		code = mn_cli_fail(&err);
	} else if (opt.json) {
		json_t *j = json_pack("{s:s,s:s}", "request_id", argv[optind], "result", state);

		mn_cli_print_json(j);
		json_decref(j);
	} else {
		mn_cli_printf("run %s: %s\n", argv[optind], state);
	}
	mn_ctx_close(&a);
	return code;
}

int mn_cli_train(int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : NULL;

	if (!sub || !strcmp(sub, "-h") || !strcmp(sub, "--help")) {
		fputs(train_help, sub ? stdout : stderr);
		return sub ? 0 : MN_EXIT_USAGE;
	}
	if (!strcmp(sub, "batch"))
		return cmd_batch(argc - 1, argv + 1);
	if (!strcmp(sub, "request"))
		return cmd_request(argc - 1, argv + 1);
	if (!strcmp(sub, "run"))
		return cmd_run(argc - 1, argv + 1);
	if (!strcmp(sub, "status"))
		return cmd_status(argc - 1, argv + 1);
	if (!strcmp(sub, "cancel"))
		return cmd_cancel(argc - 1, argv + 1);
	if (!strcmp(sub, "ranker"))
		return mn_cli_train_ranker(argc - 1, argv + 1);
	return mn_cli_usage("train", "unknown command '%s'", sub);
}

/* ---- model ---- */

static const char model_help[] =
	"usage: mnemo model <command> [--model student|ranker] [--json] [--config FILE]\n"
	"\n"
	"The model registry (models/<student>/vNNNN, `current` symlink). Changes take\n"
	"effect for new encodings without a restart. --model ranker works on the\n"
	"learned ranker instead (models/ranker/vNNNN, docs/ranker.md); recall follows\n"
	"its `current` at once.\n"
	"\n"
	"commands:\n"
	"  list               versions with gate/live metrics, deployed/retired times\n"
	"  show VERSION       one version with its meta.json\n"
	"  rollback [VERSION] point current at VERSION, or at the previously deployed\n"
	"                     version (the shipped default when there is none); ends a pin\n"
	"  pin VERSION        point current at VERSION and keep it there: runs that pass\n"
	"                     the gate register their version but do not switch to it\n"
	"  unpin              let deploys move current again\n";

static void print_versions(const json_t *arr)
{
	size_t i;
	json_t *v;

	if (json_array_size(arr) == 0) {
		mn_cli_printf("no versions yet: the shipped default model is in use\n");
		return;
	}
	mn_cli_printf("  %-8s %-12s %-7s %-7s %-24s %s\n", "version", "state", "epr", "sc",
		      "deployed", "run");
	json_array_foreach(arr, i, v) {
		const json_t *g = json_object_get(v, "gate_metrics");
		char epr[16] = "-", sc[16] = "-";

		if (json_is_number(json_object_get(g, "epr")))
			snprintf(epr, sizeof(epr), "%.3f", mn_json_num(g, "epr", 0));
		if (json_is_number(json_object_get(g, "sc_rate")))
			snprintf(sc, sizeof(sc), "%.3f", mn_json_num(g, "sc_rate", 0));
		mn_cli_printf("%c %-8s %-12s %-7s %-7s %-24s %s%s\n",
			      json_is_true(json_object_get(v, "current")) ? '*' : ' ',
			      mn_json_str(v, "version", ""), mn_json_str(v, "state", ""), epr, sc,
			      mn_json_str(v, "deployed_at", "-"),
			      mn_json_str(v, "training_run", "-"),
			      json_is_true(json_object_get(v, "pinned")) ? "  (pinned)" : "");
	}
}

static void print_ranker_versions(const json_t *o)
{
	const json_t *arr = json_object_get(o, "versions");
	size_t i;
	json_t *v;

	mn_cli_printf("ranker: current %s (recall uses %s)\n", mn_json_str(o, "current", ""),
		      mn_json_str(o, "source", "?"));
	if (json_array_size(arr) == 0) {
		mn_cli_printf("no versions yet: the shipped default ranker is in use\n");
		return;
	}
	mn_cli_printf("  %-8s %-12s %-8s %-8s %-8s %-24s %s\n", "version", "state", "h.ndcg",
		      "h.mrr", "b.ndcg", "deployed", "run");
	json_array_foreach(arr, i, v) {
		const json_t *g = json_object_get(v, "gate_metrics");
		const json_t *h = json_object_get(g, "holdout"), *b = json_object_get(g, "bench");
		char hn[16] = "-", hm[16] = "-", bn[16] = "-";

		if (json_is_number(json_object_get(h, "ndcg10")))
			snprintf(hn, sizeof(hn), "%.4f", mn_json_num(h, "ndcg10", 0));
		if (json_is_number(json_object_get(h, "mrr")))
			snprintf(hm, sizeof(hm), "%.4f", mn_json_num(h, "mrr", 0));
		if (json_is_number(json_object_get(b, "ndcg10")))
			snprintf(bn, sizeof(bn), "%.4f", mn_json_num(b, "ndcg10", 0));
		mn_cli_printf("%c %-8s %-12s %-8s %-8s %-8s %-24s %s%s\n",
			      json_is_true(json_object_get(v, "current")) ? '*' : ' ',
			      mn_json_str(v, "version", ""), mn_json_str(v, "state", ""), hn, hm,
			      bn, mn_json_str(v, "deployed_at", "-"),
			      mn_json_str(v, "training_run", "-"),
			      json_is_true(json_object_get(v, "pinned")) ? "  (pinned)" : "");
	}
}

int mn_cli_model(int argc, char **argv)
{
	static const struct option lo[] = { COMMON_LONGOPTS,
					    { "model", required_argument, NULL, 'M' },
					    { 0 } };
	struct mn_cli_common opt = { false, NULL };
	struct mn_ctx a;
	struct mn_err err = MN_ERR_INIT;
	const char *sub, *arg = NULL, *model = NULL;
	json_t *out = NULL;
	int c, code, ret = 0;
	bool ranker;

	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		fputs(model_help, argc < 2 ? stderr : stdout);
		return argc < 2 ? MN_EXIT_USAGE : 0;
	}
	sub = argv[1];
	argc--;
	argv++;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(model_help, stdout);
			return 0;
		case 'j':
			opt.json = true;
			break;
		case 'C':
			opt.config = optarg;
			break;
		case 'M':
			model = optarg;
			break;
		default:
			return mn_cli_bad_option("model", argv);
		}
	}
	if (!mn_op_model_known(model))
		return mn_cli_usage("model", "--model must be student or ranker");
	ranker = model && !strcmp(model, MN_MODEL_RANKER);
	if (optind < argc)
		arg = argv[optind++];
	if (optind != argc)
		return mn_cli_usage("model", "unexpected argument '%s'", argv[optind]);
	if (strcmp(sub, "list") && strcmp(sub, "show") && strcmp(sub, "rollback") &&
	    strcmp(sub, "pin") && strcmp(sub, "unpin"))
		return mn_cli_usage("model", "unknown command '%s'", sub);
	if ((!strcmp(sub, "show") || !strcmp(sub, "pin")) && !arg)
		return mn_cli_usage("model", "'%s' needs a VERSION", sub);
	if ((!strcmp(sub, "list") || !strcmp(sub, "unpin")) && arg)
		return mn_cli_usage("model", "'%s' takes no argument", sub);
	code = mn_cli_open(&a, opt.config);
	if (code)
		return code;
	if (!strcmp(sub, "list")) {
		ret = mn_op_model_list_for(&a, model, &out, &err);
		if (!ret && !opt.json && ranker)
			print_ranker_versions(out);
		else if (!ret && !opt.json)
			print_versions(json_object_get(out, "versions"));
	} else if (!strcmp(sub, "show")) {
		ret = mn_op_model_show_for(&a, model, arg, &out, &err);
		if (!ret && !opt.json)
			mn_cli_print_json(out);
	} else if (!strcmp(sub, "rollback")) {
		ret = mn_op_model_rollback_for(&a, model, arg, &out, &err);
		if (!ret && !opt.json)
			mn_cli_printf("current is now %s\n", mn_json_str(out, "current", ""));
	} else if (!strcmp(sub, "pin")) {
		ret = mn_op_model_pin_for(&a, model, arg, &out, &err);
		if (!ret && !opt.json)
			mn_cli_printf("current is %s, pinned\n", mn_json_str(out, "current", ""));
	} else {
		ret = mn_op_model_unpin_for(&a, model, &out, &err);
		if (!ret && !opt.json)
			mn_cli_printf("unpinned; current is %s\n", mn_json_str(out, "current", ""));
	}
	if (ret)
		code = mn_cli_fail(&err);
	else if (opt.json)
		mn_cli_print_json(out);
	json_decref(out);
	mn_ctx_close(&a);
	return code;
}

/* ---- install-units ---- */

int mn_cli_install_units(int argc, char **argv)
{
	static const struct option lo[] = { COMMON_LONGOPTS,
					    { "dir", required_argument, NULL, 'd' },
					    { 0 } };
	struct mn_ctx a;
	struct mn_err err = MN_ERR_INIT;
	const char *config = NULL, *dir = NULL;
	json_t *out = NULL;
	bool json = false;
	int c, code;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'h':
			mn_cli_printf(
				"usage: mnemo install-units [--dir DIR] [--json]\n\n"
				"Write systemd user units for this installation: mnemo.service\n"
				"(Type=notify, mnemo serve), mnemo-train.path (watches\n"
				"training/pending.json) and mnemo-train.service (mnemo train run\n"
				"--pending), with the real paths of this executable and data "
				"home.\n"
				"Default DIR: ~/.config/systemd/user. See docs/systemd.md.\n");
			return 0;
		case 'j':
			json = true;
			break;
		case 'C':
			config = optarg;
			break;
		case 'd':
			dir = optarg;
			break;
		default:
			return mn_cli_bad_option("install-units", argv);
		}
	}
	if (optind != argc)
		return mn_cli_usage("install-units", "unexpected argument '%s'", argv[optind]);
	code = mn_cli_open(&a, config);
	if (code)
		return code;
	if (mn_units_write(&out, &a, dir, &err)) {
		code = mn_cli_fail(&err);
	} else if (json) {
		mn_cli_print_json(out);
	} else {
		size_t i;
		json_t *v;

		json_array_foreach(json_object_get(out, "files"), i, v)
			mn_cli_printf("wrote %s\n", json_string_value(v));
		mn_cli_printf("\nnext steps:\n");
		json_array_foreach(json_object_get(out, "next_steps"), i, v)
			mn_cli_printf("  %s\n", json_string_value(v));
	}
	json_decref(out);
	mn_ctx_close(&a);
	return code;
}

/* ---- mnemo train batch ---- */

static const char batch_help[] =
	"usage: mnemo train batch [--out DIR] [--json]\n"
	"\n"
	"Assemble a training batch from the experience buffer now and print its\n"
	"manifest (docs/learning.md): train.jsonl (chat format), train.raw.jsonl\n"
	"(the builtin trainer's format), preference.jsonl (corrected rows),\n"
	"valid.jsonl and valid.raw.jsonl (the fixed holdout), manifest.json.\n"
	"Rows are not claimed: an on-demand batch does not change what the next\n"
	"training run will use.\n"
	"\n"
	"  -o, --out DIR          batch directory [<home>/training/batches/<id>]\n"
	"      --json             print the manifest as JSON\n"
	"      --config FILE      configuration file\n"
	"  -h, --help             this help\n"
	"\n"
	"Exit codes: 0 written, 1 failure, 2 usage, 5 nothing to train on.\n";

static int cmd_batch(int argc, char **argv)
{
	static const struct option lo[] = { { "help", no_argument, NULL, 'h' },
					    { "json", no_argument, NULL, 'j' },
					    { "config", required_argument, NULL, 'C' },
					    { "out", required_argument, NULL, 'o' },
					    { 0 } };
	const char *config = NULL, *out_dir = NULL;
	struct mn_ctx a;
	struct mn_err err = MN_ERR_INIT;
	struct mn_batch_result r;
	struct mn_batch_opts o = { 0 };
	char id[37], *dir = NULL;
	bool json = false;
	int c, code;

	memset(&r, 0, sizeof(r));
	optind = 1;
	while ((c = getopt_long(argc, argv, "ho:", lo, NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(batch_help, stdout);
			return 0;
		case 'j':
			json = true;
			break;
		case 'C':
			config = optarg;
			break;
		case 'o':
			out_dir = optarg;
			break;
		default:
			return mn_cli_bad_option("train batch", argv);
		}
	}
	if (optind != argc)
		return mn_cli_usage("train batch", "unexpected argument '%s'", argv[optind]);
	code = mn_cli_open(&a, config);
	if (code)
		return code;
	mn_text_uuid4(id);
	dir = out_dir ? mn_xstrdup(out_dir) : mn_xasprintf("%s/training/batches/%s", a.home, id);
	o.out_dir = dir;
	o.batch_id = id;
	o.claim_rows = false;
	if (mn_batch_assemble(&a, &r, &o, &err)) {
		code = mn_cli_fail(&err);
		goto out;
	}
	if (json) {
		json_t *m = json_deep_copy(r.manifest);

		json_object_set_new(m, "dir", json_string(dir));
		mn_cli_print_json(m);
		json_decref(m);
	} else {
		const json_t *cn = json_object_get(r.manifest, "counts");

		printf("batch %s written to %s\n", r.batch_id, dir);
		printf("  train %zu (gold %lld, corrected %lld, human %lld, replay %lld)\n",
		       r.n_train, (long long)json_integer_value(json_object_get(cn, "gold")),
		       (long long)json_integer_value(json_object_get(cn, "corrected")),
		       (long long)json_integer_value(json_object_get(cn, "human")),
		       (long long)json_integer_value(json_object_get(cn, "replay")));
		printf("  holdout %zu, preference pairs %zu, deferred %lld\n", r.n_valid,
		       r.n_preference,
		       (long long)json_integer_value(json_object_get(cn, "deferred")));
	}
out:
	mn_batch_result_release(&r);
	free(dir);
	mn_ctx_close(&a);
	return code;
}

/* ---- mnemo train run ---- */

static volatile sig_atomic_t orch_stop;

static const char run_help[] =
	"usage: mnemo train run (--request ID | --pending) [--json]\n"
	"\n"
	"Run one training request to its end (the orchestrator): hooks.before, batch,\n"
	"trainer, evaluation of candidate and incumbent, gate, deploy or reject,\n"
	"hooks.after (always), result.json. One run at a time (training/lock).\n"
	"SIGTERM or SIGINT stop the trainer, run hooks.after and mark the run cancelled.\n"
	"\n"
	"      --request ID   the request to run\n"
	"      --pending      the request named by training/pending.json (systemd)\n"
	"      --json         print result.json\n"
	"      --config FILE  configuration file\n"
	"  -h, --help         this help\n"
	"\n"
	"Exit: 0 the run deployed, 1 it failed or was rejected or cancelled, 3 unknown\n"
	"request, 5 another run holds the lock.\n";

static int cmd_run(int argc, char **argv)
{
	static const struct option lo[] = { { "help", no_argument, NULL, 'h' },
					    { "json", no_argument, NULL, 'j' },
					    { "config", required_argument, NULL, 'C' },
					    { "request", required_argument, NULL, 'r' },
					    { "pending", no_argument, NULL, 'p' },
					    { 0 } };
	struct mn_orch_opts oo = { 0 };
	struct mn_ctx a;
	struct mn_err err = MN_ERR_INIT;
	const char *config = NULL;
	json_t *result = NULL;
	bool json = false;
	int c, code;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(run_help, stdout);
			return 0;
		case 'j':
			json = true;
			break;
		case 'C':
			config = optarg;
			break;
		case 'r':
			oo.request_id = optarg;
			break;
		case 'p':
			oo.pending = true;
			break;
		default:
			return mn_cli_bad_option("train run", argv);
		}
	}
	if (optind != argc)
		return mn_cli_usage("train run", "unexpected argument '%s'", argv[optind]);
	if (!oo.pending == !oo.request_id)
		return mn_cli_usage("train run", "give exactly one of --request ID and --pending");
	mn_signal_stop_on(&orch_stop, (const int[]){ SIGTERM, SIGINT, 0 },
			  (const int[]){ SIGPIPE, SIGHUP, 0 });
	oo.stop = &orch_stop;
	code = mn_cli_open(&a, config);
	if (code)
		return code;
	if (mn_orch_run(&a, &result, &oo, &err)) {
		code = mn_cli_fail(&err);
		goto out;
	}
	{
		const char *state = mn_json_str(result, "state", "?");

		if (json) {
			mn_cli_print_json(result);
		} else {
			const char *e = mn_json_str(result, "error", NULL);

			printf("run %s: %s", mn_json_str(result, "request_id", "?"), state);
			if (mn_json_str(result, "deployed_version", NULL))
				printf(" (%s)", mn_json_str(result, "deployed_version", ""));
			if (e)
				printf(": %s", e);
			printf("\n");
			if (mn_json_str(result, "note", NULL))
				printf("%s\n", mn_json_str(result, "note", ""));
		}
		code = strcmp(state, MN_RUN_DEPLOYED) ? MN_EXIT_FAIL : MN_EXIT_OK;
	}
out:
	json_decref(result);
	mn_ctx_close(&a);
	return code;
}
