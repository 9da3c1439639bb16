/*
 * learn_fixture.h - shared by the learning-loop unit tests (test_batch,
 * test_curriculum, test_dream): a fresh data home with a real store opened
 * through mn_ctx_open, memories put in through the store API with chosen
 * metrics, and tests/support/fake_llm.py started as the teacher (a real
 * child process). Include after testutil.h.
 */
#ifndef MN_LEARN_FIXTURE_H
#define MN_LEARN_FIXTURE_H

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <jansson.h>
#include <sqlite3.h>

#include "app/app.h"
#include "base/buf.h"
#include "base/json.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/timeutil.h"
#include "store/store.h"
#include "store/store_learn.h"

extern char **environ;

struct lf {
	char *dir;
	char home[512];
	struct mn_ctx a;
	pid_t fake_pid;
	char endpoint[160];
	char req_log[560];
};

static inline void lf_open(struct lf *f)
{
	struct mn_err err = MN_ERR_INIT;
	char xdg[560];

	memset(f, 0, sizeof(*f));
	f->dir = tu_tmpdir();
	assert_non_null(f->dir);
	snprintf(f->home, sizeof(f->home), "%s/home", f->dir);
	snprintf(xdg, sizeof(xdg), "%s/xdg", f->dir);
	snprintf(f->req_log, sizeof(f->req_log), "%s/requests.jsonl", f->dir);
	setenv("MNEMO_HOME", f->home, 1);
	setenv("XDG_CONFIG_HOME", xdg, 1);
	unsetenv("MNEMO_CONFIG");
	unsetenv("MNEMO_FAKE_NOW");
	setenv("MNEMO_LOG_LEVEL", "error", 1);
	if (mn_ctx_open(&f->a, NULL, &err))
		fail_msg("mn_ctx_open: %s", err.msg);
	mn_log_set_level(MN_LOG_ERROR);
}

static inline void lf_fake_stop(struct lf *f)
{
	if (f->fake_pid > 0) {
		kill(f->fake_pid, SIGTERM);
		waitpid(f->fake_pid, NULL, 0);
		f->fake_pid = 0;
	}
}

static inline void lf_close(struct lf *f)
{
	lf_fake_stop(f);
	mn_ctx_close(&f->a);
	unsetenv("MNEMO_FAKE_NOW");
	unsetenv("MNEMO_LOG_LEVEL");
	mn_log_set_level(MN_LOG_INFO);
	tu_rmtree(f->dir);
	f->dir = NULL;
}

/* Replace an owned config string. */
static inline void lf_set_str(char **slot, const char *v)
{
	free(*slot);
	*slot = v ? mn_xstrdup(v) : NULL;
}

/* A schema-valid encoding that keeps every entity of content. */
static inline json_t *lf_encoding(const char *content)
{
	char gist[61];

	snprintf(gist, sizeof(gist), "%.50s", content);
	return json_pack("{s:s,s:s,s:s,s:s,s:[s],s:{s:[],s:[],s:[],s:[]},s:s,s:s,s:s,s:f}",
			 "gist", gist, "summary", gist, "content", content, "narrative", "",
			 "concepts", "note", "structured_concepts", "topics", "entities",
			 "actions", "causality", "significance", "routine", "emotional_tone",
			 "neutral", "outcome", "unknown", "salience", 0.5);
}

struct lf_mem {
	const char *content;
	const char *source, *type; /* may be NULL */
	double epr, confidence;
	bool sc, ted, fallback;
	const char *category;      /* gold | needs_improvement | ambiguous */
	const char *flags;         /* JSON array text, NULL = [] */
	const char *encoder_version;
	json_t *encoding;          /* NULL = lf_encoding(content); borrowed */
};

#define LF_GOLD(text) { .content = (text), .epr = 1.0, .confidence = 0.9, .sc = true, \
			.category = "gold" }

/* Put a raw row and its memory + buffer row in; memory id into out_id. */
static inline void lf_add(struct lf *f, char out_id[37], const struct lf_mem *in)
{
	struct mn_err err = MN_ERR_INIT;
	struct mn_raw raw;
	struct mn_memory m;
	json_t *enc = in->encoding ? json_incref(in->encoding) : lf_encoding(in->content);

	memset(&raw, 0, sizeof(raw));
	raw.content = (char *)in->content;
	raw.content_len = strlen(in->content);
	raw.source = (char *)in->source;
	raw.type = (char *)in->type;
	if (mn_store_put_raw(f->a.store, &raw, &err))
		fail_msg("put_raw: %s", err.msg);
	memset(&m, 0, sizeof(m));
	snprintf(m.raw_id, sizeof(m.raw_id), "%s", raw.id);
	m.encoding = enc;
	m.encoding_json = mn_json_dumps(enc);
	m.encoder = (char *)"builtin";
	m.encoder_version = (char *)(in->encoder_version ? in->encoder_version : "v0001");
	m.fallback = in->fallback;
	m.epr = in->epr;
	m.np = in->epr;
	m.confidence = in->confidence;
	m.sc = in->sc;
	m.ted = in->ted;
	m.flags = in->flags ? json_loads(in->flags, 0, NULL) : json_array();
	m.salience = 0.5;
	m.source = (char *)in->source;
	m.type = (char *)in->type;
	if (mn_store_put_memory(f->a.store, &m, in->category ? in->category : "gold",
				NULL, &err))
		fail_msg("put_memory: %s", err.msg);
	if (out_id)
		snprintf(out_id, 37, "%s", m.id);
	free(m.encoding_json);
	json_decref(m.flags);
	json_decref(enc);
}

static inline void lf_add_gold(struct lf *f, char out_id[37], const char *text)
{
	struct lf_mem m = LF_GOLD(text);

	lf_add(f, out_id, &m);
}

/* Start fake_llm.py with this script (JSON text); endpoint in f->endpoint. */
static inline void lf_fake_start(struct lf *f, const char *script)
{
	char *py = tu_src_path("tests/support/fake_llm.py");
	char script_path[560], port_path[560];
	struct mn_buf port = MN_BUF_INIT;
	struct mn_err err = MN_ERR_INIT;
	char *argv[12];
	int n = 0;

	snprintf(script_path, sizeof(script_path), "%s/script.json", f->dir);
	snprintf(port_path, sizeof(port_path), "%s/port", f->dir);
	unlink(port_path);
	tu_write(script_path, script);
	argv[n++] = (char *)"python3";
	argv[n++] = py;
	argv[n++] = (char *)"--port";
	argv[n++] = (char *)"0";
	argv[n++] = (char *)"--script";
	argv[n++] = script_path;
	argv[n++] = (char *)"--port-file";
	argv[n++] = port_path;
	argv[n++] = (char *)"--log";
	argv[n++] = f->req_log;
	argv[n] = NULL;
	assert_int_equal(posix_spawnp(&f->fake_pid, "python3", NULL, NULL, argv, environ), 0);
	for (int i = 0; i < 1000 && !mn_file_exists(port_path); i++)
		mn_time_sleep_ms(10);
	assert_int_equal(mn_file_read(&port, port_path, 64, &err), 0);
	snprintf(f->endpoint, sizeof(f->endpoint), "http://127.0.0.1:%d/v1",
		 atoi(mn_buf_str(&port)));
	mn_buf_release(&port);
	free(py);
}

/* Configure the fake as the teacher. */
static inline void lf_teacher(struct lf *f, int timeout_s)
{
	lf_set_str(&f->a.cfg.teacher.provider, "openai");
	lf_set_str(&f->a.cfg.teacher.endpoint, f->endpoint);
	lf_set_str(&f->a.cfg.teacher.model, "teacher-model");
	lf_set_str(&f->a.cfg.teacher.api_key_env, NULL);
	f->a.cfg.teacher.timeout_s = timeout_s;
}

/* Chat requests the fake received. */
static inline int lf_fake_count(struct lf *f)
{
	struct mn_buf b = MN_BUF_INIT;
	struct mn_err err = MN_ERR_INIT;
	int n = 0;

	if (mn_file_read(&b, f->req_log, 64 << 20, &err) == 0) {
		for (const char *p = mn_buf_str(&b); (p = strstr(p, "chat/completions")); p++)
			n++;
	}
	mn_buf_release(&b);
	return n;
}

/* The buffer row of a memory (fails the test when missing). */
static inline void lf_row(struct lf *f, struct mn_exp_row *out, const char *memory_id)
{
	struct mn_err err = MN_ERR_INIT;
	struct mn_exp_row *rows = NULL;
	size_t n = 0;
	bool found = false;

	assert_int_equal(mn_store_exp_list(f->a.store, &rows, &n, NULL, 0, &err), 0);
	for (size_t i = 0; i < n; i++) {
		if (!strcmp(rows[i].memory_id, memory_id)) {
			*out = rows[i];
			memset(&rows[i], 0, sizeof(rows[i]));
			found = true;
		}
	}
	mn_exp_rows_free(rows, n);
	if (!found)
		fail_msg("no buffer row for %s", memory_id);
}

/* First column of the first row of sql (one ?1 text parameter) from a
 * separate connection to the same database; heap text or NULL. */
static inline char *lf_sql(struct lf *f, const char *sql, const char *arg)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	char *v = NULL;

	assert_int_equal(sqlite3_open_v2(f->a.db_path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	if (arg)
		sqlite3_bind_text(s, 1, arg, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0))
		v = mn_xstrdup((const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

#endif
