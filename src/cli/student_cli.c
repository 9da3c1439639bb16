#include "cli/student_cli.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "base/err.h"
#include "base/text.h"
#include "model/student.h"
#include "train/student_train.h"

static const char usage[] =
	"usage: mnemo trainer builtin --batch-dir DIR --out DIR [--incumbent DIR] [--seed N]\n"
	"                             [--quiet]\n"
	"\n"
	"Train the builtin student on a batch directory and write the model to --out.\n"
	"\n"
	"  --batch-dir DIR  reads DIR/train.raw.jsonl, and DIR/valid.raw.jsonl if present\n"
	"  --out DIR        writes DIR/model.bin and DIR/metrics.json (created if missing)\n"
	"  --incumbent DIR  warm-start from the model in DIR (optional; empty = none)\n"
	"  --seed N         training seed (default 42); same inputs and seed give the\n"
	"                   same model.bin byte for byte\n"
	"  --quiet          no progress lines on stderr\n"
	"  --help           show this help\n"
	"\n"
	"Exit codes: 0 trained, 1 training failed, 2 usage error.\n";

/* "--name VALUE" or "--name=VALUE": the value, advancing *i; NULL if absent. */
static const char *option_value(int argc, char **argv, int *i, const char *name, bool *missing)
{
	size_t n = strlen(name);
	const char *a = argv[*i];

	if (strncmp(a, name, n))
		return NULL;
	if (a[n] == '=')
		return a + n + 1;
	if (a[n] != '\0')
		return NULL;
	if (*i + 1 >= argc || !argv[*i + 1]) {
		*missing = true;
		return NULL;
	}
	return argv[++*i];
}

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "mnemo trainer builtin: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n(see mnemo trainer builtin --help)\n");
	return 2;
}

int mn_student_cli_train(int argc, char **argv)
{
	struct mn_student_train_opts o = { NULL, NULL, NULL, 42, true };
	struct mn_err err = MN_ERR_INIT;
	int64_t seed;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v;
		bool missing = false;

		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			fputs(usage, stdout);
			return 0;
		}
		if (!strcmp(a, "--quiet") || !strcmp(a, "-q")) {
			o.progress = false;
			continue;
		}
		if (i == 1 && !strcmp(a, "builtin"))
			continue; /* tolerate being handed "builtin ..." */
		if ((v = option_value(argc, argv, &i, "--batch-dir", &missing)) != NULL) {
			o.batch_dir = v;
		} else if ((v = option_value(argc, argv, &i, "--out", &missing)) != NULL) {
			o.out_dir = v;
		} else if ((v = option_value(argc, argv, &i, "--incumbent", &missing)) != NULL) {
			o.incumbent = *v ? v : NULL;
		} else if ((v = option_value(argc, argv, &i, "--seed", &missing)) != NULL) {
			if (!mn_text_parse_i64(&seed, v, 0, INT64_MAX))
				return usage_error("bad --seed '%s' (want a non-negative integer)",
						   v);
			o.seed = (uint64_t)seed;
		} else if (missing) {
			return usage_error("option '%s' needs a value", a);
		} else {
			return usage_error("unknown argument '%s'", a);
		}
		if (missing)
			return usage_error("option '%s' needs a value", a);
	}
	if (!o.batch_dir || !*o.batch_dir)
		return usage_error("%s is required", "--batch-dir");
	if (!o.out_dir || !*o.out_dir)
		return usage_error("%s is required", "--out");
	if (mn_student_train(&o, &err)) {
		fprintf(stderr, "mnemo trainer builtin: %s\n", err.msg);
		return 1;
	}
	return 0;
}
