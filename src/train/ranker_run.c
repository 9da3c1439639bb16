/*
 * ranker_run.c - the learned ranker's training runs, gate, deploy and
 * post-deploy monitor (ranker_run.h, docs/ranker.md).
 */
#include "train/ranker_run.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/file.h"
#include "base/json.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/proc.h"
#include "base/text.h"
#include "base/timeutil.h"
#include "core/datadir.h"
#include "model/ranker.h"
#include "store/store_rank.h"
#include "store/store_train.h"
#include "train/ranker_train.h"
#include "train/registry.h"
#include "train/train.h"

#define RANKER_BENCH "ranker/bench.jsonl"
#define RANKER_DEFAULT "ranker/default.json"

struct rrun {
	struct mn_ctx *a;
	char id[37];
	char *dir, *cand_dir, *examples;
	int log_fd;
	char incumbent[16]; /* registry version, or "default" / "hand" */
	char *inc_path;     /* its ranker.json, NULL for hand */
	json_t *timings;
	json_t *result;
};

static void rlog(struct rrun *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void rlog(struct rrun *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	mn_log_vline_fd(r->log_fd, fmt, ap);
	va_end(ap);
}

/* The ranker recall would use without a new deploy: the registry's
 * current version, else the shipped default, else the hand order. */
static void find_incumbent(struct mn_ctx *a, char name[16], char **path)
{
	char cur[16];
	char *dir;

	*path = NULL;
	mn_registry_current(a, MN_REGISTRY_RANKER, cur);
	dir = cur[0] ? mn_registry_version_dir(a, MN_REGISTRY_RANKER, cur) : NULL;
	if (dir) {
		char *p = mn_xasprintf("%s/ranker.json", dir);

		free(dir);
		if (mn_file_exists(p)) {
			snprintf(name, 16, "%s", cur);
			*path = p;
			return;
		}
		free(p);
	}
	*path = mn_datadir_find(RANKER_DEFAULT);
	snprintf(name, 16, "%s", *path ? MN_RANKER_DEFAULT : MN_RANKER_HAND);
}

/* Ratings since the last ranker run (all when none). */
static int new_ratings(struct mn_ctx *a, int64_t *n, char since[MN_TIME_LEN],
		       struct mn_err *err)
{
	int ret = mn_store_train_last_created(a->store, since, MN_RUN_MODEL_RANKER, err);

	if (!ret)
		ret = mn_store_rank_feedback_count(a->store, n, since[0] ? since : NULL, err);
	return ret;
}

/* Runs of ours left in a running state by a process that died: under the
 * lock nobody else runs one, so they are over. */
static void bury_stale(struct mn_ctx *a)
{
	struct mn_train_run *runs = NULL;
	size_t n = 0;
	struct mn_err e = MN_ERR_INIT;

	if (mn_store_train_list_model(a->store, &runs, &n, 20, MN_RUN_MODEL_RANKER, &e))
		return;
	for (size_t i = 0; i < n; i++)
		if (!strcmp(runs[i].state, MN_RUN_REQUESTED) ||
		    !strcmp(runs[i].state, MN_RUN_TRAINING) ||
		    !strcmp(runs[i].state, MN_RUN_EVALUATING))
			mn_store_train_transition(a->store, runs[i].id,
						  "requested,training,evaluating", MN_RUN_FAILED,
						  "interrupted: the process running it ended", &e);
	mn_train_runs_free(runs, n);
}

static int run_trainer(struct rrun *r, struct mn_err *err)
{
	struct mn_ctx *a = r->a;
	char exe[PATH_MAX], seed[32], how[96];
	char *argv[12];
	char **env = NULL;
	struct mn_proc_opts po = { 0 };
	struct mn_proc_result pr;
	int ret, n = 0;
	int64_t t = mn_time_mono_ms();

	mn_proc_result_init(&pr);
	ret = mn_proc_self_exe(exe, sizeof(exe), err);
	if (ret)
		return ret;
	snprintf(seed, sizeof(seed), "%lld", (long long)a->cfg.learning.training.seed);
	argv[n++] = exe;
	argv[n++] = (char *)"trainer";
	argv[n++] = (char *)"ranker";
	argv[n++] = (char *)"--examples";
	argv[n++] = r->examples;
	argv[n++] = (char *)"--out";
	argv[n++] = r->cand_dir;
	argv[n++] = (char *)"--incumbent";
	argv[n++] = r->inc_path ? r->inc_path : (char *)"";
	argv[n++] = (char *)"--seed";
	argv[n++] = seed;
	argv[n] = NULL;
	{
		const char *dd = getenv("MNEMO_DATADIR");
		char *e1 = dd ? mn_xasprintf("MNEMO_DATADIR=%s", dd) : NULL;
		const char *extra[] = { e1, NULL };

		env = mn_proc_env_minimal(extra);
		free(e1);
	}
	rlog(r, "trainer: %s trainer ranker --examples %s --out %s --incumbent '%s' --seed %s",
	     exe, r->examples, r->cand_dir, r->inc_path ? r->inc_path : "", seed);
	po.argv = argv;
	po.env = env;
	po.cwd = r->dir;
	po.timeout_ms = (int64_t)a->cfg.learning.training.trainer_timeout_s * 1000;
	po.log_fd = r->log_fd;
	po.new_pgroup = true;
	po.kill_group = true;
	ret = mn_proc_run(&pr, &po, err);
	if (ret)
		goto out;
	mn_proc_describe(&pr, how, sizeof(how));
	rlog(r, "trainer ended: %s after %lld ms", how, (long long)pr.elapsed_ms);
	{
		struct mn_train_patch p = MN_TRAIN_PATCH_INIT;

		p.trainer_exit = how;
		mn_store_train_update(a->store, r->id, &p, NULL);
	}
	if (pr.timed_out) {
		ret = mn_err_set(err, MN_ETIMEOUT, "trainer timed out after %d s",
				 a->cfg.learning.training.trainer_timeout_s);
	} else if (!mn_proc_ok(&pr)) {
		/* Its own last line says why (e.g. too few pairs, exit 4). */
		const char *msg = mn_buf_str(&pr.errout);
		size_t len = strlen(msg);

		while (len && (msg[len - 1] == '\n' || msg[len - 1] == ' '))
			len--;
		{
			size_t start = len;

			while (start && msg[start - 1] != '\n')
				start--;
			ret = mn_err_set(err, MN_EFAIL, "trainer failed (%s): %.*s", how,
					 (int)(len - start), msg + start);
		}
	} else if (mn_file_check_tree(r->cand_dir, err)) {
		char msg[sizeof(err->msg)];

		memcpy(msg, err->msg, sizeof(msg));
		ret = mn_err_set(err, MN_EINVAL, "trainer output refused: %s", msg);
	}
out:
	json_object_set_new(r->timings, "train_ms", json_integer(mn_time_mono_ms() - t));
	mn_proc_result_release(&pr);
	mn_proc_env_free(env);
	return ret;
}

static json_t *metrics_of(const struct mn_ranker *rk, const json_t *queries, const char *split)
{
	double nd = 0, rr = 0;
	size_t n = 0;

	mn_ranker_eval(rk, queries, split, &nd, &rr, &n);
	return json_pack("{s:I,s:f,s:f}", "n", (json_int_t)n, "ndcg10", nd, "mrr", rr);
}

static void add_check(json_t *checks, json_t *reasons, const char *name, const char *metric,
		      const char *kind, const json_t *cand, const json_t *inc, double threshold,
		      bool judged, const char *skip_why)
{
	double c = mn_json_num(cand, metric, 0), i = mn_json_num(inc, metric, 0);
	const char *verdict = "skip";
	json_t *o;

	if (judged) {
		bool ok = !strcmp(kind, "gain") ? c - i >= threshold - 1e-12
						: i - c <= threshold + 1e-12;

		verdict = ok ? "pass" : "fail";
		if (!ok) {
			char why[256];

			if (!strcmp(kind, "gain"))
				snprintf(why, sizeof(why),
					 "%s: candidate %.4f vs incumbent %.4f, gain %.4f below"
					 " learning.ranker.min_gain %g",
					 name, c, i, c - i, threshold);
			else
				snprintf(why, sizeof(why),
					 "%s: candidate %.4f vs incumbent %.4f, drop %.4f above"
					 " learning.ranker.max_regression %g",
					 name, c, i, i - c, threshold);
			json_array_append_new(reasons, json_string(why));
		}
	}
	o = json_pack("{s:s,s:s,s:s,s:f,s:f,s:f,s:s}", "name", name, "metric", metric, "kind",
		      kind, "candidate", c, "incumbent", i, "threshold", threshold, "verdict",
		      verdict);
	if (skip_why && !judged)
		json_object_set_new(o, "why", json_string(skip_why));
	json_array_append_new(checks, o);
}

/* Evaluate candidate and incumbent; build the gate. */
static json_t *judge(struct rrun *r, const json_t *queries, const struct mn_ranker *cand,
		     const struct mn_ranker *inc, json_t **out_cm, json_t **out_im)
{
	struct mn_ctx *a = r->a;
	const struct mn_config *cfg = &a->cfg;
	char *bench_path = mn_datadir_find(RANKER_BENCH);
	json_t *bench = NULL, *cm, *im, *checks = json_array(), *reasons = json_array(), *g;
	const json_t *ch, *ih, *cb = NULL, *ib = NULL;
	struct mn_err e = MN_ERR_INIT;
	bool have_holdout;

	cm = json_pack("{s:o}", "holdout", metrics_of(cand, queries, "holdout"));
	im = json_pack("{s:o}", "holdout", metrics_of(inc, queries, "holdout"));
	if (bench_path && mn_ranker_examples_load(&bench, bench_path, &e)) {
		rlog(r, "benchmark examples %s unusable: %s", bench_path, e.msg);
		bench = NULL;
	}
	if (bench) {
		json_object_set_new(cm, "bench", metrics_of(cand, bench, NULL));
		json_object_set_new(im, "bench", metrics_of(inc, bench, NULL));
		cb = json_object_get(cm, "bench");
		ib = json_object_get(im, "bench");
	}
	ch = json_object_get(cm, "holdout");
	ih = json_object_get(im, "holdout");
	have_holdout = json_integer_value(json_object_get(ch, "n")) > 0;
	if (!have_holdout)
		json_array_append_new(
			reasons,
			json_pack("s", "no held-out recall with a helpful or partial rating to judge"
				       " the candidate on (learning.ranker.holdout_pct of the rated"
				       " queries are held out; rate more recalls)"));
	add_check(checks, reasons, "holdout NDCG@10 gain", "ndcg10", "gain", ch, ih,
		  cfg->learning.ranker.min_gain, have_holdout, "no rated holdout recall");
	add_check(checks, reasons, "holdout MRR regression", "mrr", "regression", ch, ih,
		  cfg->learning.ranker.max_regression, have_holdout, "no rated holdout recall");
	{
		bool have_bench = cb && json_integer_value(json_object_get(cb, "n")) > 0;
		const char *why = bench_path ? "benchmark has no rated query"
					     : "no benchmark examples (" RANKER_BENCH ")";

		add_check(checks, reasons, "bench NDCG@10 regression", "ndcg10", "regression", cb,
			  ib, cfg->learning.ranker.max_regression, have_bench, why);
		add_check(checks, reasons, "bench MRR regression", "mrr", "regression", cb, ib,
			  cfg->learning.ranker.max_regression, have_bench, why);
	}
	g = json_pack("{s:s,s:O,s:o,s:s,s:f,s:f,s:s?}", "verdict",
		      json_array_size(reasons) ? "fail" : "pass", "reasons", reasons, "checks",
		      checks, "incumbent_version", r->incumbent, "min_gain",
		      cfg->learning.ranker.min_gain, "max_regression",
		      cfg->learning.ranker.max_regression, "bench", bench_path);
	json_object_set(g, "candidate", cm);
	json_object_set(g, "incumbent", im);
	*out_cm = cm;
	*out_im = im;
	json_decref(reasons);
	json_decref(bench);
	free(bench_path);
	return g;
}

static int deploy(struct rrun *r, const json_t *gate, const json_t *trainer_metrics,
		  struct mn_err *err)
{
	struct mn_ctx *a = r->a;
	struct mn_train_patch p = MN_TRAIN_PATCH_INIT;
	char version[16];
	bool switched = false;
	json_t *gm = json_deep_copy(json_object_get(gate, "candidate"));
	int ret;

	if (trainer_metrics)
		json_object_set(gm, "trainer", (json_t *)trainer_metrics);
	ret = mn_registry_register(a, version, MN_REGISTRY_RANKER, r->cand_dir, r->id, gm, err);
	json_decref(gm);
	if (ret)
		return ret;
	p.candidate_version = version;
	mn_store_train_update(a->store, r->id, &p, NULL);
	ret = mn_registry_deploy(a, &switched, MN_REGISTRY_RANKER, version, r->log_fd, err);
	if (ret)
		return ret;
	json_object_set_new(r->result, "version", json_string(version));
	if (switched) {
		p.deployed_version = version;
		rlog(r, "deployed ranker/%s", version);
	} else {
		char pinned[16] = "", note[128];

		mn_registry_pinned(a, MN_REGISTRY_RANKER, pinned, NULL);
		snprintf(note, sizeof(note),
			 "registered %s but current stays at pinned %s (unpin to deploy)", version,
			 pinned);
		rlog(r, "%s", note);
		json_object_set_new(r->result, "note", json_string(note));
	}
	return mn_store_train_update(a->store, r->id, &p, err);
}

static void finish(struct rrun *r, const char *state, const char *error)
{
	struct mn_err e = MN_ERR_INIT;
	struct mn_train_patch p = MN_TRAIN_PATCH_INIT;
	char *path;

	if (mn_store_train_transition(r->a->store, r->id, "requested,training,evaluating", state,
				      error, &e))
		mn_warn("ranker", "run %s: could not mark %s: %s", r->id, state, e.msg);
	rlog(r, "run %s%s%s", state, error ? ": " : "", error ? error : "");
	p.timings = r->timings;
	p.hooks_after_ran = 0;
	mn_store_train_update(r->a->store, r->id, &p, NULL);
	json_object_set_new(r->result, "state", json_string(state));
	json_object_set_new(r->result, "error", error ? json_string(error) : json_null());
	json_object_set_new(r->result, "timings", json_incref(r->timings));
	path = mn_xasprintf("%s/result.json", r->dir);
	mn_json_write_file(path, r->result, NULL);
	free(path);
	mn_info("ranker", "run %s %s%s%s", r->id, state, error ? ": " : "", error ? error : "");
}

static int lock_runs(struct mn_ctx *a, int *fd, struct mn_err *err)
{
	char *dir = mn_xasprintf("%s/training", a->home);
	char *path = mn_xasprintf("%s/ranker.lock", dir);
	int ret = mn_file_mkdir_p(dir, 0700, err);

	*fd = -1;
	if (ret)
		goto out;
	*fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (*fd < 0) {
		ret = mn_err_set(err, MN_EIO, "could not open '%s': %s", path, strerror(errno));
	} else if (flock(*fd, LOCK_EX | LOCK_NB) < 0) {
		close(*fd);
		*fd = -1;
		ret = mn_err_set(err, MN_EBUSY, "another ranker run holds '%s'", path);
	}
out:
	free(dir);
	free(path);
	return ret;
}

/* Everything after the row exists; every path ends in finish(). */
static void run_body(struct rrun *r, json_t *queries)
{
	struct mn_ctx *a = r->a;
	struct mn_ranker cand, inc;
	struct mn_err e = MN_ERR_INIT;
	json_t *gate = NULL, *cm = NULL, *im = NULL, *tm = NULL;
	char *p;
	int64_t t;

	mn_ranker_hand(&inc);
	if (r->inc_path && mn_ranker_load(&inc, r->inc_path, &e)) {
		rlog(r, "incumbent %s unreadable (%s): judged against the hand order", r->inc_path,
		     e.msg);
		mn_ranker_hand(&inc);
		free(r->inc_path);
		r->inc_path = NULL;
		snprintf(r->incumbent, sizeof(r->incumbent), "%s", MN_RANKER_HAND);
		mn_err_clear(&e);
	}
	if (mn_ranker_examples_write(r->examples, queries, &e)) {
		finish(r, MN_RUN_FAILED, e.msg);
		return;
	}
	if (mn_file_mkdir_p(r->cand_dir, 0700, &e) || run_trainer(r, &e)) {
		finish(r, MN_RUN_FAILED, e.msg);
		return;
	}
	if (mn_store_train_transition(a->store, r->id, MN_RUN_TRAINING, MN_RUN_EVALUATING, NULL,
				      &e)) {
		finish(r, MN_RUN_FAILED, e.msg);
		return;
	}
	t = mn_time_mono_ms();
	p = mn_xasprintf("%s/ranker.json", r->cand_dir);
	mn_ranker_hand(&cand);
	if (mn_ranker_load(&cand, p, &e)) {
		char why[300];

		snprintf(why, sizeof(why), "the candidate could not be read: %s", e.msg);
		free(p);
		finish(r, MN_RUN_FAILED, why);
		return;
	}
	free(p);
	p = mn_xasprintf("%s/metrics.json", r->cand_dir);
	tm = mn_file_exists(p) ? mn_json_load_file(p, NULL) : NULL;
	free(p);
	gate = judge(r, queries, &cand, &inc, &cm, &im);
	json_object_set_new(r->timings, "evaluate_ms", json_integer(mn_time_mono_ms() - t));
	p = mn_xasprintf("%s/gate.json", r->dir);
	mn_json_write_file(p, gate, NULL);
	free(p);
	json_object_set(r->result, "gate", gate);
	{
		struct mn_train_patch pt = MN_TRAIN_PATCH_INIT;

		pt.candidate_metrics = cm;
		pt.incumbent_metrics = im;
		pt.gate_verdict = mn_json_str(gate, "verdict", "fail");
		pt.gate_reasons = json_object_get(gate, "reasons");
		mn_store_train_update(a->store, r->id, &pt, NULL);
	}
	{
		const json_t *rs = json_object_get(gate, "reasons"), *v;
		size_t i;

		rlog(r, "gate: %s (incumbent %s)", mn_json_str(gate, "verdict", "fail"),
		     r->incumbent);
		json_array_foreach(rs, i, v)
			rlog(r, "  - %s", json_string_value(v));
	}
	if (strcmp(mn_json_str(gate, "verdict", "fail"), "pass")) {
		finish(r, MN_RUN_REJECTED, NULL);
		goto out;
	}
	t = mn_time_mono_ms();
	if (deploy(r, gate, tm, &e)) {
		json_object_set_new(r->timings, "deploy_ms", json_integer(mn_time_mono_ms() - t));
		finish(r, MN_RUN_FAILED, e.msg);
		goto out;
	}
	json_object_set_new(r->timings, "deploy_ms", json_integer(mn_time_mono_ms() - t));
	finish(r, MN_RUN_DEPLOYED, NULL);
out:
	json_decref(gate);
	json_decref(cm);
	json_decref(im);
	json_decref(tm);
}

int mn_ranker_run(struct mn_ctx *a, const struct mn_ranker_run_opts *o, json_t **out,
		  struct mn_err *err)
{
	struct rrun r;
	char since[MN_TIME_LEN] = "";
	char *estop = mn_xasprintf("%s/training.disabled", a->home);
	json_t *queries = NULL;
	int64_t n_new = 0;
	size_t pairs, pair_queries, n_train = 0, n_hold = 0;
	int lock_fd = -1, ret;
	const json_t *q;
	size_t qi;

	memset(&r, 0, sizeof(r));
	r.log_fd = -1;
	*out = NULL;
	if (mn_file_exists(estop)) {
		ret = mn_err_set(err, MN_EDECLINED, "training is stopped (e-stop file '%s' exists)",
				 estop);
		goto out;
	}
	ret = lock_runs(a, &lock_fd, err);
	if (ret)
		goto out;
	bury_stale(a);
	ret = new_ratings(a, &n_new, since, err);
	if (ret)
		goto out;
	if (!o->force && n_new < a->cfg.learning.ranker.min_feedback) {
		ret = mn_err_set(err, MN_EDECLINED,
				 "%lld new rating(s) since %s; a ranker run needs"
				 " learning.ranker.min_feedback = %d (or --force)",
				 (long long)n_new, since[0] ? "the last ranker run" : "the start",
				 a->cfg.learning.ranker.min_feedback);
		goto out;
	}
	ret = mn_store_rank_examples(a->store, &queries, NULL, a->cfg.learning.ranker.holdout_pct,
				     err);
	if (ret)
		goto out;
	/* the newest ones: the examples file stays well below what a JSON
	 * file may weigh (MN_LIMIT_JSON_FILE_BYTES) */
	if (json_array_size(queries) > MN_RANKER_MAX_QUERIES) {
		json_t *keep = json_array();
		size_t from = json_array_size(queries) - MN_RANKER_MAX_QUERIES;

		for (size_t k = from; k < json_array_size(queries); k++)
			json_array_append(keep, json_array_get(queries, k));
		json_decref(queries);
		queries = keep;
	}
	json_array_foreach(queries, qi, q) {
		if (!strcmp(mn_json_str(q, "split", ""), "holdout"))
			n_hold++;
		else
			n_train++;
	}
	pairs = mn_ranker_count_pairs(queries, &pair_queries);
	if (pairs < MN_RANKER_MIN_PAIRS) {
		ret = mn_err_set(err, MN_EDECLINED,
				 "too few pairs to train on: %zu (better, worse) pair(s) from %zu of"
				 " %zu rated train-split recall(s), need %d; rate more results,"
				 " helpful and irrelevant alike",
				 pairs, pair_queries, n_train, MN_RANKER_MIN_PAIRS);
		goto out;
	}
	/* From here on there is a row, and every path ends in finish(). */
	r.a = a;
	mn_text_uuid4(r.id);
	r.dir = mn_xasprintf("%s/training/ranker/%s", a->home, r.id);
	r.cand_dir = mn_xasprintf("%s/candidate", r.dir);
	r.examples = mn_xasprintf("%s/examples.jsonl", r.dir);
	r.timings = json_object();
	r.result = json_object();
	ret = mn_file_mkdir_p(r.dir, 0700, err);
	if (ret)
		goto out;
	{
		char *lp = mn_xasprintf("%s/train.log", r.dir);

		r.log_fd = open(lp, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
		free(lp);
	}
	ret = mn_store_train_insert_model(a->store, r.id, MN_RUN_MODEL_RANKER,
					  o->trigger ? o->trigger : "manual", o->reason, r.dir, err);
	if (!ret)
		ret = mn_store_train_transition(a->store, r.id, MN_RUN_REQUESTED, MN_RUN_TRAINING,
						NULL, err);
	if (ret)
		goto out;
	find_incumbent(a, r.incumbent, &r.inc_path);
	{
		struct mn_train_patch p = MN_TRAIN_PATCH_INIT;
		json_t *counts = json_pack("{s:I,s:I,s:I,s:I,s:I}", "queries",
					   (json_int_t)json_array_size(queries), "pairs",
					   (json_int_t)pairs, "pair_queries",
					   (json_int_t)pair_queries, "new_ratings", (json_int_t)n_new,
					   "holdout_pct",
					   (json_int_t)a->cfg.learning.ranker.holdout_pct);

		p.n_train = (int)n_train;
		p.n_valid = (int)n_hold;
		p.holdout_n = (int)n_hold;
		p.counts = counts;
		p.batch_id = r.id;
		mn_store_train_update(a->store, r.id, &p, NULL);
		json_object_set_new(r.result, "examples", counts);
	}
	json_object_set_new(r.result, "request_id", json_string(r.id));
	json_object_set_new(r.result, "model", json_string(MN_RUN_MODEL_RANKER));
	json_object_set_new(r.result, "incumbent", json_string(r.incumbent));
	rlog(&r, "ranker run %s (trigger %s): %zu rated recall(s), %zu train / %zu holdout, %zu"
		 " pair(s), %lld new rating(s); incumbent %s",
	     r.id, o->trigger ? o->trigger : "manual", json_array_size(queries), n_train, n_hold,
	     pairs, (long long)n_new, r.incumbent);
	run_body(&r, queries);
	ret = mn_train_status_json(a, r.id, 1, out, err);
	if (!ret) {
		const json_t *g = json_object_get(r.result, "gate");

		json_object_set(*out, "gate", g ? (json_t *)g : json_null());
		json_object_set_new(*out, "incumbent", json_string(r.incumbent));
		if (json_object_get(r.result, "note"))
			json_object_set(*out, "note", json_object_get(r.result, "note"));
	}
out:
	if (r.log_fd >= 0)
		close(r.log_fd);
	if (lock_fd >= 0)
		close(lock_fd);
	json_decref(queries);
	json_decref(r.timings);
	json_decref(r.result);
	free(r.dir);
	free(r.cand_dir);
	free(r.examples);
	free(r.inc_path);
	free(estop);
	return ret;
}

/* ---- monitor ---- */

int mn_ranker_monitor_check(struct mn_ctx *a, json_t **out, struct mn_err *err)
{
	struct mn_model_version v;
	char cur[16] = "", pinned[16] = "";
	int n = 0, h = 0, bn = 0, bh = 0, window = a->cfg.learning.monitor.window, ret = 0;
	double share = 0, before = 0, drop = 0, se = 0;
	const char *verdict = "idle";
	double max_drop = a->cfg.learning.ranker.max_regression;

	memset(&v, 0, sizeof(v));
	if (out)
		*out = NULL;
	mn_registry_current(a, MN_REGISTRY_RANKER, cur);
	if (!cur[0])
		goto report;
	ret = mn_store_model_get(a->store, &v, MN_REGISTRY_RANKER, cur, err);
	if (ret == MN_ENOTFOUND) {
		mn_err_clear(err);
		goto report;
	}
	if (ret)
		goto out;
	if (!v.deployed_at[0] || json_is_string(json_object_get(v.live_metrics, "verdict")))
		goto report; /* settled (or never deployed by a run) */
	ret = mn_store_train_rated_recalls(a->store, &n, &h, cur, v.deployed_at, NULL, 0, err);
	if (!ret)
		ret = mn_store_train_rated_recalls(a->store, &bn, &bh, NULL, NULL, v.deployed_at,
						   window, err);
	if (ret)
		goto out;
	share = n ? (double)h / n : 0;
	before = bn ? (double)bh / bn : 0;
	verdict = "watching";
	if (n < window || bn < 1)
		goto report;
	drop = before - share;
	{
		/* smoothed proportions, as the student's gate does */
		double c = (share * n + 1) / (n + 2), i = (before * bn + 1) / (bn + 2);

		se = sqrt(c * (1 - c) / n + i * (1 - i) / bn);
	}
	verdict = "ok";
	ret = mn_registry_pinned(a, MN_REGISTRY_RANKER, pinned, err);
	if (ret)
		goto out;
	if (drop > max_drop && drop > 1.645 * se && !pinned[0]) {
		char why[300], to[16];

		snprintf(why, sizeof(why),
			 "ranker post-deploy monitor: %s: helpful share %.3f over %d rated recalls"
			 " against %.3f over the %d before its deploy; drop above"
			 " learning.ranker.max_regression %g",
			 cur, share, n, before, bn, max_drop);
		mn_warn("monitor", "%s: rolling back", why);
		ret = mn_registry_rollback(a, to, MN_REGISTRY_RANKER, NULL, why, err);
		if (ret)
			goto out;
		verdict = "rolled_back";
	}
	{
		char now[MN_TIME_LEN];
		json_t *live;

		mn_time_now_str(now);
		live = json_pack("{s:i,s:f,s:i,s:f,s:f,s:s,s:s}", "n", n, "helpful_share", share,
				 "before_n", bn, "before_share", before, "std_error", se, "verdict",
				 verdict, "checked_at", now);
		ret = mn_store_model_set_live(a->store, MN_REGISTRY_RANKER, cur, live, err);
		json_decref(live);
		if (ret)
			goto out;
	}
report:
	if (out)
		*out = json_pack("{s:s,s:i,s:f,s:i,s:f,s:i,s:s}", "version", cur, "n", n,
				 "helpful_share", share, "before_n", bn, "before_share", before,
				 "window", window, "verdict", verdict);
	ret = 0;
out:
	mn_model_version_release(&v);
	return ret;
}

/* ---- dream phase, state ---- */

int mn_ranker_dream_phase(struct mn_ctx *a, json_t **out_phase, struct mn_err *err)
{
	struct mn_ranker_run_opts o = { "dream", "enough new ratings", false };
	struct mn_err e = MN_ERR_INIT;
	json_t *mon = NULL, *run = NULL, *ph = json_object();
	int ret;

	*out_phase = ph;
	if (mn_ranker_monitor_check(a, &mon, &e)) {
		mn_warn("ranker", "post-deploy monitor: %s", e.msg);
		json_object_set_new(ph, "monitor", json_pack("{s:s}", "error", e.msg));
		mn_err_clear(&e);
	} else {
		json_object_set_new(ph, "monitor", mon);
	}
	if (!a->cfg.learning.ranker.enabled) {
		json_object_set_new(ph, "decision", json_string("disabled"));
		json_object_set_new(ph, "reason", json_string("learning.ranker.enabled is false"));
		return 0;
	}
	ret = mn_ranker_run(a, &o, &run, &e);
	if (ret == MN_EDECLINED || ret == MN_EBUSY) {
		json_object_set_new(ph, "decision",
				    json_string(ret == MN_EBUSY ? "busy" : "declined"));
		json_object_set_new(ph, "reason", json_string(e.msg));
		return 0;
	}
	if (ret) {
		json_object_set_new(ph, "decision", json_string("failed"));
		json_object_set_new(ph, "reason", json_string(e.msg));
		return mn_err_set(err, ret, "%s", e.msg);
	}
	json_object_set_new(ph, "decision", json_string("trained"));
	json_object_set_new(ph, "run_id", json_string(mn_json_str(run, "id", "")));
	json_object_set_new(ph, "state", json_string(mn_json_str(run, "state", "")));
	if (mn_json_str(run, "deployed_version", NULL))
		json_object_set_new(ph, "deployed_version",
				    json_string(mn_json_str(run, "deployed_version", "")));
	json_decref(run);
	return 0;
}

json_t *mn_ranker_state_json(struct mn_ctx *a)
{
	struct mn_err e = MN_ERR_INIT;
	struct mn_train_run *runs = NULL;
	size_t n = 0;
	char cur[16] = "", pinned[16] = "", since[MN_TIME_LEN] = "", inc[16];
	char *inc_path = NULL;
	int64_t n_new = 0;
	json_t *o = json_object();

	mn_registry_current(a, MN_REGISTRY_RANKER, cur);
	mn_registry_pinned(a, MN_REGISTRY_RANKER, pinned, &e);
	find_incumbent(a, inc, &inc_path);
	free(inc_path);
	json_object_set_new(o, "current", json_string(cur[0] ? cur : MN_REGISTRY_DEFAULT));
	json_object_set_new(o, "pinned", pinned[0] ? json_string(pinned) : json_null());
	json_object_set_new(o, "source", json_string(inc));
	json_object_set_new(o, "enabled", json_boolean(a->cfg.learning.ranker.enabled));
	if (!new_ratings(a, &n_new, since, &e))
		json_object_set_new(o, "ratings_since_last_run", json_integer(n_new));
	json_object_set_new(o, "min_feedback", json_integer(a->cfg.learning.ranker.min_feedback));
	if (!mn_store_train_list_model(a->store, &runs, &n, 1, MN_RUN_MODEL_RANKER, &e) && n > 0) {
		json_t *r = NULL;

		if (!mn_train_status_json(a, runs[0].id, 1, &r, &e))
			json_object_set_new(o, "last_run", r);
	}
	if (!json_object_get(o, "last_run"))
		json_object_set_new(o, "last_run", json_null());
	mn_train_runs_free(runs, n);
	return o;
}
