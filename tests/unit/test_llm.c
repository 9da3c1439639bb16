/*
 * test_llm.c - the chat-completions client against tests/support/fake_llm.py,
 * started as a real child process per test with its own reply script.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/types.h>
#include <sys/wait.h>

#include "testutil.h"

#include "base/buf.h"
#include "base/file.h"
#include "base/json.h"
#include "base/limits.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/timeutil.h"
#include "model/encoding.h"
#include "model/llm.h"
#include "model/prompt.h"

extern char **environ;

#define TEST_KEY "sk-test-SECRET-4f9a27c1"

/* A valid encoding as a model would write it. */
#define GOOD_JSON                                                                        \
	"{\"gist\":\"Fixed the retry bug in src/llm.c\",\"summary\":\"Fixed the retry bug "  \
	"in src/llm.c for v1.2.3.\",\"content\":\"Fixed the retry bug in src/llm.c for "     \
	"v1.2.3.\",\"narrative\":\"\",\"concepts\":[\"retry\",\"bug\"],"                     \
	"\"structured_concepts\":{\"topics\":[],\"entities\":[],\"actions\":[],"             \
	"\"causality\":[]},\"significance\":\"notable\",\"emotional_tone\":\"satisfying\","  \
	"\"outcome\":\"success\",\"salience\":0.6}"

#define INPUT "Fixed the retry bug in src/llm.c for v1.2.3."

struct fake {
	pid_t pid;
	char *dir;
	char *req_log; /* the fake's JSON-lines request log */
	char endpoint[80];
	json_t *requests; /* array, filled by fake_requests */
};

static int setup(void **state)
{
	struct fake *f = calloc(1, sizeof(*f));

	f->pid = -1;
	f->dir = tu_tmpdir();
	if (!f->dir)
		return -1;
	f->req_log = malloc(strlen(f->dir) + 32);
	sprintf(f->req_log, "%s/requests.jsonl", f->dir);
	*state = f;
	return 0;
}

static void fake_stop(struct fake *f)
{
	int st;

	if (f->pid <= 0)
		return;
	kill(f->pid, SIGTERM);
	while (waitpid(f->pid, &st, 0) < 0 && errno == EINTR) {
	}
	f->pid = -1;
}

static int teardown(void **state)
{
	struct fake *f = *state;

	fake_stop(f);
	{
		struct mn_buf b = MN_BUF_INIT;
		struct mn_err err = MN_ERR_INIT;
		char path[512];

		snprintf(path, sizeof(path), "%s/fake.err", f->dir);
		if (mn_file_read(&b, path, 1 << 20, &err) == 0 && b.len)
			fprintf(stderr, "fake_llm.py stderr:\n%s", b.data);
		mn_buf_release(&b);
	}
	mn_log_open_file(NULL);
	mn_log_set_level(MN_LOG_INFO);
	json_decref(f->requests);
	free(f->req_log);
	tu_rmtree(f->dir);
	free(f);
	return 0;
}

/* Start the fake with this script (JSON text) and optional extra args;
 * waits for its port file. */
static void fake_start_args(struct fake *f, const char *script, const char *extra1,
			    const char *extra2)
{
	char *py = tu_src_path("tests/support/fake_llm.py");
	char script_path[512], port_path[512], err_path[512];
	posix_spawn_file_actions_t fa;
	struct mn_buf port = MN_BUF_INIT;
	struct mn_err err = MN_ERR_INIT;
	char *argv[16];
	int n = 0;

	snprintf(script_path, sizeof(script_path), "%s/script.json", f->dir);
	snprintf(port_path, sizeof(port_path), "%s/port", f->dir);
	tu_write(script_path, script);
	argv[n++] = "python3";
	argv[n++] = "-I"; /* hermetic: no PYTHON* variables, no user site */
	argv[n++] = "-S"; /* stdlib only, and no site start-up cost */
	argv[n++] = py;
	argv[n++] = "--port";
	argv[n++] = "0";
	argv[n++] = "--script";
	argv[n++] = script_path;
	argv[n++] = "--port-file";
	argv[n++] = port_path;
	argv[n++] = "--log";
	argv[n++] = f->req_log;
	if (extra1)
		argv[n++] = (char *)extra1;
	if (extra2)
		argv[n++] = (char *)extra2;
	argv[n] = NULL;
	/* the fake's own complaints (tracebacks) go to a file teardown shows */
	snprintf(err_path, sizeof(err_path), "%s/fake.err", f->dir);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, err_path,
					 O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_int_equal(posix_spawnp(&f->pid, "python3", &fa, NULL, argv, environ), 0);
	posix_spawn_file_actions_destroy(&fa);
	for (int i = 0; i < 500 && !mn_file_exists(port_path); i++)
		mn_time_sleep_ms(10);
	assert_int_equal(mn_file_read(&port, port_path, 64, &err), 0);
	snprintf(f->endpoint, sizeof(f->endpoint), "http://127.0.0.1:%d/v1",
		 atoi(mn_buf_str(&port)));
	mn_buf_release(&port);
	free(py);
}

static void fake_start(struct fake *f, const char *script)
{
	fake_start_args(f, script, NULL, NULL);
}

/* Every request the fake logged, as a JSON array (borrowed by f). */
static const json_t *fake_requests(struct fake *f)
{
	struct mn_buf b = MN_BUF_INIT;
	struct mn_err err = MN_ERR_INIT;
	char *line, *save = NULL;

	json_decref(f->requests);
	f->requests = json_array();
	if (mn_file_read(&b, f->req_log, 64 * 1024 * 1024, &err) != 0)
		return f->requests;
	for (line = strtok_r(b.data, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		json_array_append_new(f->requests, json_loads(line, 0, NULL));
	mn_buf_release(&b);
	return f->requests;
}

static size_t fake_post_count(struct fake *f)
{
	const json_t *reqs = fake_requests(f);
	size_t n = 0;

	for (size_t i = 0; i < json_array_size(reqs); i++)
		n += !strcmp(mn_json_str(json_array_get(reqs, i), "method", ""), "POST");
	return n;
}

/* Client options for tests: quick backoff, short caps. */
static struct mn_llm_opts test_opts(const struct fake *f)
{
	struct mn_llm_opts o = { 0 };

	o.endpoint = f->endpoint;
	o.model = "test-model";
	o.timeout_s = 5;
	o.max_retries = 2;
	o.backoff_ms = 10;
	o.max_retry_after_s = 5;
	return o;
}

static struct mn_llm *client(const struct mn_llm_opts *o)
{
	struct mn_err err = MN_ERR_INIT;
	struct mn_llm *c = NULL;

	if (mn_llm_new(&c, o, &err) != 0)
		fail_msg("mn_llm_new: %s", err.msg);
	return c;
}

/* Script of one assistant reply with this content. */
static char *content_script(const char *content)
{
	json_t *s = json_pack("{s:s}", "content", content);
	char *t = json_dumps(s, 0);

	json_decref(s);
	return t;
}

static int encode_with_reply(struct fake *f, const char *reply, json_t **enc, char **raw,
			     struct mn_err *err)
{
	char *script = content_script(reply);
	struct mn_llm_opts o;
	struct mn_llm *c;
	int rc;

	fake_start(f, script);
	free(script);
	o = test_opts(f);
	c = client(&o);
	rc = mn_llm_encode(c, enc, raw, INPUT, strlen(INPUT), "test", "note", 0, err);
	mn_llm_free(c);
	return rc;
}

static void assert_good_encoding(const json_t *enc)
{
	char why[128] = "";

	assert_non_null(enc);
	assert_true(mn_encoding_check(enc, why, sizeof(why)));
	assert_string_equal(mn_json_str(enc, "gist", ""), "Fixed the retry bug in src/llm.c");
	assert_string_equal(mn_json_str(enc, "outcome", ""), "success");
}

static void test_chat_returns_assistant_text(void **state)
{
	struct fake *f = *state;
	struct mn_buf text = MN_BUF_INIT;
	struct mn_err err = MN_ERR_INIT;
	struct mn_llm_opts o;
	struct mn_llm *c;

	fake_start(f, "{\"content\": \"hello there\"}");
	o = test_opts(f);
	c = client(&o);
	assert_int_equal(mn_llm_chat(c, &text, "sys", "user", NULL, &err), 0);
	assert_string_equal(mn_buf_str(&text), "hello there");
	mn_buf_release(&text);
	mn_llm_free(c);
}

static void test_encode_valid_json(void **state)
{
	struct mn_err err = MN_ERR_INIT;
	json_t *enc = NULL;
	char *raw = NULL;

	assert_int_equal(encode_with_reply(*state, GOOD_JSON, &enc, &raw, &err), 0);
	assert_good_encoding(enc);
	assert_string_equal(raw, GOOD_JSON);
	json_decref(enc);
	free(raw);
}

static void test_encode_fenced_json(void **state)
{
	struct mn_err err = MN_ERR_INIT;
	json_t *enc = NULL;
	char *raw = NULL;

	assert_int_equal(encode_with_reply(*state, "```json\n" GOOD_JSON "\n```\n", &enc, &raw,
					   &err),
			 0);
	assert_good_encoding(enc);
	assert_string_equal(raw, "```json\n" GOOD_JSON "\n```\n");
	json_decref(enc);
	free(raw);
}

static void test_encode_think_block(void **state)
{
	struct mn_err err = MN_ERR_INIT;
	json_t *enc = NULL;

	assert_int_equal(encode_with_reply(*state,
					   "<think>The user wants {json}. Let me think.</think>\n"
					   GOOD_JSON,
					   &enc, NULL, &err),
			 0);
	assert_good_encoding(enc);
	json_decref(enc);
}

static void test_encode_prose_around_json(void **state)
{
	struct mn_err err = MN_ERR_INIT;
	json_t *enc = NULL;

	assert_int_equal(encode_with_reply(*state,
					   "Sure! Here is the memory:\n" GOOD_JSON
					   "\nLet me know if you need anything else.",
					   &enc, NULL, &err),
			 0);
	assert_good_encoding(enc);
	json_decref(enc);
}

/* A reply whose object balances but does not parse (here a duplicate
 * key) is invalid: asked again, then MN_EPARSE for the caller's fallback.
 * It was taken for an encoding: the first valid object inside it
 * (structured_concepts), with no gist and no content. */
static void test_encode_unparsable_object_is_invalid_reply(void **state)
{
	struct fake *f = *state;
	struct mn_err err = MN_ERR_INIT;
	struct mn_buf reply = MN_BUF_INIT;
	json_t *enc = NULL;
	char *raw = NULL;

	mn_buf_add(&reply, GOOD_JSON, strlen(GOOD_JSON) - 1);
	mn_buf_adds(&reply, ",\"salience\":0.7}");
	assert_int_equal(encode_with_reply(f, mn_buf_str(&reply), &enc, &raw, &err), MN_EPARSE);
	assert_null(enc);
	assert_null(raw);
	assert_non_null(strstr(err.msg, "no valid JSON object"));
	assert_int_equal(fake_post_count(f), 2);
	mn_buf_release(&reply);
}

/* A model that lists 500 concepts and 500 topics gets the documented cap. */
static void test_encode_caps_concepts_and_lists(void **state)
{
	struct mn_err err = MN_ERR_INIT;
	struct mn_err perr = MN_ERR_INIT;
	json_t *reply = mn_json_parse(GOOD_JSON, strlen(GOOD_JSON), &perr);
	json_t *concepts = json_array(), *topics = json_array(), *enc = NULL;
	char *text, name[32];

	assert_non_null(reply);
	for (int i = 0; i < 500; i++) {
		snprintf(name, sizeof(name), "concept%d", i);
		json_array_append_new(concepts, json_string(name));
		json_array_append_new(topics, json_pack("{s:s,s:s}", "label", name, "path", "p"));
	}
	json_object_set_new(reply, "concepts", concepts);
	json_object_set_new(json_object_get(reply, "structured_concepts"), "topics", topics);
	text = mn_json_dumps(reply);
	assert_int_equal(encode_with_reply(*state, text, &enc, NULL, &err), 0);
	assert_int_equal(json_array_size(json_object_get(enc, "concepts")),
			 MN_LIMIT_ENCODING_CONCEPTS);
	assert_int_equal(json_array_size(json_object_get(
				 json_object_get(enc, "structured_concepts"), "topics")),
			 MN_LIMIT_ENCODING_LIST_ITEMS);
	assert_true(mn_encoding_check(enc, NULL, 0));
	json_decref(enc);
	json_decref(reply);
	free(text);
}

static void test_encode_truncated_json_fails_after_one_retry(void **state)
{
	struct fake *f = *state;
	struct mn_err err = MN_ERR_INIT;
	json_t *enc = NULL;
	char *raw = (char *)"untouched";

	assert_int_equal(encode_with_reply(f, "{\"gist\":\"Fixed the retry\",\"summ", &enc, &raw,
					   &err),
			 MN_EPARSE);
	assert_null(enc);
	assert_null(raw);
	assert_non_null(strstr(err.msg, "truncated"));
	assert_int_equal(fake_post_count(f), 2);
}

static void test_encode_retry_recovers_from_garbled_reply(void **state)
{
	struct fake *f = *state;
	struct mn_err err = MN_ERR_INIT;
	json_t *script = json_pack("[{s:s},{s:s}]", "content", "I cannot do that.", "content",
				   GOOD_JSON);
	char *text = json_dumps(script, 0);
	struct mn_llm_opts o;
	struct mn_llm *c;
	json_t *enc = NULL;
	char *raw = NULL;

	fake_start(f, text);
	o = test_opts(f);
	c = client(&o);
	assert_int_equal(mn_llm_encode(c, &enc, &raw, INPUT, strlen(INPUT), NULL, NULL, 0, &err),
			 0);
	assert_good_encoding(enc);
	assert_string_equal(raw, GOOD_JSON);
	assert_int_equal(fake_post_count(f), 2);
	mn_llm_free(c);
	json_decref(enc);
	json_decref(script);
	free(text);
	free(raw);
}

static void test_encode_schema_violation_returned_for_caller(void **state)
{
	struct mn_err err = MN_ERR_INIT;
	json_t *enc = NULL;
	char why[128] = "";

	assert_int_equal(encode_with_reply(*state,
					   "{\"gist\":\"x\",\"significance\":\"enormous\","
					   "\"salience\":\"0.4\"}",
					   &enc, NULL, &err),
			 0);
	assert_non_null(enc);
	assert_false(mn_encoding_check(enc, why, sizeof(why)));
	assert_true(why[0] != '\0');
	/* normalised: numeric string coerced */
	assert_true(json_is_number(json_object_get(enc, "salience")));
	json_decref(enc);
}

static void test_chat_retries_after_500(void **state)
{
	struct fake *f = *state;
	struct mn_buf text = MN_BUF_INIT;
	struct mn_err err = MN_ERR_INIT;
	struct mn_llm_opts o;
	struct mn_llm *c;

	fake_start(f, "[{\"status\": 500, \"body\": \"boom\"}, {\"content\": \"ok\"}]");
	o = test_opts(f);
	c = client(&o);
	assert_int_equal(mn_llm_chat(c, &text, "s", "u", NULL, &err), 0);
	assert_string_equal(mn_buf_str(&text), "ok");
	assert_int_equal(fake_post_count(f), 2);
	mn_buf_release(&text);
	mn_llm_free(c);
}

static void test_chat_500_fails_after_retries_with_status_and_body(void **state)
{
	struct fake *f = *state;
	struct mn_buf text = MN_BUF_INIT;
	struct mn_err err = MN_ERR_INIT;
	struct mn_llm_opts o;
	struct mn_llm *c;

	fake_start(f, "{\"status\": 503, \"body\": \"model is overloaded\"}");
	o = test_opts(f);
	c = client(&o);
	assert_int_equal(mn_llm_chat(c, &text, "s", "u", NULL, &err), MN_EHTTP);
	assert_non_null(strstr(err.msg, "HTTP 503"));
	assert_non_null(strstr(err.msg, "model is overloaded"));
	assert_int_equal(fake_post_count(f), 3);
	mn_buf_release(&text);
	mn_llm_free(c);
}

static void test_chat_4xx_not_retried_and_shows_server_message(void **state)
{
	struct fake *f = *state;
	struct mn_buf text = MN_BUF_INIT;
	struct mn_err err = MN_ERR_INIT;
	struct mn_llm_opts o;
	struct mn_llm *c;

	fake_start(f, "{\"status\": 400, \"body\": \"{\\\"error\\\":{\\\"message\\\":"
		      "\\\"response_format not supported\\\"}}\"}");
	o = test_opts(f);
	c = client(&o);
	assert_int_equal(mn_llm_chat(c, &text, "s", "u", NULL, &err), MN_EHTTP);
	assert_non_null(strstr(err.msg, "HTTP 400"));
	assert_non_null(strstr(err.msg, "response_format not supported"));
	assert_int_equal(fake_post_count(f), 1);
	mn_buf_release(&text);
	mn_llm_free(c);
}

static void test_chat_honours_retry_after(void **state)
{
	struct fake *f = *state;
	struct mn_buf text = MN_BUF_INIT;
	struct mn_err err = MN_ERR_INIT;
	struct mn_llm_opts o;
	struct mn_llm *c;
	int64_t t0;

	fake_start(f, "[{\"status\": 429, \"retry_after\": 1}, {\"content\": \"ok\"}]");
	o = test_opts(f);
	c = client(&o);
	t0 = mn_time_mono_ms();
	assert_int_equal(mn_llm_chat(c, &text, "s", "u", NULL, &err), 0);
	assert_true(mn_time_mono_ms() - t0 >= 1000);
	assert_string_equal(mn_buf_str(&text), "ok");
	mn_buf_release(&text);
	mn_llm_free(c);
}

static void test_chat_caps_retry_after(void **state)
{
	struct fake *f = *state;
	struct mn_buf text = MN_BUF_INIT;
	struct mn_err err = MN_ERR_INIT;
	struct mn_llm_opts o;
	struct mn_llm *c;
	int64_t t0, dt;

	fake_start(f, "[{\"status\": 429, \"retry_after\": 3600}, {\"content\": \"ok\"}]");
	o = test_opts(f);
	o.max_retry_after_s = 1;
	c = client(&o);
	t0 = mn_time_mono_ms();
	assert_int_equal(mn_llm_chat(c, &text, "s", "u", NULL, &err), 0);
	dt = mn_time_mono_ms() - t0;
	assert_true(dt >= 1000 && dt < 4000);
	mn_buf_release(&text);
	mn_llm_free(c);
}

/* A Retry-After belongs to its own response: a later 500 without one
 * backs off by the (short) exponential delay. */
static void test_chat_retry_after_not_carried_to_next_attempt(void **state)
{
	struct fake *f = *state;
	struct mn_buf text = MN_BUF_INIT;
	struct mn_err err = MN_ERR_INIT;
	struct mn_llm_opts o;
	struct mn_llm *c;
	int64_t t0, dt;

	fake_start(f, "[{\"status\": 429, \"retry_after\": 1}, {\"status\": 500},"
		      " {\"content\": \"ok\"}]");
	o = test_opts(f);
	c = client(&o);
	t0 = mn_time_mono_ms();
	assert_int_equal(mn_llm_chat(c, &text, "s", "u", NULL, &err), 0);
	dt = mn_time_mono_ms() - t0;
	assert_true(dt >= 1000 && dt < 1800);
	mn_buf_release(&text);
	mn_llm_free(c);
}

/* A Retry-After longer than a request may take is waited for timeout_s at
 * most (it was capped at 30 s, whatever the timeout). */
static void test_chat_retry_after_capped_at_timeout(void **state)
{
	struct fake *f = *state;
	struct mn_buf text = MN_BUF_INIT;
	struct mn_err err = MN_ERR_INIT;
	struct mn_llm_opts o;
	struct mn_llm *c;
	int64_t t0, dt;

	fake_start(f, "[{\"status\": 429, \"retry_after\": 6}, {\"content\": \"ok\"}]");
	o = test_opts(f);
	o.timeout_s = 2;
	o.max_retry_after_s = 0; /* the default: the request timeout */
	c = client(&o);
	t0 = mn_time_mono_ms();
	assert_int_equal(mn_llm_chat(c, &text, "s", "u", NULL, &err), 0);
	dt = mn_time_mono_ms() - t0;
	if (dt < 2000 || dt >= 4500)
		fail_msg("waited %lld ms for Retry-After 6 with timeout_s 2", (long long)dt);
	assert_string_equal(mn_buf_str(&text), "ok");
	mn_buf_release(&text);
	mn_llm_free(c);
}

static void test_chat_slow_reply_times_out(void **state)
{
	struct fake *f = *state;
	struct mn_buf text = MN_BUF_INIT;
	struct mn_err err = MN_ERR_INIT;
	struct mn_llm_opts o;
	struct mn_llm *c;
	int64_t t0, dt;

	fake_start(f, "{\"delay_s\": 3, \"content\": \"late\"}");
	o = test_opts(f);
	o.timeout_s = 1;
	c = client(&o);
	t0 = mn_time_mono_ms();
	assert_int_equal(mn_llm_chat(c, &text, "s", "u", NULL, &err), MN_ETIMEOUT);
	dt = mn_time_mono_ms() - t0;
	assert_true(dt >= 900 && dt < 2500);
	assert_non_null(strstr(err.msg, "timed out"));
	mn_buf_release(&text);
	mn_llm_free(c);
}

static void test_chat_oversized_reply_is_an_error(void **state)
{
	struct fake *f = *state;
	struct mn_buf text = MN_BUF_INIT;
	struct mn_err err = MN_ERR_INIT;
	struct mn_llm_opts o;
	struct mn_llm *c;

	fake_start(f, "{\"oversize\": 10000000}");
	o = test_opts(f);
	o.max_response_bytes = 65536;
	c = client(&o);
	assert_int_equal(mn_llm_chat(c, &text, "s", "u", NULL, &err), MN_EHTTP);
	assert_non_null(strstr(err.msg, "larger than 65536 bytes"));
	assert_int_equal(fake_post_count(f), 1);
	mn_buf_release(&text);
	mn_llm_free(c);
}

static void test_chat_oversized_declared_length_is_an_error(void **state)
{
	struct fake *f = *state;
	struct mn_buf text = MN_BUF_INIT;
	struct mn_err err = MN_ERR_INIT;
	struct mn_llm_opts o;
	struct mn_llm *c;
	char *script = mn_xasprintf("{\"content\": \"%0*d\"}", 100000, 0);

	fake_start(f, script);
	o = test_opts(f);
	o.max_response_bytes = 4096;
	c = client(&o);
	assert_int_equal(mn_llm_chat(c, &text, "s", "u", NULL, &err), MN_EHTTP);
	assert_non_null(strstr(err.msg, "larger than 4096 bytes"));
	mn_buf_release(&text);
	mn_llm_free(c);
	free(script);
}

static void test_chat_connection_reset_fails_after_retries(void **state)
{
	struct fake *f = *state;
	struct mn_buf text = MN_BUF_INIT;
	struct mn_err err = MN_ERR_INIT;
	struct mn_llm_opts o;
	struct mn_llm *c;

	fake_start(f, "{\"reset\": true}");
	o = test_opts(f);
	c = client(&o);
	assert_int_equal(mn_llm_chat(c, &text, "s", "u", NULL, &err), MN_EHTTP);
	assert_non_null(strstr(err.msg, "3 attempts"));
	assert_int_equal(fake_post_count(f), 3);
	mn_buf_release(&text);
	mn_llm_free(c);
}

static void test_chat_closed_without_reply_is_retried(void **state)
{
	struct fake *f = *state;
	struct mn_buf text = MN_BUF_INIT;
	struct mn_err err = MN_ERR_INIT;
	struct mn_llm_opts o;
	struct mn_llm *c;

	fake_start(f, "[{\"close\": true}, {\"reset\": true}, {\"content\": \"ok\"}]");
	o = test_opts(f);
	c = client(&o);
	assert_int_equal(mn_llm_chat(c, &text, "s", "u", NULL, &err), 0);
	assert_string_equal(mn_buf_str(&text), "ok");
	assert_int_equal(fake_post_count(f), 3);
	mn_buf_release(&text);
	mn_llm_free(c);
}

static void test_chat_connection_refused_is_http_error(void **state)
{
	struct mn_buf text = MN_BUF_INIT;
	struct mn_err err = MN_ERR_INIT;
	struct mn_llm_opts o = { 0 };
	struct mn_llm *c;

	(void)state;
	o.endpoint = "http://127.0.0.1:1/v1"; /* nothing listens on port 1 */
	o.max_retries = -1;
	c = client(&o);
	assert_int_equal(mn_llm_chat(c, &text, "s", "u", NULL, &err), MN_EHTTP);
	assert_non_null(strstr(err.msg, "could not reach"));
	mn_buf_release(&text);
	mn_llm_free(c);
}

static void test_chat_reply_not_a_completion_is_parse_error(void **state)
{
	struct fake *f = *state;
	struct mn_buf text = MN_BUF_INIT;
	struct mn_err err = MN_ERR_INIT;
	struct mn_llm_opts o;
	struct mn_llm *c;

	fake_start(f, "[{\"status\": 200, \"body\": \"{\\\"object\\\":\\\"list\\\"}\"},"
		      " {\"status\": 200, \"body\": \"<html>hi</html>\"}]");
	o = test_opts(f);
	c = client(&o);
	assert_int_equal(mn_llm_chat(c, &text, "s", "u", NULL, &err), MN_EPARSE);
	assert_non_null(strstr(err.msg, "not a chat completion"));
	assert_int_equal(mn_llm_chat(c, &text, "s", "u", NULL, &err), MN_EPARSE);
	assert_non_null(strstr(err.msg, "not JSON"));
	mn_buf_release(&text);
	mn_llm_free(c);
}

static void test_request_carries_schema_prompt_and_key(void **state)
{
	struct fake *f = *state;
	struct mn_err err = MN_ERR_INIT;
	struct mn_llm_opts o;
	struct mn_llm *c;
	json_t *enc = NULL, *schema = mn_encoding_json_schema();
	const json_t *req, *body, *rf, *msgs;
	char *prompt = mn_prompt_build(INPUT, strlen(INPUT), "cli", "note", 8000);
	char *script = content_script(GOOD_JSON);

	fake_start(f, script);
	free(script);
	o = test_opts(f);
	o.api_key = TEST_KEY;
	c = client(&o);
	assert_int_equal(mn_llm_encode(c, &enc, NULL, INPUT, strlen(INPUT), "cli", "note", 8000,
				       &err),
			 0);
	req = json_array_get(fake_requests(f), 0);
	assert_non_null(req);
	assert_string_equal(mn_json_str(req, "path", ""), "/v1/chat/completions");
	assert_string_equal(mn_json_str(json_object_get(req, "headers"), "authorization", ""),
			    "Bearer " TEST_KEY);
	assert_string_equal(mn_json_str(json_object_get(req, "headers"), "content-type", ""),
			    "application/json");
	body = json_object_get(req, "body");
	assert_string_equal(mn_json_str(body, "model", ""), "test-model");
	assert_true(json_is_number(json_object_get(body, "temperature")));
	assert_true(json_number_value(json_object_get(body, "temperature")) == 0.0);
	msgs = json_object_get(body, "messages");
	assert_int_equal(json_array_size(msgs), 2);
	assert_string_equal(mn_json_str(json_array_get(msgs, 0), "role", ""), "system");
	assert_string_equal(mn_json_str(json_array_get(msgs, 0), "content", ""),
			    mn_prompt_system());
	assert_string_equal(mn_json_str(json_array_get(msgs, 1), "role", ""), "user");
	assert_string_equal(mn_json_str(json_array_get(msgs, 1), "content", ""), prompt);
	rf = json_object_get(body, "response_format");
	assert_string_equal(mn_json_str(rf, "type", ""), "json_schema");
	rf = json_object_get(rf, "json_schema");
	assert_string_equal(mn_json_str(rf, "name", ""), "memory_encoding");
	assert_true(json_is_true(json_object_get(rf, "strict")));
	assert_true(json_equal(json_object_get(rf, "schema"), schema));
	mn_llm_free(c);
	json_decref(enc);
	json_decref(schema);
	free(prompt);
}

static void test_request_without_key_or_schema(void **state)
{
	struct fake *f = *state;
	struct mn_buf text = MN_BUF_INIT;
	struct mn_err err = MN_ERR_INIT;
	struct mn_llm_opts o;
	struct mn_llm *c;
	const json_t *req;

	fake_start(f, "{\"content\": \"ok\"}");
	o = test_opts(f);
	o.model = NULL;
	c = client(&o);
	assert_int_equal(mn_llm_chat(c, &text, NULL, "only user", NULL, &err), 0);
	req = json_array_get(fake_requests(f), 0);
	assert_null(json_object_get(json_object_get(req, "headers"), "authorization"));
	assert_null(json_object_get(json_object_get(req, "body"), "response_format"));
	assert_null(json_object_get(json_object_get(req, "body"), "model"));
	assert_int_equal(json_array_size(json_object_get(json_object_get(req, "body"), "messages")),
			 1);
	mn_buf_release(&text);
	mn_llm_free(c);
}

static void test_api_key_never_logged(void **state)
{
	struct fake *f = *state;
	struct mn_buf text = MN_BUF_INIT, log = MN_BUF_INIT;
	struct mn_err err = MN_ERR_INIT;
	struct mn_llm_opts o;
	struct mn_llm *c;
	char log_path[512];

	/* the server echoes the key in its error, as some APIs do */
	fake_start(f, "[{\"content\": \"fine\"}, {\"status\": 500, \"body\": "
		      "\"{\\\"error\\\":{\\\"message\\\":\\\"Incorrect API key provided: " TEST_KEY
		      "\\\"}}\"}]");
	snprintf(log_path, sizeof(log_path), "%s/mnemo.log", f->dir);
	assert_int_equal(mn_log_open_file(log_path), 0);
	mn_log_set_level(MN_LOG_DEBUG);
	o = test_opts(f);
	o.api_key = TEST_KEY "\n"; /* as read from a key file */
	c = client(&o);
	assert_int_equal(mn_llm_chat(c, &text, "s", "u", NULL, &err), 0);
	assert_int_equal(mn_llm_chat(c, &text, "s", "u", NULL, &err), MN_EHTTP);
	mn_llm_free(c);
	mn_log_open_file(NULL);
	assert_null(strstr(err.msg, TEST_KEY));
	assert_non_null(strstr(err.msg, "[redacted]"));
	assert_int_equal(mn_file_read(&log, log_path, 1 << 20, &err), 0);
	assert_true(log.len > 0);          /* debug and warn lines were written */
	assert_null(strstr(mn_buf_str(&log), TEST_KEY));
	assert_null(strstr(mn_buf_str(&log), "SECRET"));
	/* the key itself still went out, trimmed */
	assert_string_equal(mn_json_str(json_object_get(json_array_get(fake_requests(f), 0),
							"headers"),
					"authorization", ""),
			    "Bearer " TEST_KEY);
	mn_buf_release(&text);
	mn_buf_release(&log);
}

static void test_endpoint_suffix_not_doubled_and_connection_kept(void **state)
{
	struct fake *f = *state;
	struct mn_buf text = MN_BUF_INIT;
	struct mn_err err = MN_ERR_INIT;
	struct mn_llm_opts o;
	struct mn_llm *c;
	char ep[128];
	const json_t *reqs;

	fake_start(f, "{\"content\": \"ok\"}");
	snprintf(ep, sizeof(ep), "%s/chat/completions/", f->endpoint);
	o = test_opts(f);
	o.endpoint = ep;
	c = client(&o);
	assert_int_equal(mn_llm_chat(c, &text, "s", "u", NULL, &err), 0);
	assert_int_equal(mn_llm_chat(c, &text, "s", "u", NULL, &err), 0);
	reqs = fake_requests(f);
	assert_int_equal(json_array_size(reqs), 2);
	assert_string_equal(mn_json_str(json_array_get(reqs, 0), "path", ""),
			    "/v1/chat/completions");
	/* one handle, one kept-alive connection */
	assert_true(json_equal(json_object_get(json_array_get(reqs, 0), "client_port"),
			       json_object_get(json_array_get(reqs, 1), "client_port")));
	mn_buf_release(&text);
	mn_llm_free(c);
}

static void test_new_rejects_bad_endpoint_and_key(void **state)
{
	struct mn_err err = MN_ERR_INIT;
	struct mn_llm_opts o = { 0 };
	struct mn_llm *c = NULL;

	(void)state;
	assert_int_equal(mn_llm_new(&c, &o, &err), MN_EINVAL);
	o.endpoint = "ftp://example.com/v1";
	assert_int_equal(mn_llm_new(&c, &o, &err), MN_EINVAL);
	assert_null(c);
	o.endpoint = "http://127.0.0.1:1/v1";
	o.api_key = "sk-abc\r\nX-Evil: 1";
	assert_int_equal(mn_llm_new(&c, &o, &err), MN_EINVAL);
	assert_null(c);
	assert_null(strstr(err.msg, "sk-abc"));
}

static void test_wait_ready_polls_until_models_answers(void **state)
{
	struct fake *f = *state;
	struct mn_err err = MN_ERR_INIT;
	size_t gets = 0;
	const json_t *reqs;

	fake_start_args(f, "{\"content\": \"ok\"}", "--ready-delay", "0.6");
	assert_int_equal(mn_llm_wait_ready(f->endpoint, 5, &err), 0);
	reqs = fake_requests(f);
	for (size_t i = 0; i < json_array_size(reqs); i++) {
		assert_string_equal(mn_json_str(json_array_get(reqs, i), "path", ""), "/v1/models");
		gets++;
	}
	assert_true(gets >= 2);
}

static void test_wait_ready_times_out(void **state)
{
	struct mn_err err = MN_ERR_INIT;
	int64_t t0 = mn_time_mono_ms();

	(void)state;
	assert_int_equal(mn_llm_wait_ready("http://127.0.0.1:1/v1", 1, &err), MN_ETIMEOUT);
	assert_true(mn_time_mono_ms() - t0 < 3000);
	assert_non_null(strstr(err.msg, "not ready"));
}

/* The fake's echo mode answers with a faithful, schema-valid encoding of
 * what the real prompt builder put in the prompt; other suites rely on it. */
static void test_fake_echo_mode_encodes_the_observation(void **state)
{
	struct fake *f = *state;
	struct mn_err err = MN_ERR_INIT;
	struct mn_llm_opts o;
	struct mn_llm *c;
	json_t *enc = NULL;
	char why[128] = "";
	const char *in = "Deployed v2.0.1 to /opt/mnemo on host Alpha Centauri.\n"
			 "Latency fell from 120 ms to 45 ms.";

	fake_start(f, "{\"encode\": \"echo\"}");
	o = test_opts(f);
	c = client(&o);
	assert_int_equal(mn_llm_encode(c, &enc, NULL, in, strlen(in), "cli", "note", 0, &err), 0);
	assert_true(mn_encoding_check(enc, why, sizeof(why)));
	assert_string_equal(mn_json_str(enc, "content", ""), in);
	assert_string_equal(mn_json_str(enc, "gist", ""),
			    "Deployed v2.0.1 to /opt/mnemo on host Alpha Centauri.");
	mn_llm_free(c);
	json_decref(enc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_chat_returns_assistant_text),
		T(test_encode_valid_json),
		T(test_encode_fenced_json),
		T(test_encode_think_block),
		T(test_encode_prose_around_json),
		T(test_encode_truncated_json_fails_after_one_retry),
		T(test_encode_unparsable_object_is_invalid_reply),
		T(test_encode_caps_concepts_and_lists),
		T(test_encode_retry_recovers_from_garbled_reply),
		T(test_encode_schema_violation_returned_for_caller),
		T(test_chat_retries_after_500),
		T(test_chat_500_fails_after_retries_with_status_and_body),
		T(test_chat_4xx_not_retried_and_shows_server_message),
		T(test_chat_honours_retry_after),
		T(test_chat_caps_retry_after),
		T(test_chat_retry_after_not_carried_to_next_attempt),
		T(test_chat_retry_after_capped_at_timeout),
		T(test_chat_slow_reply_times_out),
		T(test_chat_oversized_reply_is_an_error),
		T(test_chat_oversized_declared_length_is_an_error),
		T(test_chat_connection_reset_fails_after_retries),
		T(test_chat_closed_without_reply_is_retried),
		T(test_chat_connection_refused_is_http_error),
		T(test_chat_reply_not_a_completion_is_parse_error),
		T(test_request_carries_schema_prompt_and_key),
		T(test_request_without_key_or_schema),
		T(test_api_key_never_logged),
		T(test_endpoint_suffix_not_doubled_and_connection_kept),
		T(test_new_rejects_bad_endpoint_and_key),
		T(test_wait_ready_polls_until_models_answers),
		T(test_wait_ready_times_out),
		T(test_fake_echo_mode_encodes_the_observation),
#undef T
	};
	int rc = cmocka_run_group_tests_name("llm", tests, NULL, NULL);

	mn_llm_global_cleanup();
	return rc;
}
