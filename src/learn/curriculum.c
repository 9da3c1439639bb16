/*
 * curriculum.c - teacher corrections of needs_improvement encodings
 * (curriculum.h, DESIGN §6).
 */
#include "learn/curriculum.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/timeutil.h"
#include "learn/experience.h"
#include "model/llm.h"
#include "model/prompt.h"
#include "store/store_learn.h"
#include "model/verify.h"

/* Consecutive transport failures after which the teacher counts as down. */
#define TEACHER_MAX_TRANSPORT_FAILURES 2

struct tally {
	int attempted, passed, rejected, errors, moved, human_kept;
	int transport_in_row;
};

static bool teacher_configured(const struct mn_config *c)
{
	return c->teacher.provider && !strcmp(c->teacher.provider, "openai");
}

static json_t *phase_new(const char *status, const char *reason)
{
	json_t *p = json_pack("{s:s,s:s}", "name", "curriculum", "status", status);

	if (reason)
		json_object_set_new(p, "reason", json_string(reason));
	return p;
}

static int open_teacher(struct mn_ctx *a, struct mn_llm **out, struct mn_err *err)
{
	const struct mn_model_cfg *t = &a->cfg.teacher;
	struct mn_llm_opts o = { 0 };
	char *key = NULL;
	int ret;

	*out = NULL;
	ret = mn_config_api_key(&key, t, a->home, err);
	if (ret)
		return ret;
	o.endpoint = t->endpoint;
	o.model = t->model;
	o.api_key = key;
	o.timeout_s = t->timeout_s;
	o.max_retries = 1;
	o.backoff_ms = 500;
	ret = mn_llm_new(out, &o, err);
	if (key) {
		memset(key, 0, strlen(key));
		free(key);
	}
	return ret;
}

/* The row failed once more without an accepted correction: recompute its
 * category with the new attempt count (moves it to ambiguous at the
 * limit). */
static int reclassify_row(struct mn_ctx *a, const struct mn_learn_row *r, int attempts,
			  bool *moved, struct mn_err *err)
{
	struct mn_exp_signals s = {
		.epr = r->epr,
		.ted = r->ted,
		.sc = r->sc,
		.fallback = r->fallback,
		.has_flags = json_array_size(r->flags) > 0,
		.confidence = r->confidence,
		.recall_count = r->recall_count,
		.recall_score = r->recall_score,
		.correction_attempts = attempts,
		.corrected = false,
	};
	const char *cat = mn_experience_classify(&s, a->cfg.learning.min_confidence,
						 a->cfg.learning.curriculum.max_correction_attempts);

	*moved = false;
	if (!strcmp(cat, r->category))
		return 0;
	*moved = true;
	return mn_store_exp_set_category(a->store, r->id, cat, err);
}

/* One row: ask the teacher, verify, store or reject. Returns a store error
 * only; teacher trouble is counted in t. */
static int correct_one(struct mn_ctx *a, struct mn_llm *llm, const struct mn_learn_row *r,
		       struct tally *t, struct mn_err *err)
{
	size_t max_chars = (size_t)a->cfg.encoding.max_input_chars;
	size_t seen = mn_prompt_input_len(r->content, r->content_len, max_chars);
	struct mn_err terr = MN_ERR_INIT;
	struct mn_metrics met;
	json_t *enc = NULL;
	char *raw_text = NULL, *compact = NULL;
	char why[320];
	bool counted = true, moved = false, accepted = false;
	int ret, rc;

	memset(&met, 0, sizeof(met));
	t->attempted++;
	/* The identical production prompt: same builder, same cut. */
	rc = mn_llm_encode(llm, &enc, &raw_text, r->content, r->content_len, r->source, r->type,
			   max_chars, &terr);
	if (rc == MN_EHTTP || rc == MN_ETIMEOUT) {
		/* The teacher did not answer: not the row's fault. */
		counted = false;
		t->errors++;
		t->transport_in_row++;
		snprintf(why, sizeof(why), "teacher unavailable: %s", terr.msg);
		mn_warn("curriculum", "memory %s: %s", r->memory_id, terr.msg);
		goto record;
	}
	t->transport_in_row = 0;
	if (rc) {
		t->rejected++;
		snprintf(why, sizeof(why), "rejected: %s", terr.msg);
		goto record;
	}
	/* What is verified is exactly what is stored and later trained on. */
	mn_verify_score(&met, r->content, seen, enc);
	if (!met.sc || met.ted || met.epr < MN_CURRICULUM_MIN_EPR) {
		t->rejected++;
		snprintf(why, sizeof(why), "rejected: sc %s%s%s, ted %s, epr %.3f (need >= %.2f)",
			 met.sc ? "yes" : "no", met.sc ? "" : " - ", met.sc ? "" : met.sc_reason,
			 met.ted ? "yes" : "no", met.epr, MN_CURRICULUM_MIN_EPR);
		goto record;
	}
	accepted = true;
	why[0] = '\0';
record:
	ret = mn_store_begin(a->store, err);
	if (ret)
		goto out;
	ret = mn_store_learn_record_attempt(a->store, r->memory_id, accepted ? NULL : why,
					    counted, err);
	if (ret)
		goto out;
	if (accepted) {
		compact = mn_json_dumps(enc);
		ret = mn_store_exp_set_correction(a->store, r->memory_id, compact, met.epr, met.fr,
						  met.sc, a->cfg.teacher.model ? a->cfg.teacher.model
									       : "teacher",
						  err);
		if (ret == MN_ENOTFOUND) {
			/* A human amended it meanwhile: the human wins. */
			mn_err_clear(err);
			ret = 0;
			t->human_kept++;
		} else if (!ret) {
			t->passed++;
		}
	} else if (counted) {
		ret = reclassify_row(a, r, r->correction_attempts + 1, &moved, err);
		if (moved)
			t->moved++;
	}
	if (!ret)
		ret = mn_store_commit(a->store, err);
	if (!ret && !accepted && counted)
		mn_info("curriculum", "memory %s: %s%s", r->memory_id, why,
			moved ? "; moved to ambiguous" : "");
out:
	if (ret)
		mn_store_rollback(a->store);
	mn_metrics_release(&met);
	json_decref(enc);
	free(raw_text);
	free(compact);
	return ret;
}

int mn_curriculum_run(struct mn_ctx *a, volatile sig_atomic_t *stop, json_t **out_phase,
		      struct mn_err *err)
{
	const struct mn_config *c = &a->cfg;
	struct mn_learn_row *rows = NULL;
	struct mn_llm *llm = NULL;
	struct tally t = { 0 };
	char last[MN_TIME_LEN], run_id[37] = "", reason[320];
	const char *status = "completed";
	json_t *p = NULL;
	size_t n = 0;
	int waiting = 0, ret = 0;
	int64_t last_ms;

	*out_phase = NULL;
	if (!teacher_configured(c)) {
		*out_phase = phase_new("skipped", "no teacher configured (teacher.provider is none)");
		return 0;
	}
	if (!c->learning.enabled) {
		*out_phase = phase_new("skipped", "learning.enabled is false");
		return 0;
	}
	ret = mn_store_learn_count_needs(a->store, &waiting, err);
	if (ret)
		return ret;
	ret = mn_store_learn_curriculum_last_completed(a->store, last, err);
	if (ret)
		return ret;
	if (last[0] && mn_time_parse(&last_ms, last)) {
		int64_t cool = (int64_t)(c->learning.curriculum.cooldown_hours * 3600000.0);
		int64_t next = last_ms + cool;

		if (mn_time_now_ms() < next) {
			char when[MN_TIME_LEN];

			mn_time_format(when, next);
			snprintf(reason, sizeof(reason),
				 "cooldown: the last completed run finished at %s; next run after "
				 "%s (learning.curriculum.cooldown_hours %g)",
				 last, when, c->learning.curriculum.cooldown_hours);
			p = phase_new("skipped", reason);
			json_object_set_new(p, "waiting", json_integer(waiting));
			*out_phase = p;
			return 0;
		}
	}
	if (waiting < c->learning.curriculum.min_needs_improvement || waiting == 0) {
		snprintf(reason, sizeof(reason),
			 "%d row%s need%s improvement, fewer than "
			 "learning.curriculum.min_needs_improvement (%d)",
			 waiting, waiting == 1 ? "" : "s", waiting == 1 ? "s" : "",
			 c->learning.curriculum.min_needs_improvement);
		if (waiting == 0)
			snprintf(reason, sizeof(reason), "no rows need improvement");
		p = phase_new("skipped", reason);
		json_object_set_new(p, "waiting", json_integer(waiting));
		*out_phase = p;
		return 0;
	}
	if (c->learning.curriculum.max_corrections_per_cycle <= 0) {
		p = phase_new("skipped", "learning.curriculum.max_corrections_per_cycle is 0");
		json_object_set_new(p, "waiting", json_integer(waiting));
		*out_phase = p;
		return 0;
	}
	if (stop && *stop) {
		*out_phase = phase_new("interrupted", "stop requested before the run started");
		return 0;
	}
	{
		struct mn_err terr = MN_ERR_INIT;

		if (open_teacher(a, &llm, &terr)) {
			snprintf(reason, sizeof(reason), "could not set up the teacher: %s", terr.msg);
			p = phase_new("failed", reason);
			json_object_set_new(p, "waiting", json_integer(waiting));
			*out_phase = p;
			return 0;
		}
	}
	ret = mn_store_learn_curriculum_begin(a->store, run_id, c->teacher.model, err);
	if (ret)
		goto out;
	ret = mn_store_learn_curriculum_rows(a->store, &rows, &n,
					     c->learning.curriculum.max_corrections_per_cycle, err);
	if (ret)
		goto finish;
	mn_info("curriculum", "run %s: %zu of %d row(s) to the teacher %s", run_id, n, waiting,
		c->teacher.model ? c->teacher.model : "");
	reason[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (stop && *stop) {
			status = "interrupted";
			snprintf(reason, sizeof(reason), "stop requested after %d of %zu rows",
				 t.attempted, n);
			break;
		}
		ret = correct_one(a, llm, &rows[i], &t, err);
		if (ret)
			break;
		if (t.transport_in_row >= TEACHER_MAX_TRANSPORT_FAILURES) {
			status = "failed";
			snprintf(reason, sizeof(reason),
				 "teacher unavailable: %d requests in a row failed", t.transport_in_row);
			break;
		}
	}
finish:
	if (ret) {
		/* The store failed mid-run: still close the run honestly. */
		struct mn_err ferr = MN_ERR_INIT;

		status = "failed";
		mn_store_learn_curriculum_finish(a->store, run_id, status, t.attempted, t.passed,
						 t.rejected + t.errors, err->msg, &ferr);
		goto out;
	}
	ret = mn_store_learn_curriculum_finish(a->store, run_id, status, t.attempted, t.passed,
					       t.rejected + t.errors, reason[0] ? reason : NULL,
					       err);
out:
	if (!ret) {
		p = phase_new(status, reason[0] ? reason : NULL);
		json_object_set_new(p, "run_id", json_string(run_id));
		json_object_set_new(p, "teacher", json_string(c->teacher.model ? c->teacher.model
										: ""));
		json_object_set_new(p, "waiting", json_integer(waiting));
		json_object_set_new(p, "attempted", json_integer(t.attempted));
		json_object_set_new(p, "passed", json_integer(t.passed));
		json_object_set_new(p, "rejected", json_integer(t.rejected));
		json_object_set_new(p, "errors", json_integer(t.errors));
		json_object_set_new(p, "moved_to_ambiguous", json_integer(t.moved));
		json_object_set_new(p, "human_kept", json_integer(t.human_kept));
		*out_phase = p;
	}
	mn_learn_rows_free(rows, n);
	mn_llm_free(llm);
	return ret;
}
