/*
 * cli_browse.c - the everyday memory commands: list, show, edit, dedup,
 * export, import, and `remember --jsonl` (app/browse.h).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app/browse.h"
#include "base/buf.h"
#include "base/file.h"
#include "base/json.h"
#include "base/limits.h"
#include "base/mem.h"
#include "base/text.h"
#include "cli/cli.h"

#define BATCH_LINES 2000
/* A line of an export or --jsonl file: the text limit's ceiling plus room
 * for its encoding, history and quoting. */
#define LINE_MAX_BYTES MN_LIMIT_JSON_FILE_BYTES

static int opt_limit(int *out, const char *cmd, const char *arg, int max)
{
	int64_t v;

	if (!mn_text_parse_i64(&v, arg, 1, max))
		return mn_cli_usage(cmd, "--limit must be 1..%d", max);
	*out = (int)v;
	return 0;
}

static const char *excerpt_src(const json_t *m)
{
	const json_t *enc = json_object_get(m, "encoding");
	const char *g = mn_json_str(enc, "gist", NULL);

	return g && *g ? g : mn_json_str(m, "text", "");
}

static void print_item(const json_t *m)
{
	const char *id = mn_json_str(m, "id", NULL);
	const char *s = excerpt_src(m);
	long long rep = (long long)json_integer_value(json_object_get(m, "repeat_count"));

	mn_cli_printf("%s  %.19s  %-8s %s%s%s%s\n    %.*s\n",
		      id ? id : mn_json_str(m, "raw_id", ""), mn_json_str(m, "remembered_at", ""),
		      mn_json_str(m, "state", ""), mn_json_str(m, "project", "-"),
		      mn_json_str(m, "type", NULL) ? "/" : "", mn_json_str(m, "type", ""),
		      rep > 1 ? " (repeated)" : "", (int)mn_text_utf8_cut(s, strlen(s), 160), s);
}

/* ---- list ---- */

/* "projects: alpha 30, beta 12, (none) 5 (47 in all)": what the filter
 * selects, all pages together. */
static void print_projects(json_t *projects)
{
	struct mn_buf line = MN_BUF_INIT;
	const char *name;
	json_t *v;
	json_int_t total = 0;

	if (!json_object_size(projects))
		return;
	json_object_foreach(projects, name, v) {
		if (*name)
			mn_buf_addf(&line, "%s%s %lld", line.len ? ", " : "", name,
				    (long long)json_integer_value(v));
		total += json_integer_value(v);
	}
	/* those without a project last */
	if (json_object_get(projects, ""))
		mn_buf_addf(&line, "%s(none) %lld", line.len ? ", " : "",
			    (long long)json_integer_value(json_object_get(projects, "")));
	if (json_object_size(projects) > 1)
		mn_buf_addf(&line, " (%lld in all)", (long long)total);
	mn_cli_printf("projects: %s\n", mn_buf_str(&line));
	mn_buf_release(&line);
}

static const char list_help[] =
	"usage: mnemo list [options]\n"
	"\n"
	"List stored memories, newest first, one page at a time. Observations not yet\n"
	"encoded are listed too (state queued, claimed or failed). When more follow,\n"
	"the last line gives the --cursor of the next page. A line 'projects:' counts\n"
	"what the filters select, all pages together, by project.\n"
	"\n"
	"  -p, --project NAME     only this project (exact, case-sensitive)\n"
	"  -t, --type TYPE        only this type\n"
	"  -s, --source SOURCE    only this source\n"
	"      --state STATE      only queued, claimed, encoded or failed\n"
	"  -c, --category C       only gold, needs_improvement, ambiguous or excluded\n"
	"      --since TIME       remembered at or after TIME (ISO-8601)\n"
	"      --until TIME       remembered before TIME (ISO-8601)\n"
	"      --oldest           oldest first\n"
	"  -n, --limit N          at most N per page [20, max 1000]\n"
	"      --cursor C         the page after the one that returned C\n"
	"      --json             machine-readable output\n"
	"      --config FILE      configuration file\n"
	"  -h, --help             this help\n";

int mn_cli_list(int argc, char **argv)
{
	static const struct option lo[] = { MN_CLI_COMMON_OPTIONS,
					    { "project", required_argument, NULL, 'p' },
					    { "type", required_argument, NULL, 't' },
					    { "source", required_argument, NULL, 's' },
					    { "state", required_argument, NULL, 'S' },
					    { "category", required_argument, NULL, 'c' },
					    { "since", required_argument, NULL, 'a' },
					    { "until", required_argument, NULL, 'b' },
					    { "oldest", no_argument, NULL, 'o' },
					    { "limit", required_argument, NULL, 'n' },
					    { "cursor", required_argument, NULL, 'k' },
					    { 0 } };
	struct mn_browse_filter f = { 0 };
	const char *config = NULL, *cursor = NULL;
	struct mn_err err = MN_ERR_INIT;
	struct mn_ctx a;
	json_t *res = NULL;
	bool json = false;
	int c, code, limit = MN_BROWSE_PAGE_DEFAULT;

	optind = 1;
	while ((c = getopt_long(argc, argv, "hp:t:s:c:n:", lo, NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(list_help, stdout);
			return 0;
		case 'j':
			json = true;
			break;
		case 'C':
			config = optarg;
			break;
		case 'p':
			f.project = optarg;
			break;
		case 't':
			f.type = optarg;
			break;
		case 's':
			f.source = optarg;
			break;
		case 'S':
			if (strcmp(optarg, "queued") && strcmp(optarg, "claimed") &&
			    strcmp(optarg, "encoded") && strcmp(optarg, "failed"))
				return mn_cli_usage("list", "--state must be queued, claimed, "
						    "encoded or failed");
			f.state = optarg;
			break;
		case 'c':
			if (strcmp(optarg, "gold") && strcmp(optarg, "needs_improvement") &&
			    strcmp(optarg, "ambiguous") && strcmp(optarg, "excluded"))
				return mn_cli_usage("list", "--category must be gold, "
						    "needs_improvement, ambiguous or excluded");
			f.category = optarg;
			break;
		case 'a':
			f.since = optarg;
			break;
		case 'b':
			f.until = optarg;
			break;
		case 'o':
			f.oldest_first = true;
			break;
		case 'n':
			code = opt_limit(&limit, "list", optarg, MN_BROWSE_PAGE_MAX);
			if (code)
				return code;
			break;
		case 'k':
			cursor = optarg;
			break;
		default:
			return mn_cli_bad_option("list", argv);
		}
	}
	if (optind != argc)
		return mn_cli_usage("list", "unexpected argument '%s'", argv[optind]);
	code = mn_cli_open(&a, config);
	if (code)
		return code;
	if (mn_op_list(&a, &f, cursor, limit, &res, &err)) {
		code = mn_cli_fail(&err);
		goto out;
	}
	if (json) {
		mn_cli_print_json(res);
	} else {
		const json_t *mems = json_object_get(res, "memories");
		const char *next = mn_json_str(res, "nextCursor", NULL);

		if (!json_array_size(mems))
			mn_cli_printf("no memories\n");
		for (size_t i = 0; i < json_array_size(mems); i++)
			print_item(json_array_get(mems, i));
		print_projects(json_object_get(res, "projects"));
		if (next)
			mn_cli_printf("more: mnemo list --cursor %s\n", next);
	}
out:
	json_decref(res);
	mn_ctx_close(&a);
	return code;
}

/* ---- show ---- */

static const char show_help[] =
	"usage: mnemo show [options] ID\n"
	"\n"
	"Show one memory (memory id or raw id): its text, encoding, metrics, flags,\n"
	"experience-buffer row and correction, ratings, repetitions and history\n"
	"(earlier encodings and texts after amend, edit and dedup).\n"
	"\n"
	"      --json             machine-readable output\n"
	"      --config FILE      configuration file\n"
	"  -h, --help             this help\n";

int mn_cli_show(int argc, char **argv)
{
	struct mn_cli_common opt;
	struct mn_err err = MN_ERR_INIT;
	struct mn_ctx a;
	json_t *res = NULL;
	int code = mn_cli_parse_common(&opt, argc, argv, "show", show_help);

	if (code >= 0)
		return code;
	if (optind != argc - 1)
		return mn_cli_usage("show", "expected one ID");
	code = mn_cli_open(&a, opt.config);
	if (code)
		return code;
	if (mn_op_show(&a, argv[optind], &res, &err)) {
		code = mn_cli_fail(&err);
	} else if (opt.json) {
		mn_cli_print_json(res);
	} else {
		char *enc = mn_json_dumps_indent(json_object_get(res, "encoding"), 2);
		char *met = mn_json_dumps(json_object_get(res, "metrics"));
		char *flags = mn_json_dumps(json_object_get(res, "flags"));
		const json_t *fb = json_object_get(res, "feedback"), *hist = json_object_get(res, "history");
		const json_t *v;
		size_t i;

		long long rep = (long long)json_integer_value(json_object_get(res, "repeat_count"));

		mn_cli_printf("memory     %s\nraw        %s\nstate      %s\nproject    %s\n"
			      "type       %s\nsource     %s\nhappened   %s\nremembered %s\n",
			      mn_json_str(res, "id", "-"), mn_json_str(res, "raw_id", ""),
			      mn_json_str(res, "state", ""), mn_json_str(res, "project", "-"),
			      mn_json_str(res, "type", "-"), mn_json_str(res, "source", "-"),
			      mn_json_str(res, "time", "-"), mn_json_str(res, "remembered_at", ""));
		if (rep > 1)
			mn_cli_printf("repeated   %lld times, last %s\n", rep,
				      mn_json_str(res, "last_seen_at", "-"));
		mn_cli_printf("text\n  %s\n", mn_json_str(res, "text", ""));
		if (json_is_string(json_object_get(res, "id")))
			mn_cli_printf("encoding (%s %s)\n%s\nmetrics    %s\nflags      %s\n"
				      "category   %s\n",
				      mn_json_str(res, "encoder", ""),
				      mn_json_str(res, "encoder_version", ""), enc ? enc : "{}",
				      met ? met : "{}", flags ? flags : "[]",
				      mn_json_str(json_object_get(res, "experience"), "category",
						  "-"));
		mn_cli_printf("feedback   %zu rating%s\n", json_array_size(fb),
			      json_array_size(fb) == 1 ? "" : "s");
		json_array_foreach(fb, i, v)
			mn_cli_printf("  %s %s  \"%s\"\n", mn_json_str(v, "created_at", ""),
				      mn_json_str(v, "rating", ""), mn_json_str(v, "query", ""));
		mn_cli_printf("history    %zu change%s\n", json_array_size(hist),
			      json_array_size(hist) == 1 ? "" : "s");
		json_array_foreach(hist, i, v) {
			const char *t = mn_json_str(v, "text", NULL);
			const char *g = mn_json_str(json_object_get(v, "encoding"), "gist", NULL);

			mn_cli_printf("  %s %s%s%s%s%s\n", mn_json_str(v, "at", ""),
				      mn_json_str(v, "kind", ""), t ? " text: " : "", t ? t : "",
				      g ? " gist: " : "", g ? g : "");
		}
		free(enc);
		free(met);
		free(flags);
	}
	json_decref(res);
	mn_ctx_close(&a);
	return code;
}

/* ---- edit ---- */

static const char edit_help[] =
	"usage: mnemo edit [options] ID --text TEXT|-\n"
	"\n"
	"Replace the text of an observation (memory id or raw id). An encoded memory\n"
	"is encoded again at once and keeps its id, ratings and experience row; its\n"
	"old text and encoding stay in its history ('mnemo show ID'). A memory not yet\n"
	"encoded gets the new text and is queued again.\n"
	"\n"
	"      --text TEXT        the new text ('-' reads stdin)\n"
	"      --json             machine-readable output\n"
	"      --config FILE      configuration file\n"
	"  -h, --help             this help\n";

int mn_cli_edit(int argc, char **argv)
{
	static const struct option lo[] = { MN_CLI_COMMON_OPTIONS,
					    { "text", required_argument, NULL, 'T' },
					    { 0 } };
	const char *config = NULL, *text_arg = NULL;
	struct mn_buf text = MN_BUF_INIT;
	struct mn_err err = MN_ERR_INIT;
	struct mn_ctx a;
	json_t *res = NULL;
	bool json = false;
	int c, code;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(edit_help, stdout);
			return 0;
		case 'j':
			json = true;
			break;
		case 'C':
			config = optarg;
			break;
		case 'T':
			text_arg = optarg;
			break;
		default:
			return mn_cli_bad_option("edit", argv);
		}
	}
	if (optind != argc - 1 || !text_arg)
		return mn_cli_usage("edit", "expected one ID and --text TEXT");
	code = mn_cli_open(&a, config);
	if (code)
		return code;
	if (mn_cli_read_text(&text, text_arg, (size_t)a.cfg.encoding.max_text_bytes, &err) ||
	    mn_op_edit(&a, argv[optind], mn_buf_str(&text), text.len, &res, &err)) {
		code = mn_cli_fail(&err);
	} else if (json) {
		mn_cli_print_json(res);
	} else {
		mn_cli_printf("%s %s\n",
			      json_is_true(json_object_get(res, "reencoded")) ? "re-encoded"
									 : "changed the text of",
			      mn_json_str(res, "memory_id", mn_json_str(res, "raw_id", "")));
	}
	json_decref(res);
	mn_buf_release(&text);
	mn_ctx_close(&a);
	return code;
}

/* ---- dedup ---- */

static const char dedup_help[] =
	"usage: mnemo dedup [options]\n"
	"\n"
	"Find near-duplicate memories of the same project: texts whose word\n"
	"3-shingles overlap by a Jaccard similarity of at least the threshold\n"
	"(candidates found with MinHash, 16 bands of 4, then compared exactly).\n"
	"Exact duplicates (same text after whitespace normalisation) are never\n"
	"stored twice: 'remember' counts them instead. Without --dry-run each\n"
	"duplicate is merged into the oldest memory of its group, which takes its\n"
	"repetitions, ratings and history; the merged text and encoding stay in the\n"
	"kept memory's history.\n"
	"\n"
	"      --dry-run          only report the pairs\n"
	"  -p, --project NAME     only this project\n"
	"      --threshold X      similarity 0 < X <= 1 [0.8]\n"
	"      --json             machine-readable output\n"
	"      --config FILE      configuration file\n"
	"  -h, --help             this help\n";

int mn_cli_dedup(int argc, char **argv)
{
	static const struct option lo[] = { MN_CLI_COMMON_OPTIONS,
					    { "dry-run", no_argument, NULL, 'd' },
					    { "project", required_argument, NULL, 'p' },
					    { "threshold", required_argument, NULL, 'x' },
					    { 0 } };
	const char *config = NULL, *project = NULL;
	struct mn_err err = MN_ERR_INIT;
	struct mn_ctx a;
	json_t *res = NULL;
	double threshold = MN_DEDUP_THRESHOLD;
	bool json = false, dry = false;
	int c, code;

	optind = 1;
	while ((c = getopt_long(argc, argv, "hp:", lo, NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(dedup_help, stdout);
			return 0;
		case 'j':
			json = true;
			break;
		case 'C':
			config = optarg;
			break;
		case 'd':
			dry = true;
			break;
		case 'p':
			project = optarg;
			break;
		case 'x':
			if (!mn_text_parse_double(&threshold, optarg) || !(threshold > 0) ||
			    threshold > 1)
				return mn_cli_usage("dedup", "--threshold must be above 0 and at "
						    "most 1");
			break;
		default:
			return mn_cli_bad_option("dedup", argv);
		}
	}
	if (optind != argc)
		return mn_cli_usage("dedup", "unexpected argument '%s'", argv[optind]);
	code = mn_cli_open(&a, config);
	if (code)
		return code;
	if (mn_op_dedup(&a, project, threshold, !dry, &res, &err)) {
		code = mn_cli_fail(&err);
	} else if (json) {
		mn_cli_print_json(res);
	} else {
		const json_t *pairs = json_object_get(res, "pairs"), *p;
		size_t i;

		json_array_foreach(pairs, i, p) {
			const char *k = mn_json_str(p, "keep_text", ""), *d = mn_json_str(p, "drop_text", "");

			mn_cli_printf("%.2f  keep %s  %.*s\n      %s %s  %.*s\n",
				      mn_json_num(p, "similarity", 0), mn_json_str(p, "keep", ""),
				      (int)mn_text_utf8_cut(k, strlen(k), 100), k,
				      dry ? "dup " : "merged", mn_json_str(p, "drop", ""),
				      (int)mn_text_utf8_cut(d, strlen(d), 100), d);
		}
		mn_cli_printf("%zu near-duplicate%s (threshold %.2f)%s\n", json_array_size(pairs),
			      json_array_size(pairs) == 1 ? "" : "s", threshold,
			      dry ? "; run without --dry-run to merge them" : "");
	}
	json_decref(res);
	mn_ctx_close(&a);
	return code;
}

/* ---- export ---- */

static const char export_help[] =
	"usage: mnemo export [options] > FILE.jsonl\n"
	"\n"
	"Write every memory, oldest first, one JSON object per line (the format of\n"
	"docs/export-format.md, \"format\": \"mnemo.memory/1\"): the observation, its\n"
	"times, project, type and source, the encoding with its encoder version and\n"
	"metrics, ratings and history. 'mnemo import' reads it back.\n"
	"\n"
	"  -p, --project NAME     only this project\n"
	"  -o, --output FILE      write to FILE instead of stdout\n"
	"      --config FILE      configuration file\n"
	"  -h, --help             this help\n";

struct export_sink {
	FILE *f;
	struct mn_buf line;
	size_t n;
};

static int export_one(void *payload, const json_t *line)
{
	struct export_sink *s = payload;

	mn_buf_reset(&s->line);
	mn_json_dump(&s->line, line);
	mn_buf_addc(&s->line, '\n');
	if (fwrite(mn_buf_str(&s->line), 1, s->line.len, s->f) != s->line.len)
		return MN_EIO;
	s->n++;
	return 0;
}

int mn_cli_export(int argc, char **argv)
{
	static const struct option lo[] = { MN_CLI_COMMON_OPTIONS,
					    { "project", required_argument, NULL, 'p' },
					    { "output", required_argument, NULL, 'o' },
					    { 0 } };
	const char *config = NULL, *project = NULL, *path = NULL;
	struct export_sink sink = { NULL, MN_BUF_INIT, 0 };
	struct mn_err err = MN_ERR_INIT;
	struct mn_ctx a;
	int c, code, ret;

	optind = 1;
	while ((c = getopt_long(argc, argv, "hp:o:", lo, NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(export_help, stdout);
			return 0;
		case 'j':
			break; /* the output is JSON already */
		case 'C':
			config = optarg;
			break;
		case 'p':
			project = optarg;
			break;
		case 'o':
			path = optarg;
			break;
		default:
			return mn_cli_bad_option("export", argv);
		}
	}
	if (optind != argc)
		return mn_cli_usage("export", "unexpected argument '%s'", argv[optind]);
	code = mn_cli_open(&a, config);
	if (code)
		return code;
	sink.f = path ? fopen(path, "we") : stdout;
	if (!sink.f) {
		mn_err_set(&err, MN_EIO, "could not create '%s': %s", path, strerror(errno));
		code = mn_cli_fail(&err);
		goto out;
	}
	ret = mn_app_export(&a, project, export_one, &sink, &err);
	if (ret == MN_EIO && !err.msg[0])
		mn_err_set(&err, MN_EIO, "could not write the export: %s", strerror(errno));
	if (!ret && fflush(sink.f))
		ret = mn_err_set(&err, MN_EIO, "could not write the export: %s", strerror(errno));
	if (path && fclose(sink.f) && !ret)
		ret = mn_err_set(&err, MN_EIO, "could not write '%s': %s", path, strerror(errno));
	if (ret)
		code = mn_cli_fail(&err);
	else if (isatty(STDERR_FILENO))
		fprintf(stderr, "exported %zu memor%s\n", sink.n, sink.n == 1 ? "y" : "ies");
out:
	mn_buf_release(&sink.line);
	mn_ctx_close(&a);
	return code;
}

/* ---- reading lines ---- */

struct line_reader {
	FILE *f;
	char *buf;
	size_t cap;
	size_t lineno;
};

/* Next line without its newline: 1 and *out and *len, 0 at the end, or
 * -MN_EIO or -MN_EINVAL with err set. */
static int next_line(struct line_reader *r, char **out, size_t *len, struct mn_err *err)
{
	ssize_t n;

	errno = 0;
	n = getline(&r->buf, &r->cap, r->f);
	if (n < 0)
		return errno ? -mn_err_set(err, MN_EIO, "could not read: %s", strerror(errno)) : 0;
	r->lineno++;
	if ((size_t)n > LINE_MAX_BYTES)
		return -mn_err_set(err, MN_EINVAL, "line %zu is over %d bytes", r->lineno,
				   LINE_MAX_BYTES);
	while (n > 0 && (r->buf[n - 1] == '\n' || r->buf[n - 1] == '\r'))
		r->buf[--n] = '\0';
	*out = r->buf;
	*len = (size_t)n;
	return 1;
}

static void progress(bool tty, const char *verb, size_t n, bool done)
{
	if (!tty || (!done && n % 1000))
		return;
	fprintf(stderr, "\r%s %zu line%s%s", verb, n, n == 1 ? "" : "s", done ? "\n" : "");
	fflush(stderr);
}

/* ---- import ---- */

static const char import_help[] =
	"usage: mnemo import [options] FILE.jsonl|-\n"
	"\n"
	"Read memories written by 'mnemo export' (docs/export-format.md), in batches\n"
	"of 2000 lines per transaction. A memory already here (same raw id) is left as\n"
	"it is, so importing twice adds nothing; the same text of the same project\n"
	"under another id counts as a repetition of the one here. A malformed line\n"
	"stops the import with its line number; the lines before it are kept. Shows\n"
	"progress on stderr when it is a terminal.\n"
	"\n"
	"      --json             print {lines, added, present, duplicates}\n"
	"      --config FILE      configuration file\n"
	"  -h, --help             this help\n";

struct import_batch {
	char **lines;
	size_t *lens;
	size_t n, cap;
	size_t first_lineno;
};

static void batch_clear(struct import_batch *b)
{
	for (size_t i = 0; i < b->n; i++)
		free(b->lines[i]);
	b->n = 0;
}

int mn_cli_import(int argc, char **argv)
{
	struct mn_cli_common opt;
	struct mn_err err = MN_ERR_INIT;
	struct line_reader r = { NULL, NULL, 0, 0 };
	struct import_batch b = { NULL, NULL, 0, 0, 1 };
	size_t counts[3] = { 0, 0, 0 }, lines = 0;
	bool tty = isatty(STDERR_FILENO);
	struct mn_ctx a;
	json_t *res;
	int code = mn_cli_parse_common(&opt, argc, argv, "import", import_help);
	int got, ret = 0;

	if (code >= 0)
		return code;
	if (optind != argc - 1)
		return mn_cli_usage("import", "expected one FILE (or - for stdin)");
	code = mn_cli_open(&a, opt.config);
	if (code)
		return code;
	r.f = strcmp(argv[optind], "-") ? fopen(argv[optind], "re") : stdin;
	if (!r.f) {
		mn_err_set(&err, MN_EIO, "could not open '%s': %s", argv[optind], strerror(errno));
		code = mn_cli_fail(&err);
		goto out;
	}
	for (;;) {
		char *line = NULL;
		size_t len = 0;
		enum mn_import_result ir;

		got = next_line(&r, &line, &len, &err);
		if (got < 0) {
			ret = -got;
			break;
		}
		if (got > 0 && mn_text_is_blank(line, len))
			continue;
		if (got > 0) {
			if (!b.n) {
				b.first_lineno = r.lineno;
				ret = mn_store_begin(a.store, &err);
				if (ret)
					break;
			}
			b.lines = mn_xgrow(b.lines, &b.cap, b.n + 1, sizeof(*b.lines));
			b.lens = mn_xrealloc(b.lens, b.cap * sizeof(*b.lens));
			ret = mn_app_import_line(&a, &ir, line, len, &err);
			if (ret) {
				/* The failed line rolled the batch back: write the lines
				 * before it again, alone, and stop at this one. */
				struct mn_err e2 = MN_ERR_INIT;
				size_t bad = r.lineno;
				char msg[sizeof(err.msg)];

				snprintf(msg, sizeof(msg), "%s", err.msg);
				mn_store_rollback(a.store);
				if (b.n && !mn_store_begin(a.store, &e2)) {
					for (size_t i = 0; i < b.n; i++)
						mn_app_import_line(&a, &ir, b.lines[i], b.lens[i], &e2);
					mn_store_commit(a.store, &e2);
				}
				if (lines)
					mn_err_set(&err, ret, "line %zu: %s (the %zu line%s before "
						   "it are imported)", bad, msg, lines,
						   lines == 1 ? "" : "s");
				else
					mn_err_set(&err, ret, "line %zu: %s (nothing imported)", bad,
						   msg);
				break;
			}
			b.lines[b.n] = mn_xmalloc(len + 1);
			memcpy(b.lines[b.n], line, len + 1);
			b.lens[b.n++] = len;
			counts[ir]++;
			lines++;
			progress(tty, "imported", lines, false);
		}
		if (b.n && (got == 0 || b.n >= BATCH_LINES)) {
			ret = mn_store_commit(a.store, &err);
			batch_clear(&b);
			if (ret)
				break;
		}
		if (got == 0)
			break;
	}
	progress(tty, "imported", lines, true);
	if (ret) {
		code = mn_cli_fail(&err);
		goto out;
	}
	res = json_pack("{s:I,s:I,s:I,s:I}", "lines", (json_int_t)lines, "added",
			(json_int_t)counts[MN_IMPORT_ADDED], "present",
			(json_int_t)counts[MN_IMPORT_PRESENT], "duplicates",
			(json_int_t)counts[MN_IMPORT_DUPLICATE]);
	if (opt.json)
		mn_cli_print_json(res);
	else
		mn_cli_printf("imported %zu line%s: %zu added, %zu already here, %zu duplicate%s\n",
			      lines, lines == 1 ? "" : "s", counts[MN_IMPORT_ADDED],
			      counts[MN_IMPORT_PRESENT], counts[MN_IMPORT_DUPLICATE],
			      counts[MN_IMPORT_DUPLICATE] == 1 ? "" : "s");
	json_decref(res);
out:
	if (r.f && r.f != stdin)
		fclose(r.f);
	batch_clear(&b);
	free(b.lines);
	free(b.lens);
	free(r.buf);
	mn_ctx_close(&a);
	return code;
}

/* ---- remember --jsonl ---- */

static const char remember_jsonl_help[] =
	"usage: mnemo remember --jsonl FILE|- [options]\n"
	"\n"
	"Remember one observation per line, each a JSON object with the arguments of\n"
	"the MCP remember tool: \"text\" (required), \"type\", \"source\", \"project\",\n"
	"\"session\", \"time\". One process, one transaction per 2000 lines; each is\n"
	"encoded inline unless the daemon runs. A malformed line stops with its line\n"
	"number; the lines before it are kept.\n"
	"\n"
	"  -s, --source SOURCE    source of lines that name none [cli]\n"
	"  -p, --project NAME     project of lines that name none\n"
	"      --json             print {lines, stored, encoded, queued, duplicates}\n"
	"      --config FILE      configuration file\n"
	"  -h, --help             this help\n";

struct jsonl_batch {
	struct mn_remember_in *ins;
	json_t **docs;
	size_t n, cap;
};

static int jsonl_flush(struct mn_ctx *a, struct jsonl_batch *b, size_t counts[4],
		       struct mn_err *err)
{
	struct mn_remember_out *outs = mn_xcalloc(b->n ? b->n : 1, sizeof(*outs));
	size_t done = 0;
	int ret = b->n ? mn_app_remember_batch(a, outs, &done, b->ins, b->n, err) : 0;

	for (size_t i = 0; i < done; i++) {
		if (outs[i].duplicate)
			counts[3]++;
		else if (!strcmp(outs[i].state, "encoded"))
			counts[1]++;
		else
			counts[2]++;
		counts[0]++;
	}
	for (size_t i = 0; i < b->n; i++)
		json_decref(b->docs[i]);
	b->n = 0;
	free(outs);
	return ret;
}

static const char *field(const json_t *o, const char *k, const char *def, bool *bad)
{
	const json_t *v = json_object_get(o, k);

	if (!v || json_is_null(v))
		return def;
	if (!json_is_string(v) || mn_json_has_nul(v) || json_string_length(v) > 256)
		*bad = true;
	return json_string_value(v);
}

int mn_cli_remember_jsonl(int argc, char **argv)
{
	static const struct option lo[] = { MN_CLI_COMMON_OPTIONS,
					    { "jsonl", required_argument, NULL, 'J' },
					    { "source", required_argument, NULL, 's' },
					    { "project", required_argument, NULL, 'p' },
					    { 0 } };
	const char *config = NULL, *path = NULL, *source = "cli", *project = NULL;
	struct line_reader r = { NULL, NULL, 0, 0 };
	struct jsonl_batch b = { NULL, NULL, 0, 0 };
	struct mn_err err = MN_ERR_INIT;
	size_t counts[4] = { 0, 0, 0, 0 }; /* stored, encoded, queued, duplicates */
	bool json = false, tty = isatty(STDERR_FILENO);
	struct mn_ctx a;
	int c, code, got, ret = 0;

	/* `remember --jsonl --help`: --jsonl would take --help as its FILE */
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			fputs(remember_jsonl_help, stdout);
			return 0;
		}
	optind = 1;
	while ((c = getopt_long(argc, argv, "hs:p:", lo, NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(remember_jsonl_help, stdout);
			return 0;
		case 'j':
			json = true;
			break;
		case 'C':
			config = optarg;
			break;
		case 'J':
			path = optarg;
			break;
		case 's':
			source = optarg;
			break;
		case 'p':
			project = optarg;
			break;
		default:
			return mn_cli_usage("remember", "unknown option (with --jsonl: --source, "
					    "--project, --json, --config)");
		}
	}
	if (!path || optind != argc)
		return mn_cli_usage("remember", "--jsonl takes FILE (or -) and no TEXT");
	code = mn_cli_open(&a, config);
	if (code)
		return code;
	r.f = strcmp(path, "-") ? fopen(path, "re") : stdin;
	if (!r.f) {
		mn_err_set(&err, MN_EIO, "could not open '%s': %s", path, strerror(errno));
		code = mn_cli_fail(&err);
		goto out;
	}
	for (;;) {
		char *line = NULL;
		size_t len = 0;
		json_t *o;
		bool bad = false;
		struct mn_remember_in in;

		got = next_line(&r, &line, &len, &err);
		if (got < 0) {
			ret = -got;
			break;
		}
		if (got == 0)
			break;
		if (mn_text_is_blank(line, len))
			continue;
		o = mn_json_parse(line, len, &err);
		if (!o || !json_is_object(o) || !json_is_string(json_object_get(o, "text"))) {
			char msg[sizeof(err.msg)];

			snprintf(msg, sizeof(msg), "%s", o ? "needs an object with \"text\"" : err.msg);
			json_decref(o);
			ret = mn_err_set(&err, MN_EINVAL, "line %zu: %s", r.lineno, msg);
			break;
		}
		memset(&in, 0, sizeof(in));
		in.text = json_string_value(json_object_get(o, "text"));
		in.len = json_string_length(json_object_get(o, "text"));
		in.type = field(o, "type", NULL, &bad);
		in.source = field(o, "source", source, &bad);
		in.project = field(o, "project", project, &bad);
		in.session = field(o, "session", NULL, &bad);
		if (json_object_get(o, "time") && !json_is_null(json_object_get(o, "time"))) {
			int64_t t;

			in.time = json_string_value(json_object_get(o, "time"));
			if (!in.time || !mn_time_parse(&t, in.time))
				bad = true;
		}
		if (!bad && mn_text_check_input(in.text, in.len,
						(size_t)a.cfg.encoding.max_text_bytes, &err)) {
			char msg[sizeof(err.msg)];

			snprintf(msg, sizeof(msg), "%s", err.msg);
			json_decref(o);
			ret = mn_err_set(&err, MN_EINVAL, "line %zu: %s", r.lineno, msg);
			break;
		}
		if (bad) {
			json_decref(o);
			ret = mn_err_set(&err, MN_EINVAL, "line %zu: type, source, project and "
					 "session must be strings of at most 256 bytes, time an "
					 "ISO-8601 time", r.lineno);
			break;
		}
		b.ins = mn_xgrow(b.ins, &b.cap, b.n + 1, sizeof(*b.ins));
		b.docs = mn_xrealloc(b.docs, b.cap * sizeof(json_t *));
		b.ins[b.n] = in;
		b.docs[b.n++] = o;
		if (b.n >= BATCH_LINES) {
			ret = jsonl_flush(&a, &b, counts, &err);
			if (ret)
				break;
			progress(tty, "remembered", counts[0], false);
		}
	}
	{
		/* the lines before a bad one are kept */
		struct mn_err e2 = MN_ERR_INIT;
		int fret = jsonl_flush(&a, &b, counts, ret ? &e2 : &err);

		if (!ret)
			ret = fret;
	}
	progress(tty, "remembered", counts[0], true);
	if (ret) {
		code = mn_cli_fail(&err);
		goto out;
	}
	if (json) {
		json_t *res = json_pack("{s:I,s:I,s:I,s:I,s:I}", "lines", (json_int_t)r.lineno,
					"stored", (json_int_t)(counts[0] - counts[3]), "encoded",
					(json_int_t)counts[1], "queued", (json_int_t)counts[2],
					"duplicates", (json_int_t)counts[3]);

		mn_cli_print_json(res);
		json_decref(res);
	} else {
		mn_cli_printf("remembered %zu: %zu encoded, %zu queued, %zu duplicate%s\n",
			      counts[0], counts[1], counts[2], counts[3],
			      counts[3] == 1 ? "" : "s");
	}
out:
	if (r.f && r.f != stdin)
		fclose(r.f);
	for (size_t i = 0; i < b.n; i++)
		json_decref(b.docs[i]);
	free(b.ins);
	free(b.docs);
	free(r.buf);
	mn_ctx_close(&a);
	return code;
}
