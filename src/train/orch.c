#include "train/orch.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/file.h"
#include "base/json.h"
#include "base/limits.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/proc.h"
#include "base/text.h"
#include "base/timeutil.h"
#include "learn/batch.h"
#include "core/datadir.h"
#include "train/evaluate.h"
#include "train/gate.h"
#include "train/registry.h"
#include "store/store_train.h"

#define HOOK_TIMEOUT_MS (600 * 1000)
#define HEARTBEAT_EVERY_MS 5000

/* ---- the run ---- */

struct run {
	struct mn_ctx *a;
	const struct mn_orch_opts *o;
	char id[37];
	char *dir, *batch_dir, *cand_dir, *log_path;
	int log_fd;
	bool batch_claimed;
	bool builtin;
	char student[64];
	char incumbent[16];  /* registry version or "" (shipped default / production) */
	int64_t t0, last_beat;
	json_t *timings;
	json_t *result;      /* fields gathered for result.json */
	char why_stop[64];
};

static void logline(struct run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void logline(struct run *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	mn_log_vline_fd(r->log_fd, fmt, ap);
	va_end(ap);
}

/* Heartbeat and stop check, also the trainer's tick. False = stop now:
 * a signal arrived, or someone else finished this run (recovery, cancel). */
static bool beat(struct run *r)
{
	int64_t now = mn_time_mono_ms();

	if (r->o->stop && *r->o->stop) {
		snprintf(r->why_stop, sizeof(r->why_stop), "stopped by a signal");
		return false;
	}
	if (now - r->last_beat >= HEARTBEAT_EVERY_MS) {
		struct mn_train_run row;
		struct mn_err e = MN_ERR_INIT;

		r->last_beat = now;
		if (mn_store_train_heartbeat(r->a->store, r->id, &e))
			mn_warn("orch", "heartbeat: %s", e.msg);
		if (!mn_store_train_get(r->a->store, &row, r->id, &e)) {
			bool gone = strcmp(row.state, MN_RUN_TRAINING) &&
				    strcmp(row.state, MN_RUN_EVALUATING);

			if (gone)
				snprintf(r->why_stop, sizeof(r->why_stop), "run became %s",
					 row.state);
			mn_train_run_release(&row);
			if (gone)
				return false;
		}
	}
	return true;
}

static bool beat_tick(void *payload)
{
	return beat(payload);
}

static bool trainer_tick(void *payload, pid_t pid)
{
	struct run *r = payload;
	static pid_t noted;

	if (noted != pid) {
		/* Recovery of a dead orchestrator stops the orphaned trainer. */
		char *p = mn_xasprintf("%s/trainer.pid", r->dir);
		char txt[32];
		int len = snprintf(txt, sizeof(txt), "%ld\n", (long)pid);

		mn_file_write_atomic(p, txt, (size_t)len, 0600, NULL);
		free(p);
		noted = pid;
	}
	return beat(r);
}

static void timing(struct run *r, const char *what, int64_t start)
{
	json_object_set_new(r->timings, what, json_integer(mn_time_mono_ms() - start));
}

/* Run a hook (hooks.before / hooks.after); output to train.log. */
static int run_hook(struct run *r, const struct mn_argv *tmpl, const char *name,
		    bool stoppable, struct mn_err *err)
{
	struct mn_argv_var vars[] = { { "request", r->id }, { "request_dir", r->dir },
				      { "out", r->cand_dir }, { "batch_dir", r->batch_dir } };
	char **argv = mn_argv_expand(tmpl, vars, 4);
	char **env = NULL;
	struct mn_proc_opts po = { 0 };
	struct mn_proc_result pr;
	char how[96];
	int ret = 0;
	int64_t t = mn_time_mono_ms();

	mn_proc_result_init(&pr);
	if (!argv)
		return 0;
	{
		char *e1 = mn_xasprintf("MNEMO_REQUEST_ID=%s", r->id);
		const char *extra[] = { e1, NULL };

		env = mn_proc_env_minimal(extra);
		free(e1);
	}
	logline(r, "hooks.%s: %s", name, argv[0]);
	po.argv = argv;
	po.env = env;
	po.timeout_ms = HOOK_TIMEOUT_MS;
	po.log_fd = r->log_fd;
	po.new_pgroup = true;
	po.cwd = r->dir;
	if (stoppable) {
		po.tick = trainer_tick;
		po.payload = r;
	}
	ret = mn_proc_run(&pr, &po, err);
	if (!ret && !mn_proc_ok(&pr)) {
		mn_proc_describe(&pr, how, sizeof(how));
		ret = mn_err_set(err, MN_EFAIL, "hooks.%s failed: %s", name, how);
	}
	logline(r, "hooks.%s %s", name, ret ? err->msg : "done");
	{
		char key[32];

		snprintf(key, sizeof(key), "hooks_%s_ms", name);
		timing(r, key, t);
	}
	mn_proc_result_release(&pr);
	mn_proc_env_free(env);
	mn_argv_free(argv);
	return ret;
}

static void default_trainer(struct mn_argv *out, const char *exe)
{
	static const char *const tail[] = { "trainer", "builtin", "--batch-dir", "{batch_dir}",
					    "--out", "{out}", "--incumbent", "{incumbent}",
					    "--seed", "{seed}", NULL };
	int n = 0;

	out->v = mn_xcalloc(12, sizeof(char *));
	out->v[n++] = mn_xstrdup(exe);
	for (const char *const *t = tail; *t; t++)
		out->v[n++] = mn_xstrdup(*t);
	out->n = n;
}

static int run_trainer(struct run *r, struct mn_err *err)
{
	struct mn_ctx *a = r->a;
	struct mn_argv def = { NULL, 0 };
	const struct mn_argv *tmpl = &a->cfg.learning.training.trainer_command;
	char exe[PATH_MAX], seed[32], how[96];
	char *inc_dir = mn_registry_version_dir(a, r->student, r->incumbent);
	char *req_json = mn_xasprintf("%s/request.json", r->dir);
	char *base = r->builtin ? mn_datadir_find("default-model")
				: (a->cfg.student.model ? mn_xstrdup(a->cfg.student.model) : NULL);
	char **argv = NULL, **env = NULL;
	struct mn_proc_opts po = { 0 };
	struct mn_proc_result pr;
	int ret;
	int64_t t = mn_time_mono_ms();

	mn_proc_result_init(&pr);
	/* The builtin student's incumbent before any deploy is the shipped
	 * default: the trainer warm-starts from it too. */
	if (!inc_dir && r->builtin && base)
		inc_dir = mn_xstrdup(base);
	snprintf(seed, sizeof(seed), "%lld", (long long)a->cfg.learning.training.seed);
	if (!tmpl->v || tmpl->n == 0) {
		ret = mn_proc_self_exe(exe, sizeof(exe), err);
		if (ret)
			goto out;
		default_trainer(&def, exe);
		tmpl = &def;
	}
	{
		struct mn_argv_var vars[] = { { "request", req_json }, { "batch_dir", r->batch_dir },
					      { "out", r->cand_dir }, { "incumbent", inc_dir },
					      { "base", base }, { "seed", seed },
					      { "request_id", r->id } };

		argv = mn_argv_expand(tmpl, vars, 7);
	}
	if (!argv) {
		ret = mn_err_set(err, MN_EINVAL, "learning.training.trainer.command is empty");
		goto out;
	}
	{
		char *e1 = mn_xasprintf("MNEMO_REQUEST_ID=%s", r->id);
		const char *dd = getenv("MNEMO_DATADIR");
		char *e2 = dd ? mn_xasprintf("MNEMO_DATADIR=%s", dd) : NULL;
		const char *extra[] = { e1, e2, NULL };

		env = mn_proc_env_minimal(extra);
		free(e1);
		free(e2);
	}
	{
		struct mn_buf line = MN_BUF_INIT;

		for (char **p = argv; *p; p++)
			mn_buf_addf(&line, "%s%s", p == argv ? "" : " ", *p);
		logline(r, "trainer: %s (timeout %d s)", mn_buf_str(&line),
			a->cfg.learning.training.trainer_timeout_s);
		mn_buf_release(&line);
	}
	po.argv = argv;
	po.env = env;
	po.cwd = r->dir;
	po.timeout_ms = (int64_t)a->cfg.learning.training.trainer_timeout_s * 1000;
	po.log_fd = r->log_fd;
	po.new_pgroup = true;
	/* Background children of the trainer die with it: nothing may still
	 * write into {out} while it is checked, evaluated and copied. */
	po.kill_group = true;
	po.tick = trainer_tick;
	po.payload = r;
	ret = mn_proc_run(&pr, &po, err);
	if (ret)
		goto out;
	mn_proc_describe(&pr, how, sizeof(how));
	logline(r, "trainer ended: %s after %lld ms", how, (long long)pr.elapsed_ms);
	json_object_set_new(r->result, "trainer",
			    json_pack("{s:s,s:I}", "exit", how, "elapsed_ms",
				      (json_int_t)pr.elapsed_ms));
	{
		struct mn_train_patch p = MN_TRAIN_PATCH_INIT;

		p.trainer_exit = how;
		mn_store_train_update(a->store, r->id, &p, NULL);
	}
	if (pr.stopped) {
		ret = mn_err_set(err, MN_EINTR, "trainer stopped: %s", r->why_stop);
	} else if (pr.timed_out) {
		ret = mn_err_set(err, MN_ETIMEOUT, "trainer timed out after %d s",
				 a->cfg.learning.training.trainer_timeout_s);
	} else if (!mn_proc_ok(&pr)) {
		ret = mn_err_set(err, MN_EFAIL, "trainer failed: %s", how);
	} else if (mn_file_check_tree(r->cand_dir, err)) {
		/* A FIFO, socket, device or link in {out} could block or
		 * redirect every later read: refused before anything opens it. */
		char msg[sizeof(err->msg)];

		memcpy(msg, err->msg, sizeof(msg));
		ret = mn_err_set(err, MN_EINVAL, "trainer output refused: %s", msg);
	} else if (!mn_file_dir_nonempty(r->cand_dir)) {
		ret = mn_err_set(err, MN_EFAIL, "trainer exited 0 but left '%s' empty",
				 r->cand_dir);
	}
out:
	timing(r, "train_ms", t);
	{
		char *p = mn_xasprintf("%s/trainer.pid", r->dir);

		unlink(p);
		free(p);
	}
	mn_proc_result_release(&pr);
	mn_proc_env_free(env);
	mn_argv_free(argv);
	mn_argv_release(&def);
	free(inc_dir);
	free(req_json);
	free(base);
	return ret;
}

/* The holdout the gate judges agreement on: the batch's holdout without
 * the rows whose target is the student's own output (source "gold"). Those
 * measure how much a model agrees with the incumbent, which scores 1.0 on
 * them by construction; only a teacher's or a human's label is evidence.
 * Written to <run>/holdout.raw.jsonl; *out_left_out = rows dropped. NULL
 * (err untouched) when no labelled row is left: no holdout then. */
static char *labelled_holdout(struct run *r, size_t *out_left_out, struct mn_err *err)
{
	char *in = mn_xasprintf("%s/valid.raw.jsonl", r->batch_dir);
	char *out = NULL;
	struct mn_buf b = MN_BUF_INIT, keep = MN_BUF_INIT;

	*out_left_out = 0;
	if (!mn_file_exists(in))
		goto done;
	if (mn_file_read(&b, in, MN_LIMIT_JSON_FILE_BYTES, err))
		goto done;
	for (size_t i = 0; i < b.len;) {
		const char *line = b.data + i, *nl = memchr(line, '\n', b.len - i);
		size_t n = nl ? (size_t)(nl - line) : b.len - i;
		json_t *row = mn_json_parse(line, n, NULL);

		i += n + 1;
		if (row && !strcmp(mn_json_str(row, "source", ""), "gold")) {
			(*out_left_out)++;
		} else if (!mn_text_is_blank(line, n)) {
			/* unparsable lines go on: the loader reports them */
			mn_buf_add(&keep, line, n);
			mn_buf_addc(&keep, '\n');
		}
		json_decref(row);
	}
	if (!keep.len)
		goto done; /* no labelled row: agreement is judged on the probe set */
	out = mn_xasprintf("%s/holdout.raw.jsonl", r->dir);
	if (mn_file_write_atomic(out, keep.len ? keep.data : "", keep.len, 0600, err)) {
		free(out);
		out = NULL;
	}
done:
	mn_buf_release(&b);
	mn_buf_release(&keep);
	free(in);
	return out;
}

/* Evaluate candidate and incumbent; write gate.json. *out_gate: new ref.
 * MN_EFAIL for problems of the run (eval set, incumbent); a candidate
 * that cannot be evaluated yields a failing gate instead. */
static int evaluate(struct run *r, json_t **out_gate, struct mn_err *err)
{
	struct mn_ctx *a = r->a;
	struct mn_evaluate_set set;
	struct mn_evaluate_ctl ctl = { beat_tick, r, r->log_fd };
	struct mn_err cerr = MN_ERR_INIT;
	char *probe = mn_evaluate_probe_path(&a->cfg);
	char *holdout = NULL;
	char *inc_dir = mn_registry_version_dir(a, r->student, r->incumbent);
	char *gate_path = mn_xasprintf("%s/gate.json", r->dir);
	json_t *cand = NULL, *inc = NULL, *gate = NULL;
	bool have_inc = true;
	size_t unlabelled = 0;
	int ret;
	int64_t t = mn_time_mono_ms();

	*out_gate = NULL;
	mn_evalset_init(&set.all);
	mn_evalset_init(&set.holdout);
	set.n_probe = 0;
	holdout = labelled_holdout(r, &unlabelled, err);
	if (!holdout && err->code) {
		ret = err->code;
		goto out;
	}
	ret = mn_evaluate_load(&set, probe, holdout, err);
	if (ret)
		goto out;
	/* cut as the production encoder cuts */
	set.all.max_input_chars = set.holdout.max_input_chars =
		(size_t)a->cfg.encoding.max_input_chars;
	logline(r, "evaluating on %zu items (%zu probe from %s, %zu labelled holdout; %zu holdout "
		"row(s) the student encoded itself left out)", set.all.n, set.n_probe,
		probe ? probe : "none", set.holdout.n, unlabelled);
	if (r->builtin) {
		if (mn_evaluate_builtin(&cand, &set, r->cand_dir, &a->cfg, &ctl, &cerr))
			cand = NULL;
		if (!cand && cerr.code == MN_EINTR) {
			ret = mn_err_set(err, MN_EINTR, "%s", r->why_stop);
			goto out;
		}
		ret = mn_evaluate_builtin(&inc, &set, inc_dir, &a->cfg, &ctl, err);
		if (ret && !inc_dir && err->code != MN_EINTR) {
			/* No registry version and no usable shipped default: there
			 * is no incumbent, so only the absolute bounds apply. */
			logline(r, "no incumbent (%s): absolute bounds only", err->msg);
			mn_err_clear(err);
			have_inc = false;
			ret = 0;
		}
	} else {
		if (mn_evaluate_external(&cand, &set, r->cand_dir, &a->cfg, a->home, &ctl, &cerr))
			cand = NULL;
		if (!cand && cerr.code == MN_EINTR) {
			ret = mn_err_set(err, MN_EINTR, "%s", r->why_stop);
			goto out;
		}
		if (inc_dir || a->cfg.student.endpoint)
			ret = mn_evaluate_external(&inc, &set, inc_dir, &a->cfg, a->home, &ctl, err);
		else
			have_inc = false;
	}
	if (ret) {
		if (err->code != MN_EINTR) {
			char msg[sizeof(err->msg)];

			memcpy(msg, err->msg, sizeof(msg));
			mn_err_set(err, ret, "could not evaluate the incumbent: %s", msg);
		}
		goto out;
	}
	if (cand) {
		gate = mn_gate_judge(cand, have_inc ? inc : NULL, &a->cfg);
	} else {
		char why[300];

		snprintf(why, sizeof(why), "the candidate could not be evaluated: %s", cerr.msg);
		logline(r, "%s", why);
		gate = json_pack("{s:s,s:[s],s:[]}", "verdict", "fail", "reasons", why, "checks");
	}
	json_object_set_new(gate, "candidate", cand ? json_incref(cand) : json_null());
	json_object_set_new(gate, "incumbent", inc ? json_incref(inc) : json_null());
	json_object_set_new(gate, "incumbent_version",
			    json_string(r->incumbent[0] ? r->incumbent : MN_REGISTRY_DEFAULT));
	json_object_set_new(gate, "eval_set",
			    json_pack("{s:s?,s:I,s:I,s:I}", "probe", probe, "n_probe",
				      (json_int_t)set.n_probe, "n_holdout",
				      (json_int_t)set.holdout.n, "n_holdout_unlabelled_left_out",
				      (json_int_t)unlabelled));
	ret = mn_json_write_file(gate_path, gate, err);
	if (ret)
		goto out;
	{
		struct mn_train_patch p = MN_TRAIN_PATCH_INIT;

		p.candidate_metrics = cand;
		p.incumbent_metrics = inc;
		p.gate_verdict = mn_gate_passed(gate) ? "pass" : "fail";
		p.gate_reasons = json_object_get(gate, "reasons");
		ret = mn_store_train_update(a->store, r->id, &p, err);
	}
	logline(r, "gate: %s", mn_gate_passed(gate) ? "pass" : "fail");
	*out_gate = gate;
	gate = NULL;
out:
	timing(r, "evaluate_ms", t);
	mn_evaluate_release(&set);
	json_decref(cand);
	json_decref(inc);
	json_decref(gate);
	free(probe);
	free(holdout);
	free(inc_dir);
	free(gate_path);
	return ret;
}

static int assemble(struct run *r, const json_t *request, struct mn_err *err)
{
	struct mn_ctx *a = r->a;
	struct mn_batch_result br;
	struct mn_batch_opts bo = { 0 };
	struct mn_train_patch p = MN_TRAIN_PATCH_INIT;
	const char *hand = mn_json_str(request, "batch_dir", NULL);
	int ret;
	int64_t t = mn_time_mono_ms();

	memset(&br, 0, sizeof(br));
	if (hand) {
		/* A batch made by hand (`train request --batch-dir`): copied in, so
		 * the run's files stay together; no rows are claimed. */
		ret = mn_file_remove_tree(r->batch_dir, err);
		if (!ret)
			ret = mn_file_copy_tree(hand, r->batch_dir, MN_FILE_COPY_FOLLOW, err);
		if (ret)
			goto out;
		logline(r, "batch: copied from %s", hand);
		p.batch_id = r->id;
		ret = mn_store_train_update(a->store, r->id, &p, err);
		goto out;
	}
	ret = mn_file_remove_tree(r->batch_dir, err);
	if (ret)
		goto out;
	bo.out_dir = r->batch_dir;
	bo.batch_id = r->id;
	bo.claim_rows = true;
	ret = mn_batch_assemble(a, &br, &bo, err);
	if (ret)
		goto out;
	r->batch_claimed = true;
	logline(r, "batch: %zu train, %zu holdout, %zu preference", br.n_train, br.n_valid,
		br.n_preference);
	p.batch_id = r->id;
	p.n_train = (int)br.n_train;
	p.n_valid = (int)br.n_valid;
	p.holdout_n = (int)br.n_valid;
	p.counts = br.manifest ? json_object_get(br.manifest, "counts") : NULL;
	ret = mn_store_train_update(a->store, r->id, &p, err);
	json_object_set_new(r->result, "batch",
			    json_pack("{s:I,s:I,s:I}", "n_train", (json_int_t)br.n_train,
				      "n_valid", (json_int_t)br.n_valid, "n_preference",
				      (json_int_t)br.n_preference));
out:
	timing(r, "batch_ms", t);
	mn_batch_result_release(&br);
	return ret;
}

static int deploy(struct run *r, const json_t *gate, struct mn_err *err)
{
	struct mn_ctx *a = r->a;
	struct mn_train_patch p = MN_TRAIN_PATCH_INIT;
	char version[16], pinned[16] = "";
	bool switched = false;
	int ret;
	int64_t t = mn_time_mono_ms();

	ret = mn_registry_register(a, version, r->student, r->cand_dir, r->id,
				   json_object_get(gate, "candidate"), err);
	if (ret)
		goto out;
	p.candidate_version = version;
	mn_store_train_update(a->store, r->id, &p, NULL);
	/* Last check before the switch: recovery or cancel may have ended us. */
	if (!beat(r)) {
		ret = mn_err_set(err, MN_EINTR, "%s", r->why_stop);
		goto out;
	}
	ret = mn_registry_deploy(a, &switched, r->student, version, r->log_fd, err);
	if (ret)
		goto out;
	json_object_set_new(r->result, "version", json_string(version));
	if (switched) {
		p.deployed_version = version;
		logline(r, "deployed %s/%s", r->student, version);
		json_object_set_new(r->result, "deployed_version", json_string(version));
	} else {
		char note[128];

		mn_registry_pinned(a, r->student, pinned, NULL);
		snprintf(note, sizeof(note),
			 "registered %s but current stays at pinned %s (unpin to deploy)", version,
			 pinned);
		logline(r, "%s", note);
		json_object_set_new(r->result, "pinned", json_string(pinned));
		json_object_set_new(r->result, "note", json_string(note));
	}
	ret = mn_store_train_update(a->store, r->id, &p, err);
	if (!ret && r->batch_claimed)
		ret = mn_batch_mark_trained(a, r->id, r->id, err);
out:
	timing(r, "deploy_ms", t);
	return ret;
}

static int write_result(struct run *r, struct mn_err *err)
{
	struct mn_train_run row;
	char *path = mn_xasprintf("%s/result.json", r->dir);
	int ret = mn_store_train_get(r->a->store, &row, r->id, err);

	if (!ret) {
		json_object_set_new(r->result, "request_id", json_string(r->id));
		json_object_set_new(r->result, "state", json_string(row.state));
		json_object_set_new(r->result, "trigger", json_string(row.trigger));
		json_object_set_new(r->result, "reason",
				    row.reason ? json_string(row.reason) : json_null());
		json_object_set_new(r->result, "error",
				    row.error ? json_string(row.error) : json_null());
		json_object_set_new(r->result, "gate_verdict",
				    row.gate_verdict ? json_string(row.gate_verdict) : json_null());
		json_object_set_new(r->result, "gate_reasons",
				    row.gate_reasons ? json_incref(row.gate_reasons)
						     : json_array());
		json_object_set_new(r->result, "created_at", json_string(row.created_at));
		json_object_set_new(r->result, "started_at", json_string(row.started_at));
		json_object_set_new(r->result, "finished_at", json_string(row.finished_at));
		json_object_set_new(r->result, "timings", json_incref(r->timings));
		json_object_set_new(r->result, "hooks_after_ran", json_boolean(row.hooks_after_ran));
		ret = mn_json_write_file(path, r->result, err);
	}
	mn_train_run_release(&row);
	free(path);
	return ret;
}

/* Final state + rows + hooks.after + result: every path ends here. */
static void finish(struct run *r, const char *state, const char *error)
{
	struct mn_ctx *a = r->a;
	struct mn_err e = MN_ERR_INIT;
	struct mn_train_patch p = MN_TRAIN_PATCH_INIT;

	if (mn_store_train_transition(a->store, r->id, "training,evaluating", state, error, &e)) {
		/* Someone else (recovery) already ended the run, rows and hooks
		 * included: do not do it twice. */
		mn_warn("orch", "run %s: could not mark %s: %s", r->id, state, e.msg);
		logline(r, "run already ended elsewhere: %s", e.msg);
		return;
	}
	logline(r, "run %s%s%s", state, error ? ": " : "", error ? error : "");
	if (strcmp(state, MN_RUN_DEPLOYED) && r->batch_claimed) {
		mn_err_clear(&e);
		if (mn_batch_release(a, r->id, &e))
			mn_warn("orch", "run %s: could not release rows: %s", r->id, e.msg);
		else
			logline(r, "batch rows released");
	}
	mn_err_clear(&e);
	if (run_hook(r, &a->cfg.learning.training.hooks_after, "after", false, &e))
		mn_warn("orch", "run %s: %s", r->id, e.msg);
	p.hooks_after_ran = 1;
	timing(r, "total_ms", r->t0);
	p.timings = r->timings;
	mn_err_clear(&e);
	if (mn_store_train_update(a->store, r->id, &p, &e))
		mn_warn("orch", "run %s: %s", r->id, e.msg);
	mn_err_clear(&e);
	if (write_result(r, &e))
		mn_warn("orch", "run %s: could not write result.json: %s", r->id, e.msg);
	mn_info("orch", "run %s %s%s%s", r->id, state, error ? ": " : "", error ? error : "");
}

/* err may be NULL. */
static int read_pending(struct mn_ctx *a, char out[37], struct mn_err *err)
{
	char *path = mn_xasprintf("%s/training/pending.json", a->home);
	struct mn_err e = MN_ERR_INIT;
	json_t *j = NULL;
	const char *id;
	int ret = 0;

	/* The file may vanish at any moment (another orchestrator took it). */
	j = mn_json_load_file(path, &e);
	if (!j && e.code == MN_ENOTFOUND) {
		ret = mn_err_set(err, MN_ENOTFOUND, "no pending request ('%s' does not exist)", path);
		goto out;
	}
	if (!j) {
		ret = mn_err_set(err, e.code ? e.code : MN_EPARSE, "%s", e.msg);
		goto out;
	}
	id = mn_json_str(j, "request_id", NULL);
	if (!id || strlen(id) != 36) {
		ret = mn_err_set(err, MN_EINVAL, "'%s' names no request_id", path);
		goto out;
	}
	snprintf(out, 37, "%s", id);
out:
	json_decref(j);
	free(path);
	return ret;
}

static void drop_pending(struct mn_ctx *a, const char *id)
{
	char *path = mn_xasprintf("%s/training/pending.json", a->home);
	char cur[37];

	/* Only when it still names this run: a newer request keeps its file. */
	if (!read_pending(a, cur, NULL) && !strcmp(cur, id))
		unlink(path);
	free(path);
}

int mn_orch_run(struct mn_ctx *a, json_t **out_result, const struct mn_orch_opts *o,
		struct mn_err *err)
{
	struct run r;
	struct mn_train_run row;
	struct mn_train_patch p = MN_TRAIN_PATCH_INIT;
	char *lock_path = mn_xasprintf("%s/training/lock", a->home);
	char *req_path = NULL;
	json_t *request = NULL, *gate = NULL;
	struct mn_err e = MN_ERR_INIT;
	int lock_fd = -1, ret;

	memset(&r, 0, sizeof(r));
	memset(&row, 0, sizeof(row));
	r.log_fd = -1;
	if (out_result)
		*out_result = NULL;
	if (o->pending) {
		ret = read_pending(a, r.id, err);
	} else if (o->request_id && strlen(o->request_id) < sizeof(r.id)) {
		snprintf(r.id, sizeof(r.id), "%s", o->request_id);
		ret = 0;
	} else {
		ret = mn_err_set(err, MN_EINVAL, "no request id");
	}
	if (ret)
		goto out_nolock;
	lock_fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (lock_fd < 0) {
		ret = mn_err_set(err, MN_EIO, "could not open '%s': %s", lock_path, strerror(errno));
		goto out_nolock;
	}
	if (flock(lock_fd, LOCK_EX | LOCK_NB) < 0) {
		ret = mn_err_set(err, MN_EBUSY, "another training run holds '%s'", lock_path);
		goto out_nolock;
	}
	ret = mn_store_train_get(a->store, &row, r.id, err);
	if (ret)
		goto out_nolock;
	if (strcmp(row.state, MN_RUN_REQUESTED)) {
		ret = mn_err_set(err, MN_EINVAL, "run '%s' is %s, not requested", r.id, row.state);
		if (o->pending)
			drop_pending(a, r.id);
		goto out_nolock;
	}
	r.a = a;
	r.o = o;
	r.dir = row.request_dir ? mn_xstrdup(row.request_dir)
				: mn_xasprintf("%s/training/requests/%s", a->home, r.id);
	r.batch_dir = mn_xasprintf("%s/batch", r.dir);
	r.cand_dir = mn_xasprintf("%s/candidate", r.dir);
	r.log_path = mn_xasprintf("%s/train.log", r.dir);
	r.t0 = mn_time_mono_ms();
	r.last_beat = r.t0;
	r.timings = json_object();
	r.result = json_object();
	r.builtin = !a->cfg.student.provider || strcmp(a->cfg.student.provider, "openai") != 0;
	mn_registry_student(r.student, &a->cfg);
	mn_registry_current(a, r.student, r.incumbent);
	ret = mn_file_mkdir_p(r.dir, 0700, err);
	if (ret)
		goto out_nolock;
	r.log_fd = open(r.log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	/* From here on the run is ours: every path goes through finish(). */
	ret = mn_store_train_transition(a->store, r.id, MN_RUN_REQUESTED, MN_RUN_TRAINING, NULL,
					err);
	if (ret)
		goto out_nolock;
	p.pid = (long)getpid();
	mn_store_train_update(a->store, r.id, &p, NULL);
	if (o->pending)
		drop_pending(a, r.id);
	logline(&r, "run %s started by pid %ld (trigger %s); student %s, incumbent %s", r.id,
		(long)getpid(), row.trigger, r.student,
		r.incumbent[0] ? r.incumbent : MN_REGISTRY_DEFAULT);
	mn_info("orch", "run %s started", r.id);

	req_path = mn_xasprintf("%s/request.json", r.dir);
	request = mn_json_load_file(req_path, &e);
	if (!request || strcmp(mn_json_str(request, "request_id", ""), r.id)) {
		char why[300];

		snprintf(why, sizeof(why), "invalid request: %s",
			 request ? "request.json names another run" : e.msg);
		finish(&r, MN_RUN_FAILED, why);
		goto done;
	}
	mn_err_clear(&e);
	if (run_hook(&r, &a->cfg.learning.training.hooks_before, "before", true, &e)) {
		finish(&r, e.code == MN_EINTR || r.why_stop[0] ? MN_RUN_CANCELLED : MN_RUN_FAILED,
		       r.why_stop[0] ? r.why_stop : e.msg);
		goto done;
	}
	if (assemble(&r, request, &e)) {
		finish(&r, MN_RUN_FAILED, e.msg);
		goto done;
	}
	/* The candidate directory starts empty: nothing from an earlier run
	 * is trusted. */
	if (mn_file_remove_tree(r.cand_dir, &e) || mn_file_mkdir_p(r.cand_dir, 0700, &e)) {
		finish(&r, MN_RUN_FAILED, e.msg);
		goto done;
	}
	if (run_trainer(&r, &e)) {
		finish(&r, r.why_stop[0] ? MN_RUN_CANCELLED : MN_RUN_FAILED,
		       r.why_stop[0] ? r.why_stop : e.msg);
		goto done;
	}
	if (mn_store_train_transition(a->store, r.id, MN_RUN_TRAINING, MN_RUN_EVALUATING, NULL,
				      &e)) {
		finish(&r, MN_RUN_FAILED, e.msg);
		goto done;
	}
	if (evaluate(&r, &gate, &e)) {
		finish(&r, r.why_stop[0] ? MN_RUN_CANCELLED : MN_RUN_FAILED,
		       r.why_stop[0] ? r.why_stop : e.msg);
		goto done;
	}
	if (!mn_gate_passed(gate)) {
		finish(&r, MN_RUN_REJECTED, NULL);
		goto done;
	}
	if (deploy(&r, gate, &e)) {
		finish(&r, r.why_stop[0] ? MN_RUN_CANCELLED : MN_RUN_FAILED,
		       r.why_stop[0] ? r.why_stop : e.msg);
		goto done;
	}
	finish(&r, MN_RUN_DEPLOYED, NULL);
done:
	ret = 0;
	if (out_result)
		*out_result = json_incref(r.result);
out_nolock:
	if (r.log_fd >= 0)
		close(r.log_fd);
	if (lock_fd >= 0)
		close(lock_fd);
	mn_train_run_release(&row);
	json_decref(request);
	json_decref(gate);
	json_decref(r.timings);
	json_decref(r.result);
	free(r.dir);
	free(r.batch_dir);
	free(r.cand_dir);
	free(r.log_path);
	free(req_path);
	free(lock_path);
	return ret;
}

/* ---- `mnemo train run` ---- */
