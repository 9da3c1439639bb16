/*
 * cli_dream.c - `mnemo dream` (one dream cycle now) and `mnemo experience
 * report` (the hard-example report of the last cycle).
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "base/json.h"
#include "base/signal.h"
#include "cli/cli.h"
#include "train/dream.h"

static volatile sig_atomic_t stop_flag;

static const char *const report_labels[][2] = {
	{ "dense_numbers", "dense numbers (>= 5 numbers, EPR < 0.8)" },
	{ "short_input_flagged", "short input with flags" },
	{ "template_echo", "template echo" },
	{ "low_confidence", "low confidence" },
	{ "new_concepts", "concepts new to the buffer" },
};

static void print_report(const json_t *rep)
{
	const json_t *cats = json_object_get(rep, "categories");

	mn_cli_printf("hard examples of cycle %s (%s), %lld row(s) examined%s%s\n",
		      mn_json_str(rep, "cycle_id", "?"), mn_json_str(rep, "created_at", "?"),
		      (long long)json_integer_value(json_object_get(rep, "rows_examined")),
		      json_is_string(json_object_get(rep, "since")) ? " since " : "",
		      mn_json_str(rep, "since", ""));
	for (size_t i = 0; i < sizeof(report_labels) / sizeof(report_labels[0]); i++) {
		const json_t *c = json_object_get(cats, report_labels[i][0]);
		const json_t *ids = json_object_get(c, "sample_ids"), *v;
		size_t k;

		mn_cli_printf("  %-42s %lld\n", report_labels[i][1],
			      (long long)json_integer_value(json_object_get(c, "count")));
		json_array_foreach(ids, k, v)
			mn_cli_printf("      %s\n", json_string_value(v));
		if (json_array_size(json_object_get(c, "concepts"))) {
			mn_cli_printf("      new:");
			json_array_foreach(json_object_get(c, "concepts"), k, v)
				mn_cli_printf(" %s", json_string_value(v));
			mn_cli_printf("\n");
		}
	}
}

int mn_cli_experience_report(struct mn_ctx *a, bool json)
{
	struct mn_err err = MN_ERR_INIT;
	json_t *rep = NULL;

	if (mn_dream_last_report(a, &rep, &err))
		return mn_cli_fail(&err);
	if (!rep) {
		mn_err_set(&err, MN_ENOTFOUND,
			   "no hard-example report yet: run 'mnemo dream' (or let 'mnemo serve' "
			   "dream) first");
		return mn_cli_fail(&err);
	}
	if (json)
		mn_cli_print_json(rep);
	else
		print_report(rep);
	json_decref(rep);
	return 0;
}

static void print_phase(const json_t *p)
{
	const char *name = mn_json_str(p, "name", "?");
	const char *status = mn_json_str(p, "status", "?");
	const char *reason = mn_json_str(p, "reason", NULL);
	const char *error = mn_json_str(p, "error", NULL);

	mn_cli_printf("  %-11s %-11s %5lld ms", name, status,
		      (long long)json_integer_value(json_object_get(p, "ms")));
	if (error) {
		mn_cli_printf("  %s\n", error);
		return;
	}
	if (!strcmp(name, "recover")) {
		mn_cli_printf(
			"  %lld training run(s) failed, %lld cycle(s) and %lld curriculum run(s) "
			"interrupted",
			(long long)json_integer_value(json_object_get(p, "training_runs_failed")),
			(long long)json_integer_value(
				json_object_get(p, "dream_cycles_interrupted")),
			(long long)json_integer_value(
				json_object_get(p, "curriculum_runs_interrupted")));
	} else if (!strcmp(name, "reclassify")) {
		const json_t *b = json_object_get(p, "buffer");

		mn_cli_printf(
			"  %lld changed; gold %lld, needs_improvement %lld, ambiguous %lld, "
			"excluded %lld",
			(long long)json_integer_value(json_object_get(p, "changed")),
			(long long)json_integer_value(json_object_get(b, "gold")),
			(long long)json_integer_value(json_object_get(b, "needs_improvement")),
			(long long)json_integer_value(json_object_get(b, "ambiguous")),
			(long long)json_integer_value(json_object_get(b, "excluded")));
	} else if (!strcmp(name, "curriculum") && json_object_get(p, "attempted")) {
		mn_cli_printf(
			"  %lld sent, %lld accepted, %lld rejected, %lld errors, %lld to ambiguous",
			(long long)json_integer_value(json_object_get(p, "attempted")),
			(long long)json_integer_value(json_object_get(p, "passed")),
			(long long)json_integer_value(json_object_get(p, "rejected")),
			(long long)json_integer_value(json_object_get(p, "errors")),
			(long long)json_integer_value(json_object_get(p, "moved_to_ambiguous")));
	} else if (!strcmp(name, "report")) {
		const json_t *c = json_object_get(p, "counts");

		mn_cli_printf(
			"  %lld examined; dense %lld, short+flags %lld, echo %lld, low conf %lld, "
			"new concepts %lld",
			(long long)json_integer_value(json_object_get(p, "rows_examined")),
			(long long)json_integer_value(json_object_get(c, "dense_numbers")),
			(long long)json_integer_value(json_object_get(c, "short_input_flagged")),
			(long long)json_integer_value(json_object_get(c, "template_echo")),
			(long long)json_integer_value(json_object_get(c, "low_confidence")),
			(long long)json_integer_value(json_object_get(c, "new_concepts")));
	} else if (!strcmp(name, "drift")) {
		const json_t *w = json_object_get(p, "window");

		mn_cli_printf("  %s; window %lld, EPR %.3f, SC %.3f%s",
			      mn_json_str(p, "state", "?"),
			      (long long)json_integer_value(json_object_get(w, "n")),
			      mn_json_num(w, "epr", 0), mn_json_num(w, "sc", 0),
			      json_is_true(json_object_get(p, "drift")) ? "; drift signal" : "");
	} else if (!strcmp(name, "training")) {
		const char *d = mn_json_str(p, "decision", NULL);

		if (!d)
			d = mn_json_str(p, "reason", NULL);
		if (d)
			mn_cli_printf("  %s", d);
	}
	if (reason)
		mn_cli_printf("%s%s", strcmp(name, "training") ? "  " : "; ", reason);
	mn_cli_printf("\n");
}

/* A cycle that ran but had a phase fail ("partial") is a failure of the
 * command: name each failed phase on stderr and return 1. */
static int report_failed_phases(const json_t *rep)
{
	const json_t *p;
	size_t i;
	int code = MN_EXIT_OK;

	json_array_foreach(json_object_get(rep, "phases"), i, p)
	{
		struct mn_err e = MN_ERR_INIT;
		const char *why = mn_json_str(p, "error", NULL);

		if (strcmp(mn_json_str(p, "status", ""), "failed"))
			continue;
		if (!why)
			why = mn_json_str(p, "reason", "no reason recorded");
		mn_err_set(&e, MN_EFAIL, "dream cycle %s: phase %s failed: %s",
			   mn_json_str(rep, "id", "?"), mn_json_str(p, "name", "?"), why);
		code = mn_cli_fail(&e);
	}
	return code;
}

static const char dream_help[] =
	"usage: mnemo dream [--json]\n"
	"\n"
	"Run one dream cycle now and print what each phase did: recover (orphaned\n"
	"training runs), reclassify (the experience buffer), curriculum (teacher\n"
	"corrections of needs_improvement rows), report (hard examples; see\n"
	"'mnemo experience report'), drift (quality window against its baseline),\n"
	"training (the trigger check). 'mnemo serve' runs the same cycle every\n"
	"dreaming.interval. SIGINT/SIGTERM stop the cycle at the next safe point;\n"
	"it is then recorded as interrupted.\n"
	"\n"
	"      --json             print the cycle record as JSON\n"
	"      --config FILE      configuration file\n"
	"  -h, --help             this help\n"
	"\n"
	"Exit codes: 0 every phase ran or was skipped, 1 a phase failed (each failed\n"
	"phase is named on stderr; the cycle is recorded as partial), the cycle\n"
	"failed or was interrupted, 5 another dream cycle is running.\n";

int mn_cli_dream(int argc, char **argv)
{
	struct mn_cli_common opt;
	struct mn_ctx a;
	struct mn_err err = MN_ERR_INIT;
	json_t *rep = NULL;
	int code = mn_cli_parse_common(&opt, argc, argv, "dream", dream_help), ret;

	if (code >= 0)
		return code;
	if (optind != argc)
		return mn_cli_usage("dream", "unexpected argument '%s'", argv[optind]);
	code = mn_cli_open(&a, opt.config);
	if (code)
		return code;
	mn_signal_stop_on(&stop_flag, (const int[]){ SIGINT, SIGTERM, 0 }, NULL);
	ret = mn_dream_run(&a, "manual", &stop_flag, &rep, &err);
	if (rep) {
		if (opt.json) {
			mn_cli_print_json(rep);
		} else {
			const json_t *v;
			size_t i;

			mn_cli_printf("dream cycle %s: %s\n", mn_json_str(rep, "id", "?"),
				      mn_json_str(rep, "status", "?"));
			json_array_foreach(json_object_get(rep, "phases"), i, v)
				print_phase(v);
		}
	}
	code = ret ? mn_cli_fail(&err) : report_failed_phases(rep);
	json_decref(rep);
	mn_ctx_close(&a);
	return code;
}
