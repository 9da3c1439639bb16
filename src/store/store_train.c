#include "store/store_train.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/mem.h"
#include "store/store_internal.h"

static void bind_json(sqlite3_stmt *s, int i, const json_t *v)
{
	char *txt;

	if (!v) {
		sqlite3_bind_null(s, i);
		return;
	}
	txt = mn_json_dumps(v);
	sqlite3_bind_text(s, i, txt, -1, SQLITE_TRANSIENT);
	free(txt);
}

static int col_int(sqlite3_stmt *s, int i)
{
	return sqlite3_column_type(s, i) == SQLITE_NULL ? -1 : sqlite3_column_int(s, i);
}

void mn_train_run_release(struct mn_train_run *r)
{
	if (!r)
		return;
	free(r->reason);
	free(r->request_dir);
	free(r->batch_id);
	json_decref(r->counts);
	free(r->trainer_exit);
	json_decref(r->candidate_metrics);
	json_decref(r->incumbent_metrics);
	free(r->gate_verdict);
	json_decref(r->gate_reasons);
	free(r->candidate_version);
	free(r->deployed_version);
	json_decref(r->timings);
	free(r->error);
	memset(r, 0, sizeof(*r));
}

void mn_train_runs_free(struct mn_train_run *runs, size_t n)
{
	for (size_t i = 0; runs && i < n; i++)
		mn_train_run_release(&runs[i]);
	free(runs);
}

#define RUN_COLS                                                                          \
	"id, trigger, state, reason, request_dir, batch_id, n_train, n_valid, holdout_n,"  \
	" counts, trainer_exit, candidate_metrics, incumbent_metrics, gate_verdict,"       \
	" gate_reasons, candidate_version, deployed_version, timings, pid, heartbeat_at,"  \
	" error, hooks_after_ran, created_at, started_at, finished_at, updated_at, model"

static void read_run(struct mn_train_run *r, sqlite3_stmt *s)
{
	memset(r, 0, sizeof(*r));
	mn_store_col_copy(r->id, sizeof(r->id), s, 0);
	mn_store_col_copy(r->trigger, sizeof(r->trigger), s, 1);
	mn_store_col_copy(r->state, sizeof(r->state), s, 2);
	r->reason = mn_store_col_dup(s, 3);
	r->request_dir = mn_store_col_dup(s, 4);
	r->batch_id = mn_store_col_dup(s, 5);
	r->n_train = col_int(s, 6);
	r->n_valid = col_int(s, 7);
	r->holdout_n = col_int(s, 8);
	r->counts = mn_store_col_json(s, 9);
	r->trainer_exit = mn_store_col_dup(s, 10);
	r->candidate_metrics = mn_store_col_json(s, 11);
	r->incumbent_metrics = mn_store_col_json(s, 12);
	r->gate_verdict = mn_store_col_dup(s, 13);
	r->gate_reasons = mn_store_col_json(s, 14);
	r->candidate_version = mn_store_col_dup(s, 15);
	r->deployed_version = mn_store_col_dup(s, 16);
	r->timings = mn_store_col_json(s, 17);
	r->pid = sqlite3_column_type(s, 18) == SQLITE_NULL ? 0 : (long)sqlite3_column_int64(s, 18);
	mn_store_col_copy(r->heartbeat_at, sizeof(r->heartbeat_at), s, 19);
	r->error = mn_store_col_dup(s, 20);
	r->hooks_after_ran = sqlite3_column_int(s, 21) != 0;
	mn_store_col_copy(r->created_at, sizeof(r->created_at), s, 22);
	mn_store_col_copy(r->started_at, sizeof(r->started_at), s, 23);
	mn_store_col_copy(r->finished_at, sizeof(r->finished_at), s, 24);
	mn_store_col_copy(r->updated_at, sizeof(r->updated_at), s, 25);
	mn_store_col_copy(r->model, sizeof(r->model), s, 26);
}

int mn_store_train_insert(struct mn_store *st, const char *id, const char *trigger,
			  const char *reason, const char *request_dir, struct mn_err *err)
{
	return mn_store_train_insert_model(st, id, MN_RUN_MODEL_STUDENT, trigger, reason,
					   request_dir, err);
}

int mn_store_train_insert_model(struct mn_store *st, const char *id, const char *model,
				const char *trigger, const char *reason,
				const char *request_dir, struct mn_err *err)
{
	static const char *const sql =
		"INSERT INTO training_runs(id, trigger, reason, state, request_dir, created_at,"
		" updated_at, model) VALUES (?1, ?2, ?3, 'requested', ?4, ?5, ?5, ?6)";
	sqlite3_stmt *s = mn_store_stmt(st, sql, err);
	char now[MN_TIME_LEN];

	if (!s)
		return MN_EIO;
	mn_time_now_str(now);
	mn_store_bind_text(s, 1, id);
	mn_store_bind_text(s, 2, trigger);
	mn_store_bind_text(s, 3, reason);
	mn_store_bind_text(s, 4, request_dir);
	mn_store_bind_text(s, 5, now);
	mn_store_bind_text(s, 6, model);
	return mn_store_step_done(st, s, err, "record the training request");
}

int mn_store_train_last_created(struct mn_store *st, char out[MN_TIME_LEN], const char *model,
				struct mn_err *err)
{
	static const char *const sql =
		"SELECT max(created_at) FROM training_runs WHERE model = ?1";
	sqlite3_stmt *s = mn_store_stmt(st, sql, err);
	int rc;

	out[0] = '\0';
	if (!s)
		return MN_EIO;
	mn_store_bind_text(s, 1, model);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		mn_store_col_copy(out, MN_TIME_LEN, s, 0);
	sqlite3_reset(s);
	if (rc != SQLITE_ROW)
		return mn_store_fail(st, err, "read the last run's time");
	return 0;
}

int mn_store_train_get(struct mn_store *st, struct mn_train_run *out, const char *id,
		       struct mn_err *err)
{
	static const char *const sql = "SELECT " RUN_COLS " FROM training_runs WHERE id = ?1";
	sqlite3_stmt *s = mn_store_stmt(st, sql, err);
	int rc;

	memset(out, 0, sizeof(*out));
	if (!s)
		return MN_EIO;
	mn_store_bind_text(s, 1, id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		read_run(out, s);
	sqlite3_reset(s);
	if (rc == SQLITE_DONE)
		return mn_err_set(err, MN_ENOTFOUND, "no training run '%s'", id);
	if (rc != SQLITE_ROW)
		return mn_store_fail(st, err, "read a training run");
	return 0;
}

int mn_store_train_list(struct mn_store *st, struct mn_train_run **out, size_t *out_n,
			int limit, struct mn_err *err)
{
	return mn_store_train_list_model(st, out, out_n, limit, NULL, err);
}

int mn_store_train_list_model(struct mn_store *st, struct mn_train_run **out, size_t *out_n,
			      int limit, const char *model, struct mn_err *err)
{
	static const char *const sql = "SELECT " RUN_COLS " FROM training_runs"
				       " WHERE ?2 IS NULL OR model = ?2"
				       " ORDER BY created_at DESC, rowid DESC LIMIT ?1";
	sqlite3_stmt *s = mn_store_stmt(st, sql, err);
	struct mn_train_run *v = NULL;
	size_t n = 0, alloc = 0;
	int rc;

	*out = NULL;
	*out_n = 0;
	if (!s)
		return MN_EIO;
	sqlite3_bind_int(s, 1, limit > 0 ? limit : 100);
	mn_store_bind_text(s, 2, model);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		v = mn_xgrow(v, &alloc, n + 1, sizeof(*v));
		read_run(&v[n++], s);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		mn_train_runs_free(v, n);
		return mn_store_fail(st, err, "list training runs");
	}
	*out = v;
	*out_n = n;
	return 0;
}

int mn_store_train_in_flight(struct mn_store *st, char out[37], struct mn_err *err)
{
	static const char *const sql =
		"SELECT id FROM training_runs WHERE state IN ('requested','training','evaluating')"
		" AND model = 'student'"
		" ORDER BY created_at DESC, rowid DESC LIMIT 1";
	sqlite3_stmt *s = mn_store_stmt(st, sql, err);
	int rc;

	out[0] = '\0';
	if (!s)
		return MN_EIO;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		mn_store_col_copy(out, 37, s, 0);
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return mn_store_fail(st, err, "look for a run in flight");
	return 0;
}

static bool terminal(const char *state)
{
	return strcmp(state, MN_RUN_REQUESTED) && strcmp(state, MN_RUN_TRAINING) &&
	       strcmp(state, MN_RUN_EVALUATING);
}

int mn_store_train_transition(struct mn_store *st, const char *id, const char *from,
			      const char *to, const char *error, struct mn_err *err)
{
	/* instr(',' || ?from || ',', ',' || state || ',') matches one state of
	 * the bound list without formatting it into the SQL. */
	static const char *const sql =
		"UPDATE training_runs SET state = ?2, error = coalesce(?4, error),"
		" finished_at = CASE WHEN ?5 THEN ?6 ELSE finished_at END,"
		" started_at = CASE WHEN ?2 = 'training' THEN coalesce(started_at, ?6)"
		"   ELSE started_at END, updated_at = ?6"
		" WHERE id = ?1 AND (?3 IS NULL OR instr(',' || ?3 || ',', ',' || state || ',') > 0)";
	sqlite3_stmt *s = mn_store_stmt(st, sql, err);
	struct mn_train_run r;
	char now[MN_TIME_LEN];
	int ret;

	if (!s)
		return MN_EIO;
	mn_time_now_str(now);
	mn_store_bind_text(s, 1, id);
	mn_store_bind_text(s, 2, to);
	mn_store_bind_text(s, 3, from);
	mn_store_bind_text(s, 4, error);
	sqlite3_bind_int(s, 5, terminal(to));
	mn_store_bind_text(s, 6, now);
	ret = mn_store_step_done(st, s, err, "change the run state");
	if (ret)
		return ret;
	if (sqlite3_changes(st->db) == 1)
		return 0;
	ret = mn_store_train_get(st, &r, id, err);
	if (!ret)
		ret = mn_err_set(err, MN_EBUSY, "run '%s' is %s, not %s", id, r.state,
				 from ? from : "any");
	mn_train_run_release(&r);
	return ret;
}

int mn_store_train_update(struct mn_store *st, const char *id, const struct mn_train_patch *p,
			  struct mn_err *err)
{
	static const char *const sql =
		"UPDATE training_runs SET batch_id = coalesce(?2, batch_id),"
		" n_train = coalesce(?3, n_train), n_valid = coalesce(?4, n_valid),"
		" holdout_n = coalesce(?5, holdout_n), counts = coalesce(?6, counts),"
		" trainer_exit = coalesce(?7, trainer_exit),"
		" candidate_metrics = coalesce(?8, candidate_metrics),"
		" incumbent_metrics = coalesce(?9, incumbent_metrics),"
		" gate_verdict = coalesce(?10, gate_verdict),"
		" gate_reasons = coalesce(?11, gate_reasons),"
		" candidate_version = coalesce(?12, candidate_version),"
		" deployed_version = coalesce(?13, deployed_version),"
		" timings = coalesce(?14, timings),"
		" pid = coalesce(?15, pid),"
		" heartbeat_at = CASE WHEN ?15 IS NULL THEN heartbeat_at ELSE ?18 END,"
		" started_at = CASE WHEN ?15 IS NULL THEN started_at ELSE coalesce(started_at, ?18) END,"
		" hooks_after_ran = coalesce(?16, hooks_after_ran),"
		" error = coalesce(?17, error), updated_at = ?18 WHERE id = ?1";
	sqlite3_stmt *s = mn_store_stmt(st, sql, err);
	char now[MN_TIME_LEN];
	int ret;

	if (!s)
		return MN_EIO;
	mn_time_now_str(now);
	mn_store_bind_text(s, 1, id);
	mn_store_bind_text(s, 2, p->batch_id);
	if (p->n_train >= 0)
		sqlite3_bind_int(s, 3, p->n_train);
	if (p->n_valid >= 0)
		sqlite3_bind_int(s, 4, p->n_valid);
	if (p->holdout_n >= 0)
		sqlite3_bind_int(s, 5, p->holdout_n);
	bind_json(s, 6, p->counts);
	mn_store_bind_text(s, 7, p->trainer_exit);
	bind_json(s, 8, p->candidate_metrics);
	bind_json(s, 9, p->incumbent_metrics);
	mn_store_bind_text(s, 10, p->gate_verdict);
	bind_json(s, 11, p->gate_reasons);
	mn_store_bind_text(s, 12, p->candidate_version);
	mn_store_bind_text(s, 13, p->deployed_version);
	bind_json(s, 14, p->timings);
	if (p->pid > 0)
		sqlite3_bind_int64(s, 15, p->pid);
	if (p->hooks_after_ran >= 0)
		sqlite3_bind_int(s, 16, p->hooks_after_ran);
	mn_store_bind_text(s, 17, p->error);
	mn_store_bind_text(s, 18, now);
	ret = mn_store_step_done(st, s, err, "update the training run");
	if (!ret && sqlite3_changes(st->db) != 1)
		ret = mn_err_set(err, MN_ENOTFOUND, "no training run '%s'", id);
	return ret;
}

int mn_store_train_heartbeat(struct mn_store *st, const char *id, struct mn_err *err)
{
	static const char *const sql =
		"UPDATE training_runs SET heartbeat_at = ?2 WHERE id = ?1";
	sqlite3_stmt *s = mn_store_stmt(st, sql, err);
	char now[MN_TIME_LEN];

	if (!s)
		return MN_EIO;
	mn_time_now_str(now);
	mn_store_bind_text(s, 1, id);
	mn_store_bind_text(s, 2, now);
	return mn_store_step_done(st, s, err, "write the heartbeat");
}

int mn_store_train_recent_finished(struct mn_store *st, json_t **out, int n,
				   struct mn_err *err)
{
	static const char *const sql =
		"SELECT id, state, finished_at FROM training_runs"
		" WHERE state IN ('deployed','rejected','failed','rolled_back') AND model = 'student'"
		" AND finished_at IS NOT NULL ORDER BY finished_at DESC, rowid DESC LIMIT ?1";
	sqlite3_stmt *s = mn_store_stmt(st, sql, err);
	json_t *arr;
	int rc;

	*out = NULL;
	if (!s)
		return MN_EIO;
	arr = json_array();
	sqlite3_bind_int(s, 1, n);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		json_array_append_new(arr, json_pack("{s:s?,s:s?,s:s?}", "id",
						     mn_store_col_text(s, 0), "state",
						     mn_store_col_text(s, 1), "finished_at",
						     mn_store_col_text(s, 2)));
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		json_decref(arr);
		return mn_store_fail(st, err, "list finished runs");
	}
	*out = arr;
	return 0;
}

int mn_store_train_last_finished_ms(struct mn_store *st, int64_t *out, const char *state,
				    struct mn_err *err)
{
	static const char *const sql = "SELECT max(finished_at) FROM training_runs WHERE state = ?1"
				       " AND model = 'student'";
	sqlite3_stmt *s = mn_store_stmt(st, sql, err);
	int rc;

	*out = 0;
	if (!s)
		return MN_EIO;
	mn_store_bind_text(s, 1, state);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW && mn_store_col_text(s, 0) &&
	    !mn_time_parse(out, mn_store_col_text(s, 0)))
		*out = 0;
	sqlite3_reset(s);
	if (rc != SQLITE_ROW)
		return mn_store_fail(st, err, "read the last finished run");
	return 0;
}

/* ---- model_versions ---- */

void mn_model_version_release(struct mn_model_version *v)
{
	if (!v)
		return;
	free(v->artifact_path);
	free(v->sha256);
	free(v->parent);
	free(v->training_run);
	json_decref(v->gate_metrics);
	json_decref(v->live_metrics);
	memset(v, 0, sizeof(*v));
}

void mn_model_versions_free(struct mn_model_version *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		mn_model_version_release(&v[i]);
	free(v);
}

#define MODEL_COLS                                                                    \
	"id, student, version, artifact_path, sha256, parent, training_run, gate_metrics," \
	" live_metrics, state, created_at, deployed_at, retired_at"

static void read_model(struct mn_model_version *v, sqlite3_stmt *s)
{
	memset(v, 0, sizeof(*v));
	mn_store_col_copy(v->id, sizeof(v->id), s, 0);
	mn_store_col_copy(v->student, sizeof(v->student), s, 1);
	mn_store_col_copy(v->version, sizeof(v->version), s, 2);
	v->artifact_path = mn_store_col_dup(s, 3);
	v->sha256 = mn_store_col_dup(s, 4);
	v->parent = mn_store_col_dup(s, 5);
	v->training_run = mn_store_col_dup(s, 6);
	v->gate_metrics = mn_store_col_json(s, 7);
	v->live_metrics = mn_store_col_json(s, 8);
	mn_store_col_copy(v->state, sizeof(v->state), s, 9);
	mn_store_col_copy(v->created_at, sizeof(v->created_at), s, 10);
	mn_store_col_copy(v->deployed_at, sizeof(v->deployed_at), s, 11);
	mn_store_col_copy(v->retired_at, sizeof(v->retired_at), s, 12);
}

int mn_store_model_next_number(struct mn_store *st, int *out, const char *student,
			       struct mn_err *err)
{
	/* Versions are "v%04d"; the number is the part after the 'v'. */
	static const char *const sql =
		"SELECT coalesce(max(CAST(substr(version, 2) AS INTEGER)), 0) + 1"
		" FROM model_versions WHERE student = ?1";
	sqlite3_stmt *s = mn_store_stmt(st, sql, err);
	int rc;

	*out = 1;
	if (!s)
		return MN_EIO;
	mn_store_bind_text(s, 1, student);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int(s, 0);
	sqlite3_reset(s);
	if (rc != SQLITE_ROW)
		return mn_store_fail(st, err, "number the model version");
	return 0;
}

int mn_store_model_insert(struct mn_store *st, const struct mn_model_version *v,
			  struct mn_err *err)
{
	static const char *const sql =
		"INSERT INTO model_versions(id, student, version, artifact_path, sha256, parent,"
		" training_run, gate_metrics, state, created_at)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";
	sqlite3_stmt *s = mn_store_stmt(st, sql, err);
	char now[MN_TIME_LEN];

	if (!s)
		return MN_EIO;
	mn_time_now_str(now);
	mn_store_bind_text(s, 1, v->id);
	mn_store_bind_text(s, 2, v->student);
	mn_store_bind_text(s, 3, v->version);
	mn_store_bind_text(s, 4, v->artifact_path);
	mn_store_bind_text(s, 5, v->sha256);
	mn_store_bind_text(s, 6, v->parent);
	mn_store_bind_text(s, 7, v->training_run);
	bind_json(s, 8, v->gate_metrics);
	mn_store_bind_text(s, 9, v->state[0] ? v->state : "registered");
	mn_store_bind_text(s, 10, v->created_at[0] ? v->created_at : now);
	return mn_store_step_done(st, s, err, "record the model version");
}

int mn_store_model_get(struct mn_store *st, struct mn_model_version *out, const char *student,
		       const char *version, struct mn_err *err)
{
	static const char *const sql =
		"SELECT " MODEL_COLS " FROM model_versions WHERE student = ?1 AND version = ?2";
	sqlite3_stmt *s = mn_store_stmt(st, sql, err);
	int rc;

	memset(out, 0, sizeof(*out));
	if (!s)
		return MN_EIO;
	mn_store_bind_text(s, 1, student);
	mn_store_bind_text(s, 2, version);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		read_model(out, s);
	sqlite3_reset(s);
	if (rc == SQLITE_DONE)
		return mn_err_set(err, MN_ENOTFOUND, "no model version '%s' of '%s'", version,
				  student);
	if (rc != SQLITE_ROW)
		return mn_store_fail(st, err, "read a model version");
	return 0;
}

int mn_store_model_list(struct mn_store *st, struct mn_model_version **out, size_t *out_n,
			const char *student, struct mn_err *err)
{
	static const char *const sql = "SELECT " MODEL_COLS " FROM model_versions"
				       " WHERE student = ?1 ORDER BY version";
	sqlite3_stmt *s = mn_store_stmt(st, sql, err);
	struct mn_model_version *v = NULL;
	size_t n = 0, alloc = 0;
	int rc;

	*out = NULL;
	*out_n = 0;
	if (!s)
		return MN_EIO;
	mn_store_bind_text(s, 1, student);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		v = mn_xgrow(v, &alloc, n + 1, sizeof(*v));
		read_model(&v[n++], s);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		mn_model_versions_free(v, n);
		return mn_store_fail(st, err, "list model versions");
	}
	*out = v;
	*out_n = n;
	return 0;
}

int mn_store_model_set_state(struct mn_store *st, const char *student, const char *version,
			     const char *state, struct mn_err *err)
{
	static const char *const sql =
		"UPDATE model_versions SET state = ?3,"
		" deployed_at = CASE WHEN ?3 = 'deployed' THEN ?4 ELSE deployed_at END,"
		" retired_at = CASE WHEN ?3 = 'retired' THEN ?4 ELSE retired_at END"
		" WHERE student = ?1 AND version = ?2";
	sqlite3_stmt *s = mn_store_stmt(st, sql, err);
	char now[MN_TIME_LEN];
	int ret;

	if (!s)
		return MN_EIO;
	mn_time_now_str(now);
	mn_store_bind_text(s, 1, student);
	mn_store_bind_text(s, 2, version);
	mn_store_bind_text(s, 3, state);
	mn_store_bind_text(s, 4, now);
	ret = mn_store_step_done(st, s, err, "change the model version state");
	if (!ret && sqlite3_changes(st->db) != 1)
		ret = mn_err_set(err, MN_ENOTFOUND, "no model version '%s'", version);
	return ret;
}

int mn_store_model_set_live(struct mn_store *st, const char *student, const char *version,
			    const json_t *live, struct mn_err *err)
{
	static const char *const sql =
		"UPDATE model_versions SET live_metrics = ?3 WHERE student = ?1 AND version = ?2";
	sqlite3_stmt *s = mn_store_stmt(st, sql, err);

	if (!s)
		return MN_EIO;
	mn_store_bind_text(s, 1, student);
	mn_store_bind_text(s, 2, version);
	bind_json(s, 3, live);
	return mn_store_step_done(st, s, err, "record live metrics");
}

int mn_store_train_live_quality(struct mn_store *st, int *out_n, double *out_epr,
				double *out_sc, const char *version, const char *since,
				int window, struct mn_err *err)
{
	static const char *const sql =
		"SELECT count(*), avg(coalesce(epr, 0)), avg(coalesce(sc, 0)) FROM ("
		" SELECT epr, sc FROM memories WHERE encoder_version = ?1 AND fallback = 0"
		" AND created_at >= ?2 ORDER BY created_at, rowid LIMIT ?3)";
	sqlite3_stmt *s = mn_store_stmt(st, sql, err);
	int rc;

	*out_n = 0;
	*out_epr = *out_sc = 0;
	if (!s)
		return MN_EIO;
	mn_store_bind_text(s, 1, version);
	mn_store_bind_text(s, 2, since ? since : "");
	sqlite3_bind_int(s, 3, window);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*out_n = sqlite3_column_int(s, 0);
		*out_epr = sqlite3_column_double(s, 1);
		*out_sc = sqlite3_column_double(s, 2);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_ROW)
		return mn_store_fail(st, err, "measure live quality");
	return 0;
}

int mn_store_train_rated_recalls(struct mn_store *st, int *out_n, int *out_helpful,
				 const char *ranker, const char *since, const char *until,
				 int limit, struct mn_err *err)
{
	static const char *const sql =
		"SELECT count(*), coalesce(sum(h), 0) FROM ("
		" SELECT max(f.rating = 'helpful') AS h FROM recall_log l"
		" JOIN recall_feedback f ON f.query_id = l.query_id"
		" WHERE (?1 IS NULL OR l.ranker = ?1) AND (?2 IS NULL OR l.created_at >= ?2)"
		" AND (?3 IS NULL OR l.created_at < ?3)"
		" GROUP BY l.query_id ORDER BY max(l.created_at) DESC LIMIT ?4)";
	sqlite3_stmt *s = mn_store_stmt(st, sql, err);
	int rc;

	*out_n = *out_helpful = 0;
	if (!s)
		return MN_EIO;
	mn_store_bind_text(s, 1, ranker);
	mn_store_bind_text(s, 2, since);
	mn_store_bind_text(s, 3, until);
	sqlite3_bind_int(s, 4, limit > 0 ? limit : -1);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*out_n = sqlite3_column_int(s, 0);
		*out_helpful = sqlite3_column_int(s, 1);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_ROW)
		return mn_store_fail(st, err, "count rated recalls");
	return 0;
}
