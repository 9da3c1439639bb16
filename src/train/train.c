#include "train/train.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/file.h"
#include "base/json.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/proc.h"
#include "base/text.h"
#include "base/timeutil.h"
#include "learn/batch.h"
#include "train/monitor.h"
#include "train/registry.h"
#include "store/store_learn.h"
#include "store/store_train.h"

/* A training/evaluating run whose heartbeat is older than this is dead even
 * when its pid still answers (hung, or the pid was reused). */
#define HEARTBEAT_STALE_MS (10 * 60 * 1000)
/* A requested run that no orchestrator picked up in this long is dead
 * (supervised runner only; systemd may legitimately wait). */
#define REQUEST_STALE_MS (10 * 60 * 1000)
#define SHUTDOWN_GRACE_MS 30000
/* Deployed runs `status` sums the teacher's gains over (newest first). */
#define TEACHER_RUNS_MAX 1000

/* The orchestrator child `mnemo serve` supervises. */
static pid_t child_pid = -1;
static char child_id[37];
static bool supervising;

bool mn_train_estopped(struct mn_ctx *a)
{
	char *p = mn_xasprintf("%s/training.disabled", a->home);
	bool on = mn_file_exists(p);

	free(p);
	return on;
}

static int64_t parse_ms(const char *s)
{
	int64_t v = 0;

	return s && *s && mn_time_parse(&v, s) ? v : 0;
}

/* ---- recovery ---- */

static void kill_orphan_trainer(const char *dir)
{
	char *p = mn_xasprintf("%s/trainer.pid", dir);
	struct mn_buf b = MN_BUF_INIT;
	int64_t pid = 0;

	if (!mn_file_read(&b, p, 64, NULL) && mn_text_parse_i64(&pid, mn_text_trim(b.data), 2,
								 INT_MAX)) {
		/* The trainer ran in its own process group led by itself. */
		if (kill(-(pid_t)pid, SIGTERM) == 0) {
			mn_time_sleep_ms(500);
			kill(-(pid_t)pid, SIGKILL);
		}
	}
	unlink(p);
	mn_buf_release(&b);
	free(p);
}

static void run_hooks_after(struct mn_ctx *a, const struct mn_train_run *r)
{
	char *log_path = mn_xasprintf("%s/train.log", r->request_dir);
	char *cand = mn_xasprintf("%s/candidate", r->request_dir);
	char *batch = mn_xasprintf("%s/batch", r->request_dir);
	struct mn_argv_var vars[] = { { "request", r->id }, { "request_dir", r->request_dir },
				      { "out", cand }, { "batch_dir", batch } };
	char **argv = mn_argv_expand(&a->cfg.learning.training.hooks_after, vars, 4);
	char *e1 = mn_xasprintf("MNEMO_REQUEST_ID=%s", r->id);
	const char *extra[] = { e1, NULL };
	char **env = mn_proc_env_minimal(extra);
	struct mn_proc_opts po = { 0 };
	struct mn_proc_result pr;
	struct mn_err e = MN_ERR_INIT;
	int fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);

	mn_proc_result_init(&pr);
	if (argv) {
		po.argv = argv;
		po.env = env;
		po.timeout_ms = 600 * 1000;
		po.log_fd = fd;
		po.new_pgroup = true;
		po.cwd = mn_file_is_dir(r->request_dir) ? r->request_dir : NULL;
		if (mn_proc_run(&pr, &po, &e) || !mn_proc_ok(&pr))
			mn_warn("train", "run %s: hooks.after failed: %s", r->id,
				e.msg[0] ? e.msg : "non-zero exit");
	}
	mn_proc_result_release(&pr);
	if (fd >= 0)
		close(fd);
	mn_proc_env_free(env);
	mn_argv_free(argv);
	free(e1);
	free(log_path);
	free(cand);
	free(batch);
}

static void write_result_file(struct mn_ctx *a, const char *id)
{
	struct mn_train_run r;
	struct mn_err e = MN_ERR_INIT;
	char *path;
	json_t *o;

	if (mn_store_train_get(a->store, &r, id, &e) || !r.request_dir) {
		mn_train_run_release(&r);
		return;
	}
	path = mn_xasprintf("%s/result.json", r.request_dir);
	o = json_pack("{s:s,s:s,s:s,s:s?,s:s?,s:s,s:s?,s:b}", "request_id", r.id, "state",
		      r.state, "trigger", r.trigger, "reason", r.reason, "error", r.error,
		      "created_at", r.created_at, "finished_at",
		      r.finished_at[0] ? r.finished_at : NULL, "hooks_after_ran",
		      r.hooks_after_ran);
	if (mn_file_is_dir(r.request_dir) && mn_json_write_file(path, o, &e))
		mn_warn("train", "could not write '%s': %s", path, e.msg);
	json_decref(o);
	free(path);
	mn_train_run_release(&r);
}

/* hooks.after (when run_hook and the run has a directory), then the
 * patch p saved with hooks_after_ran set. */
static void finish_hooks(struct mn_ctx *a, const struct mn_train_run *r,
			 struct mn_train_patch *p, bool run_hook)
{
	struct mn_err e = MN_ERR_INIT;

	if (run_hook && r->request_dir)
		run_hooks_after(a, r);
	p->hooks_after_ran = 1;
	if (mn_store_train_update(a->store, r->id, p, &e))
		mn_warn("train", "run %s: %s", r->id, e.msg);
}

/* Did the run's orchestrator die after switching `current` to its
 * candidate (the deploy's last step)? Then its model is serving. */
static bool switched_before_death(struct mn_ctx *a, const struct mn_train_run *r,
				  const char *student)
{
	char cur[16];

	if (!r->candidate_version || !r->candidate_version[0])
		return false;
	mn_registry_current(a, student, cur);
	return !strcmp(cur, r->candidate_version);
}

/* End a run whose orchestrator is gone: failed, trainer stopped, rows
 * released, hooks.after, result.json. A run that had already switched
 * `current` to its candidate is recorded as deployed instead (rows
 * trained): the database must not call a serving model's run failed. */
static int bury(struct mn_ctx *a, const struct mn_train_run *r, const char *why)
{
	struct mn_train_patch p = MN_TRAIN_PATCH_INIT;
	struct mn_err e = MN_ERR_INIT;
	char student[64];
	bool serving;

	mn_registry_student(student, &a->cfg);
	serving = switched_before_death(a, r, student);

	if (mn_store_train_transition(a->store, r->id, "requested,training,evaluating",
				      serving ? MN_RUN_DEPLOYED : MN_RUN_FAILED,
				      serving ? NULL : why, &e))
		return 0; /* it moved on by itself meanwhile */
	if (r->request_dir)
		kill_orphan_trainer(r->request_dir);
	if (serving) {
		mn_warn("train", "run %s: %s after switching current to %s: recorded as deployed",
			r->id, why, r->candidate_version);
		p.deployed_version = r->candidate_version;
		if (mn_store_model_set_state(a->store, student, r->candidate_version, "deployed",
					     &e))
			mn_warn("train", "run %s: %s", r->id, e.msg);
		mn_err_clear(&e);
		if (r->batch_id && mn_batch_mark_trained(a, r->id, r->id, &e))
			mn_warn("train", "run %s: could not mark rows trained: %s", r->id, e.msg);
	} else {
		mn_warn("train", "run %s: %s", r->id, why);
		if (r->batch_id && mn_batch_release(a, r->id, &e))
			mn_warn("train", "run %s: could not release rows: %s", r->id, e.msg);
	}
	finish_hooks(a, r, &p, strcmp(r->state, MN_RUN_REQUESTED) != 0);
	write_result_file(a, r->id);
	return 1;
}

/* Did the run's orchestrator die inside its ending? The final state is
 * recorded, but hooks.after or result.json are not. */
static bool ending_unfinished(const struct mn_train_run *r)
{
	char *path;
	bool missing;

	if (!r->hooks_after_ran)
		return true;
	if (!r->request_dir || !mn_file_is_dir(r->request_dir))
		return false;
	path = mn_xasprintf("%s/result.json", r->request_dir);
	missing = !mn_file_exists(path);
	free(path);
	return missing;
}

/* Do the rest of such an ending: rows released (unless it deployed) and
 * hooks.after run when that was not recorded, result.json written. */
static int complete_ending(struct mn_ctx *a, const struct mn_train_run *r)
{
	struct mn_train_patch p = MN_TRAIN_PATCH_INIT;
	struct mn_err e = MN_ERR_INIT;

	mn_warn("train", "run %s: its orchestrator died while ending it (%s): finishing", r->id,
		r->state);
	if (!r->hooks_after_ran) {
		if (strcmp(r->state, MN_RUN_DEPLOYED) && strcmp(r->state, MN_RUN_ROLLED_BACK) &&
		    r->batch_id && mn_batch_release(a, r->id, &e))
			mn_warn("train", "run %s: could not release rows: %s", r->id, e.msg);
		finish_hooks(a, r, &p, true);
	}
	write_result_file(a, r->id);
	return 1;
}

static bool ended(const char *state)
{
	return !strcmp(state, MN_RUN_DEPLOYED) || !strcmp(state, MN_RUN_REJECTED) ||
	       !strcmp(state, MN_RUN_FAILED) || !strcmp(state, MN_RUN_CANCELLED) ||
	       !strcmp(state, MN_RUN_ROLLED_BACK);
}

int mn_train_recover_dead(struct mn_ctx *a, int *out_n, struct mn_err *err)
{
	struct mn_train_run *runs = NULL;
	size_t n = 0;
	char *lock_path = mn_xasprintf("%s/training/lock", a->home);
	int fd, ret;
	bool lock_free = false;
	int64_t now = mn_time_now_ms();

	*out_n = 0;
	/* No orchestrator holds training/lock = none is alive, whatever the
	 * pids say (immune to pid reuse). Holding it also keeps a new one from
	 * starting while we clean up. */
	fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0)
		lock_free = true;
	ret = mn_store_train_list_model(a->store, &runs, &n, 50, MN_RUN_MODEL_STUDENT, err);
	if (ret)
		goto out;
	for (size_t i = 0; i < n; i++) {
		const struct mn_train_run *r = &runs[i];
		bool running = !strcmp(r->state, MN_RUN_TRAINING) ||
			       !strcmp(r->state, MN_RUN_EVALUATING);

		if (running) {
			bool gone = r->pid > 0 && kill((pid_t)r->pid, 0) < 0 && errno == ESRCH;
			int64_t hb = parse_ms(r->heartbeat_at);
			bool stale = hb > 0 && now - hb > HEARTBEAT_STALE_MS;

			if (lock_free || gone || stale)
				*out_n += bury(a, r, stale && !lock_free && !gone
							  ? "orchestrator died (no heartbeat)"
							  : "orchestrator died");
		} else if (!strcmp(r->state, MN_RUN_REQUESTED) && lock_free && r->pid <= 0 &&
			   strcmp(a->cfg.learning.training.runner, "systemd") &&
			   now - parse_ms(r->created_at) > REQUEST_STALE_MS &&
			   !(child_pid > 0 && !strcmp(child_id, r->id))) {
			*out_n += bury(a, r, "orchestrator never started");
		} else if (lock_free && r->started_at[0] && ended(r->state) && ending_unfinished(r)) {
			*out_n += complete_ending(a, r);
		}
	}
	{
		/* a rollback killed half-way; temp files of killed processes */
		char student[64];
		struct mn_err e = MN_ERR_INIT;

		mn_registry_student(student, &a->cfg);
		if (mn_registry_recover(a, student, &e))
			mn_warn("train", "registry recovery: %s", e.msg);
	}
out:
	mn_train_runs_free(runs, n);
	if (fd >= 0)
		close(fd);
	free(lock_path);
	return ret;
}

/* ---- requests ---- */

static int count_consecutive_failures(struct mn_ctx *a, int *out, struct mn_err *err)
{
	json_t *arr = NULL;
	size_t i;
	json_t *v;
	int ret = mn_store_train_recent_finished(a->store, &arr,
						 a->cfg.learning.trigger.max_consecutive_failures,
						 err);

	*out = 0;
	if (ret)
		return ret;
	json_array_foreach(arr, i, v) {
		if (strcmp(mn_json_str(v, "state", ""), MN_RUN_FAILED))
			break;
		(*out)++;
	}
	json_decref(arr);
	return 0;
}

static int write_request_files(struct mn_ctx *a, const char *id, const char *dir,
			       const struct mn_train_request_opts *o, struct mn_err *err)
{
	char now[MN_TIME_LEN];
	char *path = mn_xasprintf("%s/request.json", dir);
	json_t *req;
	int ret;

	mn_time_now_str(now);
	req = json_pack("{s:s,s:s,s:s?,s:s,s:s?,s:s}", "request_id", id, "trigger",
			o->trigger ? o->trigger : "manual", "reason", o->reason, "created_at", now,
			"batch_dir", o->batch_dir, "runner", a->cfg.learning.training.runner);
	ret = mn_file_mkdir_p(dir, 0700, err);
	if (!ret)
		ret = mn_json_write_file(path, req, err);
	json_decref(req);
	free(path);
	return ret;
}

static int write_pending(struct mn_ctx *a, const char *id, struct mn_err *err)
{
	char *path = mn_xasprintf("%s/training/pending.json", a->home);
	char now[MN_TIME_LEN];
	json_t *j;
	char *txt;
	int ret;

	mn_time_now_str(now);
	j = json_pack("{s:s,s:s}", "request_id", id, "created_at", now);
	txt = mn_json_dumps(j);
	ret = mn_file_write_atomic(path, txt, strlen(txt), 0600, err);
	free(txt);
	json_decref(j);
	free(path);
	return ret;
}

/* argv of the orchestrator for request id: <exe> [--config F] train run
 * --request ID. */
static char **orch_argv(struct mn_ctx *a, const char *id, struct mn_err *err)
{
	char exe[PATH_MAX];
	char **v;
	int n = 0;

	if (mn_proc_self_exe(exe, sizeof(exe), err))
		return NULL;
	v = mn_xcalloc(9, sizeof(char *));
	v[n++] = mn_xstrdup(exe);
	if (a->cfg.path) {
		v[n++] = mn_xstrdup("--config");
		v[n++] = mn_xstrdup(a->cfg.path);
	}
	v[n++] = mn_xstrdup("train");
	v[n++] = mn_xstrdup("run");
	v[n++] = mn_xstrdup("--request");
	v[n++] = mn_xstrdup(id);
	return v;
}

/* The orchestrator of run id has exited, however it ended: a run it did
 * not end is recovered now (not at the next request or cycle). */
static void after_orchestrator(struct mn_ctx *a, const char *id)
{
	struct mn_err e = MN_ERR_INIT;
	struct mn_train_run r;
	int n = 0;

	if (mn_store_train_get(a->store, &r, id, &e))
		return;
	if (!strcmp(r.state, MN_RUN_REQUESTED))
		bury(a, &r, "orchestrator exited before starting the run");
	else if (!strcmp(r.state, MN_RUN_TRAINING) || !strcmp(r.state, MN_RUN_EVALUATING))
		mn_train_recover_dead(a, &n, &e);
	else
		mn_info("train", "run %s ended: %s", r.id, r.state);
	mn_train_run_release(&r);
}

/* Reap the supervised orchestrator child if it has exited. */
static void reap_child(struct mn_ctx *a)
{
	int st;
	pid_t w;

	if (child_pid <= 0)
		return;
	w = waitpid(child_pid, &st, WNOHANG);
	if (w == child_pid || (w < 0 && errno == ECHILD)) {
		if (w == child_pid && WIFSIGNALED(st))
			mn_warn("train", "orchestrator of run %s was killed by signal %d", child_id,
				WTERMSIG(st));
		child_pid = -1;
		after_orchestrator(a, child_id);
		child_id[0] = '\0';
	}
}

/* Start the orchestrator for a request: a supervised child in `mnemo
 * serve`, detached elsewhere, or waited for. */
static int start_orchestrator(struct mn_ctx *a, const char *id, const char *dir, bool wait,
			      struct mn_err *err)
{
	char *log_path = mn_xasprintf("%s/train.log", dir);
	char **argv = orch_argv(a, id, err);
	const char *keys[3];
	int fd = -1, ret = 0;
	pid_t pid = -1;
	bool detach = !wait && !supervising;

	if (!argv) {
		ret = err->code;
		goto out;
	}
	if (!wait && supervising && child_pid > 0) {
		ret = mn_err_set(err, MN_EBUSY, "run %s is still being supervised", child_id);
		goto out;
	}
	fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	/* The orchestrator evaluates external students: it needs the keys
	 * the configuration names, and only those. */
	mn_config_key_vars(keys, &a->cfg, true);
	ret = mn_proc_spawn_bg_env(&pid, argv, mn_config_child_env, keys, fd, detach, err);
	if (ret)
		goto out;
	mn_info("train", "run %s: orchestrator pid %ld (%s)", id, (long)pid,
		wait ? "waited for" : detach ? "detached" : "supervised");
	if (wait) {
		int st;

		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
		after_orchestrator(a, id);
	} else if (!detach) {
		child_pid = pid;
		snprintf(child_id, sizeof(child_id), "%s", id);
	}
out:
	if (fd >= 0)
		close(fd);
	mn_argv_free(argv);
	free(log_path);
	return ret;
}

static int wait_for_end(struct mn_ctx *a, const char *id, struct mn_err *err)
{
	for (;;) {
		struct mn_train_run r;
		int ret = mn_store_train_get(a->store, &r, id, err);
		bool done = !ret && strcmp(r.state, MN_RUN_REQUESTED) &&
			    strcmp(r.state, MN_RUN_TRAINING) && strcmp(r.state, MN_RUN_EVALUATING);

		mn_train_run_release(&r);
		if (ret || done)
			return ret;
		mn_time_sleep_ms(500);
	}
}

/* Checks shared by every trigger: e-stop and a run in flight. */
static int common_checks(struct mn_ctx *a, struct mn_err *err)
{
	char flying[37];
	int dead = 0, ret;

	if (mn_train_estopped(a))
		return mn_err_set(err, MN_EDECLINED, "training is disabled by %s/training.disabled",
				  a->home);
	ret = mn_train_recover_dead(a, &dead, err);
	if (!ret)
		ret = mn_store_train_in_flight(a->store, flying, err);
	if (ret)
		return ret;
	if (flying[0])
		return mn_err_set(err, MN_EDECLINED, "run %s is in flight", flying);
	return 0;
}

int mn_train_count_rows(struct mn_ctx *a, int *out_eligible, int *out_labelled,
			struct mn_err *err)
{
	struct mn_learn_row *rows = NULL;
	size_t n = 0;
	int ret;

	*out_eligible = *out_labelled = 0;
	ret = mn_store_learn_batch_rows(a->store, &rows, &n, err);
	if (ret)
		return ret;
	for (size_t i = 0; i < n; i++) {
		if (mn_batch_is_holdout(rows[i].memory_id,
					a->cfg.learning.training.holdout_fraction))
			continue;
		(*out_eligible)++;
		/* A row whose target is the student's own output is replay, never
		 * evidence: only a teacher's or a human's correction teaches. */
		if (rows[i].corrected_output)
			(*out_labelled)++;
	}
	mn_learn_rows_free(rows, n);
	return 0;
}

static int data_check(struct mn_ctx *a, struct mn_err *err)
{
	int eligible = 0, labelled = 0, need = a->cfg.learning.training.min_new_examples;
	int need_l = a->cfg.learning.training.min_labelled_examples;
	int ret = mn_train_count_rows(a, &eligible, &labelled, err);

	if (ret)
		return ret;
	if (eligible < need)
		return mn_err_set(err, MN_EDECLINED,
				  "too little data: %d eligible example%s, need %d", eligible,
				  eligible == 1 ? "" : "s", need);
	if (labelled < need_l)
		return mn_err_set(err, MN_EDECLINED,
				  "too few labelled examples: %d teacher- or human-corrected row%s "
				  "to train on, need %d (learning.training.min_labelled_examples); "
				  "rows the student encoded itself are replay, not evidence",
				  labelled, labelled == 1 ? "" : "s", need_l);
	return 0;
}

/* Create the run (row + request.json) and start it the configured way. */
static int create_run(struct mn_ctx *a, char out_id[37], const struct mn_train_request_opts *o,
		      struct mn_err *err)
{
	char id[37], flying[37];
	char *dir;
	int ret;

	/* `mnemo serve` supervises one orchestrator at a time. One whose run
	 * has ended may still be finishing (hooks.after, result.json): a new
	 * run is declined before it exists, not created and then failed. */
	if (strcmp(a->cfg.learning.training.runner, "systemd") && !o->wait && supervising &&
	    child_pid > 0) {
		reap_child(a);
		if (child_pid > 0)
			return mn_err_set(err, MN_EDECLINED,
					  "the orchestrator of run %s is still finishing", child_id);
	}
	mn_text_uuid4(id);
	dir = mn_xasprintf("%s/training/requests/%s", a->home, id);
	ret = write_request_files(a, id, dir, o, err);
	if (ret)
		goto out;
	/* In-flight check and insert in one transaction: two requesters cannot
	 * both get through. */
	ret = mn_store_begin(a->store, err);
	if (ret)
		goto out;
	ret = mn_store_train_in_flight(a->store, flying, err);
	if (!ret && flying[0])
		ret = mn_err_set(err, MN_EDECLINED, "run %s is in flight", flying);
	if (!ret)
		ret = mn_store_train_insert(a->store, id, o->trigger ? o->trigger : "manual",
					    o->reason, dir, err);
	if (!ret)
		ret = mn_store_commit(a->store, err);
	if (ret) {
		mn_store_rollback(a->store);
		mn_file_remove_tree(dir, NULL);
		goto out;
	}
	snprintf(out_id, 37, "%s", id);
	mn_info("train", "run %s requested (%s%s%s)", id, o->trigger ? o->trigger : "manual",
		o->reason ? ": " : "", o->reason ? o->reason : "");
	if (!strcmp(a->cfg.learning.training.runner, "systemd")) {
		ret = write_pending(a, id, err);
		if (!ret && o->wait)
			ret = wait_for_end(a, id, err);
	} else {
		ret = start_orchestrator(a, id, dir, o->wait, err);
	}
	if (ret) {
		struct mn_err e2 = MN_ERR_INIT;
		char why[300];

		snprintf(why, sizeof(why), "could not start the orchestrator: %s", err->msg);
		mn_store_train_transition(a->store, id, MN_RUN_REQUESTED, MN_RUN_FAILED, why, &e2);
	}
out:
	free(dir);
	return ret;
}

int mn_train_request_ex(struct mn_ctx *a, char out_id[37], const struct mn_train_request_opts *o,
			struct mn_err *err)
{
	int ret;

	out_id[0] = '\0';
	if (!a->cfg.learning.enabled)
		return mn_err_set(err, MN_EDECLINED, "learning is disabled (learning.enabled)");
	if (!a->cfg.learning.trigger.manual)
		return mn_err_set(err, MN_EDECLINED,
				  "manual training requests are off (learning.trigger.manual)");
	ret = common_checks(a, err);
	if (!ret && !o->batch_dir)
		ret = data_check(a, err);
	if (!ret && o->batch_dir && !mn_file_is_dir(o->batch_dir))
		ret = mn_err_set(err, MN_EINVAL, "batch directory '%s' does not exist",
				 o->batch_dir);
	if (ret)
		return ret;
	return create_run(a, out_id, o, err);
}

int mn_train_request(struct mn_ctx *a, const char *trigger, const char *reason,
		     char out_id[37], struct mn_err *err)
{
	struct mn_train_request_opts o = { 0 };

	o.trigger = trigger;
	o.reason = reason;
	return mn_train_request_ex(a, out_id, &o, err);
}

/* Why an automatic request is not due; NULL when it is. */
static int auto_blocker(struct mn_ctx *a, bool drift, char *why, size_t len,
			struct mn_err *err)
{
	const struct mn_config *c = &a->cfg;
	int64_t now = mn_time_now_ms(), last = 0;
	int fails = 0, ret;
	struct mn_err e = MN_ERR_INIT;

	why[0] = '\0';
	if (!c->learning.enabled) {
		snprintf(why, len, "learning is disabled");
		return 0;
	}
	if (!c->learning.trigger.auto_ && !drift) {
		snprintf(why, len, "automatic training is off (learning.trigger.auto)");
		return 0;
	}
	if (!drift) {
		int m = mn_time_local_minutes(now);

		if (!mn_text_window_contains(c->learning.trigger.window_start_min,
					     c->learning.trigger.window_end_min, m)) {
			snprintf(why, len, "outside the training window %s", c->learning.trigger.window);
			return 0;
		}
	}
	if (common_checks(a, &e)) {
		if (e.code != MN_EDECLINED)
			return mn_err_set(err, e.code, "%s", e.msg);
		snprintf(why, len, "%s", e.msg);
		return 0;
	}
	ret = count_consecutive_failures(a, &fails, err);
	if (ret)
		return ret;
	if (fails >= c->learning.trigger.max_consecutive_failures) {
		snprintf(why, len,
			 "circuit breaker open: the last %d runs failed (a manual `mnemo train"
			 " request` that succeeds closes it)",
			 fails);
		return 0;
	}
	ret = mn_store_train_last_finished_ms(a->store, &last, MN_RUN_FAILED, err);
	if (ret)
		return ret;
	if (last && now - last < (int64_t)(c->learning.trigger.failure_cooldown_hours * 3600e3)) {
		snprintf(why, len, "failure cooldown: the last run failed %.1f h ago (wait %g h)",
			 (double)(now - last) / 3600e3, c->learning.trigger.failure_cooldown_hours);
		return 0;
	}
	/* A rejected run changes nothing, so retraining at once on the same
	 * data would be rejected again: it waits like a failure (it does not
	 * count towards the breaker). */
	ret = mn_store_train_last_finished_ms(a->store, &last, MN_RUN_REJECTED, err);
	if (ret)
		return ret;
	if (last && now - last < (int64_t)(c->learning.trigger.failure_cooldown_hours * 3600e3)) {
		snprintf(why, len, "failure cooldown: the last run was rejected %.1f h ago (wait %g h)",
			 (double)(now - last) / 3600e3, c->learning.trigger.failure_cooldown_hours);
		return 0;
	}
	ret = mn_store_train_last_finished_ms(a->store, &last, MN_RUN_DEPLOYED, err);
	if (ret)
		return ret;
	if (!drift && last &&
	    now - last < (int64_t)(c->learning.trigger.success_cooldown_hours * 3600e3)) {
		snprintf(why, len, "success cooldown: the last deploy was %.1f h ago (wait %g h)",
			 (double)(now - last) / 3600e3, c->learning.trigger.success_cooldown_hours);
		return 0;
	}
	if (data_check(a, &e)) {
		if (e.code != MN_EDECLINED)
			return mn_err_set(err, e.code, "%s", e.msg);
		snprintf(why, len, "%s", e.msg);
	}
	return 0;
}

int mn_train_check_trigger(struct mn_ctx *a, bool drift, json_t **out_phase,
			   struct mn_err *err)
{
	char why[300], id[37] = "";
	json_t *mon = NULL;
	struct mn_err e = MN_ERR_INIT;
	int ret;

	*out_phase = NULL;
	mn_monitor_install(a);
	/* The post-deploy monitor also runs here, so versions whose memories
	 * were encoded inline by the CLI are watched too. */
	if (mn_monitor_check(a, NULL, &mon, &e))
		mn_warn("train", "post-deploy monitor: %s", e.msg);
	ret = auto_blocker(a, drift, why, sizeof(why), err);
	if (ret) {
		json_decref(mon);
		return ret;
	}
	if (!why[0]) {
		struct mn_train_request_opts o = { 0 };

		o.trigger = drift ? "drift" : "auto";
		o.reason = drift ? "quality window degrading in two consecutive audits"
				 : "scheduled: enough new examples";
		mn_err_clear(&e);
		if (create_run(a, id, &o, &e))
			snprintf(why, sizeof(why), "could not request a run: %s", e.msg);
	}
	*out_phase = json_pack("{s:s,s:s,s:s?,s:s?,s:b,s:o?}", "decision",
			       id[0] ? "requested" : "skipped", "trigger", drift ? "drift" : "auto",
			       "reason", why[0] ? why : NULL, "request_id", id[0] ? id : NULL,
			       "drift", drift, "monitor", mon);
	return 0;
}

int mn_train_cancel(struct mn_ctx *a, const char *request_id, char out_state[16],
		    struct mn_err *err)
{
	struct mn_train_run r;
	int ret = mn_store_train_get(a->store, &r, request_id, err);

	out_state[0] = '\0';
	if (ret)
		goto out;
	if (r.model[0] && strcmp(r.model, MN_RUN_MODEL_STUDENT) && !ended(r.state)) {
		/* A ranker run runs inside the command or dream cycle that started
		 * it (seconds), with no orchestrator to signal. */
		ret = mn_err_set(err, MN_EINVAL,
				 "run %s trains the %s, which runs synchronously and cannot be"
				 " cancelled", r.id, r.model);
		goto out;
	}
	if (!strcmp(r.state, MN_RUN_REQUESTED)) {
		ret = mn_store_train_transition(a->store, r.id, MN_RUN_REQUESTED, MN_RUN_CANCELLED,
						"cancelled before it started", err);
		if (ret == MN_EBUSY) {
			/* It just started: signal it instead. */
			mn_train_run_release(&r);
			return mn_train_cancel(a, request_id, out_state, err);
		}
		if (!ret) {
			char *pending = mn_xasprintf("%s/training/pending.json", a->home);
			json_t *j = mn_file_exists(pending) ? mn_json_load_file(pending, NULL) : NULL;

			if (j && !strcmp(mn_json_str(j, "request_id", ""), r.id))
				unlink(pending);
			json_decref(j);
			free(pending);
			write_result_file(a, r.id);
			snprintf(out_state, 16, "%s", MN_RUN_CANCELLED);
		}
	} else if (!strcmp(r.state, MN_RUN_TRAINING) || !strcmp(r.state, MN_RUN_EVALUATING)) {
		if (r.pid > 0 && kill((pid_t)r.pid, SIGTERM) == 0) {
			snprintf(out_state, 16, "signalled");
		} else {
			int n = 0;

			ret = mn_train_recover_dead(a, &n, err);
			snprintf(out_state, 16, "%s", MN_RUN_FAILED);
		}
	} else {
		ret = mn_err_set(err, MN_EINVAL, "run %s has already ended (%s)", r.id, r.state);
	}
out:
	mn_train_run_release(&r);
	return ret;
}

/* ---- status ---- */

static json_t *run_json(const struct mn_train_run *r, bool with_gate)
{
	int64_t c = parse_ms(r->created_at), s = parse_ms(r->started_at),
		f = parse_ms(r->finished_at);
	json_t *o = json_pack(
		"{s:s,s:s,s:s?,s:s,s:s,s:s?,s:s?,s:o,s:o,s:s?,s:s?,s:s?,s:O?,s:s?,s:s?,s:s?,s:b}",
		"id", r->id, "trigger", r->trigger, "reason", r->reason, "state", r->state,
		"created_at", r->created_at, "started_at", r->started_at[0] ? r->started_at : NULL,
		"finished_at", r->finished_at[0] ? r->finished_at : NULL, "duration_ms",
		s && f ? json_integer(f - s) : json_null(), "queued_ms",
		c && s ? json_integer(s - c) : json_null(), "batch_id", r->batch_id,
		"trainer_exit", r->trainer_exit, "gate_verdict", r->gate_verdict, "gate_reasons",
		r->gate_reasons, "candidate_version", r->candidate_version, "deployed_version",
		r->deployed_version, "error", r->error, "hooks_after_ran", r->hooks_after_ran);

	json_object_set_new(o, "counts",
			    json_pack("{s:o,s:o,s:o,s:O?}", "n_train",
				      r->n_train >= 0 ? json_integer(r->n_train) : json_null(),
				      "n_valid",
				      r->n_valid >= 0 ? json_integer(r->n_valid) : json_null(),
				      "holdout_n",
				      r->holdout_n >= 0 ? json_integer(r->holdout_n) : json_null(),
				      "by_source", r->counts));
	json_object_set_new(o, "model",
			    json_string(r->model[0] ? r->model : MN_RUN_MODEL_STUDENT));
	if (r->timings)
		json_object_set(o, "timings", r->timings);
	if (r->pid > 0)
		json_object_set_new(o, "pid", json_integer(r->pid));
	if (r->heartbeat_at[0])
		json_object_set_new(o, "heartbeat_at", json_string(r->heartbeat_at));
	if (r->request_dir)
		json_object_set_new(o, "request_dir", json_string(r->request_dir));
	if (r->candidate_metrics)
		json_object_set(o, "candidate_metrics", r->candidate_metrics);
	if (r->incumbent_metrics)
		json_object_set(o, "incumbent_metrics", r->incumbent_metrics);
	if (with_gate && r->request_dir) {
		char *p = mn_xasprintf("%s/gate.json", r->request_dir);
		json_t *g = mn_file_exists(p) ? mn_json_load_file(p, NULL) : NULL;

		if (g)
			json_object_set(o, "gate", json_object_get(g, "checks"));
		json_decref(g);
		free(p);
	}
	return o;
}

int mn_train_status_json(struct mn_ctx *a, const char *request_id, int limit, json_t **out,
			 struct mn_err *err)
{
	*out = NULL;
	if (request_id) {
		struct mn_train_run r;
		int ret = mn_store_train_get(a->store, &r, request_id, err);

		if (!ret)
			*out = run_json(&r, true);
		mn_train_run_release(&r);
		return ret;
	}
	{
		struct mn_train_run *runs = NULL;
		size_t n = 0;
		int ret = mn_store_train_list(a->store, &runs, &n, limit, err);

		if (ret)
			return ret;
		*out = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(*out, run_json(&runs[i], true));
		mn_train_runs_free(runs, n);
	}
	return 0;
}

/* Agreement (enum_acc, percentage points) a deployed run gained over its
 * incumbent on its labelled holdout; false when not measured. */
static bool run_gain(const struct mn_train_run *r, double *out)
{
	const json_t *c = json_object_get(r->candidate_metrics, "holdout");
	const json_t *i = json_object_get(r->incumbent_metrics, "holdout");
	const json_t *cv = json_object_get(c, "enum_acc"), *iv = json_object_get(i, "enum_acc");

	if (strcmp(r->state, MN_RUN_DEPLOYED) || !json_is_number(cv) || !json_is_number(iv) ||
	    json_integer_value(json_object_get(c, "n")) < 1)
		return false;
	*out = 100.0 * (json_number_value(cv) - json_number_value(iv));
	return true;
}

json_t *mn_train_teacher_json(struct mn_ctx *a)
{
	const struct mn_config *c = &a->cfg;
	struct mn_err e = MN_ERR_INIT;
	struct mn_train_run *runs = NULL;
	size_t n = 0;
	char since[MN_TIME_LEN];
	int total = 0, accepted = 0, day = 0, measured = 0, left;
	double gained = 0;
	json_t *o;

	mn_time_format(since, mn_time_now_ms() - 24 * 3600 * 1000LL);
	if (mn_store_learn_teacher_calls(a->store, "", &total, &accepted, &e) ||
	    mn_store_learn_teacher_calls(a->store, since, &day, NULL, &e))
		return json_pack("{s:s}", "error", e.msg);
	if (!mn_store_train_list_model(a->store, &runs, &n, TEACHER_RUNS_MAX, MN_RUN_MODEL_STUDENT,
				       &e)) {
		for (size_t i = 0; i < n; i++) {
			double g;

			if (run_gain(&runs[i], &g)) {
				gained += g;
				measured++;
			}
		}
	}
	mn_train_runs_free(runs, n);
	left = c->learning.curriculum.max_calls_per_day - day;
	o = json_pack("{s:s,s:s?,s:{s:i,s:i,s:i},s:{s:i,s:i,s:i}}", "provider",
		      c->teacher.provider ? c->teacher.provider : "none", "model", c->teacher.model,
		      "calls", "total", total, "last_24h", day, "accepted", accepted, "budget",
		      "per_cycle", c->learning.curriculum.max_corrections_per_cycle, "per_day",
		      c->learning.curriculum.max_calls_per_day, "left_today", left < 0 ? 0 : left);
	json_object_set_new(o, "runs_measured", json_integer(measured));
	json_object_set_new(o, "agreement_gained_pp", measured ? json_real(gained) : json_null());
	json_object_set_new(o, "agreement_gained_per_100_calls",
			    measured && total > 0 ? json_real(gained * 100.0 / total)
						  : json_null());
	return o;
}

json_t *mn_train_state_json(struct mn_ctx *a)
{
	struct mn_err e = MN_ERR_INIT;
	struct mn_train_run *runs = NULL;
	size_t n = 0;
	char student[64], cur[16], pinned[16] = "", flying[37] = "";
	int fails = 0;
	char *estop = mn_xasprintf("%s/training.disabled", a->home);
	json_t *o = json_object();

	mn_registry_student(student, &a->cfg);
	mn_registry_current(a, student, cur);
	mn_registry_pinned(a, student, pinned, &e);
	mn_store_train_in_flight(a->store, flying, &e);
	count_consecutive_failures(a, &fails, &e);
	json_object_set_new(o, "enabled", json_boolean(a->cfg.learning.enabled));
	json_object_set_new(o, "estop", json_pack("{s:b,s:s}", "active", mn_file_exists(estop),
						  "file", estop));
	json_object_set_new(o, "runner", json_string(a->cfg.learning.training.runner));
	json_object_set_new(o, "window", json_string(a->cfg.learning.trigger.window));
	json_object_set_new(o, "in_window",
			    json_boolean(mn_text_window_contains(
				    a->cfg.learning.trigger.window_start_min,
				    a->cfg.learning.trigger.window_end_min,
				    mn_time_local_minutes(mn_time_now_ms()))));
	json_object_set_new(o, "breaker",
			    json_pack("{s:s,s:i,s:i}", "state",
				      fails >= a->cfg.learning.trigger.max_consecutive_failures
					      ? "open"
					      : "closed",
				      "consecutive_failures", fails, "max",
				      a->cfg.learning.trigger.max_consecutive_failures));
	json_object_set_new(o, "in_flight", flying[0] ? json_string(flying) : json_null());
	if (!mn_store_train_list_model(a->store, &runs, &n, 1, MN_RUN_MODEL_STUDENT, &e) && n > 0)
		json_object_set_new(o, "last_run", run_json(&runs[0], false));
	else
		json_object_set_new(o, "last_run", json_null());
	mn_train_runs_free(runs, n);
	json_object_set_new(o, "model",
			    json_pack("{s:s,s:s,s:s?}", "student", student, "current",
				      cur[0] ? cur : MN_REGISTRY_DEFAULT, "pinned",
				      pinned[0] ? pinned : NULL));
	json_object_set_new(o, "teacher", mn_train_teacher_json(a));
	free(estop);
	return o;
}

/* ---- supervision ---- */

void mn_train_supervise_tick(struct mn_ctx *a)
{
	if (!supervising) {
		/* Only `mnemo serve` ticks: from now on runs started in this
		 * process are children we keep and reap. */
		supervising = true;
		mn_monitor_install(a);
	}
	reap_child(a);
}

void mn_train_supervise_shutdown(struct mn_ctx *a)
{
	if (child_pid <= 0)
		return;
	/* SIGTERM makes the orchestrator stop its trainer, run hooks.after and
	 * mark the run cancelled; give it time to do so. */
	mn_info("train", "stopping the orchestrator of run %s", child_id);
	kill(child_pid, SIGTERM);
	{
		int64_t until = mn_time_mono_ms() + SHUTDOWN_GRACE_MS;

		while (mn_time_mono_ms() < until) {
			pid_t w = waitpid(child_pid, NULL, WNOHANG);

			if (w == child_pid || (w < 0 && errno == ECHILD)) {
				child_pid = -1;
				break;
			}
			mn_time_sleep_ms(100);
		}
	}
	if (child_pid > 0) {
		kill(child_pid, SIGKILL);
		waitpid(child_pid, NULL, 0);
		child_pid = -1;
	}
	{
		struct mn_err e = MN_ERR_INIT;
		int n = 0;

		if (mn_train_recover_dead(a, &n, &e))
			mn_warn("train", "recovery: %s", e.msg);
	}
}
