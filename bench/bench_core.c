/*
 * bench_core.c - core benchmarks (issue: encoding pipeline), each reported
 * as a ratio against a baseline measured in the same run:
 *   1. verifier throughput on 1 KB and 8 KB inputs vs. serialising the
 *      same encoding to compact JSON (the cheapest thing every caller does);
 *   2. remember + builtin encode + verify + store (durable, WAL) vs. a bare
 *      SQLite insert of the same rows with the same durability;
 *   3. recall latency (p50/p99) at 10k and 100k memories vs. a bare FTS5
 *      MATCH of the same query on the same database.
 * Built and run by `make bench` (bench/run.sh). Set BENCH_SMALL=1 for a quick
 * run, BENCH_ONLY=verify, remember or recall for one group, BENCH_HOME=DIR to
 * reuse the memories of an earlier run (it is kept).
 */
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "app/app.h"
#include "app/ranking.h"
#include "base/file.h"
#include "base/json.h"
#include "base/mem.h"
#include "base/timeutil.h"
#include "model/encoder.h"
#include "model/verify.h"
#include "learn/worker.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A Zipf-distributed vocabulary of pseudo-words plus real domain terms,
 * so term frequencies look like real notes (a few very common words, a long
 * tail of specific ones). */
#define VOCAB 20000
static char *vocab[VOCAB];
static double zipf_cdf[VOCAB];

static const char *const domain[] = {
	"deploy", "SQLite", "WAL", "checkpoint", "latency", "regression", "cache", "index",
	"migration", "rollback", "Alice Smith", "Bob", "server", "config.yaml", "v1.2.3",
	"/var/log/mnemo.log", "timeout", "retry", "build", "failed", "passed", "queue",
	"encoder", "student", "teacher", "gate", "batch", "holdout", "PostgreSQL", "kernel",
};

static void init_vocab(void)
{
	static const char *const syl[] = { "ka", "lo", "mi", "ne", "ru", "ta", "vo", "zi",
					   "pe", "do", "sa", "gu", "fi", "be", "ho", "ly" };
	double sum = 0;

	for (int i = 0; i < VOCAB; i++) {
		if (i < (int)(sizeof(domain) / sizeof(*domain))) {
			vocab[i] = mn_xstrdup(domain[i]);
		} else {
			unsigned x = (unsigned)i * 2654435761u;

			vocab[i] = mn_xasprintf("%s%s%s%s", syl[x % 16], syl[(x >> 4) % 16],
						syl[(x >> 8) % 16], (x >> 12) % 3 ? syl[(x >> 16) % 16] : "");
		}
		sum += 1.0 / pow(i + 1, 1.07);
		zipf_cdf[i] = sum;
	}
	for (int i = 0; i < VOCAB; i++)
		zipf_cdf[i] /= sum;
}

static const char *pick_word(unsigned *x)
{
	double u;
	int lo = 0, hi = VOCAB - 1;

	*x = *x * 1103515245u + 12345u;
	u = (double)(*x >> 8) / (double)(1u << 24);
	while (lo < hi) {
		int mid = (lo + hi) / 2;

		if (zipf_cdf[mid] < u)
			lo = mid + 1;
		else
			hi = mid;
	}
	return vocab[lo];
}

static char *make_text(size_t bytes, unsigned seed)
{
	struct mn_buf b = MN_BUF_INIT;
	unsigned x = seed * 2654435761u + 1;

	while (b.len < bytes) {
		x = x * 1103515245u + 12345u;
		if (x % 11 == 0)
			mn_buf_addf(&b, "%u.%u ", x % 1000, (x >> 8) % 100);
		else if (x % 13 == 0)
			mn_buf_addf(&b, "%u,%03u ", (x >> 4) % 100, (x >> 12) % 1000);
		else
			mn_buf_addf(&b, "%s ", pick_word(&x));
		if (x % 7 == 0)
			mn_buf_adds(&b, ". ");
	}
	b.data[bytes] = '\0';
	b.len = bytes;
	return mn_buf_detach(&b, NULL);
}

static void bench_verify(struct mn_encoder *enc, size_t bytes, int iters)
{
	char *text = make_text(bytes, 7);
	struct mn_encode_out out;
	struct mn_err err = MN_ERR_INIT;
	double t0, tv, tb;
	size_t sink = 0;

	if (mn_encoder_encode(enc, &out, text, bytes, "bench", "note", &err)) {
		fprintf(stderr, "encode failed: %s\n", err.msg);
		exit(1);
	}
	t0 = now_s();
	for (int i = 0; i < iters; i++) {
		char *s = mn_json_dumps(out.encoding);

		sink += strlen(s);
		free(s);
	}
	tb = now_s() - t0;
	t0 = now_s();
	for (int i = 0; i < iters; i++) {
		struct mn_metrics m;

		mn_verify_score(&m, text, bytes, out.encoding);
		sink += (size_t)(m.epr * 10);
		mn_metrics_release(&m);
	}
	tv = now_s() - t0;
	printf("verify %zu B input      %9.0f encodings/s   baseline json dump %9.0f/s   ratio %.2fx (sink %zu)\n",
	       bytes, iters / tv, iters / tb, tv / tb, sink % 10);
	mn_encode_out_release(&out);
	free(text);
}

static void bench_encode_only(struct mn_encoder *enc, size_t bytes, int iters)
{
	char *text = make_text(bytes, 11);
	struct mn_err err = MN_ERR_INIT;
	double t0 = now_s(), t;

	for (int i = 0; i < iters; i++) {
		struct mn_encode_out out;

		if (mn_encoder_encode(enc, &out, text, bytes, "bench", "note", &err))
			exit(1);
		mn_encode_out_release(&out);
	}
	t = now_s() - t0;
	printf("builtin encode+verify %zu B  %8.1f us/observation\n", bytes, t / iters * 1e6);
	free(text);
}

static void bench_remember(const char *home, int n)
{
	struct mn_ctx a;
	struct mn_err err = MN_ERR_INIT;
	char **texts = mn_xcalloc((size_t)n, sizeof(*texts));
	char *bare_path = mn_xasprintf("%s/bare.db", home);
	sqlite3 *db;
	sqlite3_stmt *s;
	double t0, tr, tb;
	int encoded = 0;

	for (int i = 0; i < n; i++)
		texts[i] = make_text(300 + (size_t)(i % 5) * 150, (unsigned)i + 100);
	if (mn_ctx_open(&a, NULL, &err)) {
		fprintf(stderr, "open: %s\n", err.msg);
		exit(1);
	}
	t0 = now_s();
	for (int i = 0; i < n; i++) {
		struct mn_remember_in in = { .text = texts[i], .len = strlen(texts[i]),
					     .source = "bench", .type = "note" };
		struct mn_remember_out out;

		if (mn_app_remember(&a, &out, &in, &err)) {
			fprintf(stderr, "remember: %s\n", err.msg);
			exit(1);
		}
		encoded += out.memory_id[0] != '\0';
	}
	tr = now_s() - t0;
	/* The daemon's path: remember only queues (the daemon holds
	 * worker.lock), the worker encodes and stores in batches. */
	{
		struct mn_encoder *enc = NULL;
		double tq, td;
		int done = 0;

		if (mn_ctx_encoder(&a, &enc, &err))
			exit(1);
		t0 = now_s();
		for (int i = 0; i < n; i++) {
			struct mn_raw raw;

			memset(&raw, 0, sizeof(raw));
			raw.content = texts[i];
			raw.content_len = strlen(texts[i]);
			raw.source = "bench";
			if (mn_store_put_raw(a.store, &raw, &err))
				exit(1);
		}
		tq = now_s() - t0;
		t0 = now_s();
		if (mn_worker_drain(a.store, enc, &a.cfg, "bench", NULL, 0, NULL, &done, &err))
			exit(1);
		td = now_s() - t0;
		printf("daemon path: remember (queue) %7.0f/s; worker encode+verify+store %7.0f/s (%d rows); end to end %7.0f memories/s\n",
		       n / tq, done / td, done, n / (tq + td));
	}
	mn_ctx_close(&a);
	/* Baseline: the same rows inserted bare, same journal mode and sync. */
	sqlite3_open(bare_path, &db);
	sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
			 "CREATE TABLE t(id INTEGER PRIMARY KEY, content TEXT, created TEXT)",
		     NULL, NULL, NULL);
	sqlite3_prepare_v2(db, "INSERT INTO t(content, created) VALUES (?1, ?2)", -1, &s, NULL);
	t0 = now_s();
	for (int i = 0; i < n; i++) {
		char ts[MN_TIME_LEN];

		mn_time_now_str(ts);
		sqlite3_bind_text(s, 1, texts[i], -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 2, ts, -1, SQLITE_TRANSIENT);
		sqlite3_step(s);
		sqlite3_reset(s);
	}
	tb = now_s() - t0;
	sqlite3_finalize(s);
	sqlite3_close(db);
	printf("remember+encode+verify+store  %7.0f memories/s (%d/%d encoded)   bare insert %7.0f rows/s   ratio %.2fx\n",
	       n / tr, encoded, n, n / tb, tr / tb);
	for (int i = 0; i < n; i++)
		free(texts[i]);
	free(texts);
	free(bare_path);
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Remember memories until the store holds target; returns how many it
 * holds (more than target when BENCH_HOME reuses a bigger store). */
static int fill_to(struct mn_ctx *a, int target)
{
	struct mn_err err = MN_ERR_INIT;
	json_t *c = NULL;
	int have;

	mn_store_counts(a->store, &c, &err);
	have = (int)json_integer_value(json_object_get(c, "memories"));
	json_decref(c);
	for (int i = have; i < target; i++) {
		char *t = make_text(200 + (size_t)(i % 7) * 60, (unsigned)i * 3 + 5);
		struct mn_remember_in in = { .text = t, .len = strlen(t), .source = "bench" };
		struct mn_remember_out out;

		if (mn_app_remember(a, &out, &in, &err)) {
			fprintf(stderr, "remember: %s\n", err.msg);
			exit(1);
		}
		free(t);
		if ((i + 1) % 20000 == 0)
			fprintf(stderr, "  ... %d memories\n", i + 1);
	}
	return have > target ? have : target;
}

/* Typical queries name specific things: two words from the middle of the
 * frequency range (ranks 50-3000). Common-word queries (ranks 0-30) are the
 * worst case and reported separately. */
static void bench_recall(struct mn_ctx *a, int size, int queries, int rank_lo, int rank_hi,
			 const char *label)
{
	double *lat = mn_xcalloc((size_t)queries, sizeof(double));
	double *base = mn_xcalloc((size_t)queries, sizeof(double));
	struct mn_err err = MN_ERR_INIT;
	sqlite3 *db;
	sqlite3_stmt *s;
	unsigned x = 99;
	double hits = 0;
	/* the ranker recall serves with (MNEMO_RANKER=hand|default|PATH) */
	const struct mn_ranker *rk = mn_app_ranker(a);
	bool no_ranker = getenv("BENCH_NO_RANKER") != NULL;

	/* labelled by what the store holds, not by what was asked */
	size = fill_to(a, size);
	sqlite3_open(a->db_path, &db);
	sqlite3_prepare_v2(db, "SELECT rowid FROM recall_fts WHERE recall_fts MATCH ?1"
			       " ORDER BY rank LIMIT 10", -1, &s, NULL);
	for (int i = 0; i < queries; i++) {
		char q[128], match[160];
		const char *w1, *w2;
		/* BENCH_NO_RANKER: the hand-tuned order without the ranker's
		 * wider candidate set, for comparison */
		struct mn_recall_opts o = { .query = q, .limit = 10,
					    .rank_fn = no_ranker ? NULL : mn_ranker_score_cb,
					    .rank_ctx = (void *)rk, .ranker_version = rk->version };
		struct mn_recall_result r;
		double t0;

		x = x * 1103515245u + 12345u;
		w1 = vocab[rank_lo + (int)((x >> 8) % (unsigned)(rank_hi - rank_lo))];
		x = x * 1103515245u + 12345u;
		w2 = vocab[rank_lo + (int)((x >> 8) % (unsigned)(rank_hi - rank_lo))];
		snprintf(q, sizeof(q), "%s %s", w1, w2);
		t0 = now_s();
		if (mn_store_recall(a->store, &r, &o, &err)) {
			fprintf(stderr, "recall: %s\n", err.msg);
			exit(1);
		}
		lat[i] = (now_s() - t0) * 1000;
		hits += (double)r.n;
		mn_recall_result_release(&r);
		/* baseline: a bare FTS5 top-10 for the same words (any of them) */
		snprintf(match, sizeof(match), "\"%s\" OR \"%s\"", w1, w2);
		t0 = now_s();
		sqlite3_bind_text(s, 1, match, -1, SQLITE_STATIC);
		while (sqlite3_step(s) == SQLITE_ROW) {
		}
		sqlite3_reset(s);
		base[i] = (now_s() - t0) * 1000;
	}
	sqlite3_finalize(s);
	sqlite3_close(db);
	qsort(lat, (size_t)queries, sizeof(double), cmp_d);
	qsort(base, (size_t)queries, sizeof(double), cmp_d);
	printf("ranker %s: ", no_ranker ? "none" : rk->version);
	printf("recall @%6d memories, %-8s p50 %.3f ms  p99 %.3f ms  (%.1f hits)   bare FTS5 OR p50 %.3f ms   ratio %.2fx\n",
	       size, label, lat[queries / 2], lat[queries * 99 / 100], hits / queries,
	       base[queries / 2], lat[queries / 2] / (base[queries / 2] > 0 ? base[queries / 2] : 1e-9));
	free(lat);
	free(base);
}

int main(void)
{
	struct mn_config cfg;
	struct mn_encoder *enc = NULL;
	struct mn_err err = MN_ERR_INIT;
	struct mn_ctx a;
	char dir[] = "/tmp/mnemo-bench-XXXXXX";
	bool small = getenv("BENCH_SMALL") != NULL;
	/* BENCH_ONLY=verify|remember|recall runs one group */
	const char *only = getenv("BENCH_ONLY");
	char *home;

	if (!mkdtemp(dir))
		return 1;
	init_vocab();
	/* BENCH_HOME: reuse (and keep) a data home filled by an earlier run */
	home = getenv("BENCH_HOME") ? mn_xstrdup(getenv("BENCH_HOME"))
				    : mn_xasprintf("%s/home", dir);
	setenv("MNEMO_HOME", home, 1);
	unsetenv("MNEMO_CONFIG");
	setenv("XDG_CONFIG_HOME", dir, 1);
	mn_config_init(&cfg);
	if (mn_encoder_open(&enc, &cfg, home, &err)) {
		fprintf(stderr, "encoder: %s\n", err.msg);
		return 1;
	}
	printf("== mnemo core benchmarks (one core, %s%s%s)\n", small ? "small" : "full",
	       only ? ", only " : "", only ? only : "");
	if (!only || !strcmp(only, "verify")) {
		bench_verify(enc, 1024, small ? 2000 : 20000);
		bench_verify(enc, 8192, small ? 500 : 4000);
		bench_encode_only(enc, 1024, small ? 1000 : 10000);
	}
	mn_encoder_free(enc);
	mn_config_release(&cfg);
	if (!only || !strcmp(only, "remember"))
		bench_remember(home, small ? 500 : 5000);
	if (!only || !strcmp(only, "recall")) {
		if (mn_ctx_open(&a, NULL, &err)) {
			fprintf(stderr, "open: %s\n", err.msg);
			return 1;
		}
		bench_recall(&a, 10000, small ? 200 : 1000, 50, 3000, "typical");
		bench_recall(&a, 10000, small ? 100 : 300, 0, 30, "common");
		if (!small) {
			bench_recall(&a, 100000, 1000, 50, 3000, "typical");
			bench_recall(&a, 100000, 300, 0, 30, "common");
		}
		mn_ctx_close(&a);
	}
	mn_file_remove_tree(dir, &err);
	free(home);
	return 0;
}
