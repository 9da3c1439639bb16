#include "cli/cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app/ops.h"
#include "base/file.h"
#include "base/json.h"
#include "base/limits.h"
#include "base/mem.h"
#include "base/text.h"
#include "model/encoding.h"
#include "learn/experience.h"
#include "model/prompt.h"
#include "cli/student_cli.h"
#include "model/verify.h"

const char *mn_cli_config_path;

/* Format, then escape what a terminal would obey, then write: stored
 * memories, model replies and trainer output reach these lines, and an
 * ESC in them must not drive the user's terminal. */
static void put_escaped(FILE *f, const char *fmt, va_list ap)
{
	struct mn_buf line = MN_BUF_INIT, safe = MN_BUF_INIT;

	mn_buf_vaddf(&line, fmt, ap);
	mn_text_escape_controls(&safe, mn_buf_str(&line), line.len);
	fwrite(mn_buf_str(&safe), 1, safe.len, f);
	mn_buf_release(&line);
	mn_buf_release(&safe);
}

void mn_cli_printf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	put_escaped(stdout, fmt, ap);
	va_end(ap);
}

static void eprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void eprintf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	put_escaped(stderr, fmt, ap);
	va_end(ap);
}

int mn_cli_fail(const struct mn_err *err)
{
	eprintf("mnemo: %s\n", err->msg[0] ? err->msg : "failed");
	switch (err->code) {
	case MN_ENOTFOUND:
		return MN_EXIT_NOTFOUND;
	case MN_EINVAL:
	case MN_EPARSE:
		return MN_EXIT_INVALID;
	case MN_EBUSY:
	case MN_EDECLINED:
		return MN_EXIT_DECLINED;
	default:
		return MN_EXIT_FAIL;
	}
}

int mn_cli_usage(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "mnemo %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nsee 'mnemo %s --help'\n", cmd);
	return MN_EXIT_USAGE;
}

int mn_cli_bad_option(const char *cmd, char **argv)
{
	/* getopt is quiet (opterr = 0, main.c): the one message is ours */
	const char *arg = optind > 0 ? argv[optind - 1] : "";

	if (optopt && arg[0] == '-' && arg[1] != '-' && strchr(arg, optopt))
		return mn_cli_usage(cmd, "option -%c is unknown or needs a value", optopt);
	return mn_cli_usage(cmd, "unknown option '%s' (or it needs a value)", arg);
}

void mn_cli_print_json(const json_t *v)
{
	/* Numbers at full precision, in their shortest round-trip form: --json
	 * prints exactly the object MCP returns as structuredContent
	 * (docs/results.md). */
	char *s = mn_json_dumps_indent(v, 2);

	if (s) {
		fputs(s, stdout);
		fputc('\n', stdout);
		free(s);
	}
}

int mn_cli_read_text(struct mn_buf *out, const char *arg, size_t limit, struct mn_err *err)
{
	char chunk[65536];
	size_t n;

	mn_buf_reset(out);
	if (strcmp(arg, "-")) {
		mn_buf_adds(out, arg);
		return 0;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), stdin)) > 0) {
		if (out->len + n > limit)
			return mn_err_set(err, MN_EINVAL,
					  "text is over the limit of %zu bytes "
					  "(encoding.max_text_bytes)",
					  limit);
		mn_buf_add(out, chunk, n);
	}
	if (ferror(stdin))
		return mn_err_set(err, MN_EIO, "could not read stdin: %s", strerror(errno));
	mn_buf_add(out, "", 0);
	return 0;
}

int mn_cli_open(struct mn_ctx *a, const char *config_path)
{
	struct mn_err err = MN_ERR_INIT;

	if (mn_ctx_open(a, config_path ? config_path : mn_cli_config_path, &err)) {
		int code = mn_cli_fail(&err);

		mn_ctx_close(a);
		return code;
	}
	return 0;
}

#define COMMON_LONGOPTS MN_CLI_COMMON_OPTIONS

int mn_cli_parse_common(struct mn_cli_common *o, int argc, char **argv, const char *cmd,
			const char *help)
{
	static const struct option lo[] = { MN_CLI_COMMON_OPTIONS, { 0 } };
	int c;

	o->json = false;
	o->config = NULL;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(help, stdout);
			return 0;
		case 'j':
			o->json = true;
			break;
		case 'C':
			o->config = optarg;
			break;
		default:
			return mn_cli_bad_option(cmd, argv);
		}
	}
	return -1;
}

/* One memory of a result object (mn_app_memory_json), for a person. */
static void print_memory_line(const json_t *m, size_t rank)
{
	const json_t *enc = json_object_get(m, "encoding");
	const char *raw = mn_json_str(m, "content", "");

	if (json_is_string(json_object_get(m, "id")))
		mn_cli_printf("%2zu. [%s] %s  (score %.3f, salience %.2f, %s)\n    %s\n", rank,
			      mn_json_str(m, "id", ""), mn_json_str(enc, "gist", ""),
			      mn_json_num(m, "score", 0), mn_json_num(m, "salience", 0),
			      mn_json_str(m, "created_at", ""), mn_json_str(enc, "summary", ""));
	else
		mn_cli_printf("%2zu. [raw %s, %s] %.*s\n", rank, mn_json_str(m, "raw_id", ""),
			      mn_json_str(m, "state", ""),
			      (int)mn_text_utf8_cut(raw, strlen(raw), 160), raw);
}

/* ---- remember ---- */

static const char remember_help[] =
	"usage: mnemo remember [options] TEXT|-\n"
	"\n"
	"Store an observation. The raw text is committed first; it is then encoded\n"
	"inline, or queued for the running daemon.\n"
	"\n"
	"  -t, --type TYPE        kind of observation (e.g. decision, error, note)\n"
	"  -s, --source SOURCE    who or what produced it [cli]\n"
	"  -p, --project NAME     project it belongs to\n"
	"      --session ID       session id\n"
	"      --jsonl FILE|-     one observation per line ('mnemo remember --jsonl --help')\n"
	"      --time TIME        when it happened (ISO-8601 date or time) [now];\n"
	"                         relative dates in TEXT are resolved against it\n"
	"      --json             machine-readable output\n"
	"      --config FILE      configuration file\n"
	"  -h, --help             this help\n";

int mn_cli_remember(int argc, char **argv)
{
	static const struct option lo[] = { COMMON_LONGOPTS,
					    { "type", required_argument, NULL, 't' },
					    { "source", required_argument, NULL, 's' },
					    { "project", required_argument, NULL, 'p' },
					    { "session", required_argument, NULL, 'S' },
					    { "time", required_argument, NULL, 'T' },
					    { 0 } };
	struct mn_remember_in in = { .source = "cli" };
	json_t *res = NULL;
	struct mn_ctx a;
	struct mn_buf text = MN_BUF_INIT;
	struct mn_err err = MN_ERR_INIT;
	const char *config = NULL;
	bool json = false;
	int c, code;

	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--jsonl") || !strncmp(argv[i], "--jsonl=", 8))
			return mn_cli_remember_jsonl(argc, argv);
	optind = 1;
	while ((c = getopt_long(argc, argv, "ht:s:p:", lo, NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(remember_help, stdout);
			return 0;
		case 'j':
			json = true;
			break;
		case 'C':
			config = optarg;
			break;
		case 't':
			in.type = optarg;
			break;
		case 's':
			in.source = optarg;
			break;
		case 'p':
			in.project = optarg;
			break;
		case 'S':
			in.session = optarg;
			break;
		case 'T':
			in.time = optarg;
			break;
		default:
			return mn_cli_bad_option("remember", argv);
		}
	}
	if (optind != argc - 1)
		return mn_cli_usage("remember", "expected one TEXT argument (or - for stdin)");
	code = mn_cli_open(&a, config);
	if (code)
		return code;
	if (mn_cli_read_text(&text, argv[optind], (size_t)a.cfg.encoding.max_text_bytes, &err)) {
		code = mn_cli_fail(&err);
		goto out;
	}
	in.text = mn_buf_str(&text);
	in.len = text.len;
	if (mn_op_remember(&a, &in, &res, &err)) {
		code = mn_cli_fail(&err);
		goto out;
	}
	if (json)
		mn_cli_print_json(res);
	else if (json_is_string(json_object_get(res, "memory_id")))
		mn_cli_printf("remembered %s\n", mn_json_str(res, "memory_id", ""));
	else
		mn_cli_printf("stored %s (%s)\n", mn_json_str(res, "raw_id", ""),
			      mn_json_str(res, "note", mn_json_str(res, "state", "")));
	code = 0;
out:
	json_decref(res);
	mn_buf_release(&text);
	mn_ctx_close(&a);
	return code;
}

/* ---- recall ---- */

static const char recall_help[] =
	"usage: mnemo recall [options] QUERY\n"
	"\n"
	"Search memories (docs/recall.md). A question or keywords; inflections,\n"
	"common synonyms and dates (\"March 3\", \"last week\") are understood.\n"
	"Scores run from 0 to about 1: the share of the query a memory matches,\n"
	"moved a little by salience, feedback and recency. Prints a query id to\n"
	"use with 'mnemo feedback'.\n"
	"\n"
	"  -n, --limit N          at most N results [10, max 100]\n"
	"  -p, --project NAME     only this project\n"
	"  -t, --type TYPE        only this type\n"
	"      --source SOURCE    only this source\n"
	"      --since TIME       only memories that happened at or after TIME\n"
	"      --until TIME       only memories that happened before TIME\n"
	"      --full             whole memories (encoding, metrics), not the compact form\n"
	"      --explain          for each result, the terms that matched, where, and\n"
	"                         the components of its score\n"
	"      --max-chars N      only as many whole results as fit in N characters\n"
	"      --json             machine-readable output\n"
	"      --config FILE      configuration file\n"
	"  -h, --help             this help\n";

/* One compact recall result (mn_app_recall_item_json), for a person. */
static void print_recall_line(const json_t *m, size_t rank)
{
	const json_t *matched = json_object_get(m, "matched");
	const json_t *ex = json_object_get(m, "explain");
	const char *id = mn_json_str(m, "id", NULL);
	struct mn_buf b = MN_BUF_INIT;

	for (size_t i = 0; i < json_array_size(matched); i++)
		mn_buf_addf(&b, "%s%s", i ? ", " : "",
			    json_string_value(json_array_get(matched, i)));
	mn_cli_printf("%2zu. %.3f  %.10s  [%s%s]  %s\n", rank, mn_json_num(m, "score", 0),
		      mn_json_str(m, "time", ""), id ? id : mn_json_str(m, "raw_id", ""),
		      id ? "" : ", not encoded yet", mn_json_str(m, "text", ""));
	if (b.len)
		mn_cli_printf("    matched: %s\n", mn_buf_str(&b));
	for (size_t i = 0; ex && i < json_array_size(json_object_get(ex, "terms")); i++) {
		const json_t *t = json_array_get(json_object_get(ex, "terms"), i);
		const json_t *f = json_object_get(t, "fields");
		struct mn_buf fb = MN_BUF_INIT;

		for (size_t k = 0; k < json_array_size(f); k++)
			mn_buf_addf(&fb, "%s%s", k ? "+" : "",
				    json_string_value(json_array_get(f, k)));
		if (json_is_string(json_object_get(t, "matched")))
			mn_cli_printf("      %-14s as %-14s in %-24s idf %.2f x %.1f -> %.3f\n",
				      mn_json_str(t, "term", ""), mn_json_str(t, "matched", ""),
				      mn_buf_str(&fb), mn_json_num(t, "idf", 0),
				      mn_json_num(t, "weight", 0), mn_json_num(t, "score", 0));
		else
			mn_cli_printf("      %-14s not matched\n", mn_json_str(t, "term", ""));
		mn_buf_release(&fb);
	}
	if (ex)
		mn_cli_printf("      lexical %.3f, with salience/feedback/recency %.3f\n",
			      mn_json_num(ex, "lexical", 0), mn_json_num(ex, "score", 0));
	mn_buf_release(&b);
}

/* An ISO-8601 option value into our time format. */
static bool parse_time_opt(char out[MN_TIME_LEN], const char *v)
{
	int64_t t;

	if (!mn_time_parse(&t, v))
		return false;
	mn_time_format(out, t);
	return true;
}

int mn_cli_recall(int argc, char **argv)
{
	static const struct option lo[] = { COMMON_LONGOPTS,
					    { "limit", required_argument, NULL, 'n' },
					    { "project", required_argument, NULL, 'p' },
					    { "type", required_argument, NULL, 't' },
					    { "source", required_argument, NULL, 's' },
					    { "since", required_argument, NULL, 'S' },
					    { "until", required_argument, NULL, 'U' },
					    { "full", no_argument, NULL, 'F' },
					    { "explain", no_argument, NULL, 'E' },
					    { "max-chars", required_argument, NULL, 'M' },
					    { 0 } };
	struct mn_recall_opts o = { .limit = 10 };
	json_t *res = NULL;
	struct mn_ctx a;
	struct mn_err err = MN_ERR_INIT;
	const char *config = NULL;
	char since[MN_TIME_LEN], until[MN_TIME_LEN];
	bool json = false;
	int c, code;
	int64_t v;

	optind = 1;
	while ((c = getopt_long(argc, argv, "hn:p:t:", lo, NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(recall_help, stdout);
			return 0;
		case 'j':
			json = true;
			break;
		case 'C':
			config = optarg;
			break;
		case 'n':
			if (!mn_text_parse_i64(&v, optarg, 1, MN_LIMIT_RECALL_MAX))
				return mn_cli_usage("recall", "--limit must be 1..%d",
						    MN_LIMIT_RECALL_MAX);
			o.limit = (int)v;
			break;
		case 'p':
			o.project = optarg;
			break;
		case 't':
			o.type = optarg;
			break;
		case 's':
			o.source = optarg;
			break;
		case 'S':
			if (!parse_time_opt(since, optarg))
				return mn_cli_usage("recall", "--since '%s' is not an ISO-8601 time",
						    optarg);
			o.since = since;
			break;
		case 'U':
			if (!parse_time_opt(until, optarg))
				return mn_cli_usage("recall", "--until '%s' is not an ISO-8601 time",
						    optarg);
			o.until = until;
			break;
		case 'F':
			o.full = true;
			break;
		case 'E':
			o.explain = true;
			break;
		case 'M':
			if (!mn_text_parse_i64(&v, optarg, 1, 100000000))
				return mn_cli_usage("recall", "--max-chars must be a positive number");
			o.max_chars = (size_t)v;
			break;
		default:
			return mn_cli_bad_option("recall", argv);
		}
	}
	if (optind != argc - 1)
		return mn_cli_usage("recall", "expected one QUERY argument");
	o.query = argv[optind];
	code = mn_cli_open(&a, config);
	if (code)
		return code;
	if (mn_op_recall(&a, &o, &res, &err)) {
		code = mn_cli_fail(&err);
		goto out;
	}
	if (json) {
		mn_cli_print_json(res);
	} else {
		const json_t *mems = json_object_get(res, "memories");

		mn_cli_printf("query_id %s\n", mn_json_str(res, "query_id", ""));
		if (!json_array_size(mems))
			mn_cli_printf("no memories match\n");
		for (size_t i = 0; i < json_array_size(mems); i++) {
			if (o.full)
				print_memory_line(json_array_get(mems, i), i + 1);
			else
				print_recall_line(json_array_get(mems, i), i + 1);
		}
		if (mn_json_num(res, "omitted", 0) > 0)
			mn_cli_printf("(%d more did not fit in --max-chars)\n",
				      (int)mn_json_num(res, "omitted", 0));
	}
	code = 0;
out:
	json_decref(res);
	mn_ctx_close(&a);
	return code;
}

/* ---- feedback ---- */

static const char feedback_help[] =
	"usage: mnemo feedback [options] QUERY_ID helpful|partial|irrelevant\n"
	"\n"
	"Rate what a recall returned. Without --memory the rating applies to every\n"
	"memory the query returned. A later rating of the same pair replaces the\n"
	"earlier one.\n"
	"\n"
	"  -m, --memory ID        rate only this memory (repeatable)\n"
	"      --session ID       session id\n"
	"      --json             machine-readable output\n"
	"      --config FILE      configuration file\n"
	"  -h, --help             this help\n";

int mn_cli_feedback(int argc, char **argv)
{
	static const struct option lo[] = { COMMON_LONGOPTS,
					    { "memory", required_argument, NULL, 'm' },
					    { "session", required_argument, NULL, 'S' },
					    { 0 } };
	const char **ids = mn_xcalloc((size_t)argc + 1, sizeof(*ids));
	size_t n_ids = 0;
	const char *config = NULL, *session = NULL;
	json_t *res = NULL;
	struct mn_ctx a;
	struct mn_err err = MN_ERR_INIT;
	bool json = false;
	int c, code;

	optind = 1;
	while ((c = getopt_long(argc, argv, "hm:", lo, NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(feedback_help, stdout);
			free(ids);
			return 0;
		case 'j':
			json = true;
			break;
		case 'C':
			config = optarg;
			break;
		case 'm':
			ids[n_ids++] = optarg;
			break;
		case 'S':
			session = optarg;
			break;
		default:
			free(ids);
			return mn_cli_bad_option("feedback", argv);
		}
	}
	if (optind != argc - 2) {
		free(ids);
		return mn_cli_usage("feedback", "expected QUERY_ID and a rating");
	}
	code = mn_cli_open(&a, config);
	if (code) {
		free(ids);
		return code;
	}
	if (mn_op_feedback(&a, argv[optind], argv[optind + 1], ids, n_ids, session, &res, &err)) {
		code = mn_cli_fail(&err);
	} else {
		if (json) {
			mn_cli_print_json(res);
		} else {
			long long rated = (long long)json_integer_value(json_object_get(res, "rated"));

			mn_cli_printf("rated %lld memor%s %s\n", rated, rated == 1 ? "y" : "ies",
				      mn_json_str(res, "rating", ""));
		}
		code = 0;
	}
	json_decref(res);
	free(ids);
	mn_ctx_close(&a);
	return code;
}

/* ---- amend ---- */

static const char amend_help[] =
	"usage: mnemo amend [options] MEMORY_ID FILE|-\n"
	"\n"
	"Record a human correction of a memory's encoding: FILE holds the corrected\n"
	"encoding (one JSON object with the ten keys of the schema), at most\n"
	"encoding.max_text_bytes. It becomes the training target for this memory\n"
	"and wins over the teacher.\n"
	"\n"
	"      --json             machine-readable output\n"
	"      --config FILE      configuration file\n"
	"  -h, --help             this help\n";

int mn_cli_amend(int argc, char **argv)
{
	struct mn_cli_common opt;
	struct mn_ctx a;
	struct mn_err err = MN_ERR_INIT;
	struct mn_buf text = MN_BUF_INIT;
	json_t *res = NULL;
	int code = mn_cli_parse_common(&opt, argc, argv, "amend", amend_help);

	if (code >= 0)
		return code;
	if (optind != argc - 2)
		return mn_cli_usage("amend", "expected MEMORY_ID and FILE (or - for stdin)");
	code = mn_cli_open(&a, opt.config);
	if (code)
		return code;
	/* Read no more than mn_app_amend would accept (encoding.max_text_bytes). */
	if (!strcmp(argv[optind + 1], "-"))
		code = mn_cli_read_text(&text, "-", (size_t)a.cfg.encoding.max_text_bytes, &err);
	else
		code = mn_file_read(&text, argv[optind + 1], (size_t)a.cfg.encoding.max_text_bytes,
				    &err);
	if (!code)
		code = mn_op_amend(&a, argv[optind], mn_buf_str(&text), text.len, &res, &err);
	if (code) {
		code = mn_cli_fail(&err);
	} else if (opt.json) {
		mn_cli_print_json(res);
	} else {
		mn_cli_printf("amended %s (epr %.2f)\n", mn_json_str(res, "memory_id", ""),
			      mn_json_num(json_object_get(res, "metrics"), "epr", 0));
	}
	json_decref(res);
	mn_buf_release(&text);
	mn_ctx_close(&a);
	return code;
}

/* ---- forget ---- */

static const char forget_help[] =
	"usage: mnemo forget [options] ID\n"
	"\n"
	"Delete a memory (memory id or raw id) with its raw text, experience row and\n"
	"feedback.\n"
	"\n"
	"      --json             machine-readable output\n"
	"      --config FILE      configuration file\n"
	"  -h, --help             this help\n";

int mn_cli_forget(int argc, char **argv)
{
	struct mn_cli_common opt;
	struct mn_ctx a;
	struct mn_err err = MN_ERR_INIT;
	json_t *res = NULL;
	int code = mn_cli_parse_common(&opt, argc, argv, "forget", forget_help);

	if (code >= 0)
		return code;
	if (optind != argc - 1)
		return mn_cli_usage("forget", "expected one ID");
	code = mn_cli_open(&a, opt.config);
	if (code)
		return code;
	if (mn_op_forget(&a, argv[optind], &res, &err)) {
		code = mn_cli_fail(&err);
	} else {
		if (opt.json)
			mn_cli_print_json(res);
		else if (json_is_true(json_object_get(res, "forgotten")))
			mn_cli_printf("forgot %s\n", mn_json_str(res, "memory_id", ""));
		/* The object says forgotten false; the exit code still tells a
		 * script that there was nothing to forget. */
		if (!json_is_true(json_object_get(res, "forgotten"))) {
			mn_err_set(&err, MN_ENOTFOUND, "no memory or raw observation has id '%s'",
				   argv[optind]);
			code = mn_cli_fail(&err);
		}
	}
	json_decref(res);
	mn_ctx_close(&a);
	return code;
}

/* ---- status ---- */

static const char status_help[] =
	"usage: mnemo status [options]\n"
	"\n"
	"Counts, queue state, encoder, experience buffer, learning state, data paths,\n"
	"config file in effect and versions.\n"
	"\n"
	"      --json             machine-readable output\n"
	"      --config FILE      configuration file\n"
	"  -h, --help             this help\n";

static void print_obj(const json_t *o, int indent)
{
	const char *k;
	json_t *v;

	json_object_foreach((json_t *)o, k, v) {
		if (json_is_object(v)) {
			mn_cli_printf("%*s%s:\n", indent, "", k);
			print_obj(v, indent + 2);
		} else {
			char *s = json_is_string(v) ? NULL : mn_json_dumps(v);

			mn_cli_printf("%*s%-22s %s\n", indent, "", k, s ? s : json_string_value(v));
			free(s);
		}
	}
}

int mn_cli_status(int argc, char **argv)
{
	struct mn_cli_common opt;
	struct mn_ctx a;
	struct mn_err err = MN_ERR_INIT;
	json_t *st = NULL;
	int code = mn_cli_parse_common(&opt, argc, argv, "status", status_help);

	if (code >= 0)
		return code;
	if (optind != argc)
		return mn_cli_usage("status", "unexpected argument '%s'", argv[optind]);
	code = mn_cli_open(&a, opt.config);
	if (code)
		return code;
	if (mn_op_status(&a, &st, &err)) {
		code = mn_cli_fail(&err);
	} else if (opt.json) {
		mn_cli_print_json(st);
	} else {
		if (!a.cfg.path)
			mn_cli_printf("config: none (built-in defaults)\n");
		print_obj(st, 0);
	}
	json_decref(st);
	mn_ctx_close(&a);
	return code;
}

/* ---- encode ---- */

static const char encode_help[] =
	"usage: mnemo encode [options] TEXT|-\n"
	"\n"
	"Print the encoding the current student produces for TEXT, with its metrics,\n"
	"without storing anything.\n"
	"\n"
	"      --model DIR        use this builtin model directory instead\n"
	"  -t, --type TYPE        observation type\n"
	"  -s, --source SOURCE    observation source\n"
	"      --json             machine-readable output\n"
	"      --config FILE      configuration file\n"
	"  -h, --help             this help\n";

int mn_cli_encode(int argc, char **argv)
{
	static const struct option lo[] = { COMMON_LONGOPTS,
					    { "model", required_argument, NULL, 'M' },
					    { "type", required_argument, NULL, 't' },
					    { "source", required_argument, NULL, 's' },
					    { 0 } };
	const char *config = NULL, *model = NULL, *type = NULL, *source = NULL;
	struct mn_ctx a;
	struct mn_err err = MN_ERR_INIT;
	struct mn_buf text = MN_BUF_INIT;
	struct mn_encoder *enc = NULL;
	struct mn_encode_out out;
	json_t *o = NULL;
	bool json = false;
	int c, code;

	memset(&out, 0, sizeof(out));
	optind = 1;
	while ((c = getopt_long(argc, argv, "ht:s:", lo, NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(encode_help, stdout);
			return 0;
		case 'j':
			json = true;
			break;
		case 'C':
			config = optarg;
			break;
		case 'M':
			model = optarg;
			break;
		case 't':
			type = optarg;
			break;
		case 's':
			source = optarg;
			break;
		default:
			return mn_cli_bad_option("encode", argv);
		}
	}
	if (optind != argc - 1)
		return mn_cli_usage("encode", "expected one TEXT argument (or - for stdin)");
	if (mn_ctx_open_config(&a, config ? config : mn_cli_config_path, &err)) {
		code = mn_cli_fail(&err);
		goto out;
	}
	code = mn_cli_read_text(&text, argv[optind], (size_t)a.cfg.encoding.max_text_bytes, &err);
	if (!code)
		code = mn_text_check_input(mn_buf_str(&text), text.len,
					   (size_t)a.cfg.encoding.max_text_bytes, &err);
	if (!code)
		code = model ? mn_encoder_open_model(&enc, &a.cfg, model, &err)
			     : mn_encoder_open(&enc, &a.cfg, a.home, &err);
	if (!code)
		code = mn_encoder_encode(enc, &out, mn_buf_str(&text), text.len, source, type,
					 &err);
	if (code) {
		code = mn_cli_fail(&err);
		goto out;
	}
	o = json_object();
	json_object_set_new(o, "encoding", json_deep_copy(out.encoding));
	json_object_set_new(o, "encoder", json_string(out.encoder));
	json_object_set_new(o, "encoder_version", json_string(out.encoder_version));
	json_object_set_new(o, "fallback", json_boolean(out.fallback));
	json_object_set_new(o, "confidence", json_real(out.confidence));
	json_object_set_new(o, "metrics", mn_metrics_to_json(&out.metrics));
	if (json) {
		mn_cli_print_json(o);
	} else {
		char *e = mn_json_dumps_indent(out.encoding, 2);

		mn_cli_printf("%s\nencoder %s@%s%s, confidence %.2f\n", e, out.encoder,
			      out.encoder_version, out.fallback ? " (fallback)" : "",
			      out.confidence);
		mn_cli_printf("epr %.3f  fr %.3f  np %.3f  sc %s  ted %s  mig %s  flags ",
			      out.metrics.epr, out.metrics.fr, out.metrics.np,
			      out.metrics.sc ? "yes" : "no", out.metrics.ted ? "yes" : "no",
			      out.metrics.mig ? "yes" : "no");
		free(e);
		e = mn_json_dumps(out.metrics.flags);
		mn_cli_printf("%s\n", e);
		free(e);
	}
	code = 0;
out:
	json_decref(o);
	mn_encode_out_release(&out);
	mn_encoder_free(enc);
	mn_buf_release(&text);
	mn_ctx_close(&a);
	return code;
}

/* ---- verify ---- */

static const char verify_help[] =
	"usage: mnemo verify [options] --raw FILE --encoding FILE\n"
	"\n"
	"Score an encoding against the raw text it encodes: EPR, FR, NP, TED, MIG, SC\n"
	"and flags - the same function the daemon, curriculum and gate use. Exit 0\n"
	"whatever the scores; 4 when a file is unreadable or not JSON.\n"
	"\n"
	"      --raw FILE         the raw input text ('-' for stdin)\n"
	"      --encoding FILE    the encoding JSON ('-' for stdin)\n"
	"      --json             machine-readable output\n"
	"  -h, --help             this help\n";

int mn_cli_verify(int argc, char **argv)
{
	static const struct option lo[] = { COMMON_LONGOPTS,
					    { "raw", required_argument, NULL, 'r' },
					    { "encoding", required_argument, NULL, 'e' },
					    { 0 } };
	const char *raw_path = NULL, *enc_path = NULL;
	struct mn_buf raw = MN_BUF_INIT, enc_text = MN_BUF_INIT;
	struct mn_err err = MN_ERR_INIT;
	struct mn_metrics m;
	json_t *enc = NULL, *o = NULL;
	bool json = false;
	int c, code = 0;

	memset(&m, 0, sizeof(m));
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(verify_help, stdout);
			return 0;
		case 'j':
			json = true;
			break;
		case 'C':
			break;
		case 'r':
			raw_path = optarg;
			break;
		case 'e':
			enc_path = optarg;
			break;
		default:
			return mn_cli_bad_option("verify", argv);
		}
	}
	if (!raw_path || !enc_path || optind != argc)
		return mn_cli_usage("verify", "--raw FILE and --encoding FILE are required");
	if (!strcmp(raw_path, "-") && !strcmp(enc_path, "-"))
		return mn_cli_usage("verify", "only one of --raw and --encoding may be '-'");
	code = !strcmp(raw_path, "-")
		       ? mn_cli_read_text(&raw, "-", MN_LIMIT_TEXT_BYTES_MAX, &err)
		       : mn_file_read(&raw, raw_path, MN_LIMIT_TEXT_BYTES_MAX, &err);
	if (!code)
		code = !strcmp(enc_path, "-")
			       ? mn_cli_read_text(&enc_text, "-", MN_LIMIT_JSON_FILE_BYTES, &err)
			       : mn_file_read(&enc_text, enc_path, MN_LIMIT_JSON_FILE_BYTES, &err);
	if (code) {
		code = mn_cli_fail(&err);
		goto out;
	}
	/* Model text is accepted as the daemon accepts it: leniently. */
	enc = mn_encoding_extract(mn_buf_str(&enc_text), enc_text.len, &err);
	if (!enc) {
		code = mn_cli_fail(&err);
		goto out;
	}
	mn_verify_score(&m, mn_buf_str(&raw), raw.len, enc);
	o = mn_metrics_to_json(&m);
	if (json) {
		mn_cli_print_json(o);
	} else {
		char *flags = mn_json_dumps(m.flags);

		mn_cli_printf(
			"EPR %.4f\nFR  %.4f\nNP  %.4f\nTED %s\nMIG %s\nSC  %s%s%s\nflags %s\n",
			m.epr, m.fr, m.np, m.ted ? "yes" : "no", m.mig ? "yes" : "no",
			m.sc ? "yes" : "no", m.sc ? "" : " - ", m.sc ? "" : m.sc_reason, flags);
		free(flags);
	}
out:
	json_decref(o);
	json_decref(enc);
	mn_metrics_release(&m);
	mn_buf_release(&raw);
	mn_buf_release(&enc_text);
	return code;
}

/* ---- audit ---- */

static const char audit_help[] =
	"usage: mnemo audit [options]\n"
	"\n"
	"Recent memories, newest first, with their quality metrics, flags and\n"
	"experience-buffer category (the MCP tool audit_encodings).\n"
	"\n"
	"  -n, --limit N          at most N memories [20, max 1000]\n"
	"  -c, --category C       only gold, needs_improvement, ambiguous or excluded\n"
	"      --json             machine-readable output\n"
	"      --config FILE      configuration file\n"
	"  -h, --help             this help\n";

int mn_cli_audit(int argc, char **argv)
{
	static const struct option lo[] = { COMMON_LONGOPTS,
					    { "category", required_argument, NULL, 'c' },
					    { "limit", required_argument, NULL, 'n' },
					    { 0 } };
	const char *config = NULL, *category = NULL;
	struct mn_ctx a;
	struct mn_err err = MN_ERR_INIT;
	json_t *res = NULL;
	bool json = false;
	int c, code, limit = 20;
	int64_t v;

	optind = 1;
	while ((c = getopt_long(argc, argv, "hc:n:", lo, NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(audit_help, stdout);
			return 0;
		case 'j':
			json = true;
			break;
		case 'C':
			config = optarg;
			break;
		case 'c':
			category = optarg;
			break;
		case 'n':
			if (!mn_text_parse_i64(&v, optarg, 1, 1000))
				return mn_cli_usage("audit", "--limit must be 1..1000");
			limit = (int)v;
			break;
		default:
			return mn_cli_bad_option("audit", argv);
		}
	}
	if (optind != argc)
		return mn_cli_usage("audit", "unexpected argument '%s'", argv[optind]);
	if (category && strcmp(category, "gold") && strcmp(category, "needs_improvement") &&
	    strcmp(category, "ambiguous") && strcmp(category, "excluded"))
		return mn_cli_usage("audit", "--category must be gold, needs_improvement, "
				    "ambiguous or excluded");
	code = mn_cli_open(&a, config);
	if (code)
		return code;
	if (mn_op_audit(&a, limit, category, &res, &err)) {
		code = mn_cli_fail(&err);
	} else if (json) {
		mn_cli_print_json(res);
	} else {
		const json_t *mems = json_object_get(res, "memories"), *m;
		size_t i;

		if (!json_array_size(mems))
			mn_cli_printf("no memories\n");
		json_array_foreach(mems, i, m) {
			const json_t *met = json_object_get(m, "metrics");
			char *flags = mn_json_dumps(json_object_get(m, "flags"));

			mn_cli_printf("%s %-17s epr %.2f fr %.2f sc %s conf %.2f %s\n    %s\n",
				      mn_json_str(m, "id", mn_json_str(m, "raw_id", "")),
				      mn_json_str(m, "category", "-"), mn_json_num(met, "epr", 0),
				      mn_json_num(met, "fr", 0),
				      json_is_true(json_object_get(met, "sc")) ? "yes" : "no",
				      mn_json_num(met, "confidence", 0), flags ? flags : "[]",
				      mn_json_str(json_object_get(m, "encoding"), "gist",
						  mn_json_str(m, "content", "")));
			free(flags);
		}
	}
	json_decref(res);
	mn_ctx_close(&a);
	return code;
}

/* ---- experience ---- */

static const char experience_help[] =
	"usage: mnemo experience stats|list|reclassify|report [options]\n"
	"\n"
	"The experience buffer: one row per model-produced encoding, classified as\n"
	"gold, needs_improvement, ambiguous or excluded (fallback encodings).\n"
	"\n"
	"  stats                  counts per category, corrections, trained rows\n"
	"  list                   rows, newest first, with metrics and corrections\n"
	"  reclassify             recompute every row's category now\n"
	"  report                 the hard-example report of the last dream cycle\n"
	"\n"
	"  -c, --category C       (list) only this category\n"
	"  -n, --limit N          (list) at most N rows [50]\n"
	"      --json             machine-readable output\n"
	"      --config FILE      configuration file\n"
	"  -h, --help             this help\n";

static json_t *exp_row_json(const struct mn_exp_row *r)
{
	json_t *o = json_object();
	json_t *corr = r->corrected_output ? json_loads(r->corrected_output, 0, NULL) : NULL;

	json_object_set_new(o, "id", json_string(r->id));
	json_object_set_new(o, "memory_id", json_string(r->memory_id));
	json_object_set_new(o, "category", json_string(r->category));
	json_object_set_new(o, "gist", json_string(r->gist ? r->gist : ""));
	json_object_set_new(o, "encoder_version", json_string(r->encoder_version));
	json_object_set_new(o, "metrics",
			    json_pack("{s:f,s:f,s:f,s:b,s:b,s:b,s:f}", "epr", r->epr, "fr", r->fr,
				      "np", r->np, "sc", r->sc, "ted", r->ted, "mig", r->mig,
				      "confidence", r->confidence));
	json_object_set_new(o, "flags", json_deep_copy(r->flags));
	json_object_set_new(o, "recall_score",
			    r->recall_count ? json_real(r->recall_score) : json_null());
	json_object_set_new(o, "recall_count", json_integer(r->recall_count));
	json_object_set_new(o, "corrected", json_boolean(r->corrected_output != NULL));
	if (r->corrected_output) {
		json_object_set_new(o, "correction_source", json_string(r->correction_source));
		json_object_set_new(o, "corrected_epr", json_real(r->corrected_epr));
		json_object_set_new(o, "corrected_output", corr ? corr : json_null());
		corr = NULL;
	}
	json_object_set_new(o, "correction_attempts", json_integer(r->correction_attempts));
	json_object_set_new(o, "batch_id", r->batch_id ? json_string(r->batch_id) : json_null());
	json_object_set_new(o, "trained_in_run",
			    r->trained_in_run ? json_string(r->trained_in_run) : json_null());
	json_object_set_new(o, "created_at", json_string(r->created_at));
	json_decref(corr);
	return o;
}

int mn_cli_experience(int argc, char **argv)
{
	static const struct option lo[] = { COMMON_LONGOPTS,
					    { "category", required_argument, NULL, 'c' },
					    { "limit", required_argument, NULL, 'n' },
					    { 0 } };
	const char *config = NULL, *category = NULL, *sub;
	struct mn_ctx a;
	struct mn_err err = MN_ERR_INIT;
	bool json = false;
	int c, code, limit = 50;
	int64_t v;

	optind = 1;
	while ((c = getopt_long(argc, argv, "hc:n:", lo, NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(experience_help, stdout);
			return 0;
		case 'j':
			json = true;
			break;
		case 'C':
			config = optarg;
			break;
		case 'c':
			category = optarg;
			break;
		case 'n':
			if (!mn_text_parse_i64(&v, optarg, 1, 100000))
				return mn_cli_usage("experience", "--limit must be 1..100000");
			limit = (int)v;
			break;
		default:
			return mn_cli_bad_option("experience", argv);
		}
	}
	if (optind != argc - 1)
		return mn_cli_usage("experience", "expected stats, list, reclassify or report");
	sub = argv[optind];
	if (category && strcmp(category, "gold") && strcmp(category, "needs_improvement") &&
	    strcmp(category, "ambiguous") && strcmp(category, "excluded"))
		return mn_cli_usage("experience",
				    "--category must be gold, needs_improvement, ambiguous or "
				    "excluded");
	if (strcmp(sub, "stats") && strcmp(sub, "list") && strcmp(sub, "reclassify") &&
	    strcmp(sub, "report"))
		return mn_cli_usage("experience", "unknown subcommand '%s'", sub);
	code = mn_cli_open(&a, config);
	if (code)
		return code;
	if (!strcmp(sub, "stats")) {
		json_t *s = NULL;

		if (mn_store_exp_stats(a.store, &s, &err)) {
			code = mn_cli_fail(&err);
		} else if (json) {
			mn_cli_print_json(s);
		} else {
			print_obj(s, 0);
		}
		json_decref(s);
	} else if (!strcmp(sub, "list")) {
		struct mn_exp_row *rows = NULL;
		size_t n = 0;

		if (mn_store_exp_list(a.store, &rows, &n, category, limit, &err)) {
			code = mn_cli_fail(&err);
		} else if (json) {
			json_t *arr = json_array();

			for (size_t i = 0; i < n; i++)
				json_array_append_new(arr, exp_row_json(&rows[i]));
			mn_cli_print_json(arr);
			json_decref(arr);
		} else {
			for (size_t i = 0; i < n; i++) {
				char *flags = mn_json_dumps(rows[i].flags);

				mn_cli_printf("%s %-17s epr %.2f conf %.2f %s %s\n    %s\n",
					      rows[i].memory_id, rows[i].category, rows[i].epr,
					      rows[i].confidence, flags,
					      rows[i].corrected_output ? "corrected" : "",
					      rows[i].gist ? rows[i].gist : "");
				if (rows[i].corrected_output)
					mn_cli_printf("    corrected by %s: epr %.2f -> %.2f\n",
						      rows[i].correction_source, rows[i].epr,
						      rows[i].corrected_epr);
				free(flags);
			}
			if (!n)
				mn_cli_printf("no rows\n");
		}
		mn_exp_rows_free(rows, n);
	} else if (!strcmp(sub, "reclassify")) {
		int changed = 0;

		if (mn_experience_reclassify(a.store, &a.cfg, &changed, &err)) {
			code = mn_cli_fail(&err);
		} else if (json) {
			json_t *o = json_pack("{s:i}", "changed", changed);

			mn_cli_print_json(o);
			json_decref(o);
		} else {
			mn_cli_printf("reclassified: %d row%s changed category\n", changed,
				      changed == 1 ? "" : "s");
		}
	} else {
		code = mn_cli_experience_report(&a, json);
	}
	mn_ctx_close(&a);
	return code;
}

/* ---- trainer ---- */

int mn_cli_trainer(int argc, char **argv)
{
	if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		mn_cli_printf(
			"usage: mnemo trainer builtin --batch-dir DIR --out DIR [--incumbent DIR]"
			" [--seed N]\n"
			"       mnemo trainer ranker --examples FILE --out DIR [--incumbent DIR]"
			" [--seed N]\n\nTrain the builtin student or the learned ranker; see"
			" 'mnemo trainer builtin --help', 'mnemo trainer ranker --help'.\n");
		return 0;
	}
	if (argc >= 2 && !strcmp(argv[1], "ranker"))
		return mn_cli_trainer_ranker(argc - 1, argv + 1);
	if (argc < 2 || strcmp(argv[1], "builtin"))
		return mn_cli_usage("trainer", "expected 'builtin' or 'ranker'");
	return mn_student_cli_train(argc - 1, argv + 1);
}
